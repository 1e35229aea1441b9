/* promtext.c — Prometheus' text exposition format 0.0.4 (see promtext.h). */
#include "lib/promtext.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double promhist_latency_s[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
const size_t promhist_latency_n = sizeof(promhist_latency_s) / sizeof(promhist_latency_s[0]);
const double promhist_delay_s[] = {
	0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
};
const size_t promhist_delay_n = sizeof(promhist_delay_s) / sizeof(promhist_delay_s[0]);

void
promtext_init(struct promtext *t)
{
	memset(t, 0, sizeof(*t));
}

void
promtext_free(struct promtext *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

char *
promtext_take(struct promtext *t, size_t *len)
{
	char *s = NULL;

	if (!t->failed) {
		/* an empty text that did not fail is "" */
		s = t->buf != NULL ? t->buf : calloc(1, 1);
		t->buf = NULL;
		*len = s != NULL ? t->len : 0;
	}
	promtext_free(t);
	return s;
}

/* reserve: room for more bytes and a NUL; doubles the buffer (amortised one pass). */
static int
reserve(struct promtext *t, size_t more)
{
	size_t cap;
	char *b;

	if (t->failed)
		return -1;
	if (t->len + more + 1 <= t->cap)
		return 0;
	cap = t->cap ? t->cap : 4096;
	while (cap < t->len + more + 1) {
		if (cap > ((size_t)1 << 30)) {
			t->failed = 1;
			return -1;
		}
		cap *= 2;
	}
	if ((b = realloc(t->buf, cap)) == NULL) {
		t->failed = 1;
		return -1;
	}
	t->buf = b;
	t->cap = cap;
	return 0;
}

static void
put(struct promtext *t, const char *s, size_t n)
{
	if (reserve(t, n) == -1)
		return;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void
puts_(struct promtext *t, const char *s)
{
	put(t, s, strlen(s));
}

/* escaped: s with \ and newline escaped, and " too when quote (label values). */
static void
escaped(struct promtext *t, const char *s, int quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *e = NULL;

		if (*s == '\\')
			e = "\\\\";
		else if (*s == '\n')
			e = "\\n";
		else if (*s == '"' && quote)
			e = "\\\"";
		if (e == NULL)
			continue;
		put(t, run, (size_t)(s - run));
		puts_(t, e);
		run = s + 1;
	}
	put(t, run, (size_t)(s - run));
}

int
promtext_name_ok(const char *name)
{
	const char *p = name;

	if (*p == '\0' || (*p >= '0' && *p <= '9'))
		return 0;
	for (; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == ':'))
			return 0;
	return 1;
}

int
promtext_label_ok(const char *name)
{
	return promtext_name_ok(name) && strchr(name, ':') == NULL &&
	    strncmp(name, "__", 2) != 0;
}

void
promtext_family(struct promtext *t, const char *name, const char *type, const char *help)
{
	static const char *const types[] = { "counter", "gauge", "histogram", "summary",
	    "untyped" };
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i]) == 0)
			break;
	if (!promtext_name_ok(name) || i == sizeof(types) / sizeof(types[0])) {
		t->failed = 1;
		return;
	}
	puts_(t, "# HELP ");
	puts_(t, name);
	puts_(t, " ");
	escaped(t, help, 0);
	puts_(t, "\n# TYPE ");
	puts_(t, name);
	puts_(t, " ");
	puts_(t, type);
	puts_(t, "\n");
}

/* series: "name{labels}" and the space before the value. */
static void
series(struct promtext *t, const char *name, const char *suffix,
    const struct promtext_label *l, size_t n)
{
	size_t i;

	if (!promtext_name_ok(name)) {
		t->failed = 1;
		return;
	}
	puts_(t, name);
	puts_(t, suffix);
	for (i = 0; i < n; i++) {
		if (!promtext_label_ok(l[i].name) || l[i].value == NULL) {
			t->failed = 1;
			return;
		}
		puts_(t, i == 0 ? "{" : ",");
		puts_(t, l[i].name);
		puts_(t, "=\"");
		escaped(t, l[i].value, 1);
		puts_(t, "\"");
	}
	puts_(t, n > 0 ? "} " : " ");
}

/* shortest: v in the fewest digits (15 to 17) that read back as v: 0.001, not 0.00100...002. */
static void
shortest(char *buf, size_t cap, double v)
{
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, cap, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, cap, "%.17g", v);
}

static void
value_f64(struct promtext *t, double v)
{
	char buf[40];

	if (isnan(v))
		puts_(t, "NaN");
	else if (isinf(v))
		puts_(t, v > 0 ? "+Inf" : "-Inf");
	else {
		shortest(buf, sizeof(buf), v);
		puts_(t, buf);
	}
}

void
promtext_u64(struct promtext *t, const char *name, const struct promtext_label *l, size_t n,
    uint64_t v)
{
	char buf[24];

	series(t, name, "", l, n);
	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)v);
	puts_(t, buf);
}

void
promtext_f64(struct promtext *t, const char *name, const struct promtext_label *l, size_t n,
    double v)
{
	series(t, name, "", l, n);
	value_f64(t, v);
	puts_(t, "\n");
}

void
promtext_histogram(struct promtext *t, const char *name, const struct promtext_label *l,
    size_t n, const struct promhist *h)
{
	struct promtext_label all[8];
	char le[40], buf[24];
	uint64_t cum = 0;
	size_t i;

	if (n > 7 || h->nb > PROMHIST_MAX) {
		t->failed = 1;
		return;
	}
	if (n > 0)
		memcpy(all, l, n * sizeof(*l));
	all[n].name = "le";
	all[n].value = le;
	for (i = 0; i <= h->nb; i++) {
		cum += h->counts[i];
		if (i < h->nb)
			shortest(le, sizeof(le), h->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		series(t, name, "_bucket", all, n + 1);
		snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)cum);
		puts_(t, buf);
	}
	series(t, name, "_sum", l, n);
	value_f64(t, h->sum);
	puts_(t, "\n");
	series(t, name, "_count", l, n);
	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)h->count);
	puts_(t, buf);
}

void
promhist_init(struct promhist *h, const double *bounds, size_t nb)
{
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->nb = nb <= PROMHIST_MAX ? nb : PROMHIST_MAX;
}

void
promhist_observe(struct promhist *h, double v)
{
	size_t i;

	if (isnan(v))
		return;
	for (i = 0; i < h->nb && v > h->bounds[i]; i++)
		;
	h->counts[i]++;
	h->count++;
	h->sum += v;
}
