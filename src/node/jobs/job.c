/* job.c — a tracked restart or reconnect over a set of agents (job.h).
 *
 * Agents are an array sorted by id (binary search; a job may hold hundreds of
 * thousands).  Every change of an agent's state goes through job_set, which
 * keeps the counts per state and the in-flight count.  The sessions sent to
 * before an agent's latest send are a dense array indexed by an
 * open-addressing hash of (id, node, sid): usually tiny, it grows with
 * redeliveries only.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "node/jobs/job.h"

#define JOB_TOKEN 1000u             /* units of a token; a ms adds `rate` units */

struct job {
	struct job_head h;
	int started;                /* job_tick ran: no more job_add */
	int expired;                /* expiry applied: every agent is final */
	struct job_agent *a;
	size_t n, cap;
	size_t count[JOB_NSTATES];
	size_t inflight;
	size_t lo;                  /* no agent before it is PENDING and not in flight */
	uint64_t tok_units;
	int64_t tok_at_ms;
	struct job_sent *old;       /* sessions sent to before the latest send */
	size_t nold, capold;
	uint32_t *slot;             /* hash of old: index + 1, 0 = empty */
	size_t nslot;               /* a power of two, or 0 */
};

static const char *const state_names[JOB_NSTATES] = {
	"pending", "delivered", "completed", "failed", "expired", "cancelled",
};

const char *
job_state_name(int state)
{
	if (state < 0 || state >= JOB_NSTATES)
		return "unknown";
	return state_names[state];
}

int
job_state_parse(const char *s)
{
	int i;

	for (i = 0; i < JOB_NSTATES; i++)
		if (strcasecmp(s, state_names[i]) == 0)
			return i;
	return -1;
}

const char *
job_kind_name(int kind)
{
	return kind == JOB_RECONNECT ? "reconnect" : kind == JOB_RESTART ? "restart" : "unknown";
}

static int
in_flight(const struct job_agent *a)
{
	return a->state == JOB_DELIVERED || (a->state == JOB_PENDING && a->wait);
}

/*
 * job_set: the one place an agent's state changes.  Keeps the counts, the
 * in-flight count, the scan start and the times of each step.
 */
static void
job_set(struct job *j, struct job_agent *a, int state, int wait, int64_t now)
{
	size_t idx = (size_t)(a - j->a);

	assert(!JOB_STATE_FINAL(a->state));
	assert(j->count[a->state] > 0);
	j->count[a->state]--;
	j->inflight -= (size_t)in_flight(a);
	a->state = state;
	a->wait = state == JOB_PENDING ? wait : 0;
	j->count[a->state]++;
	j->inflight += (size_t)in_flight(a);
	if (state == JOB_DELIVERED)
		a->t_delivered = now;
	if (JOB_STATE_FINAL(state))
		a->t_done = now;
	if (state == JOB_PENDING && !a->wait && idx < j->lo)
		j->lo = idx;
}

/* ---- sessions sent to before the latest send ---- */

static size_t
sent_hash(uint32_t id, int node, uint64_t sid)
{
	uint64_t h = sid * 0x9e3779b97f4a7c15ull;

	h ^= ((uint64_t)id << 16) ^ (uint64_t)(uint32_t)node;
	h *= 0xbf58476d1ce4e5b9ull;
	return (size_t)(h ^ (h >> 31));
}

static int
sent_eq(const struct job_sent *s, uint32_t id, int node, uint64_t sid)
{
	return s->id == id && s->node == node && s->sid == sid;
}

static int
sent_has(const struct job *j, uint32_t id, int node, uint64_t sid)
{
	size_t m, i;

	if (j->nslot == 0)
		return 0;
	m = j->nslot - 1;
	for (i = sent_hash(id, node, sid) & m; j->slot[i] != 0; i = (i + 1) & m)
		if (sent_eq(&j->old[j->slot[i] - 1], id, node, sid))
			return 1;
	return 0;
}

