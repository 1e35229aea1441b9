/* test_registry.c — the agent table: ids, lookups, batched SQLite persistence, restarts. */
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/hash.h"
#include "lib/log.h"
#include "node/registry/registry.h"
#include "proto/secmsg.h"
#include "pgtest.h"


#define KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* md5hex(KEY) + md5hex(md5hex("web1") + md5hex("001"))[0:15], computed with Python. */
#define WEB1_ENC "fe3a1ff59f3b89b2ad3d33f08984874bf452037a1e0d8f8"
#define NOW 1700000000

struct fx {
	char dir[64];
	char db[128];
	char where[1024];      /* what registry_open is given: db, or the PostgreSQL URI */
	int pg;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-registry-XXXXXX");
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
	f->pg = 1;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	unlink(f->db);
	snprintf(p, sizeof(p), "%s-wal", f->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", f->db);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct registry *
reg_open(struct fx *f)
{
	return registry_open(f->where, "manager", "node01", "v4.12.0");
}

/* sql: runs SQL on the database file through a second connection. */
static void
sql(struct fx *f, const char *q)
{
	sqlite3 *db;
	char *err = NULL;

	if (f->pg) {
		assert_int_equal(pgtest_exec(q), 0);
		return;
	}
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", q, err);
	sqlite3_close(db);
}

static long long
sql_int(struct fx *f, const char *q)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v;

	if (f->pg)
		return pgtest_int(q);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static void
test_create_manager(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct agent *m;
	time_t t0 = time(NULL), added;

	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_count(r), 1);
	m = registry_agent_at(r, 0);
	assert_non_null(m);
	assert_ptr_equal(m, registry_agent_by_id(r, 0));
	assert_ptr_equal(m, registry_agent_by_name(r, "manager"));
	assert_int_equal(m->id, 0);
	assert_string_equal(m->name, "manager");
	assert_string_equal(m->ip, "127.0.0.1");
	assert_string_equal(m->register_ip, "127.0.0.1");
	assert_string_equal(m->node_name, "node01");
	assert_string_equal(m->st.info.version, "Wazuh v4.12.0");
	assert_int_equal(m->st.status, AGENT_ACTIVE);
	assert_true(m->date_add >= t0 && m->date_add <= time(NULL));
	added = m->date_add;
	assert_int_equal(registry_pending(r), 0);
	registry_close(r);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent WHERE id = 0"), 1);
	assert_int_equal(sql_int(f, "PRAGMA user_version"), 9);
	/* WAL is a property of the file: a fresh connection sees it. */
	assert_int_equal(sql_int(f, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);

	/* Refreshed, not recreated: new name, node and version, same date_add, still active. */
	sleep(1);
	assert_non_null(r = registry_open(f->db, "manager2", "node02", "Wazuh v4.13.1"));
	assert_int_equal(registry_count(r), 1);
	m = registry_agent_by_id(r, 0);
	assert_string_equal(m->name, "manager2");
	assert_string_equal(m->node_name, "node02");
	assert_string_equal(m->st.info.version, "Wazuh v4.13.1");
	assert_int_equal(m->st.status, AGENT_ACTIVE);
	assert_int_equal(m->st.status_code, AGENT_CODE_OK);
	assert_int_equal(m->date_add, added);
	assert_null(registry_agent_by_name(r, "manager"));
	assert_ptr_equal(registry_agent_by_name(r, "manager2"), m);
	registry_close(r);
	assert_int_equal(sql_int(f,
	    "SELECT count(*) FROM agent WHERE id = 0 AND name = 'manager2' AND node_name = 'node02'"
	    " AND version = 'Wazuh v4.13.1' AND status = 2"), 1);
}

static void
test_manager_name_taken(void **state)
{
	struct fx *f = *state;
	struct registry *r;

	assert_non_null(r = reg_open(f));
	assert_non_null(registry_agent_add(r, "web1", "any", "10.0.0.1", KEY, NULL, NOW));
	/* The manager's own name cannot be enrolled. */
	assert_null(registry_agent_add(r, "manager", "any", "10.0.0.1", KEY, NULL, NOW));
	registry_close(r);
	/* A manager renamed onto an agent's name: refused, not silently merged. */
	assert_null(registry_open(f->where, "web1", "node01", "v4.12.0"));
	assert_null(registry_open(f->where, "", "node01", "v4.12.0"));
	assert_null(registry_open(f->where, NULL, "node01", "v4.12.0"));
	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_count(r), 2);
	registry_close(r);
}

static void
test_add_and_ids(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct agent *a, *b, *c;

	assert_non_null(r = reg_open(f));
	assert_non_null(a = registry_agent_add(r, "web1", "any", "10.0.0.1", KEY, NULL, NOW));
	assert_non_null(b = registry_agent_add(r, "web2", "10.0.0.2", "10.0.0.2", KEY, "", NOW));
	assert_non_null(c = registry_agent_add(r, "db1", "10.1.0.0/16", "10.1.2.3", KEY,
	    "db,linux", NOW + 5));
	assert_int_equal(a->id, 1);
	assert_int_equal(b->id, 2);
	assert_int_equal(c->id, 3);
	assert_string_equal(a->group, "default");
	assert_string_equal(b->group, "default");
	assert_string_equal(c->group, "db,linux");
	assert_int_equal(a->st.status, AGENT_NEVER_CONNECTED);
	assert_int_equal(c->date_add, NOW + 5);
	assert_string_equal(a->register_ip, "10.0.0.1");
	assert_string_equal(a->enc_key, WEB1_ENC);
	assert_int_equal(registry_count(r), 4);
	assert_ptr_equal(registry_agent_at(r, 3), c);
	assert_null(registry_agent_at(r, 4));

	/* Nothing is on disk before the flush. */
	assert_int_equal(registry_pending(r), 3);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent"), 1);
	assert_int_equal(registry_flush(r), 3);
	assert_int_equal(registry_pending(r), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent"), 4);
	assert_int_equal(registry_flush(r), 0);

	/* Dirtying twice queues once. */
	a->st.status = AGENT_PENDING;
	registry_agent_dirty(r, a);
	registry_agent_dirty(r, a);
	registry_agent_dirty(r, NULL);
	assert_int_equal(registry_pending(r), 1);
	assert_int_equal(registry_flush(r), 1);
	assert_int_equal(sql_int(f, "SELECT status FROM agent WHERE id = 1"), AGENT_PENDING);

	/* The key survives a reopen and is derived again. */
	registry_close(r);
	assert_non_null(r = reg_open(f));
	assert_non_null(a = registry_agent_by_id(r, 1));
	assert_string_equal(a->key, KEY);
	assert_string_equal(a->enc_key, WEB1_ENC);
	registry_close(r);
}

static void
test_add_invalid(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	char longname[200], longkey[100];

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_non_null(r = reg_open(f));
	assert_null(registry_agent_add(r, NULL, "any", "1.2.3.4", KEY, NULL, NOW));
	assert_null(registry_agent_add(r, "", "any", "1.2.3.4", KEY, NULL, NOW));
	assert_null(registry_agent_add(r, "x", NULL, "1.2.3.4", KEY, NULL, NOW));
	assert_null(registry_agent_add(r, "x", "any", "1.2.3.4", NULL, NULL, NOW));
	assert_null(registry_agent_add(r, longname, "any", "1.2.3.4", KEY, NULL, NOW));
	assert_null(registry_agent_add(r, "x", "any", "1.2.3.4", longkey, NULL, NOW));
	longname[128] = '\0';    /* exactly the 128 characters a name may hold */
	assert_non_null(registry_agent_add(r, longname, "any", NULL, KEY, NULL, NOW));
	assert_null(registry_agent_add(r, longname, "any", NULL, KEY, NULL, NOW));
	/* Failed adds consume no id. */
	assert_non_null(registry_agent_add(r, "x", "any", "1.2.3.4", KEY, NULL, NOW));
	assert_int_equal(registry_agent_by_name(r, "x")->id, 2);
	assert_int_equal(registry_pending(r), 2);
	assert_int_equal(registry_flush(r), 2);
	registry_close(r);
	assert_non_null(r = reg_open(f));
	assert_non_null(registry_agent_by_name(r, longname));
	registry_close(r);
}

static void
test_lookups(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct agent *a, *b;
	char name[32];
	int i;

	assert_non_null(r = reg_open(f));
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "host-%d", i);
		assert_non_null(registry_agent_add(r, name, "any", "10.0.0.9", KEY, NULL, NOW));
	}
	assert_non_null(a = registry_agent_add(r, "fixed", "192.168.1.5", "192.168.1.5", KEY,
	    NULL, NOW));
	assert_non_null(b = registry_agent_add(r, "local", "127.0.0.1", "127.0.0.1", KEY,
	    NULL, NOW));
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "host-%d", i);
		assert_non_null(registry_agent_by_name(r, name));
		assert_int_equal(registry_agent_by_name(r, name)->id, (unsigned int)i + 1);
		assert_ptr_equal(registry_agent_by_id(r, (unsigned int)i + 1),
		    registry_agent_by_name(r, name));
	}
	assert_null(registry_agent_by_name(r, "host-200"));
	assert_null(registry_agent_by_name(r, "HOST-1"));
	assert_null(registry_agent_by_name(r, ""));
	assert_null(registry_agent_by_name(r, NULL));
	assert_null(registry_agent_by_id(r, 203));
	assert_null(registry_agent_by_id(r, 99999999));
	assert_ptr_equal(registry_agent_by_ip(r, "192.168.1.5"), a);
	assert_null(registry_agent_by_ip(r, "192.168.1.50"));
	assert_null(registry_agent_by_ip(r, "any"));
	assert_null(registry_agent_by_ip(r, ""));
	assert_null(registry_agent_by_ip(r, NULL));
	/* 127.0.0.1 is agent 000's ip too; the manager is never the answer. */
	assert_ptr_equal(registry_agent_by_ip(r, "127.0.0.1"), b);
	assert_int_equal(registry_agent_remove(r, b->id), 0);
	assert_null(registry_agent_by_ip(r, "127.0.0.1"));
	/* Sorted by id. */
	for (i = 1; i < (int)registry_count(r); i++)
		assert_true(registry_agent_at(r, (size_t)i - 1)->id <
		    registry_agent_at(r, (size_t)i)->id);
	registry_close(r);
}

