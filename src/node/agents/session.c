/* session.c — the agent channel: Wazuh 4.x remoted protocol over TCP (port 1514).
 *
 * One struct session per TCP connection.  A session is anonymous until its
 * first frame names (or its source address implies) an agent and decrypts
 * with that agent's key; from then on it belongs to that agent.  An agent has
 * at most one live session: a newer one overtakes the older, which is closed.
 * Sessions are freed only from reap_ev, never from inside their own callbacks.
 */
#include "node/agents/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "lib/hash.h"
#include "lib/log.h"
#include "node/core/agent.h"
#include "node/cluster/cluster.h"
#include "node/registry/groups.h"
#include "node/ledger/ledger.h"
#include "node/registry/registry.h"
#include "node/ledger/state.h"
#include "proto/control.h"
#include "proto/enroll.h"
#include "proto/frame.h"
#include "proto/merged.h"
#include "proto/secmsg.h"

#define SESSION_OUTBUF_MAX (1 << 20)
/*
 * Messages to agents up to this size go out as zlib stored blocks.  They are
 * acks, commands and 900-byte file chunks: level 9 saves a few dozen bytes on
 * each and costs 5-9 us, more than AES and MD5 together (bench/RESULTS.md).
 * The agent's uncompress() reads either.  Larger ones are compressed as Wazuh does.
 */
#define SESSION_STORED_MAX 1024
#define SESSION_PUSH_BYTES_PER_S (8u << 20)   /* merged.mg bytes sent per second, all agents */

static uint8_t rx_work[SECMSG_PLAIN_MAX + 128];
static uint8_t tx_work[SECMSG_PLAIN_MAX + 256];

static void session_close(struct session *s, const char *reason, int status_code);

static const char *
session_name(const struct session *s)
{
	return s->agent != NULL ? s->agent_id : s->peer;
}

/*
 * session_write: one whole frame (header included) to the agent.  With
 * nothing queued it goes straight to the socket: queueing it would make the
 * bufferevent switch write interest on and off around it (two epoll_ctl and
 * a wakeup per keepalive ack, more than the ack itself costs), and a restart
 * to 5,000 agents would wait for 5,000 write events.  What the socket does
 * not take, or an error, is left to the bufferevent, which finishes it or
 * reports the error.  Every outgoing message counts against
 * SESSION_OUTBUF_MAX, pongs included.  0 / -1 (the session is then closing).
 */
static int
session_write(struct session *s, const uint8_t *frame, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	ssize_t w = 0;

	if (evbuffer_get_length(out) > SESSION_OUTBUF_MAX) {
		session_close(s, "agent does not read its messages", AGENT_CODE_CONNECTION_LOST);
		return -1;
	}
	if (evbuffer_get_length(out) == 0) {
		w = send(bufferevent_getfd(s->bev), frame, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w == -1)
			w = 0;   /* EAGAIN, or an error the bufferevent will meet and report */
	}
	if ((size_t)w < len && evbuffer_add(out, frame + w, len - (size_t)w) == -1) {
		session_close(s, "out of memory", AGENT_CODE_CONNECTION_LOST);
		return -1;
	}
	return 0;
}

/*
 * session_send: encrypts msg for the session's agent and sends one frame.
 * 0 / -1 (the session is then closing).
 */
static int
session_send(struct session *s, const char *msg, size_t len)
{
	ssize_t n;
	unsigned int r16;

	if (s->agent == NULL || s->closing)
		return -1;
	secmsg_counter_next(&s->tx_global, &s->tx_local);
	r16 = (unsigned int)random() % 65536;
	n = secmsg_encode(s->agent->enc_key, NULL, r16, s->tx_global, s->tx_local, msg, len,
	    len <= SESSION_STORED_MAX ? SECMSG_Z_STORED : SECMSG_Z_BEST, tx_work + 4,
	    sizeof(tx_work) - 4);
	if (n == -1) {
		log_warnx("session %s: cannot encode a %zu-byte message", session_name(s), len);
		return -1;
	}
	frame_put_header(tx_work, (uint32_t)n);
	return session_write(s, tx_work, 4 + (size_t)n);
}

