/* http.h — a pure HTTP/1.1 response parser for vigilctl (no allocation, no I/O). */
#ifndef VIGIL_CTL_HTTP_H
#define VIGIL_CTL_HTTP_H

#include <stddef.h>

#define HTTP_MAX_HEAD 16384     /* a response head longer than this is invalid */

struct http_head {
	int status;                 /* 100..599 */
	int minor;                  /* HTTP/1.<minor> */
	long long content_length;   /* -1 when absent */
	int chunked;                /* Transfer-Encoding: chunked */
	int close;                  /* Connection: close, or HTTP/1.0 without keep-alive */
	char content_type[128];     /* as sent, truncated; "" when absent */
	char date[64];              /* the Date header, truncated; "" when absent */
	char vigil_job[32];         /* X-Vigil-Job (Vigil's job id of a restart); "" when absent */
};

/*
 * http_parse_head: parses the status line and headers at the start of buf
 * (len bytes) into h.  Returns the length of the head (through the empty
 * line), -2 when more bytes are needed, -1 when it is not a valid response
 * head (bad status line, bad header, conflicting or bad Content-Length,
 * a transfer coding other than chunked, or longer than HTTP_MAX_HEAD).
 */
int http_parse_head(const char *buf, size_t len, struct http_head *h);

/*
 * http_dechunk: decodes a chunked body at buf (len bytes) into out, which
 * has room for outcap bytes; out may be buf itself (decoding never grows the
 * data).  Chunk extensions and trailers are skipped.  Returns the number of
 * bytes of buf consumed through the final CRLF (and sets *outlen), -2 when
 * the body is incomplete, -1 when it is malformed or does not fit in outcap.
 */
long long http_dechunk(const char *buf, size_t len, char *out, size_t outcap, size_t *outlen);

/* http_parse_date: an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") as a time_t, or -1. */
long long http_parse_date(const char *s);

#endif
