/* test_console.c — the web console's embedded files and the rules for serving them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/api/console.h"

static void
test_paths(void **state)
{
	static const struct { const char *path, *asset; } cases[] = {
		{ "/console/", "index.html" },
		{ "/console/index.html", "index.html" },
		{ "/console/app.js", "app.js" },
		{ "/console/app.css", "app.css" },
		{ "/console/favicon.svg", "favicon.svg" },
		{ "/console", NULL },            /* redirected to /console/ (api_console.c) */
		{ "/console/app.js/", NULL },
		{ "/console//app.js", NULL },
		{ "/console/../security/users", NULL },
		{ "/console/APP.JS", NULL },
		{ "/console/app.jsx", NULL },
		{ "/console/app", NULL },
		{ "/consolex/app.js", NULL },
		{ "/app.js", NULL },
		{ "/", NULL },
		{ "", NULL },
	};
	const struct console_asset *a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = console_asset_find(cases[i].path);
		if (cases[i].asset == NULL) {
			if (a != NULL)
				fail_msg("%s gave %s", cases[i].path, a->name);
		} else {
			assert_non_null(a);
			assert_string_equal(a->name, cases[i].asset);
		}
	}
	/* which paths are the console's (the API never sees them) */
	assert_true(console_path("/console"));
	assert_true(console_path("/console/"));
	assert_true(console_path("/console/nope"));
	assert_false(console_path("/consoles"));
	assert_false(console_path("/agents"));
	assert_false(console_path("/"));
}

/* slurp: a file of the source tree (the tests run from the repository's root). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s (run from the repository's root)", path);
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)n + 1)) != NULL && fread(b, 1, (size_t)n, f) == (size_t)n) {
		b[n] = '\0';
		*len = (size_t)n;
	} else {
		free(b);
		b = NULL;
	}
	fclose(f);
	assert_non_null(b);
	return b;
}

/* The embedded bytes are www/'s files as they are now, with the right types. */
static void
test_assets_are_the_files(void **state)
{
	static const struct { const char *ext, *ctype; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
	};
	const struct console_asset *a;
	char path[128];
	size_t i, k, len;
	char *b;

	(void)state;
	for (i = 0; (a = console_asset_at(i)) != NULL; i++) {
		snprintf(path, sizeof(path), "www/%s", a->name);
		b = slurp(path, &len);
		assert_int_equal(a->len, len);
		assert_memory_equal(a->data, b, len);
		free(b);
		for (k = 0; k < sizeof(types) / sizeof(types[0]); k++)
			if (strlen(a->name) > strlen(types[k].ext) && strcmp(a->name + strlen(a->name) -
			    strlen(types[k].ext), types[k].ext) == 0)
				break;
		assert_true(k < sizeof(types) / sizeof(types[0]));
		assert_string_equal(a->ctype, types[k].ctype);
	}
	assert_int_equal(i, 4);
}

/* asset_has: whether the embedded file name contains needle. */
static int
asset_has(const char *name, const char *needle)
{
	char path[64];
	const struct console_asset *a;

	snprintf(path, sizeof(path), CONSOLE_PREFIX "%s", name);
	a = console_asset_find(path);
	assert_non_null(a);
	return memmem(a->data, a->len, needle, strlen(needle)) != NULL;
}

/*
 * What the CSP forbids is not in the files either (the browser test sees a
 * violation only on the pages it visits): no inline script or style, no
 * event attributes, no HTML from strings, no eval, nothing from elsewhere.
 */