/*
 * session_publish: what the agent told session s changed.  Only the agent's
 * current session on this node speaks for it; the state module decides what
 * the agent's state becomes (state.c).
 */
static void
session_publish(struct session *s)
{
	struct crec_record r;

	if (s->agent == NULL || s->agent->session != s)
		return;
	s->seq++;
	memset(&r, 0, sizeof(r));
	r.id = s->agent->id;
	r.sid = s->sid;
	r.first = s->first;
	r.last = s->last;
	r.nrx = s->nrx;
	r.sseq = s->seq;
	r.live = !s->closing;
	r.st = s->st;
	state_publish(s->node, s->agent, &r);
}

/* session_touch: only the keepalive time changed (see handle_keepalive). */
static void
session_touch(struct session *s)
{
	struct crec_touch t;

	if (s->agent == NULL || s->agent->session != s)
		return;
	memset(&t, 0, sizeof(t));
	t.id = s->agent->id;
	t.sid = s->sid;
	t.sseq = s->seq;
	t.nrx = s->nrx;
	t.last = s->last;
	t.last_keepalive = s->st.last_keepalive;
	state_publish_touch(s->node, s->agent, &t);
}

void
session_republish(struct node *n, struct session *s)
{
	(void)n;
	session_publish(s);
}

/* session_set_disconnected: the session reports its agent gone, for code. */
static void
session_set_disconnected(struct session *s, int code)
{
	struct crec_state *st = &s->st;

	if (st->status == AGENT_NEVER_CONNECTED)
		return;
	if (st->status != AGENT_DISCONNECTED)
		st->disconnection_time = node_now(s->node);
	st->status = AGENT_DISCONNECTED;
	st->status_code = code;
}

/*
 * session_close: the one teardown path.  Detaches the session from its agent
 * (marking the agent disconnected with status_code when this was its live
 * session), stops I/O and queues the session for freeing after the current
 * callback.  Once the agent has said "agent shutdown", that is why it is
 * gone, however the connection then ends: an agent that closes with our last
 * message unread ends it with a TCP reset, which is no lost connection.
 */
static void
session_close(struct session *s, const char *reason, int status_code)
{
	struct node *n = s->node;

	if (s->closing)
		return;
	s->closing = 1;
	if (s->shutdown && status_code != AGENT_CODE_OK)
		status_code = AGENT_CODE_SHUTDOWN;
	if (s->agent != NULL) {
		log_info("session %s (%s): closed: %s", s->agent_id, s->peer, reason);
		if (s->agent->session == s) {
			/* its last word: closed, with why (live is 0 from now on) */
			if (s->seq > 0) {
				session_set_disconnected(s, status_code);
				session_publish(s);
			}
			s->agent->session = NULL;
		}
	} else
		log_debug("session %s: closed: %s", s->peer, reason);
	bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	TAILQ_REMOVE(&n->sessions, s, entry);
	n->nsessions--;
	TAILQ_INSERT_TAIL(&n->dead, s, entry);
	n->stats.sessions_closed++;
	event_active(n->reap_ev, EV_TIMEOUT, 0);
}

void
session_reap(struct node *n)
{
	struct session *s;
	size_t slack;

	while ((s = TAILQ_FIRST(&n->dead)) != NULL) {
		TAILQ_REMOVE(&n->dead, s, entry);
		bufferevent_free(s->bev);
		node_gate_leave(&n->gate_agent, s->peer);
		free(s);
		n->nsession_fds--;
	}
	slack = n->max_session_fds / 8 < NODE_FD_SLACK ? n->max_session_fds / 8 : NODE_FD_SLACK;
	if (n->agents_full && n->nsession_fds + slack < n->max_session_fds) {
		n->agents_full = 0;
		if (n->agent_lsn != NULL)
			evconnlistener_enable(n->agent_lsn);
		log_info("session: %zu agent connections: accepting agents again", n->nsession_fds);
	}
}

