/*
 * registry_sqlite_jobs.c — the SQLite store of restart and reconnect jobs
 * (tables of schema steps 7 to 9).  The master writes a job when it is
 * created, a wave (one row naming a tick's sends) before the commands go to
 * the agents' sessions, each agent's row after (the wave then goes: so a
 * master restarted in the middle of a job knows where every agent stood),
 * and the job's row when it is cancelled or done.  Each call is one
 * transaction on the registry's connection, outside its batched flush.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "node/registry/registry.h"
#include "node/registry/registry_jobdata.h"
#include "node/registry/registry_sqlite.h"

static int
jobs_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("registry: jobs: %s: %s", sql, err != NULL ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *
jobs_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("registry: jobs: %s: %s", sql, sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

/* jobs_step: runs st once more (reset first); 0 when it is done, -1 (logged). */
static int
jobs_step(sqlite3 *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("registry: jobs: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/* jobs_end: commits when ok, else rolls back; ok ? 0 : -1 (a failed commit is -1 too). */
static int
jobs_end(sqlite3 *db, int ok)
{
	if (ok && jobs_exec(db, "COMMIT") == 0)
		return 0;
	(void)jobs_exec(db, "ROLLBACK");
	return -1;
}

int
sqlite_job_create(struct regdb *d, struct registry_job *j, const uint32_t *agents,
    size_t n)
{
	sqlite3 *db = regdb_sqlite(d);
	sqlite3_stmt *st = NULL;
	unsigned char *ids;
	int ok = 0;

	if (regjob_ids_pack(agents, n, &ids) == -1)
		return -1;
	if (jobs_exec(db, "BEGIN IMMEDIATE") == -1) {
		free(ids);
		return -1;
	}
	if ((st = jobs_prepare(db, "INSERT INTO job (kind, user, scope, created_ms, expires_ms,"
	    " max_in_flight, rate, cancelled_ms, done_ms, agents) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	    " ?7, ?8, ?9, ?10)")) == NULL)
		goto out;
	sqlite3_bind_int(st, 1, j->kind);
	sqlite3_bind_text(st, 2, j->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j->scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, j->created_ms);
	sqlite3_bind_int64(st, 5, j->expires_ms);
	sqlite3_bind_int(st, 6, j->max_in_flight);
	sqlite3_bind_int(st, 7, j->rate);
	sqlite3_bind_int64(st, 8, j->cancelled_ms);
	sqlite3_bind_int64(st, 9, j->done_ms);
	/* the agents' rows come at their first save: one insert here, not one an agent */
	sqlite3_bind_blob(st, 10, ids != NULL ? (const void *)ids : "", (int)(n * 4),
	    SQLITE_STATIC);
	if (jobs_step(db, st) == -1)
		goto out;
	j->id = (uint64_t)sqlite3_last_insert_rowid(db);
	ok = 1;
out:
	sqlite3_finalize(st);
	free(ids);
	return jobs_end(db, ok);
}

int
sqlite_job_set(struct regdb *d, const struct registry_job *j)
{
	sqlite3 *db = regdb_sqlite(d);
	sqlite3_stmt *st;
	int rc;

	if ((st = jobs_prepare(db, "UPDATE job SET cancelled_ms = ?1, done_ms = ?2 WHERE id = ?3"))
	    == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, j->cancelled_ms);
	sqlite3_bind_int64(st, 2, j->done_ms);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)j->id);
	rc = jobs_step(db, st);
	sqlite3_finalize(st);
	return rc;
}

int
sqlite_job_save(struct regdb *d, uint64_t job, const struct registry_job_agent *v,
    size_t n, const struct registry_job_sent *old, size_t nold, int drop_waves)
{
	sqlite3 *db = regdb_sqlite(d);
	sqlite3_stmt *st = NULL;
	uint32_t *ids = NULL;
	size_t i, nids = 0;
	int ok = 0, listed = 0;

	if (n == 0 && nold == 0 && !drop_waves)
		return 0;
	if (jobs_exec(db, "BEGIN IMMEDIATE") == -1)
		return -1;
	/* the job's agents: its row lists them (schema 9); older jobs have a row each */
	if ((st = jobs_prepare(db, "SELECT agents FROM job WHERE id = ?1")) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)job);
	if (sqlite3_step(st) != SQLITE_ROW) {
		log_warnx("registry: jobs: no job %llu", (unsigned long long)job);
		goto out;
	}
	if (sqlite3_column_type(st, 0) == SQLITE_BLOB) {
		listed = 1;
		if (regjob_ids_unpack(job, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), &ids, &nids) == -1)
			goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (drop_waves) {
		if ((st = jobs_prepare(db, "DELETE FROM job_wave WHERE job_id = ?1")) == NULL)
			goto out;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)job);
		if (jobs_step(db, st) == -1)
			goto out;
		sqlite3_finalize(st);
		st = NULL;
	}
	if ((st = jobs_prepare(db, listed ?
	    "INSERT INTO job_agent (job_id, agent_id, state, t_delivered, t_done, sent_ms, node, sid,"
	    " sends, code, wait) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	    " ON CONFLICT (job_id, agent_id) DO UPDATE SET state = excluded.state,"
	    " t_delivered = excluded.t_delivered, t_done = excluded.t_done,"
	    " sent_ms = excluded.sent_ms, node = excluded.node, sid = excluded.sid,"
	    " sends = excluded.sends, code = excluded.code, wait = excluded.wait" :
	    "UPDATE job_agent SET state = ?3, t_delivered = ?4, t_done = ?5,"
	    " sent_ms = ?6, node = ?7, sid = ?8, sends = ?9, code = ?10, wait = ?11"
	    " WHERE job_id = ?1 AND agent_id = ?2")) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)job);
	for (i = 0; i < n; i++) {
		if (listed && !regjob_ids_has(ids, nids, v[i].agent)) {
			log_warnx("registry: jobs: job %llu has no agent %u",
			    (unsigned long long)job, v[i].agent);
			goto out;
		}
		sqlite3_bind_int64(st, 2, v[i].agent);
		sqlite3_bind_int(st, 3, v[i].state);
		sqlite3_bind_int64(st, 4, v[i].t_delivered);
		sqlite3_bind_int64(st, 5, v[i].t_done);
		sqlite3_bind_int64(st, 6, v[i].sent_ms);
		sqlite3_bind_text(st, 7, v[i].node, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, (sqlite3_int64)v[i].sid);
		sqlite3_bind_int(st, 9, v[i].sends);
		sqlite3_bind_int(st, 10, v[i].code);
		sqlite3_bind_int(st, 11, v[i].wait != 0);
		if (jobs_step(db, st) == -1)
			goto out;
		if (sqlite3_changes(db) != 1) {
			log_warnx("registry: jobs: job %llu has no agent %u",
			    (unsigned long long)job, v[i].agent);
			goto out;
		}
	}
	sqlite3_finalize(st);
	if ((st = jobs_prepare(db, "INSERT OR IGNORE INTO job_sent (job_id, agent_id, node, sid)"
	    " VALUES (?1, ?2, ?3, ?4)")) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)job);
	for (i = 0; i < nold; i++) {
		sqlite3_bind_int64(st, 2, old[i].agent);
		sqlite3_bind_text(st, 3, old[i].node, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)old[i].sid);
		if (jobs_step(db, st) == -1)
			goto out;
	}
	ok = 1;
