/* agentconf.c — agent.conf (XML) to Wazuh's JSON: a small XML reader that
 * builds an element tree the way Python's ElementTree does (an element's text
 * is what comes before its first child; comments, processing instructions and
 * tails are dropped), then Wazuh's rules over it.
 */
#include "proto/agentconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct xel {
	char *tag;
	char **an, **av;            /* attribute names and values */
	size_t nattr;
	char *text;                 /* NULL when there is none (Python's None) */
	size_t textlen;
	struct xel **kids;
	size_t nkids, capkids;
};

struct xparser {
	const char *s;
	size_t len, pos;
};

static void
xel_free(struct xel *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nattr; i++) {
		free(e->an[i]);
		free(e->av[i]);
	}
	for (i = 0; i < e->nkids; i++)
		xel_free(e->kids[i]);
	free(e->an);
	free(e->av);
	free(e->kids);
	free(e->tag);
	free(e->text);
	free(e);
}

static int
name_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == ':' || c == '-' || c == '.' || c >= 0x80;
}

static int
blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* skip_past: moves past the first end at or after pos; -1 when there is none. */
static int
skip_past(struct xparser *p, const char *end)
{
	size_t el = strlen(end);

	for (; p->pos + el <= p->len; p->pos++)
		if (memcmp(p->s + p->pos, end, el) == 0) {
			p->pos += el;
			return 0;
		}
	return -1;
}

