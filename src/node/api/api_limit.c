/* api_limit.c — login lock-out per IP and request rate per user, as Wazuh's API counts them. */
#include "node/api/api_limit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct limit_entry {
	char key[128];      /* IP address or user name */
	int count;          /* failed logins / requests in the window */
	time_t start;       /* first failure / start of the window */
};

struct limit_table {
	struct limit_entry *v;
	size_t n;
};

struct api_limit {
	int max_login_attempts;
	int block_time;
	int max_per_minute;
	struct limit_table ips;
	struct limit_table users;
};

struct api_limit *
api_limit_new(int max_login_attempts, int block_time, int max_per_minute)
{
	struct api_limit *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->max_login_attempts = max_login_attempts;
	l->block_time = block_time;
	l->max_per_minute = max_per_minute;
	if ((l->ips.v = calloc(API_LIMIT_MAX_KEYS, sizeof(*l->ips.v))) == NULL ||
	    (l->users.v = calloc(API_LIMIT_MAX_KEYS, sizeof(*l->users.v))) == NULL) {
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

/*
 * table_add: a fresh entry for key.  A full table first drops the entries
 * older than keep seconds, then the oldest one: an address that floods us
 * with new names can only push out what is already stale.
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
			if (t->v[i].start < oldest->start)
				oldest = &t->v[i];
		table_remove(t, oldest);
	}
	e = &t->v[t->n++];
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->count = 0;
	e->start = now;
	return e;
}

int
api_limit_blocked(struct api_limit *l, const char *ip, time_t now)
{
	struct limit_entry *e;

	if (l->max_login_attempts <= 0 || (e = table_find(&l->ips, ip)) == NULL)
		return 0;
	if (now - l->block_time >= e->start) {
		table_remove(&l->ips, e);
		return 0;
	}
	return e->count >= l->max_login_attempts;
}

void
api_limit_login_failed(struct api_limit *l, const char *ip, time_t now)
{
	struct limit_entry *e;

	if (l->max_login_attempts <= 0)
		return;
	if ((e = table_find(&l->ips, ip)) != NULL && now - l->block_time >= e->start) {
		table_remove(&l->ips, e);
		e = NULL;
	}
	if (e == NULL)
		e = table_add(&l->ips, ip, now, l->block_time);
	if (e->count < l->max_login_attempts)
		e->count++;
}

int
api_limit_request(struct api_limit *l, const char *user, time_t now)
{
	struct limit_entry *e;

	if (l->max_per_minute <= 0)
		return 0;
	if ((e = table_find(&l->users, user)) == NULL)
		e = table_add(&l->users, user, now, 60);
	else if (now - 60 > e->start) {
		e->start = now;
		e->count = 0;
	}
	if (e->count <= l->max_per_minute)
		e->count++;
	return e->count > l->max_per_minute ? -1 : 0;
}
