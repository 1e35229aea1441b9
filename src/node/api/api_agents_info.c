/* api_agents_info.c — the other read views of /agents, each one Wazuh v4.12's
 * framework function over the GET /agents query machinery (api_query*.c):
 * stats/distinct, outdated, no_group, summary/os, {agent_id}/key and
 * {agent_id}/group/is_sync.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "node/api/api.h"
#include "node/api/api_envelope.h"
#include "node/core/agent.h"
#include "node/registry/registry.h"

#define ALL_MSG "All selected agents information was returned"
#define SOME_MSG "Some agents information was not returned"
#define NONE_MSG "No agent information was returned"

static const char *const list_params[] = { "pretty", "wait_for_complete", "offset", "limit",
	"select", "sort", "search", "q", NULL };
static const char *const distinct_params[] = { "pretty", "wait_for_complete", "fields",
	"offset", "limit", "sort", "search", "q", NULL };
static const char *const plain_params[] = { "pretty", "wait_for_complete", NULL };

/*
 * listing: GET /agents over params with q replaced by q_fixed joined to the
 * client's q as Wazuh's controller joins them: fixed, then ";" and the
 * client's, in parentheses when paren is set.
 */
static void
listing(struct api_req *r, const char *q_fixed, int paren)
{
	struct api_param p[API_MAX_PARAMS + 1];
	const char *uq = api_param_get(r, "q");
	char *q = NULL;
	size_t np = 0, i, len;

	if (api_check(r, list_params) == -1)
		return;
	len = strlen(q_fixed) + (uq != NULL ? strlen(uq) + 4 : 0) + 1;
	if ((q = malloc(len)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (uq != NULL)
		snprintf(q, len, paren ? "%s;(%s)" : "%s;%s", q_fixed, uq);
	else
		snprintf(q, len, "%s", q_fixed);
	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].key, "q") != 0)
			p[np++] = r->params[i];
	p[np++] = (struct api_param){ "q", q };
	api_reply_agents(r, p, np);
	free(q);
}

/* GET /agents/no_group: Wazuh's get_agent_no_group, q 'id!=000;group=null;<q>'. */
void
api_get_agents_no_group(struct api_req *r)
{
	listing(r, "id!=000;group=null", 0);
}

/* GET /agents/outdated: Wazuh's get_outdated_agents, q 'version!=<000's version>;(<q>)'. */
void
api_get_agents_outdated(struct api_req *r)
{
	struct agent *m = registry_agent_by_id(r->node->reg, 0);
	char q[128];

	snprintf(q, sizeof(q), "version!=%s", m != NULL ? m->st.info.version : "");
	listing(r, q, 1);
}

/*
 * GET /agents/stats/distinct: Wazuh's get_distinct_agents: the combinations
 * of fields among the agents q selects, each with its count
 * (agents_query_group).  fields is checked as select is (1724).
 */
