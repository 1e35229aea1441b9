/*
 * test_registry_schema.c — the registry's one schema description
 * (registry_schema.c) describes the schema SQLite's migrations end at:
 * tables, columns, keys, indexes, references and seed rows, compared through
 * sqlite_schema and the table pragmas, normalised (names of tables in order,
 * not the text of their CREATE statements, which ALTER TABLE rewrites).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "node/registry/registry_db.h"
#include "node/registry/registry_schema.h"

struct fx {
	char dir[64];
	char a[128], b[128];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-schema-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->a, sizeof(f->a), "%s/migrated.db", f->dir);
	snprintf(f->b, sizeof(f->b), "%s/described.db", f->dir);
	*state = f;
	return 0;
}

static void
rm_db(const char *db)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[160];
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", db, sfx[i]);
		unlink(p);
	}
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	rm_db(f->a);
	rm_db(f->b);
	rmdir(f->dir);
	free(f);
	return 0;
}

struct out {
	char *p;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	while (o->len + (size_t)n + 1 > o->cap) {
		o->cap = o->cap ? o->cap * 2 : 8192;
		assert_non_null(o->p = realloc(o->p, o->cap));
	}
	va_start(ap, fmt);
	vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

/* dump_rows: every row of the query, columns as text separated by '|'. */
static void
dump_rows(sqlite3 *db, struct out *o, const char *prefix, const char *sql)
{
	sqlite3_stmt *st;
	int i, n, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	n = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out_add(o, "%s", prefix);
		for (i = 0; i < n; i++) {
			const unsigned char *t = sqlite3_column_text(st, i);

			out_add(o, "|%s", t != NULL ? (const char *)t : "NULL");
		}
		out_add(o, "\n");
	}
	assert_int_equal(rc, SQLITE_DONE);
	sqlite3_finalize(st);
}

/*
 * dump: the schema of the database at path, normalised: each table with its
 * columns (type, not null, default, key position), its kind (rowid or
 * not, AUTOINCREMENT), indexes (unique, origin, columns), references, and
 * its rows in key order.
 */
static char *
dump(const char *path)
{
	struct out o = { NULL, 0, 0 };
	sqlite3 *db;
	sqlite3_stmt *st;
	char q[512], pfx[128];

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name, sql LIKE '%WITHOUT ROWID%', "
	    "sql LIKE '%AUTOINCREMENT%' FROM sqlite_schema WHERE type = 'table' AND "
	    "name NOT LIKE 'sqlite_%' ORDER BY name", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		out_add(&o, "table %s without_rowid=%d autoincrement=%d\n", t,
		    sqlite3_column_int(st, 1), sqlite3_column_int(st, 2));
		snprintf(pfx, sizeof(pfx), " col %s", t);
		snprintf(q, sizeof(q), "SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden "
		    "FROM pragma_table_xinfo('%s') ORDER BY cid", t);
		dump_rows(db, &o, pfx, q);
		snprintf(pfx, sizeof(pfx), " index %s", t);
		snprintf(q, sizeof(q), "SELECT l.name, l.\"unique\", l.origin, l.partial, "
		    "(SELECT group_concat(coalesce(i.name, '?'), ',') FROM pragma_index_info(l.name) i) "
		    "FROM pragma_index_list('%s') l ORDER BY l.name", t);
		dump_rows(db, &o, pfx, q);
		snprintf(pfx, sizeof(pfx), " ref %s", t);
		snprintf(q, sizeof(q), "SELECT \"table\", \"from\", \"to\", on_update, on_delete "
		    "FROM pragma_foreign_key_list('%s') ORDER BY id, seq", t);
		dump_rows(db, &o, pfx, q);
		snprintf(pfx, sizeof(pfx), " row %s", t);
		snprintf(q, sizeof(q), "SELECT * FROM \"%s\" ORDER BY 1, 2", t);
		dump_rows(db, &o, pfx, q);
	}
	sqlite3_finalize(st);
	dump_rows(db, &o, "other", "SELECT type, name, tbl_name FROM sqlite_schema WHERE "
	    "type NOT IN ('table', 'index') ORDER BY name");
	sqlite3_close(db);
	return o.p;
}

/* The SQLite DDL from the description gives the schema the migrations give. */
static void
test_description_matches_migrations(void **state)
{
	struct fx *f = *state;
	struct regdb *d;
	sqlite3 *db;
	char *ddl, *err = NULL, *a, *b;

	assert_non_null(d = regdb_open(f->a, "master-node", 0));
	regdb_close(d);
	assert_non_null(ddl = regschema_ddl(REGSCHEMA_SQLITE));
	assert_int_equal(sqlite3_open(f->b, &db), SQLITE_OK);
	if (sqlite3_exec(db, ddl, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s", err);
	sqlite3_close(db);
	free(ddl);
	a = dump(f->a);
	b = dump(f->b);
	/* not vacuous: the dump sees the tables, their keys and the seed rows */
	assert_non_null(strstr(a, "table job without_rowid=0 autoincrement=1\n"));
	assert_non_null(strstr(a, "table job_sent without_rowid=1 autoincrement=0\n"));
	assert_non_null(strstr(a, " index agent|agent_name|1|c|0|name\n"));
	assert_non_null(strstr(a, " row role|1|administrator|0\n"));
	assert_non_null(strstr(a, " col job_agent|10|wait|INTEGER|1|0|0|0\n"));
	if (strcmp(a, b) != 0)
		fail_msg("migrated schema:\n%s\ndescribed schema:\n%s", a, b);
	free(a);
	free(b);
}

/* The PostgreSQL spelling: identity, quoted names, no SQLite-only words. */
static void
test_postgresql_spelling(void **state)
{
	char *ddl;

	(void)state;
	assert_non_null(ddl = regschema_ddl(REGSCHEMA_PG));
	assert_non_null(strstr(ddl, "CREATE TABLE \"user\" ("));
	assert_non_null(strstr(ddl,
	    "\"id\" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"));
	assert_non_null(strstr(ddl, "CREATE TABLE \"job_sent\" ("));
	assert_null(strstr(ddl, "WITHOUT ROWID"));
	assert_null(strstr(ddl, "AUTOINCREMENT"));
	assert_null(strstr(ddl, "INTEGER"));
	free(ddl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_description_matches_migrations, setup,
		    teardown),
		cmocka_unit_test(test_postgresql_spelling),
	};

	log_init("test_registry_schema", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
