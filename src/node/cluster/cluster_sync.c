/* cluster_sync.c — agent state across the cluster: whole records, the master's
 * ordering by session key, fencing, the worker's acknowledged outbox, agent keys.
 * See docs/design/cluster-sync.md.
 */
#include "node/cluster/cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/err.h>

#include "lib/log.h"
#include "lib/tls_psk.h"
#include "node/core/agent.h"
#include "node/registry/groups.h"
#include "node/registry/registry.h"
#include "node/agents/session.h"
#include "node/ledger/state.h"
#include "proto/cbody.h"
#include "proto/crec.h"
#include "proto/cmsg.h"
#include "node/cluster/cluster_int.h"

/* ---- agent records ---- */

/* record_from_agent: the worker's record of its newest session of a (new reference). */
static json_t *
record_from_agent(const struct agent *a)
{
	struct crec_record r;

	memset(&r, 0, sizeof(r));
	r.id = a->id;
	r.sid = a->sync.sid;
	r.first = a->sync.first;
	r.last = a->sync.last;
	r.nrx = a->sync.nrx;
	r.sseq = a->sync.seq;
	r.live = a->sync.live;
	r.mark_ms = a->sync.mark_ms;
	r.st = a->st;
	return crec_record_encode(&r);
}

/* latency_add: one applied record: how long since the worker saw the change. */
static void
latency_add(struct cluster *c, json_int_t t)
{
	uint64_t now = clu_now_ms();
	uint32_t *v;

	if (c == NULL || t <= 0 || (uint64_t)t > now)
		return;
	promhist_observe(&c->node->stats.sync_lag, (double)(now - (uint64_t)t) / 1000.0);
	if (c->nlat == c->caplat) {
		size_t cap = c->caplat ? c->caplat * 2 : 4096;

		if (cap > (1u << 20) || (v = realloc(c->lat, cap * sizeof(*v))) == NULL)
			return;
		c->lat = v;
		c->caplat = cap;
	}
	c->lat[c->nlat++] = (uint32_t)(now - (uint64_t)t);
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * clu_latency_report: every 10 s, logs the propagation latency of the records
 * applied since the last report (change on a worker -> master registry).
 */
void
clu_latency_report(struct cluster *c, time_t now)
{
	size_t n = c->nlat;

	if (now - c->lat_logged < 10 || n == 0)
		return;
	c->lat_logged = now;
	qsort(c->lat, n, sizeof(*c->lat), u32_cmp);
	log_info("cluster: sync latency over %zu records: p50 %u ms, p99 %u ms, max %u ms", n,
	    c->lat[n / 2], c->lat[(n * 99) / 100], c->lat[n - 1]);
	c->nlat = 0;
}

/* ---- worker outbox ---- */

/*
 * outbox_mark: the agent's record is queued for the master.  A change of
 * state leaves at the end of this loop turn; a change of the keepalive time
 * alone (touch) waits up to CLUSTER_TOUCH_MS so that many go in one frame.
 */
static void
outbox_mark(struct cluster *c, struct agent *a, int touch)
{
	unsigned int *v;

	if (!touch)
		a->sync.need_full = 1;
	if (a->sync.dirty) {
		/* Already queued (perhaps while the link was down): make sure it leaves. */
		if (!touch)
			event_active(c->send_ev, EV_TIMEOUT, 0);
		return;
	}
	if (c->ndirty == c->capdirty) {
		size_t cap = c->capdirty ? c->capdirty * 2 : 1024;

		if ((v = realloc(c->dirty, cap * sizeof(*v))) == NULL) {
			log_warn("cluster: outbox");
			return;   /* resent at the next reconnect resync */
		}
		c->dirty = v;
		c->capdirty = cap;
	}
	c->dirty[c->ndirty++] = a->id;
	a->sync.dirty = 1;
	a->sync.mark_ms = clu_now_ms();
	if (!touch)
		event_active(c->send_ev, EV_TIMEOUT, 0);
	else if (!evtimer_pending(c->touch_ev, NULL)) {
		struct timeval tv = { 0, CLUSTER_TOUCH_MS * 1000 };

		evtimer_add(c->touch_ev, &tv);
	}
}

/* outbox_send: streams the queued records in batches; each batch waits for its ack. */
static void
outbox_send(struct cluster *c)
{
	struct node *n = c->node;
	struct peer *p = TAILQ_FIRST(&c->peers);
	size_t i = 0, k;

	if (p == NULL || !p->ready || p->closing)
		return;
	while (i < c->ndirty) {
		size_t take = c->ndirty - i < CLUSTER_BATCH_MAX ? c->ndirty - i : CLUSTER_BATCH_MAX;
		struct batch *b = malloc(sizeof(*b) + take * sizeof(unsigned int));
		char *touches = malloc(take * CREC_TOUCH_TEXT_MAX + 1);
		size_t tlen = 0;
		json_t *recs = json_array(), *body;

		if (b == NULL || recs == NULL || touches == NULL) {
			free(b);
			free(touches);
			json_decref(recs);
			break;
		}
		b->seq = ++c->next_seq;
		b->n = 0;
		for (k = 0; k < take; k++) {
			struct agent *a = registry_agent_by_id(n->reg, c->dirty[i + k]);

			if (a == NULL || a->removed || a->sync.sid == 0)
				continue;
			a->sync.dirty = 0;
			a->sync.sent_seq = b->seq;
			b->ids[b->n++] = a->id;
			/* A touch is a delta against a whole record of the same session
			 * that the master acknowledged; without one, the whole record. */
			if (a->sync.need_full || a->sync.acked_sid != a->sync.sid) {
				a->sync.need_full = 0;
				a->sync.full_sid = a->sync.sid;
				a->sync.full_batch = b->seq;
				json_array_append_new(recs, record_from_agent(a));
			} else {
				struct crec_touch t;

				t.id = a->id;
				t.sid = a->sync.sid;
				t.sseq = a->sync.seq;
				t.nrx = a->sync.nrx;
				t.last = a->sync.last;
				t.last_keepalive = a->st.last_keepalive;
				tlen += crec_touch_format(&t, touches + tlen, CREC_TOUCH_TEXT_MAX + 1);
			}
		}
		i += take;
		TAILQ_INSERT_TAIL(&c->inflight, b, entry);
		body = json_pack("{s:I, s:o}", "seq", (json_int_t)b->seq, "records", recs);
		if (body != NULL && tlen > 0)
			json_object_set_new(body, "touch", json_stringn(touches, tlen));
		free(touches);
		clu_send(p, CMSG_UPDATES, body);
	}
	if (i > 0) {
		memmove(c->dirty, c->dirty + i, (c->ndirty - i) * sizeof(*c->dirty));
		c->ndirty -= i;
	}
}

void
clu_send_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	outbox_send(arg);
}

