/* cluster.c — the cluster link between workers and the master.
 *
 * Transport: TLS 1.3 with a pre-shared key derived from the cluster key file
 * (lib/tls_psk.c); the worker's node name is its PSK identity, so the master
 * knows who connected only if the handshake proved the key.  Frames: cmsg.
 *
 * Agent state (docs/design/cluster-sync.md):
 * - every agent session has a key: the agent's own message counter of the
 *   session's first message; it orders sessions of one agent on any node;
 * - a worker sends whole records, each tagged with the session key and the
 *   session's update sequence, batched; it keeps every batch until the master
 *   acknowledges it, and resends all unacknowledged records (plus every live
 *   agent's) after a reconnect;
 * - the master applies a record only from the agent's newest session (same
 *   key and a sequence not older than the last applied); an older session's
 *   record is dropped and counted, and its node is told to close it (fence);
 * - when a worker's link is lost for longer than node-grace, the master marks
 *   the agents whose newest session is on that worker disconnected (code 6).
 * Commands go to the node that holds the newest session, which answers with
 * the outcome; no answer within a timeout is a failure, never a success.
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
#include "node/registry.h"
#include "node/session.h"
#include "proto/cmsg.h"

#define CLUSTER_BATCH_MAX 2000        /* records per UPDATES frame */
#define CLUSTER_PING_EVERY 2          /* s of silence before a ping */
#define CLUSTER_DEAD_AFTER 10         /* s of silence that closes a link */
#define CLUSTER_CMD_TIMEOUT 5         /* s for a worker to answer a command */
#define CLUSTER_BACKOFF_MIN_MS 200
#define CLUSTER_BACKOFF_MAX_MS 5000
#define CLUSTER_OUTBUF_MAX (64 << 20)

struct peer {
	TAILQ_ENTRY(peer) entry;
	struct node *node;
	struct bufferevent *bev;
	char name[64];              /* the other node */
	char addr[64];
	int ready;                  /* hello exchanged */
	int closing;
	int close_after_flush;      /* refused: close once the error frame is written */
	char close_reason[160];
	time_t last_rx;
	time_t last_tx;
	uint64_t expect_seq;        /* master: next sync batch expected (0 = any) */
};
TAILQ_HEAD(peer_list, peer);

/* A worker known to the master, connected or not: for the grace period. */
struct known_node {
	TAILQ_ENTRY(known_node) entry;
	char name[64];
	char addr[64];
	time_t down_since;          /* 0 = connected */
	int marked;                 /* its agents were marked unreachable */
	time_t joined;
	uint64_t updates;
};
TAILQ_HEAD(known_list, known_node);

/* A batch of records sent by a worker and not yet acknowledged. */
struct batch {
	TAILQ_ENTRY(batch) entry;
	uint64_t seq;
	size_t n;
	unsigned int ids[];
};
TAILQ_HEAD(batch_list, batch);

/* A command sent to a worker, waiting for its result. */
struct pending_cmd {
	TAILQ_ENTRY(pending_cmd) entry;
	uint64_t req;
	unsigned int id;
	time_t deadline;
	void (*done)(void *, unsigned int, int);
	void *arg;
};
TAILQ_HEAD(cmd_list, pending_cmd);

/* Worker: an enrollment forwarded to the master, waiting for its reply. */
struct pending_enroll {
	TAILQ_ENTRY(pending_enroll) entry;
	uint64_t req;
	void *conn;
	time_t deadline;
};
TAILQ_HEAD(enroll_list, pending_enroll);

struct cluster {
	struct node *node;
	struct tls_psk_key key;
	SSL_CTX *ctx;
	struct peer_list peers;             /* master: workers; worker: at most the master */
	struct peer_list dead;
	struct known_list known;            /* master */
	struct evconnlistener *lsn;         /* master */
	struct event *reap_ev;
	struct event *send_ev;              /* worker: flush the outbox */
	struct event *reconnect_ev;         /* worker */
	int backoff_ms;
	/* worker outbox */
	unsigned int *dirty;
	size_t ndirty, capdirty;
	struct batch_list inflight;
	uint64_t next_seq;
	/* master commands, worker enrollments */
	struct cmd_list cmds;
	struct enroll_list enrolls;
	uint64_t next_req;
	/* test-only fault injection on the sync stream (--test-faults) */
	struct event *faults_ev;
	int hold, dup, drop;
	struct held { uint8_t *f; size_t len; } *held;
	size_t nheld, capheld;
};

#define ENROLL_FORWARD_TIMEOUT 8
#define ENROLL_MASTER_DOWN "ERROR: Cannot reach the master node. Unable to add agent"

struct pending_enroll;
static void peer_close(struct peer *p, const char *reason);
static void enroll_finish(struct cluster *c, struct pending_enroll *pe, const char *reply);

static int
is_master(const struct node *n)
{
	return n->cfg.role == ROLE_MASTER;
}

static int
key_cmp(unsigned int ag, unsigned int al, const char *an, unsigned int bg, unsigned int bl,
    const char *bn)
{
	if (ag != bg)
		return ag < bg ? -1 : 1;
	if (al != bl)
		return al < bl ? -1 : 1;
	return strcmp(an, bn);
}

/* ---- frames ---- */

/*
 * faults_take: test-only.  Decides the fate of an outgoing sync frame under
 * fault injection: dropped, held for later, or duplicated.  Returns 1 when it
 * took the frame (the caller must not write it), 0 to send it normally.
 */