static void
test_remove_and_never_reuse(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct agent *a, *b;

	assert_non_null(r = reg_open(f));
	assert_non_null(registry_agent_add(r, "a1", "any", "", KEY, NULL, NOW));
	assert_non_null(registry_agent_add(r, "a2", "any", "", KEY, NULL, NOW));
	assert_non_null(a = registry_agent_add(r, "a3", "any", "", KEY, NULL, NOW));
	assert_int_equal(registry_flush(r), 3);

	assert_int_equal(registry_agent_remove(r, 0), -1);
	assert_int_equal(registry_agent_remove(r, 77), -1);
	assert_int_equal(registry_agent_remove(r, 3), 0);
	assert_int_equal(registry_agent_remove(r, 3), -1);
	/* The struct stays readable until the flush. */
	assert_int_equal(a->removed, 1);
	assert_string_equal(a->name, "a3");
	registry_agent_dirty(r, a);     /* ignored: it is gone */
	assert_null(registry_agent_by_id(r, 3));
	assert_null(registry_agent_by_name(r, "a3"));
	assert_int_equal(registry_count(r), 3);
	assert_int_equal(registry_pending(r), 1);

	/* The highest id is gone, yet the next one is 4; the freed name is reusable. */
	assert_non_null(b = registry_agent_add(r, "a3", "any", "", KEY, NULL, NOW));
	assert_int_equal(b->id, 4);
	/* One batch: delete 3, insert 4 under the same (unique) name. */
	assert_int_equal(registry_flush(r), 2);
	assert_int_equal(sql_int(f, "SELECT id FROM agent WHERE name = 'a3'"), 4);
	assert_int_equal(registry_agent_remove(r, 4), 0);
	assert_int_equal(registry_flush(r), 1);
	registry_close(r);

	/* Across a restart too: id 4 was the last issued, the table's max is 2. */
	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_count(r), 3);
	assert_null(registry_agent_by_id(r, 3));
	assert_null(registry_agent_by_id(r, 4));
	assert_non_null(b = registry_agent_add(r, "a5", "any", "", KEY, NULL, NOW));
	assert_int_equal(b->id, 5);
	/* A removal not flushed explicitly is written by close. */
	assert_int_equal(registry_agent_remove(r, 1), 0);
	registry_close(r);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent WHERE id = 1"), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent WHERE id = 5"), 1);
	assert_non_null(r = reg_open(f));
	assert_null(registry_agent_by_id(r, 1));
	assert_int_equal(registry_agent_add(r, "a6", "any", "", KEY, NULL, NOW)->id, 6);
	assert_int_equal(registry_flush(r), 1);

	/* Changed then removed in one batch: the removal wins, no ghost row. */
	assert_non_null(a = registry_agent_by_id(r, 2));
	a->st.status = AGENT_ACTIVE;
	registry_agent_dirty(r, a);
	assert_int_equal(registry_agent_remove(r, 2), 0);
	/* Added and removed before any flush: never written, id still consumed. */
	assert_non_null(b = registry_agent_add(r, "brief", "any", "", KEY, NULL, NOW));
	assert_int_equal(b->id, 7);
	assert_int_equal(registry_agent_remove(r, 7), 0);
	assert_int_equal(registry_flush(r), 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent WHERE id IN (2, 7)"), 0);
	registry_close(r);
	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_count(r), 3);  /* 000, 5, 6 */
	assert_int_equal(registry_agent_add(r, "a8", "any", "", KEY, NULL, NOW)->id, 8);
	registry_close(r);
}

