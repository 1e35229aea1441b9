/* api_query_run.c — the GET /agents item (agent_to_json) and the listing
 * (agents_query_run: filter, search, sort, page, select).  Pure: no I/O, no
 * globals.  Built for tens of thousands of agents: it sorts pointers and
 * makes JSON only for the rows inside offset/limit.
 */
#include "node/api/api_query.h"
#include "node/api/api_query_fields.h"
#include "node/api/qlang.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
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

/*
 * How a field compares.  K_NUM is an INTEGER column of Wazuh's agent table;
 * K_DATE one of its date_fields (an epoch integer, NULL when 0 here);
 * K_VERSION sorts by its numbers (and compares as text in q, as Wazuh does);
 * K_OSVER sorts as Wazuh's CAST(os_major), CAST(os_minor).
 */
enum field_kind { K_STR, K_NUM, K_DATE, K_VERSION, K_OSVER };

static const struct {
	const char *name;
	int kind;
} agent_fields[F_COUNT] = {
	[F_ID] = { "id", K_NUM },
	[F_NAME] = { "name", K_STR },
	[F_IP] = { "ip", K_STR },
	[F_STATUS] = { "status", K_STR },
	[F_OS_NAME] = { "os.name", K_STR },
	[F_OS_VERSION] = { "os.version", K_OSVER },
	[F_OS_PLATFORM] = { "os.platform", K_STR },
	[F_VERSION] = { "version", K_VERSION },
	[F_MANAGER] = { "manager", K_STR },
	[F_DATEADD] = { "dateAdd", K_DATE },
	[F_GROUP] = { "group", K_STR },
	[F_MERGEDSUM] = { "mergedSum", K_STR },
	[F_CONFIGSUM] = { "configSum", K_STR },
	[F_OS_CODENAME] = { "os.codename", K_STR },
	[F_OS_MAJOR] = { "os.major", K_STR },
	[F_OS_MINOR] = { "os.minor", K_STR },
	[F_OS_UNAME] = { "os.uname", K_STR },
	[F_OS_ARCH] = { "os.arch", K_STR },
	[F_OS_BUILD] = { "os.build", K_STR },
	[F_NODE_NAME] = { "node_name", K_STR },
	[F_LASTKEEPALIVE] = { "lastKeepAlive", K_DATE },
	[F_REGISTERIP] = { "registerIP", K_STR },
	[F_DISCONNECTION_TIME] = { "disconnection_time", K_NUM },
	[F_GROUP_CONFIG_STATUS] = { "group_config_status", K_STR },
	[F_STATUS_CODE] = { "status_code", K_NUM },
};

static int
is_num(int f)
{
	return agent_fields[f].kind == K_NUM || agent_fields[f].kind == K_DATE;
}

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
	if (a->st.info.agent_ip[0] != '\0')
		return a->st.info.agent_ip;
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
	case F_STATUS: return agent_status_name(a->st.status);
	case F_OS_NAME: s = a->st.info.os_name; break;
	case F_OS_VERSION: s = a->st.info.os_version; break;
	case F_OS_PLATFORM: s = a->st.info.os_platform; break;
	case F_VERSION: s = a->st.info.version; break;
	case F_MANAGER: s = a->st.manager; break;
	case F_GROUP: s = a->group; break;
	case F_MERGEDSUM: s = a->st.info.merged_sum; break;
	case F_CONFIGSUM: s = a->st.info.config_sum; break;
	case F_OS_CODENAME: s = a->st.info.os_codename; break;
	case F_OS_MAJOR: s = a->st.info.os_major; break;
	case F_OS_MINOR: s = a->st.info.os_minor; break;
	case F_OS_UNAME: s = a->st.info.os_uname; break;
	case F_OS_ARCH: s = a->st.info.os_arch; break;
	case F_OS_BUILD: s = a->st.info.os_build; break;
	case F_NODE_NAME:
		/* wazuh-db's node_name DEFAULT 'unknown': an agent no node has held yet */
		return a->node_name[0] != '\0' ? a->node_name : "unknown";
	case F_REGISTERIP: s = agent_register_ip(a); break;
	case F_GROUP_CONFIG_STATUS: return a->group_config_synced ? "synced" : "not synced";
	default: return NULL;
	}
	return s[0] != '\0' ? s : NULL;
}