static int
faults_take(struct cluster *c, uint8_t *f, size_t len)
{
	struct peer *p = TAILQ_FIRST(&c->peers);

	if (c->faults_ev == NULL)
		return 0;
	if (c->drop > 0) {
		c->drop--;
		free(f);
		return 1;
	}
	if (c->hold) {
		if (c->nheld == c->capheld) {
			size_t cap = c->capheld ? c->capheld * 2 : 64;
			struct held *v = realloc(c->held, cap * sizeof(*v));

			if (v == NULL) {
				free(f);
				return 1;
			}
			c->held = v;
			c->capheld = cap;
		}
		c->held[c->nheld].f = f;
		c->held[c->nheld].len = len;
		c->nheld++;
		return 1;
	}
	if (c->dup && p != NULL)
		bufferevent_write(p->bev, f, len);
	return 0;
}

static int
peer_send(struct peer *p, int type, json_t *body)
{
	uint8_t *f;
	size_t len;
	int rc = -1;

	if (p->closing || body == NULL)
		goto out;
	if (evbuffer_get_length(bufferevent_get_output(p->bev)) > CLUSTER_OUTBUF_MAX) {
		peer_close(p, "peer does not read (output backlog)");
		goto out;
	}
	if ((f = cmsg_encode(type, body, &len)) == NULL) {
		log_warnx("cluster %s: cannot encode a %s frame", p->name, cmsg_type_name(type));
		goto out;
	}
	if (type == CMSG_UPDATES && faults_take(p->node->cluster, f, len)) {
		rc = 0;
		goto out;
	}
	rc = bufferevent_write(p->bev, f, len);
	free(f);
	p->last_tx = node_now(p->node);
out:
	json_decref(body);
	return rc;
}

/* peer_error: tells the other side why, then closes once that is written. */
static void
peer_error(struct peer *p, const char *message)
{
	log_warnx("cluster %s (%s): refusing: %s", p->name[0] ? p->name : "?", p->addr, message);
	peer_send(p, CMSG_ERROR, json_pack("{s:s}", "message", message));
	p->close_after_flush = 1;
	snprintf(p->close_reason, sizeof(p->close_reason), "%s", message);
	bufferevent_disable(p->bev, EV_READ);
}

static void
peer_write_cb(struct bufferevent *bev, void *arg)
{
	struct peer *p = arg;

	if (p->close_after_flush && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		peer_close(p, p->close_reason);
}

static struct peer *
peer_by_name(struct cluster *c, const char *name)
{
	struct peer *p;

	TAILQ_FOREACH(p, &c->peers, entry)
		if (p->ready && !p->closing && strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

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
	if ((p = peer_by_name(n->cluster, a->sync_node)) != NULL) {
		n->stats.sync_fenced++;
		peer_send(p, CMSG_FENCE, json_pack("{s:i, s:i, s:i}", "id", (json_int_t)a->id,
		    "kg", (json_int_t)a->sync_kg, "kl", (json_int_t)a->sync_kl));
	}
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
	    key_cmp(kg, kl, from->name, a->sync_kg, a->sync_kl, a->sync_node);
	if (cmp < 0 || (cmp == 0 && sseq < a->sync_sseq)) {
		n->stats.sync_stale++;
		log_info("cluster %s: agent %03u: update from an older session (%u:%u < %u:%u on %s) "
		    "dropped", from->name, id, kg, kl, a->sync_kg, a->sync_kl, a->sync_node);
		if (cmp < 0)   /* the sender still holds an older session: it must close it */
			peer_send(from, CMSG_FENCE, json_pack("{s:i, s:i, s:i}", "id", (json_int_t)id,
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
	registry_agent_dirty(n->reg, a);
	n->stats.sync_applied++;
	return 1;
}

int
cluster_session_current(struct node *n, struct session *s)
{
	struct agent *a = s->agent;

	if (n->cluster == NULL || a == NULL || a->sync_node[0] == '\0')
		return 1;
	if (!is_master(n))
		return 1;   /* a worker learns of newer sessions through fences */
	return key_cmp(s->key_global, s->key_local, n->cfg.name, a->sync_kg, a->sync_kl,
	    a->sync_node) >= 0;
}

/* ---- worker outbox ---- */

static void
outbox_mark(struct cluster *c, struct agent *a)
{
	unsigned int *v;

	if (a->sync_dirty)
		return;
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
		peer_send(p, CMSG_UPDATES, json_pack("{s:I, s:o}", "seq", (json_int_t)b->seq,
		    "records", recs));
	}
	if (i > 0) {
		memmove(c->dirty, c->dirty + i, (c->ndirty - i) * sizeof(*c->dirty));
		c->ndirty -= i;
	}
}

static void
send_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	outbox_send(arg);
}

static void
outbox_ack(struct cluster *c, uint64_t seq)
{
	struct batch *b;

	while ((b = TAILQ_FIRST(&c->inflight)) != NULL && b->seq <= seq) {
		TAILQ_REMOVE(&c->inflight, b, entry);
		free(b);
	}
}

/* outbox_resync: after a (re)connect: everything unacknowledged, and every live agent, again. */
static void
outbox_resync(struct cluster *c)
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
			if (is_master(n) && c != NULL)
				fence_old(n, a, n->cfg.name);
			a->sync_kg = s->key_global;
			a->sync_kl = s->key_local;
			snprintf(a->sync_node, sizeof(a->sync_node), "%s", n->cfg.name);
		}
		a->sync_sseq = s->seq;
	}
	if (c != NULL && !is_master(n))
		outbox_mark(c, a);
}

