/* SPDX-License-Identifier: MIT */
/*
 * Loaders of the three Pre-DNNOff text files. One tokenizer serves all
 * three: a line is whitespace-separated words, '#' starts a comment, the
 * first word is a keyword. Each loader fills a private copy and only copies
 * it out when every rule held, so a refused file changes nothing.
 */
#include "pdo_model.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS	16
#define MAX_FILE_BYTES	(1u << 20)

static const char *const ltype_names[PDO_NLTYPES] = {
	"conv", "relu", "pool", "lrn", "dropout", "fc",
};
static const char *const reg_names[PDO_NREG] = {
	"conv", "relu", "pool", "lrn", "dropout", "fc", "load", "parse",
};
static const char *const site_names[PDO_NSITES] = { "device", "edge", "cloud" };

const char *pdo_ltype_name(unsigned int type)
{
	return type < PDO_NLTYPES ? ltype_names[type] : "?";
}

const char *pdo_site_name(unsigned int site)
{
	return site < PDO_NSITES ? site_names[site] : "?";
}

/* One line of a file being read, for error messages. */
struct lex {
	const char *name;
	unsigned int line;
	char *err;
	size_t errlen;
	char *w[MAX_WORDS];
	int nw;
};

__attribute__((format(printf, 2, 3)))
static int lex_fail(struct lex *x, const char *fmt, ...)
{
	char msg[PDO_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->err && x->errlen && x->line)
		snprintf(x->err, x->errlen, "%s:%u: %s", x->name, x->line, msg);
	else if (x->err && x->errlen)
		snprintf(x->err, x->errlen, "%s: %s", x->name, msg);
	return -EINVAL;
}

/* Splits @line in place; returns the word count or -EINVAL. */
static int lex_split(struct lex *x, char *line)
{
	char *hash = strchr(line, '#');
	char *save = NULL, *tok;

	if (hash)
		*hash = '\0';
	x->nw = 0;
	for (tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
		if (x->nw == MAX_WORDS)
			return lex_fail(x, "more than %d words on a line", MAX_WORDS);
		x->w[x->nw++] = tok;
	}
	return x->nw;
}

static int parse_u32(struct lex *x, const char *s, const char *what, uint32_t lo,
		     uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
		return lex_fail(x, "%s '%s' is not an integer in %u..%u", what, s, lo, hi);
	*out = (uint32_t)v;
	return 0;
}

static int parse_double(struct lex *x, const char *s, const char *what, double lo,
			double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return lex_fail(x, "%s '%s' is not a number in %g..%g", what, s, lo, hi);
	*out = v;
	return 0;
}

static int want_words(struct lex *x, int lo, int hi)
{
	if (x->nw < lo || x->nw > hi) {
		if (lo == hi)
			return lex_fail(x, "'%s' takes %d value(s), got %d", x->w[0],
					lo - 1, x->nw - 1);
		return lex_fail(x, "'%s' takes %d to %d values, got %d", x->w[0],
				lo - 1, hi - 1, x->nw - 1);
	}
	return 0;
}

typedef int (*line_fn)(struct lex *x, void *ctx);

/*
 * Runs @fn on every non-empty line of @text after checking that the first
 * one is "@magic 1". @text is copied: callers keep theirs.
 */
static int lex_run(const char *name, const char *text, const char *magic, line_fn fn,
		   void *ctx, char *err, size_t errlen)
{
	struct lex x = { .name = name, .err = err, .errlen = errlen };
	char *buf = strdup(text), *line, *next;
	int seen_magic = 0, rc = 0;

	if (!buf)
		return -ENOMEM;
	for (line = buf; line && !rc; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		x.line++;
		rc = lex_split(&x, line);
		if (rc <= 0)
			continue;
		rc = 0;
		if (!seen_magic) {
			if (x.nw != 2 || strcmp(x.w[0], magic) || strcmp(x.w[1], "1"))
				rc = lex_fail(&x, "expected '%s 1' as the first line", magic);
			seen_magic = 1;
			continue;
		}
		rc = fn(&x, ctx);
	}
	if (!rc && !seen_magic) {
		x.line = 1;
		rc = lex_fail(&x, "empty file, expected '%s 1'", magic);
	}
	free(buf);
	return rc;
}

