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
 * api_login: Basic credentials for a token.  As Wazuh, an address with
 * max_login_attempts failed logins is refused (403, 6000) until block_time
 * has passed since its first failure; only failures count.
 */
void
api_login(struct api_req *r)
{
	char user[128], pass[256], ip[64];
	struct registry_user u;
	struct api_limit *lim = r->node->api_sec->limit;
	const char *h, *raw;
	char *token;
	int want_raw = 0, ok;
	time_t now = time(NULL);

	api_peer(r, ip, sizeof(ip));
	if (api_limit_blocked(lim, ip, now)) {
		log_warnx("api: IP blocked due to exceeded number of logins attempts: %s", ip);
		api_reply_problem_node(r, 403, 6000, NULL, NULL);
		return;
	}
	if (api_check(r, login_params) == -1)
		return;
	if ((raw = api_param_get(r, "raw")) != NULL) {
		if ((want_raw = api_parse_bool(raw)) == -1) {
			api_reply_problem(r, 400, 0, "'raw' is not of type 'boolean'");
			return;
		}
	}
	memset(&u, 0, sizeof(u));
	h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
	ok = api_parse_basic_auth(h, user, sizeof(user), pass, sizeof(pass)) == 0;
	/* An unknown user costs a full hash check too: timing does not tell users apart. */
	if (ok && registry_user_find(r->node->reg, user, &u) != 1) {
		u.hash[0] = '\0';
		ok = 0;
	}
	if (!auth_password_check(ok ? pass : "", ok ? u.hash : "") || !ok) {
		explicit_bzero(pass, sizeof(pass));
		explicit_bzero(u.hash, sizeof(u.hash));
		log_info("api: login failed from %s", ip);
		api_limit_login_failed(lim, ip, now);
		api_reply_problem(r, 401, 0, "Invalid credentials");
		return;
	}
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(u.hash, sizeof(u.hash));
	if ((token = api_sec_issue(r->node->api_sec, &u)) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (want_raw)
		api_reply_text(r, 200, "text/plain", token);
	else
		api_reply_json(r, 200, json_pack("{s:{s:s}, s:i}", "data", "token", token, "error", 0));
	free(token);
}
