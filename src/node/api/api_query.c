/* api_query.c — REST API query parameters: strict validation, agents_list
 * and GET /agents parsing.  Pure: no I/O, no globals.  The agent object and
 * the listing itself are in api_query_run.c.
 */
#include "node/api/api_query.h"
#include "node/api/api_query_fields.h"
#include "node/api/qlang.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LIMIT_DEFAULT 500
#define LIMIT_MAX 100000

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

enum fmt {
	FMT_NAMES, FMT_ALNUM, FMT_SEARCH, FMT_SORT, FMT_SELECT, FMT_AGENT_NAME, FMT_GROUP,
	FMT_TIMEFRAME,
};

static const char *const fmt_regex[] = {
	[FMT_NAMES] = "^[\\\\w\\\\-.%]+$",
	[FMT_ALNUM] = "^[\\\\w,\\\\-.+\\\\s:]+$",
	[FMT_SEARCH] = "^[^;|&^*>]+$",
	[FMT_SORT] = "^[\\\\w_\\\\-,\\\\s+.]+$",
	[FMT_SELECT] = "^[\\\\w\\\\-.]+$",
	[FMT_AGENT_NAME] = "^[\\\\w\\\\-.]+$",
	[FMT_GROUP] = "^(?!^(\\\\.{1,2}|all)$)[A-Za-z0-9.\\\\-_]+$",
	[FMT_TIMEFRAME] = "^(\\\\d+[dhms]?)$",
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
	case FMT_TIMEFRAME:
		return isdigit(c) || strchr("dhms", c) != NULL;
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
	/* timeframe: digits, then at most one unit letter at the end */
	if (f == FMT_TIMEFRAME)
		for (i = 0; i + 1 < len; i++)
			if (!isdigit((unsigned char)s[i]))
				return 0;
	if (f == FMT_TIMEFRAME && !isdigit((unsigned char)s[0]))
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

/* One entry of agents_list, for finding duplicates. */
struct list_item {
	unsigned int id;
	const char *str;
	size_t at;
};

static int
list_item_cmp(const void *a, const void *b)
{
	const struct list_item *x = a, *y = b;
	int c;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->id == UINT_MAX && (c = strcmp(x->str, y->str)) != 0)
		return c;
	return x->at < y->at ? -1 : x->at > y->at;
}

/*
 * agents_list_dedupe: keeps the first of entries naming the same agent ("001"
 * and "0001" do) in their order; entries naming no agent (UINT_MAX) are the
 * same only with the same text.  Wazuh takes the list as a set: an agent
 * listed twice must not be commanded twice.  0 / -1 out of memory.
 */
static int
agents_list_dedupe(unsigned int *v, char **sv, size_t *n)
{
	struct list_item *t;
	unsigned char *dup;
	size_t i, k;

	if (*n < 2)
		return 0;
	if ((t = calloc(*n, sizeof(*t))) == NULL || (dup = calloc(*n, 1)) == NULL) {
		free(t);
		return -1;
	}
	for (i = 0; i < *n; i++)
		t[i] = (struct list_item){ v[i], sv[i], i };
	qsort(t, *n, sizeof(*t), list_item_cmp);
	for (i = 1; i < *n; i++)
		if (t[i].id == t[i - 1].id &&
		    (t[i].id != UINT_MAX || strcmp(t[i].str, t[i - 1].str) == 0))
			dup[t[i].at] = 1;
	for (i = k = 0; i < *n; i++) {
		if (dup[i]) {
			free(sv[i]);
			continue;
		}
		v[k] = v[i];
		sv[k++] = sv[i];
	}
	*n = k;
	free(dup);
	free(t);
	return 0;
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
	if (count > API_AGENTS_LIST_MAX) {
		qerr_set(err, 400, 0, "[%zu items] is too long (at most %d) - 'agents_list'", count,
		    API_AGENTS_LIST_MAX);
		return -1;
	}
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
	if (agents_list_dedupe(v, sv, &count) == -1) {
		qerr_set(err, 500, 1000, NULL);
		goto err;
	}
	*ids = v;
	*strs = sv;
	*n = count;
	return 0;
err:
	api_agents_list_free(v, sv, count);
	return -1;
}

