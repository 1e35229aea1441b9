/*
 * api_jobs.c — Vigil's own /jobs endpoints: the restart and reconnect jobs
 * the master runs (jobrun.c), each with its counts per state and its agents,
 * paged and filtered; and cancelling one.  The answers keep Wazuh's envelope
 * ({"data": {"affected_items", "total_affected_items", ...}, "message",
 * "error"}) so that the same clients read them.  Agents the caller may not
 * read (agent:read) are left out of a job's agents, as Wazuh's listings do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node/api/api.h"
#include "node/api/api_envelope.h"
#include "node/core/agent.h"
#include "node/jobs/jobrun.h"
#include "node/registry/registry.h"

/* iso_ms: ms as "2026-12-06T21:00:00.123Z", or JSON null for 0. */
static json_t *
iso_ms(int64_t ms)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);
	char buf[40], out[48];

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return json_null();
	snprintf(out, sizeof(out), "%s.%03dZ", buf, (int)(ms % 1000));
	return json_string(out);
}

/* job_status: "running", "cancelling" (cancelled, delivered agents still tracked) or "done". */
const char *
api_job_status(const struct registry_job *row)
{
	if (row->done_ms != 0)
		return "done";
	return row->cancelled_ms != 0 ? "cancelling" : "running";
}

static json_t *
job_json(const struct job *j, const struct registry_job *row)
{
	json_t *counts = json_object(), *o;
	int s;

	if (counts == NULL)
		return NULL;
	for (s = 0; s < JOB_NSTATES; s++)
		json_object_set_new(counts, job_state_name(s), json_integer((json_int_t)job_count(j, s)));
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:i, s:i, s:I, s:I, s:o}",
	    "id", (json_int_t)row->id,
	    "command", job_kind_name(row->kind),
	    "status", api_job_status(row),
	    "user", row->user,
	    "scope", row->scope,
	    "created", iso_ms(row->created_ms),
	    "expires", iso_ms(row->expires_ms),
	    "cancelled", iso_ms(row->cancelled_ms),
	    "finished", iso_ms(row->done_ms),
	    "max_in_flight", row->max_in_flight,
	    "rate", row->rate,
	    "total", (json_int_t)job_size(j),
	    "in_flight", (json_int_t)job_in_flight(j),
	    "counts", counts);
	return o;
}

static json_t *
job_agent_json(struct node *n, const struct job_agent *a)
{
	char id[16];
	json_t *o;

	agent_id_format(a->id, id, sizeof(id));
	o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:I}",
	    "id", id,
	    "state", job_state_name(a->state),
	    "pending", iso_ms(a->t_pending),
	    "delivered", iso_ms(a->t_delivered),
	    "done", iso_ms(a->t_done),
	    "sends", (json_int_t)a->sends);
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "node", a->sid != 0 ?
	    json_string(n->hooks.node_name(n, (uint16_t)a->node)) : json_null());
	json_object_set_new(o, "code", a->code != 0 ? json_integer(a->code) : json_null());
	return o;
}

/* job_id_param: the path's job id; else replies 400 and returns 0. */
static uint64_t
job_id_param(struct api_req *r, const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*s >= '0' && *s <= '9' && *end == '\0' && v > 0 && v < (1ULL << 62))
		return v;
	api_reply_problem(r, 400, 0, "'job_id' must be a positive integer");
	return 0;
}

/* job_lookup: the job of the path, or replies 404 and returns NULL. */
static const struct job *
job_lookup(struct api_req *r, uint64_t id, const struct registry_job **row)
{
	const struct job *j = jobrun_find(r->node, id, row);
	char detail[96];

	if (j == NULL) {
		snprintf(detail, sizeof(detail), "Job %llu does not exist (or was retired)",
		    (unsigned long long)id);
		api_reply_problem(r, 404, 0, detail);
	}
	return j;
}

/* states_param: a comma list of state names into a mask (0: all); -1 (answered) if bad. */
static int
states_param(struct api_req *r, unsigned int *mask)
{
	const char *s = api_param_get(r, "state");
	char buf[128], *tok, *save = NULL;
	int st;

	*mask = 0;
	if (s == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if ((st = job_state_parse(tok)) < 0) {
			api_reply_problem(r, 400, 0, "'state' must be a list of pending, delivered, "
			    "completed, failed, expired, cancelled");
			return -1;
		}
		*mask |= 1u << st;
	}
	return 0;
}

static const char *const jobs_params[] = { "pretty", "wait_for_complete", "offset", "limit",
	"status", "command", NULL };