/* fill: distinct values in every persisted field, some at full length. */
static void
fill(struct agent *a, int status, int code)
{
	struct agent_info *i = &a->st.info;

	snprintf(a->node_name, sizeof(a->node_name), "node-%u", a->id);
	snprintf(a->st.manager, sizeof(a->st.manager), "manager.example.com");
	memset(a->group, 'g', sizeof(a->group) - 1);
	a->st.status = status;
	a->st.status_code = code;
	a->group_config_synced = 1;
	a->st.last_keepalive = NOW + 100;
	a->st.disconnection_time = status == AGENT_DISCONNECTED ? NOW + 200 : 0;
	snprintf(i->version, sizeof(i->version), "Wazuh v4.12.0");
	memset(i->os_uname, 'u', sizeof(i->os_uname) - 1);
	snprintf(i->os_name, sizeof(i->os_name), "Ubuntu");
	snprintf(i->os_version, sizeof(i->os_version), "22.04.3 LTS");
	snprintf(i->os_major, sizeof(i->os_major), "22");
	snprintf(i->os_minor, sizeof(i->os_minor), "04");
	snprintf(i->os_build, sizeof(i->os_build), "b-%u", a->id);
	snprintf(i->os_codename, sizeof(i->os_codename), "Jammy Jellyfish");
	snprintf(i->os_platform, sizeof(i->os_platform), "ubuntu");
	snprintf(i->os_arch, sizeof(i->os_arch), "x86_64");
	snprintf(i->config_sum, sizeof(i->config_sum), "ab1c9ccbd4b9b4c2b5d3b1f1e0a1d2c3");
	snprintf(i->merged_sum, sizeof(i->merged_sum), "0123456789abcdef0123456789abcdef");
	snprintf(i->agent_ip, sizeof(i->agent_ip), "10.9.8.%u", a->id);
	/* Labels carry quotes, newlines and non-ASCII bytes. */
	snprintf(i->labels, sizeof(i->labels), "\"aws.id\":i-%u\n!\"hidden\":y\n\"x\":\xc3\xa9'\n",
	    a->id);
}

/* same: every field but the runtime ones. */
static void
assert_same(const struct agent *x, const struct agent *y)
{
	struct agent *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	assert_non_null(a);
	assert_non_null(b);
	memcpy(a, x, sizeof(*a));
	memcpy(b, y, sizeof(*b));
	a->session = b->session = NULL;
	a->dirty = b->dirty = 0;
	a->removed = b->removed = 0;
	assert_int_equal(a->id, b->id);
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->group, b->group);
	assert_string_equal(a->st.info.os_uname, b->st.info.os_uname);
	assert_string_equal(a->st.info.labels, b->st.info.labels);
	assert_int_equal(a->st.status, b->st.status);
	assert_int_equal(a->st.status_code, b->st.status_code);
	assert_int_equal(a->date_add, b->date_add);
	assert_int_equal(a->st.last_keepalive, b->st.last_keepalive);
	assert_int_equal(a->st.disconnection_time, b->st.disconnection_time);
	/* Both were calloc'd and filled field by field: padding and tails are zero. */
	assert_memory_equal(&a->st.info, &b->st.info, sizeof(a->st.info));
	assert_memory_equal(a, b, sizeof(*a));
	free(a);
	free(b);
}

static void
test_roundtrip_every_field(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct agent *a, *b, *copy_a, *copy_b;
	char name[129];

	memset(name, 'N', 128);
	name[128] = '\0';
	assert_non_null(r = reg_open(f));
	assert_non_null(a = registry_agent_add(r, name, "10.0.0.1", "10.0.0.1", KEY,
	    "default,web", NOW));
	assert_non_null(b = registry_agent_add(r, "b", "any", "10.0.0.2", KEY, NULL, NOW));
	fill(a, AGENT_DISCONNECTED, AGENT_CODE_SHUTDOWN);
	fill(b, AGENT_NEVER_CONNECTED, AGENT_CODE_INVALID_VERSION);
	registry_agent_dirty(r, a);
	registry_agent_dirty(r, b);
	copy_a = calloc(1, sizeof(*copy_a));
	copy_b = calloc(1, sizeof(*copy_b));
	memcpy(copy_a, a, sizeof(*a));
	memcpy(copy_b, b, sizeof(*b));
	assert_int_equal(registry_flush(r), 2);
	registry_close(r);

	assert_non_null(r = reg_open(f));
	assert_non_null(a = registry_agent_by_id(r, 1));
	assert_non_null(b = registry_agent_by_id(r, 2));
	assert_same(a, copy_a);
	assert_same(b, copy_b);
	assert_int_equal(strlen(a->st.info.os_uname), sizeof(a->st.info.os_uname) - 1);
	assert_int_equal(strlen(a->group), sizeof(a->group) - 1);
	/* Nothing changed on load, so nothing is queued. */
	assert_int_equal(registry_pending(r), 0);
	registry_close(r);
	free(copy_a);
	free(copy_b);
}

static void
test_restart_disconnects(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct agent *p, *a, *n, *d;
	time_t t0, disc;

	assert_non_null(r = reg_open(f));
	assert_non_null(p = registry_agent_add(r, "pending", "any", "", KEY, NULL, NOW));
	assert_non_null(a = registry_agent_add(r, "active", "any", "", KEY, NULL, NOW));
	assert_non_null(n = registry_agent_add(r, "never", "any", "", KEY, NULL, NOW));
	assert_non_null(d = registry_agent_add(r, "down", "any", "", KEY, NULL, NOW));
	p->st.status = AGENT_PENDING;
	a->st.status = AGENT_ACTIVE;
	a->st.last_keepalive = NOW + 10;
	d->st.status = AGENT_DISCONNECTED;
	d->st.status_code = AGENT_CODE_SHUTDOWN;
	d->st.disconnection_time = NOW + 20;
	registry_close(r);      /* flushes */

	t0 = time(NULL);
	assert_non_null(r = reg_open(f));
	assert_non_null(p = registry_agent_by_name(r, "pending"));
	assert_non_null(a = registry_agent_by_name(r, "active"));
	assert_non_null(n = registry_agent_by_name(r, "never"));
	assert_non_null(d = registry_agent_by_name(r, "down"));
	assert_int_equal(p->st.status, AGENT_DISCONNECTED);
	assert_int_equal(p->st.status_code, AGENT_CODE_CONNECTION_LOST);
	assert_true(p->st.disconnection_time >= t0 && p->st.disconnection_time <= time(NULL));
	assert_int_equal(a->st.status, AGENT_DISCONNECTED);
	assert_int_equal(a->st.status_code, AGENT_CODE_CONNECTION_LOST);
	assert_int_equal(a->st.last_keepalive, NOW + 10);
	disc = a->st.disconnection_time;
	assert_true(disc >= t0);
	assert_int_equal(n->st.status, AGENT_NEVER_CONNECTED);
	assert_int_equal(n->st.disconnection_time, 0);
	assert_int_equal(d->st.status, AGENT_DISCONNECTED);
	assert_int_equal(d->st.status_code, AGENT_CODE_SHUTDOWN);
	assert_int_equal(d->st.disconnection_time, NOW + 20);
	assert_int_equal(registry_agent_by_id(r, 0)->st.status, AGENT_ACTIVE);
	/* The new status is already on disk. */
	assert_int_equal(registry_pending(r), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent WHERE status IN (1, 2)"), 1);
	registry_close(r);

	/* A second restart keeps the first disconnection time. */
	sleep(1);
	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_agent_by_name(r, "active")->st.disconnection_time, disc);
	registry_close(r);
}

