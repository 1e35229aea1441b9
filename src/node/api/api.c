/* api.c — the REST API server: HTTPS (evhttp over bufferevent_openssl),
 * routing, JWT authentication and the reply helpers.  Endpoints live in
 * api_default.c, api_agents.c, api_cluster.c and api_manager.c, one file per
 * endpoint family.
 */
#include "node/api/api.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "lib/log.h"
#include "node/api/api_errors.h"
#include "node/api/api_params.h"
#include "node/api/api_sec.h"
#include "node/api/auth.h"
#include "node/api/console.h"
#include "node/api/rbac.h"
#include "node/api/rbac_pol.h"
#include "node/core/agent.h"
#include "node/registry/registry.h"

/*
 * Request bodies: each connection may take up to --api-max-body-kib (Wazuh's
 * max_upload_size, 10 MiB) while --api-body-budget-kib lasts, reserved at the
 * accept for the connection's life (evhttp 2.1 tells nothing between the
 * accept and a complete request, so the reservation cannot wait for a
 * Content-Length); once the budget is spent, a connection gets API_BODY_FLOOR,
 * which every request but a group file upload fits in.  Bodies then hold at
 * most the budget plus API_BODY_FLOOR per connection, where 256 connections
 * of 10 MiB held 2.5 GiB.  A body over its connection's limit is answered 413.
 */
#define API_BODY_FLOOR (64 * 1024)
/*
 * The request line and headers together.  A token is under 1 KiB and
 * aiohttp, Wazuh's server, takes lines of 8 KiB; one header line that never
 * ended grew vigild by 250 MB.  Beyond this evhttp answers 413 and closes.
 */
#define API_MAX_HEADERS (32 * 1024)
#define API_TIMEOUT 10                     /* Wazuh's request_timeout */

enum { M_GET = 1, M_POST = 2, M_PUT = 4, M_DELETE = 8 };

/*
 * One row per path.  rbac holds, per method (GET, POST, PUT, DELETE), what
 * the method needs: RBAC_PUBLIC (no token), RBAC_TOKEN (any valid token) or
 * the RBAC permissions of the contract's x-rbac-actions (rbac.h).  0 for a
 * method the row serves is a bug that api_listen refuses.
 */
struct api_route {
	const char *pattern;   /* segments; "*" matches one segment */
	int methods;
	void (*get)(struct api_req *);
	void (*post)(struct api_req *);
	void (*put)(struct api_req *);
	void (*del)(struct api_req *);
	uint64_t rbac[4];
};