/* Reads a whole file (at most MAX_FILE_BYTES) into a NUL-terminated buffer. */
static int read_text(const char *path, char **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;
	int rc;

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	buf = malloc(MAX_FILE_BYTES + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, MAX_FILE_BYTES + 1, f);
	rc = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!rc && n > MAX_FILE_BYTES)
		rc = -EFBIG;
	if (!rc && memchr(buf, '\0', n))
		rc = -EINVAL;
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, rc == -EFBIG ? "larger than 1 MiB" :
			 rc == -EINVAL ? "contains a NUL byte (not a text file)" : "read error");
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static int load_with(const char *path, void *out,
		     int (*parse)(const char *, const char *, void *, char *, size_t),
		     char *err, size_t errlen)
{
	char *text = NULL;
	int rc = read_text(path, &text, err, errlen);

	if (rc)
		return rc;
	rc = parse(path, text, out, err, errlen);
	free(text);
	return rc;
}

/* ---- the layer graph ---------------------------------------------------- */

struct graph_ctx {
	struct pdo_graph g;
	uint8_t have_model, have_elem, have_input, have_exits;
	uint8_t branch_started[PDO_MAX_EXITS + 1];
	uint8_t has_same_child[PDO_MAX_LAYERS];
	uint8_t has_child[PDO_MAX_LAYERS];
};

static int parse_shape(struct lex *x, const char *s, uint32_t *c, uint32_t *h, uint32_t *w)
{
	char buf[64], *save = NULL, *part;
	uint32_t v[3] = { 1, 1, 1 };
	int i = 0;

	if (strlen(s) >= sizeof(buf))
		return lex_fail(x, "shape '%s' too long", s);
	strcpy(buf, s);
	for (part = strtok_r(buf, "x", &save); part; part = strtok_r(NULL, "x", &save)) {
		if (i == 3 || parse_u32(x, part, "shape dimension", 1, 1u << 24, &v[i]))
			return lex_fail(x, "shape '%s' is not CxHxW or N", s);
		i++;
	}
	if (i != 1 && i != 3)
		return lex_fail(x, "shape '%s' is not CxHxW or N", s);
	*c = v[0];
	*h = v[1];
	*w = v[2];
	return 0;
}

/* Optional key=value words after the shapes: k, s, p, n. */
static int parse_kv(struct lex *x, struct pdo_layer *l, uint8_t seen[4])
{
	static const char keys[] = "kspn";
	uint32_t *dst[4] = { &l->k, &l->s, &l->p, &l->n };

	for (int i = 7; i < x->nw; i++) {
		const char *kw = x->w[i], *key = strchr(keys, kw[0]);

		if (!key || kw[0] == '\0' || kw[1] != '=')
			return lex_fail(x, "'%s' is not one of k=, s=, p=, n=", kw);
		if (seen[key - keys]++)
			return lex_fail(x, "'%c=' given twice", kw[0]);
		if (parse_u32(x, kw + 2, "layer parameter", kw[0] == 'p' ? 0 : 1,
			      1u << 20, dst[key - keys]))
			return -EINVAL;
	}
	return 0;
}

static uint32_t pool_out(uint32_t in, uint32_t k, uint32_t s, uint32_t p, int ceil_mode)
{
	uint32_t span = in + 2 * p - k;

	return (ceil_mode ? (span + s - 1) / s : span / s) + 1;
}

