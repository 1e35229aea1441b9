/* test_api_verify.c — password checks on the pool's threads, results on the loop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "node/api/api_verify.h"
#include "node/api/auth.h"

struct result {
	int calls;
	int ok;
	char hash[AUTH_HASH_MAX];   /* a hash job's result, "" for NULL */
};

static void
done_cb(void *arg, int ok)
{
	struct result *r = arg;

	r->calls++;
	r->ok = ok;
}

static void
hashed_cb(void *arg, const char *hash)
{
	struct result *r = arg;

	r->calls++;
	r->ok = hash != NULL;
	snprintf(r->hash, sizeof(r->hash), "%s", hash != NULL ? hash : "");
}

/* run_until: runs base until every result in v[0..n) has been called back (bounded). */
static void
run_until(struct event_base *base, struct result *v, size_t n)
{
	struct timeval tick = { 0, 20000 };
	size_t i, left;
	int turns;

	for (turns = 0; turns < 3000; turns++) {
		for (i = 0, left = 0; i < n; i++)
			left += v[i].calls == 0;
		if (left == 0)
			return;
		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
	fail_msg("the checks did not come back");
}

/* Each check comes back once, with its verdict; the queue's bound refuses at once. */
static void
test_checks(void **state)
{
	static const struct {
		const char *password;
		int use_hash;     /* 1: the hash of "correct horse"; 0: a malformed one */
		int want;
	} rows[] = {
		{ "correct horse", 1, 1 },
		{ "correct hors", 1, 0 },
		{ "correct horse ", 1, 0 },
		{ "", 1, 0 },
		{ "correct horse", 0, 0 },
		{ "", 0, 0 },
	};
	enum { N = sizeof(rows) / sizeof(rows[0]) };
	struct event_base *base;
	struct api_verify *v;
	struct result res[N], extra;
	char hash[AUTH_HASH_MAX];
	size_t i;

	(void)state;
	memset(res, 0, sizeof(res));
	memset(&extra, 0, sizeof(extra));
	assert_int_equal(auth_password_hash("correct horse", hash), 0);
	assert_non_null(base = event_base_new());
	assert_non_null(v = api_verify_new(base, 2, N));
	for (i = 0; i < N; i++)
		assert_int_equal(api_verify_submit(v, rows[i].password,
		    rows[i].use_hash ? hash : "pbkdf2$x", done_cb, &res[i]), 0);
	assert_int_equal(api_verify_pending(v), N);
	/* Full: refused, and never called back. */
	assert_int_equal(api_verify_submit(v, "correct horse", hash, done_cb, &extra), -1);
	run_until(base, res, N);
	for (i = 0; i < N; i++) {
		assert_int_equal(res[i].calls, 1);
		if (res[i].ok != rows[i].want)
			fail_msg("row %zu: got %d, want %d", i, res[i].ok, rows[i].want);
	}
	assert_int_equal(api_verify_pending(v), 0);
	/* Room again. */
	assert_int_equal(api_verify_submit(v, "correct horse", hash, done_cb, &extra), 0);
	run_until(base, &extra, 1);
	assert_int_equal(extra.calls, 1);
	assert_int_equal(extra.ok, 1);
	api_verify_free(v);
	assert_int_equal(extra.calls, 1);
	api_verify_free(NULL);
	event_base_free(base);
}

/*
 * Freed with checks queued: each is called back exactly once, at once, with
 * its verdict if it was checked and -1 if not.
 */
static void
test_free_with_checks_queued(void **state)
{
	enum { N = 8 };
	struct event_base *base;
	struct api_verify *v;
	struct result res[N];
	char hash[AUTH_HASH_MAX];
	size_t i;

	(void)state;
	memset(res, 0, sizeof(res));
	assert_int_equal(auth_password_hash("pw", hash), 0);
	assert_non_null(base = event_base_new());
	assert_non_null(v = api_verify_new(base, 1, N));
	for (i = 0; i < N; i++)
		assert_int_equal(api_verify_submit(v, "pw", hash, done_cb, &res[i]), 0);
	api_verify_free(v);
	for (i = 0; i < N; i++) {
		assert_int_equal(res[i].calls, 1);
		assert_true(res[i].ok == 1 || res[i].ok == -1);
	}
	event_base_free(base);
}

/*
 * Hash jobs share the threads and the queue with checks: each comes back once
 * with a hash of its own password (salted: two hashes of one password differ),
 * which checks true for it; a full queue refuses them at once; freed before
 * they ran, they come back NULL.
 */
static void
test_hash_jobs(void **state)
{
	static const char *const pw[] = { "correct horse", "battery staple", "correct horse" };
	enum { N = sizeof(pw) / sizeof(pw[0]) };
	struct event_base *base;
	struct api_verify *v;
	struct result res[N], extra, queued[4];
	size_t i;

	(void)state;
	memset(res, 0, sizeof(res));
	memset(&extra, 0, sizeof(extra));
	memset(queued, 0, sizeof(queued));
	assert_non_null(base = event_base_new());
	assert_non_null(v = api_verify_new(base, 2, N));
	for (i = 0; i < N; i++)
		assert_int_equal(api_verify_hash(v, pw[i], hashed_cb, &res[i]), 0);
	assert_int_equal(api_verify_submit(v, "x", "pbkdf2$x", done_cb, &extra), -1);
	assert_int_equal(api_verify_hash(v, "x", hashed_cb, &extra), -1);
	run_until(base, res, N);
	for (i = 0; i < N; i++) {
		assert_int_equal(res[i].calls, 1);
		assert_int_equal(res[i].ok, 1);
		assert_int_equal(strncmp(res[i].hash, "pbkdf2$", 7), 0);
		assert_int_equal(auth_password_check(pw[i], res[i].hash), 1);
		assert_int_equal(auth_password_check("wrong", res[i].hash), 0);
	}
	assert_string_not_equal(res[0].hash, res[2].hash);
	assert_int_equal(extra.calls, 0);
	api_verify_free(v);

	assert_non_null(v = api_verify_new(base, 1, 4));
	for (i = 0; i < 4; i++)
		assert_int_equal(api_verify_hash(v, "pw", hashed_cb, &queued[i]), 0);
	api_verify_free(v);
	for (i = 0; i < 4; i++) {
		assert_int_equal(queued[i].calls, 1);
		if (queued[i].ok)
			assert_int_equal(auth_password_check("pw", queued[i].hash), 1);
		else
			assert_string_equal(queued[i].hash, "");
	}
	event_base_free(base);
}

/*
 * Freed while a check runs: the check is given up (-1), not finished.  A
 * stored hash may ask for 10,000,000 rounds, seconds of CPU (a minute in the
 * sanitizer build on a busy machine), and a node being stopped waited for all
 * of them: its stop timed out with checks running.  The pool's one thread
 * takes the first check at once and needs those seconds to finish it while
 * api_verify_free follows the submits within microseconds; the password is
 * wrong, so a finished check would come back 0, where a given-up one is -1.
 */
static void
test_free_stops_a_running_check(void **state)
{
	static const char slow[] = "pbkdf2$10000000$00112233445566778899aabbccddeeff$"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	enum { N = 3 };
	struct event_base *base;
	struct api_verify *v;
	struct timespec ms = { 0, 1000000 };
	struct result res[N], hashed;
	size_t i;

	(void)state;
	memset(res, 0, sizeof(res));
	memset(&hashed, 0, sizeof(hashed));
	assert_non_null(base = event_base_new());
	assert_non_null(v = api_verify_new(base, 1, N + 1));
	for (i = 0; i < N; i++)
		assert_int_equal(api_verify_submit(v, "wrong", slow, done_cb, &res[i]), 0);
	assert_int_equal(api_verify_hash(v, "pw", hashed_cb, &hashed), 0);
	/* the thread has taken the first check (bounded wait) */
	for (i = 0; i < 30000 && api_verify_queued(v) != N; i++)
		nanosleep(&ms, NULL);
	assert_int_equal(api_verify_queued(v), N);
	api_verify_free(v);
	for (i = 0; i < N; i++) {
		assert_int_equal(res[i].calls, 1);
		if (res[i].ok != -1)
			fail_msg("check %zu: got %d, want -1 (given up)", i, res[i].ok);
	}
	assert_int_equal(hashed.calls, 1);
	assert_int_equal(hashed.ok, 0);
	event_base_free(base);
}

static void
test_bad_settings(void **state)
{
	struct event_base *base;

	(void)state;
	assert_non_null(base = event_base_new());
	assert_null(api_verify_new(base, 0, 4));
	assert_null(api_verify_new(base, API_VERIFY_MAX_THREADS + 1, 4));
	assert_null(api_verify_new(base, 1, 0));
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_free_with_checks_queued),
		cmocka_unit_test(test_free_stops_a_running_check),
		cmocka_unit_test(test_hash_jobs),
		cmocka_unit_test(test_bad_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
