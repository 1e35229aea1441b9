/*
 * api_limit.h — the API's login lock-out (per IP), login rate limits (per
 * address and per user name) and request rate limit (per user); pure.
 */
#ifndef VIGIL_API_LIMIT_H
#define VIGIL_API_LIMIT_H

#include <stddef.h>
#include <time.h>

/* At most this many IPs and users are tracked each; the oldest is forgotten first. */
#define API_LIMIT_MAX_KEYS 4096

struct api_limit;

/*
 * The limits.  Every rate is counted in a window of 60 s that starts with the
 * first event counted in it; 0 turns a limit off.
 */
struct api_limit_conf {
	/*
	 * max_login_attempts failed logins from one IP, counted from the first,
	 * block that IP until block_time seconds after that first failure
	 * (Wazuh's max_login_attempts and block_time).
	 */
	int max_login_attempts;
	int block_time;
	int max_per_minute;        /* requests per user (Wazuh's max_request_per_minute) */
	int logins_per_source;     /* login attempts per address, successful ones included */
	int logins_per_user;       /* login attempts per user name, successful ones included */
};

/* api_limit_new: the limits of c.  NULL on allocation failure. */
struct api_limit *api_limit_new(const struct api_limit_conf *c);
void api_limit_free(struct api_limit *l);

/* api_limit_blocked: 1 when ip may not try to log in now (forgets an expired block). */
int api_limit_blocked(struct api_limit *l, const char *ip, time_t now);
/* api_limit_login_failed: counts a failed login from ip. */
void api_limit_login_failed(struct api_limit *l, const char *ip, time_t now);
/* api_limit_request: counts a request of user; 0 allowed, -1 over the limit. */
int api_limit_request(struct api_limit *l, const char *user, time_t now);

enum api_limit_login {
	API_LIMIT_LOGIN_OK = 0,
	API_LIMIT_LOGIN_SOURCE,     /* too many logins from this address */
	API_LIMIT_LOGIN_USER,       /* too many logins as this user name */
};

/*
 * api_limit_login: counts a login attempt as user from ip, whatever its
 * outcome will be, and says whether it may go on.  The address is counted
 * first; an attempt refused for its address does not count against the user
 * name.  Names that are not users count as well: the answer must not tell
 * them apart.
 */
enum api_limit_login api_limit_login(struct api_limit *l, const char *ip, const char *user,
    time_t now);

#endif
