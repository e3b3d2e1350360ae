/* SPDX-License-Identifier: MIT */
/*
 * POLICY.md JSON -> struct es_policy. Every value's type is checked, every
 * object's keys are checked for duplicates and typos, every number is an
 * integer in its range, and nothing is written to the caller's table until
 * the whole input (and, for a delta, the table it produces) is valid.
 */
#include "ptab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "esop.h"
#include "ptab_arena.h"

/* Where in the document a value is: A[i].B[j].KEY, parts optional. */
struct jpath {
	const char *a;
	long i;
	const char *b;
	long j;
};

#define JP_TOP		((struct jpath){ NULL, -1, NULL, -1 })
#define JP_OBJ(a)	((struct jpath){ (a), -1, NULL, -1 })
#define JP_IDX(a, i)	((struct jpath){ (a), (long)(i), NULL, -1 })
#define JP_APP(i, j)	((struct jpath){ "devices", (long)(i), "apps", (long)(j) })

struct ctx {
	const char *name;
	struct ptab_error *err;
	const struct ptab_limits *lim;
};

/* Whatever the input says, before it is merged with the table in force. */
struct input {
	int delta;
	uint64_t epoch;
	int has_defaults;
	uint32_t unknown_action, rate_kbps, burst_bytes;
	int has_servers;
	uint32_t nservers;
	struct es_server servers[ES_MAX_SERVERS];
	uint32_t ndevices, napps;
	struct es_device *devices;	/* sorted by id once parsed */
	struct es_app *apps;
	uint32_t *order;		/* devices[k] was devices[order[k]] in the file */
	uint32_t nremove;
	uint64_t *remove;		/* id << 32 | file index, sorted */
};

static void path_str(char *buf, size_t n, struct jpath p, const char *key)
{
	size_t o = 0;

#define PUT(...) do { int w_ = snprintf(buf + o, n - o, __VA_ARGS__); \
		o += w_ > 0 && (size_t)w_ < n - o ? (size_t)w_ : 0; } while (0)
	buf[0] = 0;
	if (p.a)
		PUT("%s", p.a);
	if (p.i >= 0)
		PUT("[%ld]", p.i);
	if (p.b)
		PUT(".%s", p.b);
	if (p.j >= 0)
		PUT("[%ld]", p.j);
	if (key)
		PUT("%s%s", o ? "." : "", key);
	if (!o)
		PUT("(top level)");
#undef PUT
}

__attribute__((format(printf, 5, 6)))
static int fail(const struct ctx *c, int rc, struct jpath p, const char *key,
		const char *fmt, ...)
{
	char path[128], why[320];
	va_list ap;

	path_str(path, sizeof(path), p, key);
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (c->err)
		snprintf(c->err->msg, sizeof(c->err->msg), "%s: %s: %s", c->name, path, why);
	return rc;
}

static const char *type_name(const cJSON *v)
{
	if (!v)
		return "nothing";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "an invalid value";
}

/*
 * Refuses duplicate keys (cJSON keeps both and a lookup sees the first) and
 * keys not in @known (a typo must not silently fall back to a default).
 * Requires the keys whose bit is set in @required.
 */
static int check_keys(const struct ctx *c, const cJSON *obj, struct jpath p,
		      const char *const *known, unsigned int required)
{
	unsigned int seen = 0;
	const cJSON *k;

	if (!cJSON_IsObject(obj))
		return fail(c, -EINVAL, p, NULL, "expected an object, got %s", type_name(obj));
	cJSON_ArrayForEach(k, obj) {
		unsigned int i;

		for (i = 0; known[i]; i++)
			if (!strcmp(k->string, known[i]))
				break;
		if (!known[i])
			return fail(c, -EINVAL, p, k->string, "unknown key");
		if (seen & (1u << i))
			return fail(c, -EINVAL, p, k->string, "duplicate key");
		seen |= 1u << i;
	}
	for (unsigned int i = 0; known[i]; i++)
		if ((required & (1u << i)) && !(seen & (1u << i)))
			return fail(c, -EINVAL, p, known[i], "missing (required)");
	return 0;
}

