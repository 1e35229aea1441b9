/* test_job.c — the job rules (src/node/jobs/job.h) as tables of event
 * sequences, and a randomized simulation of 2,000 agents that move, flap,
 * restart and lose answers, on nodes that go out of reach, while a rolling
 * restart runs over them.
 *
 * Table cases: agents 1..n; the world holds each agent's view (the master's
 * idea of its current session), every agent starting live and active on node
 * 1, session 100 + id, no process start seen.  Created at 1000 ms.  After
 * every step the counts must add up (job_check) and no agent may have been
 * sent the command twice on one session, but for a send again after the
 * answer to the one before it there was 1792 (maybe written: the node that
 * holds the session writes a job's command once, test_jobseen.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/jobs/job.h"

#define T0 1000

enum op { END = 0, VIEW, GONE, TICK, OBS, RES, RESV, CANCEL, EXPECT, CODE, SENDS };

/* view kinds */
#define CLOSED 0
#define PEND 1
#define ACTIVE 2
#define DOWN 3                      /* active, on a node out of reach */

/* expected states; NA: do not check */
#define P JOB_PENDING
#define D JOB_DELIVERED
#define CO JOB_COMPLETED
#define FA JOB_FAILED
#define EX JOB_EXPIRED
#define CA JOB_CANCELLED
#define NA (-1)

#define AP JOB_APPLIED
#define IG JOB_IGNORED
#define UN JOB_UNKNOWN

struct step {
	enum op op;
	uint32_t id;
	int node;
	uint64_t sid;
	int how;                    /* VIEW: CLOSED / PEND / ACTIVE / DOWN */
	int64_t proc;               /* VIEW: proc_start_ms */
	int code;                   /* RES: the answer; CODE/SENDS: the expected value */
	int64_t now;
	int ret;                    /* TICK: sends; OBS/RES: AP/IG/UN; CANCEL: how many */
	int state, wait;            /* agent id afterwards (NA: not checked) */
};

#define V(i, nd, s, h, pr) { VIEW, i, nd, s, h, pr, 0, 0, 0, NA, NA }
#define G(i) { GONE, i, 0, 0, 0, 0, 0, 0, 0, NA, NA }
#define T(t, n) { TICK, 0, 0, 0, 0, 0, 0, t, n, NA, NA }
#define O(i, t, r, st, w) { OBS, i, 0, 0, 0, 0, 0, t, r, st, w }
#define R(i, nd, s, c, t, r, st, w) { RES, i, nd, s, 0, 0, c, t, r, st, w }
#define RV(i, nd, s, c, t, r, st, w) { RESV, i, nd, s, 0, 0, c, t, r, st, w }
#define C(t, n) { CANCEL, 0, 0, 0, 0, 0, 0, t, n, NA, NA }
#define E(i, st, w) { EXPECT, i, 0, 0, 0, 0, 0, 0, 0, st, w }
#define EC(i, c) { CODE, i, 0, 0, 0, 0, c, 0, 0, NA, NA }
#define ES(i, n) { SENDS, i, 0, 0, 0, 0, n, 0, 0, NA, NA }

struct tcase {
	const char *name;
	int kind;
	uint32_t nagents;
	uint32_t max_in_flight, rate;
	int64_t expires_in;
	struct step steps[24];
};

