/* SPDX-License-Identifier: MIT */
#include "ddpqn_dp.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct segment {
	unsigned from, to, nbr;
	unsigned len[DDPQN_MAX_FAN];
	uint16_t node[DDPQN_MAX_FAN][DDPQN_DP_MAX_BRANCH];
};

/*
 * One placement of one branch's layers: the delay and the other terms of
 * its layers and of the edges between them (not the edges in and out).
 */
struct inner {
	double d, a;
	uint8_t br;
	uint8_t srv[DDPQN_DP_MAX_BRANCH];
};

/* An inner placement with its entry and exit edges, for servers (sa, sb). */
struct option {
	double d, a;
	unsigned idx;
	uint8_t br;
};

static int segment_parse(const struct ddpqn_graph *g, unsigned from, unsigned to,
			 struct segment *sg)
{
	const struct ddpqn_layer *f = &g->layers[from];
	unsigned inner = 0;

	memset(sg, 0, sizeof(*sg));
	sg->from = from;
	sg->to = to;
	for (unsigned k = 0; k < f->nsucc; k++) {
		unsigned x = f->succ[k], b = sg->nbr++;

		while (x != to) {
			const struct ddpqn_layer *l = &g->layers[x];

			if (l->npred != 1 || l->nsucc != 1 || sg->len[b] == DDPQN_DP_MAX_BRANCH)
				return -ENOTSUP;
			sg->node[b][sg->len[b]++] = x;
			inner++;
			x = l->succ[0];
		}
	}
	if (inner != to - from - 1 || g->layers[to].npred != sg->nbr)
		return -ENOTSUP;
	return 0;
}

static unsigned ipow(unsigned b, unsigned e)
{
	unsigned r = 1;

	while (e--)
		r *= b;
	return r;
}

#define LAST (DDPQN_DP_MAX_BRANCH - 1)	/* srv[LAST]: the last layer's server */

/* Same branch, same servers at both ends. */
static int same_ends(const struct inner *p, const struct inner *q)
{
	return p->br == q->br && p->srv[0] == q->srv[0] && p->srv[LAST] == q->srv[LAST];
}

static int by_group(const void *x, const void *y)
{
	const struct inner *p = x, *q = y;

	if (p->br != q->br)
		return p->br < q->br ? -1 : 1;
	if (p->srv[0] != q->srv[0])
		return p->srv[0] < q->srv[0] ? -1 : 1;
	if (p->srv[LAST] != q->srv[LAST])
		return p->srv[LAST] < q->srv[LAST] ? -1 : 1;
	if (p->d != q->d)
		return p->d < q->d ? -1 : 1;
	return p->a < q->a ? -1 : p->a > q->a;
}

/*
 * Every inner placement of every branch, less the dominated ones: with the
 * servers of a branch's first and last layers fixed, the edges in and out
 * add the same to every placement, so one with no less delay and no less of
 * the other terms than another can never be needed.
 */
static unsigned segment_inner(const struct ddpqn_env *env, const struct segment *sg,
			      struct inner *in)
{
	unsigned ns = ddpqn_env_nservers(env), n = 0, kept = 0;
	double dd, aa, min_a = INFINITY;

	for (unsigned b = 0; b < sg->nbr; b++) {
		unsigned len = sg->len[b], total = ipow(ns, len);

		for (unsigned c = 0; c < total; c++, n++) {
			unsigned code = c;

			memset(&in[n], 0, sizeof(in[n]));
			in[n].br = b;
			for (unsigned m = 0; m < len; m++, code /= ns) {
				unsigned s = code % ns, x = sg->node[b][m];

				in[n].srv[m] = s;
				if (m) {
					ddpqn_env_edge_terms(env, ddpqn_env_out_mb(env, sg->node[b][m - 1]),
							     in[n].srv[m - 1], s, &dd, &aa);
					in[n].d += dd;
					in[n].a += aa;
				}
				ddpqn_env_node_terms(env, x, s, &dd, &aa);
				in[n].d += dd;
				in[n].a += aa;
			}
			if (len)
				in[n].srv[LAST] = in[n].srv[len - 1];
		}
	}
	qsort(in, n, sizeof(*in), by_group);
	for (unsigned k = 0; k < n; k++) {
		if (!kept || !same_ends(&in[k], &in[kept - 1]))
			min_a = INFINITY;
		if (in[k].a < min_a) {
			min_a = in[k].a;
			in[kept++] = in[k];
		}
	}
	return kept;
}

