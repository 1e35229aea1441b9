/* api_default.c — GET / and POST /security/user/authenticate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/http.h>

#include "lib/log.h"
#include "node/api/api.h"
#include "node/api/api_limit.h"
#include "node/api/api_verify.h"
#include "node/api/api_sec.h"
#include "node/api/auth.h"
#include "node/registry/registry.h"

static const char *const root_params[] = { "pretty", "wait_for_complete", NULL };

void
api_get_root(struct api_req *r)
{
	json_t *data;
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	if (api_check(r, root_params) == -1)
		return;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "title", "Wazuh API REST",
	    "api_version", VIGIL_WAZUH_API_VERSION,
	    "revision", "41200",
	    "license_name", "GPL 2.0",
	    "license_url", "https://github.com/wazuh/wazuh/blob/v4.12.0/LICENSE",
	    "hostname", r->node->hostname,
	    "timestamp", ts);
	api_reply_json(r, 200, json_pack("{s:o, s:i}", "data", data, "error", 0));
}

static const char *const login_params[] = { "pretty", "wait_for_complete", "raw", NULL };

/* api_peer: the client's address as text ("" when unknown). */
static void
api_peer(struct api_req *r, char *ip, size_t cap)
{
	struct evhttp_connection *c = evhttp_request_get_connection(r->req);
	char *addr = NULL;
	ev_uint16_t port;

	if (c != NULL)
		evhttp_connection_get_peer(c, &addr, &port);
	snprintf(ip, cap, "%s", addr != NULL ? addr : "");
}

/*
 * A login whose password is being checked (api_verify.c).  It holds the
 * request until the check comes back (api_hold).
 */
struct login {
	struct node *node;
	struct api_held held;
	char user[128];
	char ip[64];
	char hash[AUTH_HASH_MAX];        /* the hash checked; "" for no such user */
	int want_raw;
	json_t *ctx;                     /* run_as: the authorization context, else NULL */
};

static void
login_free(struct login *l)
{
	struct api_req r;

	(void)api_resume(&l->held, &r);
	explicit_bzero(l->hash, sizeof(l->hash));
	json_decref(l->ctx);
	free(l);
}

