/* test_state.c — the master's view of an agent (struct agent's st) through state.c:
 * which session's "Agent started" (proc_start_ms) it carries, from its own sessions and
 * from workers' records, across touches, a new session, and a master restart. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "node/core/agent.h"
#include "node/core/node.h"
#include "node/ledger/ledger.h"
#include "node/ledger/state.h"
#include "node/registry/groups.h"
#include "node/registry/registry.h"

#define KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define WORKER 1     /* the node index of a worker, as the cluster room assigns them */

struct fx {
	char dir[64];
	char db[128];
	struct node n;
	struct agent *a;
};

static void
flushcb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static const char *
fx_node_name(struct node *n, uint16_t node)
{
	(void)n;
	return node == LEDGER_SELF ? "master" : "worker1";
}

static int
fx_node_up(struct node *n, uint16_t node)
{
	(void)n;
	(void)node;
	return 1;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-state-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/registry.db", f->dir);
	node_hooks_init(&f->n);
	f->n.hooks.node_name = fx_node_name;
	f->n.hooks.node_up = fx_node_up;
	f->n.cfg.role = ROLE_MASTER;
	snprintf(f->n.cfg.name, sizeof(f->n.cfg.name), "master");
	f->n.cfg.flush_interval_ms = 1000;
	if ((f->n.base = event_base_new()) == NULL ||
	    (f->n.flush_ev = evtimer_new(f->n.base, flushcb, NULL)) == NULL ||
	    (f->n.groups = groups_new()) == NULL ||
	    (f->n.reg = registry_open(f->db, "manager", "master", "v4.12.0")) == NULL ||
	    (f->a = registry_agent_add(f->n.reg, "web1", "any", "any", KEY, NULL, 1700000000)) ==
	    NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	registry_close(f->n.reg);
	groups_free(f->n.groups);
	event_free(f->n.flush_ev);
	event_base_free(f->n.base);
	unlink(f->db);
	snprintf(p, sizeof(p), "%s-wal", f->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->db);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* rec: record sseq of session sid, active, first counter g:1, newest g:l. */
static struct crec_record
rec(const struct fx *f, uint64_t sid, uint64_t sseq, uint32_t g, uint32_t l, int64_t proc)
{
	struct crec_record r;

	memset(&r, 0, sizeof(r));
	r.id = f->a->id;
	r.sid = sid;
	r.first.g = g;
	r.first.l = 1;
	r.last.g = g;
	r.last.l = l;
	r.nrx = l;
	r.sseq = sseq;
	r.live = 1;
	r.st.status = AGENT_ACTIVE;
	r.st.last_keepalive = 1700000000 + l;
	snprintf(r.st.manager, sizeof(r.st.manager), "m");
	snprintf(r.st.info.version, sizeof(r.st.info.version), "Wazuh v4.12.0");
	r.st.proc_start_ms = proc;
	return r;
}

static struct crec_touch
touch(const struct crec_record *r, uint64_t sseq, uint32_t l)
{
	struct crec_touch t;

	memset(&t, 0, sizeof(t));
	t.id = r->id;
	t.sid = r->sid;
	t.sseq = sseq;
	t.nrx = l;
	t.last.g = r->last.g;
	t.last.l = l;
	t.last_keepalive = 1700000000 + l;
	return t;
}

/* The master's own session: startup, "Agent started", keepalives as touches. */
static void
test_own_session(void **state)
{
	struct fx *f = *state;
	struct crec_record r;
	struct crec_touch t;

	r = rec(f, 5, 1, 100, 1, 0);          /* the startup: no proof yet */
	state_record(&f->n, LEDGER_SELF, &r);
	assert_int_equal(f->a->led.cur.sid, 5);
	assert_int_equal(f->a->st.proc_start_ms, 0);
	r = rec(f, 5, 2, 100, 2, 1767225600123);   /* "Agent started" */
	state_record(&f->n, LEDGER_SELF, &r);
	assert_true(f->a->st.proc_start_ms == 1767225600123);
	t = touch(&r, 2, 3);                  /* a keepalive that changed only the time */
	state_touch(&f->n, LEDGER_SELF, &t);
	assert_true(f->a->st.last_keepalive == 1700000003);
	assert_true(f->a->st.proc_start_ms == 1767225600123);
	/* the session's later whole records keep saying it */
	r = rec(f, 5, 3, 100, 4, 1767225600123);
	r.live = 0;
	r.st.status = AGENT_DISCONNECTED;
	state_record(&f->n, LEDGER_SELF, &r);
	assert_true(f->a->st.proc_start_ms == 1767225600123);
	assert_int_equal(f->a->st.status, AGENT_DISCONNECTED);
}

/*
 * A worker's sessions: a reconnect there (a new session, no "Agent started")
 * makes the agent's value 0 again, a restart sets a newer one; a touch of an
 * older session changes nothing; a master restart (a fresh ledger, the row from
 * the registry without the field) learns it again from the worker's resync.
 */
static void
test_worker_sessions(void **state)
{
	struct fx *f = *state;
	struct crec_record r1, r2, r3;
	struct crec_touch t;

	r1 = rec(f, 11, 1, 200, 1, 1767225600000);
	state_record(&f->n, WORKER, &r1);
	assert_true(f->a->st.proc_start_ms == 1767225600000);
	assert_int_equal(f->a->led.cur.node, WORKER);

	/* the agent reconnected (closed, then a new session): not a new process */
	r1 = rec(f, 11, 2, 200, 5, 1767225600000);
	r1.live = 0;
	r1.st.status = AGENT_DISCONNECTED;
	state_record(&f->n, WORKER, &r1);
	r2 = rec(f, 12, 1, 200, 6, 0);
	state_record(&f->n, WORKER, &r2);
	assert_int_equal(f->a->led.cur.sid, 12);
	assert_int_equal(f->a->st.proc_start_ms, 0);
	/* a late touch of the old session is stale: nothing moves */
	t = touch(&r1, 2, 5);
	state_touch(&f->n, WORKER, &t);
	assert_int_equal(f->a->st.proc_start_ms, 0);

	/* restarted: the next session says "Agent started" after its startup */
	r2 = rec(f, 12, 2, 200, 7, 0);
	r2.live = 0;
	r2.st.status = AGENT_DISCONNECTED;
	state_record(&f->n, WORKER, &r2);
	r3 = rec(f, 13, 1, 200, 8, 0);
	state_record(&f->n, WORKER, &r3);
	assert_int_equal(f->a->st.proc_start_ms, 0);
	r3 = rec(f, 13, 2, 200, 9, 1767225609000);
	state_record(&f->n, WORKER, &r3);
	assert_true(f->a->st.proc_start_ms == 1767225609000);
	t = touch(&r3, 2, 10);
	state_touch(&f->n, WORKER, &t);
	assert_true(f->a->st.proc_start_ms == 1767225609000);

	/* the master restarts: its ledger is empty, the row read back has no such field */
	ledger_reset(&f->a->led);
	f->a->st.proc_start_ms = 0;
	/* the worker's full resync: the whole record of the session it holds */
	r3 = rec(f, 13, 3, 200, 11, 1767225609000);
	state_record(&f->n, WORKER, &r3);
	assert_int_equal(f->a->led.cur.sid, 13);
	assert_true(f->a->st.proc_start_ms == 1767225609000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_own_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_sessions, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
