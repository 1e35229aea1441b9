/*
 * registry_db.c — the registry's store, whichever backend holds it: chooses
 * the backend at open and passes every operation to it.  This is the one
 * place every read and write of the registry's tables goes through.
 */
#include "node/registry/registry_db.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "node/registry/registry_pg.h"
#include "node/registry/registry_sqlite.h"

/* COL_TIME columns are time_t or int64_t (struct crec_state): the same size here. */
_Static_assert(sizeof(time_t) == sizeof(int64_t), "time_t is 64 bits");

const struct regdb_agent_col regdb_agent_cols[REGDB_NCOLS] = {
#define T(c, f, req) { c, offsetof(struct agent, f), sizeof(((struct agent *)0)->f), \
	REGDB_COL_TEXT, req }
#define I(c, f) { c, offsetof(struct agent, f), sizeof(((struct agent *)0)->f), REGDB_COL_INT, 0 }
#define S(c, f) { c, offsetof(struct agent, f), sizeof(((struct agent *)0)->f), \
	REGDB_COL_TIME, 0 }
	T("name", name, 1),
	T("ip", ip, 1),
	T("register_ip", register_ip, 0),
	T("key", key, 1),
	T("groups", group, 0),
	T("node_name", node_name, 0),
	T("manager", st.manager, 0),
	I("status", st.status),
	I("status_code", st.status_code),
	I("group_config_synced", group_config_synced),
	S("date_add", date_add),
	S("last_keepalive", st.last_keepalive),
	S("disconnection_time", st.disconnection_time),
	T("version", st.info.version, 0),
	T("os_uname", st.info.os_uname, 0),
	T("os_name", st.info.os_name, 0),
	T("os_version", st.info.os_version, 0),
	T("os_major", st.info.os_major, 0),
	T("os_minor", st.info.os_minor, 0),
	T("os_build", st.info.os_build, 0),
	T("os_codename", st.info.os_codename, 0),
	T("os_platform", st.info.os_platform, 0),
	T("os_arch", st.info.os_arch, 0),
	T("config_sum", st.info.config_sum, 0),
	T("merged_sum", st.info.merged_sum, 0),
	T("agent_ip", st.info.agent_ip, 0),
	T("labels", st.info.labels, 0),
#undef T
#undef I
#undef S
};

int
regdb_col_text(struct agent *a, const struct regdb_agent_col *c, const char *s, size_t n)
{
	char *p = (char *)a + c->off;

	if (s == NULL)
		n = 0;
	else if (memchr(s, '\0', n) != NULL)
		n = strlen(s);
	if (n >= c->size) {
		if (c->required)
			return -1;
		n = c->size - 1;
	}
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return 0;
}

void
regdb_col_int(struct agent *a, const struct regdb_agent_col *c, long long v)
{
	char *p = (char *)a + c->off;

	if (c->type == REGDB_COL_TIME) {
		time_t t = v < 0 ? 0 : (time_t)v;

		memcpy(p, &t, sizeof(t));
	} else {
		int iv = (v < 0 || v > 0xffff) ? -1 : (int)v;

		memcpy(p, &iv, sizeof(iv));
	}
}

int
regdb_is_url(const char *where)
{
	return where != NULL && (strncmp(where, "postgresql://", 13) == 0 ||
	    strncmp(where, "postgres://", 11) == 0);
}

void
registry_where(const char *where, char *buf, size_t cap)
{
	const char *u, *at, *colon, *slash;

	if (!regdb_is_url(where) || (u = strstr(where, "://")) == NULL) {
		snprintf(buf, cap, "%s", where);
		return;
	}
	u += 3;
	slash = u + strcspn(u, "/?");
	at = memrchr(u, '@', (size_t)(slash - u));     /* a password may hold an @ */
	colon = at != NULL ? memchr(u, ':', (size_t)(at - u)) : NULL;
	if (colon == NULL)
		snprintf(buf, cap, "%s", where);
	else
		snprintf(buf, cap, "%.*s:***%s", (int)(colon - where), where, at);
	/* a password may also be a query parameter: drop the query altogether */
	if ((u = strchr(buf, '?')) != NULL && strstr(u, "password") != NULL)
		snprintf(buf + (u - buf), cap - (size_t)(u - buf), "?***");
}

struct regdb *
regdb_open(const char *where, const char *node, int wait)
{
	if (regdb_is_url(where))
		return pg_open(where, node, wait);
	return sqlite_open(where);
}

int
regdb_check(struct regdb *db)
{
	return db->ops->check != NULL ? db->ops->check(db) : 0;
}

long long
regdb_term(struct regdb *db)
{
	return db->ops->term != NULL ? db->ops->term(db) : 0;
}

void
regdb_close(struct regdb *d)
{
	if (d != NULL)
		d->ops->close(d);
}

int
regdb_load_begin(struct regdb *db)
{
	return db->ops->load_begin(db);
}

int
regdb_load_next(struct regdb *db, struct agent *a)
{
	return db->ops->load_next(db, a);
}

void
regdb_load_end(struct regdb *db)
{
	db->ops->load_end(db);
}

int
regdb_begin(struct regdb *db)
{
	return db->ops->begin(db);
}

int
regdb_commit(struct regdb *db)
{
	return db->ops->commit(db);
}

void
regdb_rollback(struct regdb *db)
{
	db->ops->rollback(db);
}

