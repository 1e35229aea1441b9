/* aconn.c — an agent's secure-channel connection on a libevent loop. */
#include "agent/aconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "agent/backoff.h"
#include "lib/log.h"
#include "proto/control.h"
#include "proto/frame.h"
#include "proto/secmsg.h"

#define ACONN_FLUSH_MS 2000

struct aconn {
	struct event_base *base;
	const struct aconn_conf *conf;
	const struct aconn_cb *cb;
	void *arg;
	struct bufferevent *bev;
	struct event *timer;
	enum aconn_state state;
	unsigned int gen;              /* bumped by every close: callers detect re-entrancy */
	int has_key;
	int prefix;                    /* send "!id!" before "#AES:" */
	struct keyfile_entry key;
	char enc_key[SECMSG_ENCKEY_LEN + 1];
	unsigned int global, local;
	int announce;                  /* the next acked session says "Agent started" */
	int announced;                 /* the live session did */
	uint64_t last_ack_ms;
	char local_ip[INET6_ADDRSTRLEN];
	char reason[160];
};

/* Scratch buffers: the loop is single-threaded and nothing here re-enters them. */
static uint8_t aconn_work[SECMSG_PLAIN_MAX + 64];
static uint8_t aconn_out[FRAME_MAX + 4];

static uint64_t
aconn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
aconn_arm(struct aconn *ac, unsigned int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ac->timer, &tv);
}

const char *
aconn_state_name(enum aconn_state s)
{
	switch (s) {
	case ACONN_IDLE:
		return "idle";
	case ACONN_CONNECTING:
		return "connecting";
	case ACONN_HANDSHAKE:
		return "handshake";
	case ACONN_UP:
		return "up";
	case ACONN_CLOSING:
		return "closing";
	}
	return "?";
}

enum aconn_state
aconn_state(const struct aconn *ac)
{
	return ac->state;
}

const char *
aconn_local_ip(const struct aconn *ac)
{
	return ac->local_ip;
}

static void aconn_timercb(evutil_socket_t, short, void *);

struct aconn *
aconn_new(struct event_base *base, const struct aconn_conf *conf, const struct aconn_cb *cb,
    void *arg)
{
	struct aconn *ac;

	if ((ac = calloc(1, sizeof(*ac))) == NULL)
		return NULL;
	ac->base = base;
	ac->conf = conf;
	ac->cb = cb;
	ac->arg = arg;
	if ((ac->timer = evtimer_new(base, aconn_timercb, ac)) == NULL) {
		free(ac);
		return NULL;
	}
	return ac;
}

void
aconn_free(struct aconn *ac)
{
	if (ac == NULL)
		return;
	if (ac->bev != NULL)
		bufferevent_free(ac->bev);
	event_free(ac->timer);
	explicit_bzero(ac->enc_key, sizeof(ac->enc_key));
	explicit_bzero(&ac->key, sizeof(ac->key));
	free(ac);
}

void
aconn_set_key(struct aconn *ac, const struct keyfile_entry *k)
{
	ac->key = *k;
	secmsg_key_derive(k->id, k->name, k->key, ac->enc_key);
	ac->prefix = !keyfile_ip_single_host(k->ip);
	ac->has_key = 1;
}

void
aconn_set_counters(struct aconn *ac, unsigned int global, unsigned int local)
{
	ac->global = global;
	ac->local = local;
}

void
aconn_get_counters(const struct aconn *ac, unsigned int *global, unsigned int *local)
{
	*global = ac->global;
	*local = ac->local;
}

void
aconn_announce_start(struct aconn *ac)
{
	ac->announce = 1;
}

int
aconn_announced(const struct aconn *ac)
{
	return ac->announced;
}

