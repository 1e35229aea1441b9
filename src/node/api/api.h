/* api.h — the REST API's request context and the endpoint handlers. */
#ifndef VIGIL_API_H
#define VIGIL_API_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <jansson.h>

#include "node/api/api_query.h"
#include "node/api/auth.h"
#include "node/api/rbac.h"
#include "node/core/node.h"

struct evhttp_request;
struct cluster_node_info;
struct rbac_pol;
struct agent;

#define API_MAX_PARAMS 64

struct api_req {
	struct node *node;
	struct evhttp_request *req;
	const char *method;              /* "GET", "PUT", ... */
	const char *path;                /* decoded path without the query */
	char *segs[8];                   /* path segments */
	size_t nsegs;
	struct api_param params[API_MAX_PARAMS];
	size_t nparams;
	char user[128];                  /* authenticated user */
	long long uid;                   /* and its id */
	uint64_t perms;                  /* permissions it may have on some resource (rbac.h) */
	const struct rbac_pol *pol;      /* its roles' compiled policies (only while dispatched) */
	int roles[AUTH_ROLES_MAX];       /* the roles its token acts with */
	size_t nroles;
	int run_as;                      /* the token came from an authorization context */
	int pretty;
	int wait_for_complete;           /* no request timeout (3021) */
};

/* api_agent_id_param: a path agent_id (^\d+$, 3..8 digits); else replies 400, -1 (api_agents.c). */
long api_agent_id_param(struct api_req *r, const char *id);
/* api_agents_snapshot: the registry's agents as a pointer array (api_agents.c; caller frees). */
struct agent **api_agents_snapshot(struct registry *reg, size_t *n);
/* api_reply_agents: GET /agents's answer for the query in params (api_agents.c). */
void api_reply_agents(struct api_req *r, const struct api_param *params, size_t n);

/*
 * The HTTP listeners (api.c): the API's, and the metrics port's
 * (api_metrics.c), with the same limits: headers, deadlines, caps per
 * listener (node_gate), TLS with the node's certificate.
 */
struct evhttp;
struct bufferevent;
struct event_base;
/* api_conn_init: once per process, before a connection is made; 0 / -1. */
int api_conn_init(void);
/*
 * api_http_new: an HTTPS server on addr:port whose connections bevcb makes
 * (with api_conn_bev) and whose requests gencb answers; bodies up to
 * max_body.  NULL (logged with what) on failure.
 */
struct evhttp *api_http_new(struct node *n, size_t max_body,
    void (*gencb)(struct evhttp_request *, void *),
    struct bufferevent *(*bevcb)(struct event_base *, void *), const char *what,
    const char *addr, int port);
/* api_conn_bev: a TLS connection of http, admitted and timed by gate; NULL on failure. */
struct bufferevent *api_conn_bev(struct event_base *base, struct node *n, struct evhttp *http,
    struct node_gate *gate);
/* api_conn_request: a complete request arrived on req's connection (no deadline until answered). */
void api_conn_request(struct evhttp_request *req);
/* api_send: the answer (status, Content-Type, body), counted with the request's route. */
void api_send(struct api_req *r, int status, const char *ctype, const char *body, size_t len);

/* The route table: how many routes; route k as Wazuh's spec writes it ("/agents/{agent_id}"). */
size_t api_route_count(void);
int api_route_template(size_t k, char *buf, size_t cap);

/*
 * api_metrics.c: GET /metrics.  api_stats_new: the per-route counters (0 /
 * -1), once; api_metrics_free: them and the metrics port.  api_stats_slot:
 * the counters' slot for route k (api_route_count(): no route) and method;
 * api_stats_count: one answer of that slot, its status and seconds taken.
 */
int api_stats_new(struct node *n);
void api_metrics_free(struct node *n);
size_t api_stats_slot(size_t k, const char *method);
void api_stats_count(struct node *n, size_t slot, int status, double seconds);
/* api_metrics_token_ok: req carries --metrics-token-file's token (compared in constant time). */
int api_metrics_token_ok(struct node *n, struct evhttp_request *req);
/* api_metrics_listen: the metrics port (--metrics-port), any role.  0 / -1 (logged). */
int api_metrics_listen(struct node *n);
/* api_job_status: a job's "running", "cancelling" or "done" (api_jobs.c). */
struct registry_job;
const char *api_job_status(const struct registry_job *row);

/* api_print_routes: every route and method with its required permissions (--print-routes). */
void api_print_routes(FILE *f);

/*
 * api_endpoint: the i-th endpoint of the route table, "GET /agents/{agent_id}/key"
 * as Wazuh's spec names it, into buf, and what it needs into *need.  -1 past the last.
 */
