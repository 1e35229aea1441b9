/* session.h — one agent TCP connection on the agent channel. */
#ifndef VIGIL_SESSION_H
#define VIGIL_SESSION_H

#include <sys/queue.h>
#include <stdint.h>
#include <time.h>

#include "node/node.h"

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
	uint64_t serial;              /* orders sessions on this node */
	/* The session key: the agent's own message counter of the session's first
	 * message.  An agent increments it across all its connections, on any node,
	 * so it orders this session against every other session of the agent. */
	unsigned int key_global, key_local;
	uint64_t seq;                 /* state updates published by this session */
	time_t opened;
	time_t partial_since;         /* an incomplete frame waits since then, or 0 */
	unsigned int rx_global, rx_local;
	unsigned int tx_global, tx_local;
	unsigned int restarts_sent;
	int started;                  /* startup or keepalive seen */
	int shutdown;                 /* agent said "agent shutdown" */
	int closing;
};

#endif
