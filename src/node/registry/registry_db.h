/*
 * registry_db.h — internal to the registry: the backend interface of its
 * store.  Two backends implement struct regdb_ops: SQLite (registry_sqlite*.c,
 * the default, a file in the data dir) and PostgreSQL (registry_pg.c, chosen
 * by a postgresql:// URI).  Every read and write of the registry's tables
 * goes through the regdb_* functions and registry_sec_* / registry_job_*
 * below (registry_db.c), so a condition that every write must meet (the
 * coordinator's term, docs/design/registry-backends.md) has one place to go.
 */
#ifndef VIGIL_REGISTRY_DB_H
#define VIGIL_REGISTRY_DB_H

#include <stddef.h>
#include <stdint.h>

#include "node/core/agent.h"
#include "node/registry/registry.h"

#define REGDB_ID_MAX 99999999u     /* agent ids are at most 8 digits on the wire */

struct regdb;

/* The columns of the agent table: every persisted field of struct agent but id (column 0). */
enum regdb_col_type { REGDB_COL_TEXT, REGDB_COL_INT, REGDB_COL_TIME };
struct regdb_agent_col {
	const char *name;
	size_t off;
	size_t size;
	enum regdb_col_type type;
	int required;          /* a value that does not fit fails the load */
};
#define REGDB_NCOLS 27
extern const struct regdb_agent_col regdb_agent_cols[REGDB_NCOLS];

/*
 * regdb_col_text / regdb_col_int: a loaded column's value into a's field.
 * A text longer than the field is cut, or -1 when the column is required; a
 * negative time reads as 0 and an integer outside 0..65535 as -1.
 */
int regdb_col_text(struct agent *a, const struct regdb_agent_col *c, const char *s, size_t n);
void regdb_col_int(struct agent *a, const struct regdb_agent_col *c, long long v);

/*
 * The backend: one function per operation, with the meaning of the regdb_*
 * and registry_sec_* / registry_job_* function of the same name.
 */
struct regdb_ops {
	const char *name;                   /* "sqlite", "postgresql" */
	void (*close)(struct regdb *);
	int (*load_begin)(struct regdb *);
	int (*load_next)(struct regdb *, struct agent *);
	void (*load_end)(struct regdb *);
	int (*begin)(struct regdb *);
	int (*commit)(struct regdb *);
	void (*rollback)(struct regdb *);
	int (*upsert)(struct regdb *, const struct agent *);
	int (*touch)(struct regdb *, unsigned int, int64_t);
	int (*delete)(struct regdb *, unsigned int);
	int (*user_find)(struct regdb *, const char *, struct registry_user *);
	int (*user_find_id)(struct regdb *, long long, struct registry_user *);
	int (*user_list)(struct regdb *, struct registry_user **, size_t *);
	int (*user_add)(struct regdb *, const char *, const char *, int, long long *);
	int (*user_delete)(struct regdb *, long long);
	int (*user_set_hash)(struct regdb *, long long, const char *);
	int (*user_revoke)(struct regdb *, long long, long long);
	int (*user_role_add)(struct regdb *, long long, int);
	int (*user_role_del)(struct regdb *, long long, int);
	int (*user_count)(struct regdb *);
	int (*user_set_run_as)(struct regdb *, long long, int);
	int (*meta_get)(struct regdb *, const char *, char *, size_t);
	int (*meta_set)(struct regdb *, const char *, const char *);
	int (*group_load)(struct regdb *, int (*)(void *, const char *, const char *, size_t),
	    void *);
	int (*group_set)(struct regdb *, const char *, const char *, size_t);
	int (*group_delete)(struct regdb *, const char *);
	int (*sec_load)(struct regdb *, const struct registry_sec_cb *);
	int (*sec_add)(struct regdb *, enum registry_sec_kind, const char *, const char *,
	    long long *);
	int (*sec_update)(struct regdb *, enum registry_sec_kind, long long, const char *,
	    const char *);
	int (*sec_delete)(struct regdb *, enum registry_sec_kind, long long);
	int (*sec_link)(struct regdb *, enum registry_sec_kind, long long, long long, long long);
	int (*sec_unlink)(struct regdb *, enum registry_sec_kind, long long, long long);
	int (*sec_revoke_role)(struct regdb *, long long, long long);
	int (*job_create)(struct regdb *, struct registry_job *, const uint32_t *, size_t);
	int (*job_set)(struct regdb *, const struct registry_job *);
	int (*job_save)(struct regdb *, uint64_t, const struct registry_job_agent *, size_t,
	    const struct registry_job_sent *, size_t, int);
	int (*job_wave_add)(struct regdb *, uint64_t, int64_t, const struct registry_job_wave *,
	    size_t);
	int (*job_load)(struct regdb *, const struct registry_job_cb *);
	int (*job_delete)(struct regdb *, uint64_t);
	/* a backend with one coordinator among several nodes (NULL: one node alone) */
	int (*check)(struct regdb *);
	long long (*term)(struct regdb *);
};

/* Every backend's handle starts with this. */
struct regdb {
	const struct regdb_ops *ops;
};

/* registry_db: the registry's store (registry.c). */
struct regdb *registry_db(struct registry *r);

/* regdb_is_url: whether where names a PostgreSQL database (postgresql:// or postgres://). */
int regdb_is_url(const char *where);

/*
 * regdb_open: where is a file path (SQLite: WAL, synchronous=NORMAL, busy
 * timeout) or a PostgreSQL connection URI.  Opens or creates the database,
 * migrates its schema in one transaction and prepares the statements the
 * flush reuses.  Refuses what is not a database, another program's database
 * or a newer schema.  NULL on failure (logged).
 */
struct regdb *regdb_open(const char *where, const char *node, int wait);

/*
 * regdb_check: whether this node may still write (PostgreSQL: its session,
 * which holds the coordinator's lock, answers and its term is current).
 * 0, or -1 once the term is over: it stays so, and the node must step down.
 * regdb_term: the term this node writes under (0: a backend without terms,
 * -1: over).
 */
int regdb_check(struct regdb *db);
long long regdb_term(struct regdb *db);
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
int regdb_user_set_run_as(struct regdb *db, long long id, int allow);
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
