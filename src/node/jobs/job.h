/* job.h — a restart (or reconnect) tracked over a set of agents: which agent
 * gets the command, on which session, when, and when it is proven done.
 *
 * Pure: no I/O, no libevent, no registry, no clock of its own.  Time comes in
 * as arguments (ms, the master's wall clock); the agents' current sessions
 * come in through struct job_view, filled by the caller; what to send goes
 * out as a list of struct job_send the caller carries out and answers with
 * job_sent_result.  tests/unit/test_job.c holds the rules to tables of event
 * sequences and to a randomized simulation.
 *
 * Per agent:
 *
 *   PENDING --send--> PENDING, in flight --node: written--> DELIVERED
 *      ^                  |                                   |
 *      |  node: moved,    |                                   | another session of the
 *      |  unreachable,    |                                   | agent is active, without
 *      +--1707, ... ------+                                   | proof: redeliver there
 *      +------------------------------------------------------+
 *   (after "unreachable", the same session may be sent to again; see "Exactly once")
 *   any of these --proof--> COMPLETED     --agent removed (1701)--> FAILED
 *   PENDING, DELIVERED --expires_ms--> EXPIRED     PENDING --cancel--> CANCELLED
 *
 * Proof.  For a restart: the agent's current session is another one than the
 * session the command was last sent to, and its process started (the node saw
 * Wazuh's "Agent started" event on it, proc_start_ms) at or after the time of
 * the first send to that session (a send again after JOB_CODE_UNREACHABLE
 * keeps that time: the first one may be the one that was written).  Any
 * process start after the send counts, whoever caused it: it is a restarted
 * process.  For a reconnect: the agent's current session is another one than
 * the session the command was last sent to, and it is live.
 * A proof counts in any state that is not final, also while the node's answer
 * for the send is still due (the proof may arrive first) and while the agent
 * is PENDING again after a send that may or may not have been written
 * (VIGIL_ERR_NODE_UNREACHABLE).  proc_start_ms is the holding node's clock,
 * sent_ms the master's: a node whose clock is behind the master's by more
 * than the time an agent takes to restart hides its agents' proofs (they are
 * then redelivered to, or expire); the caller keeps the clocks in step or
 * corrects proc_start_ms by the node's known offset.
 *
 * Exactly once.  The command goes only to an active current session whose
 * node is in reach (the view's node_down is 0), and is written on one session
 * (node, sid) at most once: every session a job sent to is remembered (the
 * latest in the agent's row, earlier ones in the job's list of struct
 * job_sent) and is not sent to again, with one exception.  The answer
 * JOB_CODE_UNREACHABLE (VIGIL_ERR_NODE_UNREACHABLE: the node's answer timed
 * out, or its link died) cannot say whether the command was written; a session
 * never written to would then wait, with the agent on it, until the job
 * expires.  So after that answer the agent's latest session may be sent to
 * again, as often as that answer comes: the node holding a session writes a
 * job's command on it once and answers a repeat 0 without writing it
 * (jobseen.h; the caller sends the job's id with every command).  After 0
 * (written), 1791 (moved) or any other answer, never again.  An earlier
 * session is never sent to again, whatever its answer was.  An answer that
 * names another session than the agent's latest send, or comes when none is
 * due, or for a final agent, is ignored.  The caller answers every send
 * exactly once (so an answer naming the latest session while one is due is
 * that of the latest send, also when the session was sent to before): 0 when
 * written, the node's error code otherwise, and VIGIL_ERR_NODE_UNREACHABLE
 * (or any code but 0 and 1701) for the sends of a node it lost.  An agent
 * whose answer never comes stays in flight until it is proven, removed or
 * expired.
 *
 * Choices where the design was silent:
 * - sent_ms is the time of the first send to the latest session and is kept
 *   after the answer; "in flight" is a separate field (wait): a PENDING agent
 *   with wait = 1, or a DELIVERED one.  max_in_flight counts both.  sends
 *   counts every send, those to the same session again too.
 * - A session whose node is out of reach (node_down) is not sent to, not even
 *   after JOB_CODE_UNREACHABLE: the answer would be that code again at once.
 *   The agent waits for the node to be back or for its next session.
 * - Any answer but 0 and 1701 (1791 moved, 1792 unreachable, 1707, 1790 version
 *   unknown, ...) puts the agent back to PENDING for its next session; the
 *   code is kept in the row (the latest send's error) until it is delivered.
 * - job_sent_result takes the agent's current view when the caller has it: a
 *   command written to a session the agent has already left is redelivered
 *   without waiting for the agent's next change, and a proof already there
 *   completes the agent.  job_tick applies the same judgement to every PENDING
 *   agent it considers, so the outcome does not depend on the order in which
 *   answers, observations and ticks arrive.
 * - Cancel: PENDING agents (in flight or not) become CANCELLED at once; their
 *   late answers are ignored.  DELIVERED agents stay tracked until they are
 *   proven (COMPLETED) or expire; one whose session ends without proof after
 *   the cancel becomes CANCELLED instead of being redelivered.
 * - Expiry applies at the first call (tick, observation, answer, cancel) at or
 *   after expires_ms; nothing happens to an expired job after that.
 * - The rate's bucket starts full at created_ms; the deliveries it counts are
 *   sends (each send takes one token, whatever its answer).
 * - Agents are added before the first job_tick only (job_add).
 * - Memory: 64 bytes an agent, plus 16 (and a hash slot) for every
 *   redelivery.  job_tick scans from the first agent that may be sent to,
 *   in id order, and stops when max_in_flight or the tokens are spent.
 */
