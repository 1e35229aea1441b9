/* ledger.c — session order and agent state decisions.  See ledger.h and
 * docs/design/cluster-sync.md ("Session order").
 *
 * The rule in one paragraph: a session is current because the ledger admitted
 * it, not because of a number it carries.  A new session is admitted at once
 * when the current one is closed (or there is none, or it is on the same node,
 * which already judged it locally); otherwise only when its first counter is
 * newer than every counter the agent has used and not absurdly far ahead — then
 * the old session is fenced, on condition that it has not itself seen that
 * counter (if it has, the takeover was a replay and is undone).  Any other new
 * session (a counter that repeats, went back, or jumped absurdly) waits until
 * the current session closes, and is refused if the current session shows
 * life meanwhile or the wait runs out.
 */
#include "node/ledger/ledger.h"

#include <string.h>

static int
sess_eq(struct ledger_sess a, struct ledger_sess b)
{
	return a.sid != 0 && a.node == b.node && a.sid == b.sid;
}

static void
out_init(struct ledger_out *out)
{
	memset(out, 0, sizeof(*out));
}

static void
retire(struct ledger_entry *e, struct ledger_sess s)
{
	if (s.sid == 0)
		return;
	e->retired[e->retired_next % LEDGER_RETIRED] = s;
	e->retired_next = (e->retired_next + 1) % LEDGER_RETIRED;
}

static int
is_retired(const struct ledger_entry *e, struct ledger_sess s)
{
	unsigned int i;

	for (i = 0; i < LEDGER_RETIRED; i++)
		if (sess_eq(e->retired[i], s))
			return 1;
	return 0;
}

static void
hw_raise(struct ledger_entry *e, struct crec_ctr c)
{
	if (!e->has_hw || crec_ctr_cmp(c, e->hw) > 0)
		e->hw = c;
	e->has_hw = 1;
}

static void
pend_clear(struct ledger_entry *e)
{
	memset(&e->pend, 0, sizeof(e->pend));
	e->pend_nrx_at = 0;
	e->pend_life = 0;
	e->pend_deadline_ms = 0;
}

/* admit: session s (described by in) becomes current; the old one is retired. */
static void
admit(struct ledger_entry *e, const struct ledger_in *in, int fast)
{
	retire(e, e->cur);
	e->displaced = fast ? e->cur : (struct ledger_sess){ 0, 0 };
	e->cur = in->s;
	e->cur_live = in->live;
	e->cur_fast = fast;
	e->cur_first = in->first;
	e->cur_seq = in->seq;
	e->cur_nrx = in->nrx;
	hw_raise(e, in->last);
	e->epoch++;
}

/* refuse_pending: the waiting session may not take over: close it. */
static void
refuse_pending(struct ledger_entry *e, struct ledger_out *out, const char *why)
{
	out->fx |= LEDGER_FX_FENCE | LEDGER_FX_DROP_HELD;
	out->fence = e->pend;
	if (out->verdict == LEDGER_NONE || out->verdict == LEDGER_APPLIED)
		out->why = why;
	retire(e, e->pend);   /* its later records are stale, not new */
	pend_clear(e);
}

/* admit_pending: the current session is over: the waiting one takes its place. */
static void
admit_pending(struct ledger_entry *e, struct ledger_out *out)
{
	struct ledger_in in;

	memset(&in, 0, sizeof(in));
	in.s = e->pend;
	in.live = 1;
	/* its counters are not newer than hw (that is why it waited) */
	in.first = in.last = e->has_hw ? e->hw : in.first;
	admit(e, &in, 0);
	e->cur_seq = 0;
	e->cur_nrx = 0;
	out->fx |= LEDGER_FX_APPLY_HELD;
	pend_clear(e);
}

