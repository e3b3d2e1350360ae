/* SPDX-License-Identifier: MIT */
#include "ddpqn_env.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct server {
	enum ddpqn_kind kind;
	double ghz, usd_s, power_w;
	unsigned pool;
};

struct bounds {
	double lo[3], hi[3];	/* per-layer T, E, U range, for H */
};

struct ddpqn_env {
	struct ddpqn_graph g;
	struct ddpqn_params p;
	unsigned ns, n, ntasks;
	struct server srv[DDPQN_MAX_SERVERS];
	double cycles[DDPQN_MAX_LAYERS];
	double out_mb[DDPQN_MAX_LAYERS];
	double max_cycles, max_mb;
	struct bounds bnd[DDPQN_MAX_LAYERS];
	double ref[3];		/* T, E, U references of the standardisation */
	int no_queue;		/* while measuring the references */
	/* Episode state. */
	unsigned step;
	uint8_t *place;		/* [task][layer] */
	double *fin;		/* [task][layer] finish time */
	double done_at[DDPQN_MAX_TASKS];
	double free_at[DDPQN_MAX_SERVERS][DDPQN_MAX_POOL];
	double backlog[DDPQN_MAX_SERVERS];	/* busy until, at reset (online load) */
	unsigned count[DDPQN_MAX_SERVERS];
	struct ddpqn_totals tot;
	double h_sum;
};

struct step {
	double ready, start, end, exec;
	double t, e, u;		/* the layer's own delay, energy, cost */
	double d_delay;		/* growth of its task's completion time */
	double h, z, z_raw, additive, cost;
	unsigned slot;
};

void ddpqn_params_default(struct ddpqn_params *p, enum ddpqn_model model)
{
	static const double mb_s[3][3] = {
		/* client, edge, cloud */
		{ 0, 10, 0.5 }, { 10, 10, 0.5 }, { 0.5, 0.5, 5 },
	};
	static const double usd_gb[3][3] = {
		{ 0, 0.16, 0.8 }, { 0.16, 0.16, 0.8 }, { 0.8, 0.8, 0.4 },
	};
	static const double power[3][3] = {
		{ 0, 0.2, 0.2 }, { 0.2, 0, 0 }, { 0.2, 0, 0 },
	};

	*p = (struct ddpqn_params){
		.nedge = 5, .ncloud = 5, .tasks = 1,
		/* Table 3: cost/hour ($), CP (GHz), P (W). */
		.client_ghz = 2.3, .client_usd_h = 0, .client_power_w = 70,
		.edge_ghz = { 4.2, 18.3 }, .edge_usd_h = { 2.10, 2.43 },
		.edge_power_w = 10,
		.cloud_ghz = { 40, 120 }, .cloud_usd_h = { 0.225, 1.80 },
		.cloud_power_w = 10,
		.cost_follows_speed = 1,
		.pool = { [DDPQN_CLIENT] = 1, [DDPQN_EDGE] = 2, [DDPQN_CLOUD] = 4 },
		/* Section 5.1. */
		.theta = 0.5, .vtheta = 0.3, .eta = 0.2,
		.phi = 0.6, .varphi = 0.2, .xi = 0.2,
		.lambda = { 0.33, 0.33, 0.34 },
		.h_root = 2,
		.std = DDPQN_STD_BEST,
		.hform = DDPQN_H_BENEFIT,
		.zscale = DDPQN_Z_EXCESS,
		.eq13 = DDPQN_EQ13_INSIDE,
		.hznorm = DDPQN_HZ_MEAN,
		.return_output = 0,
		.size_scale = 1,
	};
	/* Table 2. */
	memcpy(p->link_mb_s, mb_s, sizeof(mb_s));
	memcpy(p->link_usd_gb, usd_gb, sizeof(usd_gb));
	memcpy(p->link_power_w, power, sizeof(power));
	switch (model) {
	case DDPQN_MODEL_ALEXNET:
		p->profile_ghz = 3.2;
		p->input_mb = 227.0 * 227 * 3 * 4 / 1e6;	/* float32 MB */
		break;
	case DDPQN_MODEL_VGG19:
		p->profile_ghz = 3.2;
		p->input_mb = 224.0 * 224 * 3 * 4 / 1e6;
		break;
	case DDPQN_MODEL_GOOGLENET:
	case DDPQN_MODEL_RESNET101:
		p->profile_ghz = 2.9;
		p->input_mb = 224.0 * 224 * 3 * 8 / (1 << 20);	/* the sheet's unit */
		break;
	default:
		p->profile_ghz = 1;
		p->input_mb = 1;
		break;
	}
}

