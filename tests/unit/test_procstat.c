/* test_procstat.c — the resident set size this process reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/procstat.h"

static void
test_rss_follows_touched_memory(void **state)
{
	size_t len = 16u << 20;
	long before, after;
	char *p;

	(void)state;
	before = procstat_rss_kb();
	assert_true(before > 0);
	p = malloc(len);
	assert_non_null(p);
	memset(p, 1, len);   /* resident only once touched */
	after = procstat_rss_kb();
	assert_true(after - before >= (long)(len / 1024) / 2);
	free(p);
}

/* procstat_open_fds: 100 more descriptors open are 100 more counted, then fewer again. */
static void
test_open_fds_follows_open_descriptors(void **state)
{
	int fds[100], i;
	long before, during, after;

	(void)state;
	before = procstat_open_fds();
	assert_true(before >= 3);
	for (i = 0; i < 100; i++)
		assert_true((fds[i] = dup(0)) >= 0);
	during = procstat_open_fds();
	for (i = 0; i < 100; i++)
		close(fds[i]);
	after = procstat_open_fds();
	assert_int_equal(during - before, 100);
	assert_int_equal(after, before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rss_follows_touched_memory),
		cmocka_unit_test(test_open_fds_follows_open_descriptors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
