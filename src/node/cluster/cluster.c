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
#include "node/registry/registry.h"
#include "node/agents/session.h"
#include "proto/cbody.h"
#include "proto/cmsg.h"
#include "node/cluster/cluster_int.h"
#include "node/cluster/failover.h"

/* ---- frames ---- */


int
clu_send(struct peer *p, int type, json_t *body)
{
	uint8_t *f;
	size_t len;
	int rc = -1;

	if (p->closing)
		goto out;
	if (body == NULL) {
		/* an encoder refused its struct, or memory ran out: nothing is sent */
		log_warnx("cluster %s: a %s frame could not be built; not sent",
		    p->name[0] ? p->name : p->addr, cmsg_type_name(type));
		goto out;
	}
	if (evbuffer_get_length(bufferevent_get_output(p->bev)) > CLUSTER_OUTBUF_MAX) {
		clu_close(p, "peer does not read (output backlog)");
		goto out;
	}
	if ((f = cmsg_encode(type, body, &len)) == NULL) {
		log_warnx("cluster %s: cannot encode a %s frame", p->name, cmsg_type_name(type));
		goto out;
	}
#ifdef VIGIL_TEST_FAULTS
	if (type == CMSG_UPDATES && clu_faults_take(p->node->cluster, f, len)) {
		rc = 0;
		goto out;
	}
#endif
	rc = bufferevent_write(p->bev, f, len);
	free(f);
	p->last_tx = node_now(p->node);
out:
	json_decref(body);
	return rc;
}

/* error_body: an error frame's body for message (cut as cbody cuts it); NULL logged by clu_send. */
static json_t *
error_body(const char *message)
{
	struct cbody_error e;

	cbody_error_set(&e, message);
	return cbody_error_encode(&e);
}

/* peer_refuse: tells the other side why, then closes once that is written. */
static void
peer_refuse(struct peer *p, const char *message)
{
	clu_send(p, CMSG_ERROR, error_body(message));
	p->close_after_flush = 1;
	snprintf(p->close_reason, sizeof(p->close_reason), "%s", message);
	bufferevent_disable(p->bev, EV_READ);
}

/* peer_error: the link is refused (hello): logged, then peer_refuse. */
static void
peer_error(struct peer *p, const char *message)
{
	log_warnx("cluster %s (%s): refusing: %s", p->name[0] ? p->name : "?", p->addr, message);
	peer_refuse(p, message);
}

static void
peer_write_cb(struct bufferevent *bev, void *arg)
{
	struct peer *p = arg;

	if (p->close_after_flush && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		clu_close(p, p->close_reason);
}

struct peer *
clu_peer_by_name(struct cluster *c, const char *name)
{
	struct peer *p;

	TAILQ_FOREACH(p, &c->peers, entry)
		if (p->ready && !p->closing && strcmp(p->name, name) == 0)
			return p;
	return NULL;
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
		if (p->accepted)
			node_gate_leave(&c->node->gate_cluster, p->addr);
		free(p);
	}
}

