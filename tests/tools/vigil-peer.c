/* vigil-peer.c — a real cluster peer for system tests, to play a hostile or buggy worker.
 *
 *   vigil-peer --master HOST:PORT --cluster-key FILE --name NODE [--proto N]
 *       [--wait-ms MS] [--answer-restart CODES] [--send TYPE JSON]...
 *
 * It joins like a vigild worker (TLS 1.3 PSK, identity NODE, then hello), sends
 * each --send frame in order, with the body verbatim so that malformed bodies
 * reach the master, and prints every frame it receives as "<type> <json>", one
 * line each.  It answers ping with pong, and each restart frame with a result
 * of the codes CODES (a JSON array, verbatim: a buggy worker's answer) when
 * --answer-restart is given.  It stops wait-ms after the last send
 * or when the link closes ("closed: <reason>").  Exit 0 once the master's hello
 * arrived, 1 otherwise.  Blocking in poll() only, so a test can bound its run.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "lib/log.h"
#include "lib/tls_psk.h"
#include "proto/cmsg.h"

#define PEER_HANDSHAKE_MS 10000   /* connect, TLS and the master's hello together */
#define PEER_SENDS_MAX 256

struct link {
	int fd;
	SSL *ssl;
	uint8_t *in;                 /* received, not yet decoded */
	size_t inlen, incap;
	char why[160];               /* why the link closed, once it has */
};

struct send {
	int type;
	const char *body;
};

static const char *answer_codes;   /* --answer-restart: the result's codes, verbatim */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: vigil-peer --master HOST:PORT --cluster-key FILE --name NODE "
	    "[--proto N] [--wait-ms MS] [--answer-restart CODES] [--send TYPE JSON]...\n");
	exit(1);
}

/* parse_type: a frame name ("updates") or any number 0..255, so unknown types can be sent. */
static int
parse_type(const char *s)
{
	char *end;
	long v;
	int t;

	for (t = CMSG_HELLO; t <= CMSG_TYPE_MAX; t++)
		if (strcmp(s, cmsg_type_name(t)) == 0)
			return t;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 255)
		return -1;
	return (int)v;
}

/* wait_io: poll fd for ev until deadline.  0 ready, -1 timed out or failed. */
static int
wait_io(int fd, short ev, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	long long left;
	int r;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return -1;
		if ((r = poll(&pfd, 1, left > 1000 ? 1000 : (int)left)) > 0)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
	}
}

/* tcp_connect: a non-blocking socket connected to HOST:PORT (IPv4, as a worker does), or -1. */
static int
tcp_connect(const char *master, long long deadline)
{
	char host[128], *colon;
	struct addrinfo hints, *ai = NULL;
	int fd = -1, err = 0, one = 1;
	socklen_t elen = sizeof(err);

	if (snprintf(host, sizeof(host), "%s", master) >= (int)sizeof(host) ||
	    (colon = strrchr(host, ':')) == NULL)
		return -1;
	*colon = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL)
		return -1;
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		goto err;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
	    (errno != EINPROGRESS || wait_io(fd, POLLOUT, deadline) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1 || err != 0)) {
		if (err != 0)
			errno = err;
		goto err;
	}
	/* small frames (pong) must not wait on Nagle, as on a worker */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	freeaddrinfo(ai);
	return fd;
err:
	log_warn("connect %s", master);
	if (fd != -1)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

/*
 * ssl_wait: after an SSL_* call returned r, waits for what OpenSSL asked for.
 * 0: call again; -1: the link is over, -2: deadline passed; l->why says why.
 */
static int
ssl_wait(struct link *l, int r, long long deadline)
{
	int e = SSL_get_error(l->ssl, r);
	unsigned long ec = ERR_peek_error();

	if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
	    wait_io(l->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) == 0)
		return 0;
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		snprintf(l->why, sizeof(l->why), "timed out");
		return -2;
	}
	if (e == SSL_ERROR_ZERO_RETURN)
		snprintf(l->why, sizeof(l->why), "close_notify from the master");
	else if (e == SSL_ERROR_SSL && ERR_GET_REASON(ec) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		snprintf(l->why, sizeof(l->why), "EOF without close_notify");
	else if (e == SSL_ERROR_SSL)
		ERR_error_string_n(ec, l->why, sizeof(l->why));
	else
		snprintf(l->why, sizeof(l->why), "%s", errno != 0 ? strerror(errno) : "EOF");
	ERR_clear_error();
	return -1;
}

/* send_frame: length, type byte and body, the body verbatim.  0 / -1 (l->why). */
static int
send_frame(struct link *l, int type, const char *body, long long deadline)
{
	size_t blen = strlen(body);
	uint8_t *f;
	int r;

	if (blen > CMSG_MAX * 2u || (f = malloc(5 + blen)) == NULL) {
		snprintf(l->why, sizeof(l->why), "frame body too large to send");
		return -1;
	}
	f[0] = (uint8_t)((blen + 1) >> 24);
	f[1] = (uint8_t)((blen + 1) >> 16);
	f[2] = (uint8_t)((blen + 1) >> 8);
	f[3] = (uint8_t)(blen + 1);
	f[4] = (uint8_t)type;
	memcpy(f + 5, body, blen);
	/* without partial writes SSL_write takes all or nothing; retry with the same buffer */
	while ((r = SSL_write(l->ssl, f, (int)(5 + blen))) <= 0)
		if (ssl_wait(l, r, deadline) < 0)
			break;
	free(f);
	return r > 0 ? 0 : -1;
}

/*
 * next_frame: decodes, prints and answers the frames received until deadline,
 * and returns the type of the first (1 or more), 0 when deadline passed
 * first, -1 when the link closed (l->why).  The caller decides what one means.
 */
