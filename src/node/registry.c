/* registry.c — the master's agent table: sorted in memory, persisted to SQLite in batches. */
#include "node/registry.h"

#include <assert.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "proto/secmsg.h"

#define REGISTRY_ID_MAX 99999999u         /* ids are at most 8 digits on the wire */
#define REGISTRY_BUSY_MS 5000
#define REGISTRY_APP_ID 0x5669676c         /* "Vigl": refuse other programs' databases */
#define REGISTRY_META_MAXID "registry.max_agent_id"

/*
 * Schema migrations, applied in order inside one transaction; PRAGMA
 * user_version counts the steps applied.  Never edit a released step: append
 * a new one.  The agent columns must match agent_cols below.
 */
static const char *const registry_migrations[] = {
	/* 1: initial schema. */
	"CREATE TABLE agent ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" ip TEXT NOT NULL DEFAULT '',"
	" register_ip TEXT NOT NULL DEFAULT '',"
	" key TEXT NOT NULL DEFAULT '',"
	" groups TEXT NOT NULL DEFAULT '',"
	" node_name TEXT NOT NULL DEFAULT '',"
	" manager TEXT NOT NULL DEFAULT '',"
	" status INTEGER NOT NULL DEFAULT 0,"
	" status_code INTEGER NOT NULL DEFAULT 0,"
	" group_config_synced INTEGER NOT NULL DEFAULT 0,"
	" date_add INTEGER NOT NULL DEFAULT 0,"
	" last_keepalive INTEGER NOT NULL DEFAULT 0,"
	" disconnection_time INTEGER NOT NULL DEFAULT 0,"
	" version TEXT NOT NULL DEFAULT '',"
	" os_uname TEXT NOT NULL DEFAULT '',"
	" os_name TEXT NOT NULL DEFAULT '',"
	" os_version TEXT NOT NULL DEFAULT '',"
	" os_major TEXT NOT NULL DEFAULT '',"
	" os_minor TEXT NOT NULL DEFAULT '',"
	" os_build TEXT NOT NULL DEFAULT '',"
	" os_codename TEXT NOT NULL DEFAULT '',"
	" os_platform TEXT NOT NULL DEFAULT '',"
	" os_arch TEXT NOT NULL DEFAULT '',"
	" config_sum TEXT NOT NULL DEFAULT '',"
	" merged_sum TEXT NOT NULL DEFAULT '',"
	" agent_ip TEXT NOT NULL DEFAULT '',"
	" labels TEXT NOT NULL DEFAULT '');"
	"CREATE UNIQUE INDEX agent_name ON agent (name);"
	"CREATE INDEX agent_node_name ON agent (node_name);"
	"CREATE INDEX agent_status ON agent (status);"
	"CREATE INDEX agent_ip ON agent (ip);"
	"CREATE TABLE user (name TEXT PRIMARY KEY, hash TEXT NOT NULL);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
};
#define REGISTRY_SCHEMA_VERSION \
	((int)(sizeof(registry_migrations) / sizeof(registry_migrations[0])))

enum col_type { COL_TEXT, COL_INT, COL_TIME };

/* Every persisted field of struct agent except id (always column 0). */
static const struct agent_col {
	const char *name;
	size_t off;
	size_t size;
	enum col_type type;
	int required;          /* a value that does not fit fails the load */
} agent_cols[] = {
#define T(c, f, req) { c, offsetof(struct agent, f), sizeof(((struct agent *)0)->f), COL_TEXT, req }
#define I(c, f) { c, offsetof(struct agent, f), sizeof(((struct agent *)0)->f), COL_INT, 0 }
#define S(c, f) { c, offsetof(struct agent, f), sizeof(((struct agent *)0)->f), COL_TIME, 0 }
	T("name", name, 1),
	T("ip", ip, 1),
	T("register_ip", register_ip, 0),
	T("key", key, 1),
	T("groups", group, 0),
	T("node_name", node_name, 0),
	T("manager", manager, 0),
	I("status", status),
	I("status_code", status_code),
	I("group_config_synced", group_config_synced),
	S("date_add", date_add),
	S("last_keepalive", last_keepalive),
	S("disconnection_time", disconnection_time),
	T("version", info.version, 0),
	T("os_uname", info.os_uname, 0),
	T("os_name", info.os_name, 0),
	T("os_version", info.os_version, 0),
	T("os_major", info.os_major, 0),
	T("os_minor", info.os_minor, 0),
	T("os_build", info.os_build, 0),
	T("os_codename", info.os_codename, 0),
	T("os_platform", info.os_platform, 0),
	T("os_arch", info.os_arch, 0),
	T("config_sum", info.config_sum, 0),
	T("merged_sum", info.merged_sum, 0),
	T("agent_ip", info.agent_ip, 0),
	T("labels", info.labels, 0),
#undef T
#undef I
#undef S
};
#define NCOLS (sizeof(agent_cols) / sizeof(agent_cols[0]))

