/* api_default.c — GET / and POST /security/user/authenticate. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/http.h>

#include "lib/log.h"
#include "node/api.h"
#include "node/auth.h"
#include "node/registry.h"

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

void
api_login(struct api_req *r)
{
	char user[128], pass[256], hash[AUTH_HASH_MAX];
	const char *h, *raw;
	char *token;
	int want_raw = 0, ok;

	if (api_check(r, login_params) == -1)
		return;
	if ((raw = api_param_get(r, "raw")) != NULL) {
		if ((want_raw = api_parse_bool(raw)) == -1) {
			api_reply_problem(r, 400, 0, "'raw' is not of type 'boolean'");
			return;
		}
	}
	h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
	ok = api_parse_basic_auth(h, user, sizeof(user), pass, sizeof(pass)) == 0;
	/* An unknown user costs a full hash check too: timing does not tell users apart. */
	if (ok && registry_user_get(r->node->reg, user, hash, sizeof(hash)) == -1) {
		hash[0] = '\0';
		ok = 0;
	}
	if (!auth_password_check(ok ? pass : "", ok ? hash : "") || !ok) {
		explicit_bzero(pass, sizeof(pass));
		log_info("api: login failed for a request");
		api_reply_problem(r, 401, 0, "Invalid credentials");
		return;
	}
	explicit_bzero(pass, sizeof(pass));
	if ((token = auth_issue(r->node->auth, user, time(NULL))) == NULL) {
		api_reply_problem(r, 500, 1000, NULL);
		return;
	}
	if (want_raw)
		api_reply_text(r, 200, "text/plain", token);
	else
		api_reply_json(r, 200, json_pack("{s:{s:s}, s:i}", "data", "token", token, "error", 0));
	free(token);
}
