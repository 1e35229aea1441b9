/* node.h — the vigild process: one event loop and everything hanging off it. */
#ifndef VIGIL_NODE_H
#define VIGIL_NODE_H

#include <sys/queue.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "lib/promtext.h"
#include "proto/enroll.h"
#include "node/core/config.h"
#include "node/core/srclimit.h"

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
struct jobrun;
struct api_stats;

TAILQ_HEAD(session_list, session);

struct node;
struct agent;
struct crec_ctr;
struct crec_fence;

/*
 * Rooms.  vigild's code lives in rooms, each a folder, each using only the
 * rooms below it: core, registry, ledger, agents (sessions and enrollment),
 * cluster, jobs (restart and reconnect jobs), api; main.c and stats.c start, stop and watch the node.  When a
 * lower room must have something done in a higher one (the ledger fences a
 * session, or a worker's outbox must send), it goes through these hooks,
 * which the higher rooms install at start-up; the defaults (node_hooks_init)
 * are what a node without that room does.  tests/system/test_layout.py holds
 * the code to this.
 */
struct node_hooks {
	/* agents: close the agent's session sid here (1), unless below is given
	 * and it has seen that counter (0: kept); -1 no such session */
	int (*fence_session)(struct node *, struct agent *, uint64_t sid,
	    const struct crec_ctr *below);
	/* agents: the agent's session here publishes its state again */
	void (*republish)(struct node *, struct agent *);
	/* cluster: ledger node index -> name; link up; fence a worker's session */
	const char *(*node_name)(struct node *, uint16_t node);
	int (*node_up)(struct node *, uint16_t node);
	void (*fence_remote)(struct node *, uint16_t node, const struct crec_fence *);
	/* cluster (worker): the agent's record, or only its time, to the master */
	void (*outbox)(struct node *, struct agent *, int touch);
	/* cluster (master): agent keys changed; enrollment forwarding (worker) */
	void (*agent_added)(struct node *, struct agent *);
	void (*agent_removed)(struct node *, unsigned int id);
	int (*enroll_forward)(struct node *, const char *line, size_t len, const char *peer,
	    void *conn);
	void (*enroll_cancel)(struct node *, void *conn);
	/* cluster: node name -> ledger node index (known from now on); -1 none */
	int (*node_index)(struct node *, const char *name);
	/* jobs (master): the agent's state or current session changed (the ledger applied) */
	void (*agent_state)(struct node *, struct agent *);
};

/* node_hooks_init: the hooks of a node without agents or cluster rooms. */
void node_hooks_init(struct node *n);
/* node_stats_init: the histograms' buckets (the counters start at 0 with the node). */
void node_stats_init(struct node *n);

#define NODE_FLUSH_ROWS 1000    /* registry rows per transaction, so one flush stays short */
#define NODE_TOUCH_ROWS 5000    /* keepalive times per transaction (one small UPDATE each) */
#define NODE_FD_RESERVE 512     /* descriptors agents never take: API, cluster, files */
/* Event priorities: everything runs at the default (1) but background work. */
#define NODE_PRIO_COUNT 3
#define NODE_PRIO_BACKGROUND 2
#define NODE_ENROLL_RATE_SOURCES 4096  /* sources whose enrollment rate is remembered */
#define NODE_FD_SLACK 256       /* agents are accepted again this far below the cap (at most) */

