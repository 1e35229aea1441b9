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


/*
 * The RBAC catalogue (GET /security/actions and /security/resources): the
 * x-rbac-catalog of Wazuh v4.12's spec for the actions above, every resource
 * type it names, and each action's example policy as JSON text (as the spec
 * has it, group:read's example naming group:create included).
 */
static const struct rbac_action_info rbac_actions[] = {
	{ "cluster:read", "Read Wazuh's cluster nodes configuration",
	    { "node:id" },
	    "{\"actions\":[\"cluster:read\"],\"resources\":[\"node:id:worker1\",\"node:id:worker3\"],\"effect\":\"deny\"}" },
	{ "cluster:status", "Check Wazuh's cluster general status",
	    { "*:*" },
	    "{\"actions\":[\"cluster:status\"],\"resources\":[\"*:*:*\"],\"effect\":\"allow\"}" },
	{ "cluster:read_api_config", "Check Wazuh's cluster nodes API configuration",
	    { "*:*" },
	    "{\"actions\":[\"cluster:read_api_config\"],\"resources\":[\"node:id:worker1\",\"node:id:worker3\"],\"effect\":\"allow\"}" },
	{ "cluster:restart", "Restart Wazuh's cluster nodes",
	    { "node:id" },
	    "{\"actions\":[\"cluster:restart\"],\"resources\":[\"node:id:worker1\"],\"effect\":\"allow\"}" },
	{ "manager:read", "Read Wazuh manager configuration",
	    { "*:*" },
	    "{\"actions\":[\"manager:read\"],\"resources\":[\"*:*:*\"],\"effect\":\"allow\"}" },
	{ "manager:read_api_config", "Read Wazuh manager API configuration",
	    { "*:*" },
	    "{\"actions\":[\"manager:read_api_config\"],\"resources\":[\"*:*:*\"],\"effect\":\"allow\"}" },
	{ "manager:restart", "Restart Wazuh managers",
	    { "*:*" },
	    "{\"actions\":[\"manager:restart\"],\"resources\":[\"*:*:*\"],\"effect\":\"deny\"}" },
	{ "agent:create", "Create new agents",
	    { "*:*" },
	    "{\"actions\":[\"agent:create\"],\"resources\":[\"*:*:*\"],\"effect\":\"allow\"}" },
	{ "agent:read", "Access agents information (id, name, group, last keep alive, etc)",
	    { "agent:id", "agent:group" },
	    "{\"actions\":[\"agent:read\"],\"resources\":[\"agent:id:*\"],\"effect\":\"allow\"}" },
	{ "agent:delete", "Delete agents",
	    { "agent:id", "agent:group" },
	    "{\"actions\":[\"agent:delete\"],\"resources\":[\"agent:id:010\",\"agent:group:pacific\"],\"effect\":\"allow\"}" },
	{ "agent:restart", "Restart agents",
	    { "agent:id", "agent:group" },
	    "{\"actions\":[\"agent:restart\"],\"resources\":[\"agent:id:050\",\"agent:id:049\"],\"effect\":\"deny\"}" },
	{ "agent:reconnect", "Force reconnect agents",
	    { "agent:id", "agent:group" },
	    "{\"actions\":[\"agent:reconnect\"],\"resources\":[\"agent:id:050\",\"agent:id:049\"],\"effect\":\"deny\"}" },
	{ "agent:modify_group", "Change the group of agents",
	    { "agent:id", "agent:group" },
	    "{\"actions\":[\"agent:modify_group\"],\"resources\":[\"agent:id:004\",\"agent:group:us-east\"],\"effect\":\"allow\"}" },
	{ "agent:upgrade", "Upgrade the version of the agents",
	    { "agent:id", "agent:group" },
	    "{\"actions\":[\"agent:upgrade\"],\"resources\":[\"agent:id:001\",\"agent:group:mediterranean\"],\"effect\":\"allow\"}" },
	{ "group:create", "Create new agent groups",
	    { "*:*" },
	    "{\"actions\":[\"group:create\"],\"resources\":[\"*:*:*\"],\"effect\":\"allow\"}" },
	{ "group:read", "Access agent groups information (id, name, agents, etc)",
	    { "group:id" },
	    "{\"actions\":[\"group:create\"],\"resources\":[\"group:id:*\"],\"effect\":\"allow\"}" },
	{ "group:delete", "Delete agent groups",
	    { "group:id" },
	    "{\"actions\":[\"group:delete\"],\"resources\":[\"group:id:*\"],\"effect\":\"allow\"}" },
	{ "group:update_config", "Change the configuration of agent groups",
	    { "group:id" },
	    "{\"actions\":[\"group:update_config\"],\"resources\":[\"group:id:*\"],\"effect\":\"deny\"}" },
	{ "group:modify_assignments", "Change the agents assigned to the group",
	    { "group:id" },
	    "{\"actions\":[\"group:modify_assignments\"],\"resources\":[\"group:id:*\"],\"effect\":\"allow\"}" },
	{ "security:create", "Create new system security resources",
	    { "*:*" },
	    "{\"actions\":[\"security:create\"],\"resources\":[\"*:*:*\"],\"effect\":\"deny\"}" },
	{ "security:create_user", "Create new system users",
	    { "*:*" },
	    "{\"actions\":[\"security:create_user\"],\"resources\":[\"*:*:*\"],\"effect\":\"allow\"}" },
	{ "security:read_config", "Read current system security configuration",
	    { "*:*" },
	    "{\"actions\":[\"security:read_config\"],\"resources\":[\"*:*:*\"],\"effect\":\"allow\"}" },
	{ "security:update_config", "Update current system security configuration",
	    { "*:*" },
	    "{\"actions\":[\"security:update_config\"],\"resources\":[\"*:*:*\"],\"effect\":\"allow\"}" },
	{ "security:revoke", "Revoke all active JWT tokens",
	    { "*:*" },
	    "{\"actions\":[\"security:revoke\"],\"resources\":[\"*:*:*\"],\"effect\":\"deny\"}" },
	{ "security:read", "Access information about system security resources",
	    { "policy:id", "role:id", "user:id", "rule:id" },
	    "{\"actions\":[\"security:read\"],\"resources\":[\"policy:id:*\",\"role:id:2\",\"user:id:5\",\"rule:id:3\"],\"effect\":\"allow\"}" },
	{ "security:update", "Update the information of system security resources",
	    { "policy:id", "role:id", "user:id", "rule:id" },
	    "{\"actions\":[\"security:update\"],\"resources\":[\"policy:id:*\",\"role:id:4\",\"user:id:3\",\"rule:id:4\"],\"effect\":\"deny\"}" },
	{ "security:delete", "Delete system security resources",
	    { "policy:id", "role:id", "user:id", "rule:id" },
	    "{\"actions\":[\"security:delete\"],\"resources\":[\"policy:id:*\",\"role:id:3\",\"user:id:4\",\"rule:id:2\"],\"effect\":\"deny\"}" },
	{ "security:edit_run_as", "Change the value of the allow_run_as flag for a user",
	    { "*:*" },
	    "{\"actions\":[\"security:edit_run_as\"],\"resources\":[\"*:*:*\"],\"effect\":\"allow\"}" },
};