/* An integer in [min, max]; a missing optional value leaves *out alone. */
static int get_uint(const struct ctx *c, const cJSON *obj, struct jpath p,
		    const char *key, uint64_t min, uint64_t max, int required,
		    uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!v) {
		if (required)
			return fail(c, -EINVAL, p, key, "missing (required)");
		return 0;
	}
	if (!cJSON_IsNumber(v))
		return fail(c, -EINVAL, p, key, "expected an integer, got %s", type_name(v));
	double d = v->valuedouble;

	if (!isfinite(d) || d != floor(d))
		return fail(c, -EINVAL, p, key, "expected an integer, got %g", d);
	if (d < (double)min || d > (double)max)
		return fail(c, -EINVAL, p, key, "%.0f out of range %llu..%llu", d,
			    (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)d;
	return 0;
}

static int get_string(const struct ctx *c, const cJSON *obj, struct jpath p,
		      const char *key, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsString(v) || !v->valuestring)
		return fail(c, -EINVAL, p, key, "expected a string, got %s", type_name(v));
	*out = v->valuestring;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (s[i * 3] == ' ' || s[i * 3] == '+' || s[i * 3] == '-')
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= ES_SERVER_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
			return 0;
	}
	return 1;
}

static int reserved_name(const char *s)
{
	return !strcmp(s, "local") || !strcmp(s, "edge") || !strcmp(s, "cloud");
}

static int parse_kind(const char *s)
{
	if (!strcmp(s, "edge"))
		return ESOP_TARGET_EDGE;
	if (!strcmp(s, "cloud"))
		return ESOP_TARGET_CLOUD;
	return -1;
}

static const char *const defaults_keys[] = {
	"unknown_device", "rate_kbps", "burst_bytes", NULL
};

static int parse_defaults(const struct ctx *c, const cJSON *d, struct input *in)
{
	struct jpath p = JP_OBJ("defaults");
	const char *ua;
	uint64_t v;
	int rc;

	rc = check_keys(c, d, p, defaults_keys, 7);
	if (rc)
		return rc;
	rc = get_string(c, d, p, "unknown_device", &ua);
	if (rc)
		return rc;
	if (!strcmp(ua, "drop"))
		in->unknown_action = ES_UNKNOWN_DROP;
	else if (!strcmp(ua, "control"))
		in->unknown_action = ES_UNKNOWN_CONTROL;
	else
		return fail(c, -EINVAL, p, "unknown_device",
			    "'%s' is not \"drop\" or \"control\"", ua);
	rc = get_uint(c, d, p, "rate_kbps", 1, UINT32_MAX, 1, &v);
	if (rc)
		return rc;
	in->rate_kbps = (uint32_t)v;
	rc = get_uint(c, d, p, "burst_bytes", 1500, UINT32_MAX, 1, &v);
	if (rc)
		return rc;
	in->burst_bytes = (uint32_t)v;
	in->has_defaults = 1;
	return 0;
}

static const char *const server_keys[] = {
	"name", "kind", "mac", "ip", "udp_port", "port", NULL
};

static int parse_server(const struct ctx *c, const cJSON *o, long i,
			struct input *in)
{
	struct es_server *s = &in->servers[i];
	struct jpath p = JP_IDX("servers", i);
	const char *name, *kind, *mac, *ip;
	uint64_t v;
	int rc, k;

