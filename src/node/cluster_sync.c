/* cluster_sync.c — agent state across the cluster: whole records, the master's
 * ordering by session key, fencing, the worker's acknowledged outbox, agent keys.
 * See docs/design/cluster-sync.md.
 */
#include "node/cluster.h"

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
#include "node/agent.h"
#include "node/groups.h"
#include "node/registry.h"
#include "node/session.h"
#include "proto/cmsg.h"
#include "node/cluster_int.h"

/* ---- agent records ---- */

#define REC_STR(field) json_string(a->info.field)

static json_t *
record_from_agent(const struct agent *a)
{
	json_t *r = json_object();

	if (r == NULL)
		return NULL;
	json_object_set_new(r, "id", json_integer(a->id));
	json_object_set_new(r, "kg", json_integer(a->sync_kg));
	json_object_set_new(r, "kl", json_integer(a->sync_kl));
	json_object_set_new(r, "sseq", json_integer((json_int_t)a->sync_sseq));
	json_object_set_new(r, "t", json_integer((json_int_t)a->sync_mark_ms));
	json_object_set_new(r, "status", json_integer(a->status));
	json_object_set_new(r, "status_code", json_integer(a->status_code));
	json_object_set_new(r, "last_keepalive", json_integer(a->last_keepalive));
	json_object_set_new(r, "disconnection_time", json_integer(a->disconnection_time));
	json_object_set_new(r, "manager", json_string(a->manager));
	json_object_set_new(r, "version", REC_STR(version));
	json_object_set_new(r, "os_uname", REC_STR(os_uname));
	json_object_set_new(r, "os_name", REC_STR(os_name));
	json_object_set_new(r, "os_version", REC_STR(os_version));
	json_object_set_new(r, "os_major", REC_STR(os_major));
	json_object_set_new(r, "os_minor", REC_STR(os_minor));
	json_object_set_new(r, "os_build", REC_STR(os_build));
	json_object_set_new(r, "os_codename", REC_STR(os_codename));
	json_object_set_new(r, "os_platform", REC_STR(os_platform));
	json_object_set_new(r, "os_arch", REC_STR(os_arch));
	json_object_set_new(r, "config_sum", REC_STR(config_sum));
	json_object_set_new(r, "merged_sum", REC_STR(merged_sum));
	json_object_set_new(r, "agent_ip", REC_STR(agent_ip));
	json_object_set_new(r, "labels", REC_STR(labels));
	return r;
}

static void
rec_copy(json_t *r, const char *k, char *dst, size_t cap)
{
	const char *v = json_string_value(json_object_get(r, k));

	if (v != NULL)
		snprintf(dst, cap, "%s", v);
}

#define REC_COPY(field) rec_copy(r, #field, info.field, sizeof(info.field))

/*
 * record_apply: copies a record's reported state into a.  The agent
 * information is replaced whole, and only by a record that knows the
 * version: a known field never becomes unknown.
 */
static void
record_apply(json_t *r, struct agent *a, const char *node_name)
{
	struct agent_info info;
	json_int_t st = json_integer_value(json_object_get(r, "status"));

	if (st >= AGENT_NEVER_CONNECTED && st <= AGENT_DISCONNECTED)
		a->status = (int)st;
	a->status_code = (int)json_integer_value(json_object_get(r, "status_code"));
	a->last_keepalive = (time_t)json_integer_value(json_object_get(r, "last_keepalive"));
	a->disconnection_time =
	    (time_t)json_integer_value(json_object_get(r, "disconnection_time"));
	rec_copy(r, "manager", a->manager, sizeof(a->manager));
	snprintf(a->node_name, sizeof(a->node_name), "%s", node_name);
	memset(&info, 0, sizeof(info));
	REC_COPY(version);
	if (info.version[0] == '\0')
		return;
	REC_COPY(os_uname);
	REC_COPY(os_name);
	REC_COPY(os_version);
	REC_COPY(os_major);
	REC_COPY(os_minor);
	REC_COPY(os_build);
	REC_COPY(os_codename);
	REC_COPY(os_platform);
	REC_COPY(os_arch);
	REC_COPY(config_sum);
	REC_COPY(merged_sum);
	REC_COPY(agent_ip);
	REC_COPY(labels);
	a->info = info;
}

