/* test_jobseen.c — a session writes one job's command once (src/node/agents/jobseen.h):
 * a table of commands arriving on one session, each written or answered as already
 * written, and the ring's forgetting of the oldest job past JOBSEEN_MAX. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "node/agents/jobseen.h"

/*
 * What the holding node does with a command of job on a session (as
 * session_command_agent): 1 written, 0 answered delivered without a write.
 */
static int
deliver(struct jobseen *s, uint64_t job)
{
	if (jobseen_has(s, job))
		return 0;
	jobseen_add(s, job);
	return 1;
}

static void
test_table(void **state)
{
	static const struct {
		const char *name;
		uint64_t jobs[12];      /* the commands in order, then 0 ... */
		size_t n;
		int written[12];        /* 1: written, 0: not written again */
	} cases[] = {
		{ "one job, sent three times: one write", { 7, 7, 7 }, 3, { 1, 0, 0 } },
		{ "two jobs interleaved", { 7, 9, 7, 9 }, 4, { 1, 1, 0, 0 } },
		{ "no job (an older master): always written", { 0, 0, 0 }, 3, { 1, 1, 1 } },
		{ "no job beside a job", { 0, 5, 0, 5 }, 4, { 1, 1, 1, 0 } },
		{ "the largest job id", { UINT64_MAX, UINT64_MAX }, 2, { 1, 0 } },
		{ "eight jobs are remembered",
		    { 1, 2, 3, 4, 5, 6, 7, 8, 1, 8 }, 10, { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 } },
		{ "the ninth makes the ring forget the first",
		    { 1, 2, 3, 4, 5, 6, 7, 8, 9, 2, 1, 9 }, 12,
		    { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0 } },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jobseen s;

		memset(&s, 0, sizeof(s));              /* as a new session: calloc'd */
		for (k = 0; k < cases[i].n; k++)
			if (deliver(&s, cases[i].jobs[k]) != cases[i].written[k])
				fail_msg("%s: command %zu (job %llu): written %d, want %d",
				    cases[i].name, k, (unsigned long long)cases[i].jobs[k],
				    !cases[i].written[k], cases[i].written[k]);
	}
}

/* Adding a job already remembered does not take a slot: the others stay. */
static void
test_add_known(void **state)
{
	struct jobseen s;
	uint64_t j;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (j = 1; j <= JOBSEEN_MAX; j++)
		jobseen_add(&s, j);
	jobseen_add(&s, 3);
	jobseen_add(&s, 0);
	for (j = 1; j <= JOBSEEN_MAX; j++)
		assert_true(jobseen_has(&s, j));
	assert_false(jobseen_has(&s, 0));
	assert_false(jobseen_has(&s, JOBSEEN_MAX + 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_add_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