/* the sessions: 1/101 is agent 1's first; 2/201, 3/301 ... later ones */
static const struct tcase cases[] = {
	{ "restart: sent, written, proven by a process start on a new session",
	    JOB_RESTART, 1, 0, 0, 0, {
		E(1, P, 0),
		T(T0, 1), E(1, P, 1), ES(1, 1),
		R(1, 1, 101, 0, 1100, AP, D, 0),
		V(1, 1, 101, CLOSED, 0), O(1, 1200, AP, D, 0),     /* it goes down: wait */
		V(1, 2, 201, PEND, 1300), O(1, 1300, AP, CO, 0),   /* back, a new process */
		O(1, 1400, IG, CO, 0),
	} },
	{ "restart: the proof may come before the node's answer",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1),
		V(1, 2, 201, ACTIVE, 1050), O(1, 1100, AP, CO, 0),
		R(1, 1, 101, 0, 1200, IG, CO, 0),
	} },
	{ "restart: a process start on the session it was sent to proves nothing",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 0, 1100, AP, D, 0),
		V(1, 1, 101, ACTIVE, 1500), O(1, 1500, AP, D, 0),
	} },
	{ "restart: a process start older than the send proves nothing; redelivered there",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 0, 1100, AP, D, 0),
		V(1, 2, 201, PEND, 999), O(1, 1200, AP, D, 0),     /* not active yet: wait */
		V(1, 2, 201, ACTIVE, 999), O(1, 1300, AP, P, 0),   /* active, no proof */
		T(2000, 1), E(1, P, 1), ES(1, 2),
		R(1, 2, 201, 0, 2100, AP, D, 0),
		V(1, 3, 301, ACTIVE, 2050), O(1, 2200, AP, CO, 0),
	} },
	{ "restart: a process start exactly at the send counts",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 0, 1100, AP, D, 0),
		V(1, 2, 201, ACTIVE, T0), O(1, 1200, AP, CO, 0),
	} },
	{ "restart: the session ended without proof: redelivered to the next one, once",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 0, 1100, AP, D, 0),
		V(1, 1, 101, CLOSED, 0), O(1, 1200, AP, D, 0),
		T(1300, 0),                                        /* delivered: nothing to send */
		V(1, 2, 201, ACTIVE, 0), O(1, 1400, AP, P, 0),
		T(1500, 1), E(1, P, 1),
		T(1600, 0),                                        /* in flight: not again */
		R(1, 2, 201, 0, 1700, AP, D, 0),
		T(1800, 0), ES(1, 2),
		V(1, 3, 301, ACTIVE, 1900), O(1, 1900, AP, CO, 0),
	} },
	{ "restart: moved before delivery (1791): never again on that session, next one gets it",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1791, 1100, AP, P, 0), EC(1, 1791),
		T(1200, 0),                                        /* still 1/101: not twice */
		V(1, 2, 201, PEND, 0), T(1300, 0),                 /* not active yet */
		V(1, 2, 201, ACTIVE, 0), T(1400, 1), E(1, P, 1),
		R(1, 2, 201, 0, 1500, AP, D, 0), EC(1, 0), ES(1, 2),
	} },
	{ "restart: node unreachable (1792) after a write: the agent's proof completes it",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1792, 1100, AP, P, 0),
		T(1150, 1), E(1, P, 1), ES(1, 2),                  /* the same session again */
		/* the process started before the send again, after the first: proof */
		V(1, 2, 201, ACTIVE, 1120), O(1, 1200, AP, CO, 0),
		R(1, 1, 101, 1791, 1250, IG, CO, 0),
	} },
	{ "restart: 1792, the agent stays on its session: sent there again until written",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1792, 1100, AP, P, 0), EC(1, 1792),
		T(1200, 1), E(1, P, 1), EC(1, 1792),               /* the code stays while due */
		R(1, 1, 101, 1792, 1300, AP, P, 0),
		T(1400, 1), R(1, 1, 101, 0, 1500, AP, D, 0), EC(1, 0), ES(1, 3),
		T(1600, 0),                                        /* written: never again */
		V(1, 1, 101, ACTIVE, 1550), O(1, 1600, AP, D, 0),  /* same session: no proof */
		V(1, 2, 201, ACTIVE, 1650), O(1, 1700, AP, CO, 0),
	} },
	{ "restart: 1792 then 1791 on the same session: never again there",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1792, 1100, AP, P, 0),
		T(1200, 1), R(1, 1, 101, 1791, 1300, AP, P, 0), EC(1, 1791),
		T(1400, 0), T(1500, 0), ES(1, 2),
		V(1, 2, 201, ACTIVE, 0), T(1600, 1), ES(1, 3),
	} },
	{ "restart: 1792 on a session the agent has left: the next one, and never back",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1792, 1100, AP, P, 0),
		V(1, 2, 201, ACTIVE, 0), T(1200, 1),
		R(1, 2, 201, 1791, 1300, AP, P, 0),
		V(1, 1, 101, ACTIVE, 0), T(1400, 0),               /* not the latest any more */
		ES(1, 2),
	} },
	{ "restart: the proof of a process started after the first send, not after the second",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1792, 1100, AP, P, 0),
		T(1200, 1),
		RV(1, 1, 101, 0, 1300, AP, D, 0),
		V(1, 2, 201, ACTIVE, T0), O(1, 1400, AP, CO, 0),
	} },
	{ "restart: a node out of reach is not sent to, not even after 1792; back, it is",
	    JOB_RESTART, 1, 0, 0, 0, {
		V(1, 1, 101, DOWN, 0), T(T0, 0), E(1, P, 0),
		V(1, 1, 101, ACTIVE, 0), T(1100, 1),
		R(1, 1, 101, 1792, 1200, AP, P, 0),
		V(1, 1, 101, DOWN, 0), T(1300, 0), T(1400, 0), ES(1, 1),
		V(1, 1, 101, ACTIVE, 0), T(1500, 1), E(1, P, 1), ES(1, 2),
		R(1, 1, 101, 0, 1600, AP, D, 0),
	} },
	{ "restart: a node out of reach: the proof still counts, the redelivery waits",
	    JOB_RESTART, 2, 0, 0, 0, {
		T(T0, 2), R(1, 1, 101, 0, 1100, AP, D, 0), R(2, 1, 102, 0, 1100, AP, D, 0),
		V(1, 2, 201, DOWN, 1200), O(1, 1300, AP, CO, 0),
		V(2, 2, 202, DOWN, 0), O(2, 1300, AP, P, 0), T(1400, 0),
		V(2, 2, 202, ACTIVE, 0), T(1500, 1),
	} },
	{ "reconnect: 1792, sent to the same session again",
	    JOB_RECONNECT, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1792, 1100, AP, P, 0),
		T(1200, 1), R(1, 1, 101, 0, 1300, AP, D, 0),
		V(1, 1, 102, PEND, 0), O(1, 1400, AP, CO, 0),
	} },
	{ "cancel: an agent waiting after 1792 is cancelled, not sent again",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1792, 1100, AP, P, 0),
		C(1150, 1), E(1, CA, 0), T(1200, 0),
	} },
	{ "max_in_flight 1: a send again after 1792 is in flight",
	    JOB_RESTART, 2, 1, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1792, 1100, AP, P, 0),
		T(1200, 1), E(1, P, 1), E(2, P, 0),
		R(1, 1, 101, 0, 1300, AP, D, 0), T(1400, 0),
	} },
	{ "restart: node unreachable, the proof seen first at the tick",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1792, 1100, AP, P, 0),
		V(1, 2, 201, ACTIVE, 1120),
		T(1200, 0), E(1, CO, 0), ES(1, 1),
	} },
	{ "restart: 1707 (not active): the next session",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1707, 1100, AP, P, 0), EC(1, 1707),
		V(1, 1, 102, ACTIVE, 0), T(1200, 1),
	} },
	{ "the agent does not exist (1701 answer): failed",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1701, 1100, AP, FA, 0), EC(1, 1701),
		O(1, 1200, IG, FA, 0),
	} },
	{ "the agent is removed: failed 1701, whatever its state",
	    JOB_RESTART, 3, 0, 0, 0, {
		V(3, 1, 103, CLOSED, 0),
		T(T0, 2), R(2, 1, 102, 0, 1100, AP, D, 0),
		G(1), O(1, 1200, AP, FA, 0), EC(1, 1701),          /* in flight */
		G(2), O(2, 1200, AP, FA, 0),                       /* delivered */
		G(3), O(3, 1200, AP, FA, 0),                       /* never sent */
		R(1, 1, 101, 0, 1300, IG, FA, 0),
	} },
	{ "the agent is removed: the tick sees it",
	    JOB_RESTART, 1, 0, 0, 0, {
		G(1), T(T0, 0), E(1, FA, 0), EC(1, 1701),
	} },
	{ "answers: an older send's is ignored, a repeated one too",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1791, 1100, AP, P, 0),
		V(1, 2, 201, ACTIVE, 0), T(1200, 1),
		R(1, 1, 101, 0, 1300, IG, P, 1),                   /* the first send's, again */
		R(1, 2, 999, 0, 1300, IG, P, 1),                   /* a session never sent to */
		R(1, 2, 201, 0, 1400, AP, D, 0),
		R(1, 2, 201, 0, 1500, IG, D, 0),
		R(1, 2, 201, 1791, 1500, IG, D, 0),
		R(7, 2, 201, 0, 1500, UN, NA, NA),
		O(7, 1500, UN, NA, NA),
	} },
	{ "only a live, active session is sent to",
	    JOB_RESTART, 1, 0, 0, 0, {
		V(1, 1, 101, CLOSED, 0), T(T0, 0),
		V(1, 1, 101, PEND, 0), T(1100, 0),
		V(1, 0, 0, ACTIVE, 0), T(1150, 0),                 /* no session at all */
		V(1, 1, 101, ACTIVE, 0), T(1200, 1),
	} },
	{ "in flight, the agent moves: the write's answer redelivers at once (result with view)",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1),
		V(1, 2, 201, ACTIVE, 0), O(1, 1050, AP, P, 1),     /* the answer is due: wait */
		RV(1, 1, 101, 0, 1100, AP, P, 0),                  /* written to a session it left */
		T(1200, 1), R(1, 2, 201, 0, 1300, AP, D, 0),
	} },
	{ "in flight, the agent moves: the answer without a view waits for the next change",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1),
		V(1, 2, 201, ACTIVE, 0),
		R(1, 1, 101, 0, 1100, AP, D, 0),
		O(1, 1200, AP, P, 0), T(1300, 1),
	} },
	{ "the command never goes back to a session it was sent to (a takeover undone)",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1792, 1100, AP, P, 0),
		V(1, 2, 201, ACTIVE, 0), T(1200, 1), R(1, 2, 201, 0, 1300, AP, D, 0),
		V(1, 1, 101, ACTIVE, 0), O(1, 1400, AP, P, 0),     /* back on the first */
		T(1500, 0),
		V(1, 3, 301, ACTIVE, 0), T(1600, 1),
		R(1, 3, 301, 1791, 1650, AP, P, 0),
		V(1, 2, 201, ACTIVE, 0), T(1700, 0),               /* older ones are kept too */
		V(1, 1, 101, ACTIVE, 0), T(1700, 0),
		ES(1, 3),
	} },
	{ "reconnect: another live session completes it, no process start needed",
	    JOB_RECONNECT, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 0, 1100, AP, D, 0),
		V(1, 1, 101, CLOSED, 0), O(1, 1200, AP, D, 0),
		V(1, 2, 201, PEND, 0), O(1, 1300, AP, CO, 0),
	} },
	{ "reconnect: the same session, or a closed one, proves nothing",
	    JOB_RECONNECT, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 0, 1100, AP, D, 0),
		V(1, 1, 101, ACTIVE, 5000), O(1, 1200, AP, D, 0),
		V(1, 2, 201, CLOSED, 5000), O(1, 1300, AP, D, 0),
		V(1, 3, 301, ACTIVE, 0), O(1, 1400, AP, CO, 0),
	} },
	{ "reconnect: moved before delivery: it is elsewhere, so it reconnected",
	    JOB_RECONNECT, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 1791, 1100, AP, P, 0),
		V(1, 2, 201, ACTIVE, 0), T(1200, 0), E(1, CO, 0),
	} },
	{ "restart: a proof on a session that has closed since still counts",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 0, 1100, AP, D, 0),
		V(1, 2, 201, CLOSED, 1200), O(1, 1300, AP, CO, 0),
	} },
	{ "restart: no proof before a send",
	    JOB_RESTART, 1, 0, 0, 0, {
		V(1, 2, 201, ACTIVE, 500), O(1, 600, AP, P, 0),
		V(1, 2, 201, ACTIVE, 1500), O(1, 1500, AP, P, 0),
		T(1600, 1),
	} },
	{ "cancel: pending ones are cancelled, delivered ones tracked to the end",
	    JOB_RESTART, 4, 0, 0, 0, {
		V(3, 1, 103, CLOSED, 0), V(4, 1, 104, CLOSED, 0),
		T(T0, 2), R(1, 1, 101, 0, 1100, AP, D, 0), E(2, P, 1),
		C(1200, 3), E(1, D, 0), E(2, CA, 0), E(3, CA, 0), E(4, CA, 0),
		R(2, 1, 102, 0, 1300, IG, CA, 0),
		V(3, 1, 103, ACTIVE, 0), T(1400, 0),
		V(1, 2, 201, ACTIVE, 0), O(1, 1500, AP, CA, 0),    /* no redelivery */
		C(1600, 0),
	} },
	{ "cancel: a delivered agent still completes",
	    JOB_RESTART, 1, 0, 0, 0, {
		T(T0, 1), R(1, 1, 101, 0, 1100, AP, D, 0),
		C(1200, 0), V(1, 2, 201, ACTIVE, 1300), O(1, 1300, AP, CO, 0),
	} },
	{ "expiry: at expires_ms, pending and delivered agents expire",
	    JOB_RESTART, 3, 0, 0, 5000, {
		V(3, 1, 103, CLOSED, 0),
		T(T0, 2), R(1, 1, 101, 0, 1100, AP, D, 0),
		T(5999, 0), E(1, D, 0), E(2, P, 1), E(3, P, 0),
		T(6000, 0), E(1, EX, 0), E(2, EX, 0), E(3, EX, 0),
		R(2, 1, 102, 0, 6100, IG, EX, 0),
		V(1, 2, 201, ACTIVE, 5500), O(1, 6100, IG, EX, 0),
		V(3, 1, 103, ACTIVE, 0), T(6200, 0),
	} },
	{ "expiry: applied by the first event at or after it",
	    JOB_RESTART, 2, 0, 0, 5000, {
		T(T0, 2), R(1, 1, 101, 0, 1100, AP, D, 0),
		V(1, 2, 201, ACTIVE, 5500), O(1, 6000, IG, EX, 0), E(2, EX, 0),
	} },
	{ "expiry: a completed agent stays completed",
	    JOB_RESTART, 1, 0, 0, 5000, {
		T(T0, 1), V(1, 2, 201, ACTIVE, 1100), O(1, 1200, AP, CO, 0),
		T(7000, 0), E(1, CO, 0),
	} },
	{ "max_in_flight 2: the third waits for one to complete, not to be delivered",
	    JOB_RESTART, 4, 2, 0, 0, {
		T(T0, 2), E(1, P, 1), E(2, P, 1), E(3, P, 0),
		R(1, 1, 101, 0, 1100, AP, D, 0), T(1200, 0),
		V(1, 2, 201, ACTIVE, 1150), O(1, 1300, AP, CO, 0),
		T(1400, 1), E(3, P, 1), E(4, P, 0),
		R(2, 1, 102, 1791, 1500, AP, P, 0),                 /* not in flight any more */
		T(1600, 1), E(4, P, 1), E(2, P, 0),
	} },
	{ "rate 2/s: a burst of 2, then one every 500 ms",
	    JOB_RESTART, 6, 0, 2, 0, {
		T(T0, 2), T(T0, 0), T(1499, 0), T(1500, 1), T(1999, 0), T(2000, 1),
		T(9000, 2), E(6, P, 1),
	} },
	{ "rate 2/s: never more than the burst after a pause",
	    JOB_RESTART, 8, 0, 2, 0, {
		T(T0, 2), T(60000, 2), T(60000, 0), T(60499, 0), T(60500, 1),
	} },
	{ "rate 1/s: burst 1",
	    JOB_RESTART, 3, 0, 1, 0, {
		T(T0, 1), T(1999, 0), T(2000, 1), T(500, 0), T(2999, 0), T(3000, 1),
	} },
	{ "rate: a token is not spent on an agent that cannot be sent to",
	    JOB_RESTART, 4, 0, 1, 0, {
		V(1, 1, 101, CLOSED, 0), V(2, 1, 102, PEND, 0), V(3, 1, 103, DOWN, 0),
		T(T0, 1), E(4, P, 1), E(1, P, 0), E(3, P, 0),
	} },
};