/* ---- the physics: Tables 2 and 3 ---- */

static double spread(const double r[2], unsigned k, unsigned n)
{
	return n < 2 ? (r[0] + r[1]) / 2 : r[0] + (r[1] - r[0]) * k / (n - 1);
}

static void xfer(const struct ddpqn_env *env, double mb, unsigned a, unsigned b,
		 double *t, double *e, double *u)
{
	enum ddpqn_kind ka = env->srv[a].kind, kb = env->srv[b].kind;
	double rate = env->p.link_mb_s[ka][kb];

	if (a == b || mb <= 0 || rate <= 0) {
		*t = *e = *u = 0;
		return;
	}
	*t = mb / rate;
	*e = env->p.link_power_w[ka][kb] * *t;
	*u = mb / 1000 * env->p.link_usd_gb[ka][kb];
}

static void exec_terms(const struct ddpqn_env *env, unsigned j, unsigned s,
		       double *t, double *e, double *u)
{
	*t = env->cycles[j] / (env->srv[s].ghz * 1e9);
	*e = env->srv[s].power_w * *t;
	*u = env->srv[s].usd_s * *t;
}

double ddpqn_env_delay_weight(const struct ddpqn_env *env)
{
	return env->p.phi * env->p.theta / env->ref[0];
}

void ddpqn_env_node_terms(const struct ddpqn_env *env, unsigned layer,
			  unsigned server, double *delay_s, double *rest)
{
	double e, u;

	exec_terms(env, layer, server, delay_s, &e, &u);
	*rest = env->p.phi * (env->p.vtheta * e / env->ref[1] + env->p.eta * u / env->ref[2]);
}

void ddpqn_env_edge_terms(const struct ddpqn_env *env, double mb, unsigned from,
			  unsigned to, double *delay_s, double *rest)
{
	double e, u;

	xfer(env, mb, from, to, delay_s, &e, &u);
	*rest = env->p.phi * (env->p.vtheta * e / env->ref[1] + env->p.eta * u / env->ref[2]);
}

/* ---- H and Z ---- */

static double coupling(const struct ddpqn_env *env, const double x[3],
		       const struct bounds *b)
{
	double v[3], sum = 0, prod = 1, c, y = 0;

	for (int k = 0; k < 3; k++) {
		double span = b->hi[k] - b->lo[k];
		double n = span > 0 ? (x[k] - b->lo[k]) / span : 0;

		n = n < 0 ? 0 : n > 1 ? 1 : n;
		v[k] = env->p.hform == DDPQN_H_BENEFIT ? 1 - n : n;
		sum += v[k];
		prod *= v[k];
		y += env->p.lambda[k] * v[k];
	}
	if (sum <= 0)
		return 0;
	c = 3 * pow(prod / (sum * sum * sum), 1.0 / env->p.h_root);
	return sqrt(c * y);
}

/*
 * Eq. 12 with server @extra counted once more: the sum over unordered pairs
 * of servers of a kind of their difference in subtasks. *excess gets how far
 * that is above the least imbalance the counts allow, over the range up to
 * all of a kind's subtasks on one server: 0 = as balanced as possible.
 */
static double balance(const struct ddpqn_env *env, int extra, double *excess)
{
	double z = 0, lo = 0, hi = 0;

	for (enum ddpqn_kind k = DDPQN_EDGE; k <= DDPQN_CLOUD; k++) {
		unsigned n = 0, m = 0;

		for (unsigned a = 1; a < env->ns; a++) {
			if (env->srv[a].kind != k)
				continue;
			n += env->count[a] + (extra == (int)a);
			m++;
			for (unsigned b = a + 1; b < env->ns; b++)
				if (env->srv[b].kind == k)
					z += fabs((double)(env->count[a] + (extra == (int)a)) -
						  (env->count[b] + (extra == (int)b)));
		}
		if (m) {
			/* Counts q or q + 1: r servers with one more, r(m - r) pairs. */
			lo += (double)(n % m) * (m - n % m);
			hi += (double)n * (m - 1);
		}
	}
	*excess = hi > lo ? (z - lo) / (hi - lo) : 0;
	return z;
}

/* ---- the step ---- */

static int pool_of(const struct ddpqn_env *env, unsigned s)
{
	return env->no_queue ? 0 : (int)env->srv[s].pool;
}

