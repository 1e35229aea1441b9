/*
 * api_rbac.c — the custom RBAC's endpoints: /security/roles, /security/policies,
 * /security/rules and their links (Wazuh 4.12's framework/wazuh/security.py).
 *
 * Items with an id up to 99 are Wazuh's defaults and cannot change (4008).
 * A change revokes the tokens it concerns, as Wazuh does: a role's policies
 * or a policy changed, the tokens carrying those roles; a security rule or a
 * role's rules changed, every run_as token.  Every list is filtered by the
 * caller's policies as Wazuh's expose_resources does: a listed id it may not
 * act on fails with 4000, a list of only such ids is 403, and ids not listed
 * (no list, or "all") are left out silently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "node/api/api.h"
#include "node/api/api_envelope.h"
#include "node/api/api_sec.h"
#include "node/api/api_security.h"
#include "node/api/rbac.h"
#include "node/api/rbac_pol.h"
#include "node/registry/registry.h"

#define NAME_MAX_LEN 64

/* What differs between roles, policies and rules. */
struct kind {
	enum registry_sec_kind k;
	const char *ids_key;           /* role_ids */
	const char *body_key;          /* "policy", "rule"; NULL for roles */
	int missing;                   /* 4002, 4007, 4022 */
	int taken;                     /* on create: 4005, 4009, 4005 */
	int taken_update;              /* on update: 4005, 4013, 4005 */
	int invalid;                   /* 4003, 4006, 4003 */
	enum rbac_perm read, del;
	const char *what;              /* "role", "policy", "security rule" */
	const char *whats;
};

static const struct kind k_role = { REGISTRY_SEC_ROLE, "role_ids", NULL, 4002, 4005, 4005, 4003,
	RBAC_P_SECURITY_READ_ROLE, RBAC_P_SECURITY_DELETE_ROLE, "role", "roles" };
static const struct kind k_policy = { REGISTRY_SEC_POLICY, "policy_ids", "policy", 4007, 4009,
	4013, 4006, RBAC_P_SECURITY_READ_POLICY, RBAC_P_SECURITY_DELETE_POLICY, "policy",
	"policies" };
static const struct kind k_rule = { REGISTRY_SEC_RULE, "rule_ids", "rule", 4022, 4005, 4005,
	4003, RBAC_P_SECURITY_READ_RULE, RBAC_P_SECURITY_DELETE_RULE, "security rule",
	"security rules" };

static int
exists(struct api_req *r, const struct kind *k, long long id)
{
	struct api_sec *s = r->node->api_sec;

	return k->k == REGISTRY_SEC_ROLE ? api_sec_role(s, id) != NULL :
	    k->k == REGISTRY_SEC_POLICY ? api_sec_policy(s, id) != NULL : api_sec_rule(s, id) != NULL;
}

/* roles_with: the ids of the roles linked to policy or rule id, as a JSON array. */
static json_t *
roles_with(struct api_req *r, enum registry_sec_kind k, long long id)
{
	const struct sec_store *st = r->node->api_sec->store;
	json_t *a = json_array();
	size_t i, j;

	for (i = 0; a != NULL && i < st->nroles; i++) {
		const long long *v = k == REGISTRY_SEC_POLICY ? st->roles[i].policies : st->roles[i].rules;
		size_t n = k == REGISTRY_SEC_POLICY ? st->roles[i].npolicies : st->roles[i].nrules;

		for (j = 0; j < n; j++)
			if (v[j] == id) {
				json_array_append_new(a, json_integer((json_int_t)st->roles[i].id));
				break;
			}
	}
	return a;
}

static json_t *
ids_json(const long long *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i]));
	return a;
}

