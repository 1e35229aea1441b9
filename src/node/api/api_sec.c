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
#include "node/api/rbac_pol.h"
#include "node/core/node.h"
#include "node/registry/registry.h"

#define SEC_META_LIFETIME "security.auth_token_exp_timeout"
#define SEC_META_MODE "security.rbac_mode"
#define SEC_META_REVOKED "security.revoked_ms"
#define SEC_META_RUN_AS_REVOKED "security.run_as_revoked_ms"

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

static void
store_free(struct sec_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nroles; i++) {
		free(st->roles[i].name);
		free(st->roles[i].policies);
		free(st->roles[i].rules);
	}
	for (i = 0; i < st->npolicies; i++) {
		free(st->policies[i].name);
		json_decref(st->policies[i].body);
	}
	for (i = 0; i < st->nrules; i++) {
		free(st->rules[i].name);
		json_decref(st->rules[i].body);
	}
	free(st->roles);
	free(st->policies);
	free(st->rules);
	free(st);
}

static void
cache_clear(struct api_sec *s)
{
	size_t i;

	for (i = 0; i < API_SEC_CACHE; i++) {
		rbac_pol_free(s->cache[i].pol);
		s->cache[i].pol = NULL;
	}
}

/* grow: room for one more element in *v (n of size sz). */
static int
grow(void *vp, size_t n, size_t sz)
{
	void **v = vp, *nv;

	if ((nv = realloc(*v, (n + 1) * sz)) == NULL)
		return -1;
	*v = nv;
	return 0;
}

static int
load_item(void *arg, enum registry_sec_kind k, long long id, const char *name, const char *body,
    long long revoked_ms)
{
	struct sec_store *st = arg;
	struct sec_obj *o;

	if (name == NULL)
		return -1;
	if (k == REGISTRY_SEC_ROLE) {
		if (grow(&st->roles, st->nroles, sizeof(*st->roles)) == -1)
			return -1;
		memset(&st->roles[st->nroles], 0, sizeof(st->roles[0]));
		st->roles[st->nroles].id = id;
		st->roles[st->nroles].revoked_ms = revoked_ms;
		if ((st->roles[st->nroles++].name = strdup(name)) == NULL)
			return -1;
		return 0;
	}
	if (k == REGISTRY_SEC_POLICY) {
		if (grow(&st->policies, st->npolicies, sizeof(*o)) == -1)
			return -1;
		o = &st->policies[st->npolicies++];
	} else {
		if (grow(&st->rules, st->nrules, sizeof(*o)) == -1)
			return -1;
		o = &st->rules[st->nrules++];
	}
	o->id = id;
	o->name = strdup(name);
	o->body = body != NULL ? json_loads(body, 0, NULL) : NULL;
	if (o->name == NULL || o->body == NULL) {
		log_warnx("api: security %s %lld cannot be loaded", k == REGISTRY_SEC_POLICY ?
		    "policy" : "rule", id);
		return -1;
	}
	return 0;
}

static struct sec_role *
store_role(const struct sec_store *st, long long id)
{
	size_t i;

	for (i = 0; st != NULL && i < st->nroles; i++)
		if (st->roles[i].id == id)
			return &st->roles[i];
	return NULL;
}

static int
load_link(void *arg, enum registry_sec_kind k, long long role, long long other)
{
	struct sec_role *r = store_role(arg, role);

	if (r == NULL)
		return 0;     /* a link to a role that is gone: nothing */
	if (k == REGISTRY_SEC_POLICY) {
		if (grow(&r->policies, r->npolicies, sizeof(*r->policies)) == -1)
			return -1;
		r->policies[r->npolicies++] = other;
	} else {
		if (grow(&r->rules, r->nrules, sizeof(*r->rules)) == -1)
			return -1;
		r->rules[r->nrules++] = other;
	}
	return 0;
}

int
api_sec_reload(struct api_sec *s)
{
	struct sec_store *st = calloc(1, sizeof(*st));
	struct registry_sec_cb cb = { load_item, load_link, st };

	if (st == NULL || registry_sec_load(s->node->reg, &cb) == -1) {
		store_free(st);
		log_warnx("api: the security store cannot be read");
		return -1;
	}
	store_free(s->store);
	s->store = st;
	/*
	 * Compiled policies of the old version are never handed out again, but
	 * stay allocated until their slot is reused: the request that changed
	 * the store still checks its next items with its own (as Wazuh decides
	 * a request's permissions once, before it runs).  Freeing them here
	 * left that request reading freed memory.
	 */
	s->version++;
	return 0;
}

