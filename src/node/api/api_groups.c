/* api_groups.c — the group endpoints: groups and their agent.conf, and which
 * agents are in them (Wazuh's agent_controller group operations).
 *
 * Groups live on the master (n->groups, persisted in the registry); every
 * change is pushed to the workers, and an agent's group list travels with its
 * key entry, so the node holding the agent can send it its merged.mg.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "lib/hash.h"
#include "lib/log.h"
#include "node/core/agent.h"
#include "node/api/api.h"
#include "node/api/api_envelope.h"
#include "node/api/qlang.h"
#include "node/cluster/cluster.h"
#include "node/registry/groups.h"
#include "node/registry/registry.h"
#include "proto/merged.h"

static const char *const basic_params[] = { "pretty", "wait_for_complete", NULL };

/*
 * api_group_param_ok: a group_id from the path or the query in Wazuh's
 * group_names format; else replies 400 (schema) and returns 0.
 */
int
api_group_param_ok(struct api_req *r, const char *g, const char *what)
{
	char detail[300];

	if (g != NULL && group_name_valid(g))
		return 1;
	snprintf(detail, sizeof(detail), "'%.*s' does not match '^(?!^(\\\\.{1,2}|all)$)"
	    "[A-Za-z0-9.\\\\-_]+$' - '%s'", 160, g != NULL ? g : "", what);
	api_reply_problem(r, 400, 0, g != NULL ? detail : NULL);
	return 0;
}

/*
 * agent_set_groups: the master changes an agent's group list: persisted at
 * the next flush, its group_config_status judged again, and the workers told.
 */
static void
agent_set_groups(struct node *n, struct agent *a, const char *list)
{
	snprintf(a->group, sizeof(a->group), "%s", list);
	registry_agent_dirty(n->reg, a);
	node_group_check(n, a);
	cluster_agent_group_changed(n, a);
	node_schedule_flush(n);
}

/*
 * group_add_agent: Wazuh's add_group_to_agent: 0, or the failure code
 * (1701, 1703, 1751 already there, 1737 too many groups, 1752 no room).
 */
static int
group_add_agent(struct node *n, unsigned int id, const char *g, int replace)
{
	struct agent *a;
	char list[sizeof(a->group)];

	if ((a = registry_agent_by_id(n->reg, id)) == NULL || a->removed)
		return 1701;
	if (id == 0)
		return 1703;
	if (replace) {
		if (strcmp(a->group, g) == 0)
			return 1751;
		agent_set_groups(n, a, g);
		return 0;
	}
	if (group_list_has(a->group, g))
		return 1751;
	if (group_list_count(a->group) >= GROUPS_PER_AGENT_MAX)
		return 1737;
	if (group_list_add(a->group, g, list, sizeof(list)) == -1)
		return 1752;
	agent_set_groups(n, a, list);
	return 0;
}

/*
 * group_remove_agent: Wazuh's unset_single_group_agent: 0, or 1701, 1703,
 * 1734 (not in it), 1745 (only in default).  An agent left in no group goes
 * back to default (*reassigned = 1).
 */
static int
group_remove_agent(struct node *n, unsigned int id, const char *g, int *reassigned)
{
	struct agent *a;
	char list[sizeof(a->group)];

	*reassigned = 0;
	if (id == 0)
		return 1703;
	if ((a = registry_agent_by_id(n->reg, id)) == NULL || a->removed)
		return 1701;
	if (!group_list_has(a->group, g))
		return 1734;
	if (strcmp(g, GROUP_DEFAULT) == 0 && group_list_count(a->group) == 1)
		return 1745;
	if (group_list_del(a->group, g, list, sizeof(list)) == -1)
		return 1734;
	if (list[0] == '\0') {
		snprintf(list, sizeof(list), "%s", GROUP_DEFAULT);
		*reassigned = 1;
	}
	agent_set_groups(n, a, list);
	return 0;
}

/* group_count: how many agents (not 000) are in group g. */
static long
group_count(struct node *n, const char *g)
{
	size_t i, count = registry_count(n->reg);
	long c = 0;

	for (i = 1; i < count; i++)
		if (group_list_has(registry_agent_at(n->reg, i)->group, g))
			c++;
	return c;
}

/* json_body: the request body as a JSON object, or NULL after replying 406/400. */
static json_t *
json_body(struct api_req *r)
{
	json_t *j;
	char *b;
	size_t len;

	if (!api_content_type_is(r, "application/json")) {
		api_reply_problem(r, 406, 6002, NULL);
		return NULL;
	}
	if ((b = api_body(r, &len)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return NULL;
	}
	j = json_loadb(b, len, JSON_REJECT_DUPLICATES, NULL);
	free(b);
	if (!json_is_object(j)) {
		json_decref(j);
		api_reply_problem(r, 400, 0, "The request body is not a JSON object");
		return NULL;
	}
	return j;
}

/* reply_message: Wazuh's WazuhResult({'message': msg}). */
static void
reply_message(struct api_req *r, const char *msg)
{
	api_reply_json(r, 200, json_pack("{s:s, s:i}", "message", msg, "error", 0));
}

static const char *const groups_params[] = { "pretty", "wait_for_complete", "groups_list",
	"offset", "limit", "sort", "search", "select", "hash", "q", "distinct", NULL };

/* parse_long: a non-negative integer parameter within [min, max]; -1 otherwise. */
static long
parse_long(const char *s, long min, long max)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return (*end != '\0' || v < min || v > max) ? -1 : v;
}

