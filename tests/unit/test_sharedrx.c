/* test_sharedrx.c — the agent's receiver of pushed files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "agent/sharedrx.h"

#define UP_HELLO "#!-up file 5eb63bbbe01eeed093cb22bb8f5acdc3 merged.mg\n"   /* md5("hello world") */
#define CLOSE "#!-close file "

static enum sharedrx_result
feed(struct sharedrx *rx, const char *s)
{
	return sharedrx_feed(rx, s, strlen(s));
}

static void
test_chunks_then_close(void **state)
{
	struct sharedrx rx;

	(void)state;
	sharedrx_init(&rx);
	assert_int_equal(feed(&rx, "hello"), SHAREDRX_NOT_MINE);      /* no file open */
	assert_int_equal(feed(&rx, UP_HELLO), SHAREDRX_MORE);
	assert_int_equal(feed(&rx, "hello"), SHAREDRX_MORE);
	assert_int_equal(feed(&rx, "#!-agent ack "), SHAREDRX_NOT_MINE); /* other control */
	assert_int_equal(feed(&rx, " world"), SHAREDRX_MORE);
	assert_int_equal(feed(&rx, CLOSE), SHAREDRX_DONE);
	assert_int_equal(rx.len, 11);
	assert_memory_equal(rx.buf, "hello world", 11);
	assert_string_equal(rx.name, "merged.mg");
	assert_string_equal(rx.md5, "5eb63bbbe01eeed093cb22bb8f5acdc3");
	/* Closed: chunks are not ours any more; a second close is bad. */
	assert_int_equal(feed(&rx, "x"), SHAREDRX_NOT_MINE);
	assert_int_equal(feed(&rx, CLOSE), SHAREDRX_BAD);
	sharedrx_free(&rx);
}

static void
test_bad_md5_and_restart(void **state)
{
	struct sharedrx rx;

	(void)state;
	sharedrx_init(&rx);
	assert_int_equal(feed(&rx, UP_HELLO), SHAREDRX_MORE);
	assert_int_equal(feed(&rx, "hello there"), SHAREDRX_MORE);
	assert_int_equal(feed(&rx, CLOSE), SHAREDRX_BAD);
	/* A new announcement starts over, dropping what came before. */
	assert_int_equal(feed(&rx, UP_HELLO), SHAREDRX_MORE);
	assert_int_equal(feed(&rx, "garbage"), SHAREDRX_MORE);
	assert_int_equal(feed(&rx, UP_HELLO), SHAREDRX_MORE);
	assert_int_equal(feed(&rx, "hello world"), SHAREDRX_MORE);
	assert_int_equal(feed(&rx, CLOSE), SHAREDRX_DONE);
	/* A malformed announcement is refused and leaves no file open. */
	assert_int_equal(feed(&rx, "#!-up file nothex merged.mg\n"), SHAREDRX_BAD);
	assert_int_equal(feed(&rx, "data"), SHAREDRX_NOT_MINE);
	sharedrx_free(&rx);
	sharedrx_free(&rx);   /* twice is harmless */
}

static void
test_empty_file_and_size_cap(void **state)
{
	struct sharedrx rx;
	char *big;

	(void)state;
	sharedrx_init(&rx);
	/* md5("") */
	assert_int_equal(feed(&rx, "#!-up file d41d8cd98f00b204e9800998ecf8427e merged.mg\n"),
	    SHAREDRX_MORE);
	assert_int_equal(feed(&rx, CLOSE), SHAREDRX_DONE);
	assert_int_equal(rx.len, 0);
	/* Past SHAREDRX_MAX the push fails at its close, whatever the md5. */
	big = malloc(SHAREDRX_MAX);
	assert_non_null(big);
	memset(big, 'a', SHAREDRX_MAX);
	assert_int_equal(feed(&rx, UP_HELLO), SHAREDRX_MORE);
	assert_int_equal(sharedrx_feed(&rx, big, SHAREDRX_MAX), SHAREDRX_MORE);
	assert_int_equal(sharedrx_feed(&rx, "b", 1), SHAREDRX_MORE);
	assert_int_equal(feed(&rx, CLOSE), SHAREDRX_BAD);
	free(big);
	sharedrx_free(&rx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunks_then_close),
		cmocka_unit_test(test_bad_md5_and_restart),
		cmocka_unit_test(test_empty_file_and_size_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
