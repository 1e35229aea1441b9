/* net.c — one blocking HTTPS request over a fresh TCP connection. */
#include "ctl/net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* ssl_err: OpenSSL's first queued error as text into err (or what), and clears the queue. */
static void
ssl_err(const char *what, char *err, size_t errcap)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(err, errcap, "%s: %s", what, buf);
	} else
		snprintf(err, errcap, "%s", what);
	ERR_clear_error();
}

SSL_CTX *
net_ctx(const char *ca, char *err, size_t errcap)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		ssl_err("SSL_CTX_new", err, errcap);
		return NULL;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		ssl_err("TLS setup", err, errcap);
		goto fail;
	}
	if (ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			char what[1100];

			snprintf(what, sizeof(what), "cannot load the CA certificate %s", ca);
			ssl_err(what, err, errcap);
			goto fail;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* tcp_connect: a connected socket to host:port within timeout seconds, or -1 with err. */
static int
tcp_connect(const char *host, int port, int timeout, char *err, size_t errcap)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16];
	int fd = -1, rc, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		snprintf(err, errcap, "cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t sl = sizeof(saved);
		int flags;

		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0)) == -1) {
			saved = errno;
			continue;
		}
		flags = fcntl(fd, F_GETFL);
		(void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			goto connected;
		if (errno != EINPROGRESS) {
			saved = errno;
			goto next;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if ((rc = poll(&pfd, 1, timeout * 1000)) <= 0) {
			saved = rc == 0 ? ETIMEDOUT : errno;
			goto next;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &saved, &sl) == -1)
			saved = errno;
		if (saved == 0) {
connected:
			(void)fcntl(fd, F_SETFL, flags);
			freeaddrinfo(res);
			return fd;
		}
next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	snprintf(err, errcap, "cannot connect to %s port %d: %s", host, port, strerror(saved));
	return -1;
}

/* ssl_write_all: n bytes of buf; 0 / -1. */
static int
ssl_write_all(SSL *ssl, const char *buf, size_t n)
{
	while (n > 0) {
		size_t w = 0;

		if (SSL_write_ex(ssl, buf, n, &w) != 1)
			return -1;
		buf += w;
		n -= w;
	}
	return 0;
}

int
net_request(SSL_CTX *ctx, const struct ctl_url *u, int verify, const char *method,
    const char *target, const char *auth, int io_timeout, struct net_resp *r, char *err,
    size_t errcap)
{
	return net_request_body(ctx, u, verify, method, target, auth, NULL, 0, io_timeout, r,
	    err, errcap);
}

int
net_request_body(SSL_CTX *ctx, const struct ctl_url *u, int verify, const char *method,
    const char *target, const char *auth, const char *json, size_t json_len, int io_timeout,
    struct net_resp *r, char *err, size_t errcap)
{
	char clen[96];
	struct timeval tv = { io_timeout, 0 };
	SSL *ssl = NULL;
	char *req = NULL, *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, ret = NET_ECONN, n, hlen = -2, eof = 0;

