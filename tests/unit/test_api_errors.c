/* test_api_errors.c — the Wazuh error table and problem+json bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "node/api/api_errors.h"

/* dump: compact-free json_dumps (Wazuh's ", " / ": " separators); caller frees. */
static char *
dump(json_t *j)
{
	char *s;

	assert_non_null(j);
	s = json_dumps(j, 0);
	json_decref(j);
	assert_non_null(s);
	return s;
}

static void
test_lookup_known(void **state)
{
	const struct api_error *e;

	(void)state;
	e = api_error_lookup(1701);
	assert_non_null(e);
	assert_int_equal(e->code, 1701);
	assert_string_equal(e->message, "Agent does not exist");
	assert_string_equal(e->remediation,
	    "Please, use `GET /agents?select=id,name` to find all available agents");

	e = api_error_lookup(1707);
	assert_non_null(e);
	assert_string_equal(e->message, "Cannot send request, agent is not active");
	assert_non_null(strstr(e->remediation, "4.12/user-manual/registering/index.html"));

	e = api_error_lookup(3013);
	assert_string_equal(e->message,
	    "Cluster is not running, it might be disabled in `WAZUH_HOME/etc/ossec.conf`");

	/* No remediation: NULL, not "". */
	e = api_error_lookup(1017);
	assert_non_null(e);
	assert_null(e->remediation);
	assert_string_equal(e->message,
	    "Some Wazuh daemons are not ready yet in node \"{node_name}\" ({not_ready_daemons})");
	assert_null(api_error_lookup(3021)->remediation);
	assert_null(api_error_lookup(6000)->remediation);

	/* Trailing space kept verbatim. */
	assert_string_equal(api_error_lookup(1403)->message, "Not a valid sort field ");
	assert_string_equal(api_error_lookup(1724)->message, "Not a valid select field");
	assert_string_equal(api_error_lookup(2003)->message, "Error in wazuhdb request");
	assert_string_equal(api_error_lookup(4000)->message, "Permission denied");
	assert_string_equal(api_error_lookup(6002)->message,
	    "The body type is not the one specified in the content-type");
	/* First, last and the 4.9 additions. */
	assert_non_null(api_error_lookup(900));
	assert_non_null(api_error_lookup(3041));
	assert_non_null(api_error_lookup(3049));
}

static void
test_lookup_unknown(void **state)
{
	(void)state;
	assert_null(api_error_lookup(0));
	assert_null(api_error_lookup(-1));
	assert_null(api_error_lookup(1));
	assert_null(api_error_lookup(1702));
	assert_null(api_error_lookup(899));
	assert_null(api_error_lookup(99999));
	assert_null(api_error_lookup(-2147483647 - 1));
	assert_null(api_error_lookup(2147483647));
}

/* Every code 0..9999 that is found finds itself: the table is sorted and unique. */
static void
test_lookup_all(void **state)
{
	int code, found = 0;

	(void)state;
	for (code = 0; code < 10000; code++) {
		const struct api_error *e = api_error_lookup(code);

		if (e == NULL)
			continue;
		assert_int_equal(e->code, code);
		assert_non_null(e->message);
		/* 3009 alone has an empty (not None) remediation in exception.py: kept verbatim. */
		assert_true(e->remediation == NULL || e->remediation[0] != '\0' || code == 3009);
		found++;
	}
	/* Wazuh's 238 codes plus Vigil's own (1790..). */
	assert_int_equal(found, 238 + 4);
	assert_non_null(api_error_lookup(1793));
	assert_non_null(api_error_lookup(1790));
	assert_null(api_error_lookup(1799));
}

static void
test_problem_404(void **state)
{
	char *s;

	(void)state;
	s = dump(api_problem(404, 1710, NULL, "master-node"));
	assert_string_equal(s,
	    "{\"title\": \"Resource Not Found\", \"detail\": \"The group does not exist\", "
	    "\"remediation\": \"Please, use `GET /agents/groups` to find all available groups\", "
	    "\"dapi_errors\": {\"master-node\": {\"error\": \"The group does not exist\"}}, "
	    "\"error\": 1710}");
	free(s);
}

