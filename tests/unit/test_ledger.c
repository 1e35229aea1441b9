/* test_ledger.c — the session-order rules as tables of event sequences.
 *
 * Each case is a list of steps fed to one ledger entry; each step says what
 * the ledger must answer.  Nodes: 0 the master (LEDGER_SELF), 1 worker1,
 * 2 worker2, 3 a node holding the cluster key that is lying.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "node/ledger/ledger.h"

enum op { REC, LOST, TICK, RESET, END };

#define F_APPLY LEDGER_FX_APPLY
#define F_UNR LEDGER_FX_UNREACHABLE
#define F_HELD LEDGER_FX_APPLY_HELD
#define F_DROP LEDGER_FX_DROP_HELD
#define F_HOLD LEDGER_FX_HOLD
#define F_FENCE LEDGER_FX_FENCE
#define F_CFENCE LEDGER_FX_FENCE_IF_OLDER

struct step {
	enum op op;
	uint16_t node;
	uint64_t sid;
	uint32_t fg, fl, lg, ll;     /* first and last counters */
	uint64_t nrx, seq;
	int live;
	int bye;                     /* a live session's record of the agent leaving */
	int64_t now;
	enum ledger_verdict verdict;
	unsigned int fx;
	uint16_t fnode;              /* FENCE or FENCE_IF_OLDER target, when fx has one */
	uint64_t fsid;
	int touch;                   /* a time-only record (a touch) */
};

struct lcase {
	const char *name;
	unsigned int down;           /* bit per node whose link is down */
	struct step steps[12];
};

#define R(node, sid, fg, fl, lg, ll, nrx, seq, live) REC, node, sid, fg, fl, lg, ll, nrx, seq, live, 0, 0
#define BYE(node, sid, fg, fl, lg, ll, nrx, seq) REC, node, sid, fg, fl, lg, ll, nrx, seq, 1, 1, 0
#define V(verdict, fx) verdict, fx, 0, 0, 0
#define VF(verdict, fx, fnode, fsid) verdict, fx, fnode, fsid, 0
#define VT(verdict, fx) verdict, fx, 0, 0, 1                      /* a touch */
#define VFT(verdict, fx, fnode, fsid) verdict, fx, fnode, fsid, 1

#define G 1764200000u            /* a plausible global counter */

