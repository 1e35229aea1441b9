/*
 * api_security.c — the /security endpoints: users, roles, user-role links,
 * token revocation, logout and the security configuration (Wazuh 4.12's
 * security_controller and framework/wazuh/security.py).
 *
 * Roles are the custom RBAC's (api_rbac.c, api_sec.c).  Users with
 * an id up to 99 are reserved, as Wazuh's "wazuh" (1) and "wazuh-wui" (2):
 * they cannot be deleted (5004), their roles cannot change (4008), and only
 * a reserved user may change their password (5011).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "lib/log.h"
#include "node/api/api.h"
#include "node/api/api_envelope.h"
#include "node/api/api_sec.h"
#include "node/api/api_security.h"
#include "node/api/api_verify.h"
#include "node/api/auth.h"
#include "node/api/rbac.h"
#include "node/api/rbac_pol.h"
#include "node/registry/registry.h"


#define SEC_MAX_BODY 65536

static const char *const plain_params[] = { "pretty", "wait_for_complete", NULL };

/* user_json: {id, username, allow_run_as, roles} as Wazuh's get_user_id. */
static json_t *
user_json(const struct registry_user *u)
{
	json_t *roles = json_array(), *o;
	size_t i;

	if (roles == NULL)
		return NULL;
	for (i = 0; i < u->nroles; i++)
		json_array_append_new(roles, json_integer(u->roles[i]));
	o = json_pack("{s:I, s:s, s:b, s:o}", "id", (json_int_t)u->id, "username", u->name,
	    "allow_run_as", u->allow_run_as, "roles", roles);
	return o;
}

/* sec_envelope: a result whose failed user and role ids are numbers, as Wazuh's. */
struct envelope *
sec_envelope(void)
{
	struct envelope *e = envelope_new();

	if (e != NULL)
		envelope_set_numeric_ids(e);
	return e;
}

void
sec_reply_envelope(struct api_req *r, struct envelope *e, const char *all, const char *some,
    const char *none)
{
	json_t *body = envelope_render(e, all, some, none, 0);

	envelope_free(e);
	if (body == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	api_reply_json(r, 200, body);
}

static void
reply_message(struct api_req *r, const char *msg)
{
	api_reply_json(r, 200, json_pack("{s:s, s:i}", "message", msg, "error", 0));
}

/*
 * parse_ids: rbac_parse_ids on parameter key's value s, into v (at most
 * SEC_MAX_IDS); "all" when allow_all gives *all = 1.  Replies 400 and
 * returns -1 when malformed.
 */
int
sec_parse_ids(struct api_req *r, const char *key, const char *s, long long *v, size_t *n,
    int allow_all, int *all)
{
	char detail[256];

	*n = 0;
	if (all != NULL)
		*all = 0;
	if (allow_all && strcmp(s, "all") == 0) {
		*all = 1;
		return 0;
	}
	if (rbac_parse_ids(s, v, SEC_MAX_IDS, n) == 0)
		return 0;
	snprintf(detail, sizeof(detail), "'%.128s' is not a valid list of ids for '%s'", s, key);
	api_reply_problem(r, 400, 0, detail);
	return -1;
}

/* path_id: the numeric id in path segment i; replies 400 and returns -1 when malformed. */
int
sec_path_id(struct api_req *r, size_t i, long long *id)
{
	size_t n;

	if (i >= r->nsegs || sec_parse_ids(r, "user_id", r->segs[i], id, &n, 0, NULL) == -1)
		return -1;
	if (n != 1) {
		api_reply_problem(r, 400, 0, "'user_id' must be one id");
		return -1;
	}
	return 0;
}

/* parse_range: limit (1..100000, 500) and offset (>= 0, 0); replies 400 and returns -1 if bad. */
int
sec_parse_range(struct api_req *r, long *limit, long *offset)
{
	const char *s;
	char *end;

	*limit = 500;
	*offset = 0;
	if ((s = api_param_get(r, "limit")) != NULL) {
		errno = 0;
		*limit = strtol(s, &end, 10);
		if (errno != 0 || end == s || *end != '\0' || *limit < 1 || *limit > 100000) {
			api_reply_problem(r, 400, 0, "'limit' must be an integer in 1..100000");
			return -1;
		}
	}
	if ((s = api_param_get(r, "offset")) != NULL) {
		errno = 0;
		*offset = strtol(s, &end, 10);
		if (errno != 0 || end == s || *end != '\0' || *offset < 0) {
			api_reply_problem(r, 400, 0, "'offset' must be an integer >= 0");
			return -1;
		}
	}
	return 0;
}

/*
 * read_body: the request body as a JSON object whose keys are all in
 * allowed.  Replies (406 with 6002 for another content type, 400 for
 * anything malformed) and returns NULL on failure.
 */
json_t *
sec_read_body(struct api_req *r, const char *const *allowed)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	const char *ct;
	json_t *o, *v;
	json_error_t jerr;
	const char *key;
	char detail[192];
	size_t len, i;
	unsigned char *data;

	ct = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Content-Type");
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
		api_reply_problem(r, 406, 6002, NULL);
		return NULL;
	}
	len = in != NULL ? evbuffer_get_length(in) : 0;
	if (len == 0 || len > SEC_MAX_BODY || (data = evbuffer_pullup(in, (ssize_t)len)) == NULL) {
		api_reply_problem(r, 400, 0, len == 0 ? "Request body is empty" :
		    "Request body is too large");
		return NULL;
	}
	o = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		api_reply_problem(r, 400, 0, "Body request is not a valid JSON object");
		return NULL;
	}
	json_object_foreach(o, key, v) {
		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], key) != 0; i++)
			;
		if (allowed[i] == NULL) {
			snprintf(detail, sizeof(detail),
			    "Additional properties are not allowed ('%.64s' was unexpected)", key);
			api_reply_problem(r, 400, 0, detail);
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* body_string: member key as a string; replies 400 and returns NULL when absent or not one. */
const char *
sec_body_string(struct api_req *r, json_t *o, const char *key, int required)
{
	json_t *v = json_object_get(o, key);
	char detail[96];

	if (v == NULL && !required)
		return NULL;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(detail, sizeof(detail), v == NULL ? "'%s' is a required property" :
		    "'%s' is not of type 'string'", key);
		api_reply_problem(r, 400, 0, detail);
		return NULL;
	}
	return json_string_value(v);
}