	memset(s, 0, sizeof(*s));
	rc = check_keys(c, o, p, server_keys, 0x3f);
	if (!rc)
		rc = get_string(c, o, p, "name", &name);
	if (rc)
		return rc;
	if (!name_ok(name))
		return fail(c, -EINVAL, p, "name", "'%s' is not 1..%u characters of "
			    "[A-Za-z0-9_.-]", name, ES_SERVER_NAME_MAX - 1);
	if (reserved_name(name))
		return fail(c, -EINVAL, p, "name", "'%s' is reserved for targets", name);
	for (long j = 0; j < i; j++)
		if (!strcmp(in->servers[j].name, name))
			return fail(c, -EINVAL, p, "name", "'%s' already names servers[%ld]",
				    name, j);
	strcpy(s->name, name);
	rc = get_string(c, o, p, "kind", &kind);
	if (rc)
		return rc;
	k = parse_kind(kind);
	if (k < 0)
		return fail(c, -EINVAL, p, "kind", "'%s' is not \"edge\" or \"cloud\"", kind);
	s->kind = (uint8_t)k;
	rc = get_string(c, o, p, "mac", &mac);
	if (rc)
		return rc;
	if (parse_mac(mac, s->mac))
		return fail(c, -EINVAL, p, "mac", "'%s' is not a MAC like 02:00:00:00:01:02", mac);
	if (s->mac[0] & 1)
		return fail(c, -EINVAL, p, "mac", "'%s' is a multicast address", mac);
	if (!(s->mac[0] | s->mac[1] | s->mac[2] | s->mac[3] | s->mac[4] | s->mac[5]))
		return fail(c, -EINVAL, p, "mac", "the zero address is not a server");
	rc = get_string(c, o, p, "ip", &ip);
	if (rc)
		return rc;
	if (inet_pton(AF_INET, ip, s->ip) == 1)
		s->ipv6 = 0;
	else if (inet_pton(AF_INET6, ip, s->ip) == 1)
		s->ipv6 = 1;
	else
		return fail(c, -EINVAL, p, "ip", "'%s' is not an IPv4 or IPv6 address", ip);
	rc = get_uint(c, o, p, "udp_port", 1, 65535, 1, &v);
	if (rc)
		return rc;
	s->udp_port = (uint16_t)v;
	rc = get_uint(c, o, p, "port", 0, PTAB_MAX_PORT, 1, &v);
	if (rc)
		return rc;
	s->port = (uint16_t)v;
	return 0;
}

static int parse_servers(const struct ctx *c, const cJSON *arr, struct input *in)
{
	int n;

	if (!cJSON_IsArray(arr))
		return fail(c, -EINVAL, JP_TOP, "servers", "expected an array, got %s",
			    type_name(arr));
	n = cJSON_GetArraySize(arr);
	if ((uint32_t)n > c->lim->max_servers)
		return fail(c, -E2BIG, JP_TOP, "servers", "%d servers, over the limit of %u",
			    n, c->lim->max_servers);
	long i = 0;
	const cJSON *o;

	cJSON_ArrayForEach(o, arr) {
		int rc = parse_server(c, o, i, in);

		if (rc)
			return rc;
		i++;
	}
	in->nservers = (uint32_t)n;
	in->has_servers = 1;
	return 0;
}

/* The servers app targets resolve against: the input's, else in force. */
struct target_ctx {
	const struct es_server *servers;
	uint32_t nservers;
};

static int resolve_target(const struct target_ctx *t, const char *s,
			  struct es_app *a)
{
	int k;

	if (!strcmp(s, "local")) {
		a->target_kind = ESOP_TARGET_LOCAL;
		a->server = ES_SERVER_ANY;
		return 0;
	}
	k = parse_kind(s);
	if (k >= 0) {
		a->target_kind = (uint8_t)k;
		a->server = ES_SERVER_ANY;
		for (uint32_t i = 0; i < t->nservers; i++)
			if (t->servers[i].kind == k)
				return 0;
		return -ENODEV;
	}
	for (uint32_t i = 0; i < t->nservers; i++)
		if (!strcmp(t->servers[i].name, s)) {
			a->target_kind = t->servers[i].kind;
			a->server = (uint8_t)i;
			return 0;
		}
	return -ENOENT;
}

static const char *const app_keys[] = {
	"app", "target", "split_layer", "exit", NULL
};