/* ---- keys (master -> workers) ---- */

static json_t *
key_entry(const struct agent *a)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:s}", "id", (json_int_t)a->id, "name", a->name,
	    "ip", a->ip, "key", a->key, "group", a->group);
}

static void
keys_send_full(struct node *n, struct peer *p)
{
	json_t *arr = json_array();
	size_t i, count = registry_count(n->reg);

	for (i = 1; i < count; i++)
		json_array_append_new(arr, key_entry(registry_agent_at(n->reg, i)));
	peer_send(p, CMSG_KEYS, json_pack("{s:b, s:o, s:[]}", "full", 1, "agents", arr,
	    "removed"));
}

static void
keys_broadcast(struct node *n, json_t *body)
{
	struct peer *p;

	if (n->cluster != NULL)
		TAILQ_FOREACH(p, &n->cluster->peers, entry)
			if (p->ready)
				peer_send(p, CMSG_KEYS, json_incref(body));
	json_decref(body);
}

void
cluster_agent_added(struct node *n, struct agent *a)
{
	if (is_master(n))
		keys_broadcast(n, json_pack("{s:b, s:[o], s:[]}", "full", 0, "agents",
		    key_entry(a), "removed"));
}

void
cluster_agent_removed(struct node *n, unsigned int id)
{
	if (is_master(n))
		keys_broadcast(n, json_pack("{s:b, s:[], s:[i]}", "full", 0, "agents", "removed",
		    (json_int_t)id));
}

/* worker_keys: applies the master's agent keys to the worker's own table. */
static void
worker_keys(struct node *n, json_t *body)
{
	json_t *agents = json_object_get(body, "agents"), *removed = json_object_get(body, "removed");
	json_t *e;
	size_t i, count;
	int full = json_is_true(json_object_get(body, "full"));
	char *seen = NULL;
	unsigned int maxid = 0;

	json_array_foreach(agents, i, e) {
		unsigned int id = (unsigned int)json_integer_value(json_object_get(e, "id"));
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *ip = json_string_value(json_object_get(e, "ip"));
		const char *key = json_string_value(json_object_get(e, "key"));
		const char *group = json_string_value(json_object_get(e, "group"));
		struct agent *a = registry_agent_by_id(n->reg, id);

		if (id == 0 || name == NULL || ip == NULL || key == NULL)
			continue;
		if (id > maxid)
			maxid = id;
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
		/* Remove every agent the master no longer has. */
		if (maxid > 0 && (seen = calloc(maxid + 1, 1)) == NULL)
			return;
		json_array_foreach(agents, i, e) {
			json_int_t id = json_integer_value(json_object_get(e, "id"));

			if (id > 0 && (unsigned int)id <= maxid)
				seen[id] = 1;
		}
		count = registry_count(n->reg);
		for (i = count; i > 1; i--) {
			struct agent *a = registry_agent_at(n->reg, i - 1);

			if (a->id > maxid || !seen[a->id]) {
				session_drop_agent(n, a, "agent removed");
				registry_agent_remove(n->reg, a->id);
			}
		}
		free(seen);
	}
	node_schedule_flush(n);
}

/* ---- commands ---- */

static void
cmd_finish(struct cluster *c, struct pending_cmd *pc, int code)
{
	TAILQ_REMOVE(&c->cmds, pc, entry);
	pc->done(pc->arg, pc->id, code);
	free(pc);
}

int
cluster_restart(struct node *n, struct agent *a, void (*done)(void *, unsigned int, int),
    void *arg)
{
	struct cluster *c = n->cluster;
	struct pending_cmd *pc;
	struct peer *p;

	if (c == NULL || a->sync_node[0] == '\0' || strcmp(a->sync_node, n->cfg.name) == 0)
		return session_restart_agent(n, a);
	if ((p = peer_by_name(c, a->sync_node)) == NULL)
		return VIGIL_ERR_NODE_UNREACHABLE;
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return 1000;
	pc->req = ++c->next_req;
	pc->id = a->id;
	pc->deadline = node_now(n) + CLUSTER_CMD_TIMEOUT;
	pc->done = done;
	pc->arg = arg;
	TAILQ_INSERT_TAIL(&c->cmds, pc, entry);
	peer_send(p, CMSG_RESTART, json_pack("{s:I, s:i, s:i, s:i}", "req", (json_int_t)pc->req,
	    "id", (json_int_t)a->id, "kg", (json_int_t)a->sync_kg, "kl", (json_int_t)a->sync_kl));
	return -1;
}

void
cluster_cancel(struct node *n, void *arg)
{
	struct cluster *c = n->cluster;
	struct pending_cmd *pc, *next;

	if (c == NULL)
		return;
	for (pc = TAILQ_FIRST(&c->cmds); pc != NULL; pc = next) {
		next = TAILQ_NEXT(pc, entry);
		if (pc->arg == arg) {
			TAILQ_REMOVE(&c->cmds, pc, entry);
			free(pc);
		}
	}
}