/* fence_old: the agent's newest session moved from a->sync_node to another node: close the old one. */
static void
fence_old(struct node *n, struct agent *a, const char *new_node)
{
	struct peer *p;

	if (a->sync_node[0] == '\0' || strcmp(a->sync_node, new_node) == 0)
		return;
	if (strcmp(a->sync_node, n->cfg.name) == 0) {
		session_fence(n, a, "a newer session of this agent is on another node");
		return;
	}
	if ((p = clu_peer_by_name(n->cluster, a->sync_node)) != NULL) {
		n->stats.sync_fenced++;
		clu_send(p, CMSG_FENCE, json_pack("{s:i, s:i, s:i}", "id", (json_int_t)a->id,
		    "kg", (json_int_t)a->sync_kg, "kl", (json_int_t)a->sync_kl));
	}
}

/* latency_add: one applied record: how long since the worker saw the change. */
static void
latency_add(struct cluster *c, json_int_t t)
{
	uint64_t now = clu_now_ms();
	uint32_t *v;

	if (c == NULL || t <= 0 || (uint64_t)t > now)
		return;
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

/*
 * master_apply: one record from node `from`.  Applied only when it comes from
 * the agent's newest known session; returns 1 applied, 0 dropped.
 */
static int
master_apply(struct node *n, struct peer *from, json_t *r)
{
	struct agent *a;
	unsigned int id, kg, kl;
	uint64_t sseq;
	int cmp;

	id = (unsigned int)json_integer_value(json_object_get(r, "id"));
	kg = (unsigned int)json_integer_value(json_object_get(r, "kg"));
	kl = (unsigned int)json_integer_value(json_object_get(r, "kl"));
	sseq = (uint64_t)json_integer_value(json_object_get(r, "sseq"));
	if (id == 0 || (a = registry_agent_by_id(n->reg, id)) == NULL || a->removed)
		return 0;
	cmp = a->sync_node[0] == '\0' ? 1 :
	    clu_key_cmp(kg, kl, from->name, a->sync_kg, a->sync_kl, a->sync_node);
	if (cmp < 0 || (cmp == 0 && sseq < a->sync_sseq)) {
		n->stats.sync_stale++;
		log_info("cluster %s: agent %03u: update from an older session (%u:%u < %u:%u on %s) "
		    "dropped", from->name, id, kg, kl, a->sync_kg, a->sync_kl, a->sync_node);
		if (cmp < 0)   /* the sender still holds an older session: it must close it */
			clu_send(from, CMSG_FENCE, json_pack("{s:i, s:i, s:i}", "id", (json_int_t)id,
			    "kg", (json_int_t)a->sync_kg, "kl", (json_int_t)a->sync_kl));
		return 0;
	}
	if (cmp > 0)
		fence_old(n, a, from->name);
	a->sync_kg = kg;
	a->sync_kl = kl;
	a->sync_sseq = sseq;
	snprintf(a->sync_node, sizeof(a->sync_node), "%s", from->name);
	record_apply(r, a, from->name);
	node_group_check(n, a);
	registry_agent_dirty(n->reg, a);
	n->stats.sync_applied++;
	latency_add(n->cluster, json_integer_value(json_object_get(r, "t")));
	return 1;
}

int
cluster_session_current(struct node *n, struct session *s)
{
	struct agent *a = s->agent;

	if (n->cluster == NULL || a == NULL || a->sync_node[0] == '\0')
		return 1;
	if (!clu_is_master(n))
		return 1;   /* a worker learns of newer sessions through fences */
	return clu_key_cmp(s->key_global, s->key_local, n->cfg.name, a->sync_kg, a->sync_kl,
	    a->sync_node) >= 0;
}

/* ---- worker outbox ---- */

static void
outbox_mark(struct cluster *c, struct agent *a)
{
	unsigned int *v;

	if (a->sync_dirty) {
		/* Already queued (perhaps while the link was down): make sure it leaves. */
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
	a->sync_dirty = 1;
	a->sync_mark_ms = clu_now_ms();
	event_active(c->send_ev, EV_TIMEOUT, 0);
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
		json_t *recs = json_array();

		if (b == NULL || recs == NULL) {
			free(b);
			json_decref(recs);
			break;
		}
		b->seq = ++c->next_seq;
		b->n = 0;
		for (k = 0; k < take; k++) {
			struct agent *a = registry_agent_by_id(n->reg, c->dirty[i + k]);

			if (a == NULL || a->removed)
				continue;
			a->sync_dirty = 0;
			a->sync_sent_seq = b->seq;
			b->ids[b->n++] = a->id;
			json_array_append_new(recs, record_from_agent(a));
		}
		i += take;
		TAILQ_INSERT_TAIL(&c->inflight, b, entry);
		clu_send(p, CMSG_UPDATES, json_pack("{s:I, s:o}", "seq", (json_int_t)b->seq,
		    "records", recs));
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

	while ((b = TAILQ_FIRST(&c->inflight)) != NULL && b->seq <= seq) {
		TAILQ_REMOVE(&c->inflight, b, entry);
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

			if (a != NULL && a->sync_sent_seq == b->seq)
				outbox_mark(c, a);
		}
		free(b);
	}
	count = registry_count(n->reg);
	for (i = 1; i < count; i++) {
		struct agent *a = registry_agent_at(n->reg, i);

		if (a->session != NULL || a->status == AGENT_ACTIVE || a->status == AGENT_PENDING)
			outbox_mark(c, a);
	}
}

void
cluster_agent_changed(struct node *n, struct agent *a, struct session *s)
{
	struct cluster *c = n->cluster;

	if (s != NULL) {
		if (s->key_global != a->sync_kg || s->key_local != a->sync_kl ||
		    strcmp(a->sync_node, n->cfg.name) != 0) {
			if (clu_is_master(n) && c != NULL)
				fence_old(n, a, n->cfg.name);
			a->sync_kg = s->key_global;
			a->sync_kl = s->key_local;
			snprintf(a->sync_node, sizeof(a->sync_node), "%s", n->cfg.name);
		}
		a->sync_sseq = s->seq;
	}
	if (c != NULL && !clu_is_master(n))
		outbox_mark(c, a);
}

/* ---- keys (master -> workers) ---- */

static json_t *
key_entry(const struct agent *a)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:s}", "id", (json_int_t)a->id, "name", a->name,
	    "ip", a->ip, "key", a->key, "group", a->group);
}