/* Version gate as remoted's (node_version_allowed). */
static int
version_acceptable(const struct session *s, const char *v)
{
	return node_version_allowed(s->node, v);
}

static void
session_send_err(struct session *s, const char *message)
{
	char buf[256];
	int len;

	len = snprintf(buf, sizeof(buf), "#!-err {\"message\":\"%s\"}", message);
	if (len > 0 && (size_t)len < sizeof(buf))
		session_send(s, buf, (size_t)len);
}

static void
handle_startup(struct session *s, const char *msg, size_t len)
{
	char version[32];
	int rc;

	rc = control_parse_startup(msg, len, version, sizeof(version));
	if (rc == -1) {
		session_send_err(s, "Couldn't retrieve version");
		s->st.status_code = AGENT_CODE_VERSION_MISSING;
		session_publish(s);
		return;
	}
	if (rc == 0) {
		if (!version_acceptable(s, version)) {
			session_send_err(s, "Agent version must be lower or equal to manager version");
			s->st.status_code = AGENT_CODE_INVALID_VERSION;
			session_publish(s);
			return;
		}
		snprintf(s->version, sizeof(s->version), "Wazuh %s", version);
	}
	s->started = 1;
	session_send(s, CONTROL_ACK, strlen(CONTROL_ACK));
	s->st.status = AGENT_PENDING;
	s->st.status_code = AGENT_CODE_OK;
	s->st.disconnection_time = 0;
	/* a startup is a sign of life: remoted's update-keepalive sets the clock too */
	s->st.last_keepalive = node_now(s->node);
	session_publish(s);
	log_debug("session %s: startup (%s)", s->agent_id, s->version[0] ? s->version : "no version");
}

/*
 * session_push_shared: when the merged.mg sum the agent just reported is not
 * its groups' current one, sends the file as remoted does: "#!-up file <md5>
 * merged.mg\n", the bytes in MERGED_CHUNK pieces, "#!-close file ".  Once
 * per keepalive while they differ, so a lost push is repeated.
 */
static void
session_push_shared(struct session *s)
{
	struct node *n = s->node;
	struct agent *a = s->agent;
	const char *list = a->group[0] != '\0' ? a->group : GROUP_DEFAULT;
	char md5[33], hdr[96], *data = NULL;
	size_t len = 0, off, k;
	ssize_t hl;

	if (n->groups == NULL || groups_merged_for(n->groups, list, md5, NULL, NULL) == -1)
		return;   /* groups not known here (yet) */
	if (strcmp(s->st.info.merged_sum, md5) == 0)
		return;
	/*
	 * A bounded number of bytes per second leaves this node: after a change
	 * of agent.conf every agent wants the file at once, and their queues
	 * would all fill together.  The others get it at a later keepalive.
	 */
	if (n->push_second != node_now(n)) {
		n->push_second = node_now(n);
		n->push_bytes = 0;
	}
	if (n->push_bytes >= SESSION_PUSH_BYTES_PER_S) {
		n->stats.shared_pushes_deferred++;
		return;
	}
	if (groups_merged_for(n->groups, list, md5, &data, &len) == -1 ||
	    (hl = merged_up_file(md5, hdr, sizeof(hdr))) == -1) {
		free(data);
		return;
	}
	if (session_send(s, hdr, (size_t)hl) == -1)
		goto out;
	for (off = 0; off < len; off += k) {
		k = len - off < MERGED_CHUNK ? len - off : MERGED_CHUNK;
		if (session_send(s, data + off, k) == -1)
			goto out;
	}
	if (session_send(s, MERGED_CLOSE, sizeof(MERGED_CLOSE) - 1) == -1)
		goto out;
	n->stats.shared_pushes++;
	n->push_bytes += len;
	log_info("session %s: merged.mg %s (%zu bytes, groups %s) sent; the agent had %s",
	    s->agent_id, md5, len, list, s->st.info.merged_sum[0] ? s->st.info.merged_sum : "none");
out:
	free(data);
}

