/* test_ctl_top.c — vigilctl top's view drawn from the API's answers (ctl/top.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ctl/top.h"

/* Two nodes; the agents of a third name ("unknown": never connected). */
#define NODES \
	"[{\"name\":\"master-node\",\"type\":\"master\",\"version\":\"4.12.0\",\"ip\":\"1.2.3.4\"}," \
	"{\"name\":\"worker1\",\"type\":\"worker\",\"version\":\"4.12.0\"}]"
#define AGENTS \
	"[{\"node_name\":\"master-node\",\"status\":\"active\",\"count\":2}," \
	"{\"node_name\":\"worker1\",\"status\":\"active\",\"count\":3}," \
	"{\"node_name\":\"worker1\",\"status\":\"disconnected\",\"count\":1}," \
	"{\"status\":\"pending\",\"node_name\":\"worker1\",\"count\":4}," \
	"{\"node_name\":\"unknown\",\"status\":\"never_connected\",\"count\":1}]"

/* A job as GET /jobs gives it. */
#define JOB(id, status, scope, total, p, d, c, f, e, x, infl) \
	"{\"id\":" #id ",\"command\":\"restart\",\"status\":\"" status "\",\"scope\":\"" scope \
	"\",\"total\":" #total ",\"in_flight\":" #infl ",\"counts\":{\"pending\":" #p \
	",\"delivered\":" #d ",\"completed\":" #c ",\"failed\":" #f ",\"expired\":" #e \
	",\"cancelled\":" #x "}}"
#define JOB7 JOB(7, "running", "group web", 2000, 1100, 200, 700, 0, 0, 0, 200)

#define L_AGENTS "Agents: 11 (5 active, 1 disconnected, 4 pending, 1 never connected)"
#define L_HEAD   "NODE         TYPE    VERSION  ACTIVE  DISCONNECTED  PENDING  NEVER CONNECTED"
#define L_MASTER "master-node  master  4.12.0   2       0             0        0"
#define L_WORKER "worker1      worker  4.12.0   3       1             4        0"
#define L_UNKN   "unknown      -       -        0       0             0        1"
#define L_JHEAD  "ID  KIND     SCOPE      STATUS   TOTAL  IN FLIGHT"
#define L_JOB7   "7   restart  group web  running  2000   200"
#define L_CNT7   "    200 delivered, 1100 pending, 0 failed, 0 expired"

#define MAX_LINES 16

