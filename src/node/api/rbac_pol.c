/* rbac_pol.c — Wazuh 4.12's custom RBAC: policies, their evaluation, security rules (pure). */
#include "node/api/rbac_pol.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define POL_MAX_LEN 512

/* word: [A-Za-z0-9_] plus the characters in extra (Python's \w, ASCII). */
static int
pol_chars(const char *s, size_t n, const char *extra)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && strchr(extra, s[i]) == NULL)
			return 0;
	return 1;
}

/* action_ok: ^[a-zA-Z_\-]+:[a-zA-Z_\-]+$ */
static int
action_ok(const char *a)
{
	const char *c = strchr(a, ':');
	size_t i;

	if (c == NULL || strchr(c + 1, ':') != NULL || c == a || c[1] == '\0')
		return 0;
	for (i = 0; a[i] != '\0'; i++)
		if (a + i != c && !isalpha((unsigned char)a[i]) && a[i] != '_' && a[i] != '-')
			return 0;
	return 1;
}

/* one_resource_ok: ^[a-zA-Z_\-*]+:[\w_\-*]+:[\w_\-\/.*]+$ over s[0..n) */
static int
one_resource_ok(const char *s, size_t n)
{
	const char *c1 = memchr(s, ':', n), *c2;
	size_t i;

	if (c1 == NULL || (c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - s))) == NULL)
		return 0;
	for (i = 0; i < (size_t)(c1 - s); i++)
		if (!isalpha((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '*')
			return 0;
	return c1 > s && pol_chars(c1 + 1, (size_t)(c2 - c1 - 1), "-*") &&
	    pol_chars(c2 + 1, n - (size_t)(c2 + 1 - s), "-/.*");
}

/* resource_ok: one resource, or two joined by '&' (the preprocessor's limit). */
static int
resource_ok(const char *r)
{
	const char *amp = strchr(r, '&');

	if (strlen(r) > POL_MAX_LEN)
		return 0;
	if (amp == NULL)
		return one_resource_ok(r, strlen(r));
	return strchr(amp + 1, '&') == NULL && one_resource_ok(r, (size_t)(amp - r)) &&
	    one_resource_ok(amp + 1, strlen(amp + 1));
}

static void
lower(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
}

static void
set_lowered(json_t *arr, size_t i, int keep_value)
{
	const char *s = json_string_value(json_array_get(arr, i));
	char buf[POL_MAX_LEN + 1], *p, *last;
	size_t n;

	if (s == NULL || (n = strlen(s)) > POL_MAX_LEN)
		return;
	memcpy(buf, s, n + 1);
	if (!keep_value) {
		lower(buf, n);
	} else {
		/* each '&' part: all but what follows its last ':' */
		for (p = buf; p != NULL; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
			char *end = strchr(p, '&');
			size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

			last = NULL;
			for (n = 0; n < len; n++)
				if (p[n] == ':')
					last = p + n;
			if (last != NULL)
				lower(p, (size_t)(last - p));
		}
	}
	json_array_set_new(arr, i, json_string(buf));
}

void
rbac_pol_sanitize(json_t *policy)
{
	json_t *a = json_object_get(policy, "actions"), *r = json_object_get(policy, "resources");
	json_t *e = json_object_get(policy, "effect");
	char buf[16];
	size_t i;

	for (i = 0; json_is_array(a) && i < json_array_size(a); i++)
		set_lowered(a, i, 0);
	for (i = 0; json_is_array(r) && i < json_array_size(r); i++)
		set_lowered(r, i, 1);
	if (json_is_string(e) && json_string_length(e) < sizeof(buf)) {
		memcpy(buf, json_string_value(e), json_string_length(e) + 1);
		lower(buf, strlen(buf));
		json_object_set_new(policy, "effect", json_string(buf));
	}
}

int
rbac_pol_valid(const json_t *policy)
{
	const json_t *a = json_object_get(policy, "actions"), *r = json_object_get(policy, "resources");
	const char *e = json_string_value(json_object_get(policy, "effect"));
	size_t i;

	if (!json_is_object(policy) || json_object_size(policy) != 3 || !json_is_array(a) ||
	    !json_is_array(r) || e == NULL || (strcmp(e, "allow") != 0 && strcmp(e, "deny") != 0) ||
	    json_array_size(a) == 0 || json_array_size(r) == 0)
		return 0;
	for (i = 0; i < json_array_size(a); i++)
		if (!json_is_string(json_array_get(a, i)) ||
		    !action_ok(json_string_value(json_array_get(a, i))))
			return 0;
	for (i = 0; i < json_array_size(r); i++)
		if (!json_is_string(json_array_get(r, i)) ||
		    !resource_ok(json_string_value(json_array_get(r, i))))
			return 0;
	return 1;
}

struct rbac_pol *
rbac_pol_new(void)
{
	return calloc(1, sizeof(struct rbac_pol));
}

void
rbac_pol_free(struct rbac_pol *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->v[i].action);
		free(p->v[i].resource);
	}
	free(p->v);
	free(p);
}

