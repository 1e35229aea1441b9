/*
 * mqtt_pub — the command issuer of the MQTT baseline: one client that, for each "go" line
 * on stdin, publishes one message to each of vigil/agent/<first>..<first+N-1> as fast as
 * libmosquitto lets it, and prints
 *   {"round":k,"n":N,"write_start_us":..,"write_end_us":..,"acked_us":..}
 * write_end is when the last PUBLISH was handed to the kernel; acked is when the broker had
 * acknowledged every message (QoS 1/2; equal to write_end for QoS 0).
 *
 *   mqtt_pub --connect 127.0.0.1:PORT --topics N [--first K] [--qos 0|1|2] [--size 200]
 *
 * Prints "ready" once connected; exits on EOF on stdin.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench.h"
#include "lib/log.h"

#define MQP_MAX_TOPICS 65535 /* libmosquitto's largest in-flight window */
#define MQP_KEEPALIVE 3600
#define MQP_EVENTS 16
#define MQP_TAG_STDIN 0
#define MQP_TAG_SOCK 1

struct mqp {
	struct mosquitto *mosq;
	int fd;
	int ep;
	int want_out;
	int connected;
	size_t acked;
	size_t n;
	size_t first;
	size_t msglen;
	int qos;
	char line[256];
	size_t linelen;
};

static struct mqp mqp;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: mqtt_pub --connect A:PORT --topics N [--first K] [--qos Q] "
	                "[--size BYTES]\n");
	exit(2);
}

static void
ep_ctl(int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = tag;
	if (epoll_ctl(mqp.ep, op, fd, &ev) == -1)
		fatal("epoll_ctl op %d fd %d", op, fd);
}

static void
on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	(void)mosq;
	(void)obj;
	if (rc != 0)
		fatalx("connect refused: %s", mosquitto_connack_string(rc));
	mqp.connected = 1;
}

static void
on_publish(struct mosquitto *mosq, void *obj, int mid)
{
	(void)mosq;
	(void)obj;
	(void)mid;
	mqp.acked++;
}

static void
on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	(void)mosq;
	(void)obj;
	fatalx("disconnected: %s", mosquitto_strerror(rc));
}

/* Writes what libmosquitto has queued; watches for writability only while some is left. */
static void
pub_flush(void)
{
	int rc, want;

	if (mosquitto_want_write(mqp.mosq)) {
		rc = mosquitto_loop_write(mqp.mosq, 1);
		if (rc != MOSQ_ERR_SUCCESS)
			fatalx("write: %s", mosquitto_strerror(rc));
	}
	want = mosquitto_want_write(mqp.mosq);
	if (want != mqp.want_out) {
		ep_ctl(EPOLL_CTL_MOD, mqp.fd, want ? EPOLLIN | EPOLLOUT : EPOLLIN, MQP_TAG_SOCK);
		mqp.want_out = want;
	}
}

static void
pub_event(uint32_t events)
{
	int rc;

	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		rc = mosquitto_loop_read(mqp.mosq, 1);
		if (rc != MOSQ_ERR_SUCCESS)
			fatalx("read: %s", mosquitto_strerror(rc));
	}
	pub_flush();
}