int
regdb_upsert(struct regdb *db, const struct agent *a)
{
	return db->ops->upsert(db, a);
}

int
regdb_touch(struct regdb *db, unsigned int id, int64_t last_keepalive)
{
	return db->ops->touch(db, id, last_keepalive);
}

int
regdb_delete(struct regdb *db, unsigned int id)
{
	return db->ops->delete(db, id);
}

int
regdb_user_find(struct regdb *db, const char *name, struct registry_user *u)
{
	return db->ops->user_find(db, name, u);
}

int
regdb_user_find_id(struct regdb *db, long long id, struct registry_user *u)
{
	return db->ops->user_find_id(db, id, u);
}

int
regdb_user_list(struct regdb *db, struct registry_user **out, size_t *n)
{
	return db->ops->user_list(db, out, n);
}

int
regdb_user_add(struct regdb *db, const char *name, const char *hash, int reserved, long long *id)
{
	return db->ops->user_add(db, name, hash, reserved, id);
}

int
regdb_user_delete(struct regdb *db, long long id)
{
	return db->ops->user_delete(db, id);
}

int
regdb_user_set_hash(struct regdb *db, long long id, const char *hash)
{
	return db->ops->user_set_hash(db, id, hash);
}

int
regdb_user_revoke(struct regdb *db, long long id, long long ms)
{
	return db->ops->user_revoke(db, id, ms);
}

int
regdb_user_role_add(struct regdb *db, long long uid, int rid)
{
	return db->ops->user_role_add(db, uid, rid);
}

int
regdb_user_role_del(struct regdb *db, long long uid, int rid)
{
	return db->ops->user_role_del(db, uid, rid);
}

int
regdb_user_count(struct regdb *db)
{
	return db->ops->user_count(db);
}

int
regdb_user_set_run_as(struct regdb *db, long long id, int allow)
{
	return db->ops->user_set_run_as(db, id, allow);
}

int
regdb_meta_get(struct regdb *db, const char *key, char *val, size_t cap)
{
	return db->ops->meta_get(db, key, val, cap);
}

int
regdb_meta_set(struct regdb *db, const char *key, const char *val)
{
	return db->ops->meta_set(db, key, val);
}

int
regdb_group_load(struct regdb *db, int (*cb)(void *, const char *, const char *, size_t),
    void *arg)
{
	return db->ops->group_load(db, cb, arg);
}

int
regdb_group_set(struct regdb *db, const char *name, const char *conf, size_t len)
{
	return db->ops->group_set(db, name, conf, len);
}

int
regdb_group_delete(struct regdb *db, const char *name)
{
	return db->ops->group_delete(db, name);
}

/* The registry's security and jobs stores (registry.h), on its backend. */

int
registry_sec_load(struct registry *r, const struct registry_sec_cb *cb)
{
	return registry_db(r)->ops->sec_load(registry_db(r), cb);
}

int
registry_sec_add(struct registry *r, enum registry_sec_kind k, const char *name,
    const char *body, long long *id)
{
	return registry_db(r)->ops->sec_add(registry_db(r), k, name, body, id);
}

int
registry_sec_update(struct registry *r, enum registry_sec_kind k, long long id,
    const char *name, const char *body)
{
	return registry_db(r)->ops->sec_update(registry_db(r), k, id, name, body);
}

int
registry_sec_delete(struct registry *r, enum registry_sec_kind k, long long id)
{
	return registry_db(r)->ops->sec_delete(registry_db(r), k, id);
}

int
registry_sec_link(struct registry *r, enum registry_sec_kind k, long long role,
    long long other, long long position)
{
	return registry_db(r)->ops->sec_link(registry_db(r), k, role, other, position);
}

int
registry_sec_unlink(struct registry *r, enum registry_sec_kind k, long long role,
    long long other)
{
	return registry_db(r)->ops->sec_unlink(registry_db(r), k, role, other);
}

int
registry_sec_revoke_role(struct registry *r, long long role, long long ms)
{
	return registry_db(r)->ops->sec_revoke_role(registry_db(r), role, ms);
}

int
registry_user_set_run_as(struct registry *r, long long id, int allow)
{
	return registry_db(r)->ops->user_set_run_as(registry_db(r), id, allow);
}

int
registry_job_create(struct registry *r, struct registry_job *j, const uint32_t *agents,
    size_t n)
{
	return registry_db(r)->ops->job_create(registry_db(r), j, agents, n);
}

int
registry_job_set(struct registry *r, const struct registry_job *j)
{
	return registry_db(r)->ops->job_set(registry_db(r), j);
}

int
registry_job_save(struct registry *r, uint64_t job, const struct registry_job_agent *v,
    size_t n, const struct registry_job_sent *old, size_t nold, int drop_waves)
{
	return registry_db(r)->ops->job_save(registry_db(r), job, v, n, old, nold, drop_waves);
}

int
registry_job_wave_add(struct registry *r, uint64_t job, int64_t sent_ms,
    const struct registry_job_wave *v, size_t n)
{
	return registry_db(r)->ops->job_wave_add(registry_db(r), job, sent_ms, v, n);
}

int
registry_job_load(struct registry *r, const struct registry_job_cb *cb)
{
	return registry_db(r)->ops->job_load(registry_db(r), cb);
}

int
registry_job_delete(struct registry *r, uint64_t job)
{
	return registry_db(r)->ops->job_delete(registry_db(r), job);
}