/* worker_restart: the master asks this node to restart an agent it holds. */
static void
worker_restart(struct node *n, struct peer *p, json_t *body)
{
	json_int_t req = json_integer_value(json_object_get(body, "req"));
	unsigned int id = (unsigned int)json_integer_value(json_object_get(body, "id"));
	unsigned int kg = (unsigned int)json_integer_value(json_object_get(body, "kg"));
	unsigned int kl = (unsigned int)json_integer_value(json_object_get(body, "kl"));
	struct agent *a = registry_agent_by_id(n->reg, id);
	struct session *s;
	int code;

	if (a == NULL || (s = a->session) == NULL || s->closing)
		code = VIGIL_ERR_SESSION_MOVED;
	else if (key_cmp(s->key_global, s->key_local, "", kg, kl, "") < 0)
		code = VIGIL_ERR_SESSION_MOVED;   /* we hold an older session than the master's */
	else
		code = session_restart_agent(n, a);
	peer_send(p, CMSG_RESULT, json_pack("{s:I, s:i, s:i}", "req", req, "id", (json_int_t)id,
	    "code", code));
}

static void
master_result(struct node *n, json_t *body)
{
	struct cluster *c = n->cluster;
	uint64_t req = (uint64_t)json_integer_value(json_object_get(body, "req"));
	int code = (int)json_integer_value(json_object_get(body, "code"));
	struct pending_cmd *pc;

	TAILQ_FOREACH(pc, &c->cmds, entry)
		if (pc->req == req) {
			cmd_finish(c, pc, code);
			return;
		}
}

/* ---- link life ---- */

static void
peer_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *c = arg;
	struct peer *p;

	(void)fd;
	(void)what;
	while ((p = TAILQ_FIRST(&c->dead)) != NULL) {
		TAILQ_REMOVE(&c->dead, p, entry);
		bufferevent_free(p->bev);
		free(p);
	}
}

static struct known_node *
known_get(struct cluster *c, const char *name)
{
	struct known_node *k;

	TAILQ_FOREACH(k, &c->known, entry)
		if (strcmp(k->name, name) == 0)
			return k;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	snprintf(k->name, sizeof(k->name), "%s", name);
	TAILQ_INSERT_TAIL(&c->known, k, entry);
	return k;
}

static void worker_schedule_reconnect(struct cluster *c);

static void
peer_close(struct peer *p, const char *reason)
{
	struct node *n = p->node;
	struct cluster *c = n->cluster;
	struct known_node *k;

	if (p->closing)
		return;
	p->closing = 1;
	log_info("cluster %s (%s): link closed: %s", p->name[0] ? p->name : "?", p->addr, reason);
	bufferevent_disable(p->bev, EV_READ | EV_WRITE);
	TAILQ_REMOVE(&c->peers, p, entry);
	TAILQ_INSERT_TAIL(&c->dead, p, entry);
	event_active(c->reap_ev, EV_TIMEOUT, 0);
	if (is_master(n)) {
		if (p->ready && (k = known_get(c, p->name)) != NULL) {
			k->down_since = node_now(n);
			k->marked = 0;
		}
		/* Commands waiting on that worker fail now rather than at their timeout. */
		{
			struct pending_cmd *pc, *next;

			for (pc = TAILQ_FIRST(&c->cmds); pc != NULL; pc = next) {
				struct agent *a = registry_agent_by_id(n->reg, pc->id);

				next = TAILQ_NEXT(pc, entry);
				if (p->ready && a != NULL && strcmp(a->sync_node, p->name) == 0)
					cmd_finish(c, pc, VIGIL_ERR_NODE_UNREACHABLE);
			}
		}
	} else {
		struct pending_enroll *pe;

		while ((pe = TAILQ_FIRST(&c->enrolls)) != NULL)
			enroll_finish(c, pe, ENROLL_MASTER_DOWN);
		worker_schedule_reconnect(c);
	}
}

static void
master_hello(struct peer *p, json_t *body)
{
	struct node *n = p->node;
	struct cluster *c = n->cluster;
	const char *name = json_string_value(json_object_get(body, "node"));
	const char *role = json_string_value(json_object_get(body, "role"));
	json_int_t proto = json_integer_value(json_object_get(body, "proto"));
	struct known_node *k;
	char msg[160];

	if (proto != CMSG_PROTO_VERSION) {
		snprintf(msg, sizeof(msg), "unsupported cluster protocol version %lld",
		    (long long)proto);
		peer_error(p, msg);
		return;
	}
	if (name == NULL || role == NULL || strcmp(role, "worker") != 0 ||
	    strcmp(name, p->name) != 0) {
		peer_error(p, "hello does not match the authenticated node name");
		return;
	}
	if (strcmp(name, n->cfg.name) == 0 || peer_by_name(c, name) != NULL) {
		snprintf(msg, sizeof(msg), "duplicate node name '%s': a node of that name is "
		    "already in the cluster", name);
		peer_error(p, msg);
		return;
	}
	p->ready = 1;
	if ((k = known_get(c, name)) != NULL) {
		k->down_since = 0;
		k->marked = 0;
		k->joined = node_now(n);
		snprintf(k->addr, sizeof(k->addr), "%s", p->addr);
	}
	log_info("cluster: worker '%s' joined from %s", name, p->addr);
	peer_send(p, CMSG_HELLO, json_pack("{s:i, s:s, s:s}", "proto", CMSG_PROTO_VERSION, "node",
	    n->cfg.name, "role", "master"));
	keys_send_full(n, p);
}