/*
 * A keepalive that changes only the time is written to the narrow
 * agent_seen table by registry_flush_touches, not by the next flush; a
 * reopened registry takes the later time; a removed agent's queued touch is
 * skipped, and its agent_seen row goes with it.
 */
static void
test_touch_keepalive(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct agent *a, *b;

	assert_non_null(r = reg_open(f));
	assert_non_null(a = registry_agent_add(r, "seen", "any", "", KEY, "default", NOW));
	assert_non_null(b = registry_agent_add(r, "gone", "any", "", KEY, "default", NOW));
	assert_int_equal(registry_flush(r), 2);
	a->st.last_keepalive = NOW + 100;
	registry_agent_touch(r, a);
	registry_agent_touch(r, a);            /* queued once */
	b->st.last_keepalive = NOW + 5;
	registry_agent_touch(r, b);
	assert_int_equal(registry_touches_pending(r), 2);
	assert_int_equal(registry_pending(r), 0);   /* not a whole-row write */
	assert_int_equal(registry_agent_remove(r, b->id), 0);
	assert_int_equal(registry_flush(r), 1);
	assert_int_equal(registry_flush_touches(r, 10), 1);
	assert_int_equal(registry_touches_pending(r), 0);
	assert_int_equal(sql_int(f, "SELECT last_keepalive FROM agent_seen WHERE id = 1"), NOW + 100);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent_seen WHERE id = 2"), 0);
	/* a whole row written later carries the time itself */
	a->st.last_keepalive = NOW + 200;
	registry_agent_touch(r, a);
	registry_agent_dirty(r, a);
	assert_int_equal(registry_flush(r), 1);
	assert_int_equal(registry_flush_touches(r, 10), 0);
	/* a touch left queued at close is written then */
	a->st.last_keepalive = NOW + 300;
	registry_agent_touch(r, a);
	registry_close(r);
	assert_non_null(r = reg_open(f));
	assert_non_null(a = registry_agent_by_name(r, "seen"));
	assert_int_equal(a->st.last_keepalive, NOW + 300);
	registry_close(r);
}

static void
test_users_and_meta(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct registry_user u, *v;
	char buf[128], tiny[4];
	long long id1 = 0, id2 = 0, id3 = 0, revoked;
	size_t n;

	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_user_count(r), 0);
	assert_int_equal(registry_user_find(r, "wazuh", &u), 0);
	/* Reserved users take 1..99, the others 100 on. */
	assert_int_equal(registry_user_add(r, "wazuh", "$pbkdf2$1", 1, &id1), 0);
	assert_int_equal(id1, 1);
	assert_int_equal(registry_user_add(r, "alice", "$pbkdf2$2", 0, &id2), 0);
	assert_int_equal(id2, 100);
	assert_int_equal(registry_user_add(r, "wazuh", "$pbkdf2$x", 0, &id3), 1);
	assert_int_equal(registry_user_add(r, "", "x", 0, &id3), -1);
	assert_int_equal(registry_user_add(r, NULL, "x", 0, &id3), -1);
	assert_int_equal(registry_user_add(r, "bob", "$pbkdf2$3", 1, &id3), 0);
	assert_int_equal(id3, 2);
	assert_int_equal(registry_user_count(r), 3);
	assert_int_equal(registry_user_set_hash(r, id1, "$pbkdf2$4"), 0);
	assert_int_equal(registry_user_find(r, "wazuh", &u), 1);
	assert_string_equal(u.hash, "$pbkdf2$4");
	assert_int_equal(u.nroles, 0);
	assert_int_equal(registry_user_find(r, "WAZUH", &u), 0);

	/* Roles keep the order they were linked in; a second link changes nothing. */
	assert_int_equal(registry_user_role_add(r, id2, 5), 1);
	assert_int_equal(registry_user_role_add(r, id2, 2), 1);
	assert_int_equal(registry_user_role_add(r, id2, 5), 0);
	assert_int_equal(registry_user_find_id(r, id2, &u), 1);
	assert_string_equal(u.name, "alice");
	assert_int_equal(u.nroles, 2);
	assert_int_equal(u.roles[0], 5);
	assert_int_equal(u.roles[1], 2);
	assert_int_equal(registry_user_role_del(r, id2, 5), 1);
	assert_int_equal(registry_user_role_del(r, id2, 5), 0);
	/* A new user's tokens start at its creation; revocation never goes back. */
	assert_true(u.revoked_ms >= (long long)(time(NULL) - 5) * 1000);
	assert_int_equal(registry_user_revoke(r, id2, u.revoked_ms + 1234), 0);
	assert_int_equal(registry_user_revoke(r, id2, 1000), 0);
	revoked = u.revoked_ms + 1234;
	assert_int_equal(registry_user_find_id(r, id2, &u), 1);
	assert_int_equal(u.revoked_ms, revoked);
	assert_int_equal(u.nroles, 1);

	assert_int_equal(registry_user_list(r, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].id, 1);
	assert_int_equal(v[1].id, 2);
	assert_int_equal(v[2].id, 100);
	assert_int_equal(v[2].roles[0], 2);
	free(v);

	assert_int_equal(registry_user_delete(r, id3), 1);
	assert_int_equal(registry_user_delete(r, id3), 0);
	/* The freed reserved id is reused; ordinary ids are not below 100. */
	assert_int_equal(registry_user_add(r, "carol", "$pbkdf2$5", 1, &id3), 0);
	assert_int_equal(id3, 2);

	assert_int_equal(registry_meta_get(r, "cluster.key", buf, sizeof(buf)), -1);
	assert_int_equal(registry_meta_set(r, "cluster.key", "abc"), 0);
	assert_int_equal(registry_meta_set(r, "cluster.key", "def'; DROP TABLE meta; --"), 0);
	assert_int_equal(registry_meta_set(r, NULL, "x"), -1);
	assert_int_equal(registry_meta_get(r, "cluster.key", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "def'; DROP TABLE meta; --");
	assert_int_equal(registry_meta_get(r, "cluster.key", tiny, sizeof(tiny)), -1);
	/* Written at once: visible to another connection without a flush. */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM user"), 3);
	registry_close(r);

	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_user_count(r), 3);
	assert_int_equal(registry_user_find(r, "alice", &u), 1);
	assert_string_equal(u.hash, "$pbkdf2$2");
	assert_int_equal(u.roles[0], 2);
	assert_int_equal(registry_meta_get(r, "cluster.key", buf, sizeof(buf)), 0);
	registry_close(r);
}