static void
grant_drop(struct rbac_pol *p, size_t i)
{
	free(p->v[i].action);
	free(p->v[i].resource);
	memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof(p->v[0]));
	p->n--;
}

/* last_value: what follows a resource part's last ':' (s[0..n)). */
static const char *
last_value(const char *s, size_t n, size_t *vlen)
{
	size_t i = n;

	while (i > 0 && s[i - 1] != ':')
		i--;
	*vlen = n - i;
	return s + i;
}

/* part: the i-th '&' part of r, its length in *n; NULL when there is none. */
static const char *
part(const char *r, size_t i, size_t *n)
{
	const char *amp;

	for (; i > 0; i--) {
		if ((amp = strchr(r, '&')) == NULL)
			return NULL;
		r = amp + 1;
	}
	amp = strchr(r, '&');
	*n = amp != NULL ? (size_t)(amp - r) : strlen(r);
	return r;
}

static size_t
nparts(const char *r)
{
	size_t n = 1;

	for (; *r != '\0'; r++)
		n += *r == '&';
	return n;
}

/* remove_previous: PreProcessor.remove_previous_elements for resource res of action. */
static void
remove_previous(struct rbac_pol *p, const char *action, const char *res)
{
	size_t i = 0, k, np = nparts(res), an, nn, vl;
	const char *a, *nw, *v;
	char prefix[POL_MAX_LEN + 1];

	if (np > 1) {
		while (i < p->n) {
			size_t counter = 0;

			if (strcmp(p->v[i].action, action) != 0 || nparts(p->v[i].resource) != np) {
				i++;
				continue;
			}
			for (k = 0; k < np; k++) {
				a = part(p->v[i].resource, k, &an);
				nw = part(res, k, &nn);
				v = last_value(nw, nn, &vl);
				if ((vl == 1 && *v == '*') || (an == nn && memcmp(a, nw, an) == 0))
					counter++;
			}
			if (counter == np)
				grant_drop(p, i);
			else
				i++;
		}
		return;
	}
	v = last_value(res, strlen(res), &vl);
	if (vl == 1 && *v == '*')
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(v - res > 0 ? v - res - 1 : 0), res);
	while (i < p->n) {
		const char *key = p->v[i].resource;

		if (strcmp(p->v[i].action, action) == 0 && (strcmp(key, res) == 0 ||
		    (vl == 1 && *v == '*' && strchr(key, '&') == NULL &&
		    (strncmp(key, prefix, strlen(prefix)) == 0 || strncmp(key, "agent:group", 11) == 0))))
			grant_drop(p, i);
		else
			i++;
	}
}