static void
sent_index(struct job *j, size_t k)
{
	size_t m = j->nslot - 1, i;
	const struct job_sent *s = &j->old[k];

	for (i = sent_hash(s->id, s->node, s->sid) & m; j->slot[i] != 0; i = (i + 1) & m)
		;
	j->slot[i] = (uint32_t)(k + 1);
}

/* sent_add: remembers (id, node, sid); 0, or -1 without memory. */
static int
sent_add(struct job *j, uint32_t id, int node, uint64_t sid)
{
	if (sent_has(j, id, node, sid))
		return 0;
	if (j->nold == UINT32_MAX - 1)
		return -1;
	if (j->nold == j->capold) {
		size_t c = j->capold ? j->capold * 2 : 64;
		struct job_sent *o = realloc(j->old, c * sizeof(*o));

		if (o == NULL)
			return -1;
		j->old = o;
		j->capold = c;
	}
	if ((j->nold + 1) * 2 > j->nslot) {
		size_t ns = j->nslot ? j->nslot * 2 : 128, k;
		uint32_t *sl = calloc(ns, sizeof(*sl));

		if (sl == NULL)
			return -1;
		free(j->slot);
		j->slot = sl;
		j->nslot = ns;
		for (k = 0; k < j->nold; k++)
			sent_index(j, k);
	}
	j->old[j->nold].id = id;
	j->old[j->nold].node = node;
	j->old[j->nold].sid = sid;
	sent_index(j, j->nold);
	j->nold++;
	return 0;
}

/* latest: (node, sid) is the session of agent a's latest send. */
static int
latest(const struct job_agent *a, int node, uint64_t sid)
{
	return a->sid != 0 && a->node == node && a->sid == sid;
}

/*
 * sent_before: agent a's command may not go to (node, sid): the job sent it
 * there, and the answer did not leave the write in doubt.  The latest session
 * answered JOB_CODE_UNREACHABLE may be sent to again (job.h, "Exactly once").
 */
static int
sent_before(const struct job *j, const struct job_agent *a, int node, uint64_t sid)
{
	if (latest(a, node, sid))
		return a->code != JOB_CODE_UNREACHABLE;
	return a->sends > 1 && sent_has(j, a->id, node, sid);
}

/* ---- lifetime ---- */

struct job *
job_new(uint64_t id, int kind, int64_t created_ms, int64_t expires_in_ms, uint32_t max_in_flight,
    uint32_t rate)
{
	struct job *j;

	if (kind != JOB_RESTART && kind != JOB_RECONNECT)
		return NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->h.version = JOB_FORMAT_VERSION;
	j->h.id = id;
	j->h.kind = kind;
	j->h.created_ms = created_ms;
	j->h.expires_ms = created_ms + (expires_in_ms > 0 ? expires_in_ms : JOB_EXPIRES_DEFAULT_MS);
	j->h.max_in_flight = max_in_flight;
	j->h.rate = rate;
	j->tok_units = (uint64_t)(rate > 1 ? rate : 1) * JOB_TOKEN;
	j->tok_at_ms = created_ms;
	return j;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->a);
	free(j->old);
	free(j->slot);
	free(j);
}

static int
cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static int
cmp_agent(const void *x, const void *y)
{
	return cmp_u32(&((const struct job_agent *)x)->id, &((const struct job_agent *)y)->id);
}

int
job_add(struct job *j, const uint32_t *ids, size_t n)
{
	size_t i, k, was = j->n;
	int sorted = 1;

	if (j->started)
		return -1;
	if (n > SIZE_MAX / sizeof(*j->a) - j->n)
		return -1;
	if (j->n + n > j->cap) {
		size_t c = j->cap ? j->cap : 64;
		struct job_agent *na;

		while (c < j->n + n)
			c *= 2;
		if ((na = realloc(j->a, c * sizeof(*na))) == NULL)
			return -1;
		j->a = na;
		j->cap = c;
	}
	for (i = 0; i < n; i++) {
		struct job_agent *a = &j->a[j->n++];

		memset(a, 0, sizeof(*a));
		a->id = ids[i];
		a->state = JOB_PENDING;
		a->t_pending = j->h.created_ms;
		if (j->n > 1 && a[-1].id >= a->id)
			sorted = 0;
	}
	if (!sorted) {
		qsort(j->a, j->n, sizeof(*j->a), cmp_agent);
		for (i = k = 0; i < j->n; i++)
			if (k == 0 || j->a[k - 1].id != j->a[i].id)
				j->a[k++] = j->a[i];
		j->n = k;
	}
	j->count[JOB_PENDING] += j->n - was;
	j->lo = 0;
	return 0;
}