/* The fields of a GET /groups item, in their order. */
enum { GF_NAME, GF_COUNT, GF_MERGED, GF_CONFIG, GF_N };
static const char *const gfields[GF_N] = { "name", "count", "mergedSum", "configSum" };
#define GFIELDS_LIST "name, count, mergedSum, configSum"

struct grow {
	const struct group *gr;
	long count;
	char merged[HASH_HEX_MAX], conf[HASH_HEX_MAX];   /* by the request's hash */
};

struct gsort {
	int field[GF_N], desc[GF_N];
	int n;
};

static int
gfield(const char *s, size_t len)
{
	int f;

	for (f = 0; f < GF_N; f++)
		if (strlen(gfields[f]) == len && strncmp(gfields[f], s, len) == 0)
			return f;
	return -1;
}

/*
 * gfields_parse: select or sort ("[+|-]f1,[+|-]f2"): each a field of a group
 * item; else replies 400 (1724 select, 1403 sort) and returns -1.  Sets
 * want[f] for select, or fills *gs for sort.
 */
static int
gfields_parse(struct api_req *r, const char *v, int is_sort, int *want, struct gsort *gs)
{
	char buf[256], detail[512], *tok, *save = NULL;
	int f, desc_all = 0, desc, first = 1, k;

	if (strlen(v) >= sizeof(buf)) {
		api_reply_problem(r, 400, 0, is_sort ? "'sort' is too long" : "'select' is too long");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	tok = buf;
	while (*tok == ' ')
		tok++;
	if (is_sort && (*tok == '-' || *tok == '+'))
		desc_all = *tok++ == '-';
	for (tok = strtok_r(tok, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save), first = 0) {
		while (*tok == ' ')
			tok++;
		desc = desc_all;
		if (is_sort && !first && (*tok == '-' || *tok == '+'))
			desc = *tok++ == '-';
		if ((f = gfield(tok, strlen(tok))) == -1) {
			snprintf(detail, sizeof(detail), is_sort ?
			    "Not a valid sort field : Allowed sort fields: %s. Fields: %.80s" :
			    "Not a valid select field: Allowed select fields: %s. Fields %.80s",
			    GFIELDS_LIST, tok);
			api_reply_problem(r, 400, is_sort ? 1403 : 1724, detail);
			return -1;
		}
		if (!is_sort) {
			want[f] = 1;
			continue;
		}
		for (k = 0; k < gs->n && gs->field[k] != f; k++)
			;
		if (k == gs->n) {
			gs->field[gs->n] = f;
			gs->desc[gs->n++] = desc;
		}
	}
	return 0;
}

/* gq_lookup: a group field; any other name is a field no item has (it matches nothing). */
static int
gq_lookup(void *arg, const char *name, size_t len)
{
	int f = gfield(name, len);

	(void)arg;
	return f == -1 ? GF_N : f;
}

struct gq_match {
	const struct qlang *ql;
	const struct grow *row;
};

/* gq_match: condition i over one group, as Wazuh's process_array judges it (count is an int). */
static int
gq_match(void *arg, size_t i)
{
	const struct gq_match *m = arg;
	const struct qlang_cond *c = qlang_cond(m->ql, i);

	switch (c->field) {
	case GF_NAME: return qlang_py_match(c, m->row->gr->name);
	case GF_COUNT: return qlang_py_match_int(c, m->row->count);
	case GF_MERGED: return qlang_py_match(c, m->row->merged);
	case GF_CONFIG: return qlang_py_match(c, m->row->conf);
	default: return 0;
	}
}

static int
grow_cmp(const void *pa, const void *pb, void *arg)
{
	const struct grow *a = pa, *b = pb;
	const struct gsort *grow_sort = arg;
	int k, c = 0;

	for (k = 0; k < grow_sort->n && c == 0; k++) {
		switch (grow_sort->field[k]) {
		case GF_NAME: c = strcmp(a->gr->name, b->gr->name); break;
		case GF_COUNT: c = (a->count > b->count) - (a->count < b->count); break;
		case GF_MERGED: c = strcmp(a->merged, b->merged); break;
		case GF_CONFIG: c = strcmp(a->conf, b->conf); break;
		}
		if (grow_sort->desc[k])
			c = -c;
	}
	return c != 0 ? c : strcmp(a->gr->name, b->gr->name);
}

/* grow_text: field f of row as Wazuh's get_values sees it (count as its decimal text). */
static const char *
grow_text(const struct grow *row, int f, char num[32])
{
	switch (f) {
	case GF_NAME: return row->gr->name;
	case GF_COUNT: snprintf(num, 32, "%ld", row->count); return num;
	case GF_MERGED: return row->merged;
	default: return row->conf;
	}
}

/*
 * grow_search: Wazuh's search_array over a group item: whether text is in
 * any of its fields, letters in any case.
 */
static int
grow_search(const struct grow *row, const char *text)
{
	char num[32];
	int f;

	for (f = 0; f < GF_N; f++)
		if (strcasestr(grow_text(row, f, num), text) != NULL)
			return 1;
	return 0;
}

struct gdistinct {
	const struct grow *rows;
	const int *want;
};

/* gsel_cmp: two rows by their selected fields, then by position (qsort_r over indexes). */
static int
gsel_cmp(const void *pa, const void *pb, void *arg)
{
	const struct gdistinct *d = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	char na[32], nb[32];
	int f, c;

	for (f = 0; f < GF_N; f++)
		if (d->want[f] &&
		    (c = strcmp(grow_text(&d->rows[a], f, na), grow_text(&d->rows[b], f, nb))) != 0)
			return c;
	return (a > b) - (a < b);
}

/*
 * grows_distinct: keeps the first of the rows (in their order) that agree on
 * every selected field, as process_array's distinct does over the selected
 * items; the new count, or -1 when out of memory.
 */
static long
grows_distinct(struct grow *rows, long n, const int *want)
{
	struct gdistinct d = { rows, want };
	size_t *idx;
	char *dup, na[32], nb[32];
	long i, k = 0;
	int f, same;

	idx = malloc((size_t)(n ? n : 1) * sizeof(*idx));
	dup = calloc((size_t)(n ? n : 1), 1);
	if (idx == NULL || dup == NULL) {
		free(idx);
		free(dup);
		return -1;
	}
	for (i = 0; i < n; i++)
		idx[i] = (size_t)i;
	qsort_r(idx, (size_t)n, sizeof(*idx), gsel_cmp, &d);
	for (i = 1; i < n; i++) {
		for (f = 0, same = 1; f < GF_N && same; f++)
			same = !want[f] || strcmp(grow_text(&rows[idx[i - 1]], f, na),
			    grow_text(&rows[idx[i]], f, nb)) == 0;
		dup[idx[i]] = (char)same;
	}
	for (i = 0; i < n; i++)
		if (!dup[i])
			rows[k++] = rows[i];
	free(idx);
	free(dup);
	return k;
}

/* denied_all: whether p is denied on every group of the comma-separated list. */
static int
denied_all(struct api_req *r, enum rbac_perm p, const char *list)
{
	char buf[4096], *tok, *save = NULL;
	int named = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save), named++)
		if (api_allowed(r, p, tok))
			return 0;
	return named > 0;
}

