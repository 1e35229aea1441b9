/* test_api_envelope.c — AffectedItemsWazuhResult rendering: message, error, grouping, order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/api/api_envelope.h"

#define ALL "All selected agents information was returned"
#define SOME "Some agents information was not returned"
#define NONE "No agent information was returned"

static char *
render(struct envelope *e, int sort)
{
	json_t *j = envelope_render(e, ALL, SOME, NONE, sort);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, 0);
	json_decref(j);
	assert_non_null(s);
	return s;
}

static json_t *
render_json(struct envelope *e)
{
	json_t *j = envelope_render(e, ALL, SOME, NONE, 1);

	assert_non_null(j);
	return j;
}

/*
 * listing: Wazuh's GET /agents with agents_list over agents 001..010 (known
 * ids are affected, others fail with 1701); returns the rendered body.
 */
static json_t *
listing(const char *list)
{
	struct envelope *e = envelope_new();
	char buf[256], *tok, *save = NULL;
	json_t *j;

	assert_non_null(e);
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		long id = strtol(tok, NULL, 10);

		if (id >= 1 && id <= 10)
			envelope_affect(e, json_pack("{s:s}", "id", tok));
		else
			envelope_fail(e, tok, 1701);
	}
	j = render_json(e);
	envelope_free(e);
	return j;
}

static int
error_of(json_t *j)
{
	return (int)json_integer_value(json_object_get(j, "error"));
}

static const char *
message_of(json_t *j)
{
	return json_string_value(json_object_get(j, "message"));
}

static void
test_empty(void **state)
{
	struct envelope *e = envelope_new();
	char *s;

	(void)state;
	assert_non_null(e);
	assert_int_equal(envelope_affected_count(e), 0);
	assert_int_equal(envelope_failed_count(e), 0);
	/* Nothing affected and nothing failed: none_msg, error 0. */
	s = render(e, 0);
	assert_string_equal(s, "{\"data\": {\"affected_items\": [], \"total_affected_items\": 0, "
	    "\"total_failed_items\": 0, \"failed_items\": []}, \"message\": \"" NONE "\", "
	    "\"error\": 0}");
	free(s);
	envelope_free(e);
	envelope_free(NULL);
}

static void
test_all(void **state)
{
	struct envelope *e = envelope_new();
	char *s;

	(void)state;
	envelope_affect(e, json_string("002"));
	envelope_affect(e, json_string("001"));
	s = render(e, 1);
	assert_string_equal(s, "{\"data\": {\"affected_items\": [\"001\", \"002\"], "
	    "\"total_affected_items\": 2, \"total_failed_items\": 0, \"failed_items\": []}, "
	    "\"message\": \"" ALL "\", \"error\": 0}");
	free(s);
	envelope_free(e);
}

/* The contract's cases: "001,002,999" -> 2 (partial), "998,999" -> 1 (all failed). */
static void
test_error_codes(void **state)
{
	json_t *j;

	(void)state;
	j = listing("001,002,999");
	assert_int_equal(error_of(j), 2);
	assert_string_equal(message_of(j), SOME);
	json_decref(j);

	j = listing("998,999");
	assert_int_equal(error_of(j), 1);
	assert_string_equal(message_of(j), NONE);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "data"),
	    "total_failed_items")), 2);
	json_decref(j);

	j = listing("001,002");
	assert_int_equal(error_of(j), 0);
	assert_string_equal(message_of(j), ALL);
	json_decref(j);

	j = listing("999");
	assert_int_equal(error_of(j), 1);
	assert_string_equal(message_of(j), NONE);
	json_decref(j);
}

static void
test_failed_exact(void **state)
{
	struct envelope *e = envelope_new();
	char *s;

	(void)state;
	envelope_affect(e, json_string("001"));
	envelope_fail(e, "000", 1703);
	envelope_fail(e, "999", 1701);
	envelope_fail(e, "500", 1701);
	s = render(e, 1);
	assert_string_equal(s, "{\"data\": {\"affected_items\": [\"001\"], "
	    "\"total_affected_items\": 1, \"total_failed_items\": 3, \"failed_items\": ["
	    "{\"error\": {\"code\": 1701, \"message\": \"Agent does not exist\", \"remediation\": "
	    "\"Please, use `GET /agents?select=id,name` to find all available agents\"}, "
	    "\"id\": [\"500\", \"999\"]}, "
	    "{\"error\": {\"code\": 1703, \"message\": \"Action not available for Manager (agent 000)"
	    "\", \"remediation\": \"Please, use `GET /agents?select=id,name` to find all available "
	    "agents and make sure you select an agent other than 000\"}, \"id\": [\"000\"]}]}, "
	    "\"message\": \"" SOME "\", \"error\": 2}");
	free(s);
	envelope_free(e);
}