static const struct api_route api_routes[] = {
	{ "", M_GET, api_get_root, NULL, NULL, NULL, { RBAC_TOKEN } },
	{ "security/user/authenticate", M_GET | M_POST | M_DELETE, api_login, api_login, NULL,
	    api_logout, { RBAC_PUBLIC, RBAC_PUBLIC, 0, RBAC_TOKEN } },
	{ "security/user/revoke", M_PUT, NULL, NULL, api_put_revoke, NULL, { 0, 0, RBAC_REVOKE } },
	{ "security/users", M_GET | M_POST | M_DELETE, api_get_users, api_post_users, NULL,
	    api_delete_users, { RBAC_USERS_READ | RBAC_LIST, RBAC_USERS_CREATE, 0,
	    RBAC_USERS_DELETE | RBAC_LIST } },
	{ "security/users/me", M_GET, api_get_user_me, NULL, NULL, NULL, { RBAC_TOKEN } },
	{ "security/users/me/policies", M_GET, api_get_user_me_policies, NULL, NULL, NULL,
	    { RBAC_TOKEN } },
	{ "security/users/*", M_PUT, NULL, NULL, api_put_user, NULL, { 0, 0, RBAC_USERS_UPDATE } },
	{ "security/users/*/roles", M_POST | M_DELETE, NULL, api_post_user_roles, NULL,
	    api_delete_user_roles, { 0, RBAC_USER_ROLES_SET | RBAC_LIST, 0,
	    RBAC_USER_ROLES_DELETE | RBAC_LIST } },
	{ "security/user/authenticate/run_as", M_POST, NULL, api_login_run_as, NULL, NULL,
	    { 0, RBAC_PUBLIC } },
	{ "security/users/*/run_as", M_PUT, NULL, NULL, api_put_user_run_as, NULL,
	    { 0, 0, RBAC_EDIT_RUN_AS } },
	{ "security/roles", M_GET | M_POST | M_DELETE, api_get_roles, api_post_roles, NULL,
	    api_delete_roles, { RBAC_ROLES_READ | RBAC_LIST, RBAC_SEC_CREATE, 0,
	    RBAC_ROLES_DELETE | RBAC_LIST } },
	{ "security/roles/*", M_PUT, NULL, NULL, api_put_role, NULL, { 0, 0, RBAC_ROLES_UPDATE } },
	{ "security/roles/*/policies", M_POST | M_DELETE, NULL, api_post_role_policies, NULL,
	    api_delete_role_policies, { 0, RBAC_ROLE_POLICIES_SET | RBAC_LIST, 0,
	    RBAC_ROLE_POLICIES_DELETE | RBAC_LIST } },
	{ "security/roles/*/rules", M_POST | M_DELETE, NULL, api_post_role_rules, NULL,
	    api_delete_role_rules, { 0, RBAC_ROLE_RULES_SET | RBAC_LIST, 0,
	    RBAC_ROLE_RULES_DELETE | RBAC_LIST } },
	{ "security/policies", M_GET | M_POST | M_DELETE, api_get_policies, api_post_policies, NULL,
	    api_delete_policies, { RBAC_POLICIES_READ | RBAC_LIST, RBAC_SEC_CREATE, 0,
	    RBAC_POLICIES_DELETE | RBAC_LIST } },
	{ "security/policies/*", M_PUT, NULL, NULL, api_put_policy, NULL,
	    { 0, 0, RBAC_POLICIES_UPDATE } },
	{ "security/rules", M_GET | M_POST | M_DELETE, api_get_rules, api_post_rules, NULL,
	    api_delete_rules, { RBAC_RULES_READ | RBAC_LIST, RBAC_SEC_CREATE, 0,
	    RBAC_RULES_DELETE | RBAC_LIST } },
	{ "security/rules/*", M_PUT, NULL, NULL, api_put_rule, NULL, { 0, 0, RBAC_RULES_UPDATE } },
	{ "security/actions", M_GET, api_get_security_actions, NULL, NULL, NULL, { RBAC_TOKEN } },
	{ "security/resources", M_GET, api_get_security_resources, NULL, NULL, NULL, { RBAC_TOKEN } },
	{ "security/config", M_GET | M_PUT | M_DELETE, api_get_security_config, NULL,
	    api_put_security_config, api_delete_security_config,
	    { RBAC_CONFIG_READ, 0, RBAC_CONFIG_UPDATE, RBAC_CONFIG_UPDATE } },
	{ "agents", M_GET | M_POST | M_DELETE, api_get_agents, api_post_agents, NULL,
	    api_delete_agents, { RBAC_AGENT_READ | RBAC_LIST, RBAC_AGENT_CREATE, 0,
	    RBAC_AGENT_DELETE | RBAC_LIST } },
	{ "agents/insert", M_POST, NULL, api_post_agents_insert, NULL, NULL,
	    { 0, RBAC_AGENT_CREATE } },
	{ "agents/insert/quick", M_POST, NULL, api_post_agents_insert_quick, NULL, NULL,
	    { 0, RBAC_AGENT_CREATE } },
	{ "agents/summary/status", M_GET, api_get_agents_summary, NULL, NULL, NULL,
	    { RBAC_AGENT_READ | RBAC_LIST } },
	{ "agents/summary/os", M_GET, api_get_agents_summary_os, NULL, NULL, NULL,
	    { RBAC_AGENT_READ | RBAC_LIST } },
	{ "agents/stats/distinct", M_GET, api_get_agents_distinct, NULL, NULL, NULL,
	    { RBAC_AGENT_READ | RBAC_LIST } },
	{ "agents/outdated", M_GET, api_get_agents_outdated, NULL, NULL, NULL,
	    { RBAC_AGENT_READ | RBAC_LIST } },
	{ "agents/no_group", M_GET, api_get_agents_no_group, NULL, NULL, NULL,
	    { RBAC_AGENT_READ | RBAC_LIST } },
	{ "agents/*/key", M_GET, api_get_agent_key, NULL, NULL, NULL, { RBAC_AGENT_READ } },
	{ "agents/*/group", M_DELETE, NULL, NULL, NULL, api_delete_agent_groups,
	    { 0, 0, 0, RBAC_AGENT_GROUP_ASSIGN | RBAC_LIST } },
	{ "agents/*/group/is_sync", M_GET, api_get_agent_is_sync, NULL, NULL, NULL,
	    { RBAC_AGENT_READ } },
	{ "agents/restart", M_PUT, NULL, NULL, api_put_agents_restart, NULL,
	    { 0, 0, RBAC_AGENT_RESTART } },
	{ "agents/*/restart", M_PUT, NULL, NULL, api_put_agent_restart, NULL,
	    { 0, 0, RBAC_AGENT_RESTART } },
	{ "agents/node/*/restart", M_PUT, NULL, NULL, api_put_node_restart, NULL,
	    { 0, 0, RBAC_NODE_AGENT_RESTART | RBAC_LIST } },
	{ "agents/reconnect", M_PUT, NULL, NULL, api_put_agents_reconnect, NULL,
	    { 0, 0, RBAC_AGENT_RECONNECT } },
	{ "agents/group", M_PUT | M_DELETE, NULL, NULL, api_put_agents_group, api_delete_agents_group,
	    { 0, 0, RBAC_AGENT_GROUP_ASSIGN | RBAC_LIST, RBAC_AGENT_GROUP_ASSIGN | RBAC_LIST } },
	{ "jobs", M_GET, api_get_jobs, NULL, NULL, NULL, { RBAC_AGENT_READ | RBAC_LIST } },
	{ "jobs/*", M_GET, api_get_job, NULL, NULL, NULL, { RBAC_AGENT_READ | RBAC_LIST } },
	{ "jobs/*/cancel", M_PUT, NULL, NULL, api_put_job_cancel, NULL,
	    { 0, 0, RBAC_AGENT_RESTART | RBAC_LIST } },
	{ "agents/group/*/restart", M_PUT, NULL, NULL, api_put_group_restart, NULL,
	    { 0, 0, RBAC_GROUP_AGENT_RESTART | RBAC_LIST } },
	{ "agents/*/group/*", M_PUT | M_DELETE, NULL, NULL, api_put_agent_group,
	    api_delete_agent_group, { 0, 0, RBAC_AGENT_GROUP_ASSIGN, RBAC_AGENT_GROUP_ASSIGN } },
	{ "groups", M_GET | M_POST | M_DELETE, api_get_groups, api_post_groups, NULL,
	    api_delete_groups, { RBAC_GROUP_READ | RBAC_LIST, RBAC_GROUP_CREATE, 0,
	    RBAC_GROUP_DELETE | RBAC_LIST } },
	{ "groups/*/agents", M_GET, api_get_group_agents, NULL, NULL, NULL,
	    { RBAC_GROUP_AGENTS_READ | RBAC_LIST } },
	{ "groups/*/files", M_GET, api_get_group_files, NULL, NULL, NULL, { RBAC_GROUP_READ } },
	{ "groups/*/files/*", M_GET, api_get_group_file, NULL, NULL, NULL, { RBAC_GROUP_READ } },
	{ "groups/*/configuration", M_GET | M_PUT, api_get_group_config, NULL, api_put_group_config,
	    NULL, { RBAC_GROUP_READ, 0, RBAC_GROUP_UPDATE_CONFIG } },
	{ "cluster/status", M_GET, api_get_cluster_status, NULL, NULL, NULL, { RBAC_CLUSTER_STATUS } },
	{ "cluster/local/info", M_GET, api_get_cluster_local_info, NULL, NULL, NULL,
	    { RBAC_CLUSTER_READ } },
	{ "cluster/nodes", M_GET, api_get_cluster_nodes, NULL, NULL, NULL, { RBAC_CLUSTER_READ } },
	{ "cluster/healthcheck", M_GET, api_get_cluster_healthcheck, NULL, NULL, NULL,
	    { RBAC_CLUSTER_READ } },
	{ "cluster/*/info", M_GET, api_get_cluster_node_info, NULL, NULL, NULL, { RBAC_CLUSTER_READ } },
	{ "manager/info", M_GET, api_get_manager_info, NULL, NULL, NULL, { RBAC_MANAGER_READ } },
	{ "manager/status", M_GET, api_get_manager_status, NULL, NULL, NULL, { RBAC_MANAGER_READ } },
	/* also open to --metrics-token-file's bearer token (api_dispatch) */
	{ "metrics", M_GET, api_get_metrics, NULL, NULL, NULL, { RBAC_CLUSTER_READ } },
};

