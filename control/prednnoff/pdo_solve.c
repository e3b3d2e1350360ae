/* SPDX-License-Identifier: MIT */
#include "pdo_solve.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_rng.h"

#define NMASK (1u << PDO_NSITES)

/* ---- exact: dynamic programme over the tree ----------------------------- */

struct dp_tab {
	double g[PDO_MAX_LAYERS][PDO_NSITES][NMASK];
	/* site of child v given its parent's site and path mask */
	uint8_t pick[PDO_MAX_LAYERS][PDO_NSITES][NMASK];
	int16_t first_child[PDO_MAX_LAYERS + 1];	/* [n] = the input's */
	int16_t next_sib[PDO_MAX_LAYERS];
	/* Sites tracked in the path set: all when some site has a loading
	 * intercept, none otherwise (the set then changes no cost, and one
	 * state per (layer, site) is exact). */
	unsigned int keep;
};

/*
 * Best site for child v when its parent sits on @ps with path mask @pm:
 * the move into v plus v's subtree. Records the choice for the walk back.
 */
static double dp_child(const struct pdo_cost *c, struct dp_tab *t, int v, unsigned int ps,
		       unsigned int pm, double bytes)
{
	double best = INFINITY;
	uint8_t arg = 0;

	for (unsigned int s = 0; s < c->nsites; s++) {
		double x = c->w[v] * pdo_cost_move_ms(c, ps, s, bytes) +
			   t->g[v][s][(pm | (1u << s)) & t->keep];

		if (x < best) {
			best = x;
			arg = (uint8_t)s;
		}
	}
	t->pick[v][ps][pm] = arg;
	return best;
}

static void dp_place(const struct dp_tab *t, int first, unsigned int ps, unsigned int pm,
		     uint8_t *loc)
{
	for (int v = first; v >= 0; v = t->next_sib[v]) {
		unsigned int s = t->pick[v][ps][pm];

		loc[v] = (uint8_t)s;
		dp_place(t, t->first_child[v], s, (pm | (1u << s)) & t->keep, loc);
	}
}

int pdo_dp_solve(const struct pdo_cost *c, uint8_t *loc, double *ms)
{
	static __thread struct dp_tab tab;
	struct dp_tab *t = &tab;
	int n = (int)c->n;
	double total = 0;

	if (n <= 0 || n > PDO_MAX_LAYERS)
		return -EINVAL;
	t->keep = 0;
	for (unsigned int s = 0; s < PDO_NSITES; s++)
		if (c->icpt_ms[s] != 0)
			t->keep = NMASK - 1;
	for (int v = 0; v <= n; v++)
		t->first_child[v] = -1;
	for (int v = n - 1; v >= 0; v--) {
		int u = c->parent[v] < 0 ? n : c->parent[v];

		t->next_sib[v] = t->first_child[u];
		t->first_child[u] = (int16_t)v;
	}
	/* Children come after parents, so a backward sweep is a post-order. */
	for (int v = n - 1; v >= 0; v--) {
		for (unsigned int s = 0; s < c->nsites; s++) {
			for (unsigned int m = 0; m < NMASK; m++) {
				double x;

				if ((m & ~t->keep) || (t->keep && !(m & (1u << s))))
					continue;
				x = c->w[v] * c->exec_ms[v][s];
				if (c->exit_of[v]) {
					unsigned int k = c->exit_of[v];

					x += c->p[k] * (pdo_cost_move_ms(c, s, PDO_DEVICE,
									 c->out_bytes[v]) +
							c->tail_ms[k] + pdo_cost_icpt_ms(c, m));
				}
				for (int ch = t->first_child[v]; ch >= 0; ch = t->next_sib[ch])
					x += dp_child(c, t, ch, s, m, c->out_bytes[v]);
				t->g[v][s][m] = x;
			}
		}
	}
	/* The input sits on the device and has loaded nothing yet. */
	for (int v = t->first_child[n]; v >= 0; v = t->next_sib[v])
		total += dp_child(c, t, v, PDO_DEVICE, 0, c->in_bytes[v]);
	dp_place(t, t->first_child[n], PDO_DEVICE, 0, loc);
	*ms = total;
	return 0;
}

/* ---- the genetic algorithm (section 4.4) --------------------------------- */

struct ga {
	const struct pdo_cost *c;
	const struct pdo_ga_conf *conf;
	uint32_t n;
	uint16_t order[PDO_MAX_LAYERS];	/* gene i encodes layer order[i] */
	uint8_t *pop, *next;		/* pop x n genes, site per group */
	double *lat, *fit;
	uint32_t *rank;
	struct nn_rng rng;
};

