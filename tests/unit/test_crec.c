/* test_crec.c — the touch text of an updates body: what a worker writes reads back the
 * same; every malformed touch is refused with a why and skipped, never read as zeros.
 * The optional fields of a record (proc_start_ms) and of a restart frame (job). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/crec.h"

/* One touch text and what reading it must give, touch by touch: 1 read, -1 refused. */
struct touch_case {
	const char *name;
	const char *text;
	int got[4];              /* results in order, then 0 */
	uint32_t first_id;       /* id of the first touch read, when one is */
};

static const struct touch_case touch_cases[] = {
	{ "one", "13,7,2,5,1234,9,1700000000;", { 1, 0 }, 13 },
	{ "two", "1,1,0,0,0,0,0;2,9,1,1,1,1,1;", { 1, 1, 0 }, 1 },
	{ "largest values",
	  "4294967295,9223372036854775807,9223372036854775807,9223372036854775807,"
	  "4294967295,4294967295,9223372036854775807;", { 1, 0 }, 4294967295u },
	{ "empty", "", { 0 }, 0 },
	{ "id 0", "0,7,2,5,1,1,1;", { -1, 0 }, 0 },
	{ "sid 0", "13,0,2,5,1,1,1;", { -1, 0 }, 0 },
	{ "id above 2^32-1", "4294967296,7,2,5,1,1,1;", { -1, 0 }, 0 },
	{ "sid above 2^63-1", "13,9223372036854775808,2,5,1,1,1;", { -1, 0 }, 0 },
	{ "twenty digits", "13,7,2,5,1,1,10000000000000000000;", { -1, 0 }, 0 },
	{ "a sign", "13,-7,2,5,1,1,1;", { -1, 0 }, 0 },
	{ "a plus", "13,+7,2,5,1,1,1;", { -1, 0 }, 0 },
	{ "a leading zero", "13,07,2,5,1,1,1;", { -1, 0 }, 0 },
	{ "a space", "13, 7,2,5,1,1,1;", { -1, 0 }, 0 },
	{ "six numbers", "13,7,2,5,1,1;", { -1, 0 }, 0 },
	{ "eight numbers", "13,7,2,5,1,1,1,1;", { -1, 0 }, 0 },
	{ "no ';' at the end", "13,7,2,5,1,1,1", { -1, 0 }, 0 },
	{ "an empty number", "13,,2,5,1,1,1;", { -1, 0 }, 0 },
	{ "a bad one between good ones", "1,1,0,0,0,0,0;x;3,3,0,0,0,0,0;", { 1, -1, 1, 0 }, 1 },
	{ "a bad one first", "1,1,0,0,0,0;3,3,0,0,0,0,0;", { -1, 1, 0 }, 3 },
	{ "a NUL inside", "1,1\0,0,0,0,0;", { -1, 0 }, 0 },
};

static void
test_touch_text_table(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(touch_cases) / sizeof(touch_cases[0]); i++) {
		const struct touch_case *c = &touch_cases[i];
		size_t len = strlen(c->text);
		const char *p = c->text, *end, *why;
		struct crec_touch t;
		uint32_t first = 0;
		int got;

		if (strcmp(c->name, "a NUL inside") == 0)
			len = 13;   /* strlen stops at the NUL */
		end = c->text + len;
		for (k = 0;; k++) {
			got = crec_touch_next(&p, end, &t, &why);
			if (got != c->got[k])
				fail_msg("%s: touch %zu: got %d, want %d", c->name, k, got, c->got[k]);
			if (got == 0)
				break;
			if (got == -1 && why == NULL)
				fail_msg("%s: refused without a why", c->name);
			if (got == 1 && first == 0)
				first = t.id;
			if (got == -1 && (t.id != 0 || t.sid != 0))
				fail_msg("%s: a refused touch left values behind", c->name);
		}
		if (first != c->first_id)
			fail_msg("%s: first id %u, want %u", c->name, first, c->first_id);
		if (p != end)
			fail_msg("%s: stopped before the end", c->name);
	}
}