/* Groups sorted by code whatever the insertion order; ids numerically: "9" before "010". */
static void
test_grouping_and_order(void **state)
{
	struct envelope *e = envelope_new();
	json_t *j, *failed, *ids;

	(void)state;
	envelope_fail(e, "010", 1707);
	envelope_fail(e, "010", 1701);
	envelope_fail(e, "9", 1707);
	envelope_fail(e, "100", 1707);
	envelope_fail(e, "002", 1707);
	envelope_fail(e, "0011", 1707);
	envelope_fail(e, "notexists", 1730);
	envelope_fail(e, "001", 1703);
	assert_int_equal(envelope_failed_count(e), 8);
	j = render_json(e);
	failed = json_object_get(json_object_get(j, "data"), "failed_items");
	assert_int_equal(json_array_size(failed), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(failed,
	    0), "error"), "code")), 1701);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(failed,
	    1), "error"), "code")), 1703);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(failed,
	    2), "error"), "code")), 1707);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(failed,
	    3), "error"), "code")), 1730);
	ids = json_object_get(json_array_get(failed, 2), "id");
	assert_int_equal(json_array_size(ids), 5);
	assert_string_equal(json_string_value(json_array_get(ids, 0)), "002");
	assert_string_equal(json_string_value(json_array_get(ids, 1)), "9");
	assert_string_equal(json_string_value(json_array_get(ids, 2)), "010");
	assert_string_equal(json_string_value(json_array_get(ids, 3)), "0011");
	assert_string_equal(json_string_value(json_array_get(ids, 4)), "100");
	/* 1730 has a remediation; a node id is not numeric and sorts as text. */
	ids = json_object_get(json_array_get(failed, 3), "id");
	assert_string_equal(json_string_value(json_array_get(ids, 0)), "notexists");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "data"),
	    "total_failed_items")), 8);
	assert_int_equal(error_of(j), 1);
	json_decref(j);
	envelope_free(e);
}

/* Wazuh keeps ids in a set: the same id failing twice with the same code counts once. */
static void
test_duplicates(void **state)
{
	struct envelope *e = envelope_new();
	json_t *j, *ids;

	(void)state;
	envelope_fail(e, "999", 1701);
	envelope_fail(e, "999", 1701);
	envelope_fail(e, "0999", 1701);
	assert_int_equal(envelope_failed_count(e), 2);
	j = render_json(e);
	ids = json_object_get(json_array_get(json_object_get(json_object_get(j, "data"),
	    "failed_items"), 0), "id");
	assert_int_equal(json_array_size(ids), 2);
	/* Equal values keep a stable textual order. */
	assert_string_equal(json_string_value(json_array_get(ids, 0)), "0999");
	assert_string_equal(json_string_value(json_array_get(ids, 1)), "999");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "data"),
	    "total_failed_items")), 2);
	json_decref(j);
	envelope_free(e);
}

/* Remediation omitted when the code has none; unknown codes still render. */
static void
test_no_remediation(void **state)
{
	struct envelope *e = envelope_new();
	char *s;

	(void)state;
	envelope_fail(e, "001", 3021);
	envelope_fail(e, "002", 12345);
	s = render(e, 0);
	assert_non_null(strstr(s, "{\"error\": {\"code\": 3021, \"message\": \"Timeout executing API "
	    "request\"}, \"id\": [\"001\"]}"));
	assert_non_null(strstr(s, "{\"error\": {\"code\": 12345, \"message\": \"Unknown error\"}, "
	    "\"id\": [\"002\"]}"));
	free(s);
	envelope_free(e);
}

/* Paged listings: the total overrides the count, and drives message and error. */
static void
test_total_override(void **state)
{
	struct envelope *e = envelope_new();
	json_t *j, *data;

	(void)state;
	envelope_affect(e, json_pack("{s:s}", "id", "003"));
	envelope_set_total(e, 13);
	j = render_json(e);
	data = json_object_get(j, "data");
	assert_int_equal(json_integer_value(json_object_get(data, "total_affected_items")), 13);
	assert_int_equal(json_array_size(json_object_get(data, "affected_items")), 1);
	assert_string_equal(message_of(j), ALL);
	json_decref(j);
	envelope_free(e);

	/* Offset past the end: no items but a total; the message is still all_msg. */
	e = envelope_new();
	envelope_set_total(e, 5);
	j = render_json(e);
	assert_string_equal(message_of(j), ALL);
	assert_int_equal(error_of(j), 0);
	json_decref(j);
	envelope_free(e);

	/* Total 0 with failures: error 1, none_msg. */
	e = envelope_new();
	envelope_set_total(e, 0);
	envelope_fail(e, "500", 1701);
	j = render_json(e);
	assert_string_equal(message_of(j), NONE);
	assert_int_equal(error_of(j), 1);
	json_decref(j);
	envelope_free(e);
}