static void step_eval(const struct ddpqn_env *env, unsigned s, struct step *o)
{
	const struct ddpqn_params *p = &env->p;
	unsigned i = env->step / env->n, j = env->step % env->n;
	const struct ddpqn_layer *l = &env->g.layers[j];
	const uint8_t *pl = env->place + (size_t)i * env->n;
	const double *fin = env->fin + (size_t)i * env->n;
	double t, e, u, tmax = 0, e1, u1, x[3], w, placed, zmax, excess;
	unsigned maxk;

	memset(o, 0, sizeof(*o));
	if (!l->npred) {
		xfer(env, p->input_mb * p->size_scale, 0, s, &t, &e, &u);
		o->ready = t;
		tmax = t;
		o->e += e;
		o->u += u;
	}
	for (unsigned k = 0; k < l->npred; k++) {
		unsigned q = l->pred[k];

		xfer(env, env->out_mb[q], pl[q], s, &t, &e, &u);
		if (fin[q] + t > o->ready)
			o->ready = fin[q] + t;
		if (t > tmax)
			tmax = t;
		o->e += e;
		o->u += u;
	}
	o->start = o->ready;
	if (pool_of(env, s)) {
		const double *fa = env->free_at[s];

		for (unsigned k = 1; k < env->srv[s].pool; k++)
			if (fa[k] < fa[o->slot])
				o->slot = k;
		if (fa[o->slot] > o->start)
			o->start = fa[o->slot];
	}
	exec_terms(env, j, s, &o->exec, &e1, &u1);
	o->end = o->start + o->exec;
	o->e += e1;
	o->u += u1;
	o->t = tmax + (o->start - o->ready) + o->exec;
	if (!l->nsucc && p->return_output) {
		xfer(env, env->out_mb[j], s, 0, &t, &e, &u);
		o->end += t;
		o->t += t;
		o->e += e;
		o->u += u;
	}
	o->d_delay = o->end > env->done_at[i] ? o->end - env->done_at[i] : 0;
	x[0] = o->t;
	x[1] = o->e;
	x[2] = o->u;
	o->h = coupling(env, x, &env->bnd[j]);
	o->z_raw = balance(env, s, &excess);
	placed = env->step + 1;
	maxk = p->nedge > p->ncloud ? p->nedge : p->ncloud;
	zmax = placed * (maxk > 1 ? maxk - 1 : 0);
	if (p->zscale == DDPQN_Z_EXCESS)
		o->z = excess;
	else if (p->zscale == DDPQN_Z_PLACED)
		o->z = zmax > 0 ? o->z_raw / zmax : 0;
	else
		o->z = o->z_raw;
	o->additive = p->phi * (p->theta * o->d_delay / env->ref[0] +
				p->vtheta * o->e / env->ref[1] +
				p->eta * o->u / env->ref[2]);
	o->cost = o->additive;
	if (p->eq13 == DDPQN_EQ13_INSIDE) {
		w = p->hznorm == DDPQN_HZ_MEAN ? 1.0 / env->n : 1.0;
		o->cost += w * (-p->varphi * o->h + p->xi * o->z);
	} else if (env->step + 1 == env->n * env->ntasks) {
		o->cost += -p->varphi * (env->h_sum + o->h) / placed + p->xi * o->z;
	}
}

static void step_commit(struct ddpqn_env *env, unsigned s, const struct step *o)
{
	unsigned i = env->step / env->n;

	env->place[env->step] = s;
	env->fin[env->step] = o->end;
	if (pool_of(env, s))
		env->free_at[s][o->slot] = o->start + o->exec;
	if (o->end > env->done_at[i]) {
		env->tot.delay_s += o->end - env->done_at[i];
		env->done_at[i] = o->end;
	}
	env->count[s]++;
	env->h_sum += o->h;
	env->tot.objective += o->cost;
	env->tot.additive += o->additive;
	env->tot.energy_j += o->e;
	env->tot.cost_usd += o->u;
	env->tot.z_final = o->z;
	env->tot.z_raw_final = o->z_raw;
	env->step++;
	env->tot.h_mean = env->h_sum / env->step;
}

void ddpqn_env_reset(struct ddpqn_env *env)
{
	size_t cells = (size_t)env->n * env->ntasks;

	env->step = 0;
	memset(env->place, 0, cells);
	memset(env->fin, 0, cells * sizeof(*env->fin));
	memset(env->done_at, 0, sizeof(env->done_at));
	memset(env->free_at, 0, sizeof(env->free_at));
	for (unsigned s = 0; s < env->ns; s++)
		for (unsigned k = 0; k < env->srv[s].pool; k++)
			env->free_at[s][k] = env->backlog[s];
	memset(env->count, 0, sizeof(env->count));
	memset(&env->tot, 0, sizeof(env->tot));
	env->h_sum = 0;
}