/* utf8_put: code point cp as UTF-8 into out; its length, 0 when not a character. */
static size_t
utf8_put(unsigned long cp, char *out)
{
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * append: adds the n bytes of s to *buf (*blen bytes), decoding entities when
 * decode is set: &amp; &quot; &apos; and character references; &lt; &gt; and
 * anything else stay as written (load_wazuh_xml keeps &lt; and &gt;).
 */
static int
append(char **buf, size_t *blen, const char *s, size_t n, int decode)
{
	char *nb;
	size_t i, o;

	if ((nb = realloc(*buf, *blen + n + 1)) == NULL)
		return -1;
	*buf = nb;
	o = *blen;
	for (i = 0; i < n; i++) {
		const char *semi;
		size_t k;

		if (!decode || s[i] != '&' || (semi = memchr(s + i, ';', n - i)) == NULL ||
		    semi - (s + i) > 12) {
			nb[o++] = s[i];
			continue;
		}
		k = (size_t)(semi - (s + i)) + 1;
		if (k == 5 && memcmp(s + i, "&amp;", 5) == 0)
			nb[o++] = '&';
		else if (k == 6 && memcmp(s + i, "&quot;", 6) == 0)
			nb[o++] = '"';
		else if (k == 6 && memcmp(s + i, "&apos;", 6) == 0)
			nb[o++] = '\'';
		else if (k > 3 && s[i + 1] == '#') {
			unsigned long cp = 0;
			size_t j = i + 2, w;
			int hex = s[j] == 'x';

			for (j += hex; j < i + k - 1; j++) {
				int d = hex ? (isxdigit((unsigned char)s[j]) ?
				    (isdigit((unsigned char)s[j]) ? s[j] - '0' :
				    (tolower((unsigned char)s[j]) - 'a' + 10)) : -1) :
				    (isdigit((unsigned char)s[j]) ? s[j] - '0' : -1);

				if (d < 0 || cp > 0x10ffff)
					return -1;
				cp = cp * (hex ? 16 : 10) + (unsigned long)d;
			}
			/* "&#65;" is at least 4 bytes, so the UTF-8 (at most 4) fits. */
			if ((w = utf8_put(cp, nb + o)) == 0)
				return -1;
			o += w;
		} else {
			memcpy(nb + o, s + i, k);
			o += k;
		}
		i += k - 1;
	}
	nb[o] = '\0';
	*blen = o;
	return 0;
}

static int
add_kid(struct xel *parent, struct xel *kid)
{
	struct xel **nk;

	if (parent->nkids == parent->capkids) {
		size_t ncap = parent->capkids ? parent->capkids * 2 : 4;

		if ((nk = reallocarray(parent->kids, ncap, sizeof(*nk))) == NULL)
			return -1;
		parent->kids = nk;
		parent->capkids = ncap;
	}
	parent->kids[parent->nkids++] = kid;
	return 0;
}

static int parse_content(struct xparser *p, struct xel *parent, int depth);

/* parse_element: the element whose '<' is at pos, with its content; NULL on error. */
static struct xel *
parse_element(struct xparser *p, int depth)
{
	struct xel *e;
	size_t ns, nl;

	if (depth > AGENTCONF_DEPTH_MAX || (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	ns = ++p->pos;
	while (p->pos < p->len && name_char((unsigned char)p->s[p->pos]))
		p->pos++;
	if ((nl = p->pos - ns) == 0 || (e->tag = strndup(p->s + ns, nl)) == NULL)
		goto err;
	for (;;) {
		size_t as, al, blen = 0;
		char q, *val = NULL, **na, **nv;
		const char *end;

		while (p->pos < p->len && blank((unsigned char)p->s[p->pos]))
			p->pos++;
		if (p->pos >= p->len)
			goto err;
		if (p->s[p->pos] == '/') {
			if (p->pos + 1 >= p->len || p->s[p->pos + 1] != '>')
				goto err;
			p->pos += 2;
			return e;
		}
		if (p->s[p->pos] == '>') {
			p->pos++;
			break;
		}
		as = p->pos;
		while (p->pos < p->len && name_char((unsigned char)p->s[p->pos]))
			p->pos++;
		if ((al = p->pos - as) == 0)
			goto err;
		while (p->pos < p->len && blank((unsigned char)p->s[p->pos]))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] != '=')
			goto err;
		p->pos++;
		while (p->pos < p->len && blank((unsigned char)p->s[p->pos]))
			p->pos++;
		if (p->pos >= p->len || (p->s[p->pos] != '"' && p->s[p->pos] != '\''))
			goto err;
		q = p->s[p->pos++];
		if ((end = memchr(p->s + p->pos, q, p->len - p->pos)) == NULL ||
		    append(&val, &blen, p->s + p->pos, (size_t)(end - (p->s + p->pos)), 1) == -1) {
			free(val);
			goto err;
		}
		p->pos = (size_t)(end - p->s) + 1;
		if ((na = reallocarray(e->an, e->nattr + 1, sizeof(*na))) != NULL)
			e->an = na;
		if ((nv = reallocarray(e->av, e->nattr + 1, sizeof(*nv))) != NULL)
			e->av = nv;
		if (na == NULL || nv == NULL || (e->an[e->nattr] = strndup(p->s + as, al)) == NULL) {
			free(val);
			goto err;
		}
		e->av[e->nattr++] = val;
	}
	if (parse_content(p, e, depth + 1) == -1)
		goto err;
	return e;
err:
	xel_free(e);
	return NULL;
}

/*
 * parse_content: the children and text of parent up to its closing tag (or,
 * for the document, up to the end); 0 / -1.
 */
static int
parse_content(struct xparser *p, struct xel *parent, int depth)
{
	struct xel *kid;
	size_t start, nl;

	while (p->pos < p->len) {
		const char *rest = p->s + p->pos;
		size_t left = p->len - p->pos;

		if (*rest != '<') {
			start = p->pos;
			while (p->pos < p->len && p->s[p->pos] != '<')
				p->pos++;
			/* ElementTree's text is what comes before the first child. */
			if (parent->tag != NULL && parent->nkids == 0 &&
			    append(&parent->text, &parent->textlen, p->s + start, p->pos - start, 1) == -1)
				return -1;
			continue;
		}
		if (left >= 4 && memcmp(rest, "<!--", 4) == 0) {
			p->pos += 4;
			if (skip_past(p, "-->") == -1)
				return -1;
		} else if (left >= 9 && memcmp(rest, "<![CDATA[", 9) == 0) {
			p->pos += 9;
			start = p->pos;
			if (skip_past(p, "]]>") == -1)
				return -1;
			if (parent->tag != NULL && parent->nkids == 0 && append(&parent->text,
			    &parent->textlen, p->s + start, p->pos - 3 - start, 0) == -1)
				return -1;
		} else if (left >= 2 && rest[1] == '?') {
			if (skip_past(p, "?>") == -1)
				return -1;
		} else if (left >= 2 && rest[1] == '!') {
			if (skip_past(p, ">") == -1)
				return -1;
		} else if (left >= 2 && rest[1] == '/') {
			if (parent->tag == NULL)
				return -1;
			p->pos += 2;
			start = p->pos;
			while (p->pos < p->len && name_char((unsigned char)p->s[p->pos]))
				p->pos++;
			nl = p->pos - start;
			while (p->pos < p->len && blank((unsigned char)p->s[p->pos]))
				p->pos++;
			if (p->pos >= p->len || p->s[p->pos] != '>' || nl != strlen(parent->tag) ||
			    memcmp(p->s + start, parent->tag, nl) != 0)
				return -1;
			p->pos++;
			return 0;
		} else {
			if ((kid = parse_element(p, depth)) == NULL)
				return -1;
			if (add_kid(parent, kid) == -1) {
				xel_free(kid);
				return -1;
			}
		}
	}
	return parent->tag == NULL ? 0 : -1;
}

/* Wazuh's CONF_SECTIONS: how repeated sections combine, and which options are lists. */
enum { SEC_DUP = 1, SEC_MERGE, SEC_LAST };

struct section_kind {
	const char *name;
	int type;
	const char *const *lists;
};

static const char *const no_lists[] = { NULL };
static const char *const l_filter[] = { "filter", "ignore", NULL };
static const char *const l_email[] = { "email_to", NULL };
static const char *const l_global[] = { "white_list", NULL };
static const char *const l_content[] = { "content", NULL };
static const char *const l_rootcheck[] = { "rootkit_files", "rootkit_trojans", "windows_audit",
	"system_audit", "windows_apps", "windows_malware", NULL };
static const char *const l_ruleset[] = { "include", "rule", "rule_dir", "decoder",
	"decoder_dir", "list", "rule_exclude", "decoder_exclude", NULL };
static const char *const l_syscheck[] = { "directories", "ignore", "nodiff", NULL };
static const char *const l_nodes[] = { "nodes", NULL };
static const char *const l_pack[] = { "pack", NULL };
static const char *const l_label[] = { "label", NULL };
static const char *const l_policies[] = { "policies", NULL };
static const char *const l_hosts[] = { "hosts", NULL };

static const struct section_kind sections[] = {
	{ "active-response", SEC_DUP, no_lists }, { "command", SEC_DUP, no_lists },
	{ "agentless", SEC_DUP, no_lists }, { "localfile", SEC_DUP, l_filter },
	{ "remote", SEC_DUP, no_lists }, { "syslog_output", SEC_DUP, no_lists },
	{ "integration", SEC_DUP, no_lists }, { "alerts", SEC_MERGE, no_lists },
	{ "client", SEC_MERGE, no_lists }, { "database_output", SEC_MERGE, no_lists },
	{ "email_alerts", SEC_MERGE, l_email }, { "reports", SEC_MERGE, l_email },
	{ "global", SEC_MERGE, l_global }, { "open-scap", SEC_MERGE, l_content },
	{ "cis-cat", SEC_MERGE, l_content }, { "syscollector", SEC_MERGE, no_lists },
	{ "rootcheck", SEC_MERGE, l_rootcheck }, { "ruleset", SEC_MERGE, l_ruleset },
	{ "syscheck", SEC_MERGE, l_syscheck }, { "auth", SEC_MERGE, no_lists },
	{ "cluster", SEC_LAST, l_nodes }, { "osquery", SEC_MERGE, l_pack },
	{ "labels", SEC_DUP, l_label }, { "sca", SEC_MERGE, l_policies },
	{ "vulnerability-detection", SEC_LAST, no_lists }, { "indexer", SEC_LAST, l_hosts },
	{ "anti_tampering", SEC_LAST, no_lists },
};

static const struct section_kind *
section_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcmp(sections[i].name, name) == 0)
			return &sections[i];
	return NULL;
}

