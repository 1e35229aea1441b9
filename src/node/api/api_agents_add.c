/*
 * api_agents_add.c — registering agents through the API: POST /agents,
 * POST /agents/insert and POST /agents/insert/quick.  All three are Wazuh's
 * framework/wazuh/agent.py add_agent, which hands the request to authd's
 * local_add: a name, an address ("any" unless given), and for an insert the
 * agent's own id and key, so an agent registered elsewhere (another manager's
 * client.keys) connects here with the key it has.  The key reaches every
 * worker before the answer, so the agent may connect through any node.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "lib/log.h"
#include "node/agents/enrolld.h"
#include "node/agents/session.h"
#include "node/api/api.h"
#include "node/cluster/cluster.h"
#include "node/core/agent.h"
#include "node/registry/registry.h"
#include "node/registry/registry_db.h"
#include "proto/enroll.h"

/* name_valid: Wazuh's "names" format, ^[\w\-.%]+$ (ASCII word characters). */
static int
name_valid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.' && *s != '%')
			return 0;
	return 1;
}

static const char *const add_params[] = { "pretty", "wait_for_complete", NULL };

/* POST /agents's force: when a registered agent with the same name or ip may be replaced. */
struct add_force {
	int enabled;             /* no force object: never */
	int disconnected;        /* disconnected_time.enabled: only an agent not active... */
	long disconnected_s;     /* ...for at least this long (value, default 1h) */
	long registered_s;       /* after_registration_time: registered at least this long ago */
};

/* add_force_parse: Wazuh's force object (defaults: enabled, 1h, 1h).  0, or -1 with detail. */
static int
add_force_parse(json_t *j, struct add_force *f, char *detail, size_t cap)
{
	json_t *en, *dt, *den, *dval, *art;

	memset(f, 0, sizeof(*f));
	if (j == NULL)
		return 0;
	f->enabled = f->disconnected = 1;
	f->disconnected_s = f->registered_s = 3600;
	en = json_object_get(j, "enabled");
	dt = json_object_get(j, "disconnected_time");
	art = json_object_get(j, "after_registration_time");
	if (en != NULL && !json_is_boolean(en)) {
		snprintf(detail, cap, "'enabled' is not of type 'boolean' - 'force.enabled'");
		return -1;
	}
	if (en != NULL)
		f->enabled = json_is_true(en);
	if (dt != NULL) {
		if (!json_is_object(dt)) {
			snprintf(detail, cap, "'disconnected_time' is not of type 'object'");
			return -1;
		}
		den = json_object_get(dt, "enabled");
		dval = json_object_get(dt, "value");
		if (den != NULL && !json_is_boolean(den)) {
			snprintf(detail, cap, "'enabled' is not of type 'boolean' - "
			    "'force.disconnected_time.enabled'");
			return -1;
		}
		if (den != NULL)
			f->disconnected = json_is_true(den);
		if (dval != NULL && (!json_is_string(dval) ||
		    (f->disconnected_s = api_timeframe_parse(json_string_value(dval))) == -1)) {
			snprintf(detail, cap, "'value' does not match '^(\\d+[dhms]?)$' - "
			    "'force.disconnected_time.value'");
			return -1;
		}
	}
	if (art != NULL && (!json_is_string(art) ||
	    (f->registered_s = api_timeframe_parse(json_string_value(art))) == -1)) {
		snprintf(detail, cap, "'after_registration_time' does not match '^(\\d+[dhms]?)$'");
		return -1;
	}
	return 0;
}

/* add_force_allows: whether force lets the new registration replace agent a. */
static int
add_force_allows(const struct add_force *f, const struct agent *a, time_t now)
{
	time_t since = a->st.last_keepalive != 0 ? a->st.last_keepalive : a->date_add;

	if (a->id == 0 || !f->enabled || now - a->date_add < f->registered_s)
		return 0;   /* the manager (000) is never replaced */
	return !f->disconnected ||
	    (a->st.status != AGENT_ACTIVE && a->st.status != AGENT_PENDING && now - since >= f->disconnected_s);
}

