/*
 * api_console.c — the web console on the API's port: GET (and HEAD) of
 * /console/ and its files, public like the login (the files hold no data:
 * everything the console shows comes from the API with the user's JWT).
 * Every answer under /console carries the console's security headers, a
 * 404 too.  docs/console.md.
 */
#include "node/api/api.h"

#include <string.h>

#include <event2/http.h>

#include "node/api/console.h"

/* console_headers: the headers of every console answer (CSP and friends, no caching unchecked). */
static void
console_headers(struct evkeyvalq *h)
{
	evhttp_add_header(h, "Content-Security-Policy", CONSOLE_CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
	/* revalidated on every use (ETag): a new vigild's console is never mixed with an old one */
	evhttp_add_header(h, "Cache-Control", "no-cache");
}

void
api_console(struct api_req *r)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(r->req);
	const struct console_asset *a;
	char etag[24];

	console_headers(h);
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(h, "Allow", "GET, HEAD");
		api_reply_text(r, 405, "text/plain; charset=utf-8", "Method Not Allowed\n");
		return;
	}
	if (strcmp(r->path, "/console") == 0) {
		evhttp_add_header(h, "Location", CONSOLE_PREFIX);
		api_reply_text(r, 301, "text/plain; charset=utf-8", "Moved Permanently\n");
		return;
	}
	if ((a = console_asset_find(r->path)) == NULL || console_etag(a, etag, sizeof(etag)) == -1) {
		api_reply_text(r, 404, "text/plain; charset=utf-8", "Not Found\n");
		return;
	}
	evhttp_add_header(h, "ETag", etag);
	if (console_etag_match(evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    "If-None-Match"), etag)) {
		api_send(r, 304, a->ctype, "", 0);
		return;
	}
	api_send(r, 200, a->ctype, (const char *)a->data, a->len);
}
