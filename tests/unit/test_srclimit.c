/* test_srclimit.c — connection caps and token buckets per source, as tables of steps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "node/core/srclimit.h"

/* ---- connections open now ---- */

enum { ADD, DEL };

struct count_step {
	int op;
	const char *src;
	enum srclimit_verdict want;   /* ADD only */
	size_t total, of_src;         /* afterwards */
};

struct count_case {
	const char *name;
	size_t max_total, max_per_source;
	struct count_step steps[16];
	size_t nsteps;
};

static const struct count_case count_cases[] = {
	{ "per-source cap, others unaffected", 10, 2, {
		{ ADD, "10.0.0.1", SRCLIMIT_OK, 1, 1 },
		{ ADD, "10.0.0.1", SRCLIMIT_OK, 2, 2 },
		{ ADD, "10.0.0.1", SRCLIMIT_SOURCE, 2, 2 },
		{ ADD, "10.0.0.2", SRCLIMIT_OK, 3, 1 },
		{ DEL, "10.0.0.1", 0, 2, 1 },
		{ ADD, "10.0.0.1", SRCLIMIT_OK, 3, 2 },
	}, 6 },
	{ "total cap before the per-source one", 3, 2, {
		{ ADD, "a", SRCLIMIT_OK, 1, 1 },
		{ ADD, "b", SRCLIMIT_OK, 2, 1 },
		{ ADD, "c", SRCLIMIT_OK, 3, 1 },
		{ ADD, "d", SRCLIMIT_TOTAL, 3, 0 },
		{ ADD, "a", SRCLIMIT_TOTAL, 3, 1 },
		{ DEL, "b", 0, 2, 0 },
		{ ADD, "d", SRCLIMIT_OK, 3, 1 },
	}, 7 },
	{ "no caps", 0, 0, {
		{ ADD, "a", SRCLIMIT_OK, 1, 1 },
		{ ADD, "a", SRCLIMIT_OK, 2, 2 },
		{ ADD, "a", SRCLIMIT_OK, 3, 3 },
	}, 3 },
	{ "giving back what was not admitted changes nothing", 5, 1, {
		{ DEL, "a", 0, 0, 0 },
		{ ADD, "a", SRCLIMIT_OK, 1, 1 },
		{ ADD, "a", SRCLIMIT_SOURCE, 1, 1 },
		{ DEL, "a", 0, 0, 0 },
		{ DEL, "a", 0, 0, 0 },
		{ ADD, "a", SRCLIMIT_OK, 1, 1 },
	}, 6 },
	{ "a source too long for the table is refused", 5, 5, {
		{ ADD, "0123456789012345678901234567890123456789012345678901234567890123456789",
		    SRCLIMIT_NOMEM, 0, 0 },
	}, 1 },
};

static void
test_count_table(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(count_cases) / sizeof(count_cases[0]); i++) {
		const struct count_case *tc = &count_cases[i];
		struct srclimit_count *c = srclimit_count_new(tc->max_total, tc->max_per_source);

		assert_non_null(c);
		for (k = 0; k < tc->nsteps; k++) {
			const struct count_step *st = &tc->steps[k];

			if (st->op == ADD) {
				enum srclimit_verdict v = srclimit_count_add(c, st->src);

				if (v != st->want)
					fail_msg("%s, step %zu: verdict %d, want %d", tc->name, k,
					    (int)v, (int)st->want);
			} else
				srclimit_count_del(c, st->src);
			if (srclimit_count_total(c) != st->total ||
			    srclimit_count_of(c, st->src) != st->of_src)
				fail_msg("%s, step %zu: total %zu of %s %zu, want %zu %zu", tc->name, k,
				    srclimit_count_total(c), st->src, srclimit_count_of(c, st->src),
				    st->total, st->of_src);
		}
		srclimit_count_free(c);
	}
	srclimit_count_free(NULL);
}

/* Memory follows the connections open: a source with none left holds no entry. */
static void
test_count_memory(void **state)
{
	struct srclimit_count *c = srclimit_count_new(0, 4);
	char src[32];
	int i;

	(void)state;
	assert_non_null(c);
	for (i = 0; i < 5000; i++) {
		snprintf(src, sizeof(src), "10.1.%d.%d", i / 256, i % 256);
		assert_int_equal(srclimit_count_add(c, src), SRCLIMIT_OK);
	}
	assert_int_equal(srclimit_count_sources(c), 5000);
	for (i = 0; i < 5000; i++) {
		snprintf(src, sizeof(src), "10.1.%d.%d", i / 256, i % 256);
		srclimit_count_del(c, src);
	}
	assert_int_equal(srclimit_count_sources(c), 0);
	assert_int_equal(srclimit_count_total(c), 0);
	srclimit_count_free(c);
}

/* ---- token buckets ---- */

struct take_step {
	const char *src;
	uint64_t ms;
	int want;
};

struct rate_case {
	const char *name;
	unsigned int per_minute, burst;
	size_t max_sources;
	struct take_step steps[16];
	size_t nsteps;
};