static int layer_check_shape(struct lex *x, const struct graph_ctx *c, struct pdo_layer *l,
			     const uint8_t seen[4])
{
	uint32_t pc = c->g.in_c, ph = c->g.in_h, pw = c->g.in_w;
	uint64_t in_elems = (uint64_t)l->in_c * l->in_h * l->in_w;

	if (l->parent >= 0) {
		const struct pdo_layer *par = &c->g.layers[l->parent];

		pc = par->out_c;
		ph = par->out_h;
		pw = par->out_w;
	}
	if (l->type == PDO_FC) {
		if (in_elems != (uint64_t)pc * ph * pw)
			return lex_fail(x, "fc input has %llu elements, its parent gives %llu",
					(unsigned long long)in_elems,
					(unsigned long long)pc * ph * pw);
		if (l->out_h != 1 || l->out_w != 1)
			return lex_fail(x, "fc output must be a vector N");
		return 0;
	}
	if (l->in_c != pc || l->in_h != ph || l->in_w != pw)
		return lex_fail(x, "input %ux%ux%u does not match the parent's output %ux%ux%u",
				l->in_c, l->in_h, l->in_w, pc, ph, pw);
	if (l->type == PDO_CONV || l->type == PDO_POOL) {
		if (!seen[0] || !seen[1] || (l->type == PDO_CONV && !seen[3]))
			return lex_fail(x, "%s needs k= and s=%s", pdo_ltype_name(l->type),
					l->type == PDO_CONV ? " and n=" : "");
		if (l->k > l->in_h + 2 * l->p || l->k > l->in_w + 2 * l->p)
			return lex_fail(x, "kernel %u larger than the padded input", l->k);
	}
	if (l->type == PDO_CONV) {
		if (l->out_c != l->n || l->out_h != pool_out(l->in_h, l->k, l->s, l->p, 0) ||
		    l->out_w != pool_out(l->in_w, l->k, l->s, l->p, 0))
			return lex_fail(x, "conv output should be %ux%ux%u",
					l->n, pool_out(l->in_h, l->k, l->s, l->p, 0),
					pool_out(l->in_w, l->k, l->s, l->p, 0));
	} else if (l->type == PDO_POOL) {
		/* Chainer pools in ceil mode (cover_all), others in floor mode. */
		int okh = l->out_h == pool_out(l->in_h, l->k, l->s, l->p, 0) ||
			  l->out_h == pool_out(l->in_h, l->k, l->s, l->p, 1);
		int okw = l->out_w == pool_out(l->in_w, l->k, l->s, l->p, 0) ||
			  l->out_w == pool_out(l->in_w, l->k, l->s, l->p, 1);

		if (l->out_c != l->in_c || !okh || !okw)
			return lex_fail(x, "pool output should be %ux%ux%u (floor) or %ux%ux%u (ceil)",
					l->in_c, pool_out(l->in_h, l->k, l->s, l->p, 0),
					pool_out(l->in_w, l->k, l->s, l->p, 0), l->in_c,
					pool_out(l->in_h, l->k, l->s, l->p, 1),
					pool_out(l->in_w, l->k, l->s, l->p, 1));
	} else if (l->out_c != l->in_c || l->out_h != l->in_h || l->out_w != l->in_w) {
		return lex_fail(x, "%s keeps its input shape", pdo_ltype_name(l->type));
	}
	return 0;
}

static int layer_check_branch(struct lex *x, struct graph_ctx *c, const struct pdo_layer *l)
{
	uint32_t P = c->g.nexits;

	if (l->branch < 1 || l->branch > P)
		return lex_fail(x, "branch %u outside 1..%u", l->branch, P);
	if (l->parent < 0) {
		if (l->branch != P || c->branch_started[P])
			return lex_fail(x, "only the first layer of the main branch %u may "
					"take the input", P);
		c->branch_started[P] = 1;
		return 0;
	}
	if (l->branch == c->g.layers[l->parent].branch) {
		if (c->has_same_child[l->parent])
			return lex_fail(x, "branch %u forks at '%s': a branch is a chain",
					l->branch, c->g.layers[l->parent].name);
		c->has_same_child[l->parent] = 1;
		return 0;
	}
	if (c->branch_started[l->branch])
		return lex_fail(x, "branch %u already started; a side branch leaves the "
				"trunk once", l->branch);
	c->branch_started[l->branch] = 1;
	return 0;
}

static void layer_derive(const struct pdo_graph *g, struct pdo_layer *l)
{
	uint64_t eb = g->elem_bytes;

	l->in_bytes = (uint64_t)l->in_c * l->in_h * l->in_w * eb;
	l->out_bytes = (uint64_t)l->out_c * l->out_h * l->out_w * eb;
	l->x1 = (double)l->in_bytes;
	l->x2 = 0;
	l->weight_bytes = 0;
	switch (l->type) {
	case PDO_CONV:
		/* Table 4.1: (K_size / Stride)^2 * K_number * Channel. */
		l->x2 = ((double)l->k / l->s) * ((double)l->k / l->s) * l->n * l->in_c;
		l->weight_bytes = ((uint64_t)l->k * l->k * l->in_c * l->n + l->n) * eb;
		break;
	case PDO_POOL:
		l->x2 = (double)l->out_bytes;
		break;
	case PDO_FC:
		l->x2 = (double)l->out_bytes;
		l->weight_bytes = ((uint64_t)l->in_c * l->in_h * l->in_w * l->out_c +
				   l->out_c) * eb;
		break;
	default:
		break;
	}
}