static int by_delay(const void *x, const void *y)
{
	const struct option *a = x, *b = y;

	return a->d < b->d ? -1 : a->d > b->d ? 1 : 0;
}

/*
 * min over branch placements of wd * max_b d_b + sum_b a_b. Sweeping the
 * options by delay, each branch keeps its cheapest option so far; at the
 * optimum the threshold is the largest chosen delay, and at any threshold
 * the value is an upper bound of a real placement, so the sweep is exact.
 * @pick (may be NULL) gets the inner placement of each branch.
 */
static double segment_min(const struct ddpqn_env *env, const struct segment *sg,
			  const struct inner *in, unsigned nin, unsigned sa,
			  unsigned sb, struct option *o, const struct inner **pick)
{
	double wd = ddpqn_env_delay_weight(env), best_a[DDPQN_MAX_FAN], sum = 0, best = INFINITY;
	double ed[DDPQN_MAX_FAN][DDPQN_MAX_SERVERS], ea[DDPQN_MAX_FAN][DDPQN_MAX_SERVERS];
	double xd[DDPQN_MAX_FAN][DDPQN_MAX_SERVERS], xa[DDPQN_MAX_FAN][DDPQN_MAX_SERVERS];
	unsigned ns = ddpqn_env_nservers(env), have = 0;
	unsigned cur[DDPQN_MAX_FAN] = { 0 }, bestk[DDPQN_MAX_FAN] = { 0 };

	/* Edges into and out of each branch, by the server at the branch end. */
	for (unsigned b = 0; b < sg->nbr; b++) {
		unsigned len = sg->len[b];

		if (!len) {
			/* A direct edge: its inner placement has both ends at 0. */
			ddpqn_env_edge_terms(env, ddpqn_env_out_mb(env, sg->from), sa, sb,
					     &ed[b][0], &ea[b][0]);
			xd[b][0] = xa[b][0] = 0;
			continue;
		}
		for (unsigned x = 0; x < ns; x++) {
			ddpqn_env_edge_terms(env, ddpqn_env_out_mb(env, sg->from), sa, x,
					     &ed[b][x], &ea[b][x]);
			ddpqn_env_edge_terms(env, ddpqn_env_out_mb(env, sg->node[b][len - 1]),
					     x, sb, &xd[b][x], &xa[b][x]);
		}
	}
	for (unsigned k = 0; k < nin; k++) {
		unsigned b = in[k].br, f = in[k].srv[0], l = in[k].srv[LAST];

		o[k].d = in[k].d + ed[b][f] + xd[b][l];
		o[k].a = in[k].a + ea[b][f] + xa[b][l];
		o[k].idx = k;
		o[k].br = b;
	}
	qsort(o, nin, sizeof(*o), by_delay);
	for (unsigned b = 0; b < sg->nbr; b++)
		best_a[b] = INFINITY;
	for (unsigned k = 0; k < nin; k++) {
		unsigned b = o[k].br;

		if (o[k].a >= best_a[b])
			continue;
		if (best_a[b] == INFINITY)
			have++;
		else
			sum -= best_a[b];
		best_a[b] = o[k].a;
		cur[b] = k;
		sum += best_a[b];
		if (have == sg->nbr && wd * o[k].d + sum < best) {
			best = wd * o[k].d + sum;
			memcpy(bestk, cur, sizeof(cur));
		}
	}
	if (pick)
		for (unsigned b = 0; b < sg->nbr; b++)
			pick[b] = &in[o[bestk[b]].idx];
	return best;
}