#ifndef VIGIL_JOB_H
#define VIGIL_JOB_H

#include <stddef.h>
#include <stdint.h>

#define JOB_EXPIRES_DEFAULT_MS (15 * 60 * 1000)
#define JOB_CODE_GONE 1701          /* the agent does not exist (Wazuh 1701) */
#define JOB_CODE_UNREACHABLE 1792   /* the node did not answer: written or not (Vigil 1792) */
#define JOB_FORMAT_VERSION 1        /* of struct job_head / job_agent / job_sent */

enum job_kind {
	JOB_RESTART = 0,
	JOB_RECONNECT,
};

enum job_state {
	JOB_PENDING = 0,
	JOB_DELIVERED,
	JOB_COMPLETED,              /* final from here on */
	JOB_FAILED,
	JOB_EXPIRED,
	JOB_CANCELLED,
	JOB_NSTATES
};
#define JOB_STATE_FINAL(s) ((s) >= JOB_COMPLETED)

/*
 * One agent of a job.  Plain types only: a row of a table (job id, then these
 * columns).  Times are ms, 0 = not yet.
 */
struct job_agent {
	uint32_t id;
	int state;                  /* enum job_state */
	int wait;                   /* the node's answer to the latest send is due */
	int node;                   /* the session of the latest send: node index (LEDGER_SELF...) */
	uint64_t sid;               /* ... and session id; 0 = never sent */
	int64_t sent_ms;            /* time of the first send to that session; 0 = never sent */
	uint32_t sends;             /* how many times sent */
	int code;                   /* FAILED: why; PENDING: the latest send's error; else 0 */
	int64_t t_pending;          /* = the job's created_ms */
	int64_t t_delivered;        /* the latest delivery */
	int64_t t_done;             /* when it became final */
};

/* A session a job sent to before the agent's latest send (a row: job id, these). */
struct job_sent {
	uint32_t id;
	int node;
	uint64_t sid;
};

/* The job itself (a row). */
struct job_head {
	uint32_t version;           /* JOB_FORMAT_VERSION */
	uint64_t id;
	int kind;                   /* enum job_kind */
	int64_t created_ms;
	int64_t expires_ms;
	uint32_t max_in_flight;     /* 0 = no limit */
	uint32_t rate;              /* sends per second, 0 = no limit; burst max(1, rate) */
	int cancelled;
};

/*
 * The caller's view of one agent, as the master knows it now: it exists; its
 * current session (node, sid; sid 0 = none) is open (live) and its status is
 * active (its startup was followed by a keepalive); proc_start_ms: when that
 * session's node saw the agent's "Agent started" event (0 = not seen);
 * node_down: that node cannot be sent to now (its link to the master is
 * down), so nothing is sent to the session until it is back.
 */
struct job_view {
	int exists;
	int live;
	int active;
	int node;
	uint64_t sid;
	int64_t proc_start_ms;
	int node_down;
};

/* job_view_fn: fills *v with the view of agent id. */
typedef void (*job_view_fn)(void *arg, uint32_t id, struct job_view *v);

/* What job_tick asks the caller to send: the job's command to agent id on (node, sid). */
struct job_send {
	uint32_t id;
	int node;
	uint64_t sid;
};

struct job;

/*
 * job_new: an empty job.  expires_in_ms 0 = JOB_EXPIRES_DEFAULT_MS.  NULL on
 * allocation failure or a bad kind.  The caller owns it (job_free).
 */
struct job *job_new(uint64_t id, int kind, int64_t created_ms, int64_t expires_in_ms,
    uint32_t max_in_flight, uint32_t rate);
void job_free(struct job *j);
/*
 * job_add: agents ids[0..n) join the job, PENDING (duplicates are one agent).
 * Only before the first job_tick.  0, or -1 (already started, no memory).
 */
int job_add(struct job *j, const uint32_t *ids, size_t n);

/*
 * job_tick: expires what is due, then picks PENDING agents not in flight whose
 * view is live and active on a session in reach that the job has not sent to
 * for that agent (or whose latest send there was answered
 * JOB_CODE_UNREACHABLE), in id order, within max_in_flight and the rate's
 * tokens, up to cap; marks them in flight and writes them to out.  Returns
 * how many.  Sends nothing once the job is cancelled or expired.
 */
