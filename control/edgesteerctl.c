/* SPDX-License-Identifier: MIT */
/*
 * edgesteerctl: the operator's command line for EdgeSteer.
 */
#include <stdio.h>
#include <string.h>

#include "policy.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: edgesteerctl COMMAND [ARGS...]\n"
"\n"
"Commands:\n"
"  policy list                      the policies this build knows\n"
"  policy eval --policy NAME ...    run a policy's offline evaluation;\n"
"                                   `policy eval --policy NAME --help` lists\n"
"                                   its options\n"
"  help                             this text\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static int cmd_policy(int argc, char **argv)
{
	const struct ctl_policy_ops *const *all = ctl_policies();

	if (argc >= 1 && !strcmp(argv[0], "list")) {
		for (size_t i = 0; all[i]; i++)
			printf("%-12s %s\n", all[i]->name, all[i]->summary);
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

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "policy"))
		return cmd_policy(argc - 2, argv + 2);
	fprintf(stderr, "error: edgesteerctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
