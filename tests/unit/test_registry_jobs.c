/* test_registry_jobs.c — jobs and their agents' rows: written, read back after a reopen, deleted. */
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

#include "node/registry/registry.h"
#include "pgtest.h"

struct fx {
	char dir[64];
	char db[128];
	char where[1024];      /* what registry_open is given: db, or the PostgreSQL URI */
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-regjobs-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/registry.db", f->dir);
	snprintf(f->where, sizeof(f->where), "%s", f->db);
	*state = f;
	return 0;
}

/* setup_pg: the same cases on the PostgreSQL test database, emptied. */
static int
setup_pg(void **state)
{
	struct fx *f;

	if (setup(state) == -1 || pgtest_reset() == -1)
		return -1;
	f = *state;
	snprintf(f->where, sizeof(f->where), "%s", pgtest_uri());
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[160];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->db, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct registry *
reg_open(struct fx *f)
{
	return registry_open(f->where, "manager", "node01", "v4.12.0");
}

/* What registry_job_load gave: jobs and their agents in the order they came. */
struct loaded {
	struct registry_job jobs[8];
	size_t njobs;
	struct { uint64_t job; struct registry_job_agent a; } agents[64];
	size_t nagents;
	struct { uint64_t job; struct registry_job_sent s; } sent[16];
	size_t nsent;
	struct { uint64_t job; struct registry_job_wave w; } wave[16];
	size_t nwave;
	int stop_at_job;             /* cb->job returns -1 for this job id (0: never) */
};

static int
load_job(void *arg, const struct registry_job *j)
{
	struct loaded *l = arg;

	if (l->stop_at_job != 0 && j->id == (uint64_t)l->stop_at_job)
		return -1;
	assert_true(l->njobs < 8);
	l->jobs[l->njobs++] = *j;
	return 0;
}

static int
load_agent(void *arg, uint64_t job, const struct registry_job_agent *a)
{
	struct loaded *l = arg;

	assert_true(l->nagents < 64);
	l->agents[l->nagents].job = job;
	l->agents[l->nagents++].a = *a;
	return 0;
}

static int
load_sent(void *arg, uint64_t job, const struct registry_job_sent *o)
{
	struct loaded *l = arg;

	assert_true(l->nsent < 16);
	l->sent[l->nsent].job = job;
	l->sent[l->nsent++].s = *o;
	return 0;
}

static int
load_wave(void *arg, uint64_t job, const struct registry_job_wave *w)
{
	struct loaded *l = arg;

	assert_true(l->nwave < 16);
	l->wave[l->nwave].job = job;
	l->wave[l->nwave++].w = *w;
	return 0;
}

static int
load(struct registry *r, struct loaded *l)
{
	struct registry_job_cb cb = { load_job, load_agent, load_sent, load_wave, l };

	l->njobs = l->nagents = l->nsent = l->nwave = 0;
	return registry_job_load(r, &cb);
}

static struct registry_job
job_row(int kind, const char *user, const char *scope, int64_t created)
{
	struct registry_job j;

	memset(&j, 0, sizeof(j));
	j.kind = kind;
	snprintf(j.user, sizeof(j.user), "%s", user);
	snprintf(j.scope, sizeof(j.scope), "%s", scope);
	j.created_ms = created;
	j.expires_ms = created + 900000;
	j.max_in_flight = 200;
	j.rate = 50;
	return j;
}

/* A job, its agents' rows changed, all read back as written after the registry is reopened. */
static void
test_round_trip(void **state)
{
	struct fx *f = *state;
	static const uint32_t agents[] = { 1, 2, 3, 99999999 };
	static const struct registry_job_agent rows[] = {
		/* agent state t_delivered t_done sent_ms node sid sends code wait */
		{ 1, 0, 0, 0, 1700000000050, "worker1", 0x100000001ull, 1, 0, 1 },
		{ 3, 2, 1700000000100, 1700000004000, 1700000000060, "master-node",
		    (uint64_t)INT64_MAX, 2, 0, 0 },
		{ 99999999, 3, 0, 1700000005000, 0, "", 0, 0, 1701, 0 },
	};
	/* agent 3 was sent to twice before; the second copy of one is kept once */
	static const struct registry_job_sent olds[] = {
		{ 3, "worker2", 7 }, { 3, "worker1", 9 },
	};
	struct registry *r;
	struct registry_job j = job_row(0, "wazuh", "agents_list=001,002,003", 1700000000000);
	struct registry_job k = job_row(1, "ops", "all", 1700000001000);
	struct loaded *l = calloc(1, sizeof(*l));
	size_t i;

	assert_non_null(l);
	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_job_create(r, &j, agents, 4), 0);
	assert_int_equal(registry_job_create(r, &k, NULL, 0), 0);
	assert_true(j.id >= 1 && k.id > j.id);
	assert_int_equal(registry_job_save(r, j.id, rows, 3, olds, 2, 0), 0);
	j.cancelled_ms = 1700000002000;
	assert_int_equal(registry_job_set(r, &j), 0);
	assert_int_equal(registry_job_save(r, j.id, rows + 1, 1, olds, 1, 0), 0);
	registry_close(r);

	assert_non_null(r = reg_open(f));
	assert_int_equal(load(r, l), 0);
	assert_int_equal(l->nsent, 2);
	assert_int_equal(l->sent[0].job, j.id);
	assert_int_equal(l->sent[0].s.agent, 3);
	assert_string_equal(l->sent[0].s.node, "worker1");
	assert_int_equal(l->sent[0].s.sid, 9);
	assert_string_equal(l->sent[1].s.node, "worker2");
	assert_int_equal(l->sent[1].s.sid, 7);
	assert_int_equal(l->njobs, 2);
	assert_int_equal(l->jobs[0].id, j.id);
	assert_int_equal(l->jobs[0].kind, 0);
	assert_string_equal(l->jobs[0].user, "wazuh");
	assert_string_equal(l->jobs[0].scope, "agents_list=001,002,003");
	assert_int_equal(l->jobs[0].created_ms, 1700000000000);
	assert_int_equal(l->jobs[0].expires_ms, 1700000900000);
	assert_int_equal(l->jobs[0].max_in_flight, 200);
	assert_int_equal(l->jobs[0].rate, 50);
	assert_int_equal(l->jobs[0].cancelled_ms, 1700000002000);
	assert_int_equal(l->jobs[0].done_ms, 0);
	assert_int_equal(l->jobs[1].id, k.id);
	assert_int_equal(l->jobs[1].kind, 1);
	/* agent 2 untouched: all zero; the others as written, in agent order */
	assert_int_equal(l->nagents, 4);
	for (i = 0; i < 4; i++) {
		const struct registry_job_agent *a = &l->agents[i].a;

		assert_int_equal(l->agents[i].job, j.id);
		assert_int_equal(a->agent, agents[i]);
		if (a->agent == 2) {
			assert_int_equal(a->state, 0);
			assert_int_equal(a->sent_ms, 0);
			assert_string_equal(a->node, "");
			continue;
		}
		const struct registry_job_agent *w = &rows[a->agent == 1 ? 0 : a->agent == 3 ? 1 : 2];
		assert_int_equal(a->state, w->state);
		assert_int_equal(a->t_delivered, w->t_delivered);
		assert_int_equal(a->t_done, w->t_done);
		assert_int_equal(a->sent_ms, w->sent_ms);
		assert_string_equal(a->node, w->node);
		assert_true(a->sid == w->sid);
		assert_int_equal(a->sends, w->sends);
		assert_int_equal(a->code, w->code);
		assert_int_equal(a->wait, w->wait);
	}
	registry_close(r);
	free(l);
}

