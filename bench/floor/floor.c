/*
 * floor — the physical floor of command dispatch: one process holds N established loopback
 * connections and writes one small message to each; another holds the other ends and
 * records when each message has fully arrived.  Nothing between the two but the kernel.
 *
 *   floor serve   --listen 127.0.0.1:PORT  --conns N [--size 200]
 *   floor clients --connect 127.0.0.1:PORT --conns N [--size 200]
 *
 * Both print "ready" when they hold all N connections.  The server then writes one message
 * to every connection for each "go" line on stdin and prints
 *   {"round":k,"n":N,"write_start_us":..,"write_end_us":..,"errors":e}
 * The clients print one line per round when all N messages have arrived (see bench.h).
 * Both exit on EOF on stdin.  Times are CLOCK_REALTIME microseconds.
 *
 * The floor of keepalives: servers that answer each small framed message with a small ack.
 *
 *   floor echo-serve   --listen 127.0.0.1:PORT  --conns N [--ack 105]
 *   floor echo-clients --connect 127.0.0.1:PORT --conns N [--size 334] [--interval-ms 10000]
 *
 * Messages are Wazuh agent frames (src/proto/frame.h: a 4-byte length, then the payload);
 * --size and --ack count the whole frame.  The clients send one message per connection per
 * interval, spread evenly over it (message k goes to connection k mod N at k * interval / N
 * from "ready"), and read the acks; the server answers every whole message with one ack and
 * does nothing else.  Both print "ready" when they hold all N connections, and for each
 * "stats" line on stdin and at exit
 *   {"mode":"echo-serve","conns":N,"frames_in":..,"frames_out":..,"closed":..}
 * (frames_in: messages the server has read, or acks the clients have read).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "lib/log.h"
#include "proto/frame.h"

/* Connections a process may hold: a 20,000-descriptor limit less a margin. */
#define FLOOR_MAX_CONNS 19500
/* Connects in flight at once, so that the server's accept queue never overflows. */
#define FLOOR_CONNECT_WINDOW 256
#define FLOOR_CONNECT_TRIES 1000
#define FLOOR_EVENTS 1024
/* Bytes one read takes from a connection. */
#define FLOOR_READ 16384

/* Echo defaults: a vigil-sim keepalive and Vigil's ack on the wire, frame headers included
 * (stored zlib, AES-CBC; measured with ss -ti on a worker's agent sockets, bench/README.md). */
#define FLOOR_ECHO_SIZE 334
#define FLOOR_ECHO_ACK 105
#define FLOOR_ECHO_INTERVAL_MS 10000

/* epoll tags: connections are tagged with their index, the rest above any index */
#define FLOOR_TAG_STDIN ((uint64_t)1 << 40)
#define FLOOR_TAG_LISTEN (FLOOR_TAG_STDIN + 1)

/* FLOOR_BLOCKED: established, and its socket was full: watched for writing too (echo) */
enum floor_state { FLOOR_IDLE, FLOOR_CONNECTING, FLOOR_ESTABLISHED, FLOOR_BLOCKED };

struct floor_conn {
	int fd;
	int state;
	unsigned tries;
	size_t off; /* bytes of the current message written (serve, echo) or read (clients) */
	char hdr[BENCH_MSG_HDR];
	size_t owed;     /* echo: messages still to write, the current one included */
	uint8_t *carry;  /* echo: the start of a frame that has not fully arrived, or NULL */
	size_t carrylen;
};

struct floor {
	const char *mode;
	struct floor_conn *conns;
	size_t n;
	size_t msglen; /* the message this process writes */
	int ep;
	char line[256];
	size_t linelen;
	uint8_t *out;         /* echo: the frame this process writes, msglen bytes */
	uint64_t interval_us; /* echo-clients: one message per connection per interval */
	uint64_t frames_in;
	uint64_t frames_out;
	size_t closed;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: floor serve --listen A:PORT --conns N [--size BYTES]\n"
	                "       floor clients --connect A:PORT --conns N [--size BYTES]\n"
	                "       floor echo-serve --listen A:PORT --conns N [--ack BYTES]\n"
	                "       floor echo-clients --connect A:PORT --conns N [--size BYTES]\n"
	                "                          [--interval-ms MS]\n");
	exit(2);
}

static void
ep_ctl(int ep, int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = tag;
	if (epoll_ctl(ep, op, fd, &ev) == -1)
		fatal("epoll_ctl op %d fd %d", op, fd);
}