#define API_NROUTES (sizeof(api_routes) / sizeof(api_routes[0]))

/*
 * api_print_routes: one line per method of each route, "PUT /agents/restart
 * agent:restart ...", with "public" or "token" for routes that need no
 * permission.  The docs test holds docs/api.md to this (vigild --print-routes).
 */
void
api_print_routes(FILE *f)
{
	static const char *const names[4] = { "GET", "POST", "PUT", "DELETE" };
	size_t i;
	int m, p;

	for (i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++) {
		const struct api_route *rt = &api_routes[i];

		for (m = 0; m < 4; m++) {
			uint64_t need = rt->rbac[m];

			if ((rt->methods & (1 << m)) == 0)
				continue;
			fprintf(f, "%s /%s", names[m], rt->pattern);
			if (need & RBAC_PUBLIC)
				fputs(" public", f);
			else if (need & RBAC_TOKEN)
				fputs(" token", f);
			else
				for (p = 0; p < RBAC_P_COUNT; p++) {
					const char *a = rbac_perm_action((enum rbac_perm)p);
					int q, seen = 0;

					for (q = 0; q < p && !seen; q++)   /* security:update on users and roles */
						seen = (need & RBAC_BIT(q)) &&
						    strcmp(rbac_perm_action((enum rbac_perm)q), a) == 0;
					if ((need & RBAC_BIT(p)) && !seen)
						fprintf(f, " %s", a);
				}
			fputc('\n', f);
		}
	}
}

/* The name Wazuh's spec gives a "*" segment, by the segment before it. */
static const char *
param_name(const char *prev)
{
	static const struct { const char *seg, *name; } names[] = {
		{ "agents", "{agent_id}" }, { "group", "{group_id}" }, { "groups", "{group_id}" },
		{ "node", "{node_id}" }, { "cluster", "{node_id}" }, { "users", "{user_id}" },
		{ "roles", "{role_id}" }, { "policies", "{policy_id}" }, { "rules", "{rule_id}" },
		{ "files", "{file_name}" },
	};
	size_t i;

	for (i = 0; prev != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].seg, prev) == 0)
			return names[i].name;
	return "{id}";
}

size_t
api_route_count(void)
{
	return API_NROUTES;
}

int
api_route_template(size_t k, char *buf, size_t cap)
{
	char pat[128], *tok, *save = NULL, *prev = NULL;
	size_t len = 0;

	if (k >= API_NROUTES || cap == 0)
		return -1;
	buf[0] = '\0';
	snprintf(pat, sizeof(pat), "%s", api_routes[k].pattern);
	if (pat[0] == '\0')
		len += (size_t)snprintf(buf, cap, "/");
	for (tok = strtok_r(pat, "/", &save); tok != NULL && len < cap;
	    prev = tok, tok = strtok_r(NULL, "/", &save))
		len += (size_t)snprintf(buf + len, cap - len, "/%s",
		    strcmp(tok, "*") == 0 ? param_name(prev) : tok);
	return len < cap ? 0 : -1;
}

int
api_endpoint(size_t i, char *buf, size_t cap, uint64_t *need)
{
	static const char *const names[4] = { "GET", "POST", "PUT", "DELETE" };
	size_t k, len;
	int m;

	for (k = 0; k < API_NROUTES; k++)
		for (m = 0; m < 4; m++) {
			if ((api_routes[k].methods & (1 << m)) == 0 || i-- > 0)
				continue;
			*need = api_routes[k].rbac[m];
			len = (size_t)snprintf(buf, cap, "%s ", names[m]);
			if (len < cap)
				api_route_template(k, buf + len, cap - len);
			return 0;
		}
	return -1;
}

const char *
api_param_get(const struct api_req *r, const char *key)
{
	size_t i;

	for (i = r->nparams; i > 0; i--)
		if (strcmp(r->params[i - 1].key, key) == 0)
			return r->params[i - 1].value;
	return NULL;
}

/*
 * One API connection's limits, tied to its SSL object (ex_data) and freed
 * with it, which is when evhttp frees the connection: evhttp 2.1 accepts by
 * itself and tells nothing else of a connection's life.  Right after the
 * accept the connection is counted against --api-max-connections and
 * --api-max-per-source; then each request must be complete (handshake
 * included, for the first) within --api-deadline of the accept or of the
 * last answer, whatever bytes arrive.  evhttp is made to close a connection
 * by shutting its socket down: it reads the end and frees it its own way.
 */
struct api_conn {
	struct node *node;
	struct node_gate *gate;     /* the listener's limits: the API's or the metrics port's */
	struct bufferevent *bev;
	struct event *ev;           /* the admission, then the deadline */
	char src[64];
	int checked;                /* the admission ran */
	int admitted;               /* counted in gate_api */
	int busy;                   /* a complete request is being answered */
	size_t body_reserved;       /* of the node's body budget (api_body_reserved) */
	size_t slot;                /* the request's route and method (api_stats_slot) */
	struct timespec t0;         /* when the request was complete */
};
static int api_conn_idx = -1;

