/* auth.h — API users' passwords and JWT tokens (ES512, as Wazuh issues them). */
#ifndef VIGIL_AUTH_H
#define VIGIL_AUTH_H

#include <stddef.h>
#include <time.h>

#define AUTH_HASH_MAX 160

enum auth_verdict {
	AUTH_OK = 0,
	AUTH_INVALID = -1,   /* "Invalid token" */
	AUTH_EXPIRED = -2,   /* "Token expired" */
};

struct auth;

/*
 * auth_new: loads the ES512 (P-521) signing key from key_path, creating it
 * (0600) when missing.  lifetime is the token lifetime in seconds (900).
 * NULL on failure (logged).  Owner frees with auth_free.
 */
struct auth *auth_new(const char *key_path, int lifetime);
void auth_free(struct auth *a);

/*
 * auth_issue: a signed JWT for user with Wazuh's claims (iss "wazuh",
 * aud "Wazuh API REST", nbf = now, exp = now + lifetime, sub, run_as false,
 * rbac_roles [1], rbac_mode "white").  Returns a malloc'd string the caller frees, or NULL.
 */
char *auth_issue(struct auth *a, const char *user, time_t now);

/*
 * auth_issue_claims: the same with the caller's lifetime, role ids and
 * rbac_mode, plus "jti": the issue time in milliseconds as a decimal string,
 * which the API makes unique and compares with revocation times (nbf has
 * one-second resolution, too coarse to tell a token revoked from one issued
 * just after the revocation).
 */
char *auth_issue_claims(struct auth *a, const char *user, time_t now, int lifetime,
    const int *roles, size_t nroles, const char *rbac_mode, long long jti);

/*
 * auth_issue_run_as: the same for a token got through an authorization
 * context: "run_as" true, roles those its rules gave.
 */
char *auth_issue_run_as(struct auth *a, const char *user, time_t now, int lifetime,
    const int *roles, size_t nroles, const char *rbac_mode, long long jti);

#define AUTH_ROLES_MAX 64
struct auth_token {
	char user[128];        /* sub */
	int roles[AUTH_ROLES_MAX]; /* rbac_roles (more than this: the token is refused) */
	size_t nroles;
	int run_as;
	char rbac_mode[8];     /* "" when absent */
	long long nbf, exp;
	long long jti;         /* issue time in ms (nbf * 1000 when the claim is absent) */
};

/*
 * auth_bearer: the token of an "Authorization: Bearer <token>" header value
 * h (scheme case-insensitive, blanks around the token skipped), or NULL when
 * h is NULL, of another scheme, or has no token.  Points into h; the token
 * ends at h's end or at trailing blanks, which auth_bearer_len leaves out.
 */
const char *auth_bearer(const char *h);
size_t auth_bearer_len(const char *token);

/* auth_verify_claims: checks signature, iss, aud and times; on AUTH_OK fills t. */
enum auth_verdict auth_verify_claims(struct auth *a, const char *token, time_t now,
    struct auth_token *t);

/* auth_verify: checks signature, iss, aud and times; on AUTH_OK copies sub into user. */
enum auth_verdict auth_verify(struct auth *a, const char *token, time_t now, char *user, size_t cap);

/* auth_password_hash: PBKDF2-HMAC-SHA256 with a random salt, "pbkdf2$iter$salthex$hashhex". 0 / -1. */
int auth_password_hash(const char *password, char out[AUTH_HASH_MAX]);
/* auth_password_check: 1 when password matches hash (constant-time compare), else 0. */
int auth_password_check(const char *password, const char *hash);

/*
 * The same, for a thread that may be told to stop: stop(arg) (NULL: never)
 * is asked every thousand rounds or so (under a millisecond), and once it
 * returns nonzero the work is given up.  A stored hash may ask for
 * 10,000,000 rounds: seconds of CPU, a minute in a sanitizer build.
 * auth_password_check_until: 1 match, 0 no match, -1 stopped.
 * auth_password_hash_until: 0 made; -1 failed or stopped (out is then "").
 */
int auth_password_check_until(const char *password, const char *hash, int (*stop)(void *),
    void *arg);
int auth_password_hash_until(const char *password, char out[AUTH_HASH_MAX], int (*stop)(void *),
    void *arg);

#endif