void
clu_keys_send_full(struct node *n, struct peer *p)
{
	json_t *arr = json_array();
	size_t i, count = registry_count(n->reg);

	for (i = 1; i < count; i++)
		json_array_append_new(arr, key_entry(registry_agent_at(n->reg, i)));
	clu_send(p, CMSG_KEYS, json_pack("{s:b, s:o, s:[]}", "full", 1, "agents", arr,
	    "removed"));
}

static void
keys_broadcast(struct node *n, json_t *body)
{
	struct peer *p;

	if (n->cluster != NULL)
		TAILQ_FOREACH(p, &n->cluster->peers, entry)
			if (p->ready)
				clu_send(p, CMSG_KEYS, json_incref(body));
	json_decref(body);
}

void
cluster_agent_added(struct node *n, struct agent *a)
{
	if (clu_is_master(n))
		keys_broadcast(n, json_pack("{s:b, s:[o], s:[]}", "full", 0, "agents",
		    key_entry(a), "removed"));
}

void
cluster_agent_removed(struct node *n, unsigned int id)
{
	if (clu_is_master(n))
		keys_broadcast(n, json_pack("{s:b, s:[], s:[i]}", "full", 0, "agents", "removed",
		    (json_int_t)id));
}

void
cluster_agent_group_changed(struct node *n, struct agent *a)
{
	cluster_agent_added(n, a);
}

/* ---- groups (master -> workers) ---- */