static int parse_app(const struct ctx *c, const cJSON *o, long di, long ai,
		     const struct target_ctx *t, struct es_app *a)
{
	struct jpath p = JP_APP(di, ai);
	const char *target;
	uint64_t v;
	int rc;

	memset(a, 0, sizeof(*a));
	rc = check_keys(c, o, p, app_keys, 3);
	if (!rc)
		rc = get_uint(c, o, p, "app", 0, UINT16_MAX, 1, &v);
	if (rc)
		return rc;
	a->app = (uint16_t)v;
	rc = get_string(c, o, p, "target", &target);
	if (rc)
		return rc;
	rc = resolve_target(t, target, a);
	if (rc == -ENODEV)
		return fail(c, -EINVAL, p, "target", "'%s' but no %s server is declared",
			    target, target);
	if (rc)
		return fail(c, -EINVAL, p, "target", "'%s' is not \"local\", \"edge\", "
			    "\"cloud\" or a declared server", target);
	v = 0;
	rc = get_uint(c, o, p, "split_layer", 0, PTAB_MAX_SPLIT_LAYER, 0, &v);
	if (rc)
		return rc;
	a->split_layer = (uint16_t)v;
	v = 0;
	rc = get_uint(c, o, p, "exit", 0, PTAB_MAX_EXIT, 0, &v);
	if (rc)
		return rc;
	a->exit = (uint8_t)v;
	return 0;
}

static const char *const device_keys[] = {
	"id", "rate_kbps", "burst_bytes", "apps", NULL
};

static int grow_apps(struct input *in, uint32_t need, uint32_t *cap)
{
	if (need <= *cap)
		return 0;
	uint32_t ncap = *cap ? *cap : 1024;

	while (ncap < need)
		ncap *= 2;
	struct es_app *a = realloc(in->apps, (size_t)ncap * sizeof(*a));

	if (!a)
		return -ENOMEM;
	in->apps = a;
	*cap = ncap;
	return 0;
}

static int parse_device(const struct ctx *c, const cJSON *o, long i,
			const struct target_ctx *t, uint32_t rate, uint32_t burst,
			struct input *in, uint32_t *apps_cap)
{
	struct es_device *d = &in->devices[i];
	struct jpath p = JP_IDX("devices", i);
	const cJSON *apps, *ao;
	uint64_t v;
	int rc, n;

	memset(d, 0, sizeof(*d));
	rc = check_keys(c, o, p, device_keys, 1);
	if (!rc)
		rc = get_uint(c, o, p, "id", 1, UINT32_MAX, 1, &v);
	if (rc)
		return rc;
	d->id = (uint32_t)v;
	v = rate;
	rc = get_uint(c, o, p, "rate_kbps", 1, UINT32_MAX, 0, &v);
	if (rc)
		return rc;
	d->rate_kbps = (uint32_t)v;
	v = burst;
	rc = get_uint(c, o, p, "burst_bytes", 1500, UINT32_MAX, 0, &v);
	if (rc)
		return rc;
	d->burst_bytes = (uint32_t)v;
	d->apps_off = in->napps;
	apps = cJSON_GetObjectItemCaseSensitive(o, "apps");
	if (!apps)
		return 0;
	if (!cJSON_IsArray(apps))
		return fail(c, -EINVAL, p, "apps", "expected an array, got %s", type_name(apps));
	n = cJSON_GetArraySize(apps);
	if ((uint32_t)n > c->lim->max_apps_per_device)
		return fail(c, -E2BIG, p, "apps", "%d apps, over the limit of %u per device",
			    n, c->lim->max_apps_per_device);
	if (grow_apps(in, in->napps + (uint32_t)n, apps_cap))
		return -ENOMEM;
	long j = 0;

