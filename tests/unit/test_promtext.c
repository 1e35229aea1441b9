/* test_promtext.c — Prometheus text format 0.0.4: names, escaping, values, histograms, as tables. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/promtext.h"

static const struct { const char *name; int metric, label; } name_cases[] = {
	{ "vigil_agents", 1, 1 },
	{ "_x", 1, 1 },
	{ "a:b", 1, 0 },            /* colons: metric names only */
	{ ":x", 1, 0 },
	{ "__name__", 1, 0 },       /* reserved label names */
	{ "X9_y", 1, 1 },
	{ "", 0, 0 },
	{ "9abc", 0, 0 },
	{ "a-b", 0, 0 },
	{ "a b", 0, 0 },
	{ "é", 0, 0 },
	{ "a.b", 0, 0 },
};

static void
test_names(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		if (promtext_name_ok(name_cases[i].name) != name_cases[i].metric)
			fail_msg("metric name '%s'", name_cases[i].name);
		if (promtext_label_ok(name_cases[i].name) != name_cases[i].label)
			fail_msg("label name '%s'", name_cases[i].name);
	}
}

/* One sample with at most two labels, written as a text of its own. */
struct sample_case {
	const char *name;
	const char *l1, *v1, *l2, *v2;
	int is_f64;
	uint64_t u;
	double f;
	const char *want;           /* NULL: the text fails */
};

static const struct sample_case sample_cases[] = {
	{ "vigil_x", NULL, NULL, NULL, NULL, 0, 0, 0, "vigil_x 0\n" },
	{ "vigil_x_total", NULL, NULL, NULL, NULL, 0, UINT64_MAX, 0,
	    "vigil_x_total 18446744073709551615\n" },
	{ "vigil_x", "status", "active", NULL, NULL, 0, 7, 0, "vigil_x{status=\"active\"} 7\n" },
	{ "vigil_x", "a", "1", "b", "2", 0, 3, 0, "vigil_x{a=\"1\",b=\"2\"} 3\n" },
	{ "vigil_x", "node", "we\"ird\\no\nde", NULL, NULL, 0, 1, 0,
	    "vigil_x{node=\"we\\\"ird\\\\no\\nde\"} 1\n" },
	{ "vigil_x", "node", "", NULL, NULL, 0, 1, 0, "vigil_x{node=\"\"} 1\n" },
	{ "vigil_x", "node", "ünï", NULL, NULL, 0, 1, 0, "vigil_x{node=\"ünï\"} 1\n" },
	{ "vigil_s", NULL, NULL, NULL, NULL, 1, 0, 0.001, "vigil_s 0.001\n" },
	{ "vigil_s", NULL, NULL, NULL, NULL, 1, 0, 0.1 + 0.2, "vigil_s 0.30000000000000004\n" },
	{ "vigil_s", NULL, NULL, NULL, NULL, 1, 0, 1e21, "vigil_s 1e+21\n" },
	{ "vigil_s", NULL, NULL, NULL, NULL, 1, 0, -2.5, "vigil_s -2.5\n" },
	{ "vigil_s", NULL, NULL, NULL, NULL, 1, 0, INFINITY, "vigil_s +Inf\n" },
	{ "vigil_s", NULL, NULL, NULL, NULL, 1, 0, -INFINITY, "vigil_s -Inf\n" },
	{ "vigil_s", NULL, NULL, NULL, NULL, 1, 0, NAN, "vigil_s NaN\n" },
	{ "vigil-x", NULL, NULL, NULL, NULL, 0, 1, 0, NULL },
	{ "vigil_x", "le-x", "1", NULL, NULL, 0, 1, 0, NULL },
	{ "vigil_x", "__x", "1", NULL, NULL, 0, 1, 0, NULL },
	{ "vigil_x", "a", NULL, NULL, NULL, 0, 1, 0, NULL },
};

static void
test_samples(void **state)
{
	size_t i, len, n;

	(void)state;
	for (i = 0; i < sizeof(sample_cases) / sizeof(sample_cases[0]); i++) {
		const struct sample_case *c = &sample_cases[i];
		struct promtext_label l[2] = { { c->l1, c->v1 }, { c->l2, c->v2 } };
		struct promtext t;
		char *s;

		n = c->l1 == NULL ? 0 : c->l2 == NULL ? 1 : 2;
		promtext_init(&t);
		if (c->is_f64)
			promtext_f64(&t, c->name, l, n, c->f);
		else
			promtext_u64(&t, c->name, l, n, c->u);
		s = promtext_take(&t, &len);
		if (c->want == NULL) {
			if (s != NULL)
				fail_msg("case %zu: '%s' should have failed", i, s);
			continue;
		}
		if (s == NULL || strcmp(s, c->want) != 0 || len != strlen(c->want))
			fail_msg("case %zu: got '%s', want '%s'", i, s ? s : "(null)", c->want);
		free(s);
	}
}