struct world {
	struct job_view v[16];
	uint64_t sent[16][8];       /* sessions sent to, per agent (sid; node folded in) */
	int again[16][8];           /* ... and answered 1792: may be sent to again */
	int nsent[16];
};

static int
world_find(const struct world *w, uint32_t id, uint64_t key)
{
	int q;

	for (q = 0; q < w->nsent[id]; q++)
		if (w->sent[id][q] == key)
			return q;
	return -1;
}

static void
world_view(void *arg, uint32_t id, struct job_view *v)
{
	struct world *w = arg;

	if (id < 16)
		*v = w->v[id];
}

static void
check_counts(const struct job *j)
{
	size_t t = 0;
	int s;

	assert_int_equal(job_check(j), 0);
	for (s = 0; s < JOB_NSTATES; s++)
		t += job_count(j, s);
	assert_int_equal(t, job_size(j));
}

static void
run_case(const struct tcase *tc)
{
	struct world w;
	struct job *j;
	uint32_t ids[16];
	uint32_t i;
	size_t k;

	memset(&w, 0, sizeof(w));
	for (i = 1; i <= tc->nagents; i++) {
		ids[i - 1] = i;
		w.v[i].exists = w.v[i].live = w.v[i].active = 1;
		w.v[i].node = 1;
		w.v[i].sid = 100 + i;
	}
	j = job_new(7, tc->kind, T0, tc->expires_in, tc->max_in_flight, tc->rate);
	assert_non_null(j);
	assert_int_equal(job_add(j, ids, tc->nagents), 0);
	check_counts(j);
	for (k = 0; k < sizeof(tc->steps) / sizeof(tc->steps[0]) && tc->steps[k].op != END; k++) {
		const struct step *st = &tc->steps[k];
		const struct job_agent *a;
		struct job_send out[16];
		struct job_view *v = &w.v[st->id < 16 ? st->id : 0];
		int got = 0, want = st->ret;
		size_t n, m;

		switch (st->op) {
		case VIEW:
			v->exists = 1;
			v->live = st->how != CLOSED;
			v->active = st->how == ACTIVE || st->how == DOWN;
			v->node_down = st->how == DOWN;
			v->node = st->node;
			v->sid = st->sid;
			v->proc_start_ms = st->proc;
			break;
		case GONE:
			memset(v, 0, sizeof(*v));
			break;
		case TICK:
			n = job_tick(j, st->now, world_view, &w, out, 16);
			got = (int)n;
			if (tc->max_in_flight)
				assert_true(job_in_flight(j) <= tc->max_in_flight);
			for (m = 0; m < n; m++) {
				uint64_t key = out[m].sid * 16 + (uint64_t)out[m].node;
				int q;

				assert_true(out[m].id < 16);
				if ((q = world_find(&w, out[m].id, key)) >= 0) {
					if (!w.again[out[m].id][q])
						fail_msg("%s, step %zu: agent %u sent twice to %d/%llu",
						    tc->name, k, out[m].id, out[m].node,
						    (unsigned long long)out[m].sid);
					w.again[out[m].id][q] = 0;
				} else {
					assert_true(w.nsent[out[m].id] < 8);
					w.sent[out[m].id][w.nsent[out[m].id]++] = key;
				}
				/* only to the agent's live, active current session, in reach */
				assert_int_equal(out[m].sid, w.v[out[m].id].sid);
				assert_int_equal(out[m].node, w.v[out[m].id].node);
				assert_true(w.v[out[m].id].live && w.v[out[m].id].active);
				assert_false(w.v[out[m].id].node_down);
			}
			break;
		case OBS:
			got = job_observe(j, st->id, v, st->now);
			break;
		case RES:
		case RESV:
			got = job_sent_result(j, st->id, st->node, st->sid, st->code,
			    st->op == RESV ? v : NULL, st->now);
			if (got == JOB_APPLIED && st->code == JOB_CODE_UNREACHABLE && st->id < 16) {
				int q = world_find(&w, st->id, st->sid * 16 + (uint64_t)st->node);

				if (q >= 0)
					w.again[st->id][q] = 1;
			}
			break;
		case CANCEL:
			got = (int)job_cancel(j, st->now);
			break;
		case CODE:
		case SENDS:
			a = job_find(j, st->id);
			assert_non_null(a);
			got = st->op == CODE ? a->code : (int)a->sends;
			want = st->code;
			break;
		default:
			break;
		}
		if (got != want)
			fail_msg("%s, step %zu (op %d): got %d, want %d", tc->name, k, st->op, got,
			    want);
		if (st->state != NA) {
			a = job_find(j, st->id);
			assert_non_null(a);
			if (a->state != st->state || a->wait != st->wait)
				fail_msg("%s, step %zu (op %d): agent %u is %s/%d, want %s/%d", tc->name,
				    k, st->op, st->id, job_state_name(a->state), a->wait,
				    job_state_name(st->state), st->wait);
		}
		check_counts(j);
	}
	job_free(j);
}