	cJSON_ArrayForEach(ao, apps) {
		struct es_app *a = &in->apps[in->napps + j];

		rc = parse_app(c, ao, i, j, t, a);
		if (rc)
			return rc;
		for (long k = 0; k < j; k++)
			if (in->apps[in->napps + k].app == a->app)
				return fail(c, -EINVAL, JP_APP(i, j), "app",
					    "app %u already listed at apps[%ld]", a->app, k);
		j++;
	}
	d->napps = (uint8_t)n;
	in->napps += (uint32_t)n;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts devices by id (skipped when already sorted) and refuses repeats. */
static int sort_devices(const struct ctx *c, struct input *in)
{
	uint32_t n = in->ndevices;
	int sorted = 1;

	for (uint32_t k = 1; k < n; k++) {
		if (in->devices[k].id == in->devices[k - 1].id)
			return fail(c, -EINVAL, JP_IDX("devices", k), "id",
				    "device %u already listed at devices[%u]",
				    in->devices[k].id, k - 1);
		if (in->devices[k].id < in->devices[k - 1].id)
			sorted = 0;
	}
	if (sorted)
		return 0;

	uint64_t *key = malloc((size_t)n * sizeof(*key));
	struct es_device *out = malloc((size_t)n * sizeof(*out));
	uint32_t *order = malloc((size_t)n * sizeof(*order));
	int rc = -ENOMEM;

	if (!key || !out || !order)
		goto out;
	for (uint32_t k = 0; k < n; k++)
		key[k] = (uint64_t)in->devices[k].id << 32 | k;
	qsort(key, n, sizeof(*key), cmp_u64);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t from = (uint32_t)key[k];

		if (k && key[k] >> 32 == key[k - 1] >> 32) {
			uint32_t first = (uint32_t)key[k - 1];

			rc = fail(c, -EINVAL, JP_IDX("devices", from), "id",
				  "device %u already listed at devices[%u]",
				  in->devices[from].id, first);
			goto out;
		}
		out[k] = in->devices[from];
		order[k] = from;
	}
	free(in->devices);
	in->devices = out;
	in->order = order;
	out = NULL;
	order = NULL;
	rc = 0;
out:
	free(key);
	free(out);
	free(order);
	return rc;
}

static uint32_t file_index(const struct input *in, uint32_t k)
{
	return in->order ? in->order[k] : k;
}

static int parse_removals(const struct ctx *c, const cJSON *arr, struct input *in)
{
	const cJSON *v;
	long i = 0;
	int n;

	if (!cJSON_IsArray(arr))
		return fail(c, -EINVAL, JP_TOP, "remove_devices",
			    "expected an array, got %s", type_name(arr));
	n = cJSON_GetArraySize(arr);
	if ((uint32_t)n > c->lim->max_devices)
		return fail(c, -E2BIG, JP_TOP, "remove_devices",
			    "%d ids, over the limit of %u", n, c->lim->max_devices);
	in->remove = malloc((size_t)(n ? n : 1) * sizeof(*in->remove));
	if (!in->remove)
		return -ENOMEM;
	cJSON_ArrayForEach(v, arr) {
		double d = v->valuedouble;

		if (!cJSON_IsNumber(v) || !isfinite(d) || d != floor(d))
			return fail(c, -EINVAL, JP_IDX("remove_devices", i), NULL,
				    "expected a device id (integer), got %s", type_name(v));
		if (d < 1 || d > UINT32_MAX)
			return fail(c, -EINVAL, JP_IDX("remove_devices", i), NULL,
				    "%.0f out of range 1..4294967295", d);
		/* the file index rides along for the error messages */
		in->remove[i] = (uint64_t)d << 32 | (uint64_t)i;
		i++;
	}
	in->nremove = (uint32_t)n;
	qsort(in->remove, in->nremove, sizeof(*in->remove), cmp_u64);
	for (uint32_t k = 1; k < in->nremove; k++)
		if (in->remove[k] >> 32 == in->remove[k - 1] >> 32)
			return fail(c, -EINVAL, JP_IDX("remove_devices", (uint32_t)in->remove[k]),
				    NULL, "device %u already listed at remove_devices[%u]",
				    (uint32_t)(in->remove[k] >> 32), (uint32_t)in->remove[k - 1]);
	return 0;
}

static void input_free(struct input *in)
{
	free(in->devices);
	free(in->apps);
	free(in->order);
	free(in->remove);
}

static const char *const top_keys[] = {
	"edgesteer_policy", "epoch", "delta", "defaults", "servers", "devices",
	"remove_devices", NULL
};