/*
 * Genes are the layer groups concatenated branch by branch (Fig. 4.2): the
 * main branch first, then side branches 1..P-1, each in chain order, so a
 * single crossover point cuts between whole branches or inside one.
 */
static void ga_order(struct ga *g)
{
	const struct pdo_cost *c = g->c;
	uint32_t i = 0;

	for (uint32_t b = 0; b < c->nexits; b++)
		for (uint32_t v = 0; v < c->n; v++)
			if (c->branch[v] == (b ? b : c->nexits))
				g->order[i++] = (uint16_t)v;
}

static double ga_eval(struct ga *g, const uint8_t *genes)
{
	uint8_t loc[PDO_MAX_LAYERS];

	for (uint32_t i = 0; i < g->n; i++)
		loc[g->order[i]] = genes[i];
	return pdo_cost_expected_ms(g->c, loc);
}

/* Goldberg's linear scaling of raw fitness (latency turned into a gain). */
static void ga_scale(struct ga *g)
{
	uint32_t m = g->conf->pop;
	double worst = -INFINITY, hi = 0, lo = INFINITY, favg = 0, a, b, C = g->conf->scale;

	for (uint32_t i = 0; i < m; i++)
		worst = fmax(worst, g->lat[i]);
	for (uint32_t i = 0; i < m; i++) {
		g->fit[i] = worst - g->lat[i];
		favg += g->fit[i] / m;
		hi = fmax(hi, g->fit[i]);
		lo = fmin(lo, g->fit[i]);
	}
	if (hi - favg <= 1e-12 * (fabs(favg) + 1e-12)) {
		for (uint32_t i = 0; i < m; i++)
			g->fit[i] = 1;
		return;
	}
	if (lo > (C * favg - hi) / (C - 1)) {
		a = (C - 1) * favg / (hi - favg);
		b = favg * (hi - C * favg) / (hi - favg);
	} else {
		a = favg / (favg - lo);
		b = -lo * favg / (favg - lo);
	}
	for (uint32_t i = 0; i < m; i++)
		g->fit[i] = fmax(0, a * g->fit[i] + b);
}

/* Roulette wheel, eq. (4.10). */
static uint32_t ga_select(struct ga *g, double total)
{
	double r = nn_rng_uniform(&g->rng) * total;

	for (uint32_t i = 0; i < g->conf->pop; i++) {
		r -= g->fit[i];
		if (r < 0)
			return i;
	}
	return g->conf->pop - 1;
}

/* Group mutation: one layer moves to a site it was not on. */
static void ga_mutate(struct ga *g, uint8_t *genes)
{
	uint32_t i = nn_rng_below(&g->rng, g->n);
	uint32_t s = nn_rng_below(&g->rng, g->c->nsites - 1);

	genes[i] = (uint8_t)(s >= genes[i] ? s + 1 : s);
}

static int cmp_lat(const void *a, const void *b, void *ctx)
{
	const double *lat = ctx;
	double x = lat[*(const uint32_t *)a], y = lat[*(const uint32_t *)b];

	return (x > y) - (x < y);
}

/*
 * The variant's local search on the best chromosome: move one layer group
 * to another site, or a layer with everything below it (its subtree) to one
 * site, while that lowers the latency. Subtree moves are what single-group
 * mutation cannot do in one step: moving a run of layers from the edge to the
 * cloud pays the wired transfer twice until the whole run has moved.
 */
static double ga_try(struct ga *g, uint8_t *genes, const uint8_t *cand, double *cur)
{
	double t = ga_eval(g, cand);

	if (t < *cur - 1e-12) {
		*cur = t;
		memcpy(genes, cand, g->n);
		return 1;
	}
	return 0;
}

static double ga_polish(struct ga *g, uint8_t *genes, double cur)
{
	const struct pdo_cost *c = g->c;
	uint16_t gene_of[PDO_MAX_LAYERS];
	uint8_t cand[PDO_MAX_LAYERS], in_sub[PDO_MAX_LAYERS];

	for (uint32_t i = 0; i < g->n; i++)
		gene_of[g->order[i]] = (uint16_t)i;
	for (int improved = 1; improved;) {
		improved = 0;
		for (uint32_t v = 0; v < c->n; v++) {
			memset(in_sub, 0, c->n);
			in_sub[v] = 1;
			for (uint32_t u = v + 1; u < c->n; u++)
				in_sub[u] = c->parent[u] >= 0 && in_sub[c->parent[u]];
			for (uint8_t s = 0; s < c->nsites; s++) {
				memcpy(cand, genes, g->n);
				cand[gene_of[v]] = s;
				improved |= ga_try(g, genes, cand, &cur) > 0;
				memcpy(cand, genes, g->n);
				for (uint32_t u = v; u < c->n; u++)
					if (in_sub[u])
						cand[gene_of[u]] = s;
				improved |= ga_try(g, genes, cand, &cur) > 0;
			}
		}
	}
	return cur;
}