int ddpqn_env_set_backlog(struct ddpqn_env *env, const double *busy_s, unsigned n)
{
	if (n > env->ns)
		return -EINVAL;
	for (unsigned s = 0; s < n; s++)
		if (!(busy_s[s] >= 0 && isfinite(busy_s[s])))
			return -EINVAL;
	memset(env->backlog, 0, sizeof(env->backlog));
	for (unsigned s = 0; s < n; s++)
		env->backlog[s] = busy_s[s];
	ddpqn_env_reset(env);
	return 0;
}

int ddpqn_env_cursor(const struct ddpqn_env *env, unsigned *task, unsigned *layer)
{
	if (env->step >= env->n * env->ntasks)
		return -ENODATA;
	*task = env->step / env->n;
	*layer = env->step % env->n;
	return 0;
}

/* The step @server would be, checked. */
static int step_try(const struct ddpqn_env *env, unsigned server, struct step *o)
{
	if (env->step >= env->n * env->ntasks)
		return -ENODATA;
	if (server >= env->ns)
		return -EINVAL;
	step_eval(env, server, o);
	return 0;
}

int ddpqn_env_peek(const struct ddpqn_env *env, unsigned server, double *cost)
{
	struct step o;
	int rc = step_try(env, server, &o);

	if (!rc)
		*cost = o.cost;
	return rc;
}

int ddpqn_env_step(struct ddpqn_env *env, unsigned server, double *reward, int *done)
{
	struct step o;
	int rc = step_try(env, server, &o);

	if (rc)
		return rc;
	step_commit(env, server, &o);
	if (reward)
		*reward = -o.cost;
	if (done)
		*done = env->step == env->n * env->ntasks;
	return 0;
}

void ddpqn_env_totals(const struct ddpqn_env *env, struct ddpqn_totals *t)
{
	*t = env->tot;
}

int ddpqn_env_run(struct ddpqn_env *env, const uint8_t *place,
		  struct ddpqn_totals *t)
{
	size_t cells = (size_t)env->n * env->ntasks;
	int rc;

	ddpqn_env_reset(env);
	for (size_t k = 0; k < cells; k++) {
		rc = ddpqn_env_step(env, place[k], NULL, NULL);
		if (rc)
			return rc;
	}
	if (t)
		*t = env->tot;
	return 0;
}

/*
 * The observation (docs/ddpqn.md, "State"): where the inputs are, the
 * layer's work and data, a look-ahead of two layers, progress, and each
 * server's backlog and share of the subtasks placed so far.
 */
void ddpqn_env_observe(const struct ddpqn_env *env, float st[DDPQN_STATE_DIM])
{
	unsigned i, j, ns = env->ns;
	const struct ddpqn_layer *l;
	const uint8_t *pl;
	const double *fin;
	double in_mb = 0, now = 0;

	memset(st, 0, DDPQN_STATE_DIM * sizeof(*st));
	if (ddpqn_env_cursor(env, &i, &j))
		return;
	l = &env->g.layers[j];
	pl = env->place + (size_t)i * env->n;
	fin = env->fin + (size_t)i * env->n;
	if (!l->npred) {
		st[0] = 1;
		in_mb = env->p.input_mb * env->p.size_scale;
	}
	for (unsigned k = 0; k < l->npred; k++)
		in_mb += env->out_mb[l->pred[k]];
	for (unsigned k = 0; k < l->npred; k++) {
		unsigned q = l->pred[k];

		if (pl[q] < 11)
			st[pl[q]] += in_mb > 0 ? env->out_mb[q] / in_mb : 1.0 / l->npred;
		if (fin[q] > now)
			now = fin[q];
	}
	st[11] = env->cycles[j] / env->max_cycles;
	st[12] = in_mb / env->max_mb;
	st[13] = env->out_mb[j] / env->max_mb;
	for (unsigned k = 1; k <= 2 && j + k < env->n; k++) {
		st[12 + 2 * k] = env->cycles[j + k] / env->max_cycles;
		st[13 + 2 * k] = env->out_mb[j + k] / env->max_mb;
	}
	st[18] = (float)j / env->n;
	st[19] = (float)i / env->ntasks;
	for (unsigned s = 0; s < ns && s < 11; s++) {
		double fa = 0;

		if (env->srv[s].pool) {
			fa = env->free_at[s][0];
			for (unsigned k = 1; k < env->srv[s].pool; k++)
				if (env->free_at[s][k] < fa)
					fa = env->free_at[s][k];
		}
		st[20 + s] = fa > now ? (fa - now) / env->ref[0] : 0;
		st[31 + s] = env->step ? (float)env->count[s] / env->step : 0;
	}
}

