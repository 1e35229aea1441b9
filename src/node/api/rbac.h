/* rbac.h — the REST API's RBAC actions on resource types, as its routes need them (pure). */
#ifndef VIGIL_RBAC_H
#define VIGIL_RBAC_H

#include <stddef.h>
#include <stdint.h>

/*
 * A permission is one RBAC action on one resource type.  Each is a bit; a
 * route method needs every bit of its requirement, checked against the
 * caller's compiled policies (api.c, rbac_pol.h).  The order of the bits is
 * the order in which a missing permission is reported.
 */
enum rbac_perm {
	RBAC_P_CLUSTER_READ = 0,       /* cluster:read        node:id */
	RBAC_P_CLUSTER_STATUS,         /* cluster:status      *:* */
	RBAC_P_CLUSTER_READ_API_CONFIG,/* cluster:read_api_config node:id */
	RBAC_P_CLUSTER_RESTART,        /* cluster:restart     node:id */
	RBAC_P_MANAGER_READ,           /* manager:read        *:* */
	RBAC_P_MANAGER_READ_API_CONFIG,/* manager:read_api_config *:* */
	RBAC_P_MANAGER_RESTART,        /* manager:restart     *:* */
	RBAC_P_AGENT_CREATE,           /* agent:create        *:* */
	RBAC_P_AGENT_READ,             /* agent:read          agent:id */
	RBAC_P_AGENT_DELETE,           /* agent:delete        agent:id */
	RBAC_P_AGENT_RESTART,          /* agent:restart       agent:id */
	RBAC_P_AGENT_RECONNECT,        /* agent:reconnect     agent:id */
	RBAC_P_AGENT_MODIFY_GROUP,     /* agent:modify_group  agent:id */
	RBAC_P_AGENT_UPGRADE,          /* agent:upgrade       agent:id */
	RBAC_P_GROUP_CREATE,           /* group:create        *:* */
	RBAC_P_GROUP_READ,             /* group:read          group:id */
	RBAC_P_GROUP_DELETE,           /* group:delete        group:id */
	RBAC_P_GROUP_UPDATE_CONFIG,    /* group:update_config group:id */
	RBAC_P_GROUP_MODIFY_ASSIGNMENTS, /* group:modify_assignments group:id */
	RBAC_P_SECURITY_CREATE,        /* security:create     *:* */
	RBAC_P_SECURITY_CREATE_USER,   /* security:create_user *:* */
	RBAC_P_SECURITY_READ_CONFIG,   /* security:read_config *:* */
	RBAC_P_SECURITY_UPDATE_CONFIG, /* security:update_config *:* */
	RBAC_P_SECURITY_REVOKE,        /* security:revoke     *:* */
	RBAC_P_SECURITY_READ_USER,     /* security:read       user:id */
	RBAC_P_SECURITY_UPDATE_USER,   /* security:update     user:id */
	RBAC_P_SECURITY_DELETE_USER,   /* security:delete     user:id */
	RBAC_P_SECURITY_READ_ROLE,     /* security:read       role:id */
	RBAC_P_SECURITY_UPDATE_ROLE,   /* security:update     role:id */
	RBAC_P_SECURITY_DELETE_ROLE,   /* security:delete     role:id */
	RBAC_P_SECURITY_READ_POLICY,   /* security:read       policy:id */
	RBAC_P_SECURITY_UPDATE_POLICY, /* security:update     policy:id */
	RBAC_P_SECURITY_DELETE_POLICY, /* security:delete     policy:id */
	RBAC_P_SECURITY_READ_RULE,     /* security:read       rule:id */
	RBAC_P_SECURITY_UPDATE_RULE,   /* security:update     rule:id */
	RBAC_P_SECURITY_DELETE_RULE,   /* security:delete     rule:id */
	RBAC_P_SECURITY_EDIT_RUN_AS,   /* security:edit_run_as *:* */
	RBAC_P_COUNT
};

#define RBAC_BIT(p) ((uint64_t)1 << (p))
/* Route requirements beside permission bits: no token at all (login), any valid token. */
#define RBAC_PUBLIC ((uint64_t)1 << 63)
#define RBAC_TOKEN ((uint64_t)1 << 62)
/*
 * A list route: its handler filters the items of every permission whose
 * resource the path does not name (Wazuh's expose_resources), so a caller
 * with no grant on them gets no items, not 403; a list it names whole
 * that it may not touch at all is still 403 (api_deny_named).
 */
