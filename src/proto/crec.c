/* crec.c — typed bodies of updates, fence and restart (see crec.h). */
#include "proto/crec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* get_int: body[key] as an integer in [min, max]; 0 / -1. */
static int
get_int(const json_t *o, const char *key, json_int_t min, json_int_t max, json_int_t *v)
{
	const json_t *j = json_object_get(o, key);

	if (!json_is_integer(j))
		return -1;
	*v = json_integer_value(j);
	return *v >= min && *v <= max ? 0 : -1;
}

/* get_str: body[key] as a string shorter than cap (NUL-free), copied; 0 / -1. */
static int
get_str(const json_t *o, const char *key, char *dst, size_t cap)
{
	const json_t *j = json_object_get(o, key);
	size_t len;

	if (!json_is_string(j))
		return -1;
	len = json_string_length(j);
	if (len >= cap || memchr(json_string_value(j), '\0', len) != NULL)
		return -1;
	memcpy(dst, json_string_value(j), len + 1);
	return 0;
}

/* get_ctr: body[key] as [g, l] with both in 0 .. UINT32_MAX. */
static int
get_ctr(const json_t *o, const char *key, struct crec_ctr *c)
{
	const json_t *j = json_object_get(o, key), *g, *l;

	if (!json_is_array(j) || json_array_size(j) != 2)
		return -1;
	g = json_array_get(j, 0);
	l = json_array_get(j, 1);
	if (!json_is_integer(g) || !json_is_integer(l) || json_integer_value(g) < 0 ||
	    json_integer_value(g) > UINT32_MAX || json_integer_value(l) < 0 ||
	    json_integer_value(l) > UINT32_MAX)
		return -1;
	c->g = (uint32_t)json_integer_value(g);
	c->l = (uint32_t)json_integer_value(l);
	return 0;
}

static json_t *
ctr_json(struct crec_ctr c)
{
	return json_pack("[I, I]", (json_int_t)c.g, (json_int_t)c.l);
}

/* The agent information fields, in wire order. */
#define INFO_FIELDS(X) \
	X(version) X(os_uname) X(os_name) X(os_version) X(os_major) X(os_minor) \
	X(os_build) X(os_codename) X(os_platform) X(os_arch) X(config_sum) \
	X(merged_sum) X(agent_ip) X(labels)

