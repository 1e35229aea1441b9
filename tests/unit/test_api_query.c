/* test_api_query.c — query validation, GET /agents parsing, agent objects and the listing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node/api/api_query.h"

#define P(k, v) { (k), (v) }
#define NP(a) (sizeof(a) / sizeof((a)[0]))

/* parse_ok / parse_err: agents_query_parse on a literal parameter list. */
static void
parse_ok(const struct api_param *p, size_t n, struct agents_query *q)
{
	struct api_qerr err;

	memset(&err, 0, sizeof(err));
	if (agents_query_parse(p, n, q, &err) != 0)
		fail_msg("unexpected error %d/%d: %s", err.http_status, err.code, err.detail);
}

static struct api_qerr
parse_err(const char *k, const char *v)
{
	struct api_param p[1] = { P(k, v) };
	struct agents_query q;
	struct api_qerr err;

	memset(&err, 0, sizeof(err));
	memset(&q, 0x5a, sizeof(q));
	assert_int_equal(agents_query_parse(p, 1, &q, &err), -1);
	/* Nothing is left to free after a failure. */
	assert_null(q.ids);
	assert_null(q.select);
	assert_int_equal(err.http_status, 400);
	assert_true(err.detail[0] != '\0' || err.code != 0);
	return err;
}

static void
test_bool(void **state)
{
	(void)state;
	assert_int_equal(api_parse_bool("true"), 1);
	assert_int_equal(api_parse_bool("TRUE"), 1);
	assert_int_equal(api_parse_bool("False"), 0);
	assert_int_equal(api_parse_bool("1"), -1);
	assert_int_equal(api_parse_bool(""), -1);
	assert_int_equal(api_parse_bool("yes"), -1);
	assert_int_equal(api_parse_bool("truex"), -1);
	assert_int_equal(api_parse_bool(NULL), -1);
}

static void
test_check_params(void **state)
{
	static const char *const allowed[] = { "pretty", "wait_for_complete", NULL };
	struct api_param ok[] = { P("pretty", "true"), P("wait_for_complete", "false") };
	struct api_param bad[] = { P("pretty", "true"), P("foo", "1"), P("Pretty", "x") };
	struct api_qerr err;

	(void)state;
	assert_int_equal(api_check_params(ok, NP(ok), allowed, &err), 0);
	assert_int_equal(api_check_params(NULL, 0, allowed, &err), 0);
	assert_int_equal(api_check_params(bad, NP(bad), allowed, &err), -1);
	assert_int_equal(err.http_status, 400);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.detail, "Extra parameter(s) foo, Pretty not in spec");
	assert_int_equal(api_check_params(bad + 1, 1, allowed, &err), -1);
	assert_string_equal(err.detail, "Extra parameter(s) foo not in spec");
}