/* epoll_wait for up to FLOOR_EVENTS events; an interrupted wait returns 0 events. */
static int
ep_wait(int ep, struct epoll_event *evs, int timeout_ms)
{
	int nev = epoll_wait(ep, evs, FLOOR_EVENTS, timeout_ms);

	if (nev == -1) {
		if (errno != EINTR)
			fatal("epoll_wait");
		return 0;
	}
	return nev;
}

/*
 * Reads what stdin has and returns the number of complete lines in it that are cmd ("go",
 * "stats"; NULL for none), or -1 at EOF.  Other lines are logged and ignored.
 */
static int
stdin_read(struct floor *f, const char *cmd)
{
	char buf[4096];
	ssize_t r;
	int n = 0;
	size_t i;

	r = read(0, buf, sizeof(buf));
	if (r == 0)
		return -1;
	if (r == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		fatal("read stdin");
	}
	for (i = 0; i < (size_t)r; i++) {
		if (buf[i] != '\n') {
			if (f->linelen < sizeof(f->line) - 1)
				f->line[f->linelen++] = buf[i];
			continue;
		}
		f->line[f->linelen] = '\0';
		if (cmd != NULL && strcmp(f->line, cmd) == 0)
			n++;
		else if (f->linelen > 0)
			log_warnx("stdin: unknown command \"%s\"", f->line);
		f->linelen = 0;
	}
	return n;
}

/* Parses "A.B.C.D:PORT" into sa; a bad address is a start-up error. */
static void
sockaddr_of(const char *addr, struct sockaddr_in *sa)
{
	char host[64];
	int port;

	if (bench_parse_hostport(addr, host, sizeof(host), &port) == -1)
		fatalx("bad address %s", addr);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &sa->sin_addr);
}

/* Listens on addr and watches the listener and stdin in f->ep; returns the listener. */
static int
serve_listen(struct floor *f, const char *addr)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	sockaddr_of(addr, &sa);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		fatal("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		fatal("SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		fatal("bind %s", addr);
	if (listen(fd, SOMAXCONN) == -1)
		fatal("listen %s", addr);
	ep_ctl(f->ep, EPOLL_CTL_ADD, 0, EPOLLIN, FLOOR_TAG_STDIN);
	ep_ctl(f->ep, EPOLL_CTL_ADD, fd, EPOLLIN, FLOOR_TAG_LISTEN);
	return fd;
}

/*
 * Accepts until the queue is empty or N are held; returns how many are held.  With watch,
 * each new connection joins f->ep for reading.  Once N are held the listener is closed and
 * "ready" printed.
 */
static size_t
serve_accept(struct floor *f, int lfd, size_t held, int watch)
{
	int fd, one = 1;

	while (held < f->n) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				/* out of descriptors: pause accepting for a moment */
				log_warn("accept");
				usleep(100000);
			} else if (errno != EAGAIN) {
				fatal("accept");
			}
			break;
		}
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
			log_warn("TCP_NODELAY");
		f->conns[held].fd = fd;
		f->conns[held].state = FLOOR_ESTABLISHED;
		if (watch)
			ep_ctl(f->ep, EPOLL_CTL_ADD, fd, EPOLLIN, held);
		if (++held == f->n) {
			close(lfd);
			bench_ready();
		}
	}
	return held;
}

/* Closes c for good (its epoll registrations go with the descriptor). */
static void
conn_close(struct floor *f, struct floor_conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->state = FLOOR_IDLE;
	free(c->carry);
	c->carry = NULL;
	c->carrylen = 0;
	f->closed++;
}

/* Writes what is left of the message to c: 0 when all of it is out, 1 if the socket is
 * full, -1 on error (the connection is then closed). */
static int
conn_write(struct floor *f, struct floor_conn *c, const void *msg)
{
	ssize_t w;

	while (c->off < f->msglen) {
		w = send(c->fd, (const char *)msg + c->off, f->msglen - c->off,
		         MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 1;
			log_warn("connection %zu: send", (size_t)(c - f->conns));
			conn_close(f, c);
			return -1;
		}
		c->off += (size_t)w;
	}
	return 0;
}

/*
 * One round: the message goes to every connection in one pass; connections whose socket
 * was full are finished from a second epoll set that holds only them (stdin stays out of
 * it, so a early "go" cannot spin the loop).
 */