/* add_replace: removes agent a, which a forced registration replaces, from every node. */
static void
add_replace(struct api_req *r, struct agent *a)
{
	char idstr[16];
	unsigned int id = a->id;

	agent_id_format(id, idstr, sizeof(idstr));
	log_info("api: %s: agent %s '%s' replaced by a forced registration", r->user, idstr,
	    a->name);
	session_drop_agent(r->node, a, "agent replaced");
	if (registry_agent_remove(r->node->reg, id) == 0)
		cluster_agent_removed(r->node, id);
}

/* One registration: what add_agent is given. */
struct add_req {
	const char *name;
	const char *ip;              /* "any" (any case), a host or a network */
	unsigned int id;             /* has_id: this id (insert), else the next one */
	int has_id;
	const char *key;             /* NULL: a fresh key */
	struct add_force force;
};

/*
 * add_agent: registers q as authd's local_add does and answers the request:
 * {"data": {"id", "key": base64 of the client.keys line}}.  An agent with the
 * same id (1708), ip (1706) or name (1705; the manager's own name included)
 * is replaced only when q->force allows it; every conflict is checked before
 * anything is removed (authd removes a duplicate id before it looks at the ip).
 */
static void
add_agent(struct api_req *r, const struct add_req *q)
{
	struct node *n = r->node;
	struct agent *a, *dup_id = NULL, *dup_name, *dup_ip = NULL;
	char key[65], idstr[16], line[512], b64[700];
	const char *ip = q->ip;
	size_t i, count;
	int ll;

	if (strlen(q->name) > 128) {
		api_reply_problem(r, 400, 1738, NULL);
		return;
	}
	if (strcasecmp(ip, "any") == 0)
		ip = "any";
	else if (strlen(ip) >= sizeof(((struct agent *)0)->ip) || !enroll_ip_valid(ip)) {
		api_reply_problem(r, 400, 1706, NULL);
		return;
	}
	if (q->has_id && (q->id == 0 || (dup_id = registry_agent_by_id(n->reg, q->id)) != NULL) &&
	    (q->id == 0 || !add_force_allows(&q->force, dup_id, node_now(n)))) {
		api_reply_problem(r, 400, 1708, NULL);
		return;
	}
	if (strcmp(ip, "any") != 0) {
		count = registry_count(n->reg);
		for (i = 1; i < count && dup_ip == NULL; i++)
			if (strcmp(registry_agent_at(n->reg, i)->ip, ip) == 0)
				dup_ip = registry_agent_at(n->reg, i);
		if (dup_ip != NULL && !add_force_allows(&q->force, dup_ip, node_now(n))) {
			api_reply_problem(r, 400, 1706, NULL);
			return;
		}
	}
	if ((dup_name = registry_agent_by_name(n->reg, q->name)) != NULL &&
	    !add_force_allows(&q->force, dup_name, node_now(n))) {
		api_reply_problem(r, 400, 1705, NULL);
		return;
	}
	if (dup_id != NULL)
		add_replace(r, dup_id);
	if (dup_ip != NULL && dup_ip != dup_id)
		add_replace(r, dup_ip);
	if (dup_name != NULL && dup_name != dup_id && dup_name != dup_ip)
		add_replace(r, dup_name);
	if (q->key != NULL)
		snprintf(key, sizeof(key), "%s", q->key);
	else if (enroll_generate_key("", q->name, ip, key) == -1) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	a = q->has_id ? registry_agent_put(n->reg, q->id, q->name, ip, ip, key, NULL, node_now(n)) :
	    registry_agent_add(n->reg, q->name, ip, ip, key, NULL, node_now(n));
	if (a == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (registry_flush(n->reg) == -1) {
		if (registry_term(n->reg) == -1) {   /* never to be written: not added */
			api_reply_problem(r, 503, 1793, NULL);
			return;
		}
		log_warnx("api: add: registry flush failed; will retry");
	}
	node_schedule_flush(n);
	cluster_agent_added(n, a);
	n->stats.enrollments++;
	agent_id_format(a->id, idstr, sizeof(idstr));
	ll = snprintf(line, sizeof(line), "%s %s %s %s", idstr, a->name, a->ip, a->key);
	if (ll < 0 || (size_t)ll >= sizeof(line)) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)line, ll);
	log_info("api: %s: agent %s '%s' %s (ip %s)", r->user, idstr, a->name,
	    q->key != NULL ? "inserted with its key" : "added", a->ip);
	api_reply_json(r, 200, json_pack("{s:{s:s, s:s}, s:i}", "data", "id", idstr, "key", b64,
	    "error", 0));
}