static json_t *
group_entry(const struct group *gr)
{
	json_t *e = json_pack("{s:s, s:s%}", "name", gr->name, "conf", gr->conf, gr->conf_len);

	/* The API accepts only UTF-8 agent.conf; a row edited by hand may not be. */
	if (e == NULL)
		log_warnx("cluster: group %s: agent.conf is not UTF-8; not sent to the workers",
		    gr->name);
	return e;
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
	size_t i, count = groups_count(n->groups);

	clu_send(p, CMSG_GROUPS, json_pack("{s:b, s:[], s:[]}", "full", 1, "groups", "removed"));
	for (i = 0; i < count; i++)
		clu_send(p, CMSG_GROUPS, json_pack("{s:b, s:[o], s:[]}", "full", 0,
		    "groups", group_entry(groups_at(n->groups, i)), "removed"));
}

void
cluster_group_changed(struct node *n, const struct group *gr)
{
	if (clu_is_master(n))
		groups_broadcast(n, json_pack("{s:b, s:[o], s:[]}", "full", 0, "groups",
		    group_entry(gr), "removed"));
}

void
cluster_group_removed(struct node *n, const char *name)
{
	if (clu_is_master(n))
		groups_broadcast(n, json_pack("{s:b, s:[], s:[s]}", "full", 0, "groups",
		    "removed", name));
}

/*
 * clu_worker_groups: the master's groups replace (full) or change the
 * worker's.  A malformed entry is skipped and logged: the link stays, and
 * agents of that group simply get no push here.
 */
void
clu_worker_groups(struct node *n, json_t *body)
{
	json_t *e;
	size_t i;

	if (json_is_true(json_object_get(body, "full")))
		groups_clear(n->groups);
	json_array_foreach(json_object_get(body, "groups"), i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		json_t *conf = json_object_get(e, "conf");

		if (name == NULL || !json_is_string(conf) || groups_set(n->groups, name,
		    json_string_value(conf), json_string_length(conf)) == -1)
			log_warnx("cluster: a group from the master is invalid; ignored");
	}
	json_array_foreach(json_object_get(body, "removed"), i, e)
		if (json_is_string(e))
			(void)groups_remove(n->groups, json_string_value(e));
}

/* clu_worker_keys: applies the master's agent keys to the worker's own table. */
void
clu_worker_keys(struct node *n, json_t *body)
{
	json_t *agents = json_object_get(body, "agents"), *removed = json_object_get(body, "removed");
	json_t *e;
	size_t i, count;
	int full = json_is_true(json_object_get(body, "full"));

	json_array_foreach(agents, i, e) {
		unsigned int id = (unsigned int)json_integer_value(json_object_get(e, "id"));
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *ip = json_string_value(json_object_get(e, "ip"));
		const char *key = json_string_value(json_object_get(e, "key"));
		const char *group = json_string_value(json_object_get(e, "group"));
		struct agent *a = registry_agent_by_id(n->reg, id);

		if (id == 0 || name == NULL || ip == NULL || key == NULL)
			continue;
		if (a != NULL && strcmp(a->name, name) == 0 && strcmp(a->key, key) == 0 &&
		    group != NULL && strcmp(a->group, group) != 0)
			snprintf(a->group, sizeof(a->group), "%s", group);
		if (a != NULL && (strcmp(a->name, name) != 0 || strcmp(a->key, key) != 0)) {
			session_drop_agent(n, a, "agent key replaced by the master");
			registry_agent_remove(n->reg, id);
			a = NULL;
		}
		if (a == NULL) {
			struct agent *clash = registry_agent_by_name(n->reg, name);

			if (clash != NULL && clash->id != 0) {
				session_drop_agent(n, clash, "agent removed by the master");
				registry_agent_remove(n->reg, clash->id);
			}
			registry_agent_put(n->reg, id, name, ip, "", key, group, node_now(n));
		}
	}
	json_array_foreach(removed, i, e) {
		unsigned int id = (unsigned int)json_integer_value(e);
		struct agent *a = registry_agent_by_id(n->reg, id);

		if (a != NULL && id != 0) {
			session_drop_agent(n, a, "agent removed");
			registry_agent_remove(n->reg, id);
		}
	}
	if (full) {
		/* Remove every agent the master no longer has (ids sorted for bsearch:
		 * memory follows the agent count, not the highest id). */
		size_t nids = 0;
		unsigned int *ids = calloc(json_array_size(agents) + 1, sizeof(*ids));

		if (ids == NULL)
			return;
		json_array_foreach(agents, i, e) {
			json_int_t id = json_integer_value(json_object_get(e, "id"));

			if (id > 0)
				ids[nids++] = (unsigned int)id;
		}
		qsort(ids, nids, sizeof(*ids), u32_cmp);
		count = registry_count(n->reg);
		for (i = count; i > 1; i--) {
			struct agent *a = registry_agent_at(n->reg, i - 1);

			if (bsearch(&a->id, ids, nids, sizeof(*ids), u32_cmp) == NULL) {
				session_drop_agent(n, a, "agent removed");
				registry_agent_remove(n->reg, a->id);
			}
		}
		free(ids);
	}
	node_schedule_flush(n);
}

