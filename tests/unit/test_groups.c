/* test_groups.c — groups in memory, group lists and the agent.conf check. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "node/registry/groups.h"
#include "proto/merged.h"

static void
test_names(void **state)
{
	char long_name[GROUP_NAME_MAX + 2];

	(void)state;
	assert_true(group_name_valid("default"));
	assert_true(group_name_valid("db.prod-1_X"));
	assert_true(group_name_valid("..."));
	assert_true(group_name_valid("alll"));
	assert_false(group_name_valid(""));
	assert_false(group_name_valid("."));
	assert_false(group_name_valid(".."));
	assert_false(group_name_valid("all"));
	assert_false(group_name_valid("a b"));
	assert_false(group_name_valid("a,b"));
	assert_false(group_name_valid("a/b"));
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_false(group_name_valid(long_name));
	long_name[GROUP_NAME_MAX] = '\0';
	assert_true(group_name_valid(long_name));
}

static void
test_lists(void **state)
{
	char out[64];

	(void)state;
	assert_true(group_list_has("default,web", "web"));
	assert_false(group_list_has("default,web", "we"));
	assert_false(group_list_has("default,webs", "web"));
	assert_false(group_list_has("", "web"));
	assert_int_equal(group_list_count("a,b,c"), 3);
	assert_int_equal(group_list_count(""), 0);
	assert_int_equal(group_list_add("a", "b", out, sizeof(out)), 0);
	assert_string_equal(out, "a,b");
	assert_int_equal(group_list_add("", "b", out, sizeof(out)), 0);
	assert_string_equal(out, "b");
	assert_int_equal(group_list_add("abc", "def", out, 7), -1);
	assert_int_equal(group_list_del("a,b,c", "b", out, sizeof(out)), 0);
	assert_string_equal(out, "a,c");
	assert_int_equal(group_list_del("a,b,c", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "b,c");
	assert_int_equal(group_list_del("a", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(group_list_del("a,b", "x", out, sizeof(out)), -1);
}

static void
test_set_get_remove_merged(void **state)
{
	struct groups *g = groups_new();
	const char *t = MERGED_AGENT_CONF_TEMPLATE;
	const struct group *gr;
	char md5[33], *data;
	size_t len;

	(void)state;
	assert_non_null(g);
	assert_int_equal(groups_set(g, "web", "<agent_config/>", 15), 0);
	assert_int_equal(groups_set(g, "default", t, strlen(t)), 0);
	assert_int_equal(groups_set(g, "bad name", t, strlen(t)), -1);
	assert_int_equal(groups_count(g), 2);
	assert_string_equal(groups_at(g, 0)->name, "default");   /* sorted */
	gr = groups_get(g, "default");
	assert_non_null(gr);
	assert_string_equal(gr->merged_md5, "7b35c8bc77125d075185a23d4deb52c2");
	hash_md5_hex(t, strlen(t), md5);
	assert_string_equal(gr->conf_md5, md5);
	/* One group: its own bundle. */
	assert_int_equal(groups_merged_for(g, "default", md5, &data, &len), 0);
	assert_string_equal(md5, gr->merged_md5);
	assert_int_equal(len, gr->merged_len);
	free(data);
	/* Several: one header naming them, ar.conf once, the agent.conf in order. */
	assert_int_equal(groups_merged_for(g, "web,default", md5, &data, &len), 0);
	assert_true(strncmp(data, "#web,default\n!228 ar.conf\n", 26) == 0);
	assert_non_null(strstr(data, "!91 agent.conf\n<agent_config/><agent_config>\n"));
	free(data);
	assert_int_equal(groups_merged_for(g, "default,nope", md5, NULL, NULL), -1);
	assert_int_equal(groups_merged_for(g, "", md5, NULL, NULL), -1);
	/* Replacing the conf changes both sums. */
	assert_int_equal(groups_set(g, "default", "<agent_config></agent_config>", 29), 0);
	assert_string_not_equal(groups_get(g, "default")->merged_md5,
	    "7b35c8bc77125d075185a23d4deb52c2");
	assert_int_equal(groups_remove(g, "web"), 0);
	assert_int_equal(groups_remove(g, "web"), -1);
	assert_null(groups_get(g, "web"));
	groups_clear(g);
	assert_int_equal(groups_count(g), 0);
	groups_free(g);
	groups_free(NULL);
}

static int
check(const char *s)
{
	return group_conf_check(s, strlen(s));
}

