/*
 * registry_sqlite_sec.c — the SQLite store of the API's custom RBAC: roles,
 * policies, security rules and their links (tables of schema step 6).
 * Small and rarely written: every write commits at once.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "node/registry/registry.h"
#include "node/registry/registry_schema.h"
#include "node/registry/registry_sqlite.h"


/*
 * sec_run: prepares sql, binds texts t1, t2 (when not NULL) as ?1, ?2 and
 * integers i1..i3 as ?3..?5 (as many as it has), runs it; rows changed, -1
 * on an error, -2 on a constraint (a name or body taken).
 */
static int
sec_run(struct regdb *d, const char *sql, const char *t1, const char *t2, long long i1,
    long long i2, long long i3)
{
	sqlite3 *db = regdb_sqlite(d);
	sqlite3_stmt *st;
	int rc, np;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("registry: %s: %s", sql, sqlite3_errmsg(db));
		return -1;
	}
	np = sqlite3_bind_parameter_count(st);
	if ((np >= 1 && sqlite3_bind_text(st, 1, t1, -1, SQLITE_STATIC) != SQLITE_OK) ||
	    (np >= 2 && sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC) != SQLITE_OK) ||
	    (np >= 3 && sqlite3_bind_int64(st, 3, i1) != SQLITE_OK) ||
	    (np >= 4 && sqlite3_bind_int64(st, 4, i2) != SQLITE_OK) ||
	    (np >= 5 && sqlite3_bind_int64(st, 5, i3) != SQLITE_OK)) {
		sqlite3_finalize(st);
		return -1;
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return -2;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_warnx("registry: security store: %s", sqlite3_errmsg(db));
		return -1;
	}
	return sqlite3_changes(db);
}