void
aconn_close(struct aconn *ac, const char *reason)
{
	int was_up;

	if (ac->state == ACONN_IDLE)
		return;
	/* ACONN_CLOSING is only entered from ACONN_UP or ACONN_HANDSHAKE */
	was_up = ac->state == ACONN_UP || (ac->state == ACONN_CLOSING && ac->last_ack_ms != 0);
	if (reason != ac->reason)
		snprintf(ac->reason, sizeof(ac->reason), "%s", reason);
	if (ac->bev != NULL) {
		struct evbuffer *out = bufferevent_get_output(ac->bev);
		evutil_socket_t fd = bufferevent_getfd(ac->bev);

		/*
		 * What the agent has sent goes out before the link is dropped, as a
		 * Wazuh agent's blocking send puts it in the kernel at once: an
		 * "Agent started" written at the ack and then a failover a moment
		 * later must still reach the manager (it proves a restart).
		 */
		if (fd != -1 && (ac->state == ACONN_UP || ac->state == ACONN_CLOSING) &&
		    evbuffer_get_length(out) > 0)
			(void)evbuffer_write(out, fd);
		/* libevent keeps the bufferevent alive until a running callback returns */
		bufferevent_free(ac->bev);
		ac->bev = NULL;
	}
	evtimer_del(ac->timer);
	ac->state = ACONN_IDLE;
	ac->local_ip[0] = '\0';
	ac->last_ack_ms = 0;
	ac->announced = 0;
	ac->gen++;
	ac->cb->down(ac, was_up, ac->reason, ac->arg);
}

int
aconn_send(struct aconn *ac, const char *msg, size_t len)
{
	ssize_t n;

	if (ac->bev == NULL || (ac->state != ACONN_HANDSHAKE && ac->state != ACONN_UP))
		return -1;
	if (ac->conf->counter_mode == ACONN_COUNTER_FIXED) {
		/* kept in ac too, so aconn_get_counters reports what went out */
		ac->global = ac->conf->counter_global;
		ac->local = ac->conf->counter_local;
	} else
		secmsg_counter_next(&ac->global, &ac->local);
	if (ac->cb->counter != NULL)
		ac->cb->counter(ac, ac->global, ac->local, ac->arg);
	n = secmsg_encode(ac->enc_key, ac->prefix ? ac->key.id : NULL, backoff_rand() & 0xffff,
	    ac->global, ac->local, msg, len, ac->conf->zmode, aconn_out + 4, sizeof(aconn_out) - 4);
	if (n <= 0 || n > FRAME_MAX) {
		log_warnx("agent %s: message of %zu bytes cannot be encoded", ac->key.id, len);
		return -1;
	}
	frame_put_header(aconn_out, (uint32_t)n);
	if (bufferevent_write(ac->bev, aconn_out, (size_t)n + 4) == -1)
		return -1;
	return 0;
}

static void
aconn_send_startup(struct aconn *ac)
{
	char msg[128];
	int n;

	n = snprintf(msg, sizeof(msg), "#!-agent startup {\"version\":\"v%s\"}", ac->conf->version);
	if (n < 0 || (size_t)n >= sizeof(msg) || aconn_send(ac, msg, (size_t)n) == -1)
		aconn_close(ac, "cannot send startup");
}

static void
aconn_send_keepalive(struct aconn *ac)
{
	char buf[4096];
	ssize_t n;

	n = ac->cb->keepalive(ac, buf, sizeof(buf), ac->arg);
	if (n > 0)
		aconn_send(ac, buf, (size_t)n);
}

static unsigned int
aconn_next_keepalive_ms(const struct aconn *ac)
{
	return backoff_jitter_ms(ac->conf->keepalive_ms, ac->conf->keepalive_jitter, backoff_rand());
}

/*
 * aconn_send_started: "Agent started", as agentd's send_msg_on_startup: the
 * first message after the ack, location "wazuh-agent" (v4.4.0 on) or "ossec"
 * (before), name and IP from client.keys.  Best effort, as there: it is not
 * sent again on a later session if this one breaks now.
 */
static void
aconn_send_started(struct aconn *ac)
{
	char msg[256];
	int n;

	n = snprintf(msg, sizeof(msg), "1:%s:ossec: Agent started: '%s->%s'.",
	    control_version_cmp(ac->conf->version, "4.4.0") < 0 ? "ossec" : "wazuh-agent",
	    ac->key.name, ac->key.ip);
	if (n > 0 && (size_t)n < sizeof(msg) && aconn_send(ac, msg, (size_t)n) == 0)
		ac->announced = 1;
}