static void
record_current(struct ledger_entry *e, const struct ledger_in *in, struct ledger_out *out)
{
	int alive;

	if (in->seq < e->cur_seq) {
		out->verdict = LEDGER_STALE;
		out->why = "an older record of the current session";
		return;
	}
	alive = in->alive && in->live && in->nrx > e->pend_nrx_at;
	e->cur_seq = in->seq;
	e->cur_nrx = in->nrx;
	e->cur_live = in->live;
	hw_raise(e, in->last);
	out->verdict = LEDGER_APPLIED;
	out->fx |= LEDGER_FX_APPLY;
	if (e->pend.sid == 0)
		return;
	if (!e->cur_live)
		admit_pending(e, out);
	else if (alive && ++e->pend_life >= LEDGER_LIFE_SIGNS)
		refuse_pending(e, out, "the current session is alive: the waiting one is a replay "
		    "or a second copy of the agent");
	else if (alive)
		e->pend_nrx_at = in->nrx;
}

static void
record_retired(struct ledger_entry *e, const struct ledger_in *in, struct ledger_out *out)
{
	/*
	 * The session this one replaced by a takeover has seen a counter at
	 * least as new as the taker's first: the taker replayed a message the
	 * agent had already sent here.  Undo.
	 */
	if (e->cur_fast && in->live && sess_eq(e->displaced, in->s) &&
	    crec_ctr_cmp(in->last, e->cur_first) >= 0) {
		struct ledger_sess taker = e->cur;
		unsigned int i;

		/* take it out of the ring so it is not stale to itself */
		for (i = 0; i < LEDGER_RETIRED; i++)
			if (sess_eq(e->retired[i], in->s))
				memset(&e->retired[i], 0, sizeof(e->retired[i]));
		admit(e, in, 0);
		out->verdict = LEDGER_REVERTED;
		out->fx |= LEDGER_FX_APPLY | LEDGER_FX_FENCE;
		out->fence = taker;
		out->why = "the replaced session had already seen the taker's counter: replay undone";
		return;
	}
	out->verdict = LEDGER_STALE;
	out->why = "update from an older session";
	if (in->live) {
		out->fx |= LEDGER_FX_FENCE;
		out->fence = in->s;
	}
}

static void
record_new(struct ledger_entry *e, const struct ledger_in *in, const struct ledger_env *env,
    struct ledger_out *out)
{
	int newer, plausible;

	if (e->cur.sid == 0 || !e->cur_live || e->cur.node == in->s.node) {
		/* Nothing live to take over from, or the holding node already
		 * ordered its own sessions (ledger_local_open). */
		admit(e, in, 0);
		out->verdict = LEDGER_APPLIED;
		out->fx |= LEDGER_FX_APPLY;
		out->why = "new session";
		if (e->pend.sid != 0 && !e->cur_live)
			admit_pending(e, out);
		else if (e->pend.sid != 0) {
			e->pend_nrx_at = e->cur_nrx;
			e->pend_life = 0;
		}
		return;
	}
	if (!in->live) {
		out->verdict = LEDGER_STALE;
		out->why = "a closed session while another one is live";
		return;
	}
	newer = !e->has_hw || crec_ctr_cmp(in->first, e->hw) > 0;
	plausible = !e->has_hw || (uint64_t)in->first.g <= (uint64_t)e->hw.g + LEDGER_GLOBAL_JUMP;
	if (newer && plausible) {
		struct ledger_sess old = e->cur;
		int up = env->node_up == NULL || env->node_up(env->arg, old.node);

		if (e->pend.sid != 0)
			refuse_pending(e, out, "a newer session took over");
		admit(e, in, up);
		out->verdict = LEDGER_APPLIED;
		out->fx |= LEDGER_FX_APPLY;
		out->why = "a newer session on another node took over";
		if (up) {
			out->fx |= LEDGER_FX_FENCE_IF_OLDER;
			out->cfence = old;
			out->below = in->first;
		}
		return;
	}
	if (e->pend.sid != 0) {
		out->verdict = LEDGER_REFUSED;
		out->fx |= LEDGER_FX_FENCE;
		out->fence = in->s;
		out->why = "another session of the agent already waits";
		retire(e, in->s);
		return;
	}
	e->pend = in->s;
	e->pend_nrx_at = e->cur_nrx;
	e->pend_deadline_ms = env->now_ms + LEDGER_PENDING_MS;
	out->verdict = LEDGER_PENDING;
	out->fx |= LEDGER_FX_HOLD;
	out->why = newer ? "its counter is absurdly far ahead: it waits for the current session "
	    "to close" : "its counter is not newer than the agent's: it waits for the current "
	    "session to close";
}

