/* http.c — a pure HTTP/1.1 response parser (picohttpparser's conventions). */
#include "ctl/http.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* line_end: offset of the CRLF (or bare LF) that ends the line at buf[pos], or -2. */
static long
line_end(const char *buf, size_t len, size_t pos)
{
	const char *nl = memchr(buf + pos, '\n', len - pos);

	if (nl == NULL)
		return -2;
	return (long)(nl - buf);
}

/* copy_value: value (n bytes, trimmed) into dst of cap bytes, truncated. */
static void
copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* token_in: whether the comma-separated list v (n bytes) holds token tok. */
static int
token_in(const char *v, size_t n, const char *tok)
{
	size_t i = 0, tl = strlen(tok);

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
			return 1;
	}
	return 0;
}

/* parse_header: one "Name: value" line (without its line end) into h; 0 / -1. */
static int
parse_header(const char *line, size_t n, struct http_head *h, int *keepalive)
{
	const char *colon = memchr(line, ':', n);
	size_t nl, vs, ve, i;

	if (colon == NULL || colon == line)
		return -1;
	nl = (size_t)(colon - line);
	for (i = 0; i < nl; i++) {
		unsigned char c = (unsigned char)line[i];

		/* RFC 9110 token characters */
		if (c <= 32 || c >= 127 || strchr("\"(),/:;<=>?@[\\]{}", c) != NULL)
			return -1;
	}
	vs = nl + 1;
	while (vs < n && (line[vs] == ' ' || line[vs] == '\t'))
		vs++;
	ve = n;
	while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t'))
		ve--;
	for (i = vs; i < ve; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 32 && c != '\t') || c == 127)
			return -1;
	}
	if (nl == 14 && strncasecmp(line, "Content-Length", nl) == 0) {
		long long v = 0;

		if (ve == vs)
			return -1;
		for (i = vs; i < ve; i++) {
			if (!isdigit((unsigned char)line[i]) || v > (LLONG_MAX - 9) / 10)
				return -1;
			v = v * 10 + (line[i] - '0');
		}
		if (h->content_length != -1 && h->content_length != v)
			return -1;
		h->content_length = v;
	} else if (nl == 17 && strncasecmp(line, "Transfer-Encoding", nl) == 0) {
		/* Only "chunked" (possibly after "identity") is understood. */
		if (ve - vs == 7 && strncasecmp(line + vs, "chunked", 7) == 0)
			h->chunked = 1;
		else if (!(ve - vs == 8 && strncasecmp(line + vs, "identity", 8) == 0))
			return -1;
	} else if (nl == 10 && strncasecmp(line, "Connection", nl) == 0) {
		if (token_in(line + vs, ve - vs, "close"))
			h->close = 1;
		if (token_in(line + vs, ve - vs, "keep-alive"))
			*keepalive = 1;
	} else if (nl == 12 && strncasecmp(line, "Content-Type", nl) == 0) {
		copy_value(h->content_type, sizeof(h->content_type), line + vs, ve - vs);
	} else if (nl == 4 && strncasecmp(line, "Date", nl) == 0) {
		copy_value(h->date, sizeof(h->date), line + vs, ve - vs);
	} else if (nl == 11 && strncasecmp(line, "X-Vigil-Job", nl) == 0) {
		copy_value(h->vigil_job, sizeof(h->vigil_job), line + vs, ve - vs);
	}
	return 0;
}