static void
master_updates(struct peer *p, json_t *body)
{
	struct node *n = p->node;
	json_t *recs = json_object_get(body, "records"), *r;
	json_int_t seq = json_integer_value(json_object_get(body, "seq"));
	size_t i;

	struct known_node *k = known_get(n->cluster, p->name);

	/* A link never loses frames; a gap means a broken stream: reset it, the
	 * worker resends everything unacknowledged.  A batch already seen is
	 * acknowledged again and not reapplied. */
	if (p->expect_seq != 0 && (uint64_t)seq > p->expect_seq) {
		peer_close(p, "gap in the sync stream");
		return;
	}
	if (p->expect_seq != 0 && (uint64_t)seq < p->expect_seq) {
		n->stats.sync_stale += json_array_size(recs);
		peer_send(p, CMSG_ACK, json_pack("{s:I}", "seq", (json_int_t)(p->expect_seq - 1)));
		return;
	}
	p->expect_seq = (uint64_t)seq + 1;
	json_array_foreach(recs, i, r)
		master_apply(n, p, r);
	if (k != NULL)
		k->updates += json_array_size(recs);
	node_schedule_flush(n);
	/* Applied to the registry in memory, which the API reads: acknowledge. */
	peer_send(p, CMSG_ACK, json_pack("{s:I}", "seq", seq));
}

static void
worker_fence(struct node *n, json_t *body)
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
	if (key_cmp(s->key_global, s->key_local, "", kg, kl, "") <= 0)
		session_fence(n, a, "fenced by the master: a newer session is on another node");
}

/* ---- enrollment forwarding ---- */

static void
enroll_finish(struct cluster *c, struct pending_enroll *pe, const char *reply)
{
	TAILQ_REMOVE(&c->enrolls, pe, entry);
	enrolld_forward_done(pe->conn, reply);
	free(pe);
}

int
cluster_enroll_forward(struct node *n, const char *line, size_t len, const char *peer,
    void *conn)
{
	struct cluster *c = n->cluster;
	struct pending_enroll *pe;
	struct peer *p;
	json_t *body;

	if (c == NULL || (p = TAILQ_FIRST(&c->peers)) == NULL || !p->ready || p->closing)
		return -1;
	if ((body = json_object()) == NULL || (pe = calloc(1, sizeof(*pe))) == NULL) {
		json_decref(body);
		return -1;
	}
	pe->req = ++c->next_req;
	pe->conn = conn;
	pe->deadline = node_now(n) + ENROLL_FORWARD_TIMEOUT;
	TAILQ_INSERT_TAIL(&c->enrolls, pe, entry);
	json_object_set_new(body, "req", json_integer((json_int_t)pe->req));
	json_object_set_new(body, "line", json_stringn_nocheck(line, len));
	json_object_set_new(body, "peer", json_string(peer));
	peer_send(p, CMSG_ENROLL, body);
	return 0;
}

void
cluster_enroll_cancel(struct node *n, void *conn)
{
	struct cluster *c = n->cluster;
	struct pending_enroll *pe, *next;

	if (c == NULL)
		return;
	for (pe = TAILQ_FIRST(&c->enrolls); pe != NULL; pe = next) {
		next = TAILQ_NEXT(pe, entry);
		if (pe->conn == conn) {
			TAILQ_REMOVE(&c->enrolls, pe, entry);
			free(pe);
		}
	}
}

/* master_enroll: a worker forwards an agent's enrollment; decide it here. */
static void
master_enroll(struct peer *p, json_t *body)
{
	const char *line = json_string_value(json_object_get(body, "line"));
	const char *peer = json_string_value(json_object_get(body, "peer"));
	size_t len = json_string_length(json_object_get(body, "line"));
	char reply[1100];

	if (line == NULL || peer == NULL ||
	    enrolld_process_line(p->node, line, len, peer, reply, sizeof(reply)) == -1)
		snprintf(reply, sizeof(reply), "ERROR: Unable to add agent");
	/* The new agent's key went out (keys frame) before this reply, on the same link. */
	peer_send(p, CMSG_ENROLL_REPLY, json_pack("{s:O, s:s}", "req",
	    json_object_get(body, "req"), "reply", reply));
}

static void
worker_enroll_reply(struct cluster *c, json_t *body)
{
	uint64_t req = (uint64_t)json_integer_value(json_object_get(body, "req"));
	const char *reply = json_string_value(json_object_get(body, "reply"));
	struct pending_enroll *pe;

	TAILQ_FOREACH(pe, &c->enrolls, entry)
		if (pe->req == req) {
			enroll_finish(c, pe, reply != NULL ? reply : "ERROR: Unable to add agent");
			return;
		}
}

static void
peer_frame(struct peer *p, int type, json_t *body)
{
	struct node *n = p->node;

	if (!p->ready && type != CMSG_HELLO && type != CMSG_ERROR) {
		peer_error(p, "expected hello");
		return;
	}
	switch (type) {
	case CMSG_HELLO:
		if (is_master(n))
			master_hello(p, body);
		else {
			p->ready = 1;
			n->cluster->backoff_ms = CLUSTER_BACKOFF_MIN_MS;
			log_info("cluster: joined master '%s' at %s",
			    json_string_value(json_object_get(body, "node")), p->addr);
			snprintf(p->name, sizeof(p->name), "%s",
			    json_string_value(json_object_get(body, "node")) ?: "master");
			outbox_resync(n->cluster);
		}
		break;
	case CMSG_ERROR:
		log_warnx("cluster %s: the other side refused the link: %s", p->addr,
		    json_string_value(json_object_get(body, "message")) ?: "(no reason)");
		peer_close(p, "refused");
		break;
	case CMSG_PING:
		peer_send(p, CMSG_PONG, json_object());
		break;
	case CMSG_PONG:
		break;
	case CMSG_KEYS:
		if (!is_master(n))
			worker_keys(n, body);
		break;
	case CMSG_UPDATES:
		if (is_master(n))
			master_updates(p, body);
		break;
	case CMSG_ACK:
		if (!is_master(n))
			outbox_ack(n->cluster,
			    (uint64_t)json_integer_value(json_object_get(body, "seq")));
		break;
	case CMSG_FENCE:
		if (!is_master(n))
			worker_fence(n, body);
		break;
	case CMSG_RESTART:
		if (!is_master(n))
			worker_restart(n, p, body);
		break;
	case CMSG_RESULT:
		if (is_master(n))
			master_result(n, body);
		break;
	case CMSG_ENROLL:
		if (is_master(n))
			master_enroll(p, body);
		break;
	case CMSG_ENROLL_REPLY:
		if (!is_master(n))
			worker_enroll_reply(n->cluster, body);
		break;
	default:
		log_debug("cluster %s: %s frame ignored", p->name, cmsg_type_name(type));
		break;
	}
}