static void
serve_round(struct floor *f, unsigned k, char *msg)
{
	struct epoll_event evs[FLOOR_EVENTS];
	uint64_t start, end;
	size_t i, pending = 0, errors = 0;
	int wep, nev, e, r;

	bench_msg_fill(msg, f->msglen, k);
	wep = epoll_create1(EPOLL_CLOEXEC);
	if (wep == -1)
		fatal("epoll_create1");
	start = bench_now_us();
	for (i = 0; i < f->n; i++) {
		struct floor_conn *c = &f->conns[i];

		if (c->fd == -1) {
			errors++;
			continue;
		}
		c->off = 0;
		r = conn_write(f, c, msg);
		if (r == 1) {
			ep_ctl(wep, EPOLL_CTL_ADD, c->fd, EPOLLOUT, i);
			pending++;
		} else if (r == -1) {
			errors++;
		}
	}
	while (pending > 0) {
		nev = ep_wait(wep, evs, -1);
		for (e = 0; e < nev; e++) {
			struct floor_conn *c = &f->conns[evs[e].data.u64];
			int fd = c->fd;

			r = conn_write(f, c, msg);
			if (r == 1)
				continue;
			if (r == 0)
				ep_ctl(wep, EPOLL_CTL_DEL, fd, 0, 0);
			else
				errors++;
			pending--;
		}
	}
	end = bench_now_us();
	close(wep);
	printf("{\"round\":%u,\"n\":%zu,\"write_start_us\":%" PRIu64 ",\"write_end_us\":%" PRIu64
	       ",\"errors\":%zu}\n",
	       k, f->n, start, end, errors);
	fflush(stdout);
}

static int
serve_main(struct floor *f, const char *addr)
{
	struct epoll_event evs[FLOOR_EVENTS];
	char *msg;
	size_t held = 0;
	unsigned k = 0;
	int lfd, nev, e, gos;

	msg = malloc(f->msglen);
	if (msg == NULL)
		fatal("malloc");
	lfd = serve_listen(f, addr);
	for (;;) {
		nev = ep_wait(f->ep, evs, -1);
		for (e = 0; e < nev; e++) {
			if (evs[e].data.u64 == FLOOR_TAG_LISTEN) {
				held = serve_accept(f, lfd, held, 0);
				continue;
			}
			gos = stdin_read(f, "go");
			if (gos == -1)
				goto out;
			while (gos-- > 0) {
				if (held < f->n) {
					log_warnx("go before ready (%zu of %zu held); ignored",
					          held, f->n);
					continue;
				}
				serve_round(f, ++k, msg);
			}
		}
	}
out:
	free(msg);
	return 0;
}

/* Starts a non-blocking connect for c: 0 if under way or done, -1 to retry later. */
static int
client_connect(struct floor *f, struct floor_conn *c, const struct sockaddr_in *sa)
{
	size_t i = (size_t)(c - f->conns);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		fatal("socket (connection %zu)", i);
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
		c->fd = fd;
		c->state = FLOOR_ESTABLISHED;
		ep_ctl(f->ep, EPOLL_CTL_ADD, fd, EPOLLIN, i);
		return 0;
	}
	if (errno == EINPROGRESS) {
		c->fd = fd;
		c->state = FLOOR_CONNECTING;
		ep_ctl(f->ep, EPOLL_CTL_ADD, fd, EPOLLOUT, i);
		return 0;
	}
	if (++c->tries >= FLOOR_CONNECT_TRIES)
		fatal("connection %zu: connect", i);
	close(fd);
	return -1;
}

/* Takes in what arrived on an established connection; a message is complete when all
 * msglen bytes are in, and that moment is its arrival time. */
static void
client_read(struct floor *f, struct floor_conn *c, struct bench_round *round)
{
	char buf[16384];
	size_t i = (size_t)(c - f->conns), p, take;
	ssize_t r;

	for (;;) {
		r = read(c->fd, buf, sizeof(buf));
		if (r == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			fatal("connection %zu: read", i);
		}
		if (r == 0)
			fatalx("connection %zu: closed by the server", i);
		for (p = 0; p < (size_t)r; p += take) {
			take = f->msglen - c->off;
			if (take > (size_t)r - p)
				take = (size_t)r - p;
			if (c->off < BENCH_MSG_HDR) {
				size_t h = BENCH_MSG_HDR - c->off;

				memcpy(c->hdr + c->off, buf + p, h < take ? h : take);
			}
			c->off += take;
			if (c->off == f->msglen) {
				long k = bench_msg_round(c->hdr, sizeof(c->hdr));

				if (k == -1)
					fatalx("connection %zu: not a bench message", i);
				bench_round_arrive(round, i, k, bench_now_us());
				c->off = 0;
			}
		}
	}
}

