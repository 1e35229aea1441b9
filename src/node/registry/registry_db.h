/* registry_db.h — internal to the registry: its SQLite store (schema, migrations, statements). */
#ifndef VIGIL_REGISTRY_DB_H
#define VIGIL_REGISTRY_DB_H

#include <stddef.h>

#include "node/core/agent.h"
#include "node/registry/registry.h"

#define REGDB_ID_MAX 99999999u     /* agent ids are at most 8 digits on the wire */

struct regdb;
struct sqlite3;

/* registry_db: the registry's store (registry.c). */
struct regdb *registry_db(struct registry *r);
/* regdb_sqlite: the database handle, for the registry's other stores (registry_sec.c). */
struct sqlite3 *regdb_sqlite(struct regdb *db);

/*
 * regdb_open: opens or creates the database at path (WAL, synchronous=NORMAL,
 * busy timeout), migrates its schema in one transaction and prepares the
 * statements the flush reuses.  Refuses a file that is not an SQLite
 * database, another program's database or a newer schema.  NULL on failure
 * (logged).
 */
struct regdb *regdb_open(const char *path);
/* regdb_close: NULL is a no-op. */
void regdb_close(struct regdb *db);

/*
 * Loading: regdb_load_begin, then regdb_load_next until it returns 0 (no more
 * rows) or -1 (error, or a row whose id, name or key cannot be represented in
 * struct agent: refused rather than lost; logged), then regdb_load_end.
 * Rows come in id order; regdb_load_next overwrites every persisted field of
 * a (runtime fields untouched); a negative time reads as 0 and an integer
 * outside 0..65535 as -1, left for the caller to judge.
 */
int regdb_load_begin(struct regdb *db);
int regdb_load_next(struct regdb *db, struct agent *a);
void regdb_load_end(struct regdb *db);

/* One write transaction: begin, upserts/deletes/meta, commit (or rollback). 0 / -1. */
int regdb_begin(struct regdb *db);
int regdb_commit(struct regdb *db);
void regdb_rollback(struct regdb *db);
int regdb_upsert(struct regdb *db, const struct agent *a);
/* regdb_touch: only the agent's last_keepalive (registry_agent_touch).  0 / -1. */
int regdb_touch(struct regdb *db, unsigned int id, int64_t last_keepalive);
int regdb_delete(struct regdb *db, unsigned int id);

/*
 * Users and meta; outside a transaction each write commits at once.
 * find: 1 found / 0 absent / -1 error.  list: a malloc'd array the caller
 * frees.  add: 0 (id set) / 1 the name exists / -1; a reserved user takes
 * the lowest free id in 1..99, others the next id from 100 on.  delete: 1 /
 * 0 absent / -1 (its role links go with it).  role_add / role_del: rows
 * changed (0: already linked / not linked) or -1.
 */
int regdb_user_find(struct regdb *db, const char *name, struct registry_user *u);
int regdb_user_find_id(struct regdb *db, long long id, struct registry_user *u);
int regdb_user_list(struct regdb *db, struct registry_user **out, size_t *n);
int regdb_user_add(struct regdb *db, const char *name, const char *hash, int reserved,
    long long *id);
int regdb_user_delete(struct regdb *db, long long id);
int regdb_user_set_hash(struct regdb *db, long long id, const char *hash);
int regdb_user_revoke(struct regdb *db, long long id, long long ms);
int regdb_user_role_add(struct regdb *db, long long uid, int rid);
int regdb_user_role_del(struct regdb *db, long long uid, int rid);
int regdb_user_count(struct regdb *db);
int regdb_meta_get(struct regdb *db, const char *key, char *val, size_t cap);
int regdb_meta_set(struct regdb *db, const char *key, const char *val);

/*
 * Groups (name, agent.conf); written at once.  regdb_group_load calls cb for
 * each row in name order and stops with -1 when cb returns -1.  0 / -1.
 */
int regdb_group_load(struct regdb *db, int (*cb)(void *, const char *, const char *, size_t),
    void *arg);
int regdb_group_set(struct regdb *db, const char *name, const char *conf, size_t len);
int regdb_group_delete(struct regdb *db, const char *name);

#endif