static int graph_layer(struct lex *x, struct graph_ctx *c)
{
	struct pdo_graph *g = &c->g;
	struct pdo_layer l = { 0 };
	uint8_t seen[4] = { 0 };
	uint32_t branch;
	int type = -1;

	if (!c->have_elem || !c->have_input || !c->have_exits)
		return lex_fail(x, "'elem_bytes', 'input' and 'exits' must come before layers");
	if (x->nw < 7)
		return lex_fail(x, "layer needs NAME TYPE PARENT BRANCH IN OUT [k= s= p= n=]");
	if (g->nlayers == PDO_MAX_LAYERS)
		return lex_fail(x, "more than %d layers", PDO_MAX_LAYERS);
	if (strlen(x->w[1]) >= PDO_NAME_MAX || !strcmp(x->w[1], "input"))
		return lex_fail(x, "layer name '%s' too long or reserved", x->w[1]);
	for (uint32_t i = 0; i < g->nlayers; i++)
		if (!strcmp(g->layers[i].name, x->w[1]))
			return lex_fail(x, "layer '%s' defined twice", x->w[1]);
	strcpy(l.name, x->w[1]);
	for (int t = 0; t < PDO_NLTYPES; t++)
		if (!strcmp(x->w[2], ltype_names[t]))
			type = t;
	if (type < 0)
		return lex_fail(x, "unknown layer type '%s' (conv relu pool lrn dropout fc)",
				x->w[2]);
	l.type = (uint8_t)type;
	l.parent = -2;
	if (!strcmp(x->w[3], "input"))
		l.parent = -1;
	for (uint32_t i = 0; i < g->nlayers && l.parent == -2; i++)
		if (!strcmp(g->layers[i].name, x->w[3]))
			l.parent = (int16_t)i;
	if (l.parent == -2)
		return lex_fail(x, "parent '%s' is not a layer defined above", x->w[3]);
	if (parse_u32(x, x->w[4], "branch", 1, PDO_MAX_EXITS, &branch))
		return -EINVAL;
	l.branch = (uint8_t)branch;
	l.s = 1;
	if (parse_shape(x, x->w[5], &l.in_c, &l.in_h, &l.in_w) ||
	    parse_shape(x, x->w[6], &l.out_c, &l.out_h, &l.out_w) ||
	    parse_kv(x, &l, seen) || layer_check_shape(x, c, &l, seen) ||
	    layer_check_branch(x, c, &l))
		return -EINVAL;
	layer_derive(g, &l);
	if (l.parent >= 0)
		c->has_child[l.parent] = 1;
	g->layers[g->nlayers++] = l;
	return 0;
}

static int graph_line(struct lex *x, void *ctx)
{
	struct graph_ctx *c = ctx;
	struct pdo_graph *g = &c->g;
	const char *kw = x->w[0];

	if (!strcmp(kw, "layer"))
		return graph_layer(x, c);
	if (!strcmp(kw, "model")) {
		if (want_words(x, 2, 2))
			return -EINVAL;
		if (c->have_model++ || strlen(x->w[1]) >= PDO_NAME_MAX)
			return lex_fail(x, "'model' given twice or name too long");
		strcpy(g->model, x->w[1]);
		return 0;
	}
	if (c->have_model == 0 || g->nlayers)
		return lex_fail(x, "'%s' must come after 'model' and before the layers", kw);
	if (!strcmp(kw, "elem_bytes")) {
		if (want_words(x, 2, 2) || c->have_elem++ ||
		    parse_u32(x, x->w[1], "elem_bytes", 1, 8, &g->elem_bytes))
			return lex_fail(x, "bad or repeated 'elem_bytes'");
		return 0;
	}
	if (!strcmp(kw, "input")) {
		if (want_words(x, 2, 2) || c->have_input++ ||
		    parse_shape(x, x->w[1], &g->in_c, &g->in_h, &g->in_w))
			return lex_fail(x, "bad or repeated 'input' (CxHxW)");
		return 0;
	}
	if (!strcmp(kw, "exits")) {
		if (want_words(x, 2, 2) || c->have_exits++ ||
		    parse_u32(x, x->w[1], "exits", 1, PDO_MAX_EXITS, &g->nexits))
			return lex_fail(x, "bad or repeated 'exits' (1..%d)", PDO_MAX_EXITS);
		return 0;
	}
	return lex_fail(x, "unknown keyword '%s' (model elem_bytes input exits layer)", kw);
}

