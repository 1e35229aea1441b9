/* fuzz_crec.c — libFuzzer target: the input is read as a touch text, then as
 * one JSON value given to each of crec's decoders (a record, an updates
 * envelope with its records and touches, a fence, a restart command).  What
 * decodes must encode, and what it encodes to must decode to the same struct and encode to the same JSON: a node never sends
 * a body it would refuse, nor one that means something else. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/crec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* record_roundtrip: j as a record, and back (nothing to check if it is not one). */
static void
record_roundtrip(const json_t *j)
{
	struct crec_record a, b;
	const char *why = NULL;
	json_t *once, *twice;

	if (crec_record_decode(j, &a, &why) == -1) {
		if (why == NULL)
			abort();              /* refused without saying why */
		return;
	}
	if ((once = crec_record_encode(&a)) == NULL)
		abort();                      /* accepted, but cannot be sent on */
	if (crec_record_decode(once, &b, &why) == -1 || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	if ((twice = crec_record_encode(&b)) == NULL || !json_equal(once, twice))
		abort();
	json_decref(twice);
	json_decref(once);
}

/* touches_roundtrip: every touch of a touch text that decodes formats back to
 * text that decodes to the same struct. */
static void
touches_roundtrip(const char *p, size_t len)
{
	const char *end = p + len, *why, *q, *prev;
	struct crec_touch a, b;
	char buf[CREC_TOUCH_TEXT_MAX];
	size_t n;
	int got;

	for (prev = p; (got = crec_touch_next(&p, end, &a, &why)) != 0; prev = p) {
		if (p <= prev || p > end)
			abort();              /* no progress, or past the end */
		if (got == -1) {
			if (why == NULL)
				abort();
			continue;
		}
		if ((n = crec_touch_format(&a, buf, sizeof(buf))) == 0)
			abort();
		q = buf;
		if (crec_touch_next(&q, buf + n, &b, &why) != 1 || q != buf + n ||
		    memcmp(&a, &b, sizeof(a)) != 0)
			abort();
	}
}

static void
updates_check(const json_t *j)
{
	const json_t *recs, *r;
	const char *why = NULL, *touches;
	uint64_t seq;
	size_t i, tlen;

	if (crec_updates_decode(j, &seq, &recs, &touches, &tlen, &why) == -1) {
		if (why == NULL)
			abort();
		return;
	}
	if (seq < 1 || !json_is_array(recs) || json_array_size(recs) > CREC_BATCH_MAX)
		abort();
	if ((touches == NULL && tlen != 0) || tlen > (size_t)CREC_BATCH_MAX * CREC_TOUCH_TEXT_MAX)
		abort();
	json_array_foreach(recs, i, r)
		record_roundtrip(r);
	if (touches != NULL)
		touches_roundtrip(touches, tlen);
}

static void
fence_roundtrip(const json_t *j)
{
	struct crec_fence a, b;
	const char *why = NULL;
	json_t *once, *twice;

	if (crec_fence_decode(j, &a, &why) == -1) {
		if (why == NULL)
			abort();
		return;
	}
	if ((once = crec_fence_encode(&a)) == NULL)
		abort();
	if (crec_fence_decode(once, &b, &why) == -1 || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	if ((twice = crec_fence_encode(&b)) == NULL || !json_equal(once, twice))
		abort();
	json_decref(twice);
	json_decref(once);
}

static void
command_roundtrip(const json_t *j)
{
	struct crec_command a, b;
	const char *why = NULL;
	json_t *once, *twice;

	if (crec_command_decode(j, &a, &why) == -1) {
		if (why == NULL || a.agents != NULL || a.n != 0)
			abort();              /* nothing left allocated on failure */
		return;
	}
	once = crec_command_encode(a.req, a.job, a.cmd, a.agents, a.n);
	if (a.cmd == CREC_CMD_UNKNOWN) {
		/* a command this build cannot name is answered, never passed on */
		if (once != NULL)
			abort();
		crec_command_free(&a);
		return;
	}
	if (once == NULL || crec_command_decode(once, &b, &why) == -1)
		abort();
	if (a.req != b.req || a.job != b.job || a.cmd != b.cmd || a.n != b.n ||
	    (a.n > 0 && memcmp(a.agents, b.agents, a.n * sizeof(*a.agents)) != 0))
		abort();
	if ((twice = crec_command_encode(b.req, b.job, b.cmd, b.agents, b.n)) == NULL ||
	    !json_equal(once, twice))
		abort();
	json_decref(twice);
	json_decref(once);
	crec_command_free(&b);
	crec_command_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j;

	touches_roundtrip((const char *)data, size);   /* the input as a touch text too */
	/* as cmsg_decode reads a body: one value, duplicate keys refused */
	if ((j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, NULL)) == NULL)
		return 0;
	record_roundtrip(j);
	updates_check(j);
	fence_roundtrip(j);
	command_roundtrip(j);
	json_decref(j);
	return 0;
}