static void ga_generation(struct ga *g)
{
	const struct pdo_ga_conf *cf = g->conf;
	uint32_t n = g->n, m = cf->pop, i = 0;
	double total = 0;

	ga_scale(g);
	for (uint32_t j = 0; j < m; j++)
		total += g->fit[j];
	if (cf->elite) {
		for (uint32_t j = 0; j < m; j++)
			g->rank[j] = j;
		qsort_r(g->rank, m, sizeof(*g->rank), cmp_lat, g->lat);
		for (; i < cf->elite; i++)
			memcpy(g->next + i * n, g->pop + g->rank[i] * n, n);
	}
	while (i < m) {
		uint8_t *a = g->next + i * n, *b = i + 1 < m ? a + n : NULL;
		const uint8_t *pa = g->pop + ga_select(g, total) * n;
		const uint8_t *pb = g->pop + ga_select(g, total) * n;
		uint32_t cut = n;

		if (n > 1 && nn_rng_uniform(&g->rng) < cf->pc)
			cut = 1 + nn_rng_below(&g->rng, n - 1);
		memcpy(a, pa, cut);
		memcpy(a + cut, pb + cut, n - cut);
		if (b) {
			memcpy(b, pb, cut);
			memcpy(b + cut, pa + cut, n - cut);
		}
		for (uint8_t *ch = a; ch && ch <= (b ? b : a); ch += n)
			if (nn_rng_uniform(&g->rng) < cf->pm)
				ga_mutate(g, ch);
		i += b ? 2 : 1;
	}
	memcpy(g->pop, g->next, (size_t)m * n);
}

int pdo_ga_run(const struct pdo_cost *c, const struct pdo_ga_conf *conf, uint64_t seed,
	       uint8_t *loc, double *ms, uint32_t *gen_found)
{
	struct ga g = { .c = c, .conf = conf, .n = c->n };

	nn_rng_seed(&g.rng, seed);
	uint8_t best[PDO_MAX_LAYERS];
	double best_ms = INFINITY;
	uint32_t m = conf->pop, found = 0;
	int rc = -ENOMEM;

	if (m < 2 || conf->elite >= m || c->n == 0 || conf->scale <= 1)
		return -EINVAL;
	g.pop = malloc((size_t)m * c->n);
	g.next = malloc((size_t)m * c->n);
	g.lat = calloc(m, sizeof(double));
	g.fit = calloc(m, sizeof(double));
	g.rank = calloc(m, sizeof(uint32_t));
	if (!g.pop || !g.next || !g.lat || !g.fit || !g.rank)
		goto err_free;
	ga_order(&g);
	for (size_t i = 0; i < (size_t)m * c->n; i++)
		g.pop[i] = (uint8_t)nn_rng_below(&g.rng, c->nsites);
	for (uint32_t gen = 0; gen <= conf->gens; gen++) {
		if (gen)
			ga_generation(&g);
		for (uint32_t i = 0; i < m; i++) {
			g.lat[i] = ga_eval(&g, g.pop + i * c->n);
			if (g.lat[i] < best_ms) {
				best_ms = g.lat[i];
				memcpy(best, g.pop + i * c->n, c->n);
				found = gen;
			}
		}
	}
	if (conf->polish)
		best_ms = ga_polish(&g, best, best_ms);
	for (uint32_t i = 0; i < c->n; i++)
		loc[g.order[i]] = best[i];
	*ms = best_ms;
	if (gen_found)
		*gen_found = found;
	rc = 0;
err_free:
	free(g.rank);
	free(g.fit);
	free(g.lat);
	free(g.next);
	free(g.pop);
	return rc;
}