/* A row for an agent the job does not have fails the whole call: nothing of it is written. */
static void
test_unknown_agent_writes_nothing(void **state)
{
	struct fx *f = *state;
	static const uint32_t agents[] = { 5, 6 };
	struct registry_job_agent rows[2];
	struct registry *r;
	struct registry_job j = job_row(0, "wazuh", "all", 1000);
	struct loaded *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	memset(rows, 0, sizeof(rows));
	rows[0].agent = 5;
	rows[0].state = 2;
	rows[1].agent = 7;     /* not in the job */
	rows[1].state = 2;
	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_job_create(r, &j, agents, 2), 0);
	assert_int_equal(registry_job_save(r, j.id, rows, 2, NULL, 0, 0), -1);
	assert_int_equal(registry_job_save(r, j.id + 1, rows, 1, NULL, 0, 0), -1);   /* no such job */
	assert_int_equal(registry_job_save(r, j.id, rows, 0, NULL, 0, 0), 0);
	assert_int_equal(load(r, l), 0);
	assert_int_equal(l->nagents, 2);
	assert_int_equal(l->agents[0].a.state, 0);
	assert_int_equal(l->agents[1].a.state, 0);
	registry_close(r);
	free(l);
}

/* Deleted jobs go with their agents, and their ids are not given again; cb's -1 stops a load. */
static void
test_delete_and_ids(void **state)
{
	struct fx *f = *state;
	static const uint32_t agents[] = { 1, 2 };
	struct registry *r;
	struct registry_job a = job_row(0, "u", "all", 1), b = job_row(0, "u", "all", 2), c;
	struct loaded *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_job_create(r, &a, agents, 2), 0);
	assert_int_equal(registry_job_create(r, &b, agents, 2), 0);
	{
		static const struct registry_job_sent o = { 1, "w", 5 };

		assert_int_equal(registry_job_save(r, b.id, NULL, 0, &o, 1, 0), 0);
	}
	assert_int_equal(registry_job_delete(r, b.id), 1);
	assert_int_equal(registry_job_delete(r, b.id), 0);
	c = job_row(0, "u", "all", 3);
	assert_int_equal(registry_job_create(r, &c, agents, 1), 0);
	assert_true(c.id > b.id);
	assert_int_equal(load(r, l), 0);
	assert_int_equal(l->njobs, 2);
	assert_int_equal(l->nagents, 3);
	assert_int_equal(l->nsent, 0);
	assert_int_equal(l->jobs[1].id, c.id);
	l->stop_at_job = (int)c.id;
	assert_int_equal(load(r, l), -1);
	assert_int_equal(l->njobs, 1);
	registry_close(r);
	free(l);
}