struct known_node *
clu_known_get(struct cluster *c, const char *name)
{
	struct known_node *k;

	TAILQ_FOREACH(k, &c->known, entry)
		if (strcmp(k->name, name) == 0)
			return k;
	if (c->next_idx == UINT16_MAX || (k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->idx = ++c->next_idx;
	TAILQ_INSERT_TAIL(&c->known, k, entry);
	return k;
}

struct known_node *
clu_known_by_idx(struct cluster *c, uint16_t idx)
{
	struct known_node *k;

	TAILQ_FOREACH(k, &c->known, entry)
		if (k->idx == idx)
			return k;
	return NULL;
}

const char *
cluster_node_name(struct node *n, uint16_t node)
{
	struct known_node *k;

	if (node == 0)
		return n->cfg.name;
	if (n->cluster == NULL || (k = clu_known_by_idx(n->cluster, node)) == NULL)
		return "unknown";
	return k->name;
}

/* cluster_node_index: the index the ledger knows node name by; a new name gets one. */
static int
cluster_node_index(struct node *n, const char *name)
{
	struct known_node *k;

	if (strcmp(name, n->cfg.name) == 0)
		return 0;
	if (n->cluster == NULL || name[0] == '\0' || (k = clu_known_get(n->cluster, name)) == NULL)
		return -1;
	return k->idx;
}

int
cluster_node_up(struct node *n, uint16_t node)
{
	struct known_node *k;

	if (node == 0)
		return 1;
	if (n->cluster == NULL || (k = clu_known_by_idx(n->cluster, node)) == NULL)
		return 0;
	return k->down_since == 0 && clu_peer_by_name(n->cluster, k->name) != NULL;
}

static void worker_schedule_reconnect(struct cluster *c);

void
clu_close(struct peer *p, const char *reason)
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
	if (clu_is_master(n)) {
		if (p->ready && (k = clu_known_get(c, p->name)) != NULL) {
			k->down_since = node_now(n);
			k->marked = 0;
		}
		/* Commands sent to that worker fail now rather than at their timeout. */
		{
			struct pending_cmd *pc, *next;

			for (pc = TAILQ_FIRST(&c->cmds); pc != NULL; pc = next) {
				next = TAILQ_NEXT(pc, entry);
				if (p->ready && pc->sent && strcmp(pc->peer, p->name) == 0)
					clu_cmd_finish(c, pc, VIGIL_ERR_NODE_UNREACHABLE);
			}
		}
	} else {
		struct pending_enroll *pe;

		while ((pe = TAILQ_FIRST(&c->enrolls)) != NULL)
			clu_enroll_finish(c, pe, ENROLL_MASTER_DOWN);
		worker_schedule_reconnect(c);
	}
}

/*
 * peer_bad_frame: a frame this side cannot act on (a body that does not
 * decode, a type the other role sends): logged, the other side is told why
 * in an error frame, and the link closes once that is written.  An error
 * frame that does not decode is answered by nothing: its sender is closing.
 */
static void
peer_bad_frame(struct peer *p, int type, const char *why)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s frame: %s", cmsg_type_name(type), why);
	log_warnx("cluster %s: %s", p->name[0] ? p->name : p->addr, msg);
	p->node->stats.frames_bad++;
	if (type == CMSG_ERROR) {
		clu_close(p, msg);
		return;
	}
	peer_refuse(p, msg);
}

/* hello_send: this node's hello.  config.c refuses a name the encoder would. */
static void
hello_send(struct peer *p)
{
	struct node *n = p->node;
	struct cbody_hello h;

	memset(&h, 0, sizeof(h));
	h.proto = CMSG_PROTO_VERSION;
	h.role = clu_is_master(n) ? CBODY_ROLE_MASTER : CBODY_ROLE_WORKER;
	snprintf(h.node, sizeof(h.node), "%s", n->cfg.name);
	clu_send(p, CMSG_HELLO, cbody_hello_encode(&h));
}

static void
master_hello(struct peer *p, const struct cbody_hello *h)
{
	struct node *n = p->node;
	struct cluster *c = n->cluster;
	struct known_node *k;
	char msg[160];

	if (p->ready) {
		peer_error(p, "hello sent twice");
		return;
	}
	if (h->proto != CMSG_PROTO_VERSION) {
		snprintf(msg, sizeof(msg), "unsupported cluster protocol version %d", h->proto);
		peer_error(p, msg);
		return;
	}
	if (h->role != CBODY_ROLE_WORKER || strcmp(h->node, p->name) != 0) {
		peer_error(p, "hello does not match the authenticated node name");
		return;
	}
	if (strcmp(h->node, n->cfg.name) == 0 || clu_peer_by_name(c, h->node) != NULL) {
		snprintf(msg, sizeof(msg), "duplicate node name '%s': a node of that name is "
		    "already in the cluster", h->node);
		peer_error(p, msg);
		return;
	}
	if ((k = clu_known_get(c, h->node)) == NULL) {
		peer_error(p, "too many nodes");
		return;
	}
	p->ready = 1;
	p->idx = k->idx;
	k->down_since = 0;
	k->marked = 0;
	k->joined = node_now(n);
	/* an accepted peer's addr is an IP:port (node_gate_admit), well within k->addr */
	snprintf(k->addr, sizeof(k->addr), "%.*s", (int)sizeof(k->addr) - 1, p->addr);
	log_info("cluster: worker '%s' joined from %s", h->node, p->addr);
	hello_send(p);
	clu_keys_send_full(n, p);
	clu_groups_send_full(n, p);
}

