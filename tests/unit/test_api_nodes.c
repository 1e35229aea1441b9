/* test_api_nodes.c — GET /cluster/nodes parsing and listing (api_query.c, api_query_nodes.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "node/api/api_query.h"

#define P(k, v) { (k), (v) }
#define NP(a) (sizeof(a) / sizeof((a)[0]))

/* The master first, then the workers in the order they joined. */
static const struct api_node_row rows[] = {
	{ { "master-node", "master", "4.12.0", "10.0.0.1" } },
	{ { "worker2", "worker", "4.12.0", "10.0.0.3" } },
	{ { "Worker1", "worker", "4.12.0", "10.0.0.2" } },
	{ { "worker3", "worker", "4.12.0", "10.0.0.2" } },
};

struct missing_log {
	char names[8][64];
	size_t n;
};

static void
note_missing(void *arg, const char *name)
{
	struct missing_log *m = arg;

	if (m->n < 8)
		snprintf(m->names[m->n++], sizeof(m->names[0]), "%s", name);
}

/* run: parses params and lists rows; returns the items (caller decrefs) or NULL on error. */
static json_t *
run(const struct api_param *params, size_t n, long *total, struct missing_log *m,
    struct api_qerr *err)
{
	struct nodes_query q;
	json_t *items = json_array();

	assert_non_null(items);
	if (nodes_query_parse(params, n, &q, err) == -1) {
		json_decref(items);
		return NULL;
	}
	if (nodes_query_run(&q, rows, NP(rows), items, total, note_missing, m, err) == -1) {
		json_decref(items);
		items = NULL;
	}
	nodes_query_free(&q);
	return items;
}

static const char *
name_at(json_t *items, size_t i)
{
	return json_string_value(json_object_get(json_array_get(items, i), "name"));
}

static void
test_parse_defaults_and_schema(void **state)
{
	struct api_param none[1] = { P("pretty", "false") };
	struct api_param extra[] = { P("limit", "5"), P("bogus", "1") };
	struct api_param q[] = { P("q", "name%=worker1") };
	struct api_param dist[] = { P("distinct", "maybe") };
	struct api_param wfc[] = { P("wait_for_complete", "yes") };
	struct api_param lim0[] = { P("limit", "0") };
	struct api_param limbig[] = { P("limit", "100001") };
	struct api_param offneg[] = { P("offset", "-1") };
	struct api_param type[] = { P("type", "WORKER") };
	struct api_param badtype[] = { P("type", "king") };
	struct api_param badsearch[] = { P("search", "a;b") };
	struct nodes_query nq;
	struct api_qerr err;

	(void)state;
	assert_int_equal(nodes_query_parse(none, 0, &nq, &err), 0);
	assert_int_equal(nq.limit, 500);
	assert_int_equal(nq.offset, 0);
	assert_int_equal(nq.type, -1);
	assert_null(nq.nodes);
	nodes_query_free(&nq);

	assert_int_equal(nodes_query_parse(extra, NP(extra), &nq, &err), -1);
	assert_int_equal(err.http_status, 400);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.detail, "Extra parameter(s) bogus not in spec");
	assert_int_equal(nodes_query_parse(q, NP(q), &nq, &err), -1);
	assert_int_equal(err.code, 1407);
	assert_string_equal(err.detail, "Parameter 'q' is not valid: 'name%=worker1'");
	assert_int_equal(nodes_query_parse(dist, NP(dist), &nq, &err), -1);
	assert_string_equal(err.detail, "'maybe' is not of type 'boolean' - 'distinct'");
	assert_int_equal(nodes_query_parse(wfc, NP(wfc), &nq, &err), -1);
	assert_string_equal(err.detail, "'yes' is not of type 'boolean' - 'wait_for_complete'");
	assert_int_equal(nodes_query_parse(lim0, NP(lim0), &nq, &err), -1);
	assert_string_equal(err.detail, "0 is less than the minimum of 1 - 'limit'");
	assert_int_equal(nodes_query_parse(limbig, NP(limbig), &nq, &err), -1);
	assert_int_equal(nodes_query_parse(offneg, NP(offneg), &nq, &err), -1);
	assert_int_equal(err.code, 0);
	assert_int_equal(nodes_query_parse(type, NP(type), &nq, &err), 0);
	assert_int_equal(nq.type, 1);
	nodes_query_free(&nq);
	assert_int_equal(nodes_query_parse(badtype, NP(badtype), &nq, &err), -1);
	assert_string_equal(err.detail, "'king' is not one of ['worker', 'master'] - 'type'");
	assert_int_equal(nodes_query_parse(badsearch, NP(badsearch), &nq, &err), -1);
	assert_int_equal(err.code, 0);
}