static void
test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* The times of each step: t_pending = created, t_delivered, t_done. */
static void
test_times(void **state)
{
	struct world w;
	struct job *j = job_new(1, JOB_RESTART, T0, 0, 0, 0);
	uint32_t id = 1;
	const struct job_agent *a;
	struct job_send out[1];

	(void)state;
	memset(&w, 0, sizeof(w));
	w.v[1] = (struct job_view){ 1, 1, 1, 1, 101, 0, 0 };
	assert_int_equal(job_add(j, &id, 1), 0);
	a = job_find(j, 1);
	assert_int_equal(a->t_pending, T0);
	assert_int_equal(job_tick(j, 1100, world_view, &w, out, 1), 1);
	assert_int_equal(a->sent_ms, 1100);
	assert_int_equal(a->t_delivered, 0);
	assert_int_equal(job_sent_result(j, 1, 1, 101, 0, NULL, 1200), JOB_APPLIED);
	assert_int_equal(a->t_delivered, 1200);
	assert_int_equal(a->t_done, 0);
	w.v[1] = (struct job_view){ 1, 1, 1, 2, 201, 1250, 0 };
	assert_int_equal(job_observe(j, 1, &w.v[1], 1300), JOB_APPLIED);
	assert_int_equal(a->state, JOB_COMPLETED);
	assert_int_equal(a->t_done, 1300);
	assert_true(job_is_done(j));
	job_free(j);
}

static void
test_add(void **state)
{
	static const uint32_t ids[] = { 9, 3, 3, 7, 1, 9 };
	static const uint32_t more[] = { 10, 11, 2 };
	struct world w;
	struct job *j = job_new(1, JOB_RESTART, T0, 0, 0, 0);
	struct job_send out[8];
	uint32_t one = 12;
	size_t i;

	(void)state;
	memset(&w, 0, sizeof(w));
	assert_non_null(j);
	assert_true(job_is_done(j));               /* empty */
	assert_int_equal(job_add(j, ids, 6), 0);
	assert_int_equal(job_size(j), 4);
	assert_int_equal(job_add(j, more, 3), 0);
	assert_int_equal(job_size(j), 7);
	for (i = 1; i < job_size(j); i++)
		assert_true(job_agent_at(j, i - 1)->id < job_agent_at(j, i)->id);
	assert_null(job_agent_at(j, 7));
	assert_non_null(job_find(j, 2));
	assert_null(job_find(j, 4));
	assert_null(job_find(j, 0));
	assert_null(job_find(j, 100));
	assert_int_equal(job_count(j, JOB_PENDING), 7);
	check_counts(j);
	assert_int_equal(job_tick(j, T0, world_view, &w, out, 8), 0);
	assert_int_equal(job_add(j, &one, 1), -1);     /* started */
	assert_int_equal(job_size(j), 7);
	job_free(j);
	job_free(NULL);
	assert_null(job_new(1, 5, T0, 0, 0, 0));
}

static void
test_names(void **state)
{
	int s;

	(void)state;
	for (s = 0; s < JOB_NSTATES; s++)
		assert_int_equal(job_state_parse(job_state_name(s)), s);
	assert_int_equal(job_state_parse("Delivered"), JOB_DELIVERED);
	assert_int_equal(job_state_parse("done"), -1);
	assert_string_equal(job_state_name(99), "unknown");
	assert_string_equal(job_kind_name(JOB_RESTART), "restart");
	assert_string_equal(job_kind_name(JOB_RECONNECT), "reconnect");
}