static void
api_conn_ssl_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct api_conn *c = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (c == NULL)
		return;
	if (c->admitted)
		node_gate_leave(c->gate, c->src);
	c->node->api_body_reserved -= c->body_reserved;
	if (c->ev != NULL)
		event_free(c->ev);
	free(c);
}

static void
api_conn_drop(struct api_conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (fd != -1)
		shutdown(fd, SHUT_RDWR);
}

static void
api_conn_arm(struct api_conn *c)
{
	struct timeval tv = { c->gate->deadline, 0 };

	evtimer_add(c->ev, &tv);
}

static void
api_conn_cb(evutil_socket_t unused, short what, void *arg)
{
	struct api_conn *c = arg;
	struct node *n = c->node;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd;

	(void)unused;
	(void)what;
	if (c->checked) {
		if (!c->busy) {
			node_gate_late(n, c->gate, c->src);
			api_conn_drop(c);
		}
		return;
	}
	c->checked = 1;
	if ((fd = bufferevent_getfd(c->bev)) == -1 ||
	    getpeername(fd, (struct sockaddr *)&ss, &sl) == -1)
		return;   /* evhttp failed it, or the peer is gone already */
	if (node_gate_admit(n, c->gate, (struct sockaddr *)&ss, c->src, sizeof(c->src)) == -1) {
		api_conn_drop(c);
		return;
	}
	c->admitted = 1;
	if (!c->busy)
		api_conn_arm(c);
}

static struct api_conn *
api_conn_of(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	SSL *ssl;

	if (evcon == NULL || (bev = evhttp_connection_get_bufferevent(evcon)) == NULL ||
	    (ssl = bufferevent_openssl_get_ssl(bev)) == NULL)
		return NULL;
	return SSL_get_ex_data(ssl, api_conn_idx);
}

void
api_conn_request(struct evhttp_request *req)
{
	struct api_conn *c = api_conn_of(req);

	if (c == NULL)
		return;
	c->busy = 1;
	c->slot = api_stats_slot(API_NROUTES, NULL);
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	if (c->checked)
		evtimer_del(c->ev);
}

/* api_conn_route: the request on req's connection is for route k (API_NROUTES: none). */
static void
api_conn_route(struct evhttp_request *req, size_t k, const char *method)
{
	struct api_conn *c = api_conn_of(req);

	if (c != NULL)
		c->slot = api_stats_slot(k, method);
}

/*
 * api_conn_answered: the answer (status) is on its way: counted with its
 * route and time, and the next request has a deadline again.
 */
static void
api_conn_answered(struct evhttp_request *req, int status)
{
	struct api_conn *c = api_conn_of(req);
	struct timespec t1;

	if (c == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (c->gate == &c->node->gate_api)   /* the metrics port's are scrapes, not API requests */
		api_stats_count(c->node, c->slot, status, (double)(t1.tv_sec - c->t0.tv_sec) +
		    (double)(t1.tv_nsec - c->t0.tv_nsec) / 1e9);
	c->busy = 0;
	if (c->checked)
		api_conn_arm(c);
}

void
api_send(struct api_req *r, int status, const char *ctype, const char *body, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	struct evbuffer *out = evbuffer_new();
	const char *reason;

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Server", "Vigil");
	if (out != NULL)
		evbuffer_add(out, body, len);
	switch (status) {
	case 200: reason = "OK"; break;
	case 301: reason = "Moved Permanently"; break;
	case 304: reason = "Not Modified"; break;
	case 400: reason = "Bad Request"; break;
	case 401: reason = "Unauthorized"; break;
	case 403: reason = "Forbidden"; break;
	case 404: reason = "Not Found"; break;
	case 503: reason = "Service Unavailable"; break;
	case 405: reason = "Method Not Allowed"; break;
	case 406: reason = "Not Acceptable"; break;
	case 413: reason = "Request Entity Too Large"; break;
	case 429: reason = "Too Many Requests"; break;
	default: reason = "Internal Server Error"; break;
	}
	api_conn_answered(r->req, status);
	evhttp_send_reply(r->req, status, reason, out);
	if (out != NULL)
		evbuffer_free(out);
}

static void
api_send_body(struct api_req *r, int status, const char *ctype, json_t *body)
{
	char *s;

	s = json_dumps(body, r->pretty ? JSON_INDENT(3) : 0);
	json_decref(body);
	if (s == NULL) {
		static const char err[] = "{\"title\": \"Wazuh Internal Error\", "
		    "\"detail\": \"Wazuh Internal Error\", \"error\": 1000}";

		api_send(r, 500, "application/problem+json; charset=utf-8", err, sizeof(err) - 1);
		return;
	}
	api_send(r, status, ctype, s, strlen(s));
	free(s);
}

/* api_held_gone: the connection of a held request is being freed. */
static void
api_held_gone(struct evhttp_connection *evcon, void *arg)
{
	struct api_held *h = arg;

	(void)evcon;
	h->evcon = NULL;
	/* still attached: libevent frees the request with its connection */
	if (h->req != NULL && evhttp_request_get_connection(h->req) != NULL)
		h->req = NULL;
}

void
api_hold(struct api_held *h, struct api_req *r)
{
	h->node = r->node;
	h->req = r->req;
	h->pretty = r->pretty;
	if ((h->evcon = evhttp_request_get_connection(r->req)) != NULL)
		evhttp_connection_set_closecb(h->evcon, api_held_gone, h);
}

int
api_resume(struct api_held *h, struct api_req *r)
{
	if (h->evcon != NULL)
		evhttp_connection_set_closecb(h->evcon, NULL, NULL);
	h->evcon = NULL;
	if (h->req == NULL)
		return 0;
	memset(r, 0, sizeof(*r));
	r->node = h->node;
	r->req = h->req;
	r->pretty = h->pretty;
	h->req = NULL;
	return 1;
}

void
api_reply_json(struct api_req *r, int status, json_t *body)
{
	api_send_body(r, status, "application/json", body);
}

void
api_reply_problem(struct api_req *r, int http_status, int code, const char *detail)
{
	const char *node = NULL;

	/*
	 * A registry that failed because this node is no longer the coordinator
	 * (registry_term): not an internal error, a "try again" (the node steps
	 * down at its next tick; another one answers then).
	 */
	if (http_status == 500 && registry_term(r->node->reg) == -1) {
		http_status = 503;
		code = 1793;
		detail = NULL;
	}

	/* Wazuh adds dapi_errors for framework errors (those with a code). */
	if (code != 0 && http_status != 401 && http_status != 429)
		node = r->node->cfg.name;
	api_send_body(r, http_status, "application/problem+json; charset=utf-8",
	    api_problem(http_status, code, detail, node));
}

void
api_reply_problem_node(struct api_req *r, int http_status, int code, const char *detail,
    const char *node)
{
	api_send_body(r, http_status, "application/problem+json; charset=utf-8",
	    api_problem(http_status, code, detail, node));
}

void
api_reply_qerr(struct api_req *r, const struct api_qerr *e)
{
	const char *node = NULL;
	json_t *body;

	if (e->remediation[0] == '\0') {
		api_reply_problem(r, e->http_status, e->code, e->detail[0] ? e->detail : NULL);
		return;
	}
	/* Wazuh appends extra_remediation to the code's remediation (same key, same place). */
	if (e->code != 0)
		node = r->node->cfg.name;
	body = api_problem(e->http_status, e->code, e->detail[0] ? e->detail : NULL, node);
	if (body != NULL && json_object_get(body, "remediation") != NULL)
		json_object_set_new(body, "remediation", json_string(e->remediation));
	api_send_body(r, e->http_status, "application/problem+json; charset=utf-8", body);
}

void
api_reply_text(struct api_req *r, int status, const char *ctype, const char *text)
{
	api_send(r, status, ctype, text, strlen(text));
}

int
api_content_type_is(struct api_req *r, const char *type)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Content-Type");
	size_t n = strlen(type);

	if (h == NULL)
		return 0;
	while (*h == ' ')
		h++;
	return strncasecmp(h, type, n) == 0 && (h[n] == '\0' || h[n] == ';' || h[n] == ' ');
}

