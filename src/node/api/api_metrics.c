/*
 * api_metrics.c — GET /metrics: the node's counters in Prometheus' text
 * format 0.0.4 (lib/promtext.h), on the master's API port and on the
 * metrics port of any node (--metrics-port).  docs/operations.md, "Metrics",
 * lists every family.
 *
 * One source of truth: the counters are the ones stats.json shows (struct
 * node_stats, the listeners' gates, the registry's, the jobs'), read as they
 * are; nothing here counts an event but the API's answers by route.  A
 * scrape walks the agents once, counting by status and node into a small
 * table, and writes the text in one pass into one growable buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lib/log.h"
#include "lib/procstat.h"
#include "lib/promtext.h"
#include "node/api/api.h"
#include "node/cluster/cluster.h"
#include "node/core/agent.h"
#include "node/jobs/jobrun.h"
#include "node/registry/registry.h"
#include "proto/enroll.h"

#define CTYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- the API's answers by route, method and status ---- */

/* The statuses the API answers (api_send); anything else counts as "other". */
static const int api_codes[] = { 200, 400, 401, 403, 404, 405, 406, 413, 429, 500, 503 };
#define NCODES (sizeof(api_codes) / sizeof(api_codes[0]))
static const char *const api_methods[] = { "GET", "POST", "PUT", "DELETE", "OTHER" };
#define NMETHODS 5

struct api_slot {
	uint64_t codes[NCODES + 1];     /* [NCODES]: other */
	struct promhist seconds;
};

struct api_stats {
	size_t nslots;                  /* (routes + 1) * NMETHODS: the last route is "none" */
	struct api_slot slots[];
};

int
api_stats_new(struct node *n)
{
	size_t i, nslots = (api_route_count() + 1) * NMETHODS;
	struct api_stats *s;

	if (n->api_stats != NULL)
		return 0;
	if ((s = calloc(1, sizeof(*s) + nslots * sizeof(s->slots[0]))) == NULL)
		return -1;
	s->nslots = nslots;
	for (i = 0; i < nslots; i++)
		promhist_init(&s->slots[i].seconds, promhist_latency_s, promhist_latency_n);
	n->api_stats = s;
	return 0;
}

size_t
api_stats_slot(size_t k, const char *method)
{
	size_t m;

	if (k > api_route_count())
		k = api_route_count();
	for (m = 0; m < NMETHODS - 1; m++)
		if (method != NULL && strcmp(method, api_methods[m]) == 0)
			break;
	return k * NMETHODS + m;
}

void
api_stats_count(struct node *n, size_t slot, int status, double seconds)
{
	struct api_slot *s;
	size_t c;

	if (n->api_stats == NULL || slot >= n->api_stats->nslots)
		return;
	s = &n->api_stats->slots[slot];
	for (c = 0; c < NCODES && api_codes[c] != status; c++)
		;
	s->codes[c]++;
	promhist_observe(&s->seconds, seconds);
}

/* ---- the token Prometheus scrapes with ---- */

static int
sha256(const char *s, size_t len, unsigned char out[32])
{
	unsigned int olen = 0;

	return EVP_Digest(s, len, out, &olen, EVP_sha256(), NULL) == 1 && olen == 32 ? 0 : -1;
}