static void
test_touch_format_reads_back(void **state)
{
	static const struct crec_touch cases[] = {
		{ 1, 1, 0, 0, { 0, 0 }, 0 },
		{ 13, 7, 2, 5, { 1234, 9 }, 1700000000 },
		{ UINT32_MAX, CREC_SID_MAX, INT64_MAX, INT64_MAX, { UINT32_MAX, UINT32_MAX }, INT64_MAX },
	};
	char buf[CREC_TOUCH_TEXT_MAX * 3];
	size_t i, len = 0, n;
	const char *p = buf, *why;
	struct crec_touch t;

	(void)state;
	for (i = 0; i < 3; i++) {
		n = crec_touch_format(&cases[i], buf + len, CREC_TOUCH_TEXT_MAX);
		assert_true(n > 0 && n < CREC_TOUCH_TEXT_MAX);
		len += n;
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(crec_touch_next(&p, buf + len, &t, &why), 1);
		assert_int_equal(t.id, cases[i].id);
		assert_true(t.sid == cases[i].sid && t.sseq == cases[i].sseq && t.nrx == cases[i].nrx);
		assert_true(t.last.g == cases[i].last.g && t.last.l == cases[i].last.l);
		assert_true(t.last_keepalive == cases[i].last_keepalive);
	}
	assert_int_equal(crec_touch_next(&p, buf + len, &t, &why), 0);
	/* a buffer too small for the text: nothing written, 0 */
	assert_int_equal(crec_touch_format(&cases[2], buf, 20), 0);
}

/* The envelope: touch must be a string of bounded length; absent is no touches. */
static void
test_updates_touch_envelope(void **state)
{
	static const struct {
		const char *json;
		int ok;
		size_t tlen;
	} cases[] = {
		{ "{\"seq\":1,\"records\":[]}", 0, 0 },
		{ "{\"seq\":1,\"records\":[],\"touch\":\"1,1,0,0,0,0,0;\"}", 0, 14 },
		{ "{\"seq\":1,\"records\":[],\"touch\":[[1,1,0,0,0,0,0]]}", -1, 0 },
		{ "{\"seq\":1,\"records\":[],\"touch\":7}", -1, 0 },
		{ "{\"seq\":0,\"records\":[],\"touch\":\"\"}", -1, 0 },
	};
	size_t i, tlen;
	const json_t *recs;
	const char *touches, *why;
	uint64_t seq;
	json_t *j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_non_null(j = json_loads(cases[i].json, 0, NULL));
		if (crec_updates_decode(j, &seq, &recs, &touches, &tlen, &why) != cases[i].ok)
			fail_msg("%s: want %d", cases[i].json, cases[i].ok);
		if (cases[i].ok == 0 && tlen != cases[i].tlen)
			fail_msg("%s: touch length %zu", cases[i].json, tlen);
		if (cases[i].ok == -1 && why == NULL)
			fail_msg("%s: refused without a why", cases[i].json);
		json_decref(j);
	}
}

/* A touch text longer than a whole batch may be is refused before it is read. */
static void
test_updates_touch_too_long(void **state)
{
	size_t len = (size_t)CREC_BATCH_MAX * CREC_TOUCH_TEXT_MAX + 1, tlen;
	char *s = malloc(len + 1);
	const json_t *recs;
	const char *touches, *why;
	uint64_t seq;
	json_t *j;

	(void)state;
	assert_non_null(s);
	memset(s, ';', len);
	s[len] = '\0';
	j = json_pack("{s:I, s:[], s:s}", "seq", (json_int_t)1, "records", "touch", s);
	assert_non_null(j);
	assert_int_equal(crec_updates_decode(j, &seq, &recs, &touches, &tlen, &why), -1);
	assert_non_null(why);
	json_decref(j);
	free(s);
}

/* a whole record with every field set, as a worker sends it */
static void
record_fill(struct crec_record *r)
{
	memset(r, 0, sizeof(*r));
	r->id = 7;
	r->sid = 42;
	r->first.g = r->last.g = 1700000000;
	r->last.l = 12;
	r->nrx = 13;
	r->sseq = 4;
	r->live = 1;
	r->mark_ms = 5;
	r->st.status = 1;
	r->st.last_keepalive = 1700000100;
	snprintf(r->st.manager, sizeof(r->st.manager), "worker1");
	snprintf(r->st.info.version, sizeof(r->st.info.version), "Wazuh v4.12.0");
}

/*
 * proc_start_ms (when the session's agent said "Agent started"): read back as
 * sent; a record without it (an older worker) is a session without a proof
 * (0); a value that is not a non-negative integer makes the record invalid.
 */