static void
test_agents_list(void **state)
{
	unsigned int *ids;
	char **strs;
	size_t n;
	struct api_qerr err;
	static const char *const bad[] = {
		"", ",", "001,", ",001", "001,,002", "wrong_name", "12", "1", "00a", "001 ", " 001",
		"-001", "+001", "all,001", "ALL", "001,12", "0x10", "１２３",
	};
	size_t i;

	(void)state;
	assert_int_equal(api_parse_agents_list("001,002,010", &ids, &strs, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 2);
	assert_int_equal(ids[2], 10);
	assert_string_equal(strs[2], "010");
	api_agents_list_free(ids, strs, n);

	assert_int_equal(api_parse_agents_list("all", &ids, &strs, &n, &err), 0);
	assert_null(ids);
	assert_null(strs);
	assert_int_equal(n, 0);
	api_agents_list_free(ids, strs, n);

	/* Long ids are fine; a value past UINT_MAX names no agent. */
	assert_int_equal(api_parse_agents_list("0001,99999999999999999999,4294967295", &ids, &strs,
	    &n, &err), 0);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], UINT_MAX);
	assert_int_equal(ids[2], UINT_MAX);
	assert_string_equal(strs[1], "99999999999999999999");
	api_agents_list_free(ids, strs, n);

	for (i = 0; i < NP(bad); i++) {
		memset(&err, 0, sizeof(err));
		ids = (unsigned int *)&n;   /* must be reset */
		if (api_parse_agents_list(bad[i], &ids, &strs, &n, &err) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_null(ids);
		assert_null(strs);
		assert_int_equal(n, 0);
		assert_int_equal(err.http_status, 400);
		assert_int_equal(err.code, 0);
		assert_non_null(strstr(err.detail, "agents_list"));
	}
	/* An agent named twice is taken once, at its first place ("0001" is "001"); ids
	 * naming no agent stay apart by their text. */
	assert_int_equal(api_parse_agents_list("002,001,002,0001,005,99999999999999999999,"
	    "4294967295,4294967295,001", &ids, &strs, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_int_equal(ids[0], 2);
	assert_int_equal(ids[1], 1);
	assert_string_equal(strs[1], "001");
	assert_int_equal(ids[2], 5);
	assert_string_equal(strs[3], "99999999999999999999");
	assert_string_equal(strs[4], "4294967295");
	api_agents_list_free(ids, strs, n);

	/* At most API_AGENTS_LIST_MAX items, duplicates counted: the text is not kept */
	{
		size_t cap = (size_t)API_AGENTS_LIST_MAX * 4 + 8;
		char *big = malloc(cap);

		assert_non_null(big);
		memcpy(big, "001", 3);
		for (i = 1; i < (size_t)API_AGENTS_LIST_MAX; i++)
			memcpy(big + 3 + (i - 1) * 4, ",001", 4);
		big[3 + ((size_t)API_AGENTS_LIST_MAX - 1) * 4] = '\0';   /* exactly the max */
		assert_int_equal(api_parse_agents_list(big, &ids, &strs, &n, &err), 0);
		assert_int_equal(n, 1);
		api_agents_list_free(ids, strs, n);
		memcpy(big + 3 + ((size_t)API_AGENTS_LIST_MAX - 1) * 4, ",001", 5);
		assert_int_equal(api_parse_agents_list(big, &ids, &strs, &n, &err), -1);
		assert_null(ids);
		assert_int_equal(err.http_status, 400);
		assert_non_null(strstr(err.detail, "agents_list"));
		assert_non_null(strstr(err.detail, "100000"));
		free(big);
	}

	api_parse_agents_list("wrong_name", &ids, &strs, &n, &err);
	assert_string_equal(err.detail, "'wrong_name' does not match '^\\\\d+$' - 'agents_list'");
	api_parse_agents_list("001,12", &ids, &strs, &n, &err);
	assert_string_equal(err.detail, "'12' is too short - 'agents_list'");
	api_agents_list_free(NULL, NULL, 0);
}

static void
test_parse_defaults(void **state)
{
	struct agents_query q;

	(void)state;
	parse_ok(NULL, 0, &q);
	assert_null(q.ids);
	assert_int_equal(q.limit, 500);
	assert_int_equal(q.offset, 0);
	assert_int_equal(q.nsort, 0);
	assert_null(q.select);
	assert_int_equal(q.status_mask, 0);
	assert_null(q.search);
	assert_int_equal(q.group_config_status, -1);
	assert_int_equal(q.pretty, 0);
	agents_query_free(&q);
	agents_query_free(&q);   /* twice is harmless */
}

static void
test_parse_all(void **state)
{
	struct api_param p[] = {
		P("agents_list", "001,002"), P("offset", "2"), P("limit", "100000"),
		P("select", "name,os.name,os.platform,name"), P("sort", "-version,id"),
		P("search", "web"), P("status", "active,DiScoNNected"), P("name", "web-01"),
		P("ip", "10.0.0.1"), P("node_name", "node%1"), P("version", "Wazuh v4.9.2"),
		P("group", "default"), P("pretty", "TRUE"), P("wait_for_complete", "false"),
		P("os.platform", "ubuntu"), P("os.name", "Ubuntu"), P("os.version", "22.04"),
		P("manager", "mgr"), P("registerIP", "any"), P("group_config_status", "not synced"),
	};
	struct agents_query q;

	(void)state;
	parse_ok(p, NP(p), &q);
	assert_int_equal(q.nids, 2);
	assert_int_equal(q.offset, 2);
	assert_int_equal(q.limit, 100000);
	assert_int_equal(q.nselect, 3);
	assert_string_equal(q.select[0], "name");
	assert_string_equal(q.select[1], "os.name");
	assert_string_equal(q.select[2], "os.platform");
	/* Wazuh: the leading sign orders every field. */
	assert_int_equal(q.nsort, 2);
	assert_string_equal(q.sort[0].field, "version");
	assert_int_equal(q.sort[0].desc, 1);
	assert_string_equal(q.sort[1].field, "id");
	assert_int_equal(q.sort[1].desc, 1);
	assert_string_equal(q.search, "web");
	assert_int_equal(q.status_mask, (1u << AGENT_ACTIVE) | (1u << AGENT_DISCONNECTED));
	assert_string_equal(q.name, "web-01");
	assert_string_equal(q.node_name, "node%1");
	assert_string_equal(q.version, "Wazuh v4.9.2");
	assert_string_equal(q.group, "default");
	assert_string_equal(q.os_platform, "ubuntu");
	assert_string_equal(q.register_ip, "any");
	assert_int_equal(q.group_config_status, 0);
	assert_int_equal(q.pretty, 1);
	assert_int_equal(q.wait_for_complete, 0);
	agents_query_free(&q);
}

static void
test_parse_sort_signs(void **state)
{
	struct api_param p1[] = { P("sort", "+name,-id") };
	struct api_param p2[] = { P("sort", " name, os.major") };   /* '+' decoded as ' ' */
	struct api_param p3[] = { P("sort", "-status,+name,id,id") };
	struct api_param p4[] = { P("sort", "name"), P("sort", "-id") };   /* the last wins */
	struct agents_query q;

	(void)state;
	parse_ok(p1, 1, &q);
	assert_int_equal(q.nsort, 2);
	assert_int_equal(q.sort[0].desc, 0);
	assert_int_equal(q.sort[1].desc, 1);
	agents_query_free(&q);
	parse_ok(p2, 1, &q);
	assert_int_equal(q.nsort, 2);
	assert_string_equal(q.sort[1].field, "os.major");
	assert_int_equal(q.sort[1].desc, 0);
	agents_query_free(&q);
	parse_ok(p3, 1, &q);
	assert_int_equal(q.nsort, 3);
	assert_int_equal(q.sort[0].desc, 1);
	assert_int_equal(q.sort[1].desc, 0);
	assert_int_equal(q.sort[2].desc, 1);
	agents_query_free(&q);
	parse_ok(p4, 2, &q);
	assert_int_equal(q.nsort, 1);
	assert_string_equal(q.sort[0].field, "id");
	assert_int_equal(q.sort[0].desc, 1);
	agents_query_free(&q);
}

static void
test_parse_errors(void **state)
{
	struct api_qerr e;
	static const char *const schema[][2] = {
		{ "limit", "0" }, { "limit", "-1" }, { "limit", "wrong_limit" }, { "limit", "999999" },
		{ "limit", "100001" }, { "limit", "" }, { "limit", "1.5" }, { "limit", " 5" },
		{ "limit", "99999999999999999999999" }, { "offset", "-1" }, { "offset", "x" },
		{ "offset", "-99999999999999999999999" }, { "select", "param_%_test" },
		{ "select", "" }, { "select", "name," }, { "select", "a b" }, { "sort", "" },
		{ "sort", "id;drop" }, { "search", "" }, { "search", "a;b" }, { "search", "a*" },
		{ "search", "a>b" }, { "search", "a|b" }, { "search", "a&b" }, { "search", "a^b" },
		{ "status", "test_status" }, { "status", "" }, { "status", "active," },
		{ "status", "all" }, { "name", "test_name_%" }, { "name", "" }, { "name", "a b" },
		{ "ip", "test_ip_%" }, { "node_name", "test_node_name_*" }, { "version", "Test%Version" },
		{ "group", "test_group_%" }, { "group", "all" }, { "group", ".." }, { "group", "." },
		{ "group", "a,b" }, { "os.platform", "test_%_platform" }, { "os.name", "x%" },
		{ "os.version", "test_version_%" }, { "manager", "test_manager_%" },
		{ "group_config_status", "invalid" }, { "pretty", "yes" }, { "pretty", "" },
		{ "wait_for_complete", "1" }, { "agents_list", "wrong_name" }, { "agents_list", "" },
		{ "older_than", "1x" }, { "older_than", "d" }, { "older_than", "1dd" },
		{ "older_than", "" }, { "older_than", "1d2h" }, { "distinct", "yes" },
		{ "foo", "bar" }, { "", "" }, { "LIMIT", "5" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NP(schema); i++) {
		e = parse_err(schema[i][0], schema[i][1]);
		if (e.code != 0)
			fail_msg("%s=%s: code %d", schema[i][0], schema[i][1], e.code);
	}
	/* Details in jsonschema's words. */
	e = parse_err("limit", "0");
	assert_string_equal(e.detail, "0 is less than the minimum of 1 - 'limit'");
	e = parse_err("limit", "999999");
	assert_string_equal(e.detail, "999999 is greater than the maximum of 100000 - 'limit'");
	e = parse_err("offset", "-1");
	assert_string_equal(e.detail, "-1 is less than the minimum of 0 - 'offset'");
	e = parse_err("limit", "wrong_limit");
	assert_string_equal(e.detail, "'wrong_limit' is not of type 'integer' - 'limit'");
	e = parse_err("status", "test_status");
	assert_string_equal(e.detail, "'test_status' is not one of ['active', 'pending', "
	    "'never_connected', 'disconnected'] - 'status'");
	e = parse_err("foo", "bar");
	assert_string_equal(e.detail, "Extra parameter(s) foo not in spec");
	e = parse_err("pretty", "yes");
	assert_string_equal(e.detail, "'yes' is not of type 'boolean' - 'pretty'");
	/* Client bytes in a detail are made printable. */
	e = parse_err("name", "bad\xff\x01%");
	assert_string_equal(e.detail, "'bad??%' does not match '^[\\\\w\\\\-.]+$' - 'name'");
}

static void
test_parse_coded_errors(void **state)
{
	struct api_qerr e;

	(void)state;
	e = parse_err("select", "param_test");
	assert_int_equal(e.code, 1724);
	assert_non_null(strstr(e.detail, "Not a valid select field: Allowed select fields: id, name, "
	    "ip, status, os.name"));
	assert_non_null(strstr(e.detail, ". Fields param_test"));
	e = parse_err("select", "name,os");
	assert_int_equal(e.code, 1724);
	e = parse_err("select", "os.nope");
	assert_int_equal(e.code, 1724);
	e = parse_err("select", "internal_key");
	assert_int_equal(e.code, 1724);

	e = parse_err("sort", "-wrong_sort");
	assert_int_equal(e.code, 1403);
	assert_non_null(strstr(e.detail, "Not a valid sort field : Allowed sort fields: "));
	assert_non_null(strstr(e.detail, "Fields: wrong_sort"));
	e = parse_err("sort", "internal_key");
	assert_int_equal(e.code, 1403);
	e = parse_err("sort", "id,");
	assert_int_equal(e.code, 1403);
	e = parse_err("sort", "--id");
	assert_int_equal(e.code, 1403);
	e = parse_err("sort", "+");
	assert_int_equal(e.code, 1403);
	e = parse_err("sort", "name,ID");
	assert_int_equal(e.code, 1403);
	e = parse_err("sort", "id,name,ip,status,version,manager,dateAdd,group,node_name");
	assert_int_equal(e.code, 0);   /* more than AGENTS_SORT_MAX fields */

	/* Offset past 64 bits: Wazuh's wazuh-db error. */
	e = parse_err("offset", "9999999999999999999");
	assert_int_equal(e.code, 2003);
	assert_string_equal(e.detail, "");
}

/* ---- agents ---- */

static struct agent *
mk(unsigned int id, const char *name, int status, const char *version, const char *platform)
{
	struct agent *a = calloc(1, sizeof(*a));

	assert_non_null(a);
	a->id = id;
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->ip, sizeof(a->ip), "any");
	snprintf(a->group, sizeof(a->group), "default");
	snprintf(a->node_name, sizeof(a->node_name), "node01");
	snprintf(a->st.manager, sizeof(a->st.manager), "wazuh-master");
	a->st.status = status;
	a->date_add = 1600000000 + (time_t)id;
	if (version != NULL)
		snprintf(a->st.info.version, sizeof(a->st.info.version), "%s", version);
	if (platform != NULL)
		snprintf(a->st.info.os_platform, sizeof(a->st.info.os_platform), "%s", platform);
	if (status == AGENT_ACTIVE)
		a->st.last_keepalive = 1700000000 + (time_t)id;
	return a;
}

static char *
to_s(json_t *j)
{
	char *s;

	assert_non_null(j);
	s = json_dumps(j, 0);
	json_decref(j);
	assert_non_null(s);
	return s;
}

static void
test_agent_json_full(void **state)
{
	struct agent a;
	char *s;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.id = 7;
	snprintf(a.name, sizeof(a.name), "web-07");
	snprintf(a.ip, sizeof(a.ip), "any");
	snprintf(a.register_ip, sizeof(a.register_ip), "any");
	snprintf(a.st.info.agent_ip, sizeof(a.st.info.agent_ip), "10.0.0.7");
	snprintf(a.group, sizeof(a.group), "default,web");
	snprintf(a.node_name, sizeof(a.node_name), "node01");
	snprintf(a.st.manager, sizeof(a.st.manager), "wazuh-master");
	snprintf(a.st.info.version, sizeof(a.st.info.version), "Wazuh v4.12.0");
	snprintf(a.st.info.os_name, sizeof(a.st.info.os_name), "Ubuntu");
	snprintf(a.st.info.os_version, sizeof(a.st.info.os_version), "22.04.4 LTS");
	snprintf(a.st.info.os_platform, sizeof(a.st.info.os_platform), "ubuntu");
	snprintf(a.st.info.os_codename, sizeof(a.st.info.os_codename), "Jammy Jellyfish");
	snprintf(a.st.info.os_major, sizeof(a.st.info.os_major), "22");
	snprintf(a.st.info.os_minor, sizeof(a.st.info.os_minor), "04");
	snprintf(a.st.info.os_uname, sizeof(a.st.info.os_uname), "Linux |web-07 |5.15.0 |#1 SMP |x86_64");
	snprintf(a.st.info.os_arch, sizeof(a.st.info.os_arch), "x86_64");
	snprintf(a.st.info.merged_sum, sizeof(a.st.info.merged_sum), "d88491838d9c5b0fb3c41bc8256e87a1");
	snprintf(a.st.info.config_sum, sizeof(a.st.info.config_sum), "ab73af41699f13fdd81903b5f23d8d00");
	a.st.status = AGENT_DISCONNECTED;
	a.st.status_code = AGENT_CODE_CONNECTION_LOST;
	a.group_config_synced = 1;
	a.date_add = 1728145102;          /* 2024-10-05T16:18:22 */
	a.st.last_keepalive = 1728633643;    /* 2024-10-11T08:00:43 */
	a.st.disconnection_time = 1728633645;
	s = to_s(agent_to_json(&a, NULL, 0));
	assert_string_equal(s, "{\"id\": \"007\", \"name\": \"web-07\", \"ip\": \"10.0.0.7\", "
	    "\"registerIP\": \"any\", \"status\": \"disconnected\", \"status_code\": 4, "
	    "\"os\": {\"name\": \"Ubuntu\", \"version\": \"22.04.4 LTS\", \"platform\": \"ubuntu\", "
	    "\"codename\": \"Jammy Jellyfish\", \"major\": \"22\", \"minor\": \"04\", "
	    "\"uname\": \"Linux |web-07 |5.15.0 |#1 SMP |x86_64\", \"arch\": \"x86_64\"}, "
	    "\"version\": \"Wazuh v4.12.0\", \"manager\": \"wazuh-master\", \"node_name\": \"node01\", "
	    "\"dateAdd\": \"2024-10-05T16:18:22+00:00\", "
	    "\"lastKeepAlive\": \"2024-10-11T08:00:43+00:00\", "
	    "\"disconnection_time\": \"2024-10-11T08:00:45+00:00\", "
	    "\"group\": [\"default\", \"web\"], \"mergedSum\": \"d88491838d9c5b0fb3c41bc8256e87a1\", "
	    "\"configSum\": \"ab73af41699f13fdd81903b5f23d8d00\", \"group_config_status\": \"synced\"}");
	free(s);
}

static void
test_agent_json_sparse(void **state)
{
	struct agent a;
	char *s;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.id = 12;
	snprintf(a.name, sizeof(a.name), "fresh");
	snprintf(a.ip, sizeof(a.ip), "10.1.2.3");
	a.date_add = 86400;
	/* Never connected: no os, version, lastKeepAlive, group; ip from the registration;
	 * node_name "unknown" (wazuh-db's default). */
	s = to_s(agent_to_json(&a, NULL, 0));
	assert_string_equal(s, "{\"id\": \"012\", \"name\": \"fresh\", \"ip\": \"10.1.2.3\", "
	    "\"registerIP\": \"10.1.2.3\", \"status\": \"never_connected\", \"status_code\": 0, "
	    "\"node_name\": \"unknown\", "
	    "\"dateAdd\": \"1970-01-02T00:00:00+00:00\", \"group_config_status\": \"not synced\"}");
	free(s);
}

static void
test_agent_json_select(void **state)
{
	struct agent *a = mk(1, "a1", AGENT_ACTIVE, "Wazuh v4.12.0", "ubuntu");
	char *sel1[] = { "os.platform" };
	char *sel2[] = { "dateAdd", "mergedSum", "status" };
	char *sel3[] = { "os.name", "version" };
	char *sel4[] = { "id" };
	char *sel5[] = { "bogus", "name" };
	char *s;

	(void)state;
	s = to_s(agent_to_json(a, sel1, 1));
	assert_string_equal(s, "{\"id\": \"001\", \"os\": {\"platform\": \"ubuntu\"}}");
	free(s);
	/* A selected field that is NULL for this agent is left out. */
	s = to_s(agent_to_json(a, sel2, 3));
	assert_string_equal(s, "{\"id\": \"001\", \"status\": \"active\", "
	    "\"dateAdd\": \"2020-09-13T12:26:41+00:00\"}");
	free(s);
	s = to_s(agent_to_json(a, sel3, 2));
	assert_string_equal(s, "{\"id\": \"001\", \"version\": \"Wazuh v4.12.0\"}");
	free(s);
	s = to_s(agent_to_json(a, sel4, 1));
	assert_string_equal(s, "{\"id\": \"001\"}");
	free(s);
	s = to_s(agent_to_json(a, sel5, 2));
	assert_string_equal(s, "{\"id\": \"001\", \"name\": \"a1\"}");
	free(s);
	/* Text that is not UTF-8 still renders. */
	snprintf(a->name, sizeof(a->name), "bad\xff");
	s = to_s(agent_to_json(a, sel5, 2));
	assert_string_equal(s, "{\"id\": \"001\", \"name\": \"bad?\"}");
	free(s);
	free(a);
}

/* ---- the listing ---- */

struct fixture {
	struct agent *v[13];
	size_t n;
};

/* The tavern suite's shape: 000 manager, 001-008 active, 009-010 disconnected, 011-012 never. */
static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	static const char *const versions[] = {
		"Wazuh v4.12.0", "Wazuh v4.12.0", "Wazuh v4.12.0", "Wazuh v4.12.0", "Wazuh v4.12.0",
		"Wazuh v4.10.1", "Wazuh v4.10.1", "Wazuh v4.10.1", "Wazuh v4.10.1", "Wazuh v4.9.2",
		"Wazuh v4.9.2", NULL, NULL,
	};
	unsigned int i;

	if (fx == NULL)
		return -1;
	for (i = 0; i <= 12; i++) {
		char name[32];
		int st = i <= 8 ? AGENT_ACTIVE : i <= 10 ? AGENT_DISCONNECTED : AGENT_NEVER_CONNECTED;

		snprintf(name, sizeof(name), i == 0 ? "wazuh-master" : "wazuh-agent%u", i);
		fx->v[i] = mk(i, name, st, versions[i], i == 0 ? "ubuntu" : i % 2 ? "centos" : "ubuntu");
		if (i == 0)
			fx->v[i]->group[0] = '\0';
		if (i == 1 || i == 5 || i == 7 || i == 8 || i == 9)
			snprintf(fx->v[i]->group, sizeof(fx->v[i]->group), "default,group1");
		if (i == 2 || i == 6)
			snprintf(fx->v[i]->group, sizeof(fx->v[i]->group), "default,group2");
		if (i == 5)
			snprintf(fx->v[i]->group, sizeof(fx->v[i]->group), "default,group1,group2");
		fx->v[i]->group_config_synced = (i <= 8);
		if (i == 3)
			snprintf(fx->v[i]->node_name, sizeof(fx->v[i]->node_name), "worker1");
		if (i == 4)
			snprintf(fx->v[i]->st.info.agent_ip, sizeof(fx->v[i]->st.info.agent_ip), "172.16.0.4");
	}
	fx->n = 13;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	size_t i;

	for (i = 0; i < fx->n; i++)
		free(fx->v[i]);
	free(fx);
	return 0;
}

/* agents_query_group: Wazuh's GROUP BY with counts, N/A for NULL, total before grouping. */
static void
test_group(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		struct api_param p[4];
		const char *want;
		long total;
	} cases[] = {
		{ { P("select", "status,version") },
		  "[{\"count\":5,\"status\":\"active\",\"version\":\"Wazuh v4.12.0\"},"
		  "{\"count\":4,\"status\":\"active\",\"version\":\"Wazuh v4.10.1\"},"
		  "{\"count\":2,\"status\":\"disconnected\",\"version\":\"Wazuh v4.9.2\"},"
		  "{\"count\":2,\"status\":\"never_connected\",\"version\":\"N/A\"}]", 13 },
		/* offset and limit page the groups; the total still counts agents */
		{ { P("select", "os.platform"), P("q", "id!=0"), P("offset", "1"), P("limit", "1") },
		  "[{\"count\":6,\"os\":{\"platform\":\"ubuntu\"}}]", 12 },
		/* groups follow the sort of their first agent */
		{ { P("select", "version"), P("sort", "-id") },
		  "[{\"count\":2,\"version\":\"N/A\"},{\"count\":2,\"version\":\"Wazuh v4.9.2\"},"
		  "{\"count\":4,\"version\":\"Wazuh v4.10.1\"},"
		  "{\"count\":5,\"version\":\"Wazuh v4.12.0\"}]", 13 },
		{ { P("select", "node_name"), P("search", "worker1") },
		  "[{\"count\":1,\"node_name\":\"worker1\"}]", 1 },
		/* a NULL os field inside "os" */
		{ { P("select", "os.name,os.platform"), P("q", "id=12") },
		  "[{\"count\":1,\"os\":{\"name\":\"N/A\",\"platform\":\"ubuntu\"}}]", 1 },
		{ { P("select", "status"), P("q", "id=99") }, "[]", 0 },
	};
	struct agents_query q;
	size_t c, np;
	long total;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		json_t *items = json_array();
		char *got;

		for (np = 0; np < 4 && cases[c].p[np].key != NULL; np++)
			;
		parse_ok(cases[c].p, np, &q);
		agents_query_group(&q, fx->v, fx->n, items, &total);
		got = json_dumps(items, JSON_SORT_KEYS | JSON_COMPACT);
		assert_non_null(got);
		assert_string_equal(got, cases[c].want);
		assert_int_equal(total, cases[c].total);
		free(got);
		json_decref(items);
		agents_query_free(&q);
	}
	/* no fields: every field, one group per agent, id included */
	{
		struct api_param p[] = { P("q", "id=3") };
		json_t *items = json_array(), *o;

		parse_ok(p, 1, &q);
		agents_query_group(&q, fx->v, fx->n, items, &total);
		assert_int_equal(json_array_size(items), 1);
		o = json_array_get(items, 0);
		assert_string_equal(json_string_value(json_object_get(o, "id")), "003");
		assert_int_equal(json_integer_value(json_object_get(o, "count")), 1);
		assert_string_equal(json_string_value(json_object_get(json_object_get(o, "os"), "name")),
		    "N/A");
		assert_string_equal(json_string_value(json_object_get(o, "status")), "active");
		json_decref(items);
		agents_query_free(&q);
	}
}