static const struct rate_case rate_cases[] = {
	{ "burst, then one a second, per source", 60, 3, 100, {
		{ "a", 0, 1 }, { "a", 0, 1 }, { "a", 0, 1 },
		{ "a", 0, 0 },                 /* the burst is spent */
		{ "b", 0, 1 },                 /* another source has its own */
		{ "a", 999, 0 },
		{ "a", 1000, 1 },              /* one token a second */
		{ "a", 1000, 0 },
		{ "a", 60000, 1 }, { "a", 60000, 1 }, { "a", 60000, 1 },
		{ "a", 60000, 0 },             /* never more than the burst */
	}, 12 },
	{ "a slow rate refills exactly, however often it is asked", 1, 1, 100, {
		{ "a", 0, 1 },
		{ "a", 20000, 0 }, { "a", 40000, 0 }, { "a", 59999, 0 },
		{ "a", 60000, 1 },
	}, 5 },
	{ "burst 0 is the rate", 2, 0, 100, {
		{ "a", 5, 1 }, { "a", 5, 1 }, { "a", 5, 0 },
	}, 3 },
	{ "rate 0: no limit", 0, 0, 100, {
		{ "a", 0, 1 }, { "a", 0, 1 }, { "a", 0, 1 }, { "a", 0, 1 },
	}, 4 },
	{ "time going backwards refills nothing", 60, 1, 100, {
		{ "a", 10000, 1 }, { "a", 5000, 0 }, { "a", 10999, 0 }, { "a", 11000, 1 },
	}, 4 },
	{ "a full table forgets the source used least recently", 60, 1, 2, {
		{ "a", 0, 1 }, { "b", 0, 1 },
		{ "a", 0, 0 },                 /* a is now used more recently than b */
		{ "c", 0, 1 },                 /* b is forgotten */
		{ "a", 0, 0 },                 /* a is remembered, still empty */
		{ "b", 0, 1 },                 /* b starts full again; c is forgotten */
		{ "a", 0, 0 },
	}, 7 },
};

static void
test_rate_table(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(rate_cases) / sizeof(rate_cases[0]); i++) {
		const struct rate_case *tc = &rate_cases[i];
		struct srclimit_rate *r = srclimit_rate_new(tc->per_minute, tc->burst,
		    tc->max_sources);

		assert_non_null(r);
		for (k = 0; k < tc->nsteps; k++) {
			const struct take_step *st = &tc->steps[k];
			int got = srclimit_rate_take(r, st->src, st->ms);

			if (got != st->want)
				fail_msg("%s, step %zu (%s at %llu ms): %d, want %d", tc->name, k,
				    st->src, (unsigned long long)st->ms, got, st->want);
		}
		assert_true(srclimit_rate_sources(r) <= tc->max_sources);
		srclimit_rate_free(r);
	}
	srclimit_rate_free(NULL);
}

/* Memory is bounded: 100,000 sources through a table of 1,000. */
static void
test_rate_memory(void **state)
{
	struct srclimit_rate *r = srclimit_rate_new(10, 5, 1000);
	char src[32];
	int i;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < 100000; i++) {
		snprintf(src, sizeof(src), "10.%d.%d.%d", i / 65536, (i / 256) % 256, i % 256);
		assert_int_equal(srclimit_rate_take(r, src, (uint64_t)i), 1);
		assert_true(srclimit_rate_sources(r) <= 1000);
	}
	/* the most recent sources are still known: their burst is spent by then */
	for (i = 0; i < 4; i++)
		assert_int_equal(srclimit_rate_take(r, "10.1.134.159", 100000), 1);
	assert_int_equal(srclimit_rate_take(r, "10.1.134.159", 100000), 0);
	srclimit_rate_free(r);
}

/* A bucket far in the future after a long quiet time: no overflow, just full. */
static void
test_bucket_long_quiet(void **state)
{
	struct srclimit_bucket b;
	int i;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(srclimit_bucket_take(&b, 1000000, 3, 0), 1);
	assert_int_equal(srclimit_bucket_take(&b, 1000000, 3, UINT64_MAX - 1), 1);
	for (i = 0; i < 2; i++)
		assert_int_equal(srclimit_bucket_take(&b, 1000000, 3, UINT64_MAX - 1), 1);
	assert_int_equal(srclimit_bucket_take(&b, 1000000, 3, UINT64_MAX - 1), 0);
}

/* ---- log lines ---- */

static void
test_log(void **state)
{
	static const struct { time_t now; int want; unsigned long suppressed; } steps[] = {
		{ 100, 1, 0 }, { 100, 0, 0 }, { 105, 0, 0 }, { 109, 0, 0 },
		{ 110, 1, 3 },                  /* the three in between are reported */
		{ 111, 0, 0 }, { 125, 1, 1 },
		{ 50, 1, 0 },                   /* the clock went back: log */
	};
	struct srclimit_log l;
	unsigned long sup;
	size_t k;

	(void)state;
	memset(&l, 0, sizeof(l));
	for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		sup = 12345;
		assert_int_equal(srclimit_log_ok(&l, steps[k].now, 10, &sup), steps[k].want);
		if (steps[k].want)
			assert_int_equal(sup, steps[k].suppressed);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_table),
		cmocka_unit_test(test_count_memory),
		cmocka_unit_test(test_rate_table),
		cmocka_unit_test(test_rate_memory),
		cmocka_unit_test(test_bucket_long_quiet),
		cmocka_unit_test(test_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