/* A schema-1 registry keeps its users, by rowid, each an administrator. */
static void
test_users_migration(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct registry_user u;

	assert_non_null(r = reg_open(f));
	registry_close(r);
	sql(f, "DROP TABLE user; DROP TABLE user_role; DROP TABLE grp; DROP TABLE agent_seen;"
	    "CREATE TABLE user (name TEXT PRIMARY KEY, hash TEXT NOT NULL);"
	    "INSERT INTO user (name, hash) VALUES ('wazuh', 'h1'), ('second', 'h2');"
	    "DROP TABLE role; DROP TABLE policy; DROP TABLE rule; DROP TABLE role_policy;"
	    "DROP TABLE role_rule; DROP TABLE job; DROP TABLE job_agent; DROP TABLE job_sent; DROP TABLE job_wave; PRAGMA user_version = 1;");
	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_user_find(r, "second", &u), 1);
	assert_int_equal(u.id, 2);
	assert_string_equal(u.hash, "h2");
	assert_int_equal(u.nroles, 1);
	assert_int_equal(u.roles[0], 1);
	assert_int_equal(registry_user_find(r, "wazuh", &u), 1);
	assert_int_equal(u.id, 1);
	registry_close(r);
}

/* A failing write rolls the whole batch back and keeps the queue for the next try. */
static void
test_flush_failure_keeps_queue(void **state)
{
	struct fx *f = *state;
	struct registry *r;

	assert_non_null(r = reg_open(f));
	assert_non_null(registry_agent_add(r, "ok1", "any", "", KEY, NULL, NOW));
	assert_non_null(registry_agent_add(r, "poison", "any", "", KEY, NULL, NOW));
	assert_non_null(registry_agent_add(r, "ok2", "any", "", KEY, NULL, NOW));
	sql(f, "CREATE TRIGGER poison BEFORE INSERT ON agent WHEN new.name = 'poison' "
	    "BEGIN SELECT RAISE(ABORT, 'injected'); END;");
	assert_int_equal(registry_flush(r), -1);
	assert_int_equal(registry_pending(r), 3);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent"), 1);
	assert_int_equal(registry_flush(r), -1);
	sql(f, "DROP TRIGGER poison");
	assert_int_equal(registry_flush(r), 3);
	assert_int_equal(registry_pending(r), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent"), 4);
	assert_int_equal(sql_int(f,
	    "SELECT value FROM meta WHERE key = 'registry.max_agent_id'"), 3);
	registry_close(r);
}

/*
 * A partial flush frees the removed agents; an agent removed while its row is
 * still queued past the part written must not stay in the queue (a worker
 * joining a master that deleted high ids crashed here: heap-use-after-free).
 */
static void
test_partial_flush_with_removed_queued(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	char name[16];
	int i;

	assert_non_null(r = reg_open(f));
	for (i = 1; i <= 10; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		assert_non_null(registry_agent_add(r, name, "any", "", KEY, NULL, NOW));
	}
	/* ids 9 and 10 are queued after the first three rows */
	assert_int_equal(registry_agent_remove(r, 9), 0);
	assert_int_equal(registry_agent_remove(r, 10), 0);
	assert_int_equal(registry_flush_some(r, 3), 5);   /* 2 deletes + 3 upserts */
	assert_int_equal(registry_flush_some(r, 3), 3);
	assert_int_equal(registry_flush(r), 2);
	assert_int_equal(registry_pending(r), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent WHERE id IN (9, 10)"), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent WHERE id BETWEEN 1 AND 8"), 8);
	registry_close(r);
}

static void
test_many_agents(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct timespec t0, t1, t2, t3;
	char name[32];
	int i, n = 50000;

	assert_non_null(r = reg_open(f));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "agent-%05d", i);
		if (registry_agent_add(r, name, "any", "10.0.0.1", KEY, NULL, NOW) == NULL)
			fail_msg("add %d", i);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(registry_pending(r), (size_t)n);
	assert_int_equal(registry_flush(r), n);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	registry_close(r);
	assert_non_null(r = reg_open(f));
	clock_gettime(CLOCK_MONOTONIC, &t3);
	print_message("50000 agents: add %.3f s, flush %.3f s, reopen %.3f s\n",
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9,
	    (double)(t3.tv_sec - t2.tv_sec) + (double)(t3.tv_nsec - t2.tv_nsec) / 1e9);
	assert_int_equal(registry_count(r), (size_t)n + 1);
	assert_int_equal(registry_agent_by_name(r, "agent-49999")->id, 50000);
	assert_int_equal(registry_agent_by_id(r, 25000)->id, 25000);
	assert_string_equal(registry_agent_by_id(r, 25000)->name, "agent-24999");
	/* Many removals leave tombstones; lookups and adds keep working. */
	for (i = 1; i <= n; i += 2)
		assert_int_equal(registry_agent_remove(r, (unsigned int)i), 0);
	/* every id is found, or not, with every other one gone (no id sits at its index) */
	for (i = 0; i <= n + 1; i++) {
		struct agent *a = registry_agent_by_id(r, (unsigned int)i);

		if (i % 2 == 1 || i > n) {
			if (a != NULL)
				fail_msg("id %d found after its removal", i);
		} else if (a == NULL || a->id != (unsigned int)i)
			fail_msg("id %d not found", i);
	}
	assert_null(registry_agent_by_name(r, "agent-00000"));
	assert_non_null(registry_agent_by_name(r, "agent-00001"));
	assert_int_equal(registry_agent_add(r, "agent-00000", "any", "", KEY, NULL, NOW)->id,
	    50001);
	assert_int_equal(registry_flush(r), n / 2 + 1);
	registry_close(r);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent"), n / 2 + 2);
}

/* Ids are at most 8 digits (the wire's limit); past 99999999 adds fail instead of wrapping. */
static void
test_id_exhaustion(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct agent *a;

	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_meta_set(r, "registry.max_agent_id", "99999998"), 0);
	registry_close(r);
	assert_non_null(r = reg_open(f));
	assert_non_null(a = registry_agent_add(r, "last", "any", "", KEY, NULL, NOW));
	assert_int_equal(a->id, 99999999);
	assert_null(registry_agent_add(r, "one-too-many", "any", "", KEY, NULL, NOW));
	assert_int_equal(registry_agent_remove(r, 99999999), 0);
	assert_null(registry_agent_add(r, "one-too-many", "any", "", KEY, NULL, NOW));
	registry_close(r);
	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_count(r), 1);
	assert_null(registry_agent_add(r, "one-too-many", "any", "", KEY, NULL, NOW));
	registry_close(r);
	sql(f, "UPDATE meta SET value = '100000000' WHERE key = 'registry.max_agent_id'");
	assert_null(reg_open(f));
	sql(f, "UPDATE meta SET value = '' WHERE key = 'registry.max_agent_id'");
	assert_null(reg_open(f));
}

static void
test_migrate_empty_file(void **state)
{
	struct fx *f = *state;
	struct registry *r;

	write_file(f->db, "", 0);
	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_count(r), 1);
	registry_close(r);
	assert_int_equal(sql_int(f, "PRAGMA user_version"), 9);
	assert_int_equal(sql_int(f,
	    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
	    "('agent_name', 'agent_node_name', 'agent_status', 'agent_ip')"), 1);
	assert_int_equal(sql_int(f,
	    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
	    "('agent', 'user', 'meta')"), 3);
	/* Migrating again is a no-op. */
	assert_non_null(r = reg_open(f));
	registry_close(r);
}

