/* api_query.c — REST API query parameters: strict validation, agents_list
 * and GET /agents parsing.  Pure: no I/O, no globals.  The agent object and
 * the listing itself are in api_query_run.c.
 */
#include "node/api_query.h"
#include "node/api_query_fields.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LIMIT_DEFAULT 500
#define LIMIT_MAX 100000

static const char *const agents_params[] = {
	"pretty", "wait_for_complete", "agents_list", "offset", "limit", "select", "sort",
	"search", "status", "q", "older_than", "os.platform", "os.version", "os.name",
	"manager", "version", "group", "node_name", "name", "ip", "registerIP",
	"group_config_status", "distinct", NULL
};

static void qerr_set(struct api_qerr *err, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* qerr_set: fills err; the detail is truncated (never overflowed) if too long. */
static void
qerr_set(struct api_qerr *err, int status, int code, const char *fmt, ...)
{
	va_list ap;

	err->http_status = status;
	err->code = code;
	err->detail[0] = '\0';
	err->remediation[0] = '\0';
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

/*
 * quote: a printable copy of client input for an error detail: at most
 * about 64 bytes, anything but printable ASCII as '?', so that the detail is
 * always valid UTF-8.
 */
static const char *
quote(const char *s, size_t len, char *buf, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 4 < cap && i < 64; i++)
		buf[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < len && o + 4 < cap) {
		buf[o++] = '.';
		buf[o++] = '.';
		buf[o++] = '.';
	}
	buf[o] = '\0';
	return buf;
}

/* Character classes of Wazuh's formats (api/api/validator.py); bytes >= 0x80 count as \w. */
static int
is_word(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

enum fmt { FMT_NAMES, FMT_ALNUM, FMT_SEARCH, FMT_SORT, FMT_SELECT, FMT_AGENT_NAME, FMT_GROUP };

static const char *const fmt_regex[] = {
	[FMT_NAMES] = "^[\\\\w\\\\-.%]+$",
	[FMT_ALNUM] = "^[\\\\w,\\\\-.+\\\\s:]+$",
	[FMT_SEARCH] = "^[^;|&^*>]+$",
	[FMT_SORT] = "^[\\\\w_\\\\-,\\\\s+.]+$",
	[FMT_SELECT] = "^[\\\\w\\\\-.]+$",
	[FMT_AGENT_NAME] = "^[\\\\w\\\\-.]+$",
	[FMT_GROUP] = "^(?!^(\\\\.{1,2}|all)$)[A-Za-z0-9.\\\\-_]+$",
};

static int
fmt_char_ok(enum fmt f, unsigned char c)
{
	switch (f) {
	case FMT_NAMES:
		return is_word(c) || c == '-' || c == '.' || c == '%';
	case FMT_ALNUM:
		return is_word(c) || strchr(",-.+: \t\r\n\f\v", c) != NULL;
	case FMT_SEARCH:
		return strchr(";|&^*>", c) == NULL;
	case FMT_SORT:
		return is_word(c) || strchr("-,+. \t\r\n\f\v", c) != NULL;
	case FMT_SELECT:
	case FMT_AGENT_NAME:
		return is_word(c) || c == '-' || c == '.';
	case FMT_GROUP:
		return isalnum(c) || c == '.' || c == '-' || c == '_';
	}
	return 0;
}

/* fmt_check: s (len bytes) matches the format: non-empty, only allowed characters. */
static int
fmt_check(enum fmt f, const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == '\0' || !fmt_char_ok(f, (unsigned char)s[i]))
			return 0;
	if (f == FMT_GROUP && ((len == 1 && s[0] == '.') || (len == 2 && memcmp(s, "..", 2) == 0) ||
	    (len == 3 && memcmp(s, "all", 3) == 0)))
		return 0;
	return 1;
}

static int
check_param(const char *key, const char *v, enum fmt f, struct api_qerr *err)
{
	char qb[80];

	if (fmt_check(f, v, strlen(v)))
		return 0;
	qerr_set(err, 400, 0, "'%s' does not match '%s' - '%s'", quote(v, strlen(v), qb, sizeof(qb)),
	    fmt_regex[f], key);
	return -1;
}

int
api_parse_bool(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcasecmp(s, "true") == 0)
		return 1;
	if (strcasecmp(s, "false") == 0)
		return 0;
	return -1;
}

