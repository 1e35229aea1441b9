/* test_ctl_import.c — client.keys and group lines for vigilctl agents import, as tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ctl/import.h"

#define K64 "0123456789abcdefABCDEF0123456789abcdef0123456789abcdef0123456789"

static const struct {
	const char *line;
	int want;
	const char *id, *name, *ip;
} keys_cases[] = {
	{ "001 web-01 any " K64 "\n", IMPORT_ENTRY, "001", "web-01", "any" },
	{ "1024 db.2 10.0.0.5 " K64 "\r\n", IMPORT_ENTRY, "1024", "db.2", "10.0.0.5" },
	{ "005 net 10.0.0.0/8 " K64, IMPORT_ENTRY, "005", "net", "10.0.0.0/8" },
	{ "006 v6 fd00::1 " K64, IMPORT_ENTRY, "006", "v6", "fd00::1" },
	{ "007 up ANY " K64, IMPORT_ENTRY, "007", "up", "any" },
	{ "  008\tTabbed  any\t" K64 "  ", IMPORT_ENTRY, "008", "Tabbed", "any" },
	{ "", IMPORT_SKIP, NULL, NULL, NULL },
	{ "   \n", IMPORT_SKIP, NULL, NULL, NULL },
	{ "# 001 a comment any " K64, IMPORT_SKIP, NULL, NULL, NULL },
	{ "002 !removed any " K64, IMPORT_SKIP, NULL, NULL, NULL },
	{ "000 manager any " K64, IMPORT_BAD, NULL, NULL, NULL },
	{ "abc name any " K64, IMPORT_BAD, NULL, NULL, NULL },
	{ "123456789 name any " K64, IMPORT_BAD, NULL, NULL, NULL },
	{ "001 bad/name any " K64, IMPORT_BAD, NULL, NULL, NULL },
	{ "001 name 300.1.1.1 " K64, IMPORT_BAD, NULL, NULL, NULL },
	{ "001 name 10.0.0.0/33 " K64, IMPORT_BAD, NULL, NULL, NULL },
	{ "001 name any short", IMPORT_BAD, NULL, NULL, NULL },
	{ "001 name any " K64 "x", IMPORT_BAD, NULL, NULL, NULL },
	{ "001 name any " K64 " extra", IMPORT_BAD, NULL, NULL, NULL },
	{ "001 name any", IMPORT_BAD, NULL, NULL, NULL },
	{ "001", IMPORT_BAD, NULL, NULL, NULL },
};

static void
test_keys_lines(void **state)
{
	struct import_key k;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys_cases) / sizeof(keys_cases[0]); i++) {
		int v = import_keys_line(keys_cases[i].line, strlen(keys_cases[i].line), &k, &why);

		print_message("%s\n", keys_cases[i].line);
		assert_int_equal(v, keys_cases[i].want);
		assert_true((v == IMPORT_BAD) == (why != NULL));
		if (v != IMPORT_ENTRY)
			continue;
		assert_string_equal(k.id, keys_cases[i].id);
		assert_string_equal(k.name, keys_cases[i].name);
		assert_string_equal(k.ip, keys_cases[i].ip);
		assert_string_equal(k.key, K64);
	}
}

static const struct {
	const char *line;
	int want;
	unsigned long id;
	const char *groups;
} groups_cases[] = {
	{ "001|default,web\n", IMPORT_ENTRY, 1, "default,web" },
	{ "2:db", IMPORT_ENTRY, 2, "db" },
	{ "003 web, db ,x.y", IMPORT_ENTRY, 3, "web,db,x.y" },
	{ "004,g1,g2", IMPORT_ENTRY, 4, "g1,g2" },
	{ "# comment", IMPORT_SKIP, 0, NULL },
	{ "", IMPORT_SKIP, 0, NULL },
	{ "005|", IMPORT_BAD, 0, NULL },
	{ "006|a/b", IMPORT_BAD, 0, NULL },
	{ "007|..", IMPORT_BAD, 0, NULL },
	{ "web|008", IMPORT_BAD, 0, NULL },
	{ "009web", IMPORT_BAD, 0, NULL },
};

static void
test_groups_lines(void **state)
{
	char groups[64];
	const char *why;
	unsigned long id;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(groups_cases) / sizeof(groups_cases[0]); i++) {
		int v = import_groups_line(groups_cases[i].line, strlen(groups_cases[i].line), &id,
		    groups, sizeof(groups), &why);

		print_message("%s\n", groups_cases[i].line);
		assert_int_equal(v, groups_cases[i].want);
		assert_true((v == IMPORT_BAD) == (why != NULL));
		if (v != IMPORT_ENTRY)
			continue;
		assert_int_equal(id, groups_cases[i].id);
		assert_string_equal(groups, groups_cases[i].groups);
	}
	/* more groups than fit: bad, not truncated */
	assert_int_equal(import_groups_line("1|aaaaaaaaaa,bbbbbbbbbb", 23, &id, groups, 16, &why),
	    IMPORT_BAD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_lines),
		cmocka_unit_test(test_groups_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
