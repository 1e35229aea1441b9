/* api_manager.c — GET /manager/info and GET /cluster/{node_id}/info: Wazuh's
 * get_basic_info (framework/wazuh/manager.py, core/wazuh.py Wazuh.to_dict).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node/api/api.h"
#include "node/api/api_envelope.h"
#include "node/cluster/cluster.h"

#define INFO_MSG "Basic information was successfully read"
#define INFO_NONE "Could not read basic information"
#define INFO_NODE " in specified node"

/*
 * manager_info_item: the node's basic information, keys in Wazuh's order.
 * Vigil has no install prefix: `path` is the node's data dir (absolute);
 * OpenSSL is always linked in, and no agent limit exists.  tz_offset and
 * tz_name are strftime's %z and %Z now, as Wazuh computes them.  The caller
 * owns the result (NULL when out of memory).
 */
static json_t *
manager_info_item(const struct node *n)
{
	char path[PATH_MAX], off[16], name[64];
	time_t now = time(NULL);
	struct tm tm;

	if (realpath(n->cfg.data_dir, path) == NULL)
		snprintf(path, sizeof(path), "%s", n->cfg.data_dir);
	if (localtime_r(&now, &tm) == NULL || strftime(off, sizeof(off), "%z", &tm) == 0 ||
	    strftime(name, sizeof(name), "%Z", &tm) == 0) {
		snprintf(off, sizeof(off), "+0000");
		snprintf(name, sizeof(name), "UTC");
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "path", path,
	    "version", "v" VIGIL_WAZUH_API_VERSION,
	    "type", "server",
	    "max_agents", "unlimited",
	    "openssl_support", "yes",
	    "tz_offset", off,
	    "tz_name", name);
}

/* info_reply: the AffectedItems answer with item; " in specified node" when clustered. */
static void
info_reply(struct api_req *r, json_t *item, int clustered)
{
	struct envelope *e;

	if (item == NULL || (e = envelope_new()) == NULL) {
		json_decref(item);
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	envelope_affect(e, item);
	api_reply_json(r, 200, envelope_render(e, clustered ? INFO_MSG INFO_NODE : INFO_MSG,
	    "Could not read basic information in some nodes",
	    clustered ? INFO_NONE INFO_NODE : INFO_NONE, 0));
	envelope_free(e);
}

static const char *const info_params[] = { "pretty", "wait_for_complete", NULL };

/* GET /manager/info: the node that answers (the master, or a standalone node). */
void
api_get_manager_info(struct api_req *r)
{
	if (api_check(r, info_params) == -1)
		return;
	info_reply(r, manager_info_item(r->node), cluster_enabled(r->node));
}

/*
 * GET /cluster/{node_id}/info: the master answers for itself.  For a worker
 * it answers from what it knows (docs/operations.md): every node runs the same
 * vigild, so version, type, max_agents and openssl_support are the same; path
 * and the time zone are the master's, since the worker is not asked.  Wazuh
 * checks the cluster first (3013), then forwards to the node, and the master
 * answers a node it has no link to with WazuhClusterError 3022 (HTTP 500).
 */
void
api_get_cluster_node_info(struct api_req *r)
{
	struct cluster_node_info v[API_CLUSTER_MAX_NODES];
	struct api_qerr err;
	const char *node = r->segs[1];
	char detail[160];
	int i, count;

	if (api_check(r, info_params) == -1)
		return;
	if (api_check_node_name(node, "node_id", &err) == -1) {
		api_reply_qerr(r, &err);
		return;
	}
	if (!cluster_enabled(r->node)) {
		api_reply_problem(r, 400, 3013, NULL);
		return;
	}
	count = api_cluster_connected(r->node, v, API_CLUSTER_MAX_NODES);
	for (i = 0; i < count; i++)
		if (strcmp(v[i].name, node) == 0) {
			info_reply(r, manager_info_item(r->node), 1);
			return;
		}
	snprintf(detail, sizeof(detail), "Unknown node ID: %.100s", node);
	api_reply_problem(r, 500, 3022, detail);
}

/*
 * GET /manager/status: Wazuh's get_manager_status, its 17 daemons in its
 * order.  vigild is one process; a daemon is "running" when vigild does its
 * work now: remoted (the agent port), authd (enrollment listening), wazuh-db
 * (the registry), apid (this API) and clusterd (in a cluster).  What Vigil
 * has no counterpart for (analysis, active response, logs, modules, ...) is
 * "stopped" (docs/api.md).
 */
void
api_get_manager_status(struct api_req *r)
{
	static const char *const daemons[] = { "wazuh-agentlessd", "wazuh-analysisd",
		"wazuh-authd", "wazuh-csyslogd", "wazuh-dbd", "wazuh-monitord", "wazuh-execd",
		"wazuh-integratord", "wazuh-logcollector", "wazuh-maild", "wazuh-remoted",
		"wazuh-reportd", "wazuh-syscheckd", "wazuh-clusterd", "wazuh-modulesd", "wazuh-db",
		"wazuh-apid" };
	struct node *n = r->node;
	struct envelope *e;
	json_t *item;
	size_t i;
	int clustered = cluster_enabled(n), run;

	if (api_check(r, info_params) == -1)
		return;
	if ((e = envelope_new()) == NULL || (item = json_object()) == NULL) {
		envelope_free(e);
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	for (i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		const char *d = daemons[i];

		run = strcmp(d, "wazuh-remoted") == 0 || strcmp(d, "wazuh-db") == 0 ||
		    strcmp(d, "wazuh-apid") == 0 ||
		    (strcmp(d, "wazuh-authd") == 0 && n->enroll_lsn != NULL) ||
		    (strcmp(d, "wazuh-clusterd") == 0 && clustered);
		json_object_set_new(item, d, json_string(run ? "running" : "stopped"));
	}
	envelope_affect(e, item);
	api_reply_json(r, 200, envelope_render(e, clustered ?
	    "Processes status was successfully read in specified node" :
	    "Processes status was successfully read",
	    "Could not read basic information in some nodes", clustered ?
	    "Could not read processes status in specified node" :
	    "Could not read processes status", 0));
	envelope_free(e);
}
