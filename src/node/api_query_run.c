/* api_query_run.c — the GET /agents item (agent_to_json) and the listing
 * (agents_query_run: filter, search, sort, page, select).  Pure: no I/O, no
 * globals.  Built for tens of thousands of agents: it sorts pointers and
 * makes JSON only for the rows inside offset/limit.
 */
#include "node/api_query.h"
#include "node/api_query_fields.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/*
 * The fields of a GET /agents item, in the order of Wazuh's
 * WazuhDBQueryAgents.fields (the order its 1403/1724 details list them).
 */
enum agent_field {
	F_ID, F_NAME, F_IP, F_STATUS, F_OS_NAME, F_OS_VERSION, F_OS_PLATFORM, F_VERSION,
	F_MANAGER, F_DATEADD, F_GROUP, F_MERGEDSUM, F_CONFIGSUM, F_OS_CODENAME, F_OS_MAJOR,
	F_OS_MINOR, F_OS_UNAME, F_OS_ARCH, F_OS_BUILD, F_NODE_NAME, F_LASTKEEPALIVE,
	F_REGISTERIP, F_DISCONNECTION_TIME, F_GROUP_CONFIG_STATUS, F_STATUS_CODE,
	F_COUNT
};

enum field_kind { K_STR, K_NUM, K_VERSION };

static const struct {
	const char *name;
	int kind;
	int searched;   /* part of `search` (dates are epoch integers in Wazuh's DB: left out) */
} agent_fields[F_COUNT] = {
	[F_ID] = { "id", K_NUM, 1 },
	[F_NAME] = { "name", K_STR, 1 },
	[F_IP] = { "ip", K_STR, 1 },
	[F_STATUS] = { "status", K_STR, 1 },
	[F_OS_NAME] = { "os.name", K_STR, 1 },
	[F_OS_VERSION] = { "os.version", K_STR, 1 },
	[F_OS_PLATFORM] = { "os.platform", K_STR, 1 },
	[F_VERSION] = { "version", K_VERSION, 1 },
	[F_MANAGER] = { "manager", K_STR, 1 },
	[F_DATEADD] = { "dateAdd", K_NUM, 0 },
	[F_GROUP] = { "group", K_STR, 1 },
	[F_MERGEDSUM] = { "mergedSum", K_STR, 1 },
	[F_CONFIGSUM] = { "configSum", K_STR, 1 },
	[F_OS_CODENAME] = { "os.codename", K_STR, 1 },
	[F_OS_MAJOR] = { "os.major", K_STR, 1 },
	[F_OS_MINOR] = { "os.minor", K_STR, 1 },
	[F_OS_UNAME] = { "os.uname", K_STR, 1 },
	[F_OS_ARCH] = { "os.arch", K_STR, 1 },
	[F_OS_BUILD] = { "os.build", K_STR, 1 },
	[F_NODE_NAME] = { "node_name", K_STR, 1 },
	[F_LASTKEEPALIVE] = { "lastKeepAlive", K_NUM, 0 },
	[F_REGISTERIP] = { "registerIP", K_STR, 1 },
	[F_DISCONNECTION_TIME] = { "disconnection_time", K_NUM, 0 },
	[F_GROUP_CONFIG_STATUS] = { "group_config_status", K_STR, 1 },
	[F_STATUS_CODE] = { "status_code", K_NUM, 1 },
};

#define FIELD_BIT(f) ((uint32_t)1 << (f))
#define FIELDS_ALL (FIELD_BIT(F_COUNT) - 1)

int
api_field_lookup(const char *name, size_t len)
{
	int f;

	for (f = 0; f < F_COUNT; f++)
		if (strlen(agent_fields[f].name) == len &&
		    memcmp(agent_fields[f].name, name, len) == 0)
			return f;
	return -1;
}

const char *
api_field_name(int f)
{
	return f >= 0 && f < F_COUNT ? agent_fields[f].name : NULL;
}

