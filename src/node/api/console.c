/*
 * console.c — the web console's embedded files and the pure rules for
 * serving them (console.h).  The bytes come from www/ through
 * console_assets.S (.incbin), so the console is part of vigild's binary:
 * nothing to install beside it, nothing read from disk at run time.
 */
#include "node/api/console.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* console_assets.S: each file between its start and end symbols */
extern const unsigned char console_index_html[], console_index_html_end[];
extern const unsigned char console_app_js[], console_app_js_end[];
extern const unsigned char console_app_css[], console_app_css_end[];
extern const unsigned char console_favicon_svg[], console_favicon_svg_end[];

#define ASSET(name, ctype, sym) { name, ctype, sym, 0 }

static struct console_asset assets[] = {
	ASSET("index.html", "text/html; charset=utf-8", console_index_html),
	ASSET("app.js", "text/javascript; charset=utf-8", console_app_js),
	ASSET("app.css", "text/css; charset=utf-8", console_app_css),
	ASSET("favicon.svg", "image/svg+xml", console_favicon_svg),
};
#define NASSETS (sizeof(assets) / sizeof(assets[0]))

/* asset_len: the length of the i-th file, from its symbols (not a constant in C). */
static size_t
asset_len(size_t i)
{
	static const unsigned char *const ends[NASSETS] = {
		console_index_html_end, console_app_js_end, console_app_css_end,
		console_favicon_svg_end,
	};

	return (size_t)(ends[i] - assets[i].data);
}

const struct console_asset *
console_asset_at(size_t i)
{
	if (i >= NASSETS)
		return NULL;
	assets[i].len = asset_len(i);
	return &assets[i];
}

int
console_path(const char *path)
{
	return strcmp(path, "/console") == 0 ||
	    strncmp(path, CONSOLE_PREFIX, strlen(CONSOLE_PREFIX)) == 0;
}

const struct console_asset *
console_asset_find(const char *path)
{
	const char *name;
	size_t i;

	if (strncmp(path, CONSOLE_PREFIX, strlen(CONSOLE_PREFIX)) != 0)
		return NULL;
	name = path + strlen(CONSOLE_PREFIX);
	if (*name == '\0')
		name = "index.html";
	for (i = 0; i < NASSETS; i++)
		if (strcmp(assets[i].name, name) == 0)
			return console_asset_at(i);
	return NULL;
}

int
console_etag(const struct console_asset *a, char *buf, size_t cap)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;
	int n;

	for (i = 0; i < a->len; i++) {
		h ^= a->data[i];
		h *= 1099511628211ULL;
	}
	n = snprintf(buf, cap, "\"%016llx\"", (unsigned long long)h);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

static const char *
skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int
console_etag_match(const char *inm, const char *etag)
{
	const char *s, *end;
	size_t elen = strlen(etag);
	int found = 0;

	if (inm == NULL)
		return 0;
	s = skip_ows(inm);
	if (*s == '*')
		return *skip_ows(s + 1) == '\0';
	while (*s == ',')    /* empty list elements are allowed (RFC 9110 5.6.1) */
		s = skip_ows(s + 1);
	for (;;) {
		if (strncmp(s, "W/", 2) == 0)
			s += 2;
		if (*s != '"')
			return 0;
		/* etagc: %x21 / %x23-7E / obs-text; no quote, no control, no space */
		for (end = s + 1; *end != '"'; end++)
			if ((unsigned char)*end <= 0x20 || *end == 0x7f)
				return 0;
		if ((size_t)(end + 1 - s) == elen && memcmp(s, etag, elen) == 0)
			found = 1;
		s = skip_ows(end + 1);
		if (*s == '\0')
			return found;
		if (*s != ',')
			return 0;
		do
			s = skip_ows(s + 1);
		while (*s == ',');
		if (*s == '\0')
			return found;
	}
}