/*
 * parse_integer: an optional sign and decimal digits, nothing else.  0, -1
 * when it is not an integer, -2 when it does not fit in a long.
 */
static int
parse_integer(const char *s, long *out)
{
	const char *p = s;
	char *end;
	long v;

	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == ERANGE)
		return -2;
	*out = v;
	return 0;
}

void
api_agents_list_free(unsigned int *ids, char **strs, size_t n)
{
	size_t i;

	if (strs != NULL)
		for (i = 0; i < n; i++)
			free(strs[i]);
	free(strs);
	free(ids);
}

int
api_parse_agents_list(const char *s, unsigned int **ids, char ***strs, size_t *n,
    struct api_qerr *err)
{
	unsigned int *v = NULL;
	char **sv = NULL, qb[80];
	const char *p, *comma;
	size_t count = 1, i = 0, len, k;

	*ids = NULL;
	*strs = NULL;
	*n = 0;
	if (strcmp(s, "all") == 0)
		return 0;
	for (p = s; *p != '\0'; p++)
		if (*p == ',')
			count++;
	if ((v = calloc(count, sizeof(*v))) == NULL || (sv = calloc(count, sizeof(*sv))) == NULL) {
		qerr_set(err, 500, 1000, NULL);
		goto err;
	}
	for (p = s; i < count; i++, p = comma + 1) {
		unsigned long long id = 0;

		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		len = (size_t)(comma - p);
		for (k = 0; k < len; k++)
			if (!isdigit((unsigned char)p[k]))
				break;
		if (len == 0 || k != len) {
			qerr_set(err, 400, 0, "'%s' does not match '^\\\\d+$' - 'agents_list'",
			    quote(p, len, qb, sizeof(qb)));
			goto err;
		}
		if (len < 3) {
			qerr_set(err, 400, 0, "'%s' is too short - 'agents_list'",
			    quote(p, len, qb, sizeof(qb)));
			goto err;
		}
		/* A value past UINT_MAX names no agent: it stays as UINT_MAX (reported missing). */
		for (k = 0; k < len && id <= UINT_MAX; k++)
			id = id * 10 + (unsigned)(p[k] - '0');
		v[i] = id > UINT_MAX ? UINT_MAX : (unsigned int)id;
		if ((sv[i] = strndup(p, len)) == NULL) {
			qerr_set(err, 500, 1000, NULL);
			goto err;
		}
	}
	*ids = v;
	*strs = sv;
	*n = count;
	return 0;
err:
	api_agents_list_free(v, sv, count);
	return -1;
}

int
api_check_params(const struct api_param *params, size_t n, const char *const *allowed,
    struct api_qerr *err)
{
	char list[512], qb[80];
	size_t i, j, off = 0;
	int bad = 0;

	list[0] = '\0';
	for (i = 0; i < n; i++) {
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(params[i].key, allowed[j]) == 0)
				break;
		if (allowed[j] != NULL)
			continue;
		if (off < sizeof(list)) {
			int w = snprintf(list + off, sizeof(list) - off, "%s%s", bad ? ", " : "",
			    quote(params[i].key, strlen(params[i].key), qb, sizeof(qb)));

			off = (w < 0) ? sizeof(list) : off + (size_t)w;
		}
		bad++;
	}
	if (bad != 0) {
		qerr_set(err, 400, 0, "Extra parameter(s) %s not in spec", list);
		return -1;
	}
	/* The common booleans are typed in Wazuh's spec: a bad value is a schema 400. */
	for (i = 0; i < n; i++)
		if ((strcmp(params[i].key, "pretty") == 0 ||
		    strcmp(params[i].key, "wait_for_complete") == 0) &&
		    api_parse_bool(params[i].value) == -1) {
			qerr_set(err, 400, 0, "'%s' is not of type 'boolean' - '%s'",
			    quote(params[i].value, strlen(params[i].value), qb, sizeof(qb)),
			    params[i].key);
			return -1;
		}
	return 0;
}

