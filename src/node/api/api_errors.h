/* api_errors.h — Wazuh API error codes, messages and remediations (4.12 table). */
#ifndef VIGIL_API_ERRORS_H
#define VIGIL_API_ERRORS_H

#include <jansson.h>

struct api_error {
	int code;
	const char *message;
	const char *remediation;   /* NULL when Wazuh has none */
};

/* api_error_lookup: the table entry for code, or NULL. */
const struct api_error *api_error_lookup(int code);

/*
 * api_problem: a problem+json body in Wazuh's key order: title (from the HTTP
 * status: 400 "Bad Request", 401 "Unauthorized", 403 "Permission Denied",
 * 404 "Resource Not Found", 405 "Method Not Allowed", 406 "Not Acceptable",
 * 429 "Too Many Requests", 500 "Wazuh Internal Error"), detail (detail when
 * not NULL, else the code's message), remediation (when the code has one),
 * dapi_errors {node: {"error": detail}} when node is not NULL, then "error":
 * code when code != 0.  New reference.
 */
json_t *api_problem(int http_status, int code, const char *detail, const char *node);

#endif