static int
is_list_option(const char *section, const char *option)
{
	const struct section_kind *k = section_of(section);
	size_t i;

	for (i = 0; k != NULL && k->lists[i] != NULL; i++)
		if (strcmp(k->lists[i], option) == 0)
			return 1;
	return 0;
}

/* lower: a lowercase copy of s (ASCII, as Python's lower() for tags); NULL when out of memory. */
static char *
lower(const char *s)
{
	char *l = strdup(s), *c;

	for (c = l; c != NULL && *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	return l;
}

/* text_json: Python's str (None when NULL). */
static json_t *
text_json(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* strip_json: s[0..n) with Python's strip() applied. */
static json_t *
strip_json(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return json_stringn(s, n);
}

static int
attrs_into(json_t *o, const struct xel *e)
{
	size_t i;

	for (i = 0; i < e->nattr; i++)
		if (json_object_set_new(o, e->an[i], json_string(e->av[i])) == -1)
			return -1;
	return 0;
}

/*
 * read_option: Wazuh's _read_option(section, opt): the option's name
 * (lowercase, into *name, caller frees) and its value (a new reference; NULL
 * stands for None).  -1 on an error (Wazuh's exception: 1101).
 */
static int
read_option(const char *section, const struct xel *opt, char **name, json_t **value)
{
	json_t *v = NULL;
	size_t i;
	char *on;

	*value = NULL;
	if ((*name = on = lower(opt->tag)) == NULL)
		return -1;
	if (strcmp(section, "syscheck") == 0 && strcmp(on, "directories") == 0) {
		const char *t = opt->text, *c;

		if ((v = json_array()) == NULL)
			return -1;
		for (; t != NULL; t = c != NULL ? c + 1 : NULL) {
			json_t *d = json_object();

			c = strchr(t, ',');
			if (d == NULL || attrs_into(d, opt) == -1 || json_object_set_new(d, "path",
			    strip_json(t, c != NULL ? (size_t)(c - t) : strlen(t))) == -1) {
				json_decref(d);
				goto err;
			}
			if (json_array_append_new(v, d) == -1)
				goto err;
		}
	} else if ((strcmp(section, "syscheck") == 0 && (strcmp(on, "synchronization") == 0 ||
	    strcmp(on, "whodata") == 0)) ||
	    (strcmp(section, "cluster") == 0 && strcmp(on, "haproxy_helper") == 0)) {
		if ((v = json_object()) == NULL)
			return -1;
		for (i = 0; i < opt->nkids; i++) {
			char *cn;
			json_t *cv;

			if (read_option(opt->kids[i]->tag, opt->kids[i], &cn, &cv) == -1) {
				free(cn);
				goto err;
			}
			/* child_config.split(',') when a ',' is past its first character */
			if (json_is_string(cv) && json_string_length(cv) > 0 &&
			    strchr(json_string_value(cv) + 1, ',') != NULL) {
				const char *t = json_string_value(cv), *c;
				json_t *parts = json_array();

				for (; parts != NULL && t != NULL; t = c != NULL ? c + 1 : NULL) {
					c = strchr(t, ',');
					json_array_append_new(parts, json_stringn(t,
					    c != NULL ? (size_t)(c - t) : strlen(t)));
				}
				json_decref(cv);
				cv = parts;
			}
			json_object_set_new(v, cn, cv != NULL ? cv : json_null());
			free(cn);
		}
	} else if ((strcmp(section, "cluster") == 0 && strcmp(on, "nodes") == 0) ||
	    (strcmp(section, "haproxy_helper") == 0 && strcmp(on, "excluded_nodes") == 0) ||
	    (strcmp(section, "sca") == 0 && strcmp(on, "policies") == 0) ||
	    (strcmp(section, "indexer") == 0 && strcmp(on, "hosts") == 0)) {
		if ((v = json_array()) == NULL)
			return -1;
		for (i = 0; i < opt->nkids; i++)
			if (json_array_append_new(v, text_json(opt->kids[i]->text)) == -1)
				goto err;
	} else if (strcmp(section, "labels") == 0 && strcmp(on, "label") == 0) {
		if ((v = json_object()) == NULL ||
		    json_object_set_new(v, "value", text_json(opt->text)) == -1 ||
		    attrs_into(v, opt) == -1)
			goto err;
	} else if (strcmp(section, "remote") == 0 && strcmp(on, "protocol") == 0) {
		const char *t = opt->text, *c;

		if (t == NULL)
			return -1;   /* None.split: an exception in Wazuh */
		if ((v = json_array()) == NULL)
			return -1;
		for (; t != NULL; t = c != NULL ? c + 1 : NULL) {
			c = strchr(t, ',');
			if (json_array_append_new(v, strip_json(t,
			    c != NULL ? (size_t)(c - t) : strlen(t))) == -1)
				goto err;
		}
	} else if (opt->nattr > 0 || opt->nkids > 0) {
		if ((v = json_object()) == NULL || attrs_into(v, opt) == -1)
			goto err;
		if (opt->nkids == 0 && json_object_set_new(v, "item", text_json(opt->text)) == -1)
			goto err;
		for (i = 0; i < opt->nkids; i++) {
			char *cn;
			json_t *cv, *list;

			if (read_option(opt->kids[i]->tag, opt->kids[i], &cn, &cv) == -1) {
				free(cn);
				goto err;
			}
			if (cv == NULL)
				cv = json_null();
			if (!json_is_array(list = json_object_get(v, cn)) &&
			    json_object_set_new(v, cn, list = json_array()) == -1)
				list = NULL;   /* the key is not UTF-8: set_new freed the list */
			free(cn);
			if (list == NULL || json_array_append_new(list, cv) == -1) {
				if (list == NULL)
					json_decref(cv);
				goto err;
			}
		}
	} else if (opt->text != NULL)
		v = json_string(opt->text);
	*value = v;
	return 0;
err:
	json_decref(v);
	return -1;
}

/* truthy: Python's bool() of a value (None, "", [] and {} are false). */
static int
truthy(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_object(v))
		return json_object_size(v) > 0;
	return 1;
}

/* insert: Wazuh's _insert (steals value). */
static void
insert(json_t *dst, const char *section, const char *option, json_t *value)
{
	json_t *cur;

	if (!truthy(value)) {
		json_decref(value);
		return;
	}
	if ((cur = json_object_get(dst, option)) != NULL) {
		if (json_is_array(cur))
			json_array_append_new(cur, value);
		else
			json_object_set_new(dst, option, value);
	} else if (is_list_option(section, option))
		json_object_set_new(dst, option, json_pack("[o]", value));
	else
		json_object_set_new(dst, option, value);
}

/* insert_section: Wazuh's _insert_section (steals data); unknown sections are dropped. */
static void
insert_section(json_t *dst, const char *section, json_t *data)
{
	const struct section_kind *k = section_of(section);
	json_t *cur = json_object_get(dst, section), *v;
	const char *opt;

	if (k == NULL) {
		json_decref(data);
		return;
	}
	switch (k->type) {
	case SEC_DUP:
		if (json_is_array(cur))
			json_array_append_new(cur, data);
		else
			json_object_set_new(dst, section, json_pack("[o]", data));
		return;
	case SEC_MERGE:
		if (cur == NULL || !json_is_object(cur)) {
			json_object_set_new(dst, section, data);
			return;
		}
		json_object_foreach(data, opt, v) {
			json_t *have = json_object_get(cur, opt);

			if (have != NULL && is_list_option(section, opt) && json_is_array(have) &&
			    json_is_array(v))
				json_array_extend(have, v);
			else
				json_object_set(cur, opt, v);
		}
		json_decref(data);
		return;
	default:
		json_object_set_new(dst, section, data);
	}
}

/* conf2json: Wazuh's _conf2json over one <agent_config>; 0 / -1. */
static int
conf2json(const struct xel *root, json_t *dst)
{
	size_t i, k, j;

	for (i = 0; i < root->nkids; i++) {
		const struct xel *sec = root->kids[i];
		json_t *sj;
		char *sn = lower(sec->tag);

		if (sn != NULL && strcmp(sn, "wodle") == 0) {
			free(sn);
			sn = NULL;
			for (k = 0; k < sec->nattr; k++)
				if (strcmp(sec->an[k], "name") == 0)
					sn = strdup(sec->av[k]);
		}
		if (sn == NULL || (sj = json_object()) == NULL) {
			free(sn);
			return -1;
		}
		for (k = 0; k < sec->nkids; k++) {
			char *on;
			json_t *ov;

			if (read_option(sn, sec->kids[k], &on, &ov) == -1) {
				free(on);
				json_decref(sj);
				free(sn);
				return -1;
			}
			if (json_is_array(ov) && !(strcmp(sn, "remote") == 0 &&
			    strcmp(on, "protocol") == 0)) {
				for (j = 0; j < json_array_size(ov); j++)
					insert(sj, sn, on, json_incref(json_array_get(ov, j)));
				json_decref(ov);
			} else
				insert(sj, sn, on, ov);
			free(on);
		}
		insert_section(dst, sn, sj);
		free(sn);
	}
	return 0;
}

/* collect: every <agent_config> in document order (ElementTree's iter()). */
static int
collect(const struct xel *e, json_t *items)
{
	size_t i;

	if (e->tag != NULL && strcasecmp(e->tag, "agent_config") == 0) {
		json_t *filters = json_object(), *it, *config = NULL;

		if (filters == NULL || attrs_into(filters, e) == -1) {
			json_decref(filters);
			return -1;
		}
		for (i = 0; i < json_array_size(items); i++) {
			it = json_array_get(items, i);
			if (json_equal(json_object_get(it, "filters"), filters)) {
				config = json_object_get(it, "config");
				break;
			}
		}
		if (config == NULL) {
			if ((config = json_object()) == NULL ||
			    json_array_append_new(items, json_pack("{s:o, s:O}", "filters", filters,
			    "config", config)) == -1) {
				json_decref(config);
				return -1;
			}
			json_decref(config);
		} else
			json_decref(filters);
		if (conf2json(e, config) == -1)
			return -1;
	}
	for (i = 0; i < e->nkids; i++)
		if (collect(e->kids[i], items) == -1)
			return -1;
	return 0;
}

json_t *
agentconf_to_json(const char *xml, size_t len)
{
	struct xparser p = { xml, len, 0 };
	struct xel *doc;
	json_t *items = NULL, *out = NULL;

	if ((doc = calloc(1, sizeof(*doc))) == NULL)
		return NULL;
	if (memchr(xml, '\0', len) != NULL || parse_content(&p, doc, 0) == -1)
		goto out;
	if ((items = json_array()) == NULL || collect(doc, items) == -1)
		goto out;
	out = json_pack("{s:I, s:O}", "total_affected_items", (json_int_t)json_array_size(items),
	    "affected_items", items);
out:
	json_decref(items);
	xel_free(doc);
	return out;
}