void
agents_query_free(struct agents_query *q)
{
	size_t i;

	api_agents_list_free(q->ids, q->id_strs, q->nids);
	q->ids = NULL;
	q->id_strs = NULL;
	q->nids = 0;
	if (q->select != NULL)
		for (i = 0; i < q->nselect; i++)
			free(q->select[i]);
	free(q->select);
	q->select = NULL;
	q->nselect = 0;
}

/* parse_select: "a,b.c": each a valid name, each a known field (1724), no repeats kept. */
static int
parse_select(const char *s, struct agents_query *q, struct api_qerr *err)
{
	const char *p, *comma;
	size_t count = 1, len, i;
	char qb[80], all[400];
	int f;

	for (p = s; *p != '\0'; p++)
		if (*p == ',')
			count++;
	if ((q->select = calloc(count, sizeof(*q->select))) == NULL) {
		qerr_set(err, 500, 1000, NULL);
		return -1;
	}
	for (p = s; ; p = comma + 1) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		len = (size_t)(comma - p);
		if (!fmt_check(FMT_SELECT, p, len)) {
			qerr_set(err, 400, 0, "'%s' does not match '%s' - 'select'",
			    quote(p, len, qb, sizeof(qb)), fmt_regex[FMT_SELECT]);
			return -1;
		}
		if ((f = api_field_lookup(p, len)) == -1) {
			api_fields_list(all, sizeof(all));
			qerr_set(err, 400, 1724, "Not a valid select field: Allowed select fields: "
			    "%s. Fields %s", all, quote(p, len, qb, sizeof(qb)));
			return -1;
		}
		for (i = 0; i < q->nselect; i++)
			if (strcmp(q->select[i], api_field_name(f)) == 0)
				break;
		if (i == q->nselect) {
			if ((q->select[q->nselect] = strdup(api_field_name(f))) == NULL) {
				qerr_set(err, 500, 1000, NULL);
				return -1;
			}
			q->nselect++;
		}
		if (*comma == '\0')
			break;
	}
	return 0;
}

/*
 * parse_sort: Wazuh's "[+|-]f1,f2,..." where the leading sign orders every
 * field; we also take a sign on any later field ("+a,-b").  Unknown or
 * empty fields are 1403, as in WazuhDBQuery._add_sort_to_query.
 */
static int
parse_sort(const char *s, struct agents_query *q, struct api_qerr *err)
{
	const char *p = s, *comma, *b, *e;
	int desc_all = 0, desc, f, first = 1;
	size_t i;
	char qb[80], all[400];

	if (!fmt_check(FMT_SORT, s, strlen(s))) {
		qerr_set(err, 400, 0, "'%s' does not match '%s' - 'sort'",
		    quote(s, strlen(s), qb, sizeof(qb)), fmt_regex[FMT_SORT]);
		return -1;
	}
	/* A '+' may arrive decoded as a space: it is the default order anyway. */
	while (*p == ' ')
		p++;
	if (*p == '-' || *p == '+') {
		desc_all = (*p == '-');
		p++;
	}
	for (;; p = comma + 1) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		b = p;
		e = comma;
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		desc = desc_all;
		if (!first && b < e && (*b == '-' || *b == '+')) {
			desc = (*b == '-');
			b++;
		}
		if ((f = api_field_lookup(b, (size_t)(e - b))) == -1) {
			api_fields_list(all, sizeof(all));
			qerr_set(err, 400, 1403, "Not a valid sort field : Allowed sort fields: %s. "
			    "Fields: %s", all, quote(b, (size_t)(e - b), qb, sizeof(qb)));
			return -1;
		}
		for (i = 0; i < q->nsort; i++)
			if (strcmp(q->sort[i].field, api_field_name(f)) == 0)
				break;
		if (i == q->nsort) {
			if (q->nsort == AGENTS_SORT_MAX) {
				qerr_set(err, 400, 0, "At most %d sort fields are allowed - 'sort'",
				    AGENTS_SORT_MAX);
				return -1;
			}
			/* Every field name fits: the longest is 19 bytes. */
			snprintf(q->sort[q->nsort].field, sizeof(q->sort[0].field), "%s",
			    api_field_name(f));
			q->sort[q->nsort++].desc = desc;
		}
		first = 0;
		if (*comma == '\0')
			break;
	}
	return 0;
}

