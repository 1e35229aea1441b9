/* test_api_params.c — repeated query parameters combined as connexion does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "node/api/api_params.h"

#define MAXP 4

struct kv { const char *k, *v; };

static const struct {
	struct kv in[8];
	struct kv out[MAXP];
} cases[] = {
	/* one of each: as given, in order */
	{ { { "agents_list", "001" }, { "pretty", "true" } },
	  { { "agents_list", "001" }, { "pretty", "true" } } },
	/* a list parameter given twice is the list of both (connexion: form, explode) */
	{ { { "agents_list", "001" }, { "agents_list", "002" } },
	  { { "agents_list", "001,002" } } },
	/* three times, with comma lists inside, the key at its first place */
	{ { { "select", "id" }, { "limit", "5" }, { "select", "name,ip" }, { "select", "os.name" } },
	  { { "select", "id,name,ip,os.name" }, { "limit", "5" } } },
	{ { { "status", "active" }, { "status", "never_connected" } },
	  { { "status", "active,never_connected" } } },
	{ { { "fields", "os.name" }, { "fields", "status" } },
	  { { "fields", "os.name,status" } } },
	/* a scalar keeps its last value (connexion's values[-1]) */
	{ { { "limit", "1" }, { "offset", "0" }, { "limit", "500" } },
	  { { "limit", "500" }, { "offset", "0" } } },
	{ { { "q", "id=001" }, { "q", "id=002" } }, { { "q", "id=002" } } },
	/* an empty repeated list value joins too: validation decides on it */
	{ { { "agents_list", "" }, { "agents_list", "003" } }, { { "agents_list", ",003" } } },
};

static void
test_table(void **state)
{
	struct api_param v[MAXP];
	char *owned[MAXP];
	struct api_params ps = { v, 0, MAXP, owned, 0 };
	size_t c, i, n;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (i = 0; i < 8 && cases[c].in[i].k != NULL; i++)
			assert_int_equal(api_params_add(&ps, cases[c].in[i].k, cases[c].in[i].v), 0);
		for (n = 0; n < MAXP && cases[c].out[n].k != NULL; n++)
			;
		assert_int_equal(ps.n, n);
		for (i = 0; i < n; i++) {
			assert_string_equal(ps.v[i].key, cases[c].out[i].k);
			assert_string_equal(ps.v[i].value, cases[c].out[i].v);
		}
		api_params_clear(&ps);
		assert_int_equal(ps.n, 0);
	}
}

/* Many repeats of one list key use one slot; distinct keys beyond max fail. */
static void
test_limits(void **state)
{
	struct api_param v[MAXP];
	char *owned[MAXP], want[400];
	struct api_params ps = { v, 0, MAXP, owned, 0 };
	size_t i, off = 0;

	(void)state;
	for (i = 0; i < 100; i++) {
		assert_int_equal(api_params_add(&ps, "agents_list", "007"), 0);
		off += (size_t)snprintf(want + off, sizeof(want) - off, "%s007", i ? "," : "");
	}
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.nowned, 1);
	assert_string_equal(ps.v[0].value, want);
	assert_int_equal(api_params_add(&ps, "a", "1"), 0);
	assert_int_equal(api_params_add(&ps, "b", "1"), 0);
	assert_int_equal(api_params_add(&ps, "c", "1"), 0);
	assert_int_equal(api_params_add(&ps, "d", "1"), -1);
	assert_int_equal(api_params_add(&ps, "c", "2"), 0);     /* a repeat needs no new key */
	assert_int_equal(ps.n, MAXP);
	api_params_clear(&ps);
}

static void
test_is_list(void **state)
{
	(void)state;
	assert_true(api_param_is_list("agents_list"));
	assert_true(api_param_is_list("groups_list"));
	assert_true(api_param_is_list("nodes_list"));
	assert_false(api_param_is_list("q"));
	assert_false(api_param_is_list("limit"));
	assert_false(api_param_is_list("type"));      /* GET /cluster/nodes: a string */
	assert_false(api_param_is_list("agents"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_is_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
