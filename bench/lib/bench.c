/* bench.c — see bench.h. */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "lib/log.h"

uint64_t
bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void
bench_msg_fill(char *buf, size_t len, unsigned k)
{
	char hdr[BENCH_MSG_HDR + 1];

	snprintf(hdr, sizeof(hdr), "VIGILBENCH %010u ", k);
	memset(buf, 'x', len);
	memcpy(buf, hdr, BENCH_MSG_HDR);
	buf[len - 1] = '\n';
}

long
bench_msg_round(const void *buf, size_t len)
{
	const char *p = buf;
	long k = 0;
	size_t i;

	if (len < BENCH_MSG_HDR || memcmp(p, "VIGILBENCH ", 11) != 0 || p[21] != ' ')
		return -1;
	for (i = 11; i < 21; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		k = k * 10 + (p[i] - '0');
	}
	return k;
}

int
bench_parse_hostport(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(s, ':');
	struct in_addr a;
	size_t hl;
	long p;

	if (colon == NULL)
		return -1;
	hl = (size_t)(colon - s);
	if (hl == 0 || hl >= hostlen)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, &a) != 1)
		return -1;
	p = bench_parse_num(colon + 1, 1, 65535);
	if (p == -1)
		return -1;
	*port = (int)p;
	return 0;
}

long
bench_parse_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	return v;
}

long
bench_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit NOFILE %llu", (unsigned long long)rl.rlim_max);
		if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("getrlimit");
	}
	return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}

void
bench_ready(void)
{
	fputs("ready\n", stdout);
	fflush(stdout);
}

struct bench_round *
bench_round_new(size_t n)
{
	struct bench_round *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->n = n;
	r->round = -1;
	r->arrival = calloc(n, sizeof(*r->arrival));
	r->sorted = calloc(n, sizeof(*r->sorted));
	if (r->arrival == NULL || r->sorted == NULL) {
		bench_round_free(r);
		return NULL;
	}
	return r;
}

void
bench_round_free(struct bench_round *r)
{
	if (r == NULL)
		return;
	free(r->arrival);
	free(r->sorted);
	free(r);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Prints the finished round as one JSON line; the list is large (up to ~19,000 numbers), so
 * stdout is fully buffered and flushed once at the end. */
static void
round_report(struct bench_round *r)
{
	size_t i;

	memcpy(r->sorted, r->arrival, r->n * sizeof(*r->sorted));
	qsort(r->sorted, r->n, sizeof(*r->sorted), cmp_u64);
	printf("{\"round\":%ld,\"n\":%zu,\"arrivals_first_us\":%" PRIu64
	       ",\"arrivals_last_us\":%" PRIu64 ",\"arrivals_us\":[",
	       r->round, r->n, r->first, r->last);
	for (i = 0; i < r->n; i++)
		printf(i ? ",%" PRIu64 : "%" PRIu64, r->sorted[i]);
	fputs("]}\n", stdout);
	fflush(stdout);
}

int
bench_round_arrive(struct bench_round *r, size_t i, long k, uint64_t t)
{
	if (i >= r->n)
		fatalx("bench_round_arrive: receiver %zu of %zu", i, r->n);
	if (k != r->round) {
		if (bench_round_busy(r))
			log_warnx("round %ld abandoned with %zu of %zu arrivals", r->round, r->got,
			          r->n);
		memset(r->arrival, 0, r->n * sizeof(*r->arrival));
		r->round = k;
		r->got = 0;
	}
	if (r->arrival[i] != 0) {
		log_warnx("receiver %zu: second message of round %ld ignored", i, k);
		return 0;
	}
	r->arrival[i] = t;
	if (r->got == 0 || t < r->first)
		r->first = t;
	if (r->got == 0 || t > r->last)
		r->last = t;
	if (++r->got < r->n)
		return 0;
	round_report(r);
	return 1;
}

int
bench_round_busy(const struct bench_round *r)
{
	return r->got > 0 && r->got < r->n;
}
