/* cmd_cluster.c — vigilctl cluster nodes | health, and the helpers the commands share. */
#include "ctl/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/table.h"

const char *
cmd_cell(json_t *o, const char *path, char *buf, size_t cap)
{
	const char *dot;
	json_t *v = o;
	size_t i, used = 0;

	while (v != NULL && (dot = strchr(path, '.')) != NULL) {
		char key[64];
		size_t n = (size_t)(dot - path);

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		path = dot + 1;
	}
	if (v == NULL || (v = json_object_get(v, path)) == NULL || json_is_null(v))
		return NULL;
	buf[0] = '\0';
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, cap, "%s", json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, cap, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		snprintf(buf, cap, "%s", json_is_true(v) ? "true" : "false");
		break;
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v) && used + 1 < cap; i++) {
			char one[256];
			const char *s;
			json_t *e = json_array_get(v, i);

			if (json_is_string(e))
				s = json_string_value(e);
			else {
				char *d = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);

				snprintf(one, sizeof(one), "%s", d ? d : "?");
				free(d);
				s = one;
			}
			used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "," : "", s);
			if (used >= cap)
				used = cap - 1;
		}
		break;
	default: {
		char *d = json_dumps(v, JSON_COMPACT);

		snprintf(buf, cap, "%s", d ? d : "?");
		free(d);
		break;
	}
	}
	return buf;
}

void
cmd_print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	fputc('\n', stdout);
}

json_t *
cmd_items(json_t *body, const char *what)
{
	json_t *items = json_object_get(json_object_get(body, "data"), "affected_items");

	if (!json_is_array(items)) {
		fprintf(stderr, "vigilctl: the answer to %s has no affected_items\n", what);
		return NULL;
	}
	return items;
}

/* print_failed: the failed items of an answer on stderr; returns how many ids failed. */
static size_t
print_failed(json_t *body)
{
	json_t *failed = json_object_get(json_object_get(body, "data"), "failed_items"), *f;
	size_t i, n = 0;

	json_array_foreach(failed, i, f) {
		char ids[512];
		json_t *e = json_object_get(f, "error");

		cmd_cell(f, "id", ids, sizeof(ids));
		fprintf(stderr, "vigilctl: %s: error %lld: %s\n", ids,
		    (long long)json_integer_value(json_object_get(e, "code")),
		    json_string_value(json_object_get(e, "message")) ?
		    json_string_value(json_object_get(e, "message")) : "?");
		n += json_array_size(json_object_get(f, "id")) ? json_array_size(json_object_get(f,
		    "id")) : 1;
	}
	return n;
}

/* cluster_table: GET path, and its items as a table of these columns. */
static int
cluster_table(struct client *c, const char *path, const char *const *heads,
    const char *const *fields, size_t ncols)
{
	json_t *body = NULL, *items, *it;
	struct table *t = NULL;
	size_t i, k;
	int rc;

	if ((rc = client_call(c, "GET", path, &body, NULL)) != CTL_EXIT_OK)
		return rc;
	if ((items = cmd_items(body, path)) == NULL) {
		rc = CTL_EXIT_API;
		goto out;
	}
	if (c->o->json) {
		cmd_print_json(items);
	} else {
		if ((t = table_new(ncols, heads)) == NULL) {
			rc = CTL_EXIT_API;
			goto out;
		}
		json_array_foreach(items, i, it) {
			char bufs[8][256];
			const char *cells[8];

			for (k = 0; k < ncols && k < 8; k++)
				cells[k] = cmd_cell(it, fields[k], bufs[k], sizeof(bufs[k]));
			if (table_add(t, cells) == -1) {
				rc = CTL_EXIT_API;
				goto out;
			}
		}
		table_print(t, stdout);
	}
	if (print_failed(body) > 0)
		rc = CTL_EXIT_API;
out:
	table_free(t);
	json_decref(body);
	return rc;
}

int
cmd_cluster_nodes(struct client *c)
{
	static const char *const heads[] = { "NAME", "TYPE", "VERSION", "IP" };
	static const char *const fields[] = { "name", "type", "version", "ip" };

	return cluster_table(c, "/cluster/nodes?limit=100000", heads, fields, 4);
}

int
cmd_cluster_health(struct client *c)
{
	static const char *const heads[] = { "NAME", "TYPE", "VERSION", "IP", "ACTIVE AGENTS",
	    "LAST KEEPALIVE" };
	static const char *const fields[] = { "info.name", "info.type", "info.version", "info.ip",
	    "info.n_active_agents", "status.last_keep_alive" };

	return cluster_table(c, "/cluster/healthcheck", heads, fields, 6);
}