void
api_get_agents_distinct(struct api_req *r)
{
	struct api_param p[API_MAX_PARAMS];
	struct agents_query q;
	struct api_qerr err;
	struct envelope *e = NULL;
	struct agent **agents = NULL;
	json_t *items = NULL;
	size_t np = 0, n = 0, i;
	long total = 0;

	if (api_check(r, distinct_params) == -1)
		return;
	for (i = 0; i < r->nparams; i++)
		p[np++] = strcmp(r->params[i].key, "fields") == 0 ?
		    (struct api_param){ "select", r->params[i].value } : r->params[i];
	if (agents_query_parse(p, np, &q, &err) == -1) {
		api_reply_qerr(r, &err);
		return;
	}
	if ((e = envelope_new()) == NULL || (items = json_array()) == NULL ||
	    (agents = api_agents_snapshot(r->node->reg, &n)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	n = api_filter_agents(r, RBAC_P_AGENT_READ, agents, n);
	agents_query_group(&q, agents, n, items, &total);
	for (i = 0; i < json_array_size(items); i++)
		envelope_affect(e, json_incref(json_array_get(items, i)));
	envelope_set_total(e, total);
	api_reply_json(r, 200, envelope_render(e, ALL_MSG, SOME_MSG, NONE_MSG, 0));
out:
	json_decref(items);
	envelope_free(e);
	free(agents);
	agents_query_free(&q);
}

/*
 * GET /agents/summary/os: Wazuh's get_agents_summary_os: the distinct
 * os.platform of the agents but 000 (NULL ones left out), sorted.
 */
void
api_get_agents_summary_os(struct api_req *r)
{
	static const struct api_param p[] = { { "select", "os.platform" }, { "distinct", "true" },
		{ "q", "id!=000" }, { "sort", "os.platform" }, { "limit", "100000" } };
	struct agents_query q;
	struct api_qerr err;
	struct envelope *e = NULL;
	struct agent **agents = NULL;
	json_t *items = NULL;
	size_t n = 0, i;
	long total = 0;

	if (api_check(r, plain_params) == -1)
		return;
	if (agents_query_parse(p, sizeof(p) / sizeof(p[0]), &q, &err) == -1) {
		api_reply_qerr(r, &err);
		return;
	}
	q.limit = LONG_MAX;
	if ((e = envelope_new()) == NULL || (items = json_array()) == NULL ||
	    (agents = api_agents_snapshot(r->node->reg, &n)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	n = api_filter_agents(r, RBAC_P_AGENT_READ, agents, n);
	agents_query_run(&q, agents, n, items, &total, NULL, NULL);
	for (i = 0; i < json_array_size(items); i++) {
		json_t *pl = json_object_get(json_object_get(json_array_get(items, i), "os"),
		    "platform");

		if (pl != NULL)
			envelope_affect(e, json_incref(pl));
	}
	api_reply_json(r, 200, envelope_render(e,
	    "Showing the operative system of all specified agents",
	    "Could not get the operative system of some agents",
	    "Could not get the operative system of the agents", 0));
out:
	json_decref(items);
	envelope_free(e);
	free(agents);
	agents_query_free(&q);
}

/*
 * one_agent: the agent of the path for a per-agent envelope: NULL with the
 * failure recorded in e (1703 for 000 when no_manager, 1701 unknown).
 */
static struct agent *
one_agent(struct api_req *r, long id, struct envelope *e, int no_manager)
{
	struct agent *a = registry_agent_by_id(r->node->reg, (unsigned int)id);

	if (id == 0 && no_manager) {
		envelope_fail(e, r->segs[1], 1703);
		return NULL;
	}
	if (a == NULL || a->removed) {
		envelope_fail(e, r->segs[1], 1701);
		return NULL;
	}
	return a;
}

/*
 * GET /agents/{agent_id}/key: Wazuh's get_agents_keys: base64 of the agent's
 * client.keys line "id name ip key", as POST /agents gives it.
 */
void
api_get_agent_key(struct api_req *r)
{
	struct envelope *e;
	struct agent *a;
	char idstr[16], line[512], b64[700];
	long id;
	int ll;

	if (api_check(r, plain_params) == -1 || (id = api_agent_id_param(r, r->segs[1])) < 0)
		return;
	if ((e = envelope_new()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if ((a = one_agent(r, id, e, 1)) != NULL) {
		agent_id_format(a->id, idstr, sizeof(idstr));
		ll = snprintf(line, sizeof(line), "%s %s %s %s", idstr, a->name, a->ip, a->key);
		if (ll < 0 || (size_t)ll >= sizeof(line)) {
			envelope_free(e);
			api_reply_problem(r, 500, 1000, NULL);
			return;
		}
		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)line, ll);
		envelope_affect(e, json_pack("{s:s, s:s}", "id", idstr, "key", b64));
		explicit_bzero(line, sizeof(line));
	}
	api_reply_json(r, 200, envelope_render(e, "Obtained keys for all selected agents",
	    "Some agent keys were not obtained", "No agent keys were obtained", 0));
	envelope_free(e);
}

/*
 * GET /agents/{agent_id}/group/is_sync: Wazuh's get_agents_sync_group
 * (deprecated there): whether the agent's merged.mg sum is its groups' —
 * what group_config_status says.
 */
void
api_get_agent_is_sync(struct api_req *r)
{
	struct envelope *e;
	struct agent *a;
	char idstr[16];
	long id;

	if (api_check(r, plain_params) == -1 || (id = api_agent_id_param(r, r->segs[1])) < 0)
		return;
	if ((e = envelope_new()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if ((a = one_agent(r, id, e, 1)) != NULL) {
		agent_id_format(a->id, idstr, sizeof(idstr));
		envelope_affect(e, json_pack("{s:s, s:b}", "id", idstr, "synced",
		    a->group_config_synced != 0));
	}
	api_reply_json(r, 200, envelope_render(e, "Sync info was returned for all selected agents",
	    "Sync info was not returned for some selected agents", "No sync info was returned", 0));
	envelope_free(e);
}