/* A growable array of agent pointers. */
struct agent_vec {
	struct agent **v;
	size_t n, cap;
};

struct registry {
	sqlite3 *db;
	struct agent_vec agents;    /* sorted by id; [0] is agent 000 */
	struct agent **names;       /* open-addressing hash by name; NULL empty */
	size_t names_cap;           /* power of two */
	size_t names_used;          /* live + tombstones */
	struct agent_vec dirty;     /* queued upserts (a->dirty set) */
	struct agent_vec gone;      /* removed, awaiting DELETE; freed after commit */
	unsigned int max_id;        /* highest id ever issued */
	unsigned int max_id_saved;  /* what meta holds */
	sqlite3_stmt *st_upsert;
	sqlite3_stmt *st_delete;
	sqlite3_stmt *st_meta_set;
};

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

/* FNV-1a over the name. */
static size_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
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

/* agent_index: position of id in the sorted array, or where it would be inserted. */
static size_t
agent_index(const struct registry *r, unsigned int id, int *found)
{
	size_t lo = 0, hi = r->agents.n, mid;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->agents.v[mid]->id < id)
			lo = mid + 1;
		else if (r->agents.v[mid]->id > id)
			hi = mid;
		else {
			*found = 1;
			return mid;
		}
	}
	return lo;
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
	if (names_insert(r, a) == -1) {
		r->agents.n--;
		return -1;
	}
	memmove(&r->agents.v[i + 1], &r->agents.v[i], (r->agents.n - 1 - i) * sizeof(a));
	r->agents.v[i] = a;
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

/* Small SQL helpers. */

