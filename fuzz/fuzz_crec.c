/* fuzz_crec.c — libFuzzer target: the input is one JSON value, given to each
 * of crec's decoders (a record, an updates envelope and its records, a fence,
 * a restart command).  What decodes must encode, and what it encodes to must
 * decode to the same struct and encode to the same JSON: a node never sends
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

static void
touch_roundtrip(const json_t *j)
{
	struct crec_touch a, b;
	const char *why = NULL;
	json_t *once;

	if (crec_touch_decode(j, &a, &why) == -1) {
		if (why == NULL)
			abort();
		return;
	}
	if ((once = crec_touch_encode(&a)) == NULL)
		abort();
	if (crec_touch_decode(once, &b, &why) == -1 || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	json_decref(once);
}

static void
updates_check(const json_t *j)
{
	const json_t *recs, *touches, *r;
	const char *why = NULL;
	uint64_t seq;
	size_t i;

	if (crec_updates_decode(j, &seq, &recs, &touches, &why) == -1) {
		if (why == NULL)
			abort();
		return;
	}
	if (seq < 1 || !json_is_array(recs) || json_array_size(recs) > CREC_BATCH_MAX)
		abort();
	if (touches != NULL && (!json_is_array(touches) ||
	    json_array_size(touches) > CREC_BATCH_MAX))
		abort();
	json_array_foreach(recs, i, r)
		record_roundtrip(r);
	json_array_foreach(touches, i, r)
		touch_roundtrip(r);
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
	once = crec_command_encode(a.req, a.cmd, a.agents, a.n);
	if (a.cmd == CREC_CMD_UNKNOWN) {
		/* a command this build cannot name is answered, never passed on */
		if (once != NULL)
			abort();
		crec_command_free(&a);
		return;
	}
	if (once == NULL || crec_command_decode(once, &b, &why) == -1)
		abort();
	if (a.req != b.req || a.cmd != b.cmd || a.n != b.n ||
	    (a.n > 0 && memcmp(a.agents, b.agents, a.n * sizeof(*a.agents)) != 0))
		abort();
	if ((twice = crec_command_encode(b.req, b.cmd, b.agents, b.n)) == NULL ||
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
