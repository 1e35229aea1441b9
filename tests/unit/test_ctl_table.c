/* test_ctl_table.c — vigilctl's aligned tables (ctl/table.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/table.h"

/* render: t printed into a string (the caller frees it). */
static char *
render(const struct table *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	table_print(t, f);
	fclose(f);
	return buf;
}

static void
test_aligned(void **state)
{
	static const char *const heads[] = { "ID", "NAME", "STATUS" };
	static const char *const r1[] = { "001", "web-01", "active" };
	static const char *const r2[] = { "1000", "db", NULL };
	struct table *t = table_new(3, heads);
	char *out;

	(void)state;
	assert_non_null(t);
	assert_int_equal(table_add(t, r1), 0);
	assert_int_equal(table_add(t, r2), 0);
	assert_int_equal(table_rows(t), 2);
	out = render(t);
	assert_string_equal(out,
	    "ID    NAME    STATUS\n"
	    "001   web-01  active\n"
	    "1000  db      -\n");
	free(out);
	table_free(t);
	table_free(NULL);
}

static void
test_utf8_and_control(void **state)
{
	static const char *const heads[] = { "NAME", "X" };
	static const char *const r1[] = { "caf\xc3\xa9", "1" };
	static const char *const r2[] = { "a\x1b[31mb\n", "2" };
	struct table *t = table_new(2, heads);
	char *out;

	(void)state;
	assert_int_equal(table_width("caf\xc3\xa9"), 4);
	assert_int_equal(table_add(t, r1), 0);
	assert_int_equal(table_add(t, r2), 0);
	out = render(t);
	/* "café" is 4 wide; the escape and newline are replaced, never printed */
	assert_string_equal(out,
	    "NAME      X\n"
	    "caf\xc3\xa9      1\n"
	    "a?[31mb?  2\n");
	free(out);
	table_free(t);
}

static void
test_many_rows(void **state)
{
	static const char *const heads[] = { "N" };
	struct table *t = table_new(1, heads);
	char num[16], *out;
	const char *cell[1] = { num };
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		snprintf(num, sizeof(num), "%d", i);
		assert_int_equal(table_add(t, cell), 0);
	}
	assert_int_equal(table_rows(t), 1000);
	out = render(t);
	assert_non_null(strstr(out, "\n999\n"));
	free(out);
	table_free(t);
	assert_null(table_new(0, heads));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aligned),
		cmocka_unit_test(test_utf8_and_control),
		cmocka_unit_test(test_many_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