/* login_answer: the token for l's user, as JSON or raw text. */
static void
login_answer(struct login *l, struct api_req *r)
{
	struct registry_user u;
	char *token;
	int found;

	/*
	 * The user as it is now: removed, or given a new password, while its
	 * old one was being checked, it does not log in.
	 */
	found = registry_user_find(l->node->reg, l->user, &u);
	if (found == -1) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (found == 0 || strcmp(u.hash, l->hash) != 0) {
		explicit_bzero(u.hash, sizeof(u.hash));
		api_reply_problem(r, 401, 0, "Invalid credentials");
		return;
	}
	explicit_bzero(u.hash, sizeof(u.hash));
	if (l->ctx != NULL) {
		/* Wazuh's get_permissions: only a user allowed to run as, with the roles its rules give */
		int roles[AUTH_ROLES_MAX];
		size_t n;

		if (!u.allow_run_as) {
			api_reply_problem(r, 403, 6004, NULL);
			return;
		}
		n = api_sec_rule_roles(l->node->api_sec, u.id, l->ctx, roles, AUTH_ROLES_MAX);
		token = api_sec_issue_run_as(l->node->api_sec, &u, roles, n);
	} else
		token = api_sec_issue(l->node->api_sec, &u);
	if (token == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (l->want_raw)
		api_reply_text(r, 200, "text/plain", token);
	else
		api_reply_json(r, 200, json_pack("{s:{s:s}, s:i}", "data", "token", token, "error", 0));
	free(token);
}

/*
 * login_checked: the password check's result, on the loop.  A failure counts
 * toward the address's lock-out even when its client has gone: hanging up
 * early must not dodge it.
 */
static void
login_checked(void *arg, int ok)
{
	struct login *l = arg;
	struct api_req r;

	l->node->stats.logins_checking = api_verify_pending(l->node->api_sec->verify);
	if (ok == 0 || (ok == 1 && l->hash[0] == '\0')) {
		log_info("api: login failed from %s", l->ip);
		api_limit_login_failed(l->node->api_sec->limit, l->ip, time(NULL));
	}
	if (api_resume(&l->held, &r)) {
		if (ok == -1)
			api_reply_problem(&r, 500, 1000, NULL);
		else if (ok == 0 || l->hash[0] == '\0')
			api_reply_problem(&r, 401, 0, "Invalid credentials");
		else
			login_answer(l, &r);
	}
	login_free(l);
}

/*
 * login_refused: answers 429 (6001) and counts it; logs at most once a
 * second (a flood would fill the log).
 */
static void
login_refused(struct api_req *r, const char *ip, const char *why)
{
	static time_t last;
	time_t now = time(NULL);

	r->node->stats.logins_refused++;
	if (now != last) {
		last = now;
		log_warnx("api: login from %s refused: %s (%llu refused so far)", ip, why,
		    (unsigned long long)r->node->stats.logins_refused);
	}
	api_reply_problem(r, 429, 6001, NULL);
}

/*
 * api_login: Basic credentials for a token.  As Wazuh, an address with
 * max_login_attempts failed logins is refused (403, 6000) until block_time
 * has passed since its first failure; only failures count there.  Every
 * attempt, successful or not, counts toward the logins per address and per
 * user name a minute (429, 6001).  The password is checked off the loop
 * (api_verify.c); when the checks' queue is full the login is refused at
 * once (429, 6001) rather than queued behind a crowd.  An unknown user, or
 * malformed credentials, cost a full check too: timing does not tell users
 * apart.
 */
static void login_start(struct api_req *r, json_t *ctx);

void
api_login(struct api_req *r)
{
	login_start(r, NULL);
}

/*
 * api_login_run_as: POST /security/user/authenticate/run_as: a login as
 * api_login's whose body is an authorization context (a JSON object): the
 * token's roles are those whose security rules match it.
 */
void
api_login_run_as(struct api_req *r)
{
	json_t *ctx;
	char *body;
	size_t len;

	if (api_check(r, login_params) == -1)
		return;
	if (!api_content_type_is(r, "application/json")) {
		api_reply_problem(r, 406, 6002, NULL);
		return;
	}
	if ((body = api_body(r, &len)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	ctx = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	free(body);
	if (!json_is_object(ctx)) {
		json_decref(ctx);
		api_reply_problem(r, 400, 0, "Body request is not a valid JSON object");
		return;
	}
	login_start(r, ctx);
}

/* login_start: api_login, with the authorization context ctx (owned) for run_as. */
static void
login_start(struct api_req *r, json_t *ctx)
{
	char user[128], pass[256];
	struct registry_user u;
	struct api_sec *sec = r->node->api_sec;
	struct login *l;
	const char *h, *raw;
	enum api_limit_login lim;
	int want_raw = 0, ok;
	time_t now = time(NULL);

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		json_decref(ctx);
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	l->node = r->node;
	l->ctx = ctx;
	api_peer(r, l->ip, sizeof(l->ip));
	if (api_limit_blocked(sec->limit, l->ip, now)) {
		log_warnx("api: IP blocked due to exceeded number of logins attempts: %s", l->ip);
		api_reply_problem_node(r, 403, 6000, NULL, NULL);
		goto out;
	}
	if (api_check(r, login_params) == -1)
		goto out;
	if ((raw = api_param_get(r, "raw")) != NULL) {
		if ((want_raw = api_parse_bool(raw)) == -1) {
			api_reply_problem(r, 400, 0, "'raw' is not of type 'boolean'");
			goto out;
		}
	}
	memset(&u, 0, sizeof(u));
	h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
	ok = api_parse_basic_auth(h, user, sizeof(user), pass, sizeof(pass)) == 0;
	if (!ok)
		user[0] = pass[0] = '\0';
	if ((lim = api_limit_login(sec->limit, l->ip, user, now)) != API_LIMIT_LOGIN_OK) {
		login_refused(r, l->ip, lim == API_LIMIT_LOGIN_SOURCE ?
		    "too many logins from this address" : "too many logins as this user");
		goto out;
	}
	if (ok && registry_user_find(r->node->reg, user, &u) == 1)
		memcpy(l->hash, u.hash, sizeof(l->hash));
	explicit_bzero(u.hash, sizeof(u.hash));
	l->want_raw = want_raw;
	snprintf(l->user, sizeof(l->user), "%s", user);
	if (api_verify_submit(sec->verify, pass, l->hash, login_checked, l) == -1) {
		login_refused(r, l->ip, "the password checks' queue is full");
		goto out;
	}
	explicit_bzero(pass, sizeof(pass));
	r->node->stats.logins_checking = api_verify_pending(sec->verify);
	/* The request waits for login_checked; the loop goes on. */
	api_hold(&l->held, r);
	return;
out:
	explicit_bzero(pass, sizeof(pass));
	login_free(l);
}