void
clu_outbox_ack(struct cluster *c, uint64_t seq)
{
	struct batch *b;

	struct node *n = c->node;
	size_t i;

	while ((b = TAILQ_FIRST(&c->inflight)) != NULL && b->seq <= seq) {
		TAILQ_REMOVE(&c->inflight, b, entry);
		for (i = 0; i < b->n; i++) {
			struct agent *a = registry_agent_by_id(n->reg, b->ids[i]);

			if (a != NULL && a->sync.full_batch == b->seq)
				a->sync.acked_sid = a->sync.full_sid;
		}
		free(b);
	}
}

/* clu_outbox_resync: after a (re)connect: everything unacknowledged, and every live agent, again. */
void
clu_outbox_resync(struct cluster *c)
{
	struct node *n = c->node;
	struct batch *b;
	size_t i, count;

	while ((b = TAILQ_FIRST(&c->inflight)) != NULL) {
		TAILQ_REMOVE(&c->inflight, b, entry);
		for (i = 0; i < b->n; i++) {
			struct agent *a = registry_agent_by_id(n->reg, b->ids[i]);

			if (a != NULL && a->sync.sent_seq == b->seq) {
				n->stats.sync_resent++;
				outbox_mark(c, a, 0);
			}
		}
		free(b);
	}
	/* The master may have restarted: nothing it acknowledged counts now. */
	count = registry_count(n->reg);
	for (i = 1; i < count; i++) {
		struct agent *a = registry_agent_at(n->reg, i);

		a->sync.acked_sid = 0;
		if (a->sync.live)
			outbox_mark(c, a, 0);
	}
}

void
clu_outbox_hook(struct node *n, struct agent *a, int touch)
{
	if (n->cluster != NULL && !clu_is_master(n))
		outbox_mark(n->cluster, a, touch);
}

/* ---- keys (master -> workers) ---- */

/* key_of: a's entry of a keys frame; it borrows a's strings. */
static void
key_of(const struct agent *a, struct cbody_key *k)
{
	k->id = a->id;
	k->name = a->name;
	k->ip = a->ip;
	k->key = a->key;
	k->group = a->group;
}

/*
 * keys_encode: k's body.  An entry the encoder refuses is logged and left
 * out (k->agents is compacted), not the whole frame: a worker that misses
 * one agent is better off than one that misses them all.  NULL only when
 * memory runs out.
 */
