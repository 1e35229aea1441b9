/* registry_sqlite.c — the registry's SQLite backend: schema, migrations, reused statements. */
#include "node/registry/registry_sqlite.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "node/registry/registry_schema.h"

#define REGDB_BUSY_MS 5000
#define REGDB_APP_ID 0x5669676c         /* "Vigl": refuse other programs' databases */

/*
 * Schema migrations, applied in order inside one transaction; PRAGMA
 * user_version counts the steps applied.  Never edit a released step: append
 * a new one.  The agent columns must match regdb_agent_cols below.
 */
static const char *const regdb_migrations[] = {
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
	/*
	 * 2: API users get ids (Wazuh's: 1..99 are reserved, others start at
	 * 100), roles and a per-user token revocation time.  Every user so far
	 * was an administrator (tokens always said rbac_roles [1]); they stay so,
	 * and keep their rowid as their id.
	 */
	"CREATE TABLE user2 ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" hash TEXT NOT NULL,"
	" allow_run_as INTEGER NOT NULL DEFAULT 0,"
	" revoked_ms INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO user2 (id, name, hash) SELECT rowid, name, hash FROM user ORDER BY rowid;"
	"DROP TABLE user;"
	"ALTER TABLE user2 RENAME TO user;"
	"CREATE TABLE user_role ("
	" user_id INTEGER NOT NULL,"
	" role_id INTEGER NOT NULL,"
	" position INTEGER NOT NULL,"
	" PRIMARY KEY (user_id, role_id));"
	"INSERT INTO user_role (user_id, role_id, position) SELECT id, 1, 0 FROM user;",
	/* 3: agent groups and their agent.conf; "default" always exists. */
	"CREATE TABLE grp (name TEXT PRIMARY KEY, conf TEXT NOT NULL DEFAULT '');"
	REGSCHEMA_SEED_GROUP,
	/*
	 * 4: keepalive times that alone changed (registry_agent_touch) go to a
	 * narrow table: hundreds of them share a page, where rewriting the wide
	 * agent row cost a page per agent.  Loading takes the later of the two.
	 */
	"CREATE TABLE agent_seen (id INTEGER PRIMARY KEY, last_keepalive INTEGER NOT NULL);",
	/*
	 * 5: the API answers agent queries from memory; nothing reads the agent
	 * table by status, node or address, and updating those three indexes on
	 * every change of state was most of a row's cost in a restart storm.
	 * The unique name index stays: it is a constraint.
	 */
	"DROP INDEX IF EXISTS agent_node_name;"
	"DROP INDEX IF EXISTS agent_status;"
	"DROP INDEX IF EXISTS agent_ip;",
	/*
	 * 6: Wazuh's custom RBAC: roles, policies and security rules with their
	 * links (roles' policies in order), seeded with Wazuh 4.12's defaults
	 * (framework/wazuh/rbac/default/ yaml files) under the ids Wazuh gives them;
	 * ids up to 99 are Wazuh's fixed "admin resources".  A role's
	 * revoked_ms revokes the tokens that carry it (Wazuh's roles blacklist).
	 */
	"CREATE TABLE role (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" revoked_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE policy (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" policy TEXT NOT NULL UNIQUE);"
	"CREATE TABLE rule (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" rule TEXT NOT NULL UNIQUE);"
	"CREATE TABLE role_policy (role_id INTEGER NOT NULL, policy_id INTEGER NOT NULL,"
	" position INTEGER NOT NULL, PRIMARY KEY (role_id, policy_id));"
	"CREATE TABLE role_rule (role_id INTEGER NOT NULL, rule_id INTEGER NOT NULL,"
	" PRIMARY KEY (role_id, rule_id));"
	REGSCHEMA_SEED_RBAC,
	/* 7: restart and reconnect jobs, and each agent's place in them (registry_jobs.c). */
	"CREATE TABLE job ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" kind INTEGER NOT NULL,"
	" user TEXT NOT NULL DEFAULT '',"
	" scope TEXT NOT NULL DEFAULT '',"
	" created_ms INTEGER NOT NULL,"
	" expires_ms INTEGER NOT NULL,"
	" max_in_flight INTEGER NOT NULL DEFAULT 0,"
	" rate INTEGER NOT NULL DEFAULT 0,"
	" cancelled_ms INTEGER NOT NULL DEFAULT 0,"
	" done_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE job_agent ("
	" job_id INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,"
	" agent_id INTEGER NOT NULL,"
	" state INTEGER NOT NULL DEFAULT 0,"
	" t_delivered INTEGER NOT NULL DEFAULT 0,"
	" t_done INTEGER NOT NULL DEFAULT 0,"
	" sent_ms INTEGER NOT NULL DEFAULT 0,"
	" node TEXT NOT NULL DEFAULT '',"
	" sid INTEGER NOT NULL DEFAULT 0,"
	" sends INTEGER NOT NULL DEFAULT 0,"
	" code INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (job_id, agent_id)) WITHOUT ROWID;"
	"CREATE TABLE job_sent ("
	" job_id INTEGER NOT NULL,"
	" agent_id INTEGER NOT NULL,"
	" node TEXT NOT NULL,"
	" sid INTEGER NOT NULL,"
	" PRIMARY KEY (job_id, agent_id, node, sid)) WITHOUT ROWID;",
	/* 8: a send whose answer was due when the row was saved (maybe written). */
	"ALTER TABLE job_agent ADD COLUMN wait INTEGER NOT NULL DEFAULT 0;",
	/* 9: a job's agents in its own row, and a tick's sends recorded in one row before
	 * they are made: one insert each on the way of the commands (registry_sqlite_jobs.c). */
	"ALTER TABLE job ADD COLUMN agents BLOB;"
	"CREATE TABLE job_wave ("
	" job_id INTEGER NOT NULL,"
	" seq INTEGER NOT NULL,"
	" sent_ms INTEGER NOT NULL,"
	" nodes TEXT NOT NULL,"
	" items BLOB NOT NULL,"
	" PRIMARY KEY (job_id, seq)) WITHOUT ROWID;",
};
#define REGDB_SCHEMA_VERSION ((int)(sizeof(regdb_migrations) / sizeof(regdb_migrations[0])))