static int
group_seen(void *arg, const char *name, const char *conf, size_t len)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s:%zu:%.14s;", name, len, conf);
	return 0;
}

/* Schema 2 (before groups) migrates to 3 in place: agents kept, "default" created. */
static void
test_migrate_groups(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	char seen[256] = "";

	assert_non_null(r = reg_open(f));
	assert_non_null(registry_agent_add(r, "web1", "any", "", KEY, "web", NOW));
	assert_int_equal(registry_flush(r), 1);
	registry_close(r);
	sql(f, "DROP TABLE grp; DROP TABLE agent_seen");
	sql(f, "DROP TABLE role; DROP TABLE policy; DROP TABLE rule; DROP TABLE role_policy;"
	    "DROP TABLE role_rule; DROP TABLE job; DROP TABLE job_agent; DROP TABLE job_sent; DROP TABLE job_wave; PRAGMA user_version = 2");
	assert_non_null(r = reg_open(f));
	assert_string_equal(registry_agent_by_name(r, "web1")->group, "web");
	assert_int_equal(registry_groups_load(r, group_seen, seen), 0);
	assert_string_equal(seen, "default:76:<agent_config>;");
	/* Saved groups come back in name order; a deleted one does not. */
	assert_int_equal(registry_group_save(r, "web", "<agent_config/>", 15), 0);
	assert_int_equal(registry_group_save(r, "db", "<agent_config/>", 15), 0);
	assert_int_equal(registry_group_save(r, "web", "<agent_config></agent_config>", 29), 0);
	assert_int_equal(registry_group_delete(r, "db"), 0);
	registry_close(r);
	assert_int_equal(sql_int(f, "PRAGMA user_version"), 9);
	assert_non_null(r = reg_open(f));
	seen[0] = '\0';
	assert_int_equal(registry_groups_load(r, group_seen, seen), 0);
	assert_string_equal(seen, "default:76:<agent_config>;web:29:<agent_config>;");
	registry_close(r);
}

static void
test_refuse_other_databases(void **state)
{
	struct fx *f = *state;

	/* A schema newer than ours. */
	sql(f, "PRAGMA user_version = 99");
	assert_null(reg_open(f));
	assert_int_equal(sql_int(f, "PRAGMA user_version"), 99);
	teardown(state);
	setup(state);
	f = *state;
	/* Another program's database. */
	sql(f, "PRAGMA application_id = 1234; CREATE TABLE t (x)");
	assert_null(reg_open(f));
	teardown(state);
	setup(state);
	f = *state;
	/* Same name, wrong shape: the migration fails and rolls back. */
	sql(f, "CREATE TABLE agent (x)");
	assert_null(reg_open(f));
	assert_int_equal(sql_int(f, "SELECT count(*) FROM sqlite_master WHERE name = 'user'"), 0);
}

static void
test_corrupt_file(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	char junk[8192];
	size_t i;
	FILE *fp;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	write_file(f->db, junk, sizeof(junk));
	assert_null(reg_open(f));

	/* A real header with garbage after it. */
	memcpy(junk, "SQLite format 3", 16);
	write_file(f->db, junk, sizeof(junk));
	assert_null(reg_open(f));

	/* A good database whose pages are then overwritten. */
	unlink(f->db);
	assert_non_null(r = reg_open(f));
	for (i = 0; i < 300; i++) {
		char name[16];

		snprintf(name, sizeof(name), "c%zu", i);
		assert_non_null(registry_agent_add(r, name, "any", "", KEY, NULL, NOW));
	}
	registry_close(r);
	sql(f, "PRAGMA wal_checkpoint(TRUNCATE)");
	assert_non_null(fp = fopen(f->db, "r+b"));
	fseek(fp, 4096 + 8, SEEK_SET);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(0xA5 ^ i);
	fwrite(junk, 1, sizeof(junk), fp);
	fclose(fp);
	/* Either refused or (if the pages hit were unused) opened: never a crash. */
	r = reg_open(f);
	registry_close(r);

	/* A directory is not a database. */
	assert_null(registry_open(f->dir, "manager", "node01", "v4.12.0"));
	assert_null(registry_open("/nonexistent-dir/x.db", "manager", "node01", "v4.12.0"));
	registry_close(NULL);
}

/* Rows edited by hand: odd values are tolerated, unusable ones refuse the open. */
static void
test_bad_rows(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct agent *a;

	assert_non_null(r = reg_open(f));
	assert_non_null(registry_agent_add(r, "odd", "any", "", KEY, NULL, NOW));
	registry_close(r);
	sql(f, "UPDATE agent SET status = 'x', status_code = 99, group_config_synced = 7, "
	    "date_add = -5, os_name = printf('%.300c', 'o'), version = 'v' || char(0) || 'x' "
	    "WHERE name = 'odd'");
	assert_non_null(r = reg_open(f));
	assert_non_null(a = registry_agent_by_name(r, "odd"));
	assert_int_equal(a->st.status, AGENT_NEVER_CONNECTED);
	assert_int_equal(a->st.status_code, AGENT_CODE_OK);
	assert_int_equal(a->group_config_synced, 0);
	assert_int_equal(a->date_add, 0);
	assert_int_equal(strlen(a->st.info.os_name), sizeof(a->st.info.os_name) - 1);
	assert_string_equal(a->st.info.version, "v");
	registry_close(r);

	sql(f, "UPDATE agent SET status = 9 WHERE name = 'odd'");
	assert_non_null(r = reg_open(f));
	registry_close(r);
	/* The normalized values were written back. */
	assert_int_equal(sql_int(f, "SELECT status * 100 + status_code * 10 + "
	    "group_config_synced FROM agent WHERE name = 'odd'"), 0);

	sql(f, "UPDATE agent SET key = printf('%.100c', 'k') WHERE name = 'odd'");
	assert_null(reg_open(f));
	sql(f, "UPDATE agent SET key = 'k', name = '' WHERE name = 'odd'");
	assert_null(reg_open(f));
	sql(f, "UPDATE agent SET name = printf('%.129c', 'n') WHERE name = ''");
	assert_null(reg_open(f));
	sql(f, "UPDATE agent SET name = 'odd', id = 123456789 WHERE id = 1");
	assert_null(reg_open(f));
	sql(f, "UPDATE agent SET id = 1 WHERE id = 123456789");
	sql(f, "UPDATE meta SET value = 'nope' WHERE key = 'registry.max_agent_id'");
	assert_null(reg_open(f));
	sql(f, "UPDATE meta SET value = '7' WHERE key = 'registry.max_agent_id'");
	assert_non_null(r = reg_open(f));
	/* meta's highest id wins over the table's. */
	assert_int_equal(registry_agent_add(r, "next", "any", "", KEY, NULL, NOW)->id, 8);
	registry_close(r);
}

/* What registry_sec_load gave: counts of the seeded items, our items and links in order. */
struct sec_seen {
	int seeded[3];
	char out[1024];
};