static json_t *
keys_encode(struct cbody_keys *k)
{
	struct cbody_keys one;
	json_t *body;
	size_t i, j;

	if ((body = cbody_keys_encode(k)) != NULL || k->nagents == 0)
		return body;
	memset(&one, 0, sizeof(one));
	one.nagents = 1;
	for (i = j = 0; i < k->nagents; i++) {
		one.agents = &k->agents[i];
		if ((body = cbody_keys_encode(&one)) == NULL) {
			log_warnx("cluster: agent %u's key entry cannot be sent to the workers; "
			    "left out", k->agents[i].id);
			continue;
		}
		json_decref(body);
		k->agents[j++] = k->agents[i];
	}
	k->nagents = j;
	return cbody_keys_encode(k);
}

/*
 * clu_keys_send_full: every agent's key to a worker that joined, in parts of
 * keys_chunk agents: one frame of 100,000 agents would pass the 8 MiB frame
 * limit, and the worker would never learn its agents' keys (it did at 70,000).
 */
void
clu_keys_send_full(struct node *n, struct peer *p)
{
	struct cbody_keys k;
	size_t i = 1, count = registry_count(n->reg), chunk = (size_t)n->cfg.keys_chunk;
	struct cbody_key *v = NULL;

	if (count > 1 && (v = calloc(count - 1 < chunk ? count - 1 : chunk, sizeof(*v))) == NULL) {
		/* the worker must not run on a stale table: it reconnects and asks again */
		clu_close(p, "out of memory for the agent keys");
		return;
	}
	memset(&k, 0, sizeof(k));
	k.full = 1;
	do {
		k.agents = v;
		k.nagents = 0;
		for (; i < count && k.nagents < chunk; i++)
			key_of(registry_agent_at(n->reg, i), &v[k.nagents++]);
		k.part++;
		k.more = i < count;
		if (clu_send(p, CMSG_KEYS, keys_encode(&k)) == -1)
			break;   /* the link is closing: the next join starts again */
	} while (k.more);
	free(v);
}

static void
keys_broadcast(struct node *n, json_t *body)
{
	struct peer *p;

	if (n->cluster != NULL && body != NULL)
		TAILQ_FOREACH(p, &n->cluster->peers, entry)
			if (p->ready)
				clu_send(p, CMSG_KEYS, json_incref(body));
	json_decref(body);
}

void
cluster_agent_added(struct node *n, struct agent *a)
{
	struct cbody_keys k;
	struct cbody_key e;

	if (!clu_is_master(n))
		return;
	memset(&k, 0, sizeof(k));
	key_of(a, &e);
	k.agents = &e;
	k.nagents = 1;
	keys_broadcast(n, keys_encode(&k));
}

void
cluster_agent_removed(struct node *n, unsigned int id)
{
	struct cbody_keys k;

	if (!clu_is_master(n))
		return;
	memset(&k, 0, sizeof(k));
	k.removed = &id;
	k.nremoved = 1;
	keys_broadcast(n, cbody_keys_encode(&k));
}

void
cluster_agent_group_changed(struct node *n, struct agent *a)
{
	cluster_agent_added(n, a);
}

/* ---- groups (master -> workers) ---- */

/*
 * group_body: a groups frame that carries gr alone.  NULL (logged) when it
 * cannot be sent: the API accepts only UTF-8 agent.conf, but a row edited
 * by hand may not be.
 */
static json_t *
group_body(const struct group *gr)
{
	struct cbody_groups g;
	struct cbody_group e;
	json_t *body;

	memset(&g, 0, sizeof(g));
	e.name = gr->name;
	e.conf = gr->conf;
	e.conf_len = gr->conf_len;
	g.groups = &e;
	g.ngroups = 1;
	if ((body = cbody_groups_encode(&g)) == NULL)
		log_warnx("cluster: group %s cannot be sent to the workers (agent.conf not "
		    "UTF-8?); not sent", gr->name);
	return body;
}

static void
groups_broadcast(struct node *n, json_t *body)
{
	struct peer *p;

	if (n->cluster != NULL && body != NULL)
		TAILQ_FOREACH(p, &n->cluster->peers, entry)
			if (p->ready)
				clu_send(p, CMSG_GROUPS, json_incref(body));
	json_decref(body);
}

/*
 * clu_groups_send_full: every group to a worker that joined: an empty "full"
 * frame first (the worker drops the groups it had), then one frame per group
 * (an agent.conf may be up to GROUP_CONF_MAX).  The "full" frame travels
 * alone so that a group that cannot be encoded cannot take it down with it.
 */
