/* session.h — one agent TCP connection on the agent channel. */
#ifndef VIGIL_SESSION_H
#define VIGIL_SESSION_H

#include <sys/queue.h>
#include <stdint.h>
#include <time.h>

#include "node/node.h"
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
	time_t opened;
	time_t partial_since;         /* an incomplete frame waits since then, or 0 */
	unsigned int tx_global, tx_local;
	unsigned int restarts_sent;
	int started;                  /* startup or keepalive seen */
	int shutdown;                 /* agent said "agent shutdown" */
	int closing;
};

#endif