/* field_num: a numeric field; 0 on a K_DATE means none (NULL). */
static long long
field_num(const struct agent *a, int f)
{
	switch (f) {
	case F_ID: return a->id;
	case F_DATEADD: return (long long)a->date_add;
	case F_LASTKEEPALIVE: return (long long)a->st.last_keepalive;
	case F_DISCONNECTION_TIME: return (long long)a->st.disconnection_time;
	case F_STATUS_CODE: return a->st.status_code;
	}
	return 0;
}

/* field_is_null: SQL NULL in Wazuh's table (disconnection_time is 0 there, not NULL). */
static int
field_is_null(const struct agent *a, int f)
{
	if (agent_fields[f].kind == K_DATE)
		return field_num(a, f) == 0;
	if (agent_fields[f].kind == K_NUM)
		return 0;
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
	if (WANT(F_ID) && json_object_set_new(o, "id", json_string(id)) == -1)
		goto err;
	if ((WANT(F_NAME) && set_str(o, "name", field_str(a, F_NAME)) == -1) ||
	    (WANT(F_IP) && set_str(o, "ip", field_str(a, F_IP)) == -1) ||
	    (WANT(F_REGISTERIP) && set_str(o, "registerIP", field_str(a, F_REGISTERIP)) == -1) ||
	    (WANT(F_STATUS) && set_str(o, "status", field_str(a, F_STATUS)) == -1) ||
	    (WANT(F_STATUS_CODE) &&
	    json_object_set_new(o, "status_code", json_integer(a->st.status_code)) == -1))
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
	if (WANT(F_LASTKEEPALIVE) && a->st.last_keepalive != 0 &&
	    json_object_set_new(o, "lastKeepAlive", json_date(a->st.last_keepalive)) == -1)
		goto err;
	if (WANT(F_DISCONNECTION_TIME) && a->st.disconnection_time != 0 &&
	    json_object_set_new(o, "disconnection_time", json_date(a->st.disconnection_time)) == -1)
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

/* ---- q: each condition as its field compares it ---- */

enum qc_kind {
	QC_TEXT,      /* qlang_text_match over field_str (value as given, or transformed) */
	QC_NUM,       /* an INTEGER column: numeric when the value is a number, else text rules */
	QC_REL,       /* a date against a timeframe (now - secs) */
	QC_ABS,       /* a date against a date */
	QC_GROUP,     /* group: = and != as a member of the list, ~ as LIKE */
};

struct agents_qc {
	int kind;
	int field;
	int num_ok;           /* QC_NUM: the value is a number (SQLite's affinity conversion) */
	double num;
	long long secs;       /* QC_REL */
	int abs_ok;           /* QC_ABS: SQLite's strftime would give a date */
	long long abs;
	char *text;           /* QC_GROUP: "%,v,%"; version: the value with "Wazuhv" -> "Wazuh v" */
	char *like;           /* version: the LIKE pattern so rewritten */
	struct qlang_cond cond;   /* the condition, with text in place of the value if set */
};

static int
q_lookup(void *arg, const char *name, size_t len)
{
	(void)arg;
	return api_field_lookup(name, len);
}

/* sane_copy: a printable copy of client text for a detail (at most cap - 1 bytes). */
static void
sane_copy(char *out, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < cap; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
}

static void q_error(struct api_qerr *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* q_error: a 400 with Wazuh's code and detail (truncated, never overflowed). */
static void
q_error(struct api_qerr *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->http_status = 400;
	err->code = code;
	err->remediation[0] = '\0';
	va_start(ap, fmt);
	(void)vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

/* q_nomem: out of memory while preparing q: Wazuh's internal error (500, 1000). */
static int
q_nomem(struct api_qerr *err)
{
	err->http_status = 500;
	err->code = 1000;
	err->detail[0] = '\0';
	err->remediation[0] = '\0';
	return -1;
}

/* parse_number: SQLite turns TEXT into a number for an INTEGER column when it reads as one. */
static int
parse_number(const char *s, double *out)
{
	char *end;

	while (*s == ' ')
		s++;
	if (*s == '\0' || !(isdigit((unsigned char)*s) || *s == '-' || *s == '+' || *s == '.'))
		return 0;
	errno = 0;
	*out = strtod(s, &end);
	if (end == s || errno == ERANGE)
		return 0;
	while (*end == ' ')
		end++;
	/* strtod also takes "inf", "nan" and hex: SQLite does not */
	return *end == '\0' && strpbrk(s, "xXiInN") == NULL;
}

/*
 * timeframe_secs: Wazuh's get_timeframe_in_seconds: digits are seconds;
 * else one or more <n><d|h|m|s>.  -1 when it is neither.
 */
static long long
timeframe_secs(const char *v)
{
	static const struct { char unit; long long mul; } units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	long long total = 0, n;
	size_t i;

	if (*v == '\0')
		return -1;
	while (*v != '\0') {
		if (!isdigit((unsigned char)*v))
			return -1;
		for (n = 0; isdigit((unsigned char)*v); v++)
			n = n > LLONG_MAX / 100 ? LLONG_MAX / 100 : n * 10 + (*v - '0');
		if (*v == '\0') {
			if (total != 0)
				return -1;   /* "1d5": a number after a unit */
			return n;
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (*v == units[i].unit)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		v++;
		total += n > LLONG_MAX / 100 / units[i].mul ? LLONG_MAX / 100 : n * units[i].mul;
		if (total > LLONG_MAX / 100)
			total = LLONG_MAX / 100;
	}
	return total;
}

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* date_shape: Wazuh's gate for a date value: \d{4}-\d{2}-\d{2} at the start. */
static int
date_shape(const char *v)
{
	int x;

	return digits(v, 4, &x) == 0 && v[4] == '-' && digits(v + 5, 2, &x) == 0 &&
	    v[7] == '-' && digits(v + 8, 2, &x) == 0;
}

/*
 * sqlite_epoch: strftime('%s', v) as SQLite computes it for
 * "YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z|(+|-)HH:MM]"; -1 when SQLite gives NULL.
 */
static int
sqlite_epoch(const char *v, long long *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, tzh, tzm, sign;
	long long t, off = 0;
	const char *p = v + 10;

	if (!date_shape(v) || digits(v, 4, &y) || digits(v + 5, 2, &mo) || digits(v + 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (*p == ' ' || *p == 'T') {
		p++;
		if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi) || h > 24 || mi > 59)
			return -1;
		p += 5;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec) || sec > 59)
				return -1;
			p += 3;
			if (*p == '.' && isdigit((unsigned char)p[1]))
				for (p++; isdigit((unsigned char)*p); p++)
					;
		}
		while (*p == ' ')
			p++;
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			sign = (*p == '-') ? -1 : 1;
			if (digits(p + 1, 2, &tzh) || p[3] != ':' || digits(p + 4, 2, &tzm) ||
			    tzm > 59)
				return -1;
			off = sign * (tzh * 3600LL + tzm * 60LL);
			p += 6;
		}
	}
	if (*p != '\0')
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (long long)timegm(&tm);
	*out = t - off;
	return 0;
}

