/* SPDX-License-Identifier: MIT */
#include "ddpqn_graph.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_HEADER "layer_no,layer_name,exec_time_s,output_size_Mb,successors"
#define CSV_LINE_MAX 1024

static const char *const model_names[] = {
	[DDPQN_MODEL_GENERIC] = "generic",
	[DDPQN_MODEL_ALEXNET] = "alexnet",
	[DDPQN_MODEL_VGG19] = "vgg19",
	[DDPQN_MODEL_GOOGLENET] = "googlenet",
	[DDPQN_MODEL_RESNET101] = "resnet101",
};

int ddpqn_model_parse(const char *name, enum ddpqn_model *m)
{
	for (unsigned i = 0; i < sizeof(model_names) / sizeof(model_names[0]); i++)
		if (!strcmp(name, model_names[i])) {
			*m = i;
			return 0;
		}
	return -EINVAL;
}

const char *ddpqn_model_name(enum ddpqn_model m)
{
	return m <= DDPQN_MODEL_RESNET101 ? model_names[m] : "?";
}

static int fail(struct ddpqn_load_err *err, const char *file, unsigned line,
		int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		snprintf(err->file, sizeof(err->file), "%s", file ? file : "?");
		err->line = line;
		va_start(ap, fmt);
		vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* A whole field as a finite number >= 0; strtod alone accepts "1x". */
static int parse_nonneg(const char *s, double *v)
{
	char *end;

	if (!*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || *end || !isfinite(*v) || *v < 0)
		return -1;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || *end || *v > max)
		return -1;
	return 0;
}

static int parse_row(char *line, unsigned lineno, unsigned want_no,
		     struct ddpqn_csv_row *r, const char *file,
		     struct ddpqn_load_err *err)
{
	char *f[5], *p = line;
	unsigned long v;
	unsigned nf = 0;

	for (;;) {
		char *comma = strchr(p, ',');

		if (nf == 5)
			return fail(err, file, lineno, -EINVAL,
				    "more than 5 fields (expected " CSV_HEADER ")");
		f[nf++] = p;
		if (!comma)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	if (nf != 5)
		return fail(err, file, lineno, -EINVAL,
			    "%u fields, expected 5 (" CSV_HEADER ")", nf);
	memset(r, 0, sizeof(*r));
	r->line = lineno;
	if (parse_uint(f[0], 65535, &v) || v != want_no)
		return fail(err, file, lineno, -EINVAL,
			    "layer_no '%s', expected %u (rows numbered from 1 in order)",
			    f[0], want_no);
	r->layer_no = v;
	if (!*f[1] || strlen(f[1]) >= DDPQN_NAME_LEN)
		return fail(err, file, lineno, -EINVAL,
			    "layer_name empty or longer than %d characters",
			    DDPQN_NAME_LEN - 1);
	for (const char *c = f[1]; *c; c++)
		if (!isgraph((unsigned char)*c))
			return fail(err, file, lineno, -EINVAL,
				    "layer_name has a blank or control character");
	strcpy(r->name, f[1]);
	if (parse_nonneg(f[2], &r->exec_s))
		return fail(err, file, lineno, -EINVAL,
			    "exec_time_s '%s' is not a finite number >= 0", f[2]);
	if (parse_nonneg(f[3], &r->out_mb))
		return fail(err, file, lineno, -EINVAL,
			    "output_size_Mb '%s' is not a finite number >= 0", f[3]);
	for (p = f[4]; *p;) {
		char *semi = strchr(p, ';');

		if (semi)
			*semi = '\0';
		if (r->nsucc == DDPQN_MAX_FAN)
			return fail(err, file, lineno, -EINVAL,
				    "more than %d successors", DDPQN_MAX_FAN);
		if (parse_uint(p, 65535, &v) || !v)
			return fail(err, file, lineno, -EINVAL,
				    "successor '%s' is not a layer number >= 1", p);
		r->succ[r->nsucc++] = v;
		if (!semi)
			break;
		p = semi + 1;
		if (!*p)
			return fail(err, file, lineno, -EINVAL,
				    "successor list ends with ';'");
	}
	return 0;
}

int ddpqn_csv_read(const char *path, struct ddpqn_csv *csv,
		   struct ddpqn_load_err *err)
{
	char line[CSV_LINE_MAX + 2];
	unsigned lineno = 0, nrows = 0, blank_at = 0;
	struct ddpqn_csv_row *rows;
	FILE *f;
	int rc;