void
clu_groups_send_full(struct node *n, struct peer *p)
{
	struct cbody_groups full;
	json_t *body;
	size_t i, count = groups_count(n->groups);

	memset(&full, 0, sizeof(full));
	full.full = 1;
	clu_send(p, CMSG_GROUPS, cbody_groups_encode(&full));
	for (i = 0; i < count; i++)
		if ((body = group_body(groups_at(n->groups, i))) != NULL)
			clu_send(p, CMSG_GROUPS, body);
}

void
cluster_group_changed(struct node *n, const struct group *gr)
{
	if (clu_is_master(n))
		groups_broadcast(n, group_body(gr));
}

void
cluster_group_removed(struct node *n, const char *name)
{
	struct cbody_groups g;

	if (!clu_is_master(n))
		return;
	memset(&g, 0, sizeof(g));
	g.removed = &name;
	g.nremoved = 1;
	groups_broadcast(n, cbody_groups_encode(&g));
}

/*
 * clu_worker_groups: the master's groups replace (full) or change the
 * worker's.  A group this node cannot take (groups_set refuses it) is
 * skipped and logged: the link stays, and agents of that group simply get
 * no push here.  A body that does not decode is skipped whole, for the same
 * reason (clu_dispatch).
 */
void
clu_worker_groups(struct node *n, const struct cbody_groups *g)
{
	size_t i;

	if (g->full)
		groups_clear(n->groups);
	for (i = 0; i < g->ngroups; i++)
		if (groups_set(n->groups, g->groups[i].name, g->groups[i].conf,
		    g->groups[i].conf_len) == -1)
			log_warnx("cluster: group %s from the master is invalid; ignored",
			    g->groups[i].name);
	for (i = 0; i < g->nremoved; i++)
		(void)groups_remove(n->groups, g->removed[i]);
}

/*
 * keys_full_part: a full table, or a part of one: its ids are kept until the
 * last part, then every agent the master no longer has is removed.  A part out
 * of order (a join cut short and begun again) starts over at its part 1.
 */
static void
keys_full_part(struct node *n, const struct cbody_keys *k)
{
	struct cluster *c = n->cluster;
	unsigned int part = k->part ? k->part : 1;
	struct agent *a;
	size_t i, count;

	if (part == 1)
		c->nfull = 0;
	else if (part != c->full_next) {
		log_warnx("cluster: keys part %u where part %u was due; waiting for a new table",
		    part, c->full_next);
		c->full_next = 0;
		return;
	}
	c->full_next = part + 1;
	if (c->nfull + k->nagents > c->capfull) {
		size_t cap = c->nfull + k->nagents;
		unsigned int *v = reallocarray(c->full_ids, cap, sizeof(*v));

		if (v == NULL) {
			c->full_next = 0;   /* no removals on a partial list */
			return;
		}
		c->full_ids = v;
		c->capfull = cap;
	}
	for (i = 0; i < k->nagents; i++)
		c->full_ids[c->nfull++] = k->agents[i].id;
	if (k->more)
		return;
	/* Remove every agent the master no longer has (ids sorted for bsearch:
	 * memory follows the agent count, not the highest id). */
	log_info("cluster: the master's agent keys: %zu agents in %u part%s", c->nfull, part,
	    part == 1 ? "" : "s");
	c->full_next = 0;
	if (c->nfull > 1)   /* qsort and bsearch want an array, even of none */
		qsort(c->full_ids, c->nfull, sizeof(*c->full_ids), u32_cmp);
	count = registry_count(n->reg);
	for (i = count; i > 1; i--) {
		a = registry_agent_at(n->reg, i - 1);
		if (c->nfull == 0 ||
		    bsearch(&a->id, c->full_ids, c->nfull, sizeof(*c->full_ids), u32_cmp) == NULL) {
			session_drop_agent(n, a, "agent removed");
			registry_agent_remove(n->reg, a->id);
		}
	}
	free(c->full_ids);
	c->full_ids = NULL;
	c->nfull = c->capfull = 0;
}

