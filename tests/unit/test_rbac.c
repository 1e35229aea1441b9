/* test_rbac.c — the default roles' permissions, the RBAC check and the password policy. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "node/api/rbac.h"

static void
test_roles_table(void **state)
{
	const struct rbac_role *r;
	size_t i;

	(void)state;
	for (i = 0; i < RBAC_NROLES; i++) {
		assert_non_null(r = rbac_role_at(i));
		assert_int_equal(r->id, (int)i + 1);
		assert_ptr_equal(rbac_role_get(r->id), r);
	}
	assert_null(rbac_role_at(RBAC_NROLES));
	assert_null(rbac_role_get(0));
	assert_null(rbac_role_get(8));
	assert_null(rbac_role_get(-1));
	assert_string_equal(rbac_role_get(1)->name, "administrator");
	assert_string_equal(rbac_role_get(2)->name, "readonly");
	assert_string_equal(rbac_role_get(7)->name, "cluster_admin");
	/* The administrator has every permission there is. */
	assert_int_equal(rbac_role_get(1)->perms, (RBAC_BIT(RBAC_P_COUNT) - 1));
	for (i = 0; i < RBAC_P_COUNT; i++) {
		assert_non_null(strchr(rbac_perm_action((enum rbac_perm)i), ':'));
		assert_non_null(strchr(rbac_perm_resource((enum rbac_perm)i), ':'));
	}
}

static uint64_t
perms_of(int role)
{
	return rbac_perms(&role, 1);
}

static void
test_check(void **state)
{
	uint64_t ro = perms_of(RBAC_ROLE_READONLY), aro = perms_of(RBAC_ROLE_AGENTS_READONLY);
	uint64_t ua = perms_of(RBAC_ROLE_USERS_ADMIN), aa = perms_of(RBAC_ROLE_AGENTS_ADMIN);
	uint64_t ca = perms_of(RBAC_ROLE_CLUSTER_ADMIN), cro = perms_of(RBAC_ROLE_CLUSTER_READONLY);
	int both[] = { RBAC_ROLE_AGENTS_READONLY, RBAC_ROLE_CLUSTER_READONLY, 42 };

	(void)state;
	/* readonly reads agents and the cluster, and does nothing else. */
	assert_int_equal(rbac_check(RBAC_AGENT_READ, ro, 0), -1);
	assert_int_equal(rbac_check(RBAC_CLUSTER_READ, ro, 0), -1);
	assert_int_equal(rbac_check(RBAC_CLUSTER_STATUS, ro, 0), -1);
	assert_int_equal(rbac_check(RBAC_MANAGER_READ, ro, 0), -1);
	assert_int_equal(rbac_check(RBAC_AGENT_RESTART, ro, 0), RBAC_P_AGENT_RESTART);
	assert_int_equal(rbac_check(RBAC_AGENT_DELETE, ro, 0), RBAC_P_AGENT_DELETE);
	assert_int_equal(rbac_check(RBAC_AGENT_RECONNECT, ro, 0), RBAC_P_AGENT_RECONNECT);
	assert_int_equal(rbac_check(RBAC_USERS_READ, ro, 0), RBAC_P_SECURITY_READ_USER);
	assert_int_equal(rbac_check(RBAC_REVOKE, ro, 0), RBAC_P_SECURITY_REVOKE);
	/* agents_readonly cannot read nodes; restart by node names node:id first. */
	assert_int_equal(rbac_check(RBAC_CLUSTER_READ, aro, 0), RBAC_P_CLUSTER_READ);
	assert_int_equal(rbac_check(RBAC_NODE_AGENT_RESTART, aro, 0), RBAC_P_CLUSTER_READ);
	assert_int_equal(rbac_check(RBAC_NODE_AGENT_RESTART, aa, 0), RBAC_P_CLUSTER_READ);
	assert_int_equal(rbac_check(RBAC_NODE_AGENT_RESTART, aa | cro, 0), -1);
	assert_string_equal(rbac_perm_resource(RBAC_P_CLUSTER_READ), "node:id");
	assert_string_equal(rbac_perm_resource(RBAC_P_AGENT_RESTART), "agent:id");
	assert_string_equal(rbac_perm_resource(RBAC_P_SECURITY_REVOKE), "*:*");
	/* users_admin: users yes, roles and configuration no. */
	assert_int_equal(rbac_check(RBAC_USERS_CREATE | RBAC_USERS_UPDATE | RBAC_USERS_DELETE |
	    RBAC_USERS_READ | RBAC_REVOKE, ua, 0), -1);
	assert_int_equal(rbac_check(RBAC_USER_ROLES_SET, ua, 0), RBAC_P_SECURITY_UPDATE_ROLE);
	assert_int_equal(rbac_check(RBAC_ROLES_READ, ua, 0), RBAC_P_SECURITY_READ_ROLE);
	assert_int_equal(rbac_check(RBAC_CONFIG_READ, ua, 0), RBAC_P_SECURITY_READ_CONFIG);
	assert_int_equal(rbac_check(RBAC_AGENT_READ, ua, 0), RBAC_P_AGENT_READ);
	/* agents_admin does everything to agents and groups, cluster_admin to the cluster. */
	assert_int_equal(rbac_check(RBAC_AGENT_READ | RBAC_AGENT_DELETE | RBAC_AGENT_CREATE |
	    RBAC_AGENT_RESTART | RBAC_AGENT_RECONNECT | RBAC_GROUP_CREATE | RBAC_GROUP_DELETE |
	    RBAC_GROUP_READ | RBAC_GROUP_MODIFY_ASSIGNMENTS | RBAC_AGENT_MODIFY_GROUP, aa, 0), -1);
	assert_int_equal(rbac_check(RBAC_MANAGER_READ, aa, 0), RBAC_P_MANAGER_READ);
	assert_int_equal(rbac_check(RBAC_GROUP_AGENT_RESTART, aa, 0), -1);
	assert_int_equal(rbac_check(RBAC_GROUP_AGENT_RESTART, ro, 0), RBAC_P_AGENT_RESTART);
	assert_int_equal(rbac_check(RBAC_CLUSTER_READ | RBAC_CLUSTER_STATUS | RBAC_MANAGER_READ,
	    ca, 0), -1);
	assert_int_equal(rbac_check(RBAC_AGENT_READ, ca, 0), RBAC_P_AGENT_READ);
	/* Roles add up; unknown ids add nothing. */
	assert_int_equal(rbac_check(RBAC_AGENT_READ | RBAC_CLUSTER_READ, rbac_perms(both, 3), 0),
	    -1);
	assert_int_equal(rbac_perms(NULL, 0), 0);
	/* No role at all: only what needs no permission. */
	assert_int_equal(rbac_check(RBAC_TOKEN, 0, 0), -1);
	assert_int_equal(rbac_check(RBAC_PUBLIC, 0, 0), -1);
	assert_int_equal(rbac_check(RBAC_AGENT_READ, 0, 0), RBAC_P_AGENT_READ);
	/* Black mode allows what no policy denies: everything here. */
	assert_int_equal(rbac_check(RBAC_CONFIG_UPDATE | RBAC_AGENT_DELETE, 0, 1), -1);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_table),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_password_policy),
		cmocka_unit_test(test_username),
		cmocka_unit_test(test_parse_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