/* version_value: Wazuh's re.sub(r'([a-zA-Z])([v])', r'\1 \2', value) ("Wazuhv4" -> "Wazuh v4"). */
static char *
version_value(const char *v)
{
	size_t len = strlen(v), i, o = 0;
	char *out;

	if ((out = malloc(len * 2 + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		out[o++] = v[i];
		if (isalpha((unsigned char)v[i]) && v[i + 1] == 'v') {
			out[o++] = ' ';
			out[o++] = 'v';
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

static const char *const q_op_text[] = {
	[QLANG_EQ] = "=", [QLANG_NE] = "!=", [QLANG_LT] = "<", [QLANG_GT] = ">", [QLANG_LIKE] = "~",
};

/* qc_prepare: one condition; -1 with err (1409 group, 1411/1412 date). */
static int
qc_prepare(struct agents_qc *qc, const struct qlang_cond *c, struct api_qerr *err)
{
	char vb[256];
	long long secs;

	qc->field = c->field;
	qc->cond = *c;
	if (c->is_null) {
		qc->kind = QC_TEXT;
		return 0;
	}
	switch (agent_fields[c->field].kind) {
	case K_DATE:
		if (isdigit((unsigned char)c->value[0]) && !date_shape(c->value)) {
			if ((secs = timeframe_secs(c->value)) < 0) {
				sane_copy(vb, sizeof(vb), c->value);
				q_error(err, 1411, "TimeFrame is not valid: %s", vb);
				return -1;
			}
			qc->kind = QC_REL;
			qc->secs = secs;
			return 0;
		}
		if (!date_shape(c->value)) {
			sane_copy(vb, sizeof(vb), c->value);
			q_error(err, 1412, "Date filter not valid. Valid formats are YYYY-MM-DD HH:mm:ss, "
			    "YYYY-MM-DDTHH:mm:ssZ or YYYY-MM-DD: %s", vb);
			return -1;
		}
		qc->kind = QC_ABS;
		qc->abs_ok = sqlite_epoch(c->value, &qc->abs) == 0;
		return 0;
	case K_NUM:
		qc->kind = QC_NUM;
		qc->num_ok = c->op != QLANG_LIKE && parse_number(c->value, &qc->num);
		return 0;
	}
	if (c->field == F_GROUP) {
		if (c->op == QLANG_LT || c->op == QLANG_GT) {
			q_error(err, 1409, "Invalid query operator: Valid operators for 'group' field: "
			    "=, !=, ~. Used operator: %s", q_op_text[c->op]);
			return -1;
		}
		qc->kind = QC_GROUP;
		if (c->op != QLANG_LIKE) {
			/* a quoted value: its pattern ('_' for each quote) */
			const char *v = c->like != NULL ? c->like : c->value;
			size_t len = strlen(v);

			if ((qc->text = malloc(len + 5)) == NULL)
				goto nomem;
			snprintf(qc->text, len + 5, "%%,%s,%%", v);
		}
		return 0;
	}
	qc->kind = QC_TEXT;
	if (c->field == F_VERSION) {
		/* the value and the LIKE pattern as Wazuh rewrites them */
		if ((qc->text = version_value(c->value)) == NULL ||
		    (c->like != NULL && (qc->like = version_value(c->like)) == NULL))
			goto nomem;
		qc->cond.value = qc->text;
		qc->cond.like = qc->like;
	}
	return 0;
nomem:
	return q_nomem(err);
}

void
agents_q_free(struct agents_query *q)
{
	size_t i;

	if (q->qc != NULL && q->ql != NULL)
		for (i = 0; i < qlang_nconds(q->ql); i++) {
			free(q->qc[i].text);
			free(q->qc[i].like);
		}
	free(q->qc);
	q->qc = NULL;
	qlang_free(q->ql);
	q->ql = NULL;
}

int
agents_q_compile(struct agents_query *q, struct api_qerr *err)
{
	struct qlang_err qe;
	char *text = NULL, all[400], tb[900], tok[sizeof(qe.token)];
	const char *user = (q->q_str != NULL && q->q_str[0] != '\0') ? q->q_str : NULL;
	const char *older = q->older_than;
	size_t len, i;

	/* Wazuh drops older_than=0s (only that spelling). */
	if (older != NULL && strcmp(older, "0s") == 0)
		older = NULL;
	if (user == NULL && older == NULL)
		return 0;
	len = (user ? strlen(user) : 0) + (older ? 2 * strlen(older) : 0) + 128;
	if ((text = malloc(len)) == NULL)
		goto nomem;
	if (older == NULL)
		snprintf(text, len, "%s", user);
	else
		snprintf(text, len, "%s%s%s(lastKeepAlive>%s;status!=never_connected,"
		    "dateAdd>%s;status=never_connected)", user ? "(" : "", user ? user : "",
		    user ? ");" : "", older, older);
	q->ql = qlang_parse(text, strlen(text), q_lookup, NULL, &qe);
	free(text);
	if (q->ql == NULL) {
		sane_copy(tb, sizeof(tb), user ? user : "");
		switch (qe.code) {
		case 1407:
			q_error(err, 1407, "Query does not match expected format: %s", tb);
			return -1;
		case 1408:
			api_fields_list(all, sizeof(all));
			sane_copy(tok, sizeof(tok), qe.token);
			q_error(err, 1408, "Field does not exist.: Available fields: %s. Field: %s",
			    all, tok);
			return -1;
		case 1409:
			sane_copy(tok, sizeof(tok), qe.token);
			q_error(err, 1409, "Invalid query operator: Valid operators: =, !=, <, >, ~. "
			    "Used operator: %s", tok);
			return -1;
		}
		goto nomem;
	}
	if ((q->qc = calloc(qlang_nconds(q->ql) ? qlang_nconds(q->ql) : 1, sizeof(*q->qc))) == NULL)
		goto nomem;
	for (i = 0; i < qlang_nconds(q->ql); i++)
		if (qc_prepare(&q->qc[i], qlang_cond(q->ql, i), err) == -1)
			return -1;
	return 0;
nomem:
	return q_nomem(err);
}

/* group_member_like: (',' || group || ',') LIKE pattern. */
static int
group_member_like(const char *group, const char *pattern)
{
	char buf[sizeof(((struct agent *)0)->group) + 2];

	snprintf(buf, sizeof(buf), ",%s,", group);
	return qlang_like(pattern, buf);
}

/* text_vs_num: an INTEGER value against text that is no number: integers sort below text. */
static int
num_cond(const struct agents_qc *qc, long long v)
{
	char num[32];

	/* a pattern: ~, or = and != with a quoted value (< and > compare it as text) */
	if (qc->cond.like != NULL && qc->cond.op != QLANG_LT && qc->cond.op != QLANG_GT) {
		snprintf(num, sizeof(num), "%lld", v);
		return qlang_like(qc->cond.like, num) == (qc->cond.op != QLANG_NE);
	}
	if (!qc->num_ok) {
		switch (qc->cond.op) {
		case QLANG_EQ: return 0;
		case QLANG_NE: return 1;
		case QLANG_LT: return 1;
		default: return 0;
		}
	}
	switch (qc->cond.op) {
	case QLANG_EQ: return (double)v == qc->num;
	case QLANG_NE: return (double)v != qc->num;
	case QLANG_LT: return (double)v < qc->num;
	case QLANG_GT: return (double)v > qc->num;
	default: return 0;
	}
}

struct q_ctx {
	const struct agents_query *q;
	const struct agent *a;
	time_t now;
};

/* q_match: condition i of the query for the agent in ctx, as Wazuh's SQL decides it. */
static int
q_match(void *arg, size_t i)
{
	const struct q_ctx *ctx = arg;
	const struct agents_qc *qc = &ctx->q->qc[i];
	const struct agent *a = ctx->a;
	long long t;
	const char *s;

	if (qc->cond.is_null)
		return field_is_null(a, qc->field);
	switch (qc->kind) {
	case QC_NUM:
		return num_cond(qc, field_num(a, qc->field));
	case QC_REL:
		/* "<" and "=" keep what is newer than now - secs, anything else what is older */
		if (a->id == 0 || (t = field_num(a, qc->field)) == 0)
			return 0;
		if (qc->cond.op == QLANG_LT || qc->cond.op == QLANG_EQ)
			return t > (long long)ctx->now - qc->secs;
		return t < (long long)ctx->now - qc->secs;
	case QC_ABS:
		if (a->id == 0 || (t = field_num(a, qc->field)) == 0 || !qc->abs_ok)
			return 0;
		switch (qc->cond.op) {
		case QLANG_NE: return t != qc->abs;
		case QLANG_LT: return t < qc->abs;
		case QLANG_GT: return t > qc->abs;
		default: return t == qc->abs;
		}
	case QC_GROUP:
		if ((s = field_str(a, F_GROUP)) == NULL)
			return 0;
		if (qc->cond.op == QLANG_LIKE)
			return qlang_like(qc->cond.like, s);
		return group_member_like(s, qc->text) == (qc->cond.op == QLANG_EQ);
	}
	return qlang_text_match(&qc->cond, field_str(a, qc->field));
}

/* ---- the listing ---- */

/*
 * search_match: Wazuh's search: the agent has a field LIKE pattern (NULL
 * fields never match), every field but id, the dates as epoch numbers; and
 * the id LIKE id_pattern (no '%' around it: the number must match whole).
 */
static int
search_match(const struct agent *a, const char *pattern, const char *id_pattern)
{
	char num[32];
	const char *s;
	int f;

	for (f = 0; f < F_COUNT; f++) {
		if (f == F_ID)
			continue;
		if (is_num(f)) {
			if (field_is_null(a, f))
				continue;
			snprintf(num, sizeof(num), "%lld", field_num(a, f));
			s = num;
		} else if ((s = field_str(a, f)) == NULL)
			continue;
		if (qlang_like(pattern, s))
			return 1;
	}
	snprintf(num, sizeof(num), "%u", a->id);
	return qlang_like(id_pattern, num);
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

/*
 * eq_filter: a legacy filter (name=, ip=, ...): Wazuh's "field = value
 * COLLATE NOCASE"; "all" filters nothing and "null" means IS NULL.
 */
static int
eq_filter(const char *want, const char *have)
{
	if (want == NULL || strcmp(want, "all") == 0)
		return 1;
	if (strcmp(want, "null") == 0)
		return have == NULL;
	return have != NULL && strcasecmp(want, have) == 0;
}

struct run_ctx {
	const struct agents_query *q;
	const char *pattern;      /* search LIKE pattern, or NULL */
	char *id_pattern;         /* search pattern for the id */
	char *group_pattern;      /* group filter: "%,g,%" */
	int negate;
	time_t now;
};

static int
agent_matches(const struct run_ctx *rc, const struct agent *a)
{
	const struct agents_query *q = rc->q;

	if (q->status_mask != 0 && (a->st.status < 0 || a->st.status > 31 ||
	    !(q->status_mask & (1u << a->st.status))))
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
	if (q->version != NULL && strcmp(q->version, "all") != 0 &&
	    (strcmp(q->version, "null") == 0 ? a->st.info.version[0] != '\0' :
	    (a->st.info.version[0] == '\0' ||
	    strcasecmp(version_strip(q->version), version_strip(a->st.info.version)) != 0)))
		return 0;
	/* group=g is Wazuh's (',' || group || ',') LIKE '%,g,%' */
	if (rc->group_pattern != NULL && (a->group[0] == '\0' ||
	    !group_member_like(a->group, rc->group_pattern)))
		return 0;
	if (q->group_config_status >= 0 && q->group_config_status != (a->group_config_synced != 0))
		return 0;
	if (q->ql != NULL) {
		struct q_ctx qc = { q, a, rc->now };

		if (!qlang_eval(q->ql, q_match, &qc))
			return 0;
	}
	if (rc->pattern != NULL &&
	    search_match(a, rc->pattern, rc->id_pattern) == rc->negate)
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

/* cast_cmp: CAST(x AS INTEGER) for two TEXT values, NULL (empty) first. */
static int
cast_cmp(const char *x, const char *y)
{
	long long a, b;

	if (x[0] == '\0' || y[0] == '\0')
		return (y[0] == '\0') - (x[0] == '\0');
	a = strtoll(x, NULL, 10);
	b = strtoll(y, NULL, 10);
	return (a > b) - (a < b);
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
	int na = field_is_null(a, f), nb = field_is_null(b, f), c;
	long long x, y;

	if (agent_fields[f].kind == K_OSVER) {
		/* Wazuh orders os.version by CAST(os_major AS INTEGER), CAST(os_minor AS INTEGER) */
		if ((c = cast_cmp(a->st.info.os_major, b->st.info.os_major)) != 0)
			return c;
		return cast_cmp(a->st.info.os_minor, b->st.info.os_minor);
	}
	if (na || nb)
		return nb - na;
	switch (agent_fields[f].kind) {
	case K_NUM:
	case K_DATE:
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
 * search_patterns: Wazuh's search value as the LIKE pattern "%value%" with
 * the quote characters turned into '_' (special_characters), and the id's
 * pattern: the value as an integer when it is all digits ("007" -> "7"),
 * else the value itself, with no '%' around.  *negate is set for a leading
 * '-'.  Caller frees both; -1 when out of memory.
 */
static int
search_patterns(const char *search, char **pattern, char **id_pattern, int *negate)
{
	size_t len, i;
	char *p, *c;

	*negate = (search[0] == '-');
	if (*negate)
		search++;
	len = strlen(search);
	*pattern = NULL;
	if ((p = malloc(len + 3)) == NULL || (*id_pattern = malloc(len + 2)) == NULL) {
		free(p);
		return -1;
	}
	p[0] = '%';
	memcpy(p + 1, search, len);
	p[len + 1] = '%';
	p[len + 2] = '\0';
	for (c = p + 1; *c != '\0'; c++)
		if (*c == '\'' || *c == '"')
			*c = '_';
	*pattern = p;
	for (i = 0; i < len && isdigit((unsigned char)search[i]); i++)
		;
	if (len > 0 && i == len) {
		while (search[0] == '0' && search[1] != '\0')
			search++;
		snprintf(*id_pattern, len + 2, "%s", search);
	} else {
		memcpy(*id_pattern, p + 1, len);
		(*id_pattern)[len] = '\0';
	}
	return 0;
}

/* distinct_null: Wazuh's distinct keeps rows whose selected fields are "IS NOT null AND != ''". */
static int
distinct_null(const struct agent *a, uint32_t mask)
{
	int f;

	for (f = 0; f < F_COUNT; f++)
		if ((mask & FIELD_BIT(f)) && field_is_null(a, f))
			return 1;
	return 0;
}

/* distinct_vals_cmp: orders two rows by their values in the fields of mask (bytes, numbers). */
static int
distinct_vals_cmp(const struct agent *a, const struct agent *b, uint32_t mask)
{
	const char *sa, *sb;
	long long na, nb;
	int f, c;

	for (f = 0; f < F_COUNT; f++) {
		if (!(mask & FIELD_BIT(f)))
			continue;
		if (is_num(f)) {
			na = field_num(a, f);
			nb = field_num(b, f);
			c = (na > nb) - (na < nb);
		} else {
			sa = field_str(a, f);
			sb = field_str(b, f);
			c = strcmp(sa ? sa : "", sb ? sb : "");
		}
		if (c != 0)
			return c;
	}
	return 0;
}

struct distinct_ctx {
	struct agent **v;
	uint32_t mask;
};

/* distinct_cmp: row positions by their values, then by position (the first one first). */
static int
distinct_cmp(const void *x, const void *y, void *arg)
{
	const struct distinct_ctx *dc = arg;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int c = distinct_vals_cmp(dc->v[i], dc->v[j], dc->mask);

	return c != 0 ? c : (i > j) - (i < j);
}

static int
pos_cmp(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;

	return (i > j) - (i < j);
}

/*
 * distinct_rows: keeps in v (in order) the first row of each distinct
 * combination of the fields in mask, dropping rows where one is null or
 * empty.  Returns the new count, or (size_t)-1 when out of memory.
 */
static size_t
distinct_rows(struct agent **v, size_t n, uint32_t mask)
{
	struct distinct_ctx dc = { v, mask };
	size_t *pos, i, m = 0, k = 0;

	if ((pos = calloc(n ? n : 1, sizeof(*pos))) == NULL)
		return (size_t)-1;
	for (i = 0; i < n; i++)
		if (!distinct_null(v[i], mask))
			pos[m++] = i;
	qsort_r(pos, m, sizeof(*pos), distinct_cmp, &dc);
	for (i = 0; i < m; i++)
		if (k == 0 || distinct_vals_cmp(v[pos[k - 1]], v[pos[i]], mask) != 0)
			pos[k++] = pos[i];
	qsort(pos, k, sizeof(*pos), pos_cmp);
	for (i = 0; i < k; i++)
		v[i] = v[pos[i]];
	free(pos);
	return k;
}

/*
 * query_select: the agents of q: candidates selected (agents_list via binary
 * search, removed agents skipped; missing listed ids reported once each, in
 * the order given), filtered, and sorted only when a sort was asked for (else
 * by id).  *vout (caller frees) holds *kept of them.  0, or -1 out of memory.
 */
static int
query_select(const struct agents_query *q, struct agent *const *agents, size_t n,
    void (*missing)(void *arg, const char *id), void *arg, struct agent ***vout, size_t *kept)
{
	struct agent **v = NULL;
	unsigned char *want = NULL;
	struct sort_spec spec;
	struct run_ctx rc;
	char *pattern = NULL;
	size_t i, m = 0, k;
	int ordered = 1, f, ret = -1;

	*vout = NULL;
	*kept = 0;
	memset(&rc, 0, sizeof(rc));
	rc.q = q;
	rc.now = q->now != 0 ? q->now : time(NULL);
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
	if (q->search != NULL) {
		if (search_patterns(q->search, &pattern, &rc.id_pattern, &rc.negate) == -1)
			goto out;
		rc.pattern = pattern;
	}
	if (q->group != NULL && strcmp(q->group, "all") != 0) {
		size_t len = strlen(q->group) + 5;

		if ((rc.group_pattern = malloc(len)) == NULL)
			goto out;
		snprintf(rc.group_pattern, len, "%%,%s,%%", q->group);
	}
	for (i = 0, k = 0; i < m; i++) {
		if (want != NULL && !want[i])
			continue;
		if (agent_matches(&rc, v[i]))
			v[k++] = v[i];
	}

	if (q->nsort > 0) {
		spec.n = 0;
		for (i = 0; i < q->nsort && i < AGENTS_SORT_MAX; i++) {
			if ((f = api_field_lookup(q->sort[i].field, strnlen(q->sort[i].field,
			    sizeof(q->sort[i].field)))) == -1)
				continue;
			spec.keys[spec.n].field = f;
			spec.keys[spec.n++].desc = q->sort[i].desc;
		}
		qsort_r(v, k, sizeof(*v), agent_cmp, &spec);
	}
	*vout = v;
	*kept = k;
	v = NULL;
	ret = 0;
out:
	free(rc.group_pattern);
	free(rc.id_pattern);
	free(pattern);
	free(want);
	free(v);
	return ret;
}

/*
 * page_bounds: the rows [*from, *to) of kept that offset and limit leave; 0
 * when none.
 */
static int
page_bounds(const struct agents_query *q, size_t kept, size_t *from, size_t *to)
{
	size_t end;

	if (q->offset < 0 || (size_t)q->offset >= kept || q->limit <= 0)
		return 0;
	end = kept - (size_t)q->offset;
	if ((size_t)q->limit < end)
		end = (size_t)q->limit;
	*from = (size_t)q->offset;
	*to = end + (size_t)q->offset;
	return 1;
}

/*
 * agents_query_run: works on an array of pointers (query_select), made
 * distinct when asked, and only the rows inside offset/limit become JSON.
 */
void
agents_query_run(const struct agents_query *q, struct agent *const *agents, size_t n,
    json_t *items, long *total, void (*missing)(void *arg, const char *id), void *arg)
{
	struct agent **v = NULL;
	size_t i, kept, from, to;
	uint32_t mask;

	*total = 0;
	if (query_select(q, agents, n, missing, arg, &v, &kept) == -1)
		return;
	mask = select_mask(q->select, q->nselect);
	if (q->distinct) {
		/* no id unless selected: Wazuh's min_select_fields are empty in distinct mode */
		if (q->nselect > 0)
			mask &= ~FIELD_BIT(F_ID);
		for (i = 0; i < q->nselect; i++)
			if (strcmp(q->select[i], "id") == 0)
				mask |= FIELD_BIT(F_ID);
		if ((kept = distinct_rows(v, kept, mask)) == (size_t)-1)
			goto out;
	}
	*total = (long)kept;
	if (!page_bounds(q, kept, &from, &to))
		goto out;
	for (i = from; i < to; i++) {
		json_t *o = agent_json_mask(v[i], mask);

		if (o != NULL)
			json_array_append_new(items, o);
	}
out:
	free(v);
}

/* group_na: the selected fields of mask that are NULL for a set to "N/A" in o (Wazuh's filler). */
static int
group_na(json_t *o, const struct agent *a, uint32_t mask)
{
	json_t *os;
	int f;

	for (f = 0; f < F_COUNT; f++) {
		if (!(mask & FIELD_BIT(f)) || !field_is_null(a, f))
			continue;
		if (strncmp(agent_fields[f].name, "os.", 3) != 0) {
			if (json_object_set_new(o, agent_fields[f].name, json_string("N/A")) == -1)
				return -1;
			continue;
		}
		if ((os = json_object_get(o, "os")) == NULL &&
		    (json_object_set_new(o, "os", os = json_object()) == -1 || os == NULL))
			return -1;
		if (json_object_set_new(os, agent_fields[f].name + 3, json_string("N/A")) == -1)
			return -1;
	}
	return 0;
}

struct group_row {
	size_t first;      /* position of its first agent in the selection's order */
	long count;
};

static int
group_row_cmp(const void *x, const void *y)
{
	const struct group_row *a = x, *b = y;

	return (a->first > b->first) - (a->first < b->first);
}

void
agents_query_group(const struct agents_query *q, struct agent *const *agents, size_t n,
    json_t *items, long *total)
{
	struct agent **v = NULL;
	struct group_row *g = NULL;
	struct distinct_ctx dc;
	size_t *pos = NULL, i, kept, ng = 0, from, to;
	uint32_t mask;

	*total = 0;
	if (query_select(q, agents, n, NULL, NULL, &v, &kept) == -1)
		return;
	/* Wazuh counts the matching agents before it adds its GROUP BY */
	*total = (long)kept;
	mask = q->nselect > 0 ? select_mask(q->select, q->nselect) & ~FIELD_BIT(F_ID) : FIELDS_ALL;
	for (i = 0; i < q->nselect; i++)
		if (strcmp(q->select[i], "id") == 0)
			mask |= FIELD_BIT(F_ID);
	if ((pos = calloc(kept ? kept : 1, sizeof(*pos))) == NULL ||
	    (g = calloc(kept ? kept : 1, sizeof(*g))) == NULL)
		goto out;
	for (i = 0; i < kept; i++)
		pos[i] = i;
	dc.v = v;
	dc.mask = mask;
	/* by values, then position: each group's first agent leads it */
	qsort_r(pos, kept, sizeof(*pos), distinct_cmp, &dc);
	for (i = 0; i < kept; i++) {
		if (ng == 0 || distinct_vals_cmp(v[g[ng - 1].first], v[pos[i]], mask) != 0)
			g[ng++] = (struct group_row){ pos[i], 0 };
		g[ng - 1].count++;
	}
	qsort(g, ng, sizeof(*g), group_row_cmp);
	if (!page_bounds(q, ng, &from, &to))
		goto out;
	for (i = from; i < to; i++) {
		json_t *o = agent_json_mask(v[g[i].first], mask);

		if (o == NULL || group_na(o, v[g[i].first], mask) == -1 ||
		    json_object_set_new(o, "count", json_integer(g[i].count)) == -1) {
			json_decref(o);
			continue;
		}
		json_array_append_new(items, o);
	}
out:
	free(g);
	free(pos);
	free(v);
}
