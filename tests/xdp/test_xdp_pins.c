/* SPDX-License-Identifier: MIT */
/*
 * BPF map access from other processes (docs/security.md): xdpc_pin()
 * leaves a directory 0700 and pins 0600, owned by root; a process of an
 * unprivileged user (nobody) can open none of the pins, neither through
 * the directory nor with the directory opened up (the pin's own mode),
 * cannot get a map by its id (no CAP_SYS_ADMIN/CAP_BPF), and `bpftool map
 * show pinned` run as that user fails where root's succeeds.
 * argv: BPFTOOL
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>

#include "xdp_world.h"
#include "xdpc.h"

#define MAX_PINS	32

static struct xdpc *x;
static const char *bpftool;
static char dir[64];
static char pins[MAX_PINS][PATH_MAX];
static __u32 ids[MAX_PINS];
static int npins;
static uid_t nobody_uid;
static gid_t nobody_gid;

/* Every pin in @dir: root's, mode 0600; their map/program ids. */
static void list_pins(void)
{
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);

	assert_non_null(d);
	npins = 0;
	while ((e = readdir(d))) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		assert_true(npins < MAX_PINS);
		snprintf(pins[npins], sizeof(pins[npins]), "%s/%s", dir, e->d_name);
		assert_int_equal(stat(pins[npins], &st), 0);
		if ((st.st_mode & 0777) != 0600 || st.st_uid != 0)
			fail_msg("%s: mode %o uid %u, want 600 and root", pins[npins],
				 st.st_mode & 0777, st.st_uid);
		fd = bpf_obj_get(pins[npins]);
		assert_true(fd >= 0);
		if (strcmp(e->d_name, XDPC_PROG_NAME)) {
			struct bpf_map_info info = { 0 };
			__u32 len = sizeof(info);

			assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
			ids[npins] = info.id;
		}
		close(fd);
		npins++;
	}
	closedir(d);
	assert_true(npins >= 9);	/* the program and its maps */
}

/* In a child as nobody: what @check returns is the exit status (0: held). */
static int as_nobody(int (*check)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		if (setgroups(0, NULL) || setgid(nobody_gid) || setuid(nobody_uid))
			_exit(100);
		_exit(check());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

#define OPENED_PIN	0x1	/* a pin or a map id opened */
#define OPENED_DIR	0x2	/* the pin directory opened */

/* What nobody can open: OPENED_* bits, 0 for nothing. */
static int nobody_opens(void)
{
	int opened = 0, fd;

	for (int i = 0; i < npins; i++) {
		fd = bpf_obj_get(pins[i]);
		if (fd >= 0 || (errno != EACCES && errno != EPERM)) {
			fprintf(stderr, "nobody: %s: fd %d errno %d\n", pins[i], fd, errno);
			opened |= OPENED_PIN;
		}
		if (fd >= 0)
			close(fd);
		fd = ids[i] ? bpf_map_get_fd_by_id(ids[i]) : -1;
		if (fd >= 0) {
			fprintf(stderr, "nobody: map id %u opened\n", ids[i]);
			opened |= OPENED_PIN;
			close(fd);
		}
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		opened |= OPENED_DIR;
		close(fd);
	}
	return opened;
}

static void test_pins_root_only(void **state)
{
	struct stat st;

	(void)state;
	assert_int_equal(xdpc_pin(x, dir), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(st.st_uid, 0);
	list_pins();

	/* through the 0700 directory: nothing, not even the directory */
	assert_int_equal(as_nobody(nobody_opens), 0);
	/* the directory opened up: the pins' own 0600 still holds */
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(as_nobody(nobody_opens), OPENED_DIR);
	assert_int_equal(chmod(dir, 0700), 0);
}

static int run(const char *user, const char *pin)
{
	char cmd[PATH_MAX * 2 + 128];
	int status;

	if (user)
		snprintf(cmd, sizeof(cmd), "setpriv --reuid=%s --regid=%u --clear-groups "
			 "%s map show pinned %s >/dev/null 2>&1", user, (unsigned)nobody_gid,
			 bpftool, pin);
	else
		snprintf(cmd, sizeof(cmd), "%s map show pinned %s >/dev/null 2>&1", bpftool, pin);
	status = system(cmd);
	return status == -1 || !WIFEXITED(status) ? -1 : WEXITSTATUS(status);
}

/* The operator's tool, as root and as nobody. */
static void test_bpftool_as_nobody(void **state)
{
	char pin[PATH_MAX];

	(void)state;
	if (system("command -v setpriv >/dev/null 2>&1")) {
		skip();
		return;
	}
	snprintf(pin, sizeof(pin), "%s/es_meters", dir);
	assert_int_equal(run(NULL, pin), 0);
	assert_int_not_equal(run("nobody", pin), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_not_equal(run("nobody", pin), 0);
	assert_int_equal(chmod(dir, 0700), 0);
}

static int unpin(void **state)
{
	(void)state;
	xdpc_unpin(x);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pins_root_only),
		cmocka_unit_test_teardown(test_bpftool_as_nobody, unpin),
	};
	struct passwd *pw = getpwnam("nobody");
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BPFTOOL\n", argv[0]);
		return 2;
	}
	bpftool = argv[1];
	if (!pw) {
		fprintf(stderr, "skip: no user 'nobody' to try the pins as\n");
		return 77;
	}
	nobody_uid = pw->pw_uid;
	nobody_gid = pw->pw_gid;
	err = xdp_test_open(&x, 16);
	if (err)
		return err;
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/edgesteer-pins-%d", (int)getpid());
	err = cmocka_run_group_tests(tests, NULL, NULL);
	xdpc_unpin(x);
	xdpc_close(x);
	return err;
}
