/* test_rbac.c — the RBAC actions, the user rules, and custom policies and rules (rbac_pol). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "node/api/rbac.h"
#include "node/api/rbac_pol.h"

static void
test_perm_names(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < RBAC_P_COUNT; i++) {
		assert_non_null(strchr(rbac_perm_action((enum rbac_perm)i), ':'));
		assert_non_null(strchr(rbac_perm_resource((enum rbac_perm)i), ':'));
	}
	assert_string_equal(rbac_perm_resource(RBAC_P_CLUSTER_READ), "node:id");
	assert_string_equal(rbac_perm_resource(RBAC_P_AGENT_RESTART), "agent:id");
	assert_string_equal(rbac_perm_resource(RBAC_P_SECURITY_REVOKE), "*:*");
	assert_string_equal(rbac_perm_action(RBAC_P_SECURITY_READ_ROLE), "security:read");
}

static void
test_password_policy(void **state)
{
	char big[80];

	(void)state;
	assert_int_equal(rbac_password_policy("Vigil-Test-Pass1!"), 0);
	assert_int_equal(rbac_password_policy("Aa1!aaaa"), 0);
	assert_int_equal(rbac_password_policy("Aa1!aaa"), 5009);
	assert_int_equal(rbac_password_policy(""), 5009);
	assert_int_equal(rbac_password_policy(NULL), 5009);
	memset(big, 'a', 64);
	memcpy(big, "A1!", 3);
	big[64] = '\0';
	assert_int_equal(rbac_password_policy(big), 0);
	big[64] = 'a';
	big[65] = '\0';
	assert_int_equal(rbac_password_policy(big), 5009);
	/* Length is in characters: 8 two-byte letters are 8, not 16. */
	assert_int_equal(rbac_password_policy("\xc3\xa9\xc3\xa9\xc3\xa9" "A1!ab"), 0);
	assert_int_equal(rbac_password_policy("aaaaaaa1!"), 5007);    /* no upper */
	assert_int_equal(rbac_password_policy("AAAAAAA1!"), 5007);    /* no lower */
	assert_int_equal(rbac_password_policy("Aaaaaaaa!"), 5007);    /* no digit */
	assert_int_equal(rbac_password_policy("Aaaaaaaa1"), 5007);    /* no symbol */
	assert_int_equal(rbac_password_policy("Aaaa aaa1"), 0);       /* a space is a symbol */
	assert_int_equal(rbac_password_policy("Aaaa\naa1!"), 5007);
}

static void
test_username(void **state)
{
	char big[80];

	(void)state;
	assert_true(rbac_username_ok("wazuh"));
	assert_true(rbac_username_ok("a.b-c_d"));
	assert_false(rbac_username_ok("abc"));
	assert_false(rbac_username_ok("bad name"));
	assert_false(rbac_username_ok("bad/name"));
	assert_false(rbac_username_ok(""));
	assert_false(rbac_username_ok(NULL));
	memset(big, 'a', 64);
	big[64] = '\0';
	assert_true(rbac_username_ok(big));
	big[64] = 'a';
	big[65] = '\0';
	assert_false(rbac_username_ok(big));
}

static void
test_parse_ids(void **state)
{
	long long v[4];
	size_t n;
	static const char *const bad[] = { "", ",", "1,", ",1", "1,,2", "a", "1a", "-1", "+1",
		"0", " 1", "1 ", "2147483648", "99999999999999999999", "1;2", "all", NULL };
	size_t i;

	(void)state;
	assert_int_equal(rbac_parse_ids("1", v, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0], 1);
	assert_int_equal(rbac_parse_ids("100,2,100,007", v, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0], 100);
	assert_int_equal(v[1], 2);
	assert_int_equal(v[2], 7);
	assert_int_equal(rbac_parse_ids("2147483647", v, 4, &n), 0);
	assert_int_equal(rbac_parse_ids("1,2,3,4,5", v, 4, &n), -1);
	assert_int_equal(rbac_parse_ids("1,2,3,4,4,4", v, 4, &n), 0);
	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(rbac_parse_ids(bad[i], v, 4, &n), -1);
	assert_int_equal(rbac_parse_ids(NULL, v, 4, &n), -1);
}

/* compile: policies (JSON texts) in order into a compiled set. */
static struct rbac_pol *
compile(const char *const *pols)
{
	struct rbac_pol *p = rbac_pol_new();
	json_t *j;

	assert_non_null(p);
	for (; *pols != NULL; pols++) {
		assert_non_null(j = json_loads(*pols, 0, NULL));
		assert_true(rbac_pol_valid(j));
		assert_int_equal(rbac_pol_add(p, j), 0);
		json_decref(j);
	}
	return p;
}

#define ALLOW(a, r) "{\"actions\": [\"" a "\"], \"resources\": [\"" r "\"], \"effect\": \"allow\"}"
#define DENY(a, r) "{\"actions\": [\"" a "\"], \"resources\": [\"" r "\"], \"effect\": \"deny\"}"

