/*
 * console.h — the web console's files (www/, embedded in vigild at build
 * time by console_assets.S) and the pure rules for serving them: which path
 * names which file, its entity tag, and If-None-Match.  api_console.c
 * answers the requests.
 */
#ifndef VIGIL_CONSOLE_H
#define VIGIL_CONSOLE_H

#include <stddef.h>

/*
 * The Content-Security-Policy of every console answer: nothing inline, no
 * eval, every script, style, image and fetch from the console's own origin,
 * never framed, no <base>, no form posts anywhere, and Trusted Types with no
 * policy, so that no string can become HTML (innerHTML throws).
 */
#define CONSOLE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; " \
	"form-action 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

/* The console's path prefix; "/console" alone is redirected to "/console/". */
#define CONSOLE_PREFIX "/console/"

struct console_asset {
	const char *name;            /* "app.js": the file under www/ and under /console/ */
	const char *ctype;           /* its Content-Type */
	const unsigned char *data;   /* embedded bytes (not NUL-terminated) */
	size_t len;
};

/* console_path: 1 when path is the console's ("/console" or under "/console/"), else 0. */
int console_path(const char *path);

/*
 * console_asset_find: the file path names ("/console/" and
 * "/console/index.html" are index.html), or NULL (not a console file).
 * The assets are static: nothing to free.
 */
const struct console_asset *console_asset_find(const char *path);

/* console_asset_at: the i-th embedded file, NULL past the last (for tests and docs). */
const struct console_asset *console_asset_at(size_t i);

/*
 * console_etag: a's strong entity tag, '"' 16 hex digits of FNV-1a 64 of
 * its bytes '"', into buf (at least 19 bytes).  0, or -1 when buf is short.
 */
int console_etag(const struct console_asset *a, char *buf, size_t cap);

/*
 * console_etag_match: whether an If-None-Match header value (a client's,
 * untrusted; NULL when absent) matches etag by RFC 9110's weak comparison:
 * "*", or a comma-separated list of entity tags, each optionally W/.  A
 * malformed list matches nothing (the file is sent whole).
 */
int console_etag_match(const char *inm, const char *etag);

#endif
