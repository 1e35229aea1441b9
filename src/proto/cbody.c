/* cbody.c — cluster frame bodies: JSON object <-> checked struct (see cbody.h). */
#include "proto/cbody.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define SEQ_MAX ((json_int_t)INT64_MAX)   /* seq and req: 1 .. 2^63-1 */

/* fail: the one way a decoder reports its first problem. */
static int
fail(const char **why, const char *msg)
{
	if (why != NULL)
		*why = msg;
	return -1;
}

/* int_get: v is an integer in [min, max].  A real (1.0), a string or a
 * missing key (v NULL) is refused, never read as 0. */
static int
int_get(const json_t *v, json_int_t min, json_int_t max, json_int_t *out)
{
	json_int_t x;

	if (!json_is_integer(v))
		return -1;
	x = json_integer_value(v);
	if (x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

/* str_get: v is a string with no NUL inside: src/node keeps every one of
 * these as a C string, which would silently end at the NUL. */
static int
str_get(const json_t *v, const char **s, size_t *len)
{
	const char *p;
	size_t n;

	if (!json_is_string(v))
		return -1;
	p = json_string_value(v);
	n = json_string_length(v);
	if (memchr(p, '\0', n) != NULL)
		return -1;
	*s = p;
	*len = n;
	return 0;
}

/* cstr_len_ok: s is a C string of min .. max bytes (s may be unterminated past max). */
static int
cstr_len_ok(const char *s, size_t min, size_t max)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strnlen(s, max + 1);
	return n >= min && n <= max;
}

int
cbody_node_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > CBODY_NODE_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* group_name_ok: as groups.c's group_name_valid (Wazuh's
 * ^(?!^(\.{1,2}|all)$)[A-Za-z0-9.\-_]+$, at most 128 bytes), which proto
 * cannot call: a worker would refuse the group anyway, the body says so first. */
static int
group_name_ok(const char *s)
{
	size_t i, len;

	if (s == NULL || (len = strnlen(s, CBODY_GROUP_NAME_MAX + 1)) == 0 ||
	    len > CBODY_GROUP_NAME_MAX)
		return 0;
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strcmp(s, "all") == 0)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int
hex_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/* ---- hello ---- */

static const char *
role_name(enum cbody_role role)
{
	switch (role) {
	case CBODY_ROLE_MASTER:
		return "master";
	case CBODY_ROLE_WORKER:
		return "worker";
	}
	return NULL;
}

int
cbody_hello_decode(const json_t *body, struct cbody_hello *out, const char **why)
{
	const char *s;
	size_t len;
	json_int_t proto;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return fail(why, "hello: body is not an object");
	if (int_get(json_object_get(body, "proto"), 1, INT_MAX, &proto) == -1)
		return fail(why, "hello: proto is not an integer >= 1");
	if (str_get(json_object_get(body, "node"), &s, &len) == -1 || !cbody_node_name_ok(s, len))
		return fail(why, "hello: node is not a name of [A-Za-z0-9._-]{1,63}");
	memcpy(out->node, s, len);
	out->node[len] = '\0';
	if (str_get(json_object_get(body, "role"), &s, &len) == -1)
		return fail(why, "hello: role is not a string");
	if (strcmp(s, "master") == 0)
		out->role = CBODY_ROLE_MASTER;
	else if (strcmp(s, "worker") == 0)
		out->role = CBODY_ROLE_WORKER;
	else
		return fail(why, "hello: role is neither \"master\" nor \"worker\"");
	out->proto = (int)proto;
	return 0;
}

json_t *
cbody_hello_encode(const struct cbody_hello *h)
{
	size_t len = strnlen(h->node, sizeof(h->node));

	if (h->proto < 1 || len == sizeof(h->node) || !cbody_node_name_ok(h->node, len) ||
	    role_name(h->role) == NULL)
		return NULL;
	return json_pack("{s:i, s:s, s:s}", "proto", h->proto, "node", h->node, "role",
	    role_name(h->role));
}

/* ---- error ---- */

/* error_copy: len bytes of s into e, cut to CBODY_ERROR_MAX bytes without
 * splitting a UTF-8 character (the message is logged, and may be sent on). */
