/* enrolld.c — the enrollment service: Wazuh authd protocol over TLS (port 1515).
 *
 * One request line per connection, answered with one write
 * ("OSSEC K:'id name ip key'" or "ERROR: ..."), then the connection is
 * closed once the reply has been flushed.  The new agent is persisted before
 * the key is sent, so a key an agent holds always exists in the registry.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>

#include <openssl/crypto.h>

#include "lib/log.h"
#include "node/core/agent.h"
#include "node/agents/enrolld.h"
#include "node/core/node.h"
#include "node/registry/groups.h"
#include "node/registry/registry.h"
#include "proto/control.h"
#include "proto/enroll.h"
#include "proto/secmsg.h"

#define ENROLL_REPLY_TIMEOUT 10     /* s from a complete request line to the reply written */
/* authd's <force> defaults: a duplicate name replaces an agent that has been
 * disconnected (or never connected) for this long and registered this long ago. */
#define ENROLL_FORCE_DISCONNECTED 3600
#define ENROLL_FORCE_AFTER_REGISTRATION 3600

struct enroll_conn {
	struct node *node;
	struct bufferevent *bev;
	char peer[64];
	char src[64];               /* the address its slot is counted under (gate_enroll) */
	struct event *deadline_ev;  /* the request line by enroll_deadline, then the reply */
	int done;
};

static void
enroll_conn_free(struct enroll_conn *c)
{
	c->node->hooks.enroll_cancel(c->node, c);
	c->node->enroll_inflight--;
	node_gate_leave(&c->node->gate_enroll, c->src);
	if (c->deadline_ev != NULL)
		event_free(c->deadline_ev);
	bufferevent_free(c->bev);
	free(c);
}

/*
 * enroll_deadline_cb: the handshake and the request line did not arrive
 * within --enroll-deadline of the accept, however many bytes came (the slot
 * is not held by a slow peer), or the reply could not be delivered in time.
 */
static void
enroll_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct enroll_conn *c = arg;

	(void)fd;
	(void)what;
	if (!c->done)
		node_gate_late(c->node, &c->node->gate_enroll, c->src);
	else
		log_info("enroll %s: reply not delivered within %d s", c->peer, ENROLL_REPLY_TIMEOUT);
	enroll_conn_free(c);
}

static void
enroll_reply(struct enroll_conn *c, const char *text, size_t len)
{
	c->done = 1;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_write(c->bev, text, len);
}

/* The reply to one request, built by enroll_decide whoever carries it. */
struct enroll_out {
	char text[ENROLL_REPLY_MAX];
	size_t len;
};

static void
enroll_error(struct node *n, const char *peer, struct enroll_out *out, const char *reason)
{
	ssize_t len;
	unsigned long more;

	n->stats.enroll_failures++;
	n->stats.enroll_failed[enroll_error_class_index(reason)]++;
	/* anyone can provoke refusals: at most a line a second, with the count of the rest */
	if (srclimit_log_ok(&n->enroll_fail_log, node_now(n), 1, &more)) {
		if (more > 0)
			log_info("enroll %s: refused: %s (%lu more refusals since the last "
			    "message)", peer, reason, more);
		else
			log_info("enroll %s: refused: %s", peer, reason);
	}
	len = enroll_format_error(out->text, sizeof(out->text), reason);
	if (len <= 0)
		len = snprintf(out->text, sizeof(out->text), "ERROR: Unable to add agent");
	out->len = (size_t)len;
}

/* enroll_may_replace: authd's force rule for a duplicate name. */
static int
enroll_may_replace(struct node *n, const struct agent *old)
{
	time_t now = node_now(n);

	if (old->session != NULL || old->st.status == AGENT_ACTIVE || old->st.status == AGENT_PENDING)
		return 0;
	if (now - old->date_add < ENROLL_FORCE_AFTER_REGISTRATION)
		return 0;
	if (old->st.status == AGENT_DISCONNECTED &&
	    now - old->st.disconnection_time < ENROLL_FORCE_DISCONNECTED)
		return 0;
	return 1;
}

/*
 * enroll_decide: handles one parsed request from peer and writes the reply
 * (key or error) into out.  Used for local requests and for requests a worker
 * forwards to the master.
 */
/*
 * enroll_groups_check: authd's w_auth_validate_groups: every group of the
 * request ("g1,g2") exists, none twice, at most GROUPS_PER_AGENT_MAX.  0, or
 * -1 with the reason written.
 */
