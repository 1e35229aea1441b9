/* test_agentconf.c — agent.conf as Wazuh's framework shows it in JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "proto/agentconf.h"

/* One row: an agent.conf and its JSON (NULL: Wazuh's 1101). */
static const struct { const char *xml, *json; } rows[] = {
	{ "<agent_config>\n\n  <!-- Shared agent configuration here -->\n\n</agent_config>\n",
	  "{\"total_affected_items\": 1, \"affected_items\": [{\"filters\": {}, \"config\": {}}]}" },
	{ "<agent_config os=\"Linux\"><localfile><location>/a</location></localfile>"
	  "<localfile><location>/b</location><filter>x</filter></localfile></agent_config>",
	  "{\"total_affected_items\": 1, \"affected_items\": [{\"filters\": {\"os\": \"Linux\"}, "
	  "\"config\": {\"localfile\": [{\"location\": \"/a\"}, {\"location\": \"/b\", "
	  "\"filter\": [\"x\"]}]}}]}" },
	/* same filters merge; merge sections extend their list options */
	{ "<agent_config><syscheck><ignore>/a</ignore><frequency>1</frequency></syscheck>"
	  "</agent_config><agent_config><syscheck><ignore>/b</ignore><frequency>2</frequency>"
	  "</syscheck></agent_config>",
	  "{\"total_affected_items\": 1, \"affected_items\": [{\"filters\": {}, \"config\": "
	  "{\"syscheck\": {\"ignore\": [\"/a\", \"/b\"], \"frequency\": \"2\"}}}]}" },
	/* directories split on ',' with their attributes; empty options dropped */
	{ "<agent_config><syscheck><directories realtime=\"yes\"> /etc , /bin</directories>"
	  "<skip/><nodiff></nodiff></syscheck></agent_config>",
	  "{\"total_affected_items\": 1, \"affected_items\": [{\"filters\": {}, \"config\": "
	  "{\"syscheck\": {\"directories\": [{\"realtime\": \"yes\", \"path\": \"/etc\"}, "
	  "{\"realtime\": \"yes\", \"path\": \"/bin\"}]}}}]}" },
	/* wodle by name; attributes and children; unknown sections dropped; entities */
	{ "<agent_config name=\"a\"><wodle name=\"syscollector\"><interval a=\"1\">1h</interval>"
	  "<x><y>1</y><y>2</y></x></wodle><client_buffer><disabled>no</disabled></client_buffer>"
	  "<labels><label key=\"k\">a &amp; b &lt; c &#65;</label></labels></agent_config>",
	  "{\"total_affected_items\": 1, \"affected_items\": [{\"filters\": {\"name\": \"a\"}, "
	  "\"config\": {\"syscollector\": {\"interval\": {\"a\": \"1\", \"item\": \"1h\"}, "
	  "\"x\": {\"y\": [\"1\", \"2\"]}}, \"labels\": [{\"label\": [{\"value\": "
	  "\"a & b &lt; c A\", \"key\": \"k\"}]}]}}]}" },
	{ "<agent_config><remote><protocol>tcp, udp</protocol></remote>"
	  "<sca><policies><policy>a</policy><policy>b</policy></policies></sca>"
	  "<cluster><nodes><node>n1</node></nodes></cluster><cluster><name>x</name></cluster>"
	  "</agent_config>",
	  "{\"total_affected_items\": 1, \"affected_items\": [{\"filters\": {}, \"config\": "
	  "{\"remote\": [{\"protocol\": [\"tcp\", \"udp\"]}], \"sca\": {\"policies\": [\"a\", "
	  "\"b\"]}, \"cluster\": {\"name\": \"x\"}}}]}" },
	{ "<agent_config><![CDATA[x]]><syscheck><frequency><![CDATA[<5>]]></frequency>"
	  "</syscheck></agent_config>",
	  "{\"total_affected_items\": 1, \"affected_items\": [{\"filters\": {}, \"config\": "
	  "{\"syscheck\": {\"frequency\": \"<5>\"}}}]}" },
	{ "", "{\"total_affected_items\": 0, \"affected_items\": []}" },
	{ "<agent_config>", NULL }, { "<a></b>", NULL }, { "<a b=c/>", NULL },
	{ "</a>", NULL }, { "<a>&#xd800;</a>", NULL }, { "<!-- x", NULL },
	{ "<agent_config><wodle><x>1</x></wodle></agent_config>", NULL },
	{ "<agent_config><remote><protocol/></remote></agent_config>", NULL },
	/* names that are not UTF-8 (found by fuzz_agentconf: a leak, then a use after free) */
	{ "<agent_config><syscheck><directories \xae=\"1\">/a</directories></syscheck>"
	  "</agent_config>", NULL },
	{ "<agent_config><syscheck><x><\xae>1</\xae></x></syscheck></agent_config>", NULL },
	{ "<agent_config><syscheck><x><\xc3\xa9>1</\xc3\xa9></x></syscheck></agent_config>",
	  "{\"total_affected_items\": 1, \"affected_items\": [{\"filters\": {}, \"config\": "
	  "{\"syscheck\": {\"x\": {\"\xc3\xa9\": [\"1\"]}}}}]}" },
};

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *got = agentconf_to_json(rows[i].xml, strlen(rows[i].xml)), *want;

		if (rows[i].json == NULL) {
			if (got != NULL)
				fail_msg("row %zu: expected an error", i);
			continue;
		}
		want = json_loads(rows[i].json, 0, NULL);
		assert_non_null(want);
		if (got == NULL || !json_equal(got, want)) {
			char *g = got != NULL ? json_dumps(got, 0) : NULL;

			fail_msg("row %zu: got %s", i, g != NULL ? g : "NULL");
		}
		json_decref(got);
		json_decref(want);
	}
}

static void
test_depth(void **state)
{
	char buf[2048];
	size_t off = 0;
	int i;

	(void)state;
	for (i = 0; i < 70; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "<a>");
	for (i = 0; i < 70; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "</a>");
	assert_null(agentconf_to_json(buf, off));
	assert_null(agentconf_to_json("<a>\0</a>", 8));
}

/* hash_named_hex: Python hashlib's names. */
static void
test_hash_names(void **state)
{
	char out[HASH_HEX_MAX];

	(void)state;
	assert_int_equal(hash_named_hex("md5", "", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "d41d8cd98f00b204e9800998ecf8427e");
	assert_int_equal(hash_named_hex("blake2s", "", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
	assert_int_equal(hash_named_hex("sha3_256", "", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
	assert_int_equal(hash_named_hex("blake2b", "", 0, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), 128);
	assert_int_equal(hash_named_hex("crc32", "", 0, out, sizeof(out)), -1);
	assert_int_equal(hash_named_hex("md5", "", 0, out, 64), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_hash_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