/*
 * check_unknown: strict validation: every key of params must be known
 * (known(arg, key)); else 400 "Extra parameter(s) <keys> not in spec".  The
 * common booleans are typed in Wazuh's spec: a bad value is a schema 400 too.
 */
static int
check_unknown(const struct api_param *params, size_t n,
    int (*known)(const void *arg, const char *key), const void *arg, struct api_qerr *err)
{
	char list[512], qb[80];
	size_t i, off = 0;
	int bad = 0;

	list[0] = '\0';
	for (i = 0; i < n; i++) {
		if (known(arg, params[i].key))
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

static int
list_known(const void *arg, const char *key)
{
	const char *const *allowed = arg;
	size_t j;

	for (j = 0; allowed[j] != NULL; j++)
		if (strcmp(key, allowed[j]) == 0)
			return 1;
	return 0;
}

int
api_check_params(const struct api_param *params, size_t n, const char *const *allowed,
    struct api_qerr *err)
{
	return check_unknown(params, n, list_known, allowed, err);
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
	agents_q_free(q);
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

/* ---- table-driven parameters (GET /agents and GET /cluster/nodes) ---- */

/*
 * How one parameter of a listing endpoint is checked and stored.  Phase 0
 * holds the checks of Wazuh's schema (connexion runs them all before the
 * framework), higher phases the framework's own checks in the order it
 * makes them, so that a request with two faults gets Wazuh's error.
 */
enum pkind {
	PK_BOOL,     /* int member: true/false */
	PK_OFFSET,   /* long member: >= 0 */
	PK_LIMIT,    /* long member: 1..100000 */
	PK_STR,      /* const char * member, pointing into the parameters; fmt checked */
	PK_FN,       /* fn does it all */
};

struct pspec {
	const char *key;
	enum pkind kind;
	int phase;
	size_t off;          /* offsetof the member (PK_BOOL, PK_OFFSET, PK_LIMIT, PK_STR) */
	int fmt;             /* PK_STR: enum fmt, or -1 for any text */
	int (*fn)(const char *key, const char *v, void *q, struct api_qerr *err);
};

#define PSPEC_MEMBER(q, off, type) ((type *)(void *)((char *)(q) + (off)))

static const struct pspec *
pspec_find(const struct pspec *spec, const char *key)
{
	for (; spec->key != NULL; spec++)
		if (strcmp(spec->key, key) == 0)
			return spec;
	return NULL;
}

static int
pspec_known(const void *arg, const char *key)
{
	return pspec_find(arg, key) != NULL;
}

static int
pspec_apply(const struct pspec *s, const char *v, void *q, struct api_qerr *err)
{
	switch (s->kind) {
	case PK_BOOL:
		return parse_bool_param(s->key, v, PSPEC_MEMBER(q, s->off, int), err);
	case PK_OFFSET:
	case PK_LIMIT:
		return parse_offset_limit(s->key, v, PSPEC_MEMBER(q, s->off, long), err);
	case PK_STR:
		if (s->fmt >= 0 && check_param(s->key, v, (enum fmt)s->fmt, err) == -1)
			return -1;
		*PSPEC_MEMBER(q, s->off, const char *) = v;
		return 0;
	case PK_FN:
		return s->fn(s->key, v, q, err);
	}
	return -1;
}

/* params_phase: applies, in the order given (the last of a repeated key wins), those of phase. */
static int
params_phase(const struct pspec *spec, const struct api_param *params, size_t n, int phase,
    void *q, struct api_qerr *err)
{
	const struct pspec *s;
	size_t i;

	for (i = 0; i < n; i++)
		if ((s = pspec_find(spec, params[i].key)) != NULL && s->phase == phase &&
		    pspec_apply(s, params[i].value, q, err) == -1)
			return -1;
	return 0;
}

/*
 * sort_each: Wazuh's "[+|-]f1,f2,...": the leading sign orders every field
 * (a '+' may arrive decoded as a space).  With field_signs, a later field may
 * carry its own sign.  Calls fn for each field (trimmed, maybe empty).
 */
static int
sort_each(const char *s, int field_signs, int (*fn)(void *q, const char *f, size_t len, int desc,
    struct api_qerr *err), void *q, struct api_qerr *err)
{
	const char *p = s, *comma, *b, *e;
	int desc_all = 0, desc, first = 1;
	char qb[80];

	if (!fmt_check(FMT_SORT, s, strlen(s))) {
		qerr_set(err, 400, 0, "'%s' does not match '%s' - 'sort'",
		    quote(s, strlen(s), qb, sizeof(qb)), fmt_regex[FMT_SORT]);
		return -1;
	}
	while (*p == ' ')
		p++;
	if (*p == '-' || *p == '+') {
		desc_all = (*p == '-');
		p++;
	}
	for (;; p = comma + 1, first = 0) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		b = p;
		e = comma;
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		desc = desc_all;
		if (field_signs && !first && b < e && (*b == '-' || *b == '+')) {
			desc = (*b == '-');
			b++;
		}
		if (fn(q, b, (size_t)(e - b), desc, err) == -1)
			return -1;
		if (*comma == '\0')
			break;
	}
	return 0;
}

/* ---- GET /agents ---- */

/* agents_select: "a,b.c": each a valid name, each a known field (1724), no repeats kept. */
static int
agents_select(const char *k, const char *s, void *arg, struct api_qerr *err)
{
	struct agents_query *q = arg;
	const char *p, *comma;
	size_t count = 1, len, i;
	char qb[80], all[400];
	int f;

	(void)k;
	for (i = 0; q->select != NULL && i < q->nselect; i++)
		free(q->select[i]);
	free(q->select);
	q->nselect = 0;
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

/* agents_sort_field: one sort field; unknown or empty is 1403, as in WazuhDBQuery._add_sort_to_query. */
static int
agents_sort_field(void *arg, const char *b, size_t len, int desc, struct api_qerr *err)
{
	struct agents_query *q = arg;
	char qb[80], all[400];
	size_t i;
	int f;

	if ((f = api_field_lookup(b, len)) == -1) {
		api_fields_list(all, sizeof(all));
		qerr_set(err, 400, 1403, "Not a valid sort field : Allowed sort fields: %s. "
		    "Fields: %s", all, quote(b, len, qb, sizeof(qb)));
		return -1;
	}
	for (i = 0; i < q->nsort; i++)
		if (strcmp(q->sort[i].field, api_field_name(f)) == 0)
			return 0;
	if (q->nsort == AGENTS_SORT_MAX) {
		qerr_set(err, 400, 0, "At most %d sort fields are allowed - 'sort'", AGENTS_SORT_MAX);
		return -1;
	}
	/* Every field name fits: the longest is 19 bytes. */
	snprintf(q->sort[q->nsort].field, sizeof(q->sort[0].field), "%s", api_field_name(f));
	q->sort[q->nsort++].desc = desc;
	return 0;
}

/* agents_sort: Wazuh's sort; we also take a sign on any later field ("+a,-b"). */
static int
agents_sort(const char *k, const char *s, void *arg, struct api_qerr *err)
{
	struct agents_query *q = arg;

	(void)k;
	q->nsort = 0;
	return sort_each(s, 1, agents_sort_field, q, err);
}

/* agents_status: comma list of statuses, any case (uri_parser.py lowercases it). */
static int
agents_status(const char *k, const char *s, void *arg, struct api_qerr *err)
{
	struct agents_query *q = arg;
	const char *p, *comma;
	char word[32], qb[80];
	size_t len;
	int st;

	(void)k;
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
agents_gcs(const char *k, const char *v, void *arg, struct api_qerr *err)
{
	struct agents_query *q = arg;
	char qb[80];

	(void)k;
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

static int
agents_list_param(const char *k, const char *v, void *arg, struct api_qerr *err)
{
	struct agents_query *q = arg;

	(void)k;
	api_agents_list_free(q->ids, q->id_strs, q->nids);
	q->ids = NULL;
	q->id_strs = NULL;
	q->nids = 0;
	return api_parse_agents_list(v, &q->ids, &q->id_strs, &q->nids, err);
}

#define AQ(m) offsetof(struct agents_query, m)

/* GET /agents: phase 1 is select (1724); q is compiled next (1407-1412); phase 2 is sort (1403). */
static const struct pspec agents_spec[] = {
	{ "pretty", PK_BOOL, 0, AQ(pretty), -1, NULL },
	{ "wait_for_complete", PK_BOOL, 0, AQ(wait_for_complete), -1, NULL },
	{ "agents_list", PK_FN, 0, 0, -1, agents_list_param },
	{ "offset", PK_OFFSET, 0, AQ(offset), -1, NULL },
	{ "limit", PK_LIMIT, 0, AQ(limit), -1, NULL },
	{ "select", PK_FN, 1, 0, -1, agents_select },
	{ "sort", PK_FN, 2, 0, -1, agents_sort },
	{ "search", PK_STR, 0, AQ(search), FMT_SEARCH, NULL },
	{ "status", PK_FN, 0, 0, -1, agents_status },
	{ "q", PK_STR, 0, AQ(q_str), -1, NULL },
	{ "older_than", PK_STR, 0, AQ(older_than), FMT_TIMEFRAME, NULL },
	{ "os.platform", PK_STR, 0, AQ(os_platform), FMT_ALNUM, NULL },
	{ "os.version", PK_STR, 0, AQ(os_version), FMT_ALNUM, NULL },
	{ "os.name", PK_STR, 0, AQ(os_name), FMT_ALNUM, NULL },
	{ "manager", PK_STR, 0, AQ(manager), FMT_ALNUM, NULL },
	{ "version", PK_STR, 0, AQ(version), FMT_ALNUM, NULL },
	{ "group", PK_STR, 0, AQ(group), FMT_GROUP, NULL },
	{ "node_name", PK_STR, 0, AQ(node_name), FMT_NAMES, NULL },
	{ "name", PK_STR, 0, AQ(name), FMT_AGENT_NAME, NULL },
	{ "ip", PK_STR, 0, AQ(ip), FMT_ALNUM, NULL },
	{ "registerIP", PK_STR, 0, AQ(register_ip), FMT_ALNUM, NULL },
	{ "group_config_status", PK_FN, 0, 0, -1, agents_gcs },
	{ "distinct", PK_BOOL, 0, AQ(distinct), -1, NULL },
	{ NULL, PK_FN, 0, 0, -1, NULL },
};

int
agents_query_parse(const struct api_param *params, size_t n, struct agents_query *q,
    struct api_qerr *err)
{
	memset(q, 0, sizeof(*q));
	q->limit = LIMIT_DEFAULT;
	q->group_config_status = -1;
	if (check_unknown(params, n, pspec_known, agents_spec, err) == -1)
		return -1;
	if (params_phase(agents_spec, params, n, 0, q, err) == -1 ||
	    params_phase(agents_spec, params, n, 1, q, err) == -1 ||
	    agents_q_compile(q, err) == -1 ||
	    params_phase(agents_spec, params, n, 2, q, err) == -1)
		goto err;
	return 0;
err:
	agents_query_free(q);
	memset(q, 0, sizeof(*q));
	return -1;
}


/* GET /cluster/nodes ------------------------------------------------------ */

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

/*
 * nodes_select: "a,b": each a valid name; any that is not a node field is
 * 1724 with Wazuh's get_connected_nodes texts (the wrong fields in the detail,
 * the allowed ones in the remediation).
 */
static int
nodes_select(const char *k, const char *s, void *arg, struct api_qerr *err)
{
	struct nodes_query *q = arg;
	const char *p, *comma;
	char bad[128], qb[80];
	size_t len, i, off = 0;
	int f;

	(void)k;
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
 * nodes_sort_field: unknown fields are kept as -1: Wazuh only rejects them
 * (1403) when there is something to sort.
 */
static int
nodes_sort_field(void *arg, const char *b, size_t len, int desc, struct api_qerr *err)
{
	struct nodes_query *q = arg;
	size_t off = strlen(q->sort_bad);
	char qb[80];

	q->sort_desc = desc;
	if (q->nsort == NODES_SORT_MAX) {
		qerr_set(err, 400, 0, "At most %d sort fields are allowed - 'sort'", NODES_SORT_MAX);
		return -1;
	}
	if ((q->sort[q->nsort++] = nodes_field(b, len)) == -1 && off + 1 < sizeof(q->sort_bad))
		snprintf(q->sort_bad + off, sizeof(q->sort_bad) - off, "%s%s", off ? ", " : "",
		    quote(b, len, qb, sizeof(qb)));
	return 0;
}

/* nodes_sort: "[+|-]f1,f2": one sign for every field. */
static int
nodes_sort(const char *k, const char *s, void *arg, struct api_qerr *err)
{
	struct nodes_query *q = arg;

	(void)k;
	q->nsort = 0;
	q->sort_desc = 0;
	q->sort_bad[0] = '\0';
	return sort_each(s, 0, nodes_sort_field, q, err);
}

static int
nodes_search(const char *k, const char *v, void *arg, struct api_qerr *err)
{
	struct nodes_query *q = arg;

	if (check_param(k, v, FMT_SEARCH, err) == -1)
		return -1;
	q->search_neg = (v[0] == '-');
	q->search = v + q->search_neg;
	return 0;
}

static int
nodes_type(const char *k, const char *v, void *arg, struct api_qerr *err)
{
	struct nodes_query *q = arg;
	char qb[80];

	(void)k;
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

static int
nodes_list_param(const char *k, const char *v, void *arg, struct api_qerr *err)
{
	struct nodes_query *q = arg;

	(void)k;
	api_nodes_list_free(q->nodes, q->nnodes);
	q->nodes = NULL;
	q->nnodes = 0;
	return api_parse_nodes_list(v, &q->nodes, &q->nnodes, err);
}

/* nodes_q_lookup: a node field; any other name is a field no item has (it matches nothing). */
static int
nodes_q_lookup(void *arg, const char *name, size_t len)
{
	static const char *const names[NODES_NFIELDS] = { "name", "type", "version", "ip" };
	int f;

	(void)arg;
	for (f = 0; f < NODES_NFIELDS; f++)
		if (strlen(names[f]) == len && memcmp(names[f], name, len) == 0)
			return f;
	return NODES_NFIELDS;
}

#define NQ(m) offsetof(struct nodes_query, m)

/* GET /cluster/nodes: every schema check before the framework's select check (phase 1). */
static const struct pspec nodes_spec[] = {
	{ "pretty", PK_BOOL, 0, NQ(pretty), -1, NULL },
	{ "wait_for_complete", PK_BOOL, 0, NQ(wait_for_complete), -1, NULL },
	{ "offset", PK_OFFSET, 0, NQ(offset), -1, NULL },
	{ "limit", PK_LIMIT, 0, NQ(limit), -1, NULL },
	{ "sort", PK_FN, 0, 0, -1, nodes_sort },
	{ "search", PK_FN, 0, 0, -1, nodes_search },
	{ "select", PK_FN, 1, 0, -1, nodes_select },
	{ "type", PK_FN, 0, 0, -1, nodes_type },
	{ "nodes_list", PK_FN, 0, 0, -1, nodes_list_param },
	{ "q", PK_STR, 0, NQ(q_str), -1, NULL },
	{ "distinct", PK_BOOL, 0, NQ(distinct), -1, NULL },
	{ NULL, PK_FN, 0, 0, -1, NULL },
};

int
nodes_query_parse(const struct api_param *params, size_t n, struct nodes_query *q,
    struct api_qerr *err)
{
	memset(q, 0, sizeof(*q));
	q->limit = LIMIT_DEFAULT;
	q->type = -1;
	if (check_unknown(params, n, pspec_known, nodes_spec, err) == -1)
		return -1;
	if (params_phase(nodes_spec, params, n, 0, q, err) == -1 ||
	    params_phase(nodes_spec, params, n, 1, q, err) == -1)
		goto err;
	if (q->q_str != NULL) {
		struct qlang_err qe;

		if ((q->ql = qlang_parse(q->q_str, strlen(q->q_str), nodes_q_lookup, NULL,
		    &qe)) == NULL) {
			if (qe.code == 0)
				qerr_set(err, 500, 1000, NULL);
			else
				qerr_set(err, 400, 1407, "Parameter 'q' is not valid: '%.200s'",
				    q->q_str);
			goto err;
		}
	}
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
	qlang_free(q->ql);
	q->ql = NULL;
}
