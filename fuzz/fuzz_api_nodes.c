/*
 * fuzz_api_nodes.c — libFuzzer target for the GET /cluster/nodes parsers.
 *
 * The input is split into "key=value" pairs on '&' or '\n' (a pair without
 * '=' has an empty value), fed to nodes_query_parse, and each value to
 * api_parse_nodes_list and api_check_node_name.  A query that parses is run
 * over a few fixed nodes, so sort, search, select, distinct and paging get
 * exercised too; every item must be valid JSON and every error detail and
 * remediation NUL-terminated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/api/api_query.h"

#define FUZZ_MAX_PARAMS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct api_node_row fuzz_rows[] = {
	{ { "master-node", "master", "4.12.0", "10.0.0.1" } },
	{ { "worker2", "worker", "4.12.0", "10.0.0.3" } },
	{ { "Worker1", "worker", "4.12.0", "10.0.0.2" } },
	{ { "worker3", "worker", "4.12.0", "10.0.0.2" } },
};

static void
fuzz_missing(void *arg, const char *name)
{
	(void)arg;
	if (name == NULL || strlen(name) == 0)
		abort();   /* only valid, non-empty names reach the listing */
}

static void
fuzz_check_err(const struct api_qerr *err)
{
	if (strnlen(err->detail, sizeof(err->detail)) == sizeof(err->detail) ||
	    strnlen(err->remediation, sizeof(err->remediation)) == sizeof(err->remediation))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_param params[FUZZ_MAX_PARAMS];
	struct nodes_query q;
	struct api_qerr err;
	char **names, *buf, *p, *save = NULL, *tok;
	size_t n = 0, nnames, i;
	json_t *items;
	long total;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';   /* an embedded NUL just ends the input early */
	for (tok = strtok_r(buf, "&\n", &save); tok != NULL && n < FUZZ_MAX_PARAMS;
	    tok = strtok_r(NULL, "&\n", &save)) {
		if ((p = strchr(tok, '=')) != NULL) {
			*p = '\0';
			params[n].value = p + 1;
		} else
			params[n].value = "";
		params[n].key = tok;
		n++;
	}
	for (i = 0; i < n; i++) {
		if (api_parse_nodes_list(params[i].value, &names, &nnames, &err) == 0)
			api_nodes_list_free(names, nnames);
		else if (names != NULL)
			abort();   /* nothing is handed back on failure */
		(void)api_check_node_name(params[i].value, "node_id", &err);
	}
	if (nodes_query_parse(params, n, &q, &err) == 0) {
		if ((items = json_array()) != NULL) {
			if (nodes_query_run(&q, fuzz_rows, sizeof(fuzz_rows) / sizeof(fuzz_rows[0]),
			    items, &total, fuzz_missing, NULL, &err) == 0) {
				if (total < 0 || (long)json_array_size(items) > total ||
				    (long)json_array_size(items) > q.limit)
					abort();
				for (i = 0; i < json_array_size(items); i++) {
					char *s = json_dumps(json_array_get(items, i), 0);

					if (s == NULL)
						abort();
					free(s);
				}
			} else
				fuzz_check_err(&err);
			json_decref(items);
		}
		nodes_query_free(&q);
	} else
		fuzz_check_err(&err);
	free(buf);
	return 0;
}