/* keepalive_record: the keepalive's information becomes the session's, published whole. */
static void
keepalive_record(struct session *s, const struct agent_info *ai)
{
	struct node *n = s->node;

	n->stats.keepalives++;
	/* The record is replaced whole; a keepalive never makes a known field unknown
	 * because control_parse_keepalive rejects one without a version. */
	s->st.info = *ai;
	snprintf(s->version, sizeof(s->version), "%s", ai->version);
	s->st.status = AGENT_ACTIVE;
	s->st.status_code = AGENT_CODE_OK;
	s->st.last_keepalive = node_now(n);
	s->st.disconnection_time = 0;
	snprintf(s->st.manager, sizeof(s->st.manager), "%s", n->hostname);
	s->started = 1;
	session_publish(s);
	if (session_send(s, CONTROL_ACK, strlen(CONTROL_ACK)) == 0)
		session_push_shared(s);
}

/* session_steady: active, said so by this node, and published: a keepalive that
 * repeats the agent's information changes nothing but the time. */
static int
session_steady(const struct session *s)
{
	return s->st.status == AGENT_ACTIVE && s->st.status_code == AGENT_CODE_OK && s->seq > 0 &&
	    strcmp(s->st.manager, s->node->hostname) == 0;
}

static void
handle_keepalive(struct session *s, const char *msg, size_t len)
{
	struct node *n = s->node;
	struct agent_info ai;
	uint64_t h = hash_fnv1a(msg, len);

	/* Most keepalives say again what the last one said: only the time moves,
	 * and that goes the cheap way (a touch) through the node and the cluster.
	 * One identical byte for byte to the last is not even parsed again. */
	if (!(s->ka_len == len && s->ka_hash == h && session_steady(s))) {
		if (control_parse_keepalive(msg, len, &ai) == -1) {
			log_warnx("session %s: invalid keepalive, not acknowledged", s->agent_id);
			n->stats.frames_bad++;
			return;
		}
		if (!version_acceptable(s, ai.version)) {
			session_send_err(s, "Agent version must be lower or equal to manager version");
			s->st.status_code = AGENT_CODE_INVALID_VERSION;
			session_publish(s);
			return;
		}
		s->ka_hash = h;
		s->ka_len = len;
		if (!session_steady(s) || memcmp(&s->st.info, &ai, sizeof(ai)) != 0) {
			keepalive_record(s, &ai);
			return;
		}
	}
	n->stats.keepalives++;
	s->st.last_keepalive = node_now(n);
	session_touch(s);
	if (session_send(s, CONTROL_ACK, strlen(CONTROL_ACK)) == 0)
		session_push_shared(s);
}

