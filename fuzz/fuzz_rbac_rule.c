/*
 * fuzz_rbac_rule.c — libFuzzer target: the custom RBAC's outside input.  The
 * input is "rule\0context\0policy": a security rule (POST /security/rules
 * body) matched against an authorization context (a run_as login body), and
 * a policy (POST /security/policies body) sanitized, validated and, when
 * valid, compiled and evaluated.  Any of them may be missing or not JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "node/api/rbac_pol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *
load(const char *s, size_t len)
{
	return json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *z1, *z2;
	json_t *rule, *ctx, *pol;
	struct rbac_pol *c;
	static const struct rbac_res res[] = {
		{ "agent:id", "001", "default,web" }, { "group:id", "web", NULL },
		{ "*:*", "*", NULL }, { "node:id", "master-node", NULL },
	};
	size_t i;

	z1 = memchr(p, '\0', size);
	z2 = z1 != NULL ? memchr(z1 + 1, '\0', (size_t)(end - z1 - 1)) : NULL;
	rule = load(p, z1 != NULL ? (size_t)(z1 - p) : size);
	ctx = z1 != NULL ? load(z1 + 1, (size_t)((z2 != NULL ? z2 : end) - z1 - 1)) : NULL;
	pol = z2 != NULL ? load(z2 + 1, (size_t)(end - z2 - 1)) : NULL;

	(void)rbac_rule_match(rule, ctx);
	(void)rbac_rule_match(rule, rule);
	if (pol != NULL) {
		rbac_pol_sanitize(pol);
		if (rbac_pol_valid(pol) && (c = rbac_pol_new()) != NULL) {
			if (rbac_pol_add(c, pol) == 0 && rbac_pol_add(c, pol) == 0) {
				json_t *j = rbac_pol_json(c);

				for (i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
					(void)rbac_pol_allows(c, "agent:read", &res[i], 0);
					(void)rbac_pol_may(c, "agent:read", res[i].type, 1);
				}
				json_decref(j);
			}
			rbac_pol_free(c);
		}
	}
	json_decref(rule);
	json_decref(ctx);
	json_decref(pol);
	return 0;
}
