/* crec.h — typed bodies of the cluster frames that carry agent sessions:
 * the agent records of `updates`, `fence` and the command batch `restart`.
 *
 * Every body is checked whole (types, ranges, string lengths) and copied into
 * a struct before vigild acts on any field: a missing or out-of-range field
 * is an invalid body, never a zero.  Pure functions over jansson values, no I/O.
 * Wire format: docs/protocol.md.
 */
#ifndef VIGIL_CREC_H
#define VIGIL_CREC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/control.h"

#define CREC_SID_MAX INT64_MAX          /* session ids are 1 .. 2^63-1 */
#define CREC_BATCH_MAX 2000             /* records in one updates frame */
#define CREC_CMD_MAX 20000              /* agents in one restart frame */

/* An agent's message counter (global, local), as the agent protocol carries it. */
struct crec_ctr {
	uint32_t g, l;
};

/* crec_ctr_cmp: <0, 0, >0 as a is older than, the same as, newer than b. */
static inline int
crec_ctr_cmp(struct crec_ctr a, struct crec_ctr b)
{
	if (a.g != b.g)
		return a.g < b.g ? -1 : 1;
	if (a.l != b.l)
		return a.l < b.l ? -1 : 1;
	return 0;
}

/* What one session reports of its agent (Wazuh's agent row, live part). */
struct crec_state {
	int status;                 /* enum agent_status: 0 .. 3 */
	int status_code;            /* enum agent_status_code: 0 .. 6 */
	int64_t last_keepalive;     /* unix seconds, 0 = never */
	int64_t disconnection_time; /* unix seconds, 0 = none */
	char manager[256];
	struct agent_info info;     /* version "" = not known yet */
	/*
	 * Wall-clock ms at which this session's agent said "Agent started" (a new
	 * agent process: control_is_agent_started), 0 = it has not.  Per session:
	 * a new session starts at 0.  Optional on the wire (absent = 0).
	 */
	int64_t proc_start_ms;
};

/*
 * One session's record: which session (the sending node's own id for it),
 * the agent counters it has seen, and the state it reports.  A node sends
 * records only for sessions it holds; the master's ledger decides whether a
 * record becomes the agent's state (docs/design/cluster-sync.md).
 */
struct crec_record {
	uint32_t id;                /* agent id, >= 1 */
	uint64_t sid;               /* session id on the sending node, 1 .. CREC_SID_MAX */
	struct crec_ctr first;      /* counter of the session's first message */
	struct crec_ctr last;       /* counter of its newest message */
	uint64_t nrx;               /* messages received on the session */
	uint64_t sseq;              /* records published by the session */
	int live;                   /* 1 while the session is open */
	uint64_t mark_ms;           /* wall clock when the sender queued it (latency only) */
	struct crec_state st;
};

/*
 * crec_record_encode: r as a JSON object (new reference), NULL when out of
 * memory or when a string of r is not UTF-8.
 */
json_t *crec_record_encode(const struct crec_record *r);
/*
 * crec_record_decode: checks and copies one record.  0, or -1 with *why set
 * to a static description of the first problem found.
 */
int crec_record_decode(const json_t *j, struct crec_record *r, const char **why);

/*
 * A keepalive that changed nothing but the time, as a delta against the
 * last whole record of the same session that the master acknowledged.  The
 * touches of a batch travel as one string, "touch", of
 * "id,sid,sseq,nrx,last.g,last.l,last_keepalive;" per touch in plain decimal
 * (no sign, no leading zero): thousands of them a second reach the master,
 * and one string costs one allocation where arrays cost eight per touch.
 */
struct crec_touch {
	uint32_t id;
	uint64_t sid;
	uint64_t sseq;
	uint64_t nrx;
	struct crec_ctr last;
	int64_t last_keepalive;
};
#define CREC_TOUCH_TEXT_MAX 128         /* one touch's text, with its ';' */
/* crec_touch_format: t's text into buf (cap >= CREC_TOUCH_TEXT_MAX); its length. */
size_t crec_touch_format(const struct crec_touch *t, char *buf, size_t cap);
/*
 * crec_touch_next: decodes the touch at *p (before end) and moves *p past its
 * ';'.  1 with *t set; 0 at end; -1 with *why when that touch is invalid (*p
 * then moves past the next ';', so the touches after it can still be read).
 */
int crec_touch_next(const char **p, const char *end, struct crec_touch *t, const char **why);

/*
 * crec_updates_decode: the envelope of an updates body: its batch sequence
 * (>= 1), its records array (borrowed from body, at most CREC_BATCH_MAX) and
 * its touch text (borrowed, *ntouch bytes, at most CREC_BATCH_MAX *
 * CREC_TOUCH_TEXT_MAX; *touches NULL and *ntouch 0 when absent).  Records are decoded one by one with
 * crec_record_decode, touches with crec_touch_next.  0 / -1 with *why.
 */
int crec_updates_decode(const json_t *body, uint64_t *seq, const json_t **records,
    const char **touches, size_t *ntouch, const char **why);

/*
 * fence (master -> node): close agent id's session sid.  With below set, only
 * if that session's newest counter is older than below; otherwise the node
 * keeps it and sends its record again, which tells the master why.
 */
struct crec_fence {
	uint32_t id;
	uint64_t sid;
	int has_below;
	struct crec_ctr below;
};
json_t *crec_fence_encode(const struct crec_fence *f);
int crec_fence_decode(const json_t *body, struct crec_fence *f, const char **why);

/* restart (master -> node): a command for the named sessions. */
enum crec_cmd {
	CREC_CMD_RESTART = 0,
	CREC_CMD_RECONNECT,
	CREC_CMD_UNKNOWN,           /* a "cmd" this build does not know: answered 1000 */
};
struct crec_target {
	uint32_t id;
	uint64_t sid;
};
struct crec_command {
	uint64_t req;
	/*
	 * The job the command belongs to, 1 .. 2^63-1; 0 = none (a master built
	 * before the field).  A node writes a job's command on one session once:
	 * sent again, it is answered delivered and not written again.  Optional on
	 * the wire (absent = 0).
	 */
	uint64_t job;
	enum crec_cmd cmd;
	size_t n;
	struct crec_target *agents; /* malloc'd by decode; crec_command_free */
};
/*
 * crec_command_encode: job 0 is left out.  NULL for CREC_CMD_UNKNOWN (nothing
 * to name) or out of memory.
 */
json_t *crec_command_encode(uint64_t req, uint64_t job, enum crec_cmd cmd,
    const struct crec_target *t, size_t n);
int crec_command_decode(const json_t *body, struct crec_command *c, const char **why);
void crec_command_free(struct crec_command *c);

#endif