json_t *
crec_record_encode(const struct crec_record *r)
{
	json_t *o = json_object();
	int bad = 0;

	if (o == NULL)
		return NULL;
#define SET(k, v) bad |= json_object_set_new(o, k, v)
	SET("id", json_integer(r->id));
	SET("sid", json_integer((json_int_t)r->sid));
	SET("kf", ctr_json(r->first));
	SET("kr", ctr_json(r->last));
	SET("nrx", json_integer((json_int_t)(r->nrx & INT64_MAX)));
	SET("sseq", json_integer((json_int_t)(r->sseq & INT64_MAX)));
	SET("live", json_boolean(r->live));
	SET("t", json_integer((json_int_t)(r->mark_ms & INT64_MAX)));
	SET("status", json_integer(r->st.status));
	SET("status_code", json_integer(r->st.status_code));
	SET("last_keepalive", json_integer(r->st.last_keepalive));
	SET("disconnection_time", json_integer(r->st.disconnection_time));
	SET("manager", json_string(r->st.manager));
	SET("proc_start_ms", json_integer(r->st.proc_start_ms < 0 ? 0 : r->st.proc_start_ms));
#define ENC(f) SET(#f, json_string(r->st.info.f));
	INFO_FIELDS(ENC)
#undef ENC
#undef SET
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
crec_record_decode(const json_t *j, struct crec_record *r, const char **why)
{
	json_int_t v;
	const json_t *live;

	memset(r, 0, sizeof(*r));
	*why = NULL;
	if (!json_is_object(j))
		*why = "record is not an object";
	else if (get_int(j, "id", 1, UINT32_MAX, &v) == -1)
		*why = "record: bad id";
	else if ((r->id = (uint32_t)v, get_int(j, "sid", 1, CREC_SID_MAX, &v)) == -1)
		*why = "record: bad sid";
	else if ((r->sid = (uint64_t)v, get_ctr(j, "kf", &r->first)) == -1)
		*why = "record: bad kf";
	else if (get_ctr(j, "kr", &r->last) == -1)
		*why = "record: bad kr";
	else if (get_int(j, "nrx", 0, INT64_MAX, &v) == -1)
		*why = "record: bad nrx";
	else if ((r->nrx = (uint64_t)v, get_int(j, "sseq", 0, INT64_MAX, &v)) == -1)
		*why = "record: bad sseq";
	else if ((r->sseq = (uint64_t)v, !json_is_boolean(live = json_object_get(j, "live"))))
		*why = "record: bad live";
	else if ((r->live = json_is_true(live), get_int(j, "t", 0, INT64_MAX, &v)) == -1)
		*why = "record: bad t";
	else if ((r->mark_ms = (uint64_t)v, get_int(j, "status", 0, 3, &v)) == -1)
		*why = "record: bad status";
	else if ((r->st.status = (int)v, get_int(j, "status_code", 0, 6, &v)) == -1)
		*why = "record: bad status_code";
	else if ((r->st.status_code = (int)v,
	    get_int(j, "last_keepalive", 0, INT64_MAX, &v)) == -1)
		*why = "record: bad last_keepalive";
	else if ((r->st.last_keepalive = v,
	    get_int(j, "disconnection_time", 0, INT64_MAX, &v)) == -1)
		*why = "record: bad disconnection_time";
	else if ((r->st.disconnection_time = v,
	    get_str(j, "manager", r->st.manager, sizeof(r->st.manager))) == -1)
		*why = "record: bad manager";
#define DEC(f) else if (get_str(j, #f, r->st.info.f, sizeof(r->st.info.f)) == -1) \
		*why = "record: bad " #f;
	INFO_FIELDS(DEC)
#undef DEC
	/* optional: workers older than the field do not send it (0: no proof) */
	else if (json_object_get(j, "proc_start_ms") != NULL) {
		if (get_int(j, "proc_start_ms", 0, INT64_MAX, &v) == -1)
			*why = "record: bad proc_start_ms";
		else
			r->st.proc_start_ms = v;
	}
	if (*why == NULL && crec_ctr_cmp(r->last, r->first) < 0)
		*why = "record: kr older than kf";
	return *why == NULL ? 0 : -1;
}

size_t
crec_touch_format(const struct crec_touch *t, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%" PRIu32 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu32
	    ",%" PRIu32 ",%" PRId64 ";", t->id, t->sid, t->sseq & INT64_MAX, t->nrx & INT64_MAX,
	    t->last.g, t->last.l, t->last_keepalive < 0 ? 0 : t->last_keepalive);

	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* touch_num: a plain decimal in [min, max] at *p ended by sep; moves *p past sep. */
static int
touch_num(const char **p, const char *end, uint64_t min, uint64_t max, char sep, uint64_t *v)
{
	const char *s = *p;
	size_t digits = 0;

	*v = 0;
	while (s < end && *s >= '0' && *s <= '9') {
		if (++digits > 19 || (digits == 2 && *v == 0))
			return -1;   /* too long to be in range, or a leading zero */
		*v = *v * 10 + (uint64_t)(*s++ - '0');
	}
	if (digits == 0 || s >= end || *s != sep || *v < min || *v > max)
		return -1;
	*p = s + 1;
	return 0;
}

int
crec_touch_next(const char **p, const char *end, struct crec_touch *t, const char **why)
{
	static const uint64_t max[7] = { UINT32_MAX, CREC_SID_MAX, INT64_MAX, INT64_MAX,
	    UINT32_MAX, UINT32_MAX, INT64_MAX };
	static const uint64_t min[7] = { 1, 1, 0, 0, 0, 0, 0 };
	const char *s = *p, *semi;
	uint64_t v[7];
	size_t i;

	memset(t, 0, sizeof(*t));
	*why = NULL;
	if (s >= end)
		return 0;
	for (i = 0; i < 7; i++)
		if (touch_num(&s, end, min[i], max[i], i < 6 ? ',' : ';', &v[i]) == -1) {
			*why = "touch: not seven numbers in range";
			semi = memchr(*p, ';', (size_t)(end - *p));
			*p = semi != NULL ? semi + 1 : end;
			return -1;
		}
	*p = s;
	t->id = (uint32_t)v[0];
	t->sid = v[1];
	t->sseq = v[2];
	t->nrx = v[3];
	t->last.g = (uint32_t)v[4];
	t->last.l = (uint32_t)v[5];
	t->last_keepalive = (int64_t)v[6];
	return 1;
}

int
crec_updates_decode(const json_t *body, uint64_t *seq, const json_t **records,
    const char **touches, size_t *ntouch, const char **why)
{
	json_int_t v;
	const json_t *recs = NULL, *t = NULL;

	*why = NULL;
	*touches = NULL;
	*ntouch = 0;
	if (get_int(body, "seq", 1, INT64_MAX, &v) == -1)
		*why = "updates: bad seq";
	else if (!json_is_array(recs = json_object_get(body, "records")))
		*why = "updates: records is not an array";
	else if (json_array_size(recs) > CREC_BATCH_MAX)
		*why = "updates: too many records";
	else if ((t = json_object_get(body, "touch")) != NULL &&
	    (!json_is_string(t) ||
	     json_string_length(t) > (size_t)CREC_BATCH_MAX * CREC_TOUCH_TEXT_MAX))
		*why = "updates: touch is not a string of at most a batch";
	if (*why != NULL)
		return -1;
	*seq = (uint64_t)v;
	*records = recs;
	if (t != NULL) {
		*touches = json_string_value(t);
		*ntouch = json_string_length(t);
	}
	return 0;
}

json_t *
crec_fence_encode(const struct crec_fence *f)
{
	json_t *o = json_pack("{s:I, s:I}", "id", (json_int_t)f->id, "sid", (json_int_t)f->sid);

	if (o != NULL && f->has_below &&
	    json_object_set_new(o, "below", ctr_json(f->below)) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
crec_fence_decode(const json_t *body, struct crec_fence *f, const char **why)
{
	json_int_t v;

	memset(f, 0, sizeof(*f));
	*why = NULL;
	if (get_int(body, "id", 1, UINT32_MAX, &v) == -1)
		*why = "fence: bad id";
	else if ((f->id = (uint32_t)v, get_int(body, "sid", 1, CREC_SID_MAX, &v)) == -1)
		*why = "fence: bad sid";
	else if ((f->sid = (uint64_t)v, json_object_get(body, "below") != NULL)) {
		if (get_ctr(body, "below", &f->below) == -1)
			*why = "fence: bad below";
		f->has_below = 1;
	}
	return *why == NULL ? 0 : -1;
}

json_t *
crec_command_encode(uint64_t req, uint64_t job, enum crec_cmd cmd, const struct crec_target *t,
    size_t n)
{
	json_t *list, *o;
	size_t i;

	/* An unknown command has no name to send: written as "restart" it would
	 * turn a command this build does not understand into a restart. */
	if ((cmd != CREC_CMD_RESTART && cmd != CREC_CMD_RECONNECT) || (list = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_array_append_new(list, json_pack("[I, I]", (json_int_t)t[i].id,
		    (json_int_t)t[i].sid)) == -1) {
			json_decref(list);
			return NULL;
		}
	o = json_pack("{s:I, s:o, s:s}", "req", (json_int_t)req, "agents", list, "cmd",
	    cmd == CREC_CMD_RECONNECT ? "reconnect" : "restart");
	if (o != NULL && job != 0 &&
	    json_object_set_new(o, "job", json_integer((json_int_t)job)) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
crec_command_decode(const json_t *body, struct crec_command *c, const char **why)
{
	const json_t *list = json_object_get(body, "agents"), *cmd = json_object_get(body, "cmd");
	json_int_t v;
	size_t i;

	memset(c, 0, sizeof(*c));
	*why = NULL;
	if (get_int(body, "req", 1, INT64_MAX, &v) == -1) {
		*why = "restart: bad req";
		return -1;
	}
	c->req = (uint64_t)v;
	if (json_object_get(body, "job") != NULL) {
		if (get_int(body, "job", 1, INT64_MAX, &v) == -1) {
			*why = "restart: bad job";
			return -1;
		}
		c->job = (uint64_t)v;
	}
	if (cmd == NULL || (json_is_string(cmd) && strcmp(json_string_value(cmd), "restart") == 0))
		c->cmd = CREC_CMD_RESTART;
	else if (json_is_string(cmd) && strcmp(json_string_value(cmd), "reconnect") == 0)
		c->cmd = CREC_CMD_RECONNECT;
	else if (json_is_string(cmd))
		c->cmd = CREC_CMD_UNKNOWN;
	else {
		*why = "restart: bad cmd";
		return -1;
	}
	if (!json_is_array(list) || json_array_size(list) > CREC_CMD_MAX) {
		*why = "restart: bad agents";
		return -1;
	}
	c->n = json_array_size(list);
	if (c->n > 0 && (c->agents = calloc(c->n, sizeof(*c->agents))) == NULL) {
		*why = "restart: out of memory";
		return -1;
	}
	for (i = 0; i < c->n; i++) {
		const json_t *e = json_array_get(list, i), *id, *sid;

		id = json_array_get(e, 0);
		sid = json_array_get(e, 1);
		if (!json_is_array(e) || json_array_size(e) != 2 || !json_is_integer(id) ||
		    !json_is_integer(sid) || json_integer_value(id) < 1 ||
		    json_integer_value(id) > UINT32_MAX || json_integer_value(sid) < 1) {
			*why = "restart: bad agent entry";
			crec_command_free(c);
			return -1;
		}
		c->agents[i].id = (uint32_t)json_integer_value(id);
		c->agents[i].sid = (uint64_t)json_integer_value(sid);
	}
	return 0;
}

void
crec_command_free(struct crec_command *c)
{
	if (c == NULL)
		return;
	free(c->agents);
	c->agents = NULL;
	c->n = 0;
}
