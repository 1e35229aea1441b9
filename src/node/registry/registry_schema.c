/*
 * registry_schema.c — the registry's tables described once, with portable
 * types, and spelt in each backend's dialect: SQLite's INTEGER PRIMARY KEY
 * (the rowid), AUTOINCREMENT and WITHOUT ROWID; PostgreSQL's BIGINT, identity
 * columns and quoted names ("user" is a reserved word there).
 *
 * The SQLite backend keeps its migration history (registry_sqlite.c) so that
 * existing files migrate as they always did; this description must describe
 * the schema those migrations end at, and test_registry_schema.c checks that
 * it does.  A change to the schema is a new SQLite migration step, a new
 * PostgreSQL step (registry_pg.c) and a change here.
 */
#include "node/registry/registry_schema.h"

#include "node/registry/registry.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum rs_type { RS_INT, RS_TEXT, RS_BLOB };

#define RS_PK      0x1u     /* the table's one-column primary key (SQLite: its rowid) */
#define RS_AUTO    0x2u     /* with RS_PK: ids never reused (AUTOINCREMENT / identity) */
#define RS_NOTNULL 0x4u
#define RS_UNIQUE  0x8u

struct rs_col {
	const char *name;
	enum rs_type type;
	unsigned int flags;
	const char *dflt;       /* SQL literal, or NULL */
	const char *ref;        /* "table(col) ON DELETE ...", or NULL */
};

struct rs_table {
	const char *name;
	const struct rs_col *cols;
	size_t ncols;
	const char *pkey;       /* a composite primary key's columns, or NULL */
	int without_rowid;      /* SQLite: a clustered table (nothing in PostgreSQL) */
};

struct rs_index {
	const char *name, *table, *cols;
	int unique;
};

#define NN RS_NOTNULL
#define TXT(n) { n, RS_TEXT, NN, "''", NULL }
#define NUM(n) { n, RS_INT, NN, "0", NULL }

static const struct rs_col agent_cols[] = {
	{ "id", RS_INT, RS_PK, NULL, NULL },
	{ "name", RS_TEXT, NN, NULL, NULL },
	TXT("ip"), TXT("register_ip"), TXT("key"), TXT("groups"), TXT("node_name"),
	TXT("manager"), NUM("status"), NUM("status_code"), NUM("group_config_synced"),
	NUM("date_add"), NUM("last_keepalive"), NUM("disconnection_time"), TXT("version"),
	TXT("os_uname"), TXT("os_name"), TXT("os_version"), TXT("os_major"), TXT("os_minor"),
	TXT("os_build"), TXT("os_codename"), TXT("os_platform"), TXT("os_arch"),
	TXT("config_sum"), TXT("merged_sum"), TXT("agent_ip"), TXT("labels"),
};

static const struct rs_col meta_cols[] = {
	{ "key", RS_TEXT, RS_PK, NULL, NULL },
	{ "value", RS_TEXT, NN, NULL, NULL },
};

static const struct rs_col user_cols[] = {
	{ "id", RS_INT, RS_PK, NULL, NULL },
	{ "name", RS_TEXT, NN | RS_UNIQUE, NULL, NULL },
	{ "hash", RS_TEXT, NN, NULL, NULL },
	NUM("allow_run_as"), NUM("revoked_ms"),
};

static const struct rs_col user_role_cols[] = {
	{ "user_id", RS_INT, NN, NULL, NULL },
	{ "role_id", RS_INT, NN, NULL, NULL },
	{ "position", RS_INT, NN, NULL, NULL },
};

static const struct rs_col grp_cols[] = {
	{ "name", RS_TEXT, RS_PK, NULL, NULL },
	TXT("conf"),
};

static const struct rs_col agent_seen_cols[] = {
	{ "id", RS_INT, RS_PK, NULL, NULL },
	{ "last_keepalive", RS_INT, NN, NULL, NULL },
};

static const struct rs_col role_cols[] = {
	{ "id", RS_INT, RS_PK, NULL, NULL },
	{ "name", RS_TEXT, NN | RS_UNIQUE, NULL, NULL },
	NUM("revoked_ms"),
};

static const struct rs_col policy_cols[] = {
	{ "id", RS_INT, RS_PK, NULL, NULL },
	{ "name", RS_TEXT, NN | RS_UNIQUE, NULL, NULL },
	{ "policy", RS_TEXT, NN | RS_UNIQUE, NULL, NULL },
};

static const struct rs_col rule_cols[] = {
	{ "id", RS_INT, RS_PK, NULL, NULL },
	{ "name", RS_TEXT, NN | RS_UNIQUE, NULL, NULL },
	{ "rule", RS_TEXT, NN | RS_UNIQUE, NULL, NULL },
};

static const struct rs_col role_policy_cols[] = {
	{ "role_id", RS_INT, NN, NULL, NULL },
	{ "policy_id", RS_INT, NN, NULL, NULL },
	{ "position", RS_INT, NN, NULL, NULL },
};

static const struct rs_col role_rule_cols[] = {
	{ "role_id", RS_INT, NN, NULL, NULL },
	{ "rule_id", RS_INT, NN, NULL, NULL },
};

static const struct rs_col job_cols[] = {
	{ "id", RS_INT, RS_PK | RS_AUTO, NULL, NULL },
	{ "kind", RS_INT, NN, NULL, NULL },
	TXT("user"), TXT("scope"),
	{ "created_ms", RS_INT, NN, NULL, NULL },
	{ "expires_ms", RS_INT, NN, NULL, NULL },
	NUM("max_in_flight"), NUM("rate"), NUM("cancelled_ms"), NUM("done_ms"),
	{ "agents", RS_BLOB, 0, NULL, NULL },     /* registry_jobdata.h; NULL before step 9 */
};