/* parse_status: comma list of statuses, any case (uri_parser.py lowercases it). */
static int
parse_status(const char *s, struct agents_query *q, struct api_qerr *err)
{
	const char *p, *comma;
	char word[32], qb[80];
	size_t len;
	int st;

	for (p = s; ; p = comma + 1) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		len = (size_t)(comma - p);
		st = -1;
		if (len < sizeof(word)) {
			memcpy(word, p, len);
			word[len] = '\0';
			st = agent_status_parse(word);
		}
		if (st < 0) {
			qerr_set(err, 400, 0, "'%s' is not one of ['active', 'pending', "
			    "'never_connected', 'disconnected'] - 'status'", quote(p, len, qb, sizeof(qb)));
			return -1;
		}
		q->status_mask |= 1u << st;
		if (*comma == '\0')
			break;
	}
	return 0;
}

static int
parse_bool_param(const char *key, const char *v, int *out, struct api_qerr *err)
{
	char qb[80];
	int b;

	if ((b = api_parse_bool(v)) == -1) {
		qerr_set(err, 400, 0, "'%s' is not of type 'boolean' - '%s'",
		    quote(v, strlen(v), qb, sizeof(qb)), key);
		return -1;
	}
	*out = b;
	return 0;
}

/*
 * parse_offset_limit: the offset (>= 0; past 64 bits wazuh-db fails: 2003)
 * or limit (1..100000) parameter k into *out.
 */
static int
parse_offset_limit(const char *k, const char *v, long *out, struct api_qerr *err)
{
	int is_limit = (k[0] == 'l');
	char qb[80];
	long n;
	int rc;

	if ((rc = parse_integer(v, &n)) == -1) {
		qerr_set(err, 400, 0, "'%s' is not of type 'integer' - '%s'",
		    quote(v, strlen(v), qb, sizeof(qb)), k);
		return -1;
	}
	if (rc == -2 && v[0] != '-') {
		/* Wazuh's schema has no maximum offset: wazuh-db fails past 64 bits (2003). */
		if (!is_limit) {
			qerr_set(err, 400, 2003, NULL);
			return -1;
		}
		n = LONG_MAX;
	} else if (rc == -2 || n < is_limit) {
		qerr_set(err, 400, 0, "%s is less than the minimum of %d - '%s'",
		    quote(v, strlen(v), qb, sizeof(qb)), is_limit, k);
		return -1;
	}
	if (is_limit && n > LIMIT_MAX) {
		qerr_set(err, 400, 0, "%s is greater than the maximum of %d - 'limit'",
		    quote(v, strlen(v), qb, sizeof(qb)), LIMIT_MAX);
		return -1;
	}
	*out = n;
	return 0;
}

