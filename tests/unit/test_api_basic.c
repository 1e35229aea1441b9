/* test_api_basic.c — HTTP Basic credential parsing for the login endpoint. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "node/api/api_query.h"

static void
test_valid(void **state)
{
	char u[64], p[64];

	(void)state;
	/* wazuh:wazuh */
	assert_int_equal(api_parse_basic_auth("Basic d2F6dWg6d2F6dWg=", u, sizeof(u), p, sizeof(p)), 0);
	assert_string_equal(u, "wazuh");
	assert_string_equal(p, "wazuh");
	/* a:b:c — the password may contain ':'; scheme is case-insensitive */
	assert_int_equal(api_parse_basic_auth("basic  YTpiOmM=", u, sizeof(u), p, sizeof(p)), 0);
	assert_string_equal(u, "a");
	assert_string_equal(p, "b:c");
	/* ":" — empty user and password parse (and will not authenticate) */
	assert_int_equal(api_parse_basic_auth("Basic Og==", u, sizeof(u), p, sizeof(p)), 0);
	assert_string_equal(u, "");
	assert_string_equal(p, "");
	/* "ab:cd" needs no padding */
	assert_int_equal(api_parse_basic_auth("Basic YWI6Y2Q=", u, sizeof(u), p, sizeof(p)), 0);
	assert_string_equal(p, "cd");
}

static void
test_invalid(void **state)
{
	char u[8], p[8];
	static const char *const bad[] = {
		NULL, "", "Basic", "Basic ", "Bearer d2F6dWg6d2F6dWg=", "Basic !!!!",
		"Basic d2F6dWg", "Basic d2F6dWg6d2F6dWg", "Basic bm9jb2xvbg==" /* "nocolon" */,
		"Basic YQBiOmM=" /* "a\0b:c" */, "Basic ====",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(api_parse_basic_auth(bad[i], u, sizeof(u), p, sizeof(p)), -1);
	/* Too long for the buffers: "longusername:x" */
	assert_int_equal(api_parse_basic_auth("Basic bG9uZ3VzZXJuYW1lOng=", u, sizeof(u), p,
	    sizeof(p)), -1);
}

static void
test_oversized(void **state)
{
	char big[2048], u[64], p[64];

	(void)state;
	memcpy(big, "Basic ", 6);
	memset(big + 6, 'Q', 1024);
	big[6 + 1024] = '\0';
	assert_int_equal(api_parse_basic_auth(big, u, sizeof(u), p, sizeof(p)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_oversized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