int api_endpoint(size_t i, char *buf, size_t cap, uint64_t *need);

/* api_param_get: value of the query parameter key, or NULL. */
const char *api_param_get(const struct api_req *r, const char *key);

/*
 * A request answered later, once work done off the loop comes back
 * (api_verify.c).  libevent (2.1) stops reading a connection while its
 * request is with us, so a client that hangs up is noticed only when the
 * answer is written (libevent then frees both); the connection is freed
 * under a held request when the server is (evhttp_free at shutdown), or
 * after libevent detached the request on an error: then the request is
 * dropped, or is ours to answer.
 */
struct api_held {
	struct node *node;
	struct evhttp_request *req;      /* NULL once the connection is gone */
	struct evhttp_connection *evcon; /* whose close callback is ours */
	int pretty;
};
/* api_hold: r's request into h, to be answered later with api_resume. */
void api_hold(struct api_held *h, struct api_req *r);
/*
 * api_resume: lets go of h's connection; 1 with r set up to answer the
 * request (node, req, pretty), 0 when there is no one to answer.
 */
int api_resume(struct api_held *h, struct api_req *r);

/* Replies.  Each takes ownership of body. */
void api_reply_json(struct api_req *r, int status, json_t *body);
void api_reply_problem(struct api_req *r, int http_status, int code, const char *detail);
/* api_reply_problem_node: the same, naming node in dapi_errors (none when NULL). */
void api_reply_problem_node(struct api_req *r, int http_status, int code, const char *detail,
    const char *node);
void api_reply_qerr(struct api_req *r, const struct api_qerr *e);
void api_reply_text(struct api_req *r, int status, const char *ctype, const char *text);

/* api_content_type_is: 1 when the request's Content-Type media type is type (case-insensitive). */
int api_content_type_is(struct api_req *r, const char *type);
/* api_body: a NUL-terminated copy of the request body (caller frees), its length in *len; NULL on failure. */
char *api_body(struct api_req *r, size_t *len);

/* api_check: strict validation of the query parameters; replies 400 and returns -1 on failure. */
int api_check(struct api_req *r, const char *const *allowed);
/*
 * api_long_param: the integer parameter key, when given, in [min, max] into
 * *v (an offset past max reads as max: Wazuh's empty page); else replies 400
 * and returns -1.
 */
int api_long_param(struct api_req *r, const char *key, long min, long max, long *v);

/*
 * api_allowed: whether the caller may do p's action on one resource of p's
 * type: value is an agent id ("001"), a group name, a node name, a user,
 * role, policy or rule id ("*" for resourceless).  An agent's groups count
 * ("agent:group:web" grants).  Only while the request is dispatched.
 */
int api_allowed(const struct api_req *r, enum rbac_perm p, const char *value);
/* api_allowed_agent: api_allowed for agent a. */
int api_allowed_agent(const struct api_req *r, enum rbac_perm p, const struct agent *a);

/* api_reply_denied: 403 with 4000 naming p's resource type (Wazuh's WazuhPermissionError). */
void api_reply_denied(struct api_req *r, enum rbac_perm p);
/*
 * api_deny_named: Wazuh's expose_resources on a list the client named (n
 * values): when p is allowed on none of them, replies 403 and returns 1;
 * else 0, and the handler fails each one denied with 4000.
 */
int api_deny_named(struct api_req *r, enum rbac_perm p, const char *const *values, size_t n);
/* api_filter_agents: keeps in v the agents the caller may do p on, in order; how many. */
size_t api_filter_agents(const struct api_req *r, enum rbac_perm p, struct agent **v, size_t n);

/* api_may_read_nodes: whether the user has cluster:read (Wazuh names nodes only to them). */
int api_may_read_nodes(const struct api_req *r);

/* At most this many cluster nodes are listed by the cluster endpoints. */
#define API_CLUSTER_MAX_NODES 256

/*
 * api_cluster_connected: the nodes in the cluster now (what Wazuh's
 * get_system_nodes lists): this node first, then the connected workers, at
 * most max.  Returns how many were written (api_cluster.c).
 */
int api_cluster_connected(struct node *n, struct cluster_node_info *v, size_t max);

