/* srclimit.c — connection caps and token buckets per source address (see srclimit.h). */
#include "node/core/srclimit.h"

#include <sys/queue.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"

/* ---- a small chained hash of sources, shared by both tables ---- */

struct src_entry {
	struct src_entry *hnext;
	TAILQ_ENTRY(src_entry) lru;  /* rate: least recently used first */
	char key[SRCLIMIT_KEY_MAX];
	size_t n;                    /* count: connections open */
	struct srclimit_bucket b;    /* rate */
};
TAILQ_HEAD(src_lru, src_entry);

struct src_table {
	struct src_entry **slot;
	size_t mask;
	size_t n;
};

static int
table_init(struct src_table *t, size_t expect)
{
	size_t size = 64;

	while (size < expect && size < (1u << 20))
		size <<= 1;
	if ((t->slot = calloc(size, sizeof(*t->slot))) == NULL)
		return -1;
	t->mask = size - 1;
	t->n = 0;
	return 0;
}

static struct src_entry **
table_where(struct src_table *t, const char *key)
{
	struct src_entry **pp;

	pp = &t->slot[hash_fnv1a(key, strlen(key)) & t->mask];
	while (*pp != NULL && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->hnext;
	return pp;
}

static const struct src_entry *
table_find(const struct src_table *t, const char *key)
{
	const struct src_entry *e = t->slot[hash_fnv1a(key, strlen(key)) & t->mask];

	while (e != NULL && strcmp(e->key, key) != 0)
		e = e->hnext;
	return e;
}

/* table_link: e (key set) goes in at pp, which table_where found empty for it. */
static void
table_link(struct src_table *t, struct src_entry **pp, struct src_entry *e)
{
	e->hnext = NULL;
	*pp = e;
	t->n++;
}

static void
table_unlink(struct src_table *t, struct src_entry *e)
{
	struct src_entry **pp = table_where(t, e->key);

	if (*pp == e) {
		*pp = e->hnext;
		t->n--;
	}
}

static void
table_free(struct src_table *t)
{
	struct src_entry *e, *next;
	size_t i;

	if (t->slot == NULL)
		return;
	for (i = 0; i <= t->mask; i++)
		for (e = t->slot[i]; e != NULL; e = next) {
			next = e->hnext;
			free(e);
		}
	free(t->slot);
	t->slot = NULL;
}

/* key_ok: sources are short strings; a longer one is a caller's bug, refused. */
static int
key_ok(const char *src)
{
	return src != NULL && strlen(src) < SRCLIMIT_KEY_MAX;
}

/* ---- connections open now ---- */

struct srclimit_count {
	size_t max_total, max_per_source;
	size_t total;
	struct src_table t;
};

struct srclimit_count *
srclimit_count_new(size_t max_total, size_t max_per_source)
{
	struct srclimit_count *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->max_total = max_total;
	c->max_per_source = max_per_source;
	if (table_init(&c->t, max_total != 0 ? max_total / 2 : 4096) == -1) {
		free(c);
		return NULL;
	}
	return c;
}

void
srclimit_count_free(struct srclimit_count *c)
{
	if (c == NULL)
		return;
	table_free(&c->t);
	free(c);
}

enum srclimit_verdict
srclimit_count_add(struct srclimit_count *c, const char *src)
{
	struct src_entry **pp, *e;

	if (c->max_total != 0 && c->total >= c->max_total)
		return SRCLIMIT_TOTAL;
	if (!key_ok(src))
		return SRCLIMIT_NOMEM;
	pp = table_where(&c->t, src);
	if ((e = *pp) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return SRCLIMIT_NOMEM;
		memcpy(e->key, src, strlen(src) + 1);
		table_link(&c->t, pp, e);
	}
	if (c->max_per_source != 0 && e->n >= c->max_per_source)
		return SRCLIMIT_SOURCE;
	e->n++;
	c->total++;
	return SRCLIMIT_OK;
}

void
srclimit_count_del(struct srclimit_count *c, const char *src)
{
	struct src_entry **pp, *e;

	if (c == NULL || !key_ok(src))
		return;
	pp = table_where(&c->t, src);
	if ((e = *pp) == NULL || e->n == 0)
		return;   /* not admitted here: nothing to give back */
	e->n--;
	c->total--;
	if (e->n == 0) {
		*pp = e->hnext;
		c->t.n--;
		free(e);
	}
}

size_t
srclimit_count_total(const struct srclimit_count *c)
{
	return c->total;
}

size_t
srclimit_count_of(const struct srclimit_count *c, const char *src)
{
	const struct src_entry *e;

	if (!key_ok(src))
		return 0;
	e = table_find(&c->t, src);
	return e != NULL ? e->n : 0;
}

size_t
srclimit_count_sources(const struct srclimit_count *c)
{
	return c->t.n;
}

/* ---- token buckets ---- */

int
srclimit_bucket_take(struct srclimit_bucket *b, unsigned int per_minute, unsigned int burst,
    uint64_t now_ms)
{
	uint64_t cap, elapsed;

	if (per_minute == 0)
		return 1;
	cap = (uint64_t)(burst != 0 ? burst : per_minute) * SRCLIMIT_TOKEN;
	if (!b->used) {
		b->used = 1;
		b->units = cap;
		b->at_ms = now_ms;
	} else if (now_ms > b->at_ms) {
		elapsed = now_ms - b->at_ms;
		/* past a full refill the rest does not matter (and would overflow) */
		if (elapsed > cap / per_minute + 1)
			elapsed = cap / per_minute + 1;
		b->units += elapsed * per_minute;
		if (b->units > cap)
			b->units = cap;
		b->at_ms = now_ms;
	}
	if (b->units > cap)
		b->units = cap;   /* the burst was lowered */
	if (b->units < SRCLIMIT_TOKEN)
		return 0;
	b->units -= SRCLIMIT_TOKEN;
	return 1;
}

struct srclimit_rate {
	unsigned int per_minute, burst;
	size_t max_sources;
	struct src_table t;
	struct src_lru lru;
};

struct srclimit_rate *
srclimit_rate_new(unsigned int per_minute, unsigned int burst, size_t max_sources)
{
	struct srclimit_rate *r;

	if (max_sources == 0 || (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->per_minute = per_minute;
	r->burst = burst;
	r->max_sources = max_sources;
	TAILQ_INIT(&r->lru);
	if (table_init(&r->t, max_sources) == -1) {
		free(r);
		return NULL;
	}
	return r;
}

void
srclimit_rate_free(struct srclimit_rate *r)
{
	if (r == NULL)
		return;
	table_free(&r->t);
	free(r);
}

int
srclimit_rate_take(struct srclimit_rate *r, const char *src, uint64_t now_ms)
{
	struct src_entry **pp, *e;

	if (r->per_minute == 0)
		return 1;
	if (!key_ok(src))
		return 0;
	pp = table_where(&r->t, src);
	if ((e = *pp) != NULL)
		TAILQ_REMOVE(&r->lru, e, lru);
	else {
		if (r->t.n >= r->max_sources) {
			/* forget the source used least recently; a source that was
			 * quiet that long has (nearly) refilled anyway */
			e = TAILQ_FIRST(&r->lru);
			TAILQ_REMOVE(&r->lru, e, lru);
			table_unlink(&r->t, e);
			pp = table_where(&r->t, src);   /* the chain may have changed */
		} else if ((e = malloc(sizeof(*e))) == NULL)
			return 0;
		memset(e, 0, sizeof(*e));
		memcpy(e->key, src, strlen(src) + 1);
		table_link(&r->t, pp, e);
	}
	TAILQ_INSERT_TAIL(&r->lru, e, lru);
	return srclimit_bucket_take(&e->b, r->per_minute, r->burst, now_ms);
}

size_t
srclimit_rate_sources(const struct srclimit_rate *r)
{
	return r->t.n;
}

/* ---- log lines of repeated refusals ---- */

int
srclimit_log_ok(struct srclimit_log *l, time_t now, int interval, unsigned long *suppressed)
{
	if (l->last != 0 && now >= l->last && now - l->last < interval) {
		l->suppressed++;
		return 0;
	}
	*suppressed = l->suppressed;
	l->suppressed = 0;
	l->last = now;
	return 1;
}
