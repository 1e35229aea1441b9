/* agent.h — one agent's record as the registry keeps it (Wazuh's agent table row). */
#ifndef VIGIL_AGENT_H
#define VIGIL_AGENT_H

#include <stdint.h>
#include <time.h>

#include "proto/control.h"
#include "proto/crec.h"
#include "node/ledger/ledger.h"

enum agent_status {
	AGENT_NEVER_CONNECTED = 0,
	AGENT_PENDING,        /* startup seen, no keepalive yet */
	AGENT_ACTIVE,         /* keepalive seen */
	AGENT_DISCONNECTED,
};

/* status_code: why an agent is in its status (0 = nothing to report). */
enum agent_status_code {
	AGENT_CODE_OK = 0,
	AGENT_CODE_INVALID_VERSION = 1,    /* startup/keepalive with a version we refuse */
	AGENT_CODE_VERSION_MISSING = 2,    /* startup JSON without a version */
	AGENT_CODE_SHUTDOWN = 3,           /* agent sent "agent shutdown" */
	AGENT_CODE_CONNECTION_LOST = 4,    /* TCP connection closed or broken */
	AGENT_CODE_KEEPALIVE_TIMEOUT = 5,  /* no keepalive for agents_disconnection_time */
	AGENT_CODE_NODE_UNREACHABLE = 6,   /* (cluster) its node's link is down */
};

struct session;

/*
 * Worker: where this node's newest session of the agent stands, and whether
 * its record is queued for the master (dirty) or sent in batch sent_seq and
 * not yet acknowledged.  The record sent is built from it and the row's st.
 */
struct agent_sync {
	uint64_t sid;               /* this node's newest session of the agent, 0 = none */
	struct crec_ctr first, last;
	uint64_t nrx, seq;
	int live;
	int dirty;
	int need_full;              /* the state changed: the next send is a whole record */
	uint64_t acked_sid;         /* the master acknowledged a whole record of this session */
	uint64_t full_sid;          /* the session of the last whole record sent... */
	uint64_t full_batch;        /* ...and the batch that carried it */
	uint64_t sent_seq;
	uint64_t mark_ms;           /* when the queued change happened (wall clock, ms) */
};

struct agent {
	/* The row: persisted in the registry. */
	unsigned int id;            /* 0 is the manager itself */
	char name[129];
	char ip[64];                /* client.keys ip: "any", a host or a CIDR */
	char register_ip[64];
	char key[72];               /* 64 hex chars */
	char enc_key[48];           /* derived AES key (secmsg_key_derive), not persisted */
	char group[256];            /* comma-separated, "default" by default */
	char node_name[64];
	int  group_config_synced;   /* 1 = "synced" */
	time_t date_add;
	/* What the agent's current session reports (status, times, version, OS).
	 * On the master only the ledger's verdicts change it (ledger_apply.c); on
	 * a worker it is this node's newest session's own. */
	struct crec_state st;

	/* Runtime only (never persisted). */
	struct session *session;    /* live connection on this node, or NULL */
	struct ledger_entry led;    /* master: which session is current (ledger.c) */
	int64_t proc_start_seen_ms; /* master: the newest process start any record of it
	                             * reported, current session or not (restart jobs) */
	int64_t active_since_ms;    /* master: wall ms since when the current session (below)
	                             * has been active here; 0 = not active */
	uint16_t active_node;
	uint64_t active_sid;
	struct crec_record *held;   /* master: the record of a session waiting in led */
	struct agent_sync sync;     /* worker: this node's session and its outbox state */
	int dirty;                  /* queued for the next registry flush */
	int touched;                /* its keepalive time is queued (registry_agent_touch) */
	int removed;
};

/* agent_status_name: "active", "pending", "never_connected", "disconnected". */
const char *agent_status_name(int status);
/* agent_status_parse: inverse of agent_status_name (case-insensitive); -1 if unknown. */
int agent_status_parse(const char *s);
/* agent_id_format: "%03u" into out (cap >= 16). */
void agent_id_format(unsigned int id, char *out, size_t cap);

#endif