static const struct regdb_ops sqlite_ops;
static void sq_close(struct regdb *b);
static void sq_rollback(struct regdb *b);

struct sqdb {
	struct regdb base;          /* first: a struct regdb * is a struct sqdb * */
	sqlite3 *db;
	sqlite3_stmt *st_upsert;
	sqlite3_stmt *st_touch;
	sqlite3_stmt *st_unseen;
	sqlite3_stmt *st_delete;
	sqlite3_stmt *st_meta_set;
	sqlite3_stmt *st_load;      /* between sq_load_begin and _end */
};

sqlite3 *
regdb_sqlite(struct regdb *b)
{
	return ((struct sqdb *)b)->db;
}

static int
db_exec(struct sqdb *d, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(d->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("registry: %.48s: %s", sql, msg != NULL ? msg : sqlite3_errmsg(d->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *
db_prepare(struct sqdb *d, const char *sql, unsigned int flags)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v3(d->db, sql, -1, flags, &st, NULL) != SQLITE_OK) {
		log_warnx("registry: prepare: %s", sqlite3_errmsg(d->db));
		return NULL;
	}
	return st;
}

/* db_query_int: the integer in the first column of a query's first row, -1 on error. */
static long long
db_query_int(struct sqdb *d, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if ((st = db_prepare(d, sql, 0)) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		log_warnx("registry: %s: %s", sql, sqlite3_errmsg(d->db));
	sqlite3_finalize(st);
	return v;
}

/*
 * db_wal: switches to WAL.  This is the first statement to read the file, so
 * a file that is not a database fails here.  A file system that cannot do
 * WAL keeps working in its journal mode, with a warning.
 */
static int
db_wal(struct sqdb *d)
{
	sqlite3_stmt *st;
	const unsigned char *mode;
	int ret = -1;

	if ((st = db_prepare(d, "PRAGMA journal_mode = WAL", 0)) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		mode = sqlite3_column_text(st, 0);
		if (mode == NULL || strcmp((const char *)mode, "wal") != 0)
			log_warnx("registry: WAL unavailable, journal mode is %s",
			    mode ? (const char *)mode : "unknown");
		ret = 0;
	} else
		log_warnx("registry: journal_mode: %s", sqlite3_errmsg(d->db));
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
 * db_migrate: brings the schema to REGDB_SCHEMA_VERSION in one
 * transaction.  Refuses a database of another application or of a newer
 * schema than this program knows.
 */
static int
db_migrate(struct sqdb *d)
{
	long long version, appid;
	char sql[96];
	int i;

	if (db_exec(d, "BEGIN IMMEDIATE") == -1)
		return -1;
	if ((appid = db_query_int(d, "PRAGMA application_id")) == -1 ||
	    (version = db_query_int(d, "PRAGMA user_version")) == -1)
		goto err;
	if (appid != 0 && appid != REGDB_APP_ID) {
		log_warnx("registry: not a vigil database (application_id %lld)", appid);
		goto err;
	}
	if (version > REGDB_SCHEMA_VERSION) {
		log_warnx("registry: schema version %lld is newer than this program's %d",
		    version, REGDB_SCHEMA_VERSION);
		goto err;
	}
	for (i = (int)version; i < REGDB_SCHEMA_VERSION; i++) {
		log_info("registry: migrating schema to version %d", i + 1);
		if (db_exec(d, regdb_migrations[i]) == -1)
			goto err;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", REGDB_SCHEMA_VERSION);
	if (db_exec(d, sql) == -1)
		goto err;
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", REGDB_APP_ID);
	if (db_exec(d, sql) == -1)
		goto err;
	if (db_exec(d, "COMMIT") == -1)
		goto err;
	return 0;
err:
	sq_rollback(&d->base);
	return -1;
}

/* db_prepare_all: builds the statements the flush reuses from regdb_agent_cols. */
static int
db_prepare_all(struct sqdb *d)
{
	char sql[4096];
	size_t len = 0, i;

	if (sql_append(sql, sizeof(sql), &len, "INSERT INTO agent (id") == -1)
		return -1;
	for (i = 0; i < REGDB_NCOLS; i++)
		if (sql_append(sql, sizeof(sql), &len, ", %s", regdb_agent_cols[i].name) == -1)
			return -1;
	if (sql_append(sql, sizeof(sql), &len, ") VALUES (?") == -1)
		return -1;
	for (i = 0; i < REGDB_NCOLS; i++)
		if (sql_append(sql, sizeof(sql), &len, ", ?") == -1)
			return -1;
	/* Not INSERT OR REPLACE: that would silently delete another row holding the name. */
	if (sql_append(sql, sizeof(sql), &len, ") ON CONFLICT (id) DO UPDATE SET ") == -1)
		return -1;
	for (i = 0; i < REGDB_NCOLS; i++)
		if (sql_append(sql, sizeof(sql), &len, "%s%s = excluded.%s", i ? ", " : "",
		    regdb_agent_cols[i].name, regdb_agent_cols[i].name) == -1)
			return -1;
	if ((d->st_upsert = db_prepare(d, sql, SQLITE_PREPARE_PERSISTENT)) == NULL ||
	    (d->st_delete = db_prepare(d, "DELETE FROM agent WHERE id = ?",
	    SQLITE_PREPARE_PERSISTENT)) == NULL ||
	    (d->st_touch = db_prepare(d, "INSERT INTO agent_seen (id, last_keepalive) "
	    "VALUES (?2, ?1) ON CONFLICT (id) DO UPDATE SET last_keepalive = excluded.last_keepalive",
	    SQLITE_PREPARE_PERSISTENT)) == NULL ||
	    (d->st_unseen = db_prepare(d, "DELETE FROM agent_seen WHERE id = ?",
	    SQLITE_PREPARE_PERSISTENT)) == NULL ||
	    (d->st_meta_set = db_prepare(d, "INSERT INTO meta (key, value) VALUES (?, ?) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	    SQLITE_PREPARE_PERSISTENT)) == NULL)
		return -1;
	return 0;
}

struct regdb *
sqlite_open(const char *path)
{
	struct sqdb *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		log_warn("registry: %s", path);
		return NULL;
	}
	/* NOFOLLOW: a link planted as registry.db must not take agent keys elsewhere */
	if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		log_warnx("registry: %s: %s", path,
		    d->db ? sqlite3_errmsg(d->db) : "out of memory");
		goto err;
	}
	sqlite3_extended_result_codes(d->db, 1);
	sqlite3_busy_timeout(d->db, REGDB_BUSY_MS);
	if (db_wal(d) == -1 || db_exec(d, "PRAGMA synchronous = NORMAL") == -1)
		goto err;
	d->base.ops = &sqlite_ops;
	if (db_migrate(d) == -1 || db_prepare_all(d) == -1)
		goto err;
	return &d->base;
err:
	sq_close(&d->base);
	return NULL;
}

static void
sq_close(struct regdb *b)
{
	struct sqdb *d = (struct sqdb *)b;

	if (d == NULL)
		return;
	sqlite3_finalize(d->st_load);
	sqlite3_finalize(d->st_upsert);
	sqlite3_finalize(d->st_delete);
	sqlite3_finalize(d->st_touch);
	sqlite3_finalize(d->st_unseen);
	sqlite3_finalize(d->st_meta_set);
	if (d->db != NULL && sqlite3_close(d->db) != SQLITE_OK)
		log_warnx("registry: close: %s", sqlite3_errmsg(d->db));
	free(d);
}

static int
sq_load_begin(struct regdb *b)
{
	struct sqdb *d = (struct sqdb *)b;
	char sql[2048];
	size_t len = 0, i;

	if (sql_append(sql, sizeof(sql), &len, "SELECT agent.id") == -1)
		return -1;
	for (i = 0; i < REGDB_NCOLS; i++) {
		const char *c = regdb_agent_cols[i].name;

		if (strcmp(c, "last_keepalive") == 0) {
			if (sql_append(sql, sizeof(sql), &len, ", max(agent.last_keepalive, "
			    "coalesce(agent_seen.last_keepalive, 0))") == -1)
				return -1;
		} else if (sql_append(sql, sizeof(sql), &len, ", agent.%s", c) == -1)
			return -1;
	}
	if (sql_append(sql, sizeof(sql), &len, " FROM agent LEFT JOIN agent_seen "
	    "ON agent_seen.id = agent.id ORDER BY agent.id") == -1)
		return -1;
	sqlite3_finalize(d->st_load);
	if ((d->st_load = db_prepare(d, sql, 0)) == NULL)
		return -1;
	return 0;
}

static void
sq_load_end(struct regdb *b)
{
	struct sqdb *d = (struct sqdb *)b;

	sqlite3_finalize(d->st_load);
	d->st_load = NULL;
}

/* col_load: copies one column into a's field; -1 when a required text does not fit. */
static int
col_load(sqlite3_stmt *st, int col, const struct regdb_agent_col *c, struct agent *a)
{
	if (c->type == REGDB_COL_TEXT)
		return regdb_col_text(a, c, (const char *)sqlite3_column_text(st, col),
		    (size_t)sqlite3_column_bytes(st, col));
	regdb_col_int(a, c, sqlite3_column_int64(st, col));
	return 0;
}

static int
sq_load_next(struct regdb *b, struct agent *a)
{
	struct sqdb *d = (struct sqdb *)b;
	long long id;
	size_t i;
	int rc;

	if (d->st_load == NULL)
		return -1;
	rc = sqlite3_step(d->st_load);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW) {
		log_warnx("registry: load: %s", sqlite3_errmsg(d->db));
		return -1;
	}
	id = sqlite3_column_int64(d->st_load, 0);
	if (id < 0 || id > REGDB_ID_MAX) {
		log_warnx("registry: load: agent id %lld out of range", id);
		return -1;
	}
	a->id = (unsigned int)id;
	for (i = 0; i < REGDB_NCOLS; i++) {
		if (col_load(d->st_load, (int)i + 1, &regdb_agent_cols[i], a) == -1) {
			log_warnx("registry: load: agent %03u: %s too long", a->id,
			    regdb_agent_cols[i].name);
			return -1;
		}
	}
	if (a->name[0] == '\0') {
		log_warnx("registry: load: agent %03u has no name", a->id);
		return -1;
	}
	return 1;
}

/* stmt_run: steps a write statement to completion and resets it for reuse. */
static int
stmt_run(struct sqdb *d, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_warnx("registry: %s", sqlite3_errmsg(d->db));
		return -1;
	}
	return 0;
}

static int
sq_begin(struct regdb *b)
{
	struct sqdb *d = (struct sqdb *)b;

	return db_exec(d, "BEGIN IMMEDIATE");
}

static int
sq_commit(struct regdb *b)
{
	struct sqdb *d = (struct sqdb *)b;

	return db_exec(d, "COMMIT");
}

static void
sq_rollback(struct regdb *b)
{
	struct sqdb *d = (struct sqdb *)b;

	if (!sqlite3_get_autocommit(d->db))
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
sq_upsert(struct regdb *b, const struct agent *a)
{
	struct sqdb *d = (struct sqdb *)b;

	sqlite3_stmt *st = d->st_upsert;
	const char *p;
	size_t i;
	int rc, iv;
	time_t t;

	rc = sqlite3_bind_int64(st, 1, a->id);
	for (i = 0; i < REGDB_NCOLS && rc == SQLITE_OK; i++) {
		p = (const char *)a + regdb_agent_cols[i].off;
		switch (regdb_agent_cols[i].type) {
		case REGDB_COL_TEXT:
			rc = sqlite3_bind_text(st, (int)i + 2, p,
			    (int)strnlen(p, regdb_agent_cols[i].size), SQLITE_STATIC);
			break;
		case REGDB_COL_INT:
			memcpy(&iv, p, sizeof(iv));
			rc = sqlite3_bind_int(st, (int)i + 2, iv);
			break;
		case REGDB_COL_TIME:
			memcpy(&t, p, sizeof(t));
			rc = sqlite3_bind_int64(st, (int)i + 2, (sqlite3_int64)t);
			break;
		}
	}
	if (rc != SQLITE_OK) {
		log_warnx("registry: agent %03u: bind: %s", a->id, sqlite3_errmsg(d->db));
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return -1;
	}
	return stmt_run(d, st);
}

static int
sq_delete(struct regdb *b, unsigned int id)
{
	struct sqdb *d = (struct sqdb *)b;

	if (sqlite3_bind_int64(d->st_delete, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(d->st_unseen, 1, id) != SQLITE_OK) {
		sqlite3_reset(d->st_delete);
		sqlite3_reset(d->st_unseen);
		return -1;
	}
	if (stmt_run(d, d->st_unseen) == -1)
		return -1;
	return stmt_run(d, d->st_delete);
}

static int
sq_touch(struct regdb *b, unsigned int id, int64_t last_keepalive)
{
	struct sqdb *d = (struct sqdb *)b;

	if (sqlite3_bind_int64(d->st_touch, 1, last_keepalive) != SQLITE_OK ||
	    sqlite3_bind_int64(d->st_touch, 2, id) != SQLITE_OK) {
		sqlite3_reset(d->st_touch);
		return -1;
	}
	return stmt_run(d, d->st_touch);
}

/* db_get_text: runs a one-parameter query and copies column 0 of its row into out. */
static int
db_get_text(struct sqdb *d, const char *sql, const char *arg, char *out, size_t cap)
{
	sqlite3_stmt *st;
	const unsigned char *s;
	int rc, n, ret = -1;

	if ((st = db_prepare(d, sql, 0)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC) != SQLITE_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s = sqlite3_column_text(st, 0);
		n = s != NULL ? snprintf(out, cap, "%s", (const char *)s) : -1;
		if (n >= 0 && (size_t)n < cap)
			ret = 0;
		else
			log_warnx("registry: value for '%s' does not fit", arg);
	} else if (rc != SQLITE_DONE)
		log_warnx("registry: %s", sqlite3_errmsg(d->db));
out:
	sqlite3_finalize(st);
	return ret;
}

/*
 * db_finish: runs a one-shot write statement from db_prepare and finalizes it.
 * bound is 0 when the caller failed to bind its parameters: then it only
 * finalizes.  A failed step is logged as "registry: <what>: <error>".  0 / -1.
 */
static int
db_finish(struct sqdb *d, sqlite3_stmt *st, int bound, const char *what)
{
	int rc;

	if (!bound) {
		sqlite3_finalize(st);
		return -1;
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("registry: %s: %s", what, sqlite3_errmsg(d->db));
		return -1;
	}
	return 0;
}

/* db_set_pair: binds two texts to a write statement and runs it. */
static int
db_set_pair(struct sqdb *d, sqlite3_stmt *st, const char *a, const char *b)
{
	if (sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return -1;
	}
	return stmt_run(d, st);
}

/* db_run_ids: runs a write statement with up to three integer parameters; changes or -1. */
static int
db_run_ids(struct sqdb *d, const char *sql, long long a, long long b, long long c)
{
	sqlite3_stmt *st;
	int np;

	if ((st = db_prepare(d, sql, 0)) == NULL)
		return -1;
	np = sqlite3_bind_parameter_count(st);
	if (db_finish(d, st, (np < 1 || sqlite3_bind_int64(st, 1, a) == SQLITE_OK) &&
	    (np < 2 || sqlite3_bind_int64(st, 2, b) == SQLITE_OK) &&
	    (np < 3 || sqlite3_bind_int64(st, 3, c) == SQLITE_OK), sql) == -1)
		return -1;
	return sqlite3_changes(d->db);
}

/* user_roles: fills u->roles from user_role, in the order they were linked. */
static int
user_roles(struct sqdb *d, struct registry_user *u)
{
	sqlite3_stmt *st;
	int rc;

	u->nroles = 0;
	if ((st = db_prepare(d, "SELECT role_id FROM user_role WHERE user_id = ? "
	    "ORDER BY position, role_id", 0)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, u->id) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (u->nroles < REGISTRY_USER_ROLES_MAX)
			u->roles[u->nroles++] = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("registry: user roles: %s", sqlite3_errmsg(d->db));
		return -1;
	}
	return 0;
}

#define USER_COLS "SELECT id, name, hash, allow_run_as, revoked_ms FROM user "

/* user_row: copies a USER_COLS row into u; -1 when a text does not fit. */
static int
user_row(sqlite3_stmt *st, struct registry_user *u)
{
	const unsigned char *name = sqlite3_column_text(st, 1), *hash = sqlite3_column_text(st, 2);
	int n;

	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	n = snprintf(u->name, sizeof(u->name), "%s", name ? (const char *)name : "");
	if (n < 0 || (size_t)n >= sizeof(u->name))
		return -1;
	n = snprintf(u->hash, sizeof(u->hash), "%s", hash ? (const char *)hash : "");
	if (n < 0 || (size_t)n >= sizeof(u->hash))
		return -1;
	u->allow_run_as = sqlite3_column_int(st, 3) != 0;
	u->revoked_ms = sqlite3_column_int64(st, 4);
	return 0;
}

/* user_find: the one user a query with one parameter selects: 1 found, 0 not, -1 error. */
static int
user_find(struct sqdb *d, const char *sql, const char *text, long long id,
    struct registry_user *u)
{
	sqlite3_stmt *st;
	int rc, ret = -1;

	if ((st = db_prepare(d, sql, 0)) == NULL)
		return -1;
	if ((text != NULL ? sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC) :
	    sqlite3_bind_int64(st, 1, id)) != SQLITE_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		ret = 0;
	else if (rc != SQLITE_ROW)
		log_warnx("registry: user: %s", sqlite3_errmsg(d->db));
	else if (user_row(st, u) == -1)
		log_warnx("registry: user %lld does not fit", (long long)sqlite3_column_int64(st, 0));
	else
		ret = 1;
out:
	sqlite3_finalize(st);
	if (ret == 1 && user_roles(d, u) == -1)
		ret = -1;
	return ret;
}

static int
sq_user_find(struct regdb *b, const char *name, struct registry_user *u)
{
	struct sqdb *d = (struct sqdb *)b;

	return user_find(d, USER_COLS "WHERE name = ?", name, 0, u);
}

static int
sq_user_find_id(struct regdb *b, long long id, struct registry_user *u)
{
	struct sqdb *d = (struct sqdb *)b;

	return user_find(d, USER_COLS "WHERE id = ?", NULL, id, u);
}

static int
sq_user_list(struct regdb *b, struct registry_user **out, size_t *n)
{
	struct sqdb *d = (struct sqdb *)b;

	sqlite3_stmt *st;
	struct registry_user *v = NULL, *nv;
	size_t cnt = 0, cap = 0, i;
	int rc;

	*out = NULL;
	*n = 0;
	if ((st = db_prepare(d, USER_COLS "ORDER BY id", 0)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto err;
			v = nv;
		}
		if (user_row(st, &v[cnt]) == -1)
			continue;     /* cannot be represented: not listed */
		cnt++;
	}
	if (rc != SQLITE_DONE) {
		log_warnx("registry: users: %s", sqlite3_errmsg(d->db));
		goto err;
	}
	sqlite3_finalize(st);
	for (i = 0; i < cnt; i++)
		if (user_roles(d, &v[i]) == -1) {
			free(v);
			return -1;
		}
	*out = v;
	*n = cnt;
	return 0;
err:
	sqlite3_finalize(st);
	free(v);
	return -1;
}

static int
sq_user_add(struct regdb *b, const char *name, const char *hash, int reserved, long long *id)
{
	struct sqdb *d = (struct sqdb *)b;

	sqlite3_stmt *st;
	struct timespec ts;
	long long next;

	/* Reserved users take the lowest free id in 1..99; others max(id)+1, at least 100. */
	next = reserved ?
	    db_query_int(d, "SELECT coalesce(min(id + 1), 1) FROM (SELECT 0 AS id UNION "
	    "SELECT id FROM user WHERE id < 99) WHERE id + 1 NOT IN (SELECT id FROM user)") :
	    db_query_int(d, "SELECT max(coalesce(max(id), 0) + 1, 100) FROM user");
	if (next < 1 || (reserved && next > 99))
		return -1;
	/*
	 * Tokens name their user; a new user revokes every token issued before it,
	 * so a token of a deleted user of the same name never becomes this one's.
	 */
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((st = db_prepare(d, "INSERT INTO user (id, name, hash, revoked_ms) VALUES (?, ?, ?, ?) "
	    "ON CONFLICT (name) DO NOTHING", 0)) == NULL)
		return -1;
	if (db_finish(d, st, sqlite3_bind_int64(st, 1, next) == SQLITE_OK &&
	    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 4, (sqlite3_int64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000) ==
	    SQLITE_OK, "add user") == -1)
		return -1;
	if (sqlite3_changes(d->db) == 0)
		return 1;
	*id = next;
	return 0;
}

static int
sq_user_delete(struct regdb *b, long long id)
{
	struct sqdb *d = (struct sqdb *)b;
	int n;

	if (sq_begin(b) == -1)
		return -1;
	if (db_run_ids(d, "DELETE FROM user_role WHERE user_id = ?", id, 0, 0) == -1 ||
	    (n = db_run_ids(d, "DELETE FROM user WHERE id = ?", id, 0, 0)) == -1 ||
	    sq_commit(b) == -1) {
		sq_rollback(b);
		return -1;
	}
	return n > 0;
}

static int
sq_user_set_hash(struct regdb *b, long long id, const char *hash)
{
	struct sqdb *d = (struct sqdb *)b;

	sqlite3_stmt *st;
	char what[40];

	if ((st = db_prepare(d, "UPDATE user SET hash = ? WHERE id = ?", 0)) == NULL)
		return -1;
	snprintf(what, sizeof(what), "user %lld", id);
	return db_finish(d, st, sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 2, id) == SQLITE_OK, what);
}

static int
sq_user_revoke(struct regdb *b, long long id, long long ms)
{
	struct sqdb *d = (struct sqdb *)b;

	return db_run_ids(d, "UPDATE user SET revoked_ms = max(revoked_ms, ?) WHERE id = ?",
	    ms, id, 0) == -1 ? -1 : 0;
}

static int
sq_user_role_add(struct regdb *b, long long uid, int rid)
{
	struct sqdb *d = (struct sqdb *)b;

	return db_run_ids(d, "INSERT INTO user_role (user_id, role_id, position) "
	    "SELECT ?1, ?2, coalesce(max(position) + 1, 0) FROM user_role WHERE user_id = ?1 "
	    "ON CONFLICT (user_id, role_id) DO NOTHING", uid, rid, 0);
}

static int
sq_user_role_del(struct regdb *b, long long uid, int rid)
{
	struct sqdb *d = (struct sqdb *)b;

	return db_run_ids(d, "DELETE FROM user_role WHERE user_id = ? AND role_id = ?", uid, rid, 0);
}

static int
sq_user_count(struct regdb *b)
{
	struct sqdb *d = (struct sqdb *)b;

	return (int)db_query_int(d, "SELECT count(*) FROM user");
}

static int
sq_meta_get(struct regdb *b, const char *key, char *val, size_t cap)
{
	struct sqdb *d = (struct sqdb *)b;

	return db_get_text(d, "SELECT value FROM meta WHERE key = ?", key, val, cap);
}

static int
sq_meta_set(struct regdb *b, const char *key, const char *val)
{
	struct sqdb *d = (struct sqdb *)b;

	return db_set_pair(d, d->st_meta_set, key, val);
}

static int
sq_group_load(struct regdb *b, int (*cb)(void *, const char *, const char *, size_t),
    void *arg)
{
	struct sqdb *d = (struct sqdb *)b;

	sqlite3_stmt *st;
	int rc, ret = 0;

	if ((st = db_prepare(d, "SELECT name, conf FROM grp ORDER BY name", 0)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *conf = (const char *)sqlite3_column_text(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);

		if (name == NULL || cb(arg, name, conf != NULL ? conf : "", conf != NULL ? len : 0)
		    == -1) {
			log_warnx("registry: group '%s' cannot be loaded", name ? name : "");
			ret = -1;
			break;
		}
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		log_warnx("registry: groups: %s", sqlite3_errmsg(d->db));
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

static int
sq_group_set(struct regdb *b, const char *name, const char *conf, size_t len)
{
	struct sqdb *d = (struct sqdb *)b;

	sqlite3_stmt *st;
	char what[300];

	if ((st = db_prepare(d, "INSERT INTO grp (name, conf) VALUES (?, ?) "
	    "ON CONFLICT (name) DO UPDATE SET conf = excluded.conf", 0)) == NULL)
		return -1;
	snprintf(what, sizeof(what), "group %s", name);
	return db_finish(d, st, sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_text(st, 2, conf, (int)len, SQLITE_STATIC) == SQLITE_OK, what);
}

static int
sq_group_delete(struct regdb *b, const char *name)
{
	struct sqdb *d = (struct sqdb *)b;

	sqlite3_stmt *st;
	char what[300];

	if ((st = db_prepare(d, "DELETE FROM grp WHERE name = ?", 0)) == NULL)
		return -1;
	snprintf(what, sizeof(what), "group %s", name);
	return db_finish(d, st, sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK,
	    what);
}

static const struct regdb_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.load_begin = sq_load_begin,
	.load_next = sq_load_next,
	.load_end = sq_load_end,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.upsert = sq_upsert,
	.touch = sq_touch,
	.delete = sq_delete,
	.user_find = sq_user_find,
	.user_find_id = sq_user_find_id,
	.user_list = sq_user_list,
	.user_add = sq_user_add,
	.user_delete = sq_user_delete,
	.user_set_hash = sq_user_set_hash,
	.user_revoke = sq_user_revoke,
	.user_role_add = sq_user_role_add,
	.user_role_del = sq_user_role_del,
	.user_count = sq_user_count,
	.user_set_run_as = sqlite_user_set_run_as,
	.meta_get = sq_meta_get,
	.meta_set = sq_meta_set,
	.group_load = sq_group_load,
	.group_set = sq_group_set,
	.group_delete = sq_group_delete,
	.sec_load = sqlite_sec_load,
	.sec_add = sqlite_sec_add,
	.sec_update = sqlite_sec_update,
	.sec_delete = sqlite_sec_delete,
	.sec_link = sqlite_sec_link,
	.sec_unlink = sqlite_sec_unlink,
	.sec_revoke_role = sqlite_sec_revoke_role,
	.job_create = sqlite_job_create,
	.job_set = sqlite_job_set,
	.job_save = sqlite_job_save,
	.job_wave_add = sqlite_job_wave_add,
	.job_load = sqlite_job_load,
	.job_delete = sqlite_job_delete,
};