static const struct rbac_resource_info rbac_resources[] = {
	{ "*:*",
	    "Resource applied in functions acting on resources that do not yet exist in the system. We call these functions, resourceless functions" },
	{ "agent:group",
	    "Reference agents via group name (i.e. agent:group:web)" },
	{ "agent:id",
	    "Reference agents via agent ID (i.e. agent:id:001)" },
	{ "group:id",
	    "Reference agent groups via group ID (i.e. group:id:default)" },
	{ "node:id",
	    "Reference cluster nodes via node ID (i.e. node:id:worker1)" },
	{ "decoder:file",
	    "Reference decoder files via its path (i.e. decoder:file:0005-wazuh_decoders.xml)" },
	{ "list:file",
	    "Reference list files via its filename (i.e. list:file:audit-keys)" },
	{ "rule:file",
	    "Reference rule files via its path (i.e. rule:file:0610-win-ms_logs_rules.xml)" },
	{ "policy:id",
	    "Reference security policies via its id (i.e. policy:id:1)" },
	{ "role:id",
	    "Reference security roles via its id (i.e. role:id:1)" },
	{ "rule:id",
	    "Reference security rules via its id (i.e. rule:id:1)" },
	{ "user:id",
	    "Reference security users via its id (i.e. user:id:1)" },
};

const struct rbac_action_info *
rbac_action_info(const char *action)
{
	size_t i;

	for (i = 0; i < sizeof(rbac_actions) / sizeof(rbac_actions[0]); i++)
		if (strcmp(rbac_actions[i].action, action) == 0)
			return &rbac_actions[i];
	return NULL;
}

const struct rbac_resource_info *
rbac_resource_at(size_t i)
{
	return i < sizeof(rbac_resources) / sizeof(rbac_resources[0]) ? &rbac_resources[i] : NULL;
}

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