static int
sec_item(void *arg, enum registry_sec_kind k, long long id, const char *name, const char *body,
    long long revoked_ms)
{
	struct sec_seen *s = arg;
	size_t n = strlen(s->out);

	if (id < 100)
		s->seeded[k]++;
	else
		snprintf(s->out + n, sizeof(s->out) - n, "%d:%lld:%s:%s:%lld;", (int)k, id, name,
		    body != NULL ? body : "-", revoked_ms);
	return 0;
}

static int
sec_link(void *arg, enum registry_sec_kind k, long long role, long long other)
{
	struct sec_seen *s = arg;
	size_t n = strlen(s->out);

	if (role >= 100)
		snprintf(s->out + n, sizeof(s->out) - n, "L%d:%lld:%lld;", (int)k, role, other);
	return 0;
}

static const char *
sec_load(struct registry *r, struct sec_seen *s)
{
	const struct registry_sec_cb cb = { sec_item, sec_link, s };

	memset(s, 0, sizeof(*s));
	assert_int_equal(registry_sec_load(r, &cb), 0);
	return s->out;
}

/* The API's roles, policies and rules: ids, names and bodies unique, links in order. */
static void
test_security_store(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct sec_seen s;
	long long id = 0;

	assert_non_null(r = reg_open(f));
	sec_load(r, &s);
	/* Wazuh's defaults are seeded: 7 roles, 35 policies, 2 rules */
	assert_int_equal(s.seeded[REGISTRY_SEC_ROLE], 7);
	assert_int_equal(s.seeded[REGISTRY_SEC_POLICY], 35);
	assert_int_equal(s.seeded[REGISTRY_SEC_RULE], 2);
	assert_string_equal(s.out, "");
	assert_int_equal(registry_sec_add(r, REGISTRY_SEC_ROLE, "r1", NULL, &id), 0);
	assert_int_equal(id, 100);
	assert_int_equal(registry_sec_add(r, REGISTRY_SEC_ROLE, "r1", NULL, &id), 1);
	assert_int_equal(registry_sec_add(r, REGISTRY_SEC_POLICY, "p1", "{a}", &id), 0);
	assert_int_equal(id, 100);
	assert_int_equal(registry_sec_add(r, REGISTRY_SEC_POLICY, "p2", "{b}", &id), 0);
	assert_int_equal(id, 101);
	assert_int_equal(registry_sec_add(r, REGISTRY_SEC_POLICY, "p3", "{b}", &id), 1);
	assert_int_equal(registry_sec_add(r, REGISTRY_SEC_RULE, "u1", "{r}", &id), 0);
	assert_int_equal(id, 100);
	assert_int_equal(registry_sec_update(r, REGISTRY_SEC_POLICY, 100, NULL, "{c}"), 1);
	assert_int_equal(registry_sec_update(r, REGISTRY_SEC_POLICY, 999, "x", NULL), 0);
	assert_int_equal(registry_sec_update(r, REGISTRY_SEC_POLICY, 101, "p1", NULL), 2);
	assert_int_equal(registry_sec_update(r, REGISTRY_SEC_ROLE, 100, "r2", NULL), 1);
	assert_int_equal(registry_sec_link(r, REGISTRY_SEC_POLICY, 100, 100, -1), 1);
	assert_int_equal(registry_sec_link(r, REGISTRY_SEC_POLICY, 100, 101, 0), 1);
	assert_int_equal(registry_sec_link(r, REGISTRY_SEC_POLICY, 100, 100, -1), 0);
	assert_int_equal(registry_sec_link(r, REGISTRY_SEC_RULE, 100, 100, -1), 1);
	assert_int_equal(registry_sec_link(r, REGISTRY_SEC_RULE, 100, 100, -1), 0);
	assert_int_equal(registry_sec_revoke_role(r, 100, 5000), 0);
	assert_int_equal(registry_sec_revoke_role(r, 100, 4000), 0);   /* never goes back */
	assert_string_equal(sec_load(r, &s), "0:100:r2:-:5000;1:100:p1:{c}:0;1:101:p2:{b}:0;"
	    "2:100:u1:{r}:0;L1:100:101;L1:100:100;L2:100:100;");
	assert_int_equal(registry_sec_unlink(r, REGISTRY_SEC_POLICY, 100, 101), 1);
	assert_int_equal(registry_sec_unlink(r, REGISTRY_SEC_POLICY, 100, 101), 0);
	assert_int_equal(registry_sec_link(r, REGISTRY_SEC_POLICY, 100, 101, 5), 1);
	assert_int_equal(registry_user_set_run_as(r, 999, 1), 0);
	registry_close(r);
	assert_non_null(r = reg_open(f));
	assert_string_equal(sec_load(r, &s), "0:100:r2:-:5000;1:100:p1:{c}:0;1:101:p2:{b}:0;"
	    "2:100:u1:{r}:0;L1:100:100;L1:100:101;L2:100:100;");
	assert_int_equal(registry_sec_delete(r, REGISTRY_SEC_POLICY, 100), 1);
	assert_int_equal(registry_sec_delete(r, REGISTRY_SEC_POLICY, 100), 0);
	assert_int_equal(registry_sec_delete(r, REGISTRY_SEC_ROLE, 100), 1);
	assert_string_equal(sec_load(r, &s), "1:101:p2:{b}:0;2:100:u1:{r}:0;");
	/* a new item takes the next id, never one in use */
	assert_int_equal(registry_sec_add(r, REGISTRY_SEC_POLICY, "p4", "{d}", &id), 0);
	assert_int_equal(id, 102);
	registry_close(r);
}

/* Groups: saved in name order, replaced, deleted, "default" seeded. */
static void
test_groups_store(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	char seen[256] = "";

	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_groups_load(r, group_seen, seen), 0);
	assert_string_equal(seen, "default:76:<agent_config>;");
	assert_int_equal(registry_group_save(r, "web", "<agent_config/>", 15), 0);
	assert_int_equal(registry_group_save(r, "db", "<agent_config/>xx", 15), 0);
	assert_int_equal(registry_group_save(r, "web", "<agent_config></agent_config>", 29), 0);
	registry_close(r);
	assert_non_null(r = reg_open(f));
	seen[0] = '\0';
	assert_int_equal(registry_groups_load(r, group_seen, seen), 0);
	assert_string_equal(seen, "db:15:<agent_config/;default:76:<agent_config>;"
	    "web:29:<agent_config>;");
	assert_int_equal(registry_group_delete(r, "db"), 0);
	seen[0] = '\0';
	assert_int_equal(registry_groups_load(r, group_seen, seen), 0);
	assert_string_equal(seen, "default:76:<agent_config>;web:29:<agent_config>;");
	registry_close(r);
}

/* registry_where: a URI is logged without its password. */
static void
test_where_hides_password(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/var/lib/vigil/registry.db", "/var/lib/vigil/registry.db" },
		{ "postgresql://vigil:s3cret@db.example:5432/vigil",
		    "postgresql://vigil:***@db.example:5432/vigil" },
		{ "postgres://vigil:p@ss@db/vigil", "postgres://vigil:***@db/vigil" },
		{ "postgresql://vigil@db/vigil", "postgresql://vigil@db/vigil" },
		{ "postgresql://db/vigil?sslmode=require&password=x", "postgresql://db/vigil?***" },
		{ "postgresql://db/vigil?sslmode=require", "postgresql://db/vigil?sslmode=require" },
	};
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		registry_where(cases[i].in, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].out);
	}
}