static void
test_nothing_inline_nothing_fetched(void **state)
{
	static const struct { const char *file, *needle; } banned[] = {
		{ "index.html", "<script>" }, { "index.html", "<style" }, { "index.html", " style=" },
		{ "index.html", " onclick=" }, { "index.html", " onload=" }, { "index.html", " onsubmit=" },
		{ "index.html", "javascript:" }, { "index.html", "http://" }, { "index.html", "https://" },
		{ "app.js", "innerHTML" }, { "app.js", "outerHTML" }, { "app.js", "insertAdjacentHTML" },
		{ "app.js", "document.write" }, { "app.js", "eval(" }, { "app.js", "new Function" },
		{ "app.js", "localStorage" }, { "app.js", "document.cookie" },
		{ "app.js", "http://" }, { "app.js", "https://" },
		{ "app.css", "http://" }, { "app.css", "https://" }, { "app.css", "@import" },
		{ "app.css", "expression(" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
		if (asset_has(banned[i].file, banned[i].needle))
			fail_msg("%s contains %s", banned[i].file, banned[i].needle);
	/* the page loads its own script and style, nothing else */
	assert_true(asset_has("index.html", "<script src=\"app.js\" defer></script>"));
	assert_true(asset_has("index.html", "<link rel=\"stylesheet\" href=\"app.css\">"));
}

static void
test_csp(void **state)
{
	static const char *const must[] = {
		"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
		"frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'",
		"require-trusted-types-for 'script'",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		assert_non_null(strstr(CONSOLE_CSP, must[i]));
	assert_null(strstr(CONSOLE_CSP, "unsafe"));
	assert_null(strstr(CONSOLE_CSP, "*"));
}

static void
test_etag(void **state)
{
	const struct console_asset *a = console_asset_find("/console/app.js");
	const struct console_asset *b = console_asset_find("/console/app.css");
	struct console_asset c;
	char ea[24], eb[24], ec[24], small[18];
	size_t i;

	(void)state;
	assert_int_equal(console_etag(a, ea, sizeof(ea)), 0);
	assert_int_equal(console_etag(b, eb, sizeof(eb)), 0);
	assert_int_equal(strlen(ea), 18);
	assert_true(ea[0] == '"' && ea[17] == '"');
	for (i = 1; i < 17; i++)
		assert_non_null(strchr("0123456789abcdef", ea[i]));
	assert_string_not_equal(ea, eb);
	/* one byte more changes it */
	c = *a;
	c.len--;
	assert_int_equal(console_etag(&c, ec, sizeof(ec)), 0);
	assert_string_not_equal(ea, ec);
	assert_int_equal(console_etag(a, small, sizeof(small)), -1);
	/* FNV-1a 64 of nothing is its offset basis */
	c.len = 0;
	assert_int_equal(console_etag(&c, ec, sizeof(ec)), 0);
	assert_string_equal(ec, "\"cbf29ce484222325\"");
}

static void
test_etag_match(void **state)
{
	static const char tag[] = "\"0123456789abcdef\"";
	static const struct { const char *inm; int match; } cases[] = {
		{ NULL, 0 }, { "", 0 }, { " ", 0 },
		{ "\"0123456789abcdef\"", 1 },
		{ "W/\"0123456789abcdef\"", 1 },             /* weak comparison */
		{ "  \"0123456789abcdef\"  ", 1 },
		{ "*", 1 }, { " * ", 1 },
		{ "\"x\", \"0123456789abcdef\"", 1 },
		{ "\"x\",W/\"y\" ,\t\"0123456789abcdef\"", 1 },
		{ ", ,\"0123456789abcdef\"", 1 },            /* empty elements */
		{ "\"x\", , \"0123456789abcdef\",", 1 },
		{ "\"0123456789abcdeF\"", 0 },
		{ "\"0123456789abcde\"", 0 },
		{ "\"0123456789abcdef", 0 },                  /* unterminated */
		{ "0123456789abcdef", 0 },                    /* unquoted */
		{ "w/\"0123456789abcdef\"", 0 },             /* W/ is case-sensitive */
		{ "\"0123456789abcdef\"x", 0 },
		{ "\"a b\", \"0123456789abcdef\"", 0 },       /* a space in a tag: malformed */
		{ "\"x\" \"0123456789abcdef\"", 0 },          /* no comma */
		{ "*, \"0123456789abcdef\"", 0 },
		{ "\"x\",", 0 }, { ",", 0 }, { "W/", 0 }, { "\"", 0 }, { "\"\"", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (console_etag_match(cases[i].inm, tag) != cases[i].match)
			fail_msg("If-None-Match %s: expected %d", cases[i].inm ? cases[i].inm : "(none)",
			    cases[i].match);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_assets_are_the_files),
		cmocka_unit_test(test_nothing_inline_nothing_fetched),
		cmocka_unit_test(test_csp),
		cmocka_unit_test(test_etag),
		cmocka_unit_test(test_etag_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