/* ---- lookups ---- */

static struct job_agent *
find(const struct job *j, uint32_t id)
{
	size_t lo = 0, hi = j->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (j->a[mid].id < id)
			lo = mid + 1;
		else if (j->a[mid].id > id)
			hi = mid;
		else
			return &j->a[mid];
	}
	return NULL;
}

const struct job_agent *
job_find(const struct job *j, uint32_t id)
{
	return find(j, id);
}

const struct job_agent *
job_agent_at(const struct job *j, size_t i)
{
	return i < j->n ? &j->a[i] : NULL;
}

size_t
job_size(const struct job *j)
{
	return j->n;
}

size_t
job_count(const struct job *j, int state)
{
	return state >= 0 && state < JOB_NSTATES ? j->count[state] : 0;
}

size_t
job_in_flight(const struct job *j)
{
	return j->inflight;
}

int
job_is_done(const struct job *j)
{
	return j->count[JOB_PENDING] == 0 && j->count[JOB_DELIVERED] == 0;
}

void
job_get_head(const struct job *j, struct job_head *h)
{
	*h = j->h;
}

const struct job_sent *
job_sent_old(const struct job *j, size_t *n)
{
	*n = j->nold;
	return j->old;
}

static int
in_mask(unsigned int mask, int state)
{
	return mask == 0 || (mask & (1u << state)) != 0;
}

size_t
job_count_mask(const struct job *j, unsigned int mask)
{
	size_t t = 0;
	int s;

	for (s = 0; s < JOB_NSTATES; s++)
		if (in_mask(mask, s))
			t += j->count[s];
	return t;
}

size_t
job_list(const struct job *j, unsigned int mask, size_t offset, size_t limit,
    const struct job_agent **out)
{
	size_t i, got = 0;

	if (mask == 0 && offset < j->n) {
		for (i = offset; i < j->n && got < limit; i++)
			out[got++] = &j->a[i];
		return got;
	}
	for (i = 0; i < j->n && got < limit; i++) {
		if (!in_mask(mask, j->a[i].state))
			continue;
		if (offset > 0)
			offset--;
		else
			out[got++] = &j->a[i];
	}
	return got;
}

/* ---- the rules ---- */

/* expire: at expires_ms every agent not final is EXPIRED (once). */
static void
expire(struct job *j, int64_t now)
{
	size_t i;

	if (j->expired || now < j->h.expires_ms)
		return;
	for (i = 0; i < j->n; i++)
		if (!JOB_STATE_FINAL(j->a[i].state))
			job_set(j, &j->a[i], JOB_EXPIRED, 0, now);
	j->expired = 1;
}

static int
same_session(const struct job_agent *a, const struct job_view *v)
{
	return latest(a, v->node, v->sid);
}

/*
 * proven: v shows that the job's command has done its work since agent a's
 * latest send (job.h, "Proof").
 */
static int
proven(const struct job *j, const struct job_agent *a, const struct job_view *v)
{
	if (a->sends == 0 || a->sent_ms == 0 || v->sid == 0 || same_session(a, v))
		return 0;
	if (j->h.kind == JOB_RECONNECT)
		return v->live;
	return v->proc_start_ms != 0 && v->proc_start_ms >= a->sent_ms;
}