int
rbac_pol_add(struct rbac_pol *p, const json_t *policy)
{
	const json_t *acts = json_object_get(policy, "actions"), *ress = json_object_get(policy, "resources");
	const char *e = json_string_value(json_object_get(policy, "effect"));
	size_t i, j;

	for (i = 0; i < json_array_size(acts); i++) {
		const char *action = json_string_value(json_array_get(acts, i));

		for (j = 0; action != NULL && j < json_array_size(ress); j++) {
			const char *res = json_string_value(json_array_get(ress, j));
			struct rbac_grant *g;

			if (res == NULL)
				continue;
			if (strcmp(res, "*") == 0)
				res = "*:*:*";
			remove_previous(p, action, res);
			if (p->n == p->cap) {
				size_t cap = p->cap ? p->cap * 2 : 16;

				if ((g = realloc(p->v, cap * sizeof(*g))) == NULL)
					return -1;
				p->v = g;
				p->cap = cap;
			}
			g = &p->v[p->n];
			g->action = strdup(action);
			g->resource = strdup(res);
			g->allow = e != NULL && strcmp(e, "allow") == 0;
			if (g->action == NULL || g->resource == NULL) {
				free(g->action);
				free(g->resource);
				return -1;
			}
			p->n++;
		}
	}
	return 0;
}

/* in_list: whether the comma-separated list holds v[0..n). */
static int
in_list(const char *list, const char *v, size_t n)
{
	const char *s = list, *c;

	while (s != NULL && *s != '\0') {
		c = strchr(s, ',');
		if ((c != NULL ? (size_t)(c - s) : strlen(s)) == n && memcmp(s, v, n) == 0)
			return 1;
		s = c != NULL ? c + 1 : NULL;
	}
	return 0;
}

/*
 * covers: whether grant resource g covers res.  Its identifier (all but the
 * value) must be res's type, "agent:group" standing for "agent:id" (then
 * the value is a group of the agent); "*" covers every value.
 */
static int
covers(const char *g, const struct rbac_res *res)
{
	size_t vl, il, tl = strlen(res->type);
	const char *v = last_value(g, strlen(g), &vl);

	if (v == g)
		return 0;
	il = (size_t)(v - g - 1);
	if (il == 11 && strncmp(g, "agent:group", 11) == 0) {
		if (strcmp(res->type, "agent:id") != 0)
			return 0;
		return (vl == 1 && *v == '*') || (res->groups != NULL && in_list(res->groups, v, vl));
	}
	if (il != tl || strncmp(g, res->type, tl) != 0)
		return 0;
	return (vl == 1 && *v == '*') || (strlen(res->value) == vl && memcmp(v, res->value, vl) == 0);
}

int
rbac_pol_allows(const struct rbac_pol *p, const char *action, const struct rbac_res *res,
    int black)
{
	int allowed = black != 0;
	size_t i;

	for (i = 0; p != NULL && i < p->n; i++)
		if (strchr(p->v[i].resource, '&') == NULL && strcmp(p->v[i].action, action) == 0 &&
		    covers(p->v[i].resource, res))
			allowed = p->v[i].allow;
	return allowed;
}

int
rbac_pol_may(const struct rbac_pol *p, const char *action, const char *type, int black)
{
	int may = black != 0;
	size_t i, vl;

	for (i = 0; p != NULL && i < p->n; i++) {
		const char *g = p->v[i].resource, *v;
		size_t il;

		if (strchr(g, '&') != NULL || strcmp(p->v[i].action, action) != 0)
			continue;
		v = last_value(g, strlen(g), &vl);
		if (v == g)
			continue;
		il = (size_t)(v - g - 1);
		if (!((il == strlen(type) && strncmp(g, type, il) == 0) ||
		    (il == 11 && strncmp(g, "agent:group", 11) == 0 && strcmp(type, "agent:id") == 0)))
			continue;
		if (vl == 1 && *v == '*' && strncmp(g, "agent:group", 11) != 0)
			may = p->v[i].allow;     /* every value of the type, what came before is gone */
		else if (p->v[i].allow)
			may = 1;
	}
	return may;
}

json_t *
rbac_pol_json(const struct rbac_pol *p)
{
	json_t *o = json_object(), *a;
	size_t i;

	for (i = 0; o != NULL && i < p->n; i++) {
		if ((a = json_object_get(o, p->v[i].action)) == NULL) {
			a = json_object();
			json_object_set_new(o, p->v[i].action, a);
		}
		if (a != NULL)
			json_object_set_new(a, p->v[i].resource,
			    json_string(p->v[i].allow ? "allow" : "deny"));
	}
	return o;
}

/* ---- security rules (auth_context.py) ---- */

enum { MODE_MATCH, MODE_MATCH_EXACT };

