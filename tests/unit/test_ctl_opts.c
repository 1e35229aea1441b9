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
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_agent_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