static void
error_copy(struct cbody_error *e, const char *s, size_t len)
{
	if (len > CBODY_ERROR_MAX) {
		len = CBODY_ERROR_MAX;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(e->message, s, len);
	e->message[len] = '\0';
}

void
cbody_error_set(struct cbody_error *e, const char *message)
{
	if (message == NULL)
		message = "";
	error_copy(e, message, strlen(message));
}

int
cbody_error_decode(const json_t *body, struct cbody_error *out, const char **why)
{
	const json_t *m;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return fail(why, "error: body is not an object");
	m = json_object_get(body, "message");
	if (!json_is_string(m))
		return fail(why, "error: message is not a string");
	/* Cut, not refused: the peer is closing the link either way, and its
	 * reason is worth logging even when long. */
	error_copy(out, json_string_value(m), strnlen(json_string_value(m),
	    json_string_length(m)));
	return 0;
}

json_t *
cbody_error_encode(const struct cbody_error *e)
{
	if (strnlen(e->message, sizeof(e->message)) == sizeof(e->message))
		return NULL;
	return json_pack("{s:s}", "message", e->message);   /* NULL if not UTF-8 */
}

/* ---- ack ---- */

int
cbody_ack_decode(const json_t *body, struct cbody_ack *out, const char **why)
{
	json_int_t seq;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return fail(why, "ack: body is not an object");
	if (int_get(json_object_get(body, "seq"), 1, SEQ_MAX, &seq) == -1)
		return fail(why, "ack: seq is not an integer in 1..2^63-1");
	out->seq = (uint64_t)seq;
	return 0;
}

json_t *
cbody_ack_encode(const struct cbody_ack *a)
{
	if (a->seq < 1 || a->seq > (uint64_t)SEQ_MAX)
		return NULL;
	return json_pack("{s:I}", "seq", (json_int_t)a->seq);
}

/* ---- keys ---- */

/* key_check: the rules of one agent entry, for decode and encode alike;
 * NULL, or what is wrong. */
static const char *
key_check(const struct cbody_key *k)
{
	if (k->id < 1 || k->id > CBODY_AGENT_ID_MAX)
		return "keys: an agent's id is not in 1..99999999";
	if (!cstr_len_ok(k->name, 1, CBODY_AGENT_NAME_MAX))
		return "keys: an agent's name is not 1..128 bytes";
	if (!cstr_len_ok(k->ip, 1, CBODY_AGENT_IP_MAX))
		return "keys: an agent's ip is not 1..63 bytes";
	if (!cstr_len_ok(k->key, CBODY_AGENT_KEY_LEN, CBODY_AGENT_KEY_LEN) ||
	    !hex_ok(k->key, CBODY_AGENT_KEY_LEN))
		return "keys: an agent's key is not 64 hex chars";
	if (!cstr_len_ok(k->group, 0, CBODY_AGENT_GROUP_MAX))
		return "keys: an agent's group is not 0..255 bytes";
	return NULL;
}

/* key_decode: one entry of "agents"; its strings stay in e. */
static int
key_decode(const json_t *e, struct cbody_key *k, const char **why)
{
	json_int_t id;
	const char *w;
	size_t len;

	if (!json_is_object(e))
		return fail(why, "keys: an agent is not an object");
	if (int_get(json_object_get(e, "id"), 1, CBODY_AGENT_ID_MAX, &id) == -1)
		return fail(why, "keys: an agent's id is not an integer in 1..99999999");
	k->id = (unsigned int)id;
	if (str_get(json_object_get(e, "name"), &k->name, &len) == -1)
		return fail(why, "keys: an agent's name is not a string");
	if (str_get(json_object_get(e, "ip"), &k->ip, &len) == -1)
		return fail(why, "keys: an agent's ip is not a string");
	if (str_get(json_object_get(e, "key"), &k->key, &len) == -1)
		return fail(why, "keys: an agent's key is not a string");
	if (str_get(json_object_get(e, "group"), &k->group, &len) == -1)
		return fail(why, "keys: an agent's group is not a string");
	if ((w = key_check(k)) != NULL)
		return fail(why, w);
	return 0;
}

void
cbody_keys_free(struct cbody_keys *k)
{
	if (k == NULL)
		return;
	free(k->agents);
	free(k->removed);
	memset(k, 0, sizeof(*k));
}

int
cbody_keys_decode(const json_t *body, struct cbody_keys *out, const char **why)
{
	const json_t *full, *agents, *removed, *part, *more;
	json_int_t id, pno;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return fail(why, "keys: body is not an object");
	full = json_object_get(body, "full");
	agents = json_object_get(body, "agents");
	removed = json_object_get(body, "removed");
	part = json_object_get(body, "part");
	more = json_object_get(body, "more");
	if (!json_is_boolean(full))
		return fail(why, "keys: full is not a boolean");
	if ((part != NULL || more != NULL) && (!json_is_true(full) || !json_is_boolean(more) ||
	    int_get(part, 1, CBODY_KEYS_PARTS_MAX, &pno) == -1))
		return fail(why, "keys: part and more are a full table's, together, part 1..100000");
	if (part != NULL) {
		out->part = (unsigned int)pno;
		out->more = json_is_true(more);
	}
	if (!json_is_array(agents))
		return fail(why, "keys: agents is not an array");
	if (!json_is_array(removed))
		return fail(why, "keys: removed is not an array");
	out->full = json_is_true(full);
	if ((n = json_array_size(agents)) > 0 &&
	    (out->agents = calloc(n, sizeof(*out->agents))) == NULL) {
		fail(why, "keys: out of memory");
		goto err;
	}
	for (i = 0; i < n; i++)
		if (key_decode(json_array_get(agents, i), &out->agents[i], why) == -1)
			goto err;
	out->nagents = n;
	if ((n = json_array_size(removed)) > 0 &&
	    (out->removed = calloc(n, sizeof(*out->removed))) == NULL) {
		fail(why, "keys: out of memory");
		goto err;
	}
	for (i = 0; i < n; i++) {
		if (int_get(json_array_get(removed, i), 1, CBODY_AGENT_ID_MAX, &id) == -1) {
			fail(why, "keys: a removed id is not an integer in 1..99999999");
			goto err;
		}
		out->removed[i] = (unsigned int)id;
	}
	out->nremoved = n;
	return 0;
err:
	cbody_keys_free(out);
	return -1;
}

json_t *
cbody_keys_encode(const struct cbody_keys *k)
{
	json_t *body, *agents, *removed;
	const struct cbody_key *a;
	size_t i;

	if ((k->nagents > 0 && k->agents == NULL) || (k->nremoved > 0 && k->removed == NULL) ||
	    k->part > CBODY_KEYS_PARTS_MAX || ((k->part > 0 || k->more) && !k->full) ||
	    (k->more && k->part == 0))
		return NULL;
	if ((body = json_pack("{s:b, s:[], s:[]}", "full", k->full != 0, "agents",
	    "removed")) == NULL)
		return NULL;
	if (k->part > 0 && (json_object_set_new(body, "part", json_integer(k->part)) == -1 ||
	    json_object_set_new(body, "more", json_boolean(k->more)) == -1))
		goto err;
	agents = json_object_get(body, "agents");
	removed = json_object_get(body, "removed");
	for (i = 0; i < k->nagents; i++) {
		a = &k->agents[i];
		if (key_check(a) != NULL || json_array_append_new(agents,
		    json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)a->id, "name",
		    a->name, "ip", a->ip, "key", a->key, "group", a->group)) == -1)
			goto err;
	}
	for (i = 0; i < k->nremoved; i++)
		if (k->removed[i] < 1 || k->removed[i] > CBODY_AGENT_ID_MAX ||
		    json_array_append_new(removed, json_integer((json_int_t)k->removed[i])) == -1)
			goto err;
	return body;