/* worker_hello: the master answered ours; the link is up, the outbox goes again. */
static void
worker_hello(struct peer *p, const struct cbody_hello *h)
{
	struct node *n = p->node;

	if (p->ready) {
		peer_error(p, "hello sent twice");
		return;
	}
	if (h->role != CBODY_ROLE_MASTER) {
		peer_error(p, "the node at --master is not a master");
		return;
	}
	p->ready = 1;
	n->cluster->fails = 0;
	snprintf(p->name, sizeof(p->name), "%s", h->node);
	log_info("cluster: joined master '%s' at %s", h->node, p->addr);
	clu_outbox_resync(n->cluster);
}

/*
 * frame_misdirected: NULL, or why this node must not receive a frame of
 * type: each of keys, ack, fence, restart, groups and enroll-reply is sent
 * by the master only, updates, result and enroll by workers only.  Such a
 * frame is a peer that is broken or not what it claims: close, not ignore.
 */
static const char *
frame_misdirected(const struct node *n, int type)
{
	switch (type) {
	case CMSG_KEYS:
	case CMSG_ACK:
	case CMSG_FENCE:
	case CMSG_RESTART:
	case CMSG_GROUPS:
	case CMSG_ENROLL_REPLY:
		return clu_is_master(n) ? "only the master sends this frame" : NULL;
	case CMSG_UPDATES:
	case CMSG_RESULT:
	case CMSG_ENROLL:
		return clu_is_master(n) ? NULL : "only a worker sends this frame";
	default:
		return NULL;
	}
}

/* One frame's body, decoded (proto/cbody.h); updates, fence and restart are crec's. */
union frame_body {
	struct cbody_hello hello;
	struct cbody_error error;
	struct cbody_ack ack;
	struct cbody_keys keys;
	struct cbody_groups groups;
	struct cbody_result result;
	struct cbody_enroll enroll;
	struct cbody_enroll_reply enroll_reply;
};

/*
 * clu_dispatch: one frame from the link.  The body is decoded for its type
 * before any handler sees it (decode before you act): the handlers take the
 * checked struct, and a body that does not decode closes the link with the
 * decoder's reason.  Bodies of the list frames borrow from body, which the
 * caller holds until this returns.
 */
void
clu_dispatch(struct peer *p, int type, json_t *body)
{
	struct node *n = p->node;
	union frame_body b;
	const char *why = NULL;

	if (!p->ready && type != CMSG_HELLO && type != CMSG_ERROR) {
		peer_error(p, "expected hello");
		return;
	}
	if ((why = frame_misdirected(n, type)) != NULL) {
		peer_bad_frame(p, type, why);
		return;
	}
	switch (type) {
	case CMSG_HELLO:
		if (cbody_hello_decode(body, &b.hello, &why) == -1)
			break;
		if (clu_is_master(n))
			master_hello(p, &b.hello);
		else
			worker_hello(p, &b.hello);
		return;
	case CMSG_ERROR:
		if (cbody_error_decode(body, &b.error, &why) == -1)
			break;
		log_warnx("cluster %s: the other side refused the link: %s", p->addr,
		    b.error.message[0] != '\0' ? b.error.message : "(no reason)");
		clu_close(p, "refused");
		return;
	case CMSG_PING:
		if (cbody_empty_decode(body, &why) == -1)
			break;
		clu_send(p, CMSG_PONG, cbody_empty_encode());
		return;
	case CMSG_PONG:
		if (cbody_empty_decode(body, &why) == -1)
			break;
		return;
	case CMSG_KEYS:
		if (cbody_keys_decode(body, &b.keys, &why) == -1)
			break;
		clu_worker_keys(n, &b.keys);
		cbody_keys_free(&b.keys);
		return;
	case CMSG_GROUPS:
		if (cbody_groups_decode(body, &b.groups, &why) == -1) {
			/* Tolerated, as a bad group always was (docs/protocol.md): the
			 * master sends one group per frame, so only that group is lost,
			 * and agents of it simply get no push from this node. */
			n->stats.frames_bad++;
			log_warnx("cluster %s: groups frame: %s; ignored", p->name, why);
			return;
		}
		clu_worker_groups(n, &b.groups);
		cbody_groups_free(&b.groups);
		return;
	case CMSG_ACK:
		if (cbody_ack_decode(body, &b.ack, &why) == -1)
			break;
		clu_outbox_ack(n->cluster, b.ack.seq);
		return;
	case CMSG_RESULT:
		if (cbody_result_decode(body, &b.result, &why) == -1)
			break;
		clu_master_result(n, p->name, &b.result);
		cbody_result_free(&b.result);
		return;
	case CMSG_ENROLL:
		if (cbody_enroll_decode(body, &b.enroll, &why) == -1)
			break;
		clu_master_enroll(p, &b.enroll);
		return;
	case CMSG_ENROLL_REPLY:
		if (cbody_enroll_reply_decode(body, &b.enroll_reply, &why) == -1)
			break;
		clu_worker_enroll_reply(n->cluster, &b.enroll_reply);
		return;
	/* crec's bodies: each handler decodes its own (a bad fence or restart
	 * is ignored there on purpose, see cluster_sync.c and cluster_cmd.c). */
	case CMSG_UPDATES:
		clu_master_updates(p, body);
		return;
	case CMSG_FENCE:
		clu_worker_fence(n, body);
		return;
	case CMSG_RESTART:
		clu_worker_command(n, p, body);
		return;
	default:
		why = "unknown frame type";   /* cmsg_decode refuses them first */
		break;
	}
	peer_bad_frame(p, type, why != NULL ? why : "invalid body");
}