/*
 * Opens all N connections, FLOOR_CONNECT_WINDOW connects in flight at once, and watches
 * each established one for reading.  0 when all N are established, -1 at EOF on stdin.
 * Nothing arrives on them before then: the servers write only once the driver has seen
 * both sides ready, or in answer to the clients.
 */
static int
clients_connect(struct floor *f, const struct sockaddr_in *sa)
{
	struct epoll_event evs[FLOOR_EVENTS];
	size_t next = 0, inflight = 0, established = 0, *retry, nretry = 0;
	int nev, e, err, rc = -1;
	socklen_t len;

	retry = calloc(f->n, sizeof(*retry));
	if (retry == NULL)
		fatal("calloc");
	while (established < f->n) {
		/* keep FLOOR_CONNECT_WINDOW connects in flight, retries first */
		while (established + inflight < f->n && inflight < FLOOR_CONNECT_WINDOW) {
			size_t i;

			if (nretry > 0)
				i = retry[--nretry];
			else if (next < f->n)
				i = next++;
			else
				break;
			if (client_connect(f, &f->conns[i], sa) == -1) {
				retry[nretry++] = i;
				break;
			}
			if (f->conns[i].state == FLOOR_ESTABLISHED)
				established++;
			else
				inflight++;
		}
		if (established == f->n)
			break;
		nev = ep_wait(f->ep, evs, nretry > 0 ? 10 : -1);
		for (e = 0; e < nev; e++) {
			struct floor_conn *c;

			if (evs[e].data.u64 == FLOOR_TAG_STDIN) {
				if (stdin_read(f, NULL) == -1)
					goto out;
				continue;
			}
			c = &f->conns[evs[e].data.u64];
			if (c->state != FLOOR_CONNECTING)
				continue;
			inflight--;
			err = 0;
			len = sizeof(err);
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
				fatal("getsockopt SO_ERROR");
			if (err != 0) {
				ep_ctl(f->ep, EPOLL_CTL_DEL, c->fd, 0, 0);
				close(c->fd);
				c->fd = -1;
				c->state = FLOOR_IDLE;
				if (++c->tries >= FLOOR_CONNECT_TRIES)
					fatalx("connection %zu: connect: %s",
					       (size_t)evs[e].data.u64, strerror(err));
				retry[nretry++] = evs[e].data.u64;
				continue;
			}
			c->state = FLOOR_ESTABLISHED;
			ep_ctl(f->ep, EPOLL_CTL_MOD, c->fd, EPOLLIN, evs[e].data.u64);
			established++;
		}
	}
	rc = 0;
out:
	free(retry);
	return rc;
}

static int
clients_main(struct floor *f, const char *addr)
{
	struct epoll_event evs[FLOOR_EVENTS];
	struct bench_round *round;
	struct sockaddr_in sa;
	int nev, e;

	sockaddr_of(addr, &sa);
	round = bench_round_new(f->n);
	if (round == NULL)
		fatal("calloc");
	ep_ctl(f->ep, EPOLL_CTL_ADD, 0, EPOLLIN, FLOOR_TAG_STDIN);
	if (clients_connect(f, &sa) == -1)
		goto out;
	bench_ready();
	for (;;) {
		nev = ep_wait(f->ep, evs, -1);
		for (e = 0; e < nev; e++) {
			if (evs[e].data.u64 == FLOOR_TAG_STDIN) {
				if (stdin_read(f, NULL) == -1)
					goto out;
				continue;
			}
			client_read(f, &f->conns[evs[e].data.u64], round);
		}
	}
out:
	bench_round_free(round);
	return 0;
}

/* Prints the echo counters as one JSON line. */
static void
echo_stats(const struct floor *f)
{
	printf("{\"mode\":\"%s\",\"conns\":%zu,\"frames_in\":%" PRIu64 ",\"frames_out\":%" PRIu64
	       ",\"closed\":%zu}\n",
	       f->mode, f->n, f->frames_in, f->frames_out, f->closed);
	fflush(stdout);
}

/* Answers the "stats" lines on stdin; -1 at EOF. */
static int
echo_stdin(struct floor *f)
{
	int n = stdin_read(f, "stats");

	if (n == -1)
		return -1;
	while (n-- > 0)
		echo_stats(f);
	return 0;
}