static int graph_finish(struct lex *x, struct graph_ctx *c)
{
	struct pdo_graph *g = &c->g;

	if (!g->nlayers)
		return lex_fail(x, "no layers");
	for (uint32_t k = 1; k <= g->nexits; k++) {
		if (!c->branch_started[k])
			return lex_fail(x, "branch %u has no layers", k);
		g->exit_leaf[k] = -1;
	}
	for (uint32_t i = 0; i < g->nlayers; i++) {
		const struct pdo_layer *l = &g->layers[i];

		if (c->has_same_child[i])
			continue;
		/* The end of a branch is its exit: nothing may hang below it. */
		if (c->has_child[i])
			return lex_fail(x, "layer '%s' ends branch %u but has children",
					l->name, l->branch);
		g->exit_leaf[l->branch] = (int16_t)i;
	}
	g->in_bytes = (uint64_t)g->in_c * g->in_h * g->in_w * g->elem_bytes;
	return 0;
}

int pdo_graph_parse(const char *name, const char *text, struct pdo_graph *g,
		    char *err, size_t errlen)
{
	struct graph_ctx *c = calloc(1, sizeof(*c));
	struct lex x = { .name = name, .err = err, .errlen = errlen };
	int rc;

	if (!c)
		return -ENOMEM;
	rc = lex_run(name, text, "prednnoff-graph", graph_line, c, err, errlen);
	if (!rc) {
		for (const char *p = text; *p; p++)
			x.line += *p == '\n';
		rc = graph_finish(&x, c);
	}
	if (!rc)
		*g = c->g;
	free(c);
	return rc;
}

static int graph_parse_v(const char *n, const char *t, void *o, char *e, size_t el)
{
	return pdo_graph_parse(n, t, o, e, el);
}

int pdo_graph_load(const char *path, struct pdo_graph *g, char *err, size_t errlen)
{
	return load_with(path, g, graph_parse_v, err, errlen);
}

/* ---- the regression models (Table 4.2) ---------------------------------- */

static int regress_line(struct lex *x, void *ctx)
{
	struct pdo_regress *r = ctx;
	int site = -1, kind = -1;
	double c[3];

	if (strcmp(x->w[0], "model"))
		return lex_fail(x, "unknown keyword '%s' (model SITE KIND C1 C2 C0)", x->w[0]);
	if (want_words(x, 6, 6))
		return -EINVAL;
	for (int s = 0; s < 2; s++)
		if (!strcmp(x->w[1], site_names[s]))
			site = s;
	for (int k = 0; k < PDO_NREG; k++)
		if (!strcmp(x->w[2], reg_names[k]))
			kind = k;
	if (site < 0)
		return lex_fail(x, "site '%s' is not device or edge (the cloud is derived "
				"from the edge)", x->w[1]);
	if (kind < 0)
		return lex_fail(x, "kind '%s' unknown (conv relu pool lrn dropout fc load parse)",
				x->w[2]);
	if (r->have[site][kind])
		return lex_fail(x, "%s %s given twice", x->w[1], x->w[2]);
	for (int i = 0; i < 3; i++)
		if (parse_double(x, x->w[3 + i], "coefficient", -1e6, 1e6, &c[i]))
			return -EINVAL;
	/* Table 4.1: conv, pool and fc have two variables, the rest one. */
	if (c[1] != 0 && kind != PDO_CONV && kind != PDO_POOL && kind != PDO_FC)
		return lex_fail(x, "%s has one variable: C2 must be 0", x->w[2]);
	memcpy(r->c[site][kind], c, sizeof(c));
	r->have[site][kind] = 1;
	return 0;
}

int pdo_regress_parse(const char *name, const char *text, struct pdo_regress *r,
		      char *err, size_t errlen)
{
	struct pdo_regress tmp = { 0 };
	struct lex x = { .name = name, .err = err, .errlen = errlen, .line = 1 };
	int rc = lex_run(name, text, "prednnoff-regression", regress_line, &tmp, err, errlen);

	if (rc)
		return rc;
	for (int s = 0; s < 2; s++)
		for (int k = 0; k <= PDO_REG_LOAD; k++)
			if (!tmp.have[s][k])
				return lex_fail(&x, "missing 'model %s %s'", site_names[s],
						reg_names[k]);
	if (!tmp.have[PDO_DEVICE][PDO_REG_PARSE])
		return lex_fail(&x, "missing 'model device parse'");
	*r = tmp;
	return 0;
}