static const struct {
	const char *name;
	const char *nodes, *agents, *jobs;  /* JSON, NULL: not known */
	const char *head, *note;
	size_t width, height;
	const char *want[MAX_LINES];        /* the lines, NULL-ended */
} cases[] = {
	{ "a cluster, no job, no limit", NODES, AGENTS, "[]", NULL, NULL, 0, 0,
	  { L_AGENTS, "", L_HEAD, L_MASTER, L_WORKER, L_UNKN, "", "Jobs: none running" } },
	{ "nothing known yet", NULL, NULL, NULL, "top", "no answer", 0, 0,
	  { "top", "no answer", "",
	    "Agents: 0 (0 active, 0 disconnected, 0 pending, 0 never connected)", "",
	    "NODE  TYPE  VERSION  ACTIVE  DISCONNECTED  PENDING  NEVER CONNECTED", "",
	    "Jobs: none running" } },
	{ "a running job; the bar fills the width (60)", NODES, AGENTS, "[" JOB7 "]", NULL,
	  NULL, 60, 0,
	  { "Agents: 11 (5 active, 1 disconnected, 4 pending, 1 never con", "",
	    "NODE         TYPE    VERSION  ACTIVE  DISCONNECTED  PENDING ",
	    "master-node  master  4.12.0   2       0             0       ",
	    "worker1      worker  4.12.0   3       1             4       ",
	    "unknown      -       -        0       0             0       ", "",
	    "Jobs: 1 running", L_JHEAD, L_JOB7,
	    "    [##########...................] 700/2000 completed (35%)", L_CNT7 } },
	{ "a wide terminal: the bar stops at 50", "[]", "[]", "[" JOB7 "]", NULL, NULL, 200, 0,
	  { "Agents: 0 (0 active, 0 disconnected, 0 pending, 0 never connected)", "",
	    "NODE  TYPE  VERSION  ACTIVE  DISCONNECTED  PENDING  NEVER CONNECTED", "",
	    "Jobs: 1 running", L_JHEAD, L_JOB7,
	    "    [#################.................................] 700/2000 completed (35%)",
	    L_CNT7 } },
	{ "a narrow one: the bar keeps 10, the lines are cut", "[]", "[]", "[" JOB7 "]", NULL,
	  NULL, 20, 0,
	  { "Agents: 0 (0 active,", "", "NODE  TYPE  VERSION ", "", "Jobs: 1 running",
	    "ID  KIND     SCOPE  ", "7   restart  group w", "    [###.......] 700",
	    "    200 delivered, 1" } },
	{ "no width: a bar of 30; a cancelled job; a long scope cut", NULL, NULL,
	  "[" JOB7 "," JOB(9, "cancelling", "agents 001,002,003,004,005,006,007,008", 3, 0, 1,
	  1, 0, 0, 1, 1) "]", NULL, NULL, 0, 0,
	  { "Agents: 0 (0 active, 0 disconnected, 0 pending, 0 never connected)", "",
	    "NODE  TYPE  VERSION  ACTIVE  DISCONNECTED  PENDING  NEVER CONNECTED", "",
	    "Jobs: 1 running, 1 cancelling",
	    "ID  KIND     SCOPE                           STATUS      TOTAL  IN FLIGHT",
	    "7   restart  group web                       running     2000   200",
	    "    [##########....................] 700/2000 completed (35%)", L_CNT7,
	    "9   restart  agents 001,002,003,004,005,...  cancelling  3      1",
	    "    [##########....................] 1/3 completed (33%)",
	    "    1 delivered, 0 pending, 0 failed, 0 expired, 1 cancelled" } },
	{ "malformed items are left out", "[{\"type\":\"worker\"},7,{\"name\":\"w2\"}]",
	  "[{\"node_name\":\"w2\",\"status\":\"active\",\"count\":\"3\"},"
	  "{\"node_name\":\"w2\",\"status\":\"active\",\"count\":-1},"
	  "{\"node_name\":\"w2\",\"status\":\"active\",\"count\":99999999999999},"
	  "{\"node_name\":\"w2\",\"count\":5},"
	  "{\"status\":\"active\",\"count\":2},"
	  "{\"node_name\":\"w2\",\"status\":\"sleeping\",\"count\":4}]",
	  "[" JOB(1, "running", "all", 5, 1, 1, 1, 1, 1, 1, 0) ","
	  "{\"id\":\"2\",\"status\":\"running\",\"total\":0,\"counts\":{}},"
	  JOB(3, "running", "all", 1, 0, 1, 0, 0, 0, 0, -4) "]", NULL, NULL, 0, 0,
	  { "Agents: 6 (2 active, 0 disconnected, 0 pending, 0 never connected)", "",
	    "NODE     TYPE  VERSION  ACTIVE  DISCONNECTED  PENDING  NEVER CONNECTED",
	    "w2       -     -        0       0             0        0",
	    "unknown  -     -        2       0             0        0", "",
	    "Jobs: 1 running",
	    "ID  KIND     SCOPE  STATUS   TOTAL  IN FLIGHT",
	    "3   restart  all    running  1      -",
	    "    [..............................] 0/1 completed (0%)",
	    "    1 delivered, 0 pending, 0 failed, 0 expired" } },
	{ "control characters become '?'; UTF-8 counts as characters",
	  "[{\"name\":\"evil\\u001b[2J\",\"type\":\"w\\norker\",\"version\":\"\\u00e9t\\u00e9\"}]",
	  "[]", "[]", "head\ttab", NULL, 0, 0,
	  { "head?tab", "",
	    "Agents: 0 (0 active, 0 disconnected, 0 pending, 0 never connected)", "",
	    "NODE      TYPE     VERSION  ACTIVE  DISCONNECTED  PENDING  NEVER CONNECTED",
	    "evil?[2J  w?orker  \xc3\xa9t\xc3\xa9      0       0             0        0", "",
	    "Jobs: none running" } },
	{ "a short terminal: what does not fit is counted", NODES, AGENTS, "[]", NULL, NULL, 0,
	  5, { L_AGENTS, "", L_HEAD, L_MASTER, "... 4 more lines (a taller terminal shows them)" } },
	{ "one line of terminal", NODES, AGENTS, "[]", NULL, NULL, 30, 1,
	  { "... 8 more lines (a taller ter" } },
	{ "as tall as the view: all of it", NODES, AGENTS, "[]", NULL, NULL, 0, 8,
	  { L_AGENTS, "", L_HEAD, L_MASTER, L_WORKER, L_UNKN, "", "Jobs: none running" } },
};

static json_t *
load(const char *s)
{
	json_t *j;

	if (s == NULL)
		return NULL;
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	return j;
}

static void
test_render(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *nodes = load(cases[i].nodes), *agents = load(cases[i].agents);
		json_t *jobs = load(cases[i].jobs);
		struct top_input in = { nodes, agents, jobs, cases[i].head, cases[i].note };
		struct top_lines l;

		assert_int_equal(top_render(&in, cases[i].width, cases[i].height, &l), 0);
		for (k = 0; k < l.n && k < MAX_LINES && cases[i].want[k] != NULL; k++) {
			if (strcmp(l.line[k], cases[i].want[k]) != 0)
				print_error("case '%s', line %zu:\n got  '%s'\n want '%s'\n",
				    cases[i].name, k, l.line[k], cases[i].want[k]);
			assert_string_equal(l.line[k], cases[i].want[k]);
		}
		if (k != l.n || (k < MAX_LINES && cases[i].want[k] != NULL))
			print_error("case '%s': %zu lines, not as many as wanted\n", cases[i].name,
			    l.n);
		assert_int_equal(k, l.n);
		assert_true(k == MAX_LINES || cases[i].want[k] == NULL);
		top_lines_free(&l);
		json_decref(nodes);
		json_decref(agents);
		json_decref(jobs);
	}
}

static void
test_clip(void **state)
{
	static const struct {
		const char *in;
		size_t width;
		const char *want;
	} rows[] = {
		{ "abcdef", 0, "abcdef" },
		{ "abcdef", 6, "abcdef" },
		{ "abcdef", 3, "abc" },
		{ "", 3, "" },
		{ "a\tb\x7f" "c\r\n", 0, "a?b?c??" },
		{ "\xc3\xa9t\xc3\xa9!", 3, "\xc3\xa9t\xc3\xa9" },   /* never half a character */
		{ "\xc3\xa9t\xc3\xa9!", 1, "\xc3\xa9" },
		{ "\xe2\x96\x88\xe2\x96\x88", 1, "\xe2\x96\x88" },
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", rows[i].in);
		top_clip(buf, rows[i].width);
		assert_string_equal(buf, rows[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_clip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
