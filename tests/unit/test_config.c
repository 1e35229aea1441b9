/* test_config.c — vigild's options: the agent deadlines and the version switch, as a table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "node/core/config.h"

struct config_case {
	const char *name;
	const char *args[8];        /* after argv[0], NULL-terminated */
	int rc;                     /* config_parse_args */
	int deadline, asked, frame, allow_higher;
};

static const struct config_case cases[] = {
	{ "defaults: 60 s for the first frame, 60 s for a frame begun", { NULL },
	    0, 60, 0, 60, 0 },
	{ "below the floor: raised, and what was asked kept for the log",
	    { "--agent-deadline", "10", NULL }, 0, 60, 10, 60, 0 },
	{ "one below the floor", { "--agent-deadline", "59", NULL }, 0, 60, 59, 60, 0 },
	{ "at the floor", { "--agent-deadline", "60", NULL }, 0, 60, 0, 60, 0 },
	{ "above it", { "--agent-deadline", "300", NULL }, 0, 300, 0, 60, 0 },
	{ "the frame deadline has no floor", { "--agent-frame-deadline", "2", NULL },
	    0, 60, 0, 2, 0 },
	{ "frame deadline 0 is no deadline: refused", { "--agent-frame-deadline", "0", NULL },
	    -1, 60, 0, 60, 0 },
	{ "allow-higher-versions yes", { "--allow-higher-versions", "yes", NULL },
	    0, 60, 0, 60, 1 },
	{ "allow-higher-versions no", { "--allow-higher-versions", "no", NULL },
	    0, 60, 0, 60, 0 },
	{ "allow-higher-versions takes yes or no", { "--allow-higher-versions", "maybe", NULL },
	    -1, 60, 0, 60, 0 },
};

static void
test_config_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct config_case *t = &cases[i];
		char *argv[10], words[10][64];
		int argc = 0, rc;
		struct config c;
		FILE *saved = stderr;

		snprintf(words[0], sizeof(words[0]), "vigild");
		argv[argc++] = words[0];
		while (t->args[argc - 1] != NULL) {
			snprintf(words[argc], sizeof(words[argc]), "%s", t->args[argc - 1]);
			argv[argc] = words[argc];
			argc++;
		}
		argv[argc] = NULL;
		config_defaults(&c);
		stderr = fopen("/dev/null", "w");
		rc = config_parse_args(&c, argc, argv);
		fclose(stderr);
		stderr = saved;
		print_message("%s\n", t->name);
		assert_int_equal(rc, t->rc);
		if (rc != 0)
			continue;
		assert_int_equal(c.agent_deadline, t->deadline);
		assert_int_equal(c.agent_deadline_asked, t->asked);
		assert_int_equal(c.agent_frame_deadline, t->frame);
		assert_int_equal(c.allow_higher_versions, t->allow_higher);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