struct missing_log {
	char ids[16][16];
	int n;
};

static void
on_missing(void *arg, const char *id)
{
	struct missing_log *m = arg;

	if (m->n < 16)
		snprintf(m->ids[m->n++], sizeof(m->ids[0]), "%s", id);
}

/*
 * run_at: parses params, runs the listing with its clock at now (0: the
 * real one), returns the items as "001,002,..." (an item without id as its
 * JSON, keys sorted; caller frees).
 */
static char *
run_at(struct fixture *fx, const struct api_param *p, size_t np, time_t now, long *total,
    struct missing_log *m)
{
	struct agents_query q;
	json_t *items = json_array();
	char *out = calloc(1, 4096);
	size_t i, off = 0;

	assert_non_null(items);
	assert_non_null(out);
	parse_ok(p, np, &q);
	q.now = now;
	agents_query_run(&q, fx->v, fx->n, items, total, m ? on_missing : NULL, m);
	for (i = 0; i < json_array_size(items); i++) {
		json_t *o = json_array_get(items, i);
		const char *id = json_string_value(json_object_get(o, "id"));
		char *s = id ? NULL : json_dumps(o, JSON_SORT_KEYS);

		assert_true(id != NULL || s != NULL);
		off += (size_t)snprintf(out + off, 4096 - off, "%s%s", i ? "," : "", id ? id : s);
		free(s);
		assert_true(off < 4096);
	}
	json_decref(items);
	agents_query_free(&q);
	return out;
}