out:
	sqlite3_finalize(st);
	free(ids);
	return jobs_end(db, ok);
}

int
sqlite_job_wave_add(struct regdb *d, uint64_t job, int64_t sent_ms,
    const struct registry_job_wave *v, size_t n)
{
	sqlite3 *db = regdb_sqlite(d);
	sqlite3_stmt *st = NULL;
	unsigned char *items = NULL;
	char *nodes = NULL;
	size_t len;
	int rc = -1;

	if (n == 0)
		return 0;
	if (regjob_wave_pack(job, v, n, &nodes, &len, &items) == -1)
		goto out;
	if ((st = jobs_prepare(db, "INSERT INTO job_wave (job_id, seq, sent_ms, nodes, items)"
	    " VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM job_wave WHERE job_id = ?1),"
	    " ?2, ?3, ?4)")) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)job);
	sqlite3_bind_int64(st, 2, sent_ms);
	sqlite3_bind_text(st, 3, nodes, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, items, (int)(n * REGJOB_WAVE_ITEM), SQLITE_STATIC);
	rc = jobs_step(db, st);
out:
	sqlite3_finalize(st);
	free(nodes);
	free(items);
	return rc;
}

/* wave_load: the waves of job through cb->wave, in the order they were added. */
static int
wave_load(sqlite3 *db, sqlite3_stmt *ws, uint64_t job, const struct registry_job_cb *cb)
{
	int rc, ret = 0;

	sqlite3_bind_int64(ws, 1, (sqlite3_int64)job);
	while (ret == 0 && (rc = sqlite3_step(ws)) == SQLITE_ROW)
		ret = regjob_wave_unpack(job, sqlite3_column_int64(ws, 0),
		    (const char *)sqlite3_column_blob(ws, 1), (size_t)sqlite3_column_bytes(ws, 1),
		    sqlite3_column_blob(ws, 2), (size_t)sqlite3_column_bytes(ws, 2), cb);
	if (ret == 0 && rc != SQLITE_DONE) {
		log_warnx("registry: jobs: %s", sqlite3_errmsg(db));
		ret = -1;
	}
	sqlite3_reset(ws);
	return ret;
}