/* A registry of schema 7 (no wait column) keeps its jobs when it is opened: wait reads 0. */
static void
test_migrate_from_7(void **state)
{
	struct fx *f = *state;
	static const uint32_t agents[] = { 5 };
	static const struct registry_job_agent row = {
		5, 0, 0, 0, 1700000000050, "worker1", 77, 1, 1792, 0
	};
	struct registry_job_agent waiting = row;
	struct registry *r;
	struct registry_job j = job_row(0, "u", "all", 1700000000000);
	struct loaded *l = calloc(1, sizeof(*l));
	sqlite3 *db;

	assert_non_null(l);
	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_job_create(r, &j, agents, 1), 0);
	assert_int_equal(registry_job_save(r, j.id, &row, 1, NULL, 0, 0), 0);
	registry_close(r);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE job_agent DROP COLUMN wait; DROP TABLE job_wave;"
	    "ALTER TABLE job DROP COLUMN agents;"
	    "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_non_null(r = reg_open(f));
	assert_int_equal(load(r, l), 0);
	assert_int_equal(l->nagents, 1);
	assert_int_equal(l->agents[0].a.code, 1792);
	assert_int_equal(l->agents[0].a.sid, 77);
	assert_int_equal(l->agents[0].a.wait, 0);
	waiting.wait = 1;
	assert_int_equal(registry_job_save(r, j.id, &waiting, 1, NULL, 0, 0), 0);
	assert_int_equal(load(r, l), 0);
	assert_int_equal(l->agents[0].a.wait, 1);
	registry_close(r);
	free(l);
}

/*
 * Waves: a tick's sends in one row each, read back in the order they were
 * added with their node names; a save that says so drops them, a delete too;
 * a send that cannot be written back (a bad node name, session 0) is refused.
 */