int
http_parse_head(const char *buf, size_t len, struct http_head *h)
{
	size_t pos, n;
	long e;
	int keepalive = 0;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	if ((e = line_end(buf, len > HTTP_MAX_HEAD ? HTTP_MAX_HEAD : len, 0)) == -2)
		return len >= HTTP_MAX_HEAD ? -1 : -2;
	n = (size_t)e;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	/* "HTTP/1.x SSS reason" */
	if (n < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)buf[7]) ||
	    buf[8] != ' ' || !isdigit((unsigned char)buf[9]) || !isdigit((unsigned char)buf[10]) ||
	    !isdigit((unsigned char)buf[11]) || (n > 12 && buf[12] != ' '))
		return -1;
	h->minor = buf[7] - '0';
	h->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (h->status < 100 || h->status > 599)
		return -1;
	pos = (size_t)e + 1;
	for (;;) {
		size_t scan = len > HTTP_MAX_HEAD ? HTTP_MAX_HEAD : len;

		if (pos >= scan)
			return len >= HTTP_MAX_HEAD ? -1 : -2;
		if ((e = line_end(buf, scan, pos)) == -2)
			return len >= HTTP_MAX_HEAD ? -1 : -2;
		n = (size_t)e - pos;
		if (n > 0 && buf[pos + n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		/* obsolete line folding is refused, as RFC 9112 allows */
		if (buf[pos] == ' ' || buf[pos] == '\t')
			return -1;
		if (parse_header(buf + pos, n, h, &keepalive) == -1)
			return -1;
		pos = (size_t)e + 1;
	}
	if (h->chunked)
		h->content_length = -1;    /* chunked wins (RFC 9112 6.3) */
	if (h->minor == 0 && !keepalive)
		h->close = 1;
	return (int)e + 1;
}

/* hexval: the value of hex digit c, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long long
http_dechunk(const char *buf, size_t len, char *out, size_t outcap, size_t *outlen)
{
	size_t pos = 0, o = 0;

	for (;;) {
		unsigned long long size = 0;
		size_t digits = 0;
		long e;

		while (pos < len && hexval(buf[pos]) >= 0) {
			if (++digits > 15)
				return -1;
			size = size * 16 + (unsigned long long)hexval(buf[pos]);
			pos++;
		}
		if (pos >= len)
			return -2;
		if (digits == 0)
			return -1;
		/* the rest of the line: whitespace and extensions */
		if (buf[pos] != '\r' && buf[pos] != '\n' && buf[pos] != ';' && buf[pos] != ' ' &&
		    buf[pos] != '\t')
			return -1;
		if ((e = line_end(buf, len, pos)) == -2)
			return -2;
		pos = (size_t)e + 1;
		if (size == 0)
			break;
		if (size > len - pos)
			return -2;
		if (size > outcap - o)
			return -1;
		memmove(out + o, buf + pos, (size_t)size);
		o += (size_t)size;
		pos += (size_t)size;
		/* CRLF (or LF) after the data */
		if (pos >= len)
			return -2;
		if (buf[pos] == '\r') {
			if (++pos >= len)
				return -2;
		}
		if (buf[pos] != '\n')
			return -1;
		pos++;
	}
	/* trailer fields, then the empty line */
	for (;;) {
		long e;
		size_t n;

		if (pos >= len)
			return -2;
		if ((e = line_end(buf, len, pos)) == -2)
			return -2;
		n = (size_t)e - pos;
		if (n > 0 && buf[pos + n - 1] == '\r')
			n--;
		pos = (size_t)e + 1;
		if (n == 0)
			break;
	}
	*outlen = o;
	return (long long)pos;
}

long long
http_parse_date(const char *s)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
	    "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	char wd[4], mn[4], tz[4];
	int i, used = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%3[A-Za-z], %2d %3s %4d %2d:%2d:%2d %3s%n", wd, &tm.tm_mday, mn,
	    &tm.tm_year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, tz, &used) != 8 || s[used] != '\0' ||
	    strcmp(tz, "GMT") != 0)
		return -1;
	for (i = 0; i < 12; i++)
		if (strcmp(mn, mon[i]) == 0)
			break;
	if (i == 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 ||
	    tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60 || tm.tm_year < 1970)
		return -1;
	tm.tm_mon = i;
	tm.tm_year -= 1900;
	return (long long)timegm(&tm);
}