/* lookup: a user by id; 1 / 0 absent; replies 500 and returns -1 on a registry error. */
static int
lookup(struct api_req *r, long long id, struct registry_user *u)
{
	int rc = registry_user_find_id(r->node->reg, id, u);

	if (rc == -1)
		api_reply_problem(r, 500, 1000, NULL);
	return rc;
}

void
sec_fail_id(struct envelope *e, long long id, int code)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", id);
	envelope_fail(e, buf, code);
}

int
sec_allowed_id(struct api_req *r, enum rbac_perm p, long long id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", id);
	return api_allowed(r, p, buf);
}

int
sec_deny_ids(struct api_req *r, enum rbac_perm p, const long long *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sec_allowed_id(r, p, ids[i]))
			return 0;
	if (n == 0)
		return 0;
	api_reply_denied(r, p);
	return 1;
}

/* GET /security/users/me */
void
api_get_user_me(struct api_req *r)
{
	struct registry_user u;
	struct envelope *e;
	json_t *item, *roles;
	const struct sec_role *role;
	size_t i, j;

	if (api_check(r, plain_params) == -1 || lookup(r, r->uid, &u) == -1)
		return;
	if ((e = sec_envelope()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	/* As Wazuh, the token's roles are shown whole here: {id, name, policies, rules}. */
	item = json_pack("{s:I, s:s, s:b, s:[]}", "id", (json_int_t)u.id, "username", u.name,
	    "allow_run_as", u.allow_run_as, "roles");
	roles = item != NULL ? json_object_get(item, "roles") : NULL;
	for (i = 0; roles != NULL && i < r->nroles; i++) {
		json_t *o, *pols, *rules;

		if ((role = api_sec_role(r->node->api_sec, r->roles[i])) == NULL)
			continue;
		o = json_pack("{s:I, s:s, s:[], s:[]}", "id", (json_int_t)role->id, "name",
		    role->name, "policies", "rules");
		pols = o != NULL ? json_object_get(o, "policies") : NULL;
		rules = o != NULL ? json_object_get(o, "rules") : NULL;
		for (j = 0; rules != NULL && j < role->nrules; j++) {
			const struct sec_obj *rule = api_sec_rule(r->node->api_sec, role->rules[j]);

			if (rule != NULL)
				json_array_append_new(rules, json_pack("{s:I, s:s, s:O}", "id",
				    (json_int_t)rule->id, "name", rule->name, "rule", rule->body));
		}
		for (j = 0; pols != NULL && j < role->npolicies; j++) {
			const struct sec_obj *pol = api_sec_policy(r->node->api_sec,
			    role->policies[j]);

			if (pol != NULL)
				json_array_append_new(pols, json_pack("{s:I, s:s, s:O}", "id",
				    (json_int_t)pol->id, "name", pol->name, "policy", pol->body));
		}
		json_array_append_new(roles, o);
	}
	envelope_affect(e, item);
	sec_reply_envelope(r, e, "Current user information was returned", "", "");
}

/*
 * GET /security/users/me/policies: the caller's compiled policies as Wazuh's
 * processed policies: {action: {resource: "allow"|"deny"}, ..., "rbac_mode"}.
 */
void
api_get_user_me_policies(struct api_req *r)
{
	struct api_sec *sec = r->node->api_sec;
	json_t *data;

	if (api_check(r, plain_params) == -1)
		return;
	if ((data = rbac_pol_json(r->pol)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	json_object_set_new(data, "rbac_mode", json_string(sec->black_mode ? "black" : "white"));
	api_reply_json(r, 200, json_pack("{s:o, s:s, s:i}", "data", data, "message",
	    "Current user processed policies information was returned", "error", 0));
}

static const char *const users_params[] = { "pretty", "wait_for_complete", "user_ids", "offset",
	"limit", NULL };

/*
 * GET /security/users: every user the caller may read, or those of user_ids
 * (refused ones fail with 4000, unknown ones with 5001; none readable: 403).
 */
void
api_get_users(struct api_req *r)
{
	struct registry_user *v = NULL;
	struct envelope *e = NULL;
	long long ids[SEC_MAX_IDS];
	size_t n = 0, nids = 0, i, j;
	long limit, offset, matched = 0;
	const char *s;

	if (api_check(r, users_params) == -1 || sec_parse_range(r, &limit, &offset) == -1)
		return;
	if ((s = api_param_get(r, "user_ids")) != NULL &&
	    sec_parse_ids(r, "user_ids", s, ids, &nids, 0, NULL) == -1)
		return;
	if (sec_deny_ids(r, RBAC_P_SECURITY_READ_USER, ids, nids))
		return;
	if (registry_user_list(r->node->reg, &v, &n) == -1 || (e = sec_envelope()) == NULL) {
		free(v);
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	for (i = 0; i < nids; i++) {
		for (j = 0; j < n && v[j].id != ids[i]; j++)
			;
		if (!sec_allowed_id(r, RBAC_P_SECURITY_READ_USER, ids[i]))
			sec_fail_id(e, ids[i], 4000);
		else if (j == n)
			sec_fail_id(e, ids[i], 5001);
	}
	for (i = 0; i < n; i++) {
		if (s != NULL) {
			for (j = 0; j < nids && ids[j] != v[i].id; j++)
				;
			if (j == nids)
				continue;
		}
		if (!sec_allowed_id(r, RBAC_P_SECURITY_READ_USER, v[i].id))
			continue;
		if (matched >= offset && matched < offset + limit)
			envelope_affect(e, user_json(&v[i]));
		matched++;
	}
	envelope_set_total(e, matched);
	free(v);
	sec_reply_envelope(r, e, "All specified users were returned", "Some users were not returned",
	    "No user was returned");
}

static const char *const create_keys[] = { "username", "password", NULL };

/*
 * A user being created, or given a new password: PBKDF2 runs on the
 * password threads (api_verify_hash), as a login's check does, so an admin
 * creating users does not stall agents; then the change is made on the loop
 * and the held request answered.  The change is made even when the client
 * has gone by then: it was asked for.
 */
struct pw_change {
	struct api_held held;
	struct node *node;
	char caller[128];
	char name[128];             /* POST: the new user's name */
	long long id;               /* PUT: the user; POST: 0 */
};

/* pw_created: POST /security/users, once its password is hashed. */
static void
pw_created(struct pw_change *c, const char *hash, struct api_req *r, int answer)
{
	struct registry_user u;
	struct envelope *e = answer ? sec_envelope() : NULL;
	long long id = 0;

	if (registry_user_add(c->node->reg, c->name, hash, 0, &id) == 0 &&
	    registry_user_find_id(c->node->reg, id, &u) == 1) {
		log_info("api: user %s created user %s (%lld)", c->caller, c->name, id);
		explicit_bzero(u.hash, sizeof(u.hash));
		if (e != NULL)
			envelope_affect(e, user_json(&u));
	} else if (e != NULL)
		envelope_fail(e, c->name, 5000);
	if (e != NULL)
		sec_reply_envelope(r, e, "User was successfully created", "",
		    "User could not be created");
	else if (answer)
		api_reply_problem(r, 500, 1000, NULL);
}

/* pw_updated: PUT /security/users/{id}, once its password is hashed. */
static void
pw_updated(struct pw_change *c, const char *hash, struct api_req *r, int answer)
{
	struct registry_user u;
	struct envelope *e;
	int rc = registry_user_find_id(c->node->reg, c->id, &u);

	explicit_bzero(u.hash, sizeof(u.hash));
	if (rc == -1 || (rc == 1 && (registry_user_set_hash(c->node->reg, c->id, hash) == -1 ||
	    api_sec_revoke_user(c->node->api_sec, c->id) == -1))) {
		if (answer)
			api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (rc == 1)
		log_info("api: user %s changed the password of %s (%lld)", c->caller, u.name, c->id);
	if (!answer)
		return;
	if ((e = sec_envelope()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (rc == 0)    /* deleted while its password was hashed */
		sec_fail_id(e, c->id, 5001);
	else
		envelope_affect(e, user_json(&u));
	sec_reply_envelope(r, e, "User was successfully updated", "", "User could not be updated");
}

static void
pw_hashed(void *arg, const char *hash)
{
	struct pw_change *c = arg;
	struct api_req r;
	int answer = api_resume(&c->held, &r);

	c->node->stats.logins_checking = api_verify_pending(c->node->api_sec->verify);
	if (hash == NULL) {
		if (answer)
			api_reply_problem(&r, 500, 1000, NULL);
	} else if (c->id == 0)
		pw_created(c, hash, &r, answer);
	else
		pw_updated(c, hash, &r, answer);
	free(c);
}

/*
 * pw_start: hashes pass for the user named (POST) or numbered (PUT) off the
 * loop, then pw_hashed makes the change and answers r.  A full queue of
 * password work is answered 429 (6001) at once, as a login is.
 */
static void
pw_start(struct api_req *r, const char *name, long long id, const char *pass)
{
	struct pw_change *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	c->node = r->node;
	c->id = id;
	snprintf(c->caller, sizeof(c->caller), "%s", r->user);
	snprintf(c->name, sizeof(c->name), "%s", name != NULL ? name : "");
	if (api_verify_hash(r->node->api_sec->verify, pass, pw_hashed, c) == -1) {
		free(c);
		api_reply_problem(r, 429, 6001, NULL);
		return;
	}
	r->node->stats.logins_checking = api_verify_pending(r->node->api_sec->verify);
	api_hold(&c->held, r);
}

/* POST /security/users {username, password} */
void
api_post_users(struct api_req *r)
{
	json_t *body;
	const char *name, *pass;
	int code;

	if (api_check(r, plain_params) == -1 || (body = sec_read_body(r, create_keys)) == NULL)
		return;
	if ((name = sec_body_string(r, body, "username", 1)) == NULL ||
	    (pass = sec_body_string(r, body, "password", 1)) == NULL)
		goto out;
	if (!rbac_username_ok(name)) {
		api_reply_problem(r, 400, 0, "'username' must be 4 to 64 characters of "
		    "letters, digits, '_', '-' and '.'");
		goto out;
	}
	if ((code = rbac_password_policy(pass)) != 0) {
		api_reply_problem(r, 400, code, NULL);
		goto out;
	}
	pw_start(r, name, 0, pass);
out:
	json_decref(body);
}

static const char *const delete_users_params[] = { "pretty", "wait_for_complete", "user_ids",
	NULL };

/*
 * DELETE /security/users?user_ids=: users the caller may not delete fail
 * with 4000 (all of them: 403), reserved users with 5004, the caller itself
 * with 5008, unknown ids with 5001; with "all", those are left out of the
 * answer as Wazuh's post-processing does.
 */
void
api_delete_users(struct api_req *r)
{
	struct registry_user *v = NULL, u;
	struct envelope *e;
	long long ids[SEC_MAX_IDS];
	size_t nids = 0, n = 0, i;
	const char *s;
	int all, rc;

	if (api_check(r, delete_users_params) == -1)
		return;
	if ((s = api_param_get(r, "user_ids")) == NULL) {
		api_reply_problem(r, 400, 0, "Missing query parameter 'user_ids'");
		return;
	}
	if (sec_parse_ids(r, "user_ids", s, ids, &nids, 1, &all) == -1 ||
	    sec_deny_ids(r, RBAC_P_SECURITY_DELETE_USER, ids, nids))
		return;
	if ((e = sec_envelope()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (all) {
		if (registry_user_list(r->node->reg, &v, &n) == -1)
			goto err;
		for (i = 0; i < n && nids < SEC_MAX_IDS; i++)
			if (v[i].id > RBAC_MAX_ID_RESERVED && v[i].id != r->uid &&
			    sec_allowed_id(r, RBAC_P_SECURITY_DELETE_USER, v[i].id))
				ids[nids++] = v[i].id;
		free(v);
	}
	for (i = 0; i < nids; i++) {
		if (!sec_allowed_id(r, RBAC_P_SECURITY_DELETE_USER, ids[i])) {
			sec_fail_id(e, ids[i], 4000);
			continue;
		}
		if ((rc = lookup(r, ids[i], &u)) == -1)
			goto out;
		if (rc == 0)
			sec_fail_id(e, ids[i], 5001);
		else if (u.id <= RBAC_MAX_ID_RESERVED)
			sec_fail_id(e, ids[i], 5004);
		else if (u.id == r->uid)
			sec_fail_id(e, ids[i], 5008);
		else if (registry_user_delete(r->node->reg, u.id) != 1)
			goto err;
		else {
			log_info("api: user %s deleted user %s (%lld)", r->user, u.name, u.id);
			envelope_affect(e, user_json(&u));
		}
	}
	sec_reply_envelope(r, e, "Users were successfully deleted", "Some users were not deleted",
	    "No user was deleted");
	return;
err:
	api_reply_problem(r, 500, 1000, NULL);
out:
	envelope_free(e);
}

static const char *const update_keys[] = { "password", NULL };

/*
 * PUT /security/users/{user_id} {password}: the user's tokens are revoked.
 * An unknown user fails (5001) before the password is hashed.
 */
void
api_put_user(struct api_req *r)
{
	struct registry_user u;
	struct envelope *e;
	json_t *body;
	const char *pass;
	long long id;
	int code, rc;

	if (api_check(r, plain_params) == -1 || sec_path_id(r, 2, &id) == -1 ||
	    (body = sec_read_body(r, update_keys)) == NULL)
		return;
	if (json_object_get(body, "password") == NULL) {
		api_reply_problem(r, 400, 4001, NULL);
		goto out;
	}
	if ((pass = sec_body_string(r, body, "password", 1)) == NULL)
		goto out;
	if ((code = rbac_password_policy(pass)) != 0) {
		api_reply_problem(r, 400, code, NULL);
		goto out;
	}
	if (id <= RBAC_MAX_ID_RESERVED && r->uid > RBAC_MAX_ID_RESERVED) {
		api_reply_problem(r, 400, 5011, NULL);
		goto out;
	}
	if ((rc = lookup(r, id, &u)) == -1)
		goto out;
	explicit_bzero(u.hash, sizeof(u.hash));
	if (rc == 1) {
		pw_start(r, NULL, id, pass);
		goto out;
	}
	if ((e = sec_envelope()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	sec_fail_id(e, id, 5001);
	sec_reply_envelope(r, e, "User was successfully updated", "", "User could not be updated");
out:
	json_decref(body);
}

static const char *const user_roles_params[] = { "pretty", "wait_for_complete", "role_ids",
	NULL };

/*
 * POST and DELETE /security/users/{user_id}/roles?role_ids=: links or
 * unlinks roles.  Changing a user's roles revokes its tokens (Wazuh's
 * invalid_users_tokens): its next token carries the new roles.  Wazuh's
 * "position" is not taken: a user's permissions are the union of its
 * roles, so their order does not matter.  Each role needs security:update
 * (link) or security:delete (unlink) on it: refused ones fail with 4000,
 * all refused is 403.  DELETE with role_ids=all unlinks every role of the
 * user the caller may, leaving the others out of the answer (as Wazuh).
 */
static void
user_roles(struct api_req *r, int add)
{
	enum rbac_perm p = add ? RBAC_P_SECURITY_UPDATE_ROLE : RBAC_P_SECURITY_DELETE_ROLE;
	struct registry_user u;
	struct envelope *e;
	long long uid, rids[SEC_MAX_IDS];
	size_t nrids, i;
	const char *s, *name;
	char all[192], some[192], none[192];
	int found, rc, every = 0, changed = 0;

	if (api_check(r, user_roles_params) == -1 || sec_path_id(r, 2, &uid) == -1)
		return;
	if ((s = api_param_get(r, "role_ids")) == NULL) {
		api_reply_problem(r, 400, 0, "Missing query parameter 'role_ids'");
		return;
	}
	if (sec_parse_ids(r, "role_ids", s, rids, &nrids, !add, &every) == -1 ||
	    sec_deny_ids(r, p, rids, nrids) || (found = lookup(r, uid, &u)) == -1)
		return;
	if (found == 0 && !add) {
		api_reply_problem(r, 404, 5001, NULL);
		return;
	}
	if ((e = sec_envelope()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	for (i = 0; every && i < u.nroles; i++)
		if (sec_allowed_id(r, p, u.roles[i]))
			rids[nrids++] = u.roles[i];
	for (i = 0; i < nrids; i++) {
		if (!sec_allowed_id(r, p, rids[i])) {
			sec_fail_id(e, rids[i], 4000);
			continue;
		}
		if (found == 0) {
			sec_fail_id(e, uid, 5001);
			break;
		}
		if (api_sec_role(r->node->api_sec, rids[i]) == NULL) {
			sec_fail_id(e, rids[i], 4002);
			continue;
		}
		if (uid <= RBAC_MAX_ID_RESERVED) {
			if (!every)
				sec_fail_id(e, uid, 4008);
			continue;
		}
		rc = add ? registry_user_role_add(r->node->reg, uid, (int)rids[i]) :
		    registry_user_role_del(r->node->reg, uid, (int)rids[i]);
		if (rc == -1) {
			envelope_free(e);
			api_reply_problem(r, 500, 1000, NULL);
			return;
		}
		if (rc == 0)
			sec_fail_id(e, rids[i], add ? 4017 : 4016);
		else
			changed = 1;
	}
	if (changed) {
		if (api_sec_revoke_user(r->node->api_sec, uid) == -1 ||
		    (found = lookup(r, uid, &u)) != 1) {
			envelope_free(e);
			if (found != -1)
				api_reply_problem(r, 500, 1000, NULL);
			return;
		}
		log_info("api: user %s changed the roles of %s (%lld)", r->user, u.name, uid);
		envelope_affect(e, user_json(&u));
	}
	name = found ? u.name : "unknown";
	if (add) {
		snprintf(all, sizeof(all), "All roles were linked to user %s", name);
		snprintf(some, sizeof(some), "Some roles were not linked to user %s", name);
		snprintf(none, sizeof(none), "No link was created to user %s", name);
	} else {
		snprintf(all, sizeof(all), "All roles were unlinked from user %s", name);
		snprintf(some, sizeof(some), "Some roles were not unlinked from user %s", name);
		snprintf(none, sizeof(none), "No role was unlinked from user %s", name);
	}
	sec_reply_envelope(r, e, all, some, none);
}

void
api_post_user_roles(struct api_req *r)
{
	user_roles(r, 1);
}

void
api_delete_user_roles(struct api_req *r)
{
	user_roles(r, 0);
}

/* PUT /security/user/revoke: every token issued so far stops working (persisted). */
void
api_put_revoke(struct api_req *r)
{
	static const char *const params[] = { "pretty", NULL };

	if (api_check(r, params) == -1)
		return;
	if (api_sec_revoke_all(r->node->api_sec) == -1) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	log_info("api: user %s revoked every token", r->user);
	reply_message(r, "Tokens were successfully revoked");
}

/* DELETE /security/user/authenticate: revokes the caller's own tokens. */
void
api_logout(struct api_req *r)
{
	char msg[224];

	if (api_check(r, plain_params) == -1)
		return;
	if (api_sec_revoke_user(r->node->api_sec, r->uid) == -1) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	snprintf(msg, sizeof(msg), "User %s was successfully logged out", r->user);
	reply_message(r, msg);
}

/* GET /security/config */
void
api_get_security_config(struct api_req *r)
{
	struct api_sec *sec = r->node->api_sec;

	if (api_check(r, plain_params) == -1)
		return;
	api_reply_json(r, 200, json_pack("{s:{s:i, s:s}, s:i}", "data",
	    "auth_token_exp_timeout", sec->token_lifetime,
	    "rbac_mode", sec->black_mode ? "black" : "white", "error", 0));
}

static const char *const config_keys[] = { "auth_token_exp_timeout", "rbac_mode", NULL };

/*
 * PUT /security/config {auth_token_exp_timeout, rbac_mode}: what is given
 * changes, the rest stays; every token is revoked, as Wazuh does.
 */
void
api_put_security_config(struct api_req *r)
{
	struct api_sec *sec = r->node->api_sec;
	json_t *body, *t, *m;
	json_int_t lifetime;
	const char *mode;

	if (api_check(r, plain_params) == -1 || (body = sec_read_body(r, config_keys)) == NULL)
		return;
	t = json_object_get(body, "auth_token_exp_timeout");
	m = json_object_get(body, "rbac_mode");
	if (t == NULL && m == NULL) {
		api_reply_problem(r, 400, 4001, NULL);
		goto out;
	}
	lifetime = sec->token_lifetime;
	if (t != NULL && (!json_is_integer(t) || (lifetime = json_integer_value(t)) < 1 ||
	    lifetime > 86400 * 365)) {
		api_reply_problem(r, 400, 0,
		    "'auth_token_exp_timeout' must be an integer in 1..31536000");
		goto out;
	}
	mode = sec->black_mode ? "black" : "white";
	if (m != NULL && (!json_is_string(m) || ((mode = json_string_value(m)),
	    strcmp(mode, "white") != 0 && strcmp(mode, "black") != 0))) {
		api_reply_problem(r, 400, 0, "'rbac_mode' must be 'white' or 'black'");
		goto out;
	}
	if (api_sec_set_config(sec, (int)lifetime, mode) == -1) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	log_info("api: user %s set auth_token_exp_timeout %d, rbac_mode %s; tokens revoked",
	    r->user, sec->token_lifetime, mode);
	reply_message(r, "Configuration was successfully updated");
out:
	json_decref(body);
}

/* DELETE /security/config: back to the defaults (--token-lifetime, white); tokens revoked. */
void
api_delete_security_config(struct api_req *r)
{
	if (api_check(r, plain_params) == -1)
		return;
	if (api_sec_set_config(r->node->api_sec, 0, NULL) == -1) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	log_info("api: user %s restored the default security configuration", r->user);
	reply_message(r, "Configuration was successfully updated");
}

static const char *const run_as_params[] = { "pretty", "wait_for_complete", "allow_run_as", NULL };

/*
 * PUT /security/users/{user_id}/run_as?allow_run_as=: whether the user may
 * log in through an authorization context; its tokens are revoked.
 */
void
api_put_user_run_as(struct api_req *r)
{
	struct registry_user u;
	struct envelope *e;
	const char *v;
	char all[96], none[96];
	long long id;
	int allow = 0, rc;

	if (api_check(r, run_as_params) == -1 || sec_path_id(r, 2, &id) == -1)
		return;
	if ((v = api_param_get(r, "allow_run_as")) != NULL && (allow = api_parse_bool(v)) == -1) {
		api_reply_problem(r, 400, 0, "'allow_run_as' is not of type 'boolean'");
		return;
	}
	if ((e = sec_envelope()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	rc = registry_user_set_run_as(r->node->reg, id, allow);
	if (rc == 1 && (api_sec_revoke_user(r->node->api_sec, id) == -1 || lookup(r, id, &u) != 1))
		rc = -1;
	if (rc == -1) {
		envelope_free(e);
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (rc == 0)
		sec_fail_id(e, id, 5001);
	else {
		log_info("api: user %s set allow_run_as %s for %s (%lld)", r->user,
		    allow ? "true" : "false", u.name, id);
		envelope_affect(e, user_json(&u));
	}
	snprintf(all, sizeof(all), "Parameter allow_run_as has been %s for the user",
	    allow ? "enabled" : "disabled");
	snprintf(none, sizeof(none), "The parameter allow_run_as could not be %s for the user",
	    allow ? "enabled" : "disabled");
	sec_reply_envelope(r, e, all, "", none);
}