/* One row: policies in order, a question, the answer in white and in black mode. */
static void
test_pol_evaluation(void **state)
{
	static const struct {
		const char *pols[4];
		const char *action, *type, *value, *groups;
		int white, black;
	} rows[] = {
		{ { NULL }, "agent:read", "agent:id", "001", NULL, 0, 1 },
		{ { ALLOW("agent:read", "agent:id:001") }, "agent:read", "agent:id", "001", NULL, 1, 1 },
		{ { ALLOW("agent:read", "agent:id:001") }, "agent:read", "agent:id", "002", NULL, 0, 1 },
		{ { ALLOW("agent:read", "agent:id:001") }, "agent:restart", "agent:id", "001", NULL, 0, 1 },
		{ { ALLOW("agent:read", "agent:id:*") }, "agent:read", "agent:id", "042", NULL, 1, 1 },
		{ { ALLOW("agent:restart", "agent:group:web") }, "agent:restart", "agent:id", "003",
		    "default,web", 1, 1 },
		{ { ALLOW("agent:restart", "agent:group:web") }, "agent:restart", "agent:id", "002",
		    "default", 0, 1 },
		/* the later policy decides; a wildcard replaces what came before */
		{ { ALLOW("agent:read", "agent:id:*"), DENY("agent:read", "agent:id:002") },
		    "agent:read", "agent:id", "002", NULL, 0, 0 },
		{ { ALLOW("agent:read", "agent:id:*"), DENY("agent:read", "agent:id:002") },
		    "agent:read", "agent:id", "001", NULL, 1, 1 },
		{ { DENY("agent:read", "agent:id:002"), ALLOW("agent:read", "agent:id:*") },
		    "agent:read", "agent:id", "002", NULL, 1, 1 },
		{ { ALLOW("agent:read", "agent:group:web"), DENY("agent:read", "agent:id:*") },
		    "agent:read", "agent:id", "003", "web", 0, 0 },
		{ { DENY("agent:read", "agent:group:web") }, "agent:read", "agent:id", "003", "web", 0, 0 },
		{ { ALLOW("cluster:status", "*:*:*") }, "cluster:status", "*:*", "*", NULL, 1, 1 },
		{ { ALLOW("cluster:status", "*:*:*") }, "cluster:read", "node:id", "n1", NULL, 0, 1 },
		{ { ALLOW("group:read", "group:id:web") }, "group:read", "group:id", "web", NULL, 1, 1 },
		{ { ALLOW("group:read", "group:id:web") }, "group:read", "group:id", "db", NULL, 0, 1 },
		/* combinations are never a single resource's grant */
		{ { ALLOW("agent:read", "agent:id:001&group:id:web") }, "agent:read", "agent:id", "001",
		    NULL, 0, 1 },
	};
	size_t i;
	int black;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rbac_pol *p = compile(rows[i].pols);
		struct rbac_res res = { rows[i].type, rows[i].value, rows[i].groups };

		for (black = 0; black < 2; black++)
			if (rbac_pol_allows(p, rows[i].action, &res, black) !=
			    (black ? rows[i].black : rows[i].white))
				fail_msg("row %zu, %s mode", i, black ? "black" : "white");
		rbac_pol_free(p);
	}
}

static void
test_pol_may_and_json(void **state)
{
	static const char *const pols[] = { ALLOW("agent:read", "agent:id:001"),
		DENY("agent:delete", "agent:id:*"), ALLOW("agent:read", "agent:group:web"), NULL };
	struct rbac_pol *p = compile(pols);
	json_t *j;
	char *s;

	(void)state;
	assert_true(rbac_pol_may(p, "agent:read", "agent:id", 0));
	assert_false(rbac_pol_may(p, "agent:delete", "agent:id", 0));
	assert_false(rbac_pol_may(p, "agent:delete", "agent:id", 1));
	assert_false(rbac_pol_may(p, "agent:restart", "agent:id", 0));
	assert_true(rbac_pol_may(p, "agent:restart", "agent:id", 1));
	assert_non_null(j = rbac_pol_json(p));
	assert_non_null(s = json_dumps(j, JSON_COMPACT));
	assert_string_equal(s, "{\"agent:read\":{\"agent:id:001\":\"allow\",\"agent:group:web\":"
	    "\"allow\"},\"agent:delete\":{\"agent:id:*\":\"deny\"}}");
	free(s);
	json_decref(j);
	rbac_pol_free(p);
}

