/* test_ratelim.c — at most N events per window, and the count of those dropped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/ratelim.h"

static void
test_sequences(void **state)
{
	/* max 3 per window of 10: each step is (now, expected pass, expected dropped) */
	static const struct { int64_t now; int pass; unsigned dropped; } t[] = {
		{ 100, 1, 0 }, { 100, 1, 0 }, { 101, 1, 0 },   /* three pass */
		{ 105, 0, 0 }, { 109, 0, 0 },                  /* the window is full */
		{ 110, 1, 2 },                                 /* new window: 2 were dropped */
		{ 110, 1, 0 }, { 119, 1, 0 }, { 119, 0, 0 },
		{ 200, 1, 1 },                                 /* long after: 1 dropped */
		{ 50, 1, 0 },                                  /* clock went back: new window */
		{ 50, 1, 0 }, { 50, 1, 0 }, { 50, 0, 0 }, { 50, 0, 0 }, { 50, 0, 0 },
		{ 60, 1, 3 },
	};
	struct ratelim r = { 0 };
	unsigned dropped;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int pass = ratelim_take(&r, t[i].now, 3, 10, &dropped);

		if (pass != t[i].pass || dropped != t[i].dropped)
			fail_msg("step %zu (now %lld): pass %d dropped %u, want %d %u", i,
			    (long long)t[i].now, pass, dropped, t[i].pass, t[i].dropped);
	}
}

static void
test_zero_max_drops_all(void **state)
{
	struct ratelim r = { 0 };
	unsigned dropped;

	(void)state;
	assert_int_equal(ratelim_take(&r, 5, 0, 10, &dropped), 0);
	assert_int_equal(ratelim_take(&r, 6, 0, 10, &dropped), 0);
	assert_int_equal(dropped, 0);
	assert_int_equal(ratelim_take(&r, 20, 0, 10, &dropped), 0);
	assert_int_equal(dropped, 2);   /* reported even though this one is dropped too */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_zero_max_drops_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
