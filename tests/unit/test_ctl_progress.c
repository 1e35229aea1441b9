/* test_ctl_progress.c — following restart jobs (ctl/progress.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ctl/progress.h"

#define J(id, status, total, p, d, c, f, e, x) \
	"{\"id\":" #id ",\"status\":\"" status "\",\"total\":" #total ",\"counts\":{" \
	"\"pending\":" #p ",\"delivered\":" #d ",\"completed\":" #c ",\"failed\":" #f \
	",\"expired\":" #e ",\"cancelled\":" #x "}}"

/* One answer after another to jobs 7 and 9, and what the watch says after each. */
static void
test_jobwatch_steps(void **state)
{
	static const struct {
		const char *job;
		int rc;             /* jobwatch_update */
		int outcome;        /* jobwatch_outcome after it */
		long long completed, pending, total;    /* summed after it */
	} steps[] = {
		/* job 7 seen; 9 not yet: running */
		{ J(7, "running", 3, 2, 1, 0, 0, 0, 0), 1, JW_RUNNING, 0, 2, 3 },
		/* a job that is not ours changes nothing */
		{ J(8, "done", 5, 0, 0, 5, 0, 0, 0), 0, JW_RUNNING, 0, 2, 3 },
		/* counts that do not add up, a missing count, no status: refused */
		{ J(7, "running", 4, 2, 1, 0, 0, 0, 0), -1, JW_RUNNING, 0, 2, 3 },
		{ "{\"id\":7,\"status\":\"done\",\"total\":0,\"counts\":{}}", -1, JW_RUNNING,
		  0, 2, 3 },
		{ "{\"id\":7,\"total\":3,\"counts\":{}}", -1, JW_RUNNING, 0, 2, 3 },
		{ "{\"id\":\"7\"}", -1, JW_RUNNING, 0, 2, 3 },
		/* counts no fleet has (they could overflow the sums) */
		{ J(7, "running", 9223372036854775807, 9223372036854775807, 0, 0, 0, 0, 0), -1,
		  JW_RUNNING, 0, 2, 3 },
		{ J(9, "running", 2, 0, 2, 0, 0, 0, 0), 1, JW_RUNNING, 0, 2, 5 },
		{ J(7, "done", 3, 0, 0, 3, 0, 0, 0), 1, JW_RUNNING, 3, 0, 5 },
		/* every job done, every agent completed */
		{ J(9, "done", 2, 0, 0, 2, 0, 0, 0), 1, JW_COMPLETED_ALL, 5, 0, 5 },
		/* one expired: done, but not all completed */
		{ J(9, "done", 2, 0, 0, 1, 0, 1, 0), 1, JW_INCOMPLETE, 4, 0, 5 },
		/* cancelled (agents still delivered): still running until those end */
		{ J(9, "cancelling", 2, 0, 1, 0, 0, 0, 1), 1, JW_RUNNING, 3, 0, 5 },
		{ J(9, "cancelling", 2, 0, 0, 1, 0, 0, 1), 1, JW_INCOMPLETE, 4, 0, 5 },
		{ J(9, "done", 2, 0, 0, 1, 1, 0, 0), 1, JW_INCOMPLETE, 4, 0, 5 },
	};
	static const unsigned long long ids[] = { 7, 9, 7 };
	struct jobwatch w;
	long long counts[JW_NSTATES], total;
	size_t i;

	(void)state;
	assert_int_equal(jobwatch_init(&w, ids, 3), 0);
	assert_int_equal(w.n, 2);       /* the same job named twice is followed once */
	assert_int_equal(jobwatch_outcome(&w), JW_RUNNING);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		json_t *j = json_loads(steps[i].job, 0, NULL);

		assert_non_null(j);
		assert_int_equal(jobwatch_update(&w, j), steps[i].rc);
		assert_int_equal(jobwatch_outcome(&w), steps[i].outcome);
		jobwatch_sum(&w, counts, &total);
		assert_int_equal(counts[JW_COMPLETED], steps[i].completed);
		assert_int_equal(counts[JW_PENDING], steps[i].pending);
		assert_int_equal(total, steps[i].total);
		json_decref(j);
	}
	jobwatch_free(&w);
	/* no job: nothing to wait for, and nothing failed */
	assert_int_equal(jobwatch_init(&w, NULL, 0), 0);
	assert_int_equal(jobwatch_outcome(&w), JW_COMPLETED_ALL);
	jobwatch_free(&w);
}

static void
test_counts(void **state)
{
	long long c[JW_NSTATES] = { 1, 2, 3, 4, 5, 0 };
	char buf[128];

	(void)state;
	progress_counts(buf, sizeof(buf), c);
	assert_string_equal(buf, "2 delivered, 1 pending, 4 failed, 5 expired");
	c[JW_CANCELLED] = 6;
	progress_counts(buf, sizeof(buf), c);
	assert_string_equal(buf, "2 delivered, 1 pending, 4 failed, 5 expired, 6 cancelled");
	progress_counts(buf, 10, c);    /* truncated, never overflowed */
	assert_string_equal(buf, "2 deliver");
}

static void
test_bar(void **state)
{
	char buf[80];

	(void)state;
	progress_bar(buf, sizeof(buf), 0, 4, 8);
	assert_string_equal(buf, "[........] 0/4 completed (0%)");
	progress_bar(buf, sizeof(buf), 1, 4, 8);
	assert_string_equal(buf, "[##......] 1/4 completed (25%)");
	progress_bar(buf, sizeof(buf), 4, 4, 8);
	assert_string_equal(buf, "[########] 4/4 completed (100%)");
	progress_bar(buf, sizeof(buf), 9, 4, 8);     /* clamped */
	assert_string_equal(buf, "[########] 4/4 completed (100%)");
	progress_bar(buf, sizeof(buf), 0, 0, 4);
	assert_string_equal(buf, "[####] 0/0 completed (100%)");
	progress_bar(buf, 5, 1, 2, 8);               /* no room: empty, not overflowed */
	assert_string_equal(buf, "");
	progress_bar(buf, sizeof(buf), 2, 3, 0);     /* width is at least 1 */
	assert_string_equal(buf, "[.] 2/3 completed (66%)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jobwatch_steps),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_bar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