static const struct { const char *name, *type, *help, *want; } family_cases[] = {
	{ "vigil_a_total", "counter", "Things.", "# HELP vigil_a_total Things.\n"
	    "# TYPE vigil_a_total counter\n" },
	{ "vigil_b", "gauge", "back\\slash\nnew \"q\"", "# HELP vigil_b back\\\\slash\\nnew \"q\"\n"
	    "# TYPE vigil_b gauge\n" },
	{ "vigil_c_seconds", "histogram", "", "# HELP vigil_c_seconds \n"
	    "# TYPE vigil_c_seconds histogram\n" },
	{ "vigil_d", "summary", "x", "# HELP vigil_d x\n# TYPE vigil_d summary\n" },
	{ "vigil_e", "untyped", "x", "# HELP vigil_e x\n# TYPE vigil_e untyped\n" },
	{ "vigil_f", "count", "x", NULL },
	{ "1vigil", "gauge", "x", NULL },
};

static void
test_families(void **state)
{
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(family_cases) / sizeof(family_cases[0]); i++) {
		struct promtext t;
		char *s;

		promtext_init(&t);
		promtext_family(&t, family_cases[i].name, family_cases[i].type, family_cases[i].help);
		s = promtext_take(&t, &len);
		if (family_cases[i].want == NULL) {
			assert_null(s);
			continue;
		}
		if (s == NULL || strcmp(s, family_cases[i].want) != 0)
			fail_msg("case %zu: got '%s'", i, s ? s : "(null)");
		free(s);
	}
}

/* Histograms: observations in, the whole text out. */
static const double bounds3[] = { 0.01, 0.1, 1 };

static const struct hist_case {
	double obs[8];
	size_t nobs;
	const char *want;
} hist_cases[] = {
	{ { 0 }, 0,
	    "h_bucket{r=\"x\",le=\"0.01\"} 0\nh_bucket{r=\"x\",le=\"0.1\"} 0\n"
	    "h_bucket{r=\"x\",le=\"1\"} 0\nh_bucket{r=\"x\",le=\"+Inf\"} 0\n"
	    "h_sum{r=\"x\"} 0\nh_count{r=\"x\"} 0\n" },
	/* a value on a bound is in that bound's bucket (le: less or equal) */
	{ { 0.01, 0.5, 0.5, 2, 0.001 }, 5,
	    "h_bucket{r=\"x\",le=\"0.01\"} 2\nh_bucket{r=\"x\",le=\"0.1\"} 2\n"
	    "h_bucket{r=\"x\",le=\"1\"} 4\nh_bucket{r=\"x\",le=\"+Inf\"} 5\n"
	    "h_sum{r=\"x\"} 3.0109999999999997\nh_count{r=\"x\"} 5\n" },
	{ { 100, NAN }, 2,
	    "h_bucket{r=\"x\",le=\"0.01\"} 0\nh_bucket{r=\"x\",le=\"0.1\"} 0\n"
	    "h_bucket{r=\"x\",le=\"1\"} 0\nh_bucket{r=\"x\",le=\"+Inf\"} 1\n"
	    "h_sum{r=\"x\"} 100\nh_count{r=\"x\"} 1\n" },
};

static void
test_histograms(void **state)
{
	size_t i, k, len;

	(void)state;
	for (i = 0; i < sizeof(hist_cases) / sizeof(hist_cases[0]); i++) {
		struct promtext_label l = { "r", "x" };
		struct promhist h;
		struct promtext t;
		char *s;

		promhist_init(&h, bounds3, 3);
		for (k = 0; k < hist_cases[i].nobs; k++)
			promhist_observe(&h, hist_cases[i].obs[k]);
		promtext_init(&t);
		promtext_histogram(&t, "h", &l, 1, &h);
		s = promtext_take(&t, &len);
		if (s == NULL || strcmp(s, hist_cases[i].want) != 0)
			fail_msg("case %zu: got\n%s", i, s ? s : "(null)");
		free(s);
	}
}

/* The latency bounds read back as written (no 0.0025000000000000001). */
static void
test_latency_bounds_short(void **state)
{
	struct promhist h;
	struct promtext t;
	size_t len;
	char *s;

	(void)state;
	promhist_init(&h, promhist_latency_s, promhist_latency_n);
	promtext_init(&t);
	promtext_histogram(&t, "h", NULL, 0, &h);
	s = promtext_take(&t, &len);
	assert_non_null(s);
	assert_non_null(strstr(s, "h_bucket{le=\"0.0025\"} 0\n"));
	assert_non_null(strstr(s, "h_bucket{le=\"10\"} 0\n"));
	assert_null(strstr(s, "00000"));
	free(s);
}

/* A long text grows the buffer many times over and stays whole. */
static void
test_growth(void **state)
{
	struct promtext t;
	char name[32], *s, *p;
	size_t i, len, lines = 0;

	(void)state;
	promtext_init(&t);
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "vigil_m%zu", i);
		promtext_u64(&t, name, NULL, 0, i);
	}
	s = promtext_take(&t, &len);
	assert_non_null(s);
	assert_int_equal(strlen(s), len);
	for (p = s; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 20000);
	assert_non_null(strstr(s, "vigil_m19999 19999\n"));
	free(s);
	promtext_init(&t);
	s = promtext_take(&t, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_histograms),
		cmocka_unit_test(test_latency_bounds_short),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