static int
next_frame(struct link *l, long long deadline)
{
	json_t *body;
	json_int_t req;
	char *s;
	ssize_t used;
	int type, r;

	for (;;) {
		used = cmsg_decode(l->in, l->inlen, &type, &body);
		if (used == -1) {
			snprintf(l->why, sizeof(l->why), "malformed frame from the master");
			return -1;
		}
		if (used > 0)
			break;
		if (l->incap - l->inlen < 16384) {
			uint8_t *p;

			if (l->incap > CMSG_MAX * 2u ||
			    (p = realloc(l->in, l->incap + 65536)) == NULL) {
				snprintf(l->why, sizeof(l->why), "out of memory");
				return -1;
			}
			l->in = p;
			l->incap += 65536;
		}
		errno = 0;
		r = SSL_read(l->ssl, l->in + l->inlen, (int)(l->incap - l->inlen));
		if (r > 0)
			l->inlen += (size_t)r;
		else if ((r = ssl_wait(l, r, deadline)) < 0)
			return r == -2 ? 0 : -1;
	}
	s = json_dumps(body, JSON_COMPACT);
	printf("%s %s\n", cmsg_type_name(type), s != NULL ? s : "?");
	fflush(stdout);
	free(s);
	req = json_integer_value(json_object_get(body, "req"));
	json_decref(body);
	memmove(l->in, l->in + used, l->inlen - (size_t)used);
	l->inlen -= (size_t)used;
	/* the master closes a link without traffic; ours answers like a worker */
	if (type == CMSG_PING && send_frame(l, CMSG_PONG, "{}", deadline + 1000) == -1)
		return -1;
	if (type == CMSG_RESTART && answer_codes != NULL) {
		char result[4096];

		snprintf(result, sizeof(result), "{\"req\":%lld,\"codes\":%s}", (long long)req,
		    answer_codes);
		if (send_frame(l, CMSG_RESULT, result, deadline + 1000) == -1)
			return -1;
	}
	return type;
}

int
main(int argc, char *argv[])
{
	const char *master = NULL, *keyfile = NULL, *name = NULL;
	static struct send sends[PEER_SENDS_MAX];
	struct tls_psk_key key;
	struct link l = { .fd = -1 };
	SSL_CTX *ctx = NULL;
	long long deadline = now_ms() + PEER_HANDSHAKE_MS, wait_ms = 3000, proto = CMSG_PROTO_VERSION;
	char hello[256];
	int i, r, nsends = 0, joined = 0;

	log_init("vigil-peer", 0);
	signal(SIGPIPE, SIG_IGN);   /* a master that closed on us is a result, not a crash */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--send") == 0 && i + 2 < argc && nsends < PEER_SENDS_MAX) {
			if ((sends[nsends].type = parse_type(argv[i + 1])) == -1)
				usage();
			sends[nsends++].body = argv[i + 2];
			i += 2;
		} else if (i + 1 >= argc)
			usage();
		else if (strcmp(argv[i], "--master") == 0)
			master = argv[++i];
		else if (strcmp(argv[i], "--cluster-key") == 0)
			keyfile = argv[++i];
		else if (strcmp(argv[i], "--name") == 0)
			name = argv[++i];
		else if (strcmp(argv[i], "--proto") == 0)   /* any number: tests send wrong ones */
			proto = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--wait-ms") == 0)
			wait_ms = atoll(argv[++i]);
		else if (strcmp(argv[i], "--answer-restart") == 0)
			answer_codes = argv[++i];
		else
			usage();
	}
	if (master == NULL || keyfile == NULL || name == NULL || wait_ms < 0)
		usage();
	if (tls_psk_key_load(keyfile, &key) == -1 ||
	    (ctx = tls_psk_client_ctx(&key, name)) == NULL ||
	    (l.fd = tcp_connect(master, deadline)) == -1)
		goto out;
	if ((l.ssl = SSL_new(ctx)) == NULL || SSL_set_fd(l.ssl, l.fd) != 1)
		goto out;
	while ((r = SSL_connect(l.ssl)) != 1)
		if (ssl_wait(&l, r, deadline) < 0) {
			log_warnx("TLS handshake failed (wrong cluster key?): %s", l.why);
			goto out;
		}
	snprintf(hello, sizeof(hello), "{\"proto\":%lld,\"node\":\"%s\",\"role\":\"worker\"}",
	    proto, name);   /* name is a checked PSK identity: nothing to escape */
	r = send_frame(&l, CMSG_HELLO, hello, deadline) == -1 ? -1 : next_frame(&l, deadline);
	if (r != CMSG_HELLO) {
		log_warnx("no hello from the master: %s", r == 0 ? "timed out" :
		    r == CMSG_ERROR ? "it refused the link (error frame above)" :
		    r > 0 ? "it sent another frame first" : l.why);
		if (r == -1)
			printf("closed: %s\n", l.why);
		goto out;
	}
	joined = 1;
	for (i = 0; i < nsends; i++)
		if (send_frame(&l, sends[i].type, sends[i].body, now_ms() + wait_ms) == -1) {
			printf("closed: %s\n", l.why);
			goto out;
		}
	deadline = now_ms() + wait_ms;
	while ((r = next_frame(&l, deadline)) > 0)
		continue;
	if (r == -1)
		printf("closed: %s\n", l.why);
	else   /* our wait is over: close cleanly, so the master logs no error */
		SSL_shutdown(l.ssl);
out:
	fflush(stdout);
	if (l.ssl != NULL)
		SSL_free(l.ssl);
	if (l.fd != -1)
		close(l.fd);
	free(l.in);
	SSL_CTX_free(ctx);
	explicit_bzero(&key, sizeof(key));
	return joined ? 0 : 1;
}
