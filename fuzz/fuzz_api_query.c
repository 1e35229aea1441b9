/*
 * fuzz_api_query.c — libFuzzer target for the REST API query parsers.
 *
 * The input is split into "key=value" pairs on '&' or '\n' (a pair without
 * '=' has an empty value), a repeated key combined as the API combines it
 * (api_params_add), fed to agents_query_parse, and each value to
 * api_parse_agents_list.  A query that parses is then run over a few fixed
 * agents, listed and grouped (stats/distinct), so sort, search, select and
 * paging get exercised as well.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/api/api_params.h"
#include "node/api/api_query.h"

#define FUZZ_MAX_PARAMS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct agent fuzz_agents[6];
static struct agent *fuzz_agent_ptrs[6];

static void
fuzz_init(void)
{
	static int done;
	size_t i;

	if (done)
		return;
	done = 1;
	for (i = 0; i < 6; i++) {
		struct agent *a = &fuzz_agents[i];

		a->id = (unsigned int)i * 3;
		snprintf(a->name, sizeof(a->name), "agent-%zu", i);
		snprintf(a->ip, sizeof(a->ip), i % 2 ? "any" : "10.0.0.%zu", i);
		snprintf(a->group, sizeof(a->group), i % 3 ? "default,web" : "default");
		snprintf(a->node_name, sizeof(a->node_name), "node%zu", i % 2);
		snprintf(a->st.info.version, sizeof(a->st.info.version), "Wazuh v4.%zu.0", 8 + i);
		snprintf(a->st.info.os_platform, sizeof(a->st.info.os_platform), i % 2 ? "ubuntu" : "centos");
		a->st.status = (int)(i % 4);
		a->date_add = (time_t)(1600000000 + i);
		a->st.last_keepalive = i % 2 ? (time_t)(1700000000 + i) : 0;
		a->removed = (i == 4);
		fuzz_agent_ptrs[i] = a;
	}
}

static void
fuzz_missing(void *arg, const char *id)
{
	(void)arg;
	(void)id;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_param params[FUZZ_MAX_PARAMS];
	char *owned[FUZZ_MAX_PARAMS];
	struct api_params ps = { params, 0, FUZZ_MAX_PARAMS, owned, 0 };
	struct agents_query q;
	struct api_qerr err;
	unsigned int *ids;
	char **strs;
	size_t n = 0, nids, i;
	char *buf, *p, *save = NULL, *tok;
	json_t *items;
	long total;

	fuzz_init();
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';   /* an embedded NUL just ends the input early */
	for (tok = strtok_r(buf, "&\n", &save); tok != NULL; tok = strtok_r(NULL, "&\n", &save)) {
		const char *v = "";

		if ((p = strchr(tok, '=')) != NULL) {
			*p = '\0';
			v = p + 1;
		}
		if (api_params_add(&ps, tok, v) == -1)
			break;
	}
	n = ps.n;
	for (i = 0; i < n; i++) {
		if (api_parse_agents_list(params[i].value, &ids, &strs, &nids, &err) == 0)
			api_agents_list_free(ids, strs, nids);
		(void)api_parse_bool(params[i].value);
	}
	if (agents_query_parse(params, n, &q, &err) == 0) {
		if ((items = json_array()) != NULL) {
			agents_query_run(&q, fuzz_agent_ptrs, 6, items, &total, fuzz_missing, NULL);
			for (i = 0; i < json_array_size(items); i++) {
				char *s = json_dumps(json_array_get(items, i), 0);

				if (s == NULL)
					abort();   /* every agent object must be valid JSON */
				free(s);
			}
			json_decref(items);
		}
		if ((items = json_array()) != NULL) {
			agents_query_group(&q, fuzz_agent_ptrs, 6, items, &total);
			json_decref(items);
		}
		agents_query_free(&q);
	} else if (strnlen(err.detail, sizeof(err.detail)) == sizeof(err.detail))
		abort();   /* the detail is always NUL-terminated */
	api_params_clear(&ps);
	free(buf);
	return 0;
}