static const struct lcase cases[] = {
	{ "first session of an agent is admitted", 0, {
		{ R(1, 11, G, 1, G, 1, 1, 1, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 11, G, 1, G, 5, 5, 2, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ .op = END } } },
	{ "Wazuh race: stale active and disconnected from the old worker after the move", 0, {
		{ R(1, 11, G, 1, G, 10, 10, 3, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(2, 21, G, 12, G, 13, 2, 1, 1), VF(LEDGER_APPLIED, F_APPLY | F_CFENCE, 1, 11) },
		{ R(1, 11, G, 1, G, 11, 11, 4, 1), VF(LEDGER_STALE, F_FENCE, 1, 11) },
		{ R(1, 11, G, 1, G, 11, 11, 5, 0), V(LEDGER_STALE, 0) },
		{ R(2, 21, G, 12, G, 14, 3, 2, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ .op = END } } },
	{ "resend after a reconnect: the same record again applies, an older one is stale", 0, {
		{ R(1, 11, G, 1, G, 3, 3, 3, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 11, G, 1, G, 3, 3, 3, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 11, G, 1, G, 2, 2, 2, 1), V(LEDGER_STALE, 0) },
		{ .op = END } } },
	{ "counter reset after the old session closed: active at once, any node", 0, {
		{ R(1, 11, G, 1, G, 900, 900, 9, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 11, G, 1, G, 901, 901, 10, 0), V(LEDGER_APPLIED, F_APPLY) },
		{ R(2, 21, 0, 1, 0, 2, 2, 1, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(2, 21, 0, 1, 0, 3, 3, 2, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ .op = END } } },
	{ "counter reset while the old close is in flight: waits, then applies", 0, {
		{ R(1, 11, G, 1, G, 900, 900, 9, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(2, 21, 0, 1, 0, 1, 1, 1, 1), V(LEDGER_PENDING, F_HOLD) },
		{ R(2, 21, 0, 1, 0, 2, 2, 2, 1), V(LEDGER_PENDING, F_HOLD) },
		{ R(1, 11, G, 1, G, 900, 900, 10, 0), V(LEDGER_APPLIED, F_APPLY | F_HELD) },
		{ R(2, 21, 0, 1, 0, 3, 3, 3, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 11, G, 1, G, 900, 900, 10, 0), V(LEDGER_STALE, 0) },
		{ .op = END } } },
	{ "repeated counter (Wazuh's simulator): a reconnect elsewhere after the close", 0, {
		{ R(0, 5, 1234567891, 227, 1234567891, 227, 40, 4, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 11, 1234567891, 227, 1234567891, 227, 1, 1, 1), V(LEDGER_PENDING, F_HOLD) },
		{ R(0, 5, 1234567891, 227, 1234567891, 227, 40, 5, 0),
		    V(LEDGER_APPLIED, F_APPLY | F_HELD) },
		{ R(1, 11, 1234567891, 227, 1234567891, 227, 2, 2, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ .op = END } } },
	{ "repeated counter on the same node: the node ordered them", 0, {
		{ R(1, 11, 1234567891, 227, 1234567891, 227, 40, 4, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 12, 1234567891, 227, 1234567891, 227, 1, 1, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 11, 1234567891, 227, 1234567891, 227, 41, 5, 0), V(LEDGER_STALE, 0) },
		{ .op = END } } },
	{ "replay while the agent's session is alive: held, then refused", 0, {
		{ R(1, 11, G, 1, G, 50, 50, 5, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(2, 21, G, 1, G, 3, 3, 1, 1), V(LEDGER_PENDING, F_HOLD) },
		{ R(2, 21, G, 1, G, 3, 3, 2, 1), V(LEDGER_PENDING, F_HOLD) },
		{ R(1, 11, G, 1, G, 51, 51, 6, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 11, G, 1, G, 51, 51, 6, 1), V(LEDGER_APPLIED, F_APPLY) },  /* no new message */
		{ R(1, 11, G, 1, G, 52, 52, 7, 1), VF(LEDGER_APPLIED, F_APPLY | F_FENCE | F_DROP, 2, 21) },
		{ R(2, 21, G, 1, G, 3, 3, 3, 1), VF(LEDGER_STALE, F_FENCE, 2, 21) },
		{ R(2, 21, G, 1, G, 4, 4, 4, 0), V(LEDGER_STALE, 0) },
		{ .op = END } } },
	{ "replayed shutdown never changes the live session", 0, {
		{ R(0, 5, G, 60, G, 70, 10, 3, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 11, G, 1, G, 9, 9, 1, 0), V(LEDGER_STALE, 0) },
		{ R(0, 5, G, 60, G, 71, 11, 4, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ .op = END } } },
	{ "replay against a silent session: refused when its wait runs out", 0, {
		{ R(1, 11, G, 1, G, 50, 50, 5, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ REC, 2, 21, G, 1, G, 3, 3, 1, 1, 0, 1000, V(LEDGER_PENDING, F_HOLD) },
		{ TICK, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000 + LEDGER_PENDING_MS - 1, V(LEDGER_NONE, 0) },
		{ TICK, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000 + LEDGER_PENDING_MS,
		    VF(LEDGER_REFUSED, F_FENCE | F_DROP, 2, 21) },
		{ .op = END } } },
	{ "the old session's goodbye and one record in flight are not life (the agent moved)", 0, {
		{ R(1, 11, 1234567891, 227, 1234567891, 227, 40, 4, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(2, 21, 1234567891, 227, 1234567891, 227, 1, 1, 1), V(LEDGER_PENDING, F_HOLD) },
		{ R(1, 11, 1234567891, 227, 1234567891, 227, 41, 5, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ BYE(1, 11, 1234567891, 227, 1234567891, 227, 42, 6), V(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 11, 1234567891, 227, 1234567891, 227, 42, 7, 0),
		    V(LEDGER_APPLIED, F_APPLY | F_HELD) },
		{ .op = END } } },
	{ "a second doubtful session while one waits is refused", 0, {
		{ R(1, 11, G, 1, G, 50, 50, 5, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(2, 21, G, 1, G, 3, 3, 1, 1), V(LEDGER_PENDING, F_HOLD) },
		{ R(0, 7, G, 1, G, 3, 3, 1, 1), VF(LEDGER_REFUSED, F_FENCE, 0, 7) },
		{ R(2, 21, G, 1, G, 3, 3, 2, 0), V(LEDGER_STALE, F_DROP) },
		{ .op = END } } },
	{ "absurd key from a lying node waits and is refused; the genuine session stays", 0, {
		{ R(1, 11, G, 1, G, 50, 50, 5, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(3, 99, 4294967295u, 0, 4294967295u, 9, 1, 1, 1), V(LEDGER_PENDING, F_HOLD) },
		{ R(1, 11, G, 1, G, 51, 51, 6, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 11, G, 1, G, 52, 52, 7, 1), VF(LEDGER_APPLIED, F_APPLY | F_FENCE | F_DROP, 3, 99) },
		/* the absurd counter was never admitted: a genuine move still takes over */
		{ R(2, 21, G, 60, G, 60, 1, 1, 1), VF(LEDGER_APPLIED, F_APPLY | F_CFENCE, 1, 11) },
		{ .op = END } } },
	{ "a takeover that replays a counter the old session saw is undone", 0, {
		{ R(1, 11, G, 1, G, 50, 50, 5, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(3, 31, G, 51, G, 51, 1, 1, 1), VF(LEDGER_APPLIED, F_APPLY | F_CFENCE, 1, 11) },
		{ R(1, 11, G, 1, G, 51, 51, 6, 1), VF(LEDGER_REVERTED, F_APPLY | F_FENCE, 3, 31) },
		{ R(1, 11, G, 1, G, 52, 52, 7, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(3, 31, G, 51, G, 51, 2, 2, 1), VF(LEDGER_STALE, F_FENCE, 3, 31) },
		{ .op = END } } },
	{ "a genuine takeover is not undone by the old session's late records", 0, {
		{ R(1, 11, G, 1, G, 50, 50, 5, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(2, 21, G, 52, G, 52, 1, 1, 1), VF(LEDGER_APPLIED, F_APPLY | F_CFENCE, 1, 11) },
		{ R(1, 11, G, 1, G, 51, 51, 6, 1), VF(LEDGER_STALE, F_FENCE, 1, 11) },
		{ .op = END } } },
	{ "node lost: its agent is unreachable, a waiting session takes over", 0, {
		{ R(1, 11, G, 1, G, 50, 50, 5, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(2, 21, 0, 1, 0, 1, 1, 1, 1), V(LEDGER_PENDING, F_HOLD) },
		{ LOST, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, V(LEDGER_APPLIED, F_UNR | F_HELD) },
		{ R(1, 11, G, 1, G, 50, 50, 6, 1), VF(LEDGER_STALE, F_FENCE, 1, 11) },
		{ R(2, 21, 0, 1, 0, 2, 2, 2, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ .op = END } } },
	{ "a node lost holding only a waiting session", 0, {
		{ R(1, 11, G, 1, G, 50, 50, 5, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(2, 21, 0, 1, 0, 1, 1, 1, 1), V(LEDGER_PENDING, F_HOLD) },
		{ LOST, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, V(LEDGER_NONE, F_DROP) },
		{ .op = END } } },
	{ "takeover from a node whose link is down: no fence to send", 2, {
		{ R(1, 11, G, 1, G, 50, 50, 5, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(2, 21, G, 51, G, 51, 1, 1, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ .op = END } } },
	{ "an agent moving away and back", 0, {
		{ R(1, 11, G, 1, G, 10, 10, 2, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(2, 21, G, 11, G, 20, 10, 2, 1), VF(LEDGER_APPLIED, F_APPLY | F_CFENCE, 1, 11) },
		{ R(1, 12, G, 21, G, 22, 2, 1, 1), VF(LEDGER_APPLIED, F_APPLY | F_CFENCE, 2, 21) },
		{ R(2, 21, G, 11, G, 20, 10, 3, 0), V(LEDGER_STALE, 0) },
		{ R(1, 11, G, 1, G, 10, 10, 3, 0), V(LEDGER_STALE, 0) },
		{ R(1, 12, G, 21, G, 23, 3, 2, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ .op = END } } },
	{ "a deleted agent coming back starts afresh", 0, {
		{ R(1, 11, G, 1, G, 900, 900, 9, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ RESET, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, V(LEDGER_NONE, 0) },
		{ R(2, 21, 0, 1, 0, 1, 1, 1, 1), V(LEDGER_APPLIED, F_APPLY) },
		/* the removed agent's old session is unknown now, and far ahead: it waits */
		{ R(1, 11, G, 1, G, 901, 901, 10, 1), V(LEDGER_PENDING, F_HOLD) },
		{ .op = END } } },
	{ "touches: applied from the current session, never admit, hold or revive one", 0, {
		{ R(1, 11, G, 1, G, 50, 50, 5, 1), V(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 11, G, 51, G, 51, 51, 5, 1), VT(LEDGER_APPLIED, F_APPLY) },
		{ R(2, 21, G, 60, G, 60, 1, 1, 1), VT(LEDGER_STALE, 0) },   /* unknown session */
		{ R(2, 22, G, 1, G, 1, 1, 1, 1), V(LEDGER_PENDING, F_HOLD) },
		{ R(2, 22, G, 1, G, 2, 2, 1, 1), VT(LEDGER_PENDING, 0) },  /* no state to hold */
		{ R(1, 11, G, 52, G, 52, 52, 5, 1), VT(LEDGER_APPLIED, F_APPLY) },
		{ R(1, 11, G, 53, G, 53, 53, 5, 1), VFT(LEDGER_APPLIED, F_APPLY | F_FENCE | F_DROP,
		    2, 22) },                                              /* touches are life */
		{ R(2, 22, G, 1, G, 3, 3, 2, 1), VFT(LEDGER_STALE, F_FENCE, 2, 22) },
		{ .op = END } } },
	{ "a record without a session id is refused", 0, {
		{ R(1, 0, G, 1, G, 1, 1, 1, 1), V(LEDGER_REFUSED, 0) },
		{ .op = END } } },
};

static int
node_up(void *arg, uint16_t node)
{
	const unsigned int *down = arg;

	return !(*down & (1u << node));
}

static void
run_case(const struct lcase *c)
{
	struct ledger_entry e;
	struct ledger_env env;
	unsigned int down = c->down;
	size_t i;

	memset(&e, 0, sizeof(e));
	env.node_up = node_up;
	env.arg = &down;
	for (i = 0; c->steps[i].op != END; i++) {
		const struct step *s = &c->steps[i];
		struct ledger_out out;
		struct ledger_in in;

		env.now_ms = s->now;
		switch (s->op) {
		case REC:
			memset(&in, 0, sizeof(in));
			in.s.node = s->node;
			in.s.sid = s->sid;
			in.first.g = s->fg;
			in.first.l = s->fl;
			in.last.g = s->lg;
			in.last.l = s->ll;
			in.nrx = s->nrx;
			in.seq = s->seq;
			in.live = s->live;
			in.alive = s->live && !s->bye;
			in.touch = s->touch;
			ledger_record(&e, &in, &env, &out);
			break;
		case LOST:
			ledger_node_lost(&e, s->node, &out);
			break;
		case TICK:
			ledger_tick(&e, s->now, &out);
			break;
		case RESET:
			ledger_reset(&e);
			memset(&out, 0, sizeof(out));
			break;
		default:
			fail();
		}
		if (out.verdict != s->verdict || out.fx != s->fx) {
			print_error("case \"%s\", step %zu: got %s fx %#x (%s), want %s fx %#x\n",
			    c->name, i + 1, ledger_verdict_name(out.verdict), out.fx,
			    out.why ? out.why : "", ledger_verdict_name(s->verdict), s->fx);
			fail();
		}
		if (s->fx & LEDGER_FX_FENCE) {
			assert_int_equal(out.fence.node, s->fnode);
			assert_int_equal(out.fence.sid, s->fsid);
		}
		if (s->fx & LEDGER_FX_FENCE_IF_OLDER) {
			assert_int_equal(out.cfence.node, s->fnode);
			assert_int_equal(out.cfence.sid, s->fsid);
			assert_int_equal(out.below.g, s->fg);
			assert_int_equal(out.below.l, s->fl);
		}
	}
}

static void
test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void
test_epoch_counts_admissions(void **state)
{
	struct ledger_entry e;
	struct ledger_env env = { 0, NULL, NULL };
	struct ledger_in in;
	struct ledger_out out;

	(void)state;
	memset(&e, 0, sizeof(e));
	memset(&in, 0, sizeof(in));
	in.s.node = 1;
	in.s.sid = 1;
	in.live = 1;
	ledger_record(&e, &in, &env, &out);
	ledger_record(&e, &in, &env, &out);
	assert_int_equal(e.epoch, 1);
	in.s.sid = 2;
	ledger_record(&e, &in, &env, &out);
	assert_int_equal(e.epoch, 2);
}

static const struct {
	int live;
	uint32_t lg, ll, fg, fl;
	enum ledger_open want;
} opens[] = {
	{ 0, 0, 0, 0, 0, LEDGER_OPEN },
	{ 0, G, 50, 0, 1, LEDGER_OPEN },                 /* reset, nothing live here */
	{ 1, G, 50, G, 51, LEDGER_OVERTAKE },            /* the agent reconnected */
	{ 1, G, 50, G + 1, 0, LEDGER_OVERTAKE },
	{ 1, G, 50, G, 50, LEDGER_REFUSE },              /* repeat: replay or a second copy */
	{ 1, G, 50, G, 3, LEDGER_REFUSE },               /* replay of older frames */
	{ 1, G, 50, 0, 1, LEDGER_REFUSE },               /* reset while the old one lives here */
};

static void
test_local_open(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(opens) / sizeof(opens[0]); i++) {
		struct crec_ctr last = { opens[i].lg, opens[i].ll }, first = { opens[i].fg, opens[i].fl };

		assert_int_equal(ledger_local_open(opens[i].live, last, first), opens[i].want);
	}
}

static void
test_merge_never_forgets_a_known_field(void **state)
{
	struct crec_state row, rec;

	(void)state;
	memset(&row, 0, sizeof(row));
	memset(&rec, 0, sizeof(rec));
	snprintf(row.info.version, sizeof(row.info.version), "Wazuh v4.12.0");
	snprintf(row.info.os_platform, sizeof(row.info.os_platform), "debian");
	snprintf(row.manager, sizeof(row.manager), "host-a");
	/* a partial record: disconnected, no version, no manager */
	rec.status = 3;
	rec.status_code = 4;
	rec.disconnection_time = 99;
	ledger_merge_state(&row, &rec);
	assert_int_equal(row.status, 3);
	assert_int_equal(row.status_code, 4);
	assert_int_equal(row.disconnection_time, 99);
	assert_string_equal(row.info.version, "Wazuh v4.12.0");
	assert_string_equal(row.info.os_platform, "debian");
	assert_string_equal(row.manager, "host-a");
	/* a whole record replaces the information whole */
	snprintf(rec.info.version, sizeof(rec.info.version), "Wazuh v4.13.0");
	ledger_merge_state(&row, &rec);
	assert_string_equal(row.info.version, "Wazuh v4.13.0");
	assert_string_equal(row.info.os_platform, "");
}

/* proc_start_ms is the session's own: set by its record, and 0 again from a session without. */
static void
test_merge_proc_start_is_the_sessions(void **state)
{
	struct crec_state row, rec;

	(void)state;
	memset(&row, 0, sizeof(row));
	memset(&rec, 0, sizeof(rec));
	rec.proc_start_ms = 1767225600123;
	ledger_merge_state(&row, &rec);
	assert_true(row.proc_start_ms == 1767225600123);
	rec.proc_start_ms = 0;   /* the next session: a reconnect, not a new process */
	ledger_merge_state(&row, &rec);
	assert_true(row.proc_start_ms == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_epoch_counts_admissions),
		cmocka_unit_test(test_local_open),
		cmocka_unit_test(test_merge_never_forgets_a_known_field),
		cmocka_unit_test(test_merge_proc_start_is_the_sessions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
