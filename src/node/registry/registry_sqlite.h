/* registry_sqlite.h — internal to the registry: its SQLite backend (registry_sqlite*.c). */
#ifndef VIGIL_REGISTRY_SQLITE_H
#define VIGIL_REGISTRY_SQLITE_H

#include "node/registry/registry_db.h"

struct sqlite3;

/* sqlite_open: the SQLite backend on the file at path (regdb_open). */
struct regdb *sqlite_open(const char *path);
/* regdb_sqlite: the database handle of an SQLite backend, for its other stores. */
struct sqlite3 *regdb_sqlite(struct regdb *db);

/* registry_sqlite_sec.c: the ops of the same names (registry_sec_*). */
int sqlite_sec_load(struct regdb *d, const struct registry_sec_cb *cb);
int sqlite_sec_add(struct regdb *d, enum registry_sec_kind k, const char *name,
    const char *body, long long *id);
int sqlite_sec_update(struct regdb *d, enum registry_sec_kind k, long long id,
    const char *name, const char *body);
int sqlite_sec_delete(struct regdb *d, enum registry_sec_kind k, long long id);
int sqlite_sec_link(struct regdb *d, enum registry_sec_kind k, long long role,
    long long other, long long position);
int sqlite_sec_unlink(struct regdb *d, enum registry_sec_kind k, long long role,
    long long other);
int sqlite_sec_revoke_role(struct regdb *d, long long role, long long ms);
int sqlite_user_set_run_as(struct regdb *d, long long id, int allow);

/* registry_sqlite_jobs.c: the ops of the same names (registry_job_*). */
int sqlite_job_create(struct regdb *d, struct registry_job *j, const uint32_t *agents,
    size_t n);
int sqlite_job_set(struct regdb *d, const struct registry_job *j);
int sqlite_job_save(struct regdb *d, uint64_t job, const struct registry_job_agent *v,
    size_t n, const struct registry_job_sent *old, size_t nold, int drop_waves);
int sqlite_job_wave_add(struct regdb *d, uint64_t job, int64_t sent_ms,
    const struct registry_job_wave *v, size_t n);
int sqlite_job_load(struct regdb *d, const struct registry_job_cb *cb);
int sqlite_job_delete(struct regdb *d, uint64_t job);

#endif
