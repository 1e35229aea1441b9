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

/* --master and the config file's master: a list of HOST:PORT, checked at start-up. */
static void
test_masters_table(void **state)
{
	static const struct {
		const char *name, *value;
		int rc;                     /* the count, or -1 */
		const char *want;           /* -1: the message; else the addresses, space-separated */
	} mcases[] = {
		{ "one address, as always", "127.0.0.1:1516", 1, "127.0.0.1:1516" },
		{ "a host name", "master.example.com:1516", 1, "master.example.com:1516" },
		{ "two", "a:1516,b:1517", 2, "a:1516 b:1517" },
		{ "spaces around items are not part of them", " a:1516 ,\tb:1517 ", 2,
		    "a:1516 b:1517" },
		{ "eight", "h1:1,h2:1,h3:1,h4:1,h5:1,h6:1,h7:1,h8:65535", 8,
		    "h1:1 h2:1 h3:1 h4:1 h5:1 h6:1 h7:1 h8:65535" },
		{ "nine", "h1:1,h2:1,h3:1,h4:1,h5:1,h6:1,h7:1,h8:1,h9:1", -1,
		    "more than 8 addresses" },
		{ "empty", "", -1, "item 1 is empty" },
		{ "only spaces", "  ", -1, "item 1 is empty" },
		{ "two commas", "a:1,,b:2", -1, "item 2 is empty" },
		{ "a comma at the end", "a:1,", -1, "item 2 is empty" },
		{ "a comma at the start", ",a:1", -1, "item 1 is empty" },
		{ "no port", "a:1,b", -1, "'b' has no port (expected HOST:PORT)" },
		{ "no port after the colon", "a:", -1, "'a:': port '' is not a number in 1..65535" },
		{ "no host", ":1516", -1, "':1516' has no host (expected HOST:PORT)" },
		{ "port 0", "a:0", -1, "'a:0': port '0' is not a number in 1..65535" },
		{ "port too large", "a:65536", -1, "'a:65536': port '65536' is not a number in 1..65535" },
		{ "port with letters", "a:15x", -1, "'a:15x': port '15x' is not a number in 1..65535" },
		{ "port with a sign", "a:+15", -1, "'a:+15': port '+15' is not a number in 1..65535" },
		{ "port far too long", "a:0000001516", -1,
		    "'a:0000001516': port '0000001516' is not a number in 1..65535" },
		{ "a colon in the host (IPv6 is not supported)", "::1:1516", -1,
		    "'::1:1516': the host has a ':' (expected HOST:PORT; IPv6 is not supported)" },
		{ "a space inside an item", "a b:1516", -1, "'a b:1516': a space or control character" },
		{ "the same address twice", "a:1,b:2,a:1", -1, "'a:1' is listed twice" },
		{ "an item too long",
		    "a:1,hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
		    "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh:1", -1,
		    "item 2 is longer than 127 characters" },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(mcases) / sizeof(mcases[0]); i++) {
		struct config_master m[CONFIG_MASTERS_MAX];
		char err[256] = "", got[2048] = "";
		size_t len = 0;
		int rc = config_masters_parse(mcases[i].value, m, CONFIG_MASTERS_MAX, err, sizeof(err));

		if (rc != mcases[i].rc)
			fail_msg("%s: %d (%s), want %d", mcases[i].name, rc, err, mcases[i].rc);
		if (rc == -1) {
			if (strcmp(err, mcases[i].want) != 0)
				fail_msg("%s: \"%s\", want \"%s\"", mcases[i].name, err, mcases[i].want);
			continue;
		}
		for (k = 0; k < (size_t)rc; k++) {
			char hp[300];

			/* addr is host and port as split */
			snprintf(hp, sizeof(hp), "%s:%s", m[k].host, m[k].port);
			if (strcmp(hp, m[k].addr) != 0)
				fail_msg("%s: item %zu: %s is not %s", mcases[i].name, k, hp, m[k].addr);
			len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%s", k ? " " : "",
			    m[k].addr);
		}
		if (strcmp(got, mcases[i].want) != 0)
			fail_msg("%s: \"%s\", want \"%s\"", mcases[i].name, got, mcases[i].want);
	}
}

/* Through the options: the list is kept parsed, and a bad one stops the start. */
static void
test_masters_option(void **state)
{
	char a0[] = "vigild", a1[] = "--role", a2[] = "worker", a3[] = "--master",
	    a4[] = "127.0.0.1:1516,127.0.0.2:1517", bad[] = "127.0.0.1:1516,";
	char *argv[] = { a0, a1, a2, a3, a4, NULL };
	struct config c;
	FILE *saved = stderr;

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse_args(&c, 5, argv), 0);
	assert_int_equal(c.nmasters, 2);
	assert_string_equal(c.masters[0].addr, "127.0.0.1:1516");
	assert_string_equal(c.masters[1].host, "127.0.0.2");
	assert_string_equal(c.masters[1].port, "1517");
	assert_string_equal(c.master, "127.0.0.1:1516,127.0.0.2:1517");
	config_defaults(&c);
	argv[4] = bad;
	stderr = fopen("/dev/null", "w");
	assert_int_equal(config_parse_args(&c, 5, argv), -1);
	fclose(stderr);
	stderr = saved;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_table),
		cmocka_unit_test(test_masters_table),
		cmocka_unit_test(test_masters_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