void
ledger_record(struct ledger_entry *e, const struct ledger_in *in, const struct ledger_env *env,
    struct ledger_out *out)
{
	out_init(out);
	if (in->s.sid == 0) {
		out->verdict = LEDGER_REFUSED;
		out->why = "no session id";
		return;
	}
	if (sess_eq(e->cur, in->s)) {
		record_current(e, in, out);
		return;
	}
	if (sess_eq(e->pend, in->s)) {
		if (in->touch) {
			out->verdict = LEDGER_PENDING;
			out->why = "the session still waits for the current one to close";
			return;
		}
		if (!in->live) {
			out->verdict = LEDGER_STALE;
			out->fx |= LEDGER_FX_DROP_HELD;
			out->why = "the waiting session closed";
			pend_clear(e);
			return;
		}
		out->verdict = LEDGER_PENDING;
		out->fx |= LEDGER_FX_HOLD;
		out->why = "the session still waits for the current one to close";
		return;
	}
	if (is_retired(e, in->s)) {
		record_retired(e, in, out);
		return;
	}
	if (in->touch) {
		/* a delta against a record the ledger never admitted: nothing to apply */
		out->verdict = LEDGER_STALE;
		out->why = "a time-only record of a session not known here";
		return;
	}
	record_new(e, in, env, out);
}

void
ledger_node_lost(struct ledger_entry *e, uint16_t node, struct ledger_out *out)
{
	out_init(out);
	if (e->pend.sid != 0 && e->pend.node == node) {
		out->fx |= LEDGER_FX_DROP_HELD;
		pend_clear(e);
	}
	if (e->cur.sid == 0 || e->cur.node != node || !e->cur_live)
		return;
	e->cur_live = 0;
	e->cur_fast = 0;
	memset(&e->displaced, 0, sizeof(e->displaced));
	out->verdict = LEDGER_APPLIED;
	out->fx |= LEDGER_FX_UNREACHABLE;
	out->why = "its node was lost";
	if (e->pend.sid != 0)
		admit_pending(e, out);
}

void
ledger_tick(struct ledger_entry *e, int64_t now_ms, struct ledger_out *out)
{
	out_init(out);
	if (e->pend.sid == 0 || now_ms < e->pend_deadline_ms)
		return;
	out->verdict = LEDGER_REFUSED;
	refuse_pending(e, out, "the current session did not close in time");
}

void
ledger_reset(struct ledger_entry *e)
{
	memset(e, 0, sizeof(*e));
}

enum ledger_open
ledger_local_open(int live, struct crec_ctr last, struct crec_ctr first)
{
	if (!live)
		return LEDGER_OPEN;
	return crec_ctr_cmp(first, last) > 0 ? LEDGER_OVERTAKE : LEDGER_REFUSE;
}

void
ledger_merge_state(struct crec_state *row, const struct crec_state *rec)
{
	row->status = rec->status;
	row->status_code = rec->status_code;
	row->last_keepalive = rec->last_keepalive;
	row->disconnection_time = rec->disconnection_time;
	if (rec->manager[0] != '\0')
		memcpy(row->manager, rec->manager, sizeof(row->manager));
	/* per session: a new session's 0 says "no new process proven on it" */
	row->proc_start_ms = rec->proc_start_ms;
	if (rec->info.version[0] != '\0')
		row->info = rec->info;
}

const char *
ledger_verdict_name(enum ledger_verdict v)
{
	switch (v) {
	case LEDGER_APPLIED: return "applied";
	case LEDGER_STALE: return "stale";
	case LEDGER_PENDING: return "pending";
	case LEDGER_REFUSED: return "refused";
	case LEDGER_REVERTED: return "reverted";
	default: return "none";
	}
}
