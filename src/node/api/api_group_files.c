/* api_group_files.c — GET /groups/{group_id}/files,
 * GET /groups/{group_id}/files/{file_name} and GET /groups/{group_id}/configuration:
 * a group's shared files (Wazuh's agent.get_group_files, configuration.get_file_conf
 * and configuration.get_agent_conf).  The files are the
 * group's own (groups.h group_files): agent.conf as stored, ar.conf and the
 * merged.mg the group's agents receive; nothing is read from disk, so no
 * file name can reach outside them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "node/api/api.h"
#include "node/api/api_envelope.h"
#include "node/api/qlang.h"
#include "node/core/node.h"
#include "node/registry/groups.h"
#include "proto/agentconf.h"
#include "proto/merged.h"

enum { FF_FILENAME, FF_HASH, FF_N, FF_ABSENT = FF_N };
static const char *const ffields[FF_N] = { "filename", "hash" };

struct frow {
	const char *name;
	char hash[HASH_HEX_MAX];
};

static int
ffield(const char *s, size_t len)
{
	int f;

	for (f = 0; f < FF_N; f++)
		if (strlen(ffields[f]) == len && strncmp(ffields[f], s, len) == 0)
			return f;
	return -1;
}

/* q: an unknown field matches nothing (process_array's filter_array_by_query). */
static int
ffield_lookup(void *arg, const char *name, size_t len)
{
	int f = ffield(name, len);

	(void)arg;
	return f == -1 ? FF_ABSENT : f;
}

struct fmatch {
	const struct qlang *ql;
	const struct frow *row;
};

static int
frow_match(void *arg, size_t i)
{
	const struct fmatch *m = arg;
	const struct qlang_cond *c = qlang_cond(m->ql, i);

	if (c->field == FF_ABSENT)
		return 0;
	return qlang_py_match(c, c->field == FF_FILENAME ? m->row->name : m->row->hash);
}

/*
 * fields_param: select or sort over filename, hash; sets want[] (select) or
 * the sort order (order[], *n, *desc); else replies 400 (1724, 1403), -1.
 */
