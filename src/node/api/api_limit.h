/* api_limit.h — the API's login lock-out (per IP) and request rate limit (per user); pure. */
#ifndef VIGIL_API_LIMIT_H
#define VIGIL_API_LIMIT_H

#include <stddef.h>
#include <time.h>

/* At most this many IPs and users are tracked each; the oldest is forgotten first. */
#define API_LIMIT_MAX_KEYS 4096

struct api_limit;

/*
 * api_limit_new: max_login_attempts failed logins from one IP, counted from
 * the first, block that IP until block_time seconds after that first
 * failure (Wazuh's max_login_attempts and block_time; 0 attempts disables
 * it).  A user may make max_per_minute requests in a window of 60 s that
 * starts with its first request (Wazuh's max_request_per_minute; 0
 * disables it).  NULL on allocation failure.
 */
struct api_limit *api_limit_new(int max_login_attempts, int block_time, int max_per_minute);
void api_limit_free(struct api_limit *l);

/* api_limit_blocked: 1 when ip may not try to log in now (forgets an expired block). */
int api_limit_blocked(struct api_limit *l, const char *ip, time_t now);
/* api_limit_login_failed: counts a failed login from ip. */
void api_limit_login_failed(struct api_limit *l, const char *ip, time_t now);
/* api_limit_request: counts a request of user; 0 allowed, -1 over the limit. */
int api_limit_request(struct api_limit *l, const char *user, time_t now);

#endif