struct node_stats {
	uint64_t sessions_opened;
	uint64_t sessions_closed;
	uint64_t frames_in;
	uint64_t frames_bad;
	uint64_t decrypt_failures;
	uint64_t events_in;
	uint64_t agent_starts;       /* "Agent started" events: new agent processes (sessions) */
	uint64_t keepalives;
	uint64_t overtakes;
	uint64_t enrollments;
	uint64_t enroll_failures;
	uint64_t enroll_failed[ENROLL_ERROR_CLASSES]; /* ... by enroll_error_class_index */
	uint64_t restarts_sent;
	uint64_t reconnects_sent;
	uint64_t commands_repeated;  /* a job's command sent again to a session that has it: not written */
	uint64_t api_requests;
	uint64_t logins_refused;     /* 429: over a login limit, or the checks' queue full */
	uint64_t logins_checking;    /* gauge: logins whose password is being checked now */
	uint64_t sync_applied;       /* master: updates applied */
	uint64_t sync_touches;       /* master: keepalives that changed only the time, applied */
	uint64_t sync_stale;         /* master: updates from an older session, dropped */
	uint64_t sync_fenced;        /* sessions told to close: a newer one exists */
	uint64_t sync_pending;       /* records of sessions waiting for the current one to close */
	uint64_t sync_refused;       /* sessions refused: replays, forgeries, second copies */
	uint64_t sync_resent;        /* worker: records sent again after a reconnect, unacknowledged */
	struct promhist sync_lag;    /* master: s from a change on a worker to its record applied */
	uint64_t sessions_refused;   /* connections refused here: counter not newer (replay?) */
	uint64_t link_read_more;     /* link bytes read past libevent's record a turn */
	uint64_t shared_pushes;      /* merged.mg sent to agents */
	uint64_t shared_pushes_deferred; /* a push left for a later keepalive (rate limit) */
	uint64_t accept_paused;      /* accepting paused: out of descriptors, or agents at the cap */
	uint64_t agents_invalid_id;  /* frames naming an unknown agent, or from outside its address */
	uint64_t conn_refused;       /* connections refused at a listener's cap (total or source) */
	uint64_t deadline_closed;    /* connections not trusted by their deadline, closed */
	uint64_t frames_timed_out;   /* agent connections closed on a frame begun too long ago
	                              * (counted in deadline_closed too) */
	uint64_t enroll_rate_limited; /* enrollment requests refused by the rate limits */
	uint64_t api_bodies_short;   /* API connections given only API_BODY_FLOOR: budget spent */
};

/*
 * node_gate: one listener's limits (docs/operations.md, "Limits"): the
 * connections open now against the total and per-source caps, the deadline
 * before the peer is trusted, and log gates so refusals that repeat by the
 * thousand log a line now and then with a count.
 */
#define NODE_GATE_LOG_S 30           /* s between two log lines of one kind of refusal */
struct node_gate {
	const char *what;               /* "agent", "enroll", "api", "cluster": the options' prefix */
	struct srclimit_count *conns;
	int deadline;                   /* s */
	struct srclimit_log log_full;
	struct srclimit_log log_late;
	struct srclimit_log log_frame;
	/* what this listener refused (GET /metrics): at the total cap, at the
	 * per-source cap, past the deadline, on a frame begun too long ago */
	uint64_t refused_total, refused_source, refused_late, refused_frame;
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
	/* tests only (vigild-test, faults.cmd "jobs-unsaved"): jobs record their
	 * sends but save nothing else, as a master stopped before its saves */
	int fault_jobs_unsaved;
	int fault_jobs_record_fails;    /* ... "jobs-record-fails": the next record fails */

	struct evconnlistener *agent_lsn;
	struct evconnlistener *enroll_lsn;
	struct evhttp *http;
	struct api_sec *api_sec;        /* API security state (api_sec.c), master only */
	struct jobrun *jobs;            /* restart and reconnect jobs (jobrun.c), master only */
	struct api_stats *api_stats;    /* API answers by route and code (api_metrics.c) */
	struct evhttp *metrics_http;    /* --metrics-port (api_metrics.c), or NULL */
	char metrics_token[256];        /* --metrics-token-file's, "" = none */
	double metrics_build_s;         /* the last GET /metrics text took this long to build */
	uint64_t metrics_scrapes;
	size_t api_body_reserved;       /* bytes of --api-body-budget-kib given to connections */

	struct event *tick_ev;          /* every second: timeouts, status */
	time_t touch_flushed;           /* keepalive times last all written (main.c touch_flush) */
	int touch_flushing;
	struct event *flush_ev;         /* registry batch flush (background priority) */
	time_t flushed;                 /* CLOCK_MONOTONIC s of the last flush */
	struct event *reap_ev;          /* frees closed sessions after the callback returns */
	struct event *sig_ev[3];
	struct event *accept_pause_ev;  /* re-enables accepting after EMFILE */
	struct evconnlistener *lsn[8];  /* every listener, paused together on EMFILE */
	int nlsn;
	size_t nsession_fds;            /* agent sockets open (live and closing) */
	size_t fd_limit;                /* RLIMIT_NOFILE in force */
	size_t max_session_fds;         /* less NODE_FD_RESERVE (half, under 2 reserves) */
	int agents_full;                /* accepting agents paused at max_session_fds */
	struct srclimit_log accept_log; /* out of descriptors: logged now and then */
	struct node_gate gate_agent, gate_enroll, gate_api, gate_cluster, gate_metrics;
	struct srclimit_rate *enroll_rate;     /* enrollment requests per source */
	struct srclimit_bucket enroll_total;   /* ... from all sources together */
	struct srclimit_log enroll_rate_log;

