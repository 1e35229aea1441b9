/* fuzz_cbody.c — libFuzzer target: cluster frames (cmsg_decode), then each
 * body through its cbody decoder.  A body that decodes must encode, and what
 * it encodes to must decode and encode to the same JSON again: a peer never
 * receives from us what we would refuse from it.  updates, fence and
 * restart are crec's and are skipped here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/cbody.h"
#include "proto/cmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* recode: body decoded as type and encoded again; NULL if it does not
 * decode, and an abort if it decodes but does not encode. */
static json_t *
recode(int type, const json_t *body)
{
	json_t *out = NULL;
	const char *why = NULL;
	int rc = -1;

	switch (type) {
	case CMSG_HELLO: {
		struct cbody_hello h;

		if ((rc = cbody_hello_decode(body, &h, &why)) == 0)
			out = cbody_hello_encode(&h);
		break;
	}
	case CMSG_ERROR: {
		struct cbody_error e;

		if ((rc = cbody_error_decode(body, &e, &why)) == 0)
			out = cbody_error_encode(&e);
		break;
	}
	case CMSG_ACK: {
		struct cbody_ack a;

		if ((rc = cbody_ack_decode(body, &a, &why)) == 0)
			out = cbody_ack_encode(&a);
		break;
	}
	case CMSG_KEYS: {
		struct cbody_keys k;

		if ((rc = cbody_keys_decode(body, &k, &why)) == 0)
			out = cbody_keys_encode(&k);
		cbody_keys_free(&k);
		break;
	}
	case CMSG_GROUPS: {
		struct cbody_groups g;

		if ((rc = cbody_groups_decode(body, &g, &why)) == 0)
			out = cbody_groups_encode(&g);
		cbody_groups_free(&g);
		break;
	}
	case CMSG_RESULT: {
		struct cbody_result r;

		if ((rc = cbody_result_decode(body, &r, &why)) == 0)
			out = cbody_result_encode(&r);
		cbody_result_free(&r);
		break;
	}
	case CMSG_ENROLL: {
		struct cbody_enroll e;

		if ((rc = cbody_enroll_decode(body, &e, &why)) == 0)
			out = cbody_enroll_encode(&e);
		break;
	}
	case CMSG_ENROLL_REPLY: {
		struct cbody_enroll_reply r;

		if ((rc = cbody_enroll_reply_decode(body, &r, &why)) == 0)
			out = cbody_enroll_reply_encode(&r);
		break;
	}
	case CMSG_PING:
	case CMSG_PONG:
		if ((rc = cbody_empty_decode(body, &why)) == 0)
			out = cbody_empty_encode();
		break;
	default:
		return NULL;
	}
	if (rc == -1 && why == NULL)
		abort();          /* refused without saying why */
	if (rc == 0 && out == NULL)
		abort();          /* accepted, but cannot be sent on */
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, len;
	ssize_t used;
	json_t *body, *once, *twice;
	uint8_t *frame;
	int type;

	while (off < size) {
		used = cmsg_decode(data + off, size - off, &type, &body);
		if (used < 0)
			break;
		if ((once = recode(type, body)) != NULL) {
			/* what we send goes through a frame and back unchanged */
			if ((frame = cmsg_encode(type, once, &len)) == NULL)
				abort();
			free(frame);
			if ((twice = recode(type, once)) == NULL || !json_equal(once, twice))
				abort();
			json_decref(twice);
			json_decref(once);
		}
		json_decref(body);
		off += (size_t)used;
	}
	return 0;
}