/*
 * peer_identify (master): the worker's name is the PSK identity it proved.
 * The TLS filter may deliver the first frame before the connected event,
 * so whichever comes first asks.  0, or -1 when the link was closed.
 */
static int
peer_identify(struct peer *p, SSL *ssl)
{
	const char *id = tls_psk_identity(ssl);

	if (id == NULL) {
		clu_close(p, "no cluster identity");
		return -1;
	}
	snprintf(p->name, sizeof(p->name), "%s", id);
	return 0;
}

/*
 * peer_read_more: libevent 2.1's OpenSSL bufferevent decrypts one TLS record
 * (16 KiB) per loop turn, whatever bufferevent_set_max_single_read says.  A RESTART frame for 20,000 agents is about
 * 500 KB, and under a reconnect storm a loop turn is thousands of agent
 * events long, so such a frame would take seconds to arrive.  This reads on,
 * into the same input buffer, up to want bytes of records already on the
 * socket.  It stops at the first SSL_read that makes no progress: wanting
 * more bytes (WANT_READ/WANT_WRITE: the bufferevent goes on as before), or
 * an error or close.  The latter sets *failed, after clearing OpenSSL's
 * error queue, which every TLS connection of this thread shares: the caller
 * closes the link itself.  Returns the bytes added.
 */
static size_t
peer_read_more(struct bufferevent *bev, size_t want, int *failed)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;
	size_t got = 0;
	int r;

	while (got < want) {
		if (evbuffer_reserve_space(in, 16384, &v, 1) < 1)
			break;
		if ((r = SSL_read(ssl, v.iov_base, (int)v.iov_len)) <= 0) {
			int e = SSL_get_error(ssl, r);

			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
				ERR_clear_error();
				*failed = 1;
			}
			break;   /* nothing committed */
		}
		v.iov_len = (size_t)r;
		if (evbuffer_commit_space(in, &v, 1) == -1)
			break;
		got += (size_t)r;
	}
	return got;
}

