/* test_ctl_opts.c — vigilctl's command line (ctl/opts.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ctl/opts.h"

#define ARGV(...) (char *[]){ "vigilctl", __VA_ARGS__, NULL }
#define ARGC(...) ((int)(sizeof((char *[]){ "vigilctl", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, err, ...) opts_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err, sizeof(err))

static void
test_commands(void **state)
{
	struct ctl_opts o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&o, err, "login"), 0);
	assert_int_equal(o.cmd, CMD_LOGIN);
	assert_int_equal(PARSE(&o, err, "--url", "https://h:1", "agents", "list", "--json",
	    "--status", "active", "--limit", "5", "--insecure"), 0);
	assert_int_equal(o.cmd, CMD_AGENTS_LIST);
	assert_string_equal(o.flags.url, "https://h:1");
	assert_int_equal(o.flags.insecure, 1);
	assert_int_equal(o.json, 1);
	assert_string_equal(o.status, "active");
	assert_int_equal(o.limit, 5);
	assert_int_equal(PARSE(&o, err, "cluster", "nodes"), 0);
	assert_int_equal(o.cmd, CMD_CLUSTER_NODES);
	assert_int_equal(o.flags.insecure, -1);
	assert_int_equal(PARSE(&o, err, "cluster", "health", "--json"), 0);
	assert_int_equal(o.cmd, CMD_CLUSTER_HEALTH);
	assert_int_equal(PARSE(&o, err, "agents", "list", "--help"), 0);
	assert_int_equal(o.cmd, CMD_HELP);
}

static void
test_restart(void **state)
{
	struct ctl_opts o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&o, err, "agents", "restart", "1", "002,3", "1000", "--wait",
	    "--timeout", "30"), 0);
	assert_int_equal(o.cmd, CMD_AGENTS_RESTART);
	assert_int_equal(o.nids, 4);
	assert_string_equal(o.ids[0], "001");
	assert_string_equal(o.ids[1], "002");
	assert_string_equal(o.ids[2], "003");
	assert_string_equal(o.ids[3], "1000");
	assert_int_equal(o.wait, 1);
	assert_true(o.timeout == 30.0);
	opts_free(&o);
	assert_int_equal(PARSE(&o, err, "agents", "restart", "--all"), 0);
	assert_int_equal(o.all, 1);
	assert_true(o.timeout == 300.0);
	assert_int_equal(PARSE(&o, err, "agents", "restart", "--node", "worker-1"), 0);
	assert_string_equal(o.node, "worker-1");
	assert_int_equal(PARSE(&o, err, "agents", "restart", "--group", "web.servers"), 0);
	assert_string_equal(o.group, "web.servers");
}

/* agents restart's job options, and the jobs commands. */
static void
test_jobs(void **state)
{
	static const struct {
		const char *argv[10];
		int rc;
		const char *err;    /* the message of a usage error */
	} cases[] = {
		{ { "jobs", "list" }, 0, NULL },
		{ { "jobs", "list", "--status", "running", "--command", "restart", "--json" }, 0,
		  NULL },
		{ { "jobs", "list", "--status", "asleep" }, -1,
		  "bad --status 'asleep' (running, cancelling or done)" },
		{ { "jobs", "list", "--command", "stop" }, -1,
		  "bad --command 'stop' (restart or reconnect)" },
		{ { "jobs", "list", "12" }, -1, "unexpected argument '12'" },
		{ { "jobs", "list", "--state", "pending" }, -1,
		  "--state does not apply to this command" },
		{ { "jobs", "show", "12", "--state", "pending,delivered", "--page-size", "5" }, 0,
		  NULL },
		{ { "jobs", "show", "12", "--wait", "--timeout", "30" }, 0, NULL },
		{ { "jobs", "show", "12", "--state", "pending,sleeping" }, -1,
		  "bad --state 'pending,sleeping' (a list of pending, delivered, completed, "
		  "failed, expired, cancelled)" },
		{ { "jobs", "show" }, -1, "jobs show: give the job's ID" },
		{ { "jobs", "show", "0" }, -1, "'0' is not a job ID (a number such as 12)" },
		{ { "jobs", "show", "x1" }, -1, "'x1' is not a job ID (a number such as 12)" },
		{ { "jobs", "show", "99999999999999999999" }, -1,
		  "'99999999999999999999' is not a job ID (a number such as 12)" },
		{ { "jobs", "show", "1", "2" }, -1, "unexpected argument '2'" },
		{ { "jobs", "show", "1", "--timeout", "5" }, -1, "--timeout goes with --wait" },
		{ { "jobs", "show", "1", "--wait", "--json" }, -1,
		  "--json and --wait do not go together" },
		{ { "jobs", "cancel", "7" }, 0, NULL },
		{ { "jobs", "cancel", "7", "--wait" }, -1, "--wait does not apply to this command" },
		{ { "jobs", "cancel" }, -1, "jobs cancel: give the job's ID" },
		{ { "jobs" }, -1, "'jobs' needs a subcommand (list, show or cancel)" },
		{ { "jobs", "stop" }, -1, "unknown command 'jobs stop'" },
		{ { "agents", "restart", "--all", "--max-in-flight", "0", "--rate", "50",
		    "--expires-in", "60" }, 0, NULL },
		{ { "agents", "restart", "--all", "--max-in-flight", "-1" }, -1,
		  "bad --max-in-flight '-1' (0..1000000, 0 = no limit)" },
		{ { "agents", "restart", "--all", "--rate", "x" }, -1,
		  "bad --rate 'x' (0..1000000 agents a second, 0 = no limit)" },
		{ { "agents", "restart", "--all", "--expires-in", "0" }, -1,
		  "bad --expires-in '0' (1..604800 seconds)" },
		{ { "agents", "list", "--queue" }, -1, "--queue does not apply to this command" },
	};
	struct ctl_opts o;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[12] = { "vigilctl" };
		int argc = 1;

		while (argc - 1 < 10 && cases[i].argv[argc - 1] != NULL) {
			argv[argc] = (char *)(uintptr_t)cases[i].argv[argc - 1];
			argc++;
		}
		assert_int_equal(opts_parse(argc, argv, &o, err, sizeof(err)), cases[i].rc);
		if (cases[i].err != NULL)
			assert_string_equal(err, cases[i].err);
		opts_free(&o);
	}
	assert_int_equal(PARSE(&o, err, "jobs", "show", "12", "--state", "failed", "--wait"), 0);
	assert_int_equal(o.cmd, CMD_JOBS_SHOW);
	assert_int_equal(o.job_id, 12);
	assert_string_equal(o.state, "failed");
	assert_int_equal(o.wait, 1);
	assert_int_equal(PARSE(&o, err, "jobs", "list", "--status", "done", "--command",
	    "reconnect"), 0);
	assert_int_equal(o.cmd, CMD_JOBS_LIST);
	assert_string_equal(o.status, "done");
	assert_string_equal(o.command, "reconnect");
	assert_int_equal(PARSE(&o, err, "agents", "restart", "--all"), 0);
	assert_int_equal(o.max_in_flight, -1);      /* not given: the API's default */
	assert_int_equal(o.rate, -1);
	assert_int_equal(o.expires_in, -1);
	assert_int_equal(o.queue, 0);
	assert_int_equal(PARSE(&o, err, "agents", "restart", "1", "--max-in-flight", "200",
	    "--rate", "0", "--expires-in", "3600", "--queue"), 0);
	assert_int_equal(o.max_in_flight, 200);
	assert_int_equal(o.rate, 0);
	assert_int_equal(o.expires_in, 3600);
	assert_int_equal(o.queue, 1);
	opts_free(&o);
}