/* The document -> @in, everything checked that the input alone can say. */
static int parse_doc(const struct ctx *c, const cJSON *root,
		     const struct es_policy *in_force, struct input *in)
{
	const cJSON *dl, *devs, *o;
	struct target_ctx t;
	uint32_t rate, burst, apps_cap = 0;
	uint64_t v;
	int rc, n;

	rc = check_keys(c, root, JP_TOP, top_keys, 3);
	if (rc)
		return rc;
	rc = get_uint(c, root, JP_TOP, "edgesteer_policy", 1, 1, 1, &v);
	if (rc)
		return rc;
	rc = get_uint(c, root, JP_TOP, "epoch", 0, PTAB_MAX_EPOCH, 1, &in->epoch);
	if (rc)
		return rc;
	dl = cJSON_GetObjectItemCaseSensitive(root, "delta");
	if (dl && !cJSON_IsBool(dl))
		return fail(c, -EINVAL, JP_TOP, "delta", "expected true or false, got %s",
			    type_name(dl));
	in->delta = cJSON_IsTrue(dl);

	o = cJSON_GetObjectItemCaseSensitive(root, "defaults");
	if (o) {
		rc = parse_defaults(c, o, in);
		if (rc)
			return rc;
	} else if (!in->delta) {
		return fail(c, -EINVAL, JP_TOP, "defaults", "missing (required)");
	}
	o = cJSON_GetObjectItemCaseSensitive(root, "servers");
	if (o) {
		rc = parse_servers(c, o, in);
		if (rc)
			return rc;
	} else if (!in->delta) {
		return fail(c, -EINVAL, JP_TOP, "servers", "missing (required)");
	}
	o = cJSON_GetObjectItemCaseSensitive(root, "remove_devices");
	if (o) {
		if (!in->delta)
			return fail(c, -EINVAL, JP_TOP, "remove_devices",
				    "only a delta (\"delta\": true) removes devices");
		rc = parse_removals(c, o, in);
		if (rc)
			return rc;
	}

	if (in->has_servers) {
		t.servers = in->servers;
		t.nservers = in->nservers;
	} else {
		t.servers = in_force ? in_force->servers : NULL;
		t.nservers = in_force ? in_force->nservers : 0;
	}
	rate = in->has_defaults ? in->rate_kbps : in_force ? in_force->default_rate_kbps : 0;
	burst = in->has_defaults ? in->burst_bytes : in_force ? in_force->default_burst_bytes : 0;

	devs = cJSON_GetObjectItemCaseSensitive(root, "devices");
	if (!devs) {
		if (!in->delta)
			return fail(c, -EINVAL, JP_TOP, "devices", "missing (required)");
		return 0;
	}
	if (!cJSON_IsArray(devs))
		return fail(c, -EINVAL, JP_TOP, "devices", "expected an array, got %s",
			    type_name(devs));
	n = cJSON_GetArraySize(devs);
	if ((uint32_t)n > c->lim->max_devices)
		return fail(c, -E2BIG, JP_TOP, "devices",
			    "%d devices, over the limit of %u (refused whole)", n,
			    c->lim->max_devices);
	in->devices = malloc((size_t)(n ? n : 1) * sizeof(*in->devices));
	if (!in->devices)
		return -ENOMEM;
	long i = 0;

	cJSON_ArrayForEach(o, devs) {
		rc = parse_device(c, o, i, &t, rate, burst, in, &apps_cap);
		if (rc)
			return rc;
		if (!rate && !cJSON_GetObjectItemCaseSensitive(o, "rate_kbps"))
			return fail(c, -EINVAL, JP_IDX("devices", i), "rate_kbps",
				    "missing, and no defaults in force");
		if (!burst && !cJSON_GetObjectItemCaseSensitive(o, "burst_bytes"))
			return fail(c, -EINVAL, JP_IDX("devices", i), "burst_bytes",
				    "missing, and no defaults in force");
		i++;
	}
	in->ndevices = (uint32_t)n;
	return sort_devices(c, in);
}

/*
 * What a delta says about the table in force that only the file can name
 * (with its indices), then the delta handed over in binary.
 */
