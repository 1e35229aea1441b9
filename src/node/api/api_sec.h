/* api_sec.h — the API's security state: token settings, revocation, limits (master only). */
#ifndef VIGIL_API_SEC_H
#define VIGIL_API_SEC_H

#include <time.h>

struct node;
struct api_limit;
struct api_verify;
struct registry_user;

struct api_sec {
	struct node *node;
	int token_lifetime;        /* auth_token_exp_timeout, s */
	int black_mode;            /* rbac_mode: 0 white, 1 black */
	long long revoked_ms;      /* every token issued up to this (jti, ms) is revoked */
	long long last_jti;        /* the newest token's jti */
	struct api_limit *limit;
	struct api_verify *verify; /* the login checks' threads */
};

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