static int regress_parse_v(const char *n, const char *t, void *o, char *e, size_t el)
{
	return pdo_regress_parse(n, t, o, e, el);
}

int pdo_regress_load(const char *path, struct pdo_regress *r, char *err, size_t errlen)
{
	return load_with(path, r, regress_parse_v, err, errlen);
}

double pdo_reg_ms(const struct pdo_regress *r, unsigned int site, unsigned int kind,
		  double x)
{
	const double *c;
	double t;

	if (site > PDO_EDGE || kind >= PDO_NREG || !r->have[site][kind])
		return 0;
	c = r->c[site][kind];
	t = c[0] * x + c[2];
	return t > 0 ? t : 0;
}

double pdo_layer_ms(const struct pdo_regress *r, unsigned int site,
		    const struct pdo_layer *l)
{
	const double *c;
	double t;

	if (site > PDO_EDGE || l->type >= PDO_NLTYPES)
		return 0;
	c = r->c[site][l->type];
	t = c[0] * l->x1 + c[1] * l->x2 + c[2];
	/* The device's conv fit has a negative intercept: clamp tiny layers. */
	return t > 0 ? t : 0;
}

/* ---- the open parameters ------------------------------------------------ */

void pdo_params_default(struct pdo_params *p)
{
	static const double acc[] = { 0.524, 0.589, 0.654, 0.719, 0.784 };

	memset(p, 0, sizeof(*p));
	p->nacc = 5;
	memcpy(&p->acc[1], acc, sizeof(acc));
	p->ac_mean = 0.625;
	p->ac_sigma = 0.053;
	p->bandwidth_mhz = 20;
	p->snr_db = 10.7918;		/* 20 MHz x log2(1 + SNR) = 74.0 Mbit/s */
	p->wired_mbps = 100;
	p->cloud_speedup = 2;
	p->edge_slowdown = 1;
	p->tiers = 3;
	p->loading = PDO_LOAD_ONCE;
	p->edgent_bound_ms = 100;
	p->random_samples = 1000;
	p->seed = 1;
	p->ga_paper = (struct pdo_ga_conf){ .pop = 40, .gens = 50, .runs = 20, .elite = 0,
					    .pc = 0.8, .pm = 0.2, .scale = 2.0, .polish = 0 };
	p->ga_variant = (struct pdo_ga_conf){ .pop = 60, .gens = 200, .runs = 20, .elite = 2,
					      .pc = 0.8, .pm = 0.5, .scale = 2.0, .polish = 1 };
}

struct num_key {
	const char *key;
	size_t off;
	uint8_t is_int;
	double lo, hi;
};

#define PK_D(name, lo, hi) { #name, offsetof(struct pdo_params, name), 0, lo, hi }
#define PK_U(name, lo, hi) { #name, offsetof(struct pdo_params, name), 1, lo, hi }
#define GA_KEYS(g) \
	PK_U(g.pop, 2, 10000), PK_U(g.gens, 1, 100000), PK_U(g.runs, 1, 1000), \
	PK_U(g.elite, 0, 1000), PK_D(g.pc, 0, 1), PK_D(g.pm, 0, 1), \
	PK_D(g.scale, 1.01, 100), PK_U(g.polish, 0, 1)

static const struct num_key num_keys[] = {
	PK_D(ac_mean, 0, 1), PK_D(ac_sigma, 1e-6, 1),
	PK_D(bandwidth_mhz, 1e-3, 1e4), PK_D(snr_db, -50, 80),
	PK_D(wired_mbps, 1e-3, 1e6), PK_D(cloud_speedup, 1e-3, 1e3),
	PK_D(edge_slowdown, 1e-3, 1e3), PK_U(tiers, 2, 3),
	PK_D(edgent_bound_ms, 0, 1e9), PK_U(random_samples, 1, 1000000),
	PK_U(seed, 0, UINT32_MAX),
	GA_KEYS(ga_paper), GA_KEYS(ga_variant),
};

