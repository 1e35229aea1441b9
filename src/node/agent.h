/* agent.h — one agent's record as the registry keeps it (Wazuh's agent table row). */
#ifndef VIGIL_AGENT_H
#define VIGIL_AGENT_H

#include <stdint.h>
#include <time.h>

#include "proto/control.h"

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

struct agent {
	unsigned int id;            /* 0 is the manager itself */
	char name[129];
	char ip[64];                /* client.keys ip: "any", a host or a CIDR */
	char register_ip[64];
	char key[72];               /* 64 hex chars */
	char enc_key[48];           /* derived AES key (secmsg_key_derive), not persisted */
	char group[256];            /* comma-separated, "default" by default */
	char node_name[64];
	char manager[256];          /* manager host name */
	int  status;                /* enum agent_status */
	int  status_code;           /* enum agent_status_code */
	int  group_config_synced;   /* 1 = "synced" */
	time_t date_add;
	time_t last_keepalive;      /* 0 = never */
	time_t disconnection_time;  /* 0 = none */
	struct agent_info info;     /* version, OS, sums, labels, agent_ip */

	/* Runtime only (never persisted). */
	struct session *session;    /* live connection, or NULL */
	/* Cluster sync.  On the master: the newest session known for this agent
	 * (its key, node and the last update sequence applied).  On a worker: the
	 * record is queued for the master (sync_dirty) or sent in batch
	 * sync_sent_seq and not yet acknowledged. */
	unsigned int sync_kg, sync_kl;
	uint64_t sync_sseq;
	char sync_node[64];
	int sync_dirty;
	uint64_t sync_sent_seq;
	uint64_t sync_mark_ms;      /* worker: when the queued change happened (wall clock, ms) */
	int dirty;                  /* queued for the next registry flush */
	int removed;
};

/* agent_status_name: "active", "pending", "never_connected", "disconnected". */
const char *agent_status_name(int status);
/* agent_status_parse: inverse of agent_status_name (case-insensitive); -1 if unknown. */
int agent_status_parse(const char *s);
/* agent_id_format: "%03u" into out (cap >= 16). */
void agent_id_format(unsigned int id, char *out, size_t cap);

#endif
