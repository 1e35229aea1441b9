/* srclimit.h — limits per source address, pure (no I/O, no clock: callers pass the time).
 *
 * - srclimit_count: connections open now, in total and per source, against two caps;
 * - srclimit_bucket / srclimit_rate: token buckets, one or one per source (bounded
 *   table, the least recently used source is forgotten first);
 * - srclimit_log: at most one log line per interval for a refusal that repeats.
 */
#ifndef VIGIL_SRCLIMIT_H
#define VIGIL_SRCLIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SRCLIMIT_KEY_MAX 64          /* a source: an address as inet_ntop writes it */

/* ---- connections open now ---- */

enum srclimit_verdict {
	SRCLIMIT_OK = 0,
	SRCLIMIT_TOTAL,              /* the listener holds max_total connections */
	SRCLIMIT_SOURCE,             /* that source holds max_per_source connections */
	SRCLIMIT_NOMEM,
};

struct srclimit_count;

/*
 * srclimit_count_new: caps of max_total connections and max_per_source from
 * one source (0: no cap).  Memory is one small entry per source with a
 * connection open, so at most max_total entries.  NULL on allocation failure.
 */
struct srclimit_count *srclimit_count_new(size_t max_total, size_t max_per_source);
void srclimit_count_free(struct srclimit_count *c);
/* srclimit_count_add: one more connection from src if the caps allow (SRCLIMIT_OK). */
enum srclimit_verdict srclimit_count_add(struct srclimit_count *c, const char *src);
/* srclimit_count_del: a connection srclimit_count_add admitted from src has gone. */
void srclimit_count_del(struct srclimit_count *c, const char *src);
size_t srclimit_count_total(const struct srclimit_count *c);
size_t srclimit_count_of(const struct srclimit_count *c, const char *src);
/* srclimit_count_sources: how many sources have a connection open (entries held). */
size_t srclimit_count_sources(const struct srclimit_count *c);

/* ---- token buckets ---- */

/*
 * A bucket holds up to burst tokens (0: per_minute) and gains per_minute
 * tokens a minute; taking one needs a whole token.  A token is 60,000 units
 * and a millisecond adds per_minute units, so any rate refills exactly.  A
 * zeroed bucket is unused; it starts full at its first use.
 */
#define SRCLIMIT_TOKEN 60000u
struct srclimit_bucket {
	uint64_t units;
	uint64_t at_ms;              /* when units was last brought up to date */
	int used;
};

/*
 * srclimit_bucket_take: 1 when a token was taken at now_ms, 0 when the bucket
 * is empty.  per_minute 0 means no limit (always 1).  Time going backwards
 * refills nothing.
 */
int srclimit_bucket_take(struct srclimit_bucket *b, unsigned int per_minute,
    unsigned int burst, uint64_t now_ms);

struct srclimit_rate;

/*
 * srclimit_rate_new: a bucket per source (per_minute, burst as above; burst 0
 * means per_minute), for at most max_sources sources: a new source beyond
 * that replaces the one used least recently.  NULL on allocation failure.
 */
struct srclimit_rate *srclimit_rate_new(unsigned int per_minute, unsigned int burst,
    size_t max_sources);
void srclimit_rate_free(struct srclimit_rate *r);
/* srclimit_rate_take: 1 when src may go on (a token taken), 0 when it is over its rate. */
int srclimit_rate_take(struct srclimit_rate *r, const char *src, uint64_t now_ms);
size_t srclimit_rate_sources(const struct srclimit_rate *r);

/* ---- log lines of repeated refusals ---- */

struct srclimit_log {
	time_t last;                 /* when a line was last allowed (0: never) */
	unsigned long suppressed;    /* refusals not logged since */
};

/*
 * srclimit_log_ok: 1 when a line may be logged at now (then *suppressed gets
 * how many were not logged since the last one, and counting starts again),
 * 0 when one was logged less than interval seconds ago (counted).
 */
int srclimit_log_ok(struct srclimit_log *l, time_t now, int interval, unsigned long *suppressed);

#endif
