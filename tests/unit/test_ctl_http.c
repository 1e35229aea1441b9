/* test_ctl_http.c — vigilctl's HTTP response parser (ctl/http.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/http.h"

static void
test_head_content_length(void **state)
{
	static const char r[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 12\r\nDate: Fri, 27 Nov 2026 05:34:02 GMT\r\n\r\n{\"error\":0}\n";
	struct http_head h;
	int n;

	(void)state;
	n = http_parse_head(r, strlen(r), &h);
	assert_int_equal(n, (int)(strstr(r, "\r\n\r\n") - r + 4));
	assert_int_equal(h.status, 200);
	assert_int_equal(h.minor, 1);
	assert_int_equal(h.content_length, 12);
	assert_int_equal(h.chunked, 0);
	assert_int_equal(h.close, 0);
	assert_string_equal(h.content_type, "application/json");
	assert_string_equal(h.date, "Fri, 27 Nov 2026 05:34:02 GMT");
	assert_int_equal(http_parse_date(h.date), 1795757642LL);
	assert_string_equal(h.vigil_job, "");
}

/* X-Vigil-Job: the job of a restart answer, whatever the case of its name. */
static void
test_head_vigil_job(void **state)
{
	static const char r[] = "HTTP/1.1 200 OK\r\nx-vigil-job:  12 \r\n"
	    "Content-Length: 0\r\n\r\n";
	static const char longer[] = "HTTP/1.1 200 OK\r\nX-Vigil-Jobs: 3\r\n\r\n";
	struct http_head h;

	(void)state;
	assert_int_equal(http_parse_head(r, strlen(r), &h), (int)strlen(r));
	assert_string_equal(h.vigil_job, "12");
	assert_int_equal(http_parse_head(longer, strlen(longer), &h), (int)strlen(longer));
	assert_string_equal(h.vigil_job, "");
}

static void
test_head_incomplete(void **state)
{
	static const char r[] = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
	struct http_head h;
	size_t i;

	(void)state;
	/* every proper prefix needs more bytes */
	for (i = 0; i < strlen(r); i++)
		assert_int_equal(http_parse_head(r, i, &h), -2);
	assert_int_equal(http_parse_head(r, strlen(r), &h), (int)strlen(r));
	assert_int_equal(h.status, 401);
	assert_int_equal(h.content_length, 0);
}

static void
test_head_variants(void **state)
{
	struct http_head h;
	static const char lf[] = "HTTP/1.0 204\nConnection: keep-alive\n\n";
	static const char ch[] = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n"
	    "content-length: 5\r\nconnection: Close\r\n\r\n";

	(void)state;
	/* bare LF line ends and an empty reason */
	assert_int_equal(http_parse_head(lf, strlen(lf), &h), (int)strlen(lf));
	assert_int_equal(h.status, 204);
	assert_int_equal(h.minor, 0);
	assert_int_equal(h.close, 0);           /* HTTP/1.0 with keep-alive */
	/* chunked wins over Content-Length; header names are case-insensitive */
	assert_int_equal(http_parse_head(ch, strlen(ch), &h), (int)strlen(ch));
	assert_int_equal(h.chunked, 1);
	assert_int_equal(h.content_length, -1);
	assert_int_equal(h.close, 1);
}

static void
test_head_invalid(void **state)
{
	static const char *const bad[] = {
		"HTTP/2.0 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 099 Too low\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n",
		"SSH-2.0-OpenSSH\r\n\r\n",
		"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\001b\r\n\r\n",
	};
	struct http_head h;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(http_parse_head(bad[i], strlen(bad[i]), &h), -1);
}

static void
test_head_too_long(void **state)
{
	struct http_head h;
	char *big = malloc(HTTP_MAX_HEAD + 100);
	size_t n;

	(void)state;
	assert_non_null(big);
	n = (size_t)snprintf(big, 64, "HTTP/1.1 200 OK\r\nX: ");
	memset(big + n, 'a', HTTP_MAX_HEAD + 100 - n);
	/* no end of head within the limit: invalid, not "need more" forever */
	assert_int_equal(http_parse_head(big, HTTP_MAX_HEAD + 100, &h), -1);
	assert_int_equal(http_parse_head(big, HTTP_MAX_HEAD - 1, &h), -2);
	free(big);
}

static void
test_dechunk(void **state)
{
	static const char body[] = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: y\r\n\r\nNEXT";
	char out[64], inplace[sizeof(body)];
	size_t outlen = 0, i, end = strlen(body) - 4;

	(void)state;
	assert_int_equal(http_dechunk(body, strlen(body), out, sizeof(out), &outlen), (long long)end);
	assert_int_equal(outlen, 12);
	assert_memory_equal(out, "hello, world", 12);
	/* every prefix is incomplete, never invalid */
	for (i = 0; i < end; i++)
		assert_int_equal(http_dechunk(body, i, out, sizeof(out), &outlen), -2);
	/* decoding in place */
	memcpy(inplace, body, sizeof(body));
	assert_int_equal(http_dechunk(inplace, strlen(body), inplace, strlen(body), &outlen),
	    (long long)end);
	assert_memory_equal(inplace, "hello, world", 12);
	/* an empty body */
	assert_int_equal(http_dechunk("0\r\n\r\n", 5, out, sizeof(out), &outlen), 5);
	assert_int_equal(outlen, 0);
	/* LF-only line ends */
	assert_int_equal(http_dechunk("3\nabc\n0\n\n", 9, out, sizeof(out), &outlen), 9);
	assert_memory_equal(out, "abc", 3);
}

static void
test_dechunk_invalid(void **state)
{
	static const char *const bad[] = {
		"x\r\n", "5\r\nhelloXX0\r\n\r\n", "ffffffffffffffff\r\n", "-1\r\n", "5\r\nhello\r\n\r\n",
		"\r\n",
	};
	char out[8];
	size_t i, outlen;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(http_dechunk(bad[i], strlen(bad[i]), out, sizeof(out), &outlen), -1);
	/* more data than the output can hold */
	assert_int_equal(http_dechunk("9\r\n123456789\r\n0\r\n\r\n", 19, out, sizeof(out), &outlen),
	    -1);
}

static void
test_date(void **state)
{
	(void)state;
	assert_int_equal(http_parse_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
	assert_int_equal(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777LL);
	assert_int_equal(http_parse_date("Sun, 06 Nov 1994 08:49:37 UTC"), -1);
	assert_int_equal(http_parse_date("Sun, 06 Foo 1994 08:49:37 GMT"), -1);
	assert_int_equal(http_parse_date("Sun, 06 Nov 1994 25:49:37 GMT"), -1);
	assert_int_equal(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT trailing"), -1);
	assert_int_equal(http_parse_date(""), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_content_length),
		cmocka_unit_test(test_head_vigil_job),
		cmocka_unit_test(test_head_incomplete),
		cmocka_unit_test(test_head_variants),
		cmocka_unit_test(test_head_invalid),
		cmocka_unit_test(test_head_too_long),
		cmocka_unit_test(test_dechunk),
		cmocka_unit_test(test_dechunk_invalid),
		cmocka_unit_test(test_date),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
