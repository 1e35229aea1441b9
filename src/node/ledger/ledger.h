/* ledger.h — the one place that decides which session of an agent is current
 * and whether a session's record becomes the agent's state.
 *
 * Pure: no libevent, jansson or SQLite; no clock of its own (the caller passes
 * the time).  The master runs it for every record, from its own sessions and
 * from workers' alike; every node runs ledger_local_open when a connection
 * first speaks for an agent.  The rule and the argument for it are in
 * docs/design/cluster-sync.md ("Session order"); tests/unit/test_ledger.c holds
 * it to tables of event sequences.
 *
 * Sessions are named by (node, sid): node is an index the caller assigns
 * (LEDGER_SELF for the deciding node), sid the id the holding node gave the
 * session.  Sessions are only compared for equality: their order is the order
 * in which the ledger admits them, never a number an agent or a node chose.
 */
#ifndef VIGIL_LEDGER_H
#define VIGIL_LEDGER_H

#include <stdint.h>

#include "proto/crec.h"

#define LEDGER_SELF 0
#define LEDGER_RETIRED 4            /* superseded sessions remembered per agent */
#define LEDGER_PENDING_MS 10000     /* how long a doubtful session may wait */
/*
 * How many messages of the current session, each in a record of its own and
 * reporting the agent alive, refuse a waiting session.  One could be in flight
 * from before the agent moved; two cannot, since an agent that moved sends on
 * its new connection only.
 */
#define LEDGER_LIFE_SIGNS 2
/*
 * A session whose first counter is ahead of every counter the agent has used
 * by more than this many global steps (each is 9,997 messages) is absurd: it
 * may not take over a live session.  It waits like a doubtful one.
 */
#define LEDGER_GLOBAL_JUMP 65536

struct ledger_sess {
	uint16_t node;
	uint64_t sid;               /* 0 = none */
};

/* One agent's entry.  All zero is a valid empty entry (no session known). */
struct ledger_entry {
	struct ledger_sess cur;     /* the current session */
	int cur_live;               /* it has not reported closed, nor its node been lost */
	int cur_fast;               /* admitted over a live session: may still be undone */
	struct ledger_sess displaced; /* the live session a fast admission replaced */
	struct crec_ctr cur_first;
	uint64_t cur_seq;           /* newest record applied from it */
	uint64_t cur_nrx;           /* messages it had received then */
	int has_hw;
	struct crec_ctr hw;         /* newest counter of any admitted session */
	uint64_t epoch;             /* sessions admitted so far */
	struct ledger_sess pend;    /* a doubtful session waiting for cur to close */
	uint64_t pend_nrx_at;       /* cur_nrx when it began waiting, or at its last sign of life */
	unsigned int pend_life;     /* signs of life of cur since then */
	int64_t pend_deadline_ms;
	struct ledger_sess retired[LEDGER_RETIRED];   /* superseded or refused */
	unsigned int retired_next;
};

/* What the ledger reads of one record (struct crec_record plus its node). */
struct ledger_in {
	struct ledger_sess s;
	struct crec_ctr first, last;
	uint64_t nrx, seq;
	int live;
	int alive;                  /* it reports the agent there (active or pending), not leaving */
	int touch;                  /* only the time changed: no state to apply or hold */
};

enum ledger_verdict {
	LEDGER_NONE = 0,
	LEDGER_APPLIED,             /* the record is the agent's state now */
	LEDGER_STALE,               /* from a superseded session, or older than one applied */
	LEDGER_PENDING,             /* held until the current session closes */
	LEDGER_REFUSED,             /* a session that may not take over: replay or forgery */
	LEDGER_REVERTED,            /* a takeover proved to be a replay was undone */
};

/* Effects, carried out by the caller in this order. */
#define LEDGER_FX_APPLY          0x01  /* the record becomes the agent's state (a touch: its time) */
#define LEDGER_FX_UNREACHABLE    0x02  /* the agent's node is lost: disconnected, code 6 */
#define LEDGER_FX_APPLY_HELD     0x04  /* the held record becomes the agent's state */
#define LEDGER_FX_DROP_HELD      0x08  /* forget the held record */
#define LEDGER_FX_HOLD           0x10  /* keep this record as the waiting session's */
#define LEDGER_FX_FENCE          0x20  /* close session `fence` */
#define LEDGER_FX_FENCE_IF_OLDER 0x40  /* close `cfence` if its newest counter < `below` */

struct ledger_out {
	enum ledger_verdict verdict;
	unsigned int fx;
	struct ledger_sess fence;
	struct ledger_sess cfence;
	struct crec_ctr below;
	const char *why;            /* static text for the log */
};

struct ledger_env {
	int64_t now_ms;
	/* 1 when the link to node is up (LEDGER_SELF: always). */
	int (*node_up)(void *arg, uint16_t node);
	void *arg;
};

/* ledger_record: one record of session in->s for the agent of e. */
void ledger_record(struct ledger_entry *e, const struct ledger_in *in,
    const struct ledger_env *env, struct ledger_out *out);
/* ledger_node_lost: node's link has been down for the grace period. */
void ledger_node_lost(struct ledger_entry *e, uint16_t node, struct ledger_out *out);
/* ledger_tick: a waiting session whose time is up is refused. */
void ledger_tick(struct ledger_entry *e, int64_t now_ms, struct ledger_out *out);
/* ledger_reset: the agent was removed or re-keyed: nothing of it is known. */
void ledger_reset(struct ledger_entry *e);

/* What a node does with a new connection that decrypts for an agent. */
enum ledger_open {
	LEDGER_OPEN = 0,            /* no live session of the agent here: attach */
	LEDGER_OVERTAKE,            /* newer than the live one here: it is closed */
	LEDGER_REFUSE,              /* not newer than the live one here: close the new one */
};
/*
 * ledger_local_open: the agent has a live session on this node (live) whose
 * newest counter is last; the new connection's first counter is first.
 */
enum ledger_open ledger_local_open(int live, struct crec_ctr last, struct crec_ctr first);

/*
 * ledger_merge_state: a record's state into the agent's: status, code and
 * times as reported (proc_start_ms too: it is the session's, 0 on a session
 * without "Agent started"); the agent information (version, OS, sums)
 * replaced whole and only by a record that knows the version, so a known
 * field never becomes unknown (the Wazuh KeyError: 'version').
 */
void ledger_merge_state(struct crec_state *row, const struct crec_state *rec);

/* ledger_verdict_name: "applied", "stale", ... */
const char *ledger_verdict_name(enum ledger_verdict v);

#endif