char *
api_body(struct api_req *r, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t n = in != NULL ? evbuffer_get_length(in) : 0;
	char *b;

	if ((b = malloc(n + 1)) == NULL)
		return NULL;
	if (n > 0 && evbuffer_copyout(in, b, n) != (ev_ssize_t)n) {
		free(b);
		return NULL;
	}
	b[n] = '\0';
	*len = n;
	return b;
}

int
api_long_param(struct api_req *r, const char *key, long min, long max, long *v)
{
	const char *s = api_param_get(r, key);
	char *end, detail[160];
	long long x;

	if (s == NULL)
		return 0;
	x = strtoll(s, &end, 10);
	if (*s != '\0' && *end == '\0' && x >= min && x <= max) {
		*v = (long)x;
		return 0;
	}
	/* Wazuh answers an offset past 64 bits with an empty page. */
	if (*s != '\0' && *end == '\0' && x > max && strcmp(key, "offset") == 0) {
		*v = max;
		return 0;
	}
	snprintf(detail, sizeof(detail), "Invalid '%s': an integer from %ld to %ld is expected", key,
	    min, max);
	api_reply_problem(r, 400, 0, detail);
	return -1;
}

int
api_check(struct api_req *r, const char *const *allowed)
{
	struct api_qerr e;

	if (api_check_params(r->params, r->nparams, allowed, &e) == -1) {
		api_reply_qerr(r, &e);
		return -1;
	}
	return 0;
}

/*
 * token_roles: the roles a valid token acts with, into r: a run_as token's
 * own (only while its user may still run as), else the user's current
 * ones.  -1 when the token stands no more: a role of it was deleted or
 * revoked since it was issued (Wazuh's roles blacklist), or run_as tokens
 * were revoked.
 */
static int
token_roles(struct api_req *r, const struct registry_user *u, const struct auth_token *t)
{
	struct api_sec *sec = r->node->api_sec;
	const struct sec_role *role;
	size_t i;

	r->run_as = t->run_as;
	if (t->run_as) {
		if (!u->allow_run_as || t->jti <= sec->run_as_revoked_ms)
			return -1;
		memcpy(r->roles, t->roles, t->nroles * sizeof(t->roles[0]));
		r->nroles = t->nroles;
	} else {
		for (i = 0; i < u->nroles && i < AUTH_ROLES_MAX; i++)
			r->roles[i] = u->roles[i];
		r->nroles = i;
	}
	for (i = 0; i < r->nroles; i++)
		if ((role = api_sec_role(sec, r->roles[i])) == NULL || t->jti <= role->revoked_ms)
			return -1;
	/* the roles it was issued with, too: one deleted or changed since ends it */
	for (i = 0; i < t->nroles; i++)
		if ((role = api_sec_role(sec, t->roles[i])) == NULL || t->jti <= role->revoked_ms)
			return -1;
	return 0;
}

/* perms_of: the permissions pol may grant on some resource of their type. */
static uint64_t
perms_of(const struct rbac_pol *pol, int black)
{
	uint64_t have = 0;
	int p;

	for (p = 0; p < RBAC_P_COUNT; p++)
		if (rbac_pol_may(pol, rbac_perm_action((enum rbac_perm)p),
		    rbac_perm_resource((enum rbac_perm)p), black))
			have |= RBAC_BIT(p);
	return have;
}

/*
 * api_authenticate: checks "Authorization: Bearer <jwt>" and that the token
 * still stands: its user exists, it was not revoked, and it was issued under
 * the current security configuration (Wazuh answers "Token expired" for a
 * token of another lifetime or rbac_mode).  Fills r->user, r->uid, the
 * roles it acts with and their compiled policies.  Replies 401 and returns
 * -1 if bad.
 */
