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
	SIM_CLOSING,         /* shutdown sent (restart or exit) */
	SIM_RESTARTING,      /* closed for a restart; reconnect after --restart-delay */
	SIM_DISCONNECTED,    /* lost or failed; reconnect after back-off */
	SIM_STOPPED,         /* the simulator is exiting */
};

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
	int restart_pending;
	unsigned int restarts;        /* restart commands received */
	unsigned int commands;        /* execd commands (restarts included) */
	unsigned int messages;        /* other manager messages (no acks): up file, err... */
	unsigned int sessions;        /* acked startups */
	unsigned int failures;        /* connections lost or refused */
	uint64_t last_restart_ms;     /* monotonic, 0 = never */
	uint64_t last_up_ms;
	char last_error[96];
};

struct sim {
	struct sim_opts o;
	struct event_base *base;
	struct aconn_conf conf;
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
	struct agent_info ai;         /* keepalive template; os_uname node is per agent */
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
};

/* sim_state_name: the state as the summary shows it. */
const char *sim_state_name(enum sim_state s);

/* sim_agent_state: ag's state, refined by its connection's (connecting vs handshake). */
enum sim_state sim_agent_state(const struct sim_agent *ag);

/* sim_now_ms: monotonic milliseconds. */
uint64_t sim_now_ms(void);

/* sim_summary: the JSON summary of the whole run (new reference). */
json_t *sim_summary(const struct sim *s, int final);

/* sim_summary_write: writes j to path atomically (path.tmp + rename). 0 / -1. */
int sim_summary_write(const char *path, json_t *j);

#endif