static void
peer_read_cb(struct bufferevent *bev, void *arg)
{
	struct peer *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t avail;
	ssize_t used;
	json_t *body;
	int type;

	p->last_rx = node_now(p->node);
	while (!p->closing && !p->close_after_flush && (avail = evbuffer_get_length(in)) >= 4) {
		uint8_t hdr[5];
		uint32_t flen;

		evbuffer_copyout(in, hdr, avail >= 5 ? 5 : 4);
		flen = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
		if (flen > CMSG_MAX) {
			peer_close(p, "frame too large");
			return;
		}
		if (avail < 4 + (size_t)flen)
			break;
		used = cmsg_decode(evbuffer_pullup(in, 4 + (ssize_t)flen), 4 + (size_t)flen, &type,
		    &body);
		if (used < 0) {
			peer_close(p, "malformed frame");
			return;
		}
		peer_frame(p, type, body);
		json_decref(body);
		evbuffer_drain(in, (size_t)used);
	}
}

static void
peer_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct peer *p = arg;
	struct node *n = p->node;
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	if (what & BEV_EVENT_CONNECTED) {
		p->last_rx = node_now(n);
		if (is_master(n)) {
			const char *id = tls_psk_identity(ssl);

			if (id == NULL) {
				peer_close(p, "no cluster identity");
				return;
			}
			snprintf(p->name, sizeof(p->name), "%s", id);
		} else {
			peer_send(p, CMSG_HELLO, json_pack("{s:i, s:s, s:s}", "proto",
			    CMSG_PROTO_VERSION, "node", n->cfg.name, "role", "worker"));
		}
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		unsigned long e = bufferevent_get_openssl_error(bev);

		if (!p->ready && e != 0) {
			char buf[160];

			ERR_error_string_n(e, buf, sizeof(buf));
			log_warnx("cluster %s: TLS handshake failed (wrong cluster key?): %s",
			    p->addr, buf);
			peer_close(p, "TLS handshake failed");
		} else if (!p->ready && !is_master(n))
			peer_close(p, "connection failed or refused (wrong cluster key?)");
		else
			peer_close(p, what & BEV_EVENT_EOF ? "closed by the other side" :
			    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
}

static struct peer *
peer_new(struct node *n, struct bufferevent *bev, const char *addr)
{
	struct peer *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->node = n;
	p->bev = bev;
	p->last_rx = p->last_tx = node_now(n);
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	TAILQ_INSERT_TAIL(&n->cluster->peers, p, entry);
	bufferevent_setcb(bev, peer_read_cb, peer_write_cb, peer_event_cb, p);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return p;
}

static void
cluster_accept_cb(struct evconnlistener *lsn, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct node *n = arg;
	struct bufferevent *bev;
	char addr[64] = "?";
	SSL *ssl;
	int one = 1;

	(void)lsn;
	(void)salen;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, addr, sizeof(addr));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((ssl = SSL_new(n->cluster->ctx)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	bev = bufferevent_openssl_socket_new(n->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL || peer_new(n, bev, addr) == NULL) {
		if (bev != NULL)
			bufferevent_free(bev);
		else {
			SSL_free(ssl);
			evutil_closesocket(fd);
		}
	}
}

/* ---- worker: connecting to the master ---- */

static void
worker_connect(struct cluster *c)
{
	struct node *n = c->node;
	char host[128], *colon;
	struct addrinfo hints, *ai = NULL;
	struct bufferevent *bev;
	SSL *ssl;

	snprintf(host, sizeof(host), "%s", n->cfg.master);
	if ((colon = strrchr(host, ':')) == NULL) {
		log_warnx("cluster: --master %s: expected HOST:PORT", n->cfg.master);
		return;
	}
	*colon = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL) {
		log_warnx("cluster: cannot resolve master %s", n->cfg.master);
		worker_schedule_reconnect(c);
		return;
	}
	if ((ssl = SSL_new(c->ctx)) == NULL ||
	    (bev = bufferevent_openssl_socket_new(n->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		if (ssl != NULL)
			SSL_free(ssl);
		freeaddrinfo(ai);
		worker_schedule_reconnect(c);
		return;
	}
	if (peer_new(n, bev, n->cfg.master) == NULL) {
		bufferevent_free(bev);
		freeaddrinfo(ai);
		worker_schedule_reconnect(c);
		return;
	}
	if (bufferevent_socket_connect(bev, ai->ai_addr, (int)ai->ai_addrlen) == -1)
		peer_close(TAILQ_LAST(&c->peers, peer_list), "connect failed");
	freeaddrinfo(ai);
}

static void
reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	worker_connect(arg);
}

static void
worker_schedule_reconnect(struct cluster *c)
{
	struct timeval tv;
	int ms;

	if (c->reconnect_ev == NULL || evtimer_pending(c->reconnect_ev, NULL))
		return;
	/* Jittered exponential back-off: a restarted master is not hit by every worker at once. */
	ms = c->backoff_ms / 2 + (int)(random() % (c->backoff_ms / 2 + 1));
	c->backoff_ms = c->backoff_ms * 2 > CLUSTER_BACKOFF_MAX_MS ? CLUSTER_BACKOFF_MAX_MS :
	    c->backoff_ms * 2;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->reconnect_ev, &tv);
}

/* ---- test-only fault injection (--test-faults) ---- */

static void
faults_release(struct cluster *c, int reverse)
{
	struct peer *p = TAILQ_FIRST(&c->peers);
	size_t i, k;

	for (i = 0; i < c->nheld; i++) {
		k = reverse ? c->nheld - 1 - i : i;
		if (p != NULL && !p->closing)
			bufferevent_write(p->bev, c->held[k].f, c->held[k].len);
		free(c->held[k].f);
	}
	c->nheld = 0;
}

static void
faults_run(struct node *n, const char *cmd)
{
	struct cluster *c = n->cluster;
	struct peer *p;

	log_info("faults: %s", cmd);
	if (strcmp(cmd, "hold") == 0)
		c->hold = 1;
	else if (strcmp(cmd, "release") == 0 || strcmp(cmd, "release-reverse") == 0) {
		c->hold = 0;
		faults_release(c, strcmp(cmd, "release-reverse") == 0);
	} else if (strcmp(cmd, "dup on") == 0)
		c->dup = 1;
	else if (strcmp(cmd, "dup off") == 0)
		c->dup = 0;
	else if (strncmp(cmd, "drop ", 5) == 0)
		c->drop = atoi(cmd + 5);
	else if (strcmp(cmd, "cut") == 0) {
		/* The link dies with the held frames in flight: they are lost. */
		c->hold = 0;
		for (; c->nheld > 0; c->nheld--)
			free(c->held[c->nheld - 1].f);
		while ((p = TAILQ_FIRST(&c->peers)) != NULL)
			peer_close(p, "fault injection: link cut");
	} else if (strcmp(cmd, "kick-agents") == 0) {
		/* Stop listening (connections are refused) and drop every agent. */
		if (n->agent_lsn != NULL) {
			evconnlistener_free(n->agent_lsn);
			n->agent_lsn = NULL;
		}
		session_close_all(n, "fault injection: agents kicked");
	} else if (strcmp(cmd, "accept-agents") == 0) {
		if (n->agent_lsn == NULL && session_listen(n) == -1)
			log_warnx("faults: cannot listen for agents again");
	}
	else
		log_warnx("faults: unknown command '%s'", cmd);
}

/* faults_cb: every 50 ms, runs and removes <data-dir>/faults.cmd (one command a line). */
static void
faults_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;
	char path[600], line[128];
	FILE *f;

	(void)fd;
	(void)what;
	snprintf(path, sizeof(path), "%s/faults.cmd", n->cfg.data_dir);
	if ((f = fopen(path, "r")) == NULL)
		return;
	unlink(path);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0')
			faults_run(n, line);
	}
	fclose(f);
}

