/*
 * registry_schema.h — internal to the registry: the one description of its
 * tables, from which both backends' DDL comes (registry_schema.c).
 */
#ifndef VIGIL_REGISTRY_SCHEMA_H
#define VIGIL_REGISTRY_SCHEMA_H

#include "node/registry/groups.h"
#include "proto/merged.h"

enum regschema_dialect { REGSCHEMA_SQLITE, REGSCHEMA_PG };

/*
 * regschema_ddl: the statements (';'-separated, one string, malloc'd) that
 * create the registry's final schema in dialect, its seed rows included.
 * For SQLite it is the schema the migrations of registry_sqlite.c reach at
 * their last step (test_registry_schema.c compares them); PostgreSQL starts
 * there.  NULL when out of memory.
 */
char *regschema_ddl(enum regschema_dialect d);

/*
 * regschema_sec_tables: the custom RBAC's tables by kind (enum
 * registry_sec_kind): the table, its body column, and the table linking it
 * to roles with its column (NULL for roles themselves).
 */
struct regschema_sec_table {
	const char *table, *body, *link, *link_col;
};
extern const struct regschema_sec_table regschema_sec_tables[3];

/* regschema_table: the name of the i-th table, or NULL past the last. */
const char *regschema_table(size_t i);

/*
 * The seed rows, plain SQL both dialects read: the "default" group (SQLite
 * schema step 3) and Wazuh 4.12's default roles, policies and rules with
 * their links (step 6; framework/wazuh/rbac/default/ yaml files).
 */
#define REGSCHEMA_SEED_GROUP \
	"INSERT INTO grp (name, conf) VALUES ('" GROUP_DEFAULT "', '" \
	MERGED_AGENT_CONF_TEMPLATE "');"