/* run: run_at with the real clock. */
static char *
run(struct fixture *fx, const struct api_param *p, size_t np, long *total, struct missing_log *m)
{
	return run_at(fx, p, np, 0, total, m);
}

#define RUN_EQ(fx, params, expect_ids, expect_total) do {			\
	long total_ = -1;							\
	char *ids_ = run((fx), (params), NP(params), &total_, NULL);		\
	assert_string_equal(ids_, (expect_ids));				\
	assert_int_equal(total_, (expect_total));				\
	free(ids_);								\
} while (0)

static void
test_run_default(void **state)
{
	struct fixture *fx = *state;
	long total;
	char *ids = run(fx, NULL, 0, &total, NULL);

	assert_string_equal(ids, "000,001,002,003,004,005,006,007,008,009,010,011,012");
	assert_int_equal(total, 13);
	free(ids);
}

static void
test_run_paging(void **state)
{
	struct fixture *fx = *state;
	struct api_param p1[] = { P("offset", "2"), P("limit", "5") };
	struct api_param p2[] = { P("offset", "12"), P("limit", "5") };
	struct api_param p3[] = { P("offset", "13") };
	struct api_param p4[] = { P("offset", "9223372036854775807"), P("limit", "100000") };
	struct api_param p5[] = { P("limit", "1"), P("sort", "-id") };

	(void)state;
	RUN_EQ(fx, p1, "002,003,004,005,006", 13);
	RUN_EQ(fx, p2, "012", 13);
	RUN_EQ(fx, p3, "", 13);
	RUN_EQ(fx, p4, "", 13);
	RUN_EQ(fx, p5, "012", 13);
}

