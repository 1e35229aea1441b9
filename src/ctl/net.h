/* net.h — one blocking HTTPS request (vigilctl is a short-lived CLI). */
#ifndef VIGIL_CTL_NET_H
#define VIGIL_CTL_NET_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "ctl/conf.h"
#include "ctl/http.h"

#define NET_MAX_BODY (256u * 1024 * 1024)   /* a larger answer is refused */

enum { NET_OK = 0, NET_ECONN = -1, NET_ETLS = -2, NET_EPROTO = -3 };

struct net_resp {
	struct http_head head;
	char *body;                 /* NUL-terminated, owned by the caller (net_resp_free) */
	size_t body_len;
};

/*
 * net_ctx: a client context; ca set: the server must present a certificate
 * that chains to it (for a self-signed server the certificate itself) and
 * names the URL's host.  ca NULL: no verification (--insecure).  NULL with err.
 */
SSL_CTX *net_ctx(const char *ca, char *err, size_t errcap);

/*
 * net_request: sends "method target" (target includes the query) with the
 * Authorization header auth (may be NULL) to u over TLS, waits for the whole
 * answer (io_timeout seconds of silence at most) and parses it into r.
 * NET_OK, or NET_ECONN / NET_ETLS / NET_EPROTO with a message in err.
 */
int net_request(SSL_CTX *ctx, const struct ctl_url *u, int verify, const char *method,
    const char *target, const char *auth, int io_timeout, struct net_resp *r, char *err,
    size_t errcap);

/* net_request_body: the same with a JSON body of json_len bytes (NULL: none). */
int net_request_body(SSL_CTX *ctx, const struct ctl_url *u, int verify, const char *method,
    const char *target, const char *auth, const char *json, size_t json_len, int io_timeout,
    struct net_resp *r, char *err, size_t errcap);

void net_resp_free(struct net_resp *r);

#endif