/* ---- start, tick, stop ---- */

int
cluster_start(struct node *n)
{
	struct cluster *c;
	struct sockaddr_in sin;

	if (n->cfg.cluster_key_file[0] == '\0') {
		if (n->cfg.role == ROLE_WORKER) {
			log_warnx("cluster: a worker needs --cluster-key-file");
			return -1;
		}
		return 0;   /* a master without a key: standalone */
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	n->cluster = c;
	c->node = n;
	TAILQ_INIT(&c->peers);
	TAILQ_INIT(&c->dead);
	TAILQ_INIT(&c->known);
	TAILQ_INIT(&c->inflight);
	TAILQ_INIT(&c->cmds);
	TAILQ_INIT(&c->enrolls);
	c->backoff_ms = CLUSTER_BACKOFF_MIN_MS;
	if (tls_psk_key_load(n->cfg.cluster_key_file, &c->key) == -1)
		return -1;
	c->reap_ev = event_new(n->base, -1, 0, peer_reap_cb, c);
	c->send_ev = event_new(n->base, -1, 0, send_cb, c);
	if (n->cfg.test_faults) {
		struct timeval tv = { 0, 50000 };

		log_warnx("faults: test fault injection is enabled (--test-faults)");
		c->faults_ev = event_new(n->base, -1, EV_PERSIST, faults_cb, n);
		event_add(c->faults_ev, &tv);
	}
	if (is_master(n)) {
		if ((c->ctx = tls_psk_server_ctx(&c->key)) == NULL)
			return -1;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)n->cfg.cluster_port);
		if (inet_pton(AF_INET, n->cfg.listen, &sin.sin_addr) != 1)
			return -1;
		c->lsn = evconnlistener_new_bind(n->base, cluster_accept_cb, n,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
		    (struct sockaddr *)&sin, sizeof(sin));
		if (c->lsn == NULL) {
			log_warn("cluster: cannot listen on %s:%d", n->cfg.listen, n->cfg.cluster_port);
			return -1;
		}
		return 0;
	}
	if (n->cfg.master[0] == '\0') {
		log_warnx("cluster: a worker needs --master HOST:PORT");
		return -1;
	}
	if ((c->ctx = tls_psk_client_ctx(&c->key, n->cfg.name)) == NULL)
		return -1;
	c->reconnect_ev = evtimer_new(n->base, reconnect_cb, c);
	worker_connect(c);
	return 0;
}