/* one_param: applies one GET /agents parameter to q. */
static int
one_param(const char *k, const char *v, struct agents_query *q, struct api_qerr *err)
{
	char qb[80];

	if (strcmp(k, "pretty") == 0)
		return parse_bool_param(k, v, &q->pretty, err);
	if (strcmp(k, "wait_for_complete") == 0)
		return parse_bool_param(k, v, &q->wait_for_complete, err);
	if (strcmp(k, "agents_list") == 0) {
		api_agents_list_free(q->ids, q->id_strs, q->nids);
		q->ids = NULL;
		q->id_strs = NULL;
		q->nids = 0;
		return api_parse_agents_list(v, &q->ids, &q->id_strs, &q->nids, err);
	}
	if (strcmp(k, "offset") == 0)
		return parse_offset_limit(k, v, &q->offset, err);
	if (strcmp(k, "limit") == 0)
		return parse_offset_limit(k, v, &q->limit, err);
	if (strcmp(k, "select") == 0) {
		size_t i;

		for (i = 0; q->select != NULL && i < q->nselect; i++)
			free(q->select[i]);
		free(q->select);
		q->select = NULL;
		q->nselect = 0;
		return parse_select(v, q, err);
	}
	if (strcmp(k, "sort") == 0) {
		q->nsort = 0;
		return parse_sort(v, q, err);
	}
	if (strcmp(k, "search") == 0) {
		if (check_param(k, v, FMT_SEARCH, err) == -1)
			return -1;
		q->search = v;
		return 0;
	}
	if (strcmp(k, "status") == 0)
		return parse_status(v, q, err);
	if (strcmp(k, "group_config_status") == 0) {
		if (strcasecmp(v, "synced") == 0)
			q->group_config_status = 1;
		else if (strcasecmp(v, "not synced") == 0)
			q->group_config_status = 0;
		else {
			qerr_set(err, 400, 0, "'%s' is not one of ['synced', 'not synced'] - "
			    "'group_config_status'", quote(v, strlen(v), qb, sizeof(qb)));
			return -1;
		}
		return 0;
	}
	if (strcmp(k, "name") == 0)
		return check_param(k, v, FMT_AGENT_NAME, err) == -1 ? -1 : (q->name = v, 0);
	if (strcmp(k, "node_name") == 0)
		return check_param(k, v, FMT_NAMES, err) == -1 ? -1 : (q->node_name = v, 0);
	if (strcmp(k, "group") == 0)
		return check_param(k, v, FMT_GROUP, err) == -1 ? -1 : (q->group = v, 0);
	if (strcmp(k, "ip") == 0)
		return check_param(k, v, FMT_ALNUM, err) == -1 ? -1 : (q->ip = v, 0);
	if (strcmp(k, "registerIP") == 0)
		return check_param(k, v, FMT_ALNUM, err) == -1 ? -1 : (q->register_ip = v, 0);
	if (strcmp(k, "version") == 0)
		return check_param(k, v, FMT_ALNUM, err) == -1 ? -1 : (q->version = v, 0);
	if (strcmp(k, "manager") == 0)
		return check_param(k, v, FMT_ALNUM, err) == -1 ? -1 : (q->manager = v, 0);
	if (strcmp(k, "os.name") == 0)
		return check_param(k, v, FMT_ALNUM, err) == -1 ? -1 : (q->os_name = v, 0);
	if (strcmp(k, "os.version") == 0)
		return check_param(k, v, FMT_ALNUM, err) == -1 ? -1 : (q->os_version = v, 0);
	if (strcmp(k, "os.platform") == 0)
		return check_param(k, v, FMT_ALNUM, err) == -1 ? -1 : (q->os_platform = v, 0);
	/* q, older_than, distinct: in Wazuh's spec, not implemented here. */
	qerr_set(err, 400, 0, "Parameter '%s' is not supported by this server", k);
	return -1;
}

int
agents_query_parse(const struct api_param *params, size_t n, struct agents_query *q,
    struct api_qerr *err)
{
	size_t i;

