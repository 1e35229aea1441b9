/*
 * api_limit.c — login lock-out per IP, login rates per address and per user
 * name, and request rate per user, as Wazuh's API counts them (and the login
 * rates it does not have).
 */
#include "node/api/api_limit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT_WINDOW 60     /* s: the rates are per minute */

struct limit_entry {
	char key[128];      /* IP address or user name */
	int count;          /* failed logins / requests / logins in the window */
	time_t start;       /* first failure / start of the window */
	uint64_t seq;       /* when start was set, in table order: ties of start */
};

struct limit_table {
	struct limit_entry *v;
	size_t n;
	uint64_t seq;
};

struct api_limit {
	struct api_limit_conf c;
	struct limit_table ips;          /* failed logins */
	struct limit_table users;        /* requests */
	struct limit_table login_ips;    /* login attempts */
	struct limit_table login_users;
};

static int
table_init(struct limit_table *t)
{
	t->n = 0;
	t->seq = 0;
	return (t->v = calloc(API_LIMIT_MAX_KEYS, sizeof(*t->v))) == NULL ? -1 : 0;
}

struct api_limit *
api_limit_new(const struct api_limit_conf *c)
{
	struct api_limit *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->c = *c;
	if (table_init(&l->ips) == -1 || table_init(&l->users) == -1 ||
	    table_init(&l->login_ips) == -1 || table_init(&l->login_users) == -1) {
		api_limit_free(l);
		return NULL;
	}
	return l;
}

void
api_limit_free(struct api_limit *l)
{
	if (l == NULL)
		return;
	free(l->ips.v);
	free(l->users.v);
	free(l->login_ips.v);
	free(l->login_users.v);
	free(l);
}

static struct limit_entry *
table_find(struct limit_table *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].key, key) == 0)
			return &t->v[i];
	return NULL;
}

static void
table_remove(struct limit_table *t, struct limit_entry *e)
{
	*e = t->v[--t->n];
}

/* entry_start: (re)starts e's count at now. */
static void
entry_start(struct limit_table *t, struct limit_entry *e, time_t now)
{
	e->count = 0;
	e->start = now;
	e->seq = t->seq++;
}

/*
 * table_add: a fresh entry for key.  A full table first drops the entries
 * older than keep seconds, then the oldest one: an address that floods us
 * with new names can only push out what is already stale, or older than
 * anything it sent.  Entries started in the same second are told apart by
 * their order (seq): the slot order is no guide, table_remove reorders it.
 */
static struct limit_entry *
table_add(struct limit_table *t, const char *key, time_t now, int keep)
{
	struct limit_entry *e, *oldest;
	size_t i;

	if (t->n == API_LIMIT_MAX_KEYS) {
		for (i = t->n; i > 0; i--)
			if (now - t->v[i - 1].start >= keep)
				table_remove(t, &t->v[i - 1]);
	}
	if (t->n == API_LIMIT_MAX_KEYS) {
		oldest = &t->v[0];
		for (i = 1; i < t->n; i++)
			if (t->v[i].start < oldest->start ||
			    (t->v[i].start == oldest->start && t->v[i].seq < oldest->seq))
				oldest = &t->v[i];
		table_remove(t, oldest);
	}
	e = &t->v[t->n++];
	snprintf(e->key, sizeof(e->key), "%s", key);
	entry_start(t, e, now);
	return e;
}

int
api_limit_blocked(struct api_limit *l, const char *ip, time_t now)
{
	struct limit_entry *e;

	if (l->c.max_login_attempts <= 0 || (e = table_find(&l->ips, ip)) == NULL)
		return 0;
	if (now - l->c.block_time >= e->start) {
		table_remove(&l->ips, e);
		return 0;
	}
	return e->count >= l->c.max_login_attempts;
}

void
api_limit_login_failed(struct api_limit *l, const char *ip, time_t now)
{
	struct limit_entry *e;

	if (l->c.max_login_attempts <= 0)
		return;
	if ((e = table_find(&l->ips, ip)) != NULL && now - l->c.block_time >= e->start) {
		table_remove(&l->ips, e);
		e = NULL;
	}
	if (e == NULL)
		e = table_add(&l->ips, ip, now, l->c.block_time);
	if (e->count < l->c.max_login_attempts)
		e->count++;
}

/*
 * rate_hit: counts one event of key in its window of LIMIT_WINDOW seconds
 * (started by its first event; the window holds [start, start + 60]); 0
 * allowed, -1 over max.  The count stops at max + 1: refusals do not
 * lengthen the wait.  max <= 0: no limit, nothing counted.
 */
static int
rate_hit(struct limit_table *t, const char *key, int max, time_t now)
{
	struct limit_entry *e;

	if (max <= 0)
		return 0;
	if ((e = table_find(t, key)) == NULL)
		e = table_add(t, key, now, LIMIT_WINDOW);
	else if (now - LIMIT_WINDOW > e->start)
		entry_start(t, e, now);
	if (e->count <= max)
		e->count++;
	return e->count > max ? -1 : 0;
}

int
api_limit_request(struct api_limit *l, const char *user, time_t now)
{
	return rate_hit(&l->users, user, l->c.max_per_minute, now);
}

enum api_limit_login
api_limit_login(struct api_limit *l, const char *ip, const char *user, time_t now)
{
	if (rate_hit(&l->login_ips, ip, l->c.logins_per_source, now) == -1)
		return API_LIMIT_LOGIN_SOURCE;
	if (rate_hit(&l->login_users, user, l->c.logins_per_user, now) == -1)
		return API_LIMIT_LOGIN_USER;
	return API_LIMIT_LOGIN_OK;
}