static void
test_problem_schema(void **state)
{
	char *s;

	(void)state;
	/* Schema errors: only title and detail, no "error" key. */
	s = dump(api_problem(400, 0, "Extra parameter(s) foo not in spec", NULL));
	assert_string_equal(s, "{\"title\": \"Bad Request\", \"detail\": "
	    "\"Extra parameter(s) foo not in spec\"}");
	free(s);
	s = dump(api_problem(401, 0, "Invalid credentials", NULL));
	assert_string_equal(s, "{\"title\": \"Unauthorized\", \"detail\": \"Invalid credentials\"}");
	free(s);
	s = dump(api_problem(405, 0, "405: Method Not Allowed", NULL));
	assert_string_equal(s, "{\"title\": \"Method Not Allowed\", \"detail\": "
	    "\"405: Method Not Allowed\"}");
	free(s);
	/* Neither detail nor a known code: the title stands in. */
	s = dump(api_problem(400, 0, NULL, NULL));
	assert_string_equal(s, "{\"title\": \"Bad Request\", \"detail\": \"Bad Request\"}");
	free(s);
	/* A WazuhClusterError keeps its own title on its 500. */
	s = dump(api_problem(500, 3022, "Unknown node ID: ghost", NULL));
	assert_string_equal(s, "{\"title\": \"Wazuh Cluster Error\", \"detail\": "
	    "\"Unknown node ID: ghost\", \"remediation\": \"Check the name of the node\", "
	    "\"error\": 3022}");
	free(s);
}

static void
test_problem_codes(void **state)
{
	char *s;

	(void)state;
	s = dump(api_problem(429, 6001, NULL, NULL));
	assert_string_equal(s, "{\"title\": \"Too Many Requests\", \"detail\": "
	    "\"Maximum number of requests per minute reached\", \"remediation\": \"This limit can be "
	    "changed in api.yaml file. More information here: https://documentation.wazuh.com/4.12/"
	    "user-manual/api/configuration.html#configuration-file\", \"error\": 6001}");
	free(s);
	/* No remediation for 6000: the key is absent. */
	s = dump(api_problem(403, 6000, NULL, NULL));
	assert_string_equal(s, "{\"title\": \"Permission Denied\", \"detail\": \"Limit of login "
	    "attempts reached. The current IP has been blocked due to a high number of login "
	    "attempts\", \"error\": 6000}");
	free(s);
	s = dump(api_problem(406, 6002, NULL, NULL));
	assert_string_equal(s, "{\"title\": \"Not Acceptable\", \"detail\": \"The body type is not "
	    "the one specified in the content-type\", \"error\": 6002}");
	free(s);
	/* A detail overrides the message; the remediation stays the code's. */
	s = dump(api_problem(400, 1724, "Not a valid select field: x", NULL));
	assert_string_equal(s, "{\"title\": \"Bad Request\", \"detail\": \"Not a valid select field: "
	    "x\", \"remediation\": \"Please, use only allowed select fields\", \"error\": 1724}");
	free(s);
	/* An unknown code keeps its number; the title stands in for the detail. */
	s = dump(api_problem(400, 1702, NULL, NULL));
	assert_string_equal(s, "{\"title\": \"Bad Request\", \"detail\": \"Bad Request\", "
	    "\"error\": 1702}");
	free(s);
}

static void
test_problem_internal(void **state)
{
	char *s;

	(void)state;
	/* Internal errors name the log file in dapi_errors. */
	s = dump(api_problem(500, 1000, NULL, "master-node"));
	assert_string_equal(s, "{\"title\": \"Wazuh Internal Error\", \"detail\": \"Wazuh Internal "
	    "Error\", \"remediation\": \"Please, check `WAZUH_HOME/logs/ossec.log`, "
	    "`WAZUH_HOME/logs/cluster.log` and `WAZUH_HOME/logs/api.log` to get more information "
	    "about the error\", \"dapi_errors\": {\"master-node\": {\"error\": \"Wazuh Internal "
	    "Error\", \"logfile\": \"WAZUH_HOME/logs/api.log\"}}, \"error\": 1000}");
	free(s);
	s = dump(api_problem(400, 3013, NULL, "unknown-node"));
	assert_non_null(strstr(s, "\"dapi_errors\": {\"unknown-node\": {\"error\": \"Cluster is not "
	    "running"));
	assert_null(strstr(s, "logfile"));
	free(s);
	s = dump(api_problem(413, 0, "too big", NULL));
	assert_string_equal(s, "{\"title\": \"Content size exceeded.\", \"detail\": \"too big\"}");
	free(s);
}

static void
test_problem_bad_utf8(void **state)
{
	char *s;

	(void)state;
	/* Client bytes in a detail never make the body unrenderable. */
	s = dump(api_problem(400, 0, "bad \xff\xfe value", NULL));
	assert_string_equal(s, "{\"title\": \"Bad Request\", \"detail\": \"bad ?? value\"}");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_known),
		cmocka_unit_test(test_lookup_unknown),
		cmocka_unit_test(test_lookup_all),
		cmocka_unit_test(test_problem_404),
		cmocka_unit_test(test_problem_schema),
		cmocka_unit_test(test_problem_codes),
		cmocka_unit_test(test_problem_internal),
		cmocka_unit_test(test_problem_bad_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