static void
test_waves(void **state)
{
	struct fx *f = *state;
	static const uint32_t agents[] = { 1, 2, 3 };
	static const struct registry_job_wave w1[] = {
		{ 1, "worker1", 0x100000001ull, 0 }, { 2, "master-node", 5, 0 },
		{ 3, "worker1", (uint64_t)INT64_MAX, 0 },
	};
	static const struct registry_job_wave w2[] = { { 2, "worker_2.b", 6, 0 } };
	struct registry_job_wave bad = { 1, "wor ker", 1, 0 };
	struct registry *r;
	struct registry_job j = job_row(0, "u", "all", 1700000000000), k;
	struct loaded *l = calloc(1, sizeof(*l));
	size_t i;

	assert_non_null(l);
	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_job_create(r, &j, agents, 3), 0);
	assert_int_equal(registry_job_wave_add(r, j.id, 1700000000100, w1, 3), 0);
	assert_int_equal(registry_job_wave_add(r, j.id, 1700000000200, w2, 1), 0);
	assert_int_equal(registry_job_wave_add(r, j.id, 1700000000300, &bad, 1), -1);
	bad = (struct registry_job_wave){ 1, "", 1, 0 };
	assert_int_equal(registry_job_wave_add(r, j.id, 1700000000300, &bad, 1), -1);
	bad = (struct registry_job_wave){ 1, "worker1", 0, 0 };
	assert_int_equal(registry_job_wave_add(r, j.id, 1700000000300, &bad, 1), -1);
	assert_int_equal(registry_job_wave_add(r, j.id, 1700000000300, NULL, 0), 0);
	registry_close(r);

	assert_non_null(r = reg_open(f));
	assert_int_equal(load(r, l), 0);
	assert_int_equal(l->nwave, 4);
	for (i = 0; i < 4; i++) {
		const struct registry_job_wave *w = i < 3 ? &w1[i] : &w2[0];

		assert_int_equal(l->wave[i].job, j.id);
		assert_int_equal(l->wave[i].w.agent, w->agent);
		assert_string_equal(l->wave[i].w.node, w->node);
		assert_true(l->wave[i].w.sid == w->sid);
		assert_int_equal(l->wave[i].w.sent_ms, i < 3 ? 1700000000100 : 1700000000200);
	}
	/* a save that does not say so keeps them; one that does drops them, rows or not */
	assert_int_equal(registry_job_save(r, j.id, NULL, 0, NULL, 0, 0), 0);
	assert_int_equal(load(r, l), 0);
	assert_int_equal(l->nwave, 4);
	assert_int_equal(registry_job_save(r, j.id, NULL, 0, NULL, 0, 1), 0);
	assert_int_equal(load(r, l), 0);
	assert_int_equal(l->nwave, 0);
	/* a deleted job's waves go with it */
	k = job_row(0, "u", "all", 1700000001000);
	assert_int_equal(registry_job_create(r, &k, agents, 1), 0);
	assert_int_equal(registry_job_wave_add(r, k.id, 1700000001100, w1, 1), 0);
	assert_int_equal(registry_job_delete(r, k.id), 1);
	assert_int_equal(load(r, l), 0);
	assert_int_equal(l->nwave, 0);
	registry_close(r);
	free(l);
}

/* PostgreSQL: a wave's items are stored without a try at compressing them (on the way of
 * the commands: a 10,000-send wave took 50 ms with it, 4 ms without). */
static void
test_pg_wave_not_compressed(void **state)
{
	struct fx *f = *state;
	struct registry *r;

	assert_non_null(r = reg_open(f));
	registry_close(r);
	assert_int_equal(pgtest_int("SELECT (attstorage = 'e')::int FROM pg_attribute WHERE "
	    "attrelid = 'job_wave'::regclass AND attname = 'items'"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_agent_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_and_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_7, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waves, setup, teardown),
	};
	/* The same on PostgreSQL, but for SQLite's migration. */
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_agent_writes_nothing, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_delete_and_ids, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_waves, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_pg_wave_not_compressed, setup_pg, teardown),
	};
	int rc;

	rc = cmocka_run_group_tests_name("jobs on SQLite", tests, NULL, NULL);
	if (!pgtest_skipped("test_registry_jobs"))
		rc |= cmocka_run_group_tests_name("jobs on PostgreSQL", pg_tests, NULL, NULL);
	return rc;
}