/* add_body: the request's JSON object body (the caller's), or NULL when answered (406, 400). */
static json_t *
add_body(struct api_req *r)
{
	json_t *body;
	char *raw;
	size_t len;

	if (!api_content_type_is(r, "application/json")) {
		api_reply_problem(r, 406, 6002, NULL);
		return NULL;
	}
	if ((raw = api_body(r, &len)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return NULL;
	}
	body = json_loadb(raw, len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (!json_is_object(body)) {
		api_reply_problem(r, 400, 0, "The request body is not a JSON object");
		json_decref(body);
		return NULL;
	}
	return body;
}

/* add_name: the body's "name" (required, Wazuh's names format); NULL when answered (400). */
static const char *
add_name(struct api_req *r, json_t *body)
{
	json_t *jname = json_object_get(body, "name");
	const char *name;
	char detail[300];

	if (jname == NULL) {
		api_reply_problem(r, 400, 0, "'name' is a required property");
		return NULL;
	}
	if (!json_is_string(jname)) {
		api_reply_problem(r, 400, 0, "'name' is not of type 'string'");
		return NULL;
	}
	name = json_string_value(jname);
	if (!name_valid(name) || strlen(name) != json_string_length(jname)) {
		snprintf(detail, sizeof(detail), "'%.160s' does not match '^[\\w\\-.%%]+$' - 'name'",
		    name);
		api_reply_problem(r, 400, 0, detail);
		return NULL;
	}
	return name;
}

/*
 * POST /agents {"name", "ip", "force"}: registers an agent as enrollment does
 * (next id, a fresh key, group default).  Without ip, "any", as Wazuh's
 * add_agent.  Without force, a registered agent of the same name or ip is
 * never replaced (the model's AgentForce(enabled=False)).
 */
void
api_post_agents(struct api_req *r)
{
	struct add_req q;
	json_t *body, *jip, *jforce;
	char detail[300];

	if (api_check(r, add_params) == -1 || (body = add_body(r)) == NULL)
		return;
	memset(&q, 0, sizeof(q));
	if ((q.name = add_name(r, body)) == NULL)
		goto out;
	jip = json_object_get(body, "ip");
	jforce = json_object_get(body, "force");
	if ((jip != NULL && !json_is_string(jip)) || (jforce != NULL && !json_is_object(jforce))) {
		api_reply_problem(r, 400, 0, jip != NULL && !json_is_string(jip) ?
		    "'ip' is not of type 'string'" : "'force' is not of type 'object'");
		goto out;
	}
	if (add_force_parse(jforce, &q.force, detail, sizeof(detail)) == -1) {
		api_reply_problem(r, 400, 0, detail);
		goto out;
	}
	q.ip = jip != NULL ? json_string_value(jip) : "any";
	add_agent(r, &q);
out:
	json_decref(body);
}

/* insert_id: "id" of an insert body (^\d+$, at least 3 digits) into q; 0, or -1 with detail. */
static int
insert_id(json_t *jid, struct add_req *q, char *detail, size_t cap)
{
	const char *s;
	unsigned long v;

	if (!json_is_string(jid)) {
		snprintf(detail, cap, "'id' is not of type 'string'");
		return -1;
	}
	s = json_string_value(jid);
	if (*s == '\0' || strspn(s, "0123456789") != strlen(s)) {
		snprintf(detail, cap, "'%.40s' does not match '^\\d+$' - 'id'", s);
		return -1;
	}
	if (strlen(s) < 3) {
		snprintf(detail, cap, "'%s' is too short - 'id'", s);
		return -1;
	}
	v = strtoul(s, NULL, 10);
	if (strlen(s) > 8 || v > REGDB_ID_MAX) {
		snprintf(detail, cap, "'%.40s' is too large an agent id (at most 8 digits) - 'id'", s);
		return -1;
	}
	q->id = (unsigned int)v;
	q->has_id = 1;
	return 0;
}

/* insert_key: "key" of an insert body (64 of [A-Za-z0-9], the wazuh_key format); 0 / -1. */
static int
insert_key(json_t *jkey, struct add_req *q, char *detail, size_t cap)
{
	const char *s;
	size_t i, len;

	if (!json_is_string(jkey)) {
		snprintf(detail, cap, "'key' is not of type 'string'");
		return -1;
	}
	s = json_string_value(jkey);
	len = strlen(s);
	if (len != json_string_length(jkey) || len != 64) {
		snprintf(detail, cap, "'%.80s' is too %s - 'key'", s, len < 64 ? "short" : "long");
		return -1;
	}
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i])) {
			snprintf(detail, cap, "'%.80s' is not a 'wazuh_key' - 'key'", s);
			return -1;
		}
	q->key = s;
	return 0;
}

