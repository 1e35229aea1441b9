/* api_errors.c — Wazuh's error code table and problem+json bodies. */
#include "node/api/api_errors.h"

#include <stdlib.h>
#include <string.h>

#include "node/api/api_errors_table.h"

#define API_ERRORS_COUNT (sizeof(api_error_table) / sizeof(api_error_table[0]))
#define API_LOGFILE "WAZUH_HOME/logs/api.log"

static int
api_error_cmp(const void *key, const void *elem)
{
	int code = *(const int *)key;
	const struct api_error *e = elem;

	return (code > e->code) - (code < e->code);
}

/*
 * Vigil's own codes, in a range Wazuh's table leaves free (1790-1799).  They
 * name failures Wazuh could not tell apart (it answered them with HTTP 500).
 */
static const struct api_error vigil_error_table[] = {
	{ 1790, "Cannot send the restart command: the agent's version is not known yet",
	    "The agent has connected but not completed its handshake; try again in a few seconds" },
	{ 1791, "The agent left its node before the command was delivered",
	    "The agent is reconnecting through another node; try again in a few seconds" },
	{ 1792, "The node holding the agent did not confirm delivery (node unreachable)",
	    "Check the cluster with `GET /cluster/healthcheck`; the agent is retried once it reconnects" },
	{ 1793, "This node is no longer the coordinator of the cluster",
	    "Another master-capable node is taking over; try again in a few seconds" },
};

const struct api_error *
api_error_lookup(int code)
{
	const struct api_error *e;
	size_t i;

	e = bsearch(&code, api_error_table, API_ERRORS_COUNT, sizeof(api_error_table[0]),
	    api_error_cmp);
	if (e != NULL)
		return e;
	for (i = 0; i < sizeof(vigil_error_table) / sizeof(vigil_error_table[0]); i++)
		if (vigil_error_table[i].code == code)
			return &vigil_error_table[i];
	return NULL;
}

/*
 * api_title: the problem title Wazuh's handlers give to an HTTP status; a
 * WazuhClusterError (3022, 3023) keeps its own title on its 500.
 */
static const char *
api_title(int http_status, int code)
{
	if (http_status >= 500 && (code == 3022 || code == 3023))
		return "Wazuh Cluster Error";
	switch (http_status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Permission Denied";
	case 404: return "Resource Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 413: return "Content size exceeded.";
	case 429: return "Too Many Requests";
	case 500: return "Wazuh Internal Error";
	case 503: return "Service Unavailable";
	}
	return http_status >= 500 ? "Wazuh Internal Error" : "Bad Request";
}

/*
 * api_string: a JSON string of s; bytes that would make it invalid UTF-8
 * (a detail may quote client input) are replaced by '?'.
 */
static json_t *
api_string(const char *s)
{
	json_t *j;
	char *copy, *p;

	if ((j = json_string(s)) != NULL)
		return j;
	if ((copy = strdup(s)) == NULL)
		return NULL;
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/*
 * api_problem: builds the body in the order _create_problem gives it: title,
 * detail, remediation, dapi_errors, error ("type" is always about:blank for
 * us, so it never appears).  jansson keeps insertion order, so the order of
 * the set calls below is the order on the wire.
 */
json_t *
api_problem(int http_status, int code, const char *detail, const char *node)
{
	const struct api_error *e = code != 0 ? api_error_lookup(code) : NULL;
	const char *title = api_title(http_status, code);
	json_t *o, *dapi = NULL, *nodeobj = NULL;

	if (detail == NULL)
		detail = e != NULL ? e->message : title;
	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "title", json_string(title)) == -1 ||
	    json_object_set_new(o, "detail", api_string(detail)) == -1)
		goto err;
	if (e != NULL && e->remediation != NULL &&
	    json_object_set_new(o, "remediation", json_string(e->remediation)) == -1)
		goto err;
	if (node != NULL) {
		if ((dapi = json_object()) == NULL || (nodeobj = json_object()) == NULL)
			goto err;
		if (json_object_set_new(nodeobj, "error", api_string(detail)) == -1)
			goto err;
		/* Wazuh names the log file only for internal errors. */
		if (http_status >= 500 &&
		    json_object_set_new(nodeobj, "logfile", json_string(API_LOGFILE)) == -1)
			goto err;
		if (json_object_set_new(dapi, node, nodeobj) == -1) {
			nodeobj = NULL;
			goto err;
		}
		nodeobj = NULL;
		if (json_object_set_new(o, "dapi_errors", dapi) == -1) {
			dapi = NULL;
			goto err;
		}
		dapi = NULL;
	}
	if (code != 0 && json_object_set_new(o, "error", json_integer(code)) == -1)
		goto err;
	return o;
err:
	json_decref(nodeobj);
	json_decref(dapi);
	json_decref(o);
	return NULL;
}