static void
test_run_filters(void **state)
{
	struct fixture *fx = *state;
	struct api_param st1[] = { P("status", "disconnected") };
	struct api_param st2[] = { P("status", "disconnected,never_connected") };
	struct api_param st3[] = { P("status", "DiScoNNected") };
	struct api_param st4[] = { P("status", "pending") };
	struct api_param g1[] = { P("group", "group1") };
	struct api_param g2[] = { P("group", "GROUP2") };
	struct api_param g3[] = { P("group", "test_group") };
	struct api_param n1[] = { P("name", "WAZUH-AGENT6") };
	struct api_param n2[] = { P("name", "wazuh-agent") };
	struct api_param v1[] = { P("version", "v4.9.2") };
	struct api_param v2[] = { P("version", "Wazuh 4.9.2") };
	struct api_param v3[] = { P("version", "4.9.2") };
	struct api_param v4[] = { P("version", "Wazuh v4.9.2") };
	struct api_param v5[] = { P("version", "TestVersion") };
	struct api_param ip1[] = { P("ip", "172.16.0.4") };
	struct api_param ip2[] = { P("ip", "any") };
	struct api_param nn[] = { P("node_name", "worker1") };
	struct api_param nn2[] = { P("node_name", "test_node_name%") };
	struct api_param gcs1[] = { P("group_config_status", "not synced") };
	struct api_param os1[] = { P("os.platform", "centos"), P("status", "active") };
	struct api_param both[] = { P("status", "active"), P("group", "group2"), P("limit", "2") };

	RUN_EQ(fx, st1, "009,010", 2);
	RUN_EQ(fx, st2, "009,010,011,012", 4);
	RUN_EQ(fx, st3, "009,010", 2);
	RUN_EQ(fx, st4, "", 0);
	RUN_EQ(fx, g1, "001,005,007,008,009", 5);
	RUN_EQ(fx, g2, "002,005,006", 3);
	RUN_EQ(fx, g3, "", 0);
	RUN_EQ(fx, n1, "006", 1);
	RUN_EQ(fx, n2, "", 0);
	RUN_EQ(fx, v1, "009,010", 2);
	RUN_EQ(fx, v2, "009,010", 2);
	RUN_EQ(fx, v3, "009,010", 2);
	RUN_EQ(fx, v4, "009,010", 2);
	RUN_EQ(fx, v5, "", 0);
	RUN_EQ(fx, ip1, "004", 1);
	RUN_EQ(fx, ip2, "000,001,002,003,005,006,007,008,009,010,011,012", 12);
	RUN_EQ(fx, nn, "003", 1);
	RUN_EQ(fx, nn2, "", 0);
	RUN_EQ(fx, gcs1, "009,010,011,012", 4);
	RUN_EQ(fx, os1, "001,003,005,007", 4);
	RUN_EQ(fx, both, "002,005", 3);
}

static void
test_run_search(void **state)
{
	struct fixture *fx = *state;
	struct api_param s1[] = { P("search", "wazuh-agent6") };
	struct api_param s2[] = { P("search", "wazuh-agent6' or 'wazuh'='wazuh") };
	struct api_param s3[] = { P("search", "wrong_search") };
	struct api_param s4[] = { P("search", "WORKER") };
	struct api_param s5[] = { P("search", "-agent") };
	struct api_param s6[] = { P("search", "agent1_") };        /* '_' is any one character */
	struct api_param s7[] = { P("search", "agent%2") };        /* '%' is any run */
	struct api_param s8[] = { P("search", "v4.9") };
	struct api_param s9[] = { P("search", "never"), P("sort", "-id") };
	struct api_param s10[] = { P("search", "172.16") };
	struct api_param s11[] = { P("search", "12") };            /* ids and versions */

	RUN_EQ(fx, s1, "006", 1);
	RUN_EQ(fx, s2, "", 0);
	RUN_EQ(fx, s3, "", 0);
	RUN_EQ(fx, s4, "003", 1);
	RUN_EQ(fx, s5, "000", 1);
	RUN_EQ(fx, s6, "010,011,012", 3);
	RUN_EQ(fx, s7, "002,012", 2);
	RUN_EQ(fx, s8, "009,010", 2);
	RUN_EQ(fx, s9, "012,011", 2);
	RUN_EQ(fx, s10, "004", 1);
	RUN_EQ(fx, s11, "000,001,002,003,004,012", 6);
}

