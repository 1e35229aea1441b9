/* api_query_nodes.c — GET /cluster/nodes over a list of nodes, as Wazuh's
 * Master.get_connected_nodes and utils.process_array do it.  Pure: no I/O, no
 * globals.  The parameters are parsed in api_query.c.
 */
#include "node/api/api_query.h"
#include "node/api/qlang.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const nodes_field_names[NODES_NFIELDS] = {
	[NODES_F_NAME] = "name", [NODES_F_TYPE] = "type", [NODES_F_VERSION] = "version",
	[NODES_F_IP] = "ip",
};

/* A node kept by the filters: its row and the fields the item carries. */
struct nodes_item {
	const struct api_node_row *row;
	size_t pos;               /* position in cluster order: the sort is stable */
};

struct nodes_sort_ctx {
	const struct nodes_query *q;
	const int *selected;      /* selected[f]: field f is in the item */
};

/* lower_cmp: Python's a.lower() < b.lower() for ASCII; other bytes compare as they are. */
static int
lower_cmp(const char *a, const char *b)
{
	unsigned char ca, cb;

	for (;; a++, b++) {
		ca = (unsigned char)tolower((unsigned char)*a);
		cb = (unsigned char)tolower((unsigned char)*b);
		if (ca != cb || ca == '\0')
			return ca < cb ? -1 : ca > cb;
	}
}

/*
 * item_cmp: the sort key is the tuple of the sort fields; a field the item
 * does not carry (not selected) is None for every item, so it never decides.
 * Ties keep cluster order, in either direction (Python's sorted(reverse=True)
 * is stable too).
 */
static int
item_cmp(const struct nodes_sort_ctx *c, const struct nodes_item *a, const struct nodes_item *b)
{
	size_t i;
	int f, r;

	for (i = 0; i < c->q->nsort; i++) {
		f = c->q->sort[i];
		if (!c->selected[f])
			continue;
		if ((r = lower_cmp(a->row->f[f], b->row->f[f])) != 0)
			return c->q->sort_desc ? -r : r;
	}
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* items_sort: insertion sort (a cluster has few nodes), stable by construction. */
static void
items_sort(const struct nodes_sort_ctx *c, struct nodes_item *v, size_t n)
{
	struct nodes_item t;
	size_t i, j;

	for (i = 1; i < n; i++) {
		t = v[i];
		for (j = i; j > 0 && item_cmp(c, &t, &v[j - 1]) < 0; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
}

/* contains_ci: needle is in hay, ignoring ASCII case (Python's `text.lower() in v.lower()`). */
static int
contains_ci(const char *hay, const char *needle)
{
	size_t i, hn = strlen(hay), nn = strlen(needle);

	if (nn > hn)
		return 0;
	for (i = 0; i + nn <= hn; i++) {
		size_t k;

		for (k = 0; k < nn; k++)
			if (tolower((unsigned char)hay[i + k]) != tolower((unsigned char)needle[k]))
				break;
		if (k == nn)
			return 1;
	}
	return 0;
}

struct q_item {
	const struct qlang *ql;
	const struct nodes_item *it;
	const int *selected;
};

static int
q_item_match(void *arg, size_t i)
{
	const struct q_item *m = arg;
	const struct qlang_cond *c = qlang_cond(m->ql, i);

	if (c->field < 0 || c->field >= NODES_NFIELDS || !m->selected[c->field])
		return 0;
	return qlang_py_match(c, m->it->row->f[c->field]);
}

/* same_item: a and b carry the same values in every selected field (distinct). */
static int
same_item(const int *fields, size_t nfields, const struct nodes_item *a,
    const struct nodes_item *b)
{
	size_t i;

	for (i = 0; i < nfields; i++)
		if (strcmp(a->row->f[fields[i]], b->row->f[fields[i]]) != 0)
			return 0;
	return 1;
}

static int
row_named(const struct api_node_row *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].f[NODES_F_NAME], name) == 0)
			return 1;
	return 0;
}