static void
test_parse_select(void **state)
{
	struct api_param ok[] = { P("select", "ip,name,ip") };
	struct api_param bad[] = { P("select", "name,bogus,other") };
	struct api_param badfmt[] = { P("select", "bogus,na me") };
	struct api_param both[] = { P("select", "bogus"), P("limit", "0") };
	struct nodes_query nq;
	struct api_qerr err;

	(void)state;
	assert_int_equal(nodes_query_parse(ok, NP(ok), &nq, &err), 0);
	assert_int_equal(nq.nselect, 2);
	assert_int_equal(nq.select[0], NODES_F_IP);
	assert_int_equal(nq.select[1], NODES_F_NAME);
	nodes_query_free(&nq);

	assert_int_equal(nodes_query_parse(bad, NP(bad), &nq, &err), -1);
	assert_int_equal(err.http_status, 400);
	assert_int_equal(err.code, 1724);
	assert_string_equal(err.detail, "Not a valid select field: bogus, other");
	assert_string_equal(err.remediation,
	    "Please, use only allowed select fields: name, type, version, ip");
	/* A schema error wins over 1724: connexion validates before the framework runs. */
	assert_int_equal(nodes_query_parse(badfmt, NP(badfmt), &nq, &err), -1);
	assert_int_equal(err.code, 0);
	assert_int_equal(nodes_query_parse(both, NP(both), &nq, &err), -1);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.remediation, "");
}

static void
test_nodes_list(void **state)
{
	struct api_qerr err;
	char **names;
	size_t n;

	(void)state;
	assert_int_equal(api_parse_nodes_list("w1,w2,w1", &names, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "w1");
	assert_string_equal(names[1], "w2");
	api_nodes_list_free(names, n);
	assert_int_equal(api_parse_nodes_list("node%1.a-b_c", &names, &n, &err), 0);
	assert_int_equal(n, 1);
	api_nodes_list_free(names, n);
	assert_int_equal(api_parse_nodes_list("w1,,w2", &names, &n, &err), -1);
	assert_null(names);
	assert_string_equal(err.detail, "'' does not match '^[\\\\w\\\\-.%]+$' - 'nodes_list'");
	assert_int_equal(api_parse_nodes_list("", &names, &n, &err), -1);
	assert_int_equal(api_parse_nodes_list("a b", &names, &n, &err), -1);
	assert_int_equal(api_parse_nodes_list("a/b", &names, &n, &err), -1);
	assert_int_equal(api_check_node_name("worker-1.x", "node_id", &err), 0);
	assert_int_equal(api_check_node_name("wor ker", "node_id", &err), -1);
	assert_int_equal(err.http_status, 400);
	assert_int_equal(api_check_node_name("", "node_id", &err), -1);
}

static void
test_run_order_sort_and_paging(void **state)
{
	struct api_param none[1] = { P("pretty", "false") };
	struct api_param desc[] = { P("sort", "-name") };
	struct api_param asc[] = { P("sort", "+name") };
	struct api_param multi[] = { P("sort", "ip,name") };
	struct api_param page[] = { P("sort", "name"), P("offset", "1"), P("limit", "2") };
	struct api_param far[] = { P("offset", "10") };
	struct missing_log m = { .n = 0 };
	struct api_qerr err;
	json_t *items;
	long total;

	(void)state;
	/* No sort: cluster order, the master first. */
	items = run(none, 0, &total, &m, &err);
	assert_non_null(items);
	assert_int_equal(total, 4);
	assert_string_equal(name_at(items, 0), "master-node");
	assert_string_equal(name_at(items, 1), "worker2");
	assert_int_equal(json_object_size(json_array_get(items, 0)), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0),
	    "version")), "4.12.0");
	json_decref(items);
	/* Case-insensitive, as Python's .lower() keys. */
	items = run(desc, NP(desc), &total, &m, &err);
	assert_string_equal(name_at(items, 0), "worker3");
	assert_string_equal(name_at(items, 1), "worker2");
	assert_string_equal(name_at(items, 2), "Worker1");
	assert_string_equal(name_at(items, 3), "master-node");
	json_decref(items);
	items = run(asc, NP(asc), &total, &m, &err);
	assert_string_equal(name_at(items, 0), "master-node");
	assert_string_equal(name_at(items, 1), "Worker1");
	json_decref(items);
	/* Several fields: ip first, name breaks the tie. */
	items = run(multi, NP(multi), &total, &m, &err);
	assert_string_equal(name_at(items, 0), "master-node");
	assert_string_equal(name_at(items, 1), "Worker1");
	assert_string_equal(name_at(items, 2), "worker3");
	assert_string_equal(name_at(items, 3), "worker2");
	json_decref(items);
	items = run(page, NP(page), &total, &m, &err);
	assert_int_equal(total, 4);
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(name_at(items, 0), "Worker1");
	assert_string_equal(name_at(items, 1), "worker2");
	json_decref(items);
	items = run(far, NP(far), &total, &m, &err);
	assert_int_equal(total, 4);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
	assert_int_equal(m.n, 0);
}