/* The startup was acked: announce a new process if asked, and begin keepalives. */
static void
aconn_handshake_done(struct aconn *ac)
{
	unsigned int gen = ac->gen, first;

	ac->state = ACONN_UP;
	ac->last_ack_ms = aconn_now_ms();
	evtimer_del(ac->timer);
	if (ac->announce) {
		ac->announce = 0;
		aconn_send_started(ac);
	}
	ac->cb->up(ac, ac->arg);
	if (ac->gen != gen || ac->state != ACONN_UP)
		return;
	first = ac->conf->first_keepalive_ms;
	if (ac->conf->first_keepalive_spread_ms > 0)
		first += backoff_rand() % (ac->conf->first_keepalive_spread_ms + 1);
	aconn_arm(ac, first);
}

static void
aconn_dispatch(struct aconn *ac, const char *msg, size_t len)
{
	enum control_type t;
	int n;

	if (ac->state == ACONN_CLOSING)
		return;
	t = control_classify(msg, len);
	if (ac->state == ACONN_HANDSHAKE) {
		if (len == sizeof(CONTROL_ACK) - 1 && memcmp(msg, CONTROL_ACK, len) == 0) {
			aconn_handshake_done(ac);
			return;
		}
		if (t == CONTROL_ERR) {
			n = snprintf(ac->reason, sizeof(ac->reason), "manager error: %.*s",
			    (int)(len > 120 ? 120 : len), msg);
			(void)n;
			aconn_close(ac, ac->reason);
			return;
		}
		log_debug("agent %s: ignoring message before the ack: %.*s", ac->key.id,
		    (int)(len > 80 ? 80 : len), msg);
		return;
	}
	/* ACONN_UP */
	if (len == sizeof(CONTROL_ACK) - 1 && memcmp(msg, CONTROL_ACK, len) == 0) {
		ac->last_ack_ms = aconn_now_ms();
		return;
	}
	if (t == CONTROL_EXECD && control_is_restart(msg, len)) {
		ac->cb->restart(ac, msg, len, ac->arg);
		return;
	}
	if (len == sizeof(CONTROL_FORCE_RECONNECT_MSG) - 1 &&
	    memcmp(msg, CONTROL_FORCE_RECONNECT_MSG, len) == 0) {
		if (ac->cb->reconnect != NULL)
			ac->cb->reconnect(ac, ac->arg);
		else
			aconn_close(ac, "force_reconnect from manager");
		return;
	}
	if (t == CONTROL_ERR)
		log_warnx("agent %s: manager error: %.*s", ac->key.id, (int)(len > 200 ? 200 : len), msg);
	if (ac->cb->message != NULL)
		ac->cb->message(ac, msg, len, ac->arg);
}

static void
aconn_readcb(struct bufferevent *bev, void *arg)
{
	struct aconn *ac = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	const uint8_t *p, *payload, *ct;
	char id[SECMSG_ID_MAX + 1];
	unsigned int gen = ac->gen;
	size_t avail, plen, ctlen;
	struct secmsg m;
	ssize_t n;

	for (;;) {
		avail = evbuffer_get_length(in);
		if (avail < 4)
			return;
		if ((p = evbuffer_pullup(in, 4)) == NULL) {
			aconn_close(ac, "out of memory");
			return;
		}
		n = frame_decode(p, 4, &payload, &plen);
		if (n == -2) {
			/* frame_decode checked the length against FRAME_MAX */
			uint32_t flen = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
			    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;

			if (avail < 4 + (size_t)flen)
				return;
			if ((p = evbuffer_pullup(in, 4 + (ssize_t)flen)) == NULL) {
				aconn_close(ac, "out of memory");
				return;
			}
			n = frame_decode(p, 4 + (size_t)flen, &payload, &plen);
		}
		if (n < 0) {
			aconn_close(ac, "invalid frame from manager");
			return;
		}
		if (secmsg_split(payload, plen, id, &ct, &ctlen) == -1 ||
		    secmsg_decode(ac->enc_key, ct, ctlen, aconn_work, sizeof(aconn_work), &m) == -1) {
			aconn_close(ac, "cannot decrypt message from manager (wrong key?)");
			return;
		}
		aconn_dispatch(ac, m.msg, m.msglen);
		if (ac->gen != gen)
			return;   /* closed inside: bev and its buffers are gone */
		evbuffer_drain(in, (size_t)n);
	}
}