#define REGSCHEMA_SEED_RBAC \
	"INSERT INTO role (id, name) VALUES (1, 'administrator');" \
	"INSERT INTO role (id, name) VALUES (2, 'readonly');" \
	"INSERT INTO role (id, name) VALUES (3, 'users_admin');" \
	"INSERT INTO role (id, name) VALUES (4, 'agents_readonly');" \
	"INSERT INTO role (id, name) VALUES (5, 'agents_admin');" \
	"INSERT INTO role (id, name) VALUES (6, 'cluster_readonly');" \
	"INSERT INTO role (id, name) VALUES (7, 'cluster_admin');" \
	"INSERT INTO rule (id, name, rule) VALUES (1, 'wui_elastic_admin', '{\"FIND\": {\"username\": \"elastic\"}}');" \
	"INSERT INTO rule (id, name, rule) VALUES (2, 'wui_opensearch_admin', '{\"FIND\": {\"user_name\": \"admin\"}}');" \
	"INSERT INTO policy (id, name, policy) VALUES (1, 'agents_all_resourceless', '{\"actions\": [\"agent:create\", \"group:create\", \"agent:uninstall\"], \"resources\": [\"*:*:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (2, 'agents_all_agents', '{\"actions\": [\"agent:read\", \"agent:delete\", \"agent:modify_group\", \"agent:reconnect\", \"agent:restart\", \"agent:upgrade\"], \"resources\": [\"agent:id:*\", \"agent:group:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (3, 'agents_all_groups', '{\"actions\": [\"group:read\", \"group:delete\", \"group:update_config\", \"group:modify_assignments\"], \"resources\": [\"group:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (4, 'agents_read_agents', '{\"actions\": [\"agent:read\"], \"resources\": [\"agent:id:*\", \"agent:group:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (5, 'agents_read_groups', '{\"actions\": [\"group:read\"], \"resources\": [\"group:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (6, 'agents_commands_agents', '{\"actions\": [\"active-response:command\"], \"resources\": [\"agent:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (7, 'security_all_resourceless', '{\"actions\": [\"security:create\", \"security:create_user\", \"security:read_config\", \"security:update_config\", \"security:revoke\", \"security:edit_run_as\"], \"resources\": [\"*:*:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (8, 'security_all_security', '{\"actions\": [\"security:read\", \"security:update\", \"security:delete\"], \"resources\": [\"role:id:*\", \"policy:id:*\", \"user:id:*\", \"rule:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (9, 'users_all_resourceless', '{\"actions\": [\"security:create_user\", \"security:revoke\", \"security:edit_run_as\"], \"resources\": [\"*:*:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (10, 'users_all_users', '{\"actions\": [\"security:read\", \"security:update\", \"security:delete\"], \"resources\": [\"user:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (11, 'users_modify_run_as_flag', '{\"actions\": [\"security:edit_run_as\"], \"resources\": [\"*:*:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (12, 'ciscat_read_ciscat', '{\"actions\": [\"ciscat:read\"], \"resources\": [\"agent:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (13, 'decoders_read_decoders', '{\"actions\": [\"decoders:read\"], \"resources\": [\"decoder:file:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (14, 'decoders_all_files', '{\"actions\": [\"decoders:read\", \"decoders:delete\"], \"resources\": [\"decoder:file:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (15, 'decoders_all_resourceless', '{\"actions\": [\"decoders:update\"], \"resources\": [\"*:*:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (16, 'mitre_read_mitre', '{\"actions\": [\"mitre:read\"], \"resources\": [\"*:*:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (17, 'lists_read_rules', '{\"actions\": [\"lists:read\"], \"resources\": [\"list:file:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (18, 'lists_all_rules', '{\"actions\": [\"lists:read\", \"lists:delete\"], \"resources\": [\"list:file:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (19, 'lists_all_resourceless', '{\"actions\": [\"lists:update\"], \"resources\": [\"*:*:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (20, 'rootcheck_read_rootcheck', '{\"actions\": [\"rootcheck:read\"], \"resources\": [\"agent:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (21, 'rootcheck_all_rootcheck', '{\"actions\": [\"rootcheck:clear\", \"rootcheck:read\", \"rootcheck:run\"], \"resources\": [\"agent:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (22, 'rules_read_rules', '{\"actions\": [\"rules:read\"], \"resources\": [\"rule:file:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (23, 'rules_all_files', '{\"actions\": [\"rules:read\", \"rules:delete\"], \"resources\": [\"rule:file:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (24, 'rules_all_resourceless', '{\"actions\": [\"rules:update\"], \"resources\": [\"*:*:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (25, 'sca_read_sca', '{\"actions\": [\"sca:read\"], \"resources\": [\"agent:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (26, 'syscheck_read_syscheck', '{\"actions\": [\"syscheck:read\"], \"resources\": [\"agent:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (27, 'syscheck_all_syscheck', '{\"actions\": [\"syscheck:clear\", \"syscheck:read\", \"syscheck:run\"], \"resources\": [\"agent:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (28, 'syscollector_read_syscollector', '{\"actions\": [\"syscollector:read\"], \"resources\": [\"agent:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (29, 'cluster_all_resourceless', '{\"actions\": [\"cluster:status\", \"manager:read\", \"manager:read_api_config\", \"manager:update_config\", \"manager:restart\"], \"resources\": [\"*:*:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (30, 'cluster_all_nodes', '{\"actions\": [\"cluster:read_api_config\", \"cluster:read\", \"cluster:restart\", \"cluster:update_config\"], \"resources\": [\"node:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (31, 'cluster_read_resourceless', '{\"actions\": [\"cluster:status\", \"manager:read\", \"manager:read_api_config\"], \"resources\": [\"*:*:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (32, 'cluster_read_nodes', '{\"actions\": [\"cluster:read_api_config\", \"cluster:read\", \"cluster:read_api_config\"], \"resources\": [\"node:id:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (33, 'logtest_all_logtest', '{\"actions\": [\"logtest:run\"], \"resources\": [\"*:*:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (34, 'task_status_task', '{\"actions\": [\"task:status\"], \"resources\": [\"*:*:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO policy (id, name, policy) VALUES (35, 'events_ingest_resourceless', '{\"actions\": [\"event:ingest\"], \"resources\": [\"*:*:*\"], \"effect\": \"allow\"}');" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 1, 0);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 2, 1);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 3, 2);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 6, 3);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 7, 4);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 8, 5);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 29, 6);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 30, 7);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 12, 8);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 14, 9);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 15, 10);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 18, 11);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 19, 12);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 21, 13);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 23, 14);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 24, 15);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 16, 16);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 25, 17);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 27, 18);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 28, 19);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 33, 20);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 34, 21);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (1, 35, 22);" \
	"INSERT INTO role_rule (role_id, rule_id) VALUES (1, 1);" \
	"INSERT INTO role_rule (role_id, rule_id) VALUES (1, 2);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (2, 4, 0);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (2, 5, 1);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (2, 12, 2);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (2, 31, 3);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (2, 32, 4);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (2, 13, 5);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (2, 17, 6);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (2, 20, 7);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (2, 22, 8);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (2, 16, 9);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (2, 25, 10);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (2, 26, 11);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (2, 28, 12);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (3, 9, 0);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (3, 10, 1);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (4, 4, 0);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (4, 5, 1);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (5, 1, 0);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (5, 2, 1);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (5, 3, 2);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (6, 31, 0);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (6, 32, 1);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (7, 29, 0);" \
	"INSERT INTO role_policy (role_id, policy_id, position) VALUES (7, 30, 1);"

#endif