/* master_mark_unreachable: a worker has been gone for the grace period. */
static void
master_mark_unreachable(struct node *n, struct known_node *k)
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

void
cluster_tick(struct node *n)
{
	struct cluster *c = n->cluster;
	struct peer *p, *pn;
	struct known_node *k;
	struct pending_cmd *pc, *next;
	time_t now = node_now(n);

	if (c == NULL)
		return;
	for (p = TAILQ_FIRST(&c->peers); p != NULL; p = pn) {
		pn = TAILQ_NEXT(p, entry);
		if (now - p->last_rx >= CLUSTER_DEAD_AFTER)
			peer_close(p, "no traffic (link dead)");
		else if (p->ready && now - p->last_tx >= CLUSTER_PING_EVERY)
			peer_send(p, CMSG_PING, json_object());
	}
	TAILQ_FOREACH(k, &c->known, entry)
		if (k->down_since != 0 && !k->marked && now - k->down_since >= n->cfg.node_grace)
			master_mark_unreachable(n, k);
	for (pc = TAILQ_FIRST(&c->cmds); pc != NULL; pc = next) {
		next = TAILQ_NEXT(pc, entry);
		if (now >= pc->deadline)
			cmd_finish(c, pc, VIGIL_ERR_NODE_UNREACHABLE);
	}
	{
		struct pending_enroll *pe, *pnext;

		for (pe = TAILQ_FIRST(&c->enrolls); pe != NULL; pe = pnext) {
			pnext = TAILQ_NEXT(pe, entry);
			if (now >= pe->deadline)
				enroll_finish(c, pe, ENROLL_MASTER_DOWN);
		}
	}
}

void
cluster_stop(struct node *n)
{
	struct cluster *c = n->cluster;
	struct peer *p;
	struct known_node *k;
	struct batch *b;
	struct pending_cmd *pc;

	if (c == NULL)
		return;
	while ((p = TAILQ_FIRST(&c->peers)) != NULL) {
		p->closing = 1;   /* no reconnect, no grace bookkeeping */
		TAILQ_REMOVE(&c->peers, p, entry);
		TAILQ_INSERT_TAIL(&c->dead, p, entry);
	}
	peer_reap_cb(-1, 0, c);
	while ((k = TAILQ_FIRST(&c->known)) != NULL) {
		TAILQ_REMOVE(&c->known, k, entry);
		free(k);
	}
	while ((b = TAILQ_FIRST(&c->inflight)) != NULL) {
		TAILQ_REMOVE(&c->inflight, b, entry);
		free(b);
	}
	while ((pc = TAILQ_FIRST(&c->cmds)) != NULL)
		cmd_finish(c, pc, VIGIL_ERR_NODE_UNREACHABLE);
	{
		struct pending_enroll *pe;

		while ((pe = TAILQ_FIRST(&c->enrolls)) != NULL) {
			TAILQ_REMOVE(&c->enrolls, pe, entry);
			free(pe);
		}
	}
	if (c->lsn != NULL)
		evconnlistener_free(c->lsn);
	if (c->reap_ev != NULL)
		event_free(c->reap_ev);
	if (c->send_ev != NULL)
		event_free(c->send_ev);
	if (c->reconnect_ev != NULL)
		event_free(c->reconnect_ev);
	if (c->faults_ev != NULL)
		event_free(c->faults_ev);
	c->hold = 0;
	for (; c->nheld > 0; c->nheld--)
		free(c->held[c->nheld - 1].f);
	free(c->held);
	SSL_CTX_free(c->ctx);
	free(c->dirty);
	explicit_bzero(&c->key, sizeof(c->key));
	free(c);
	n->cluster = NULL;
}

int
cluster_enabled(const struct node *n)
{
	return n->cluster != NULL;
}

size_t
cluster_nodes(struct node *n, struct cluster_node_info *out, size_t max)
{
	struct cluster *c = n->cluster;
	struct known_node *k;
	struct peer *p;
	size_t i = 0;

	if (max == 0)
		return 0;
	memset(&out[0], 0, sizeof(out[0]));
	snprintf(out[0].name, sizeof(out[0].name), "%s", n->cfg.name);
	snprintf(out[0].type, sizeof(out[0].type), "%s", is_master(n) ? "master" : "worker");
	snprintf(out[0].ip, sizeof(out[0].ip), "%s", n->cfg.listen);
	out[0].connected = 1;
	out[0].last_seen = node_now(n);
	out[0].joined = n->started;
	i = 1;
	if (c == NULL || !is_master(n))
		return i;
	TAILQ_FOREACH(k, &c->known, entry) {
		if (i == max)
			break;
		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].name, sizeof(out[i].name), "%s", k->name);
		snprintf(out[i].type, sizeof(out[i].type), "worker");
		snprintf(out[i].ip, sizeof(out[i].ip), "%s", k->addr);
		out[i].updates = k->updates;
		if ((p = peer_by_name(c, k->name)) != NULL) {
			out[i].connected = 1;
			out[i].last_seen = p->last_rx;
			out[i].joined = k->joined;
		} else
			out[i].last_seen = k->down_since;
		i++;
	}
	return i;
}
