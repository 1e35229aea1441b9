/* api_agents.c — the /agents endpoint family: listing, summary, restart, reconnect. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>

#include "lib/log.h"
#include "node/agents/enrolld.h"
#include "node/core/agent.h"
#include "node/api/api.h"
#include "node/api/api_envelope.h"
#include "node/cluster/cluster.h"
#include "node/jobs/jobrun.h"
#include "node/registry/groups.h"
#include "node/registry/registry.h"
#include "proto/control.h"
#include "proto/enroll.h"

#include <openssl/evp.h>

/* api_agent_id_param: a path agent_id (^\d+$, 3..8 digits); else replies 400 and returns -1. */
long
api_agent_id_param(struct api_req *r, const char *id)
{
	size_t i, len = strlen(id);
	char detail[160];

	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)id[i]))
			break;
	if (len >= 3 && len <= 8 && i == len)
		return strtol(id, NULL, 10);
	snprintf(detail, sizeof(detail), "'%.40s' does not match '^\\d+$' or is too short "
	    "- 'agent_id'", id);
	api_reply_problem(r, 400, 0, detail);
	return -1;
}

/* api_agents_snapshot: the registry's agents as a pointer array (caller frees), or NULL. */
struct agent **
api_agents_snapshot(struct registry *reg, size_t *n)
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

struct missing_ctx {
	struct api_req *r;
	struct envelope *e;
};

/* missing_agent: a listed id not answered: one the caller may not read (4000), or unknown. */
static void
missing_agent(void *arg, const char *id)
{
	struct missing_ctx *m = arg;

	envelope_fail(m->e, id, api_allowed(m->r, RBAC_P_AGENT_READ, id) ? 1701 : 4000);
}

void
api_get_agents(struct api_req *r)
{
	api_reply_agents(r, r->params, r->nparams);
}

/*
 * api_reply_agents: answers GET /agents's query given by params (n of them)
 * over the whole registry: the matching agents, unknown listed ids as 1701.
 */