static int
enroll_groups_check(struct node *n, const char *groups, char *reason, size_t cap)
{
	char buf[sizeof(((struct enroll_req *)0)->groups)], *tok, *save = NULL;
	const char *seen[GROUPS_PER_AGENT_MAX];
	int count = 0, k;

	snprintf(buf, sizeof(buf), "%s", groups);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (!group_name_valid(tok) || groups_get(n->groups, tok) == NULL) {
			snprintf(reason, cap, ENROLL_ERR_GROUP, tok);
			return -1;
		}
		for (k = 0; k < count; k++)
			if (strcmp(seen[k], tok) == 0) {
				snprintf(reason, cap, "Duplicated group: %s", tok);
				return -1;
			}
		if (count == GROUPS_PER_AGENT_MAX) {
			snprintf(reason, cap, "Maximum number of groups per multigroup is %d",
			    GROUPS_PER_AGENT_MAX);
			return -1;
		}
		seen[count++] = tok;
	}
	return 0;
}

/*
 * enroll_request_check: the rules a request must meet whatever the registry
 * holds: a valid name, a version this manager accepts (node_version_allowed),
 * a valid address.  ip
 * gets the address the agent will be bound to ("any", the peer's for
 * IP:'src', or the one asked for).  Workers check this before forwarding, so
 * the master only ever sees well-formed requests.  0, or -1 with the reason.
 */
static int
enroll_request_check(const struct node *n, const char *peer, const struct enroll_req *r,
    char ip[64], char *reason, size_t cap)
{
	if (!enroll_name_valid(r->name)) {
		snprintf(reason, cap, ENROLL_ERR_NAME, r->name);
		return -1;
	}
	if (r->version[0] != '\0' && !node_version_allowed(n, r->version)) {
		snprintf(reason, cap, "%s", ENROLL_ERR_VERSION);
		return -1;
	}
	if (r->ip[0] == '\0')
		snprintf(ip, 64, "any");
	else if (strcmp(r->ip, "src") == 0)
		snprintf(ip, 64, "%s", peer);
	else
		snprintf(ip, 64, "%s", r->ip);
	if (!enroll_ip_valid(ip)) {
		snprintf(reason, cap, ENROLL_ERR_IP, ip);
		return -1;
	}
	return 0;
}

static void
enroll_decide(struct node *n, const char *peer, const struct enroll_req *r,
    struct enroll_out *out)
{
	struct agent *a, *old;
	char ip[64], key[65], id[16], reason[300];
	ssize_t len;
	size_t i, count;

	if (n->has_enroll_password) {
		if (!r->has_password || !enroll_password_match(n->enroll_password, r->password)) {
			enroll_error(n, peer, out, ENROLL_ERR_PASSWORD);
			return;
		}
	} else if (r->has_password) {
		/* authd without a password refuses a request that carries one. */
		enroll_error(n, peer, out, ENROLL_ERR_REQUEST);
		return;
	}
	if (enroll_request_check(n, peer, r, ip, reason, sizeof(reason)) == -1) {
		enroll_error(n, peer, out, reason);
		return;
	}
	if (r->groups[0] != '\0' && enroll_groups_check(n, r->groups, reason, sizeof(reason)) == -1) {
		enroll_error(n, peer, out, reason);
		return;
	}
	if (strcmp(ip, "any") != 0) {
		count = registry_count(n->reg);
		for (i = 1; i < count; i++) {
			a = registry_agent_at(n->reg, i);
			if (strcmp(a->ip, ip) == 0 && strcmp(a->name, r->name) != 0) {
				snprintf(reason, sizeof(reason), ENROLL_ERR_DUP_IP, ip);
				enroll_error(n, peer, out, reason);
				return;
			}
		}
	}
	if ((old = registry_agent_by_name(n->reg, r->name)) != NULL) {
		if (old->id == 0 || !enroll_may_replace(n, old)) {
			snprintf(reason, sizeof(reason), ENROLL_ERR_DUP_NAME, r->name);
			enroll_error(n, peer, out, reason);
			return;
		}
		log_info("enroll %s: replacing agent %03u '%s' (inactive)", peer, old->id,
		    old->name);
		registry_agent_remove(n->reg, old->id);
		n->hooks.agent_removed(n, old->id);
	}
	/* The id is known only once added; the key mixes in the name and ip. */
	if (enroll_generate_key("", r->name, ip, key) == -1) {
		enroll_error(n, peer, out, "Unable to add agent");
		return;
	}
	a = registry_agent_add(n->reg, r->name, ip, ip, key, r->groups, node_now(n));
	if (a == NULL || registry_flush(n->reg) == -1) {
		enroll_error(n, peer, out, "Unable to add agent");
		return;
	}
	agent_id_format(a->id, id, sizeof(id));
	len = enroll_format_key(out->text, sizeof(out->text), id, a->name, a->ip, a->key);
	if (len == -1) {
		enroll_error(n, peer, out, "Unable to add agent");
		return;
	}
	n->stats.enrollments++;
	n->hooks.agent_added(n, a);
	log_info("enroll %s: agent %s '%s' added (ip %s)", peer, id, a->name, a->ip);
	out->len = (size_t)len;
}