/* item_json: a role {id, name, policies, users, rules}, policy {id, name, policy, roles} or rule. */
static json_t *
item_json(struct api_req *r, const struct kind *k, long long id)
{
	struct api_sec *s = r->node->api_sec;
	const struct sec_role *role;
	const struct sec_obj *o;
	struct registry_user *u = NULL;
	json_t *users;
	size_t n = 0, i, j;

	if (k->k == REGISTRY_SEC_ROLE) {
		if ((role = api_sec_role(s, id)) == NULL)
			return NULL;
		users = json_array();
		if (registry_user_list(r->node->reg, &u, &n) == 0)
			for (i = 0; users != NULL && i < n; i++)
				for (j = 0; j < u[i].nroles; j++)
					if (u[i].roles[j] == id)
						json_array_append_new(users, json_integer((json_int_t)u[i].id));
		free(u);
		return json_pack("{s:I, s:s, s:o, s:o, s:o}", "id", (json_int_t)id, "name", role->name,
		    "policies", ids_json(role->policies, role->npolicies), "users", users,
		    "rules", ids_json(role->rules, role->nrules));
	}
	o = k->k == REGISTRY_SEC_POLICY ? api_sec_policy(s, id) : api_sec_rule(s, id);
	if (o == NULL)
		return NULL;
	return json_pack("{s:I, s:s, s:O, s:o}", "id", (json_int_t)id, "name", o->name, k->body_key,
	    o->body, "roles", roles_with(r, k->k, id));
}

static size_t
count_of(struct api_req *r, const struct kind *k)
{
	const struct sec_store *st = r->node->api_sec->store;

	return k->k == REGISTRY_SEC_ROLE ? st->nroles : k->k == REGISTRY_SEC_POLICY ?
	    st->npolicies : st->nrules;
}

static long long
id_at(struct api_req *r, const struct kind *k, size_t i)
{
	const struct sec_store *st = r->node->api_sec->store;

	return k->k == REGISTRY_SEC_ROLE ? st->roles[i].id : k->k == REGISTRY_SEC_POLICY ?
	    st->policies[i].id : st->rules[i].id;
}

static const char *const list_params_role[] = { "pretty", "wait_for_complete", "role_ids",
	"offset", "limit", NULL };
static const char *const list_params_policy[] = { "pretty", "wait_for_complete", "policy_ids",
	"offset", "limit", NULL };
static const char *const list_params_rule[] = { "pretty", "wait_for_complete", "rule_ids",
	"offset", "limit", NULL };