static int
api_authenticate(struct api_req *r)
{
	struct api_sec *sec = r->node->api_sec;
	struct registry_user u;
	struct auth_token t;
	const char *h;
	enum auth_verdict v;
	int found;

	h = auth_bearer(evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    "Authorization"));
	if (h == NULL) {
		api_reply_problem(r, 401, 0, "No authorization token provided");
		return -1;
	}
	v = auth_verify_claims(r->node->auth, h, time(NULL), &t);
	if (v == AUTH_OK && (t.exp - t.nbf != sec->token_lifetime ||
	    strcmp(t.rbac_mode, sec->black_mode ? "black" : "white") != 0))
		v = AUTH_EXPIRED;
	if (v == AUTH_EXPIRED) {
		api_reply_problem(r, 401, 0, "Token expired");
		return -1;
	}
	if (v == AUTH_OK) {
		found = registry_user_find(r->node->reg, t.user, &u);
		if (found == -1) {
			api_reply_problem(r, 500, 1000, NULL);
			return -1;
		}
		explicit_bzero(u.hash, sizeof(u.hash));
		if (found == 0 || t.jti <= u.revoked_ms || t.jti <= sec->revoked_ms ||
		    token_roles(r, &u, &t) == -1)
			v = AUTH_INVALID;
	}
	if (v != AUTH_OK) {
		api_reply_problem(r, 401, 0, "Invalid token");
		return -1;
	}
	snprintf(r->user, sizeof(r->user), "%s", u.name);
	r->uid = u.id;
	if ((r->pol = api_sec_compiled(sec, r->roles, r->nroles)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return -1;
	}
	r->perms = perms_of(r->pol, sec->black_mode);
	return 0;
}

/* path_type: the resource type a route's "*" at segment i names (by the segment before it). */
static const char *
path_type(const char *pattern, size_t i)
{
	static const struct { const char *seg, *type; } types[] = {
		{ "agents", "agent:id" }, { "group", "group:id" }, { "groups", "group:id" },
		{ "node", "node:id" }, { "cluster", "node:id" }, { "users", "user:id" },
		{ "roles", "role:id" }, { "policies", "policy:id" }, { "rules", "rule:id" },
	};
	char buf[128], *tok, *save = NULL, *prev = NULL;
	size_t k = 0, j;

	snprintf(buf, sizeof(buf), "%s", pattern);
	for (tok = strtok_r(buf, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save), k++) {
		if (k == i) {
			if (strcmp(tok, "*") != 0 || prev == NULL)
				return NULL;
			for (j = 0; j < sizeof(types) / sizeof(types[0]); j++)
				if (strcmp(types[j].seg, prev) == 0)
					return types[j].type;
			return NULL;
		}
		prev = tok;
	}
	return NULL;
}

int
api_allowed_agent(const struct api_req *r, enum rbac_perm p, const struct agent *a)
{
	char id[16];
	struct rbac_res res = { "agent:id", id, a->group };

	snprintf(id, sizeof(id), "%03u", a->id);
	return rbac_pol_allows(r->pol, rbac_perm_action(p), &res, r->node->api_sec->black_mode);
}

int
api_allowed(const struct api_req *r, enum rbac_perm p, const char *value)
{
	struct rbac_res res = { rbac_perm_resource(p), value, NULL };
	const struct agent *a;
	char id[16], *end;
	unsigned long n;

	if (strcmp(res.type, "*:*") == 0)
		res.value = "*";
	else if (strcmp(res.type, "agent:id") == 0) {
		n = strtoul(value, &end, 10);
		if (*value >= '0' && *value <= '9' && *end == '\0' && n <= 99999999) {
			if ((a = registry_agent_by_id(r->node->reg, (unsigned int)n)) != NULL &&
			    !a->removed)
				return api_allowed_agent(r, p, a);
			snprintf(id, sizeof(id), "%03lu", n);
			res.value = id;
		}
	}
	return rbac_pol_allows(r->pol, rbac_perm_action(p), &res, r->node->api_sec->black_mode);
}

void
api_reply_denied(struct api_req *r, enum rbac_perm p)
{
	char detail[96];

	snprintf(detail, sizeof(detail), "Permission denied: Resource type: %s",
	    rbac_perm_resource(p));
	api_send_body(r, 403, "application/problem+json; charset=utf-8",
	    api_problem(403, 4000, detail, api_may_read_nodes(r) ? r->node->cfg.name :
	    "unknown-node"));
}

int
api_deny_named(struct api_req *r, enum rbac_perm p, const char *const *values, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (api_allowed(r, p, values[i]))
			return 0;
	if (n == 0)
		return 0;
	api_reply_denied(r, p);
	return 1;
}

/* path_names: whether a "*" segment of the route's path names a resource of type. */
static int
path_names(const struct api_req *r, const char *pattern, const char *type)
{
	const char *t;
	size_t i;

	for (i = 0; i < r->nsegs; i++)
		if ((t = path_type(pattern, i)) != NULL && strcmp(t, type) == 0)
			return 1;
	return 0;
}

/*
 * api_authorize: the route's permissions against the caller's policies:
 * one on a resource the path names (agents/{id}/..., groups/{id}/...) on
 * that resource, others on some resource of their type (the handler then
 * filters item by item) unless the route is a list route (RBAC_LIST) whose
 * handler filters them.  Replies 403 (4000, naming the first missing
 * permission's resource type) and returns -1 when one is missing.  As
 * Wazuh, the node is named only to users who may read node information.
 */
static int
api_authorize(struct api_req *r, const char *pattern, uint64_t need)
{
	const char *type;
	size_t i;
	int p, missing = -1, list = (need & RBAC_LIST) != 0;

	need &= ~(RBAC_PUBLIC | RBAC_TOKEN | RBAC_LIST);
	for (p = 0; p < RBAC_P_COUNT && missing == -1; p++) {
		if ((need & RBAC_BIT(p)) == 0)
			continue;
		type = rbac_perm_resource((enum rbac_perm)p);
		if ((r->perms & RBAC_BIT(p)) == 0 && (!list || strcmp(type, "*:*") == 0 ||
		    path_names(r, pattern, type)))
			missing = p;
		for (i = 0; i < r->nsegs && missing == -1; i++)
			if ((type = path_type(pattern, i)) != NULL &&
			    strcmp(type, rbac_perm_resource((enum rbac_perm)p)) == 0 &&
			    !api_allowed(r, (enum rbac_perm)p, r->segs[i]))
				missing = p;
	}
	if (missing == -1)
		return 0;
	api_reply_denied(r, (enum rbac_perm)missing);
	return -1;
}