/* session_wall_ms: the loop's cached wall clock in ms (node_now's, finer). */
static int64_t
session_wall_ms(const struct session *s)
{
	struct timeval tv;

	if (event_base_gettimeofday_cached(s->node->base, &tv) == -1)
		gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/*
 * handle_event: an ordinary event ("<queue>:<location>:<log>").  Only one
 * matters here: "Agent started", which a Wazuh agent sends once per process
 * right after its first acked startup, and never on a reconnect or a change
 * of manager.  It is recorded on the session that carried it (once, and only
 * after a startup or keepalive: the agent's process is then talking to us on
 * this session) and published, so the master's view of the agent knows that
 * its current session is a new process (the proof that a restart happened).
 */
static void
handle_event(struct session *s, const char *msg, size_t len)
{
	struct node *n = s->node;

	n->stats.events_in++;
	if (!s->started || s->proc_seen || !control_is_agent_started(msg, len))
		return;
	s->proc_seen = 1;
	s->st.proc_start_ms = session_wall_ms(s);
	n->stats.agent_starts++;
	log_info("session %s: agent started (a new agent process)", s->agent_id);
	session_publish(s);
}

static void
handle_message(struct session *s, const char *msg, size_t len)
{
	switch (control_classify(msg, len)) {
	case CONTROL_STARTUP:
		handle_startup(s, msg, len);
		break;
	case CONTROL_SHUTDOWN:
		log_info("session %s: agent shutdown", s->agent_id);
		s->st.last_keepalive = node_now(s->node);
		session_set_disconnected(s, AGENT_CODE_SHUTDOWN);
		s->shutdown = 1;
		session_publish(s);
		break;
	case CONTROL_KEEPALIVE:
		handle_keepalive(s, msg, len);
		break;
	case CONTROL_EVENT:
		handle_event(s, msg, len);
		break;
	default:
		/* ack/err/execd are manager→agent messages: ignore from an agent. */
		log_debug("session %s: unexpected control message ignored", s->agent_id);
		break;
	}
}

/*
 * session_attach: binds an anonymous session to agent a.  An older live
 * session of the same agent is overtaken (closed).
 */
static void
session_attach(struct session *s, struct agent *a)
{
	struct node *n = s->node;
	struct session *old = a->session;

	s->agent = a;
	agent_id_format(a->id, s->agent_id, sizeof(s->agent_id));
	if (old != NULL && old != s) {
		n->stats.overtakes++;
		old->agent->session = NULL;   /* keep the agent's status: s takes over */
		session_close(old, "overtaken by a newer connection", AGENT_CODE_OK);
	}
	a->session = s;
	/*
	 * Until the agent says otherwise, the session reports what is known,
	 * including when the agent's process started as far as this node knows:
	 * a session without "Agent started" is the same process as the one
	 * before it.  So a restarted agent that moves on before the master saw
	 * its new process's first session still proves the restart on the next.
	 */
	s->st = a->st;
	log_info("session %s (%s): agent %s identified", s->agent_id, s->peer, a->name);
}

/*
 * session_invalid_id: a frame names an agent this node does not know, or one
 * whose key is bound to another address (remoted's OS_IsAllowedDynamicID):
 * logged in remoted's words, at most one line a second since any host can
 * provoke them (with the count of those not logged), and the connection closed.
 */
static void
session_invalid_id(struct session *s, const char *id, const struct agent *a)
{
	struct node *n = s->node;
	unsigned long more;

	n->stats.agents_invalid_id++;
	if (srclimit_log_ok(&n->invalid_id_log, node_now(n), 1, &more)) {
		if (id[0] != '\0')
			log_warnx("(1408): Invalid ID %s for the source ip: '%s' (name '%s'); %lu "
			    "more invalid ids since the last message", id, s->peer,
			    a != NULL ? a->name : "unknown", more);
		else
			log_warnx("(1213): Message from '%s' not allowed. Cannot find the ID of "
			    "the agent; %lu more invalid ids since the last message", s->peer, more);
	}
	session_close(s, id[0] != '\0' ? (a != NULL ? "agent key bound to another address" :
	    "unknown agent id") : "no agent for this address", AGENT_CODE_CONNECTION_LOST);
}

/* handle_frame: one complete payload from the wire. */
static void
handle_frame(struct session *s, const uint8_t *p, size_t len)
{
	struct node *n = s->node;
	char id[SECMSG_ID_MAX + 1];
	const uint8_t *ct;
	size_t ctlen;
	struct secmsg m;
	struct crec_ctr ctr;
	struct agent *a;

	n->stats.frames_in++;
	if (len == 5 && memcmp(p, "#ping", 5) == 0) {
		uint8_t pong[9];

		frame_put_header(pong, 5);
		memcpy(pong + 4, "#pong", 5);
		(void)session_write(s, pong, sizeof(pong));
		return;
	}
	if (secmsg_split(p, len, id, &ct, &ctlen) == -1) {
		n->stats.frames_bad++;
		session_close(s, "malformed payload", AGENT_CODE_CONNECTION_LOST);
		return;
	}
	if (id[0] != '\0')
		a = registry_agent_by_id(n->reg, (unsigned int)strtoul(id, NULL, 10));
	else
		a = registry_agent_by_ip(n->reg, s->peer);
	if (a == NULL || a->id == 0 || a->removed || !enroll_ip_match(a->ip, s->peer)) {
		n->stats.frames_bad++;
		session_invalid_id(s, id, a != NULL && a->id != 0 && !a->removed ? a : NULL);
		return;
	}
	if (s->agent != NULL && s->agent != a) {
		n->stats.frames_bad++;
		session_close(s, "frame for another agent", AGENT_CODE_CONNECTION_LOST);
		return;
	}
	if (secmsg_decode(a->enc_key, ct, ctlen, rx_work, sizeof(rx_work), &m) == -1) {
		n->stats.decrypt_failures++;
		log_warnx("session %s: agent %03u: message does not decrypt with its key", s->peer,
		    a->id);
		session_close(s, "decryption failed", AGENT_CODE_CONNECTION_LOST);
		return;
	}
	ctr.g = m.global;
	ctr.l = m.local;
	if (s->agent == NULL) {
		struct session *old = a->session;

		/* remoted's counter check, per node: a connection whose first
		 * counter is not newer than the live session's newest may be a
		 * replay; it never closes or changes that session. */
		if (ledger_local_open(old != NULL && !old->closing, old != NULL ? old->last : ctr,
		    ctr) == LEDGER_REFUSE) {
			n->stats.sessions_refused++;
			log_warnx("session %s: agent %03u: counter %u:%u is not newer than its live "
			    "session's %u:%u here: refused (a replay, or a second copy of the agent)",
			    s->peer, a->id, ctr.g, ctr.l, old->last.g, old->last.l);
			session_close(s, "refused", AGENT_CODE_OK);
			return;
		}
		s->first = s->last = ctr;
		session_attach(s, a);
	}
	if (a->session != s) {
		session_close(s, "superseded", AGENT_CODE_OK);
		return;
	}
	s->nrx++;
	if (crec_ctr_cmp(ctr, s->last) > 0)
		s->last = ctr;
	handle_message(s, m.msg, m.msglen);
}

static void
session_read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	const uint8_t *payload;
	size_t avail, plen;
	ssize_t used;
	uint8_t *p;
	int whole = 0;

	while (!s->closing && (avail = evbuffer_get_length(in)) >= 4) {
		uint8_t hdr[4];
		uint32_t flen;

		evbuffer_copyout(in, hdr, 4);
		flen = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
		    (uint32_t)hdr[3] << 24;
		if (flen == 0 || flen > FRAME_MAX) {
			s->node->stats.frames_bad++;
			session_close(s, "bad frame length", AGENT_CODE_CONNECTION_LOST);
			return;
		}
		if (avail < 4 + (size_t)flen)
			break;
		p = evbuffer_pullup(in, 4 + (ssize_t)flen);
		used = frame_decode(p, 4 + (size_t)flen, &payload, &plen);
		if (used < 0) {
			session_close(s, "bad frame", AGENT_CODE_CONNECTION_LOST);
			return;
		}
		handle_frame(s, payload, plen);
		evbuffer_drain(in, (size_t)used);
		whole = 1;
	}
	/* when the frame still incomplete began: the bytes of that frame do not move it */
	if (s->closing)
		return;
	if (evbuffer_get_length(in) == 0)
		s->partial_since = 0;
	else if (whole || s->partial_since == 0)
		s->partial_since = node_now(s->node);
}