/* api_fields_list: the allowed field names joined by ", " (for 1403/1724 details). */
void
api_fields_list(char *buf, size_t cap)
{
	size_t off = 0;
	int f, w;

	buf[0] = '\0';
	for (f = 0; f < F_COUNT && off < cap; f++) {
		w = snprintf(buf + off, cap - off, "%s%s", f ? ", " : "", agent_fields[f].name);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

/* agent_ip: Wazuh's ip is coalesce(ip, register_ip): the address it connects from, else the registered one. */
static const char *
agent_ip(const struct agent *a)
{
	if (a->info.agent_ip[0] != '\0')
		return a->info.agent_ip;
	return a->ip;
}

static const char *
agent_register_ip(const struct agent *a)
{
	return a->register_ip[0] != '\0' ? a->register_ip : a->ip;
}

/* field_str: the text of a string field, or NULL when Wazuh would have NULL (empty). */
static const char *
field_str(const struct agent *a, int f)
{
	const char *s;

	switch (f) {
	case F_NAME: s = a->name; break;
	case F_IP: s = agent_ip(a); break;
	case F_STATUS: return agent_status_name(a->status);
	case F_OS_NAME: s = a->info.os_name; break;
	case F_OS_VERSION: s = a->info.os_version; break;
	case F_OS_PLATFORM: s = a->info.os_platform; break;
	case F_VERSION: s = a->info.version; break;
	case F_MANAGER: s = a->manager; break;
	case F_GROUP: s = a->group; break;
	case F_MERGEDSUM: s = a->info.merged_sum; break;
	case F_CONFIGSUM: s = a->info.config_sum; break;
	case F_OS_CODENAME: s = a->info.os_codename; break;
	case F_OS_MAJOR: s = a->info.os_major; break;
	case F_OS_MINOR: s = a->info.os_minor; break;
	case F_OS_UNAME: s = a->info.os_uname; break;
	case F_OS_ARCH: s = a->info.os_arch; break;
	case F_OS_BUILD: s = a->info.os_build; break;
	case F_NODE_NAME: s = a->node_name; break;
	case F_REGISTERIP: s = agent_register_ip(a); break;
	case F_GROUP_CONFIG_STATUS: return a->group_config_synced ? "synced" : "not synced";
	default: return NULL;
	}
	return s[0] != '\0' ? s : NULL;
}

/* field_num: a numeric field; 0 on a date means none (NULL). */
static long long
field_num(const struct agent *a, int f)
{
	switch (f) {
	case F_ID: return a->id;
	case F_DATEADD: return (long long)a->date_add;
	case F_LASTKEEPALIVE: return (long long)a->last_keepalive;
	case F_DISCONNECTION_TIME: return (long long)a->disconnection_time;
	case F_STATUS_CODE: return a->status_code;
	}
	return 0;
}

static int
field_is_null(const struct agent *a, int f)
{
	if (agent_fields[f].kind == K_NUM)
		return (f == F_DATEADD || f == F_LASTKEEPALIVE || f == F_DISCONNECTION_TIME) &&
		    field_num(a, f) == 0;
	return field_str(a, f) == NULL;
}

static json_t *
json_date(time_t t)
{
	struct tm tm;
	char buf[40];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+00:00", &tm) == 0)
		return NULL;
	return json_string(buf);
}

/* json_text: a string field as JSON; text that is not UTF-8 gets '?' for its odd bytes. */
static json_t *
json_text(const char *s)
{
	json_t *j;
	char buf[1100];
	size_t i;

	if ((j = json_string(s)) != NULL)
		return j;
	for (i = 0; s[i] != '\0' && i < sizeof(buf) - 1; i++)
		buf[i] = ((unsigned char)s[i] >= 0x80) ? '?' : s[i];
	buf[i] = '\0';
	return json_string(buf);
}

static int
set_str(json_t *o, const char *key, const char *s)
{
	if (s == NULL)
		return 0;
	return json_object_set_new(o, key, json_text(s));
}

static json_t *
group_array(const char *g)
{
	json_t *arr;
	const char *p, *comma;
	char buf[256];
	size_t len;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (p = g; *p != '\0'; p = *comma ? comma + 1 : comma) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		len = (size_t)(comma - p);
		if (len == 0)
			continue;
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (json_array_append_new(arr, json_text(buf)) == -1) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static const int os_fields[] = {
	F_OS_NAME, F_OS_VERSION, F_OS_PLATFORM, F_OS_CODENAME, F_OS_MAJOR, F_OS_MINOR,
	F_OS_UNAME, F_OS_ARCH, F_OS_BUILD,
};

/* agent_json_mask: the agent object with the fields in mask (id always); NULL fields left out. */
static json_t *
agent_json_mask(const struct agent *a, uint32_t mask)
{
	json_t *o, *os = NULL;
	char id[16];
	size_t i;

#define WANT(f) (mask & FIELD_BIT(f))
	if ((o = json_object()) == NULL)
		return NULL;
	agent_id_format(a->id, id, sizeof(id));
	if (json_object_set_new(o, "id", json_string(id)) == -1)
		goto err;
	if ((WANT(F_NAME) && set_str(o, "name", field_str(a, F_NAME)) == -1) ||
	    (WANT(F_IP) && set_str(o, "ip", field_str(a, F_IP)) == -1) ||
	    (WANT(F_REGISTERIP) && set_str(o, "registerIP", field_str(a, F_REGISTERIP)) == -1) ||
	    (WANT(F_STATUS) && set_str(o, "status", field_str(a, F_STATUS)) == -1) ||
	    (WANT(F_STATUS_CODE) &&
	    json_object_set_new(o, "status_code", json_integer(a->status_code)) == -1))
		goto err;
	for (i = 0; i < sizeof(os_fields) / sizeof(os_fields[0]); i++) {
		int f = os_fields[i];
		const char *s;

		if (!WANT(f) || (s = field_str(a, f)) == NULL)
			continue;
		if (os == NULL) {
			if ((os = json_object()) == NULL ||
			    json_object_set_new(o, "os", os) == -1)
				goto err;
		}
		/* "os.name" -> "name" */
		if (json_object_set_new(os, agent_fields[f].name + 3, json_text(s)) == -1)
			goto err;
	}
	if ((WANT(F_VERSION) && set_str(o, "version", field_str(a, F_VERSION)) == -1) ||
	    (WANT(F_MANAGER) && set_str(o, "manager", field_str(a, F_MANAGER)) == -1) ||
	    (WANT(F_NODE_NAME) && set_str(o, "node_name", field_str(a, F_NODE_NAME)) == -1))
		goto err;
	if (WANT(F_DATEADD) && a->date_add != 0 &&
	    json_object_set_new(o, "dateAdd", json_date(a->date_add)) == -1)
		goto err;
	if (WANT(F_LASTKEEPALIVE) && a->last_keepalive != 0 &&
	    json_object_set_new(o, "lastKeepAlive", json_date(a->last_keepalive)) == -1)
		goto err;
	if (WANT(F_DISCONNECTION_TIME) && a->disconnection_time != 0 &&
	    json_object_set_new(o, "disconnection_time", json_date(a->disconnection_time)) == -1)
		goto err;
	if (WANT(F_GROUP) && a->group[0] != '\0' &&
	    json_object_set_new(o, "group", group_array(a->group)) == -1)
		goto err;
	if ((WANT(F_MERGEDSUM) && set_str(o, "mergedSum", field_str(a, F_MERGEDSUM)) == -1) ||
	    (WANT(F_CONFIGSUM) && set_str(o, "configSum", field_str(a, F_CONFIGSUM)) == -1) ||
	    (WANT(F_GROUP_CONFIG_STATUS) &&
	    set_str(o, "group_config_status", field_str(a, F_GROUP_CONFIG_STATUS)) == -1))
		goto err;
#undef WANT
	return o;
err:
	json_decref(o);
	return NULL;
}

static uint32_t
select_mask(char *const *select, size_t nselect)
{
	uint32_t mask = 0;
	size_t i;
	int f;

	if (select == NULL || nselect == 0)
		return FIELDS_ALL;
	for (i = 0; i < nselect; i++)
		if (select[i] != NULL && (f = api_field_lookup(select[i], strlen(select[i]))) != -1)
			mask |= FIELD_BIT(f);
	return mask | FIELD_BIT(F_ID);
}

json_t *
agent_to_json(const struct agent *a, char *const *select, size_t nselect)
{
	return agent_json_mask(a, select_mask(select, nselect));
}

/* ---- the listing ---- */

/*
 * like_match: SQLite's LIKE, case-insensitive for ASCII: '%' any run, '_'
 * one (UTF-8) character.  Iterative with one backtrack point, O(n*m) at worst.
 */
static int
like_match(const char *p, const char *s)
{
	const char *star_p = NULL, *star_s = NULL;

	while (*s != '\0') {
		if (*p == '%') {
			while (*p == '%')
				p++;
			if (*p == '\0')
				return 1;
			star_p = p;
			star_s = s;
			continue;
		}
		if (*p == '_') {
			p++;
			s++;
			while ((*s & 0xc0) == 0x80)
				s++;
			continue;
		}
		if (*p != '\0' && tolower((unsigned char)*p) == tolower((unsigned char)*s)) {
			p++;
			s++;
			continue;
		}
		if (star_p == NULL)
			return 0;
		p = star_p;
		s = ++star_s;
	}
	while (*p == '%')
		p++;
	return *p == '\0';
}

/* search_match: the agent has a searched field LIKE pattern (NULL fields never match). */
static int
search_match(const struct agent *a, const char *pattern)
{
	char num[32];
	const char *s;
	int f;

	for (f = 0; f < F_COUNT; f++) {
		if (!agent_fields[f].searched)
			continue;
		if (agent_fields[f].kind == K_NUM) {
			snprintf(num, sizeof(num), "%lld", field_num(a, f));
			s = num;
		} else if ((s = field_str(a, f)) == NULL)
			continue;
		if (like_match(pattern, s))
			return 1;
	}
	return 0;
}

/* version_strip: "Wazuh v4.9.2" / "v4.9.2" / "Wazuh 4.9.2" -> "4.9.2". */
static const char *
version_strip(const char *v)
{
	while (*v == ' ')
		v++;
	if (strncasecmp(v, "wazuh", 5) == 0)
		v += 5;
	while (*v == ' ')
		v++;
	if (*v == 'v' || *v == 'V')
		v++;
	return v;
}

static int
group_has(const char *groups, const char *g)
{
	size_t len = strlen(g);
	const char *p, *comma;

	for (p = groups; *p != '\0'; p = *comma ? comma + 1 : comma) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		if ((size_t)(comma - p) == len && strncasecmp(p, g, len) == 0)
			return 1;
	}
	return 0;
}

static int
eq_filter(const char *want, const char *have)
{
	return want == NULL || (have != NULL && strcasecmp(want, have) == 0);
}

static int
agent_matches(const struct agents_query *q, const struct agent *a, const char *pattern,
    int negate)
{
	if (q->status_mask != 0 && (a->status < 0 || a->status > 31 ||
	    !(q->status_mask & (1u << a->status))))
		return 0;
	if (!eq_filter(q->name, field_str(a, F_NAME)) ||
	    !eq_filter(q->ip, field_str(a, F_IP)) ||
	    !eq_filter(q->register_ip, field_str(a, F_REGISTERIP)) ||
	    !eq_filter(q->node_name, field_str(a, F_NODE_NAME)) ||
	    !eq_filter(q->manager, field_str(a, F_MANAGER)) ||
	    !eq_filter(q->os_name, field_str(a, F_OS_NAME)) ||
	    !eq_filter(q->os_version, field_str(a, F_OS_VERSION)) ||
	    !eq_filter(q->os_platform, field_str(a, F_OS_PLATFORM)))
		return 0;
	if (q->version != NULL && (a->info.version[0] == '\0' ||
	    strcasecmp(version_strip(q->version), version_strip(a->info.version)) != 0))
		return 0;
	if (q->group != NULL && !group_has(a->group, q->group))
		return 0;
	if (q->group_config_status >= 0 && q->group_config_status != (a->group_config_synced != 0))
		return 0;
	if (pattern != NULL && search_match(a, pattern) == negate)
		return 0;
	return 1;
}

/*
 * version_cmp: numeric comparison of the first three dotted numbers
 * ("Wazuh v4.14.1" > "Wazuh v4.9.2"); text without numbers sorts below.
 */
static int
version_cmp(const char *a, const char *b)
{
	unsigned long va[3] = { 0, 0, 0 }, vb[3] = { 0, 0, 0 };
	const char *pa = a, *pb = b;
	char *end;
	int i, ha, hb;

	while (*pa != '\0' && !isdigit((unsigned char)*pa))
		pa++;
	while (*pb != '\0' && !isdigit((unsigned char)*pb))
		pb++;
	ha = (*pa != '\0');
	hb = (*pb != '\0');
	if (ha != hb)
		return ha ? 1 : -1;
	if (!ha)
		return strcmp(a, b);
	for (i = 0; i < 3 && isdigit((unsigned char)*pa); i++) {
		va[i] = strtoul(pa, &end, 10);
		pa = (*end == '.') ? end + 1 : end;
	}
	for (i = 0; i < 3 && isdigit((unsigned char)*pb); i++) {
		vb[i] = strtoul(pb, &end, 10);
		pb = (*end == '.') ? end + 1 : end;
	}
	for (i = 0; i < 3; i++)
		if (va[i] != vb[i])
			return va[i] < vb[i] ? -1 : 1;
	return strcmp(a, b);
}

struct sort_key {
	int field;
	int desc;
};

struct sort_spec {
	struct sort_key keys[AGENTS_SORT_MAX];
	size_t n;
};

/* field_cmp: one field, SQLite order: NULL first, numbers by value, text by bytes. */
static int
field_cmp(const struct agent *a, const struct agent *b, int f)
{
	int na = field_is_null(a, f), nb = field_is_null(b, f);
	long long x, y;

	if (na || nb)
		return nb - na;
	switch (agent_fields[f].kind) {
	case K_NUM:
		x = field_num(a, f);
		y = field_num(b, f);
		return (x > y) - (x < y);
	case K_VERSION:
		return version_cmp(field_str(a, f), field_str(b, f));
	}
	return strcmp(field_str(a, f), field_str(b, f));
}

static int
agent_cmp(const void *x, const void *y, void *arg)
{
	const struct agent *a = *(struct agent *const *)x, *b = *(struct agent *const *)y;
	const struct sort_spec *spec = arg;
	size_t i;
	int c;

	for (i = 0; i < spec->n; i++) {
		if ((c = field_cmp(a, b, spec->keys[i].field)) != 0)
			return spec->keys[i].desc ? -c : c;
	}
	return (a->id > b->id) - (a->id < b->id);
}

static int
id_cmp(const void *x, const void *y)
{
	const struct agent *a = *(struct agent *const *)x, *b = *(struct agent *const *)y;

	return (a->id > b->id) - (a->id < b->id);
}

/* find_id: index of the agent with id in v (sorted by id), or n. */
static size_t
find_id(struct agent **v, size_t n, unsigned int id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid]->id == id)
			return mid;
		if (v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n;
}

/*
 * search_pattern: Wazuh's search value as a LIKE pattern "%value%" with the
 * quote characters turned into '_' (special_characters).  *negate is set for
 * a leading '-'.  Caller frees.
 */
static char *
search_pattern(const char *search, int *negate)
{
	size_t len;
	char *p, *c;

	*negate = (search[0] == '-');
	if (*negate)
		search++;
	len = strlen(search);
	if ((p = malloc(len + 3)) == NULL)
		return NULL;
	p[0] = '%';
	memcpy(p + 1, search, len);
	p[len + 1] = '%';
	p[len + 2] = '\0';
	for (c = p + 1; *c != '\0'; c++)
		if (*c == '\'' || *c == '"')
			*c = '_';
	return p;
}

/*
 * agents_query_run: works on an array of pointers: candidates are selected
 * (agents_list via binary search, removed agents skipped), filtered in place,
 * sorted only when a sort was asked for, and only the rows inside
 * offset/limit become JSON.  Missing listed ids are reported once each, in
 * the order given.
 */
void
agents_query_run(const struct agents_query *q, struct agent *const *agents, size_t n,
    json_t *items, long *total, void (*missing)(void *arg, const char *id), void *arg)
{
	struct agent **v = NULL;
	unsigned char *want = NULL;
	struct sort_spec spec;
	char *pattern = NULL;
	size_t i, m = 0, kept, end;
	uint32_t mask;
	int negate = 0, ordered = 1, f;

	*total = 0;
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (agents[i] == NULL || agents[i]->removed)
			continue;
		if (m > 0 && v[m - 1]->id >= agents[i]->id)
			ordered = 0;
		v[m++] = agents[i];
	}
	if (!ordered)
		qsort(v, m, sizeof(*v), id_cmp);

	if (q->ids != NULL) {
		/* Keep the listed agents, in id order; report the unknown ones. */
		if ((want = calloc(m ? m : 1, 1)) == NULL)
			goto out;
		for (i = 0; i < q->nids; i++) {
			size_t at = find_id(v, m, q->ids[i]);

			if (at < m)
				want[at] = 1;
			else if (missing != NULL)
				missing(arg, q->id_strs != NULL ? q->id_strs[i] : "");
		}
	}
	if (q->search != NULL && (pattern = search_pattern(q->search, &negate)) == NULL)
		goto out;
	for (i = 0, kept = 0; i < m; i++) {
		if (want != NULL && !want[i])
			continue;
		if (agent_matches(q, v[i], pattern, negate))
			v[kept++] = v[i];
	}
	*total = (long)kept;

	if (q->nsort > 0) {
		spec.n = 0;
		for (i = 0; i < q->nsort && i < AGENTS_SORT_MAX; i++) {
			if ((f = api_field_lookup(q->sort[i].field, strnlen(q->sort[i].field,
			    sizeof(q->sort[i].field)))) == -1)
				continue;
			spec.keys[spec.n].field = f;
			spec.keys[spec.n++].desc = q->sort[i].desc;
		}
		qsort_r(v, kept, sizeof(*v), agent_cmp, &spec);
	}

	if (q->offset < 0 || (size_t)q->offset >= kept || q->limit <= 0)
		goto out;
	end = kept - (size_t)q->offset;
	if ((size_t)q->limit < end)
		end = (size_t)q->limit;
	end += (size_t)q->offset;
	mask = select_mask(q->select, q->nselect);
	for (i = (size_t)q->offset; i < end; i++) {
		json_t *o = agent_json_mask(v[i], mask);

		if (o != NULL)
			json_array_append_new(items, o);
	}
out:
	free(pattern);
	free(want);
	free(v);
}
