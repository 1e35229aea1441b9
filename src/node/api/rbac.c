/* rbac.c — the API's RBAC actions and resource types, and the user rules (pure).  What a
 * caller may do is decided by its roles' policies (rbac_pol.c). */
#include "node/api/rbac.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *action;
	const char *resource;
} rbac_perm_names[RBAC_P_COUNT] = {
	[RBAC_P_CLUSTER_READ] = { "cluster:read", "node:id" },
	[RBAC_P_CLUSTER_STATUS] = { "cluster:status", "*:*" },
	[RBAC_P_CLUSTER_READ_API_CONFIG] = { "cluster:read_api_config", "node:id" },
	[RBAC_P_CLUSTER_RESTART] = { "cluster:restart", "node:id" },
	[RBAC_P_MANAGER_READ] = { "manager:read", "*:*" },
	[RBAC_P_MANAGER_READ_API_CONFIG] = { "manager:read_api_config", "*:*" },
	[RBAC_P_MANAGER_RESTART] = { "manager:restart", "*:*" },
	[RBAC_P_AGENT_CREATE] = { "agent:create", "*:*" },
	[RBAC_P_AGENT_READ] = { "agent:read", "agent:id" },
	[RBAC_P_AGENT_DELETE] = { "agent:delete", "agent:id" },
	[RBAC_P_AGENT_RESTART] = { "agent:restart", "agent:id" },
	[RBAC_P_AGENT_RECONNECT] = { "agent:reconnect", "agent:id" },
	[RBAC_P_AGENT_MODIFY_GROUP] = { "agent:modify_group", "agent:id" },
	[RBAC_P_AGENT_UPGRADE] = { "agent:upgrade", "agent:id" },
	[RBAC_P_GROUP_CREATE] = { "group:create", "*:*" },
	[RBAC_P_GROUP_READ] = { "group:read", "group:id" },
	[RBAC_P_GROUP_DELETE] = { "group:delete", "group:id" },
	[RBAC_P_GROUP_UPDATE_CONFIG] = { "group:update_config", "group:id" },
	[RBAC_P_GROUP_MODIFY_ASSIGNMENTS] = { "group:modify_assignments", "group:id" },
	[RBAC_P_SECURITY_CREATE] = { "security:create", "*:*" },
	[RBAC_P_SECURITY_CREATE_USER] = { "security:create_user", "*:*" },
	[RBAC_P_SECURITY_READ_CONFIG] = { "security:read_config", "*:*" },
	[RBAC_P_SECURITY_UPDATE_CONFIG] = { "security:update_config", "*:*" },
	[RBAC_P_SECURITY_REVOKE] = { "security:revoke", "*:*" },
	[RBAC_P_SECURITY_READ_USER] = { "security:read", "user:id" },
	[RBAC_P_SECURITY_UPDATE_USER] = { "security:update", "user:id" },
	[RBAC_P_SECURITY_DELETE_USER] = { "security:delete", "user:id" },
	[RBAC_P_SECURITY_READ_ROLE] = { "security:read", "role:id" },
	[RBAC_P_SECURITY_UPDATE_ROLE] = { "security:update", "role:id" },
	[RBAC_P_SECURITY_DELETE_ROLE] = { "security:delete", "role:id" },
	[RBAC_P_SECURITY_READ_POLICY] = { "security:read", "policy:id" },
	[RBAC_P_SECURITY_UPDATE_POLICY] = { "security:update", "policy:id" },
	[RBAC_P_SECURITY_DELETE_POLICY] = { "security:delete", "policy:id" },
	[RBAC_P_SECURITY_READ_RULE] = { "security:read", "rule:id" },
	[RBAC_P_SECURITY_UPDATE_RULE] = { "security:update", "rule:id" },
	[RBAC_P_SECURITY_DELETE_RULE] = { "security:delete", "rule:id" },
	[RBAC_P_SECURITY_EDIT_RUN_AS] = { "security:edit_run_as", "*:*" },
};

const char *
rbac_perm_action(enum rbac_perm p)
{
	return (unsigned)p < RBAC_P_COUNT ? rbac_perm_names[p].action : "?";
}

const char *
rbac_perm_resource(enum rbac_perm p)
{
	return (unsigned)p < RBAC_P_COUNT ? rbac_perm_names[p].resource : "*:*";
}

int
rbac_password_policy(const char *pw)
{
	const unsigned char *p;
	size_t chars = 0;
	int lower = 0, upper = 0, digit = 0, symbol = 0;

	if (pw == NULL)
		return 5009;
	/* Python's len(): code points, so count the bytes that start one. */
	for (p = (const unsigned char *)pw; *p != '\0'; p++)
		if ((*p & 0xc0) != 0x80)
			chars++;
	if (chars < 8 || chars > 64)
		return 5009;
	for (p = (const unsigned char *)pw; *p != '\0'; p++) {
		if (*p == '\n')
			return 5007;     /* Wazuh's ".{8,}" stops at a newline */
		if (*p >= 'a' && *p <= 'z')
			lower = 1;
		else if (*p >= 'A' && *p <= 'Z')
			upper = 1;
		else if (*p >= '0' && *p <= '9')
			digit = 1;
		else
			symbol = 1;
	}
	return lower && upper && digit && symbol ? 0 : 5007;
}

int
rbac_username_ok(const char *name)
{
	size_t n = 0;

	if (name == NULL)
		return 0;
	for (; name[n] != '\0'; n++) {
		char c = name[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-' || c == '.'))
			return 0;
		if (n >= 64)
			return 0;
	}
	return n >= 4;
}

int
rbac_parse_ids(const char *s, long long *v, size_t cap, size_t *n)
{
	const char *p = s;
	char *end;
	long long x;
	size_t i;

	*n = 0;
	if (s == NULL)
		return -1;
	for (;;) {
		if (*p < '0' || *p > '9')
			return -1;
		errno = 0;
		x = strtoll(p, &end, 10);
		if (errno != 0 || x < 1 || x > 0x7fffffff || (*end != ',' && *end != '\0'))
			return -1;
		for (i = 0; i < *n && v[i] != x; i++)
			;
		if (i == *n) {
			if (*n == cap)
				return -1;
			v[(*n)++] = x;
		}
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}