static void
peer_read_cb(struct bufferevent *bev, void *arg)
{
	struct peer *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t avail, extra = 0;
	ssize_t used;
	json_t *body;
	int type;

	p->last_rx = node_now(p->node);
	if (clu_is_master(p->node) && p->name[0] == '\0' &&
	    peer_identify(p, bufferevent_openssl_get_ssl(bev)) == -1)
		return;
	while (!p->closing && !p->close_after_flush && (avail = evbuffer_get_length(in)) >= 4) {
		uint8_t hdr[5];
		uint32_t flen;

		evbuffer_copyout(in, hdr, avail >= 5 ? 5 : 4);
		flen = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
		if (flen > CMSG_MAX) {
			clu_close(p, "frame too large");
			return;
		}
		if (avail < 4 + (size_t)flen) {
			size_t need = 4 + (size_t)flen - avail, got;
			int failed = 0;

			/* the rest of a large frame, in this turn, up to CLUSTER_MAX_IO more */
			if (extra >= CLUSTER_MAX_IO)
				break;
			got = peer_read_more(bev, need < CLUSTER_MAX_IO - extra ? need :
			    CLUSTER_MAX_IO - extra, &failed);
			if (failed) {
				clu_close(p, "TLS read failed or closed mid-frame");
				return;
			}
			if (got == 0)
				break;
			extra += got;
			p->node->stats.link_read_more += got;
			continue;
		}
		used = cmsg_decode(evbuffer_pullup(in, 4 + (ssize_t)flen), 4 + (size_t)flen, &type,
		    &body);
		if (used < 0) {
			clu_close(p, "malformed frame");
			return;
		}
		clu_dispatch(p, type, body);
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
		if (clu_is_master(n)) {
			if (p->name[0] == '\0' && peer_identify(p, ssl) == -1)
				return;
		} else {
			hello_send(p);
		}
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		unsigned long e = bufferevent_get_openssl_error(bev);

		int err = EVUTIL_SOCKET_ERROR();

		if (!p->ready && !clu_is_master(n) && (err == ECONNREFUSED || err == ETIMEDOUT ||
		    err == EHOSTUNREACH || err == ENETUNREACH)) {
			/* With several addresses, each is logged in the first cycle
			 * after a loss, then at -v only: the nodes that are not the
			 * coordinator refuse every try, and the worker tries often. */
			if (n->cfg.nmasters == 1 || n->cluster->fails < n->cfg.nmasters)
				log_info("cluster: master %s unreachable: %s", p->addr,
				    evutil_socket_error_to_string(err));
			else
				log_debug("cluster: master %s unreachable: %s", p->addr,
				    evutil_socket_error_to_string(err));
			clu_close(p, "connect failed");
		} else if (!p->ready && e != 0) {
			char buf[160];

			ERR_error_string_n(e, buf, sizeof(buf));
			log_warnx("cluster %s: TLS handshake failed (wrong cluster key?): %s",
			    p->addr, buf);
			clu_close(p, "TLS handshake failed");
		} else if (!p->ready && !clu_is_master(n))
			clu_close(p, "connection failed or refused (wrong cluster key?)");
		else
			clu_close(p, (what & BEV_EVENT_EOF) || err == 0 ? "closed by the other side" :
			    evutil_socket_error_to_string(err));
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
	p->last_rx = p->last_tx = p->opened = node_now(n);
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	TAILQ_INSERT_TAIL(&n->cluster->peers, p, entry);
	bufferevent_setcb(bev, peer_read_cb, peer_write_cb, peer_event_cb, p);
	/* a loop turn moves more of the link than the default 16 KiB each way */
	bufferevent_set_max_single_read(bev, CLUSTER_MAX_IO);
	bufferevent_set_max_single_write(bev, CLUSTER_MAX_IO);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return p;
}


static void
cluster_accept_cb(struct evconnlistener *lsn, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct node *n = arg;
	struct bufferevent *bev;
	struct peer *p = NULL;
	char addr[64];
	SSL *ssl;
	int one = 1;

	(void)lsn;
	(void)salen;
	/* --cluster-max-connections, --cluster-max-per-source: before any TLS work */
	if (node_gate_admit(n, &n->gate_cluster, sa, addr, sizeof(addr)) == -1) {
		evutil_closesocket(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((ssl = SSL_new(n->cluster->ctx)) == NULL) {
		node_gate_leave(&n->gate_cluster, addr);
		evutil_closesocket(fd);
		return;
	}
	bev = bufferevent_openssl_socket_new(n->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL || (p = peer_new(n, bev, addr)) == NULL) {
		node_gate_leave(&n->gate_cluster, addr);
		if (bev != NULL)
			bufferevent_free(bev);
		else {
			SSL_free(ssl);
			evutil_closesocket(fd);
		}
		return;
	}
	p->accepted = 1;
}

/* ---- worker: connecting to the master ---- */

/*
 * worker_connect: a link to the --master address c->master_idx (config.c
 * checked the list).  Every failure from here on, at once or later, goes
 * through worker_schedule_reconnect, which picks the next address.
 */
static void
worker_connect(struct cluster *c)
{
	struct node *n = c->node;
	const struct config_master *m = &n->cfg.masters[c->master_idx];
	struct addrinfo hints, *ai = NULL;
	struct bufferevent *bev;
	SSL *ssl;
	int one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(m->host, m->port, &hints, &ai) != 0 || ai == NULL) {
		log_warnx("cluster: cannot resolve master %s", m->addr);
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
	if (peer_new(n, bev, m->addr) == NULL) {
		bufferevent_free(bev);
		freeaddrinfo(ai);
		worker_schedule_reconnect(c);
		return;
	}
	if (bufferevent_socket_connect(bev, ai->ai_addr, (int)ai->ai_addrlen) == -1)
		clu_close(TAILQ_LAST(&c->peers, peer_list), "connect failed");
	else   /* small frames (acks, results) must not wait on Nagle */
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	freeaddrinfo(ai);
}

static void
reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	worker_connect(arg);
}

/*
 * worker_schedule_reconnect: the try on c->master_idx failed, or its link
 * was lost: the next address, after the delay failover.c's rule gives (a
 * short jitter within a cycle through the list, a back-off after a whole
 * cycle).  A timer already pending is that decision taken once already.
 */
static void
worker_schedule_reconnect(struct cluster *c)
{
	unsigned int n = (unsigned int)c->node->cfg.nmasters;
	struct failover_step s;
	struct timeval tv;

	if (c->reconnect_ev == NULL || evtimer_pending(c->reconnect_ev, NULL))
		return;
	/* long past the cap of the back-off, whole cycles are dropped: the count never wraps */
	if (++c->fails > 64 * n)
		c->fails -= 32 * n;
	if (failover_next(n, c->master_idx, c->fails, (uint32_t)random(), &s) == -1) {
		log_warnx("cluster: no master address to try");   /* cluster_start checked */
		return;
	}
	if (s.index != c->master_idx)
		log_debug("cluster: trying master %s next, in %u ms",
		    c->node->cfg.masters[s.index].addr, s.delay_ms);
	c->master_idx = s.index;
	tv.tv_sec = s.delay_ms / 1000;
	tv.tv_usec = (s.delay_ms % 1000) * 1000;
	evtimer_add(c->reconnect_ev, &tv);
}

/* ---- start, tick, stop ---- */

void
cluster_hooks(struct node *n)
{
	n->hooks.node_name = cluster_node_name;
	n->hooks.node_up = cluster_node_up;
	n->hooks.node_index = cluster_node_index;
	n->hooks.fence_remote = cluster_fence;
	n->hooks.outbox = clu_outbox_hook;
	n->hooks.agent_added = cluster_agent_added;
	n->hooks.agent_removed = cluster_agent_removed;
	n->hooks.enroll_forward = cluster_enroll_forward;
	n->hooks.enroll_cancel = cluster_enroll_cancel;
}

int
cluster_start(struct node *n)
{
	struct cluster *c;

	cluster_hooks(n);
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
	if (tls_psk_key_load(n->cfg.cluster_key_file, &c->key) == -1)
		return -1;
	c->reap_ev = event_new(n->base, -1, 0, peer_reap_cb, c);
	c->send_ev = event_new(n->base, -1, 0, clu_send_cb, c);
	c->touch_ev = evtimer_new(n->base, clu_send_cb, c);
#ifdef VIGIL_TEST_FAULTS
	if (n->cfg.test_faults) {
		struct timeval tv = { 0, 50000 };

		log_warnx("faults: test fault injection is enabled (--test-faults)");
		c->faults_ev = event_new(n->base, -1, EV_PERSIST, clu_faults_cb, n);
		event_add(c->faults_ev, &tv);
	}
#endif
	if (clu_is_master(n)) {
		if ((c->ctx = tls_psk_server_ctx(&c->key)) == NULL)
			return -1;
		c->lsn = node_listen(n, n->cfg.cluster_port, 128, cluster_accept_cb, "cluster");
		return c->lsn != NULL ? 0 : -1;
	}
	if (n->cfg.nmasters == 0) {
		log_warnx("cluster: a worker needs --master HOST:PORT[,HOST:PORT...]");
		return -1;
	}
	if ((c->ctx = tls_psk_client_ctx(&c->key, n->cfg.name)) == NULL)
		return -1;
	c->reconnect_ev = evtimer_new(n->base, reconnect_cb, c);
	worker_connect(c);
	return 0;
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
		/* a worker proves the key and says hello by the deadline, whatever it sends */
		if (p->accepted && !p->ready && now - p->opened >= n->gate_cluster.deadline) {
			node_gate_late(n, &n->gate_cluster, p->addr);
			clu_close(p, "no hello by the deadline");
		} else if (!clu_is_master(n) && !p->ready && n->cfg.nmasters > 1 &&
		    now - p->opened >= CLUSTER_JOIN_DEADLINE) {
			/* a host that is down or cut off answers nothing: another may be the master */
			clu_close(p, "no answer from the master in time; trying the next");
		} else if (now - p->last_rx >= CLUSTER_DEAD_AFTER)
			clu_close(p, "no traffic (link dead)");
		else if (p->ready && now - p->last_tx >= CLUSTER_PING_EVERY)
			clu_send(p, CMSG_PING, cbody_empty_encode());
	}
	if (clu_is_master(n))
		clu_latency_report(c, now);
	TAILQ_FOREACH(k, &c->known, entry)
		if (k->down_since != 0 && !k->marked && now - k->down_since >= n->cfg.node_grace)
			clu_mark_unreachable(n, k);
	for (pc = TAILQ_FIRST(&c->cmds); pc != NULL; pc = next) {
		next = TAILQ_NEXT(pc, entry);
		if (pc->sent && now >= pc->deadline)
			clu_cmd_finish(c, pc, VIGIL_ERR_NODE_UNREACHABLE);
	}
	{
		struct pending_enroll *pe, *pnext;

		for (pe = TAILQ_FIRST(&c->enrolls); pe != NULL; pe = pnext) {
			pnext = TAILQ_NEXT(pe, entry);
			if (now >= pe->deadline)
				clu_enroll_finish(c, pe, ENROLL_MASTER_DOWN);
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
		clu_cmd_finish(c, pc, VIGIL_ERR_NODE_UNREACHABLE);
	{
		struct pending_enroll *pe;

		while ((pe = TAILQ_FIRST(&c->enrolls)) != NULL) {
			TAILQ_REMOVE(&c->enrolls, pe, entry);
			free(pe);
		}
	}
	if (c->lsn != NULL) {
		node_listen_forget(n, c->lsn);
		evconnlistener_free(c->lsn);
	}
	if (c->reap_ev != NULL)
		event_free(c->reap_ev);
	if (c->send_ev != NULL)
		event_free(c->send_ev);
	if (c->touch_ev != NULL)
		event_free(c->touch_ev);
	if (c->reconnect_ev != NULL)
		event_free(c->reconnect_ev);
	if (c->faults_ev != NULL)
		event_free(c->faults_ev);
	if (c->delay_ev != NULL)
		event_free(c->delay_ev);
	c->hold = 0;
	for (; c->nheld > 0; c->nheld--)
		free(c->held[c->nheld - 1].f);
	free(c->held);
	SSL_CTX_free(c->ctx);
	free(c->dirty);
	free(c->lat);
	free(c->full_ids);
	explicit_bzero(&c->key, sizeof(c->key));
	free(c);
	n->cluster = NULL;
}

int
cluster_enabled(const struct node *n)
{
	return n->cluster != NULL;
}

int
cluster_master_joined(struct node *n, const char **name, const char **addr)
{
	struct peer *p;

	if (n->cluster == NULL || clu_is_master(n))
		return 0;
	TAILQ_FOREACH(p, &n->cluster->peers, entry)
		if (p->ready && !p->closing) {
			*name = p->name;
			*addr = p->addr;
			return 1;
		}
	return 0;
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
	snprintf(out[0].type, sizeof(out[0].type), "%s", clu_is_master(n) ? "master" : "worker");
	snprintf(out[0].ip, sizeof(out[0].ip), "%s", n->cfg.listen);
	out[0].connected = 1;
	out[0].last_seen = node_now(n);
	out[0].joined = n->started;
	i = 1;
	if (c == NULL || !clu_is_master(n))
		return i;
	TAILQ_FOREACH(k, &c->known, entry) {
		if (i == max)
			break;
		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].name, sizeof(out[i].name), "%s", k->name);
		snprintf(out[i].type, sizeof(out[i].type), "worker");
		snprintf(out[i].ip, sizeof(out[i].ip), "%s", k->addr);
		out[i].updates = k->updates;
		if ((p = clu_peer_by_name(c, k->name)) != NULL) {
			out[i].connected = 1;
			out[i].last_seen = p->last_rx;
			out[i].joined = k->joined;
		} else
			out[i].last_seen = k->down_since;
		i++;
	}
	return i;
}