/*
 * enroll_rate_check: a complete request line from address src (peer, as
 * logged): 0 when the rate limits (per source, then all sources together)
 * let it go on, else -1 with the ERROR reply written into out (counted;
 * logged now and then).  The master checks the lines workers forward too,
 * under the agent's address: the limits are the cluster's, not one node's.
 */
static int
enroll_rate_check(struct node *n, const char *src, const char *peer, struct enroll_out *out)
{
	struct timespec ts;
	uint64_t now_ms;
	const char *why;
	unsigned long more;
	ssize_t len;
	int total = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (n->enroll_rate != NULL && !srclimit_rate_take(n->enroll_rate, src, now_ms))
		why = ENROLL_ERR_RATE_SOURCE;
	else if (!srclimit_bucket_take(&n->enroll_total, (unsigned int)n->cfg.enroll_total_per_minute,
	    (unsigned int)n->cfg.enroll_total_burst, now_ms))
		why = ENROLL_ERR_RATE_TOTAL, total = 1;
	else
		return 0;
	n->stats.enroll_rate_limited++;
	n->stats.enroll_failures++;
	n->stats.enroll_failed[enroll_error_class_index(why)]++;
	if (srclimit_log_ok(&n->enroll_rate_log, node_now(n), NODE_GATE_LOG_S, &more))
		log_warnx("enroll %s: refused: %s (--enroll-%sper-minute); %lu more "
		    "since the last message", peer, why, total ? "total-" : "",
		    more);
	len = enroll_format_error(out->text, sizeof(out->text), why);
	if (len <= 0)
		len = snprintf(out->text, sizeof(out->text), "ERROR: Unable to add agent");
	out->len = (size_t)len;
	return -1;
}

/*
 * enroll_worker_refuses: a worker answers a request that is malformed or
 * breaks enroll_request_check itself, exactly as the master would, and
 * forwards only the others.  1 when it answered.
 */
static int
enroll_worker_refuses(struct enroll_conn *c, const struct enroll_req *r, ssize_t used)
{
	struct enroll_out out;
	char ip[64], reason[300];

	if (used == -1)
		snprintf(reason, sizeof(reason), "%s", r->error != NULL ? r->error :
		    ENROLL_ERR_REQUEST);
	else if (enroll_request_check(c->node, c->peer, r, ip, reason, sizeof(reason)) == 0)
		return 0;
	enroll_error(c->node, c->peer, &out, reason);
	enroll_reply(c, out.text, out.len);
	return 1;
}

static void
enroll_read_cb(struct bufferevent *bev, void *arg)
{
	struct enroll_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct enroll_req r;
	size_t len = evbuffer_get_length(in);
	const char *p;
	ssize_t used;

	if (c->done)
		return;
	if (len > ENROLL_LINE_MAX)
		len = ENROLL_LINE_MAX;
	p = (const char *)evbuffer_pullup(in, (ssize_t)len);
	used = enroll_parse_request(p, len, &r);
	if (used == -2)
		return;
	/* the line is complete: from now on the deadline is the reply's */
	{
		struct timeval tv = { ENROLL_REPLY_TIMEOUT, 0 };

		evtimer_add(c->deadline_ev, &tv);
	}
	if (used > 0) {
		struct enroll_out out;

		if (enroll_rate_check(c->node, c->src, c->peer, &out) == -1) {
			enroll_reply(c, out.text, out.len);
			explicit_bzero(&r, sizeof(r));
			evbuffer_drain(in, evbuffer_get_length(in));
			return;
		}
	}
	if (c->node->cfg.role == ROLE_WORKER && enroll_worker_refuses(c, &r, used)) {
		;   /* answered here: a bad request never reaches the master */
	} else if (c->node->cfg.role == ROLE_WORKER) {
		/* Workers forward the request line to the master, which decides. */
		c->done = 1;
		bufferevent_disable(c->bev, EV_READ);
		switch (c->node->hooks.enroll_forward(c->node, p, used > 0 ? (size_t)used : len, c->peer,
		    c)) {
		case 0:
			break;
		case -2: {
			/* not UTF-8: no JSON string, so no frame can carry it; the master
			 * would refuse such a line anyway (names are ASCII) */
			struct enroll_out out;

			enroll_error(c->node, c->peer, &out, ENROLL_ERR_REQUEST);
			bufferevent_write(c->bev, out.text, out.len);
			break;
		}
		default: {
			struct enroll_out out;

			enroll_error(c->node, c->peer, &out, ENROLL_ERR_MASTER);
			bufferevent_write(c->bev, out.text, out.len);
			break;
		}
		}
	} else if (used == -1) {
		struct enroll_out out;

		enroll_error(c->node, c->peer, &out, r.error != NULL ? r.error : ENROLL_ERR_REQUEST);
		enroll_reply(c, out.text, out.len);
	} else {
		struct enroll_out out;

		enroll_decide(c->node, c->peer, &r, &out);
		enroll_reply(c, out.text, out.len);
	}
	explicit_bzero(&r, sizeof(r));
	evbuffer_drain(in, evbuffer_get_length(in));
}