/* ---- setup ---- */

static void layer_bounds(struct ddpqn_env *env, unsigned j)
{
	const struct ddpqn_layer *l = &env->g.layers[j];
	struct bounds *b = &env->bnd[j];
	double t, e, u, xt[3], in[3] = { 0 }, ret[3] = { 0 };

	for (int k = 0; k < 3; k++) {
		b->lo[k] = INFINITY;
		b->hi[k] = 0;
	}
	for (unsigned s = 0; s < env->ns; s++) {
		exec_terms(env, j, s, &xt[0], &xt[1], &xt[2]);
		for (int k = 0; k < 3; k++) {
			b->lo[k] = fmin(b->lo[k], xt[k]);
			b->hi[k] = fmax(b->hi[k], xt[k]);
		}
	}
	/* The worst incoming transfers (delay: the longest; E, U: the sum). */
	for (unsigned k = 0; k <= l->npred; k++) {
		double mb, w[3] = { 0 };

		if (k == l->npred && l->npred)
			break;
		mb = l->npred ? env->out_mb[l->pred[k]] : env->p.input_mb * env->p.size_scale;
		for (unsigned a = 0; a < env->ns; a++)
			for (unsigned c = 0; c < env->ns; c++) {
				if (!l->npred && a)
					break;
				xfer(env, mb, a, c, &t, &e, &u);
				w[0] = fmax(w[0], t);
				w[1] = fmax(w[1], e);
				w[2] = fmax(w[2], u);
			}
		in[0] = fmax(in[0], w[0]);
		in[1] += w[1];
		in[2] += w[2];
	}
	if (!l->nsucc && env->p.return_output)
		for (unsigned a = 0; a < env->ns; a++) {
			xfer(env, env->out_mb[j], a, 0, &t, &e, &u);
			ret[0] = fmax(ret[0], t);
			ret[1] = fmax(ret[1], e);
			ret[2] = fmax(ret[2], u);
		}
	for (int k = 0; k < 3; k++)
		b->hi[k] += in[k] + ret[k];
}

/* T, E, U of one task all on @s, without queueing. */
static void single_server(struct ddpqn_env *env, unsigned s, double out[3])
{
	ddpqn_env_reset(env);
	for (unsigned j = 0; j < env->n; j++)
		ddpqn_env_step(env, s, NULL, NULL);
	out[0] = env->tot.delay_s;
	out[1] = env->tot.energy_j;
	out[2] = env->tot.cost_usd;
}

static int check_params(const struct ddpqn_params *p, unsigned n)
{
	double w1 = p->theta + p->vtheta + p->eta, w2 = p->phi + p->varphi + p->xi;

	if (1 + p->nedge + p->ncloud > DDPQN_MAX_SERVERS || !p->tasks ||
	    p->tasks > DDPQN_MAX_TASKS || !n)
		return -EINVAL;
	/* Eq. 15-18: weights in [0, 1] summing to 1. */
	if (p->theta < 0 || p->vtheta < 0 || p->eta < 0 || fabs(w1 - 1) > 1e-9 ||
	    p->phi < 0 || p->varphi < 0 || p->xi < 0 || fabs(w2 - 1) > 1e-9)
		return -EINVAL;
	if (p->h_root < 1 || p->profile_ghz <= 0 || p->size_scale <= 0 || p->input_mb < 0)
		return -EINVAL;
	if (p->client_ghz <= 0 || p->edge_ghz[0] <= 0 || p->edge_ghz[1] <= 0 ||
	    p->cloud_ghz[0] <= 0 || p->cloud_ghz[1] <= 0)
		return -EINVAL;
	for (int k = 0; k < 3; k++)
		if (p->pool[k] > DDPQN_MAX_POOL)
			return -EINVAL;
	return 0;
}

int ddpqn_env_create(const struct ddpqn_graph *g, const struct ddpqn_params *p,
		     struct ddpqn_env **out)
{
	struct ddpqn_env *env;
	double single[3];
	unsigned s;
	int rc;