static void
test_run_bad_sort(void **state)
{
	struct api_param bad[] = { P("sort", "-name,bogus") };
	struct api_param empty[] = { P("sort", "bogus"), P("nodes_list", "ghost") };
	struct missing_log m = { .n = 0 };
	struct api_qerr err;
	json_t *items;
	long total;

	(void)state;
	assert_null(run(bad, NP(bad), &total, &m, &err));
	assert_int_equal(err.http_status, 400);
	assert_int_equal(err.code, 1403);
	assert_string_equal(err.detail, "Not a valid sort field ");
	assert_string_equal(err.remediation, "Please, use only allowed sort fields: Allowed sort "
	    "fields: name, type, version, ip. Wrong fields: bogus");
	/* Nothing to sort: process_array never looks at the fields. */
	items = run(empty, NP(empty), &total, &m, &err);
	assert_non_null(items);
	assert_int_equal(total, 0);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.names[0], "ghost");
	json_decref(items);
}

static void
test_run_filters(void **state)
{
	struct api_param list[] = { P("nodes_list", "worker3,ghost,master-node,ghost2") };
	struct api_param type[] = { P("type", "master") };
	struct api_param search[] = { P("search", "WORKER") };
	struct api_param neg[] = { P("search", "-worker") };
	struct api_param ipsearch[] = { P("search", "10.0.0.2"), P("select", "name") };
	struct missing_log m = { .n = 0 };
	struct api_qerr err;
	json_t *items;
	long total;

	(void)state;
	items = run(list, NP(list), &total, &m, &err);
	assert_int_equal(total, 2);
	assert_string_equal(name_at(items, 0), "master-node");
	assert_string_equal(name_at(items, 1), "worker3");
	assert_int_equal(m.n, 2);
	assert_string_equal(m.names[0], "ghost");
	assert_string_equal(m.names[1], "ghost2");
	json_decref(items);
	items = run(type, NP(type), &total, &m, &err);
	assert_int_equal(total, 1);
	assert_string_equal(name_at(items, 0), "master-node");
	json_decref(items);
	items = run(search, NP(search), &total, &m, &err);
	assert_int_equal(total, 3);
	json_decref(items);
	items = run(neg, NP(neg), &total, &m, &err);
	assert_int_equal(total, 1);
	assert_string_equal(name_at(items, 0), "master-node");
	json_decref(items);
	/* The search only sees the selected fields. */
	items = run(ipsearch, NP(ipsearch), &total, &m, &err);
	assert_int_equal(total, 0);
	json_decref(items);
}

static void
test_run_select_and_distinct(void **state)
{
	struct api_param sel[] = { P("select", "ip,name") };
	struct api_param dist[] = { P("select", "type"), P("distinct", "true") };
	struct api_param sortsel[] = { P("select", "name"), P("sort", "-ip") };
	struct missing_log m = { .n = 0 };
	struct api_qerr err;
	json_t *items, *o;
	const char *key;
	long total;

	(void)state;
	items = run(sel, NP(sel), &total, &m, &err);
	o = json_array_get(items, 0);
	assert_int_equal(json_object_size(o), 2);
	/* Keys in the order asked for, as {k: v[k] for k in select}. */
	key = json_object_iter_key(json_object_iter(o));
	assert_string_equal(key, "ip");
	json_decref(items);
	items = run(dist, NP(dist), &total, &m, &err);
	assert_int_equal(total, 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "type")),
	    "master");
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "type")),
	    "worker");
	json_decref(items);
	/* Sorting by a field that is not selected leaves the cluster order. */
	items = run(sortsel, NP(sortsel), &total, &m, &err);
	assert_string_equal(name_at(items, 0), "master-node");
	assert_string_equal(name_at(items, 3), "worker3");
	json_decref(items);
}

static void
test_check_params_booleans(void **state)
{
	static const char *const allowed[] = { "pretty", "wait_for_complete", NULL };
	struct api_param ok[] = { P("pretty", "TRUE"), P("wait_for_complete", "false") };
	struct api_param bad[] = { P("wait_for_complete", "1") };
	struct api_qerr err;

	(void)state;
	assert_int_equal(api_check_params(ok, NP(ok), allowed, &err), 0);
	assert_int_equal(api_check_params(bad, NP(bad), allowed, &err), -1);
	assert_int_equal(err.http_status, 400);
	assert_string_equal(err.detail, "'1' is not of type 'boolean' - 'wait_for_complete'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_defaults_and_schema),
		cmocka_unit_test(test_parse_select),
		cmocka_unit_test(test_nodes_list),
		cmocka_unit_test(test_run_order_sort_and_paging),
		cmocka_unit_test(test_run_bad_sort),
		cmocka_unit_test(test_run_filters),
		cmocka_unit_test(test_run_select_and_distinct),
		cmocka_unit_test(test_check_params_booleans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
