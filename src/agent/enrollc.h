/*
 * enrollc.h — the client side of Wazuh enrollment (authd, TLS on 1515) as a
 * non-blocking exchange on a libevent loop: one request line out, one
 * "OSSEC K:'...'" or "ERROR: ..." reply back.
 */
#ifndef VIGIL_ENROLLC_H
#define VIGIL_ENROLLC_H

#include <stddef.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "proto/enroll.h"

struct enrollc;

/*
 * Called exactly once.  r is the parsed reply (r->ok tells key or ERROR),
 * or NULL when no reply came; err then says why.  The enrollc is freed
 * right after the callback returns.
 */
typedef void enrollc_done_fn(const struct enroll_reply *r, const char *err, void *arg);

/*
 * enrollc_start: connects to sa over TLS (ctx), sends req (reqlen bytes, the
 * full line with '\n') and waits up to timeout_ms for the reply.  When ctx
 * verifies the manager (tls_client_ctx with a CA), req goes out only once
 * the manager's certificate is verified, and with host set it must also name
 * host (tls_client_expect_host); otherwise err tells why it was refused.
 * Returns the exchange (owned by itself: it frees itself after done), or
 * NULL when it could not start (no callback follows).
 */
struct enrollc *enrollc_start(struct event_base *base, SSL_CTX *ctx, const char *host,
    const struct sockaddr *sa, socklen_t salen, const char *req, size_t reqlen,
    unsigned int timeout_ms, enrollc_done_fn *done, void *arg);

/* enrollc_cancel: abandons the exchange without calling done.  NULL is a no-op. */
void enrollc_cancel(struct enrollc *e);

#endif
