/* groups.c — agent groups in memory: agent.conf, merged.mg and their sums. */
#include "node/registry/groups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "proto/merged.h"

struct groups {
	struct group **v;           /* sorted by name */
	size_t n, cap;
};

struct groups *
groups_new(void)
{
	return calloc(1, sizeof(struct groups));
}

static void
group_free(struct group *gr)
{
	if (gr == NULL)
		return;
	free(gr->conf);
	free(gr->merged);
	free(gr);
}

void
groups_clear(struct groups *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		group_free(g->v[i]);
	g->n = 0;
}

void
groups_free(struct groups *g)
{
	if (g == NULL)
		return;
	groups_clear(g);
	free(g->v);
	free(g);
}

size_t
groups_count(const struct groups *g)
{
	return g->n;
}

const struct group *
groups_at(const struct groups *g, size_t i)
{
	return i < g->n ? g->v[i] : NULL;
}

/* groups_index: where name is (found) or would go. */
static size_t
groups_index(const struct groups *g, const char *name, int *found)
{
	size_t lo = 0, hi = g->n, mid;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(g->v[mid]->name, name);
		if (c < 0)
			lo = mid + 1;
		else if (c > 0)
			hi = mid;
		else {
			*found = 1;
			return mid;
		}
	}
	return lo;
}

const struct group *
groups_get(const struct groups *g, const char *name)
{
	size_t i;
	int found;

	if (name == NULL)
		return NULL;
	i = groups_index(g, name, &found);
	return found ? g->v[i] : NULL;
}

int
group_name_valid(const char *name)
{
	size_t i, len;

	if (name == NULL || (len = strlen(name)) == 0 || len > GROUP_NAME_MAX)
		return 0;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, "all") == 0)
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

int
group_name_reserved(const char *name)
{
	return name != NULL && (strcmp(name, "ar.conf") == 0 ||
	    strcmp(name, "agent-template.conf") == 0);
}

size_t
group_files(const struct group *gr, struct group_file out[GROUP_FILES_MAX])
{
	out[0] = (struct group_file){ "agent.conf", gr->conf, gr->conf_len };
	out[1] = (struct group_file){ "ar.conf", MERGED_AR_CONF, sizeof(MERGED_AR_CONF) - 1 };
	out[2] = (struct group_file){ MERGED_NAME, gr->merged, gr->merged_len };
	return GROUP_FILES_MAX;
}

int
group_file_name_ok(const char *name)
{
	size_t i, len;

	if (name == NULL || (len = strlen(name)) == 0 || len > 255)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c >= 0x80 || strchr("_,-.+: \t\n\r\f\v", c) != NULL) || c == '\0')
			return 0;
	}
	return 1;
}

/* group_build: merged.mg and both sums of gr from its conf. */
static int
group_build(struct group *gr)
{
	/* merged.mg: ar.conf, then agent.conf, as remoted's c_group writes them. */
	struct merged_file f[2] = {
		{ "ar.conf", MERGED_AR_CONF, sizeof(MERGED_AR_CONF) - 1 },
		{ "agent.conf", gr->conf, gr->conf_len },
	};
	char *m;
	size_t len;

	if ((m = merged_build(gr->name, f, 2, &len)) == NULL)
		return -1;
	free(gr->merged);
	gr->merged = m;
	gr->merged_len = len;
	hash_md5_hex(m, len, gr->merged_md5);
	hash_md5_hex(gr->conf, gr->conf_len, gr->conf_md5);
	return 0;
}

