/* test_registry_jobdata.c — the bytes of a job's stored lists, the same in both backends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/registry/registry_jobdata.h"

struct seen {
	struct registry_job_agent a[16];
	struct registry_job_wave w[16];
	size_t na, nw;
	int stop_at;          /* the callback's -1 at this call (0: never) */
};

static int
on_agent(void *arg, uint64_t job, const struct registry_job_agent *a)
{
	struct seen *s = arg;

	assert_int_equal(job, 7);
	assert_true(s->na < 16);
	s->a[s->na++] = *a;
	return (int)s->na == s->stop_at ? -1 : 0;
}

static int
on_wave(void *arg, uint64_t job, const struct registry_job_wave *w)
{
	struct seen *s = arg;

	assert_int_equal(job, 7);
	assert_true(s->nw < 16);
	s->w[s->nw++] = *w;
	return (int)s->nw == s->stop_at ? -1 : 0;
}

static void
test_ids(void **state)
{
	static const struct { uint32_t ids[4]; size_t n; int ok; } cases[] = {
		{ { 1, 2, 3 }, 3, 0 },
		{ { 0 }, 0, 0 },
		{ { 99999999 }, 1, 0 },
		{ { 0 }, 1, -1 },                     /* 0 is not an agent */
		{ { 100000000 }, 1, -1 },             /* more than 8 digits */
		{ { 2, 2 }, 2, -1 },                  /* twice */
		{ { 3, 1 }, 2, -1 },                  /* not in order */
	};
	unsigned char *b;
	uint32_t *back;
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(regjob_ids_pack(cases[i].ids, cases[i].n, &b), cases[i].ok);
		if (cases[i].ok == -1) {
			assert_null(b);
			continue;
		}
		assert_int_equal(regjob_ids_unpack(7, b, cases[i].n * 4, &back, &n), 0);
		assert_int_equal(n, cases[i].n);
		for (j = 0; j < n; j++) {
			assert_int_equal(back[j], cases[i].ids[j]);
			assert_true(regjob_ids_has(back, n, cases[i].ids[j]));
		}
		assert_false(regjob_ids_has(back, n, 4));
		free(back);
		free(b);
	}
	/* a stored list that is not a whole number of ids, or out of order */
	assert_int_equal(regjob_ids_unpack(7, (const unsigned char *)"\1\0\0\0\2", 5, &back, &n),
	    -1);
	assert_int_equal(regjob_ids_unpack(7, (const unsigned char *)"\2\0\0\0\1\0\0\0", 8, &back,
	    &n), -1);
	assert_null(back);
}

static void
test_wave_round_trip(void **state)
{
	static const struct registry_job_wave v[] = {
		{ 1, "worker1", 1, 0 }, { 2, "master-node", 0xffffffffffffull, 0 },
		{ 3, "worker1", (uint64_t)INT64_MAX, 0 }, { 99999999, "w_2.b", 9, 0 },
	};
	const struct registry_job_cb cb = { NULL, NULL, NULL, on_wave, NULL };
	struct registry_job_cb c = cb;
	struct seen s;
	unsigned char *items;
	char *nodes;
	size_t len, i;

	(void)state;
	assert_int_equal(regjob_wave_pack(7, v, 4, &nodes, &len, &items), 0);
	assert_int_equal(len, strlen("worker1\nmaster-node\nw_2.b"));
	assert_memory_equal(nodes, "worker1\nmaster-node\nw_2.b", len);
	memset(&s, 0, sizeof(s));
	c.arg = &s;
	assert_int_equal(regjob_wave_unpack(7, 123, nodes, len, items, 4 * REGJOB_WAVE_ITEM, &c), 0);
	assert_int_equal(s.nw, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(s.w[i].agent, v[i].agent);
		assert_string_equal(s.w[i].node, v[i].node);
		assert_true(s.w[i].sid == v[i].sid);
		assert_int_equal(s.w[i].sent_ms, 123);
	}
	/* the callback's -1 stops it */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(regjob_wave_unpack(7, 123, nodes, len, items, 4 * REGJOB_WAVE_ITEM, &c), -1);
	assert_int_equal(s.nw, 2);
	free(nodes);
	free(items);
}