	struct session_list sessions;   /* live sessions */
	struct session_list dead;       /* closed, freed by reap_ev */
	size_t nsessions;
	uint64_t next_session_serial;
	uint64_t sid_boot;              /* high half of every session id (session.c) */
	int enroll_inflight;

	struct cluster *cluster;        /* cluster.c state (NULL until started) */
	size_t led_waiting;             /* agents with a waiting session, at most (state.c) */
	time_t push_second;             /* merged.mg bytes sent in this second (session.c) */
	size_t push_bytes;
	struct groups *groups;          /* agent groups (master: from the registry; worker: from the master) */

	struct node_stats stats;
	struct srclimit_log invalid_id_log; /* "Invalid ID" lines a peer can provoke (session.c) */
	struct srclimit_log enroll_fail_log; /* enrollment refusals (enrolld.c) */
	struct node_hooks hooks;
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

/*
 * node_listen_adopt: lsn (made elsewhere, e.g. evhttp's) joins the listeners
 * that pause together for a moment when the process runs out of descriptors.
 */
void node_listen_adopt(struct node *n, struct evconnlistener *lsn);
/* node_listen_forget: lsn is about to be freed: it leaves the listeners that pause. */
void node_listen_forget(struct node *n, struct evconnlistener *lsn);
/* node_fd_limits: sets max_session_fds from the descriptor limit now in force. */
void node_fd_limits(struct node *n);

/*
 * node_gate_init: g's caps and deadline (0 caps: none).  0 / -1 (out of memory).
 * node_gate_free: what node_gate_init allocated; a zeroed gate is fine.
 */
int node_gate_init(struct node_gate *g, const char *what, int max_total, int max_per_source,
    int deadline);
void node_gate_free(struct node_gate *g);
/*
 * node_gate_admit: a connection from sa was accepted on g's listener.  Writes
 * its address into addr (the key node_gate_leave needs) and returns 0 when
 * the caps admit it; -1 when they do not (counted, logged now and then): the
 * caller closes the socket at once.
 */
int node_gate_admit(struct node *n, struct node_gate *g, const struct sockaddr *sa, char *addr,
    size_t cap);
/* node_gate_leave: a connection node_gate_admit admitted from addr is closed. */
void node_gate_leave(struct node_gate *g, const char *addr);
/* node_gate_late: the connection from addr missed g's deadline (counted, logged now and then). */
void node_gate_late(struct node *n, struct node_gate *g, const char *addr);
/* node_frame_late: an agent connection from addr sat on a begun frame past
 * --agent-frame-deadline (counted in deadline_closed and frames_timed_out). */
void node_frame_late(struct node *n, struct node_gate *g, const char *addr);

/*
 * node_version_allowed: whether an agent of version v (as control_version_cmp
 * reads it) may enroll and connect: not newer than this manager's version, as
 * authd and remoted check, unless --allow-higher-versions; and never of a
 * newer major than the protocol spoken here (VIGIL_AGENT_MAX_MAJOR).
 */
int node_version_allowed(const struct node *n, const char *v);

/* node_now: the cached loop time (seconds). */
time_t node_now(struct node *n);
/* node_wall_ms: the wall clock in ms (restart jobs compare it with other nodes' stamps). */
int64_t node_wall_ms(void);
/* node_schedule_flush: arranges a registry flush within flush_interval_ms. */
void node_schedule_flush(struct node *n);


/* Vigil's own error codes, beyond Wazuh's table (see api_errors.c). */
#define VIGIL_ERR_VERSION_UNKNOWN 1790
#define VIGIL_ERR_SESSION_MOVED 1791    /* the agent left that node before delivery */
#define VIGIL_ERR_NODE_UNREACHABLE 1792 /* the agent's node did not confirm delivery */

#endif