static void
test_run_sort(void **state)
{
	struct fixture *fx = *state;
	/* Wazuh's tavern case: versions numerically, NULL first ascending, one sign for all. */
	struct api_param v1[] = { P("sort", "-version,id"), P("select", "version,id") };
	struct api_param v2[] = { P("sort", "version,id") };
	struct api_param s1[] = { P("sort", "status") };
	struct api_param s2[] = { P("sort", "+status,-id") };
	struct api_param n1[] = { P("sort", "-name") };
	struct api_param k1[] = { P("sort", "lastKeepAlive"), P("limit", "6") };
	struct api_param g1[] = { P("sort", "group"), P("limit", "4") };
	struct api_param o1[] = { P("sort", "-os.platform,node_name") };

	RUN_EQ(fx, v1, "004,003,002,001,000,008,007,006,005,010,009,012,011", 13);
	RUN_EQ(fx, v2, "011,012,009,010,005,006,007,008,000,001,002,003,004", 13);
	/* active < disconnected < never_connected; ties by id. */
	RUN_EQ(fx, s1, "000,001,002,003,004,005,006,007,008,009,010,011,012", 13);
	RUN_EQ(fx, s2, "008,007,006,005,004,003,002,001,000,010,009,012,011", 13);
	RUN_EQ(fx, n1, "000,009,008,007,006,005,004,003,002,012,011,010,001", 13);
	RUN_EQ(fx, k1, "009,010,011,012,000,001", 13);
	/* 000 has no group (NULL first), then "default" before "default,group1". */
	RUN_EQ(fx, g1, "000,003,004,010", 13);
	/* The leading '-' orders node_name descending too: worker1 before node01. */
	RUN_EQ(fx, o1, "000,002,004,006,008,010,012,003,001,005,007,009,011", 13);
}

static void
test_run_agents_list(void **state)
{
	struct fixture *fx = *state;
	struct api_param l1[] = { P("agents_list", "003,001,999,002,0500,001") };
	struct api_param l2[] = { P("agents_list", "001,009,998"), P("status", "active") };
	struct api_param l3[] = { P("agents_list", "012,011"), P("select", "name") };
	struct api_param l4[] = { P("agents_list", "all") };
	struct missing_log m;
	long total;
	char *ids;

	(void)state;
	memset(&m, 0, sizeof(m));
	ids = run(fx, l1, NP(l1), &total, &m);
	assert_string_equal(ids, "001,002,003");
	assert_int_equal(total, 3);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.ids[0], "999");
	assert_string_equal(m.ids[1], "0500");
	free(ids);

	/* Listed but filtered out is not missing. */
	memset(&m, 0, sizeof(m));
	ids = run(fx, l2, NP(l2), &total, &m);
	assert_string_equal(ids, "001");
	assert_int_equal(m.n, 1);
	assert_string_equal(m.ids[0], "998");
	free(ids);

	RUN_EQ(fx, l3, "011,012", 2);
	RUN_EQ(fx, l4, "000,001,002,003,004,005,006,007,008,009,010,011,012", 13);

	/* A removed agent is gone: missing when listed, absent otherwise. */
	fx->v[2]->removed = 1;
	memset(&m, 0, sizeof(m));
	ids = run(fx, l1, NP(l1), &total, &m);
	assert_string_equal(ids, "001,003");
	assert_int_equal(m.n, 3);
	assert_string_equal(m.ids[1], "002");
	free(ids);
	fx->v[2]->removed = 0;
}

static void
test_run_select_items(void **state)
{
	struct fixture *fx = *state;
	struct api_param p[] = { P("sort", "-id"), P("limit", "2"), P("select", "name,os.platform") };
	struct agents_query q;
	json_t *items = json_array();
	long total;
	char *s;

	parse_ok(p, NP(p), &q);
	agents_query_run(&q, fx->v, fx->n, items, &total, NULL, NULL);
	s = to_s(items);
	assert_string_equal(s, "[{\"id\": \"012\", \"name\": \"wazuh-agent12\", \"os\": {\"platform\": "
	    "\"ubuntu\"}}, {\"id\": \"011\", \"name\": \"wazuh-agent11\", \"os\": {\"platform\": "
	    "\"centos\"}}]");
	free(s);
	agents_query_free(&q);
}

/* Input not sorted by id (and with holes): the result is still id-ordered. */
static void
test_run_unsorted_input(void **state)
{
	struct fixture *fx = *state;
	struct agent *v[4] = { fx->v[9], fx->v[2], NULL, fx->v[5] };
	struct api_param p[] = { P("agents_list", "005,002,001") };
	struct agents_query q;
	struct missing_log m;
	json_t *items = json_array();
	long total;

	memset(&m, 0, sizeof(m));
	parse_ok(p, NP(p), &q);
	agents_query_run(&q, v, 4, items, &total, on_missing, &m);
	assert_int_equal(total, 2);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.ids[0], "001");
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "id")),
	    "002");
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "id")),
	    "005");
	json_decref(items);
	agents_query_free(&q);

	/* No agents at all. */
	items = json_array();
	parse_ok(NULL, 0, &q);
	agents_query_run(&q, NULL, 0, items, &total, NULL, NULL);
	assert_int_equal(total, 0);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
}

/* 50,000 agents: sort, search and page must be correct and quick. */
static void
test_run_50000(void **state)
{
	enum { N = 50000 };
	struct agent **v = calloc(N, sizeof(*v));
	struct api_param p1[] = { P("sort", "-name"), P("limit", "100000") };
	struct api_param p2[] = { P("sort", "status,-version"), P("offset", "49990"),
	    P("limit", "20"), P("select", "status,version") };
	struct api_param p3[] = { P("search", "node-7"), P("status", "active,pending"),
	    P("limit", "3") };
	struct agents_query q;
	json_t *items;
	long total;
	size_t i;
	clock_t t0;
	double secs;
	char name[32], prev[160];

	(void)state;
	assert_non_null(v);
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "host-%05zu", (i * 7919) % N);
		v[i] = mk((unsigned int)i, name, (int)(i % 4), i % 3 ? "Wazuh v4.12.0" : "Wazuh v4.9.2",
		    "ubuntu");
		snprintf(v[i]->node_name, sizeof(v[i]->node_name), "node-%zu", i % 10);
	}
	t0 = clock();

	items = json_array();
	parse_ok(p1, NP(p1), &q);
	agents_query_run(&q, v, N, items, &total, NULL, NULL);
	assert_int_equal(total, N);
	assert_int_equal(json_array_size(items), N);
	prev[0] = '\0';
	for (i = 0; i < N; i++) {
		const char *nm = json_string_value(json_object_get(json_array_get(items, i), "name"));

		assert_non_null(nm);
		if (i > 0)
			assert_true(strcmp(prev, nm) > 0);
		snprintf(prev, sizeof(prev), "%s", nm);
	}
	assert_string_equal(prev, "host-00000");
	json_decref(items);
	agents_query_free(&q);

	/* Only the 10 rows left after the offset are built. */
	items = json_array();
	parse_ok(p2, NP(p2), &q);
	agents_query_run(&q, v, N, items, &total, NULL, NULL);
	assert_int_equal(total, N);
	assert_int_equal(json_array_size(items), 10);
	for (i = 0; i < 10; i++) {
		json_t *it = json_array_get(items, i);

		/* status sorts as text: "pending" last; then 4.9.2 after 4.12.0 (descending). */
		assert_string_equal(json_string_value(json_object_get(it, "status")), "pending");
		assert_string_equal(json_string_value(json_object_get(it, "version")), "Wazuh v4.9.2");
		assert_int_equal(json_object_size(it), 3);
	}
	json_decref(items);
	agents_query_free(&q);

	items = json_array();
	parse_ok(p3, NP(p3), &q);
	agents_query_run(&q, v, N, items, &total, NULL, NULL);
	/* i % 10 == 7 and i % 4 in {1 (pending), 2 (active)}: i % 20 in {17, 2+...} */
	{
		long want = 0;

		for (i = 0; i < N; i++)
			if (i % 10 == 7 && (i % 4 == AGENT_ACTIVE || i % 4 == AGENT_PENDING))
				want++;
		assert_int_equal(total, want);
	}
	assert_int_equal(json_array_size(items), 3);
	json_decref(items);
	agents_query_free(&q);

	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	if (secs > 10.0)
		fail_msg("50,000-agent listing took %.2f s", secs);
	for (i = 0; i < N; i++)
		free(v[i]);
	free(v);
}

