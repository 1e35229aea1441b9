/* bench.h — helpers shared by the dispatch-benchmark baselines (bench/floor, bench/mqtt):
 * the clock, the command message, per-round arrival bookkeeping and the line protocol
 * with the driver (bench/baselines.py). */
#ifndef VIGIL_BENCH_H
#define VIGIL_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Vigil's restart command is about 200 bytes on the wire. */
#define BENCH_MSG_DEFAULT 200
/* "VIGILBENCH %010u " opens every message; the rest is filler and a newline. */
#define BENCH_MSG_HDR 22
#define BENCH_MSG_MIN 32
#define BENCH_MSG_MAX 65536

/* Wall-clock microseconds (CLOCK_REALTIME), comparable with the driver's time.time(). */
uint64_t bench_now_us(void);

/* Fills buf[0..len) with the message of round k; len is BENCH_MSG_MIN..BENCH_MSG_MAX. */
void bench_msg_fill(char *buf, size_t len, unsigned k);

/* The round number in a message, or -1 if buf does not start like one of ours. */
long bench_msg_round(const void *buf, size_t len);

/* Parses "A.B.C.D:PORT" into host (NUL-terminated, at most hostlen-1 bytes) and port;
 * 0 on success, -1 if it does not parse. */
int bench_parse_hostport(const char *s, char *host, size_t hostlen, int *port);

/* Parses a decimal number in min..max (min >= 0); -1 if s is not one. */
long bench_parse_num(const char *s, long min, long max);

/* Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit. */
long bench_raise_nofile(void);

/* Prints "ready" on stdout and flushes it. */
void bench_ready(void);

/*
 * Arrival times of one round at n receivers.  Each receiver reports the round number
 * carried by its message; when all n have the current round, one JSON line goes to stdout:
 *   {"round":k,"n":n,"arrivals_first_us":..,"arrivals_last_us":..,"arrivals_us":[sorted]}
 */
struct bench_round {
	uint64_t *arrival; /* per receiver; 0 = nothing yet in this round */
	uint64_t *sorted;  /* scratch for the report */
	size_t n;
	size_t got;
	long round;
	uint64_t first;
	uint64_t last;
};

/* A tracker for n receivers; NULL on allocation failure.  Free with bench_round_free. */
struct bench_round *bench_round_new(size_t n);
void bench_round_free(struct bench_round *r);

/* Records receiver i's message of round k, received at t.  A message of a newer round
 * abandons an incomplete one (with a warning); a second message of the same round at the
 * same receiver is ignored (with a warning).  Returns 1 if this completed the round
 * (the line was printed), 0 otherwise. */
int bench_round_arrive(struct bench_round *r, size_t i, long k, uint64_t t);

/* 1 while a round has started at some but not all receivers. */
int bench_round_busy(const struct bench_round *r);

#endif