/* mut: jansson's iteration takes non-const objects; nothing here writes through it. */
static json_t *
mut(const json_t *j)
{
	union { const json_t *c; json_t *m; } u;

	u.c = j;
	return u.m;
}

/*
 * regex_cheap: whether glibc's regcomp may compile p[0..n) in bounded
 * memory: it copies a repeated subexpression once per repetition, so stacked
 * quantifiers ("a++++", fuzzing found 2 GB for 70 of them) and bounds whose
 * product passes 1000 ("((a{100}){100}){100}") are refused (they match
 * nothing).  Python's re takes some of them; no sensible rule needs them.
 */
static int
regex_cheap(const char *p, size_t n)
{
	unsigned long product = 1, v;
	size_t i;
	int quant = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n) {
			i++;
			quant = 0;
		} else if (p[i] == '*' || p[i] == '+' || p[i] == '?' || p[i] == '{') {
			if (quant)
				return 0;
			quant = 1;
			if (p[i] == '{') {
				for (v = 0; i + 1 < n && p[i + 1] != '}'; i++) {
					if (p[i + 1] >= '0' && p[i + 1] <= '9')
						v = v * 10 + (unsigned long)(p[i + 1] - '0');
					else
						v = 0;      /* "{m,n}": the last number counts */
					if (v > 1000)
						return 0;
				}
				if ((product *= v ? v : 1) > 1000)
					return 0;
				i++;
			}
		} else
			quant = 0;
	}
	return 1;
}

/*
 * regex_of: the "r'...'" string s as a regular expression anchored at its
 * start (Python's re.match), stripped as Wazuh strips it: two characters
 * from each end.  0 when s is not one (or does not compile).
 */
static int
regex_of(const json_t *s, regex_t *re)
{
	const char *v = json_string_value(s);
	char buf[POL_MAX_LEN + 8];
	size_t n;

	if (v == NULL || strncmp(v, "r'", 2) != 0)
		return 0;
	n = strlen(v);
	if (n > POL_MAX_LEN)
		return 0;
	if (n >= 4 && !regex_cheap(v + 2, n - 4))
		return 0;
	snprintf(buf, sizeof(buf), "^(%.*s)", n >= 4 ? (int)(n - 4) : 0, v + 2);
	return regcomp(re, buf, REG_EXTENDED | REG_NOSUB) == 0;
}

static int
regex_hit(regex_t *re, const json_t *v)
{
	return json_is_string(v) && regexec(re, json_string_value(v), 0, NULL, 0) == 0;
}

/* same_set: Python's sorted(a) == sorted(b) for lists (json_equal otherwise). */
static int
same(const json_t *a, const json_t *b)
{
	size_t i, j, n;
	char *used;
	int ok = 1;

	if (!json_is_array(a) || !json_is_array(b))
		return json_equal(a, b);
	if ((n = json_array_size(a)) != json_array_size(b))
		return 0;
	if ((used = calloc(n + 1, 1)) == NULL)
		return 0;
	for (i = 0; i < n && ok; i++) {
		for (j = 0; j < n; j++)
			if (!used[j] && json_equal(json_array_get(a, i), json_array_get(b, j)))
				break;
		if (j == n)
			ok = 0;
		else
			used[j] = 1;
	}
	free(used);
	return ok;
}

/* process_lists: RBAChecker.process_lists. */
static int
process_lists(const json_t *role, const json_t *auth, int mode)
{
	size_t i, j, counter = 0, nr = json_array_size(role), na = json_array_size(auth);
	regex_t re;

	for (i = 0; i < na; i++) {
		const json_t *value = json_array_get(auth, i);

		for (j = 0; j < nr; j++) {
			const json_t *v = json_array_get(role, j);

			if (regex_of(v, &re)) {
				counter += regex_hit(&re, value);
				regfree(&re);
			} else if (json_equal(value, v))
				counter++;
			if (mode == MODE_MATCH && counter == nr)
				return 1;
			if (mode == MODE_MATCH_EXACT && counter == na && counter == nr)
				return 1;
		}
	}
	return 0;
}