static int to_delta(const struct ctx *c, const struct es_policy *cur,
		    struct input *in, struct ptab_delta *d)
{
	uint32_t *ids;

	for (uint32_t q = 0; q < in->nremove; q++) {
		uint32_t id = (uint32_t)(in->remove[q] >> 32);

		if (!cur || !ptab_find_device(cur, id))
			return fail(c, -EINVAL, JP_IDX("remove_devices", (uint32_t)in->remove[q]),
				    NULL, "device %u is not in the table in force (epoch %llu)",
				    id, cur ? (unsigned long long)cur->epoch : 0ull);
	}
	for (uint32_t q = 0, z = 0; q < in->ndevices; q++) {
		while (z < in->nremove && (uint32_t)(in->remove[z] >> 32) < in->devices[q].id)
			z++;
		if (z < in->nremove && (uint32_t)(in->remove[z] >> 32) == in->devices[q].id)
			return fail(c, -EINVAL, JP_IDX("devices", file_index(in, q)), "id",
				    "device %u is also in remove_devices[%u]",
				    in->devices[q].id, (uint32_t)in->remove[z]);
	}
	ids = malloc(((size_t)in->nremove + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (uint32_t q = 0; q < in->nremove; q++)
		ids[q] = (uint32_t)(in->remove[q] >> 32);
	memset(d, 0, sizeof(*d));
	d->epoch = in->epoch;
	d->has_defaults = (uint8_t)in->has_defaults;
	d->unknown_action = in->unknown_action;
	d->default_rate_kbps = in->rate_kbps;
	d->default_burst_bytes = in->burst_bytes;
	d->has_servers = (uint8_t)in->has_servers;
	d->nservers = in->nservers;
	memcpy(d->servers, in->servers, sizeof(d->servers));
	d->ndevices = in->ndevices;
	d->napps = in->napps;
	d->devices = in->devices;
	d->apps = in->apps;
	d->nremove = in->nremove;
	d->remove = ids;
	in->devices = NULL;
	in->apps = NULL;
	return 0;
}

static void error_position(const struct ctx *c, const char *json, const char *at,
			   size_t len)
{
	size_t off = at && at >= json && at <= json + len ? (size_t)(at - json) : len;
	unsigned long line = 1, col = 1;

	for (size_t q = 0; q < off; q++) {
		if (json[q] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	if (off >= len)
		fail(c, -EINVAL, JP_TOP, NULL, "malformed JSON: ends early (truncated?) at "
		     "line %lu column %lu", line, col);
	else
		fail(c, -EINVAL, JP_TOP, NULL, "malformed JSON at line %lu column %lu "
		     "(byte %zu)", line, col, off);
}

/* cJSON nodes and strings per byte of POLICY.md JSON, measured: ~6.5. */
#define ARENA_BYTES_PER_JSON_BYTE	7u

int ptab_prefault(size_t json_bytes)
{
	int rc = ptab_arena_begin(json_bytes * ARENA_BYTES_PER_JSON_BYTE + (1u << 20));

	if (!rc)
		ptab_arena_end();
	return rc;
}

int ptab_load(const char *name, const char *json, size_t len,
	      const struct es_policy *in_force, const struct ptab_limits *lim,
	      unsigned int flags, struct es_policy *next,
	      struct ptab_load_info *info, struct ptab_delta *delta,
	      struct ptab_error *err)
{
	static const struct ptab_limits dflt = PTAB_LIMITS_DEFAULT;
	struct ptab_delta dl = { 0 };
	struct ctx c = { name ? name : "(policy)", err, lim ? lim : &dflt };
	struct ptab_load_info inf = { 0 };
	struct input in = { 0 };
	struct es_policy out;
	const char *end = NULL;
	cJSON *root;
	int rc, arena_on = 0;

	if (len > PTAB_MAX_INPUT_BYTES)
		return fail(&c, -E2BIG, JP_TOP, NULL, "%zu bytes, over the limit of %llu",
			    len, PTAB_MAX_INPUT_BYTES);
	if (json[len] != '\0')
		return fail(&c, -EINVAL, JP_TOP, NULL, "input not NUL-terminated");
	rc = ptab_arena_begin(len * ARENA_BYTES_PER_JSON_BYTE + (1u << 20));
	if (rc)
		return fail(&c, rc, JP_TOP, NULL, "no memory to parse %zu bytes", len);
	arena_on = 1;
	/* len + 1: cJSON then requires the value to end at our NUL. */
	root = cJSON_ParseWithLengthOpts(json, len + 1, &end, 1);
	if (!root) {
		error_position(&c, json, end ? end : cJSON_GetErrorPtr(), len);
		rc = -EINVAL;
		goto out;
	}
	if (end != json + len) {
		rc = fail(&c, -EINVAL, JP_TOP, NULL, "data after the JSON value at byte %zu",
			  (size_t)(end - json));
		goto out;
	}
	rc = parse_doc(&c, root, in_force, &in);
	ptab_arena_end();
	arena_on = 0;
	if (rc)
		goto out;
	if (in_force && !(flags & PTAB_F_FORCE) && in.epoch <= in_force->epoch) {
		rc = fail(&c, -ESTALE, JP_TOP, "epoch", "%llu is not newer than %llu in "
			  "force (push --force to go back)", (unsigned long long)in.epoch,
			  (unsigned long long)in_force->epoch);
		goto out;
	}
	if (in.delta) {
		rc = to_delta(&c, in_force, &in, &dl);
		if (!rc)
			rc = ptab_apply_delta(c.name, in_force, &dl, c.lim, &out, &inf, err);
		if (rc)
			goto out;
		/*
		 * No ptab_check() of the whole result: the table in force met it,
		 * every device of the delta was checked against the result's
		 * servers, and the merge checked what servers replaced.
		 */
		*next = out;
		if (info)
			*info = inf;
		if (delta) {
			*delta = dl;
			memset(&dl, 0, sizeof(dl));
		}
		goto out;
	} else {
		memset(&out, 0, sizeof(out));
		out.epoch = in.epoch;
		out.unknown_action = in.unknown_action;
		out.default_rate_kbps = in.rate_kbps;
		out.default_burst_bytes = in.burst_bytes;
		out.nservers = in.nservers;
		memcpy(out.servers, in.servers, sizeof(out.servers));
		out.ndevices = in.ndevices;
		out.napps = in.napps;
		out.devices = in.devices;
		out.apps = in.apps;
		in.devices = NULL;
		in.apps = NULL;
		inf.added = out.ndevices;
	}
	/* A backstop: whatever was built must meet es_policy.h's invariants. */
	rc = ptab_check(&out, c.lim, err);
	if (rc) {
		ptab_free(&out);
		goto out;
	}
	*next = out;
	if (info)
		*info = inf;
out:
	if (arena_on)
		ptab_arena_end();
	if (delta && (rc || !in.delta))
		memset(delta, 0, sizeof(*delta));
	ptab_delta_free(&dl);
	input_free(&in);
	return rc;
}

int ptab_load_file(const char *path, const struct es_policy *in_force,
		   const struct ptab_limits *lim, unsigned int flags,
		   struct es_policy *next, struct ptab_load_info *info,
		   struct ptab_error *err)
{
	struct ctx c = { path, err, NULL };
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(&c, -errno, JP_TOP, NULL, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(&c, -EINVAL, JP_TOP, NULL, "not a regular file");
	}
	if ((unsigned long long)st.st_size > PTAB_MAX_INPUT_BYTES) {
		close(fd);
		return fail(&c, -E2BIG, JP_TOP, NULL, "%lld bytes, over the limit of %llu",
			    (long long)st.st_size, PTAB_MAX_INPUT_BYTES);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			close(fd);
			free(buf);
			return fail(&c, rc, JP_TOP, NULL, "read failed: %s", strerror(-rc));
		}
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	rc = ptab_load(path, buf, got, in_force, lim, flags, next, info, NULL, err);
	free(buf);
	return rc;
}