	rc = check_params(p, g->n);
	if (rc)
		return rc;
	env = calloc(1, sizeof(*env));
	if (!env)
		return -ENOMEM;
	env->g = *g;
	env->p = *p;
	env->n = g->n;
	env->ntasks = p->tasks;
	env->ns = 1 + p->nedge + p->ncloud;
	env->place = calloc((size_t)env->n * env->ntasks, 1);
	env->fin = calloc((size_t)env->n * env->ntasks, sizeof(*env->fin));
	if (!env->place || !env->fin) {
		rc = -ENOMEM;
		goto err_free;
	}
	env->srv[0] = (struct server){ DDPQN_CLIENT, p->client_ghz,
				       p->client_usd_h / 3600, p->client_power_w,
				       p->pool[DDPQN_CLIENT] };
	for (s = 0; s < p->nedge + p->ncloud; s++) {
		int edge = s < p->nedge;
		unsigned k = edge ? s : s - p->nedge, m = edge ? p->nedge : p->ncloud;
		unsigned kc = p->cost_follows_speed ? k : m - 1 - k;

		env->srv[1 + s] = (struct server){
			edge ? DDPQN_EDGE : DDPQN_CLOUD,
			spread(edge ? p->edge_ghz : p->cloud_ghz, k, m),
			spread(edge ? p->edge_usd_h : p->cloud_usd_h, kc, m) / 3600,
			edge ? p->edge_power_w : p->cloud_power_w,
			p->pool[edge ? DDPQN_EDGE : DDPQN_CLOUD] };
	}
	env->max_cycles = env->max_mb = 1e-12;
	for (unsigned j = 0; j < env->n; j++) {
		env->cycles[j] = g->layers[j].exec_s * p->profile_ghz * 1e9;
		env->out_mb[j] = g->layers[j].out_mb * p->size_scale;
		env->max_cycles = fmax(env->max_cycles, env->cycles[j]);
		env->max_mb = fmax(env->max_mb, env->out_mb[j]);
	}
	env->max_mb = fmax(env->max_mb, p->input_mb * p->size_scale);
	for (unsigned j = 0; j < env->n; j++)
		layer_bounds(env, j);
	/*
	 * References: per metric, the best (smallest non-zero) or the worst
	 * one-task single-server placement, without queueing.
	 */
	env->ref[0] = env->ref[1] = env->ref[2] = 1;
	if (p->std != DDPQN_STD_NONE) {
		double lo[3] = { INFINITY, INFINITY, INFINITY }, hi[3] = { 0 };

		env->no_queue = 1;
		for (s = 0; s < env->ns; s++) {
			single_server(env, s, single);
			for (int k = 0; k < 3; k++) {
				if (single[k] > 0)
					lo[k] = fmin(lo[k], single[k]);
				hi[k] = fmax(hi[k], single[k]);
			}
		}
		env->no_queue = 0;
		for (int k = 0; k < 3; k++) {
			double r = p->std == DDPQN_STD_BEST ? lo[k] : hi[k];

			env->ref[k] = r > 0 && isfinite(r) ? r : 1;
		}
	}
	ddpqn_env_reset(env);
	*out = env;
	return 0;

err_free:
	free(env->fin);
	free(env->place);
	free(env);
	return rc;
}

void ddpqn_env_destroy(struct ddpqn_env *env)
{
	if (!env)
		return;
	free(env->fin);
	free(env->place);
	free(env);
}

unsigned ddpqn_env_nservers(const struct ddpqn_env *env) { return env->ns; }
unsigned ddpqn_env_nlayers(const struct ddpqn_env *env) { return env->n; }
unsigned ddpqn_env_ntasks(const struct ddpqn_env *env) { return env->ntasks; }
const struct ddpqn_graph *ddpqn_env_graph(const struct ddpqn_env *env) { return &env->g; }
const struct ddpqn_params *ddpqn_env_params(const struct ddpqn_env *env) { return &env->p; }
double ddpqn_env_input_mb(const struct ddpqn_env *env)
{
	return env->p.input_mb * env->p.size_scale;
}
double ddpqn_env_out_mb(const struct ddpqn_env *env, unsigned layer)
{
	return env->out_mb[layer];
}
enum ddpqn_kind ddpqn_env_kind(const struct ddpqn_env *env, unsigned server)
{
	return env->srv[server].kind;
}
double ddpqn_env_server_ghz(const struct ddpqn_env *env, unsigned server)
{
	return env->srv[server].ghz;
}