	memset(q, 0, sizeof(*q));
	q->limit = LIMIT_DEFAULT;
	q->group_config_status = -1;
	if (api_check_params(params, n, agents_params, err) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (one_param(params[i].key, params[i].value, q, err) == -1)
			goto err;
	return 0;
err:
	agents_query_free(q);
	memset(q, 0, sizeof(*q));
	return -1;
}


/* GET /cluster/nodes ------------------------------------------------------ */

static const char *const nodes_params[] = {
	"pretty", "wait_for_complete", "offset", "limit", "sort", "search", "select", "type",
	"nodes_list", "q", "distinct", NULL
};

static const char *const nodes_field_names[NODES_NFIELDS] = {
	[NODES_F_NAME] = "name", [NODES_F_TYPE] = "type", [NODES_F_VERSION] = "version",
	[NODES_F_IP] = "ip",
};

/* nodes_field: the field named by s (len bytes), or -1. */
static int
nodes_field(const char *s, size_t len)
{
	int f;

	for (f = 0; f < NODES_NFIELDS; f++)
		if (strlen(nodes_field_names[f]) == len && memcmp(nodes_field_names[f], s, len) == 0)
			return f;
	return -1;
}

int
api_check_node_name(const char *s, const char *key, struct api_qerr *err)
{
	return check_param(key, s, FMT_NAMES, err);
}

void
api_nodes_list_free(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
api_parse_nodes_list(const char *s, char ***names, size_t *n, struct api_qerr *err)
{
	const char *p, *comma;
	char **v, qb[80];
	size_t count = 1, k = 0, len, i;

	*names = NULL;
	*n = 0;
	for (p = s; *p != '\0'; p++)
		if (*p == ',')
			count++;
	if ((v = calloc(count, sizeof(*v))) == NULL) {
		qerr_set(err, 500, 1000, NULL);
		return -1;
	}
	for (p = s; ; p = comma + 1) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		len = (size_t)(comma - p);
		if (!fmt_check(FMT_NAMES, p, len)) {
			qerr_set(err, 400, 0, "'%s' does not match '%s' - 'nodes_list'",
			    quote(p, len, qb, sizeof(qb)), fmt_regex[FMT_NAMES]);
			goto err;
		}
		for (i = 0; i < k; i++)
			if (strlen(v[i]) == len && memcmp(v[i], p, len) == 0)
				break;
		if (i == k && (v[k++] = strndup(p, len)) == NULL) {
			qerr_set(err, 500, 1000, NULL);
			goto err;
		}
		if (*comma == '\0')
			break;
	}
	*names = v;
	*n = k;
	return 0;
err:
	api_nodes_list_free(v, k);
	return -1;
}

/*
 * nodes_select: "a,b": each a valid name; any that is not a node field is
 * 1724 with Wazuh's get_connected_nodes texts (the wrong fields in the detail,
 * the allowed ones in the remediation).
 */
static int
nodes_select(const char *s, struct nodes_query *q, struct api_qerr *err)
{
	const char *p, *comma;
	char bad[128], qb[80];
	size_t len, i, off = 0;
	int f;

	bad[0] = '\0';
	q->nselect = 0;
	for (p = s; ; p = comma + 1) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		len = (size_t)(comma - p);
		if (!fmt_check(FMT_NAMES, p, len)) {
			qerr_set(err, 400, 0, "'%s' does not match '%s' - 'select'",
			    quote(p, len, qb, sizeof(qb)), fmt_regex[FMT_NAMES]);
			return -1;
		}
		if ((f = nodes_field(p, len)) == -1) {
			if (off < sizeof(bad)) {
				int w = snprintf(bad + off, sizeof(bad) - off, "%s%s", off ? ", " : "",
				    quote(p, len, qb, sizeof(qb)));

				off = (w < 0) ? sizeof(bad) : off + (size_t)w;
			}
		} else {
			for (i = 0; i < q->nselect; i++)
				if (q->select[i] == f)
					break;
			if (i == q->nselect)
				q->select[q->nselect++] = f;
		}
		if (*comma == '\0')
			break;
	}
	if (bad[0] == '\0')
		return 0;
	qerr_set(err, 400, 1724, "Not a valid select field: %s", bad);
	snprintf(err->remediation, sizeof(err->remediation),
	    "Please, use only allowed select fields: name, type, version, ip");
	return -1;
}

/*
 * nodes_sort: "[+|-]f1,f2": the leading sign orders every field (a '+' may
 * arrive decoded as a space).  Unknown fields are kept as -1: Wazuh only
 * rejects them (1403) when there is something to sort.
 */
