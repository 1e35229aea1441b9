/* node.h — the vigild process: one event loop and everything hanging off it. */
#ifndef VIGIL_NODE_H
#define VIGIL_NODE_H

#include <sys/queue.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "node/config.h"

#define VIGIL_VERSION "0.1.0"
#define VIGIL_WAZUH_API_VERSION "4.12.0"      /* the Wazuh API contract we serve */
#define VIGIL_MANAGER_VERSION "Wazuh v4.12.0" /* reported as agent 000's version */
#define VIGIL_AGENT_MAX_MAJOR 4               /* we speak the 4.x agent protocol */

struct registry;
struct auth;
struct session;
struct evconnlistener;
struct evhttp;
struct api_sec;

TAILQ_HEAD(session_list, session);

#define NODE_FLUSH_ROWS 1000    /* registry rows per transaction, so one flush stays short */
#define NODE_TOUCH_ROWS 5000    /* keepalive times per transaction (one small UPDATE each) */

struct node_stats {
	uint64_t sessions_opened;
	uint64_t sessions_closed;
	uint64_t frames_in;
	uint64_t frames_bad;
	uint64_t decrypt_failures;
	uint64_t events_in;
	uint64_t keepalives;
	uint64_t overtakes;
	uint64_t enrollments;
	uint64_t enroll_failures;
	uint64_t restarts_sent;
	uint64_t reconnects_sent;
	uint64_t api_requests;
	uint64_t sync_applied;       /* master: updates applied */
	uint64_t sync_touches;       /* master: keepalives that changed only the time, applied */
	uint64_t sync_stale;         /* master: updates from an older session, dropped */
	uint64_t sync_fenced;        /* sessions told to close: a newer one exists */
	uint64_t sync_pending;       /* records of sessions waiting for the current one to close */
	uint64_t sync_refused;       /* sessions refused: replays, forgeries, second copies */
	uint64_t sessions_refused;   /* connections refused here: counter not newer (replay?) */
	uint64_t link_read_more;     /* link bytes read past libevent's record a turn */
	uint64_t shared_pushes;      /* merged.mg sent to agents */
	uint64_t shared_pushes_deferred; /* a push left for a later keepalive (rate limit) */
};

struct node {
	struct config cfg;
	struct event_base *base;
	struct registry *reg;
	struct auth *auth;
	SSL_CTX *tls_server;            /* enrollment + API */
	char hostname[256];
	char enroll_password[256];
	int has_enroll_password;
	time_t started;

	struct evconnlistener *agent_lsn;
	struct evconnlistener *enroll_lsn;
	struct evhttp *http;
	struct api_sec *api_sec;        /* API security state (api_sec.c), master only */

	struct event *tick_ev;          /* every second: timeouts, status */
	time_t touch_flushed;           /* keepalive times last all written (main.c touch_flush) */
	int touch_flushing;
	struct event *flush_ev;         /* registry batch flush */
	struct event *reap_ev;          /* frees closed sessions after the callback returns */
	struct event *sig_ev[3];
	struct event *accept_pause_ev;  /* re-enables accepting after EMFILE */

	struct session_list sessions;   /* live sessions */
	struct session_list dead;       /* closed, freed by reap_ev */
	size_t nsessions;
	uint64_t next_session_serial;
	uint64_t sid_boot;              /* high half of every session id (session.c) */
	int enroll_inflight;

	struct cluster *cluster;        /* cluster.c state (NULL until started) */
	time_t push_second;             /* merged.mg bytes sent in this second (session.c) */
	size_t push_bytes;
	struct groups *groups;          /* agent groups (master: from the registry; worker: from the master) */

	struct node_stats stats;
};

/*
 * node_listen: a TCP listener on the configured listen address and port,
 * calling cb for each connection.  NULL on failure (logged with what).
 */
struct evconnlistener *node_listen(struct node *n, int port, int backlog,
    void (*cb)(struct evconnlistener *, evutil_socket_t, struct sockaddr *, int, void *),
    const char *what);

