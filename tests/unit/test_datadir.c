/* test_datadir.c — a data dir is made its owner's alone, and no link in it is followed. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/datadir.h"

static char top[64];

static void
path_of(char *out, size_t cap, const char *rel)
{
	assert_true((size_t)snprintf(out, cap, "%s/%s", top, rel) < cap);
}

static mode_t
mode_of(const char *rel)
{
	char p[256];
	struct stat st;

	path_of(p, sizeof(p), rel);
	assert_int_equal(lstat(p, &st), 0);
	return st.st_mode & 07777;
}

static void
make_file(const char *rel, mode_t mode)
{
	char p[256];
	int fd;

	path_of(p, sizeof(p), rel);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
}

static void
make_dir(const char *rel, mode_t mode)
{
	char p[256];

	path_of(p, sizeof(p), rel);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/vigil-datadir-XXXXXX");
	assert_non_null(mkdtemp(top));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* One row: what a file or dir in the data dir starts as, and what it must end as. */
struct mode_case {
	const char *rel;
	int is_dir;
	mode_t before;
	mode_t after;
};

static void
test_modes_narrowed(void **state)
{
	/* only group and other bits (and set-id/sticky) go; the owner's stay as they were */
	static const struct mode_case cases[] = {
		{ "registry.db", 0, 0644, 0600 },
		{ "registry.db-wal", 0, 0666, 0600 },
		{ "stats.json", 0, 0604, 0600 },
		{ "api-jwt.key", 0, 0600, 0600 },
		{ "readonly", 0, 0444, 0400 },
		{ "setuid", 0, 04755, 0700 },
		{ "shared", 1, 0755, 0700 },
		{ "shared/merged.mg", 0, 0644, 0600 },
		{ "shared/deeper", 1, 0777, 0700 },
		{ "shared/deeper/f", 0, 0660, 0600 },
	};
	char dir[256];
	size_t i;

	(void)state;
	path_of(dir, sizeof(dir), "d");
	make_dir("d", 0755);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rel[128];

		snprintf(rel, sizeof(rel), "d/%s", cases[i].rel);
		if (cases[i].is_dir)
			make_dir(rel, cases[i].before);
		else
			make_file(rel, cases[i].before);
	}
	assert_int_equal(datadir_prepare(dir, DATADIR_NO_UID), 0);
	assert_int_equal(mode_of("d"), 0700);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rel[128];

		snprintf(rel, sizeof(rel), "d/%s", cases[i].rel);
		if (mode_of(rel) != cases[i].after)
			fail_msg("%s: %04o, want %04o", cases[i].rel, (unsigned)mode_of(rel),
			    (unsigned)cases[i].after);
	}
}

static void
test_missing_dir_created_private(void **state)
{
	char dir[256];

	(void)state;
	umask(022);
	path_of(dir, sizeof(dir), "new");
	assert_int_equal(datadir_prepare(dir, DATADIR_NO_UID), 0);
	assert_int_equal(mode_of("new"), 0700);
}

static void
test_links_not_followed(void **state)
{
	char dir[256], link[256], outside[256], outdir[256];
	struct stat st;

	(void)state;
	make_dir("d", 0755);
	make_file("outside", 0644);
	make_dir("outdir", 0755);
	path_of(dir, sizeof(dir), "d");
	path_of(outside, sizeof(outside), "outside");
	path_of(outdir, sizeof(outdir), "outdir");
	path_of(link, sizeof(link), "d/stats.json");
	assert_int_equal(symlink(outside, link), 0);
	path_of(link, sizeof(link), "d/shared");
	assert_int_equal(symlink(outdir, link), 0);
	assert_int_equal(datadir_prepare(dir, DATADIR_NO_UID), 0);
	assert_int_equal(mode_of("outside"), 0644);
	assert_int_equal(mode_of("outdir"), 0755);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	if (geteuid() == 0) {
		assert_int_equal(datadir_chown(dir, 65534, 65534), 0);
		assert_int_equal(stat(outside, &st), 0);
		assert_int_equal(st.st_uid, 0);
		assert_int_equal(stat(outdir, &st), 0);
		assert_int_equal(st.st_uid, 0);
		assert_int_equal(stat(dir, &st), 0);
		assert_int_equal(st.st_uid, 65534);
	}
}

static void
test_dir_that_is_a_link_refused(void **state)
{
	char real[256], link[256];

	(void)state;
	make_dir("real", 0755);
	path_of(real, sizeof(real), "real");
	path_of(link, sizeof(link), "link");
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(datadir_prepare(link, DATADIR_NO_UID), -1);
	assert_int_equal(mode_of("real"), 0755);
}

static void
test_dir_of_another_user_refused(void **state)
{
	char dir[256];

	(void)state;
	if (geteuid() != 0)
		skip();
	make_dir("theirs", 0755);
	path_of(dir, sizeof(dir), "theirs");
	assert_int_equal(chown(dir, 65534, 65534), 0);
	assert_int_equal(datadir_prepare(dir, DATADIR_NO_UID), -1);
	assert_int_equal(mode_of("theirs"), 0755);
	/* the user a root vigild hands it to may own it */
	assert_int_equal(datadir_prepare(dir, 65534), 0);
	assert_int_equal(mode_of("theirs"), 0700);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_modes_narrowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_dir_created_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_that_is_a_link_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_of_another_user_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
