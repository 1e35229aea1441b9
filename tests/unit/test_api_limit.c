/* test_api_limit.c — login lock-out per IP and request rate per user. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "node/api/api_limit.h"

#define T0 1700000000

static void
test_lockout(void **state)
{
	struct api_limit *l;

	(void)state;
	assert_non_null(l = api_limit_new(3, 300, 0));
	assert_int_equal(api_limit_blocked(l, "10.0.0.1", T0), 0);
	api_limit_login_failed(l, "10.0.0.1", T0);
	api_limit_login_failed(l, "10.0.0.1", T0 + 10);
	assert_int_equal(api_limit_blocked(l, "10.0.0.1", T0 + 10), 0);
	api_limit_login_failed(l, "10.0.0.1", T0 + 20);
	/* The third failure blocks; another address is not affected. */
	assert_int_equal(api_limit_blocked(l, "10.0.0.1", T0 + 20), 1);
	assert_int_equal(api_limit_blocked(l, "10.0.0.2", T0 + 20), 0);
	/* Blocked until block_time after the first failure. */
	assert_int_equal(api_limit_blocked(l, "10.0.0.1", T0 + 299), 1);
	assert_int_equal(api_limit_blocked(l, "10.0.0.1", T0 + 300), 0);
	/* Then counting starts over. */
	api_limit_login_failed(l, "10.0.0.1", T0 + 301);
	assert_int_equal(api_limit_blocked(l, "10.0.0.1", T0 + 301), 0);
	/* Failures spread over more than block_time never add up to a block. */
	api_limit_login_failed(l, "10.0.0.3", T0);
	api_limit_login_failed(l, "10.0.0.3", T0 + 200);
	api_limit_login_failed(l, "10.0.0.3", T0 + 400);
	assert_int_equal(api_limit_blocked(l, "10.0.0.3", T0 + 400), 0);
	api_limit_free(l);

	/* 0 attempts: lock-out off. */
	assert_non_null(l = api_limit_new(0, 300, 0));
	api_limit_login_failed(l, "10.0.0.1", T0);
	assert_int_equal(api_limit_blocked(l, "10.0.0.1", T0), 0);
	api_limit_free(l);
	api_limit_free(NULL);
}

static void
test_rate(void **state)
{
	struct api_limit *l;
	int i;

	(void)state;
	assert_non_null(l = api_limit_new(0, 300, 3));
	for (i = 0; i < 3; i++)
		assert_int_equal(api_limit_request(l, "alice", T0 + i), 0);
	assert_int_equal(api_limit_request(l, "alice", T0 + 30), -1);
	assert_int_equal(api_limit_request(l, "bob", T0 + 30), 0);
	/* The window is 60 s from its first request. */
	assert_int_equal(api_limit_request(l, "alice", T0 + 60), -1);
	assert_int_equal(api_limit_request(l, "alice", T0 + 61), 0);
	api_limit_free(l);

	assert_non_null(l = api_limit_new(0, 300, 0));
	for (i = 0; i < 1000; i++)
		assert_int_equal(api_limit_request(l, "alice", T0), 0);
	api_limit_free(l);
}

/* A full table forgets stale entries first, then the oldest: it never grows past its cap. */
static void
test_table_full(void **state)
{
	struct api_limit *l;
	char ip[32];
	int i;

	(void)state;
	assert_non_null(l = api_limit_new(1, 100, 1));
	api_limit_login_failed(l, "192.0.2.1", T0);
	for (i = 0; i < API_LIMIT_MAX_KEYS - 1; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.1", i / 256, i % 256);
		api_limit_login_failed(l, ip, T0 + 50);
	}
	assert_int_equal(api_limit_blocked(l, "192.0.2.1", T0 + 60), 1);
	/* Full: a new address pushes out the oldest entry. */
	api_limit_login_failed(l, "198.51.100.1", T0 + 60);
	assert_int_equal(api_limit_blocked(l, "198.51.100.1", T0 + 60), 1);
	assert_int_equal(api_limit_blocked(l, "192.0.2.1", T0 + 60), 0);
	assert_int_equal(api_limit_blocked(l, "10.0.0.1", T0 + 60), 1);
	/* Once they are stale, all of them go at the next addition. */
	api_limit_login_failed(l, "198.51.100.2", T0 + 200);
	assert_int_equal(api_limit_blocked(l, "198.51.100.2", T0 + 200), 1);
	for (i = 0; i < API_LIMIT_MAX_KEYS + 10; i++) {
		snprintf(ip, sizeof(ip), "user%d", i);
		assert_int_equal(api_limit_request(l, ip, T0), 0);
	}
	api_limit_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lockout),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_table_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