/* PostgreSQL: another program's tables and a newer schema are refused; a dead server too. */
static void
test_pg_refuses(void **state)
{
	struct fx *f = *state;
	struct registry *r;

	assert_int_equal(pgtest_exec("CREATE TABLE t (x int)"), 0);
	assert_null(reg_open(f));
	assert_int_equal(sql_int(f, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
	    1);
	assert_int_equal(pgtest_reset(), 0);
	assert_non_null(r = reg_open(f));
	registry_close(r);
	assert_int_equal(sql_int(f, "SELECT version FROM vigil_schema_version"), 1);
	/* reopened: not created again */
	assert_non_null(r = reg_open(f));
	registry_close(r);
	sql(f, "UPDATE vigil_schema_version SET version = 99");
	assert_null(reg_open(f));
	assert_int_equal(sql_int(f, "SELECT version FROM vigil_schema_version"), 99);
	/* nothing listens on port 1 */
	assert_null(registry_open("postgresql://vigil@127.0.0.1:1/vigil?connect_timeout=5",
	    "manager", "node01", "v4.12.0"));
}

/*
 * PostgreSQL: a connection the server dropped is not made again: the lock
 * went with it, so the term is over; the queued rows are not written by this
 * registry (the node steps down), and the next coordinator's term is newer.
 */
static void
test_pg_session_lost_is_the_end_of_the_term(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	long long term;

	assert_non_null(r = reg_open(f));
	term = registry_term(r);
	assert_true(term >= 1);
	assert_int_equal(registry_check(r), 0);
	assert_non_null(registry_agent_add(r, "web1", "any", "10.0.0.1", KEY, NULL, NOW));
	sql(f, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
	    "pid <> pg_backend_pid() AND datname = current_database()");
	assert_int_equal(registry_flush(r), -1);
	assert_int_equal(registry_flush(r), -1);         /* and never again */
	assert_int_equal(registry_check(r), -1);
	assert_int_equal(registry_term(r), -1);
	registry_close(r);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent WHERE name = 'web1'"), 0);
	assert_non_null(r = reg_open(f));
	assert_int_equal(registry_term(r), term + 1);
	assert_int_equal(sql_int(f, "SELECT term FROM vigil_coordinator"), term + 1);
	registry_close(r);
}

/*
 * PostgreSQL: once a newer term is in the database (another node became the
 * coordinator), nothing this registry writes is taken: its flush, its API
 * writes, its jobs; it knows its term is over.
 */
static void
test_pg_newer_term_fences_every_write(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct registry_job j;
	long long id;
	static const uint32_t agents[] = { 1 };

	assert_non_null(r = reg_open(f));
	assert_non_null(registry_agent_add(r, "web1", "any", "10.0.0.1", KEY, NULL, NOW));
	sql(f, "UPDATE vigil_coordinator SET term = term + 1, node = 'other'");
	assert_int_equal(registry_flush(r), -1);
	assert_int_equal(registry_check(r), -1);
	assert_int_equal(registry_user_add(r, "late", "h", 0, &id), -1);
	assert_int_equal(registry_meta_set(r, "k", "v"), -1);
	memset(&j, 0, sizeof(j));
	snprintf(j.user, sizeof(j.user), "u");
	snprintf(j.scope, sizeof(j.scope), "all");
	assert_int_equal(registry_job_create(r, &j, agents, 1), -1);
	registry_close(r);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent WHERE name = 'web1'"), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM user WHERE name = 'late'"), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM meta WHERE key = 'k'"), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM job"), 0);
	/* a session that never took a term writes nothing either */
	assert_int_equal(pgtest_exec_fenced("INSERT INTO meta (key, value) VALUES ('k', 'v')"), -1);
}

struct standby {
	const char *where;
	struct registry *r;
};

static void *
standby_open(void *arg)
{
	struct standby *s = arg;

	s->r = registry_open(s->where, "manager", "node02", "v4.12.0");
	return NULL;
}

/*
 * PostgreSQL: a second node on the same database waits while the first is
 * the coordinator, and takes the next term when the first is gone.
 */
static void
test_pg_standby_takes_over(void **state)
{
	struct fx *f = *state;
	struct registry *r;
	struct standby s = { f->where, NULL };
	pthread_t t;
	long long term;
	int i;

	assert_non_null(r = reg_open(f));
	term = registry_term(r);
	assert_int_equal(pthread_create(&t, NULL, standby_open, &s), 0);
	/* bounded wait until the standby's session is there, asking for the lock */
	for (i = 0; i < 500 && sql_int(f, "SELECT count(*) FROM pg_stat_activity WHERE "
	    "application_name = 'vigild node02'") != 1; i++)
		usleep(20000);
	assert_true(i < 500);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM vigil_coordinator WHERE node = 'node01'"),
	    1);
	/* the coordinator still writes */
	assert_non_null(registry_agent_add(r, "web1", "any", "10.0.0.1", KEY, NULL, NOW));
	assert_int_equal(registry_flush(r), 1);
	registry_close(r);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_non_null(s.r);
	assert_int_equal(registry_term(s.r), term + 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM vigil_coordinator WHERE node = 'node02'"),
	    1);
	assert_non_null(registry_agent_by_name(s.r, "web1"));
	assert_non_null(registry_agent_add(s.r, "web2", "any", "10.0.0.2", KEY, NULL, NOW));
	assert_int_equal(registry_flush(s.r), 1);
	registry_close(s.r);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM agent WHERE name LIKE 'web_'"), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_manager, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manager_name_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_and_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_and_never_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_every_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_disconnects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users_and_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users_migration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_failure_keeps_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_agents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_flush_with_removed_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_other_databases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_touch_keepalive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
		cmocka_unit_test(test_where_hides_password),
		cmocka_unit_test_setup_teardown(test_security_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_groups_store, setup, teardown),
	};
	/* The same on PostgreSQL, but for what only a file or SQLite has. */
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test_setup_teardown(test_manager_name_taken, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_add_and_ids, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_add_invalid, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_lookups, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_remove_and_never_reuse, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_every_field, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_restart_disconnects, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_users_and_meta, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_many_agents, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_partial_flush_with_removed_queued, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_id_exhaustion, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_touch_keepalive, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_security_store, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_groups_store, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_pg_refuses, setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_pg_session_lost_is_the_end_of_the_term, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pg_newer_term_fences_every_write, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pg_standby_takes_over, setup_pg, teardown),
	};
	int rc;

	log_init("test_registry", 0);
	rc = cmocka_run_group_tests_name("registry on SQLite", tests, NULL, NULL);
	if (!pgtest_skipped("test_registry"))
		rc |= cmocka_run_group_tests_name("registry on PostgreSQL", pg_tests, NULL, NULL);
	return rc;
}