int ddpqn_dp_solve(const struct ddpqn_env *env, uint8_t *place, double *value)
{
	const struct ddpqn_graph *g = ddpqn_env_graph(env);
	unsigned ns = ddpqn_env_nservers(env), ncut, maxopt = 0;
	double wd = ddpqn_env_delay_weight(env), *V, d, a, d2, a2, best;
	struct segment *segs = NULL;
	struct option *buf = NULL;
	struct inner *in = NULL;
	const struct inner *pick[DDPQN_MAX_FAN];
	unsigned nin;
	uint16_t cuts[DDPQN_MAX_LAYERS];
	uint8_t *back = NULL;
	unsigned last = 0;
	int rc = -ENOMEM;

	ncut = ddpqn_graph_cuts(g, cuts);
	V = calloc((size_t)ncut * ns, sizeof(*V));
	back = calloc((size_t)ncut * ns, 1);
	segs = calloc(ncut, sizeof(*segs));
	if (!V || !back || !segs)
		goto out;
	for (unsigned k = 0; k + 1 < ncut; k++) {
		unsigned nopt = 0;

		rc = segment_parse(g, cuts[k], cuts[k + 1], &segs[k]);
		if (rc)
			goto out;
		for (unsigned b = 0; b < segs[k].nbr; b++)
			nopt += ipow(ns, segs[k].len[b]);
		if (nopt > maxopt)
			maxopt = nopt;
	}
	rc = -ENOMEM;
	buf = calloc(maxopt ? maxopt : 1, sizeof(*buf));
	in = calloc(maxopt ? maxopt : 1, sizeof(*in));
	if (!buf || !in)
		goto out;
	/* The input comes from the client. */
	for (unsigned s = 0; s < ns; s++) {
		ddpqn_env_edge_terms(env, ddpqn_env_input_mb(env), 0, s, &d, &a);
		ddpqn_env_node_terms(env, cuts[0], s, &d2, &a2);
		V[s] = wd * (d + d2) + a + a2;
	}
	for (unsigned k = 0; k + 1 < ncut; k++) {
		nin = segment_inner(env, &segs[k], in);
		for (unsigned sb = 0; sb < ns; sb++) {
			double *row = V + (size_t)(k + 1) * ns;

			row[sb] = INFINITY;
			ddpqn_env_node_terms(env, cuts[k + 1], sb, &d, &a);
			for (unsigned sa = 0; sa < ns; sa++) {
				double v = V[(size_t)k * ns + sa] +
					   segment_min(env, &segs[k], in, nin, sa, sb, buf, NULL);

				if (v < row[sb]) {
					row[sb] = v;
					back[(size_t)(k + 1) * ns + sb] = sa;
				}
			}
			row[sb] += wd * d + a;
		}
	}
	best = INFINITY;
	for (unsigned s = 0; s < ns; s++) {
		double v = V[(size_t)(ncut - 1) * ns + s];

		if (ddpqn_env_params(env)->return_output) {
			ddpqn_env_edge_terms(env, ddpqn_env_out_mb(env, g->n - 1), s, 0, &d, &a);
			v += wd * d + a;
		}
		if (v < best) {
			best = v;
			last = s;
		}
	}
	/* Walk back: each cut's server, then each segment's inner layers. */
	place[cuts[ncut - 1]] = last;
	for (unsigned k = ncut - 1; k > 0; k--) {
		unsigned sb = place[cuts[k]], sa = back[(size_t)k * ns + sb];

		place[cuts[k - 1]] = sa;
		nin = segment_inner(env, &segs[k - 1], in);
		segment_min(env, &segs[k - 1], in, nin, sa, sb, buf, pick);
		for (unsigned b = 0; b < segs[k - 1].nbr; b++)
			for (unsigned m = 0; m < segs[k - 1].len[b]; m++)
				place[segs[k - 1].node[b][m]] = pick[b]->srv[m];
	}
	*value = best;
	rc = 0;
out:
	free(in);
	free(buf);
	free(segs);
	free(back);
	free(V);
	return rc;
}

/* ---- dp_ref: the DP placement under the full objective, improved ---- */

