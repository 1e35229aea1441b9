/* tls_pair.h — unit-test helper: two SSL ends over a non-blocking socketpair.
 * Include after <cmocka.h>, <openssl/ssl.h>, <openssl/err.h>, <sys/socket.h>, <unistd.h>. */
#ifndef VIGIL_TEST_TLS_PAIR_H
#define VIGIL_TEST_TLS_PAIR_H

/*
 * handshake: drives both ends over a non-blocking socketpair until both are
 * done or one fails.  Returns 0 when both completed.
 */
static int
handshake(SSL *c, SSL *s)
{
	int i, cd = 0, sd = 0, r, e;

	for (i = 0; i < 1000 && !(cd && sd); i++) {
		if (!cd) {
			r = SSL_connect(c);
			if (r == 1)
				cd = 1;
			else if ((e = SSL_get_error(c, r)) != SSL_ERROR_WANT_READ &&
			    e != SSL_ERROR_WANT_WRITE)
				return -1;
		}
		if (!sd) {
			r = SSL_accept(s);
			if (r == 1)
				sd = 1;
			else if ((e = SSL_get_error(s, r)) != SSL_ERROR_WANT_READ &&
			    e != SSL_ERROR_WANT_WRITE)
				return -1;
		}
	}
	return cd && sd ? 0 : -1;
}

struct pair {
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
	int fd[2];
};

static void
pair_open(struct pair *p, SSL_CTX *sctx, SSL_CTX *cctx)
{
	memset(p, 0, sizeof(*p));
	p->sctx = sctx;
	p->cctx = cctx;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->fd), 0);
	assert_non_null(p->s = SSL_new(sctx));
	assert_non_null(p->c = SSL_new(cctx));
	assert_int_equal(SSL_set_fd(p->s, p->fd[0]), 1);
	assert_int_equal(SSL_set_fd(p->c, p->fd[1]), 1);
}

static void
pair_close(struct pair *p)
{
	SSL_free(p->s);
	SSL_free(p->c);
	close(p->fd[0]);
	close(p->fd[1]);
	SSL_CTX_free(p->sctx);
	SSL_CTX_free(p->cctx);
	ERR_clear_error();
}

#endif
