/*
 * promtext.h — Prometheus' text exposition format (version 0.0.4), written
 * into a growable buffer in one pass, and histograms with fixed buckets.
 * Pure: no I/O, no clock; the node fills it (api_metrics.c).
 *
 * A family is announced once (promtext_family: "# HELP" and "# TYPE"), then
 * its samples follow.  Names and label names are checked against the
 * format's grammar: a bad one is a bug of the caller, and it fails the whole
 * text (promtext_take gives NULL) rather than emit what a scraper rejects.
 * Label values and help texts are escaped as the format asks.
 */
#ifndef VIGIL_PROMTEXT_H
#define VIGIL_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>

struct promtext {
	char *buf;
	size_t len, cap;
	int failed;                 /* out of memory or a bad name: the text is void */
};

struct promtext_label {
	const char *name;
	const char *value;
};

#define PROMHIST_MAX 20         /* upper bounds of a histogram, +Inf excluded */

/*
 * promhist: counts per bucket (not cumulative: promtext_histogram adds them
 * up), over bounds[0..nb), ascending, given by the owner (a static array).
 */
struct promhist {
	const double *bounds;
	size_t nb;
	uint64_t counts[PROMHIST_MAX + 1];   /* [nb]: above the last bound */
	uint64_t count;
	double sum;
};

/* promtext_init: an empty text (no allocation yet).  promtext_free: frees it. */
void promtext_init(struct promtext *t);
void promtext_free(struct promtext *t);
/*
 * promtext_take: the text (the caller frees it), its length in *len; NULL
 * when anything failed (t is freed either way).
 */
char *promtext_take(struct promtext *t, size_t *len);

/* promtext_name_ok: a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*). */
int promtext_name_ok(const char *name);
/* promtext_label_ok: a label name ([a-zA-Z_][a-zA-Z0-9_]*, not "__"-prefixed: reserved). */
int promtext_label_ok(const char *name);

/*
 * promtext_family: "# HELP name help" (help escaped: \\ and \n) and
 * "# TYPE name type"; type is counter, gauge, histogram, summary or untyped.
 */
void promtext_family(struct promtext *t, const char *name, const char *type, const char *help);
/*
 * promtext_u64 / promtext_f64: one sample "name{l1="v1",...} value"; the
 * labels (n of them, may be 0) in the order given, values escaped (\\, \",
 * \n).  A double is written so that it reads back the same (%.17g), or as
 * +Inf, -Inf, NaN.
 */
void promtext_u64(struct promtext *t, const char *name, const struct promtext_label *l,
    size_t n, uint64_t v);
void promtext_f64(struct promtext *t, const char *name, const struct promtext_label *l,
    size_t n, double v);
/*
 * promtext_histogram: name_bucket{...,le="b"} for each bound and "+Inf"
 * (cumulative), name_sum and name_count, with the labels l (at most 7).
 */
void promtext_histogram(struct promtext *t, const char *name, const struct promtext_label *l,
    size_t n, const struct promhist *h);

/* promhist_init: an empty histogram over bounds[0..nb) (nb <= PROMHIST_MAX, ascending). */
void promhist_init(struct promhist *h, const double *bounds, size_t nb);
/* promhist_observe: one value (counted in the first bucket whose bound is >= v). */
void promhist_observe(struct promhist *h, double v);

/* Bucket bounds in seconds: for request latencies (1 ms .. 10 s). */
extern const double promhist_latency_s[];
extern const size_t promhist_latency_n;
/* ... for delays that may last minutes (a change crossing the cluster: 1 ms .. 5 min). */
extern const double promhist_delay_s[];
extern const size_t promhist_delay_n;

#endif
