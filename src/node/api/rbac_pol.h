/*
 * rbac_pol.h — Wazuh 4.12's custom RBAC, pure: policies checked as its
 * PoliciesManager does, compiled as its PreProcessor does, evaluated per
 * resource as its expose_resources decorator does, and the security rules
 * that map an authorization context to roles (auth_context.py).
 */
#ifndef VIGIL_RBAC_POL_H
#define VIGIL_RBAC_POL_H

#include <stddef.h>
#include <jansson.h>

/*
 * rbac_pol_sanitize: policy as Wazuh's sanitize_rbac_policy leaves it:
 * actions, resource types and effect in lower case (in place).  Then
 * rbac_pol_valid: 1 when policy is exactly {actions: [action...],
 * resources: [resource...], effect: "allow"|"deny"} with every action
 * "name:verb" and every resource "type:attr:value" (at most two joined by
 * '&'), as PoliciesManager.add_policy accepts; else 0 (Wazuh's 4006).
 */
void rbac_pol_sanitize(json_t *policy);
int rbac_pol_valid(const json_t *policy);

/* One compiled grant: action on resource ("agent:id:001", "*:*:*", "a&b"). */
struct rbac_grant {
	char *action;
	char *resource;
	int allow;
};

/* A user's policies compiled (Wazuh's optimize_resources), in its order. */
struct rbac_pol {
	struct rbac_grant *v;
	size_t n, cap;
};

/* rbac_pol_new: an empty set (denies everything in white mode).  NULL on failure. */
struct rbac_pol *rbac_pol_new(void);
void rbac_pol_free(struct rbac_pol *p);

/*
 * rbac_pol_add: appends one valid policy as PreProcessor.process_policy
 * does: per action, each resource replaces what it covers ("agent:id:*"
 * replaces every earlier "agent:id:..." and "agent:group:..." grant), so a
 * later policy overrides an earlier one.  0 / -1 (no memory).
 */
int rbac_pol_add(struct rbac_pol *p, const json_t *policy);

/* A concrete resource a request needs. */
struct rbac_res {
	const char *type;            /* "agent:id", "group:id", "node:id", "user:id", "role:id",
	                                "policy:id", "rule:id", or "*:*" (resourceless) */
	const char *value;           /* "001", "web", ...; "*" for "*:*" */
	const char *groups;          /* an agent's groups, comma-separated ("agent:group" grants) */
};

/*
 * rbac_pol_allows: whether action is allowed on res: the last grant of the
 * action that covers res decides; none covers it: allowed in black mode
 * only.  "agent:group:G" covers the agents in group G.
 */
int rbac_pol_allows(const struct rbac_pol *p, const char *action, const struct rbac_res *res,
    int black);

/*
 * rbac_pol_may: whether action may be allowed on some resource of type
 * (the check a route makes before its handler filters item by item).
 */
int rbac_pol_may(const struct rbac_pol *p, const char *action, const char *type, int black);

/* rbac_pol_json: {action: {resource: effect}} as Wazuh's processed policies.  New reference. */
json_t *rbac_pol_json(const struct rbac_pol *p);

/*
 * rbac_rule_match: whether a security rule (AND/OR/NOT of MATCH, MATCH$,
 * FIND, FIND$; "r'...'" strings are regular expressions) matches the
 * authorization context, as Wazuh's RBAChecker.check_rule.
 */
int rbac_rule_match(const json_t *rule, const json_t *auth_context);

#endif
