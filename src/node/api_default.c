/* api_default.c — GET / and POST /security/user/authenticate. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/http.h>
#include <openssl/evp.h>

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

/* basic_credentials: decodes "Basic base64(user:pass)".  0 / -1. */
static int
basic_credentials(const char *h, char *user, size_t ucap, char *pass, size_t pcap)
{
	unsigned char dec[512];
	size_t inlen;
	int n;
	char *colon;

	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return -1;
	h += 6;
	while (*h == ' ')
		h++;
	inlen = strlen(h);
	if (inlen == 0 || inlen % 4 != 0 || inlen / 4 * 3 >= sizeof(dec))
		return -1;
	n = EVP_DecodeBlock(dec, (const unsigned char *)h, (int)inlen);
	if (n < 0)
		return -1;
	/* EVP_DecodeBlock counts the '=' padding as zero bytes. */
	if (inlen >= 1 && h[inlen - 1] == '=')
		n--;
	if (inlen >= 2 && h[inlen - 2] == '=')
		n--;
	dec[n] = '\0';
	if (memchr(dec, '\0', (size_t)n) != NULL || (colon = strchr((char *)dec, ':')) == NULL)
		return -1;
	*colon = '\0';
	if (strlen((char *)dec) >= ucap || strlen(colon + 1) >= pcap)
		return -1;
	memcpy(user, dec, strlen((char *)dec) + 1);
	memcpy(pass, colon + 1, strlen(colon + 1) + 1);
	explicit_bzero(dec, sizeof(dec));
	return 0;
}

static const char *const login_params[] = { "pretty", "wait_for_complete", "raw", NULL };

void
api_login(struct api_req *r)
{
	char user[128], pass[256], hash[AUTH_HASH_MAX];
	const char *h, *raw;
	char *token;
	int want_raw = 0;

	if (api_check(r, login_params) == -1)
		return;
	if ((raw = api_param_get(r, "raw")) != NULL) {
		if ((want_raw = api_parse_bool(raw)) == -1) {
			api_reply_problem(r, 400, 0, "'raw' is not of type 'boolean'");
			return;
		}
	}
	h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
	if (basic_credentials(h, user, sizeof(user), pass, sizeof(pass)) == -1 ||
	    registry_user_get(r->node->reg, user, hash, sizeof(hash)) == -1 ||
	    !auth_password_check(pass, hash)) {
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
