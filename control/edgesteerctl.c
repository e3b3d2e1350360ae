/* SPDX-License-Identifier: MIT */
/*
 * edgesteerctl: the operator's command line for EdgeSteer. Validates policy
 * tables offline and talks to edgesteerd over its control socket
 * (control/daemon/ctl_proto.h) for everything else.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ctl_proto.h"
#include "policy.h"
#include "ptab.h"

enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,	/* invalid table, refused request, failure */
	EXIT_USAGE = 2,
	EXIT_NO_DAEMON = 3,	/* cannot reach edgesteerd, or it spoke garbage */
};

static const char *sock_path = CTL_DEFAULT_SOCKET;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: edgesteerctl [--socket PATH] COMMAND [ARGS...]\n"
"\n"
"Operate EdgeSteer's control plane: check policy tables (docs/POLICY.md),\n"
"push them to edgesteerd, look at the table in force, roll back.\n"
"\n"
"Commands:\n"
"  validate FILE [--json]      check FILE against every rule of POLICY.md,\n"
"                              without a daemon. A delta is checked against\n"
"                              the table in force when edgesteerd answers,\n"
"                              else against an empty table.\n"
"  push FILE [--force]         make FILE (a table or a delta) the table in\n"
"                              force, atomically in every stage; an epoch\n"
"                              not newer than the one in force is refused\n"
"                              unless --force.\n"
"  show [--device ID] [--json] the table in force (one device with --device);\n"
"                              --json prints it as POLICY.md JSON, ready to\n"
"                              edit and push back.\n"
"  diff FILE [--json]          what pushing FILE would change, device by\n"
"                              device (+ added, - removed, ~ changed).\n"
"  rollback [EPOCH]            put a kept table back in force: EPOCH, or the\n"
"                              newest kept one older than the table in force.\n"
"  stats [--json]              the daemon's counters: table, policy, pushes,\n"
"                              requests, per-server load.\n"
"  policy list [--json]        the policies this build knows.\n"
"  policy eval --policy NAME ...\n"
"                              run a policy's offline evaluation;\n"
"                              `policy eval --policy NAME --help` lists its\n"
"                              options.\n"
"  help                        this text.\n"
"\n"
"Options:\n"
"  --socket PATH   edgesteerd's control socket (default " CTL_DEFAULT_SOCKET ",\n"
"                  or $EDGESTEER_SOCKET)\n"
"  --json          machine-readable output on stdout (read commands);\n"
"                  errors still go to stderr\n"
"\n"
"Examples:\n"
"  edgesteerctl validate policies/example.json\n"
"  edgesteerctl push policies/example.json\n"
"  edgesteerctl diff policies/example-delta.json && \\\n"
"      edgesteerctl push policies/example-delta.json\n"
"  edgesteerctl show --device 1 --json\n"
"  edgesteerctl rollback\n"
"\n"
"Tables and deltas: docs/POLICY.md; the daemon and its files: docs/control.md.\n"
"\n"
"Errors name the file, the JSON path and the reason, e.g.\n"
"  error: t.json: devices[3].apps[0].target: 'edge9' is not \"local\", ...\n"
"and a refused table changes nothing.\n"
"\n"
"Exit status:\n"
"  0  success\n"
"  1  the table is invalid, or the daemon refused or failed the request\n"
"  2  usage error\n"
"  3  edgesteerd cannot be reached (or answered with something malformed)\n");
}