static void
session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (what & BEV_EVENT_EOF)
		session_close(s, "connection closed by agent", AGENT_CODE_CONNECTION_LOST);
	else if (what & BEV_EVENT_ERROR)
		session_close(s, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()),
		    AGENT_CODE_CONNECTION_LOST);
}

static void
session_accept_cb(struct evconnlistener *lsn, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct node *n = arg;
	struct session *s;
	char addr[sizeof(s->peer)];
	int one = 1;

	(void)lsn;
	(void)salen;
	/* the total is max_session_fds (below); per source, --agent-max-per-source */
	if (node_gate_admit(n, &n->gate_agent, sa, addr, sizeof(addr)) == -1) {
		evutil_closesocket(fd);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("session: calloc");
		node_gate_leave(&n->gate_agent, addr);
		evutil_closesocket(fd);
		return;
	}
	s->node = n;
	s->sid = n->sid_boot | (++n->next_session_serial & 0xffffffffu);
	s->opened = node_now(n);
	s->tx_global = (unsigned int)time(NULL);
	memcpy(s->peer, addr, sizeof(s->peer));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		log_warnx("session %s: bufferevent_socket_new failed", s->peer);
		node_gate_leave(&n->gate_agent, addr);
		evutil_closesocket(fd);
		free(s);
		return;
	}
	bufferevent_setcb(s->bev, session_read_cb, NULL, session_event_cb, s);
	bufferevent_enable(s->bev, EV_READ);
	TAILQ_INSERT_TAIL(&n->sessions, s, entry);
	n->nsessions++;
	n->nsession_fds++;
	n->stats.sessions_opened++;
	/*
	 * Agents may not take the descriptors the API, the cluster link and the
	 * registry need (OpenBSD's accept_reserve): at the cap, accepting agents
	 * pauses until sessions have gone.  An agent restart storm opens new
	 * connections before the old ones are seen closed.
	 */
	if (n->nsession_fds >= n->max_session_fds && !n->agents_full) {
		n->agents_full = 1;
		n->stats.accept_paused++;
		evconnlistener_disable(n->agent_lsn);
		log_warnx("session: %zu agent connections, the most this node takes with %zu "
		    "descriptors: accepting agents paused", n->nsession_fds, n->fd_limit);
	}
}