#define RUN_AT(fx, params, now, expect, expect_total) do {			\
	long total_ = -1;							\
	char *out_ = run_at((fx), (params), NP(params), (now), &total_, NULL);	\
	assert_string_equal(out_, (expect));					\
	assert_int_equal(total_, (expect_total));				\
	free(out_);								\
} while (0)

static void
test_run_q(void **state)
{
	struct fixture *fx = *state;
	struct api_param a1[] = { P("q", "status=active;os.platform=centos") };
	struct api_param a2[] = { P("q", "(status=disconnected,status=never_connected);id!=12") };
	struct api_param a3[] = { P("q", "status=disconnected,status=never_connected;id!=12") };
	struct api_param n1[] = { P("q", "id<3") };
	struct api_param n2[] = { P("q", "id>10") };
	struct api_param n3[] = { P("q", "id=005") };
	struct api_param n4[] = { P("q", "id~1") };
	struct api_param n5[] = { P("q", "id<abc") };      /* integers sort below text */
	struct api_param v1[] = { P("q", "version>Wazuh v4.2") };   /* text, as Wazuh compares */
	struct api_param v2[] = { P("q", "version=Wazuhv4.9.2") };
	struct api_param v3[] = { P("q", "version~v4.1") };
	struct api_param g1[] = { P("q", "group=group1") };
	struct api_param g2[] = { P("q", "group!=group1") };
	struct api_param g3[] = { P("q", "group~ROUP2") };
	struct api_param s1[] = { P("q", "name~agent1"), P("sort", "-id") };
	struct api_param s2[] = { P("q", "name=WAZUH-AGENT3") };
	struct api_param s3[] = { P("q", "node_name!=node01") };
	struct api_param s4[] = { P("q", "ip=172.16.0.4,ip=none") };
	struct api_param s5[] = { P("q", "os.name=null;id<2") };
	struct api_param s6[] = { P("q", "name=wazuh-agent1'") };   /* a quote is '_' in a LIKE */
	struct api_param s7[] = { P("q", "group_config_status=not synced;status!=disconnected") };
	/* A quoted value keeps its operator: != is NOT LIKE, < compares as written. */
	struct api_param t1[] = { P("q", "name!=wazuh-agent1'") };
	struct api_param t2[] = { P("q", "id!=1'") };
	struct api_param t3[] = { P("q", "group=group'") };
	struct api_param t4[] = { P("q", "group!=group'") };
	struct api_param t5[] = { P("q", "version!=Wazuhv4.1'.0") };
	struct api_param t6[] = { P("q", "name<wazuh-agent2'") };
	struct api_param t7[] = { P("q", "id='1'") };
	struct api_param d1[] = { P("q", "lastKeepAlive>2023-11-14T22:13:23Z") };
	struct api_param d2[] = { P("q", "dateAdd<2020-09-13 12:26:42") };
	struct api_param d3[] = { P("q", "dateAdd=2020-13-01") };   /* no date: nothing */
	struct api_param e1[] = { P("q", "") };
	struct api_param f1[] = { P("q", "status=active"), P("status", "disconnected") };

	RUN_EQ(fx, a1, "001,003,005,007", 4);
	RUN_EQ(fx, a2, "009,010,011", 3);
	RUN_EQ(fx, a3, "009,010,011", 3);
	RUN_EQ(fx, n1, "000,001,002", 3);
	RUN_EQ(fx, n2, "011,012", 2);
	RUN_EQ(fx, n3, "005", 1);
	RUN_EQ(fx, n4, "001,010,011,012", 4);
	RUN_EQ(fx, n5, "000,001,002,003,004,005,006,007,008,009,010,011,012", 13);
	RUN_EQ(fx, v1, "009,010", 2);
	RUN_EQ(fx, v2, "009,010", 2);
	RUN_EQ(fx, v3, "000,001,002,003,004,005,006,007,008", 9);
	RUN_EQ(fx, g1, "001,005,007,008,009", 5);
	RUN_EQ(fx, g2, "002,003,004,006,010,011,012", 7);   /* 000 has no group: NULL */
	RUN_EQ(fx, g3, "002,005,006", 3);
	RUN_EQ(fx, s1, "012,011,010,001", 4);
	RUN_EQ(fx, s2, "003", 1);
	RUN_EQ(fx, s3, "003", 1);
	RUN_EQ(fx, s4, "004", 1);
	RUN_EQ(fx, s5, "000,001", 2);
	RUN_EQ(fx, s6, "010,011,012", 3);
	RUN_EQ(fx, s7, "011,012", 2);
	RUN_EQ(fx, t1, "000,001,002,003,004,005,006,007,008,009", 10);
	RUN_EQ(fx, t2, "000,001,002,003,004,005,006,007,008,009", 10);
	RUN_EQ(fx, t3, "001,002,005,006,007,008,009", 7);
	RUN_EQ(fx, t4, "003,004,010,011,012", 5);   /* 000 has no group: NULL */
	RUN_EQ(fx, t5, "005,006,007,008,009,010", 6);   /* 011, 012: no version */
	RUN_EQ(fx, t6, "001,002,010,011,012", 5);
	RUN_EQ(fx, t7, "", 0);   /* "_1_" is three characters */
	/* 1700000000 is 2023-11-14T22:13:20Z; dates leave 000 out, as Wazuh's id != 0 does */
	RUN_EQ(fx, d1, "004,005,006,007,008", 5);
	RUN_EQ(fx, d2, "001", 1);   /* 1600000002 is 2020-09-13 12:26:42 */
	RUN_EQ(fx, d3, "", 0);
	RUN_EQ(fx, e1, "000,001,002,003,004,005,006,007,008,009,010,011,012", 13);
	RUN_EQ(fx, f1, "", 0);
}

