/* conf.c — vigilctl's settings: pure parsing of config text, URLs and the merge order. */
#include "ctl/conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
conf_init(struct ctl_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->insecure = -1;
}

/* copy_trim: bytes [s, e) without surrounding blanks into out (cap), truncated. */
static void
copy_trim(const char *s, const char *e, char *out, size_t cap)
{
	size_t n;

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	n = (size_t)(e - s);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

int
kv_next(const char *text, size_t *pos, int *line, char *key, size_t kcap, char *val,
    size_t vcap)
{
	for (;;) {
		const char *s = text + *pos, *e, *eq, *p;

		if (*s == '\0')
			return 0;
		e = strchr(s, '\n');
		if (e == NULL)
			e = s + strlen(s);
		*pos = (size_t)(e - text) + (*e == '\n');
		(*line)++;
		for (p = s; p < e && isspace((unsigned char)*p); p++)
			;
		if (p == e || *p == '#' || *p == ';')
			continue;
		if ((eq = memchr(p, '=', (size_t)(e - p))) == NULL)
			return -1;
		copy_trim(p, eq, key, kcap);
		copy_trim(eq + 1, e, val, vcap);
		return 1;
	}
}

/* set_field: value into dst (cap); -1 when it is too long. */
static int
set_field(char *dst, size_t cap, const char *value)
{
	if (strlen(value) >= cap)
		return -1;
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

int
conf_parse(const char *text, struct ctl_conf *c, char *err, size_t errcap)
{
	char key[64], val[2048];
	size_t pos = 0;
	int line = 0, rc;

	while ((rc = kv_next(text, &pos, &line, key, sizeof(key), val, sizeof(val))) != 0) {
		int bad = 0;

		if (rc == -1) {
			snprintf(err, errcap, "line %d: expected 'key = value'", line);
			return -1;
		}
		if (strlen(val) >= sizeof(val) - 1)
			bad = 1;
		else if (strcmp(key, "url") == 0)
			bad = set_field(c->url, sizeof(c->url), val);
		else if (strcmp(key, "user") == 0)
			bad = set_field(c->user, sizeof(c->user), val);
		else if (strcmp(key, "password") == 0)
			bad = set_field(c->password, sizeof(c->password), val);
		else if (strcmp(key, "password-file") == 0 || strcmp(key, "password_file") == 0)
			bad = set_field(c->password_file, sizeof(c->password_file), val);
		else if (strcmp(key, "ca") == 0)
			bad = set_field(c->ca, sizeof(c->ca), val);
		else if (strcmp(key, "insecure") == 0) {
			if (strcmp(val, "yes") == 0 || strcmp(val, "true") == 0 || strcmp(val, "1") == 0)
				c->insecure = 1;
			else if (strcmp(val, "no") == 0 || strcmp(val, "false") == 0 ||
			    strcmp(val, "0") == 0)
				c->insecure = 0;
			else {
				snprintf(err, errcap, "line %d: insecure must be yes or no", line);
				return -1;
			}
		} else {
			snprintf(err, errcap, "line %d: unknown key '%.60s' (url, user, password, "
			    "password-file, ca, insecure)", line, key);
			return -1;
		}
		if (bad) {
			snprintf(err, errcap, "line %d: the value of %s is too long", line, key);
			return -1;
		}
	}
	return 0;
}

int
conf_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap) {
		if (cap > 0)
			dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

void
conf_merge(struct ctl_conf *out, const struct ctl_conf *const *layers, size_t n)
{
	size_t i;

	conf_init(out);
	for (i = n; i-- > 0;) {
		const struct ctl_conf *l = layers[i];

		if (l->url[0])
			(void)conf_copy(out->url, sizeof(out->url), l->url);
		if (l->user[0])
			(void)conf_copy(out->user, sizeof(out->user), l->user);
		/* A password and a password file from the same layer: the password wins;
		 * from different layers: the higher layer's. */
		if (l->password[0] || l->password_file[0]) {
			(void)conf_copy(out->password, sizeof(out->password), l->password);
			snprintf(out->password_file, sizeof(out->password_file), "%s",
			    l->password[0] ? "" : l->password_file);
		}
		/* A CA from a higher layer (a --ca flag) overrides a lower layer's
		 * "insecure = yes"; --insecure overrides a lower layer's CA. */
		if (l->ca[0]) {
			(void)conf_copy(out->ca, sizeof(out->ca), l->ca);
			out->insecure = 0;
		}
		if (l->insecure != -1)
			out->insecure = l->insecure;
	}
	if (!out->url[0])
		(void)conf_copy(out->url, sizeof(out->url), CONF_DEFAULT_URL);
	if (!out->user[0])
		(void)conf_copy(out->user, sizeof(out->user), CONF_DEFAULT_USER);
	if (out->insecure == -1)
		out->insecure = 0;
}

int
conf_parse_url(const char *s, struct ctl_url *u, char *err, size_t errcap)
{
	const char *p, *hs, *he, *rest;
	unsigned char addr[16];
	size_t hl;

	memset(u, 0, sizeof(*u));
	u->port = 55000;
	if (strncasecmp(s, "https://", 8) != 0) {
		snprintf(err, errcap, "the URL must start with https:// (the API is served over TLS)");
		return -1;
	}
	p = s + 8;
	if (*p == '[') {
		hs = p + 1;
		if ((he = strchr(hs, ']')) == NULL) {
			snprintf(err, errcap, "unclosed '[' in the URL's host");
			return -1;
		}
		rest = he + 1;
	} else {
		hs = p;
		he = hs + strcspn(hs, ":/?#");
		rest = he;
	}
	hl = (size_t)(he - hs);
	if (hl == 0 || hl >= sizeof(u->host)) {
		snprintf(err, errcap, "the URL has no host, or a host too long");
		return -1;
	}
	memcpy(u->host, hs, hl);
	u->host[hl] = '\0';
	if (strspn(u->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "-.:") != hl) {
		snprintf(err, errcap, "bad character in the URL's host");
		return -1;
	}
	u->host_is_ip = inet_pton(AF_INET, u->host, addr) == 1 ||
	    inet_pton(AF_INET6, u->host, addr) == 1;
	if (p[0] == '[' && !u->host_is_ip) {
		snprintf(err, errcap, "'%s' is not an IPv6 address", u->host);
		return -1;
	}
	if (!u->host_is_ip && strchr(u->host, ':') != NULL) {
		snprintf(err, errcap, "an IPv6 address in a URL goes in brackets");
		return -1;
	}
	if (*rest == ':') {
		char *end;
		long port = strtol(rest + 1, &end, 10);

		if (end == rest + 1 || port < 1 || port > 65535 || !isdigit((unsigned char)rest[1])) {
			snprintf(err, errcap, "bad port in the URL");
			return -1;
		}
		rest = end;
		u->port = (int)port;
	}
	if (*rest == '/') {
		size_t pl = strcspn(rest, "?#");

		while (pl > 0 && rest[pl - 1] == '/')
			pl--;
		if (pl >= sizeof(u->prefix)) {
			snprintf(err, errcap, "the URL's path is too long");
			return -1;
		}
		memcpy(u->prefix, rest, pl);
		u->prefix[pl] = '\0';
		rest += strcspn(rest, "?#");
		if (strspn(u->prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789-._~/") != pl) {
			snprintf(err, errcap, "bad character in the URL's path");
			return -1;
		}
	}
	if (*rest != '\0') {
		snprintf(err, errcap, "unexpected '%.20s' in the URL", rest);
		return -1;
	}
	return 0;
}

int
conf_dir(const char *xdg, const char *home, char *out, size_t cap)
{
	int n;

	/* XDG: a relative path is invalid and must be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, cap, "%s/vigil", xdg);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(out, cap, "%s/.config/vigil", home);
	else
		return -1;
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int
conf_url_encode(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || strchr("-._~,:", c) != NULL) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= cap)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= cap)
		return -1;
	out[o] = '\0';
	return 0;
}