int
session_listen(struct node *n)
{
	uint32_t hi = 0;

	/* Session ids stay unique across restarts of this node: a random high half. */
	if (RAND_bytes((unsigned char *)&hi, sizeof(hi)) != 1)
		hi = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	hi &= 0x7fffffffu;
	n->sid_boot = (uint64_t)(hi != 0 ? hi : 1) << 32;
	n->agent_lsn = node_listen(n, n->cfg.agent_port, 4096, session_accept_cb, "agent listener");
	if (n->agent_lsn == NULL)
		return -1;
	return 0;
}

/*
 * session_tick: once a second.  Closes connections that sit on a frame begun
 * --agent-frame-deadline ago, connections that have not identified themselves
 * by --agent-deadline after the accept (whatever bytes they sent; never less
 * than a Wazuh agent may wait, CONFIG_AGENT_DEADLINE_MIN), and sessions whose agent has not sent
 * a keepalive for agents_disconnection_time (the agent is then disconnected,
 * status_code 5, through the session's last record).
 */
void
session_tick(struct node *n)
{
	struct session *s, *next;
	time_t now = node_now(n);

	for (s = TAILQ_FIRST(&n->sessions); s != NULL; s = next) {
		time_t last;

		next = TAILQ_NEXT(s, entry);
		if (s->partial_since != 0 && now - s->partial_since >= n->cfg.agent_frame_deadline) {
			node_frame_late(n, &n->gate_agent, s->peer);
			session_close(s, "incomplete frame timed out", AGENT_CODE_CONNECTION_LOST);
			continue;
		}
		if (s->agent == NULL) {
			if (now - s->opened >= n->cfg.agent_deadline) {
				node_gate_late(n, &n->gate_agent, s->peer);
				session_close(s, "no valid frame by the deadline",
				    AGENT_CODE_CONNECTION_LOST);
			}
			continue;
		}
		last = s->st.last_keepalive > s->opened ? (time_t)s->st.last_keepalive : s->opened;
		if (now - last < n->cfg.agents_disconnection_time)
			continue;
		log_info("agent %s: no keepalive for %d s: disconnected", s->agent_id,
		    n->cfg.agents_disconnection_time);
		session_close(s, "keepalive timeout", AGENT_CODE_KEEPALIVE_TIMEOUT);
	}
}