static int
fields_param(struct api_req *r, const char *v, int is_sort, int *want, int *order, int *n,
    int *desc)
{
	char buf[256], detail[300], *tok, *save = NULL;
	int f, k;

	snprintf(buf, sizeof(buf), "%s", v);
	tok = buf;
	if (is_sort && (*tok == '-' || *tok == '+'))
		*desc = *tok++ == '-';
	for (tok = strtok_r(tok, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if ((f = ffield(tok, strlen(tok))) == -1) {
			snprintf(detail, sizeof(detail), is_sort ? "Not a valid sort field " :
			    "Not a valid select field: %.200s", tok);
			api_reply_problem(r, 400, is_sort ? 1403 : 1724, detail);
			return -1;
		}
		if (!is_sort) {
			want[f] = 1;
			continue;
		}
		for (k = 0; k < *n && order[k] != f; k++)
			;
		if (k == *n)
			order[(*n)++] = f;
	}
	return 0;
}

struct fsort {
	int order[FF_N], n, desc;
};

static int
frow_cmp(const void *pa, const void *pb, void *arg)
{
	const struct frow *a = pa, *b = pb;
	const struct fsort *s = arg;
	int k, c = 0;

	for (k = 0; k < s->n && c == 0; k++)
		c = s->order[k] == FF_FILENAME ? strcasecmp(a->name, b->name) :
		    strcasecmp(a->hash, b->hash);
	return s->desc ? -c : c;
}

/* contains_lower: Python's `needle.lower() in hay.lower()` for ASCII. */
static int
contains_lower(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

static const char *const files_params[] = { "pretty", "wait_for_complete", "offset", "limit",
	"sort", "search", "hash", "q", "select", "distinct", NULL };

/*
 * GET /groups/{group_id}/files: filename and hash of each shared file, as
 * Wazuh's process_array does it: sort (by filename unless sort says
 * otherwise), search (a leading '-' negates), q, select (filename always),
 * distinct, then offset/limit.  An unknown group is a failed item (1710).
 */
void
api_get_group_files(struct api_req *r)
{
	const char *g = r->segs[1], *hash = api_param_get(r, "hash");
	const char *search = api_param_get(r, "search"), *qs = api_param_get(r, "q");
	const char *sel = api_param_get(r, "select"), *sort = api_param_get(r, "sort");
	const char *dist = api_param_get(r, "distinct");
	struct group_file f[GROUP_FILES_MAX];
	struct frow rows[GROUP_FILES_MAX];
	struct fsort fs = { { FF_FILENAME }, 1, 0 };
	struct qlang *ql = NULL;
	struct qlang_err qerr;
	struct envelope *e = NULL;
	const struct group *gr;
	long limit = 500, offset = 0, total = 0;
	int want[FF_N] = { 1, 1 }, neg = 0, distinct = 0;
	size_t i, n;

	if (api_check(r, files_params) == -1 || !api_group_param_ok(r, g, "group_id") ||
	    api_long_param(r, "limit", 1, 100000, &limit) == -1 ||
	    api_long_param(r, "offset", 0, 1L << 62, &offset) == -1)
		return;
	if (hash == NULL)
		hash = "md5";
	if (hash_named_hex(hash, "", 0, rows[0].hash, sizeof(rows[0].hash)) == -1) {
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
	if ((sel != NULL && strlen(sel) > 200) || (sort != NULL && strlen(sort) > 200)) {
		api_reply_problem(r, 400, 0, "'select' or 'sort' is too long");
		return;
	}
	if (sel != NULL) {
		want[FF_HASH] = 0;
		if (fields_param(r, sel, 0, want, NULL, NULL, NULL) == -1)
			return;
	}
	if (sort != NULL) {
		fs.n = 0;
		if (fields_param(r, sort, 1, NULL, fs.order, &fs.n, &fs.desc) == -1)
			return;
	}
	if (qs != NULL && (ql = qlang_parse(qs, strlen(qs), ffield_lookup, NULL, &qerr)) == NULL) {
		api_reply_problem(r, qerr.code != 0 ? 400 : 500, qerr.code != 0 ? 1407 : 1000, NULL);
		return;
	}
	if ((e = envelope_new()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	if ((gr = groups_get(r->node->groups, g)) == NULL) {
		envelope_fail(e, g, 1710);
		goto reply;
	}
	n = group_files(gr, f);
	for (i = 0; i < n; i++) {
		rows[i].name = f[i].name;
		(void)hash_named_hex(hash, f[i].data, f[i].len, rows[i].hash, sizeof(rows[i].hash));
	}
	qsort_r(rows, n, sizeof(*rows), frow_cmp, &fs);
	for (i = 0; i < n; i++) {
		struct fmatch m = { ql, &rows[i] };
		int hit;

		if (search != NULL && *search != '\0') {
			hit = contains_lower(rows[i].name, search) ||
			    contains_lower(rows[i].hash, search);
			if (hit == neg)
				continue;
		}
		if (ql != NULL && !qlang_eval(ql, frow_match, &m))
			continue;
		/* distinct changes nothing: filename is in every item and unique. */
		if (total >= offset && total < offset + limit) {
			json_t *o = json_object();

			json_object_set_new(o, "filename", json_string(rows[i].name));
			if (want[FF_HASH])
				json_object_set_new(o, "hash", json_string(rows[i].hash));
			envelope_affect(e, o);
		}
		total++;
	}
	(void)distinct;
	envelope_set_total(e, total);
reply:
	api_reply_json(r, 200, envelope_render(e, "All selected groups files were returned",
	    "Some groups files were not returned", "No groups files were returned", 0));
out:
	envelope_free(e);
	qlang_free(ql);
}

/* lines_json: Wazuh's _ar_conf2json: the file's lines without their '\n'. */
static json_t *
lines_json(const char *s, size_t len)
{
	json_t *a = json_array();
	const char *nl;

	while (a != NULL && len > 0) {
		size_t n = (nl = memchr(s, '\n', len)) != NULL ? (size_t)(nl - s) : len;

		json_array_append_new(a, json_stringn(s, n));
		n += nl != NULL;
		s += n;
		len -= n;
	}
	return a;
}

/* merged_json: Wazuh's _merged_mg2json: each file's name, size and content. */
static json_t *
merged_json(const char *m, size_t len)
{
	json_t *a = json_array();
	char name[256];
	const char *data;
	size_t off = 0, dlen;

	while (a != NULL && merged_next(m, len, &off, name, sizeof(name), &data, &dlen) == 1)
		json_array_append_new(a, json_pack("{s:s, s:I, s:s%}", "file_name", name,
		    "file_size", (json_int_t)dlen, "file_content", data, dlen));
	return a;
}

static const char *const file_params[] = { "pretty", "wait_for_complete", "type", "raw", NULL };

/*
 * GET /groups/{group_id}/files/{file_name}[?raw][&type]: one shared file.
 * raw: its bytes (agent.conf as application/xml, the others as text/plain,
 * as Wazuh's mimetypes guess).  Else JSON: agent.conf (or type=conf) parsed
 * as Wazuh does, ar.conf as its lines, merged.mg as its files.  A name not
 * in the format is 400; a file the group does not have is 1006; an unknown
 * group 1710.
 */
void
api_get_group_file(struct api_req *r)
{
	const char *g = r->segs[1], *fname = r->segs[3];
	const char *type = api_param_get(r, "type"), *rawp = api_param_get(r, "raw");
	struct group_file f[GROUP_FILES_MAX];
	const struct group_file *file = NULL;
	const struct group *gr;
	char detail[400];
	json_t *data = NULL;
	size_t i, n;
	int raw = 0;

	if (api_check(r, file_params) == -1 || !api_group_param_ok(r, g, "group_id"))
		return;
	if (!group_file_name_ok(fname)) {
		snprintf(detail, sizeof(detail), "'%.200s' does not match '^[\\\\w,\\\\-\\\\.\\\\+"
		    "\\\\s:]+$' - 'file_name'", fname);
		api_reply_problem(r, 400, 0, detail);
		return;
	}
	if (rawp != NULL && (raw = api_parse_bool(rawp)) == -1) {
		api_reply_problem(r, 400, 0, "'raw' is not of type 'boolean'");
		return;
	}
	if (type != NULL && strcmp(type, "conf") != 0 && strcmp(type, "rootkit_files") != 0 &&
	    strcmp(type, "rootkit_trojans") != 0 && strcmp(type, "rcl") != 0) {
		api_reply_problem(r, 400, 0, "'type' is not one of ['conf', 'rootkit_files', "
		    "'rootkit_trojans', 'rcl']");
		return;
	}
	if ((gr = groups_get(r->node->groups, g)) == NULL) {
		api_reply_problem(r, 404, 1710, NULL);
		return;
	}
	n = group_files(gr, f);
	for (i = 0; i < n && file == NULL; i++)
		if (strcmp(f[i].name, fname) == 0)
			file = &f[i];
	if (file == NULL) {
		snprintf(detail, sizeof(detail), "File/directory does not exist or there is a problem "
		    "with the permissions: etc/shared/%s/%.200s", g, fname);
		api_reply_problem(r, 400, 1006, detail);
		return;
	}
	if (raw) {
		char *text = strndup(file->data, file->len);

		if (text == NULL) {
			api_reply_problem(r, 500, 1000, NULL);
			return;
		}
		api_reply_text(r, 200, strcmp(fname, "agent.conf") == 0 ?
		    "application/xml; charset=utf-8" : "text/plain; charset=utf-8", text);
		free(text);
		return;
	}
	if ((type != NULL && strcmp(type, "conf") == 0) ||
	    (type == NULL && strcmp(fname, "agent.conf") == 0))
		data = agentconf_to_json(file->data, file->len);
	else if (type != NULL) {
		/* Vigil's groups hold no rootcheck files: Wazuh's parsers of those find nothing. */
		data = strcmp(type, "rcl") == 0 ? json_pack("{s:{}, s:[{}]}", "vars", "controls") :
		    json_array();
	} else if (strcmp(fname, "ar.conf") == 0)
		data = lines_json(file->data, file->len);
	else
		data = merged_json(file->data, file->len);
	if (data == NULL) {
		api_reply_problem(r, 400, 1101, NULL);
		return;
	}
	api_reply_json(r, 200, json_pack("{s:o, s:i}", "data", data, "error", 0));
}

static const char *const config_params[] = { "pretty", "wait_for_complete", "offset", "limit",
	NULL };

/*
 * GET /groups/{group_id}/configuration: the group's agent.conf parsed as
 * Wazuh's get_agent_conf does ({"data": {"total_affected_items",
 * "affected_items": [{filters, config}]}, "error": 0}), the blocks cut by
 * offset/limit, the total counting them all.  The raw file is
 * GET /groups/{group_id}/files/agent.conf?raw=true, as in Wazuh.
 */
void
api_get_group_config(struct api_req *r)
{
	const char *g = r->segs[1];
	const struct group *gr;
	long limit = 500, offset = 0;
	json_t *conf, *items, *page;
	size_t i;

	if (api_check(r, config_params) == -1 || !api_group_param_ok(r, g, "group_id") ||
	    api_long_param(r, "limit", 1, 100000, &limit) == -1 ||
	    api_long_param(r, "offset", 0, 1L << 62, &offset) == -1)
		return;
	if ((gr = groups_get(r->node->groups, g)) == NULL) {
		api_reply_problem(r, 404, 1710, NULL);
		return;
	}
	if ((conf = agentconf_to_json(gr->conf, gr->conf_len)) == NULL) {
		api_reply_problem(r, 400, 1101, NULL);
		return;
	}
	items = json_object_get(conf, "affected_items");
	if ((page = json_array()) == NULL) {
		json_decref(conf);
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	for (i = (size_t)offset; i < json_array_size(items) && i - (size_t)offset < (size_t)limit;
	    i++)
		json_array_append(page, json_array_get(items, i));
	json_object_set_new(conf, "affected_items", page);
	api_reply_json(r, 200, json_pack("{s:o, s:i}", "data", conf, "error", 0));
}