err:
	json_decref(body);
	return NULL;
}

/* ---- groups ---- */

/* group_check: the rules of one group entry, for decode and encode alike. */
static const char *
group_check(const struct cbody_group *g)
{
	if (!group_name_ok(g->name))
		return "groups: a group's name is not a valid group name";
	if (g->conf_len > CBODY_GROUP_CONF_MAX)
		return "groups: a group's conf is longer than 256 KiB";
	if ((g->conf == NULL && g->conf_len > 0) ||
	    (g->conf != NULL && memchr(g->conf, '\0', g->conf_len) != NULL))
		return "groups: a group's conf holds a NUL";
	return NULL;
}

static int
group_decode(const json_t *e, struct cbody_group *g, const char **why)
{
	const json_t *conf;
	const char *w;
	size_t len;

	if (!json_is_object(e))
		return fail(why, "groups: a group is not an object");
	if (str_get(json_object_get(e, "name"), &g->name, &len) == -1)
		return fail(why, "groups: a group's name is not a string");
	conf = json_object_get(e, "conf");
	if (!json_is_string(conf))
		return fail(why, "groups: a group's conf is not a string");
	g->conf = json_string_value(conf);
	g->conf_len = json_string_length(conf);
	if ((w = group_check(g)) != NULL)
		return fail(why, w);
	return 0;
}

