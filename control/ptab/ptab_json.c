/* SPDX-License-Identifier: MIT */
/*
 * es_policy -> POLICY.md JSON (show, diff, files an operator can edit and
 * push back), written directly: a cJSON tree of a million devices would
 * cost more than the table itself.
 */
#include "ptab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "esop.h"

static const char *kind_name(unsigned int k)
{
	return k == ESOP_TARGET_EDGE ? "edge" : k == ESOP_TARGET_CLOUD ? "cloud" : "local";
}

static const char *target_name(const struct es_policy *p, const struct es_app *a)
{
	if (a->target_kind == ESOP_TARGET_LOCAL || a->server == ES_SERVER_ANY ||
	    a->server >= p->nservers)
		return kind_name(a->target_kind);
	return p->servers[a->server].name;
}

static void write_device(FILE *f, const struct es_policy *p, const struct es_device *d)
{
	fprintf(f, "{ \"id\": %u, \"rate_kbps\": %u, \"burst_bytes\": %u, \"apps\": [",
		d->id, d->rate_kbps, d->burst_bytes);
	for (uint32_t a = 0; a < d->napps; a++) {
		const struct es_app *ap = &p->apps[d->apps_off + a];

		fprintf(f, "%s{ \"app\": %u, \"target\": \"%s\", \"split_layer\": %u, "
			"\"exit\": %u }", a ? ", " : " ", ap->app, target_name(p, ap),
			ap->split_layer, ap->exit);
	}
	fprintf(f, "%s] }", d->napps ? " " : "");
}

static void write_server(FILE *f, const struct es_server *s)
{
	char ip[INET6_ADDRSTRLEN] = "";

	inet_ntop(s->ipv6 ? AF_INET6 : AF_INET, s->ip, ip, sizeof(ip));
	fprintf(f, "{ \"name\": \"%s\", \"kind\": \"%s\", "
		"\"mac\": \"%02x:%02x:%02x:%02x:%02x:%02x\", \"ip\": \"%s\", "
		"\"udp_port\": %u, \"port\": %u }", s->name, kind_name(s->kind),
		s->mac[0], s->mac[1], s->mac[2], s->mac[3], s->mac[4], s->mac[5], ip,
		s->udp_port, s->port);
}

int ptab_write_json(const struct es_policy *p, FILE *f, uint32_t only_device)
{
	const struct es_device *one = NULL;

	if (only_device) {
		one = ptab_find_device(p, only_device);
		if (!one)
			return -ENOENT;
	}
	fprintf(f, "{\n  \"edgesteer_policy\": 1,\n  \"epoch\": %llu,\n"
		"  \"defaults\": { \"unknown_device\": \"%s\", \"rate_kbps\": %u, "
		"\"burst_bytes\": %u },\n  \"servers\": [\n",
		(unsigned long long)p->epoch,
		p->unknown_action == ES_UNKNOWN_CONTROL ? "control" : "drop",
		p->default_rate_kbps, p->default_burst_bytes);
	for (uint32_t s = 0; s < p->nservers; s++) {
		fputs("    ", f);
		write_server(f, &p->servers[s]);
		fputs(s + 1 < p->nservers ? ",\n" : "\n", f);
	}
	fputs("  ],\n  \"devices\": [\n", f);
	if (one) {
		fputs("    ", f);
		write_device(f, p, one);
		fputc('\n', f);
	} else {
		for (uint32_t i = 0; i < p->ndevices; i++) {
			fputs("    ", f);
			write_device(f, p, &p->devices[i]);
			fputs(i + 1 < p->ndevices ? ",\n" : "\n", f);
		}
	}
	fputs("  ]\n}\n", f);
	return ferror(f) ? -EIO : 0;
}

int ptab_device_equal(const struct es_policy *a, const struct es_device *da,
		      const struct es_policy *b, const struct es_device *db)
{
	if (da->rate_kbps != db->rate_kbps || da->burst_bytes != db->burst_bytes ||
	    da->napps != db->napps)
		return 0;
	for (uint32_t k = 0; k < da->napps; k++) {
		const struct es_app *x = &a->apps[da->apps_off + k];
		const struct es_app *y = &b->apps[db->apps_off + k];

		/* by target name: server indices may differ between tables */
		if (x->app != y->app || x->target_kind != y->target_kind ||
		    x->split_layer != y->split_layer || x->exit != y->exit ||
		    strcmp(target_name(a, x), target_name(b, y)))
			return 0;
	}
	return 1;
}

static void diff_line(FILE *f, int json, int *first, char sign, const struct es_policy *p,
		      const struct es_device *d)
{
	if (!f)
		return;
	if (json) {
		fprintf(f, "%s\n    { \"op\": \"%c\", \"id\": %u }", *first ? "" : ",", sign, d->id);
		*first = 0;
		return;
	}
	fprintf(f, "%c device %u", sign, d->id);
	if (sign != '-') {
		fputs(": ", f);
		write_device(f, p, d);
	}
	fputc('\n', f);
}

int ptab_diff(const struct es_policy *from, const struct es_policy *to,
	      FILE *f, int json, struct ptab_diff_stats *st)
{
	uint32_t i = 0, k = 0;
	int first = 1;

	memset(st, 0, sizeof(*st));
	st->defaults_changed = from->unknown_action != to->unknown_action ||
			       from->default_rate_kbps != to->default_rate_kbps ||
			       from->default_burst_bytes != to->default_burst_bytes;
	st->servers_changed = from->nservers != to->nservers ||
			      memcmp(from->servers, to->servers,
				     from->nservers * sizeof(from->servers[0]));
	if (f && json)
		fprintf(f, "{\n  \"from_epoch\": %llu, \"to_epoch\": %llu,\n  \"devices\": [",
			(unsigned long long)from->epoch, (unsigned long long)to->epoch);
	else if (f)
		fprintf(f, "epoch %llu -> %llu\n", (unsigned long long)from->epoch,
			(unsigned long long)to->epoch);
	while (i < from->ndevices || k < to->ndevices) {
		const struct es_device *a = i < from->ndevices ? &from->devices[i] : NULL;
		const struct es_device *b = k < to->ndevices ? &to->devices[k] : NULL;

		if (a && (!b || a->id < b->id)) {
			st->removed++;
			diff_line(f, json, &first, '-', from, a);
			i++;
		} else if (!a || b->id < a->id) {
			st->added++;
			diff_line(f, json, &first, '+', to, b);
			k++;
		} else {
			if (ptab_device_equal(from, a, to, b)) {
				st->unchanged++;
			} else {
				st->changed++;
				diff_line(f, json, &first, '~', to, b);
			}
			i++;
			k++;
		}
	}
	if (f && json)
		fprintf(f, "\n  ],\n  \"added\": %u, \"removed\": %u, \"changed\": %u, "
			"\"unchanged\": %u, \"servers_changed\": %s, \"defaults_changed\": %s\n}\n",
			st->added, st->removed, st->changed, st->unchanged,
			st->servers_changed ? "true" : "false",
			st->defaults_changed ? "true" : "false");
	else if (f)
		fprintf(f, "%u added, %u removed, %u changed, %u unchanged%s%s\n", st->added,
			st->removed, st->changed, st->unchanged,
			st->servers_changed ? ", servers changed" : "",
			st->defaults_changed ? ", defaults changed" : "");
	return f && ferror(f) ? -EIO : 0;
}