/* stats.c: node_stats_json: the counters as JSON (new reference, NULL on failure). */
struct json_t;
struct json_t *node_stats_json(struct node *n);
/* node_write_stats: DATA_DIR/stats.json from node_stats_json (every second). */
void node_write_stats(struct node *n);

/* node_now: the cached loop time (seconds). */
time_t node_now(struct node *n);
/* node_schedule_flush: arranges a registry flush within flush_interval_ms. */
void node_schedule_flush(struct node *n);

struct agent;
struct session;

/* node_groups.c: groups on this node. */
struct groups;
/* node_groups_load: the master reads its groups from the registry (creating "default" if absent). 0 / -1. */
int node_groups_load(struct node *n);
/*
 * node_group_check: master: sets a->group_config_synced from the merged.mg
 * sum the agent reported and its groups' current one (queues a write when it
 * changed).  node_groups_recheck does it for every agent.
 */
void node_group_check(struct node *n, struct agent *a);
void node_groups_recheck(struct node *n);

/* session.c: the agent channel (port 1514). */
int  session_listen(struct node *n);
void session_tick(struct node *n);           /* timeouts, once a second */
void session_close_all(struct node *n, const char *reason);
void session_reap(struct node *n);

/* What the API can ask of an agent's live session. */
enum agent_cmd {
	AGENT_CMD_RESTART = 0,   /* execd restart (restart-wazuh0 / restart-ossec0) */
	AGENT_CMD_RECONNECT,     /* "#!-force_reconnect" */
};

/*
 * session_command_agent: delivers cmd to the agent's live session.  A restart
 * is encoded for the version the session learned; a reconnect is the same for
 * every version, as in Wazuh.  0 on success, else the Wazuh / Vigil error
 * code for the failure (1707 not active / no session,
 * VIGIL_ERR_VERSION_UNKNOWN when a restart's version is not known yet).
 */
struct agent;
int session_command_agent(struct node *n, struct agent *a, uint64_t sid, enum agent_cmd cmd);
/* session_drop_agent: closes the agent's session, if any (agent removed). */
void session_drop_agent(struct node *n, struct agent *a, const char *reason);
/* session_fence: closes the agent's session without touching its record (a newer one exists). */
void session_fence(struct node *n, struct agent *a, const char *reason);
/*
 * session_fence_sid: the master fences the agent's session sid here: it is
 * closed (1), unless below is given and the session has seen a counter at
 * least that new (0: kept; the caller has it publish again).  -1: no such
 * session here.
 */
struct crec_ctr;
int session_fence_sid(struct node *n, struct agent *a, uint64_t sid, const struct crec_ctr *below);
/* session_republish: session s reports its state again (unchanged). */
void session_republish(struct node *n, struct session *s);

/* enrolld.c: the enrollment service (port 1515, TLS). */
int enrolld_listen(struct node *n);
/*
 * enrolld_process_line: the master decides a request line forwarded by a
 * worker from peer; writes the reply text (NUL-terminated) into reply.
 * Returns its length, -1 if cap is too small.
 */
ssize_t enrolld_process_line(struct node *n, const char *line, size_t len, const char *peer,
    char *reply, size_t cap);
/* enrolld_ip_valid: 1 for an IPv4/IPv6 host or CIDR, or "any" (what client.keys may hold). */
int enrolld_ip_valid(const char *ip);
/* enrolld_forward_done: a worker got the master's reply for the connection conn. */
void enrolld_forward_done(void *conn, const char *reply);

/* api.c: the REST API (port 55000, HTTPS). */
int api_listen(struct node *n);
void api_free(struct node *n);

/* Vigil's own error codes, beyond Wazuh's table (see api_errors.c). */
#define VIGIL_ERR_VERSION_UNKNOWN 1790
#define VIGIL_ERR_SESSION_MOVED 1791    /* the agent left that node before delivery */
#define VIGIL_ERR_NODE_UNREACHABLE 1792 /* the agent's node did not confirm delivery */

#endif
