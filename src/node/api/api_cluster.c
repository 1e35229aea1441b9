/* api_cluster.c — the /cluster endpoint family: status, local info, nodes and
 * healthcheck, with Wazuh's shapes (framework/wazuh/cluster.py and
 * core/cluster/master.py).  PUT /agents/node/{node_id}/restart is in
 * api_agents.c, beside the other restarts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node/core/agent.h"
#include "node/api/api.h"
#include "node/api/api_envelope.h"
#include "node/cluster/cluster.h"
#include "node/registry/registry.h"

#define API_CLUSTER_NAME "vigil"   /* Wazuh's <cluster><name> */

/* api_cluster_required: 400 / 3013 when this node runs no cluster (get_system_nodes). */
static int
api_cluster_required(struct api_req *r)
{
	if (cluster_enabled(r->node))
		return 0;
	api_reply_problem(r, 400, 3013, NULL);
	return -1;
}

int
api_cluster_connected(struct node *n, struct cluster_node_info *v, size_t max)
{
	size_t i, k = 0, count = cluster_nodes(n, v, max);

	for (i = 0; i < count; i++)
		if (v[i].connected)
			v[k++] = v[i];
	return (int)k;
}

static const char *const status_params[] = { "pretty", "wait_for_complete", NULL };

/* GET /cluster/status: answers with the cluster off too; the link runs whenever it is on. */
void
api_get_cluster_status(struct api_req *r)
{
	const char *on = cluster_enabled(r->node) ? "yes" : "no";

	if (api_check(r, status_params) == -1)
		return;
	api_reply_json(r, 200, json_pack("{s:{s:s, s:s}, s:i}", "data", "enabled", on,
	    "running", on, "error", 0));
}

/*
 * GET /cluster/local/info: Wazuh's get_node_wrapper reads the node's own
 * cluster settings, so it answers with the cluster off too (a standalone
 * node is a master).
 */
void
api_get_cluster_local_info(struct api_req *r)
{
	struct envelope *e;

	if (api_check(r, status_params) == -1)
		return;
	if ((e = envelope_new()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	envelope_affect(e, json_pack("{s:s, s:s, s:s}", "node", r->node->cfg.name, "cluster",
	    API_CLUSTER_NAME, "type", r->node->cfg.role == ROLE_MASTER ? "master" : "worker"));
	api_reply_json(r, 200, envelope_render(e, "All selected information was returned", "",
	    "No information was returned", 0));
	envelope_free(e);
}

static void
nodes_missing(void *arg, const char *name)
{
	envelope_fail(arg, name, 1730);
}

void
api_get_cluster_nodes(struct api_req *r)
{
	struct cluster_node_info v[API_CLUSTER_MAX_NODES];
	struct api_node_row rows[API_CLUSTER_MAX_NODES];
	struct nodes_query q;
	struct api_qerr err;
	struct envelope *e = NULL;
	json_t *items = NULL;
	long total = 0;
	int rc, i, count;

	/* Schema errors first, then 3013 (get_system_nodes), then the framework's 1724. */
	rc = nodes_query_parse(r->params, r->nparams, &q, &err);
	if (rc == -1 && err.code == 0) {
		api_reply_qerr(r, &err);
		return;
	}
	if (api_cluster_required(r) == -1)
		goto out;
	if (rc == -1) {
		api_reply_qerr(r, &err);
		goto out;
	}
	if ((e = envelope_new()) == NULL || (items = json_array()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	count = api_cluster_connected(r->node, v, API_CLUSTER_MAX_NODES);
	for (i = 0; i < count; i++) {
		rows[i].f[NODES_F_NAME] = v[i].name;
		rows[i].f[NODES_F_TYPE] = v[i].type;
		rows[i].f[NODES_F_VERSION] = VIGIL_WAZUH_API_VERSION;
		rows[i].f[NODES_F_IP] = v[i].ip;
	}
	if (nodes_query_run(&q, rows, (size_t)count, items, &total, nodes_missing, e,
	    &err) == -1) {
		api_reply_qerr(r, &err);
		goto out;
	}
	for (i = 0; i < (int)json_array_size(items); i++)
		envelope_affect(e, json_incref(json_array_get(items, (size_t)i)));
	envelope_set_total(e, total);
	api_reply_json(r, 200, envelope_render(e, "All selected nodes information was returned",
	    "Some nodes information was not returned", "No information was returned", 0));
out:
	json_decref(items);
	envelope_free(e);
	nodes_query_free(&q);
}

/* iso_usec: t as Wazuh's DECIMALS_DATE_FORMAT, "%Y-%m-%dT%H:%M:%S.%fZ" (UTC). */
static void
iso_usec(time_t t, char *out, size_t cap)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, cap, "%Y-%m-%dT%H:%M:%S.000000Z", &tm) == 0)
		snprintf(out, cap, "n/a");
}

/*
 * worker_status: the "status" object of a worker's healthcheck item, with
 * Wazuh 4.12's keys (MasterHandler.to_dict).  Vigil has no shared-file
 * integrity sync and no agent groups, and it streams agent records as they
 * change instead of syncing them in rounds, so:
 * - sync_integrity_free, sync_agent_info_free: true (no sync ever holds a lock);
 * - last_check_integrity, last_sync_integrity: the worker's join, when master
 *   and worker agree on the agent keys: start = end = join time, no files;
 * - last_sync_agentinfo: the agent-record stream of the current link: start =
 *   join time, end = the last frame from the worker, n_synced_chunks = agent
 *   records received from it;
 * - last_sync_agentgroup, last_sync_full_agentgroup: start = end = join time,
 *   0 chunks (no groups to send);
 * - last_keep_alive: the last frame from the worker.
 */
static json_t *
worker_status(const struct cluster_node_info *ni)
{
	char joined[40], seen[40];

	iso_usec(ni->joined, joined, sizeof(joined));
	iso_usec(ni->last_seen, seen, sizeof(seen));
	return json_pack("{s:b, s:{s:s, s:s}, s:{s:s, s:s, s:i, s:{s:i, s:i, s:i, s:i}}, s:b, "
	    "s:{s:s, s:s, s:I}, s:{s:s, s:s, s:i}, s:{s:s, s:s, s:i}, s:s}",
	    "sync_integrity_free", 1,
	    "last_check_integrity", "date_start_master", joined, "date_end_master", joined,
	    "last_sync_integrity", "date_start_master", joined, "date_end_master", joined,
	    "total_extra_valid", 0,
	    "total_files", "missing", 0, "shared", 0, "extra", 0, "extra_valid", 0,
	    "sync_agent_info_free", 1,
	    "last_sync_agentinfo", "date_start_master", joined, "date_end_master", seen,
	    "n_synced_chunks", (json_int_t)ni->updates,
	    "last_sync_agentgroup", "date_start", joined, "date_end", joined,
	    "n_synced_chunks", 0,
	    "last_sync_full_agentgroup", "date_start", joined, "date_end", joined,
	    "n_synced_chunks", 0,
	    "last_keep_alive", seen);
}

/* active_on: active agents whose node_name is node, 000 left out (Wazuh's q="id!=000"). */
static long
active_on(struct registry *reg, const char *node)
{
	size_t i, count = registry_count(reg);
	long n = 0;

	for (i = 0; i < count; i++) {
		struct agent *a = registry_agent_at(reg, i);

		if (a->id != 0 && !a->removed && a->st.status == AGENT_ACTIVE &&
		    strcmp(a->node_name, node) == 0)
			n++;
	}
	return n;
}

static int
node_cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct cluster_node_info *)a)->name,
	    ((const struct cluster_node_info *)b)->name);
}