/* text: a column as a string into buf (truncated), "" for NULL. */
static void
text(sqlite3_stmt *st, int col, char *buf, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(buf, cap, "%s", t != NULL ? (const char *)t : "");
}

/* agent_row: as's current row (job_agent) into a; -1 for an id out of range (logged). */
static int
agent_row(sqlite3_stmt *as, uint64_t job, struct registry_job_agent *a)
{
	int64_t id = sqlite3_column_int64(as, 0);

	memset(a, 0, sizeof(*a));
	if (id < 1 || id > REGDB_ID_MAX) {
		log_warnx("registry: jobs: job %llu: agent id %lld out of range",
		    (unsigned long long)job, (long long)id);
		return -1;
	}
	a->agent = (uint32_t)id;
	a->state = sqlite3_column_int(as, 1);
	a->t_delivered = sqlite3_column_int64(as, 2);
	a->t_done = sqlite3_column_int64(as, 3);
	a->sent_ms = sqlite3_column_int64(as, 4);
	text(as, 5, a->node, sizeof(a->node));
	a->sid = (uint64_t)sqlite3_column_int64(as, 6);
	a->sends = sqlite3_column_int(as, 7);
	a->code = sqlite3_column_int(as, 8);
	a->wait = sqlite3_column_int(as, 9) != 0;
	return 0;
}

/*
 * agents_load: job's agents through cb->agent, in id order: the job's list
 * (ids, size bytes; NULL for a job of schema 7 or 8) merged with its rows
 * (regjob_agents_merge).  0 / -1.
 */
static int
agents_load(sqlite3 *db, sqlite3_stmt *as, uint64_t job, const unsigned char *ids, size_t size,
    const struct registry_job_cb *cb)
{
	struct registry_job_agent *rows = NULL, *nr;
	uint32_t *list = NULL;
	size_t n = 0, cap = 0, nids = 0;
	int rc, ret = 0;

	if (ids != NULL && regjob_ids_unpack(job, ids, size, &list, &nids) == -1)
		return -1;
	sqlite3_bind_int64(as, 1, (sqlite3_int64)job);
	while (ret == 0 && (rc = sqlite3_step(as)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nr = realloc(rows, cap * sizeof(*rows))) == NULL) {
				ret = -1;
				break;
			}
			rows = nr;
		}
		ret = agent_row(as, job, &rows[n++]);
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		log_warnx("registry: jobs: %s", sqlite3_errmsg(db));
		ret = -1;
	}
	sqlite3_reset(as);
	if (ret == 0)
		ret = regjob_agents_merge(job, ids != NULL, list, nids, rows, n, cb);
	free(rows);
	free(list);
	return ret;
}