/* top: its interval (1..3600 s, 2 by default) and --once, and nothing else. */
static void
test_top(void **state)
{
	static const struct {
		const char *argv[6];
		int rc;
		long interval;
		int once;
		const char *err;
	} cases[] = {
		{ { "top" }, 0, 2, 0, NULL },
		{ { "top", "--interval", "1" }, 0, 1, 0, NULL },
		{ { "--interval", "3600", "top", "--once" }, 0, 3600, 1, NULL },
		{ { "top", "--interval", "0" }, -1, 0, 0, "bad --interval '0' (1..3600 seconds)" },
		{ { "top", "--interval", "3601" }, -1, 0, 0,
		  "bad --interval '3601' (1..3600 seconds)" },
		{ { "top", "--interval", "0.5" }, -1, 0, 0,
		  "bad --interval '0.5' (1..3600 seconds)" },
		{ { "top", "--interval" }, -1, 0, 0, "option '--interval' needs a value" },
		{ { "top", "--json" }, -1, 0, 0, "--json does not apply to this command" },
		{ { "top", "now" }, -1, 0, 0, "unexpected argument 'now'" },
		{ { "agents", "list", "--once" }, -1, 0, 0, "--once does not apply to this command" },
		{ { "jobs", "list", "--interval", "5" }, -1, 0, 0,
		  "--interval does not apply to this command" },
	};
	struct ctl_opts o;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[8] = { "vigilctl" };
		int argc = 1;

		while (argc - 1 < 6 && cases[i].argv[argc - 1] != NULL) {
			argv[argc] = (char *)(uintptr_t)cases[i].argv[argc - 1];
			argc++;
		}
		assert_int_equal(opts_parse(argc, argv, &o, err, sizeof(err)), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(o.cmd, CMD_TOP);
			assert_int_equal(o.interval, cases[i].interval);
			assert_int_equal(o.once, cases[i].once);
		} else
			assert_string_equal(err, cases[i].err);
		opts_free(&o);
	}
}