size_t
api_filter_agents(const struct api_req *r, enum rbac_perm p, struct agent **v, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (api_allowed_agent(r, p, v[i]))
			v[k++] = v[i];
	return k;
}

int
api_may_read_nodes(const struct api_req *r)
{
	return (r->perms & RBAC_CLUSTER_READ) != 0;
}

static int
route_match(const char *pattern, char *const *segs, size_t nsegs)
{
	char buf[128], *tok, *save = NULL;
	size_t i = 0;

	snprintf(buf, sizeof(buf), "%s", pattern);
	for (tok = strtok_r(buf, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
		if (i >= nsegs)
			return 0;
		if (strcmp(tok, "*") != 0 && strcmp(tok, segs[i]) != 0)
			return 0;
		i++;
	}
	return i == nsegs;
}

static int
method_bit(enum evhttp_cmd_type cmd, const char **name)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: *name = "GET"; return M_GET;
	case EVHTTP_REQ_POST: *name = "POST"; return M_POST;
	case EVHTTP_REQ_PUT: *name = "PUT"; return M_PUT;
	case EVHTTP_REQ_DELETE: *name = "DELETE"; return M_DELETE;
	default: *name = "OTHER"; return 0;
	}
}

/*
 * bool_param: the boolean query parameter key into *out, left as it is when
 * absent.  A value that is not a boolean is answered 400 and gives -1.
 */
static int
bool_param(struct api_req *r, const char *key, int *out)
{
	const char *v = api_param_get(r, key);
	char detail[64];
	int b;

	if (v == NULL)
		return 0;
	if ((b = api_parse_bool(v)) == -1) {
		snprintf(detail, sizeof(detail), "'%s' is not of type 'boolean'", key);
		api_reply_problem(r, 400, 0, detail);
		return -1;
	}
	*out = b;
	return 0;
}

static void
api_dispatch(struct evhttp_request *req, void *arg)
{
	struct node *n = arg;
	struct api_req r;
	const struct evhttp_uri *uri;
	const char *rawpath, *query;
	char *path = NULL, *save = NULL, *tok;
	struct evkeyvalq q;
	struct evkeyval *kv;
	const struct api_route *rt = NULL;
	struct api_params ps = { NULL, 0, 0, NULL, 0 };
	char *owned[API_MAX_PARAMS];
	void (*fn)(struct api_req *) = NULL;
	uint64_t need = 0;
	size_t i;
	int bit;

	memset(&r, 0, sizeof(r));
	TAILQ_INIT(&q);
	r.node = n;
	r.req = req;
	n->stats.api_requests++;
	api_conn_request(req);
	bit = method_bit(evhttp_request_get_command(req), &r.method);
	api_conn_route(req, API_NROUTES, r.method);

	uri = evhttp_request_get_evhttp_uri(req);
	rawpath = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	if (rawpath == NULL || (path = evhttp_uridecode(rawpath, 0, NULL)) == NULL) {
		api_reply_problem(&r, 400, 0, "Malformed request path");
		goto out;
	}
	/* the web console's files: public, and not part of the API's contract */
	if (console_path(path)) {
		r.path = path;
		api_console(&r);
		goto out;
	}
	if (query != NULL && evhttp_parse_query_str(query, &q) == -1) {
		api_reply_problem(&r, 400, 0, "Malformed query string");
		goto out;
	}
	/* a repeated key combines as connexion combines it (api_params.h) */
	ps.v = r.params;
	ps.max = API_MAX_PARAMS;
	ps.owned = owned;
	TAILQ_FOREACH(kv, &q, next) {
		if (api_params_add(&ps, kv->key, kv->value) == -1) {
			api_reply_problem(&r, 400, 0, "Too many query parameters");
			goto out;
		}
	}
	r.nparams = ps.n;
	/* the two booleans every endpoint takes: pretty output, no request timeout */
	if (bool_param(&r, "pretty", &r.pretty) == -1 ||
	    bool_param(&r, "wait_for_complete", &r.wait_for_complete) == -1)
		goto out;
	r.path = path;
	for (tok = strtok_r(path, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
		if (r.nsegs == sizeof(r.segs) / sizeof(r.segs[0]))
			break;
		r.segs[r.nsegs++] = tok;
	}
	/* the first route that matches and serves the method, else the first that matches (405) */
	for (i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++) {
		if (route_match(api_routes[i].pattern, r.segs, r.nsegs)) {
			if (rt == NULL || (api_routes[i].methods & bit) != 0)
				rt = &api_routes[i];
			if ((rt->methods & bit) != 0)
				break;
		}
	}
	if (rt != NULL)
		api_conn_route(req, (size_t)(rt - api_routes), r.method);
	if (rt == NULL) {
		api_send(&r, 404, "application/problem+json; charset=utf-8",
		    "{\"title\": \"Not Found\", \"detail\": \"404: Not Found\"}", 50);
		goto out;
	}
	if ((rt->methods & bit) == 0) {
		api_send(&r, 405, "application/problem+json; charset=utf-8",
		    "{\"title\": \"Method Not Allowed\", \"detail\": \"405: Method Not Allowed\"}", 68);
		goto out;
	}
	switch (bit) {
	case M_GET: fn = rt->get; need = rt->rbac[0]; break;
	case M_POST: fn = rt->post; need = rt->rbac[1]; break;
	case M_PUT: fn = rt->put; need = rt->rbac[2]; break;
	case M_DELETE: fn = rt->del; need = rt->rbac[3]; break;
	}
	/* Prometheus cannot log in: the metrics token stands for a JWT there */
	if (fn == api_get_metrics && api_metrics_token_ok(n, req))
		need = RBAC_PUBLIC;
	if (need != RBAC_PUBLIC) {
		if (api_authenticate(&r) == -1)
			goto out;
		if (api_sec_request(r.node->api_sec, r.user, time(NULL)) == -1) {
			api_reply_problem(&r, 429, 6001, NULL);
			goto out;
		}
		if (api_authorize(&r, rt->pattern, need) == -1)
			goto out;
	}
	fn(&r);
out:
	api_params_clear(&ps);
	evhttp_clear_headers(&q);
	free(path);
}

#define API_MAX_IO (4 << 20)

int
api_conn_init(void)
{
	if (api_conn_idx == -1 &&
	    (api_conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, api_conn_ssl_free)) == -1)
		return -1;
	return 0;
}