void
clu_master_updates(struct peer *p, json_t *body)
{
	struct node *n = p->node;
	json_t *recs = json_object_get(body, "records"), *r;
	json_int_t seq = json_integer_value(json_object_get(body, "seq"));
	size_t i;

	struct known_node *k = clu_known_get(n->cluster, p->name);

	/* A link never loses frames; a gap means a broken stream: reset it, the
	 * worker resends everything unacknowledged.  A batch already seen is
	 * acknowledged again and not reapplied. */
	if (p->expect_seq != 0 && (uint64_t)seq > p->expect_seq) {
		clu_close(p, "gap in the sync stream");
		return;
	}
	if (p->expect_seq != 0 && (uint64_t)seq < p->expect_seq) {
		n->stats.sync_stale += json_array_size(recs);
		clu_send(p, CMSG_ACK, json_pack("{s:I}", "seq", (json_int_t)(p->expect_seq - 1)));
		return;
	}
	p->expect_seq = (uint64_t)seq + 1;
	json_array_foreach(recs, i, r)
		master_apply(n, p, r);
	if (k != NULL)
		k->updates += json_array_size(recs);
	node_schedule_flush(n);
	/* Applied to the registry in memory, which the API reads: acknowledge. */
	clu_send(p, CMSG_ACK, json_pack("{s:I}", "seq", seq));
}

void
clu_worker_fence(struct node *n, json_t *body)
{
	unsigned int id = (unsigned int)json_integer_value(json_object_get(body, "id"));
	unsigned int kg = (unsigned int)json_integer_value(json_object_get(body, "kg"));
	unsigned int kl = (unsigned int)json_integer_value(json_object_get(body, "kl"));
	struct agent *a = registry_agent_by_id(n->reg, id);
	struct session *s;

	if (a == NULL || (s = a->session) == NULL)
		return;
	/* The master knows a newer session on another node (or the same key there,
	 * which the tie-break gave to the other node): ours must close.  A session
	 * newer than what the master knows stays: its updates will win. */
	if (clu_key_cmp(s->key_global, s->key_local, "", kg, kl, "") <= 0)
		session_fence(n, a, "fenced by the master: a newer session is on another node");
}

/* clu_mark_unreachable: a worker has been gone for the grace period. */
void
clu_mark_unreachable(struct node *n, struct known_node *k)
{
	size_t i, count = registry_count(n->reg);
	int marked = 0;

	for (i = 1; i < count; i++) {
		struct agent *a = registry_agent_at(n->reg, i);

		if (strcmp(a->sync_node, k->name) != 0)
			continue;
		if (a->status != AGENT_ACTIVE && a->status != AGENT_PENDING)
			continue;
		if (a->status != AGENT_DISCONNECTED)
			a->disconnection_time = node_now(n);
		a->status = AGENT_DISCONNECTED;
		a->status_code = AGENT_CODE_NODE_UNREACHABLE;
		registry_agent_dirty(n->reg, a);
		marked++;
	}
	k->marked = 1;
	node_schedule_flush(n);
	log_warnx("cluster: worker '%s' unreachable for %d s: %d agents marked disconnected",
	    k->name, n->cfg.node_grace, marked);
}
