/*
 * mqtt_clients — N MQTT clients in one process, the way a fleet would receive commands from
 * a broker: client i subscribes to its own topic vigil/agent/<first+i>, and the time at
 * which its message has been delivered (libmosquitto's on_message) is its arrival time.
 *
 *   mqtt_clients --connect 127.0.0.1:PORT --clients N [--first K] [--qos 0|1|2]
 *
 * All clients are driven by one epoll loop through libmosquitto's external-loop API
 * (mosquitto_socket, mosquitto_loop_read/_write/_misc, mosquitto_want_write).  Prints
 * "ready" when every SUBACK has arrived, then one JSON line per round (see bench.h).
 * Exits on EOF on stdin or SIGTERM.
 *
 * libmosquitto 2.0 opens a socket pair per client besides its socket, so a client costs
 * three descriptors: one process holds at most MQC_MAX_CLIENTS.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench.h"
#include "lib/log.h"

#define MQC_MAX_CLIENTS 6500
#define MQC_FDS_PER_CLIENT 3
/* CONNECT..SUBACK handshakes in flight at once: mosquitto listens with a backlog of 100 */
#define MQC_WINDOW 64
#define MQC_CONNECT_TRIES 500
#define MQC_KEEPALIVE 3600
#define MQC_MISC_US 5000000
#define MQC_EVENTS 1024
#define MQC_TAG_STDIN NULL

enum mqc_state { MQC_NEW, MQC_SUBSCRIBING, MQC_READY };

struct mqc_client {
	struct mosquitto *mosq;
	size_t idx;
	int fd;
	int state;
	int want_out; /* EPOLLOUT is in the epoll set */
	unsigned tries;
	char topic[64];
};

struct mqc {
	struct mqc_client *cl;
	size_t n;
	size_t first;
	int qos;
	int ep;
	size_t ready;
	size_t inflight;
	struct bench_round *round;
};

/* the callbacks get only the client; everything else is here */
static struct mqc mqc;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: mqtt_clients --connect A:PORT --clients N [--first K] [--qos Q]\n");
	exit(2);
}

static void
ep_ctl(int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = ptr;
	if (epoll_ctl(mqc.ep, op, fd, &ev) == -1)
		fatal("epoll_ctl op %d fd %d", op, fd);
}

static void
on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	struct mqc_client *c = obj;

	if (rc != 0)
		fatalx("client %zu: connect refused: %s", c->idx, mosquitto_connack_string(rc));
	rc = mosquitto_subscribe(mosq, NULL, c->topic, mqc.qos);
	if (rc != MOSQ_ERR_SUCCESS)
		fatalx("client %zu: subscribe: %s", c->idx, mosquitto_strerror(rc));
	c->state = MQC_SUBSCRIBING;
}

static void
on_subscribe(struct mosquitto *mosq, void *obj, int mid, int count, const int *granted)
{
	struct mqc_client *c = obj;

	(void)mosq;
	(void)mid;
	if (count != 1 || granted[0] > 2)
		fatalx("client %zu: subscription to %s refused", c->idx, c->topic);
	if (c->state == MQC_READY)
		return;
	c->state = MQC_READY;
	mqc.inflight--;
	if (++mqc.ready == mqc.n)
		bench_ready();
}

static void
on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *m)
{
	struct mqc_client *c = obj;
	uint64_t t = bench_now_us();
	long k;

	(void)mosq;
	k = bench_msg_round(m->payload, (size_t)m->payloadlen);
	if (k == -1) {
		log_warnx("client %zu: not a bench message on %s", c->idx, m->topic);
		return;
	}
	bench_round_arrive(mqc.round, c->idx, k, t);
}

static void
on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	struct mqc_client *c = obj;

	(void)mosq;
	fatalx("client %zu: disconnected: %s", c->idx, mosquitto_strerror(rc));
}

/* Writes what libmosquitto has queued for c and watches for writability only while some
 * of it is left. */
static void
client_flush(struct mqc_client *c)
{
	int rc, want;

	if (mosquitto_want_write(c->mosq)) {
		rc = mosquitto_loop_write(c->mosq, 1);
		if (rc != MOSQ_ERR_SUCCESS)
			fatalx("client %zu: write: %s", c->idx, mosquitto_strerror(rc));
	}
	want = mosquitto_want_write(c->mosq);
	if (want != c->want_out) {
		ep_ctl(EPOLL_CTL_MOD, c->fd, want ? EPOLLIN | EPOLLOUT : EPOLLIN, c);
		c->want_out = want;
	}
}

/* Connects c (a blocking TCP connect, then CONNECT goes out); the SUBSCRIBE follows its
 * CONNACK.  0 on success, -1 to retry later. */
