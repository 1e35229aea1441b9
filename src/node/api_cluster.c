/* api_cluster.c — the /cluster endpoint family: status, nodes, healthcheck, local info. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "node/agent.h"
#include "node/api.h"
#include "node/api_envelope.h"
#include "node/cluster.h"
#include "node/registry.h"

#define API_CLUSTER_MAX_NODES 256
#define API_CLUSTER_NAME "vigil"

/* api_cluster_required: 400 / 3013 when this node runs no cluster. */
static int
api_cluster_required(struct api_req *r)
{
	if (cluster_enabled(r->node))
		return 0;
	api_reply_problem(r, 400, 3013, NULL);
	return -1;
}

static const char *const status_params[] = { "pretty", "wait_for_complete", NULL };

void
api_get_cluster_status(struct api_req *r)
{
	const char *on = cluster_enabled(r->node) ? "yes" : "no";

	if (api_check(r, status_params) == -1)
		return;
	api_reply_json(r, 200, json_pack("{s:{s:s, s:s}, s:i}", "data", "enabled", on,
	    "running", on, "error", 0));
}

void
api_get_cluster_local_info(struct api_req *r)
{
	struct envelope *e;

	if (api_check(r, status_params) == -1 || api_cluster_required(r) == -1)
		return;
	if ((e = envelope_new()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	envelope_affect(e, json_pack("{s:s, s:s, s:s}", "node", r->node->cfg.name, "cluster",
	    API_CLUSTER_NAME, "type", r->node->cfg.role == ROLE_MASTER ? "master" : "worker"));
	api_reply_json(r, 200, envelope_render(e, "Selected information was returned",
	    "Some information was not returned", "No information was returned", 0));
	envelope_free(e);
}

/* nodes_connected: the nodes currently in the cluster (the master first). */
static size_t
nodes_connected(struct node *n, struct cluster_node_info *v, size_t max)
{
	size_t i, k = 0, count = cluster_nodes(n, v, max);

	for (i = 0; i < count; i++)
		if (v[i].connected)
			v[k++] = v[i];
	return k;
}

/*
 * nodes_list_select: marks in `want` the nodes named in nodes_list (all when
 * NULL); unknown names become failed items 1730.  -1 on a malformed list (replied).
 */
static int
nodes_list_select(struct api_req *r, struct envelope *e, const struct cluster_node_info *v,
    size_t count, char *want)
{
	const char *list = api_param_get(r, "nodes_list");
	char buf[1024], *tok, *save = NULL;
	size_t i;

	if (list == NULL) {
		memset(want, 1, count);
		return 0;
	}
	memset(want, 0, count);
	if (strlen(list) >= sizeof(buf) || list[0] == '\0') {
		api_reply_problem(r, 400, 0, "'nodes_list' is not a valid list of node names");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		int found = 0;

		for (i = 0; i < count; i++)
			if (strcmp(v[i].name, tok) == 0) {
				want[i] = 1;
				found = 1;
			}
		if (!found)
			envelope_fail(e, tok, 1730);
	}
	return 0;
}

static int
node_cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct cluster_node_info *)a)->name,
	    ((const struct cluster_node_info *)b)->name);
}

/*
 * nodes_begin: the connected nodes sorted by name, the ones nodes_list asks for
 * marked in want, and a new envelope holding the unknown names as failures.
 * NULL after replying with an error.
 */
static struct envelope *
nodes_begin(struct api_req *r, struct cluster_node_info *v, char *want, size_t *count)
{
	struct envelope *e;

	if ((e = envelope_new()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return NULL;
	}
	*count = nodes_connected(r->node, v, API_CLUSTER_MAX_NODES);
	qsort(v, *count, sizeof(v[0]), node_cmp_name);
	if (nodes_list_select(r, e, v, *count, want) == -1) {
		envelope_free(e);
		return NULL;
	}
	return e;
}

static const char *const nodes_params[] = { "pretty", "wait_for_complete", "offset", "limit",
	"sort", "search", "select", "type", "nodes_list", NULL };

static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL)
		return 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void