/* Objects sort by their numeric "id" when asked; left alone otherwise; sort is stable. */
static void
test_sort_affected(void **state)
{
	struct envelope *e = envelope_new();
	json_t *j, *items;
	char *s;

	(void)state;
	envelope_affect(e, json_pack("{s:s, s:i}", "id", "010", "n", 1));
	envelope_affect(e, json_pack("{s:s, s:i}", "id", "9", "n", 2));
	envelope_affect(e, json_pack("{s:s, s:i}", "id", "002", "n", 3));
	envelope_affect(e, json_pack("{s:s, s:i}", "id", "002", "n", 4));
	envelope_affect(e, json_pack("{s:i}", "n", 5));
	s = render(e, 0);
	assert_non_null(strstr(s, "[{\"id\": \"010\", \"n\": 1}, {\"id\": \"9\", \"n\": 2}"));
	free(s);
	j = render_json(e);
	items = json_object_get(json_object_get(j, "data"), "affected_items");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "n")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 1), "n")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 2), "n")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 3), "n")), 1);
	/* No id: "" is not a number, so it sorts last. */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 4), "n")), 5);
	json_decref(j);
	/* Rendering twice gives the same body. */
	j = render_json(e);
	json_decref(j);
	envelope_free(e);
}

/* The restart envelope of the contract, group with no agents. */
static void
test_messages_null(void **state)
{
	struct envelope *e = envelope_new();
	json_t *j;

	(void)state;
	j = envelope_render(e, "a", "s", NULL, 1);
	assert_non_null(j);
	assert_null(json_object_get(j, "message"));
	assert_int_equal(error_of(j), 0);
	json_decref(j);
	/* A NULL item is remembered as a failure to render, not a crash. */
	envelope_affect(e, NULL);
	assert_null(envelope_render(e, "a", "s", "n", 1));
	envelope_free(e);
}

/* Many failures: grouping and sorting stay correct and fast. */
static void
test_many(void **state)
{
	struct envelope *e = envelope_new();
	json_t *j, *failed, *ids;
	char id[16];
	int i;

	(void)state;
	for (i = 50000; i > 0; i--) {
		snprintf(id, sizeof(id), "%03d", i);
		if (i % 2)
			envelope_fail(e, id, 1707);
		else
			envelope_affect(e, json_string(id));
	}
	assert_int_equal(envelope_failed_count(e), 25000);
	assert_int_equal(envelope_affected_count(e), 25000);
	j = render_json(e);
	failed = json_object_get(json_object_get(j, "data"), "failed_items");
	ids = json_object_get(json_array_get(failed, 0), "id");
	assert_int_equal(json_array_size(ids), 25000);
	assert_string_equal(json_string_value(json_array_get(ids, 0)), "001");
	assert_string_equal(json_string_value(json_array_get(ids, 24999)), "49999");
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(j,
	    "data"), "affected_items"), 0)), "002");
	assert_int_equal(error_of(j), 2);
	json_decref(j);
	envelope_free(e);
}

/* Security results show user and role ids as numbers, other ids (user names) as text. */
static void
test_numeric_ids(void **state)
{
	struct envelope *e = envelope_new();
	char *s;

	(void)state;
	envelope_set_numeric_ids(e);
	envelope_fail(e, "100", 5001);
	envelope_fail(e, "99", 5001);
	envelope_fail(e, "someone", 5000);
	envelope_fail(e, "12345678901234567890", 5000);
	s = render(e, 1);
	assert_non_null(strstr(s, "\"id\": [99, 100]"));
	assert_non_null(strstr(s, "\"id\": [\"12345678901234567890\", \"someone\"]"));
	free(s);
	envelope_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_failed_exact),
		cmocka_unit_test(test_grouping_and_order),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_no_remediation),
		cmocka_unit_test(test_total_override),
		cmocka_unit_test(test_sort_affected),
		cmocka_unit_test(test_numeric_ids),
		cmocka_unit_test(test_messages_null),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