/* A connected socket to edgesteerd, or -errno. */
static int dial(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(sock_path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/*
 * One request (@pass_fd >= 0 rides along with the header), one reply.
 * Returns 0 (status in *rh) or -errno on transport.
 */
static int request_fd(uint16_t type, uint32_t flags, int pass_fd, const void *a, size_t an,
		      const void *b, size_t bn, struct ctl_msg_hdr *rh, char **out, size_t *len)
{
	struct ctl_msg_hdr h;
	int fd = dial(), rc;

	if (fd < 0)
		return fd;
	ctl_proto_hdr(&h, type, flags, 0, an + bn);
	rc = ctl_proto_send_hdr_fd(fd, &h, pass_fd);
	if (!rc)
		rc = ctl_proto_send(fd, NULL, a, an, b, bn);
	/* a refusal may come before the whole request was read: read it anyway */
	int rrc = ctl_proto_recv_reply(fd, rh, out, len);

	close(fd);
	return rrc ? (rc ? rc : rrc) : 0;
}

static int request(uint16_t type, uint32_t flags, const void *a, size_t an,
		   const void *b, size_t bn, struct ctl_msg_hdr *rh, char **out, size_t *len)
{
	return request_fd(type, flags, -1, a, an, b, bn, rh, out, len);
}

static int no_daemon(int rc)
{
	fprintf(stderr, "error: edgesteerctl: cannot talk to edgesteerd at %s: %s\n",
		sock_path, strerror(-rc));
	return EXIT_NO_DAEMON;
}

/* The table in force, parsed back from the daemon's JSON. Returns an exit code. */
static int fetch_in_force(struct es_policy *cur, int quiet)
{
	struct ptab_error err = { "" };
	struct ctl_msg_hdr rh;
	uint32_t id = 0;
	size_t len;
	char *buf;
	int rc;

	rc = request(CTL_REQ_SHOW, 0, &id, sizeof(id), NULL, 0, &rh, &buf, &len);
	if (rc)
		return quiet ? EXIT_NO_DAEMON : no_daemon(rc);
	if (rh.status) {
		if (!quiet)
			fprintf(stderr, "error: edgesteerd: %s\n", buf);
		free(buf);
		return EXIT_REFUSED;
	}
	rc = ptab_load("(table in force)", buf, len, NULL, NULL, 0, cur, NULL, NULL, &err);
	if (rc && !quiet)
		fprintf(stderr, "error: edgesteerctl: %s\n", err.msg);
	free(buf);
	return rc ? EXIT_NO_DAEMON : EXIT_OK;
}

static int file_is_delta(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[4096];
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* a hint only: the real check is the load itself */
	return strstr(buf, "\"delta\"") != NULL;
}

static void print_summary(FILE *f, const char *what, const struct es_policy *p)
{
	fprintf(f, "%s: epoch %llu, %u devices, %u apps, %u servers\n", what,
		(unsigned long long)p->epoch, p->ndevices, p->napps, p->nservers);
}

static int cmd_validate(const char *path, int json)
{
	struct ptab_error err = { "" };
	struct es_policy cur = { 0 }, next;
	struct ptab_load_info info;
	const char *against = "none";
	int rc, have = 0;

	if (file_is_delta(path) && !fetch_in_force(&cur, 1)) {
		have = 1;
		against = "the table in force";
	}
	rc = ptab_load_file(path, have ? &cur : NULL, NULL, 0, &next, &info, &err);
	if (json) {
		cJSON *o = cJSON_CreateObject();
		char *s;

		cJSON_AddStringToObject(o, "file", path);
		cJSON_AddBoolToObject(o, "valid", !rc);
		if (rc) {
			cJSON_AddStringToObject(o, "error", err.msg);
		} else {
			cJSON_AddBoolToObject(o, "delta", info.delta);
			cJSON_AddStringToObject(o, "checked_against", against);
			cJSON_AddNumberToObject(o, "epoch", (double)next.epoch);
			cJSON_AddNumberToObject(o, "devices", next.ndevices);
			cJSON_AddNumberToObject(o, "apps", next.napps);
			cJSON_AddNumberToObject(o, "servers", next.nservers);
		}
		s = cJSON_PrintUnformatted(o);
		printf("%s\n", s);
		free(s);
		cJSON_Delete(o);
	}
	if (rc) {
		fprintf(stderr, "error: %s\n", err.msg);
	} else if (!json) {
		printf("%s: valid%s", path, info.delta ? " delta" : "");
		if (info.delta)
			printf(" (checked against %s)", against);
		printf("\n");
		print_summary(stdout, "  result", &next);
		ptab_free(&next);
	} else {
		ptab_free(&next);
	}
	ptab_free(&cur);
	return rc ? EXIT_REFUSED : EXIT_OK;
}

static int cmd_push(const char *path, int force)
{
	struct ctl_msg_hdr rh;
	size_t len, nlen = strlen(path);
	uint8_t pre[2 + CTL_NAME_MAX];
	struct stat st;
	char *buf;
	int fd, rc;

	if (nlen > CTL_NAME_MAX)
		nlen = CTL_NAME_MAX;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "error: %s: cannot read: %s\n", path,
			fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return EXIT_REFUSED;
	}
	pre[0] = (uint8_t)nlen;
	pre[1] = (uint8_t)(nlen >> 8);
	memcpy(pre + 2, path, nlen);
	/* the daemon reads the file through our descriptor: no copy through the socket */
	rc = request_fd(CTL_REQ_PUSH, CTL_F_FD | (force ? CTL_F_FORCE : 0), fd, pre, 2 + nlen,
			NULL, 0, &rh, &buf, &len);
	close(fd);
	if (rc)
		return no_daemon(rc);
	if (rh.status) {
		fprintf(stderr, "error: %s\n", buf);
		free(buf);
		return EXIT_REFUSED;
	}
	printf("%s\n", buf);
	free(buf);
	return EXIT_OK;
}

static void print_table(const struct es_policy *p)
{
	print_summary(stdout, "table in force", p);
	printf("defaults: unknown devices %s, rate %u kbit/s, burst %u bytes\n",
	       p->unknown_action == ES_UNKNOWN_CONTROL ? "to the control plane" : "dropped",
	       p->default_rate_kbps, p->default_burst_bytes);
	printf("%-20s %-6s %-17s %5s %5s\n", "SERVER", "KIND", "MAC", "UDP", "PORT");
	for (uint32_t s = 0; s < p->nservers; s++) {
		const struct es_server *sv = &p->servers[s];

		printf("%-20s %-6s %02x:%02x:%02x:%02x:%02x:%02x %5u %5u\n", sv->name,
		       sv->kind == 1 ? "edge" : "cloud", sv->mac[0], sv->mac[1], sv->mac[2],
		       sv->mac[3], sv->mac[4], sv->mac[5], sv->udp_port, sv->port);
	}
	printf("%-10s %10s %10s  %s\n", "DEVICE", "RATE_KBPS", "BURST", "APPS (app->target)");
	for (uint32_t i = 0; i < p->ndevices; i++) {
		const struct es_device *d = &p->devices[i];

		printf("%-10u %10u %10u ", d->id, d->rate_kbps, d->burst_bytes);
		for (uint32_t a = 0; a < d->napps; a++) {
			const struct es_app *ap = &p->apps[d->apps_off + a];
			const char *t = ap->target_kind == 0 ? "local" :
				ap->server < p->nservers ? p->servers[ap->server].name :
				ap->target_kind == 1 ? "edge" : "cloud";

			printf(" %u->%s", ap->app, t);
		}
		printf("\n");
	}
}

static int cmd_show(uint32_t device, int json)
{
	struct ptab_error err = { "" };
	struct ctl_msg_hdr rh;
	struct es_policy p;
	size_t len;
	char *buf;
	int rc;

	rc = request(CTL_REQ_SHOW, 0, &device, sizeof(device), NULL, 0, &rh, &buf, &len);
	if (rc)
		return no_daemon(rc);
	if (rh.status) {
		fprintf(stderr, "error: edgesteerd: %s\n", buf);
		free(buf);
		return EXIT_REFUSED;
	}
	if (json) {
		fwrite(buf, 1, len, stdout);
		free(buf);
		return EXIT_OK;
	}
	rc = ptab_load("(table in force)", buf, len, NULL, NULL, 0, &p, NULL, NULL, &err);
	free(buf);
	if (rc) {
		fprintf(stderr, "error: edgesteerctl: %s\n", err.msg);
		return EXIT_NO_DAEMON;
	}
	print_table(&p);
	ptab_free(&p);
	return EXIT_OK;
}

static int cmd_diff(const char *path, int json)
{
	struct ptab_error err = { "" };
	struct ptab_diff_stats st;
	struct es_policy cur, next;
	int rc;

	rc = fetch_in_force(&cur, 0);
	if (rc)
		return rc;
	/* what a push would produce; an old epoch only shows as a warning */
	rc = ptab_load_file(path, &cur, NULL, 0, &next, NULL, &err);
	if (rc == -ESTALE) {
		fprintf(stderr, "warning: %s (push would refuse it without --force)\n", err.msg);
		rc = ptab_load_file(path, &cur, NULL, PTAB_F_FORCE, &next, NULL, &err);
	}
	if (rc) {
		fprintf(stderr, "error: %s\n", err.msg);
		ptab_free(&cur);
		return EXIT_REFUSED;
	}
	ptab_diff(&cur, &next, stdout, json, &st);
	ptab_free(&cur);
	ptab_free(&next);
	return EXIT_OK;
}

static int cmd_rollback(uint64_t epoch)
{
	struct ctl_msg_hdr rh;
	size_t len;
	char *buf;
	int rc;

	rc = request(CTL_REQ_ROLLBACK, 0, &epoch, sizeof(epoch), NULL, 0, &rh, &buf, &len);
	if (rc)
		return no_daemon(rc);
	fprintf(rh.status ? stderr : stdout, "%s%s\n", rh.status ? "error: edgesteerd: " : "",
		buf);
	free(buf);
	return rh.status ? EXIT_REFUSED : EXIT_OK;
}

static double num(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int cmd_stats(int json)
{
	struct ctl_msg_hdr rh;
	size_t len;
	char *buf;
	cJSON *o;
	int rc;

	rc = request(CTL_REQ_STATS, 0, NULL, 0, NULL, 0, &rh, &buf, &len);
	if (rc)
		return no_daemon(rc);
	if (rh.status || json) {
		fprintf(rh.status ? stderr : stdout, "%s%s", rh.status ? "error: edgesteerd: " : "",
			buf);
		free(buf);
		return rh.status ? EXIT_REFUSED : EXIT_OK;
	}
	o = cJSON_ParseWithLengthOpts(buf, len + 1, NULL, 1);
	free(buf);
	if (!o) {
		fprintf(stderr, "error: edgesteerctl: the daemon's stats are not JSON\n");
		return EXIT_NO_DAEMON;
	}
	const cJSON *pol = cJSON_GetObjectItemCaseSensitive(o, "policy");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(pol, "name");

	printf("table:    epoch %.0f, %.0f devices, %.0f apps, %.0f servers\n",
	       num(o, "table", "epoch"), num(o, "table", "devices"), num(o, "table", "apps"),
	       num(o, "table", "servers"));
	printf("policy:   %s every %.0f ms, %.0f epochs, %.0f tables, %.0f errors\n",
	       cJSON_IsString(name) ? name->valuestring : "?", num(o, "policy", "epoch_ms"),
	       num(o, "policy", "epochs"), num(o, "policy", "tables"), num(o, "policy", "errors"));
	printf("pushes:   %.0f applied, %.0f refused, %.0f rollbacks, last %.1f ms\n",
	       num(o, "pushes", "applied"), num(o, "pushes", "refused"),
	       num(o, "pushes", "rollbacks"), num(o, "pushes", "last_ms"));
	printf("requests: %.0f, %.0f malformed, %.0f refused peers\n",
	       num(o, "requests", "total"), num(o, "requests", "malformed"),
	       num(o, "requests", "refused_peers"));
	const cJSON *srv, *servers = cJSON_GetObjectItemCaseSensitive(o, "servers");

	cJSON_ArrayForEach(srv, servers) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(srv, "name");
		const cJSON *apps = cJSON_GetObjectItemCaseSensitive(srv, "apps");

		printf("server:   %-20s %6.0f apps\n", cJSON_IsString(n) ? n->valuestring : "?",
		       cJSON_IsNumber(apps) ? apps->valuedouble : -1);
	}
	cJSON_Delete(o);
	return EXIT_OK;
}

static int cmd_policy(int argc, char **argv)
{
	const struct ctl_policy_ops *const *all = ctl_policies();

	if (argc >= 1 && !strcmp(argv[0], "list")) {
		int json = argc >= 2 && !strcmp(argv[1], "--json");

		if (json)
			printf("[");
		for (size_t i = 0; all[i]; i++) {
			if (json)
				printf("%s{\"name\":\"%s\",\"online\":%s,\"eval\":%s}", i ? "," : "",
				       all[i]->name, all[i]->decide ? "true" : "false",
				       all[i]->eval ? "true" : "false");
			else
				printf("%-12s %s\n", all[i]->name, all[i]->summary);
		}
		if (json)
			printf("]\n");
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[0], "eval") && !strcmp(argv[1], "--policy")) {
		const struct ctl_policy_ops *p = ctl_policy_find(argv[2]);

		if (!p || !p->eval) {
			fprintf(stderr, "error: edgesteerctl: no policy '%s' with an "
				"evaluation (see `edgesteerctl policy list`)\n", argv[2]);
			return 2;
		}
		return p->eval(argc - 2, argv + 2, stdout);
	}
	usage(stderr);
	return 2;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "error: edgesteerctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see `edgesteerctl --help`)\n");
	return EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'f' },
		{ "device", required_argument, NULL, 'D' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int json = 0, force = 0, has_device = 0, c;
	uint64_t device = 0;
	const char *cmd;
	char **rest;
	int nrest;

	if (getenv("EDGESTEER_SOCKET"))
		sock_path = getenv("EDGESTEER_SOCKET");
	if (argc >= 3 && !strcmp(argv[1], "--socket")) {
		sock_path = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "policy"))
		return cmd_policy(argc - 2, argv + 2);

	/* the remaining commands share one option set; each checks its own */
	optind = 2;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'f': force = 1; break;
		case 's': sock_path = optarg; break;
		case 'D':
			if (parse_u64(optarg, UINT32_MAX, &device) || !device)
				return usage_error("--device: '%s' is not a device id 1..4294967295",
						   optarg);
			has_device = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	rest = argv + optind;
	nrest = argc - optind;
	if (force && strcmp(cmd, "push"))
		return usage_error("--force only goes with push, not %s", cmd);
	if (has_device && strcmp(cmd, "show"))
		return usage_error("--device only goes with show, not %s", cmd);
	if (!strcmp(cmd, "validate") || !strcmp(cmd, "push") || !strcmp(cmd, "diff")) {
		if (nrest != 1)
			return usage_error("%s takes exactly one FILE", cmd);
		if (!strcmp(cmd, "push")) {
			if (json)
				return usage_error("--json goes with read commands, not %s", cmd);
			return cmd_push(rest[0], force);
		}
		return !strcmp(cmd, "validate") ? cmd_validate(rest[0], json) :
		       cmd_diff(rest[0], json);
	}
	if (!strcmp(cmd, "show")) {
		if (nrest)
			return usage_error("show takes no argument '%s'", rest[0]);
		return cmd_show((uint32_t)device, json);
	}
	if (!strcmp(cmd, "rollback")) {
		uint64_t epoch = 0;

		if (nrest > 1 || json)
			return usage_error("%s", "rollback takes at most an EPOCH");
		if (nrest && (parse_u64(rest[0], PTAB_MAX_EPOCH, &epoch) || !epoch))
			return usage_error("rollback: '%s' is not an epoch", rest[0]);
		return cmd_rollback(epoch);
	}
	if (!strcmp(cmd, "stats")) {
		if (nrest)
			return usage_error("stats takes no argument '%s'", rest[0]);
		return cmd_stats(json);
	}
	return usage_error("unknown command '%s'", cmd);
}