api_get_cluster_nodes(struct api_req *r)
{
	struct cluster_node_info v[API_CLUSTER_MAX_NODES];
	char want[API_CLUSTER_MAX_NODES];
	struct envelope *e;
	const char *type = api_param_get(r, "type"), *search = api_param_get(r, "search");
	const char *sort = api_param_get(r, "sort"), *select = api_param_get(r, "select");
	long offset = 0, limit = 500, matched = 0;
	size_t i, count;
	int desc = 0;

	if (api_check(r, nodes_params) == -1 || api_cluster_required(r) == -1)
		return;
	if (parse_long(api_param_get(r, "offset"), 0, 1L << 40, &offset) == -1 ||
	    parse_long(api_param_get(r, "limit"), 1, 100000, &limit) == -1) {
		api_reply_problem(r, 400, 0, "'offset' or 'limit' is out of range");
		return;
	}
	if (type != NULL && strcasecmp(type, "worker") != 0 && strcasecmp(type, "master") != 0) {
		api_reply_problem(r, 400, 0, "'type' is not one of ['worker', 'master']");
		return;
	}
	if (select != NULL) {
		char buf[256], *tok, *save = NULL;

		snprintf(buf, sizeof(buf), "%s", select);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, "name") && strcmp(tok, "type") && strcmp(tok, "version") &&
			    strcmp(tok, "ip")) {
				api_reply_problem(r, 400, 1724, "Not a valid select field: Allowed "
				    "select fields: ['ip', 'name', 'type', 'version']");
				return;
			}
	}
	if (sort != NULL) {
		const char *f = sort + (sort[0] == '-' || sort[0] == '+' || sort[0] == ' ');

		desc = sort[0] == '-';
		if (strcmp(f, "name") != 0) {
			api_reply_problem(r, 400, 1403, "Not a valid sort field : Allowed sort "
			    "fields: ['name']");
			return;
		}
	}
	if ((e = nodes_begin(r, v, want, &count)) == NULL)
		return;
	for (i = 0; i < count; i++) {
		size_t k = desc ? count - 1 - i : i;
		json_t *item;

		if (!want[k] || (type != NULL && strcasecmp(type, v[k].type) != 0))
			continue;
		if (search != NULL && strcasestr(v[k].name, search) == NULL &&
		    strcasestr(v[k].ip, search) == NULL && strcasestr(v[k].type, search) == NULL)
			continue;
		if (matched++ < offset || matched > offset + limit)
			continue;
		item = json_pack("{s:s, s:s, s:s, s:s}", "name", v[k].name, "type", v[k].type,
		    "version", VIGIL_WAZUH_API_VERSION, "ip", v[k].ip);
		if (select != NULL) {
			const char *key;
			json_t *val, *tmp;

			json_object_foreach_safe(item, tmp, key, val)
				if (strstr(select, key) == NULL)
					json_object_del(item, key);
		}
		envelope_affect(e, item);
	}
	envelope_set_total(e, matched);
	api_reply_json(r, 200, envelope_render(e, "All selected nodes information was returned",
	    "Some nodes information was not returned", "No information was returned", 0));
	envelope_free(e);
}

static void
iso_time(time_t t, char *out, size_t cap)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
}

static const char *const health_params[] = { "pretty", "wait_for_complete", "nodes_list", NULL };

void
api_get_cluster_healthcheck(struct api_req *r)
{
	struct cluster_node_info v[API_CLUSTER_MAX_NODES];
	char want[API_CLUSTER_MAX_NODES];
	struct registry *reg = r->node->reg;
	struct envelope *e;
	size_t i, j, count, nagents = registry_count(reg);

	if (api_check(r, health_params) == -1 || api_cluster_required(r) == -1)
		return;
	if ((e = nodes_begin(r, v, want, &count)) == NULL)
		return;
	for (i = 0; i < count; i++) {
		json_t *item;
		long active = 0;

		if (!want[i])
			continue;
		for (j = 1; j < nagents; j++) {
			struct agent *a = registry_agent_at(reg, j);

			if (a->status == AGENT_ACTIVE && strcmp(a->node_name, v[i].name) == 0)
				active++;
		}
		item = json_pack("{s:{s:s, s:s, s:s, s:s, s:I}}", "info", "name", v[i].name,
		    "type", v[i].type, "version", VIGIL_WAZUH_API_VERSION, "ip", v[i].ip,
		    "n_active_agents", (json_int_t)active);
		if (strcmp(v[i].type, "worker") == 0) {
			char joined[40], seen[40];

			iso_time(v[i].joined, joined, sizeof(joined));
			iso_time(v[i].last_seen, seen, sizeof(seen));
			/* Vigil streams agent state continuously: the "last sync" is the link's
			 * life so far and the chunk count the records received on it. */
			json_object_set_new(item, "status", json_pack(
			    "{s:b, s:{s:s, s:s}, s:{s:s, s:s}, s:b, s:{s:s, s:s, s:I}, "
			    "s:{s:s, s:s}, s:{s:s, s:s}, s:s}",
			    "sync_integrity_free", 1,
			    "last_check_integrity", "date_start_master", joined, "date_end_master", seen,
			    "last_sync_integrity", "date_start_master", joined, "date_end_master", seen,
			    "sync_agent_info_free", 1,
			    "last_sync_agentinfo", "date_start_master", joined, "date_end_master", seen,
			    "n_synced_chunks", (json_int_t)v[i].updates,
			    "last_sync_agentgroup", "date_start_master", joined, "date_end_master", seen,
			    "last_sync_full_agentgroup", "date_start_master", joined,
			    "date_end_master", seen,
			    "last_keep_alive", seen));
		}
		envelope_affect(e, item);
	}
	api_reply_json(r, 200, envelope_render(e,
	    "All selected nodes healthcheck information was returned",
	    "Some nodes healthcheck information was not returned",
	    "No healthcheck information was returned", 0));
	envelope_free(e);
}
