/*
 * aconn.h — one agent's connection to a manager over the Wazuh 4.x secure
 * channel, on a libevent loop: connect, "#!-agent startup", wait for exactly
 * "#!-agent ack ", announce "Agent started" when the owner asked for it (a new
 * agent process), keepalive, watch for acks, pass commands up.  Shared by
 * vigil-agent (one) and vigil-sim (thousands).
 */
#ifndef VIGIL_ACONN_H
#define VIGIL_ACONN_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <event2/event.h>

#include "agent/keyfile.h"
#include "proto/secmsg.h"

enum aconn_state {
	ACONN_IDLE = 0,     /* no connection */
	ACONN_CONNECTING,   /* TCP connect in progress */
	ACONN_HANDSHAKE,    /* startup sent, waiting for the ack */
	ACONN_UP,           /* acked; keepalives running */
	ACONN_CLOSING,      /* shutdown sent, waiting for it to drain */
};

struct aconn;

/*
 * How a connection numbers its messages.  A Wazuh agent continues one
 * counter across all its connections (NORMAL); vigil-sim can also send what
 * agents in the field and Wazuh's own simulator send, to see how the manager
 * orders their sessions.
 */
enum aconn_counter_mode {
	ACONN_COUNTER_NORMAL = 0, /* advance before each message, across connections */
	ACONN_COUNTER_FIXED,      /* every message carries counter_global:counter_local */
	ACONN_COUNTER_RESET,      /* every connection starts again from 0:0 (lost counter file) */
};

/* Settings shared by many connections; must outlive them. */
struct aconn_conf {
	char version[16];                 /* "4.12.0": the startup says {"version":"v4.12.0"} */
	unsigned int keepalive_ms;        /* keepalive period */
	unsigned int keepalive_jitter;    /* percent, each period moved by up to +-this */
	unsigned int first_keepalive_ms;  /* first keepalive this long after the ack... */
	unsigned int first_keepalive_spread_ms; /* ...plus a random part of [0, this] */
	unsigned int handshake_ms;        /* how long to wait for the startup ack */
	unsigned int connect_ms;          /* TCP connect timeout */
	unsigned int ack_misses;          /* close when no ack for ack_misses * keepalive_ms (3) */
	enum secmsg_zmode zmode;          /* SECMSG_Z_BEST (0) as a Wazuh agent; the sim may store */
	enum aconn_counter_mode counter_mode;     /* ACONN_COUNTER_NORMAL (0) as a Wazuh agent */
	unsigned int counter_global, counter_local; /* ACONN_COUNTER_FIXED's counter */
};

/*
 * Callbacks.  They run on the loop; any of them may call aconn_send,
 * aconn_shutdown, aconn_close or aconn_connect on the same connection, but
 * never aconn_free.
 */
struct aconn_cb {
	/* The manager acked our startup: the session is up. */
	void (*up)(struct aconn *ac, void *arg);
	/* An execd message asking for a restart arrived. */
	void (*restart)(struct aconn *ac, const char *msg, size_t len, void *arg);
	/*
	 * The manager sent "#!-force_reconnect": the owner closes the connection
	 * and connects again now (optional; without it aconn closes and down says why).
	 */
	void (*reconnect)(struct aconn *ac, void *arg);
	/* Any other message from the manager once up (optional; acks are not passed). */
	void (*message)(struct aconn *ac, const char *msg, size_t len, void *arg);
	/*
	 * The connection is gone: connect failure, EOF, error, timeout, protocol
	 * error, manager error, or the end of aconn_shutdown.  was_up is 1 when
	 * the session had been acked.  The state is ACONN_IDLE already.
	 */
	void (*down)(struct aconn *ac, int was_up, const char *reason, void *arg);
	/* Writes the keepalive text into buf; returns its length, or -1 to skip. */
	ssize_t (*keepalive)(struct aconn *ac, char *buf, size_t cap, void *arg);
	/* The sender counters advanced (before the message goes out). Optional. */
	void (*counter)(struct aconn *ac, unsigned int global, unsigned int local, void *arg);
};

/* aconn_new: an idle connection; NULL on failure.  The caller owns it (aconn_free). */
struct aconn *aconn_new(struct event_base *base, const struct aconn_conf *conf,
    const struct aconn_cb *cb, void *arg);

/* aconn_free: closes without callbacks and frees. NULL is a no-op. */
void aconn_free(struct aconn *ac);

/* aconn_set_key: the client.keys entry to use (enc key, "!id!" prefix or not). */
void aconn_set_key(struct aconn *ac, const struct keyfile_entry *k);

/* aconn_set_counters: the sender counters the next message continues from. */
void aconn_set_counters(struct aconn *ac, unsigned int global, unsigned int local);
void aconn_get_counters(const struct aconn *ac, unsigned int *global, unsigned int *local);

/*
 * aconn_announce_start: the agent's process has (re)started.  The next
 * session that is acked sends "Agent started" right after the ack, as a Wazuh
 * agent does once per process (start_agent(is_startup=1)); connections that
 * fail before the ack keep the request for the next one.  Reconnects, changes
 * of manager and lost links without it send no such event.
 */
void aconn_announce_start(struct aconn *ac);
/* aconn_announced: 1 when the live session sent "Agent started", else 0. */
int aconn_announced(const struct aconn *ac);

/*
 * aconn_connect: starts connecting to sa.  Needs ACONN_IDLE and a key.
 * 0, or -1 when it could not even start (errno set; no callback follows).
 */
int aconn_connect(struct aconn *ac, const struct sockaddr *sa, socklen_t salen);

/* aconn_send: encrypts, frames and queues msg.  Needs HANDSHAKE or UP.  0 / -1. */
int aconn_send(struct aconn *ac, const char *msg, size_t len);

/*
 * aconn_shutdown: sends "#!-agent shutdown " and closes once it has been
 * written (or after 2 s); the down callback follows with reason "shutdown".
 * Connections not yet up just close.  Idle connections: no-op.
 */
void aconn_shutdown(struct aconn *ac);

/* aconn_close: closes now and runs the down callback (reason copied). Idle: no-op. */
void aconn_close(struct aconn *ac, const char *reason);

enum aconn_state aconn_state(const struct aconn *ac);
const char *aconn_state_name(enum aconn_state s);
/* aconn_local_ip: the local address of the live connection ("" when none). */
const char *aconn_local_ip(const struct aconn *ac);

#endif