int
sqlite_job_load(struct regdb *d, const struct registry_job_cb *cb)
{
	sqlite3 *db = regdb_sqlite(d);
	sqlite3_stmt *js, *as = NULL, *ss = NULL, *ws = NULL;
	struct registry_job j;
	struct registry_job_sent o;
	int rc, ret = 0;

	if ((js = jobs_prepare(db, "SELECT id, kind, user, scope, created_ms, expires_ms,"
	    " max_in_flight, rate, cancelled_ms, done_ms, agents FROM job ORDER BY id")) == NULL ||
	    (as = jobs_prepare(db, "SELECT agent_id, state, t_delivered, t_done, sent_ms, node, sid,"
	    " sends, code, wait FROM job_agent WHERE job_id = ?1 ORDER BY agent_id")) == NULL ||
	    (ss = jobs_prepare(db, "SELECT agent_id, node, sid FROM job_sent WHERE job_id = ?1"
	    " ORDER BY agent_id, node, sid")) == NULL ||
	    (ws = jobs_prepare(db, "SELECT sent_ms, nodes, items FROM job_wave WHERE job_id = ?1"
	    " ORDER BY seq")) == NULL) {
		sqlite3_finalize(ss);
		sqlite3_finalize(as);
		sqlite3_finalize(js);
		return -1;
	}
	while (ret == 0 && (rc = sqlite3_step(js)) == SQLITE_ROW) {
		memset(&j, 0, sizeof(j));
		j.id = (uint64_t)sqlite3_column_int64(js, 0);
		j.kind = sqlite3_column_int(js, 1);
		text(js, 2, j.user, sizeof(j.user));
		text(js, 3, j.scope, sizeof(j.scope));
		j.created_ms = sqlite3_column_int64(js, 4);
		j.expires_ms = sqlite3_column_int64(js, 5);
		j.max_in_flight = sqlite3_column_int(js, 6);
		j.rate = sqlite3_column_int(js, 7);
		j.cancelled_ms = sqlite3_column_int64(js, 8);
		j.done_ms = sqlite3_column_int64(js, 9);
		if ((ret = cb->job(cb->arg, &j)) != 0)
			break;
		if (sqlite3_column_type(js, 10) == SQLITE_BLOB)
			ret = agents_load(db, as, j.id, sqlite3_column_blob(js, 10),
			    (size_t)sqlite3_column_bytes(js, 10), cb);
		else
			ret = agents_load(db, as, j.id, NULL, 0, cb);
		sqlite3_bind_int64(ss, 1, (sqlite3_int64)j.id);
		while (ret == 0 && (rc = sqlite3_step(ss)) == SQLITE_ROW) {
			memset(&o, 0, sizeof(o));
			o.agent = (uint32_t)sqlite3_column_int64(ss, 0);
			text(ss, 1, o.node, sizeof(o.node));
			o.sid = (uint64_t)sqlite3_column_int64(ss, 2);
			ret = cb->sent(cb->arg, j.id, &o);
		}
		if (ret == 0 && rc != SQLITE_DONE) {
			log_warnx("registry: jobs: %s", sqlite3_errmsg(db));
			ret = -1;
		}
		sqlite3_reset(ss);
		if (ret == 0 && cb->wave != NULL)
			ret = wave_load(db, ws, j.id, cb);
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		log_warnx("registry: jobs: %s", sqlite3_errmsg(db));
		ret = -1;
	}
	sqlite3_finalize(ws);
	sqlite3_finalize(ss);
	sqlite3_finalize(as);
	sqlite3_finalize(js);
	return ret;
}

int
sqlite_job_delete(struct regdb *d, uint64_t job)
{
	static const char *const sql[] = {
		"DELETE FROM job_agent WHERE job_id = ?1",
		"DELETE FROM job_sent WHERE job_id = ?1",
		"DELETE FROM job_wave WHERE job_id = ?1",
		"DELETE FROM job WHERE id = ?1",     /* last: its changes say whether it was there */
	};
	sqlite3 *db = regdb_sqlite(d);
	sqlite3_stmt *st;
	size_t i;
	int ok = 1, found = 0;

	if (jobs_exec(db, "BEGIN IMMEDIATE") == -1)
		return -1;
	for (i = 0; ok && i < sizeof(sql) / sizeof(sql[0]); i++) {
		if ((st = jobs_prepare(db, sql[i])) == NULL) {
			ok = 0;
			break;
		}
		sqlite3_bind_int64(st, 1, (sqlite3_int64)job);
		ok = jobs_step(db, st) == 0;
		found = ok && sqlite3_changes(db) > 0;
		sqlite3_finalize(st);
	}
	if (jobs_end(db, ok) == -1)
		return -1;
	return found;
}
