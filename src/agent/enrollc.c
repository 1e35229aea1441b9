/* enrollc.c — non-blocking enrollment exchange over bufferevent_openssl. */
#include "agent/enrollc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

#include "lib/log.h"
#include "lib/tls.h"

#define ENROLLC_REPLY_MAX 8192

struct enrollc {
	struct bufferevent *bev;
	struct event *timer;
	enrollc_done_fn *done;
	void *arg;
	int connected;
};

static void
enrollc_destroy(struct enrollc *e)
{
	if (e->bev != NULL)
		bufferevent_free(e->bev);   /* frees the SSL too (BEV_OPT_CLOSE_ON_FREE) */
	if (e->timer != NULL)
		event_free(e->timer);
	free(e);
}

void
enrollc_cancel(struct enrollc *e)
{
	if (e != NULL)
		enrollc_destroy(e);
}

/* Ends the exchange: callback, then teardown. */
static void
enrollc_finish(struct enrollc *e, const struct enroll_reply *r, const char *err)
{
	enrollc_done_fn *done = e->done;
	void *arg = e->arg;

	/* the bufferevent stays alive until its running callback returns */
	enrollc_destroy(e);
	done(r, err, arg);
}

/*
 * Tries to parse what has arrived.  at_eof: the peer closed, so an
 * incomplete reply is final.  Returns 1 when the exchange ended.
 */
static int
enrollc_try(struct enrollc *e, int at_eof)
{
	struct evbuffer *in = bufferevent_get_input(e->bev);
	struct enroll_reply r;
	size_t len = evbuffer_get_length(in);
	const char *p;
	ssize_t n;

	if (len == 0) {
		if (at_eof) {
			enrollc_finish(e, NULL, "connection closed without a reply");
			return 1;
		}
		return 0;
	}
	if (len > ENROLLC_REPLY_MAX) {
		enrollc_finish(e, NULL, "reply too long");
		return 1;
	}
	p = (const char *)evbuffer_pullup(in, -1);
	memset(&r, 0, sizeof(r));
	n = enroll_parse_reply(p, len, &r);
	if (n >= 0) {
		enrollc_finish(e, &r, NULL);
		return 1;
	}
	if (n == -1) {
		enrollc_finish(e, NULL, "malformed reply");
		return 1;
	}
	if (at_eof) {
		enrollc_finish(e, NULL, "connection closed in the middle of the reply");
		return 1;
	}
	return 0;
}

static void
enrollc_readcb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	enrollc_try(arg, 0);
}

static void
enrollc_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct enrollc *e = arg;
	char msg[256];
	unsigned long sslerr;
	int err;

	if (what & BEV_EVENT_CONNECTED) {
		e->connected = 1;
		return;
	}
	if (what & BEV_EVENT_EOF) {
		enrollc_try(e, 1);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		const char *why = tls_verify_error(bufferevent_openssl_get_ssl(bev));

		sslerr = bufferevent_get_openssl_error(bev);
		err = EVUTIL_SOCKET_ERROR();
		if (why != NULL) {
			/* the request waits in the output buffer until the handshake is done */
			snprintf(msg, sizeof(msg), "TLS: cannot verify the manager's certificate: %s "
			    "(the request was not sent)", why);
		} else if (sslerr != 0) {
			char ebuf[200];

			ERR_error_string_n(sslerr, ebuf, sizeof(ebuf));
			snprintf(msg, sizeof(msg), "TLS: %s", ebuf);
		} else if (e->connected && evbuffer_get_length(bufferevent_get_input(bev)) > 0) {
			/* an abrupt close after the reply: judge what we have */
			enrollc_try(e, 1);
			return;
		} else
			snprintf(msg, sizeof(msg), "%s: %s", e->connected ? "connection" : "connect",
			    err != 0 ? evutil_socket_error_to_string(err) : "closed");
		enrollc_finish(e, NULL, msg);
	}
}

static void
enrollc_timercb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	enrollc_finish(arg, NULL, "timed out");
}

struct enrollc *
enrollc_start(struct event_base *base, SSL_CTX *ctx, const char *host, const struct sockaddr *sa,
    socklen_t salen, const char *req, size_t reqlen, unsigned int timeout_ms,
    enrollc_done_fn *done, void *arg)
{
	struct enrollc *e;
	struct timeval tv;
	SSL *ssl;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->done = done;
	e->arg = arg;
	if ((e->timer = evtimer_new(base, enrollc_timercb, e)) == NULL)
		goto err;
	if ((ssl = SSL_new(ctx)) == NULL)
		goto err;
	if (host != NULL && tls_client_expect_host(ssl, host) == -1) {
		SSL_free(ssl);
		goto err;
	}
	e->bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (e->bev == NULL) {
		SSL_free(ssl);
		goto err;
	}
	/* authd closes without close_notify; that is not an error for us */
	bufferevent_openssl_set_allow_dirty_shutdown(e->bev, 1);
	bufferevent_setcb(e->bev, enrollc_readcb, NULL, enrollc_eventcb, e);
	if (bufferevent_socket_connect(e->bev, sa, (int)salen) == -1)
		goto err;
	/* queued now, sent by the bufferevent once the TLS handshake is done */
	if (bufferevent_write(e->bev, req, reqlen) == -1)
		goto err;
	bufferevent_enable(e->bev, EV_READ | EV_WRITE);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(e->timer, &tv);
	return e;
err:
	enrollc_destroy(e);
	return NULL;
}
