/* test_procstat.c — the resident set size this process reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rss_follows_touched_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