	rows = calloc(DDPQN_MAX_LAYERS, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		fail(err, path, 0, rc, "cannot open: %s", strerror(errno));
		goto err_free;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		lineno++;
		if (len && line[len - 1] != '\n' && !feof(f)) {
			rc = fail(err, path, lineno, -EINVAL,
				  "line longer than %d bytes", CSV_LINE_MAX);
			goto err_close;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (lineno == 1) {
			if (strcmp(line, CSV_HEADER)) {
				rc = fail(err, path, 1, -EINVAL,
					  "header is not '" CSV_HEADER "'");
				goto err_close;
			}
			continue;
		}
		if (!len) {
			if (!blank_at)
				blank_at = lineno;
			continue;
		}
		if (blank_at) {
			rc = fail(err, path, blank_at, -EINVAL,
				  "blank line inside the table");
			goto err_close;
		}
		if (nrows == DDPQN_MAX_LAYERS) {
			rc = fail(err, path, lineno, -EFBIG,
				  "more than %d layers", DDPQN_MAX_LAYERS);
			goto err_close;
		}
		rc = parse_row(line, lineno, nrows + 1, &rows[nrows], path, err);
		if (rc)
			goto err_close;
		nrows++;
	}
	if (ferror(f)) {
		rc = fail(err, path, lineno, -EIO, "read error");
		goto err_close;
	}
	if (lineno == 0 || nrows == 0) {
		rc = fail(err, path, lineno, -EINVAL,
			  lineno ? "no layer rows" : "empty file (no header)");
		goto err_close;
	}
	fclose(f);
	snprintf(csv->file, sizeof(csv->file), "%s", path);
	csv->nrows = nrows;
	memcpy(csv->rows, rows, nrows * sizeof(*rows));
	free(rows);
	return 0;

err_close:
	fclose(f);
err_free:
	free(rows);
	return rc;
}

/* ------------------------------------------------------------------ */

static int add_edge(struct ddpqn_graph *g, unsigned from, unsigned to)
{
	struct ddpqn_layer *a = &g->layers[from];

	if (a->nsucc == DDPQN_MAX_FAN)
		return -E2BIG;
	a->succ[a->nsucc++] = to;
	return 0;
}

/* Predecessor lists from the successor lists. */
static int link_preds(struct ddpqn_graph *g, const char *file,
		      struct ddpqn_load_err *err)
{
	for (unsigned i = 0; i < g->n; i++)
		g->layers[i].npred = 0;
	for (unsigned i = 0; i < g->n; i++) {
		const struct ddpqn_layer *l = &g->layers[i];

		for (unsigned k = 0; k < l->nsucc; k++) {
			struct ddpqn_layer *s = &g->layers[l->succ[k]];

			if (s->npred == DDPQN_MAX_FAN)
				return fail(err, file, s->line, -EINVAL,
					    "layer %u (%s) has more than %d predecessors",
					    l->succ[k] + 1, s->name, DDPQN_MAX_FAN);
			s->pred[s->npred++] = i;
		}
	}
	return 0;
}

/* The sheet as it is, with successor numbers checked against the row count. */
static int graph_from_sheet(const struct ddpqn_csv *csv, struct ddpqn_graph *g,
			    struct ddpqn_load_err *err)
{
	g->n = csv->nrows;
	for (unsigned i = 0; i < csv->nrows; i++) {
		const struct ddpqn_csv_row *r = &csv->rows[i];
		struct ddpqn_layer *l = &g->layers[i];

		memset(l, 0, sizeof(*l));
		memcpy(l->name, r->name, sizeof(l->name));
		l->line = r->line;
		l->exec_s = r->exec_s;
		l->out_mb = r->out_mb;
		for (unsigned k = 0; k < r->nsucc; k++) {
			unsigned s = r->succ[k];

			if (s == r->layer_no)
				return fail(err, csv->file, r->line, -EINVAL,
					    "layer %u (%s) lists itself as a successor",
					    s, r->name);
			if (s > csv->nrows)
				return fail(err, csv->file, r->line, -EINVAL,
					    "layer %u (%s) lists successor %u, beyond the last layer %u",
					    r->layer_no, r->name, s, csv->nrows);
			l->succ[l->nsucc++] = s - 1;
		}
	}
	return 0;
}

/* ---- GoogLeNet: an inception module rebuilt from its layer names ---- */

/* "inception_conv_4b2/3x3_s1" in module "4b" -> branch 2; 0 if not in it. */
static unsigned inception_branch(const char *name, const char *tag)
{
	static const char *const kinds[] = { "inception_conv_", "inception_pool_" };
	size_t tl = strlen(tag);

	for (unsigned k = 0; k < 2; k++) {
		size_t pl = strlen(kinds[k]);

		if (!strncmp(name, kinds[k], pl) && !strncmp(name + pl, tag, tl) &&
		    isdigit((unsigned char)name[pl + tl]) && name[pl + tl + 1] == '/')
			return name[pl + tl] - '0';
	}
	return 0;
}

static int rebuild_inception(struct ddpqn_graph *g, unsigned concat,
			     const char *file, struct ddpqn_load_err *err)
{
	char tag[DDPQN_NAME_LEN];
	const char *name = g->layers[concat].name;
	unsigned first = 0, last_of[10] = { 0 }, nbranch = 0;
	size_t tl = strlen(name) - strlen("inception_") - strlen("/DepthConcat");

	memcpy(tag, name + strlen("inception_"), tl);
	tag[tl] = '\0';
	for (unsigned i = 1; i < concat; i++) {
		unsigned b = inception_branch(g->layers[i].name, tag);

		if (!b)
			continue;
		if (!first)
			first = i;
		if (b > nbranch)
			nbranch = b;
	}
	if (!first || nbranch > 9)
		return fail(err, file, g->layers[concat].line, -EINVAL,
			    "inception module %s: no branch layers named after it", tag);
	/* The module input is the layer just before its first branch layer. */
	g->layers[first - 1].nsucc = 0;
	for (unsigned i = first; i < concat; i++) {
		unsigned b = inception_branch(g->layers[i].name, tag);

		if (!b)
			return fail(err, file, g->layers[i].line, -EINVAL,
				    "layer %s inside inception module %s is not one of its branches",
				    g->layers[i].name, tag);
		g->layers[i].nsucc = 0;
		if (last_of[b])
			add_edge(g, last_of[b], i);
		last_of[b] = i;
	}
	for (unsigned b = 1; b <= nbranch; b++) {
		if (!last_of[b])
			return fail(err, file, g->layers[concat].line, -EINVAL,
				    "inception module %s has no branch %u", tag, b);
		/* Branch heads: the first layer of the branch in row order. */
		for (unsigned i = first; i < concat; i++)
			if (inception_branch(g->layers[i].name, tag) == b) {
				add_edge(g, first - 1, i);
				break;
			}
		add_edge(g, last_of[b], concat);
	}
	return 0;
}

static int repair_googlenet(struct ddpqn_graph *g, enum ddpqn_inception mode,
			    const char *file, struct ddpqn_load_err *err)
{
	if (mode == DDPQN_INCEPTION_SHEET)
		return 0;
	for (unsigned i = 0; i < g->n; i++) {
		const char *nm = g->layers[i].name;
		size_t len = strlen(nm);
		int rc;

		if (strncmp(nm, "inception_", 10) || len < 23 ||
		    strcmp(nm + len - 12, "/DepthConcat"))
			continue;
		if (mode == DDPQN_INCEPTION_4B && strcmp(nm, "inception_4b/DepthConcat"))
			continue;
		rc = rebuild_inception(g, i, file, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- ResNet101: the graph its layer names define ---- */

/* "res4b_branch2a" / "res4rbranch2b" -> block "4b", part 0..3 (1,2a,2b,2c). */
static int resnet_part(const char *name, char *block, unsigned *part)
{
	static const char *const parts[] = { "branch1", "branch2a", "branch2b",
					     "branch2c" };
	const char *p = name + 3, *br;
	size_t bl;

	if (strncmp(name, "res", 3) || !isdigit((unsigned char)*p))
		return -1;
	br = strstr(name, "branch");
	if (!br)
		return -1;
	bl = br - p;
	if (bl && p[bl - 1] == '_')
		bl--;
	if (bl < 2 || bl >= 16)
		return -1;
	for (size_t k = 1; k < bl; k++)
		if (!islower((unsigned char)p[k]))
			return -1;
	memcpy(block, p, bl);
	block[bl] = '\0';
	for (unsigned k = 0; k < 4; k++)
		if (!strcmp(br, parts[k])) {
			*part = k;
			return 0;
		}
	return -1;
}

static unsigned push_layer(struct ddpqn_graph *g, const char *name,
			   unsigned line, double exec_s, double out_mb)
{
	struct ddpqn_layer *l = &g->layers[g->n];
	size_t len = strnlen(name, sizeof(l->name) - 1);

	memset(l, 0, sizeof(*l));
	memcpy(l->name, name, len);
	l->line = line;
	l->exec_s = exec_s;
	l->out_mb = out_mb;
	return g->n++;
}

static int repair_resnet(const struct ddpqn_csv *csv,
			 const struct ddpqn_graph_opts *o, struct ddpqn_graph *g,
			 struct ddpqn_load_err *err)
{
	static const char *const stem[] = { "conv1", "pool1" };
	static const char *const head[] = { "pool2", "fc" };
	const struct ddpqn_csv_row *r = csv->rows;
	unsigned n = csv->nrows, i, prev = 0;
	char name[DDPQN_NAME_LEN + 8];

	if (n < 4)
		return fail(err, csv->file, 0, -EINVAL, "ResNet sheet shorter than its stem and head");
	g->n = 0;
	for (i = 0; i < 2; i++) {
		if (strcmp(r[i].name, stem[i]))
			return fail(err, csv->file, r[i].line, -EINVAL,
				    "expected ResNet stem layer '%s', got '%s'", stem[i], r[i].name);
		prev = push_layer(g, r[i].name, r[i].line, r[i].exec_s, r[i].out_mb);
		if (i)
			add_edge(g, prev - 1, prev);
	}
	for (i = 2; i < n && strcmp(r[i].name, head[0]); i += 4) {
		char blk[4][16];
		unsigned part, idx[4];
		double b1_exec;

		for (unsigned k = 0; k < 4; k++) {
			if (i + k + 2 >= n || resnet_part(r[i + k].name, blk[k], &part) ||
			    part != k || (k && strcmp(blk[k], blk[0])))
				return fail(err, csv->file, r[i + k].line, -EINVAL,
					    "'%s' is not branch%s of a residual block in order "
					    "(branch1, branch2a, branch2b, branch2c)",
					    r[i + k].name, (const char *[]){ "1", "2a", "2b", "2c" }[k]);
		}
		b1_exec = r[i].exec_s;
		/* Identity blocks (all but the first of a stage) have no conv on
		 * the shortcut; the sheet still times their branch1 row. */
		if (o->identity_branch1_zero && blk[0][1] != 'a')
			b1_exec = 0;
		if (o->resnet == DDPQN_RESNET_COLLAPSE) {
			snprintf(name, sizeof(name), "res%s", blk[0]);
			idx[0] = push_layer(g, name, r[i].line,
					    b1_exec + r[i + 1].exec_s + r[i + 2].exec_s +
					    r[i + 3].exec_s, r[i + 3].out_mb);
			add_edge(g, prev, idx[0]);
			prev = idx[0];
			continue;
		}
		for (unsigned k = 0; k < 4; k++)
			idx[k] = push_layer(g, r[i + k].name, r[i + k].line,
					    k ? r[i + k].exec_s : b1_exec, r[i + k].out_mb);
		snprintf(name, sizeof(name), "res%s_add", blk[0]);
		add_edge(g, prev, idx[0]);
		add_edge(g, prev, idx[1]);
		add_edge(g, idx[1], idx[2]);
		add_edge(g, idx[2], idx[3]);
		prev = push_layer(g, name, 0, 0.0, r[i + 3].out_mb);
		add_edge(g, idx[0], prev);
		add_edge(g, idx[3], prev);
	}
	for (unsigned k = 0; k < 2; k++, i++) {
		if (i >= n || strcmp(r[i].name, head[k]))
			return fail(err, csv->file, i < n ? r[i].line : 0, -EINVAL,
				    "expected ResNet head layer '%s'", head[k]);
		add_edge(g, prev, g->n);
		prev = push_layer(g, r[i].name, r[i].line, r[i].exec_s, r[i].out_mb);
	}
	if (i != n)
		return fail(err, csv->file, r[i].line, -EINVAL,
			    "rows after the ResNet head layer 'fc'");
	return 0;
}

int ddpqn_graph_validate(const struct ddpqn_graph *g, const char *file,
			 struct ddpqn_load_err *err)
{
	unsigned sinks = 0;

	if (!g->n)
		return fail(err, file, 0, -EINVAL, "no layers");
	for (unsigned i = 0; i < g->n; i++) {
		const struct ddpqn_layer *l = &g->layers[i];

		for (unsigned k = 0; k < l->nsucc; k++) {
			if (l->succ[k] == i)
				return fail(err, file, l->line, -EINVAL,
					    "layer %u (%s) lists itself as a successor",
					    i + 1, l->name);
			if (l->succ[k] < i)
				return fail(err, file, l->line, -EINVAL,
					    "layer %u (%s) lists an earlier layer %u as a "
					    "successor (layers must be in topological order)",
					    i + 1, l->name, l->succ[k] + 1);
			if (l->succ[k] >= g->n)
				return fail(err, file, l->line, -EINVAL,
					    "layer %u (%s) lists successor %u, beyond the last layer %u",
					    i + 1, l->name, l->succ[k] + 1, g->n);
			for (unsigned m = 0; m < k; m++)
				if (l->succ[m] == l->succ[k])
					return fail(err, file, l->line, -EINVAL,
						    "layer %u (%s) lists successor %u twice",
						    i + 1, l->name, l->succ[k] + 1);
		}
		if (!l->nsucc)
			sinks++;
		if (i && !l->npred)
			return fail(err, file, l->line, -EINVAL,
				    "layer %u (%s) has no predecessor: it would never "
				    "get its input", i + 1, l->name);
		if (!isfinite(l->exec_s) || l->exec_s < 0 || !isfinite(l->out_mb) ||
		    l->out_mb < 0)
			return fail(err, file, l->line, -EINVAL,
				    "layer %u (%s) has a negative or non-finite time or size",
				    i + 1, l->name);
	}
	if (g->layers[0].npred)
		return fail(err, file, g->layers[0].line, -EINVAL,
			    "the first layer has a predecessor");
	if (sinks != 1 || g->layers[g->n - 1].nsucc)
		return fail(err, file, 0, -EINVAL,
			    "%u layers without successors; exactly one, the last, expected",
			    sinks);
	return 0;
}

int ddpqn_graph_build(const struct ddpqn_csv *csv,
		      const struct ddpqn_graph_opts *opts,
		      struct ddpqn_graph *out, struct ddpqn_load_err *err)
{
	static const struct ddpqn_graph_opts defaults;
	const struct ddpqn_graph_opts *o = opts ? opts : &defaults;
	struct ddpqn_graph *g;
	int rc;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	/* A rebuilt ResNet grows by one add node per block: check the room. */
	if (o->model == DDPQN_MODEL_RESNET101 && o->resnet != DDPQN_RESNET_SHEET &&
	    csv->nrows + csv->nrows / 4 + 1 > DDPQN_MAX_LAYERS) {
		rc = fail(err, csv->file, 0, -EFBIG, "too many layers for the rebuilt graph");
		goto out;
	}
	if (o->model == DDPQN_MODEL_RESNET101 && o->resnet != DDPQN_RESNET_SHEET)
		rc = repair_resnet(csv, o, g, err);
	else
		rc = graph_from_sheet(csv, g, err);
	if (!rc && o->model == DDPQN_MODEL_GOOGLENET)
		rc = repair_googlenet(g, o->inception, csv->file, err);
	if (!rc)
		rc = link_preds(g, csv->file, err);
	if (!rc)
		rc = ddpqn_graph_validate(g, csv->file, err);
	if (!rc) {
		snprintf(g->model, sizeof(g->model), "%s", ddpqn_model_name(o->model));
		memcpy(out, g, sizeof(*g));
	}
out:
	free(g);
	return rc;
}

int ddpqn_graph_load(const char *path, const struct ddpqn_graph_opts *opts,
		     struct ddpqn_graph *g, struct ddpqn_load_err *err)
{
	struct ddpqn_csv *csv = malloc(sizeof(*csv));
	int rc;

	if (!csv)
		return -ENOMEM;
	rc = ddpqn_csv_read(path, csv, err);
	if (!rc)
		rc = ddpqn_graph_build(csv, opts, g, err);
	free(csv);
	return rc;
}

unsigned ddpqn_graph_cuts(const struct ddpqn_graph *g, uint16_t *cuts)
{
	unsigned reach = 0, n = 0;

	for (unsigned v = 0; v < g->n; v++) {
		/* No edge from an earlier layer jumps over v. */
		if (reach <= v)
			cuts[n++] = v;
		for (unsigned k = 0; k < g->layers[v].nsucc; k++)
			if (g->layers[v].succ[k] > reach)
				reach = g->layers[v].succ[k];
	}
	return n;
}