/* match_item: RBAChecker.match_item (counts, as it does). */
static int
match_item(const json_t *role, const json_t *auth, int mode, int depth)
{
	size_t counter = 0, i;
	const char *key, *ka;
	json_t *v, *va;
	regex_t re;

	if (depth > 32)
		return 0;
	if (json_is_object(role) && json_is_object(auth)) {
		json_object_foreach(mut(role), key, v) {
			json_t *ks = json_string(key);

			if (ks != NULL && regex_of(ks, &re)) {
				json_object_foreach(mut(auth), ka, va)
					if (regexec(&re, ka, 0, NULL, 0) == 0)
						counter += (size_t)match_item(v, va, mode, depth + 1);
				regfree(&re);
			}
			json_decref(ks);
			if ((va = json_object_get(auth, key)) != NULL)
				counter += (size_t)match_item(v, va, mode, depth + 1);
		}
		return counter == json_object_size(role);
	}
	if (regex_of(role, &re)) {
		int hit = 0;

		if (json_is_array(auth)) {
			for (i = 0; i < json_array_size(auth) && !hit; i++)
				hit = regex_hit(&re, json_array_get(auth, i));
		} else
			hit = regex_hit(&re, auth);
		regfree(&re);
		if (hit)
			return 1;
	}
	if (same(role, auth))
		return 1;
	if (json_is_string(role) && json_is_array(auth)) {
		json_t *one = json_pack("[O]", role);
		int r = process_lists(one, auth, mode);

		json_decref(one);
		return r;
	}
	if (json_is_array(role) && json_is_array(auth))
		return process_lists(role, auth, mode);
	if (json_is_object(role))
		return json_object_size(role) == 0;
	return 0;
}

/* find_item: RBAChecker.find_item: match_item at every level of the context. */
static int
find_item(const json_t *role, const json_t *auth, int mode, int depth)
{
	const char *key;
	json_t *v;
	size_t i;

	if (depth > 32)
		return 0;
	if (match_item(role, auth, mode, 0))
		return 1;
	if (!json_is_object(auth))
		return 0;
	json_object_foreach(mut(auth), key, v) {
		if (match_item(role, v, mode, 0))
			return 1;
		if (json_is_object(v) && find_item(role, v, mode, depth + 1))
			return 1;
		if (json_is_array(v))
			for (i = 0; i < json_array_size(v); i++)
				if (json_is_object(json_array_get(v, i)) &&
				    find_item(role, json_array_get(v, i), mode, depth + 1))
					return 1;
	}
	return 0;
}

static int
check_rule(const json_t *rule, const json_t *ctx, int depth)
{
	const char *key;
	json_t *v;
	size_t i, counter, len;

	if (!json_is_object(rule) || depth > 32)
		return 0;
	json_object_foreach(mut(rule), key, v) {
		if (strcmp(key, "AND") == 0 || strcmp(key, "OR") == 0 || strcmp(key, "NOT") == 0) {
			counter = 0;
			if (json_is_array(v)) {
				for (i = 0; i < json_array_size(v); i++)
					counter += (size_t)check_rule(json_array_get(v, i), ctx, depth + 1);
				len = json_array_size(v);
			} else if (json_is_object(v)) {
				counter += (size_t)check_rule(v, ctx, depth + 1);
				len = json_object_size(v);
			} else
				len = json_is_string(v) ? json_string_length(v) : 0;
			if (key[0] == 'A' && counter == len)
				return 1;
			if (key[0] == 'O' && counter > 0)
				return 1;
			if (key[0] == 'N')
				return counter != len;
		} else if (strcmp(key, "MATCH") == 0 || strcmp(key, "MATCH$") == 0) {
			if (match_item(v, ctx, key[5] == '$' ? MODE_MATCH_EXACT : MODE_MATCH, 0))
				return 1;
		} else if (strcmp(key, "FIND") == 0 || strcmp(key, "FIND$") == 0) {
			if (find_item(v, ctx, key[4] == '$' ? MODE_MATCH_EXACT : MODE_MATCH, 0))
				return 1;
		}
	}
	return 0;
}

int
rbac_rule_match(const json_t *rule, const json_t *auth_context)
{
	return auth_context != NULL && check_rule(rule, auth_context, 0);
}