/*
 * GET /groups: name, count, mergedSum, configSum of each group, by name
 * unless sort says otherwise; groups_list limits them (unknown ones are
 * failed items 1710).  Then as Wazuh's process_array: search keeps the
 * groups with the text in any field ('-' first: without it), q filters
 * (before select), select keeps those fields (and name, unless distinct),
 * distinct keeps each combination of them once.  hash is any of Wazuh's
 * algorithms (hashlib's names), md5 by default.
 */
void
api_get_groups(struct api_req *r)
{
	struct node *n = r->node;
	const char *list = api_param_get(r, "groups_list"), *search = api_param_get(r, "search");
	const char *hash = api_param_get(r, "hash"), *sort = api_param_get(r, "sort");
	const char *select = api_param_get(r, "select");
	const char *ls = api_param_get(r, "limit"), *os = api_param_get(r, "offset");
	const char *qs = api_param_get(r, "q"), *dist = api_param_get(r, "distinct");
	struct qlang *ql = NULL;
	struct qlang_err qerr;
	long limit = 500, offset = 0, total = 0, k;
	int want[GF_N] = { 1, 1, 1, 1 }, neg = 0, distinct = 0;
	struct gsort gs = { .field = { GF_NAME }, .desc = { 0 }, .n = 1 };
	struct envelope *e;
	struct grow *rows = NULL;
	char buf[4096], *tok, *save = NULL;
	size_t i;

	if (api_check(r, groups_params) == -1)
		return;
	if (ls != NULL && (limit = parse_long(ls, 1, 100000)) == -1) {
		api_reply_problem(r, 400, 0, "Invalid 'limit': an integer from 1 to 100000 is expected");
		return;
	}
	if (os != NULL && (offset = parse_long(os, 0, 1L << 40)) == -1) {
		api_reply_problem(r, 400, 0, "Invalid 'offset': a non-negative integer is expected");
		return;
	}
	if (hash == NULL)
		hash = "md5";
	if (hash_named_hex(hash, "", 0, buf, sizeof(buf)) == -1) {
		api_reply_problem(r, 400, 0, "'hash' is not one of ['md5', 'sha1', 'sha224', "
		    "'sha256', 'sha384', 'sha512', 'blake2b', 'blake2s', 'sha3_224', 'sha3_256', "
		    "'sha3_384', 'sha3_512']");
		return;
	}
	if (dist != NULL && (distinct = api_parse_bool(dist)) == -1) {
		api_reply_problem(r, 400, 0, "'distinct' is not of type 'boolean'");
		return;
	}
	if (search != NULL && *search == '-') {
		neg = 1;
		search++;
	}
	if (search != NULL && *search == '\0')
		search = NULL;   /* Wazuh: an empty search text searches nothing */
	if (list != NULL && strlen(list) >= sizeof(buf)) {
		api_reply_problem(r, 400, 0, "'groups_list' is too long");
		return;
	}
	if (select != NULL) {
		memset(want, 0, sizeof(want));
		if (gfields_parse(r, select, 0, want, NULL) == -1)
			return;
		if (!distinct)
			want[GF_NAME] = 1;   /* GROUP_REQUIRED_FIELDS, unless distinct */
	}
	if (sort != NULL) {
		gs.n = 0;
		if (gfields_parse(r, sort, 1, NULL, &gs) == -1)
			return;
	}
	if (qs != NULL && (ql = qlang_parse(qs, strlen(qs), gq_lookup, NULL, &qerr)) == NULL) {
		char detail[300];

		snprintf(detail, sizeof(detail), "Parameter 'q' is not valid: '%.200s'", qs);
		api_reply_problem(r, qerr.code != 0 ? 400 : 500, qerr.code != 0 ? 1407 : 1000,
		    qerr.code != 0 ? detail : NULL);
		return;
	}
	if ((e = envelope_new()) == NULL ||
	    (rows = calloc(groups_count(n->groups) + 1, sizeof(*rows))) == NULL) {
		envelope_free(e);
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (list != NULL) {
		snprintf(buf, sizeof(buf), "%s", list);
		for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
			if (!group_name_valid(tok)) {
				api_group_param_ok(r, tok, "groups_list");
				goto out;
			}
			if (!api_allowed(r, RBAC_P_GROUP_READ, tok))
				envelope_fail(e, tok, 4000);
			else if (groups_get(n->groups, tok) == NULL)
				envelope_fail(e, tok, 1710);
		}
		/* Wazuh: none of the named groups may be read: the request is denied */
		if (denied_all(r, RBAC_P_GROUP_READ, list)) {
			api_reply_denied(r, RBAC_P_GROUP_READ);
			goto out;
		}
	}
	for (i = 0; i < groups_count(n->groups); i++) {
		const struct group *gr = groups_at(n->groups, i);

		if (list != NULL && !group_list_has(list, gr->name))
			continue;
		if (!api_allowed(r, RBAC_P_GROUP_READ, gr->name))
			continue;     /* not named: silently left out */
		rows[total].gr = gr;
		rows[total].count = group_count(n, gr->name);
		if (strcmp(hash, "md5") == 0) {
			snprintf(rows[total].merged, HASH_HEX_MAX, "%s", gr->merged_md5);
			snprintf(rows[total].conf, HASH_HEX_MAX, "%s", gr->conf_md5);
		} else {
			(void)hash_named_hex(hash, gr->merged, gr->merged_len, rows[total].merged,
			    HASH_HEX_MAX);
			(void)hash_named_hex(hash, gr->conf, gr->conf_len, rows[total].conf,
			    HASH_HEX_MAX);
		}
		if (search != NULL && grow_search(&rows[total], search) == neg)
			continue;
		if (ql != NULL) {
			struct gq_match m = { ql, &rows[total] };

			if (!qlang_eval(ql, gq_match, &m))
				continue;
		}
		total++;
	}
	qsort_r(rows, (size_t)total, sizeof(*rows), grow_cmp, &gs);
	/* Without select every item holds its unique name: distinct changes nothing. */
	if (distinct && select != NULL && (total = grows_distinct(rows, total, want)) == -1) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	for (k = offset; k < total && k < offset + limit; k++) {
		json_t *o = json_object();

		if (o == NULL)
			continue;
		if (want[GF_NAME])
			json_object_set_new(o, "name", json_string(rows[k].gr->name));
		if (want[GF_COUNT])
			json_object_set_new(o, "count", json_integer(rows[k].count));
		if (want[GF_MERGED])
			json_object_set_new(o, "mergedSum", json_string(rows[k].merged));
		if (want[GF_CONFIG])
			json_object_set_new(o, "configSum", json_string(rows[k].conf));
		envelope_affect(e, o);
	}
	envelope_set_total(e, total);
	api_reply_json(r, 200, envelope_render(e, "All selected groups information was returned",
	    "Some groups information was not returned", "No group information was returned", 0));
out:
	free(rows);
	envelope_free(e);
	qlang_free(ql);
}

