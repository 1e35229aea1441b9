/* test_frame.c — the 4-byte little-endian length framing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/frame.h"

static void
test_header_le(void **state)
{
	uint8_t hdr[4];

	(void)state;
	frame_put_header(hdr, 85);
	assert_memory_equal(hdr, "\x55\x00\x00\x00", 4);
	frame_put_header(hdr, 0x01020304);
	assert_memory_equal(hdr, "\x04\x03\x02\x01", 4);
	frame_put_header(hdr, FRAME_MAX);
	assert_memory_equal(hdr, "\x00\x00\x01\x00", 4);
}

static void
test_decode_one(void **state)
{
	uint8_t buf[16] = {5, 0, 0, 0, '#', 'p', 'i', 'n', 'g'};
	const uint8_t *p = NULL;
	size_t plen = 0;

	(void)state;
	assert_int_equal(frame_decode(buf, 9, &p, &plen), 9);
	assert_ptr_equal(p, buf + 4);
	assert_int_equal(plen, 5);
	assert_memory_equal(p, "#ping", 5);
	/* Extra bytes after the frame are not consumed. */
	assert_int_equal(frame_decode(buf, sizeof(buf), &p, &plen), 9);
}

static void
test_decode_incomplete(void **state)
{
	uint8_t buf[9] = {5, 0, 0, 0, '#', 'p', 'i', 'n', 'g'};
	const uint8_t *p = NULL;
	size_t plen = 0, i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(frame_decode(buf, i, &p, &plen), -2);
	assert_null(p);
}

static void
test_decode_bad_length(void **state)
{
	uint8_t zero[8] = {0, 0, 0, 0, 'x'};
	uint8_t big[4];
	uint8_t huge[4] = {0xff, 0xff, 0xff, 0xff};
	const uint8_t *p;
	size_t plen;

	(void)state;
	assert_int_equal(frame_decode(zero, sizeof(zero), &p, &plen), -1);
	frame_put_header(big, FRAME_MAX + 1);
	/* Refused from the header alone, before the payload arrives. */
	assert_int_equal(frame_decode(big, 4, &p, &plen), -1);
	assert_int_equal(frame_decode(huge, 4, &p, &plen), -1);
}

static void
test_decode_max(void **state)
{
	uint8_t *buf = calloc(1, 4 + FRAME_MAX);
	const uint8_t *p;
	size_t plen;

	(void)state;
	assert_non_null(buf);
	frame_put_header(buf, FRAME_MAX);
	assert_int_equal(frame_decode(buf, 4 + FRAME_MAX - 1, &p, &plen), -2);
	assert_int_equal(frame_decode(buf, 4 + FRAME_MAX, &p, &plen), 4 + FRAME_MAX);
	assert_int_equal(plen, FRAME_MAX);
	free(buf);
}

static void
test_decode_stream(void **state)
{
	uint8_t buf[64];
	const uint8_t *p;
	size_t plen, off = 0, n = 0;
	ssize_t used;

	(void)state;
	/* Three frames back to back, at an odd offset (no alignment assumed). */
	frame_put_header(buf + 1, 3);
	memcpy(buf + 5, "abc", 3);
	frame_put_header(buf + 8, 1);
	buf[12] = 'd';
	frame_put_header(buf + 13, 2);
	memcpy(buf + 17, "ef", 2);
	off = 1;
	while ((used = frame_decode(buf + off, 19 - off, &p, &plen)) > 0) {
		n++;
		off += (size_t)used;
	}
	assert_int_equal(used, -2);
	assert_int_equal(n, 3);
	assert_int_equal(off, 19);
	assert_int_equal(plen, 2);
	assert_memory_equal(p, "ef", 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_le),
		cmocka_unit_test(test_decode_one),
		cmocka_unit_test(test_decode_incomplete),
		cmocka_unit_test(test_decode_bad_length),
		cmocka_unit_test(test_decode_max),
		cmocka_unit_test(test_decode_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