enum move {
	MOVE_RELABEL,	/* all of a task's layers on one server to another */
	MOVE_SUFFIX,	/* a task's layers from one on, to one server */
	MOVE_ONE,	/* one layer to another server */
};

/* @trial = @place with the move applied; 0 when that changes nothing. */
static int build_move(enum move m, unsigned c, uint8_t s2, unsigned n,
		      unsigned cells, const uint8_t *place, uint8_t *trial)
{
	unsigned first = c / n * n, end = first + n;

	memcpy(trial, place, cells);
	switch (m) {
	case MOVE_RELABEL:
		/* Once per (task, server): at the server's first layer. */
		if (memchr(place + first, place[c], c - first))
			return 0;
		for (unsigned k = c; k < end; k++)
			if (place[k] == place[c])
				trial[k] = s2;
		break;
	case MOVE_SUFFIX:
		memset(trial + c, s2, end - c);
		break;
	case MOVE_ONE:
		trial[c] = s2;
		break;
	}
	return memcmp(trial + first, place + first, n) != 0;
}

/* Server @s of a kind moved @by ranks along its kind, wrapping. */
static unsigned rotate(const struct ddpqn_env *env, unsigned s, unsigned by)
{
	unsigned ns = ddpqn_env_nservers(env), first = s, m = 0;
	enum ddpqn_kind k = ddpqn_env_kind(env, s);

	while (first > 0 && ddpqn_env_kind(env, first - 1) == k)
		first--;
	while (first + m < ns && ddpqn_env_kind(env, first + m) == k)
		m++;
	/* Ranks count down from the fastest, the last of the kind. */
	return first + (s - first + m - by % m) % m;
}

int ddpqn_dp_ref(struct ddpqn_env *env, unsigned max_evals,
		 const uint8_t *const *starts, unsigned nstarts, uint8_t *place,
		 struct ddpqn_ref_stats *st)
{
	unsigned n = ddpqn_env_nlayers(env), nt = ddpqn_env_ntasks(env);
	unsigned ns = ddpqn_env_nservers(env), cells = n * nt;
	struct ddpqn_totals t;
	uint8_t *trial;
	double best;
	int rc, improved = 1;

	memset(st, 0, sizeof(*st));
	trial = malloc(cells);
	if (!trial)
		return -ENOMEM;
	rc = ddpqn_dp_solve(env, place, &st->dp_additive);
	if (rc)
		goto out;
	for (unsigned i = 0; i < nt; i++)
		for (unsigned j = 0; j < n; j++) {
			place[i * n + j] = place[j];
			trial[i * n + j] = rotate(env, place[j], i);
		}
	rc = ddpqn_env_run(env, place, &st->dp_full);
	if (rc)
		goto out;
	st->start = -2;
	rc = ddpqn_env_run(env, trial, &t);
	if (rc)
		goto out;
	if (t.objective < st->dp_full.objective) {
		st->dp_full = t;
		st->start = -1;
		memcpy(place, trial, cells);
	}
	best = st->dp_full.objective;
	for (unsigned k = 0; k < nstarts; k++) {
		rc = ddpqn_env_run(env, starts[k], &t);
		if (rc)
			goto out;
		if (t.objective < best) {
			best = t.objective;
			st->start = k;
			memcpy(place, starts[k], cells);
		}
	}
	while (improved && st->evals < max_evals) {
		improved = 0;
		for (enum move m = MOVE_RELABEL; m <= MOVE_ONE; m++)
			for (unsigned c = 0; c < cells && st->evals < max_evals; c++)
				for (unsigned s2 = 0; s2 < ns && st->evals < max_evals; s2++) {
					if (!build_move(m, c, s2, n, cells, place, trial))
						continue;
					rc = ddpqn_env_run(env, trial, &t);
					if (rc)
						goto out;
					st->evals++;
					if (t.objective < best - 1e-12) {
						best = t.objective;
						memcpy(place, trial, cells);
						st->moves++;
						improved = 1;
					}
				}
	}
	rc = ddpqn_env_run(env, place, &st->ref);
out:
	free(trial);
	return rc;
}