static void
test_pol_validation(void **state)
{
	static const struct {
		const char *json;
		int valid;
	} rows[] = {
		{ ALLOW("agent:read", "agent:id:001"), 1 },
		{ ALLOW("agent:read", "agent:id:001&group:id:web"), 1 },
		{ ALLOW("agent:read", "agent:id:1&group:id:w&node:id:n"), 0 },
		{ ALLOW("agent:read", "agent:id"), 0 },
		{ ALLOW("agent", "agent:id:001"), 0 },
		{ ALLOW("agent:read:x", "agent:id:001"), 0 },
		{ ALLOW("Agent:Read", "Agent:ID:AbC"), 1 },        /* sanitized to lower case */
		{ "{\"actions\": [\"agent:read\"], \"resources\": [\"agent:id:1\"], \"effect\": \"maybe\"}", 0 },
		{ "{\"actions\": [\"agent:read\"], \"resources\": [\"agent:id:1\"]}", 0 },
		{ "{\"actions\": [], \"resources\": [\"agent:id:1\"], \"effect\": \"allow\"}", 0 },
		{ "{\"actions\": [\"agent:read\"], \"resources\": [\"agent:id:1\"], \"effect\": \"allow\", "
		    "\"x\": 1}", 0 },
	};
	size_t i;
	json_t *j;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_non_null(j = json_loads(rows[i].json, 0, NULL));
		rbac_pol_sanitize(j);
		if (rbac_pol_valid(j) != rows[i].valid)
			fail_msg("row %zu", i);
		json_decref(j);
	}
	assert_non_null(j = json_loads(ALLOW("Agent:Read", "Agent:ID:AbC"), 0, NULL));
	rbac_pol_sanitize(j);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "actions"), 0)),
	    "agent:read");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "resources"), 0)),
	    "agent:id:AbC");
	json_decref(j);
}

/* Security rules against authorization contexts, as Wazuh's RBAChecker. */
static void
test_rule_match(void **state)
{
	static const struct {
		const char *rule, *ctx;
		int match;
	} rows[] = {
		{ "{\"FIND\": {\"username\": \"elastic\"}}", "{\"username\": \"elastic\"}", 1 },
		{ "{\"FIND\": {\"username\": \"elastic\"}}", "{\"a\": {\"b\": {\"username\": \"elastic\"}}}", 1 },
		{ "{\"MATCH\": {\"username\": \"elastic\"}}", "{\"a\": {\"username\": \"elastic\"}}", 0 },
		{ "{\"MATCH\": {\"username\": \"elastic\"}}", "{\"username\": \"other\"}", 0 },
		{ "{\"MATCH\": {\"groups\": [\"a\"]}}", "{\"groups\": [\"a\", \"b\"]}", 1 },
		{ "{\"MATCH$\": {\"groups\": [\"a\"]}}", "{\"groups\": [\"a\", \"b\"]}", 0 },
		{ "{\"MATCH$\": {\"groups\": [\"b\", \"a\"]}}", "{\"groups\": [\"a\", \"b\"]}", 1 },
		{ "{\"FIND$\": {\"groups\": [\"a\"]}}", "{\"x\": [{\"groups\": [\"a\"]}]}", 1 },
		{ "{\"MATCH\": {\"name\": \"r'^adm.*'\"}}", "{\"name\": \"admin\"}", 1 },
		{ "{\"MATCH\": {\"name\": \"r'^adm.*'\"}}", "{\"name\": \"user\"}", 0 },
		{ "{\"AND\": [{\"MATCH\": {\"a\": \"1\"}}, {\"MATCH\": {\"b\": \"2\"}}]}",
		    "{\"a\": \"1\", \"b\": \"2\"}", 1 },
		{ "{\"AND\": [{\"MATCH\": {\"a\": \"1\"}}, {\"MATCH\": {\"b\": \"2\"}}]}",
		    "{\"a\": \"1\", \"b\": \"3\"}", 0 },
		{ "{\"OR\": [{\"MATCH\": {\"a\": \"9\"}}, {\"MATCH\": {\"b\": \"2\"}}]}",
		    "{\"a\": \"1\", \"b\": \"2\"}", 1 },
		{ "{\"NOT\": {\"MATCH\": {\"a\": \"1\"}}}", "{\"a\": \"1\"}", 0 },
		{ "{\"NOT\": {\"MATCH\": {\"a\": \"1\"}}}", "{\"a\": \"2\"}", 1 },
		{ "{\"UNKNOWN\": {\"a\": \"1\"}}", "{\"a\": \"1\"}", 0 },
		/* fuzzing: stacked quantifiers and big bounds made regcomp take gigabytes: refused */
		{ "{\"MATCH\": {\"name\": \"r'a++''\"}}", "{\"name\": \"a\"}", 0 },
		{ "{\"MATCH\": {\"name\": \"r'(a{20}){60}''\"}}", "{\"name\": \"a\"}", 0 },
		{ "{\"MATCH\": {\"name\": \"r'a{2}b{3,9}''\"}}", "{\"name\": \"aabbb\"}", 1 },
		{ "{\"MATCH\": {\"name\": \"r'a\\\\++''\"}}", "{\"name\": \"a++\"}", 1 },
	};
	size_t i;
	json_t *rule, *ctx;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_non_null(rule = json_loads(rows[i].rule, 0, NULL));
		assert_non_null(ctx = json_loads(rows[i].ctx, 0, NULL));
		if (rbac_rule_match(rule, ctx) != rows[i].match)
			fail_msg("row %zu: %s on %s", i, rows[i].rule, rows[i].ctx);
		json_decref(rule);
		json_decref(ctx);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perm_names),
		cmocka_unit_test(test_password_policy),
		cmocka_unit_test(test_username),
		cmocka_unit_test(test_parse_ids),
		cmocka_unit_test(test_pol_evaluation),
		cmocka_unit_test(test_pol_may_and_json),
		cmocka_unit_test(test_pol_validation),
		cmocka_unit_test(test_rule_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
