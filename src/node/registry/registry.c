/* registry.c — the master's agent table: sorted in memory, persisted to SQLite in batches. */
#include "node/registry/registry.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/hash.h"
#include "lib/log.h"
#include "lib/promtext.h"
#include "node/registry/registry_db.h"
#include "proto/secmsg.h"

#define REGISTRY_META_MAXID "registry.max_agent_id"

/* A growable array of agent pointers. */
struct agent_vec {
	struct agent **v;
	size_t n, cap;
};

struct registry {
	struct regdb *db;
	struct agent_vec agents;    /* sorted by id; [0] is agent 000 */
	unsigned int *ids;          /* agents.v[i]->id, contiguous for the search */
	size_t ids_cap;
	struct agent **names;       /* open-addressing hash by name; NULL empty */
	size_t names_cap;           /* power of two */
	size_t names_used;          /* live + tombstones */
	struct agent_vec dirty;     /* queued upserts (a->dirty set) */
	struct agent_vec gone;      /* removed, awaiting DELETE; freed after commit */
	struct { unsigned int *v; size_t n, cap; } touched;  /* ids whose keepalive time is unsaved */
	unsigned int max_id;        /* highest id ever issued */
	unsigned int max_id_saved;  /* what meta holds */
	uint64_t rows_written;      /* upserts and deletes committed */
	uint64_t commits;           /* flush transactions committed */
	struct promhist commit_s;   /* each flush transaction, BEGIN to COMMIT, in seconds */
};

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Marks a deleted slot in the name hash so probing continues past it. */
static struct agent name_tombstone;
#define TOMB (&name_tombstone)

