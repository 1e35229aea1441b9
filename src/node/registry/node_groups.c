/* node_groups.c — the node's groups: loading them on the master and
 * judging each agent's group_config_status from the sum it reports.
 */
#include <string.h>

#include "lib/log.h"
#include "node/core/agent.h"
#include "node/registry/groups.h"
#include "node/core/node.h"
#include "node/registry/registry.h"
#include "proto/merged.h"

static int
load_one(void *arg, const char *name, const char *conf, size_t len)
{
	return groups_set(arg, name, conf, len);
}

int
node_groups_load(struct node *n)
{
	if (registry_groups_load(n->reg, load_one, n->groups) == -1)
		return -1;
	if (groups_get(n->groups, GROUP_DEFAULT) == NULL) {
		const char *t = MERGED_AGENT_CONF_TEMPLATE;

		log_warnx("groups: '%s' was missing; created again", GROUP_DEFAULT);
		if (groups_set(n->groups, GROUP_DEFAULT, t, strlen(t)) == -1 ||
		    registry_group_save(n->reg, GROUP_DEFAULT, t, strlen(t)) == -1)
			return -1;
	}
	log_info("groups: %zu loaded", groups_count(n->groups));
	return 0;
}

void
node_group_check(struct node *n, struct agent *a)
{
	char md5[33];
	int synced;

	if (n->cfg.role != ROLE_MASTER || a->id == 0)
		return;
	synced = groups_merged_for(n->groups, a->group, md5, NULL, NULL) == 0 &&
	    strcmp(a->st.info.merged_sum, md5) == 0;
	if (synced != a->group_config_synced) {
		a->group_config_synced = synced;
		registry_agent_dirty(n->reg, a);
		node_schedule_flush(n);
	}
}

void
node_groups_recheck(struct node *n)
{
	size_t i, count = registry_count(n->reg);

	for (i = 1; i < count; i++)
		node_group_check(n, registry_agent_at(n->reg, i));
}