static int
client_start(struct mqc_client *c, const char *host, int port)
{
	char id[64];
	int rc, flags;

	if (c->mosq == NULL) {
		snprintf(id, sizeof(id), "vb-%ld-%zu", (long)getpid(), c->idx);
		snprintf(c->topic, sizeof(c->topic), "vigil/agent/%zu", mqc.first + c->idx);
		c->mosq = mosquitto_new(id, true, c);
		if (c->mosq == NULL)
			fatal("client %zu: mosquitto_new", c->idx);
		mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
		mosquitto_int_option(c->mosq, MOSQ_OPT_TCP_NODELAY, 1);
		mosquitto_connect_callback_set(c->mosq, on_connect);
		mosquitto_subscribe_callback_set(c->mosq, on_subscribe);
		mosquitto_message_callback_set(c->mosq, on_message);
		mosquitto_disconnect_callback_set(c->mosq, on_disconnect);
	}
	rc = mosquitto_connect(c->mosq, host, port, MQC_KEEPALIVE);
	if (rc != MOSQ_ERR_SUCCESS) {
		if (rc == MOSQ_ERR_ERRNO && ++c->tries < MQC_CONNECT_TRIES)
			return -1;
		fatalx("client %zu: connect: %s", c->idx,
		       rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
	}
	c->fd = mosquitto_socket(c->mosq);
	flags = fcntl(c->fd, F_GETFL);
	if (flags == -1 || fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("client %zu: O_NONBLOCK", c->idx);
	ep_ctl(EPOLL_CTL_ADD, c->fd, EPOLLIN, c);
	client_flush(c);
	return 0;
}

static void
client_event(struct mqc_client *c, uint32_t events)
{
	int rc;

	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		rc = mosquitto_loop_read(c->mosq, 1);
		if (rc != MOSQ_ERR_SUCCESS)
			fatalx("client %zu: read: %s", c->idx, mosquitto_strerror(rc));
	}
	client_flush(c);
}

/* EOF on stdin ends the program; anything else there is ignored. */
static int
stdin_eof(void)
{
	char buf[4096];
	ssize_t r;

	r = read(0, buf, sizeof(buf));
	if (r == -1 && errno != EINTR && errno != EAGAIN)
		fatal("read stdin");
	return r == 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"connect", required_argument, NULL, 'c'}, {"clients", required_argument, NULL, 'n'},
		{"first", required_argument, NULL, 'f'},   {"qos", required_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	struct epoll_event evs[MQC_EVENTS];
	char host[64];
	const char *addr = NULL;
	size_t next = 0, i;
	uint64_t last_misc = 0, now;
	long v;
	int ch, port, nev, e, retry = 0;

	log_init("mqtt_clients", 1);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			addr = optarg;
			break;
		case 'n':
			if ((v = bench_parse_num(optarg, 1, MQC_MAX_CLIENTS)) == -1)
				fatalx("--clients: 1..%d (three descriptors each)", MQC_MAX_CLIENTS);
			mqc.n = (size_t)v;
			break;
		case 'f':
			if ((v = bench_parse_num(optarg, 0, 1L << 30)) == -1)
				fatalx("--first: a number");
			mqc.first = (size_t)v;
			break;
		case 'q':
			if ((v = bench_parse_num(optarg, 0, 2)) == -1)
				fatalx("--qos: 0, 1 or 2");
			mqc.qos = (int)v;
			break;
		default:
			usage();
		}
	}
	if (addr == NULL || mqc.n == 0 || optind != argc)
		usage();
	if (bench_parse_hostport(addr, host, sizeof(host), &port) == -1)
		fatalx("bad address %s", addr);
	if ((size_t)bench_raise_nofile() < mqc.n * MQC_FDS_PER_CLIENT + 64)
		fatalx("RLIMIT_NOFILE is too low for %zu clients", mqc.n);
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	mosquitto_lib_init();
	mqc.cl = calloc(mqc.n, sizeof(*mqc.cl));
	mqc.round = bench_round_new(mqc.n);
	if (mqc.cl == NULL || mqc.round == NULL)
		fatal("calloc");
	mqc.ep = epoll_create1(EPOLL_CLOEXEC);
	if (mqc.ep == -1)
		fatal("epoll_create1");
	ep_ctl(EPOLL_CTL_ADD, 0, EPOLLIN, MQC_TAG_STDIN);
	for (i = 0; i < mqc.n; i++) {
		mqc.cl[i].idx = i;
		mqc.cl[i].fd = -1;
	}
	for (;;) {
		retry = 0;
		while (next < mqc.n && mqc.inflight < MQC_WINDOW) {
			if (client_start(&mqc.cl[next], host, port) == -1) {
				retry = 1;
				break;
			}
			next++;
			mqc.inflight++;
		}
		nev = epoll_wait(mqc.ep, evs, MQC_EVENTS, retry ? 10 : 1000);
		if (nev == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		for (e = 0; e < nev; e++) {
			if (evs[e].data.ptr == MQC_TAG_STDIN) {
				if (stdin_eof())
					goto out;
				continue;
			}
			client_event(evs[e].data.ptr, evs[e].events);
		}
		/* keepalive and retries, between rounds only */
		now = bench_now_us();
		if (now - last_misc >= MQC_MISC_US && !bench_round_busy(mqc.round)) {
			for (i = 0; i < next; i++) {
				mosquitto_loop_misc(mqc.cl[i].mosq);
				client_flush(&mqc.cl[i]);
			}
			last_misc = now;
		}
	}
out:
	for (i = 0; i < mqc.n; i++)
		mosquitto_destroy(mqc.cl[i].mosq);
	free(mqc.cl);
	bench_round_free(mqc.round);
	close(mqc.ep);
	mosquitto_lib_cleanup();
	return 0;
}
