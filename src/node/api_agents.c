/* api_agents.c — the /agents endpoint family: listing, summary, restart. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "node/agent.h"
#include "node/api.h"
#include "node/api_envelope.h"
#include "node/registry.h"

/* agents_snapshot: the registry's agents as a pointer array (caller frees). */
static struct agent **
agents_snapshot(struct registry *reg, size_t *n)
{
	size_t i, count = registry_count(reg);
	struct agent **v;

	if ((v = calloc(count ? count : 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < count; i++)
		v[i] = registry_agent_at(reg, i);
	*n = count;
	return v;
}

static void
missing_agent(void *arg, const char *id)
{
	envelope_fail(arg, id, 1701);
}

void
api_get_agents(struct api_req *r)
{
	struct agents_query q;
	struct api_qerr err;
	struct envelope *e = NULL;
	struct agent **agents = NULL;
	json_t *items = NULL;
	size_t n = 0, i;
	long total = 0;

	memset(&q, 0, sizeof(q));
	if (agents_query_parse(r->params, r->nparams, &q, &err) == -1) {
		api_reply_qerr(r, &err);
		return;
	}
	if ((e = envelope_new()) == NULL || (items = json_array()) == NULL ||
	    (agents = agents_snapshot(r->node->reg, &n)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	agents_query_run(&q, agents, n, items, &total, missing_agent, e);
	for (i = 0; i < json_array_size(items); i++)
		envelope_affect(e, json_incref(json_array_get(items, i)));
	envelope_set_total(e, total);
	api_reply_json(r, 200, envelope_render(e, "All selected agents information was returned",
	    "Some agents information was not returned", "No agent information was returned", 0));
out:
	json_decref(items);
	envelope_free(e);
	free(agents);
	agents_query_free(&q);
}

static const char *const summary_params[] = { "pretty", "wait_for_complete", NULL };

void
api_get_agents_summary(struct api_req *r)
{
	struct registry *reg = r->node->reg;
	size_t i, count = registry_count(reg);
	long st[4] = { 0, 0, 0, 0 }, synced = 0, total = 0;

	if (api_check(r, summary_params) == -1)
		return;
	for (i = 0; i < count; i++) {
		struct agent *a = registry_agent_at(reg, i);

		if (a->id == 0)
			continue;
		total++;
		if (a->status >= 0 && a->status <= AGENT_DISCONNECTED)
			st[a->status]++;
		if (a->group_config_synced)
			synced++;
	}
	api_reply_json(r, 200, json_pack("{s:{s:{s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I}}, s:i}",
	    "data",
	    "connection",
	    "active", (json_int_t)st[AGENT_ACTIVE],
	    "disconnected", (json_int_t)st[AGENT_DISCONNECTED],
	    "never_connected", (json_int_t)st[AGENT_NEVER_CONNECTED],
	    "pending", (json_int_t)st[AGENT_PENDING],
	    "total", (json_int_t)total,
	    "configuration",
	    "synced", (json_int_t)synced,
	    "total", (json_int_t)total,
	    "not_synced", (json_int_t)(total - synced),
	    "error", 0));
}

#define RESTART_ALL "Restart command was sent to all agents"
#define RESTART_SOME "Restart command was not sent to some agents"
#define RESTART_NONE "Restart command was not sent to any agent"

/*
 * restart_one: sends a restart to one agent and records the outcome in e.
 * When broadcasting (no agents_list), the outcomes Wazuh's RBAC
 * post-processor drops (1701, 1703, 1707) are left out.
 */
static void
restart_one(struct node *n, struct envelope *e, unsigned int id, const char *given, int broadcast)
{
	struct agent *a;
	char ids[16];
	int rc;

	if (id == 0)
		rc = 1703;
	else if ((a = registry_agent_by_id(n->reg, id)) == NULL || a->removed)
		rc = 1701;
	else
		rc = session_restart_agent(n, a);
	agent_id_format(id, ids, sizeof(ids));
	if (rc == 0) {
		envelope_affect(e, json_string(ids));
		return;
	}
	if (broadcast && (rc == 1701 || rc == 1703 || rc == 1707))
		return;
	envelope_fail(e, given != NULL ? given : ids, rc);
}

static const char *const restart_params[] = { "pretty", "wait_for_complete", "agents_list", NULL };

void
api_put_agents_restart(struct api_req *r)
{
	struct node *n = r->node;
	struct envelope *e;
	struct api_qerr err;
	unsigned int *ids = NULL;
	char **strs = NULL;
	size_t nids = 0, i;
	const char *list;
	int broadcast;

	if (api_check(r, restart_params) == -1)
		return;
	list = api_param_get(r, "agents_list");
	if (list != NULL && api_parse_agents_list(list, &ids, &strs, &nids, &err) == -1) {
		api_reply_qerr(r, &err);
		return;
	}
	broadcast = (ids == NULL);
	if ((e = envelope_new()) == NULL) {
		api_agents_list_free(ids, strs, nids);
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (broadcast) {
		size_t count = registry_count(n->reg);

		for (i = 0; i < count; i++) {
			struct agent *a = registry_agent_at(n->reg, i);

			if (a->id != 0)
				restart_one(n, e, a->id, NULL, 1);
		}
	} else {
		for (i = 0; i < nids; i++)
			restart_one(n, e, ids[i], strs[i], 0);
	}
	log_info("api: %s: restart sent to %d agents, %d failed", r->user,
	    envelope_affected_count(e), envelope_failed_count(e));
	api_reply_json(r, 200, envelope_render(e, RESTART_ALL, RESTART_SOME, RESTART_NONE, 1));
	envelope_free(e);
	api_agents_list_free(ids, strs, nids);
}

static const char *const restart1_params[] = { "pretty", "wait_for_complete", NULL };

void
api_put_agent_restart(struct api_req *r)
{
	struct envelope *e;
	const char *id = r->segs[1];
	size_t i, len = strlen(id);

	if (api_check(r, restart1_params) == -1)
		return;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)id[i]))
			break;
	if (len < 3 || len > 8 || i != len) {
		char detail[160];

		snprintf(detail, sizeof(detail), "'%.40s' does not match '^\\\\d+$' or is too short "
		    "- 'agent_id'", id);
		api_reply_problem(r, 400, 0, detail);
		return;
	}
	if ((e = envelope_new()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	restart_one(r->node, e, (unsigned int)strtoul(id, NULL, 10), id, 0);
	api_reply_json(r, 200, envelope_render(e, RESTART_ALL, RESTART_SOME, RESTART_NONE, 1));
	envelope_free(e);
}