void
cbody_groups_free(struct cbody_groups *g)
{
	if (g == NULL)
		return;
	free(g->groups);
	free(g->removed);
	memset(g, 0, sizeof(*g));
}

int
cbody_groups_decode(const json_t *body, struct cbody_groups *out, const char **why)
{
	const json_t *full, *groups, *removed;
	size_t i, n, len;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return fail(why, "groups: body is not an object");
	full = json_object_get(body, "full");
	groups = json_object_get(body, "groups");
	removed = json_object_get(body, "removed");
	if (!json_is_boolean(full))
		return fail(why, "groups: full is not a boolean");
	if (!json_is_array(groups))
		return fail(why, "groups: groups is not an array");
	if (!json_is_array(removed))
		return fail(why, "groups: removed is not an array");
	out->full = json_is_true(full);
	if ((n = json_array_size(groups)) > 0 &&
	    (out->groups = calloc(n, sizeof(*out->groups))) == NULL) {
		fail(why, "groups: out of memory");
		goto err;
	}
	for (i = 0; i < n; i++)
		if (group_decode(json_array_get(groups, i), &out->groups[i], why) == -1)
			goto err;
	out->ngroups = n;
	if ((n = json_array_size(removed)) > 0 &&
	    (out->removed = calloc(n, sizeof(*out->removed))) == NULL) {
		fail(why, "groups: out of memory");
		goto err;
	}
	for (i = 0; i < n; i++)
		if (str_get(json_array_get(removed, i), &out->removed[i], &len) == -1 ||
		    !group_name_ok(out->removed[i])) {
			fail(why, "groups: a removed name is not a valid group name");
			goto err;
		}
	out->nremoved = n;
	return 0;
err:
	cbody_groups_free(out);
	return -1;
}

json_t *
cbody_groups_encode(const struct cbody_groups *g)
{
	json_t *body, *groups, *removed;
	const struct cbody_group *e;
	size_t i;

	if ((g->ngroups > 0 && g->groups == NULL) || (g->nremoved > 0 && g->removed == NULL))
		return NULL;
	if ((body = json_pack("{s:b, s:[], s:[]}", "full", g->full != 0, "groups",
	    "removed")) == NULL)
		return NULL;
	groups = json_object_get(body, "groups");
	removed = json_object_get(body, "removed");
	for (i = 0; i < g->ngroups; i++) {
		e = &g->groups[i];
		/* s% is json_stringn: a conf that is not UTF-8 fails here. */
		if (group_check(e) != NULL || json_array_append_new(groups,
		    json_pack("{s:s, s:s%}", "name", e->name, "conf", e->conf != NULL ? e->conf : "",
		    e->conf_len)) == -1)
			goto err;
	}
	for (i = 0; i < g->nremoved; i++)
		if (!group_name_ok(g->removed[i]) ||
		    json_array_append_new(removed, json_string(g->removed[i])) == -1)
			goto err;
	return body;
err:
	json_decref(body);
	return NULL;
}

/* ---- result ---- */

void
cbody_result_free(struct cbody_result *r)
{
	if (r == NULL)
		return;
	free(r->codes);
	memset(r, 0, sizeof(*r));
}

int
cbody_result_decode(const json_t *body, struct cbody_result *out, const char **why)
{
	const json_t *codes;
	json_int_t req, code;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return fail(why, "result: body is not an object");
	if (int_get(json_object_get(body, "req"), 1, SEQ_MAX, &req) == -1)
		return fail(why, "result: req is not an integer in 1..2^63-1");
	codes = json_object_get(body, "codes");
	if (!json_is_array(codes))
		return fail(why, "result: codes is not an array");
	if ((n = json_array_size(codes)) > 0 &&
	    (out->codes = calloc(n, sizeof(*out->codes))) == NULL)
		return fail(why, "result: out of memory");
	for (i = 0; i < n; i++) {
		if (int_get(json_array_get(codes, i), 0, CBODY_CODE_MAX, &code) == -1) {
			cbody_result_free(out);
			return fail(why, "result: a code is not an integer in 0..9999");
		}
		out->codes[i] = (int)code;
	}
	out->req = (uint64_t)req;
	out->ncodes = n;
	return 0;
}

