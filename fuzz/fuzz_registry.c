/*
 * fuzz_registry.c — a stateful libFuzzer target for the registry.  The input
 * is a little program of adds, removals, updates, flushes (whole and in
 * parts), keepalive touches and restarts; a
 * simple model checks ids (increasing, never reused), name and id lookups
 * (hash tombstones), batching and what survives a reopen.  The registry
 * parses no wire input itself, but every agent string it stores comes from
 * one, and its name hash and flush ordering are easy to get subtly wrong.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/hash.h"
#include "lib/log.h"
#include "node/registry/registry.h"
#include "proto/secmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXOPS 256
#define KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct model_agent {
	unsigned int id;
	char name[16];
	int status;
	char label[8];
	int live;
};

static char dbpath[64];

static void
db_unlink(void)
{
	char p[80];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

static struct model_agent *
model_by_name(struct model_agent *m, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].live && strcmp(m[i].name, name) == 0)
			return &m[i];
	return NULL;
}

static struct model_agent *
model_by_id(struct model_agent *m, size_t n, unsigned int id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].live && m[i].id == id)
			return &m[i];
	return NULL;
}

/* check: the registry holds exactly the model's live agents, sorted, findable both ways. */
static void
check(struct registry *r, struct model_agent *m, size_t n)
{
	size_t i, live = 0;
	struct agent *a;

	for (i = 0; i < n; i++) {
		if (!m[i].live)
			continue;
		live++;
		a = registry_agent_by_id(r, m[i].id);
		assert(a != NULL && !a->removed);
		assert(strcmp(a->name, m[i].name) == 0);
		assert(registry_agent_by_name(r, m[i].name) == a);
		assert(a->st.status == m[i].status);
		assert(strcmp(a->st.info.labels, m[i].label) == 0);
	}
	assert(registry_count(r) == live + 1);
	assert(registry_agent_at(r, 0)->id == 0);
	for (i = 1; i < registry_count(r); i++)
		assert(registry_agent_at(r, i - 1)->id < registry_agent_at(r, i)->id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model_agent m[MAXOPS];
	struct registry *r;
	struct model_agent *ma;
	struct agent *a;
	unsigned int max_id = 0, id;
	size_t n = 0, i = 0, pending = 0, ops = 0;
	char name[16];
	int rc;

	if (dbpath[0] == '\0') {
		char dir[] = "/tmp/vigil-fuzz-registry-XXXXXX";

		log_init("fuzz_registry", 0);
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(dbpath, sizeof(dbpath), "%s/r.db", dir);
	}
	db_unlink();
	memset(m, 0, sizeof(m));
	if ((r = registry_open(dbpath, "mgr", "node", "v4.12.0")) == NULL)
		abort();
	while (i + 1 < size && ops++ < MAXOPS) {
		uint8_t op = data[i++], arg = data[i++];

		switch (op % 8) {
		case 0:     /* add: a small name space makes duplicates common */
			snprintf(name, sizeof(name), "a%u", arg % 48);
			a = registry_agent_add(r, name, "any", "10.0.0.1", KEY, NULL, 1);
			if (model_by_name(m, n, name) != NULL || strcmp(name, "mgr") == 0) {
				assert(a == NULL);
				break;
			}
			assert(a != NULL && a->id == max_id + 1);
			assert(n < MAXOPS);
			max_id = a->id;
			m[n].id = a->id;
			snprintf(m[n].name, sizeof(m[n].name), "%s", name);
			m[n].live = 1;
			n++;
			pending++;
			break;
		case 1:     /* remove, sometimes an unknown id or 000 */
			id = arg % (max_id + 2);
			ma = model_by_id(m, n, id);
			rc = registry_agent_remove(r, id);
			assert(rc == (ma != NULL ? 0 : -1));
			if (ma != NULL) {
				ma->live = 0;
				pending++;
			}
			break;
		case 2:     /* update */
			if (n == 0)
				break;
			ma = &m[arg % n];
			if (!ma->live)
				break;
			a = registry_agent_by_id(r, ma->id);
			a->st.status = arg % 4;
			snprintf(a->st.info.labels, sizeof(a->st.info.labels), "l%u", arg);
			ma->status = a->st.status;
			snprintf(ma->label, sizeof(ma->label), "l%u", arg);
			if (!a->dirty)
				pending++;
			registry_agent_dirty(r, a);
			break;
		case 3:     /* flush: every queued row is written (removed dirty ones only once) */
			assert(registry_pending(r) == pending);
			rc = registry_flush(r);
			assert(rc >= 0);
			assert(registry_pending(r) == 0);
			pending = 0;
			break;
		case 4:     /* restart */
			registry_close(r);
			if ((r = registry_open(dbpath, "mgr", "node", "v4.12.0")) == NULL)
				abort();
			for (id = 0; id < n; id++)
				if (m[id].live && (m[id].status == AGENT_PENDING ||
				    m[id].status == AGENT_ACTIVE))
					m[id].status = AGENT_DISCONNECTED;
			pending = 0;
			break;
		case 6:     /* a partial flush (the worker's bounded flush): removed agents freed */
			rc = registry_flush_some(r, arg % 4);
			assert(rc >= 0);
			assert(registry_pending(r) <= pending);
			pending = registry_pending(r);
			break;
		case 7:     /* keepalive touches, written in small parts */
			if (n > 0 && m[arg % n].live)
				registry_agent_touch(r, registry_agent_by_id(r, m[arg % n].id));
			assert(registry_flush_touches(r, arg % 3) >= 0);
			break;
		default:    /* lookups of names that may or may not exist */
			snprintf(name, sizeof(name), "a%u", arg % 48);
			a = registry_agent_by_name(r, name);
			ma = model_by_name(m, n, name);
			assert((a == NULL) == (ma == NULL));
			if (a != NULL)
				assert(a->id == ma->id);
			break;
		}
		check(r, m, n);
	}
	registry_close(r);
	return 0;
}