/* Paged listing by state, and its totals. */
static void
test_list(void **state)
{
	struct world w;
	struct job *j = job_new(1, JOB_RESTART, T0, 0, 0, 0);
	uint32_t ids[10];
	const struct job_agent *got[10];
	struct job_send out[10];
	unsigned int pd = (1u << JOB_PENDING) | (1u << JOB_DELIVERED);
	uint32_t i;
	size_t n;

	(void)state;
	memset(&w, 0, sizeof(w));
	for (i = 0; i < 10; i++) {
		ids[i] = i + 1;
		/* odd agents are active */
		w.v[i + 1] = (struct job_view){ 1, (i + 1) % 2, (i + 1) % 2, 1, 100 + i + 1, 0, 0 };
	}
	assert_int_equal(job_add(j, ids, 10), 0);
	assert_int_equal(job_tick(j, T0, world_view, &w, out, 10), 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(job_sent_result(j, out[i].id, out[i].node, out[i].sid, 0, NULL, 1100),
		    JOB_APPLIED);
	assert_int_equal(job_count(j, JOB_DELIVERED), 5);
	assert_int_equal(job_count_mask(j, 1u << JOB_DELIVERED), 5);
	assert_int_equal(job_count_mask(j, pd), 10);
	assert_int_equal(job_count_mask(j, 0), 10);
	assert_int_equal(job_count_mask(j, 1u << JOB_FAILED), 0);

	n = job_list(j, 1u << JOB_DELIVERED, 0, 3, got);
	assert_int_equal(n, 3);
	assert_int_equal(got[0]->id, 1);
	assert_int_equal(got[1]->id, 3);
	assert_int_equal(got[2]->id, 5);
	n = job_list(j, 1u << JOB_DELIVERED, 3, 3, got);
	assert_int_equal(n, 2);
	assert_int_equal(got[0]->id, 7);
	assert_int_equal(got[1]->id, 9);
	assert_int_equal(job_list(j, 1u << JOB_DELIVERED, 5, 3, got), 0);
	n = job_list(j, 1u << JOB_PENDING, 1, 10, got);
	assert_int_equal(n, 4);
	assert_int_equal(got[0]->id, 4);
	n = job_list(j, 0, 8, 10, got);
	assert_int_equal(n, 2);
	assert_int_equal(got[0]->id, 9);
	assert_int_equal(job_list(j, 0, 10, 10, got), 0);
	assert_int_equal(job_list(j, 0, 0, 0, got), 0);
	assert_int_equal(job_list(j, 1u << JOB_CANCELLED, 0, 10, got), 0);
	job_free(j);
}

/*
 * The persisted form: a job rebuilt from its rows says the same, never sends
 * to a session sent to before, and forgets only the answers it was waiting for.
 */
static void
test_restore(void **state)
{
	struct world w;
	struct job *j = job_new(42, JOB_RESTART, T0, 60000, 3, 0), *r;
	uint32_t ids[4] = { 1, 2, 3, 4 };
	struct job_agent rows[4];
	struct job_head h;
	const struct job_sent *old;
	struct job_send out[4];
	size_t nold, i;
	int s;

	(void)state;
	memset(&w, 0, sizeof(w));
	for (i = 1; i <= 4; i++)
		w.v[i] = (struct job_view){ 1, 1, 1, 1, 100 + i, 0, 0 };
	assert_int_equal(job_add(j, ids, 4), 0);
	assert_int_equal(job_tick(j, T0, world_view, &w, out, 4), 3);
	/* 1: delivered; 2: moved (1791), sent again to 2/202, in flight; 3: completed */
	assert_int_equal(job_sent_result(j, 1, 1, 101, 0, NULL, 1100), JOB_APPLIED);
	assert_int_equal(job_sent_result(j, 2, 1, 102, 1791, NULL, 1100), JOB_APPLIED);
	w.v[3] = (struct job_view){ 1, 1, 1, 2, 203, 1100, 0 };
	assert_int_equal(job_observe(j, 3, &w.v[3], 1150), JOB_APPLIED);
	w.v[2] = (struct job_view){ 1, 1, 1, 2, 202, 0, 0 };
	w.v[4].live = 0;                           /* 4: between sessions */
	assert_int_equal(job_tick(j, 1200, world_view, &w, out, 4), 1);
	assert_int_equal(out[0].id, 2);
	check_counts(j);
	w.v[4].live = 1;

	job_get_head(j, &h);
	assert_int_equal(h.version, JOB_FORMAT_VERSION);
	assert_int_equal(h.id, 42);
	assert_int_equal(h.expires_ms, T0 + 60000);
	assert_int_equal(h.max_in_flight, 3);
	for (i = 0; i < 4; i++)
		rows[i] = *job_agent_at(j, i);
	old = job_sent_old(j, &nold);
	assert_int_equal(nold, 1);
	assert_int_equal(old[0].id, 2);
	assert_int_equal(old[0].sid, 102);

	r = job_restore(&h, rows, 4, old, nold);
	assert_non_null(r);
	check_counts(r);
	for (s = 0; s < JOB_NSTATES; s++)
		assert_int_equal(job_count(r, s), job_count(j, s));
	/* the answer for 2/202 never comes to the new master: not in flight, and
	 * maybe written (1792), so 2/202 may be sent to again */
	assert_int_equal(job_find(r, 2)->wait, 0);
	assert_int_equal(job_find(r, 2)->code, JOB_CODE_UNREACHABLE);
	assert_int_equal(job_in_flight(r), 1);
	assert_int_equal(job_sent_result(r, 2, 2, 202, 0, NULL, 1300), JOB_IGNORED);
	assert_int_equal(job_tick(r, 1300, world_view, &w, out, 4), 2);
	assert_int_equal(out[0].id, 2);
	assert_int_equal(out[0].sid, 202);
	assert_int_equal(out[1].id, 4);
	assert_int_equal(job_sent_result(r, 2, 2, 202, 1791, NULL, 1310), JOB_APPLIED);
	/* after a real answer, never again to 2/202; never to 1/102 */
	assert_int_equal(job_tick(r, 1350, world_view, &w, out, 4), 0);
	w.v[2] = (struct job_view){ 1, 1, 1, 1, 102, 0, 0 };
	assert_int_equal(job_tick(r, 1400, world_view, &w, out, 4), 0);
	w.v[2] = (struct job_view){ 1, 1, 1, 3, 302, 0, 0 };
	assert_int_equal(job_tick(r, 1500, world_view, &w, out, 4), 1);
	assert_int_equal(job_add(r, ids, 1), -1);
	check_counts(r);
	job_free(r);

	/* bad rows */
	h.version = 2;
	assert_null(job_restore(&h, rows, 4, NULL, 0));
	h.version = JOB_FORMAT_VERSION;
	h.kind = 9;
	assert_null(job_restore(&h, rows, 4, NULL, 0));
	h.kind = JOB_RESTART;
	rows[2].state = JOB_NSTATES;
	assert_null(job_restore(&h, rows, 4, NULL, 0));
	rows[2].state = JOB_COMPLETED;
	rows[2].id = 2;                            /* not increasing */
	assert_null(job_restore(&h, rows, 4, NULL, 0));
	rows[2].id = 3;
	r = job_restore(&h, rows, 4, NULL, 0);
	assert_non_null(r);
	job_free(r);
	r = job_restore(&h, NULL, 0, NULL, 0);
	assert_non_null(r);
	assert_true(job_is_done(r));
	job_free(r);
	/* a cancelled job saved with agents still pending sends nothing more */
	h.cancelled = 1;
	r = job_restore(&h, rows, 4, NULL, 0);
	assert_non_null(r);
	assert_true(job_count(r, JOB_PENDING) > 0);
	assert_int_equal(job_tick(r, 2000, world_view, &w, out, 4), 0);
	job_free(r);
	job_free(j);
}

/*
 * Restored rows keep the one exception: an agent whose latest send was
 * answered 1792 may be sent to on that session again; so may one whose answer
 * was still due when the rows were saved (the send may or may not have been
 * written before the master stopped: the same as 1792).
 */
static void
test_restore_after_1792(void **state)
{
	struct world w;
	struct job *j = job_new(43, JOB_RESTART, T0, 60000, 0, 0), *r;
	uint32_t ids[3] = { 1, 2, 3 };
	struct job_agent rows[3];
	struct job_head h;
	const struct job_sent *old;
	struct job_send out[3];
	size_t nold, i;

	(void)state;
	memset(&w, 0, sizeof(w));
	for (i = 1; i <= 3; i++)
		w.v[i] = (struct job_view){ 1, 1, 1, 1, 100 + i, 0, 0 };
	assert_int_equal(job_add(j, ids, 3), 0);
	assert_int_equal(job_tick(j, T0, world_view, &w, out, 3), 3);
	/* 1: 1792; 2: its answer is due; 3: 1792, sent again, that answer due */
	assert_int_equal(job_sent_result(j, 1, 1, 101, 1792, NULL, 1100), JOB_APPLIED);
	assert_int_equal(job_sent_result(j, 3, 1, 103, 1792, NULL, 1100), JOB_APPLIED);
	w.v[1].node_down = 1;
	assert_int_equal(job_tick(j, 1200, world_view, &w, out, 3), 1);
	assert_int_equal(out[0].id, 3);
	w.v[1].node_down = 0;
	job_get_head(j, &h);
	for (i = 0; i < 3; i++)
		rows[i] = *job_agent_at(j, i);
	old = job_sent_old(j, &nold);
	assert_int_equal(nold, 0);                 /* the same session again is no earlier one */
	r = job_restore(&h, rows, 3, old, nold);
	assert_non_null(r);
	check_counts(r);
	assert_int_equal(job_tick(r, 1300, world_view, &w, out, 3), 3);
	assert_int_equal(out[0].id, 1);
	assert_int_equal(out[0].sid, 101);
	assert_int_equal(out[1].id, 2);
	assert_int_equal(out[1].sid, 102);
	assert_int_equal(out[2].id, 3);
	assert_int_equal(job_find(r, 1)->sent_ms, T0);   /* the first send's time stays */
	assert_int_equal(job_find(r, 2)->sent_ms, T0);
	assert_int_equal(job_find(r, 2)->sends, 2);
	assert_int_equal(job_find(r, 3)->sends, 3);
	job_free(r);
	job_free(j);
}

/*
 * job_row_sent: a send replayed on the row saved before it (the record of a
 * tick's sends outlived the rows' save) gives the row job_tick left in
 * memory, and a row that already shows the send is left alone.
 */
static void
test_row_sent_table(void **state)
{
	static const struct {
		const char *name;
		struct job_agent row;       /* id state wait node sid sent_ms sends code ... */
		int node;
		uint64_t sid;
		int64_t sent_ms;
		int ret;
		struct job_agent want;
		struct job_sent old;
	} t[] = {
		{ "never sent", { 7, JOB_PENDING, 0, 0, 0, 0, 0, 0, T0, 0, 0 }, 1, 107, 1500, 0,
		    { 7, JOB_PENDING, 1, 1, 107, 1500, 1, 0, T0, 0, 0 }, { 0, 0, 0 } },
		{ "moved on: the session before goes to the earlier ones",
		    { 7, JOB_PENDING, 0, 1, 107, 1500, 1, 1791, T0, 0, 0 }, 2, 207, 1700, 1,
		    { 7, JOB_PENDING, 1, 2, 207, 1700, 2, 1791, T0, 0, 0 }, { 7, 1, 107 } },
		{ "the same session again after 1792: the first send's time stays",
		    { 7, JOB_PENDING, 0, 1, 107, 1500, 1, 1792, T0, 0, 0 }, 1, 107, 1700, 0,
		    { 7, JOB_PENDING, 1, 1, 107, 1500, 2, 1792, T0, 0, 0 }, { 0, 0, 0 } },
		{ "delivered, then sent to its next session",
		    { 7, JOB_DELIVERED, 0, 1, 107, 1500, 1, 0, T0, 1550, 0 }, 2, 207, 1700, 1,
		    { 7, JOB_PENDING, 1, 2, 207, 1700, 2, 0, T0, 1550, 0 }, { 7, 1, 107 } },
		{ "the row shows the send already",
		    { 7, JOB_PENDING, 1, 1, 107, 1500, 1, 0, T0, 0, 0 }, 1, 107, 1500, -1,
		    { 7, JOB_PENDING, 1, 1, 107, 1500, 1, 0, T0, 0, 0 }, { 0, 0, 0 } },
		{ "the row shows a later send there",
		    { 7, JOB_DELIVERED, 0, 1, 107, 1600, 1, 0, T0, 1650, 0 }, 1, 107, 1500, -1,
		    { 7, JOB_DELIVERED, 0, 1, 107, 1600, 1, 0, T0, 1650, 0 }, { 0, 0, 0 } },
		{ "final rows stay final",
		    { 7, JOB_COMPLETED, 0, 1, 107, 1500, 1, 0, T0, 1550, 1900 }, 2, 207, 2000, -1,
		    { 7, JOB_COMPLETED, 0, 1, 107, 1500, 1, 0, T0, 1550, 1900 }, { 0, 0, 0 } },
		{ "no session: nothing",
		    { 7, JOB_PENDING, 0, 0, 0, 0, 0, 0, T0, 0, 0 }, 1, 0, 1500, -1,
		    { 7, JOB_PENDING, 0, 0, 0, 0, 0, 0, T0, 0, 0 }, { 0, 0, 0 } },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct job_agent row = t[i].row;
		struct job_sent old = { 0, 0, 0 };

		print_message("case: %s\n", t[i].name);
		assert_int_equal(job_row_sent(&row, t[i].node, t[i].sid, t[i].sent_ms, &old),
		    t[i].ret);
		assert_memory_equal(&row, &t[i].want, sizeof(row));
		if (t[i].ret == 1) {
			assert_int_equal(old.id, t[i].old.id);
			assert_int_equal(old.node, t[i].old.node);
			assert_true(old.sid == t[i].old.sid);
		}
	}
}

/*
 * The same against job_tick itself: rows saved before each tick, the tick's
 * sends replayed on them, give the rows as the tick left them, and the job
 * restored from them sends to nobody twice.
 */
static void
test_row_sent_replays_job_tick(void **state)
{
	struct world w;
	struct job *j = job_new(44, JOB_RESTART, T0, 60000, 0, 0), *r;
	uint32_t ids[4] = { 1, 2, 3, 4 };
	struct job_agent before[4], after[4];
	struct job_sent olds[8];
	struct job_send out[4];
	struct job_head h;
	size_t i, k, ns, nold = 0;

	(void)state;
	memset(&w, 0, sizeof(w));
	for (i = 1; i <= 4; i++)
		w.v[i] = (struct job_view){ 1, 1, 1, 1, 100 + i, 0, 0 };
	assert_int_equal(job_add(j, ids, 4), 0);
	assert_int_equal(job_tick(j, T0, world_view, &w, out, 4), 4);
	/* 1 written; 2 moved (1791) and is now on 2/202; 3 unreachable (1792); 4 answer due */
	assert_int_equal(job_sent_result(j, 1, 1, 101, 0, NULL, 1100), JOB_APPLIED);
	assert_int_equal(job_sent_result(j, 2, 1, 102, 1791, NULL, 1100), JOB_APPLIED);
	assert_int_equal(job_sent_result(j, 3, 1, 103, 1792, NULL, 1100), JOB_APPLIED);
	w.v[2] = (struct job_view){ 1, 1, 1, 2, 202, 0, 0 };
	for (i = 0; i < 4; i++)
		before[i] = *job_agent_at(j, i);
	ns = job_tick(j, 1200, world_view, &w, out, 4);
	assert_int_equal(ns, 2);                   /* 2 on its new session, 3 again */
	for (i = 0; i < 4; i++)
		after[i] = *job_agent_at(j, i);
	for (k = 0; k < ns; k++) {
		struct job_agent *row = &before[out[k].id - 1];
		int rc = job_row_sent(row, out[k].node, out[k].sid, 1200, &olds[nold]);

		assert_true(rc >= 0);
		nold += (size_t)rc;
		/* a second replay of the same send changes nothing */
		assert_int_equal(job_row_sent(row, out[k].node, out[k].sid, 1200, &olds[nold]), -1);
	}
	for (i = 0; i < 4; i++)
		assert_memory_equal(&before[i], &after[i], sizeof(before[i]));
	assert_int_equal(nold, 1);
	assert_int_equal(olds[0].id, 2);
	assert_true(olds[0].sid == 102);
	/* restored: 2/202, 3/103 and 4/104 were maybe written, so only they may go again */
	job_get_head(j, &h);
	r = job_restore(&h, before, 4, olds, nold);
	assert_non_null(r);
	check_counts(r);
	ns = job_tick(r, 1300, world_view, &w, out, 4);
	assert_int_equal(ns, 3);
	assert_int_equal(out[0].id, 2);
	assert_true(out[0].sid == 202);
	assert_int_equal(out[1].id, 3);
	assert_int_equal(out[2].id, 4);
	assert_int_equal(job_find(r, 2)->sent_ms, 1200);
	assert_int_equal(job_find(r, 3)->sent_ms, T0);
	job_free(r);
	job_free(j);
}

/* ---- the randomized simulation ---- */

#define SIM_AGENTS 2000
#define SIM_NODES 4
#define SIM_MAX_STEPS 40000

struct sim_agent {
	struct job_view cur;        /* the master's view */
	struct job_view disp;       /* a live session displaced by a takeover (sid 0: none) */
	int64_t restart_at;         /* the process restarts then (0: not scheduled) */
	int64_t up_at;              /* down until then (0: not down) */
	int up_proc;                /* the coming session is a new process */
	int64_t proc_ms;            /* the latest process start */
};

/* one run: its seed, the job's limits, how many steps of chaos before the calm */
struct sim_params {
	uint64_t seed;
	uint32_t max_in_flight, rate;
	long chaos_steps;
};

struct sim {
	const struct sim_params *p;
	uint64_t rng;
	int64_t now;
	int chaos;
	struct sim_agent ag[SIM_AGENTS + 1];
	int64_t down_until[SIM_NODES];  /* the node is out of reach until then */
	uint64_t next_sid;
	/*
	 * By sid (sids are unique to one agent): SENT_* as the job sent to it,
	 * and whether the node wrote the job's command on it (the node writes it
	 * once: another send is answered 0 and not written, as jobseen.h).
	 */
	unsigned char *sent;
	unsigned char *written;
	size_t nsentcap;
	size_t again;               /* sends to a session again after 1792 */
	size_t repeated;            /* of those, found written by the node: not written again */
	struct job_send *tr;        /* sends not answered yet */
	size_t ntr, captr;
	struct job_send done[256];  /* some answered ones, to answer again */
	size_t ndone;
	size_t sends;
	struct job *j;
};

static uint64_t
rnd(struct sim *s)
{
	uint64_t x = s->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->rng = x;
	return x;
}

static uint32_t
rndn(struct sim *s, uint32_t n)
{
	return (uint32_t)(rnd(s) % n);
}

/* 1 with probability p per mille */
static int
chance(struct sim *s, uint32_t p)
{
	return rndn(s, 1000) < p;
}

#define SENT_NO 0
#define SENT_YES 1                  /* sent; not to be sent again */
#define SENT_MAYBE 2                /* the latest send there was answered 1792 */

/* sim_cur: the master's view of agent id: its session, and whether its node is in reach. */
static struct job_view
sim_cur(const struct sim *s, uint32_t id)
{
	struct job_view v = s->ag[id].cur;

	v.node_down = v.sid != 0 && s->down_until[v.node] > s->now;
	return v;
}

static void
sim_view(void *arg, uint32_t id, struct job_view *v)
{
	struct sim *s = arg;

	*v = sim_cur(s, id);
}

static void
sim_observe(struct sim *s, uint32_t id)
{
	struct job_view v = sim_cur(s, id);
	int r = job_observe(s->j, id, &v, s->now);

	assert_true(r == JOB_APPLIED || r == JOB_IGNORED);
}

static void
sim_new_session(struct sim *s, uint32_t id, int node, int newproc)
{
	struct sim_agent *a = &s->ag[id];

	a->cur.live = 1;
	a->cur.active = 0;
	a->cur.node = node;
	a->cur.sid = ++s->next_sid;
	a->cur.proc_start_ms = 0;
	if (newproc) {
		a->proc_ms = s->now;
		/* during the chaos, 2 % of "Agent started" events are lost */
		if (!(s->chaos && chance(s, 20)))
			a->cur.proc_start_ms = s->now;
	}
	sim_observe(s, id);
}

/* the agent's session ends; it comes back after a while (a new process or not) */
static void
sim_down(struct sim *s, uint32_t id, int newproc, int64_t delay)
{
	struct sim_agent *a = &s->ag[id];

	if (a->up_at == 0) {
		a->cur.live = 0;
		a->cur.active = 0;
		memset(&a->disp, 0, sizeof(a->disp));
		sim_observe(s, id);
		a->up_at = s->now + delay;
		a->up_proc = 0;
	}
	a->up_proc |= newproc;
}

static void
sim_agent_step(struct sim *s, uint32_t id)
{
	struct sim_agent *a = &s->ag[id];

	if (!a->cur.exists)
		return;
	if (a->restart_at != 0 && s->now >= a->restart_at) {
		a->restart_at = 0;
		sim_down(s, id, 1, 20 + rndn(s, 400));
	}
	if (a->up_at != 0 && s->now >= a->up_at) {
		int newproc = a->up_proc;

		a->up_at = 0;
		a->up_proc = 0;
		sim_new_session(s, id, (int)rndn(s, SIM_NODES), newproc);
	} else if (a->cur.live && !a->cur.active && chance(s, 300)) {
		a->cur.active = 1;
		sim_observe(s, id);
	}
}

/* one disturbance of a random agent */
static void
sim_disturb(struct sim *s, int calm)
{
	uint32_t id = 1 + rndn(s, SIM_AGENTS);
	struct sim_agent *a = &s->ag[id];
	uint32_t what = rndn(s, 1000);

	if (!a->cur.exists)
		return;
	if (calm)
		what %= 600;                           /* moves and flaps only */
	if (what < 400) {                              /* move to another node */
		if (a->up_at == 0 && a->cur.live && !calm && chance(s, 200)) {
			/* a takeover while the old session is still open */
			a->disp = a->cur;
			sim_new_session(s, id, (int)((a->cur.node + 1) % SIM_NODES), 0);
		} else
			sim_down(s, id, 0, 10 + rndn(s, 300));
	} else if (what < 600) {                       /* flap */
		sim_down(s, id, 0, 10 + rndn(s, 100));
	} else if (what < 750) {                       /* the takeover is undone */
		if (a->disp.sid != 0 && a->up_at == 0) {
			a->cur = a->disp;
			memset(&a->disp, 0, sizeof(a->disp));
			sim_observe(s, id);
		}
	} else if (what < 900) {                       /* restarts by itself */
		if (a->restart_at == 0)
			a->restart_at = s->now + rndn(s, 100);
	} else if (what < 902) {                       /* removed */
		memset(&a->cur, 0, sizeof(a->cur));
		a->restart_at = a->up_at = 0;
		sim_observe(s, id);
	} else if (what < 904) {                       /* a node goes out of reach a while */
		s->down_until[rndn(s, SIM_NODES)] = s->now + 100 + rndn(s, 900);
	}
}

/* the node's answer for send k, which leaves the list */
static void
sim_answer(struct sim *s, size_t k)
{
	struct job_send t = s->tr[k];
	struct sim_agent *a = &s->ag[t.id];
	struct job_view v;
	int code, r, written = 0;

	s->tr[k] = s->tr[--s->ntr];
	s->done[s->ndone++ % 256] = t;
	if (s->down_until[t.node] > s->now) {
		/* the node went out of reach with the command on its way: written or not */
		code = JOB_CODE_UNREACHABLE;
		written = chance(s, 500);
	} else if (!a->cur.exists)
		code = JOB_CODE_GONE;
	else if (a->cur.sid == t.sid && a->cur.node == t.node && a->cur.live && a->cur.active &&
	    a->up_at == 0) {
		code = 0;
		written = 1;
		if (s->chaos && chance(s, 50)) {
			code = JOB_CODE_UNREACHABLE;   /* the answer was lost: written or not */
			written = chance(s, 500);
		}
	} else
		code = s->chaos && chance(s, 100) ? JOB_CODE_UNREACHABLE : 1791;
	if (written && s->written[t.sid]) {
		/* the node wrote this job's command on the session already: not again */
		written = 0;
		s->repeated++;
	} else if (written)
		s->written[t.sid] = 1;
	/* a command written reaches the process (during the chaos: 90 %) */
	if (written && a->restart_at == 0 && !(s->chaos && chance(s, 100)))
		a->restart_at = s->now + 10 + rndn(s, 200);
	v = sim_cur(s, t.id);
	r = job_sent_result(s->j, t.id, t.node, t.sid, code, chance(s, 500) ? &v : NULL, s->now);
	assert_true(r == JOB_APPLIED || r == JOB_IGNORED);
	if (r == JOB_APPLIED && code == JOB_CODE_UNREACHABLE)
		s->sent[t.sid] = SENT_MAYBE;
}

/*
 * an answer that came already comes again: always ignored.  (Not one for a
 * session the agent's command is on its way to again: the job cannot tell
 * that answer from the one due, and a caller never sends it.)
 */
static void
sim_answer_again(struct sim *s)
{
	const struct job_send *t;
	const struct job_agent *ja;
	int r;

	if (s->ndone == 0)
		return;
	t = &s->done[rndn(s, (uint32_t)(s->ndone < 256 ? s->ndone : 256))];
	ja = job_find(s->j, t->id);
	if (ja->wait && ja->node == t->node && ja->sid == t->sid)
		return;
	r = job_sent_result(s->j, t->id, t->node, t->sid, (int)rndn(s, 2) * 1791, NULL, s->now);
	assert_int_equal(r, JOB_IGNORED);
}

static void
sim_check(struct sim *s, const int *before)
{
	uint32_t id;

	check_counts(s->j);
	if (s->p->max_in_flight != 0)
		assert_true(job_in_flight(s->j) <= s->p->max_in_flight);
	/* the rate: never more sends than the burst plus what the time allows */
	if (s->p->rate != 0)
		assert_true(s->sends <= (size_t)s->p->rate +
		    (size_t)((s->now - T0) * s->p->rate / 1000));
	for (id = 1; id <= SIM_AGENTS; id++) {
		const struct job_agent *ja = job_find(s->j, id);

		/* completed only by a process that started since the latest send */
		if (ja->state == JOB_COMPLETED && before[id] != JOB_COMPLETED) {
			assert_true(ja->sends > 0);
			assert_true(s->ag[id].proc_ms >= ja->sent_ms);
		}
	}
}

static void
sim_run(const struct sim_params *p)
{
	uint64_t seed = p->seed;
	struct sim *s = calloc(1, sizeof(*s));
	uint32_t ids[SIM_AGENTS], id;
	int *before = calloc(SIM_AGENTS + 1, sizeof(int));
	struct job_send out[64];
	long step;
	size_t k;

	assert_non_null(s);
	assert_non_null(before);
	s->p = p;
	s->rng = seed;
	s->now = T0;
	s->chaos = 1;
	s->nsentcap = 1u << 20;
	s->sent = calloc(s->nsentcap, 1);
	s->written = calloc(s->nsentcap, 1);
	assert_non_null(s->sent);
	assert_non_null(s->written);
	for (id = 1; id <= SIM_AGENTS; id++)
		ids[id - 1] = id;
	s->j = job_new(seed, JOB_RESTART, T0, 1000LL * 1000 * 1000, p->max_in_flight, p->rate);
	assert_non_null(s->j);
	assert_int_equal(job_add(s->j, ids, SIM_AGENTS), 0);
	for (id = 1; id <= SIM_AGENTS; id++) {
		s->ag[id].cur.exists = 1;
		s->ag[id].proc_ms = 1;
		if (chance(s, 900))                    /* 10 % are between sessions */
			sim_new_session(s, id, (int)rndn(s, SIM_NODES), 0);
		else
			sim_down(s, id, 0, rndn(s, 2000));
		s->ag[id].cur.active = chance(s, 800) && s->ag[id].cur.live;
	}

	for (step = 0; step < SIM_MAX_STEPS; step++) {
		uint32_t q, nd;

		if (step == p->chaos_steps)
			s->chaos = 0;
		if (!s->chaos && job_is_done(s->j))
			break;
		for (id = 1; id <= SIM_AGENTS; id++)
			before[id] = job_find(s->j, id)->state;
		s->now += 5 + rndn(s, 40);
		for (id = 1; id <= SIM_AGENTS; id++)
			sim_agent_step(s, id);
		/* chaos: ~10 disturbances a step; calm: agents still move now and then */
		nd = s->chaos ? 10 : (chance(s, 300) ? 1 : 0);
		for (q = 0; q < nd; q++)
			sim_disturb(s, !s->chaos);
		/* answers, in any order (30 % of those due, each step); some repeated */
		for (k = s->ntr; k-- > 0;)
			if (chance(s, 300))
				sim_answer(s, k);
		if (chance(s, 200))
			sim_answer_again(s);
		/* calm: an agent the command has not reached yet moves now and then */
		if (!s->chaos)
			for (id = 1; id <= SIM_AGENTS; id++)
				if (!JOB_STATE_FINAL(before[id]) && s->ag[id].cur.exists &&
				    chance(s, 10))
					sim_down(s, id, 0, 10 + rndn(s, 100));
		{
			size_t n = job_tick(s->j, s->now, sim_view, s, out, 64), m;

			for (m = 0; m < n; m++) {
				struct sim_agent *a = &s->ag[out[m].id];

				assert_true(out[m].sid < s->nsentcap);
				if (s->sent[out[m].sid] == SENT_YES)
					fail_msg("seed %llu: agent %u sent twice to %d/%llu",
					    (unsigned long long)seed, out[m].id, out[m].node,
					    (unsigned long long)out[m].sid);
				s->again += s->sent[out[m].sid] == SENT_MAYBE;
				s->sent[out[m].sid] = SENT_YES;
				assert_true(a->cur.sid == out[m].sid && a->cur.live && a->cur.active);
				assert_true(s->down_until[a->cur.node] <= s->now);
				if (s->ntr == s->captr) {
					s->captr = s->captr ? s->captr * 2 : 1024;
					s->tr = realloc(s->tr, s->captr * sizeof(*s->tr));
					assert_non_null(s->tr);
				}
				s->tr[s->ntr++] = out[m];
				s->sends++;
			}
		}
		sim_check(s, before);
	}
	if (!job_is_done(s->j))
		fail_msg("seed %llu: not done after %ld steps: %zu pending (%zu in flight), "
		    "%zu delivered", (unsigned long long)seed, step,
		    job_count(s->j, JOB_PENDING), job_in_flight(s->j),
		    job_count(s->j, JOB_DELIVERED));
	/* every agent that exists completed; removed ones failed (or had completed) */
	for (id = 1; id <= SIM_AGENTS; id++) {
		const struct job_agent *ja = job_find(s->j, id);

		if (s->ag[id].cur.exists)
			assert_int_equal(ja->state, JOB_COMPLETED);
		else
			assert_true(ja->state == JOB_FAILED || ja->state == JOB_COMPLETED);
	}
	assert_int_equal(job_count(s->j, JOB_EXPIRED), 0);
	assert_int_equal(job_count(s->j, JOB_CANCELLED), 0);
	/* the chaos made sends again after 1792, and some found the command written */
	assert_true(s->again > 0 && s->repeated > 0);
	job_free(s->j);
	free(s->tr);
	free(s->sent);
	free(s->written);
	free(before);
	free(s);
}

static void
test_random(void **state)
{
	/*
	 * A slow rolling restart still running when the chaos ends; one held by
	 * max_in_flight alone; a fast one over the whole chaos.
	 */
	static const struct sim_params runs[] = {
		{ 0x9e3779b97f4a7c15ull, 200, 40, 1500 },
		{ 12345, 100, 0, 3000 },
		{ 0xdeadbeefcafeull, 200, 400, 3000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		sim_run(&runs[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_restore_after_1792),
		cmocka_unit_test(test_row_sent_table),
		cmocka_unit_test(test_row_sent_replays_job_tick),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