/* judge: what the agent's view says of a (not final) agent. */
static void
judge(struct job *j, struct job_agent *a, const struct job_view *v, int64_t now)
{
	if (JOB_STATE_FINAL(a->state))
		return;
	if (!v->exists) {
		a->code = JOB_CODE_GONE;
		job_set(j, a, JOB_FAILED, 0, now);
		return;
	}
	if (proven(j, a, v)) {
		job_set(j, a, JOB_COMPLETED, 0, now);
		return;
	}
	/* the agent has gone on to another session, without proof: the command
	 * follows it there (a session written to is never sent to again: job_tick) */
	if (a->state == JOB_DELIVERED && v->sid != 0 && !same_session(a, v) && v->live &&
	    v->active)
		job_set(j, a, j->h.cancelled ? JOB_CANCELLED : JOB_PENDING, 0, now);
}

/* refill: the rate's bucket gains rate tokens a second, up to max(1, rate). */
static void
tokens_refill(struct job *j, int64_t now)
{
	uint64_t burst;

	if (j->h.rate == 0)
		return;
	burst = (uint64_t)(j->h.rate > 1 ? j->h.rate : 1) * JOB_TOKEN;
	if (now > j->tok_at_ms) {
		uint64_t add = (uint64_t)(now - j->tok_at_ms) * j->h.rate;

		j->tok_units = add >= burst - j->tok_units ? burst : j->tok_units + add;
		j->tok_at_ms = now;
	}
}

size_t
job_tick(struct job *j, int64_t now_ms, job_view_fn view, void *arg, struct job_send *out,
    size_t cap)
{
	size_t i, got = 0;

	j->started = 1;
	expire(j, now_ms);
	if (j->expired || j->h.cancelled)
		return 0;
	tokens_refill(j, now_ms);
	while (j->lo < j->n && !(j->a[j->lo].state == JOB_PENDING && !j->a[j->lo].wait))
		j->lo++;
	for (i = j->lo; i < j->n && got < cap; i++) {
		struct job_agent *a = &j->a[i];
		struct job_view v;
		int again;

		if (j->h.max_in_flight != 0 && j->inflight >= j->h.max_in_flight)
			break;
		if (j->h.rate != 0 && j->tok_units < JOB_TOKEN)
			break;
		if (a->state != JOB_PENDING || a->wait)
			continue;
		memset(&v, 0, sizeof(v));
		view(arg, a->id, &v);
		judge(j, a, &v, now_ms);
		if (a->state != JOB_PENDING || !v.live || !v.active || v.sid == 0 || v.node_down)
			continue;
		if (sent_before(j, a, v.node, v.sid))
			continue;
		again = latest(a, v.node, v.sid);
		if (!again && a->sid != 0 && sent_add(j, a->id, a->node, a->sid) == -1)
			break;              /* no memory: it waits for a later tick */
		a->node = v.node;
		a->sid = v.sid;
		if (!again)             /* again: the first send may be the one written */
			a->sent_ms = now_ms;
		a->sends++;
		job_set(j, a, JOB_PENDING, 1, now_ms);
		if (j->h.rate != 0)
			j->tok_units -= JOB_TOKEN;
		out[got].id = a->id;
		out[got].node = v.node;
		out[got].sid = v.sid;
		got++;
	}
	return got;
}

int
job_sent_result(struct job *j, uint32_t id, int node, uint64_t sid, int code,
    const struct job_view *v, int64_t now_ms)
{
	struct job_agent *a;

	expire(j, now_ms);
	if ((a = find(j, id)) == NULL)
		return JOB_UNKNOWN;
	if (JOB_STATE_FINAL(a->state) || !a->wait || a->node != node || a->sid != sid)
		return JOB_IGNORED;
	if (code == 0) {
		a->code = 0;
		job_set(j, a, JOB_DELIVERED, 0, now_ms);
	} else if (code == JOB_CODE_GONE) {
		a->code = code;
		job_set(j, a, JOB_FAILED, 0, now_ms);
	} else {
		a->code = code;
		job_set(j, a, JOB_PENDING, 0, now_ms);
	}
	if (v != NULL)
		judge(j, a, v, now_ms);
	return JOB_APPLIED;
}