int
nodes_query_run(const struct nodes_query *q, const struct api_node_row *v, size_t n,
    json_t *items, long *total, void (*missing)(void *arg, const char *name), void *arg,
    struct api_qerr *err)
{
	static const int all_fields[NODES_NFIELDS] = {
		NODES_F_NAME, NODES_F_TYPE, NODES_F_VERSION, NODES_F_IP
	};
	struct nodes_sort_ctx ctx;
	struct nodes_item *it = NULL;
	int selected[NODES_NFIELDS] = { 0 };
	const int *fields = q->nselect ? q->select : all_fields;
	size_t nfields = q->nselect ? q->nselect : NODES_NFIELDS;
	size_t i, j, k, count = 0, kept;
	long page = 0;

	*total = 0;
	for (i = 0; i < q->nnodes; i++)
		if (!row_named(v, n, q->nodes[i]) && missing != NULL)
			missing(arg, q->nodes[i]);
	for (i = 0; i < nfields; i++)
		selected[fields[i]] = 1;
	if ((it = calloc(n ? n : 1, sizeof(*it))) == NULL) {
		err->http_status = 500;
		err->code = 1000;
		err->detail[0] = err->remediation[0] = '\0';
		return -1;
	}
	/* Filters: the named nodes and the type. */
	for (i = 0; i < n; i++) {
		if (q->nodes != NULL) {
			for (j = 0; j < q->nnodes; j++)
				if (strcmp(q->nodes[j], v[i].f[NODES_F_NAME]) == 0)
					break;
			if (j == q->nnodes)
				continue;
		}
		if (q->type != -1 &&
		    strcmp(v[i].f[NODES_F_TYPE], q->type == 0 ? "master" : "worker") != 0)
			continue;
		it[count].row = &v[i];
		it[count].pos = i;
		count++;
	}
	/* Sort (process_array checks the fields only when there is something to sort). */
	if (q->nsort > 0 && count > 0) {
		for (i = 0; i < q->nsort; i++)
			if (q->sort[i] == -1) {
				err->http_status = 400;
				err->code = 1403;
				snprintf(err->detail, sizeof(err->detail), "Not a valid sort field ");
				snprintf(err->remediation, sizeof(err->remediation),
				    "Please, use only allowed sort fields: Allowed sort fields: "
				    "name, type, version, ip. Wrong fields: %s", q->sort_bad);
				free(it);
				return -1;
			}
		ctx.q = q;
		ctx.selected = selected;
		items_sort(&ctx, it, count);
	}
	/* Search over the selected values, then distinct, in place. */
	for (i = 0, kept = 0; i < count; i++) {
		int hit = 0;

		if (q->search != NULL && q->search[0] != '\0') {
			for (k = 0; k < nfields && !hit; k++)
				hit = contains_ci(it[i].row->f[fields[k]], q->search);
			if (hit == q->search_neg)
				continue;
		}
		if (q->ql != NULL) {
			struct q_item m = { q->ql, &it[i], selected };

			if (!qlang_eval(q->ql, q_item_match, &m))
				continue;
		}
		if (q->distinct) {
			for (j = 0; j < kept; j++)
				if (same_item(fields, nfields, &it[j], &it[i]))
					break;
			if (j < kept)
				continue;
		}
		it[kept++] = it[i];
	}
	*total = (long)kept;
	for (i = 0; i < kept; i++) {
		json_t *o;

		if ((long)i < q->offset || page >= q->limit)
			continue;
		if ((o = json_object()) == NULL)
			goto oom;
		for (k = 0; k < nfields; k++)
			if (json_object_set_new(o, nodes_field_names[fields[k]],
			    json_string(it[i].row->f[fields[k]])) == -1) {
				json_decref(o);
				goto oom;
			}
		if (json_array_append_new(items, o) == -1)
			goto oom;
		page++;
	}
	free(it);
	return 0;
oom:
	free(it);
	err->http_status = 500;
	err->code = 1000;
	err->detail[0] = err->remediation[0] = '\0';
	return -1;
}
