/* session.h — one agent TCP connection on the agent channel. */
#ifndef VIGIL_SESSION_H
#define VIGIL_SESSION_H

#include <sys/queue.h>
#include <stdint.h>
#include <time.h>

#include "node/agents/jobseen.h"
#include "node/core/node.h"
#include "proto/crec.h"

struct agent;
struct bufferevent;

struct session {
	TAILQ_ENTRY(session) entry;
	struct node *node;
	struct bufferevent *bev;
	struct agent *agent;          /* NULL until the first frame identifies it */
	char agent_id[16];
	char peer[64];                /* source address */
	char version[40];             /* "Wazuh vX.Y.Z", learned in the handshake */
	/* This node's id for the session: 1 .. 2^63-1, unique across the node's
	 * restarts.  The ledger names sessions by (node, sid), never by a number
	 * the agent chose. */
	uint64_t sid;
	struct crec_ctr first;        /* the agent's counter on the first message */
	struct crec_ctr last;         /* the newest counter seen on the session */
	uint64_t nrx;                 /* messages received */
	uint64_t seq;                 /* state updates published by this session */
	struct crec_state st;         /* what the agent told this session */
	uint64_t ka_hash;             /* FNV-1a of the last keepalive that parsed, */
	size_t ka_len;                /* and its length: 0 before one did */
	time_t opened;
	time_t partial_since;         /* an incomplete frame waits since then, or 0 */
	unsigned int tx_global, tx_local;
	unsigned int restarts_sent;
	struct jobseen jobs;          /* jobs whose command was written here */
	int started;                  /* startup or keepalive seen */
	int proc_seen;                /* this session said "Agent started" */
	int shutdown;                 /* agent said "agent shutdown" */
	int closing;
};

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
 * session_command_agent: delivers cmd of job (0 = none) to the agent's live
 * session sid.  A restart is encoded for the version the session learned; a
 * reconnect is the same for every version, as in Wazuh.  A job's command is
 * written on a session once: sent again, it is answered 0 and not written
 * (jobseen.h).  0 on success, else the Wazuh / Vigil error code for the
 * failure (1707 not active / no session, VIGIL_ERR_SESSION_MOVED not that
 * session, VIGIL_ERR_VERSION_UNKNOWN when a restart's version is not known yet).
 */
int session_command_agent(struct node *n, struct agent *a, uint64_t sid, enum agent_cmd cmd,
    uint64_t job);
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
int session_fence_sid(struct node *n, struct agent *a, uint64_t sid, const struct crec_ctr *below);
/* session_republish: session s reports its state again (unchanged). */
void session_republish(struct node *n, struct session *s);

/* session_hooks: installs the agents room's hooks (node.h) into n. */
void session_hooks(struct node *n);

#endif