ssize_t
enrolld_process_line(struct node *n, const char *line, size_t len, const char *peer,
    char *reply, size_t cap)
{
	struct enroll_req r;
	struct enroll_out out;
	ssize_t used;

	used = enroll_parse_request(line, len, &r);
	if (used < 0)
		enroll_error(n, peer, &out, used == -1 && r.error != NULL ? r.error :
		    ENROLL_ERR_REQUEST);
	else if (enroll_rate_check(n, peer, peer, &out) == 0)
		enroll_decide(n, peer, &r, &out);
	explicit_bzero(&r, sizeof(r));
	if (out.len >= cap)
		return -1;
	memcpy(reply, out.text, out.len);
	reply[out.len] = '\0';
	return (ssize_t)out.len;
}

void
enrolld_forward_done(void *conn, const char *reply)
{
	struct enroll_conn *c = conn;

	bufferevent_write(c->bev, reply, strlen(reply));
}

static void
enroll_write_cb(struct bufferevent *bev, void *arg)
{
	struct enroll_conn *c = arg;

	if (c->done && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		enroll_conn_free(c);
}

static void
enroll_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct enroll_conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		log_info("enroll %s: timed out", c->peer);
	else if (what & BEV_EVENT_ERROR)
		log_debug("enroll %s: connection error", c->peer);
	enroll_conn_free(c);
}

static void
enroll_accept_cb(struct evconnlistener *lsn, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct node *n = arg;
	struct enroll_conn *c;
	SSL *ssl = NULL;
	struct timeval tv = { n->cfg.enroll_deadline, 0 };
	char src[64];
	int one = 1;

	(void)lsn;
	(void)salen;
	/* the slots: --enroll-max-connections, and --enroll-max-per-source of them from one address */
	if (node_gate_admit(n, &n->gate_enroll, sa, src, sizeof(src)) == -1) {
		evutil_closesocket(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL || (ssl = SSL_new(n->tls_server)) == NULL ||
	    (c->deadline_ev = evtimer_new(n->base, enroll_deadline_cb, c)) == NULL) {
		SSL_free(ssl);
		free(c);
		node_gate_leave(&n->gate_enroll, src);
		evutil_closesocket(fd);
		return;
	}
	c->node = n;
	snprintf(c->src, sizeof(c->src), "%s", src);
	/* the reply is one small write after the handshake: do not let Nagle hold it */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, c->peer, sizeof(c->peer));
	else
		snprintf(c->peer, sizeof(c->peer), "any");
	c->bev = bufferevent_openssl_socket_new(n->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		event_free(c->deadline_ev);
		node_gate_leave(&n->gate_enroll, src);
		free(c);
		return;
	}
	n->enroll_inflight++;
	bufferevent_setcb(c->bev, enroll_read_cb, enroll_write_cb, enroll_event_cb, c);
	/* a deadline from the accept, not an idle timeout: bytes do not move it */
	evtimer_add(c->deadline_ev, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

int
enrolld_listen(struct node *n)
{
	n->enroll_lsn = node_listen(n, n->cfg.enroll_port, 512, enroll_accept_cb, "enrollment");
	return n->enroll_lsn != NULL ? 0 : -1;
}