static int params_assign(struct lex *x, struct pdo_params *p, const char *key,
			 const char *val)
{
	if (!strcmp(key, "loading")) {
		if (!strcmp(val, "once"))
			p->loading = PDO_LOAD_ONCE;
		else if (!strcmp(val, "per_task"))
			p->loading = PDO_LOAD_PER_TASK;
		else
			return lex_fail(x, "loading '%s' is not once or per_task", val);
		return 0;
	}
	for (size_t i = 0; i < sizeof(num_keys) / sizeof(num_keys[0]); i++) {
		const struct num_key *k = &num_keys[i];
		double d;

		if (strcmp(k->key, key))
			continue;
		if (parse_double(x, val, key, k->lo, k->hi, &d))
			return -EINVAL;
		if (!k->is_int) {
			*(double *)((char *)p + k->off) = d;
		} else if (d != floor(d)) {
			return lex_fail(x, "%s '%s' must be an integer", key, val);
		} else if (!strcmp(key, "seed")) {
			p->seed = (uint64_t)d;
		} else {
			*(uint32_t *)((char *)p + k->off) = (uint32_t)d;
		}
		return 0;
	}
	return lex_fail(x, "unknown parameter '%s'", key);
}

static int params_line(struct lex *x, void *ctx)
{
	struct pdo_params *p = ctx;

	if (!strcmp(x->w[0], "acc")) {
		if (x->nw < 2 || x->nw > PDO_MAX_EXITS + 1)
			return lex_fail(x, "'acc' takes 1..%d accuracies", PDO_MAX_EXITS);
		for (int i = 1; i < x->nw; i++) {
			if (parse_double(x, x->w[i], "accuracy", 0, 1, &p->acc[i]))
				return -EINVAL;
			if (i > 1 && p->acc[i] < p->acc[i - 1])
				return lex_fail(x, "accuracies must not decrease with the exit");
		}
		p->nacc = (uint32_t)x->nw - 1;
		return 0;
	}
	if (want_words(x, 2, 2))
		return -EINVAL;
	return params_assign(x, p, x->w[0], x->w[1]);
}

int pdo_params_parse(const char *name, const char *text, struct pdo_params *p,
		     char *err, size_t errlen)
{
	struct pdo_params tmp = *p;
	struct lex x = { .name = name, .err = err, .errlen = errlen, .line = 1 };
	int rc = lex_run(name, text, "prednnoff-params", params_line, &tmp, err, errlen);

	if (rc)
		return rc;
	if (tmp.ga_paper.elite >= tmp.ga_paper.pop || tmp.ga_variant.elite >= tmp.ga_variant.pop)
		return lex_fail(&x, "GA elite must be smaller than the population");
	*p = tmp;
	return 0;
}

/* One "key value" override from a command line, checked as a file line. */
int pdo_params_set(struct pdo_params *p, const char *key, const char *val,
		   char *err, size_t errlen)
{
	struct lex x = { .name = "parameter", .err = err, .errlen = errlen, .line = 0 };
	struct pdo_params tmp = *p;
	int rc = params_assign(&x, &tmp, key, val);

	if (!rc)
		*p = tmp;
	return rc;
}

static int params_parse_v(const char *n, const char *t, void *o, char *e, size_t el)
{
	return pdo_params_parse(n, t, o, e, el);
}

int pdo_params_load(const char *path, struct pdo_params *p, char *err, size_t errlen)
{
	return load_with(path, p, params_parse_v, err, errlen);
}

int pdo_params_check(const struct pdo_params *p, const struct pdo_graph *g,
		     char *err, size_t errlen)
{
	if (p->nacc != g->nexits) {
		snprintf(err, errlen, "params: %u accuracies for a graph with %u exits",
			 p->nacc, g->nexits);
		return -EINVAL;
	}
	return 0;
}

int pdo_bundle_load(struct pdo_bundle *b, const char *dir, const char *graph,
		    const char *regress, const char *params, char *err, size_t errlen)
{
	char path[3][4096];
	const char *given[3] = { graph, regress, params };
	static const char *const names[3] = { PDO_GRAPH_FILE, PDO_REGRESS_FILE,
					       PDO_PARAMS_FILE };
	int rc;

	for (int i = 0; i < 3; i++) {
		if (given[i])
			snprintf(path[i], sizeof(path[i]), "%s", given[i]);
		else if (snprintf(path[i], sizeof(path[i]), "%s/%s", dir, names[i]) >=
			 (int)sizeof(path[i]))
			return -ENAMETOOLONG;
	}
	pdo_params_default(&b->p);
	rc = pdo_graph_load(path[0], &b->g, err, errlen);
	if (!rc)
		rc = pdo_regress_load(path[1], &b->r, err, errlen);
	if (!rc)
		rc = pdo_params_load(path[2], &b->p, err, errlen);
	if (!rc)
		rc = pdo_params_check(&b->p, &b->g, err, errlen);
	return rc;
}