#define RBAC_LIST ((uint64_t)1 << 61)

/* The requirements of the API's endpoints (the contract's x-rbac-actions). */
#define RBAC_AGENT_READ RBAC_BIT(RBAC_P_AGENT_READ)
#define RBAC_AGENT_DELETE RBAC_BIT(RBAC_P_AGENT_DELETE)
#define RBAC_AGENT_CREATE RBAC_BIT(RBAC_P_AGENT_CREATE)
#define RBAC_AGENT_RESTART RBAC_BIT(RBAC_P_AGENT_RESTART)
#define RBAC_AGENT_RECONNECT RBAC_BIT(RBAC_P_AGENT_RECONNECT)
#define RBAC_AGENT_MODIFY_GROUP RBAC_BIT(RBAC_P_AGENT_MODIFY_GROUP)
#define RBAC_NODE_AGENT_RESTART (RBAC_BIT(RBAC_P_CLUSTER_READ) | RBAC_BIT(RBAC_P_AGENT_RESTART))
/* PUT /agents/group/{id}/restart: the spec says agent:restart; Wazuh's code also reads. */
#define RBAC_GROUP_AGENT_RESTART (RBAC_BIT(RBAC_P_GROUP_READ) | RBAC_BIT(RBAC_P_AGENT_READ) | \
	RBAC_BIT(RBAC_P_AGENT_RESTART))
#define RBAC_GROUP_CREATE RBAC_BIT(RBAC_P_GROUP_CREATE)
#define RBAC_GROUP_READ RBAC_BIT(RBAC_P_GROUP_READ)
#define RBAC_GROUP_DELETE RBAC_BIT(RBAC_P_GROUP_DELETE)
#define RBAC_GROUP_MODIFY_ASSIGNMENTS RBAC_BIT(RBAC_P_GROUP_MODIFY_ASSIGNMENTS)
/* assigning agents to groups: Wazuh asks agent:modify_group and group:modify_assignments */
#define RBAC_AGENT_GROUP_ASSIGN (RBAC_BIT(RBAC_P_AGENT_MODIFY_GROUP) | \
    RBAC_BIT(RBAC_P_GROUP_MODIFY_ASSIGNMENTS))