	memset(r, 0, sizeof(*r));
	if ((fd = tcp_connect(u->host, u->port, io_timeout, err, errcap)) == -1)
		return NET_ECONN;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		ssl_err("SSL_new", err, errcap);
		ret = NET_ETLS;
		goto out;
	}
	if (!u->host_is_ip) {
		char sni[sizeof(u->host)];     /* the macro wants a non-const pointer */

		memcpy(sni, u->host, sizeof(sni));
		(void)SSL_set_tlsext_host_name(ssl, sni);
	}
	if (verify) {
		/* The certificate must name the host we asked for (its SAN). */
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);

		if ((u->host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, u->host) :
		    X509_VERIFY_PARAM_set1_host(vp, u->host, 0)) != 1) {
			ssl_err("cannot set the host to verify", err, errcap);
			ret = NET_ETLS;
			goto out;
		}
	}
	if (SSL_connect(ssl) != 1) {
		long vr = SSL_get_verify_result(ssl);

		if (verify && vr != X509_V_OK) {
			snprintf(err, errcap, "TLS: the server certificate of %s is not trusted: %s",
			    u->host, X509_verify_cert_error_string(vr));
			ERR_clear_error();
		} else
			ssl_err("TLS handshake failed", err, errcap);
		ret = NET_ETLS;
		goto out;
	}
	if (json != NULL)
		snprintf(clen, sizeof(clen), "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n", json_len);
	else
		snprintf(clen, sizeof(clen), "%s",
		    strcmp(method, "GET") != 0 ? "Content-Length: 0\r\n" : "");
	n = asprintf(&req, "%s %s%s HTTP/1.1\r\nHost: %s%s%s:%d\r\nUser-Agent: vigilctl\r\n"
	    "Accept: application/json\r\n%s%s%sConnection: close\r\n%s\r\n",
	    method, u->prefix, target, strchr(u->host, ':') ? "[" : "", u->host,
	    strchr(u->host, ':') ? "]" : "", u->port, auth ? "Authorization: " : "",
	    auth ? auth : "", auth ? "\r\n" : "", clen);
	if (n == -1) {
		req = NULL;
		snprintf(err, errcap, "out of memory");
		goto out;
	}
	if (ssl_write_all(ssl, req, (size_t)n) == -1 ||
	    (json != NULL && json_len > 0 && ssl_write_all(ssl, json, json_len) == -1)) {
		ssl_err("cannot send the request", err, errcap);
		goto out;
	}
	for (;;) {
		size_t got = 0;

		if (hlen == -2 && len > 0)
			hlen = http_parse_head(buf, len, &r->head);
		if (hlen == -1) {
			snprintf(err, errcap, "the server's answer is not valid HTTP");
			ret = NET_EPROTO;
			goto out;
		}
		if (hlen >= 0) {
			size_t blen = len - (size_t)hlen;

			if (r->head.content_length >= 0 &&
			    blen >= (size_t)r->head.content_length) {
				r->body_len = (size_t)r->head.content_length;
				break;
			}
			/* A chunked body is decoded once it may be complete: it then ends with
			 * an empty line (after the last chunk, or the trailers). */
			if (r->head.chunked && blen >= 3 && buf[len - 1] == '\n' &&
			    (buf[len - 2] == '\n' || (buf[len - 2] == '\r' && buf[len - 3] == '\n'))) {
				char *out = malloc(blen + 1);
				long long c;

				if (out == NULL) {
					snprintf(err, errcap, "out of memory");
					goto out;
				}
				c = http_dechunk(buf + hlen, blen, out, blen, &r->body_len);
				if (c >= 0)
					memcpy(buf + hlen, out, r->body_len);
				free(out);
				if (c >= 0)
					break;
				if (c == -1) {
					snprintf(err, errcap, "bad chunked body in the server's answer");
					ret = NET_EPROTO;
					goto out;
				}
			}
			if (eof) {
				if (r->head.content_length >= 0 || r->head.chunked) {
					snprintf(err, errcap, "the server closed the connection "
					    "mid-answer");
					ret = NET_EPROTO;
					goto out;
				}
				r->body_len = blen;
				break;
			}
			if (r->head.content_length > (long long)NET_MAX_BODY || blen > NET_MAX_BODY) {
				snprintf(err, errcap, "the server's answer is too large");
				ret = NET_EPROTO;
				goto out;
			}
		} else if (eof) {
			snprintf(err, errcap, "the server closed the connection without an answer");
			ret = NET_EPROTO;
			goto out;
		}
		if (cap - len < 16384) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, ncap + 1);

			if (nb == NULL) {
				snprintf(err, errcap, "out of memory");
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		errno = 0;
		if (SSL_read_ex(ssl, buf + len, cap - len, &got) != 1) {
			int e = SSL_get_error(ssl, 0);

			if (e == SSL_ERROR_ZERO_RETURN ||
			    (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0) ||
			    (e == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) ==
			    SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
				ERR_clear_error();
				eof = 1;
				continue;
			}
			if (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))
				snprintf(err, errcap, "no answer from the server within %d s",
				    io_timeout);
			else
				ssl_err("cannot read the answer", err, errcap);
			goto out;
		}
		len += got;
	}
	/* Keep only the body, NUL-terminated. */
	memmove(buf, buf + hlen, r->body_len);
	buf[r->body_len] = '\0';
	r->body = buf;
	buf = NULL;
	ret = NET_OK;
out:
	free(req);
	free(buf);
	if (ssl != NULL) {
		if (ret == NET_OK)
			(void)SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	close(fd);
	return ret;
}

void
net_resp_free(struct net_resp *r)
{
	free(r->body);
	r->body = NULL;
}