void
api_reply_agents(struct api_req *r, const struct api_param *params, size_t np)
{
	struct agents_query q;
	struct api_qerr err;
	struct envelope *e = NULL;
	struct agent **agents = NULL;
	struct missing_ctx mc;
	json_t *items = NULL;
	size_t n = 0, i;
	long total = 0;

	memset(&q, 0, sizeof(q));
	if (agents_query_parse(params, np, &q, &err) == -1) {
		api_reply_qerr(r, &err);
		return;
	}
	if ((e = envelope_new()) == NULL || (items = json_array()) == NULL ||
	    (agents = api_agents_snapshot(r->node->reg, &n)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	n = api_filter_agents(r, RBAC_P_AGENT_READ, agents, n);
	if (q.ids != NULL) {
		/* Wazuh: none of the listed agents may be read: the whole request is denied */
		for (i = 0; i < q.nids && !api_allowed(r, RBAC_P_AGENT_READ, q.id_strs != NULL ?
		    q.id_strs[i] : ""); i++)
			;
		if (i == q.nids) {
			api_reply_problem(r, 403, 4000, "Permission denied: Resource type: agent:id");
			goto out;
		}
	}
	mc.r = r;
	mc.e = e;
	agents_query_run(&q, agents, n, items, &total, missing_agent, &mc);
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

		/* counts over the agents the caller may read only, as Wazuh's filtered query */
		if (a->id == 0 || !api_allowed_agent(r, RBAC_P_AGENT_READ, a))
			continue;
		total++;
		if (a->st.status >= 0 && a->st.status <= AGENT_DISCONNECTED)
			st[a->st.status]++;
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

/* Wazuh's messages (all / some / none) for each agent command. */
static const char *const job_msgs[][3] = {
	[AGENT_CMD_RESTART] = { RESTART_ALL, RESTART_SOME, RESTART_NONE },
	[AGENT_CMD_RECONNECT] = { "Force reconnect command was sent to all agents",
	    "Force reconnect command was not sent to some agents",
	    "Force reconnect command was not sent to any agent" },
};

/*
 * A restart or reconnect request over one or many agents becomes a job
 * (jobrun.c): the answer lists as affected the agents the job will act on,
 * at once, and names the job in the X-Vigil-Job header; the job then
 * delivers the command to each agent's session wherever it is, follows an
 * agent to its next session and counts it done when it has proven the
 * restart (GET /jobs/{id}).  Targeted: agents with a session; agents whose
 * last session ended within --restart-grace (moving between nodes); with
 * queue=true any agent.  Others fail with 1707 (left out without
 * agents_list, as Wazuh's RBAC post-processor does).
 */
struct agent_job {
	struct api_req *r;
	struct envelope *e;
	enum agent_cmd cmd;
	int broadcast;
	int queue;                    /* queue=true: offline agents too */
	long expires_in, max_in_flight, rate;
	uint32_t *ids;                /* targeted */
	size_t nids, capids;
	char scope[256];
};

static void
areq_record(struct agent_job *j, unsigned int id, const char *given, int rc)
{
	char ids[16];

	agent_id_format(id, ids, sizeof(ids));
	if (rc == 0) {
		envelope_affect(j->e, json_string(ids));
		return;
	}
	/* Without agents_list, Wazuh's RBAC post-processor drops these outcomes. */
	if (j->broadcast && (rc == 1701 || rc == 1703 || rc == 1707))
		return;
	envelope_fail(j->e, given != NULL ? given : ids, rc);
}

static void
areq_free(struct agent_job *j)
{
	if (j == NULL)
		return;
	envelope_free(j->e);
	free(j->ids);
	free(j);
}

/* job_target: a is in the job's reach now: a session, one that just ended, or queue. */
static int
areq_target(const struct agent_job *j, const struct agent *a)
{
	time_t now = node_now(j->r->node);

	if (j->queue || (a->led.cur_live && a->led.cur.sid != 0))
		return 1;
	return a->st.status == AGENT_DISCONNECTED && a->st.disconnection_time > 0 &&
	    now - a->st.disconnection_time < j->r->node->cfg.restart_grace;
}

/* job_submit: id as the client gave it (given, or NULL for "every agent"). */
static void
areq_submit(struct agent_job *j, unsigned int id, const char *given)
{
	struct agent *a;
	char cmdbuf[512];
	int rc = 0;

	if (id == 0)
		rc = 1703;
	else if ((a = registry_agent_by_id(j->r->node->reg, id)) == NULL || a->removed)
		rc = 1701;
	else if (!areq_target(j, a))
		rc = 1707;
	else if (j->cmd == AGENT_CMD_RESTART && a->st.info.version[0] != '\0' &&
	    control_restart_command(a->st.info.version, cmdbuf, sizeof(cmdbuf)) == -1)
		rc = VIGIL_ERR_VERSION_UNKNOWN;   /* no restart format for it: it would never go */
	else if (j->nids == j->capids) {
		size_t cap = j->capids ? 2 * j->capids : 256;
		uint32_t *v = reallocarray(j->ids, cap, sizeof(*v));

		if (v == NULL)
			rc = 1000;
		else {
			j->ids = v;
			j->capids = cap;
		}
	}
	if (rc == 0)
		j->ids[j->nids++] = id;
	areq_record(j, id, given, rc);
}

/*
 * job_new: a request's job, with Vigil's options: expires_in (s, default
 * 900), max_in_flight and rate (0: no limit), queue (bool).  NULL when it
 * answered (a bad option, or no memory).
 */
static struct agent_job *
areq_new(struct api_req *r, enum agent_cmd cmd, int broadcast, const char *scope)
{
	struct agent_job *j = calloc(1, sizeof(*j));
	const char *q;

	if (j == NULL || (j->e = envelope_new()) == NULL) {
		free(j);
		api_reply_problem(r, 500, 1000, NULL);
		return NULL;
	}
	j->r = r;
	j->cmd = cmd;
	j->broadcast = broadcast;
	j->expires_in = JOB_EXPIRES_DEFAULT_MS / 1000;
	snprintf(j->scope, sizeof(j->scope), "%s", scope);
	if (api_long_param(r, "expires_in", 1, 7L * 86400, &j->expires_in) == -1 ||
	    api_long_param(r, "max_in_flight", 0, 1000000, &j->max_in_flight) == -1 ||
	    api_long_param(r, "rate", 0, 1000000, &j->rate) == -1)
		goto err;
	if ((q = api_param_get(r, "queue")) != NULL && (j->queue = api_parse_bool(q)) == -1) {
		api_reply_problem(r, 400, 0, "'queue' is not of type 'boolean'");
		goto err;
	}
	return j;
err:
	areq_free(j);
	return NULL;
}

/* job_start: the job is created (when it has agents) and the request answered. */
static void
areq_start(struct agent_job *j)
{
	struct api_req *r = j->r;
	struct jobrun_params p;
	uint64_t id = 0;
	char hdr[32];

	if (j->nids > 0) {
		memset(&p, 0, sizeof(p));
		p.kind = j->cmd == AGENT_CMD_RECONNECT ? JOB_RECONNECT : JOB_RESTART;
		p.user = r->user;
		p.scope = j->scope;
		p.expires_in_ms = (int64_t)j->expires_in * 1000;
		p.max_in_flight = (uint32_t)j->max_in_flight;
		p.rate = (uint32_t)j->rate;
		if (jobrun_create(r->node, &p, j->ids, j->nids, &id) == -1) {
			api_reply_problem(r, 500, 1000, NULL);
			areq_free(j);
			return;
		}
		snprintf(hdr, sizeof(hdr), "%llu", (unsigned long long)id);
		evhttp_add_header(evhttp_request_get_output_headers(r->req), "X-Vigil-Job", hdr);
	}
	log_info("api: %s: %s of %d agents (job %llu), %d failed", r->user,
	    j->cmd == AGENT_CMD_RECONNECT ? "force_reconnect" : "restart",
	    envelope_affected_count(j->e), (unsigned long long)id, envelope_failed_count(j->e));
	api_reply_json(r, 200, envelope_render(j->e, job_msgs[j->cmd][0], job_msgs[j->cmd][1],
	    job_msgs[j->cmd][2], 1));
	areq_free(j);
}

static const char *const restart_params[] = { "pretty", "wait_for_complete", "agents_list",
	"expires_in", "max_in_flight", "rate", "queue", NULL };

/*
 * agents_command: PUT /agents/restart and PUT /agents/reconnect: cmd to the
 * agents of agents_list, or to every agent but 000 without it (broadcast:
 * 1701, 1703 and 1707 are then left out, as Wazuh's RBAC post-processor does).
 */
static void
agents_command(struct api_req *r, enum agent_cmd cmd)
{
	struct node *n = r->node;
	struct agent_job *j;
	struct api_qerr err;
	unsigned int *ids = NULL;
	char **strs = NULL;
	size_t nids = 0, i;
	const char *list;
	enum rbac_perm perm;
	char scope[256];

	if (api_check(r, restart_params) == -1)
		return;
	list = api_param_get(r, "agents_list");
	if (list != NULL && api_parse_agents_list(list, &ids, &strs, &nids, &err) == -1) {
		api_reply_qerr(r, &err);
		return;
	}
	snprintf(scope, sizeof(scope), "%s", list != NULL ? list : "all");
	if ((j = areq_new(r, cmd, ids == NULL, scope)) == NULL) {
		api_agents_list_free(ids, strs, nids);
		return;
	}
	perm = cmd == AGENT_CMD_RECONNECT ? RBAC_P_AGENT_RECONNECT : RBAC_P_AGENT_RESTART;
	if (j->broadcast) {
		size_t count = registry_count(n->reg);

		for (i = 0; i < count; i++) {
			struct agent *a = registry_agent_at(n->reg, i);

			/* only the agents the caller may act on, silently (Wazuh's RBAC filter) */
			if (a->id != 0 && api_allowed_agent(r, perm, a))
				areq_submit(j, a->id, NULL);
		}
	} else {
		/* none of the listed agents may be commanded: the request is denied (403) */
		if (api_deny_named(r, perm, (const char *const *)strs, nids)) {
			areq_free(j);
			api_agents_list_free(ids, strs, nids);
			return;
		}
		for (i = 0; i < nids; i++)
			if (api_allowed(r, perm, strs[i]))
				areq_submit(j, ids[i], strs[i]);
			else
				areq_record(j, ids[i], strs[i], 4000);
	}
	api_agents_list_free(ids, strs, nids);
	areq_start(j);
}

void
api_put_agents_restart(struct api_req *r)
{
	agents_command(r, AGENT_CMD_RESTART);
}

/* PUT /agents/reconnect: Wazuh's reconnect_agents, "#!-force_reconnect" to each agent. */
void
api_put_agents_reconnect(struct api_req *r)
{
	agents_command(r, AGENT_CMD_RECONNECT);
}

static const char *const restart1_params[] = { "pretty", "wait_for_complete", "expires_in",
	"max_in_flight", "rate", "queue", NULL };

void
api_put_agent_restart(struct api_req *r)
{
	struct agent_job *j;
	const char *id = r->segs[1];
	long n;

	if (api_check(r, restart1_params) == -1 || (n = api_agent_id_param(r, id)) < 0)
		return;
	if ((j = areq_new(r, AGENT_CMD_RESTART, 0, id)) == NULL)
		return;
	areq_submit(j, (unsigned int)n, id);
	areq_start(j);
}

/*
 * PUT /agents/node/{node_id}/restart: the agents whose node_name is node_id,
 * through the same routed restart job as PUT /agents/restart.  Wazuh checks
 * the node against get_system_nodes (the nodes in the cluster now): an
 * unknown one is a failed item 1730; 000, unknown and inactive agents are
 * always left out (forced exclusions).
 */
void
api_put_node_restart(struct api_req *r)
{
	struct cluster_node_info v[API_CLUSTER_MAX_NODES];
	struct node *n = r->node;
	struct agent_job *j;
	struct api_qerr err;
	const char *node = r->segs[2];
	size_t i, count;
	int known = 0, k, nnodes;

	if (api_check(r, restart1_params) == -1)
		return;
	if (api_check_node_name(node, "node_id", &err) == -1) {
		api_reply_qerr(r, &err);
		return;
	}
	if (!cluster_enabled(n)) {
		api_reply_problem(r, 400, 3013, NULL);
		return;
	}
	nnodes = api_cluster_connected(n, v, API_CLUSTER_MAX_NODES);
	for (k = 0; k < nnodes; k++)
		if (strcmp(v[k].name, node) == 0)
			known = 1;
	if (!known) {
		struct envelope *e = envelope_new();

		if (e == NULL) {
			api_reply_problem(r, 500, 1000, NULL);
			return;
		}
		envelope_fail(e, node, 1730);
		api_reply_json(r, 200, envelope_render(e, RESTART_ALL, RESTART_SOME,
		    "No information was returned", 1));
		envelope_free(e);
		return;
	}
	{
		char scope[96];

		snprintf(scope, sizeof(scope), "node %s", node);
		if ((j = areq_new(r, AGENT_CMD_RESTART, 1, scope)) == NULL)
			return;
	}
	count = registry_count(n->reg);
	for (i = 0; i < count; i++) {
		struct agent *a = registry_agent_at(n->reg, i);

		/* only the agents the caller may restart, silently (Wazuh's RBAC filter) */
		if (a->id != 0 && !a->removed && strcmp(a->node_name, node) == 0 &&
		    api_allowed_agent(r, RBAC_P_AGENT_RESTART, a))
			areq_submit(j, a->id, NULL);
	}
	areq_start(j);
}

/*
 * PUT /agents/group/{group_id}/restart: the agents of the group, through the
 * same routed restart job; 000, unknown and inactive agents are left out
 * (forced exclusions), so an empty or idle group answers "not sent to any
 * agent" with error 0.  An unknown group is 404, 1710.
 */
void
api_put_group_restart(struct api_req *r)
{
	struct node *n = r->node;
	struct agent_job *j;
	const char *g = r->segs[2];
	struct agent **v = NULL;
	char (*names)[16] = NULL;
	size_t i, count, nv = 0, allowed = 0;

	if (api_check(r, restart1_params) == -1)
		return;
	if (!group_name_valid(g)) {
		char detail[300];

		snprintf(detail, sizeof(detail), "'%.160s' does not match '^(?!^(\\.{1,2}|all)$)"
		    "[A-Za-z0-9.\\-_]+$' - 'group_id'", g);
		api_reply_problem(r, 400, 0, detail);
		return;
	}
	if (groups_get(n->groups, g) == NULL) {
		api_reply_problem(r, 404, 1710, NULL);
		return;
	}
	/*
	 * As Wazuh's controller: the group's agents the caller may read, then
	 * restart_agents over that list as if named: 403 when none of them may
	 * be restarted, else those that may not fail with 4000.
	 */
	count = registry_count(n->reg);
	if ((v = calloc(count + 1, sizeof(*v))) == NULL ||
	    (names = calloc(count + 1, sizeof(*names))) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	for (i = 1; i < count; i++) {
		struct agent *a = registry_agent_at(n->reg, i);

		if (!a->removed && group_list_has(a->group, g) &&
		    api_allowed_agent(r, RBAC_P_AGENT_READ, a)) {
			v[nv] = a;
			agent_id_format(a->id, names[nv], sizeof(names[nv]));
			nv++;
		}
	}
	for (i = 0; i < nv; i++)
		allowed += api_allowed_agent(r, RBAC_P_AGENT_RESTART, v[i]);
	if (nv > 0 && allowed == 0) {
		api_reply_denied(r, RBAC_P_AGENT_RESTART);
		goto out;
	}
	{
		char scope[200];

		snprintf(scope, sizeof(scope), "group %s", g);
		if ((j = areq_new(r, AGENT_CMD_RESTART, 1, scope)) == NULL)
			goto out;
	}
	for (i = 0; i < nv; i++)
		if (api_allowed_agent(r, RBAC_P_AGENT_RESTART, v[i]))
			areq_submit(j, v[i]->id, NULL);
		else
			areq_record(j, v[i]->id, names[i], 4000);
	areq_start(j);
out:
	free(v);
	free(names);
}

long
api_timeframe_parse(const char *s)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (v < 0 || v > 100L * 365 * 86400)
		return -1;
	switch (*end) {
	case '\0': return v;
	case 's': break;
	case 'm': v *= 60; break;
	case 'h': v *= 3600; break;
	case 'd': v *= 86400; break;
	default: return -1;
	}
	return end[1] == '\0' ? v : -1;
}

static const char *const delete_params[] = { "pretty", "wait_for_complete", "agents_list",
	"status", "older_than", "purge", "q", "os.platform", "os.version", "os.name", "manager",
	"version", "group", "node_name", "name", "ip", "registerIP", NULL };

static int
uint_cmp(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/*
 * delete_eligible: the ids (sorted, malloc'd into *ok, *nok of them) of the
 * agents that pass DELETE's filters: status (unless "all"), older_than, q and
 * the field filters, evaluated as GET /agents evaluates them.  0, or -1 with
 * err (a 400 for a bad filter, a 500 when out of memory).
 */
static int
delete_eligible(struct api_req *r, const char *status, const char *older, unsigned int **ok,
    size_t *nok, struct api_qerr *err)
{
	static const char *const skip[] = { "agents_list", "purge", "pretty", "wait_for_complete",
		"status", "older_than", NULL };
	struct api_param p[API_MAX_PARAMS + 3];
	struct agents_query q;
	struct agent **agents = NULL;
	json_t *items = NULL;
	size_t np = 0, i, k, n = 0;
	long total = 0;
	int rc = -1;

	for (i = 0; i < r->nparams; i++) {
		for (k = 0; skip[k] != NULL && strcmp(skip[k], r->params[i].key) != 0; k++)
			;
		if (skip[k] == NULL)
			p[np++] = r->params[i];
	}
	if (strstr(status, "all") == NULL)
		p[np++] = (struct api_param){ "status", status };
	p[np++] = (struct api_param){ "older_than", older };
	p[np++] = (struct api_param){ "select", "id" };
	memset(&q, 0, sizeof(q));
	if (agents_query_parse(p, np, &q, err) == -1)
		return -1;
	q.limit = LONG_MAX;
	*ok = NULL;
	*nok = 0;
	if ((items = json_array()) == NULL || (agents = api_agents_snapshot(r->node->reg, &n)) == NULL ||
	    (*ok = calloc(n ? n : 1, sizeof(**ok))) == NULL) {
		err->http_status = 500;
		err->code = 1000;
		err->detail[0] = err->remediation[0] = '\0';
		goto out;
	}
	agents_query_run(&q, agents, n, items, &total, NULL, NULL);
	for (i = 0; i < json_array_size(items) && *nok < n; i++) {
		const char *id = json_string_value(json_object_get(json_array_get(items, i), "id"));

		if (id != NULL)
			(*ok)[(*nok)++] = (unsigned int)strtoul(id, NULL, 10);
	}
	qsort(*ok, *nok, sizeof(**ok), uint_cmp);
	rc = 0;
out:
	json_decref(items);
	free(agents);
	agents_query_free(&q);
	return rc;
}

/*
 * DELETE /agents: removes the listed agents that match status and older_than
 * (last keepalive, or registration for never connected agents, older than
 * that; default 7d).  A removed agent's session is closed and every worker
 * drops its key and session at once, so it is refused on every node.
 */
void
api_delete_agents(struct api_req *r)
{
	struct node *n = r->node;
	struct envelope *e;
	struct api_qerr err;
	unsigned int *ids = NULL, *ok = NULL;
	char **strs = NULL, detail[1400], buf[128], *tok, *save = NULL;
	const char *list = api_param_get(r, "agents_list"), *status = api_param_get(r, "status");
	const char *older = api_param_get(r, "older_than"), *purge = api_param_get(r, "purge");
	const char *qs = api_param_get(r, "q");
	size_t nids = 0, nok = 0, i, count;

	if (api_check(r, delete_params) == -1)
		return;
	if (list == NULL || status == NULL) {
		api_reply_problem(r, 400, 0, list == NULL ? "'agents_list' is a required property" :
		    "'status' is a required property");
		return;
	}
	if (older == NULL)
		older = "7d";
	if (api_timeframe_parse(older) == -1) {
		api_reply_problem(r, 400, 0, "'older_than' does not match '^(\\d+[dhms]?)$'");
		return;
	}
	if (purge != NULL && api_parse_bool(purge) == -1) {
		api_reply_problem(r, 400, 0, "'purge' is not of type 'boolean'");
		return;
	}
	snprintf(buf, sizeof(buf), "%s", status);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (strcasecmp(tok, "all") != 0 && agent_status_parse(tok) < 0) {
			api_reply_problem(r, 400, 0, "'status' is not one of ['all', 'active', "
			    "'pending', 'never_connected', 'disconnected']");
			return;
		}
	}
	if (delete_eligible(r, status, older, &ok, &nok, &err) == -1) {
		free(ok);
		api_reply_qerr(r, &err);
		return;
	}
	if (api_parse_agents_list(list, &ids, &strs, &nids, &err) == -1) {
		free(ok);
		api_reply_qerr(r, &err);
		return;
	}
	if ((e = envelope_new()) == NULL) {
		free(ok);
		api_agents_list_free(ids, strs, nids);
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	snprintf(detail, sizeof(detail), "Agent is not eligible for the action to be performed: "
	    "some of the requirements are not met -> status: %s, older_than: %s%s%s", status, older,
	    qs != NULL ? ", q: " : "", qs != NULL ? qs : "");
	envelope_set_message(e, 1731, detail);
	/* named agents none of which may be deleted: the request is denied (403) */
	if (ids != NULL && api_deny_named(r, RBAC_P_AGENT_DELETE, (const char *const *)strs, nids))
		goto out;
	count = ids == NULL ? registry_count(n->reg) : nids;
	for (i = 0; i < count; i++) {
		struct agent *a;
		unsigned int id = ids == NULL ? registry_agent_at(n->reg, i)->id : ids[i];
		const char *given = ids == NULL ? NULL : strs[i];
		char idstr[16];

		agent_id_format(id, idstr, sizeof(idstr));
		/* Wazuh's RBAC first: a named one denied fails 4000, others are left out */
		if (!api_allowed(r, RBAC_P_AGENT_DELETE, given != NULL ? given : idstr)) {
			if (given != NULL)
				envelope_fail(e, given, 4000);
			continue;
		}
		if (id == 0) {
			if (ids != NULL)
				envelope_fail(e, given, 1703);
			continue;
		}
		if ((a = registry_agent_by_id(n->reg, id)) == NULL || a->removed) {
			envelope_fail(e, given != NULL ? given : idstr, 1701);
			continue;
		}
		if (bsearch(&id, ok, nok, sizeof(*ok), uint_cmp) == NULL) {
			if (ids != NULL)
				envelope_fail(e, given, 1731);
			continue;
		}
		envelope_affect(e, json_string(idstr));
	}
	/* Remove after the scan: registry_agent_at indexes shift on removal. */
	for (i = 0; i < (size_t)envelope_affected_count(e); i++) {
		unsigned int id;
		struct agent *a;

		id = (unsigned int)strtoul(envelope_affected_id(e, i), NULL, 10);
		if ((a = registry_agent_by_id(n->reg, id)) == NULL)
			continue;
		session_drop_agent(n, a, "agent deleted");
		registry_agent_remove(n->reg, id);
		cluster_agent_removed(n, id);
	}
	if (registry_flush(n->reg) == -1) {
		if (registry_term(n->reg) == -1) {   /* never to be written: not deleted */
			api_reply_problem(r, 503, 1793, NULL);
			goto out;
		}
		log_warnx("api: delete: registry flush failed; will retry");
	}
	node_schedule_flush(n);
	log_info("api: %s: %d agents deleted, %d not", r->user, envelope_affected_count(e),
	    envelope_failed_count(e));
	api_reply_json(r, 200, envelope_render(e, "All selected agents were deleted",
	    "Some agents were not deleted", "No agents were deleted", 1));
out:
	envelope_free(e);
	free(ok);
	api_agents_list_free(ids, strs, nids);
}
