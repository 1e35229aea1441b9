/* test_failover.c — which master a worker tries next and after how long
 * (src/node/cluster/failover.h), as a table: the list's length, the address that
 * failed, the failures in a row, the random number, and the step expected. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "node/cluster/failover.h"

static void
test_table(void **state)
{
	static const struct {
		const char *name;
		unsigned int n, cur, fails;
		uint32_t rnd;
		int rc;
		unsigned int index, delay_ms;
	} cases[] = {
		/* one address: the back-off of old, 200 ms doubling to 5 s, jittered in its upper half */
		{ "one: first failure, least jitter", 1, 0, 1, 0, 0, 0, 100 },
		{ "one: first failure, most jitter", 1, 0, 1, 100, 0, 0, 200 },
		{ "one: jitter wraps", 1, 0, 1, 101, 0, 0, 100 },
		{ "one: second failure", 1, 0, 2, 0, 0, 0, 200 },
		{ "one: third failure", 1, 0, 3, 400, 0, 0, 800 },
		{ "one: fifth failure", 1, 0, 5, 0, 0, 0, 1600 },
		{ "one: sixth failure reaches the cap", 1, 0, 6, 0, 0, 0, 2500 },
		{ "one: capped at 5 s", 1, 0, 6, 2500, 0, 0, 5000 },
		{ "one: many failures stay capped", 1, 0, 1000, 2500, 0, 0, 5000 },
		{ "one: the largest count stays capped", 1, 0, UINT32_MAX, UINT32_MAX, 0, 0,
		    2500 + UINT32_MAX % 2501 },
		/* several: the next address after 100..300 ms, until the list is through */
		{ "three: 0 failed, 1 next, least jitter", 3, 0, 1, 0, 0, 1, 100 },
		{ "three: 0 failed, 1 next, most jitter", 3, 0, 1, 200, 0, 1, 300 },
		{ "three: jitter wraps", 3, 0, 1, 201, 0, 1, 100 },
		{ "three: 1 failed, 2 next", 3, 1, 2, 50, 0, 2, 150 },
		{ "three: the list is through: back-off before the first again", 3, 2, 3, 0, 0, 0, 100 },
		{ "three: first cycle's back-off, most jitter", 3, 2, 3, 100, 0, 0, 200 },
		{ "three: second cycle goes on quickly", 3, 0, 4, 0, 0, 1, 100 },
		{ "three: second cycle's back-off", 3, 2, 6, 0, 0, 0, 200 },
		{ "three: third cycle's back-off", 3, 2, 9, 400, 0, 0, 800 },
		{ "three: back-off capped at 2 s", 3, 2, 15, 1000, 0, 0, 2000 },
		{ "three: capped for good", 3, 2, 3000, 0, 0, 0, 1000 },
		{ "three: capped, even at the largest count", 3, 1, UINT32_MAX, 0, 0, 2, 1000 },
		/* the cycle counts from the address that failed first, not from index 0 */
		{ "three: joined at 1, lost it: 2 next", 3, 1, 1, 0, 0, 2, 100 },
		{ "three: then 0", 3, 2, 2, 0, 0, 0, 100 },
		{ "three: then 1 again, after the back-off", 3, 0, 3, 0, 0, 1, 100 },
		{ "two: lost the second: the first next", 2, 1, 1, 0, 0, 0, 100 },
		{ "two: through: back to the second", 2, 0, 2, 0, 0, 1, 100 },
		{ "eight: the last wraps to the first", 8, 7, 1, 0, 0, 0, 100 },
		/* what cannot be asked */
		{ "no address", 0, 0, 1, 0, -1, 0, 0 },
		{ "index past the list", 2, 2, 1, 0, -1, 0, 0 },
		{ "no failure", 2, 0, 0, 0, -1, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct failover_step s = { 77, 77 };
		int rc = failover_next(cases[i].n, cases[i].cur, cases[i].fails, cases[i].rnd, &s);

		if (rc != cases[i].rc)
			fail_msg("%s: returned %d, want %d", cases[i].name, rc, cases[i].rc);
		if (rc == -1) {
			if (s.index != 77 || s.delay_ms != 77)
				fail_msg("%s: step written on failure", cases[i].name);
			continue;
		}
		if (s.index != cases[i].index || s.delay_ms != cases[i].delay_ms)
			fail_msg("%s: address %u after %u ms, want %u after %u ms", cases[i].name,
			    s.index, s.delay_ms, cases[i].index, cases[i].delay_ms);
	}
}

/* Whatever the random number, a delay stays in its range: the worker is never idle long. */
static void
test_bounds(void **state)
{
	uint32_t rnd;
	unsigned int n, fails;

	(void)state;
	for (n = 1; n <= 8; n++)
		for (fails = 1; fails <= 64; fails++)
			for (rnd = 0; rnd < 6000; rnd += 7) {
				struct failover_step s;
				unsigned int lo, hi;

				assert_int_equal(failover_next(n, fails % n, fails, rnd, &s), 0);
				assert_true(s.index < n);
				if (n > 1 && fails % n != 0) {
					lo = FAILOVER_STEP_MIN_MS;
					hi = FAILOVER_STEP_MAX_MS;
				} else {
					lo = FAILOVER_BACKOFF_MIN_MS / 2;
					hi = n > 1 ? FAILOVER_BACKOFF_CAP_SEVERAL_MS :
					    FAILOVER_BACKOFF_CAP_ONE_MS;
				}
				if (s.delay_ms < lo || s.delay_ms > hi)
					fail_msg("n %u, fails %u, rnd %u: %u ms, not in %u..%u", n,
					    fails, rnd, s.delay_ms, lo, hi);
			}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