static void
test_run_q_relative(void **state)
{
	struct fixture *fx = *state;
	time_t now = 1700000000 + 100;
	struct api_param r1[] = { P("q", "lastKeepAlive<98s") };   /* newer than now - 98 */
	struct api_param r2[] = { P("q", "lastKeepAlive>98") };    /* older */
	struct api_param r3[] = { P("q", "dateAdd>1d;dateAdd<99999d") };
	struct api_param o1[] = { P("older_than", "98s") };
	struct api_param o2[] = { P("older_than", "98s"), P("q", "id>5,id<2") };
	struct api_param o3[] = { P("older_than", "0s") };         /* Wazuh drops exactly "0s" */
	struct api_param o4[] = { P("older_than", "3650d") };

	RUN_AT(fx, r1, now, "003,004,005,006,007,008", 6);
	RUN_AT(fx, r2, now, "001", 1);
	RUN_AT(fx, r3, now, "001,002,003,004,005,006,007,008,009,010,011,012", 12);
	/* connected agents by their keepalive, never-connected ones by their registration */
	RUN_AT(fx, o1, now, "001,011,012", 3);
	/* older_than is ANDed with the whole of q */
	RUN_AT(fx, o2, now, "001,011,012", 3);
	RUN_AT(fx, o3, now, "000,001,002,003,004,005,006,007,008,009,010,011,012", 13);
	RUN_AT(fx, o4, now, "", 0);
}

static void
test_run_distinct(void **state)
{
	struct fixture *fx = *state;
	struct api_param d1[] = { P("distinct", "true"), P("select", "os.platform") };
	struct api_param d2[] = { P("distinct", "true"), P("select", "version"), P("sort", "-version") };
	struct api_param d3[] = { P("distinct", "true"), P("select", "status,node_name"),
	    P("limit", "2"), P("offset", "1") };
	struct api_param d4[] = { P("distinct", "true"), P("select", "id,group_config_status"),
	    P("q", "id<2") };
	struct api_param d5[] = { P("distinct", "true") };   /* every field: none has them all */
	struct api_param d6[] = { P("distinct", "false"), P("select", "os.platform"),
	    P("limit", "1") };

	RUN_AT(fx, d1, 0, "{\"os\": {\"platform\": \"ubuntu\"}},{\"os\": {\"platform\": \"centos\"}}",
	    2);
	RUN_AT(fx, d2, 0, "{\"version\": \"Wazuh v4.12.0\"},{\"version\": \"Wazuh v4.10.1\"},"
	    "{\"version\": \"Wazuh v4.9.2\"}", 3);
	RUN_AT(fx, d3, 0, "{\"node_name\": \"worker1\", \"status\": \"active\"},"
	    "{\"node_name\": \"node01\", \"status\": \"disconnected\"}", 4);
	RUN_AT(fx, d4, 0, "000,001", 2);
	RUN_AT(fx, d5, 0, "", 0);
	RUN_AT(fx, d6, 0, "000", 13);
}

static void
test_run_q_errors(void **state)
{
	struct api_qerr e;

	(void)state;
	e = parse_err("q", "name=x;");
	assert_int_equal(e.code, 1407);
	assert_string_equal(e.detail, "Query does not match expected format: name=x;");
	e = parse_err("q", "nope=1");
	assert_int_equal(e.code, 1408);
	assert_non_null(strstr(e.detail, "Field does not exist.: Available fields: id, name, ip, "));
	assert_non_null(strstr(e.detail, ". Field: nope"));
	e = parse_err("q", "name==1");
	assert_int_equal(e.code, 1409);
	assert_string_equal(e.detail, "Invalid query operator: Valid operators: =, !=, <, >, ~. "
	    "Used operator: ==");
	e = parse_err("q", "group<a");
	assert_int_equal(e.code, 1409);
	assert_string_equal(e.detail, "Invalid query operator: Valid operators for 'group' field: "
	    "=, !=, ~. Used operator: <");
	e = parse_err("q", "dateAdd<yesterday");
	assert_int_equal(e.code, 1412);
	assert_string_equal(e.detail, "Date filter not valid. Valid formats are YYYY-MM-DD "
	    "HH:mm:ss, YYYY-MM-DDTHH:mm:ssZ or YYYY-MM-DD: yesterday");
	e = parse_err("q", "lastKeepAlive>7x");
	assert_int_equal(e.code, 1411);
	e = parse_err("older_than", "7w");
	assert_int_equal(e.code, 0);
	assert_string_equal(e.detail, "'7w' does not match '^(\\\\d+[dhms]?)$' - 'older_than'");
}

static void
test_run_os_version_sort(void **state)
{
	struct fixture *fx = *state;
	struct api_param p[] = { P("sort", "os.version"), P("agents_list", "001,002,003,004,005") };
	struct api_param d[] = { P("sort", "-os.version"), P("agents_list", "001,002,003,004,005") };

	/* Wazuh: CAST(os_major AS INTEGER), CAST(os_minor AS INTEGER); NULL first */
	snprintf(fx->v[1]->st.info.os_major, sizeof(fx->v[1]->st.info.os_major), "10");
	snprintf(fx->v[1]->st.info.os_minor, sizeof(fx->v[1]->st.info.os_minor), "2");
	snprintf(fx->v[2]->st.info.os_major, sizeof(fx->v[2]->st.info.os_major), "9");
	snprintf(fx->v[3]->st.info.os_major, sizeof(fx->v[3]->st.info.os_major), "10");
	snprintf(fx->v[3]->st.info.os_minor, sizeof(fx->v[3]->st.info.os_minor), "10");
	snprintf(fx->v[4]->st.info.os_major, sizeof(fx->v[4]->st.info.os_major), "22");
	RUN_EQ(fx, p, "005,002,001,003,004", 5);
	RUN_EQ(fx, d, "004,003,001,002,005", 5);
}

static void
test_run_search_negation(void **state)
{
	struct fixture *fx = *state;
	struct api_param s1[] = { P("search", "wazuh-agent1") };
	struct api_param s2[] = { P("search", "-wazuh-agent1") };
	struct api_param s3[] = { P("search", "-wazuh") };

	RUN_EQ(fx, s1, "001,010,011,012", 4);
	RUN_EQ(fx, s2, "000,002,003,004,005,006,007,008,009", 9);
	RUN_EQ(fx, s3, "", 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_check_params),
		cmocka_unit_test(test_agents_list),
		cmocka_unit_test(test_parse_defaults),
		cmocka_unit_test(test_parse_all),
		cmocka_unit_test(test_parse_sort_signs),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_coded_errors),
		cmocka_unit_test(test_agent_json_full),
		cmocka_unit_test(test_agent_json_sparse),
		cmocka_unit_test(test_agent_json_select),
		cmocka_unit_test_setup_teardown(test_run_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_sort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_agents_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_select_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_unsorted_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_q, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_q_relative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_distinct, setup, teardown),
		cmocka_unit_test(test_run_q_errors),
		cmocka_unit_test_setup_teardown(test_run_os_version_sort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_search_negation, setup, teardown),
		cmocka_unit_test(test_run_50000),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
