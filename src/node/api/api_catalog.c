/* api_catalog.c — the RBAC catalogue: GET /security/actions and GET
 * /security/resources, as Wazuh v4.12's get_rbac_actions and
 * get_rbac_resources answer them.  The catalogue is data in rbac.c; the
 * endpoints an action is needed by come from the route table.
 */
#include <stdio.h>
#include <string.h>

#include "node/api/api.h"
#include "node/api/rbac.h"

static const char *const actions_params[] = { "pretty", "wait_for_complete", "endpoint", NULL };
static const char *const resources_params[] = { "pretty", "wait_for_complete", "resource", NULL };

/* action_entry: the catalogue entry of action, as Wazuh lists it (without related_endpoints). */
static json_t *
action_entry(const struct rbac_action_info *ai)
{
	json_t *o = json_object(), *res = json_array();
	size_t i;

	for (i = 0; ai->resources[i] != NULL && res != NULL; i++)
		json_array_append_new(res, json_string(ai->resources[i]));
	if (o == NULL || res == NULL) {
		json_decref(o);
		json_decref(res);
		return NULL;
	}
	json_object_set_new(o, "description", json_string(ai->description));
	json_object_set_new(o, "resources", res);
	json_object_set_new(o, "example", json_loads(ai->example, 0, NULL));
	json_object_set_new(o, "related_endpoints", json_array());
	return o;
}

/*
 * GET /security/actions[?endpoint=METHOD /path]: every action some endpoint
 * needs, with the endpoints that need it; with endpoint, that endpoint's
 * only (4020 when there is no such endpoint).
 */
void
api_get_security_actions(struct api_req *r)
{
	const char *want = api_param_get(r, "endpoint");
	json_t *data = NULL, *entry;
	char name[160];
	uint64_t need;
	size_t i;
	int p, found = 0;

	if (api_check(r, actions_params) == -1)
		return;
	if ((data = json_object()) == NULL)
		goto oom;
	for (i = 0; api_endpoint(i, name, sizeof(name), &need) == 0; i++) {
		if (want != NULL && strcmp(want, name) != 0)
			continue;
		found = 1;
		for (p = 0; p < RBAC_P_COUNT; p++) {
			const char *action = rbac_perm_action((enum rbac_perm)p);
			const struct rbac_action_info *ai = rbac_action_info(action);
			json_t *rel;
			size_t k;

			if ((need & RBAC_BIT(p)) == 0 || (need & (RBAC_PUBLIC | RBAC_TOKEN)) != 0 ||
			    ai == NULL)
				continue;
			if ((entry = json_object_get(data, action)) == NULL) {
				if ((entry = action_entry(ai)) == NULL)
					goto oom;
				json_object_set_new(data, action, entry);
			}
			rel = json_object_get(entry, "related_endpoints");
			for (k = 0; k < json_array_size(rel) &&
			    strcmp(json_string_value(json_array_get(rel, k)), name) != 0; k++)
				;
			if (k == json_array_size(rel))   /* security:update on users and roles: once */
				json_array_append_new(rel, json_string(name));
		}
	}
	if (want != NULL && !found) {
		json_decref(data);
		api_reply_problem(r, 400, 4020, NULL);
		return;
	}
	api_reply_json(r, 200, json_pack("{s:o, s:i}", "data", data, "error", 0));
	return;
oom:
	json_decref(data);
	api_reply_problem(r, 500, 1000, NULL);
}

/* GET /security/resources[?resource=type]: the catalogue's resource types. */
void
api_get_security_resources(struct api_req *r)
{
	const char *want = api_param_get(r, "resource");
	const struct rbac_resource_info *ri;
	json_t *data = json_object();
	char detail[512];
	size_t i, len;

	if (api_check(r, resources_params) == -1) {
		json_decref(data);
		return;
	}
	if (data == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	for (i = 0; (ri = rbac_resource_at(i)) != NULL; i++)
		if (want == NULL || strcmp(want, ri->name) == 0)
			json_object_set_new(data, ri->name, json_pack("{s:s}", "description",
			    ri->description));
	if (want != NULL && json_object_size(data) == 0) {
		/* the spec's enum: connexion answers 400 naming the values */
		len = (size_t)snprintf(detail, sizeof(detail), "'%.64s' is not one of [", want);
		for (i = 0; (ri = rbac_resource_at(i)) != NULL && len < sizeof(detail); i++)
			len += (size_t)snprintf(detail + len, sizeof(detail) - len, "%s'%s'",
			    i > 0 ? ", " : "", ri->name);
		if (len < sizeof(detail))
			snprintf(detail + len, sizeof(detail) - len, "] - 'resource'");
		json_decref(data);
		api_reply_problem(r, 400, 0, detail);
		return;
	}
	api_reply_json(r, 200, json_pack("{s:o, s:i}", "data", data, "error", 0));
}
