/* sim.h — vigil-sim: many simulated Wazuh agents on one event loop. */
#ifndef VIGIL_SIM_H
#define VIGIL_SIM_H

#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "agent/aconn.h"
#include "agent/enrollc.h"
#include "agent/keyfile.h"
#include "agent/opts.h"
#include "proto/control.h"

enum sim_state {
	SIM_PENDING = 0,     /* waiting for an enrollment slot */
	SIM_ENROLLING,       /* enrollment exchange running */
	SIM_ENROLL_WAIT,     /* enrollment failed; retry scheduled */
	SIM_CONNECTING,      /* TCP connect */
	SIM_HANDSHAKE,       /* startup sent, waiting for the ack */
	SIM_ACTIVE,          /* acked, keepalives running */
	SIM_RESTART_DUE,     /* a restart arrived; closing once the burst of commands is read */
	SIM_CLOSING,         /* shutdown sent (restart or exit) */
	SIM_RESTARTING,      /* closed for a restart; reconnect after --restart-delay */
	SIM_DISCONNECTED,    /* lost or failed; reconnect after back-off */
	SIM_STOPPED,         /* the simulator is exiting */
};

/* What an agent closes its session for; sim_down acts on it. */
enum sim_go {
	SIM_GO_NONE = 0,
	SIM_GO_RESTART,      /* a restart (command or control): a new process after --restart-delay */
	SIM_GO_MOVE,         /* migration: drop the link, reconnect to the next manager */
	SIM_GO_FLAP,         /* flapping: reconnect to the same manager */
	SIM_GO_RECONNECT,    /* "#!-force_reconnect": reconnect to the same manager now */
};

#define SIM_CMD_KEEP 64      /* command arrival times kept per agent (more are only counted) */

/* One agent version of --version-mix and what its agents share. */
struct sim_version {
	char version[16];
	unsigned int weight;
	unsigned int agents;
	struct aconn_conf conf;
	struct agent_info ai;         /* keepalive template; os_uname node is per agent */
};

struct sharedrx;

struct sim_agent {
	unsigned int idx;
	char name[ENROLL_NAME_MAX + 1];
	int has_key;
	struct keyfile_entry key;
	struct aconn *ac;
	struct enrollc *enr;
	struct event *timer;          /* enrollment retry, reconnect, restart delay */
	enum sim_state state;
	int mgr;                      /* index of the manager in use */
	unsigned int attempt;         /* failures since the last good session */
	unsigned char ver;            /* index in sim.vers */
	unsigned char go;             /* enum sim_go: why the session is closing */
	unsigned char traced;         /* report the next session on stdout (control move, restart) */
	unsigned int moves;           /* migrations done */
	unsigned int flaps;           /* flaps done */
	unsigned int legacy;          /* restart-ossec0 commands received */
	uint64_t up_us;               /* wall clock of the last acked startup, 0 = never */
	uint64_t *cmd_us;             /* wall clock of each command's arrival (first SIM_CMD_KEEP) */
	unsigned int ncmd, cmd_cap;
	unsigned int restarts;        /* restart commands received */
	unsigned int reconnects;      /* force_reconnect messages received */
	unsigned int commands;        /* execd commands (restarts included) */
	unsigned int messages;        /* other manager messages (no acks): up file, err... */
	unsigned int sessions;        /* acked startups */
	unsigned int process_starts;  /* sessions that said "Agent started": (re)started processes */
	unsigned int deaf;            /* restart commands to ignore still (control "deaf") */
	unsigned int ignored;         /* restart commands ignored */
	unsigned int failures;        /* connections lost or refused */
	uint64_t last_restart_ms;     /* monotonic, 0 = never */
	uint64_t last_up_ms;
	char last_error[96];
	struct sharedrx *shared;      /* a merged.mg being pushed (only during the push) */
	char merged_sum[33];          /* md5 of the last merged.mg received; "" = none ("x") */
};

struct sim {
	struct sim_opts o;
	struct event_base *base;
	struct sim_version vers[OPTS_SIM_VERSIONS_MAX];
	int nvers;
	SSL_CTX *tls;
	struct sim_agent *agents;
	struct sockaddr_storage mgr_addr[MGRLIST_MAX];
	socklen_t mgr_len[MGRLIST_MAX];
	int mgr_ok[MGRLIST_MAX];
	struct sockaddr_storage enroll_addr;
	socklen_t enroll_len;
	char keys_path[PATH_MAX];
	char password[256];
	int has_password;
	char uname_fmt[3][256];       /* sysname, release+version, machine */
	unsigned int *enroll_queue;   /* FIFO of agent indexes */
	size_t eq_head, eq_tail, eq_cap;
	unsigned int enrolling;       /* exchanges running */
	unsigned int enroll_errors;
	unsigned long failure_logs;   /* connection failures seen (for log rate limiting) */
	int stopping;
	unsigned int closing;         /* connections still shutting down at exit */
	int stop_scan;                /* sim_stop is walking the agents */
	uint64_t start_ms;
	json_t *final;                /* the summary taken when stopping began */
	/* scenarios */
	struct event *churn_ev;       /* every 100 ms: migrations and flaps */
	double migrate_acc, flap_acc; /* moves / flaps owed */
	unsigned long long moves, flaps, churn_skipped;
	/* control and reporting */
	uint64_t mark_us;             /* latencies are measured from here (wall clock), 0 = none */
	uint64_t last_command_ms;     /* monotonic: the latest restart command to any agent */
	struct event *control_ev;
	struct evbuffer *control_in;
	long rss_start_kb;            /* before the agents were allocated */
};

/* sim_state_name: the state as the summary shows it. */
const char *sim_state_name(enum sim_state s);

/* sim_agent_state: ag's state, refined by its connection's (connecting vs handshake). */
enum sim_state sim_agent_state(const struct sim_agent *ag);

/* sim_now_ms: monotonic milliseconds. */
uint64_t sim_now_ms(void);

/* sim_wall_us: wall-clock microseconds (comparable across processes). */
uint64_t sim_wall_us(void);


/*
 * sim_summary: the JSON summary of the whole run (new reference): counts,
 * memory, and, once a mark is set, command and back-active latencies from
 * it.  brief leaves out the per-agent list.
 */
json_t *sim_summary(const struct sim *s, int final, int brief);

/*
 * sim_agent_file: writes one line per agent (tab-separated, header first)
 * to path atomically.  0 / -1.
 */
int sim_agent_file(const struct sim *s, const char *path);

/*
 * sim_percentiles: sorts v (n values) and sets p50, p99 and max
 * (nearest rank).  All 0 when n is 0.
 */
void sim_percentiles(uint64_t *v, size_t n, uint64_t *p50, uint64_t *p99, uint64_t *max);

/* sim_summary_write: writes j to path atomically (path.tmp + rename). 0 / -1. */
int sim_summary_write(const char *path, json_t *j);

#endif