int pdo_ga_repeat(const struct pdo_cost *c, const struct pdo_ga_conf *conf, uint64_t seed,
		  double target_ms, struct pdo_ga_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->best_ms = INFINITY;
	for (uint32_t r = 0; r < conf->runs; r++) {
		uint8_t loc[PDO_MAX_LAYERS];
		uint32_t gen;
		double ms;
		int rc = pdo_ga_run(c, conf, seed + r, loc, &ms, &gen);

		if (rc)
			return rc;
		st->mean_ms += ms / conf->runs;
		st->worst_ms = fmax(st->worst_ms, ms);
		st->hits += ms <= target_ms * (1 + 1e-9);
		if (ms < st->best_ms) {
			st->best_ms = ms;
			st->gen_of_best = gen;
			memcpy(st->loc, loc, c->n);
		}
	}
	st->runs = conf->runs;
	return 0;
}

/* ---- baselines ----------------------------------------------------------- */

double pdo_all_on_ms(const struct pdo_cost *c, unsigned int site)
{
	uint8_t loc[PDO_MAX_LAYERS];

	memset(loc, (int)site, sizeof(loc));
	return pdo_cost_expected_ms(c, loc);
}

double pdo_random_ms(const struct pdo_cost *c, uint32_t samples, uint64_t seed)
{
	uint8_t loc[PDO_MAX_LAYERS];
	struct nn_rng rng;
	double sum = 0;

	nn_rng_seed(&rng, seed);
	for (uint32_t i = 0; i < samples; i++) {
		for (uint32_t v = 0; v < c->n; v++)
			loc[v] = (uint8_t)nn_rng_below(&rng, c->nsites);
		sum += pdo_cost_expected_ms(c, loc);
	}
	return samples ? sum / samples : 0;
}

uint32_t pdo_exit_path(const struct pdo_cost *c, unsigned int k, int16_t *path)
{
	int16_t rev[PDO_MAX_LAYERS];
	uint32_t len = 0;
	int v;

	for (v = 0; v < (int)c->n && c->exit_of[v] != k; v++)
		;
	for (; v >= 0 && v < (int)c->n; v = c->parent[v])
		rev[len++] = (int16_t)v;
	for (uint32_t i = 0; i < len; i++)
		path[i] = rev[len - 1 - i];
	return len;
}

int pdo_edgent_solve(const struct pdo_cost *c, const double *prob, double bound_ms,
		     struct pdo_edgent *e)
{
	uint32_t P = c->nexits;

	memset(e, 0, sizeof(*e));
	for (uint32_t k = 1; k <= P; k++) {
		int16_t path[PDO_MAX_LAYERS];
		uint8_t loc[PDO_MAX_LAYERS] = { 0 };
		uint32_t len = pdo_exit_path(c, k, path);

		if (!len)
			return -EINVAL;
		e->exit_ms[k] = INFINITY;
		/* cut = layers kept on the device; the rest runs on the edge */
		for (uint32_t cut = 0; cut <= len; cut++) {
			double t;

			for (uint32_t i = 0; i < len; i++)
				loc[path[i]] = i < cut ? PDO_DEVICE : PDO_EDGE;
			t = pdo_cost_exit_ms(c, loc, k);
			if (t < e->exit_ms[k]) {
				e->exit_ms[k] = t;
				e->cut[k] = cut;
			}
		}
	}
	for (uint32_t j = 1; j <= P; j++) {
		uint32_t pick = 0, fast = j;

		for (uint32_t k = j; k <= P; k++) {
			if (e->exit_ms[k] <= bound_ms)
				pick = k;	/* the most accurate within the bound */
			if (e->exit_ms[k] < e->exit_ms[fast])
				fast = k;
		}
		e->choice[j] = pick ? pick : fast;
		e->ms += prob[j] * e->exit_ms[e->choice[j]];
		e->min_ms += prob[j] * e->exit_ms[fast];
	}
	return 0;
}

void pdo_decision_of(const struct pdo_cost *c, const uint8_t *loc, unsigned int k,
		     struct pdo_decision *d)
{
	int16_t path[PDO_MAX_LAYERS];
	uint32_t len = pdo_exit_path(c, k, path), i;

	for (i = 0; i < len && loc[path[i]] == PDO_DEVICE; i++)
		;
	d->split = (uint16_t)i;
	d->target = i < len ? loc[path[i]] : PDO_DEVICE;
	d->exit = k == c->nexits ? 0 : (uint8_t)k;
}

unsigned int pdo_modal_exit(const struct pdo_cost *c)
{
	unsigned int best = c->nexits;

	for (unsigned int k = 1; k <= c->nexits; k++)
		if (c->p[k] > c->p[best])
			best = k;
	return best;
}