static int
db_exec(struct registry *r, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(r->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("registry: %.48s: %s", sql, msg != NULL ? msg : sqlite3_errmsg(r->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *
db_prepare(struct registry *r, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		log_warnx("registry: prepare: %s", sqlite3_errmsg(r->db));
		return NULL;
	}
	return st;
}

/* db_pragma_int: the integer a one-row pragma returns, -1 on error. */
static long long
db_pragma_int(struct registry *r, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("registry: %s: %s", sql, sqlite3_errmsg(r->db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		log_warnx("registry: %s: %s", sql, sqlite3_errmsg(r->db));
	sqlite3_finalize(st);
	return v;
}

/* db_wal: switches to WAL; a file system that cannot do WAL keeps working, with a warning. */
static int
db_wal(struct registry *r)
{
	sqlite3_stmt *st;
	const unsigned char *mode;
	int ret = -1;

	if (sqlite3_prepare_v2(r->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK) {
		log_warnx("registry: journal_mode: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		mode = sqlite3_column_text(st, 0);
		if (mode == NULL || strcmp((const char *)mode, "wal") != 0)
			log_warnx("registry: WAL unavailable, journal mode is %s",
			    mode ? (const char *)mode : "unknown");
		ret = 0;
	} else
		log_warnx("registry: journal_mode: %s", sqlite3_errmsg(r->db));
	sqlite3_finalize(st);
	return ret;
}

/* sql_append: appends formatted text to buf; -1 on truncation. */
static int __attribute__((format(printf, 4, 5)))
sql_append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

/*
 * registry_migrate: brings the schema to REGISTRY_SCHEMA_VERSION in one
 * transaction.  Refuses a database of another application or of a newer
 * schema than this program knows.
 */
static int
registry_migrate(struct registry *r)
{
	long long version, appid;
	char sql[96];
	int i;

	if (db_exec(r, "BEGIN IMMEDIATE") == -1)
		return -1;
	if ((appid = db_pragma_int(r, "PRAGMA application_id")) == -1 ||
	    (version = db_pragma_int(r, "PRAGMA user_version")) == -1)
		goto err;
	if (appid != 0 && appid != REGISTRY_APP_ID) {
		log_warnx("registry: not a vigil database (application_id %lld)", appid);
		goto err;
	}
	if (version > REGISTRY_SCHEMA_VERSION) {
		log_warnx("registry: schema version %lld is newer than this program's %d",
		    version, REGISTRY_SCHEMA_VERSION);
		goto err;
	}
	for (i = (int)version; i < REGISTRY_SCHEMA_VERSION; i++) {
		log_info("registry: migrating schema to version %d", i + 1);
		if (db_exec(r, registry_migrations[i]) == -1)
			goto err;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", REGISTRY_SCHEMA_VERSION);
	if (db_exec(r, sql) == -1)
		goto err;
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", REGISTRY_APP_ID);
	if (db_exec(r, sql) == -1)
		goto err;
	if (db_exec(r, "COMMIT") == -1)
		goto err;
	return 0;
err:
	sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* registry_prepare_all: builds the statements flush reuses. */
static int
registry_prepare_all(struct registry *r)
{
	char sql[4096];
	size_t len = 0, i;

	if (sql_append(sql, sizeof(sql), &len, "INSERT INTO agent (id") == -1)
		return -1;
	for (i = 0; i < NCOLS; i++)
		if (sql_append(sql, sizeof(sql), &len, ", %s", agent_cols[i].name) == -1)
			return -1;
	if (sql_append(sql, sizeof(sql), &len, ") VALUES (?") == -1)
		return -1;
	for (i = 0; i < NCOLS; i++)
		if (sql_append(sql, sizeof(sql), &len, ", ?") == -1)
			return -1;
	if (sql_append(sql, sizeof(sql), &len, ") ON CONFLICT (id) DO UPDATE SET ") == -1)
		return -1;
	for (i = 0; i < NCOLS; i++)
		if (sql_append(sql, sizeof(sql), &len, "%s%s = excluded.%s", i ? ", " : "",
		    agent_cols[i].name, agent_cols[i].name) == -1)
			return -1;
	if ((r->st_upsert = db_prepare(r, sql)) == NULL ||
	    (r->st_delete = db_prepare(r, "DELETE FROM agent WHERE id = ?")) == NULL ||
	    (r->st_meta_set = db_prepare(r,
	    "INSERT INTO meta (key, value) VALUES (?, ?) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value")) == NULL)
		return -1;
	return 0;
}

/* col_load: copies column i+1 of st into a's field; -1 when a required text does not fit. */
static int
col_load(sqlite3_stmt *st, int col, const struct agent_col *c, struct agent *a)
{
	char *p = (char *)a + c->off;
	const unsigned char *s;
	size_t n;

	switch (c->type) {
	case COL_TEXT:
		s = sqlite3_column_text(st, col);
		n = (size_t)sqlite3_column_bytes(st, col);
		if (s == NULL)
			n = 0;
		else if (memchr(s, '\0', n) != NULL)
			n = strlen((const char *)s);
		if (n >= c->size) {
			if (c->required)
				return -1;
			n = c->size - 1;
		}
		if (n > 0)
			memcpy(p, s, n);
		p[n] = '\0';
		break;
	case COL_INT: {
		long long v = sqlite3_column_int64(st, col);
		int iv = (v < 0 || v > 0xffff) ? -1 : (int)v;

		memcpy(p, &iv, sizeof(iv));
		break;
	}
	case COL_TIME: {
		time_t t = (time_t)sqlite3_column_int64(st, col);

		if (t < 0)
			t = 0;
		memcpy(p, &t, sizeof(t));
		break;
	}
	}
	return 0;
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
	sqlite3_stmt *st = NULL;
	struct agent *a = NULL;
	char sql[2048];
	size_t len = 0, i;
	long long id;
	int rc;

	if (sql_append(sql, sizeof(sql), &len, "SELECT id") == -1)
		return -1;
	for (i = 0; i < NCOLS; i++)
		if (sql_append(sql, sizeof(sql), &len, ", %s", agent_cols[i].name) == -1)
			return -1;
	if (sql_append(sql, sizeof(sql), &len, " FROM agent ORDER BY id") == -1)
		return -1;
	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("registry: load: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((a = calloc(1, sizeof(*a))) == NULL) {
			log_warn("registry: load");
			goto err;
		}
		id = sqlite3_column_int64(st, 0);
		if (id < 0 || id > REGISTRY_ID_MAX) {
			log_warnx("registry: load: agent id %lld out of range", id);
			goto err;
		}
		a->id = (unsigned int)id;
		for (i = 0; i < NCOLS; i++) {
			if (col_load(st, (int)i + 1, &agent_cols[i], a) == -1) {
				log_warnx("registry: load: agent %03u: %s too long", a->id,
				    agent_cols[i].name);
				goto err;
			}
		}
		if (a->name[0] == '\0') {
			log_warnx("registry: load: agent %03u has no name", a->id);
			goto err;
		}
		if (a->status < AGENT_NEVER_CONNECTED || a->status > AGENT_DISCONNECTED) {
			log_warnx("registry: load: agent %03u: unknown status %d", a->id, a->status);
			a->status = a->last_keepalive ? AGENT_DISCONNECTED : AGENT_NEVER_CONNECTED;
			a->dirty = 1;
		}
		if (a->status_code < AGENT_CODE_OK ||
		    a->status_code > AGENT_CODE_NODE_UNREACHABLE) {
			a->status_code = AGENT_CODE_OK;
			a->dirty = 1;
		}
		if (a->group_config_synced != 0 && a->group_config_synced != 1) {
			a->group_config_synced = 0;
			a->dirty = 1;
		}
		if (a->id != 0 && (a->status == AGENT_PENDING || a->status == AGENT_ACTIVE)) {
			a->status = AGENT_DISCONNECTED;
			a->status_code = AGENT_CODE_CONNECTION_LOST;
			a->disconnection_time = now;
			a->dirty = 1;
		}
		agent_derive_key(a);
		if (agent_insert(r, a) == -1) {
			log_warnx("registry: load: agent %03u '%s' duplicated or out of memory",
			    a->id, a->name);
			goto err;
		}
		if (a->dirty && vec_push(&r->dirty, a) == -1) {
			a = NULL;
			goto err;
		}
		if (a->id > r->max_id)
			r->max_id = a->id;
		a = NULL;
	}
	if (rc != SQLITE_DONE) {
		log_warnx("registry: load: %s", sqlite3_errmsg(r->db));
		goto err;
	}
	sqlite3_finalize(st);
	return 0;
err:
	free(a);
	sqlite3_finalize(st);
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
	snprintf(a->manager, sizeof(a->manager), "%s", manager_name);
	snprintf(a->ip, sizeof(a->ip), "127.0.0.1");
	snprintf(a->register_ip, sizeof(a->register_ip), "127.0.0.1");
	snprintf(a->node_name, sizeof(a->node_name), "%s", node_name ? node_name : "");
	if (manager_version == NULL)
		manager_version = "";
	if (strncmp(manager_version, "Wazuh ", 6) == 0)
		snprintf(a->info.version, sizeof(a->info.version), "%s", manager_version);
	else
		snprintf(a->info.version, sizeof(a->info.version), "Wazuh %s", manager_version);
	a->status = AGENT_ACTIVE;
	a->status_code = AGENT_CODE_OK;
	a->disconnection_time = 0;
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

struct registry *
registry_open(const char *path, const char *manager_name, const char *node_name,
    const char *manager_version)
{
	struct registry *r;
	char buf[32];
	long long v;
	time_t now = time(NULL);

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("registry_open");
		return NULL;
	}
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_warnx("registry: %s: %s", path,
		    r->db ? sqlite3_errmsg(r->db) : "out of memory");
		goto err;
	}
	sqlite3_extended_result_codes(r->db, 1);
	sqlite3_busy_timeout(r->db, REGISTRY_BUSY_MS);
	/* The first statement reads the header: a file that is not a database fails here. */
	if (db_wal(r) == -1 || db_exec(r, "PRAGMA synchronous = NORMAL") == -1)
		goto err;
	if (registry_migrate(r) == -1 || registry_prepare_all(r) == -1)
		goto err;
	if (names_grow(r) == -1 || registry_load(r, now) == -1)
		goto err;
	if (registry_meta_get(r, REGISTRY_META_MAXID, buf, sizeof(buf)) == 0) {
		char *end;

		v = strtoll(buf, &end, 10);
		if (*end != '\0' || v < 0 || v > REGISTRY_ID_MAX) {
			log_warnx("registry: %s: bad %s '%s'", path, REGISTRY_META_MAXID, buf);
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
	log_info("registry: %s: %zu agents, highest id %u", path, r->agents.n, r->max_id);
	return r;
err:
	log_warnx("registry: cannot open %s", path);
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
	sqlite3_finalize(r->st_upsert);
	sqlite3_finalize(r->st_delete);
	sqlite3_finalize(r->st_meta_set);
	if (r->db != NULL && sqlite3_close(r->db) != SQLITE_OK)
		log_warnx("registry: close: %s", sqlite3_errmsg(r->db));
	for (i = 0; i < r->agents.n; i++)
		free(r->agents.v[i]);
	for (i = 0; i < r->gone.n; i++)
		free(r->gone.v[i]);
	free(r->agents.v);
	free(r->gone.v);
	free(r->dirty.v);
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
	struct agent *a;

	if (name == NULL || name[0] == '\0' || ip == NULL || key == NULL) {
		log_warnx("registry: add: missing name, ip or key");
		return NULL;
	}
	if (registry_agent_by_name(r, name) != NULL) {
		log_warnx("registry: add: name '%s' is taken", name);
		return NULL;
	}
	if (r->max_id >= REGISTRY_ID_MAX) {
		log_warnx("registry: add: agent ids exhausted");
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
	a->id = r->max_id + 1;
	a->status = AGENT_NEVER_CONNECTED;
	a->date_add = now;
	agent_derive_key(a);
	if (vec_push(&r->dirty, a) == -1 || agent_insert(r, a) == -1) {
		log_warnx("registry: add: out of memory");
		/* a may sit in the dirty queue; leave it there, freed with the registry. */
		if (r->dirty.n > 0 && r->dirty.v[r->dirty.n - 1] == a)
			r->dirty.n--;
		goto err;
	}
	a->dirty = 1;
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
	r->agents.n--;
	a->removed = 1;
	a->session = NULL;
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

size_t
registry_pending(const struct registry *r)
{
	return r->dirty.n + r->gone.n;
}

/* agent_bind: binds every column of a to the upsert statement. */
static int
agent_bind(struct registry *r, const struct agent *a)
{
	sqlite3_stmt *st = r->st_upsert;
	const char *p;
	size_t i;
	int rc, iv;
	time_t t;

	rc = sqlite3_bind_int64(st, 1, a->id);
	for (i = 0; i < NCOLS && rc == SQLITE_OK; i++) {
		p = (const char *)a + agent_cols[i].off;
		switch (agent_cols[i].type) {
		case COL_TEXT:
			rc = sqlite3_bind_text(st, (int)i + 2, p,
			    (int)strnlen(p, agent_cols[i].size), SQLITE_STATIC);
			break;
		case COL_INT:
			memcpy(&iv, p, sizeof(iv));
			rc = sqlite3_bind_int(st, (int)i + 2, iv);
			break;
		case COL_TIME:
			memcpy(&t, p, sizeof(t));
			rc = sqlite3_bind_int64(st, (int)i + 2, (sqlite3_int64)t);
			break;
		}
	}
	return rc == SQLITE_OK ? 0 : -1;
}

/* stmt_run: steps a write statement to completion and resets it. */
static int
stmt_run(struct registry *r, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_warnx("registry: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	return 0;
}

static int
meta_write(struct registry *r, const char *key, const char *val)
{
	if (sqlite3_bind_text(r->st_meta_set, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(r->st_meta_set, 2, val, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_reset(r->st_meta_set);
		sqlite3_clear_bindings(r->st_meta_set);
		return -1;
	}
	return stmt_run(r, r->st_meta_set);
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
	char buf[32];
	size_t i;
	int rows = 0;

	if (registry_pending(r) == 0 && r->max_id == r->max_id_saved)
		return 0;
	if (db_exec(r, "BEGIN IMMEDIATE") == -1)
		return -1;
	for (i = 0; i < r->gone.n; i++) {
		if (sqlite3_bind_int64(r->st_delete, 1, r->gone.v[i]->id) != SQLITE_OK ||
		    stmt_run(r, r->st_delete) == -1)
			goto err;
		rows++;
	}
	for (i = 0; i < r->dirty.n; i++) {
		if (r->dirty.v[i]->removed)
			continue;
		if (agent_bind(r, r->dirty.v[i]) == -1) {
			sqlite3_reset(r->st_upsert);
			sqlite3_clear_bindings(r->st_upsert);
			goto err;
		}
		if (stmt_run(r, r->st_upsert) == -1)
			goto err;
		rows++;
	}
	if (r->max_id != r->max_id_saved) {
		snprintf(buf, sizeof(buf), "%u", r->max_id);
		if (meta_write(r, REGISTRY_META_MAXID, buf) == -1)
			goto err;
	}
	if (db_exec(r, "COMMIT") == -1)
		goto err;
	r->max_id_saved = r->max_id;
	for (i = 0; i < r->dirty.n; i++)
		r->dirty.v[i]->dirty = 0;
	r->dirty.n = 0;
	for (i = 0; i < r->gone.n; i++)
		free(r->gone.v[i]);
	r->gone.n = 0;
	return rows;
err:
	if (!sqlite3_get_autocommit(r->db))
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Users and meta: small and rare, written at once. */

/* db_get_text: runs a one-parameter query and copies column 0 of its row into out. */
static int
db_get_text(struct registry *r, const char *sql, const char *arg, char *out, size_t cap)
{
	sqlite3_stmt *st;
	const unsigned char *s;
	int rc, ret = -1;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("registry: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	if (sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC) != SQLITE_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s = sqlite3_column_text(st, 0);
		if (s != NULL && field_set(out, cap, (const char *)s) == 0)
			ret = 0;
		else
			log_warnx("registry: value for '%s' does not fit", arg);
	} else if (rc != SQLITE_DONE)
		log_warnx("registry: %s", sqlite3_errmsg(r->db));
out:
	sqlite3_finalize(st);
	return ret;
}

/* db_set_pair: runs a two-parameter write statement. */
static int
db_set_pair(struct registry *r, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("registry: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	if (sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("registry: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	return 0;
}

int
registry_user_get(struct registry *r, const char *user, char *hash, size_t cap)
{
	if (user == NULL || hash == NULL || cap == 0)
		return -1;
	return db_get_text(r, "SELECT hash FROM user WHERE name = ?", user, hash, cap);
}

int
registry_user_set(struct registry *r, const char *user, const char *hash)
{
	if (user == NULL || user[0] == '\0' || hash == NULL)
		return -1;
	return db_set_pair(r, "INSERT INTO user (name, hash) VALUES (?, ?) "
	    "ON CONFLICT (name) DO UPDATE SET hash = excluded.hash", user, hash);
}

int
registry_user_count(struct registry *r)
{
	return (int)db_pragma_int(r, "SELECT count(*) FROM user");
}

int
registry_meta_get(struct registry *r, const char *key, char *val, size_t cap)
{
	if (key == NULL || val == NULL || cap == 0)
		return -1;
	return db_get_text(r, "SELECT value FROM meta WHERE key = ?", key, val, cap);
}

int
registry_meta_set(struct registry *r, const char *key, const char *val)
{
	if (key == NULL || val == NULL)
		return -1;
	return db_set_pair(r, "INSERT INTO meta (key, value) VALUES (?, ?) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, val);
}