#define RBAC_GROUP_AGENTS_READ (RBAC_BIT(RBAC_P_GROUP_READ) | RBAC_BIT(RBAC_P_AGENT_READ))
#define RBAC_GROUP_UPDATE_CONFIG RBAC_BIT(RBAC_P_GROUP_UPDATE_CONFIG)
#define RBAC_CLUSTER_READ RBAC_BIT(RBAC_P_CLUSTER_READ)
#define RBAC_CLUSTER_STATUS RBAC_BIT(RBAC_P_CLUSTER_STATUS)
#define RBAC_MANAGER_READ RBAC_BIT(RBAC_P_MANAGER_READ)
#define RBAC_USERS_READ RBAC_BIT(RBAC_P_SECURITY_READ_USER)
#define RBAC_USERS_CREATE RBAC_BIT(RBAC_P_SECURITY_CREATE_USER)
#define RBAC_USERS_UPDATE RBAC_BIT(RBAC_P_SECURITY_UPDATE_USER)
#define RBAC_USERS_DELETE RBAC_BIT(RBAC_P_SECURITY_DELETE_USER)
#define RBAC_ROLES_READ RBAC_BIT(RBAC_P_SECURITY_READ_ROLE)
#define RBAC_USER_ROLES_SET (RBAC_BIT(RBAC_P_SECURITY_UPDATE_USER) | RBAC_BIT(RBAC_P_SECURITY_UPDATE_ROLE))
#define RBAC_USER_ROLES_DELETE (RBAC_BIT(RBAC_P_SECURITY_DELETE_USER) | RBAC_BIT(RBAC_P_SECURITY_DELETE_ROLE))
#define RBAC_REVOKE RBAC_BIT(RBAC_P_SECURITY_REVOKE)
#define RBAC_SEC_CREATE RBAC_BIT(RBAC_P_SECURITY_CREATE)
#define RBAC_ROLES_UPDATE RBAC_BIT(RBAC_P_SECURITY_UPDATE_ROLE)
#define RBAC_ROLES_DELETE RBAC_BIT(RBAC_P_SECURITY_DELETE_ROLE)
#define RBAC_POLICIES_READ RBAC_BIT(RBAC_P_SECURITY_READ_POLICY)
#define RBAC_POLICIES_UPDATE RBAC_BIT(RBAC_P_SECURITY_UPDATE_POLICY)
#define RBAC_POLICIES_DELETE RBAC_BIT(RBAC_P_SECURITY_DELETE_POLICY)
#define RBAC_RULES_READ RBAC_BIT(RBAC_P_SECURITY_READ_RULE)
#define RBAC_RULES_UPDATE RBAC_BIT(RBAC_P_SECURITY_UPDATE_RULE)
#define RBAC_RULES_DELETE RBAC_BIT(RBAC_P_SECURITY_DELETE_RULE)
#define RBAC_ROLE_POLICIES_SET (RBAC_ROLES_UPDATE | RBAC_POLICIES_UPDATE)
#define RBAC_ROLE_POLICIES_DELETE (RBAC_ROLES_DELETE | RBAC_POLICIES_DELETE)
#define RBAC_ROLE_RULES_SET (RBAC_ROLES_UPDATE | RBAC_RULES_UPDATE)
#define RBAC_ROLE_RULES_DELETE (RBAC_ROLES_DELETE | RBAC_RULES_DELETE)
#define RBAC_EDIT_RUN_AS RBAC_BIT(RBAC_P_SECURITY_EDIT_RUN_AS)
#define RBAC_CONFIG_READ RBAC_BIT(RBAC_P_SECURITY_READ_CONFIG)
#define RBAC_CONFIG_UPDATE RBAC_BIT(RBAC_P_SECURITY_UPDATE_CONFIG)

/* Wazuh's default roles, by their ids (the registry holds them, registry_sec.c). */
enum {
	RBAC_ROLE_ADMINISTRATOR = 1,
	RBAC_ROLE_READONLY = 2,
	RBAC_ROLE_USERS_ADMIN = 3,
	RBAC_ROLE_AGENTS_READONLY = 4,
	RBAC_ROLE_AGENTS_ADMIN = 5,
	RBAC_ROLE_CLUSTER_READONLY = 6,
	RBAC_ROLE_CLUSTER_ADMIN = 7,
};
/* Users and roles with an id up to this are Wazuh's "admin resources": fixed. */
#define RBAC_MAX_ID_RESERVED 99

/* rbac_perm_action / rbac_perm_resource: "agent:read" / "agent:id" of a permission. */
const char *rbac_perm_action(enum rbac_perm p);
const char *rbac_perm_resource(enum rbac_perm p);

/* An action of the RBAC catalogue: what it is, the resource types it takes, an example policy. */
struct rbac_action_info {
	const char *action;
	const char *description;
	const char *resources[5];     /* NULL-terminated */
	const char *example;          /* a policy, JSON text */
};
/* rbac_action_info: the catalogue entry of every action of enum rbac_perm; NULL for others. */
const struct rbac_action_info *rbac_action_info(const char *action);

/* A resource type of the catalogue ("agent:id") and its description. */
struct rbac_resource_info {
	const char *name;
	const char *description;
};
/* rbac_resource_at: the i-th resource type of the catalogue, NULL past the last. */
const struct rbac_resource_info *rbac_resource_at(size_t i);

/*
 * rbac_password_policy: Wazuh's password rules: 0 when acceptable, 5009
 * when not 8..64 characters, 5007 when it lacks a lower-case letter, an
 * upper-case letter, a digit or a symbol.
 */
int rbac_password_policy(const char *password);

/* rbac_username_ok: 4..64 characters of [A-Za-z0-9_.-] (Wazuh's username schema). */
int rbac_username_ok(const char *name);

/*
 * rbac_parse_ids: a user_ids / role_ids list: decimal ids 1..2^31-1
 * separated by single commas, into v (duplicates dropped, at most cap).
 * 0 / -1 when malformed or longer than cap.
 */
int rbac_parse_ids(const char *s, long long *v, size_t cap, size_t *n);

#endif
