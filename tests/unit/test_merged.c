/* test_merged.c — merged.mg building and the file-push control messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "proto/merged.h"

/* Checked by hand against remoted's layout: "#<group>\n", then "!<size> <name>\n<bytes>". */
static const char default_mg[] =
    "#default\n"
    "!228 ar.conf\n"
    "restart-ossec0 - restart-ossec.sh - 0\n"
    "restart-ossec0 - restart-ossec.cmd - 0\n"
    "restart-wazuh0 - restart-ossec.sh - 0\n"
    "restart-wazuh0 - restart-ossec.cmd - 0\n"
    "restart-wazuh0 - restart-wazuh - 0\n"
    "restart-wazuh0 - restart-wazuh.exe - 0\n"
    "!76 agent.conf\n"
    "<agent_config>\n\n  <!-- Shared agent configuration here -->\n\n</agent_config>\n";

static void
test_default_group(void **state)
{
	struct merged_file f[2] = {
		{ "ar.conf", MERGED_AR_CONF, sizeof(MERGED_AR_CONF) - 1 },
		{ "agent.conf", MERGED_AGENT_CONF_TEMPLATE, sizeof(MERGED_AGENT_CONF_TEMPLATE) - 1 },
	};
	char md5[33], *m;
	size_t len = 0;

	(void)state;
	assert_int_equal(sizeof(MERGED_AR_CONF) - 1, 228);
	m = merged_build("default", f, 2, &len);
	assert_non_null(m);
	assert_int_equal(len, sizeof(default_mg) - 1);
	assert_int_equal(len, 341);
	assert_memory_equal(m, default_mg, len);
	assert_int_equal(m[len], '\0');
	hash_md5_hex(m, len, md5);
	assert_string_equal(md5, "7b35c8bc77125d075185a23d4deb52c2");   /* python hashlib */
	free(m);
}

static void
test_small_and_empty_files(void **state)
{
	struct merged_file f[2] = { { "a", "xyz", 3 }, { "e", NULL, 0 } };
	char *m;
	size_t len;

	(void)state;
	m = merged_build("g", f, 2, &len);
	assert_non_null(m);
	assert_string_equal(m, "#g\n!3 a\nxyz!0 e\n");
	free(m);
	m = merged_build("g", NULL, 0, &len);
	assert_string_equal(m, "#g\n");
	free(m);
	/* Names and headers that would break the layout are refused. */
	f[0].name = "a b";
	assert_null(merged_build("g", f, 1, &len));
	f[0].name = "a\n";
	assert_null(merged_build("g", f, 1, &len));
	f[0].name = "";
	assert_null(merged_build("g", f, 1, &len));
	f[0].name = "a";
	assert_null(merged_build("g\nx", f, 1, &len));
}

static void
test_up_file_round_trip(void **state)
{
	char out[128], md5[33], name[64];
	ssize_t n;

	(void)state;
	n = merged_up_file("7b35c8bc77125d075185a23d4deb52c2", out, sizeof(out));
	assert_string_equal(out, "#!-up file 7b35c8bc77125d075185a23d4deb52c2 merged.mg\n");
	assert_int_equal(n, (ssize_t)strlen(out));
	assert_int_equal(merged_parse_up(out, (size_t)n, md5, name, sizeof(name)), 0);
	assert_string_equal(md5, "7b35c8bc77125d075185a23d4deb52c2");
	assert_string_equal(name, "merged.mg");
	/* Without the newline too (Wazuh agents accept both). */
	assert_int_equal(merged_parse_up(out, (size_t)n - 1, md5, name, sizeof(name)), 0);
	assert_int_equal(merged_up_file("XYZ", out, sizeof(out)), -1);
	assert_int_equal(merged_up_file("7b35c8bc77125d075185a23d4deb52c2", out, 20), -1);
}

static void
test_up_file_refused(void **state)
{
	static const char *const bad[] = {
		"#!-up file 7b35c8bc77125d075185a23d4deb52c2\n",          /* no name */
		"#!-up file 7b35c8bc77125d075185a23d4deb52c merged.mg\n",  /* short md5 */
		"#!-up file 7B35C8BC77125D075185A23D4DEB52C2 merged.mg\n", /* upper case */
		"#!-up file 7b35c8bc77125d075185a23d4deb52c2 ../x\n",      /* a path */
		"#!-up file 7b35c8bc77125d075185a23d4deb52c2 a b\n",
		"#!-up file 7b35c8bc77125d075185a23d4deb52c2  merged.mg\n",
		"#!-up fil 7b35c8bc77125d075185a23d4deb52c2 merged.mg\n",
		"",
	};
	char md5[33], name[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(merged_parse_up(bad[i], strlen(bad[i]), md5, name, sizeof(name)), -1);
	/* A name longer than the caller's buffer. */
	assert_int_equal(merged_parse_up("#!-up file 7b35c8bc77125d075185a23d4deb52c2 merged.mg",
	    53, md5, name, sizeof(name)), -1);
	assert_true(merged_is_close("#!-close file ", 14));
	assert_false(merged_is_close("#!-close fil", 12));
}

/* merged_next: the files of a merged.mg by their sizes (a line starting '!' inside one is data). */
static void
test_next(void **state)
{
	static const struct { const char *m; int files; } rows[] = {
		{ "#g\n!3 a.conf\nabc!2 b\n!x", 2 },
		{ "#g\n", 0 },
		{ "#g\n!0 empty\n", 1 },
		{ "", -1 }, { "g\n!1 a\nx", -1 }, { "#g", -1 }, { "#g\n!4 a\nxy", -1 },
		{ "#g\n! a\n", -1 }, { "#g\n!1  \nx", 1 }, { "#g\n!1x a\nx", -1 },
		{ "#g\n!1 \nx", -1 }, { "#g\n!99999999999999999999999 a\nx", -1 },
	};
	char name[16];
	const char *data;
	size_t i, off, dlen;
	int n, rc;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		off = 0;
		n = 0;
		while ((rc = merged_next(rows[i].m, strlen(rows[i].m), &off, name, sizeof(name),
		    &data, &dlen)) == 1)
			n++;
		assert_int_equal(rc == -1 ? -1 : n, rows[i].files);
	}
	off = 0;
	assert_int_equal(merged_next("#g\n!3 a.conf\nabc!2 b\n!x", 23, &off, name, sizeof(name),
	    &data, &dlen), 1);
	assert_string_equal(name, "a.conf");
	assert_int_equal(dlen, 3);
	assert_memory_equal(data, "abc", 3);
	assert_int_equal(merged_next("#g\n!3 a.conf\nabc!2 b\n!x", 23, &off, name, sizeof(name),
	    &data, &dlen), 1);
	assert_string_equal(name, "b");
	assert_memory_equal(data, "!x", 2);
	/* a name that does not fit */
	off = 0;
	assert_int_equal(merged_next("#g\n!1 abcdefghijklmnopq\nx", 25, &off, name, sizeof(name),
	    &data, &dlen), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_group),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_small_and_empty_files),
		cmocka_unit_test(test_up_file_round_trip),
		cmocka_unit_test(test_up_file_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