/* GET /jobs: the jobs, newest first; status=running|cancelling|done, command=restart|reconnect. */
void
api_get_jobs(struct api_req *r)
{
	const char *status = api_param_get(r, "status"), *cmd = api_param_get(r, "command");
	const struct registry_job *row;
	const struct job *j;
	struct envelope *e;
	long offset = 0, limit = 500, matched = 0;
	size_t i, count = jobrun_count(r->node);

	if (api_check(r, jobs_params) == -1 ||
	    api_long_param(r, "offset", 0, 1L << 40, &offset) == -1 ||
	    api_long_param(r, "limit", 1, 100000, &limit) == -1)
		return;
	if ((e = envelope_new()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	envelope_set_numeric_ids(e);
	for (i = count; i > 0; i--) {
		j = jobrun_at(r->node, i - 1, &row);
		if (j == NULL || (status != NULL && strcmp(status, api_job_status(row)) != 0) ||
		    (cmd != NULL && strcmp(cmd, job_kind_name(row->kind)) != 0))
			continue;
		if (matched >= offset && matched < offset + limit)
			envelope_affect(e, job_json(j, row));
		matched++;
	}
	envelope_set_total(e, matched);
	api_reply_json(r, 200, envelope_render(e, "All jobs were returned",
	    "Some jobs were not returned", "No job was returned", 0));
	envelope_free(e);
}

static const char *const job_params[] = { "pretty", "wait_for_complete", "offset", "limit",
	"state", NULL };

/*
 * GET /jobs/{job_id}: the job with its counts, and its agents (state= a list
 * of states; offset, limit) as "agents": {affected_items, total_affected_items}.
 */
void
api_get_job(struct api_req *r)
{
	const struct registry_job *row;
	const struct job *j;
	const struct job_agent *a;
	struct envelope *e;
	json_t *o, *items;
	long offset = 0, limit = 500, matched = 0;
	unsigned int mask;
	uint64_t id;
	size_t i, size;

	if (api_check(r, job_params) == -1 || (id = job_id_param(r, r->segs[1])) == 0 ||
	    api_long_param(r, "offset", 0, 1L << 40, &offset) == -1 ||
	    api_long_param(r, "limit", 1, 100000, &limit) == -1 || states_param(r, &mask) == -1 ||
	    (j = job_lookup(r, id, &row)) == NULL)
		return;
	if ((e = envelope_new()) == NULL || (o = job_json(j, row)) == NULL ||
	    (items = json_array()) == NULL) {
		envelope_free(e);
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	size = job_size(j);
	for (i = 0; i < size; i++) {
		struct agent *ag;

		a = job_agent_at(j, i);
		if (mask != 0 && (mask & (1u << a->state)) == 0)
			continue;
		ag = registry_agent_by_id(r->node->reg, a->id);
		if (ag != NULL && !api_allowed_agent(r, RBAC_P_AGENT_READ, ag))
			continue;
		if (matched >= offset && matched < offset + limit)
			json_array_append_new(items, job_agent_json(r->node, a));
		matched++;
	}
	json_object_set_new(o, "agents", json_pack("{s:o, s:I}", "affected_items", items,
	    "total_affected_items", (json_int_t)matched));
	envelope_set_numeric_ids(e);
	envelope_affect(e, o);
	api_reply_json(r, 200, envelope_render(e, "The job was returned", "", "", 0));
	envelope_free(e);
}

static const char *const cancel_params[] = { "pretty", "wait_for_complete", NULL };

/*
 * PUT /jobs/{job_id}/cancel: agents not yet delivered are cancelled; those
 * delivered are followed until they prove the restart or expire.  Needs the
 * job's own permission (agent:restart, agent:reconnect) on each of its
 * agents: 403 otherwise.  A job already finished fails with its id.
 */
void
api_put_job_cancel(struct api_req *r)
{
	const struct registry_job *row;
	const struct job *j;
	struct envelope *e;
	enum rbac_perm perm;
	uint64_t id;
	size_t i, size;
	char detail[96];
	int rc;

	if (api_check(r, cancel_params) == -1 || (id = job_id_param(r, r->segs[1])) == 0 ||
	    (j = job_lookup(r, id, &row)) == NULL)
		return;
	perm = row->kind == JOB_RECONNECT ? RBAC_P_AGENT_RECONNECT : RBAC_P_AGENT_RESTART;
	size = job_size(j);
	for (i = 0; i < size; i++) {
		struct agent *ag = registry_agent_by_id(r->node->reg, job_agent_at(j, i)->id);

		if (ag != NULL && !api_allowed_agent(r, perm, ag)) {
			api_reply_denied(r, perm);
			return;
		}
	}
	if ((rc = jobrun_cancel(r->node, id)) == -1) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (rc == 0) {
		snprintf(detail, sizeof(detail), "Job %llu is finished or cancelled already",
		    (unsigned long long)id);
		api_reply_problem(r, 400, 0, detail);
		return;
	}
	if ((e = envelope_new()) == NULL || (j = jobrun_find(r->node, id, &row)) == NULL) {
		envelope_free(e);
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	envelope_affect(e, job_json(j, row));
	api_reply_json(r, 200, envelope_render(e, "The job was cancelled", "", "", 0));
	envelope_free(e);
}