static void
test_conf_check(void **state)
{
	(void)state;
	assert_int_equal(check(MERGED_AGENT_CONF_TEMPLATE), 0);
	assert_int_equal(check("<?xml version=\"1.0\"?>\n<!-- c -->\n<agent_config os=\"Linux\">"
	    "<localfile><location>/a&amp;b</location><x a='>'/></localfile></agent_config>\n"
	    "<agent_config profile=\"x\"><![CDATA[<not a tag>]]></agent_config>"), 0);
	assert_int_equal(check("<agent_config/>"), 0);
	assert_int_equal(check(""), 1112);
	assert_int_equal(check(" \n\t"), 1112);
	assert_int_equal(check("<agent_config>"), 1113);
	assert_int_equal(check("<agent_config></agent_confi>"), 1113);
	assert_int_equal(check("<agent_config><a></b></agent_config>"), 1113);
	assert_int_equal(check("text<agent_config/>"), 1113);
	assert_int_equal(check("<agent_config/>text"), 1113);
	assert_int_equal(check("<agent_config x=\"1></agent_config>"), 1113);
	assert_int_equal(check("<agent_config><!-- open"), 1113);
	assert_int_equal(check("<agent_config>< a/></agent_config>"), 1113);
	assert_int_equal(check("<ossec_config></ossec_config>"), 1114);
	assert_int_equal(check("<agent_config/><other/>"), 1114);
	assert_int_equal(check("<!-- only a comment -->"), 1114);
	assert_int_equal(group_conf_check("<agent_config>\0</agent_config>", 30), 1113);
	assert_int_equal(check("<agent_config>\xc3\x28</agent_config>"), 1113);   /* bad UTF-8 */
	assert_int_equal(check("<agent_config>\xc3\xa9</agent_config>"), 0);
}

static void
test_conf_depth(void **state)
{
	char buf[2048];
	size_t off = 0;
	int i;

	(void)state;
	off += (size_t)snprintf(buf + off, sizeof(buf) - off, "<agent_config>");
	for (i = 0; i < 70; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "<a>");
	assert_int_equal(group_conf_check(buf, off), 1113);
}

/* Names Wazuh keeps for files in etc/shared (1713), and file names of GET /groups/{id}/files/{f}. */
static void
test_reserved_and_file_names(void **state)
{
	static const struct { const char *name; int reserved, file_ok; } rows[] = {
		{ "ar.conf", 1, 1 }, { "agent-template.conf", 1, 1 }, { "agent.conf", 0, 1 },
		{ "my.conf", 0, 1 }, { "default", 0, 1 }, { "merged.mg", 0, 1 },
		{ "..", 0, 1 }, { "a b:c+d,e", 0, 1 }, { "../x", 0, 0 }, { "a/b", 0, 0 },
		{ "a;b", 0, 0 }, { "", 0, 0 }, { "a%2F", 0, 0 }, { "AR.CONF", 0, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(group_name_reserved(rows[i].name), rows[i].reserved);
		assert_int_equal(group_file_name_ok(rows[i].name), rows[i].file_ok);
	}
	assert_int_equal(group_name_reserved(NULL), 0);
	assert_int_equal(group_file_name_ok(NULL), 0);
}

/* group_files: the group's own bytes, in name order, merged.mg being what agents get. */
static void
test_group_files(void **state)
{
	struct groups *g = groups_new();
	struct group_file f[GROUP_FILES_MAX];
	const struct group *gr;

	(void)state;
	assert_int_equal(groups_set(g, "web", "<agent_config/>", 15), 0);
	gr = groups_get(g, "web");
	assert_int_equal(group_files(gr, f), 3);
	assert_string_equal(f[0].name, "agent.conf");
	assert_int_equal(f[0].len, 15);
	assert_memory_equal(f[0].data, "<agent_config/>", 15);
	assert_string_equal(f[1].name, "ar.conf");
	assert_int_equal(f[1].len, sizeof(MERGED_AR_CONF) - 1);
	assert_string_equal(f[2].name, "merged.mg");
	assert_ptr_equal(f[2].data, gr->merged);
	assert_int_equal(f[2].len, gr->merged_len);
	assert_int_equal(group_text_utf8("caf\xc3\xa9", 5), 1);
	assert_int_equal(group_text_utf8("\xff", 1), 0);
	assert_int_equal(group_text_utf8("\xed\xa0\x80", 3), 0);
	groups_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_set_get_remove_merged),
		cmocka_unit_test(test_conf_check),
		cmocka_unit_test(test_conf_depth),
		cmocka_unit_test(test_reserved_and_file_names),
		cmocka_unit_test(test_group_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