static int
nodes_sort(const char *s, struct nodes_query *q, struct api_qerr *err)
{
	const char *p = s, *comma, *b, *e;
	char qb[80];
	size_t off = 0;

	if (!fmt_check(FMT_SORT, s, strlen(s))) {
		qerr_set(err, 400, 0, "'%s' does not match '%s' - 'sort'",
		    quote(s, strlen(s), qb, sizeof(qb)), fmt_regex[FMT_SORT]);
		return -1;
	}
	q->nsort = 0;
	q->sort_bad[0] = '\0';
	while (*p == ' ')
		p++;
	q->sort_desc = (*p == '-');
	if (*p == '-' || *p == '+')
		p++;
	for (;; p = comma + 1) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		b = p;
		e = comma;
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (q->nsort == NODES_SORT_MAX) {
			qerr_set(err, 400, 0, "At most %d sort fields are allowed - 'sort'",
			    NODES_SORT_MAX);
			return -1;
		}
		if ((q->sort[q->nsort++] = nodes_field(b, (size_t)(e - b))) == -1 &&
		    off < sizeof(q->sort_bad)) {
			int w = snprintf(q->sort_bad + off, sizeof(q->sort_bad) - off, "%s%s",
			    off ? ", " : "", quote(b, (size_t)(e - b), qb, sizeof(qb)));

			off = (w < 0) ? sizeof(q->sort_bad) : off + (size_t)w;
		}
		if (*comma == '\0')
			break;
	}
	return 0;
}

/* nodes_param: applies one GET /cluster/nodes parameter to q. */
static int
nodes_param(const char *k, const char *v, struct nodes_query *q, struct api_qerr *err)
{
	char qb[80];

	if (strcmp(k, "pretty") == 0)
		return parse_bool_param(k, v, &q->pretty, err);
	if (strcmp(k, "wait_for_complete") == 0)
		return parse_bool_param(k, v, &q->wait_for_complete, err);
	if (strcmp(k, "distinct") == 0)
		return parse_bool_param(k, v, &q->distinct, err);
	if (strcmp(k, "offset") == 0)
		return parse_offset_limit(k, v, &q->offset, err);
	if (strcmp(k, "limit") == 0)
		return parse_offset_limit(k, v, &q->limit, err);
	if (strcmp(k, "select") == 0)
		return nodes_select(v, q, err);
	if (strcmp(k, "sort") == 0)
		return nodes_sort(v, q, err);
	if (strcmp(k, "search") == 0) {
		if (check_param(k, v, FMT_SEARCH, err) == -1)
			return -1;
		q->search_neg = (v[0] == '-');
		q->search = v + q->search_neg;
		return 0;
	}
	if (strcmp(k, "type") == 0) {
		/* uri_parser.py lowercases type before the schema sees it. */
		if (strcasecmp(v, "master") == 0)
			q->type = 0;
		else if (strcasecmp(v, "worker") == 0)
			q->type = 1;
		else {
			qerr_set(err, 400, 0, "'%s' is not one of ['worker', 'master'] - 'type'",
			    quote(v, strlen(v), qb, sizeof(qb)));
			return -1;
		}
		return 0;
	}
	if (strcmp(k, "nodes_list") == 0) {
		api_nodes_list_free(q->nodes, q->nnodes);
		q->nodes = NULL;
		q->nnodes = 0;
		return api_parse_nodes_list(v, &q->nodes, &q->nnodes, err);
	}
	/* q: in Wazuh's spec, not implemented here. */
	qerr_set(err, 400, 0, "Parameter '%s' is not supported by this server", k);
	return -1;
}

int
nodes_query_parse(const struct api_param *params, size_t n, struct nodes_query *q,
    struct api_qerr *err)
{
	size_t i;

	memset(q, 0, sizeof(*q));
	q->limit = LIMIT_DEFAULT;
	q->type = -1;
	if (api_check_params(params, n, nodes_params, err) == -1)
		return -1;
	/* Every schema check before the framework's select check, as connexion runs first. */
	for (i = 0; i < n; i++)
		if (strcmp(params[i].key, "select") != 0 &&
		    nodes_param(params[i].key, params[i].value, q, err) == -1)
			goto err;
	for (i = 0; i < n; i++)
		if (strcmp(params[i].key, "select") == 0 &&
		    nodes_param(params[i].key, params[i].value, q, err) == -1)
			goto err;
	return 0;
err:
	nodes_query_free(q);
	memset(q, 0, sizeof(*q));
	return -1;
}

void
nodes_query_free(struct nodes_query *q)
{
	api_nodes_list_free(q->nodes, q->nnodes);
	q->nodes = NULL;
	q->nnodes = 0;
}