static const char *const health_params[] = { "pretty", "wait_for_complete", "nodes_list", NULL };

/*
 * GET /cluster/healthcheck: every connected node (or those of nodes_list:
 * Master.get_health skips a name it does not know, without a failed item),
 * sorted by name.
 */
void
api_get_cluster_healthcheck(struct api_req *r)
{
	struct cluster_node_info v[API_CLUSTER_MAX_NODES];
	struct api_qerr err;
	struct envelope *e = NULL;
	const char *list = api_param_get(r, "nodes_list");
	char **names = NULL;
	size_t nnames = 0, j;
	int i, count;

	if (api_check(r, health_params) == -1)
		return;
	if (list != NULL && api_parse_nodes_list(list, &names, &nnames, &err) == -1) {
		api_reply_qerr(r, &err);
		return;
	}
	if (api_cluster_required(r) == -1)
		goto out;
	if ((e = envelope_new()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	count = api_cluster_connected(r->node, v, API_CLUSTER_MAX_NODES);
	qsort(v, (size_t)count, sizeof(v[0]), node_cmp_name);
	for (i = 0; i < count; i++) {
		json_t *item;

		for (j = 0; j < nnames; j++)
			if (strcmp(names[j], v[i].name) == 0)
				break;
		if (list != NULL && j == nnames)
			continue;
		item = json_pack("{s:{s:s, s:s, s:s, s:s, s:I}}", "info", "name", v[i].name,
		    "type", v[i].type, "version", VIGIL_WAZUH_API_VERSION, "ip", v[i].ip,
		    "n_active_agents", (json_int_t)active_on(r->node->reg, v[i].name));
		if (item != NULL && strcmp(v[i].type, "master") != 0 &&
		    json_object_set_new(item, "status", worker_status(&v[i])) == -1) {
			json_decref(item);
			item = NULL;
		}
		envelope_affect(e, item);
	}
	api_reply_json(r, 200, envelope_render(e,
	    "All selected nodes healthcheck information was returned",
	    "Some nodes healthcheck information was not returned",
	    "No healthcheck information was returned", 0));
out:
	envelope_free(e);
	api_nodes_list_free(names, nnames);
}