static int
vec_push(struct agent_vec *vec, struct agent *a)
{
	struct agent **nv;
	size_t ncap;

	if (vec->n == vec->cap) {
		ncap = vec->cap ? vec->cap * 2 : 64;
		if ((nv = reallocarray(vec->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		vec->v = nv;
		vec->cap = ncap;
	}
	vec->v[vec->n++] = a;
	return 0;
}

/* name_hash: the name's FNV-1a. */
static size_t
name_hash(const char *s)
{
	return (size_t)hash_fnv1a(s, strlen(s));
}

/*
 * names_slot: the slot holding name.  When name is absent: for an insert, the
 * first empty or tombstone slot on its probe path; for a lookup, an empty
 * slot.  NULL when the probe wraps the whole table without finding either.
 */
static struct agent **
names_slot(const struct registry *r, const char *name, int for_insert)
{
	size_t mask = r->names_cap - 1, i = name_hash(name) & mask, n;
	struct agent **tomb = NULL, *e;

	for (n = 0; n < r->names_cap; n++, i = (i + 1) & mask) {
		e = r->names[i];
		if (e == NULL)
			return (for_insert && tomb != NULL) ? tomb : &r->names[i];
		if (e == TOMB) {
			if (tomb == NULL)
				tomb = &r->names[i];
		} else if (strcmp(e->name, name) == 0)
			return &r->names[i];
	}
	return for_insert ? tomb : NULL;
}

/* names_grow: rebuilds the hash so that it stays at most half full, dropping tombstones. */
static int
names_grow(struct registry *r)
{
	struct agent **old = r->names, **slot;
	size_t oldcap = r->names_cap, ncap = 1024, i;

	while (ncap < 4 * (r->agents.n + 1))
		ncap *= 2;
	if ((r->names = calloc(ncap, sizeof(*r->names))) == NULL) {
		r->names = old;
		return -1;
	}
	r->names_cap = ncap;
	r->names_used = 0;
	for (i = 0; i < oldcap; i++) {
		if (old[i] == NULL || old[i] == TOMB)
			continue;
		slot = names_slot(r, old[i]->name, 1);
		assert(slot != NULL && *slot == NULL);
		*slot = old[i];
		r->names_used++;
	}
	free(old);
	return 0;
}

/* names_insert: adds a to the name hash; -1 when the name is taken or on memory failure. */
static int
names_insert(struct registry *r, struct agent *a)
{
	struct agent **slot;

	if (2 * (r->names_used + 1) > r->names_cap && names_grow(r) == -1)
		return -1;
	if ((slot = names_slot(r, a->name, 1)) == NULL)
		return -1;
	if (*slot != NULL && *slot != TOMB)
		return -1;
	if (*slot == NULL)
		r->names_used++;
	*slot = a;
	return 0;
}

static void
names_delete(struct registry *r, const struct agent *a)
{
	struct agent **slot;

	if (r->names_cap == 0)
		return;
	slot = names_slot(r, a->name, 0);
	if (slot != NULL && *slot == a)
		*slot = TOMB;
}

/*
 * agent_index: position of id in the sorted array, or where it would be inserted.  Ids are
 * issued in order, so in a fleet without gaps agent id sits at index id: tried first.
 */
static size_t
agent_index(const struct registry *r, unsigned int id, int *found)
{
	size_t lo = 0, hi = r->agents.n, mid;

	*found = 0;
	if (id < hi && r->ids[id] == id) {
		*found = 1;
		return id;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->ids[mid] < id)
			lo = mid + 1;
		else if (r->ids[mid] > id)
			hi = mid;
		else {
			*found = 1;
			return mid;
		}
	}
	return lo;
}

/* ids_fit: the id array as long as the agent array's capacity.  0 / -1. */
static int
ids_fit(struct registry *r)
{
	unsigned int *nv;

	if (r->ids_cap >= r->agents.cap)
		return 0;
	if ((nv = reallocarray(r->ids, r->agents.cap, sizeof(*nv))) == NULL)
		return -1;
	r->ids = nv;
	r->ids_cap = r->agents.cap;
	return 0;
}

/* agent_insert: puts a into the sorted array and the name hash. 0 / -1 (duplicate id or name). */
static int
agent_insert(struct registry *r, struct agent *a)
{
	size_t i;
	int found;

	i = agent_index(r, a->id, &found);
	if (found)
		return -1;
	if (vec_push(&r->agents, a) == -1)
		return -1;
	if (ids_fit(r) == -1 || names_insert(r, a) == -1) {
		r->agents.n--;
		return -1;
	}
	memmove(&r->agents.v[i + 1], &r->agents.v[i], (r->agents.n - 1 - i) * sizeof(a));
	memmove(&r->ids[i + 1], &r->ids[i], (r->agents.n - 1 - i) * sizeof(*r->ids));
	r->agents.v[i] = a;
	r->ids[i] = a->id;
	return 0;
}

static void
agent_derive_key(struct agent *a)
{
	char id[16];

	if (a->key[0] == '\0') {
		a->enc_key[0] = '\0';
		return;
	}
	agent_id_format(a->id, id, sizeof(id));
	secmsg_key_derive(id, a->name, a->key, a->enc_key);
}

/*
 * registry_load: reads every agent row into memory.  Agents stored as
 * pending or active come back disconnected (connection lost, now): no
 * session survives a restart.  A row whose id, name or key is unusable or
 * duplicated fails the load rather than losing the agent silently.
 */
static int
registry_load(struct registry *r, time_t now)
{
	struct agent *a = NULL;
	int rc;

	if (regdb_load_begin(r->db) == -1)
		return -1;
	for (;;) {
		if ((a = calloc(1, sizeof(*a))) == NULL) {
			log_warn("registry: load");
			goto err;
		}
		if ((rc = regdb_load_next(r->db, a)) == 0)
			break;
		if (rc == -1)
			goto err;
		if (a->st.status < AGENT_NEVER_CONNECTED || a->st.status > AGENT_DISCONNECTED) {
			log_warnx("registry: load: agent %03u: unknown status %d", a->id, a->st.status);
			a->st.status = a->st.last_keepalive ? AGENT_DISCONNECTED : AGENT_NEVER_CONNECTED;
			a->dirty = 1;
		}
		if (a->st.status_code < AGENT_CODE_OK ||
		    a->st.status_code > AGENT_CODE_NODE_UNREACHABLE) {
			a->st.status_code = AGENT_CODE_OK;
			a->dirty = 1;
		}
		if (a->group_config_synced != 0 && a->group_config_synced != 1) {
			a->group_config_synced = 0;
			a->dirty = 1;
		}
		if (a->id != 0 && (a->st.status == AGENT_PENDING || a->st.status == AGENT_ACTIVE)) {
			a->st.status = AGENT_DISCONNECTED;
			a->st.status_code = AGENT_CODE_CONNECTION_LOST;
			a->st.disconnection_time = now;
			a->dirty = 1;
		}
		agent_derive_key(a);
		if (agent_insert(r, a) == -1) {
			log_warnx("registry: load: agent %03u '%s' duplicated or out of memory",
			    a->id, a->name);
			goto err;
		}
		if (a->id > r->max_id)
			r->max_id = a->id;
		if (a->dirty && vec_push(&r->dirty, a) == -1) {
			a = NULL;   /* owned by the table now */
			goto err;
		}
		a = NULL;
	}
	free(a);
	regdb_load_end(r->db);
	return 0;
err:
	free(a);
	regdb_load_end(r->db);
	return -1;
}

/* registry_manager_agent: creates or refreshes agent 000, the manager itself. */
static int
registry_manager_agent(struct registry *r, const char *manager_name, const char *node_name,
    const char *manager_version, time_t now)
{
	struct agent *a, *other;
	int created = 0;

	if (manager_name == NULL || manager_name[0] == '\0' ||
	    strlen(manager_name) >= sizeof(a->name)) {
		log_warnx("registry: invalid manager name");
		return -1;
	}
	other = registry_agent_by_name(r, manager_name);
	if (other != NULL && other->id != 0) {
		log_warnx("registry: agent %03u is named '%s' like this manager; rename or "
		    "remove it", other->id, manager_name);
		return -1;
	}
	if ((a = registry_agent_by_id(r, 0)) == NULL) {
		if ((a = calloc(1, sizeof(*a))) == NULL) {
			log_warn("registry: agent 000");
			return -1;
		}
		a->date_add = now;
		created = 1;
	} else
		names_delete(r, a);
	snprintf(a->name, sizeof(a->name), "%s", manager_name);
	snprintf(a->st.manager, sizeof(a->st.manager), "%s", manager_name);
	snprintf(a->ip, sizeof(a->ip), "127.0.0.1");
	snprintf(a->register_ip, sizeof(a->register_ip), "127.0.0.1");
	snprintf(a->node_name, sizeof(a->node_name), "%s", node_name ? node_name : "");
	if (manager_version == NULL)
		manager_version = "";
	if (strncmp(manager_version, "Wazuh ", 6) == 0)
		snprintf(a->st.info.version, sizeof(a->st.info.version), "%s", manager_version);
	else
		snprintf(a->st.info.version, sizeof(a->st.info.version), "Wazuh %s", manager_version);
	a->st.status = AGENT_ACTIVE;
	a->st.status_code = AGENT_CODE_OK;
	a->st.disconnection_time = 0;
	/* wazuh-db's manager row: a keepalive that never ages, its configuration synced */
	a->st.last_keepalive = REGISTRY_MANAGER_KEEPALIVE;
	a->group_config_synced = 1;
	if (created) {
		if (agent_insert(r, a) == -1) {
			free(a);
			return -1;
		}
	} else if (names_insert(r, a) == -1)
		return -1;
	registry_agent_dirty(r, a);
	return a->dirty ? 0 : -1;
}

void
registry_manager_os(struct registry *r, const struct agent_info *ai)
{
	struct agent *a = registry_agent_by_id(r, 0);
	struct agent_info *to;

	if (a == NULL)
		return;
	to = &a->st.info;
#define TAKE(f) snprintf(to->f, sizeof(to->f), "%s", ai->f)
	TAKE(os_uname);
	TAKE(os_name);
	TAKE(os_version);
	TAKE(os_major);
	TAKE(os_minor);
	TAKE(os_build);
	TAKE(os_codename);
	TAKE(os_platform);
	TAKE(os_arch);
#undef TAKE
	registry_agent_dirty(r, a);
}

struct registry *
registry_open(const char *path, const char *manager_name, const char *node_name,
    const char *manager_version)
{
	return registry_open_wait(path, manager_name, node_name, manager_version, 0);
}

int
registry_check(struct registry *r)
{
	return regdb_check(r->db);
}

long long
registry_term(struct registry *r)
{
	return regdb_term(r->db);
}

struct registry *
registry_open_wait(const char *path, const char *manager_name, const char *node_name,
    const char *manager_version, int wait)
{
	struct registry *r;
	char buf[32];
	long long v;
	time_t now = time(NULL);
	char shown[1024];

	if ((r = calloc(1, sizeof(*r))) != NULL)
		promhist_init(&r->commit_s, promhist_latency_s, promhist_latency_n);
	if (r == NULL) {
		log_warn("registry_open");
		return NULL;
	}
	registry_where(path, shown, sizeof(shown));
	if ((r->db = regdb_open(path, node_name, wait)) == NULL)
		goto err;
	if (names_grow(r) == -1 || registry_load(r, now) == -1)
		goto err;
	if (registry_meta_get(r, REGISTRY_META_MAXID, buf, sizeof(buf)) == 0) {
		char *end;

		v = strtoll(buf, &end, 10);
		if (end == buf || *end != '\0' || v < 0 || v > REGDB_ID_MAX) {
			log_warnx("registry: %s: bad %s '%s'", shown, REGISTRY_META_MAXID, buf);
			goto err;
		}
		r->max_id_saved = (unsigned int)v;
		if (r->max_id_saved > r->max_id)
			r->max_id = r->max_id_saved;
	}
	if (registry_manager_agent(r, manager_name, node_name, manager_version, now) == -1)
		goto err;
	if (registry_flush(r) == -1)
		goto err;
	log_info("registry: %s: %zu agents, highest id %u", shown, r->agents.n, r->max_id);
	return r;
err:
	log_warnx("registry: cannot open %s", shown);
	r->dirty.n = 0;   /* nothing to write: close must not try */
	registry_close(r);
	return NULL;
}

void
registry_close(struct registry *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->db != NULL && registry_pending(r) > 0 && registry_flush(r) == -1)
		log_warnx("registry: close: %zu changes lost", registry_pending(r));
	while (r->db != NULL && registry_touches_pending(r) > 0)
		if (registry_flush_touches(r, 5000) == -1) {
			log_warnx("registry: close: %zu keepalive times lost",
			    registry_touches_pending(r));
			break;
		}
	regdb_close(r->db);
	for (i = 0; i < r->agents.n; i++)
		free(r->agents.v[i]);
	for (i = 0; i < r->gone.n; i++)
		free(r->gone.v[i]);
	free(r->agents.v);
	free(r->ids);
	free(r->gone.v);
	free(r->dirty.v);
	free(r->touched.v);
	free(r->names);
	free(r);
}

size_t
registry_count(const struct registry *r)
{
	return r->agents.n;
}

struct agent *
registry_agent_at(const struct registry *r, size_t i)
{
	return i < r->agents.n ? r->agents.v[i] : NULL;
}

struct agent *
registry_agent_by_id(const struct registry *r, unsigned int id)
{
	size_t i;
	int found;

	i = agent_index(r, id, &found);
	return found ? r->agents.v[i] : NULL;
}

struct agent *
registry_agent_by_name(const struct registry *r, const char *name)
{
	struct agent **slot;

	if (name == NULL || r->names_cap == 0)
		return NULL;
	slot = names_slot(r, name, 0);
	if (slot == NULL || *slot == NULL || *slot == TOMB)
		return NULL;
	return *slot;
}

/*
 * A linear scan: it serves only payloads without an "!id!" prefix, which
 * come from agents registered with a fixed ip.  Agent 000 is never returned.
 */
struct agent *
registry_agent_by_ip(const struct registry *r, const char *ip)
{
	size_t i;

	if (ip == NULL || ip[0] == '\0' || strcmp(ip, "any") == 0 || strchr(ip, '/') != NULL)
		return NULL;
	for (i = 1; i < r->agents.n; i++)
		if (strcmp(r->agents.v[i]->ip, ip) == 0)
			return r->agents.v[i];
	return NULL;
}

static int
field_set(char *dst, size_t cap, const char *src)
{
	int n;

	n = snprintf(dst, cap, "%s", src);
	return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

struct agent *
registry_agent_add(struct registry *r, const char *name, const char *ip,
    const char *register_ip, const char *key, const char *groups, time_t now)
{
	if (r->max_id >= REGDB_ID_MAX) {
		log_warnx("registry: add: agent ids exhausted");
		return NULL;
	}
	return registry_agent_put(r, r->max_id + 1, name, ip, register_ip, key, groups, now);
}

struct agent *
registry_agent_put(struct registry *r, unsigned int id, const char *name, const char *ip,
    const char *register_ip, const char *key, const char *groups, time_t now)
{
	struct agent *a;
	int found;

	if (id == 0 || id > REGDB_ID_MAX) {
		log_warnx("registry: add: bad id %u", id);
		return NULL;
	}
	(void)agent_index(r, id, &found);
	if (found) {
		log_warnx("registry: add: id %03u is taken", id);
		return NULL;
	}
	if (name == NULL || name[0] == '\0' || ip == NULL || key == NULL) {
		log_warnx("registry: add: missing name, ip or key");
		return NULL;
	}
	if (registry_agent_by_name(r, name) != NULL) {
		log_warnx("registry: add: name '%s' is taken", name);
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		log_warn("registry: add");
		return NULL;
	}
	if (field_set(a->name, sizeof(a->name), name) == -1 ||
	    field_set(a->ip, sizeof(a->ip), ip) == -1 ||
	    field_set(a->register_ip, sizeof(a->register_ip),
	    register_ip ? register_ip : "") == -1 ||
	    field_set(a->key, sizeof(a->key), key) == -1 ||
	    field_set(a->group, sizeof(a->group),
	    groups != NULL && groups[0] != '\0' ? groups : "default") == -1) {
		log_warnx("registry: add: '%.40s': a field is too long", name);
		goto err;
	}
	a->id = id;
	a->st.status = AGENT_NEVER_CONNECTED;
	a->date_add = now;
	agent_derive_key(a);
	if (vec_push(&r->dirty, a) == -1 || agent_insert(r, a) == -1) {
		log_warnx("registry: add: out of memory");
		/* Take a back out of the dirty queue if it got in. */
		if (r->dirty.n > 0 && r->dirty.v[r->dirty.n - 1] == a)
			r->dirty.n--;
		goto err;
	}
	a->dirty = 1;
	if (a->id > r->max_id)
		r->max_id = a->id;
	return a;
err:
	free(a);
	return NULL;
}

int
registry_agent_remove(struct registry *r, unsigned int id)
{
	struct agent *a;
	size_t i;
	int found;

	if (id == 0)
		return -1;
	i = agent_index(r, id, &found);
	if (!found)
		return -1;
	a = r->agents.v[i];
	if (vec_push(&r->gone, a) == -1) {
		log_warn("registry: remove %03u", id);
		return -1;
	}
	names_delete(r, a);
	memmove(&r->agents.v[i], &r->agents.v[i + 1], (r->agents.n - i - 1) * sizeof(a));
	memmove(&r->ids[i], &r->ids[i + 1], (r->agents.n - i - 1) * sizeof(*r->ids));
	r->agents.n--;
	a->removed = 1;
	a->session = NULL;
	free(a->held);   /* a session of it waiting in the ledger: gone with it */
	a->held = NULL;
	return 0;
}

void
registry_agent_dirty(struct registry *r, struct agent *a)
{
	if (a == NULL || a->dirty || a->removed)
		return;
	if (vec_push(&r->dirty, a) == -1) {
		log_warn("registry: agent %03u: cannot queue its update", a->id);
		return;
	}
	a->dirty = 1;
}

void
registry_agent_touch(struct registry *r, struct agent *a)
{
	unsigned int *v;

	if (a == NULL || a->dirty || a->touched || a->removed)
		return;   /* a queued whole row carries the time too */
	if (r->touched.n == r->touched.cap) {
		size_t cap = r->touched.cap ? r->touched.cap * 2 : 1024;

		if ((v = realloc(r->touched.v, cap * sizeof(*v))) == NULL)
			return;   /* the time is in memory; the next touch tries again */
		r->touched.v = v;
		r->touched.cap = cap;
	}
	r->touched.v[r->touched.n++] = a->id;
	a->touched = 1;
}

size_t
registry_touches_pending(const struct registry *r)
{
	return r->touched.n;
}

int
registry_flush_touches(struct registry *r, size_t max)
{
	size_t i, k = r->touched.n < max ? r->touched.n : max;
	int rows = 0;
	double t0;

	if (k == 0)
		return 0;
	t0 = mono_s();
	if (regdb_begin(r->db) == -1)
		return -1;
	for (i = 0; i < k; i++) {
		/* ids, not pointers: an agent removed meanwhile is simply not found */
		struct agent *a = registry_agent_by_id(r, r->touched.v[i]);

		if (a == NULL || !a->touched)
			continue;
		if (regdb_touch(r->db, a->id, (int64_t)a->st.last_keepalive) == -1) {
			regdb_rollback(r->db);
			return -1;
		}
		rows++;
	}
	if (regdb_commit(r->db) == -1)
		return -1;
	promhist_observe(&r->commit_s, mono_s() - t0);
	for (i = 0; i < k; i++) {
		struct agent *a = registry_agent_by_id(r, r->touched.v[i]);

		if (a != NULL)
			a->touched = 0;
	}
	memmove(r->touched.v, r->touched.v + k, (r->touched.n - k) * sizeof(*r->touched.v));
	r->touched.n -= k;
	r->rows_written += (uint64_t)rows;
	r->commits++;
	return rows;
}

size_t
registry_pending(const struct registry *r)
{
	return r->dirty.n + r->gone.n;
}

void
registry_write_stats(const struct registry *r, uint64_t *rows, uint64_t *commits)
{
	*rows = r->rows_written;
	*commits = r->commits;
}

const struct promhist *
registry_commit_seconds(const struct registry *r)
{
	return &r->commit_s;
}

/*
 * registry_flush: one transaction holding every removal, then every queued
 * upsert (removals first, so a name freed by a removal can be taken by an
 * agent added in the same batch), and the highest id issued.  On failure
 * nothing is committed and the queue is kept for the next attempt.
 */
int
registry_flush(struct registry *r)
{
	return registry_flush_some(r, (size_t)-1);
}

int
registry_flush_some(struct registry *r, size_t max_rows)
{
	char buf[32];
	size_t i, k;
	int rows = 0;
	double t0;

	if (registry_pending(r) == 0 && r->max_id == r->max_id_saved)
		return 0;
	/*
	 * A removed agent still queued for an upsert leaves the queue now: the
	 * removals below are freed after this commit, and a row queued past
	 * max_rows would otherwise keep pointing at freed memory.
	 */
	for (i = k = 0; i < r->dirty.n; i++)
		if (!r->dirty.v[i]->removed)
			r->dirty.v[k++] = r->dirty.v[i];
	r->dirty.n = k;
	/* removals all go in the first transaction (a name they free may be reused below) */
	if (max_rows < k)
		k = max_rows;
	t0 = mono_s();
	if (regdb_begin(r->db) == -1)
		return -1;
	for (i = 0; i < r->gone.n; i++) {
		if (regdb_delete(r->db, r->gone.v[i]->id) == -1)
			goto err;
		rows++;
	}
	for (i = 0; i < k; i++) {
		if (regdb_upsert(r->db, r->dirty.v[i]) == -1)
			goto err;
		r->dirty.v[i]->touched = 0;   /* the whole row carries the time */
		rows++;
	}
	if (r->max_id != r->max_id_saved) {
		snprintf(buf, sizeof(buf), "%u", r->max_id);
		if (regdb_meta_set(r->db, REGISTRY_META_MAXID, buf) == -1)
			goto err;
	}
	if (regdb_commit(r->db) == -1)
		goto err;
	promhist_observe(&r->commit_s, mono_s() - t0);
	r->max_id_saved = r->max_id;
	r->rows_written += (uint64_t)rows;
	r->commits++;
	for (i = 0; i < k; i++)
		r->dirty.v[i]->dirty = 0;
	memmove(r->dirty.v, r->dirty.v + k, (r->dirty.n - k) * sizeof(r->dirty.v[0]));
	r->dirty.n -= k;
	for (i = 0; i < r->gone.n; i++)
		free(r->gone.v[i]);
	r->gone.n = 0;
	return rows;
err:
	regdb_rollback(r->db);
	return -1;
}

/* Users and meta: small and rare, written at once. */

struct regdb *
registry_db(struct registry *r)
{
	return r->db;
}

int
registry_user_find(struct registry *r, const char *name, struct registry_user *u)
{
	return name != NULL ? regdb_user_find(r->db, name, u) : -1;
}

int
registry_user_find_id(struct registry *r, long long id, struct registry_user *u)
{
	return regdb_user_find_id(r->db, id, u);
}

int
registry_user_list(struct registry *r, struct registry_user **out, size_t *n)
{
	return regdb_user_list(r->db, out, n);
}

int
registry_user_add(struct registry *r, const char *name, const char *hash, int reserved,
    long long *id)
{
	if (name == NULL || name[0] == '\0' || hash == NULL)
		return -1;
	return regdb_user_add(r->db, name, hash, reserved, id);
}

int
registry_user_delete(struct registry *r, long long id)
{
	return regdb_user_delete(r->db, id);
}

int
registry_user_set_hash(struct registry *r, long long id, const char *hash)
{
	return hash != NULL ? regdb_user_set_hash(r->db, id, hash) : -1;
}

int
registry_user_revoke(struct registry *r, long long id, long long ms)
{
	return regdb_user_revoke(r->db, id, ms);
}

int
registry_user_role_add(struct registry *r, long long uid, int rid)
{
	return regdb_user_role_add(r->db, uid, rid);
}

int
registry_user_role_del(struct registry *r, long long uid, int rid)
{
	return regdb_user_role_del(r->db, uid, rid);
}

int
registry_user_count(struct registry *r)
{
	return regdb_user_count(r->db);
}

int
registry_meta_get(struct registry *r, const char *key, char *val, size_t cap)
{
	if (key == NULL || val == NULL || cap == 0)
		return -1;
	return regdb_meta_get(r->db, key, val, cap);
}

int
registry_meta_set(struct registry *r, const char *key, const char *val)
{
	if (key == NULL || val == NULL)
		return -1;
	return regdb_meta_set(r->db, key, val);
}

int
registry_groups_load(struct registry *r, int (*cb)(void *, const char *, const char *, size_t),
    void *arg)
{
	return regdb_group_load(r->db, cb, arg);
}

int
registry_group_save(struct registry *r, const char *name, const char *conf, size_t len)
{
	if (name == NULL || conf == NULL)
		return -1;
	return regdb_group_set(r->db, name, conf, len);
}

int
registry_group_delete(struct registry *r, const char *name)
{
	if (name == NULL)
		return -1;
	return regdb_group_delete(r->db, name);
}
