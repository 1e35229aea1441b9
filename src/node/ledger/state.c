/* state.c — the one path by which an agent's state changes.
 *
 * Sessions publish what their agent told them (state_publish).  On a
 * worker that goes into the node's own view of the agent and out to the
 * master.  On the master it becomes a record of session (self, sid), and the
 * master's own sessions and the workers' records (state_record) meet the
 * ledger in the same function: the ledger decides, this file carries out its
 * effects (apply, hold, fence) and counts and logs its verdicts.
 */
#include "node/registry/groups.h"
#include "node/ledger/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "node/core/agent.h"
#include "node/registry/registry.h"

static int
env_node_up(void *arg, uint16_t node)
{
	struct node *n = arg;

	return node == LEDGER_SELF || n->hooks.node_up(n, node);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* decide: the ledger's verdict on in for agent a. */
static void
decide(struct node *n, struct agent *a, const struct ledger_in *in, struct ledger_out *out)
{
	struct ledger_env env;

	env.now_ms = now_ms();
	env.node_up = env_node_up;
	env.arg = n;
	ledger_record(&a->led, in, &env, out);
	if (out->verdict == LEDGER_PENDING)
		n->led_waiting++;
}

/* log_refused: the ledger closes session s of agent a, for why. */
static void
log_refused(struct node *n, const struct agent *a, struct ledger_sess s, const char *why)
{
	n->stats.sync_refused++;
	log_warnx("agent %03u: session %llu on %s refused: %s", a->id, (unsigned long long)s.sid,
	    n->hooks.node_name(n, s.node), why);
}

/* row_apply: st becomes the registry row's state, as reported through node. */
static void
row_apply(struct node *n, struct agent *a, uint16_t node, const struct crec_state *st)
{
	ledger_merge_state(&a->st, st);
	/* since when the current session has been active, as the master saw it (restart jobs) */
	if (a->st.status != AGENT_ACTIVE)
		a->active_since_ms = 0;
	else if (a->active_since_ms == 0 || a->active_node != a->led.cur.node ||
	    a->active_sid != a->led.cur.sid) {
		a->active_since_ms = node_wall_ms();
		a->active_node = a->led.cur.node;
		a->active_sid = a->led.cur.sid;
	}
	snprintf(a->node_name, sizeof(a->node_name), "%s", n->hooks.node_name(n, node));
	node_group_check(n, a);
	registry_agent_dirty(n->reg, a);
	node_schedule_flush(n);
}

static void
held_drop(struct agent *a)
{
	free(a->held);
	a->held = NULL;
}

/* fence: closes session s of agent a, on this node or on the node holding it. */
static void
fence(struct node *n, struct agent *a, struct ledger_sess s, const struct crec_ctr *below)
{
	struct crec_fence f;

	if (s.node != LEDGER_SELF) {
		n->stats.sync_fenced++;
		memset(&f, 0, sizeof(f));
		f.id = a->id;
		f.sid = s.sid;
		if (below != NULL) {
			f.has_below = 1;
			f.below = *below;
		}
		n->hooks.fence_remote(n, s.node, &f);
		return;
	}
	/* Our own session: it closes, or, when it has seen the counter
	 * itself, publishes again so that the ledger undoes the takeover. */
	if (n->hooks.fence_session(n, a, s.sid, below) == 0)
		n->hooks.republish(n, a);
}

static void
carry_out(struct node *n, struct agent *a, uint16_t from, const struct crec_record *r,
    const struct ledger_out *out)
{
	unsigned int changed = LEDGER_FX_APPLY | LEDGER_FX_UNREACHABLE | LEDGER_FX_APPLY_HELD;

	if (out->fx & LEDGER_FX_APPLY)
		row_apply(n, a, from, &r->st);
	if (out->fx & LEDGER_FX_UNREACHABLE) {
		if (a->st.status == AGENT_ACTIVE || a->st.status == AGENT_PENDING) {
			a->st.disconnection_time = node_now(n);
			a->st.status = AGENT_DISCONNECTED;
			a->st.status_code = AGENT_CODE_NODE_UNREACHABLE;
			registry_agent_dirty(n->reg, a);
			node_schedule_flush(n);
		}
	}
	if ((out->fx & LEDGER_FX_APPLY_HELD) && a->held != NULL) {
		log_info("agent %03u: the session on %s that waited is current now", a->id,
		    n->hooks.node_name(n, a->led.cur.node));
		row_apply(n, a, a->led.cur.node, &a->held->st);
		held_drop(a);
	}
	if (out->fx & LEDGER_FX_DROP_HELD)
		held_drop(a);
	if ((out->fx & LEDGER_FX_HOLD) && r != NULL) {
		if (a->held == NULL)
			a->held = malloc(sizeof(*a->held));
		if (a->held != NULL)
			*a->held = *r;
	}
	if (out->fx & LEDGER_FX_FENCE)
		fence(n, a, out->fence, NULL);
	if (out->fx & LEDGER_FX_FENCE_IF_OLDER)
		fence(n, a, out->cfence, &out->below);
	if (out->fx & changed)
		n->hooks.agent_state(n, a);
}

static void
account(struct node *n, struct agent *a, uint16_t from, const struct crec_record *r,
    const struct ledger_out *out)
{
	const char *name = n->hooks.node_name(n, from);

	switch (out->verdict) {
	case LEDGER_APPLIED:
		n->stats.sync_applied++;
		if (out->fx & LEDGER_FX_FENCE)
			log_refused(n, a, out->fence, out->why);
		break;
	case LEDGER_STALE:
		n->stats.sync_stale++;
		log_info("cluster %s: agent %03u: update from an older session (session %llu, "
		    "counter %u:%u; current %llu on %s) dropped: %s", name, a->id,
		    (unsigned long long)r->sid, r->last.g, r->last.l,
		    (unsigned long long)a->led.cur.sid, n->hooks.node_name(n, a->led.cur.node),
		    out->why);
		break;
	case LEDGER_PENDING:
		n->stats.sync_pending++;
		if (r->sseq <= 1 || !(a->held != NULL && a->held->sid == r->sid))
			log_info("agent %03u: session %llu on %s (counter %u:%u) waits: %s", a->id,
			    (unsigned long long)r->sid, name, r->first.g, r->first.l, out->why);
		break;
	case LEDGER_REFUSED:
		n->stats.sync_refused++;
		log_warnx("agent %03u: session %llu on %s (counter %u:%u) refused: %s", a->id,
		    (unsigned long long)r->sid, name, r->first.g, r->first.l, out->why);
		break;
	case LEDGER_REVERTED:
		log_refused(n, a, out->fence, out->why);
		break;
	default:
		break;
	}
}

void
state_record(struct node *n, uint16_t from, const struct crec_record *r)
{
	struct agent *a = registry_agent_by_id(n->reg, r->id);
	struct ledger_in in;
	struct ledger_out out;

	if (a == NULL || a->id == 0 || a->removed)
		return;
	memset(&in, 0, sizeof(in));
	in.s.node = from;
	in.s.sid = r->sid;
	in.first = r->first;
	in.last = r->last;
	in.nrx = r->nrx;
	in.seq = r->sseq;
	in.live = r->live;
	in.alive = r->st.status == AGENT_ACTIVE || r->st.status == AGENT_PENDING;
	decide(n, a, &in, &out);
	account(n, a, from, r, &out);
	carry_out(n, a, from, r, &out);
	/*
	 * A process start is a fact whichever session reports it: a restarted
	 * agent whose new session was superseded before the master applied it
	 * (it moved on at once) still proved its restart.
	 */
	if (r->st.proc_start_ms > a->proc_start_seen_ms) {
		a->proc_start_seen_ms = r->st.proc_start_ms;
		n->hooks.agent_state(n, a);
	}
}

void
state_touch(struct node *n, uint16_t from, const struct crec_touch *t)
{
	struct agent *a = registry_agent_by_id(n->reg, t->id);
	struct ledger_in in;
	struct ledger_out out;

	if (a == NULL || a->id == 0 || a->removed)
		return;
	memset(&in, 0, sizeof(in));
	in.s.node = from;
	in.s.sid = t->sid;
	in.first = t->last;     /* not used for a session the ledger knows */
	in.last = t->last;
	in.nrx = t->nrx;
	in.seq = t->sseq;
	in.live = 1;
	in.alive = a->st.status == AGENT_ACTIVE || a->st.status == AGENT_PENDING;
	in.touch = 1;
	decide(n, a, &in, &out);
	if (out.verdict == LEDGER_APPLIED) {
		n->stats.sync_touches++;
		a->st.last_keepalive = t->last_keepalive;
		registry_agent_touch(n->reg, a);
		if (out.fx & LEDGER_FX_FENCE)
			log_refused(n, a, out.fence, out.why);
		out.fx &= ~(unsigned int)LEDGER_FX_APPLY;
	} else if (out.verdict == LEDGER_STALE) {
		n->stats.sync_stale++;
		log_debug("cluster %s: agent %03u: touch of session %llu dropped: %s",
		    n->hooks.node_name(n, from), a->id, (unsigned long long)t->sid, out.why);
	}
	carry_out(n, a, from, NULL, &out);
}

void
state_publish_touch(struct node *n, struct agent *a, const struct crec_touch *t)
{
	if (n->cfg.role == ROLE_WORKER) {
		a->st.last_keepalive = t->last_keepalive;
		a->sync.last = t->last;
		a->sync.nrx = t->nrx;
		a->sync.seq = t->sseq;
		n->hooks.outbox(n, a, 1);
		return;
	}
	state_touch(n, LEDGER_SELF, t);
}

void
state_publish(struct node *n, struct agent *a, const struct crec_record *r)
{
	if (n->cfg.role == ROLE_WORKER) {
		/* The worker's view of the agent is its newest session's; the
		 * master decides.  The worker keeps keys, not states, on disk. */
		a->st = r->st;
		a->sync.sid = r->sid;
		a->sync.first = r->first;
		a->sync.last = r->last;
		a->sync.nrx = r->nrx;
		a->sync.seq = r->sseq;
		a->sync.live = r->live;
		n->hooks.outbox(n, a, 0);
		return;
	}
	state_record(n, LEDGER_SELF, r);
}

void
state_node_lost(struct node *n, uint16_t node)
{
	size_t i, count = registry_count(n->reg);
	int marked = 0;

	for (i = 1; i < count; i++) {
		struct agent *a = registry_agent_at(n->reg, i);
		struct ledger_out out;

		ledger_node_lost(&a->led, node, &out);
		if (out.fx & LEDGER_FX_UNREACHABLE)
			marked++;
		carry_out(n, a, node, NULL, &out);
	}
	log_warnx("cluster: worker '%s' unreachable for %d s: %d agents marked disconnected",
	    n->hooks.node_name(n, node), n->cfg.node_grace, marked);
}

/* state_tick: waiting sessions whose time is up are refused.  The scan runs only while
 * some agent may have one (led_waiting: counted as they begin, recounted here). */
void
state_tick(struct node *n)
{
	size_t i, count = registry_count(n->reg), waiting = 0;
	int64_t now = now_ms();

	if (n->led_waiting == 0)
		return;
	for (i = 1; i < count; i++) {
		struct agent *a = registry_agent_at(n->reg, i);
		struct ledger_out out;

		if (a->led.pend.sid == 0)
			continue;
		ledger_tick(&a->led, now, &out);
		if (out.verdict == LEDGER_REFUSED)
			log_refused(n, a, out.fence, out.why);
		carry_out(n, a, LEDGER_SELF, NULL, &out);
		if (a->led.pend.sid != 0)
			waiting++;
	}
	n->led_waiting = waiting;
}