static void
test_usage_errors(void **state)
{
	struct ctl_opts o;
	char err[256];

	(void)state;
	assert_int_equal(opts_parse(1, ARGV(NULL), &o, err, sizeof(err)), -1);
	assert_string_equal(err, "no command given");
	assert_int_equal(PARSE(&o, err, "frobnicate"), -1);
	assert_string_equal(err, "unknown command 'frobnicate'");
	assert_int_equal(PARSE(&o, err, "agents"), -1);
	assert_int_equal(PARSE(&o, err, "agents", "delete"), -1);
	assert_int_equal(PARSE(&o, err, "cluster", "list"), -1);
	assert_int_equal(PARSE(&o, err, "login", "--bogus"), -1);
	assert_string_equal(err, "unknown option '--bogus'");
	assert_int_equal(PARSE(&o, err, "login", "--url"), -1);
	assert_string_equal(err, "option '--url' needs a value");
	assert_int_equal(PARSE(&o, err, "login", "extra"), -1);
	assert_int_equal(PARSE(&o, err, "login", "--json"), -1);
	assert_string_equal(err, "--json does not apply to this command");
	assert_int_equal(PARSE(&o, err, "cluster", "nodes", "--status", "active"), -1);
	assert_int_equal(PARSE(&o, err, "agents", "list", "--wait"), -1);
	assert_int_equal(PARSE(&o, err, "agents", "list", "--limit", "0"), -1);
	assert_int_equal(PARSE(&o, err, "agents", "list", "--limit", "x"), -1);
	assert_int_equal(PARSE(&o, err, "agents", "list", "--offset", "-1"), -1);
	assert_int_equal(PARSE(&o, err, "agents", "list", "--url", ""), -1);
	/* restart: exactly one target */
	assert_int_equal(PARSE(&o, err, "agents", "restart"), -1);
	assert_int_equal(PARSE(&o, err, "agents", "restart", "--all", "001"), -1);
	opts_free(&o);
	assert_int_equal(PARSE(&o, err, "agents", "restart", "--all", "--node", "n"), -1);
	assert_int_equal(PARSE(&o, err, "agents", "restart", "abc"), -1);
	opts_free(&o);
	assert_string_equal(err, "'abc' is not an agent ID (a number such as 001)");
	assert_int_equal(PARSE(&o, err, "agents", "restart", "001,x"), -1);
	opts_free(&o);
	assert_int_equal(PARSE(&o, err, "agents", "restart", "--node", "../x"), -1);
	assert_int_equal(PARSE(&o, err, "agents", "restart", "--group", "a/b"), -1);
	assert_int_equal(PARSE(&o, err, "agents", "restart", "--all", "--timeout", "5"), -1);
	assert_string_equal(err, "--timeout goes with --wait");
	assert_int_equal(PARSE(&o, err, "agents", "restart", "--all", "--wait", "--timeout",
	    "0"), -1);
	assert_int_equal(PARSE(&o, err, "agents", "restart", "--all", "--wait", "--json"), -1);
}

static void
test_agent_id(void **state)
{
	char id[8];

	(void)state;
	assert_int_equal(opts_agent_id("7", id, sizeof(id)), 0);
	assert_string_equal(id, "007");
	assert_int_equal(opts_agent_id("0012", id, sizeof(id)), 0);
	assert_string_equal(id, "012");
	assert_int_equal(opts_agent_id("123456", id, sizeof(id)), 0);
	assert_string_equal(id, "123456");
	assert_int_equal(opts_agent_id("1234567", id, sizeof(id)), -1);
	assert_int_equal(opts_agent_id("", id, sizeof(id)), -1);
	assert_int_equal(opts_agent_id("+1", id, sizeof(id)), -1);
	assert_int_equal(opts_agent_id("1 ", id, sizeof(id)), -1);
	assert_true(opts_name_ok("master-node"));
	assert_false(opts_name_ok(".."));
	assert_false(opts_name_ok(""));
	assert_false(opts_name_ok("a b"));
	assert_false(opts_name_ok("a%2f"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_jobs),
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_agent_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