void
session_close_all(struct node *n, const char *reason)
{
	struct session *s;

	while ((s = TAILQ_FIRST(&n->sessions)) != NULL)
		session_close(s, reason, AGENT_CODE_CONNECTION_LOST);
}

int
session_command_agent(struct node *n, struct agent *a, uint64_t sid, enum agent_cmd cmd,
    uint64_t job)
{
	struct session *s = a->session;
	char buf[512];
	ssize_t len;

	if (s == NULL || s->closing)
		return 1707;
	if (sid != 0 && s->sid != sid)
		return VIGIL_ERR_SESSION_MOVED;   /* not the session the ledger knows */
	if (jobseen_has(&s->jobs, job)) {
		/* the master could not learn that it was written: it is */
		n->stats.commands_repeated++;
		log_debug("session %s: job %llu's command is already written on this session: "
		    "not again", s->agent_id, (unsigned long long)job);
		return 0;
	}
	if (s->st.status != AGENT_ACTIVE)
		return 1707;
	if (cmd == AGENT_CMD_RECONNECT) {
		if (session_send(s, CONTROL_FORCE_RECONNECT_MSG,
		    sizeof(CONTROL_FORCE_RECONNECT_MSG) - 1) == -1)
			return 1707;
		n->stats.reconnects_sent++;
		jobseen_add(&s->jobs, job);
		return 0;
	}
	if (s->version[0] == '\0')
		return VIGIL_ERR_VERSION_UNKNOWN;
	len = control_restart_command(s->version, buf, sizeof(buf));
	if (len == -1)
		return VIGIL_ERR_VERSION_UNKNOWN;
	if (session_send(s, buf, (size_t)len) == -1)
		return 1707;
	n->stats.restarts_sent++;
	s->restarts_sent++;
	jobseen_add(&s->jobs, job);
	return 0;
}

void
session_fence(struct node *n, struct agent *a, const char *reason)
{
	struct session *s = a->session;

	if (s == NULL)
		return;
	n->stats.sync_fenced++;
	a->session = NULL;   /* the record belongs to the newer session now */
	session_close(s, reason, AGENT_CODE_OK);
}

int
session_fence_sid(struct node *n, struct agent *a, uint64_t sid, const struct crec_ctr *below)
{
	struct session *s = a->session;

	if (s == NULL || s->sid != sid || s->closing)
		return -1;
	if (below != NULL && crec_ctr_cmp(s->last, *below) >= 0) {
		log_warnx("session %s: kept: it has seen counter %u:%u, which the session that "
		    "would replace it claims as its first", s->agent_id, below->g, below->l);
		return 0;
	}
	session_fence(n, a, "fenced by the master: a newer session is on another node");
	return 1;
}

void
session_drop_agent(struct node *n, struct agent *a, const char *reason)
{
	(void)n;
	if (a->session != NULL)
		session_close(a->session, reason, AGENT_CODE_CONNECTION_LOST);
}

static void
hook_republish(struct node *n, struct agent *a)
{
	if (a->session != NULL)
		session_republish(n, a->session);
}

void
session_hooks(struct node *n)
{
	n->hooks.fence_session = session_fence_sid;
	n->hooks.republish = hook_republish;
}