/*
 * api_body_grant: the body limit of a connection being accepted, reserved
 * from the budget into c (see API_BODY_FLOOR).  evhttp 2.1 copies the
 * server's limit into the connection it creates right after api_bevcb.
 */
static size_t
api_body_grant(struct node *n, struct api_conn *c)
{
	size_t max = (size_t)n->cfg.api_max_body_kib * 1024;
	size_t budget = (size_t)n->cfg.api_body_budget_kib * 1024, left;

	if (n->cfg.api_body_budget_kib == 0 || max <= API_BODY_FLOOR)
		return max;
	left = budget > n->api_body_reserved ? budget - n->api_body_reserved : 0;
	if (left < API_BODY_FLOOR) {
		n->stats.api_bodies_short++;
		return API_BODY_FLOOR;
	}
	c->body_reserved = left < max ? left : max;
	n->api_body_reserved += c->body_reserved;
	return c->body_reserved;
}

struct bufferevent *
api_conn_bev(struct event_base *base, struct node *n, struct evhttp *http,
    struct node_gate *gate)
{
	struct api_conn *c;
	struct timeval now = { 0, 0 };
	SSL *ssl = SSL_new(n->tls_server);
	struct bufferevent *bev;

	if (ssl == NULL)
		return NULL;
	/* the admission runs once evhttp has given the connection its socket */
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->ev = evtimer_new(base, api_conn_cb, c)) == NULL) {
		free(c);
		SSL_free(ssl);
		return NULL;
	}
	c->node = n;
	c->gate = gate;
	if (SSL_set_ex_data(ssl, api_conn_idx, c) != 1) {
		event_free(c->ev);
		free(c);
		SSL_free(ssl);
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;   /* as before: evhttp refuses the connection */
	c->bev = bev;
	if (gate == &n->gate_api)
		evhttp_set_max_body_size(http, (ev_ssize_t)api_body_grant(n, c));
	evtimer_add(c->ev, &now);
	/*
	 * An answer listing 50,000 agents is ~0.5 MB; at the default 16 KiB per
	 * loop turn it took minutes to leave while 50,000 agents reconnected.
	 */
	bufferevent_set_max_single_write(bev, API_MAX_IO);
	bufferevent_set_max_single_read(bev, API_MAX_IO);
	return bev;
}

static struct bufferevent *
api_bevcb(struct event_base *base, void *arg)
{
	struct node *n = arg;

	return api_conn_bev(base, n, n->http, &n->gate_api);
}

/* api_routes_ok: every method a route serves has a handler and a stated requirement. */
static int
api_routes_ok(void)
{
	const struct api_route *rt;
	size_t i;
	int b;

	for (i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++) {
		rt = &api_routes[i];
		for (b = 0; b < 4; b++) {
			void (*fn)(struct api_req *) = b == 0 ? rt->get : b == 1 ? rt->post :
			    b == 2 ? rt->put : rt->del;

			if (((rt->methods & (1 << b)) != 0) != (fn != NULL) ||
			    (fn != NULL && rt->rbac[b] == 0)) {
				log_warnx("api: route '%s' method %d has no handler or no RBAC rule",
				    rt->pattern, b);
				return -1;
			}
		}
	}
	return 0;
}

struct evhttp *
api_http_new(struct node *n, size_t max_body, void (*gencb)(struct evhttp_request *, void *),
    struct bufferevent *(*bevcb)(struct event_base *, void *), const char *what,
    const char *addr, int port)
{
	struct evhttp_bound_socket *bound;
	struct evhttp *http;
	int one = 1;

	if (api_conn_init() == -1 || (http = evhttp_new(n->base)) == NULL)
		return NULL;
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_max_body_size(http, (ev_ssize_t)max_body);
	evhttp_set_max_headers_size(http, API_MAX_HEADERS);
	/* a body over the limit is read and dropped, then answered 413: the client sees why */
	evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_timeout(http, API_TIMEOUT);
	evhttp_set_bevcb(http, bevcb, n);
	evhttp_set_gencb(http, gencb, n);
	if ((bound = evhttp_bind_socket_with_handle(http, addr, (ev_uint16_t)port)) == NULL) {
		log_warn("%s: cannot listen on %s:%d", what, addr, port);
		evhttp_free(http);
		return NULL;
	}
	/*
	 * Accepted sockets inherit TCP_NODELAY from the listener.  Without it the
	 * TLS 1.3 session tickets and the answer wait on Nagle and the client's
	 * delayed ACK: about 40 ms on every new connection.
	 */
	if (setsockopt(evhttp_bound_socket_get_fd(bound), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) == -1)
		log_warn("%s: TCP_NODELAY", what);
	/* out of descriptors, evhttp would spin on accept(): pause like the others */
	node_listen_adopt(n, evhttp_bound_socket_get_listener(bound));
	return http;
}

int
api_listen(struct node *n)
{
	if (api_routes_ok() == -1)
		return -1;
	if ((n->api_sec = api_sec_new(n)) == NULL || api_stats_new(n) == -1)
		return -1;
	n->http = api_http_new(n, (size_t)n->cfg.api_max_body_kib * 1024, api_dispatch,
	    api_bevcb, "api", n->cfg.listen, n->cfg.api_port);
	return n->http != NULL ? 0 : -1;
}

void
api_free(struct node *n)
{
	if (n->http != NULL)
		evhttp_free(n->http);
	n->http = NULL;
	api_sec_free(n->api_sec);
	n->api_sec = NULL;
	api_metrics_free(n);
}