int
job_observe(struct job *j, uint32_t id, const struct job_view *v, int64_t now_ms)
{
	struct job_agent *a;

	expire(j, now_ms);
	if ((a = find(j, id)) == NULL)
		return JOB_UNKNOWN;
	if (JOB_STATE_FINAL(a->state))
		return JOB_IGNORED;
	judge(j, a, v, now_ms);
	return JOB_APPLIED;
}

size_t
job_cancel(struct job *j, int64_t now_ms)
{
	size_t i, k = 0;

	expire(j, now_ms);
	j->h.cancelled = 1;
	for (i = 0; i < j->n; i++)
		if (j->a[i].state == JOB_PENDING) {
			job_set(j, &j->a[i], JOB_CANCELLED, 0, now_ms);
			k++;
		}
	return k;
}

/* ---- persistence and checks ---- */

struct job *
job_restore(const struct job_head *h, const struct job_agent *rows, size_t n,
    const struct job_sent *old, size_t nold)
{
	struct job *j;
	size_t i;

	if (h->version != JOB_FORMAT_VERSION)
		return NULL;
	if ((j = job_new(h->id, h->kind, h->created_ms, 1, h->max_in_flight, h->rate)) == NULL)
		return NULL;
	j->h = *h;
	j->started = 1;
	if (n > 0 && (j->a = malloc(n * sizeof(*j->a))) == NULL)
		goto err;
	j->cap = n;
	for (i = 0; i < n; i++) {
		struct job_agent *a = &j->a[i];

		*a = rows[i];
		if (a->state < 0 || a->state >= JOB_NSTATES || (i > 0 && a[-1].id >= a->id))
			goto err;
		/* an answer that was due: the command may have been written */
		if (a->wait && a->state == JOB_PENDING)
			a->code = JOB_CODE_UNREACHABLE;
		a->wait = 0;
		j->count[a->state]++;
		j->inflight += (size_t)in_flight(a);
		j->n++;
	}
	for (i = 0; i < nold; i++)
		if (sent_add(j, old[i].id, old[i].node, old[i].sid) == -1)
			goto err;
	return j;
err:
	job_free(j);
	return NULL;
}

int
job_row_sent(struct job_agent *row, int node, uint64_t sid, int64_t sent_ms,
    struct job_sent *old)
{
	int again = latest(row, node, sid), moved = 0;

	/* a row in flight there already shows this send (job_tick skips agents in flight) */
	if (JOB_STATE_FINAL(row->state) || sid == 0 ||
	    (again && (row->wait || row->sent_ms >= sent_ms)))
		return -1;
	if (!again && row->sid != 0) {
		old->id = row->id;
		old->node = row->node;
		old->sid = row->sid;
		moved = 1;
	}
	row->node = node;
	row->sid = sid;
	if (!again)
		row->sent_ms = sent_ms;
	row->sends++;
	row->state = JOB_PENDING;
	row->wait = 1;
	return moved;
}

int
job_check(const struct job *j)
{
	size_t c[JOB_NSTATES] = { 0 }, fl = 0, t = 0, i;
	int s;

	for (i = 0; i < j->n; i++) {
		const struct job_agent *a = &j->a[i];

		if (a->state < 0 || a->state >= JOB_NSTATES)
			return -1;
		if (i > 0 && j->a[i - 1].id >= a->id)
			return -1;
		if (a->wait && a->state != JOB_PENDING)
			return -1;
		if (i < j->lo && a->state == JOB_PENDING && !a->wait)
			return -1;
		c[a->state]++;
		fl += (size_t)in_flight(a);
	}
	for (s = 0; s < JOB_NSTATES; s++) {
		if (c[s] != j->count[s])
			return -1;
		t += j->count[s];
	}
	if (t != j->n || fl != j->inflight)
		return -1;
	return 0;
}
