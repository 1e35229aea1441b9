/* test_cmsg.c — cluster link frames. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "proto/cmsg.h"

static void
test_round_trip(void **state)
{
	json_t *b = json_pack("{s:i, s:s, s:s}", "proto", 1, "node", "worker1", "role", "worker");
	json_t *out = NULL;
	size_t len, i;
	uint8_t *f;
	int type = 0;

	(void)state;
	f = cmsg_encode(CMSG_HELLO, b, &len);
	assert_non_null(f);
	assert_int_equal(f[0], 0);
	assert_int_equal((size_t)f[3] + 4, len);          /* small: length in the last byte */
	assert_int_equal(f[4], CMSG_HELLO);
	/* Every prefix is incomplete, the whole frame decodes. */
	for (i = 0; i < len; i++)
		assert_int_equal(cmsg_decode(f, i, &type, &out), -2);
	assert_int_equal(cmsg_decode(f, len, &type, &out), (ssize_t)len);
	assert_int_equal(type, CMSG_HELLO);
	assert_true(json_equal(b, out));
	json_decref(out);
	json_decref(b);
	free(f);
}

static void
test_two_frames_in_one_buffer(void **state)
{
	json_t *a = json_pack("{s:i}", "seq", 7), *b = json_object(), *o;
	size_t la, lb;
	uint8_t *fa = cmsg_encode(CMSG_ACK, a, &la), *fb = cmsg_encode(CMSG_PING, b, &lb);
	uint8_t buf[256];
	int type;
	ssize_t used;

	(void)state;
	memcpy(buf, fa, la);
	memcpy(buf + la, fb, lb);
	used = cmsg_decode(buf, la + lb, &type, &o);
	assert_int_equal(used, (ssize_t)la);
	assert_int_equal(type, CMSG_ACK);
	assert_int_equal(json_integer_value(json_object_get(o, "seq")), 7);
	json_decref(o);
	assert_int_equal(cmsg_decode(buf + used, lb, &type, &o), (ssize_t)lb);
	assert_int_equal(type, CMSG_PING);
	json_decref(o);
	json_decref(a);
	json_decref(b);
	free(fa);
	free(fb);
}

static void
test_invalid(void **state)
{
	json_t *o = NULL;
	int type;
	static const uint8_t zero[] = { 0, 0, 0, 0, 1 };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 1 };
	static const uint8_t badtype[] = { 0, 0, 0, 3, 0, '{', '}' };
	static const uint8_t badtype2[] = { 0, 0, 0, 3, 99 };
	static const uint8_t notobj[] = { 0, 0, 0, 4, 1, '[', '1', ']' };
	static const uint8_t garbage[] = { 0, 0, 0, 4, 1, '{', 'x', '}' };
	static const uint8_t dupkey[] = { 0, 0, 0, 14, 1, '{', '"', 'a', '"', ':', '1', ',',
		'"', 'a', '"', ':', '2', '}' };

	(void)state;
	assert_int_equal(cmsg_decode(zero, sizeof(zero), &type, &o), -1);
	assert_int_equal(cmsg_decode(huge, sizeof(huge), &type, &o), -1);
	assert_int_equal(cmsg_decode(huge, 4, &type, &o), -1);     /* judged from the length alone */
	assert_int_equal(cmsg_decode(badtype, sizeof(badtype), &type, &o), -1);
	assert_int_equal(cmsg_decode(badtype2, sizeof(badtype2), &type, &o), -1);
	assert_int_equal(cmsg_decode(notobj, sizeof(notobj), &type, &o), -1);
	assert_int_equal(cmsg_decode(garbage, sizeof(garbage), &type, &o), -1);
	assert_int_equal(cmsg_decode(dupkey, sizeof(dupkey), &type, &o), -1);
	assert_null(o);
}

static void
test_encode_refuses(void **state)
{
	json_t *arr = json_array(), *obj = json_object();
	size_t len;

	(void)state;
	assert_null(cmsg_encode(CMSG_HELLO, arr, &len));
	assert_null(cmsg_encode(0, obj, &len));
	assert_null(cmsg_encode(CMSG_TYPE_MAX + 1, obj, &len));
	assert_string_equal(cmsg_type_name(CMSG_UPDATES), "updates");
	assert_string_equal(cmsg_type_name(CMSG_GROUPS), "groups");
	assert_int_equal(CMSG_GROUPS, 13);   /* docs/protocol.md: proto 3 */
	assert_string_equal(cmsg_type_name(0), "unknown");
	json_decref(arr);
	json_decref(obj);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_two_frames_in_one_buffer),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_encode_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
