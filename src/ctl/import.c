/* import.c — client.keys and group assignment lines for vigilctl agents import. */
#include "ctl/import.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

/* next_field: the next run of non-blank bytes of [*p, end) into out (cap); its length or -1. */
static int
next_field(const char **p, const char *end, char *out, size_t cap)
{
	const char *s = *p, *e;
	size_t n;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (e = s; e < end && *e != ' ' && *e != '\t'; e++)
		;
	n = (size_t)(e - s);
	*p = e;
	if (n == 0 || n >= cap)
		return n == 0 ? 0 : -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return (int)n;
}

/* ip_ok: "any", an IPv4 or IPv6 address, optionally "/bits". */
static int
ip_ok(const char *ip)
{
	char host[64], *slash;
	unsigned char buf[16];
	long bits;
	int v6;

	if (strcmp(ip, "any") == 0 || strcmp(ip, "ANY") == 0)
		return 1;
	snprintf(host, sizeof(host), "%s", ip);
	if ((slash = strchr(host, '/')) != NULL)
		*slash++ = '\0';
	v6 = strchr(host, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, buf) != 1)
		return 0;
	if (slash != NULL) {
		char *end;

		if (*slash < '0' || *slash > '9')
			return 0;
		bits = strtol(slash, &end, 10);
		if (*end != '\0' || bits > (v6 ? 128 : 32))
			return 0;
	}
	return 1;
}

/* name_chars: the n bytes at s (not NUL-terminated) are all of NAME_CHARS. */
static int
name_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(NAME_CHARS, s[i]) == NULL)
			return 0;
	return 1;
}

/* trim_len: len without a trailing "\r\n", "\n" or blanks. */
static size_t
trim_len(const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
	    line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	return len;
}

int
import_keys_line(const char *line, size_t len, struct import_key *e, const char **why)
{
	const char *p = line, *end;
	char extra[8];
	size_t i;

	memset(e, 0, sizeof(*e));
	*why = NULL;
	len = trim_len(line, len);
	end = line + len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#')
		return IMPORT_SKIP;
	if (memchr(line, '\0', len) != NULL) {
		*why = "a NUL byte in the line";
		return IMPORT_BAD;
	}
	if (next_field(&p, end, e->id, sizeof(e->id)) <= 0 ||
	    strspn(e->id, "0123456789") != strlen(e->id) || strlen(e->id) > 8) {
		*why = "the id is not a number of at most 8 digits";
		return IMPORT_BAD;
	}
	e->idnum = strtoul(e->id, NULL, 10);
	if (next_field(&p, end, e->name, sizeof(e->name)) <= 0) {
		*why = "no name, or a name over 128 characters";
		return IMPORT_BAD;
	}
	if (e->name[0] == '!')
		return IMPORT_SKIP;      /* an agent the manager removed */
	if (e->idnum == 0) {
		*why = "id 000 is the manager itself";
		return IMPORT_BAD;
	}
	if (strspn(e->name, NAME_CHARS) != strlen(e->name)) {
		*why = "the name has characters other than letters, digits, '_', '.' and '-'";
		return IMPORT_BAD;
	}
	if (next_field(&p, end, e->ip, sizeof(e->ip)) <= 0 || !ip_ok(e->ip)) {
		*why = "the ip is not 'any', an address or a network";
		return IMPORT_BAD;
	}
	if (strcmp(e->ip, "ANY") == 0)
		snprintf(e->ip, sizeof(e->ip), "any");
	if (next_field(&p, end, e->key, sizeof(e->key)) != 64) {
		*why = "the key is not 64 characters";
		return IMPORT_BAD;
	}
	for (i = 0; i < 64; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		    e->key[i]) == NULL) {
			*why = "the key has characters other than letters and digits";
			return IMPORT_BAD;
		}
	if (next_field(&p, end, extra, sizeof(extra)) != 0) {
		*why = "more than 4 fields";
		return IMPORT_BAD;
	}
	return IMPORT_ENTRY;
}

int
import_groups_line(const char *line, size_t len, unsigned long *idnum, char *groups,
    size_t cap, const char **why)
{
	const char *p, *end, *g;
	size_t n, out = 0, digits;

	*why = NULL;
	*idnum = 0;
	if (cap > 0)
		groups[0] = '\0';
	len = trim_len(line, len);
	end = line + len;
	for (p = line; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	if (p == end || *p == '#')
		return IMPORT_SKIP;
	if (memchr(line, '\0', len) != NULL) {
		*why = "a NUL byte in the line";
		return IMPORT_BAD;
	}
	for (digits = 0; p + digits < end && p[digits] >= '0' && p[digits] <= '9'; digits++)
		;
	if (digits == 0 || digits > 8) {
		*why = "the line does not start with an agent id";
		return IMPORT_BAD;
	}
	*idnum = strtoul(p, NULL, 10);
	p += digits;
	if (p == end || strchr("|:, \t", *p) == NULL) {
		*why = "no groups after the id";
		return IMPORT_BAD;
	}
	while (p < end && strchr("|:, \t", *p) != NULL)
		p++;
	while (p < end) {
		for (g = p; p < end && *p != ',' && *p != ' ' && *p != '\t'; p++)
			;
		n = (size_t)(p - g);
		if (n > 0) {
			if (n > 255 || !name_chars(g, n) || (n == 1 && g[0] == '.') ||
			    (n == 2 && g[0] == '.' && g[1] == '.')) {
				*why = "a group name that is not letters, digits, '_', '.' and '-'";
				return IMPORT_BAD;
			}
			if (out + n + 2 > cap) {
				*why = "too many groups";
				return IMPORT_BAD;
			}
			if (out > 0)
				groups[out++] = ',';
			memcpy(groups + out, g, n);
			out += n;
			groups[out] = '\0';
		}
		while (p < end && (*p == ',' || *p == ' ' || *p == '\t'))
			p++;
	}
	if (out == 0) {
		*why = "no groups after the id";
		return IMPORT_BAD;
	}
	return IMPORT_ENTRY;
}