static void
test_wave_refused(void **state)
{
	/* sends that cannot be recorded */
	static const struct registry_job_wave bad[][1] = {
		{ { 1, "wor ker", 1, 0 } }, { { 1, "", 1, 0 } }, { { 1, "worker1", 0, 0 } },
		{ { 1, "a234567890123456789012345678901234567890123456789012345678901234", 1, 0 } },
	};
	/* stored waves that are not valid: nodes, items, size */
	static const struct { const char *nodes; const char *items; size_t size; } stored[] = {
		{ "w1", "\1\0\0\0\1\0\1\0\0\0\0\0\0\0", 14 },        /* index 1 of one node */
		{ "w1", "\1\0\0\0\0\0\0\0\0\0\0\0\0\0", 14 },        /* session 0 */
		{ "w1", "\0\0\0\0\0\0\1\0\0\0\0\0\0\0", 14 },        /* agent 0 */
		{ "w1", "\0\341\365\5\0\0\1\0\0\0\0\0\0\0", 14 },    /* agent 100000000 */
		{ "w 1", "\1\0\0\0\0\0\1\0\0\0\0\0\0\0", 14 },       /* a node name not valid */
		{ "w1\n", "\1\0\0\0\0\0\1\0\0\0\0\0\0\0", 14 },      /* an empty node name */
		{ "w1", "\1\0\0\0\0\0\1\0\0\0\0\0\0", 13 },          /* not whole sends */
		{ "", "\1\0\0\0\0\0\1\0\0\0\0\0\0\0", 14 },          /* no node at all */
	};
	const struct registry_job_cb cb = { NULL, NULL, NULL, on_wave, NULL };
	struct registry_job_cb c = cb;
	struct seen s;
	unsigned char *items;
	char *nodes;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(regjob_wave_pack(7, bad[i], 1, &nodes, &len, &items), -1);
		assert_null(items);
	}
	c.arg = &s;
	for (i = 0; i < sizeof(stored) / sizeof(stored[0]); i++) {
		memset(&s, 0, sizeof(s));
		assert_int_equal(regjob_wave_unpack(7, 1, stored[i].nodes, strlen(stored[i].nodes),
		    (const unsigned char *)stored[i].items, stored[i].size, &c), -1);
		assert_int_equal(s.nw, 0);
	}
}

static void
test_merge(void **state)
{
	static const uint32_t ids[] = { 2, 4, 6 };
	/* rows: one before the list, the 4th saved, one not listed */
	static const struct registry_job_agent rows[] = {
		{ .agent = 1, .state = 3 }, { .agent = 4, .state = 2, .sends = 1 },
		{ .agent = 5, .state = 3 },
	};
	const struct registry_job_cb cb = { NULL, on_agent, NULL, NULL, NULL };
	struct registry_job_cb c = cb;
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	c.arg = &s;
	assert_int_equal(regjob_agents_merge(7, 1, ids, 3, rows, 3, &c), 0);
	assert_int_equal(s.na, 3);
	assert_int_equal(s.a[0].agent, 2);
	assert_int_equal(s.a[0].state, 0);          /* no row: pending */
	assert_int_equal(s.a[1].agent, 4);
	assert_int_equal(s.a[1].state, 2);
	assert_int_equal(s.a[1].sends, 1);
	assert_int_equal(s.a[2].agent, 6);
	assert_int_equal(s.a[2].state, 0);
	/* a job without a list: its rows */
	memset(&s, 0, sizeof(s));
	assert_int_equal(regjob_agents_merge(7, 0, NULL, 0, rows, 3, &c), 0);
	assert_int_equal(s.na, 3);
	assert_int_equal(s.a[2].agent, 5);
	/* a listed job of no agents has none, whatever rows there are */
	memset(&s, 0, sizeof(s));
	assert_int_equal(regjob_agents_merge(7, 1, NULL, 0, rows, 3, &c), 0);
	assert_int_equal(s.na, 0);
	/* the callback's -1 stops it */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(regjob_agents_merge(7, 1, ids, 3, rows, 3, &c), -1);
	assert_int_equal(s.na, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_wave_round_trip),
		cmocka_unit_test(test_wave_refused),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
