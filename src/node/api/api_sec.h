/* api_sec.h — the API's security state: token settings, revocation, limits (master only). */
#ifndef VIGIL_API_SEC_H
#define VIGIL_API_SEC_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

struct node;
struct rbac_pol;
struct api_limit;
struct api_verify;
struct registry_user;

/* The custom RBAC in memory, as the registry holds it (reloaded after each change). */
struct sec_role {
	long long id;
	char *name;
	long long revoked_ms;          /* tokens carrying it issued up to this are revoked */
	long long *policies;           /* in position order */
	size_t npolicies;
	long long *rules;
	size_t nrules;
};
struct sec_obj {                       /* a policy or a security rule */
	long long id;
	char *name;
	json_t *body;
};
struct sec_store {
	struct sec_role *roles;
	size_t nroles;
	struct sec_obj *policies, *rules;
	size_t npolicies, nrules;
};

#define API_SEC_CACHE 32

struct api_sec {
	struct node *node;
	int token_lifetime;        /* auth_token_exp_timeout, s */
	int black_mode;            /* rbac_mode: 0 white, 1 black */
	long long revoked_ms;      /* every token issued up to this (jti, ms) is revoked */
	long long last_jti;        /* the newest token's jti */
	struct api_limit *limit;
	struct api_verify *verify; /* the login checks' threads */
	long long run_as_revoked_ms; /* run_as tokens issued up to this are revoked */
	struct sec_store *store;
	unsigned long version;     /* of store and mode: compiled policies of another are stale */
	struct {
		unsigned long version;
		int roles[32];
		size_t nroles;
		struct rbac_pol *pol;
	} cache[API_SEC_CACHE];
	size_t cache_next;
};

/* api_sec_reload: reads the custom RBAC again after a change (compiled policies go).  0 / -1. */
int api_sec_reload(struct api_sec *s);
const struct sec_role *api_sec_role(const struct api_sec *s, long long id);
const struct sec_obj *api_sec_policy(const struct api_sec *s, long long id);
const struct sec_obj *api_sec_rule(const struct api_sec *s, long long id);

/*
 * api_sec_compiled: the policies of these roles, in order, compiled (cached
 * by role list and store version).  Owned by the cache: valid while the
 * request that asked is being dispatched.  NULL when out of memory.
 */
const struct rbac_pol *api_sec_compiled(struct api_sec *s, const int *roles, size_t n);

/*
 * api_sec_rule_roles: the roles, in id order, one of whose security rules
 * matches the authorization context ctx (rules up to id 99 only for user
 * 2, wazuh-wui, as Wazuh); how many were written to out (at most cap).
 */
size_t api_sec_rule_roles(const struct api_sec *s, long long uid, const json_t *ctx, int *out,
    size_t cap);

/* api_sec_revoke_role: revokes the tokens that carry role (persisted).  0 / -1. */
int api_sec_revoke_role(struct api_sec *s, long long role);
/* api_sec_revoke_run_as: revokes every run_as token (a security rule changed).  0 / -1. */
int api_sec_revoke_run_as(struct api_sec *s);

/* api_sec_issue_run_as: a run_as token for u carrying roles. */
char *api_sec_issue_run_as(struct api_sec *s, const struct registry_user *u, const int *roles,
    size_t nroles);

/*
 * api_sec_new: loads the security configuration and the global revocation
 * time from the registry (defaults: --token-lifetime, white), and starts the
 * login checks' threads (--login-threads) on n->base.  NULL on failure
 * (logged).  api_sec_free calls back the logins still being checked (-1):
 * free the HTTP server, and its requests, first.
 */
struct api_sec *api_sec_new(struct node *n);
void api_sec_free(struct api_sec *s);

/* api_sec_request: counts one request of user; -1 when over max_request_per_minute. */
int api_sec_request(struct api_sec *s, const char *user, time_t now);

/*
 * api_sec_issue: a token for u with its current roles and the current
 * settings; its jti is later than every revocation.  malloc'd; NULL on failure.
 */
char *api_sec_issue(struct api_sec *s, const struct registry_user *u);

/* api_sec_revoke_all: revokes every token issued so far (persisted).  0 / -1. */
int api_sec_revoke_all(struct api_sec *s);
/* api_sec_revoke_user: revokes every token of user id issued so far (persisted).  0 / -1. */
int api_sec_revoke_user(struct api_sec *s, long long id);

/*
 * api_sec_set_config: sets and persists auth_token_exp_timeout and
 * rbac_mode (lifetime <= 0 or mode NULL: back to the default), then revokes
 * every token.  0 / -1.
 */
int api_sec_set_config(struct api_sec *s, int lifetime, const char *mode);

#endif