/* Endpoint handlers (api_default.c, api_agents.c, api_cluster.c, api_manager.c). */
void api_get_root(struct api_req *r);
void api_login(struct api_req *r);
void api_get_agents(struct api_req *r);
void api_get_agents_summary(struct api_req *r);
void api_put_agents_restart(struct api_req *r);
void api_put_agent_restart(struct api_req *r);
void api_put_node_restart(struct api_req *r);
void api_put_agents_reconnect(struct api_req *r);
void api_delete_agents(struct api_req *r);
void api_get_cluster_status(struct api_req *r);
void api_get_cluster_local_info(struct api_req *r);
void api_get_cluster_nodes(struct api_req *r);
void api_get_cluster_healthcheck(struct api_req *r);
void api_get_manager_info(struct api_req *r);
void api_get_cluster_node_info(struct api_req *r);
/* api_security.c */
void api_logout(struct api_req *r);
void api_put_revoke(struct api_req *r);
void api_get_users(struct api_req *r);
void api_post_users(struct api_req *r);
void api_delete_users(struct api_req *r);
void api_get_user_me(struct api_req *r);
void api_get_user_me_policies(struct api_req *r);
void api_put_user(struct api_req *r);
void api_post_user_roles(struct api_req *r);
void api_delete_user_roles(struct api_req *r);
void api_get_security_config(struct api_req *r);
void api_put_user_run_as(struct api_req *r);
/* api_rbac.c: custom roles, policies, security rules and their links; run_as login. */
void api_get_roles(struct api_req *r);
void api_post_roles(struct api_req *r);
void api_delete_roles(struct api_req *r);
void api_put_role(struct api_req *r);
void api_get_policies(struct api_req *r);
void api_post_policies(struct api_req *r);
void api_delete_policies(struct api_req *r);
void api_put_policy(struct api_req *r);
void api_get_rules(struct api_req *r);
void api_post_rules(struct api_req *r);
void api_delete_rules(struct api_req *r);
void api_put_rule(struct api_req *r);
void api_post_role_policies(struct api_req *r);
void api_delete_role_policies(struct api_req *r);
void api_post_role_rules(struct api_req *r);
void api_delete_role_rules(struct api_req *r);
void api_login_run_as(struct api_req *r);
void api_put_security_config(struct api_req *r);
void api_delete_security_config(struct api_req *r);
/* api_agents.c: PUT /agents/group/{group_id}/restart. */
void api_put_group_restart(struct api_req *r);
/* api_jobs.c: Vigil's restart and reconnect jobs */
void api_get_jobs(struct api_req *r);
void api_get_job(struct api_req *r);
void api_put_job_cancel(struct api_req *r);
/* api_timeframe_parse: Wazuh's timeframe "^(\d+[dhms]?)$" in seconds; -1 when invalid. */
long api_timeframe_parse(const char *s);
/* api_agents_add.c: POST /agents, /agents/insert, /agents/insert/quick. */
void api_post_agents(struct api_req *r);
void api_post_agents_insert(struct api_req *r);
void api_post_agents_insert_quick(struct api_req *r);
/* api_groups.c: groups, their agents and agent.conf. */
void api_get_groups(struct api_req *r);
void api_post_groups(struct api_req *r);
void api_delete_groups(struct api_req *r);
void api_get_group_agents(struct api_req *r);
void api_get_group_config(struct api_req *r);
void api_put_group_config(struct api_req *r);
/* api_group_param_ok: group_id g in Wazuh's group_names format; else replies 400 naming what, 0. */
int api_group_param_ok(struct api_req *r, const char *g, const char *what);
/* api_group_files.c: a group's shared files. */
void api_get_group_files(struct api_req *r);
void api_get_group_file(struct api_req *r);
void api_put_agent_group(struct api_req *r);
void api_delete_agent_group(struct api_req *r);
void api_put_agents_group(struct api_req *r);
void api_delete_agents_group(struct api_req *r);

/* api_agents_info.c: the other GET /agents views; api_groups.c: DELETE /agents/{id}/group;
 * api_manager.c: GET /manager/status. */
void api_get_agent_key(struct api_req *r);
void api_get_agents_summary_os(struct api_req *r);
void api_get_agents_no_group(struct api_req *r);
void api_get_agents_outdated(struct api_req *r);
void api_get_agents_distinct(struct api_req *r);
void api_get_agent_is_sync(struct api_req *r);
void api_delete_agent_groups(struct api_req *r);
void api_get_manager_status(struct api_req *r);
void api_get_metrics(struct api_req *r);
/* api_catalog.c: the RBAC catalogue. */
void api_get_security_actions(struct api_req *r);
void api_get_security_resources(struct api_req *r);

/* api_console.c: GET /console/ and its files (console.h), r->path set. */
void api_console(struct api_req *r);

/* api.c: the REST API (port 55000, HTTPS). */
int api_listen(struct node *n);
void api_free(struct node *n);

#endif
