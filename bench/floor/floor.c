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

/* Connections a process may hold: a 20,000-descriptor limit less a margin. */
#define FLOOR_MAX_CONNS 19500
/* Connects in flight at once, so that the server's accept queue never overflows. */
#define FLOOR_CONNECT_WINDOW 256
#define FLOOR_CONNECT_TRIES 1000
#define FLOOR_EVENTS 1024

/* epoll tags: connections are tagged with their index, the rest above any index */
#define FLOOR_TAG_STDIN ((uint64_t)1 << 40)
#define FLOOR_TAG_LISTEN (FLOOR_TAG_STDIN + 1)

enum floor_state { FLOOR_IDLE, FLOOR_CONNECTING, FLOOR_ESTABLISHED };

struct floor_conn {
	int fd;
	int state;
	unsigned tries;
	size_t off; /* bytes of the current message written (serve) or read (clients) */
	char hdr[BENCH_MSG_HDR];
};

struct floor {
	struct floor_conn *conns;
	size_t n;
	size_t msglen;
	int ep;
	char line[256];
	size_t linelen;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: floor serve --listen A:PORT --conns N [--size BYTES]\n"
	                "       floor clients --connect A:PORT --conns N [--size BYTES]\n");
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

static int
listen_on(const char *addr)
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
	return fd;
}

/* Accepts until the queue is empty or N are held; returns how many are held. */
static size_t
serve_accept(struct floor *f, int lfd, size_t held)
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
		held++;
	}
	return held;
}

/* Writes what is left of the message to c: 0 when all of it is out, 1 if the socket is
 * full, -1 on error (the connection is then closed). */
static int
serve_write(struct floor *f, struct floor_conn *c, const char *msg)
{
	ssize_t w;

	while (c->off < f->msglen) {
		w = send(c->fd, msg + c->off, f->msglen - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 1;
			log_warn("connection %zu: send", (size_t)(c - f->conns));
			close(c->fd);
			c->fd = -1;
			c->state = FLOOR_IDLE;
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
		r = serve_write(f, c, msg);
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

			r = serve_write(f, c, msg);
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
	lfd = listen_on(addr);
	ep_ctl(f->ep, EPOLL_CTL_ADD, 0, EPOLLIN, FLOOR_TAG_STDIN);
	ep_ctl(f->ep, EPOLL_CTL_ADD, lfd, EPOLLIN, FLOOR_TAG_LISTEN);
	for (;;) {
		nev = ep_wait(f->ep, evs, -1);
		for (e = 0; e < nev; e++) {
			if (evs[e].data.u64 == FLOOR_TAG_LISTEN) {
				held = serve_accept(f, lfd, held);
				if (held == f->n) {
					close(lfd);
					bench_ready();
				}
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

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'}, {"connect", required_argument, NULL, 'c'},
		{"conns", required_argument, NULL, 'n'},  {"size", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	struct floor f;
	const char *mode, *addr = NULL;
	long v;
	size_t i;
	int ch, rc;

	log_init("floor", 1);
	if (argc < 2)
		usage();
	mode = argv[1];
	memset(&f, 0, sizeof(f));
	f.msglen = BENCH_MSG_DEFAULT;
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
			f.msglen = (size_t)v;
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
	if (strcmp(mode, "serve") == 0)
		rc = serve_main(&f, addr);
	else if (strcmp(mode, "clients") == 0)
		rc = clients_main(&f, addr);
	else
		usage();
	for (i = 0; i < f.n; i++)
		if (f.conns[i].fd != -1)
			close(f.conns[i].fd);
	free(f.conns);
	close(f.ep);
	return rc;
}