/* clu_worker_keys: applies the master's agent keys to the worker's own table. */
void
clu_worker_keys(struct node *n, const struct cbody_keys *k)
{
	const struct cbody_key *e;
	struct agent *a;
	size_t i;

	for (i = 0; i < k->nagents; i++) {
		e = &k->agents[i];
		a = registry_agent_by_id(n->reg, e->id);
		if (a != NULL && strcmp(a->name, e->name) == 0 && strcmp(a->key, e->key) == 0 &&
		    strcmp(a->group, e->group) != 0)
			snprintf(a->group, sizeof(a->group), "%s", e->group);
		if (a != NULL && (strcmp(a->name, e->name) != 0 || strcmp(a->key, e->key) != 0)) {
			session_drop_agent(n, a, "agent key replaced by the master");
			registry_agent_remove(n->reg, e->id);
			a = NULL;
		}
		if (a == NULL) {
			struct agent *clash = registry_agent_by_name(n->reg, e->name);

			if (clash != NULL && clash->id != 0) {
				session_drop_agent(n, clash, "agent removed by the master");
				registry_agent_remove(n->reg, clash->id);
			}
			registry_agent_put(n->reg, e->id, e->name, e->ip, "", e->key, e->group,
			    node_now(n));
		}
	}
	for (i = 0; i < k->nremoved; i++)
		if ((a = registry_agent_by_id(n->reg, k->removed[i])) != NULL) {
			session_drop_agent(n, a, "agent removed");
			registry_agent_remove(n->reg, k->removed[i]);
		}
	if (k->full)
		keys_full_part(n, k);
	node_schedule_flush(n);
}

static json_t *
ack_body(uint64_t seq)
{
	struct cbody_ack a = { .seq = seq };

	return cbody_ack_encode(&a);
}

void
clu_master_updates(struct peer *p, json_t *body)
{
	struct node *n = p->node;
	const json_t *recs, *j;
	const char *why, *touches, *tend;
	uint64_t seq;
	size_t i, tlen;
	int got;
	struct crec_touch t;
	struct known_node *k = clu_known_get(n->cluster, p->name);

	if (crec_updates_decode(body, &seq, &recs, &touches, &tlen, &why) == -1) {
		clu_close(p, why);
		return;
	}
	/* A link never loses frames; a gap means a broken stream: reset it, the
	 * worker resends everything unacknowledged.  A batch already seen is
	 * acknowledged again and not reapplied. */
	if (p->expect_seq != 0 && seq > p->expect_seq) {
		clu_close(p, "gap in the sync stream");
		return;
	}
	if (p->expect_seq != 0 && seq < p->expect_seq) {
		n->stats.sync_stale += json_array_size(recs);
		clu_send(p, CMSG_ACK, ack_body(p->expect_seq - 1));
		return;
	}
	p->expect_seq = seq + 1;
	json_array_foreach(recs, i, j) {
		struct crec_record r;

		/* One bad record is that agent's problem, not the batch's. */
		if (crec_record_decode(j, &r, &why) == -1) {
			n->stats.frames_bad++;
			log_warnx("cluster %s: a record was dropped: %s", p->name, why);
			continue;
		}
		state_record(n, p->idx, &r);
		latency_add(n->cluster, (json_int_t)r.mark_ms);
	}
	for (tend = touches + tlen; (got = crec_touch_next(&touches, tend, &t, &why)) != 0;) {
		if (got == -1) {
			n->stats.frames_bad++;
			log_warnx("cluster %s: a touch was dropped: %s", p->name, why);
			continue;
		}
		state_touch(n, p->idx, &t);
	}
	if (k != NULL)
		k->updates += json_array_size(recs);
	node_schedule_flush(n);
	/* Applied to the registry in memory, which the API reads: acknowledge. */
	clu_send(p, CMSG_ACK, ack_body(seq));
}

void
clu_worker_fence(struct node *n, json_t *body)
{
	struct crec_fence f;
	const char *why;
	struct agent *a;

	if (crec_fence_decode(body, &f, &why) == -1) {
		log_warnx("cluster: a fence from the master was ignored: %s", why);
		return;
	}
	if ((a = registry_agent_by_id(n->reg, f.id)) == NULL)
		return;
	switch (session_fence_sid(n, a, f.sid, f.has_below ? &f.below : NULL)) {
	case 1:
		a->sync.live = 0;   /* the master moved on: nothing more to say of it */
		break;
	case 0:
		session_republish(n, a->session);   /* tells the master why */
		break;
	default:
		break;
	}
}

void
cluster_fence(struct node *n, uint16_t node, const struct crec_fence *f)
{
	struct known_node *k;
	struct peer *p;

	if (n->cluster == NULL || (k = clu_known_by_idx(n->cluster, node)) == NULL ||
	    (p = clu_peer_by_name(n->cluster, k->name)) == NULL || !p->ready)
		return;
	clu_send(p, CMSG_FENCE, crec_fence_encode(f));
}

/* clu_mark_unreachable: a worker has been gone for the grace period. */
void
clu_mark_unreachable(struct node *n, struct known_node *k)
{
	k->marked = 1;
	state_node_lost(n, k->idx);
	node_schedule_flush(n);
}