/*
 * POST /agents/insert {"name", "ip", "id", "key", "force"}: an agent with its
 * own id and key (both optional), for agents registered by another manager.
 * force defaults to Wazuh's AgentForce(): enabled, disconnected 1h, registered 1h.
 */
void
api_post_agents_insert(struct api_req *r)
{
	static const char *const fields[] = { "name", "ip", "id", "key", "force", NULL };
	struct add_req q;
	json_t *body, *jip, *jid, *jkey, *jforce, *v, *dflt = NULL;
	const char *k;
	char detail[300];
	size_t i;

	if (api_check(r, add_params) == -1 || (body = add_body(r)) == NULL)
		return;
	memset(&q, 0, sizeof(q));
	json_object_foreach(body, k, v) {
		for (i = 0; fields[i] != NULL && strcmp(fields[i], k) != 0; i++)
			;
		if (fields[i] == NULL) {
			snprintf(detail, sizeof(detail), "Invalid field found {'%.100s'}", k);
			api_reply_problem(r, 400, 0, detail);
			goto out;
		}
	}
	if ((q.name = add_name(r, body)) == NULL)
		goto out;
	jip = json_object_get(body, "ip");
	jid = json_object_get(body, "id");
	jkey = json_object_get(body, "key");
	jforce = json_object_get(body, "force");
	if ((jip != NULL && !json_is_string(jip)) || (jforce != NULL && !json_is_object(jforce))) {
		api_reply_problem(r, 400, 0, jip != NULL && !json_is_string(jip) ?
		    "'ip' is not of type 'string'" : "'force' is not of type 'object'");
		goto out;
	}
	if ((jid != NULL && insert_id(jid, &q, detail, sizeof(detail)) == -1) ||
	    (jkey != NULL && insert_key(jkey, &q, detail, sizeof(detail)) == -1)) {
		api_reply_problem(r, 400, 0, detail);
		goto out;
	}
	if (jforce == NULL && (jforce = dflt = json_object()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	if (add_force_parse(jforce, &q.force, detail, sizeof(detail)) == -1) {
		api_reply_problem(r, 400, 0, detail);
		goto out;
	}
	q.ip = jip != NULL ? json_string_value(jip) : "any";
	add_agent(r, &q);
out:
	json_decref(dflt);
	json_decref(body);
}

static const char *const quick_params[] = { "pretty", "wait_for_complete", "agent_name", NULL };

/* POST /agents/insert/quick?agent_name=NAME: an agent named NAME with ip "any" (post_new_agent). */
void
api_post_agents_insert_quick(struct api_req *r)
{
	struct add_req q;
	char detail[300];

	if (api_check(r, quick_params) == -1)
		return;
	memset(&q, 0, sizeof(q));
	if ((q.name = api_param_get(r, "agent_name")) == NULL) {
		api_reply_problem(r, 400, 0, "Missing query parameter 'agent_name'");
		return;
	}
	if (!name_valid(q.name)) {
		snprintf(detail, sizeof(detail), "'%.160s' does not match '^[\\w\\-.%%]+$' - "
		    "'agent_name'", q.name);
		api_reply_problem(r, 400, 0, detail);
		return;
	}
	if (strlen(q.name) > 128) {
		snprintf(detail, sizeof(detail), "'%.160s...' is too long - 'agent_name'", q.name);
		api_reply_problem(r, 400, 0, detail);
		return;
	}
	q.ip = "any";
	add_agent(r, &q);
}