json_t *
cbody_result_encode(const struct cbody_result *r)
{
	json_t *body, *codes;
	size_t i;

	if (r->req < 1 || r->req > (uint64_t)SEQ_MAX || (r->ncodes > 0 && r->codes == NULL))
		return NULL;
	if ((body = json_pack("{s:I, s:[]}", "req", (json_int_t)r->req, "codes")) == NULL)
		return NULL;
	codes = json_object_get(body, "codes");
	for (i = 0; i < r->ncodes; i++)
		if (r->codes[i] < 0 || r->codes[i] > CBODY_CODE_MAX ||
		    json_array_append_new(codes, json_integer(r->codes[i])) == -1) {
			json_decref(body);
			return NULL;
		}
	return body;
}

/* ---- enroll, enroll-reply ---- */

int
cbody_enroll_decode(const json_t *body, struct cbody_enroll *out, const char **why)
{
	const char *s;
	size_t len;
	json_int_t req;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return fail(why, "enroll: body is not an object");
	if (int_get(json_object_get(body, "req"), 1, SEQ_MAX, &req) == -1)
		return fail(why, "enroll: req is not an integer in 1..2^63-1");
	if (str_get(json_object_get(body, "line"), &s, &len) == -1 || len > ENROLL_LINE_MAX)
		return fail(why, "enroll: line is not a string of at most 4096 bytes");
	memcpy(out->line, s, len);
	out->line[len] = '\0';
	out->line_len = len;
	if (str_get(json_object_get(body, "peer"), &s, &len) == -1 || len < 1 ||
	    len > CBODY_PEER_MAX)
		return fail(why, "enroll: peer is not a string of 1..63 bytes");
	memcpy(out->peer, s, len);
	out->peer[len] = '\0';
	out->req = (uint64_t)req;
	return 0;
}

json_t *
cbody_enroll_encode(const struct cbody_enroll *e)
{
	if (e->req < 1 || e->req > (uint64_t)SEQ_MAX || e->line_len > ENROLL_LINE_MAX ||
	    memchr(e->line, '\0', e->line_len) != NULL ||
	    !cstr_len_ok(e->peer, 1, CBODY_PEER_MAX))
		return NULL;
	/* s% checks UTF-8: an agent's line that is not would make the whole
	 * frame one the master refuses, so it is refused here. */
	return json_pack("{s:I, s:s%, s:s}", "req", (json_int_t)e->req, "line", e->line,
	    e->line_len, "peer", e->peer);
}

int
cbody_enroll_reply_decode(const json_t *body, struct cbody_enroll_reply *out, const char **why)
{
	const char *s;
	size_t len;
	json_int_t req;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return fail(why, "enroll-reply: body is not an object");
	if (int_get(json_object_get(body, "req"), 1, SEQ_MAX, &req) == -1)
		return fail(why, "enroll-reply: req is not an integer in 1..2^63-1");
	if (str_get(json_object_get(body, "reply"), &s, &len) == -1 || len > ENROLL_REPLY_MAX)
		return fail(why, "enroll-reply: reply is not a string of at most 1024 bytes");
	memcpy(out->reply, s, len);
	out->reply[len] = '\0';
	out->req = (uint64_t)req;
	return 0;
}

json_t *
cbody_enroll_reply_encode(const struct cbody_enroll_reply *r)
{
	if (r->req < 1 || r->req > (uint64_t)SEQ_MAX ||
	    !cstr_len_ok(r->reply, 0, ENROLL_REPLY_MAX))
		return NULL;
	return json_pack("{s:I, s:s}", "req", (json_int_t)r->req, "reply", r->reply);
}

/* ---- ping, pong ---- */

int
cbody_empty_decode(const json_t *body, const char **why)
{
	if (!json_is_object(body))
		return fail(why, "body is not an object");
	return 0;
}

json_t *
cbody_empty_encode(void)
{
	return json_object();
}
