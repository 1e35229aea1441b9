/* test_ctl_progress.c — following restarted agents (ctl/progress.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ctl/progress.h"

static void
test_waitset(void **state)
{
	static const char *const ids[] = { "003", "001", "002", "004" };
	struct waitset w;
	const long long t0 = 1000;

	(void)state;
	assert_int_equal(waitset_init(&w, ids, 4, t0), 0);
	assert_int_equal(waitset_count(&w, WAIT_SENT), 4);
	/* still active with its keepalive from before the restart: not back */
	assert_int_equal(waitset_observe(&w, "001", "active", 1000), 0);
	assert_int_equal(waitset_count(&w, WAIT_SENT), 4);
	/* seen going away, then active again: back */
	assert_int_equal(waitset_observe(&w, "001", "disconnected", 1000), 0);
	assert_int_equal(waitset_count(&w, WAIT_AWAY), 1);
	assert_int_equal(waitset_observe(&w, "001", "pending", -1), 0);
	assert_int_equal(waitset_observe(&w, "001", "active", 1000), 1);
	assert_int_equal(waitset_count(&w, WAIT_BACK), 1);
	/* back stays back, even if it goes away again */
	assert_int_equal(waitset_observe(&w, "001", "disconnected", 1000), 0);
	assert_int_equal(waitset_count(&w, WAIT_BACK), 1);
	assert_string_equal(w.a[0].last_status, "disconnected");
	/* a restart quicker than the polling: a keepalive after the request second */
	assert_int_equal(waitset_observe(&w, "002", "active", 1001), 1);
	/* never active again */
	assert_int_equal(waitset_observe(&w, "003", "disconnected", 990), 0);
	assert_int_equal(waitset_observe(&w, "003", "never_connected", -1), 0);
	/* unknown ids change nothing */
	assert_int_equal(waitset_observe(&w, "999", "active", 5000), 0);
	assert_int_equal(waitset_count(&w, WAIT_BACK), 2);
	assert_int_equal(waitset_count(&w, WAIT_AWAY), 1);
	assert_int_equal(waitset_count(&w, WAIT_SENT), 1);
	waitset_free(&w);
	{
		static const char *const dup[] = { "002", "001", "002", "001", "003" };

		assert_int_equal(waitset_init(&w, dup, 5, t0), 0);
		assert_int_equal(w.n, 3);
		assert_int_equal(waitset_observe(&w, "002", "active", 2000), 1);
		assert_int_equal(waitset_count(&w, WAIT_BACK), 1);
		waitset_free(&w);
	}
	assert_int_equal(waitset_init(&w, NULL, 0, t0), 0);
	assert_int_equal(waitset_observe(&w, "001", "active", 2000), 0);
	waitset_free(&w);
}

static void
test_dates(void **state)
{
	(void)state;
	assert_int_equal(progress_parse_date("1970-01-01T00:00:10+00:00"), 10);
	assert_int_equal(progress_parse_date("2026-11-27T05:34:02Z"), 1795757642LL);
	assert_int_equal(progress_parse_date("2026-11-27T05:34:02.123456Z"), 1795757642LL);
	assert_int_equal(progress_parse_date("2026-11-27T05:34:02+01:00"), -1);
	assert_int_equal(progress_parse_date("2026-11-27"), -1);
	assert_int_equal(progress_parse_date(NULL), -1);
}

static void
test_bar(void **state)
{
	char buf[80];

	(void)state;
	progress_bar(buf, sizeof(buf), 0, 4, 8);
	assert_string_equal(buf, "[........] 0/4 back (0%)");
	progress_bar(buf, sizeof(buf), 1, 4, 8);
	assert_string_equal(buf, "[##......] 1/4 back (25%)");
	progress_bar(buf, sizeof(buf), 4, 4, 8);
	assert_string_equal(buf, "[########] 4/4 back (100%)");
	progress_bar(buf, sizeof(buf), 9, 4, 8);     /* clamped */
	assert_string_equal(buf, "[########] 4/4 back (100%)");
	progress_bar(buf, sizeof(buf), 0, 0, 4);
	assert_string_equal(buf, "[####] 0/0 back (100%)");
	progress_bar(buf, 5, 1, 2, 8);               /* no room: empty, not overflowed */
	assert_string_equal(buf, "");
	progress_bar(buf, sizeof(buf), 2, 3, 0);     /* width is at least 1 */
	assert_string_equal(buf, "[.] 2/3 back (66%)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waitset),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_bar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