int
api_metrics_token_ok(struct node *n, struct evhttp_request *req)
{
	unsigned char want[32], got[32];
	const char *tok;

	if (n->metrics_token[0] == '\0' ||
	    (tok = auth_bearer(evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization"))) == NULL)
		return 0;
	/* digests of equal length: the comparison says nothing of the token's length */
	if (sha256(n->metrics_token, strlen(n->metrics_token), want) == -1 ||
	    sha256(tok, auth_bearer_len(tok), got) == -1)
		return 0;
	return CRYPTO_memcmp(want, got, sizeof(want)) == 0;
}

/* ---- the text ---- */

#define MAX_NODES 64                /* node labels of agents; more share "other" */

struct by_node {
	char name[64];
	uint64_t st[4];                 /* by enum agent_status */
};

/* agents_by_node: the agents (not 000, not removed) by node and status, one pass. */
static size_t
agents_by_node(struct node *n, struct by_node *v, size_t max)
{
	size_t i, k, nv = 0, last = 0, count = registry_count(n->reg);
	int worker = n->cfg.role == ROLE_WORKER;

	for (i = 1; i < count; i++) {
		const struct agent *a = registry_agent_at(n->reg, i);
		const char *node = worker ? n->cfg.name : a->node_name;

		if (a->removed || a->st.status < 0 || a->st.status > AGENT_DISCONNECTED)
			continue;
		/* a worker counts the agents whose session is here; the master, everyone */
		if (worker && a->session == NULL)
			continue;
		if (nv > 0 && strcmp(v[last].name, node) == 0)
			k = last;
		else {
			for (k = 0; k < nv && strcmp(v[k].name, node) != 0; k++)
				;
			if (k == nv) {
				if (nv == max)
					k = max - 1;   /* the last row takes the rest */
				else {
					memset(&v[nv], 0, sizeof(v[nv]));
					snprintf(v[nv].name, sizeof(v[nv].name), "%s", nv == max - 1 ?
					    "other" : node);
					nv++;
				}
			}
		}
		last = k;
		v[k].st[a->st.status]++;
	}
	return nv;
}

#define L(a, b) { a, b }

static void
counter(struct promtext *t, const char *name, const char *help, uint64_t v)
{
	promtext_family(t, name, "counter", help);
	promtext_u64(t, name, NULL, 0, v);
}

static void
gauge(struct promtext *t, const char *name, const char *help, double v)
{
	promtext_family(t, name, "gauge", help);
	promtext_f64(t, name, NULL, 0, v);
}

static void
text_agents(struct promtext *t, struct node *n)
{
	static const int order[4] = { AGENT_ACTIVE, AGENT_PENDING, AGENT_DISCONNECTED,
	    AGENT_NEVER_CONNECTED };
	struct by_node v[MAX_NODES];
	size_t i, nv;
	int s;

	nv = agents_by_node(n, v, MAX_NODES);
	promtext_family(t, "vigil_agents", "gauge", n->cfg.role == ROLE_WORKER ?
	    "Agents with a session on this node, by status." :
	    "Agents of the cluster by status and the node their current or last session is on.");
	for (i = 0; i < nv; i++)
		for (s = 0; s < 4; s++) {
			struct promtext_label l[2] = { L("status", agent_status_name(order[s])),
			    L("node", v[i].name) };

			promtext_u64(t, "vigil_agents", l, 2, v[i].st[order[s]]);
		}
	gauge(t, "vigil_sessions", "Agent connections open on this node.", (double)n->nsessions);
}

static void
text_sessions(struct promtext *t, struct node *n)
{
	const struct node_stats *s = &n->stats;

	counter(t, "vigil_sessions_opened_total", "Agent connections accepted.", s->sessions_opened);
	counter(t, "vigil_sessions_closed_total", "Agent connections closed.", s->sessions_closed);
	counter(t, "vigil_sessions_overtaken_total",
	    "Sessions replaced on this node by a newer connection of the same agent.", s->overtakes);
	counter(t, "vigil_sessions_fenced_total",
	    "Sessions told to close because a newer session of the agent exists.", s->sync_fenced);
	counter(t, "vigil_sessions_refused_total",
	    "Agent connections refused: message counter not newer (a replay?).",
	    s->sessions_refused);
	counter(t, "vigil_keepalives_total", "Agent keepalives received.", s->keepalives);
	counter(t, "vigil_agent_starts_total", "Agent started events (new agent processes).",
	    s->agent_starts);
	counter(t, "vigil_frames_total", "Agent frames received.", s->frames_in);
	counter(t, "vigil_frames_bad_total", "Agent or cluster frames dropped as malformed.",
	    s->frames_bad);
	counter(t, "vigil_decrypt_failures_total", "Agent frames that did not decrypt.",
	    s->decrypt_failures);
	counter(t, "vigil_events_total", "Agent event messages received.", s->events_in);
}

static void
text_sync(struct promtext *t, struct node *n)
{
	const struct node_stats *s = &n->stats;

	counter(t, "vigil_sync_records_applied_total",
	    "Master: agent records from workers applied to the registry.", s->sync_applied);
	counter(t, "vigil_sync_touches_applied_total",
	    "Master: keepalive-time-only updates from workers applied.", s->sync_touches);
	counter(t, "vigil_sync_records_stale_total",
	    "Master: records from an older session or an old batch, dropped.", s->sync_stale);
	counter(t, "vigil_sync_records_held_total",
	    "Master: records of a session held until the current one closes.", s->sync_pending);
	counter(t, "vigil_sync_sessions_refused_total",
	    "Master: sessions refused (replays, forgeries, second copies).", s->sync_refused);
	counter(t, "vigil_sync_records_resent_total",
	    "Worker: unacknowledged records sent again after the link came back.", s->sync_resent);
	promtext_family(t, "vigil_sync_lag_seconds", "histogram",
	    "Master: time from a change on a worker to its record applied here.");
	promtext_histogram(t, "vigil_sync_lag_seconds", NULL, 0, &s->sync_lag);
}

static void
text_enroll(struct promtext *t, struct node *n)
{
	int i;

	counter(t, "vigil_enrollments_total", "Agents enrolled (keys issued or forwarded).",
	    n->stats.enrollments);
	promtext_family(t, "vigil_enrollment_failures_total", "counter",
	    "Enrollment requests refused, by reason.");
	for (i = 0; i < ENROLL_ERROR_CLASSES; i++) {
		struct promtext_label l = L("reason", enroll_error_class_name(i));

		promtext_u64(t, "vigil_enrollment_failures_total", &l, 1, n->stats.enroll_failed[i]);
	}
}

static void
text_commands(struct promtext *t, struct node *n)
{
	struct promtext_label l;

	promtext_family(t, "vigil_commands_sent_total", "counter",
	    "Commands written to agents' sessions on this node.");
	l = (struct promtext_label)L("command", "restart");
	promtext_u64(t, "vigil_commands_sent_total", &l, 1, n->stats.restarts_sent);
	l = (struct promtext_label)L("command", "reconnect");
	promtext_u64(t, "vigil_commands_sent_total", &l, 1, n->stats.reconnects_sent);
	counter(t, "vigil_commands_repeated_total",
	    "A job's command asked again for a session that has it: not written again.",
	    n->stats.commands_repeated);
}

/* text_jobs: the jobs the master holds (running, and the last JOBRUN_KEEP done). */
static void
text_jobs(struct promtext *t, struct node *n)
{
	static const char *const statuses[] = { "running", "cancelling", "done" };
	uint64_t jobs[2][3], agents[2][JOB_NSTATES];
	const struct registry_job *row;
	const struct job *j;
	size_t i, k, count = jobrun_count(n);
	int kind, s;

	memset(jobs, 0, sizeof(jobs));
	memset(agents, 0, sizeof(agents));
	for (i = 0; i < count; i++) {
		if ((j = jobrun_at(n, i, &row)) == NULL || row->kind < 0 || row->kind > 1)
			continue;
		for (k = 0; k < 3; k++)
			if (strcmp(api_job_status(row), statuses[k]) == 0)
				jobs[row->kind][k]++;
		for (s = 0; s < JOB_NSTATES; s++)
			agents[row->kind][s] += job_count(j, s);
	}
	promtext_family(t, "vigil_jobs", "gauge",
	    "Restart and reconnect jobs the master holds, by command and status.");
	for (kind = 0; kind < 2; kind++)
		for (k = 0; k < 3; k++) {
			struct promtext_label l[2] = { L("command", job_kind_name(kind)),
			    L("status", statuses[k]) };

			promtext_u64(t, "vigil_jobs", l, 2, jobs[kind][k]);
		}
	promtext_family(t, "vigil_job_agents", "gauge",
	    "Agents of the jobs the master holds, by command and state.");
	for (kind = 0; kind < 2; kind++)
		for (s = 0; s < JOB_NSTATES; s++) {
			struct promtext_label l[2] = { L("command", job_kind_name(kind)),
			    L("state", job_state_name(s)) };

			promtext_u64(t, "vigil_job_agents", l, 2, agents[kind][s]);
		}
}

static void
text_api(struct promtext *t, struct node *n)
{
	struct api_stats *st = n->api_stats;
	char route[160], code[8];
	size_t i, c, nroutes = api_route_count();

	if (st == NULL)
		return;
	promtext_family(t, "vigil_api_requests_total", "counter",
	    "API requests answered, by method, route template and HTTP status.");
	for (i = 0; i < st->nslots; i++) {
		const struct api_slot *s = &st->slots[i];

		if (s->seconds.count == 0)
			continue;
		if (i / NMETHODS >= nroutes || api_route_template(i / NMETHODS, route,
		    sizeof(route)) == -1)
			snprintf(route, sizeof(route), "none");
		for (c = 0; c <= NCODES; c++) {
			struct promtext_label l[3] = { L("method", api_methods[i % NMETHODS]),
			    L("route", route), L("code", code) };

			if (s->codes[c] == 0)
				continue;
			if (c < NCODES)
				snprintf(code, sizeof(code), "%d", api_codes[c]);
			else
				snprintf(code, sizeof(code), "other");
			promtext_u64(t, "vigil_api_requests_total", l, 3, s->codes[c]);
		}
	}
	promtext_family(t, "vigil_api_request_duration_seconds", "histogram",
	    "Time from a complete API request to its answer, by method and route template.");
	for (i = 0; i < st->nslots; i++) {
		const struct api_slot *s = &st->slots[i];
		struct promtext_label l[2] = { L("method", api_methods[i % NMETHODS]),
		    L("route", route) };

		if (s->seconds.count == 0)
			continue;
		if (i / NMETHODS >= nroutes || api_route_template(i / NMETHODS, route,
		    sizeof(route)) == -1)
			snprintf(route, sizeof(route), "none");
		promtext_histogram(t, "vigil_api_request_duration_seconds", l, 2, &s->seconds);
	}
}

static void
text_registry(struct promtext *t, struct node *n)
{
	uint64_t rows, commits;

	registry_write_stats(n->reg, &rows, &commits);
	gauge(t, "vigil_registry_agents", "Agents registered (agent 000, the manager, excluded).",
	    (double)(registry_count(n->reg) - 1));
	gauge(t, "vigil_registry_rows_pending", "Registry rows waiting for the next write.",
	    (double)registry_pending(n->reg));
	counter(t, "vigil_registry_rows_written_total", "Registry rows written (upserts, deletes).",
	    rows);
	promtext_family(t, "vigil_registry_commit_seconds", "histogram",
	    "Registry write transactions, BEGIN to COMMIT.");
	promtext_histogram(t, "vigil_registry_commit_seconds", NULL, 0,
	    registry_commit_seconds(n->reg));
}

static void
refused(struct promtext *t, const char *listener, const char *reason, uint64_t v)
{
	struct promtext_label l[2] = { L("listener", listener), L("reason", reason) };

	promtext_u64(t, "vigil_limit_refused_total", l, 2, v);
}

static void
text_limits(struct promtext *t, struct node *n)
{
	const struct node_gate *g[] = { &n->gate_agent, &n->gate_enroll, &n->gate_api,
	    &n->gate_cluster, &n->gate_metrics };
	size_t i;

	promtext_family(t, "vigil_limit_refused_total", "counter",
	    "Connections and requests the limits refused, by listener and limit.");
	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		if (g[i]->what == NULL)
			continue;
		refused(t, g[i]->what, "max_connections", g[i]->refused_total);
		refused(t, g[i]->what, "max_per_source", g[i]->refused_source);
		refused(t, g[i]->what, "deadline", g[i]->refused_late);
		if (g[i] == &n->gate_agent)
			refused(t, g[i]->what, "frame_deadline", g[i]->refused_frame);
	}
	refused(t, "enroll", "rate", n->stats.enroll_rate_limited);
	refused(t, "api", "login_limit", n->stats.logins_refused);
	counter(t, "vigil_accept_paused_total",
	    "Times accepting paused: out of descriptors, or agents at their cap.",
	    n->stats.accept_paused);
}

static void
text_cluster(struct promtext *t, struct node *n)
{
	struct cluster_node_info v[16];
	size_t i, count;

	if (n->cfg.role != ROLE_MASTER || !cluster_enabled(n))
		return;
	count = cluster_nodes(n, v, sizeof(v) / sizeof(v[0]));
	promtext_family(t, "vigil_cluster_node_up", "gauge",
	    "Master: 1 when the node's link is up (the master itself: 1).");
	for (i = 0; i < count; i++) {
		struct promtext_label l[2] = { L("node", v[i].name), L("type", v[i].type) };

		promtext_u64(t, "vigil_cluster_node_up", l, 2, v[i].connected ? 1 : 0);
	}
}

static void
text_process(struct promtext *t, struct node *n)
{
	struct rusage ru;
	long rss = procstat_rss_kb(), fds = procstat_open_fds();

	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		promtext_family(t, "process_cpu_seconds_total", "counter",
		    "User and system CPU time spent, in seconds.");
		promtext_f64(t, "process_cpu_seconds_total", NULL, 0,
		    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	}
	if (rss >= 0)
		gauge(t, "process_resident_memory_bytes", "Resident memory size in bytes.",
		    (double)rss * 1024);
	if (fds >= 0)
		gauge(t, "process_open_fds", "Number of open file descriptors.", (double)fds);
	gauge(t, "process_max_fds", "Maximum number of open file descriptors.",
	    (double)n->fd_limit);
	gauge(t, "process_start_time_seconds", "Start time of the process since the epoch, "
	    "in seconds.", (double)n->started);
}

/*
 * metrics_text: the whole exposition (caller frees), its length in *len;
 * NULL when out of memory.  Timed into n->metrics_build_s, which the next
 * scrape shows.
 */
static char *
metrics_text(struct node *n, size_t *len)
{
	struct promtext t;
	struct timespec t0, t1;
	struct promtext_label info[3] = { L("node", n->cfg.name),
	    L("role", n->cfg.role == ROLE_WORKER ? "worker" : "master"),
	    L("version", VIGIL_VERSION) };
	char *s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	promtext_init(&t);
	promtext_family(&t, "vigil_node_info", "gauge", "This node: its name, role and version.");
	promtext_u64(&t, "vigil_node_info", info, 3, 1);
	text_agents(&t, n);
	text_sessions(&t, n);
	text_sync(&t, n);
	text_enroll(&t, n);
	text_commands(&t, n);
	if (n->cfg.role == ROLE_MASTER)
		text_jobs(&t, n);
	text_api(&t, n);
	text_registry(&t, n);
	text_limits(&t, n);
	text_cluster(&t, n);
	text_process(&t, n);
	counter(&t, "vigil_metrics_scrapes_total", "GET /metrics answered.", n->metrics_scrapes);
	gauge(&t, "vigil_metrics_build_seconds",
	    "Time the previous GET /metrics took to build its text.", n->metrics_build_s);
	s = promtext_take(&t, len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	n->metrics_build_s = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	n->metrics_scrapes++;
	return s;
}

static void
metrics_reply(struct api_req *r)
{
	size_t len;
	char *s = metrics_text(r->node, &len);

	if (s == NULL) {
		log_warnx("metrics: out of memory building the text");
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	api_send(r, 200, CTYPE, s, len);
	free(s);
}

/* GET /metrics on the API port: a JWT with cluster:read, or the metrics token (api_dispatch). */
void
api_get_metrics(struct api_req *r)
{
	static const char *const params[] = { "pretty", "wait_for_complete", NULL };

	if (api_check(r, params) == -1)
		return;
	metrics_reply(r);
}

/* ---- the metrics port ---- */

/*
 * metrics_dispatch: the metrics port serves GET /metrics (any query
 * ignored) and nothing else (404); with --metrics-token-file, only to its
 * bearer token (401 otherwise, in the API's error shape).
 */
static void
metrics_dispatch(struct evhttp_request *req, void *arg)
{
	static const char notfound[] = "{\"title\": \"Not Found\", \"detail\": \"404: Not Found\"}";
	struct node *n = arg;
	struct api_req r;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;

	memset(&r, 0, sizeof(r));
	r.node = n;
	r.req = req;
	r.method = "GET";
	api_conn_request(req);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || path == NULL ||
	    strcmp(path, "/metrics") != 0) {
		api_send(&r, 404, "application/problem+json; charset=utf-8", notfound,
		    sizeof(notfound) - 1);
		return;
	}
	if (n->metrics_token[0] != '\0' && !api_metrics_token_ok(n, req)) {
		api_reply_problem(&r, 401, 0, auth_bearer(evhttp_find_header(
		    evhttp_request_get_input_headers(req), "Authorization")) == NULL ?
		    "No authorization token provided" : "Invalid token");
		return;
	}
	metrics_reply(&r);
}

static struct bufferevent *
metrics_bevcb(struct event_base *base, void *arg)
{
	struct node *n = arg;

	return api_conn_bev(base, n, n->metrics_http, &n->gate_metrics);
}

int
api_metrics_listen(struct node *n)
{
	if (n->cfg.metrics_port == 0)
		return 0;
	/* GET only: no request has a body worth more than a few bytes */
	n->metrics_http = api_http_new(n, 1024, metrics_dispatch, metrics_bevcb, "metrics",
	    n->cfg.metrics_bind, n->cfg.metrics_port);
	return n->metrics_http != NULL ? 0 : -1;
}

void
api_metrics_free(struct node *n)
{
	if (n->metrics_http != NULL)
		evhttp_free(n->metrics_http);
	n->metrics_http = NULL;
	free(n->api_stats);
	n->api_stats = NULL;
}