/*
 * One read from c: returns the number of whole frames it completed (frame_decode), keeping
 * the start of an incomplete one for the next read, or -1 if c was closed: by its peer, on
 * an error or on a bad frame length.
 */
static long
echo_read(struct floor *f, struct floor_conn *c)
{
	static uint8_t buf[FRAME_MAX + 4 + FLOOR_READ];
	const uint8_t *payload;
	size_t len, p = 0, plen;
	ssize_t r, n;
	long frames = 0;

	if (c->carrylen > 0)
		memcpy(buf, c->carry, c->carrylen);
	r = read(c->fd, buf + c->carrylen, FLOOR_READ);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0) {
		/* the peer going away is how a run ends; anything else is worth a line */
		if (r == -1 && errno != ECONNRESET)
			log_warn("connection %zu: read", (size_t)(c - f->conns));
		conn_close(f, c);
		return -1;
	}
	len = c->carrylen + (size_t)r;
	while ((n = frame_decode(buf + p, len - p, &payload, &plen)) > 0) {
		p += (size_t)n;
		frames++;
	}
	if (n == -1) {
		log_warnx("connection %zu: bad frame length", (size_t)(c - f->conns));
		conn_close(f, c);
		return -1;
	}
	c->carrylen = len - p;
	if (c->carrylen > 0) {
		uint8_t *carry = realloc(c->carry, c->carrylen);

		if (carry == NULL) {
			log_warn("connection %zu: realloc", (size_t)(c - f->conns));
			conn_close(f, c);
			return -1;
		}
		memcpy(carry, buf + p, c->carrylen);
		c->carry = carry;
	}
	return frames;
}

/* Writes what c owes; watches it for writing while its socket is full, and only then. */
static void
echo_flush(struct floor *f, struct floor_conn *c)
{
	uint64_t tag = (uint64_t)(c - f->conns);
	int r = 0;

	while (c->owed > 0 && (r = conn_write(f, c, f->out)) == 0) {
		c->off = 0;
		c->owed--;
		f->frames_out++;
	}
	if (r == 1 && c->state == FLOOR_ESTABLISHED) {
		ep_ctl(f->ep, EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLOUT, tag);
		c->state = FLOOR_BLOCKED;
	} else if (r == 0 && c->state == FLOOR_BLOCKED) {
		ep_ctl(f->ep, EPOLL_CTL_MOD, c->fd, EPOLLIN, tag);
		c->state = FLOOR_ESTABLISHED;
	}
}

/* An event on an echo connection: takes in what arrived (with answer, one ack is owed for
 * each message) and writes what is owed. */
static void
echo_event(struct floor *f, struct floor_conn *c, uint32_t events, int answer)
{
	long k;

	if (c->fd == -1)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		if ((k = echo_read(f, c)) == -1)
			return;
		f->frames_in += (uint64_t)k;
		if (answer)
			c->owed += (size_t)k;
	}
	echo_flush(f, c);
}

/* The server: accepts N connections, then answers every message with one ack. */
static int
echo_serve_main(struct floor *f, const char *addr)
{
	struct epoll_event evs[FLOOR_EVENTS];
	size_t held = 0;
	int lfd, nev, e;

	lfd = serve_listen(f, addr);
	for (;;) {
		nev = ep_wait(f->ep, evs, -1);
		for (e = 0; e < nev; e++) {
			uint64_t tag = evs[e].data.u64;

			if (tag == FLOOR_TAG_LISTEN) {
				held = serve_accept(f, lfd, held, 1);
			} else if (tag == FLOOR_TAG_STDIN) {
				if (echo_stdin(f) == -1)
					goto out;
			} else {
				echo_event(f, &f->conns[tag], evs[e].events, 1);
			}
		}
	}
out:
	echo_stats(f);
	return 0;
}