static const struct rs_col job_agent_cols[] = {
	{ "job_id", RS_INT, NN, NULL, "job(id) ON DELETE CASCADE" },
	{ "agent_id", RS_INT, NN, NULL, NULL },
	NUM("state"), NUM("t_delivered"), NUM("t_done"), NUM("sent_ms"), TXT("node"),
	NUM("sid"), NUM("sends"), NUM("code"), NUM("wait"),
};

static const struct rs_col job_sent_cols[] = {
	{ "job_id", RS_INT, NN, NULL, NULL },
	{ "agent_id", RS_INT, NN, NULL, NULL },
	{ "node", RS_TEXT, NN, NULL, NULL },
	{ "sid", RS_INT, NN, NULL, NULL },
};

static const struct rs_col job_wave_cols[] = {
	{ "job_id", RS_INT, NN, NULL, NULL },
	{ "seq", RS_INT, NN, NULL, NULL },
	{ "sent_ms", RS_INT, NN, NULL, NULL },
	{ "nodes", RS_TEXT, NN, NULL, NULL },
	{ "items", RS_BLOB, NN, NULL, NULL },
};

#undef NN
#undef TXT
#undef NUM

#define TABLE(n, pk, wr) { #n, n##_cols, sizeof(n##_cols) / sizeof(n##_cols[0]), pk, wr }
static const struct rs_table rs_tables[] = {
	TABLE(agent, NULL, 0),
	TABLE(meta, NULL, 0),
	TABLE(user, NULL, 0),
	TABLE(user_role, "user_id, role_id", 0),
	TABLE(grp, NULL, 0),
	TABLE(agent_seen, NULL, 0),
	TABLE(role, NULL, 0),
	TABLE(policy, NULL, 0),
	TABLE(rule, NULL, 0),
	TABLE(role_policy, "role_id, policy_id", 0),
	TABLE(role_rule, "role_id, rule_id", 0),
	TABLE(job, NULL, 0),
	TABLE(job_agent, "job_id, agent_id", 1),
	TABLE(job_sent, "job_id, agent_id, node, sid", 1),
	TABLE(job_wave, "job_id, seq", 1),
};
#undef TABLE

static const struct rs_index rs_indexes[] = {
	{ "agent_name", "agent", "name", 1 },
};

const struct regschema_sec_table regschema_sec_tables[3] = {
	[REGISTRY_SEC_ROLE] = { "role", NULL, NULL, NULL },
	[REGISTRY_SEC_POLICY] = { "policy", "policy", "role_policy", "policy_id" },
	[REGISTRY_SEC_RULE] = { "rule", "rule", "role_rule", "rule_id" },
};

const char *
regschema_table(size_t i)
{
	return i < sizeof(rs_tables) / sizeof(rs_tables[0]) ? rs_tables[i].name : NULL;
}

struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void __attribute__((format(printf, 2, 3)))
buf_add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *np;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	need = b->len + (size_t)n + 1;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < need)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* col_ddl: one column's definition. */
static void
col_ddl(struct buf *b, enum regschema_dialect d, const struct rs_col *c)
{
	if (d == REGSCHEMA_SQLITE) {
		buf_add(b, "%s %s", c->name, c->type == RS_INT ? "INTEGER" :
		    c->type == RS_TEXT ? "TEXT" : "BLOB");
		if (c->flags & RS_PK)
			buf_add(b, " PRIMARY KEY%s", (c->flags & RS_AUTO) ? " AUTOINCREMENT" : "");
	} else {
		buf_add(b, "\"%s\" %s", c->name, c->type == RS_INT ? "BIGINT" :
		    c->type == RS_TEXT ? "TEXT" : "BYTEA");
		if (c->flags & RS_AUTO)
			buf_add(b, " GENERATED BY DEFAULT AS IDENTITY");
		if (c->flags & RS_PK)
			buf_add(b, " PRIMARY KEY");
	}
	if (c->flags & RS_NOTNULL)
		buf_add(b, " NOT NULL");
	if (c->flags & RS_UNIQUE)
		buf_add(b, " UNIQUE");
	if (c->dflt != NULL)
		buf_add(b, " DEFAULT %s", c->dflt);
	if (c->ref != NULL)
		buf_add(b, " REFERENCES %s", c->ref);
}

char *
regschema_ddl(enum regschema_dialect d)
{
	struct buf b = { NULL, 0, 0, 0 };
	const struct rs_table *t;
	const struct rs_index *x;
	size_t i, j;

	for (i = 0; i < sizeof(rs_tables) / sizeof(rs_tables[0]); i++) {
		t = &rs_tables[i];
		buf_add(&b, d == REGSCHEMA_PG ? "CREATE TABLE \"%s\" (" : "CREATE TABLE %s (",
		    t->name);
		for (j = 0; j < t->ncols; j++) {
			buf_add(&b, "%s", j ? ", " : "");
			col_ddl(&b, d, &t->cols[j]);
		}
		if (t->pkey != NULL)
			buf_add(&b, ", PRIMARY KEY (%s)", t->pkey);
		buf_add(&b, ")%s;\n", t->without_rowid && d == REGSCHEMA_SQLITE ?
		    " WITHOUT ROWID" : "");
	}
	for (i = 0; i < sizeof(rs_indexes) / sizeof(rs_indexes[0]); i++) {
		x = &rs_indexes[i];
		buf_add(&b, "CREATE %sINDEX %s ON %s (%s);\n", x->unique ? "UNIQUE " : "",
		    x->name, x->table, x->cols);
	}
	buf_add(&b, "%s\n%s\n", REGSCHEMA_SEED_GROUP, REGSCHEMA_SEED_RBAC);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