size_t job_tick(struct job *j, int64_t now_ms, job_view_fn view, void *arg,
    struct job_send *out, size_t cap);

/* What became of an event. */
#define JOB_IGNORED 0
#define JOB_APPLIED 1               /* it was considered; the agent may or may not have changed */
#define JOB_UNKNOWN (-1)            /* no such agent in the job */

/*
 * job_sent_result: the node's answer for the send of the command to agent id
 * on (node, sid): 0 written on that session (DELIVERED), JOB_CODE_GONE (FAILED),
 * JOB_CODE_UNREACHABLE: maybe written (PENDING, for that session again or the
 * agent's next), any other code: not delivered (PENDING, for the agent's next
 * session).  v: the agent's view now, or NULL; given, the answer is followed
 * by job_observe's judgement.  JOB_IGNORED for an answer that names another
 * session than the agent's latest send, or when no answer is due, or for a
 * final agent.
 */
int job_sent_result(struct job *j, uint32_t id, int node, uint64_t sid, int code,
    const struct job_view *v, int64_t now_ms);
/*
 * job_observe: the agent's current session or its state changed on the
 * master (the caller calls it on every change): proof -> COMPLETED; gone ->
 * FAILED 1701; DELIVERED and now on another active session without proof ->
 * PENDING (or CANCELLED after a cancel).  JOB_IGNORED for a final agent.
 */
int job_observe(struct job *j, uint32_t id, const struct job_view *v, int64_t now_ms);
/* job_cancel: PENDING agents -> CANCELLED; no more sends.  Returns how many were cancelled. */
size_t job_cancel(struct job *j, int64_t now_ms);

/* job_is_done: every agent is final (an empty job is done). */
int job_is_done(const struct job *j);
void job_get_head(const struct job *j, struct job_head *h);
size_t job_size(const struct job *j);
size_t job_count(const struct job *j, int state);
/* job_in_flight: PENDING agents whose answer is due, and DELIVERED ones. */
size_t job_in_flight(const struct job *j);
/* job_find: agent id of the job, or NULL.  Binary search. */
const struct job_agent *job_find(const struct job *j, uint32_t id);
/* job_agent_at: the i-th agent in id order (i < job_size). */
const struct job_agent *job_agent_at(const struct job *j, size_t i);
/*
 * job_list: the agents whose state is in mask (bit 1u << state; 0 = all), in
 * id order, skipping the first offset of them; up to limit into out.  Returns
 * how many were written.  The total for paging is job_count_mask.
 */
size_t job_list(const struct job *j, unsigned int mask, size_t offset, size_t limit,
    const struct job_agent **out);
size_t job_count_mask(const struct job *j, unsigned int mask);
/* job_sent_old: the sessions sent to before each agent's latest send (*n of them). */
const struct job_sent *job_sent_old(const struct job *j, size_t *n);

/*
 * job_restore: a job from its rows (as job_get_head, job_agent_at and
 * job_sent_old gave them, e.g. after a master restart).  Answers due to the
 * master that wrote them never come: a row whose wait is set is restored as
 * answered JOB_CODE_UNREACHABLE (maybe written: the agent is PENDING, and its
 * latest session may be sent to again, the holding node writing it there at
 * most once), so a command lost with the old master is not left waiting until
 * the agent moves or the job expires.  The job counts as started.  NULL when the rows are not valid
 * (version, kind, states, ids not strictly increasing) or on allocation failure.
 */
struct job *job_restore(const struct job_head *h, const struct job_agent *rows, size_t n,
    const struct job_sent *old, size_t nold);

/*
 * job_row_sent: replays on a saved row, before job_restore, a send the row does
 * not show: the caller records each tick's sends (agent, node, sid, the time)
 * before making them, and the rows themselves after, so a master that stopped
 * in between has the record but not the rows.  The row becomes what job_tick
 * made of it: in flight on (node, sid) (restored as maybe written), sends + 1,
 * sent_ms the send's time unless the row's latest session is that one already;
 * a latest session that was another goes to *old (returns 1: the caller adds
 * it to the earlier sessions).  A final row, or one whose latest send is to
 * (node, sid) at or after sent_ms or still in flight (it shows this send
 * already), is left alone (-1).  0: replayed, no earlier session.
 */
int job_row_sent(struct job_agent *row, int node, uint64_t sid, int64_t sent_ms,
    struct job_sent *old);

/*
 * job_check: recounts everything (O(n)): 0 when the counts per state add up
 * to the agents and match them, in-flight matches, ids are strictly
 * increasing; -1 otherwise.  For tests and assertions.
 */
int job_check(const struct job *j);

/* job_state_name: "pending", "delivered", ...; job_state_parse: its inverse, -1 if unknown. */
const char *job_state_name(int state);
int job_state_parse(const char *s);
/* job_kind_name: "restart", "reconnect". */
const char *job_kind_name(int kind);

#endif