/* The clients: N connections, each sending one message per interval (see the top). */
static int
echo_clients_main(struct floor *f, const char *addr)
{
	struct epoll_event evs[FLOOR_EVENTS];
	struct sockaddr_in sa;
	uint64_t start, now, due, k = 0;
	int nev, e;

	sockaddr_of(addr, &sa);
	ep_ctl(f->ep, EPOLL_CTL_ADD, 0, EPOLLIN, FLOOR_TAG_STDIN);
	if (clients_connect(f, &sa) == -1)
		goto out;
	bench_ready();
	start = bench_now_us();
	for (;;) {
		now = bench_now_us();
		while ((due = start + k * f->interval_us / f->n) <= now) {
			struct floor_conn *c = &f->conns[k++ % f->n];

			if (c->fd != -1) {
				c->owed++;
				echo_flush(f, c);
			}
		}
		nev = ep_wait(f->ep, evs, (int)((due - now + 999) / 1000));
		for (e = 0; e < nev; e++) {
			if (evs[e].data.u64 == FLOOR_TAG_STDIN) {
				if (echo_stdin(f) == -1)
					goto out;
				continue;
			}
			echo_event(f, &f->conns[evs[e].data.u64], evs[e].events, 0);
		}
	}
out:
	echo_stats(f);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'}, {"connect", required_argument, NULL, 'c'},
		{"conns", required_argument, NULL, 'n'},  {"size", required_argument, NULL, 's'},
		{"ack", required_argument, NULL, 'a'},    {"interval-ms", required_argument, NULL, 'i'},
		{NULL, 0, NULL, 0},
	};
	static const struct {
		const char *name;
		int (*run)(struct floor *, const char *);
	} modes[] = {
		{"serve", serve_main},
		{"clients", clients_main},
		{"echo-serve", echo_serve_main},
		{"echo-clients", echo_clients_main},
	};
	struct floor f;
	const char *addr = NULL;
	int (*run)(struct floor *, const char *) = NULL;
	size_t i, size = 0, ack = FLOOR_ECHO_ACK;
	long v;
	int ch, rc;

	log_init("floor", 1);
	if (argc < 2)
		usage();
	memset(&f, 0, sizeof(f));
	f.mode = argv[1];
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(f.mode, modes[i].name) == 0)
			run = modes[i].run;
	if (run == NULL)
		usage();
	f.interval_us = FLOOR_ECHO_INTERVAL_MS * 1000u;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
		case 'c':
			addr = optarg;
			break;
		case 'n':
			if ((v = bench_parse_num(optarg, 1, FLOOR_MAX_CONNS)) == -1)
				fatalx("--conns: 1..%d", FLOOR_MAX_CONNS);
			f.n = (size_t)v;
			break;
		case 's':
			if ((v = bench_parse_num(optarg, BENCH_MSG_MIN, BENCH_MSG_MAX)) == -1)
				fatalx("--size: %d..%d", BENCH_MSG_MIN, BENCH_MSG_MAX);
			size = (size_t)v;
			break;
		case 'a':
			if ((v = bench_parse_num(optarg, BENCH_MSG_MIN, BENCH_MSG_MAX)) == -1)
				fatalx("--ack: %d..%d", BENCH_MSG_MIN, BENCH_MSG_MAX);
			ack = (size_t)v;
			break;
		case 'i':
			if ((v = bench_parse_num(optarg, 1, 3600000)) == -1)
				fatalx("--interval-ms: 1..3600000");
			f.interval_us = (uint64_t)v * 1000u;
			break;
		default:
			usage();
		}
	}
	if (addr == NULL || f.n == 0 || optind != argc)
		usage();
	if ((size_t)bench_raise_nofile() < f.n + 64)
		fatalx("RLIMIT_NOFILE is too low for %zu connections", f.n);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	f.conns = calloc(f.n, sizeof(*f.conns));
	if (f.conns == NULL)
		fatal("calloc");
	for (i = 0; i < f.n; i++)
		f.conns[i].fd = -1;
	f.ep = epoll_create1(EPOLL_CLOEXEC);
	if (f.ep == -1)
		fatal("epoll_create1");
	if (run == echo_serve_main || run == echo_clients_main) {
		/* the frame this process writes: an ack (server) or a message (clients) */
		f.msglen = run == echo_serve_main ? ack : size ? size : FLOOR_ECHO_SIZE;
		f.out = malloc(f.msglen);
		if (f.out == NULL)
			fatal("malloc");
		frame_put_header(f.out, (uint32_t)(f.msglen - 4));
		memset(f.out + 4, 'x', f.msglen - 4);
	} else {
		f.msglen = size ? size : BENCH_MSG_DEFAULT;
	}
	rc = run(&f, addr);
	for (i = 0; i < f.n; i++) {
		if (f.conns[i].fd != -1)
			close(f.conns[i].fd);
		free(f.conns[i].carry);
	}
	free(f.out);
	free(f.conns);
	close(f.ep);
	return rc;
}