int
groups_set(struct groups *g, const char *name, const char *conf, size_t len)
{
	struct group *gr, **nv;
	char *c;
	size_t i;
	int found;

	if (!group_name_valid(name) || len > GROUP_CONF_MAX || (conf == NULL && len > 0))
		return -1;
	if ((c = malloc(len + 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(c, conf, len);
	c[len] = '\0';
	i = groups_index(g, name, &found);
	if (found) {
		gr = g->v[i];
		free(gr->conf);
		gr->conf = c;
		gr->conf_len = len;
		return group_build(gr);
	}
	if ((gr = calloc(1, sizeof(*gr))) == NULL) {
		free(c);
		return -1;
	}
	snprintf(gr->name, sizeof(gr->name), "%s", name);
	gr->conf = c;
	gr->conf_len = len;
	if (group_build(gr) == -1)
		goto err;
	if (g->n == g->cap) {
		size_t ncap = g->cap ? g->cap * 2 : 16;

		if ((nv = reallocarray(g->v, ncap, sizeof(*nv))) == NULL)
			goto err;
		g->v = nv;
		g->cap = ncap;
	}
	memmove(&g->v[i + 1], &g->v[i], (g->n - i) * sizeof(*g->v));
	g->v[i] = gr;
	g->n++;
	return 0;
err:
	group_free(gr);
	return -1;
}

int
groups_remove(struct groups *g, const char *name)
{
	size_t i;
	int found;

	i = groups_index(g, name, &found);
	if (!found)
		return -1;
	group_free(g->v[i]);
	memmove(&g->v[i], &g->v[i + 1], (g->n - i - 1) * sizeof(*g->v));
	g->n--;
	return 0;
}

/* list_next: the next name of a comma-separated list into out; NULL at the end. */
static const char *
list_next(const char *p, char *out, size_t cap)
{
	size_t n;
	const char *e;

	if (p == NULL || *p == '\0')
		return NULL;
	e = strchr(p, ',');
	n = e != NULL ? (size_t)(e - p) : strlen(p);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return e != NULL ? e + 1 : p + strlen(p);
}

int
group_list_has(const char *list, const char *name)
{
	char one[GROUP_NAME_MAX + 2];
	const char *p = list;

	while ((p = list_next(p, one, sizeof(one))) != NULL)
		if (strcmp(one, name) == 0)
			return 1;
	return 0;
}

int
group_list_count(const char *list)
{
	char one[GROUP_NAME_MAX + 2];
	const char *p = list;
	int n = 0;

	while ((p = list_next(p, one, sizeof(one))) != NULL)
		if (one[0] != '\0')
			n++;
	return n;
}

int
group_list_add(const char *list, const char *name, char *out, size_t cap)
{
	int n;

	if (list == NULL || list[0] == '\0')
		n = snprintf(out, cap, "%s", name);
	else
		n = snprintf(out, cap, "%s,%s", list, name);
	return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

int
group_list_del(const char *list, const char *name, char *out, size_t cap)
{
	char one[GROUP_NAME_MAX + 2];
	const char *p = list;
	size_t off = 0;
	int n, found = 0;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	while ((p = list_next(p, one, sizeof(one))) != NULL) {
		if (one[0] == '\0')
			continue;
		if (strcmp(one, name) == 0) {
			found = 1;
			continue;
		}
		n = snprintf(out + off, cap - off, "%s%s", off ? "," : "", one);
		if (n < 0 || (size_t)n >= cap - off)
			return -1;
		off += (size_t)n;
	}
	return found ? 0 : -1;
}

int
groups_merged_for(const struct groups *g, const char *list, char md5[33], char **data,
    size_t *len)
{
	char one[GROUP_NAME_MAX + 2], *conf = NULL, *m;
	const struct group *gr, *only = NULL;
	const char *p = list;
	size_t clen = 0, mlen;
	int count = 0;
	struct merged_file f[2];

	while ((p = list_next(p, one, sizeof(one))) != NULL) {
		if ((gr = groups_get(g, one)) == NULL || ++count > GROUPS_PER_AGENT_MAX)
			return -1;
		only = gr;
	}
	if (count == 0)
		return -1;
	if (count == 1) {
		memcpy(md5, only->merged_md5, 33);
		if (data != NULL) {
			if ((*data = malloc(only->merged_len + 1)) == NULL)
				return -1;
			memcpy(*data, only->merged, only->merged_len + 1);
			*len = only->merged_len;
		}
		return 0;
	}
	/* Several groups: their agent.conf one after the other. */
	p = list;
	while ((p = list_next(p, one, sizeof(one))) != NULL) {
		char *nc;

		gr = groups_get(g, one);
		if ((nc = realloc(conf, clen + gr->conf_len + 1)) == NULL) {
			free(conf);
			return -1;
		}
		conf = nc;
		memcpy(conf + clen, gr->conf, gr->conf_len);
		clen += gr->conf_len;
	}
	f[0] = (struct merged_file){ "ar.conf", MERGED_AR_CONF, sizeof(MERGED_AR_CONF) - 1 };
	f[1] = (struct merged_file){ "agent.conf", conf, clen };
	m = merged_build(list, f, 2, &mlen);
	free(conf);
	if (m == NULL)
		return -1;
	hash_md5_hex(m, mlen, md5);
	if (data != NULL) {
		*data = m;
		*len = mlen;
	} else
		free(m);
	return 0;
}

#define CONF_DEPTH_MAX 64

static int
name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' || c >= 0x80;
}

static int
name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* skip_to: the offset just past the first occurrence of end at or after i, or len + 1. */
static size_t
skip_to(const char *s, size_t len, size_t i, const char *end)
{
	size_t el = strlen(end);

	for (; i + el <= len; i++)
		if (memcmp(s + i, end, el) == 0)
			return i + el;
	return len + 1;
}

/* utf8_valid: strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	unsigned int cp;

	while (i < len) {
		unsigned char c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

int
group_text_utf8(const char *s, size_t len)
{
	return utf8_valid((const unsigned char *)s, len);
}

int
group_conf_check(const char *conf, size_t len)
{
	size_t stack[CONF_DEPTH_MAX], slen[CONF_DEPTH_MAX];
	size_t i = 0, depth = 0, roots = 0, ns, nl;
	int blank = 1;

	for (i = 0; i < len; i++)
		if (!is_blank((unsigned char)conf[i]))
			blank = 0;
	if (len == 0 || blank)
		return 1112;
	if (memchr(conf, '\0', len) != NULL || !utf8_valid((const unsigned char *)conf, len))
		return 1113;
	i = 0;
	while (i < len) {
		if (conf[i] != '<') {
			/* Text: only blanks outside the root elements. */
			if (depth == 0 && !is_blank((unsigned char)conf[i]))
				return 1113;
			i++;
			continue;
		}
		if (len - i >= 4 && memcmp(conf + i, "<!--", 4) == 0) {
			if ((i = skip_to(conf, len, i + 4, "-->")) > len)
				return 1113;
			continue;
		}
		if (len - i >= 9 && memcmp(conf + i, "<![CDATA[", 9) == 0) {
			if (depth == 0 || (i = skip_to(conf, len, i + 9, "]]>")) > len)
				return 1113;
			continue;
		}
		if (len - i >= 2 && conf[i + 1] == '?') {
			if ((i = skip_to(conf, len, i + 2, "?>")) > len)
				return 1113;
			continue;
		}
		if (len - i >= 2 && conf[i + 1] == '!') {
			if ((i = skip_to(conf, len, i + 2, ">")) > len)
				return 1113;
			continue;
		}
		if (len - i >= 2 && conf[i + 1] == '/') {
			/* A closing tag: must close the innermost open element. */
			ns = i + 2;
			for (nl = 0; ns + nl < len && name_char((unsigned char)conf[ns + nl]); nl++)
				;
			i = ns + nl;
			while (i < len && is_blank((unsigned char)conf[i]))
				i++;
			if (nl == 0 || i >= len || conf[i] != '>' || depth == 0 ||
			    slen[depth - 1] != nl || memcmp(conf + stack[depth - 1], conf + ns, nl) != 0)
				return 1113;
			depth--;
			i++;
			continue;
		}
		/* An opening or empty-element tag. */
		ns = i + 1;
		if (ns >= len || !name_start((unsigned char)conf[ns]))
			return 1113;
		for (nl = 0; ns + nl < len && name_char((unsigned char)conf[ns + nl]); nl++)
			;
		i = ns + nl;
		while (i < len && conf[i] != '>') {
			if (conf[i] == '"' || conf[i] == '\'') {
				char q = conf[i];
				const char *e = memchr(conf + i + 1, q, len - i - 1);

				if (e == NULL)
					return 1113;
				i = (size_t)(e - conf) + 1;
			} else if (conf[i] == '<')
				return 1113;
			else
				i++;
		}
		if (i >= len)
			return 1113;
		if (depth == 0) {
			if (nl != 12 || memcmp(conf + ns, "agent_config", 12) != 0)
				return 1114;
			roots++;
		}
		if (conf[i - 1] != '/') {
			if (depth == CONF_DEPTH_MAX)
				return 1113;
			stack[depth] = ns;
			slen[depth] = nl;
			depth++;
		}
		i++;
	}
	if (depth != 0)
		return 1113;
	return roots > 0 ? 0 : 1114;
}
