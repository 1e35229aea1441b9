/* api_sec.c — the API's security state: token settings and revocation (persisted), limits. */
#include "node/api/api_sec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "node/api/api_limit.h"
#include "node/api/api_verify.h"
#include "node/api/auth.h"
#include "node/core/node.h"
#include "node/registry/registry.h"

#define SEC_META_LIFETIME "security.auth_token_exp_timeout"
#define SEC_META_MODE "security.rbac_mode"
#define SEC_META_REVOKED "security.revoked_ms"

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* meta_ll: a stored integer, def when absent; -1 (logged) when malformed. */
static int
meta_ll(struct registry *r, const char *key, long long def, long long min, long long max,
    long long *out)
{
	char buf[64], *end;
	long long v;

	if (registry_meta_get(r, key, buf, sizeof(buf)) == -1) {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || end == buf || *end != '\0' || v < min || v > max) {
		log_warnx("api: registry meta %s: bad value '%s'", key, buf);
		return -1;
	}
	*out = v;
	return 0;
}

static int
meta_set_ll(struct registry *r, const char *key, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return registry_meta_set(r, key, buf);
}

struct api_sec *
api_sec_new(struct node *n)
{
	struct api_limit_conf lc;
	struct api_sec *s;
	long long lifetime, revoked;
	char mode[16];

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("api: security state");
		return NULL;
	}
	s->node = n;
	/* A stored lifetime of 0 means "the default": --token-lifetime. */
	if (meta_ll(n->reg, SEC_META_LIFETIME, 0, 0, 86400LL * 365, &lifetime) == -1 ||
	    meta_ll(n->reg, SEC_META_REVOKED, 0, 0, (long long)1 << 52, &revoked) == -1)
		goto err;
	s->token_lifetime = lifetime > 0 ? (int)lifetime : n->cfg.token_lifetime;
	s->revoked_ms = revoked;
	s->last_jti = revoked;
	if (registry_meta_get(n->reg, SEC_META_MODE, mode, sizeof(mode)) == 0) {
		if (strcmp(mode, "black") != 0 && strcmp(mode, "white") != 0) {
			log_warnx("api: registry meta %s: bad value '%s'", SEC_META_MODE, mode);
			goto err;
		}
		s->black_mode = strcmp(mode, "black") == 0;
	}
	if (s->token_lifetime != n->cfg.token_lifetime)
		log_info("api: token lifetime %d s, set through PUT /security/config",
		    s->token_lifetime);
	lc.max_login_attempts = n->cfg.max_login_attempts;
	lc.block_time = n->cfg.block_time;
	lc.max_per_minute = n->cfg.max_request_per_minute;
	lc.logins_per_source = n->cfg.max_logins_per_source;
	lc.logins_per_user = n->cfg.max_logins_per_user;
	if ((s->limit = api_limit_new(&lc)) == NULL) {
		log_warn("api: limits");
		goto err;
	}
	if ((s->verify = api_verify_new(n->base, n->cfg.login_threads,
	    (size_t)n->cfg.login_queue)) == NULL)
		goto err;
	return s;
err:
	api_sec_free(s);
	return NULL;
}

void
api_sec_free(struct api_sec *s)
{
	if (s == NULL)
		return;
	api_verify_free(s->verify);
	api_limit_free(s->limit);
	free(s);
}

int
api_sec_request(struct api_sec *s, const char *user, time_t now)
{
	return api_limit_request(s->limit, user, now);
}

char *
api_sec_issue(struct api_sec *s, const struct registry_user *u)
{
	long long jti = now_ms();
	char *tok;

	/* Later than every revocation and every earlier token, even if the clock stepped back. */
	if (jti <= s->last_jti)
		jti = s->last_jti + 1;
	if (jti <= u->revoked_ms)
		jti = u->revoked_ms + 1;
	tok = auth_issue_claims(s->node->auth, u->name, time(NULL), s->token_lifetime, u->roles,
	    u->nroles, s->black_mode ? "black" : "white", jti);
	if (tok != NULL)
		s->last_jti = jti;
	return tok;
}

/* revoke_point: a time that covers every token issued so far. */
static long long
revoke_point(struct api_sec *s)
{
	long long t = now_ms();

	return t > s->last_jti ? t : s->last_jti;
}

int
api_sec_revoke_all(struct api_sec *s)
{
	long long t = revoke_point(s);

	if (meta_set_ll(s->node->reg, SEC_META_REVOKED, t) == -1)
		return -1;
	s->revoked_ms = t;
	s->last_jti = t;
	return 0;
}

int
api_sec_revoke_user(struct api_sec *s, long long id)
{
	long long t = revoke_point(s);

	if (registry_user_revoke(s->node->reg, id, t) == -1)
		return -1;
	s->last_jti = t;
	return 0;
}

int
api_sec_set_config(struct api_sec *s, int lifetime, const char *mode)
{
	struct registry *r = s->node->reg;

	if (lifetime < 0)
		lifetime = 0;
	if (mode == NULL)
		mode = "white";
	if (meta_set_ll(r, SEC_META_LIFETIME, lifetime) == -1 ||
	    registry_meta_set(r, SEC_META_MODE, mode) == -1)
		return -1;
	s->token_lifetime = lifetime > 0 ? lifetime : s->node->cfg.token_lifetime;
	s->black_mode = strcmp(mode, "black") == 0;
	return api_sec_revoke_all(s);
}