/* Write callback while closing: the shutdown message has left. */
static void
aconn_drainedcb(struct bufferevent *bev, void *arg)
{
	struct aconn *ac = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		aconn_close(ac, "shutdown");
}

static void
aconn_note_local(struct aconn *ac)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd = bufferevent_getfd(ac->bev);

	ac->local_ip[0] = '\0';
	if (fd == -1 || getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ac->local_ip,
		    sizeof(ac->local_ip));
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ac->local_ip,
		    sizeof(ac->local_ip));
}

static void
aconn_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct aconn *ac = arg;
	int err;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		ac->state = ACONN_HANDSHAKE;
		aconn_note_local(ac);
		evtimer_del(ac->timer);
		aconn_arm(ac, ac->conf->handshake_ms);
		aconn_send_startup(ac);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		aconn_close(ac, ac->state == ACONN_CLOSING ? "shutdown" : "connection closed by manager");
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		err = EVUTIL_SOCKET_ERROR();
		snprintf(ac->reason, sizeof(ac->reason), "%s: %s",
		    ac->state == ACONN_CONNECTING ? "connect" : "connection",
		    err != 0 ? evutil_socket_error_to_string(err) : "error");
		aconn_close(ac, ac->reason);
	}
}

static void
aconn_timercb(evutil_socket_t fd, short what, void *arg)
{
	struct aconn *ac = arg;
	uint64_t now, limit;

	(void)fd;
	(void)what;
	switch (ac->state) {
	case ACONN_IDLE:
		return;
	case ACONN_CONNECTING:
		aconn_close(ac, "connect timeout");
		return;
	case ACONN_HANDSHAKE:
		aconn_close(ac, "no ack to startup");
		return;
	case ACONN_CLOSING:
		aconn_close(ac, "shutdown");
		return;
	case ACONN_UP:
		now = aconn_now_ms();
		limit = (uint64_t)ac->conf->keepalive_ms * ac->conf->ack_misses;
		if (now - ac->last_ack_ms >= limit) {
			snprintf(ac->reason, sizeof(ac->reason), "no ack from manager for %llu ms",
			    (unsigned long long)(now - ac->last_ack_ms));
			aconn_close(ac, ac->reason);
			return;
		}
		aconn_send_keepalive(ac);
		aconn_arm(ac, aconn_next_keepalive_ms(ac));
		return;
	}
}

int
aconn_connect(struct aconn *ac, const struct sockaddr *sa, socklen_t salen)
{
	if (ac->state != ACONN_IDLE || !ac->has_key) {
		errno = EINVAL;
		return -1;
	}
	ac->bev = bufferevent_socket_new(ac->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (ac->bev == NULL)
		return -1;
	bufferevent_setcb(ac->bev, aconn_readcb, NULL, aconn_eventcb, ac);
	if (bufferevent_socket_connect(ac->bev, sa, (int)salen) == -1) {
		int saved = errno;

		bufferevent_free(ac->bev);
		ac->bev = NULL;
		errno = saved;
		return -1;
	}
	bufferevent_enable(ac->bev, EV_READ);
	if (ac->conf->counter_mode == ACONN_COUNTER_RESET)
		ac->global = ac->local = 0;
	ac->state = ACONN_CONNECTING;
	ac->reason[0] = '\0';
	aconn_arm(ac, ac->conf->connect_ms);
	return 0;
}

void
aconn_shutdown(struct aconn *ac)
{
	switch (ac->state) {
	case ACONN_IDLE:
	case ACONN_CLOSING:
		return;
	case ACONN_CONNECTING:
		aconn_close(ac, "shutdown");
		return;
	case ACONN_HANDSHAKE:
	case ACONN_UP:
		break;
	}
	if (aconn_send(ac, CONTROL_SHUTDOWN_MSG, sizeof(CONTROL_SHUTDOWN_MSG) - 1) == -1) {
		aconn_close(ac, "shutdown");
		return;
	}
	if (ac->state == ACONN_HANDSHAKE)
		ac->last_ack_ms = 0;
	ac->state = ACONN_CLOSING;
	bufferevent_setcb(ac->bev, aconn_readcb, aconn_drainedcb, aconn_eventcb, ac);
	evtimer_del(ac->timer);
	aconn_arm(ac, ACONN_FLUSH_MS);
}