const struct sec_role *
api_sec_role(const struct api_sec *s, long long id)
{
	return store_role(s->store, id);
}

static const struct sec_obj *
obj_find(const struct sec_obj *v, size_t n, long long id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

const struct sec_obj *
api_sec_policy(const struct api_sec *s, long long id)
{
	return obj_find(s->store->policies, s->store->npolicies, id);
}

const struct sec_obj *
api_sec_rule(const struct api_sec *s, long long id)
{
	return obj_find(s->store->rules, s->store->nrules, id);
}

const struct rbac_pol *
api_sec_compiled(struct api_sec *s, const int *roles, size_t n)
{
	const struct sec_role *role;
	const struct sec_obj *pol;
	struct rbac_pol *p;
	size_t i, j, slot;

	if (n > sizeof(s->cache[0].roles) / sizeof(s->cache[0].roles[0]))
		n = sizeof(s->cache[0].roles) / sizeof(s->cache[0].roles[0]);
	for (i = 0; i < API_SEC_CACHE; i++)
		if (s->cache[i].pol != NULL && s->cache[i].version == s->version &&
		    s->cache[i].nroles == n && memcmp(s->cache[i].roles, roles, n * sizeof(*roles)) == 0)
			return s->cache[i].pol;
	if ((p = rbac_pol_new()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((role = api_sec_role(s, roles[i])) == NULL)
			continue;
		for (j = 0; j < role->npolicies; j++)
			if ((pol = api_sec_policy(s, role->policies[j])) != NULL &&
			    rbac_pol_add(p, pol->body) == -1) {
				rbac_pol_free(p);
				return NULL;
			}
	}
	slot = s->cache_next++ % API_SEC_CACHE;
	rbac_pol_free(s->cache[slot].pol);
	s->cache[slot].pol = p;
	s->cache[slot].version = s->version;
	s->cache[slot].nroles = n;
	memcpy(s->cache[slot].roles, roles, n * sizeof(*roles));
	return p;
}

size_t
api_sec_rule_roles(const struct api_sec *s, long long uid, const json_t *ctx, int *out,
    size_t cap)
{
	const struct sec_role *role;
	const struct sec_obj *rule;
	size_t i, j, n = 0;

	for (i = 0; i < s->store->nroles && n < cap; i++) {
		role = &s->store->roles[i];
		for (j = 0; j < role->nrules; j++) {
			if ((rule = api_sec_rule(s, role->rules[j])) == NULL ||
			    (rule->id <= 99 && uid != 2))
				continue;
			if (rbac_rule_match(rule->body, ctx)) {
				out[n++] = (int)role->id;
				break;
			}
		}
	}
	return n;
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
	if (meta_ll(n->reg, SEC_META_RUN_AS_REVOKED, 0, 0, (long long)1 << 52, &revoked) == -1)
		goto err;
	s->run_as_revoked_ms = revoked;
	if (api_sec_reload(s) == -1)
		goto err;
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
	store_free(s->store);
	cache_clear(s);
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

char *
api_sec_issue_run_as(struct api_sec *s, const struct registry_user *u, const int *roles,
    size_t nroles)
{
	long long jti = now_ms();
	char *tok;

	if (jti <= s->last_jti)
		jti = s->last_jti + 1;
	if (jti <= u->revoked_ms)
		jti = u->revoked_ms + 1;
	tok = auth_issue_run_as(s->node->auth, u->name, time(NULL), s->token_lifetime, roles,
	    nroles, s->black_mode ? "black" : "white", jti);
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
api_sec_revoke_role(struct api_sec *s, long long role)
{
	long long t = revoke_point(s);
	struct sec_role *r = store_role(s->store, role);

	if (registry_sec_revoke_role(s->node->reg, role, t) == -1)
		return -1;
	if (r != NULL)
		r->revoked_ms = t;
	s->last_jti = t;
	return 0;
}

int
api_sec_revoke_run_as(struct api_sec *s)
{
	long long t = revoke_point(s);

	if (meta_set_ll(s->node->reg, SEC_META_RUN_AS_REVOKED, t) == -1)
		return -1;
	s->run_as_revoked_ms = t;
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