/* list: GET of a kind: every item the caller may read, or those listed. */
static void
list(struct api_req *r, const struct kind *k, const char *const *params)
{
	struct envelope *e;
	long long ids[SEC_MAX_IDS];
	size_t nids = 0, i, j;
	long limit, offset, matched = 0;
	const char *s;
	char all[96], some[96], none[96];

	if (api_check(r, params) == -1 || sec_parse_range(r, &limit, &offset) == -1)
		return;
	if ((s = api_param_get(r, k->ids_key)) != NULL &&
	    sec_parse_ids(r, k->ids_key, s, ids, &nids, 0, NULL) == -1)
		return;
	if (sec_deny_ids(r, k->read, ids, nids))
		return;
	if ((e = sec_envelope()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	for (i = 0; i < nids; i++)
		if (!sec_allowed_id(r, k->read, ids[i]))
			sec_fail_id(e, ids[i], 4000);
		else if (!exists(r, k, ids[i]))
			sec_fail_id(e, ids[i], k->missing);
	for (i = 0; i < count_of(r, k); i++) {
		long long id = id_at(r, k, i);

		if (s != NULL) {
			for (j = 0; j < nids && ids[j] != id; j++)
				;
			if (j == nids)
				continue;
		}
		if (!sec_allowed_id(r, k->read, id))
			continue;
		if (matched >= offset && matched < offset + limit)
			envelope_affect(e, item_json(r, k, id));
		matched++;
	}
	envelope_set_total(e, matched);
	snprintf(all, sizeof(all), "All specified %s were returned", k->whats);
	snprintf(some, sizeof(some), "Some %s were not returned", k->whats);
	snprintf(none, sizeof(none), "No %s was returned", k->what);
	sec_reply_envelope(r, e, all, some, none);
}

void
api_get_roles(struct api_req *r)
{
	list(r, &k_role, list_params_role);
}

void
api_get_policies(struct api_req *r)
{
	list(r, &k_policy, list_params_policy);
}

void
api_get_rules(struct api_req *r)
{
	list(r, &k_rule, list_params_rule);
}

static const char *const plain_params[] = { "pretty", "wait_for_complete", NULL };
static const char *const role_keys[] = { "name", NULL };
static const char *const policy_keys[] = { "name", "policy", NULL };
static const char *const rule_keys[] = { "name", "rule", NULL };

/*
 * body_item: the name and body (policy or rule) of a POST or PUT: name 1..64
 * characters; a policy sanitized and checked.  *bodytxt is malloc'd compact
 * JSON (NULL when absent).  Replies and returns -1 on a malformed request,
 * 1 when the body is invalid (the caller fails the item with k->invalid).
 */
static int
body_item(struct api_req *r, const struct kind *k, json_t *body, int required, const char **name,
    char **bodytxt)
{
	json_t *b = k->body_key != NULL ? json_object_get(body, k->body_key) : NULL;
	char detail[96];

	*bodytxt = NULL;
	if ((*name = sec_body_string(r, body, "name", required)) == NULL &&
	    (required || json_object_get(body, "name") != NULL))
		return -1;
	if (*name != NULL && (strlen(*name) == 0 || strlen(*name) > NAME_MAX_LEN)) {
		api_reply_problem(r, 400, 0, "'name' must be 1 to 64 characters");
		return -1;
	}
	if (k->body_key == NULL)
		return 0;
	if (b == NULL) {
		if (!required)
			return 0;
		snprintf(detail, sizeof(detail), "'%s' is a required property", k->body_key);
		api_reply_problem(r, 400, 0, detail);
		return -1;
	}
	if (!json_is_object(b)) {
		snprintf(detail, sizeof(detail), "'%s' is not of type 'object'", k->body_key);
		api_reply_problem(r, 400, 0, detail);
		return -1;
	}
	if (k->k == REGISTRY_SEC_POLICY) {
		rbac_pol_sanitize(b);
		if (!rbac_pol_valid(b))
			return 1;
	}
	if ((*bodytxt = json_dumps(b, JSON_COMPACT)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return -1;
	}
	return 0;
}

/* reload: the store after a change; -1 (replied 500) on failure. */
static int
reload(struct api_req *r)
{
	if (api_sec_reload(r->node->api_sec) == -1) {
		api_reply_problem(r, 500, 1000, NULL);
		return -1;
	}
	return 0;
}

/* revoke_roles_of: revokes the tokens of every role linked to policy pid. */
static int
revoke_roles_of(struct api_req *r, long long pid)
{
	const struct sec_store *st = r->node->api_sec->store;
	size_t i, j;

	for (i = 0; i < st->nroles; i++)
		for (j = 0; j < st->roles[i].npolicies; j++)
			if (st->roles[i].policies[j] == pid &&
			    api_sec_revoke_role(r->node->api_sec, st->roles[i].id) == -1)
				return -1;
	return 0;
}

/* create: POST of a kind. */
static void
create(struct api_req *r, const struct kind *k, const char *const *keys)
{
	struct envelope *e;
	json_t *body;
	const char *name;
	char *txt = NULL, all[96], none[96];
	long long id = 0;
	int rc;

	if (api_check(r, plain_params) == -1 || (body = sec_read_body(r, keys)) == NULL)
		return;
	if ((rc = body_item(r, k, body, 1, &name, &txt)) == -1)
		goto out;
	if ((e = sec_envelope()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	if (rc == 1)
		envelope_fail(e, name, k->invalid);
	else if ((rc = registry_sec_add(r->node->reg, k->k, name, txt, &id)) == 1)
		envelope_fail(e, name, k->taken);
	else if (rc == -1 || reload(r) == -1) {
		envelope_free(e);
		if (rc == -1)
			api_reply_problem(r, 500, 1000, NULL);
		goto out;
	} else {
		log_info("api: user %s created %s %s (%lld)", r->user, k->what, name, id);
		envelope_affect(e, item_json(r, k, id));
	}
	snprintf(all, sizeof(all), "%c%s was successfully created", k->what[0] - 32, k->what + 1);
	snprintf(none, sizeof(none), "%c%s was not created", k->what[0] - 32, k->what + 1);
	sec_reply_envelope(r, e, all, "", none);
out:
	free(txt);
	json_decref(body);
}

void
api_post_roles(struct api_req *r)
{
	create(r, &k_role, role_keys);
}

void
api_post_policies(struct api_req *r)
{
	create(r, &k_policy, policy_keys);
}

void
api_post_rules(struct api_req *r)
{
	create(r, &k_rule, rule_keys);
}

/* update: PUT of a kind at /security/<kind>/{id}. */
static void
update(struct api_req *r, const struct kind *k, const char *const *keys)
{
	struct envelope *e;
	json_t *body;
	const char *name;
	char *txt = NULL, all[96], none[96];
	long long id;
	int rc;

	if (api_check(r, plain_params) == -1 || sec_path_id(r, 2, &id) == -1 ||
	    (body = sec_read_body(r, keys)) == NULL)
		return;
	if (json_object_get(body, "name") == NULL &&
	    (k->body_key == NULL || json_object_get(body, k->body_key) == NULL)) {
		api_reply_problem(r, 400, 4001, NULL);
		goto out;
	}
	if ((rc = body_item(r, k, body, 0, &name, &txt)) == -1)
		goto out;
	if ((e = sec_envelope()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	}
	if (rc == 1)
		sec_fail_id(e, id, k->invalid);
	else if (id <= RBAC_MAX_ID_RESERVED)
		sec_fail_id(e, id, exists(r, k, id) ? 4008 : k->missing);
	else if ((rc = registry_sec_update(r->node->reg, k->k, id, name, txt)) == 0)
		sec_fail_id(e, id, k->missing);
	else if (rc == 2)
		sec_fail_id(e, id, k->taken_update);
	else if (rc == -1 || (k->k == REGISTRY_SEC_POLICY && revoke_roles_of(r, id) == -1) ||
	    (k->k == REGISTRY_SEC_RULE && api_sec_revoke_run_as(r->node->api_sec) == -1) ||
	    reload(r) == -1) {
		envelope_free(e);
		api_reply_problem(r, 500, 1000, NULL);
		goto out;
	} else {
		log_info("api: user %s updated %s %lld", r->user, k->what, id);
		envelope_affect(e, item_json(r, k, id));
	}
	snprintf(all, sizeof(all), "%c%s was successfully updated", k->what[0] - 32, k->what + 1);
	snprintf(none, sizeof(none), "%c%s was not updated", k->what[0] - 32, k->what + 1);
	sec_reply_envelope(r, e, all, "", none);
out:
	free(txt);
	json_decref(body);
}

void
api_put_role(struct api_req *r)
{
	update(r, &k_role, role_keys);
}

void
api_put_policy(struct api_req *r)
{
	update(r, &k_policy, policy_keys);
}

void
api_put_rule(struct api_req *r)
{
	update(r, &k_rule, rule_keys);
}

/*
 * delete: DELETE of a kind with its ids (or "all": every one past 99 the
 * caller may delete).  A deleted role's or policy's tokens are revoked, a
 * deleted rule revokes run_as tokens.
 */
static void
delete(struct api_req *r, const struct kind *k, const char *const *params)
{
	struct envelope *e;
	long long ids[SEC_MAX_IDS];
	size_t nids = 0, i;
	const char *s;
	json_t *item;
	char detail[96], all_m[96], some[96], none[96];
	int all, rc;

	if (api_check(r, params) == -1)
		return;
	if ((s = api_param_get(r, k->ids_key)) == NULL) {
		snprintf(detail, sizeof(detail), "Missing query parameter '%s'", k->ids_key);
		api_reply_problem(r, 400, 0, detail);
		return;
	}
	if (sec_parse_ids(r, k->ids_key, s, ids, &nids, 1, &all) == -1 ||
	    sec_deny_ids(r, k->del, ids, nids))
		return;
	if ((e = sec_envelope()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (all)
		for (i = 0; i < count_of(r, k) && nids < SEC_MAX_IDS; i++)
			if (id_at(r, k, i) > RBAC_MAX_ID_RESERVED &&
			    sec_allowed_id(r, k->del, id_at(r, k, i)))
				ids[nids++] = id_at(r, k, i);
	for (i = 0; i < nids; i++) {
		if (!sec_allowed_id(r, k->del, ids[i])) {
			sec_fail_id(e, ids[i], 4000);
			continue;
		}
		if (ids[i] <= RBAC_MAX_ID_RESERVED) {
			sec_fail_id(e, ids[i], exists(r, k, ids[i]) ? 4008 : k->missing);
			continue;
		}
		if ((item = item_json(r, k, ids[i])) == NULL) {
			sec_fail_id(e, ids[i], k->missing);
			continue;
		}
		rc = (k->k == REGISTRY_SEC_ROLE ? api_sec_revoke_role(r->node->api_sec, ids[i]) :
		    k->k == REGISTRY_SEC_POLICY ? revoke_roles_of(r, ids[i]) :
		    api_sec_revoke_run_as(r->node->api_sec)) == -1 ? -1 :
		    registry_sec_delete(r->node->reg, k->k, ids[i]);
		if (rc == -1 || reload(r) == -1) {
			json_decref(item);
			envelope_free(e);
			if (rc == -1)
				api_reply_problem(r, 500, 1000, NULL);
			return;
		}
		log_info("api: user %s deleted %s %lld", r->user, k->what, ids[i]);
		envelope_affect(e, item);
	}
	snprintf(all_m, sizeof(all_m), "All specified %s were deleted", k->whats);
	snprintf(some, sizeof(some), "Some %s were not deleted", k->whats);
	snprintf(none, sizeof(none), "No %s was deleted", k->what);
	sec_reply_envelope(r, e, all_m, some, none);
}

static const char *const del_params_role[] = { "pretty", "wait_for_complete", "role_ids", NULL };
static const char *const del_params_policy[] = { "pretty", "wait_for_complete", "policy_ids",
	NULL };
static const char *const del_params_rule[] = { "pretty", "wait_for_complete", "rule_ids", NULL };

void
api_delete_roles(struct api_req *r)
{
	delete(r, &k_role, del_params_role);
}

void
api_delete_policies(struct api_req *r)
{
	delete(r, &k_policy, del_params_policy);
}

void
api_delete_rules(struct api_req *r)
{
	delete(r, &k_rule, del_params_rule);
}

/*
 * links: POST / DELETE /security/roles/{role_id}/policies?policy_ids=
 * [&position=] and .../rules?rule_ids=.  The role is the affected item.
 * Each policy or rule needs security:update (link) or security:delete
 * (unlink) on it.  DELETE with "all" unlinks every one the caller may,
 * leaving the others out of the answer (as Wazuh).
 */
static void
links(struct api_req *r, const struct kind *k, int add)
{
	static const char *const pol_add_params[] = { "pretty", "wait_for_complete", "policy_ids",
		"position", NULL };
	static const char *const pol_del_params[] = { "pretty", "wait_for_complete", "policy_ids",
		NULL };
	static const char *const rule_params[] = { "pretty", "wait_for_complete", "rule_ids", NULL };
	enum rbac_perm p = add ? (k->k == REGISTRY_SEC_POLICY ? RBAC_P_SECURITY_UPDATE_POLICY :
	    RBAC_P_SECURITY_UPDATE_RULE) : k->del;
	const struct sec_role *sr;
	struct envelope *e;
	long long role, ids[SEC_MAX_IDS], position = -1;
	size_t nids, i, n;
	const char *s;
	char *end, detail[96], all[128], some[128], none[128];
	int rc, every = 0, changed = 0;

	if (api_check(r, k->k != REGISTRY_SEC_POLICY ? rule_params : add ? pol_add_params :
	    pol_del_params) == -1 ||
	    sec_path_id(r, 2, &role) == -1)
		return;
	if ((s = api_param_get(r, k->ids_key)) == NULL) {
		snprintf(detail, sizeof(detail), "Missing query parameter '%s'", k->ids_key);
		api_reply_problem(r, 400, 0, detail);
		return;
	}
	if (sec_parse_ids(r, k->ids_key, s, ids, &nids, !add, &every) == -1 ||
	    sec_deny_ids(r, p, ids, nids))
		return;
	if (every && (sr = api_sec_role(r->node->api_sec, role)) != NULL) {
		n = k->k == REGISTRY_SEC_POLICY ? sr->npolicies : sr->nrules;
		for (i = 0; i < n && nids < SEC_MAX_IDS; i++) {
			long long id = k->k == REGISTRY_SEC_POLICY ? sr->policies[i] : sr->rules[i];

			if (sec_allowed_id(r, p, id))
				ids[nids++] = id;
		}
	}
	if (add && (s = api_param_get(r, "position")) != NULL) {
		position = strtoll(s, &end, 10);
		if (end == s || *end != '\0') {
			api_reply_problem(r, 400, 0, "'position' is not of type 'integer'");
			return;
		}
		if (position < 0) {
			api_reply_problem(r, 400, 4018, NULL);
			return;
		}
	}
	if ((e = sec_envelope()) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	for (i = 0; i < nids; i++) {
		if (!sec_allowed_id(r, p, ids[i])) {
			sec_fail_id(e, ids[i], 4000);
			continue;
		}
		if (role <= RBAC_MAX_ID_RESERVED) {
			if (!every)
				sec_fail_id(e, role, api_sec_role(r->node->api_sec, role) ? 4008 :
				    4002);
			continue;
		}
		if (api_sec_role(r->node->api_sec, role) == NULL) {
			sec_fail_id(e, role, 4002);
			continue;
		}
		if (!exists(r, k, ids[i])) {
			sec_fail_id(e, ids[i], k->missing);
			continue;
		}
		rc = add ? registry_sec_link(r->node->reg, k->k, role, ids[i], position) :
		    registry_sec_unlink(r->node->reg, k->k, role, ids[i]);
		if (rc == -1) {
			envelope_free(e);
			api_reply_problem(r, 500, 1000, NULL);
			return;
		}
		if (rc == 0)
			sec_fail_id(e, ids[i], k->k == REGISTRY_SEC_POLICY ? (add ? 4011 : 4010) :
			    (add ? 4023 : 4024));
		else {
			changed = 1;
			if (add && position >= 0)
				position++;
		}
	}
	if (changed) {
		rc = k->k == REGISTRY_SEC_POLICY ? api_sec_revoke_role(r->node->api_sec, role) :
		    api_sec_revoke_run_as(r->node->api_sec);
		if (rc == -1 || reload(r) == -1) {
			envelope_free(e);
			if (rc == -1)
				api_reply_problem(r, 500, 1000, NULL);
			return;
		}
		log_info("api: user %s changed the %s of role %lld", r->user, k->whats, role);
		envelope_affect(e, item_json(r, &k_role, role));
	}
	if (add) {
		snprintf(all, sizeof(all), "All %s were linked to role %lld", k->whats, role);
		snprintf(some, sizeof(some), "Some %s were not linked to role %lld", k->whats, role);
		snprintf(none, sizeof(none), "No link was created to role %lld", role);
	} else {
		snprintf(all, sizeof(all), "All %s were unlinked from role %lld", k->whats, role);
		snprintf(some, sizeof(some), "Some %s were not unlinked from role %lld", k->whats,
		    role);
		snprintf(none, sizeof(none), "No %s was unlinked from role %lld", k->what, role);
	}
	sec_reply_envelope(r, e, all, some, none);
}

void
api_post_role_policies(struct api_req *r)
{
	links(r, &k_policy, 1);
}

void
api_delete_role_policies(struct api_req *r)
{
	links(r, &k_policy, 0);
}

void
api_post_role_rules(struct api_req *r)
{
	links(r, &k_rule, 1);
}

void
api_delete_role_rules(struct api_req *r)
{
	links(r, &k_rule, 0);
}
