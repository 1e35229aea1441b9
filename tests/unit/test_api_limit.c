/* test_api_limit.c — login lock-out per IP, login rates per address and user, request rate per user. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "node/api/api_limit.h"

#define T0 1700000000

/* limits: a conf with the lock-out, request and login limits given, the rest off. */
static struct api_limit *
limits(int attempts, int block_time, int per_minute, int per_source, int per_user)
{
	struct api_limit_conf c = {
		.max_login_attempts = attempts,
		.block_time = block_time,
		.max_per_minute = per_minute,
		.logins_per_source = per_source,
		.logins_per_user = per_user,
	};

	return api_limit_new(&c);
}

static void
test_lockout(void **state)
{
	struct api_limit *l;

	(void)state;
	assert_non_null(l = limits(3, 300, 0, 0, 0));
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
	assert_non_null(l = limits(0, 300, 0, 0, 0));
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
	assert_non_null(l = limits(0, 300, 3, 0, 0));
	for (i = 0; i < 3; i++)
		assert_int_equal(api_limit_request(l, "alice", T0 + i), 0);
	assert_int_equal(api_limit_request(l, "alice", T0 + 30), -1);
	assert_int_equal(api_limit_request(l, "bob", T0 + 30), 0);
	/* The window is 60 s from its first request. */
	assert_int_equal(api_limit_request(l, "alice", T0 + 60), -1);
	assert_int_equal(api_limit_request(l, "alice", T0 + 61), 0);
	api_limit_free(l);

	assert_non_null(l = limits(0, 300, 0, 0, 0));
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
	assert_non_null(l = limits(1, 100, 1, 0, 0));
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

/*
 * Login rates: one row per attempt, in order, against one table of limits (3
 * per address, 2 per user name, per minute), with the verdict it must get.
 */
struct login_row {
	int t;                   /* seconds after T0 */
	const char *ip, *user;
	enum api_limit_login want;
};

static const struct login_row login_rows[] = {
	/* Every attempt counts, successful or not: the limits do not know outcomes. */
	{ 0, "10.0.0.1", "alice", API_LIMIT_LOGIN_OK },
	{ 1, "10.0.0.1", "alice", API_LIMIT_LOGIN_OK },
	/* alice's third attempt: over the user limit (the address counts it: 3 of 3). */
	{ 2, "10.0.0.1", "alice", API_LIMIT_LOGIN_USER },
	/* Another address is refused for alice too: the limit follows the name. */
	{ 3, "10.0.0.2", "alice", API_LIMIT_LOGIN_USER },
	/* 10.0.0.1 has made 3 attempts: the 4th is refused whoever it names... */
	{ 4, "10.0.0.1", "bob", API_LIMIT_LOGIN_SOURCE },
	{ 5, "10.0.0.1", "carol", API_LIMIT_LOGIN_SOURCE },
	/* ...and those refusals did not count against bob: he still has 2. */
	{ 6, "10.0.0.2", "bob", API_LIMIT_LOGIN_OK },
	{ 7, "10.0.0.3", "bob", API_LIMIT_LOGIN_OK },
	{ 8, "10.0.0.3", "bob", API_LIMIT_LOGIN_USER },
	/* Names that are no user are counted like any other. */
	{ 9, "10.0.0.4", "nosuchuser", API_LIMIT_LOGIN_OK },
	{ 9, "10.0.0.4", "nosuchuser", API_LIMIT_LOGIN_OK },
	{ 9, "10.0.0.4", "nosuchuser", API_LIMIT_LOGIN_USER },
	/* A refused attempt keeps counting for its address (10.0.0.4: 4th). */
	{ 10, "10.0.0.4", "dave", API_LIMIT_LOGIN_SOURCE },
	/* The window is 60 s from its first attempt: at T0 + 60 still closed... */
	{ 60, "10.0.0.1", "erin", API_LIMIT_LOGIN_SOURCE },
	{ 60, "10.0.0.5", "alice", API_LIMIT_LOGIN_USER },
	/* ...and open again after it, with a fresh count. */
	{ 61, "10.0.0.1", "erin", API_LIMIT_LOGIN_OK },
	{ 61, "10.0.0.5", "alice", API_LIMIT_LOGIN_OK },
	{ 62, "10.0.0.1", "alice", API_LIMIT_LOGIN_OK },
	{ 62, "10.0.0.1", "alice", API_LIMIT_LOGIN_USER },
	{ 63, "10.0.0.6", "alice", API_LIMIT_LOGIN_USER },
	{ 63, "10.0.0.1", "frank", API_LIMIT_LOGIN_SOURCE },
};

static void
test_login_rates(void **state)
{
	struct api_limit *l;
	size_t i;

	(void)state;
	assert_non_null(l = limits(0, 300, 0, 3, 2));
	for (i = 0; i < sizeof(login_rows) / sizeof(login_rows[0]); i++) {
		const struct login_row *r = &login_rows[i];
		enum api_limit_login got = api_limit_login(l, r->ip, r->user, T0 + r->t);

		if (got != r->want)
			fail_msg("row %zu (%s as %s at +%d): got %d, want %d", i, r->ip, r->user,
			    r->t, (int)got, (int)r->want);
	}
	api_limit_free(l);
}

/* Either limit alone; 0 turns each off; logins and requests are counted apart. */
static void
test_login_rates_off(void **state)
{
	struct api_limit *l;
	int i;

	(void)state;
	assert_non_null(l = limits(0, 300, 0, 0, 0));
	for (i = 0; i < 1000; i++)
		assert_int_equal(api_limit_login(l, "10.0.0.1", "alice", T0), API_LIMIT_LOGIN_OK);
	api_limit_free(l);

	assert_non_null(l = limits(0, 300, 0, 0, 2));
	assert_int_equal(api_limit_login(l, "10.0.0.1", "alice", T0), API_LIMIT_LOGIN_OK);
	assert_int_equal(api_limit_login(l, "10.0.0.1", "alice", T0), API_LIMIT_LOGIN_OK);
	assert_int_equal(api_limit_login(l, "10.0.0.1", "alice", T0), API_LIMIT_LOGIN_USER);
	for (i = 0; i < 100; i++)
		assert_int_equal(api_limit_login(l, "10.0.0.1", "bob", T0 + i % 2 + 1),
		    i < 2 ? API_LIMIT_LOGIN_OK : API_LIMIT_LOGIN_USER);
	api_limit_free(l);

	assert_non_null(l = limits(0, 300, 1, 1, 0));
	assert_int_equal(api_limit_login(l, "10.0.0.1", "alice", T0), API_LIMIT_LOGIN_OK);
	assert_int_equal(api_limit_login(l, "10.0.0.1", "bob", T0), API_LIMIT_LOGIN_SOURCE);
	/* alice's requests have their own count */
	assert_int_equal(api_limit_request(l, "alice", T0), 0);
	assert_int_equal(api_limit_request(l, "alice", T0), -1);
	assert_int_equal(api_limit_login(l, "10.0.0.2", "alice", T0), API_LIMIT_LOGIN_OK);
	api_limit_free(l);
}

static void
flood_key(char *ip, size_t ipcap, char *user, size_t ucap, int i)
{
	snprintf(ip, ipcap, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
	snprintf(user, ucap, "user%d", i);
}

/*
 * A flood of logins from ever new addresses and names never grows the tables
 * past their cap: the oldest entries go first (in the order they came, when
 * they came in the same second), and a stale entry before a live one.
 */
static void
test_login_tables_capped(void **state)
{
	struct api_limit *l;
	char ip[32], user[32], other[32];
	int i, j, n = 4 * API_LIMIT_MAX_KEYS;

	(void)state;
	assert_non_null(l = limits(0, 300, 0, 1, 1));
	assert_int_equal(api_limit_login(l, "192.0.2.1", "early", T0), API_LIMIT_LOGIN_OK);
	for (i = 0; i < n; i++) {
		flood_key(ip, sizeof(ip), user, sizeof(user), i);
		assert_int_equal(api_limit_login(l, ip, user, T0 + 10), API_LIMIT_LOGIN_OK);
	}
	/* The newest entries are all still counted, addresses and names... */
	for (j = n - 100; j < n; j++) {
		flood_key(ip, sizeof(ip), user, sizeof(user), j);
		snprintf(other, sizeof(other), "other%d", j);
		if (api_limit_login(l, ip, other, T0 + 10) != API_LIMIT_LOGIN_SOURCE)
			fail_msg("address %s (%d of %d) was forgotten", ip, j, n);
	}
	for (j = n - 100; j < n; j++) {
		flood_key(ip, sizeof(ip), user, sizeof(user), j);
		snprintf(other, sizeof(other), "192.0.3.%d", j - (n - 100));
		if (api_limit_login(l, other, user, T0 + 10) != API_LIMIT_LOGIN_USER)
			fail_msg("user %s (%d of %d) was forgotten", user, j, n);
	}
	/* ...while "early", the oldest, was forgotten: it may log in again. */
	assert_int_equal(api_limit_login(l, "192.0.2.1", "early", T0 + 10), API_LIMIT_LOGIN_OK);
	/* Once stale (a minute on), the whole flood goes at the next new entry. */
	assert_int_equal(api_limit_login(l, "198.51.100.1", "late", T0 + 80), API_LIMIT_LOGIN_OK);
	flood_key(ip, sizeof(ip), user, sizeof(user), n - 1);
	assert_int_equal(api_limit_login(l, ip, user, T0 + 80), API_LIMIT_LOGIN_OK);
	api_limit_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lockout),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_login_rates),
		cmocka_unit_test(test_login_rates_off),
		cmocka_unit_test(test_login_tables_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