/*
 * POST /groups {"group_id"}: a new group with the template agent.conf.  As
 * Wazuh's create_group: a bad name is 1722, a name of a file Wazuh keeps in
 * etc/shared is 1713, default (any case) or an existing group is 1711.
 */
void
api_post_groups(struct api_req *r)
{
	struct node *n = r->node;
	const char *t = MERGED_AGENT_CONF_TEMPLATE;
	const struct group *gr;
	char msg[GROUP_NAME_MAX + 32];
	const char *g;
	json_t *body;

	if (api_check(r, basic_params) == -1 || (body = json_body(r)) == NULL)
		return;
	g = json_string_value(json_object_get(body, "group_id"));
	if (json_object_get(body, "group_id") == NULL) {
		api_reply_problem(r, 400, 0, "'group_id' is a required property");
		goto out;
	}
	if (g == NULL) {
		api_reply_problem(r, 400, 0, "'group_id' is not of type 'string'");
		goto out;
	}
	if (!group_name_valid(g)) {
		api_reply_problem(r, 400, 1722, NULL);
		goto out;
	}
	if (group_name_reserved(g)) {
		char detail[GROUP_NAME_MAX + 96];

		snprintf(detail, sizeof(detail), "Invalid group ID. Some IDs are restricted for "
		    "internal purposes: %s", g);
		api_reply_problem(r, 400, 1713, detail);
		goto out;
	}
	if (strcasecmp(g, GROUP_DEFAULT) == 0 || groups_get(n->groups, g) != NULL) {
		char detail[GROUP_NAME_MAX + 64];

		snprintf(detail, sizeof(detail), "The group already exists: %s", g);
		api_reply_problem(r, 400, 1711, detail);
		goto out;
	}
	if (registry_group_save(n->reg, g, t, strlen(t)) == -1 ||
	    groups_set(n->groups, g, t, strlen(t)) == -1 ||
	    (gr = groups_get(n->groups, g)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	cluster_group_changed(n, gr);
	log_info("api: %s: group '%s' created", r->user, g);
	snprintf(msg, sizeof(msg), "Group '%s' created.", g);
	reply_message(r, msg);
out:
	json_decref(body);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *const delete_groups_params[] = { "pretty", "wait_for_complete", "groups_list",
	NULL };

/*
 * DELETE /groups?groups_list=: deletes each group; its agents leave it, and
 * those left in no group go back to default.  "all" means every group but
 * default, and then 1710/1712 are not reported (Wazuh's exclusions).
 */
void
api_delete_groups(struct api_req *r)
{
	struct node *n = r->node;
	const char *list = api_param_get(r, "groups_list");
	struct envelope *e;
	json_t *agents = NULL, *body;
	char **names = NULL, *hit = NULL, buf[4096], *tok, *save = NULL;
	size_t nnames = 0, i, k, count;
	int all;

	if (api_check(r, delete_groups_params) == -1)
		return;
	if (list == NULL) {
		api_reply_problem(r, 400, 0, "'groups_list' is a required property");
		return;
	}
	if (strlen(list) >= sizeof(buf)) {
		api_reply_problem(r, 400, 0, "'groups_list' is too long");
		return;
	}
	all = strcmp(list, "all") == 0;
	if ((e = envelope_new()) == NULL || (agents = json_array()) == NULL ||
	    (names = calloc(groups_count(n->groups) + 1 + strlen(list), sizeof(*names))) == NULL)
		goto oom;
	if (all) {
		/* the groups the caller may delete, silently (Wazuh's RBAC filter) */
		for (i = 0; i < groups_count(n->groups); i++)
			if (strcmp(groups_at(n->groups, i)->name, GROUP_DEFAULT) != 0 &&
			    api_allowed(r, RBAC_P_GROUP_DELETE, groups_at(n->groups, i)->name) &&
			    (names[nnames++] = strdup(groups_at(n->groups, i)->name)) == NULL)
				goto oom;
	} else {
		snprintf(buf, sizeof(buf), "%s", list);
		for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
			if (!group_name_valid(tok)) {
				api_group_param_ok(r, tok, "groups_list");
				goto out;
			}
			if ((names[nnames++] = strdup(tok)) == NULL)
				goto oom;
		}
	}
	if (!all && denied_all(r, RBAC_P_GROUP_DELETE, list)) {
		api_reply_denied(r, RBAC_P_GROUP_DELETE);
		goto out;
	}
	qsort(names, nnames, sizeof(*names), name_cmp);
	count = registry_count(n->reg);
	if ((hit = calloc(count + 1, 1)) == NULL)
		goto oom;
	for (k = 0; k < nnames; k++) {
		const char *g = names[k];

		if (!api_allowed(r, RBAC_P_GROUP_DELETE, g)) {
			envelope_fail(e, g, 4000);
			continue;
		}
		if (groups_get(n->groups, g) == NULL) {
			envelope_fail(e, g, 1710);
			continue;
		}
		if (strcmp(g, GROUP_DEFAULT) == 0) {
			envelope_fail(e, g, 1712);
			continue;
		}
		if (registry_group_delete(n->reg, g) == -1) {
			envelope_fail(e, g, 1000);
			continue;
		}
		for (i = 1; i < count; i++) {
			struct agent *a = registry_agent_at(n->reg, i);
			int re;

			if (group_list_has(a->group, g) && group_remove_agent(n, a->id, g, &re) == 0)
				hit[i] = 1;
		}
		(void)groups_remove(n->groups, g);
		cluster_group_removed(n, g);
		envelope_affect(e, json_string(g));
		log_info("api: %s: group '%s' deleted", r->user, g);
	}
	/* Agents of several deleted groups are listed once, in id order. */
	for (i = 1; i < count; i++) {
		char idstr[16];

		if (!hit[i])
			continue;
		agent_id_format(registry_agent_at(n->reg, i)->id, idstr, sizeof(idstr));
		json_array_append_new(agents, json_string(idstr));
	}
	body = envelope_render(e, "All selected groups were deleted", "Some groups were not deleted",
	    "No group was deleted", 0);
	if (body != NULL)
		json_object_set(json_object_get(body, "data"), "affected_agents", agents);
	api_reply_json(r, 200, body);
	goto out;
oom:
	api_reply_problem(r, 500, 1000, NULL);
out:
	json_decref(agents);
	envelope_free(e);
	for (i = 0; names != NULL && i < nnames; i++)
		free(names[i]);
	free(names);
	free(hit);
}

static const char *const group_agents_params[] = { "pretty", "wait_for_complete", "offset",
	"limit", "select", "sort", "search", "status", "q", "distinct", NULL };


/* GET /groups/{group_id}/agents: GET /agents restricted to the group's agents. */
void
api_get_group_agents(struct api_req *r)
{
	struct node *n = r->node;
	const char *g = r->segs[1];
	struct api_param params[API_MAX_PARAMS + 1];

	if (api_check(r, group_agents_params) == -1 || !api_group_param_ok(r, g, "group_id"))
		return;
	if (groups_get(n->groups, g) == NULL) {
		api_reply_problem(r, 404, 1710, NULL);
		return;
	}
	memcpy(params, r->params, r->nparams * sizeof(*params));
	params[r->nparams].key = "group";
	params[r->nparams].value = g;
	api_reply_agents(r, params, r->nparams + 1);
}

/*
 * PUT /groups/{group_id}/configuration: replaces agent.conf (Content-Type
 * application/xml).  Checked first (1912 no body, 1911 not UTF-8, 1112
 * only blanks, 1113 not well-formed, 1114 not <agent_config>); then stored, the group's merged.mg rebuilt, the
 * workers told, and every agent's group_config_status judged again: the
 * agents get the new file at their next keepalive.
 */
void
api_put_group_config(struct api_req *r)
{
	struct node *n = r->node;
	const struct group *gr;
	const char *g = r->segs[1];
	char *body = NULL;
	size_t len;
	int rc;

	if (api_check(r, basic_params) == -1 || !api_group_param_ok(r, g, "group_id"))
		return;
	if (!api_content_type_is(r, "application/xml") &&
	    !api_content_type_is(r, "application/octet-stream")) {
		api_reply_problem(r, 406, 6002, NULL);
		return;
	}
	if (groups_get(n->groups, g) == NULL) {
		api_reply_problem(r, 404, 1710, NULL);
		return;
	}
	if ((body = api_body(r, &len)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (len > GROUP_CONF_MAX) {
		api_reply_problem(r, 413, 0, "The agent.conf is larger than 256 KiB");
		goto out;
	}
	/* Wazuh's Body.decode_body: no body is 1912, a body that is not UTF-8 is 1911. */
	if (len == 0) {
		api_reply_problem(r, 400, 1912, NULL);
		goto out;
	}
	if (!group_text_utf8(body, len)) {
		api_reply_problem(r, 400, 1911, NULL);
		goto out;
	}
	if ((rc = group_conf_check(body, len)) != 0) {
		api_reply_problem(r, 400, rc, NULL);
		goto out;
	}
	if (registry_group_save(n->reg, g, body, len) == -1 ||
	    groups_set(n->groups, g, body, len) == -1 || (gr = groups_get(n->groups, g)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	cluster_group_changed(n, gr);
	node_groups_recheck(n);
	log_info("api: %s: group '%s' agent.conf replaced (%zu bytes, merged.mg %s)", r->user, g,
	    len, gr->merged_md5);
	reply_message(r, "Agent configuration was successfully updated");
out:
	free(body);
}

static const char *const put_agent_group_params[] = { "pretty", "wait_for_complete",
	"force_single_group", NULL };

/* force_param: force_single_group as 0/1, or -1 after replying 400. */
static int
force_param(struct api_req *r)
{
	const char *f = api_param_get(r, "force_single_group");
	int b;

	if (f == NULL)
		return 0;
	if ((b = api_parse_bool(f)) == -1)
		api_reply_problem(r, 400, 0, "'force_single_group' is not of type 'boolean'");
	return b;
}

/* assign_render: Wazuh's assign_agents_to_group messages for group g. */
static json_t *
assign_render(struct envelope *e, const char *g, int replace)
{
	char all[GROUP_NAME_MAX + 96], some[GROUP_NAME_MAX + 96], none[GROUP_NAME_MAX + 64];
	const char *tail = replace ? " and removed from the other groups" : "";

	snprintf(all, sizeof(all), "All selected agents were assigned to %s%s", g, tail);
	snprintf(some, sizeof(some), "Some agents were not assigned to %s%s", g, tail);
	snprintf(none, sizeof(none), "No agents were assigned to %s", g);
	return envelope_render(e, all, some, none, 1);
}

/* PUT /agents/{agent_id}/group/{group_id}[?force_single_group]. */
void
api_put_agent_group(struct api_req *r)
{
	struct node *n = r->node;
	const char *g = r->segs[3];
	struct envelope *e;
	long id;
	int replace, rc;

	if (api_check(r, put_agent_group_params) == -1 || (id = api_agent_id_param(r, r->segs[1])) < 0 ||
	    !api_group_param_ok(r, g, "group_id") || (replace = force_param(r)) == -1)
		return;
	if (groups_get(n->groups, g) == NULL) {
		api_reply_problem(r, 404, 1710, NULL);
		return;
	}
	if ((e = envelope_new()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	rc = group_add_agent(n, (unsigned int)id, g, replace);
	if (rc == 0) {
		char idstr[16];

		agent_id_format((unsigned int)id, idstr, sizeof(idstr));
		envelope_affect(e, json_string(idstr));
		log_info("api: %s: agent %s assigned to group '%s'", r->user, idstr, g);
	} else
		envelope_fail(e, r->segs[1], rc);
	api_reply_json(r, 200, assign_render(e, g, replace));
	envelope_free(e);
}

/* DELETE /agents/{agent_id}/group/{group_id}: Wazuh's remove_agent_from_group. */
void
api_delete_agent_group(struct api_req *r)
{
	struct node *n = r->node;
	const char *g = r->segs[3];
	struct agent *a;
	char msg[GROUP_NAME_MAX + 96], idstr[16];
	long id;
	int rc, re;

	if (api_check(r, basic_params) == -1 || (id = api_agent_id_param(r, r->segs[1])) < 0 ||
	    !api_group_param_ok(r, g, "group_id"))
		return;
	if ((a = registry_agent_by_id(n->reg, (unsigned int)id)) == NULL || a->removed) {
		api_reply_problem(r, 404, 1701, NULL);
		return;
	}
	if (id == 0) {
		api_reply_problem(r, 400, 1703, NULL);
		return;
	}
	if (groups_get(n->groups, g) == NULL) {
		api_reply_problem(r, 404, 1710, NULL);
		return;
	}
	if ((rc = group_remove_agent(n, (unsigned int)id, g, &re)) != 0) {
		api_reply_problem(r, rc == 1701 ? 404 : 400, rc, NULL);
		return;
	}
	agent_id_format((unsigned int)id, idstr, sizeof(idstr));
	log_info("api: %s: agent %s removed from group '%s'", r->user, idstr, g);
	snprintf(msg, sizeof(msg), "Agent '%s' removed from '%s'.%s", idstr, g,
	    re ? " Agent reassigned to group default." : "");
	reply_message(r, msg);
}

static const char *const agent_groups_params[] = { "pretty", "wait_for_complete",
	"groups_list", NULL };

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * DELETE /agents/{agent_id}/group: Wazuh's remove_agent_from_groups: the
 * agent out of each group of groups_list (default last, as Wazuh orders it),
 * or, without it, out of every group it is in: it ends in default alone, and
 * the failures Wazuh's RBAC post-processor drops for an unlisted request (1710,
 * 1734, 1745) are left out.  The affected groups are listed sorted.
 */
void
api_delete_agent_groups(struct api_req *r)
{
	struct node *n = r->node;
	const char *list = api_param_get(r, "groups_list");
	const char *names[GROUPS_PER_AGENT_MAX + 1], *done[GROUPS_PER_AGENT_MAX + 1];
	char buf[sizeof(((struct agent *)0)->group)], idstr[16], *tok, *save = NULL;
	struct envelope *e = NULL;
	struct agent *a;
	size_t nnames = 0, ndone = 0, i, k;
	long id;
	int rc, re, has_default = 0;

	if (api_check(r, agent_groups_params) == -1 || (id = api_agent_id_param(r, r->segs[1])) < 0)
		return;
	if (list != NULL && strlen(list) >= sizeof(buf)) {
		api_reply_problem(r, 400, 0, "'groups_list' is too long");
		return;
	}
	snprintf(buf, sizeof(buf), "%s", list != NULL ? list : "");
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
		if (!api_group_param_ok(r, tok, "groups_list"))
			return;
	if (list != NULL && denied_all(r, RBAC_P_GROUP_MODIFY_ASSIGNMENTS, list)) {
		api_reply_denied(r, RBAC_P_GROUP_MODIFY_ASSIGNMENTS);
		return;
	}
	if (id == 0) {
		api_reply_problem(r, 400, 1703, NULL);
		return;
	}
	if ((a = registry_agent_by_id(n->reg, (unsigned int)id)) == NULL || a->removed) {
		api_reply_problem(r, 404, 1701, NULL);
		return;
	}
	/* the groups to take the agent out of, each once, default last */
	snprintf(buf, sizeof(buf), "%s", list != NULL ? list : a->group);
	save = NULL;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < nnames && strcmp(names[k], tok) != 0; k++)
			;
		if (k < nnames)
			continue;
		if (strcmp(tok, GROUP_DEFAULT) == 0)
			has_default = 1;
		else if (nnames < GROUPS_PER_AGENT_MAX)
			names[nnames++] = tok;
	}
	if (has_default)
		names[nnames++] = GROUP_DEFAULT;
	if ((e = envelope_new()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	agent_id_format((unsigned int)id, idstr, sizeof(idstr));
	for (i = 0; i < nnames; i++) {
		/* a named group the caller may not change fails 4000; others are left out */
		if (!api_allowed(r, RBAC_P_GROUP_MODIFY_ASSIGNMENTS, names[i])) {
			if (list != NULL)
				envelope_fail(e, names[i], 4000);
			continue;
		}
		if (groups_get(n->groups, names[i]) == NULL)
			rc = 1710;
		else
			rc = group_remove_agent(n, (unsigned int)id, names[i], &re);
		if (rc == 0) {
			done[ndone++] = names[i];
			log_info("api: %s: agent %s removed from group '%s'", r->user, idstr, names[i]);
		} else if (list != NULL || (rc != 1710 && rc != 1734 && rc != 1745))
			envelope_fail(e, names[i], rc);
	}
	qsort(done, ndone, sizeof(*done), str_cmp);
	for (i = 0; i < ndone; i++)
		envelope_affect(e, json_string(done[i]));
	api_reply_json(r, 200, envelope_render(e, "Specified agent was removed from returned groups",
	    "Specified agent was not removed from some groups",
	    "Specified agent was not removed from any group", 0));
	envelope_free(e);
}

static const char *const agents_group_params[] = { "pretty", "wait_for_complete", "group_id",
	"agents_list", "force_single_group", NULL };
static const char *const agents_ungroup_params[] = { "pretty", "wait_for_complete", "group_id",
	"agents_list", NULL };

/*
 * agents_group_op: PUT and DELETE /agents/group?group_id=&agents_list=.  With
 * no agents_list (PUT) or agents_list=all every agent is taken, and the
 * failures Wazuh's RBAC post-processor drops then (exclude) are left out.
 * DELETE requires agents_list, as the spec's agents_list_all does.
 */
static void
agents_group_op(struct api_req *r, int add)
{
	struct node *n = r->node;
	const char *g = api_param_get(r, "group_id"), *list = api_param_get(r, "agents_list");
	static const int add_excl[] = { 1701, 1703, 1751, 1752, 0 };
	static const int del_excl[] = { 1701, 1703, 1734, 0 };
	const int *excl = add ? add_excl : del_excl;
	struct api_qerr err;
	struct envelope *e;
	unsigned int *ids = NULL;
	char **strs = NULL;
	size_t nids = 0, i, count;
	int replace = 0, rc, re, k;

	if (api_check(r, add ? agents_group_params : agents_ungroup_params) == -1)
		return;
	if (g == NULL) {
		api_reply_problem(r, 400, 0, "'group_id' is a required property");
		return;
	}
	if (!add && list == NULL) {
		api_reply_problem(r, 400, 0, "'agents_list' is a required property");
		return;
	}
	if (!api_group_param_ok(r, g, "group_id") || (add && (replace = force_param(r)) == -1))
		return;
	if (list != NULL && api_parse_agents_list(list, &ids, &strs, &nids, &err) == -1) {
		api_reply_qerr(r, &err);
		return;
	}
	/* Wazuh's RBAC before anything: the named group, then the named agents (all denied: 403) */
	if (!api_allowed(r, RBAC_P_GROUP_MODIFY_ASSIGNMENTS, g)) {
		api_agents_list_free(ids, strs, nids);
		api_reply_denied(r, RBAC_P_GROUP_MODIFY_ASSIGNMENTS);
		return;
	}
	if (ids != NULL && api_deny_named(r, RBAC_P_AGENT_MODIFY_GROUP, (const char *const *)strs,
	    nids)) {
		api_agents_list_free(ids, strs, nids);
		return;
	}
	if (groups_get(n->groups, g) == NULL) {
		api_agents_list_free(ids, strs, nids);
		api_reply_problem(r, 404, 1710, NULL);
		return;
	}
	if ((e = envelope_new()) == NULL) {
		api_agents_list_free(ids, strs, nids);
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	count = ids != NULL ? nids : registry_count(n->reg);
	for (i = 0; i < count; i++) {
		unsigned int id = ids != NULL ? ids[i] : registry_agent_at(n->reg, i)->id;
		char idstr[16];

		agent_id_format(id, idstr, sizeof(idstr));
		if (!api_allowed(r, RBAC_P_AGENT_MODIFY_GROUP, ids != NULL ? strs[i] : idstr)) {
			if (ids != NULL)
				envelope_fail(e, strs[i], 4000);
			continue;     /* not named: silently left out */
		}
		rc = add ? group_add_agent(n, id, g, replace) : group_remove_agent(n, id, g, &re);
		if (rc == 0) {
			envelope_affect(e, json_string(idstr));
			continue;
		}
		if (ids == NULL) {
			for (k = 0; excl[k] != 0 && excl[k] != rc; k++)
				;
			if (excl[k] != 0)
				continue;
		}
		envelope_fail(e, ids != NULL ? strs[i] : idstr, rc);
	}
	log_info("api: %s: %d agents %s group '%s', %d failed", r->user,
	    envelope_affected_count(e), add ? "assigned to" : "removed from", g,
	    envelope_failed_count(e));
	if (add)
		api_reply_json(r, 200, assign_render(e, g, replace));
	else {
		char all[GROUP_NAME_MAX + 64], some[GROUP_NAME_MAX + 64], none[GROUP_NAME_MAX + 64];

		snprintf(all, sizeof(all), "All selected agents were removed from group %s", g);
		snprintf(some, sizeof(some), "Some agents were not removed from group %s", g);
		snprintf(none, sizeof(none), "No agent was removed from group %s", g);
		api_reply_json(r, 200, envelope_render(e, all, some, none, 1));
	}
	envelope_free(e);
	api_agents_list_free(ids, strs, nids);
}

void
api_put_agents_group(struct api_req *r)
{
	agents_group_op(r, 1);
}

void
api_delete_agents_group(struct api_req *r)
{
	agents_group_op(r, 0);
}