/* Waits for socket events (stdin is out of the set meanwhile) until done() holds. */
static void
pub_wait(int (*done)(void))
{
	struct epoll_event evs[MQP_EVENTS];
	int nev, e;

	while (!done()) {
		nev = epoll_wait(mqp.ep, evs, MQP_EVENTS, 1000);
		if (nev == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		for (e = 0; e < nev; e++)
			if (evs[e].data.u64 == MQP_TAG_SOCK)
				pub_event(evs[e].events);
		mosquitto_loop_misc(mqp.mosq);
	}
}

static int
pub_connected(void)
{
	return mqp.connected;
}

static int
pub_written(void)
{
	return !mosquitto_want_write(mqp.mosq);
}

static int
pub_acked(void)
{
	return mqp.acked >= mqp.n;
}

/* One round: every topic gets the message of round k, then the queue drains. */
static void
pub_round(unsigned k, char *msg)
{
	char topic[64];
	uint64_t start, written, acked;
	size_t i;
	int rc;

	bench_msg_fill(msg, mqp.msglen, k);
	ep_ctl(EPOLL_CTL_DEL, 0, 0, MQP_TAG_STDIN);
	mqp.acked = 0;
	start = bench_now_us();
	for (i = 0; i < mqp.n; i++) {
		snprintf(topic, sizeof(topic), "vigil/agent/%zu", mqp.first + i);
		rc = mosquitto_publish(mqp.mosq, NULL, topic, (int)mqp.msglen, msg, mqp.qos, false);
		if (rc != MOSQ_ERR_SUCCESS)
			fatalx("publish %s: %s", topic, mosquitto_strerror(rc));
	}
	pub_flush();
	pub_wait(pub_written);
	written = bench_now_us();
	if (mqp.qos > 0)
		pub_wait(pub_acked);
	acked = mqp.qos > 0 ? bench_now_us() : written;
	ep_ctl(EPOLL_CTL_ADD, 0, EPOLLIN, MQP_TAG_STDIN);
	printf("{\"round\":%u,\"n\":%zu,\"write_start_us\":%" PRIu64 ",\"write_end_us\":%" PRIu64
	       ",\"acked_us\":%" PRIu64 "}\n",
	       k, mqp.n, start, written, acked);
	fflush(stdout);
}

/* Reads stdin: the number of complete "go" lines, or -1 at EOF. */
static int
stdin_read(void)
{
	char buf[4096];
	ssize_t r;
	int gos = 0;
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
			if (mqp.linelen < sizeof(mqp.line) - 1)
				mqp.line[mqp.linelen++] = buf[i];
			continue;
		}
		mqp.line[mqp.linelen] = '\0';
		if (strcmp(mqp.line, "go") == 0)
			gos++;
		else if (mqp.linelen > 0)
			log_warnx("stdin: unknown command \"%s\"", mqp.line);
		mqp.linelen = 0;
	}
	return gos;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"connect", required_argument, NULL, 'c'}, {"topics", required_argument, NULL, 'n'},
		{"first", required_argument, NULL, 'f'},   {"qos", required_argument, NULL, 'q'},
		{"size", required_argument, NULL, 's'},    {NULL, 0, NULL, 0},
	};
	struct epoll_event evs[MQP_EVENTS];
	char host[64], *msg;
	const char *addr = NULL;
	unsigned k = 0;
	long v;
	int ch, port, rc, flags, nev, e, gos;

	log_init("mqtt_pub", 1);
	mqp.msglen = BENCH_MSG_DEFAULT;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			addr = optarg;
			break;
		case 'n':
			if ((v = bench_parse_num(optarg, 1, MQP_MAX_TOPICS)) == -1)
				fatalx("--topics: 1..%d", MQP_MAX_TOPICS);
			mqp.n = (size_t)v;
			break;
		case 'f':
			if ((v = bench_parse_num(optarg, 0, 1L << 30)) == -1)
				fatalx("--first: a number");
			mqp.first = (size_t)v;
			break;
		case 'q':
			if ((v = bench_parse_num(optarg, 0, 2)) == -1)
				fatalx("--qos: 0, 1 or 2");
			mqp.qos = (int)v;
			break;
		case 's':
			if ((v = bench_parse_num(optarg, BENCH_MSG_MIN, BENCH_MSG_MAX)) == -1)
				fatalx("--size: %d..%d", BENCH_MSG_MIN, BENCH_MSG_MAX);
			mqp.msglen = (size_t)v;
			break;
		default:
			usage();
		}
	}
	if (addr == NULL || mqp.n == 0 || optind != argc)
		usage();
	if (bench_parse_hostport(addr, host, sizeof(host), &port) == -1)
		fatalx("bad address %s", addr);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	msg = malloc(mqp.msglen);
	if (msg == NULL)
		fatal("malloc");
	mosquitto_lib_init();
	mqp.mosq = mosquitto_new(NULL, true, NULL);
	if (mqp.mosq == NULL)
		fatal("mosquitto_new");
	mosquitto_int_option(mqp.mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_int_option(mqp.mosq, MOSQ_OPT_TCP_NODELAY, 1);
	/* no cap on QoS 1/2 messages in flight: all N go out at once (0 = the most it allows) */
	mosquitto_max_inflight_messages_set(mqp.mosq, 0);
	mosquitto_connect_callback_set(mqp.mosq, on_connect);
	mosquitto_publish_callback_set(mqp.mosq, on_publish);
	mosquitto_disconnect_callback_set(mqp.mosq, on_disconnect);
	rc = mosquitto_connect(mqp.mosq, host, port, MQP_KEEPALIVE);
	if (rc != MOSQ_ERR_SUCCESS)
		fatalx("connect %s: %s", addr,
		       rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
	mqp.fd = mosquitto_socket(mqp.mosq);
	flags = fcntl(mqp.fd, F_GETFL);
	if (flags == -1 || fcntl(mqp.fd, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("O_NONBLOCK");
	mqp.ep = epoll_create1(EPOLL_CLOEXEC);
	if (mqp.ep == -1)
		fatal("epoll_create1");
	ep_ctl(EPOLL_CTL_ADD, mqp.fd, EPOLLIN, MQP_TAG_SOCK);
	pub_flush();
	pub_wait(pub_connected);
	bench_ready();
	ep_ctl(EPOLL_CTL_ADD, 0, EPOLLIN, MQP_TAG_STDIN);
	for (;;) {
		nev = epoll_wait(mqp.ep, evs, MQP_EVENTS, 1000);
		if (nev == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		for (e = 0; e < nev; e++) {
			if (evs[e].data.u64 == MQP_TAG_SOCK) {
				pub_event(evs[e].events);
				continue;
			}
			gos = stdin_read();
			if (gos == -1)
				goto out;
			while (gos-- > 0)
				pub_round(++k, msg);
		}
		mosquitto_loop_misc(mqp.mosq);
	}
out:
	mosquitto_destroy(mqp.mosq);
	mosquitto_lib_cleanup();
	close(mqp.ep);
	free(msg);
	return 0;
}