static long long
sec_int(struct regdb *d, const char *sql, long long a, long long b)
{
	sqlite3 *db = regdb_sqlite(d);
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
sec_tx(struct regdb *d, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(regdb_sqlite(d), sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("registry: %s: %s", sql, err != NULL ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
sqlite_sec_load(struct regdb *d, const struct registry_sec_cb *cb)
{
	static const char *const items[] = {
		"SELECT 0, id, name, NULL, revoked_ms FROM role ORDER BY id",
		"SELECT 1, id, name, policy, 0 FROM policy ORDER BY id",
		"SELECT 2, id, name, rule, 0 FROM rule ORDER BY id",
		"SELECT 1, role_id, policy_id FROM role_policy ORDER BY role_id, position, policy_id",
		"SELECT 2, role_id, rule_id FROM role_rule ORDER BY role_id, rowid",
	};
	sqlite3 *db = regdb_sqlite(d);
	sqlite3_stmt *st;
	size_t i;
	int rc, ret = 0;

	for (i = 0; i < sizeof(items) / sizeof(items[0]) && ret == 0; i++) {
		if (sqlite3_prepare_v2(db, items[i], -1, &st, NULL) != SQLITE_OK) {
			log_warnx("registry: security store: %s", sqlite3_errmsg(db));
			return -1;
		}
		while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			enum registry_sec_kind k = (enum registry_sec_kind)sqlite3_column_int(st, 0);

			if (i < 3)
				ret = cb->item(cb->arg, k, sqlite3_column_int64(st, 1),
				    (const char *)sqlite3_column_text(st, 2),
				    (const char *)sqlite3_column_text(st, 3), sqlite3_column_int64(st, 4));
			else
				ret = cb->link(cb->arg, k, sqlite3_column_int64(st, 1),
				    sqlite3_column_int64(st, 2));
		}
		if (ret == 0 && rc != SQLITE_DONE) {
			log_warnx("registry: security store: %s", sqlite3_errmsg(db));
			ret = -1;
		}
		sqlite3_finalize(st);
	}
	return ret;
}

int
sqlite_sec_add(struct regdb *d, enum registry_sec_kind k, const char *name,
    const char *body, long long *id)
{
	char sql[256];
	long long next;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT max(coalesce(max(id), 0) + 1, 100) FROM %s",
	    regschema_sec_tables[k].table);
	if ((next = sec_int(d, sql, 0, 0)) < 100)
		return -1;
	if (regschema_sec_tables[k].body != NULL)
		snprintf(sql, sizeof(sql), "INSERT INTO %s (name, %s, id) VALUES (?1, ?2, ?3)",
		    regschema_sec_tables[k].table, regschema_sec_tables[k].body);
	else
		snprintf(sql, sizeof(sql), "INSERT INTO %s (name, id) VALUES (?1, ?3)",
		    regschema_sec_tables[k].table);
	rc = sec_run(d, sql, name, body != NULL ? body : "", next, 0, 0);
	if (rc == -2)
		return 1;
	if (rc != 1)
		return -1;
	*id = next;
	return 0;
}

int
sqlite_sec_update(struct regdb *d, enum registry_sec_kind k, long long id,
    const char *name, const char *body)
{
	char sql[256];
	int rc;

	if (regschema_sec_tables[k].body != NULL)
		snprintf(sql, sizeof(sql), "UPDATE %s SET name = coalesce(?1, name), "
		    "%s = coalesce(?2, %s) WHERE id = ?3", regschema_sec_tables[k].table, regschema_sec_tables[k].body,
		    regschema_sec_tables[k].body);
	else
		snprintf(sql, sizeof(sql), "UPDATE %s SET name = coalesce(?1, name) WHERE id = ?3",
		    regschema_sec_tables[k].table);
	rc = sec_run(d, sql, name, body, id, 0, 0);
	return rc == -2 ? 2 : rc;
}

int
sqlite_sec_delete(struct regdb *d, enum registry_sec_kind k, long long id)
{
	char sql[256];
	int rc;

	if (sec_tx(d, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (k == REGISTRY_SEC_ROLE) {
		rc = sec_run(d, "DELETE FROM role_policy WHERE role_id = ?3", NULL, NULL, id, 0, 0) < 0 ||
		    sec_run(d, "DELETE FROM role_rule WHERE role_id = ?3", NULL, NULL, id, 0, 0) < 0 ||
		    sec_run(d, "DELETE FROM user_role WHERE role_id = ?3", NULL, NULL, id, 0, 0) < 0 ?
		    -1 : 0;
	} else {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s = ?3", regschema_sec_tables[k].link,
		    regschema_sec_tables[k].link_col);
		rc = sec_run(d, sql, NULL, NULL, id, 0, 0) < 0 ? -1 : 0;
	}
	if (rc == 0) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?3", regschema_sec_tables[k].table);
		rc = sec_run(d, sql, NULL, NULL, id, 0, 0);
	}
	if (rc < 0 || sec_tx(d, "COMMIT") == -1) {
		sec_tx(d, "ROLLBACK");
		return -1;
	}
	return rc > 0;
}

int
sqlite_sec_link(struct regdb *d, enum registry_sec_kind k, long long role,
    long long other, long long position)
{
	long long n;
	int rc;

	if (k == REGISTRY_SEC_RULE) {
		rc = sec_run(d, "INSERT INTO role_rule (role_id, rule_id) VALUES (?3, ?4) "
		    "ON CONFLICT DO NOTHING", NULL, NULL, role, other, 0);
		return rc < 0 ? -1 : rc;
	}
	if (sec_int(d, "SELECT count(*) FROM role_policy WHERE role_id = ?1 AND policy_id = ?2",
	    role, other) != 0)
		return 0;
	n = sec_int(d, "SELECT count(*) FROM role_policy WHERE role_id = ?1", role, 0);
	if (n < 0)
		return -1;
	if (position < 0 || position > n)
		position = n;
	/* positions are kept 0..n-1: make room, then take it */
	if (sec_tx(d, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (sec_run(d, "UPDATE role_policy SET position = position + 1 WHERE role_id = ?3 AND "
	    "position >= ?4", NULL, NULL, role, position, 0) < 0 ||
	    sec_run(d, "INSERT INTO role_policy (role_id, policy_id, position) VALUES (?3, ?4, ?5)",
	    NULL, NULL, role, other, position) != 1 || sec_tx(d, "COMMIT") == -1) {
		sec_tx(d, "ROLLBACK");
		return -1;
	}
	return 1;
}

int
sqlite_sec_unlink(struct regdb *d, enum registry_sec_kind k, long long role,
    long long other)
{
	long long pos;
	int rc;

	if (k == REGISTRY_SEC_RULE) {
		rc = sec_run(d, "DELETE FROM role_rule WHERE role_id = ?3 AND rule_id = ?4", NULL, NULL,
		    role, other, 0);
		return rc < 0 ? -1 : rc;
	}
	pos = sec_int(d, "SELECT coalesce(max(position), -1) FROM role_policy WHERE role_id = ?1 "
	    "AND policy_id = ?2", role, other);
	if (pos < 0)
		return pos == -1 && sec_int(d, "SELECT count(*) FROM role_policy WHERE role_id = ?1 "
		    "AND policy_id = ?2", role, other) == 0 ? 0 : -1;
	if (sec_tx(d, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (sec_run(d, "DELETE FROM role_policy WHERE role_id = ?3 AND policy_id = ?4", NULL, NULL,
	    role, other, 0) != 1 ||
	    sec_run(d, "UPDATE role_policy SET position = position - 1 WHERE role_id = ?3 AND "
	    "position > ?4", NULL, NULL, role, pos, 0) < 0 || sec_tx(d, "COMMIT") == -1) {
		sec_tx(d, "ROLLBACK");
		return -1;
	}
	return 1;
}

int
sqlite_sec_revoke_role(struct regdb *d, long long role, long long ms)
{
	return sec_run(d, "UPDATE role SET revoked_ms = max(revoked_ms, ?4) WHERE id = ?3", NULL,
	    NULL, role, ms, 0) < 0 ? -1 : 0;
}

int
sqlite_user_set_run_as(struct regdb *d, long long id, int allow)
{
	int rc = sec_run(d, "UPDATE user SET allow_run_as = ?4 WHERE id = ?3", NULL, NULL, id,
	    allow != 0, 0);

	return rc < 0 ? -1 : rc > 0;
}