static void
test_record_proc_start(void **state)
{
	static const struct {
		const char *name;
		int64_t want;
	} rows[] = {
		{ "absent (older worker)", 0 },   /* row 0: the key is taken out */
		{ "zero", 0 },
		{ "a time", 1767225600123 },
		{ "largest", INT64_MAX },
	};
	struct crec_record r, back;
	const char *why;
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		record_fill(&r);
		r.st.proc_start_ms = rows[i].want;
		assert_non_null(j = crec_record_encode(&r));
		if (i == 0) {
			/* the record of a worker that does not know the field */
			assert_int_equal(json_object_del(j, "proc_start_ms"), 0);
		} else {
			assert_true(json_is_integer(json_object_get(j, "proc_start_ms")));
		}
		if (crec_record_decode(j, &back, &why) != 0)
			fail_msg("%s: refused: %s", rows[i].name, why);
		if (back.st.proc_start_ms != rows[i].want)
			fail_msg("%s: proc_start_ms %lld, want %lld", rows[i].name,
			    (long long)back.st.proc_start_ms, (long long)rows[i].want);
		/* the rest of the record is untouched by the new field */
		assert_true(back.id == 7 && back.sid == 42 && back.sseq == 4 && back.live == 1);
		assert_string_equal(back.st.manager, "worker1");
		json_decref(j);
	}
}

static void
test_record_proc_start_bad(void **state)
{
	static const char *const bad[] = { "-1", "1.5", "\"1767225600123\"", "true", "null",
	    "[1]", "{}", "9223372036854775808" };
	struct crec_record r, back;
	const char *why;
	json_t *j, *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		record_fill(&r);
		assert_non_null(j = crec_record_encode(&r));
		v = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		if (v == NULL) {   /* jansson refuses 2^63 itself: a huge integer never decodes */
			json_decref(j);
			continue;
		}
		assert_int_equal(json_object_set_new(j, "proc_start_ms", v), 0);
		if (crec_record_decode(j, &back, &why) != -1)
			fail_msg("proc_start_ms %s accepted", bad[i]);
		assert_non_null(why);
		assert_string_equal(why, "record: bad proc_start_ms");
		json_decref(j);
	}
}

/*
 * The job of a restart frame: read back as sent; absent (a master built before
 * the field) is 0, no job, and 0 is left out when encoding; anything but an
 * integer 1 .. 2^63-1 makes the frame invalid, never a job 0.
 */
static void
test_command_job(void **state)
{
	static const struct {
		const char *body;
		int ok;
		uint64_t job;
	} rows[] = {
		{ "{\"req\":5,\"agents\":[[1,2]]}", 1, 0 },
		{ "{\"req\":5,\"agents\":[[1,2]],\"job\":42}", 1, 42 },
		{ "{\"req\":5,\"agents\":[],\"job\":1,\"cmd\":\"reconnect\"}", 1, 1 },
		{ "{\"req\":5,\"agents\":[[1,2]],\"job\":9223372036854775807}", 1, INT64_MAX },
		{ "{\"req\":5,\"agents\":[[1,2]],\"job\":0}", 0, 0 },
		{ "{\"req\":5,\"agents\":[[1,2]],\"job\":-1}", 0, 0 },
		{ "{\"req\":5,\"agents\":[[1,2]],\"job\":\"42\"}", 0, 0 },
		{ "{\"req\":5,\"agents\":[[1,2]],\"job\":1.5}", 0, 0 },
		{ "{\"req\":5,\"agents\":[[1,2]],\"job\":null}", 0, 0 },
		{ "{\"req\":5,\"agents\":[[1,2]],\"job\":true}", 0, 0 },
		{ "{\"req\":5,\"agents\":[[1,2]],\"job\":[42]}", 0, 0 },
	};
	struct crec_command c, back;
	const char *why;
	json_t *j, *e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_non_null(j = json_loads(rows[i].body, 0, NULL));
		if (crec_command_decode(j, &c, &why) != (rows[i].ok ? 0 : -1))
			fail_msg("%s: %s", rows[i].body, rows[i].ok ? why : "accepted");
		json_decref(j);
		if (!rows[i].ok) {
			assert_string_equal(why, "restart: bad job");
			assert_null(c.agents);
			continue;
		}
		if (c.job != rows[i].job)
			fail_msg("%s: job %llu", rows[i].body, (unsigned long long)c.job);
		/* what a node sends on is what it read; no job, no field */
		assert_non_null(e = crec_command_encode(c.req, c.job, c.cmd, c.agents, c.n));
		assert_int_equal(json_object_get(e, "job") != NULL, c.job != 0);
		assert_int_equal(crec_command_decode(e, &back, &why), 0);
		assert_true(back.job == c.job && back.req == 5 && back.cmd == c.cmd && back.n == c.n);
		json_decref(e);
		crec_command_free(&back);
		crec_command_free(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_touch_text_table),
		cmocka_unit_test(test_touch_format_reads_back),
		cmocka_unit_test(test_updates_touch_envelope),
		cmocka_unit_test(test_updates_touch_too_long),
		cmocka_unit_test(test_record_proc_start),
		cmocka_unit_test(test_record_proc_start_bad),
		cmocka_unit_test(test_command_job),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
