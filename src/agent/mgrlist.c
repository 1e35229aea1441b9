/* mgrlist.c — parsing and resolving manager address lists. */
#include "agent/mgrlist.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"

static int
mgrlist_port_valid(const char *p, size_t len)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

static int
mgrlist_host_char(char c, int v6)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	if (c == '.' || c == '-' || c == '_')
		return 1;
	return v6 && (c == ':' || c == '%');
}

int
mgrlist_parse_one(const char *s, size_t len, const char *defport, struct mgrlist_entry *e)
{
	const char *host, *port = NULL, *colon;
	size_t hlen, plen = 0, i;
	int v6 = 0;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0)
		return -1;

	if (s[0] == '[') {
		const char *rb = memchr(s, ']', len);

		if (rb == NULL)
			return -1;
		v6 = 1;
		host = s + 1;
		hlen = (size_t)(rb - host);
		if ((size_t)(rb + 1 - s) < len) {
			if (rb[1] != ':')
				return -1;
			port = rb + 2;
			plen = len - (size_t)(port - s);
		}
	} else {
		host = s;
		colon = memchr(s, ':', len);
		if (colon != NULL) {
			if (memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) != NULL)
				return -1;   /* bare IPv6 address: must be bracketed */
			hlen = (size_t)(colon - s);
			port = colon + 1;
			plen = len - hlen - 1;
		} else
			hlen = len;
	}
	if (hlen == 0 || hlen > MGRLIST_HOST_MAX)
		return -1;
	for (i = 0; i < hlen; i++)
		if (!mgrlist_host_char(host[i], v6))
			return -1;
	if (port == NULL) {
		if (defport == NULL)
			return -1;
		port = defport;
		plen = strlen(defport);
	}
	if (!mgrlist_port_valid(port, plen))
		return -1;
	memcpy(e->host, host, hlen);
	e->host[hlen] = '\0';
	/* strip leading zeros so "01514" and "1514" compare equal */
	while (plen > 1 && *port == '0') {
		port++;
		plen--;
	}
	memcpy(e->port, port, plen);
	e->port[plen] = '\0';
	return 0;
}

int
mgrlist_parse(const char *s, const char *defport, struct mgrlist_entry *out, size_t max)
{
	const char *p = s, *comma;
	size_t n = 0, len;

	if (s == NULL || *s == '\0')
		return -1;
	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == max)
			return -1;
		if (mgrlist_parse_one(p, len, defport, &out[n]) == -1)
			return -1;
		n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return (int)n;
}

int
mgrlist_format(const struct mgrlist_entry *e, char *out, size_t cap)
{
	int n;

	if (strchr(e->host, ':') != NULL)
		n = snprintf(out, cap, "[%s]:%s", e->host, e->port);
	else
		n = snprintf(out, cap, "%s:%s", e->host, e->port);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

int
mgrlist_resolve(const struct mgrlist_entry *e, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(e->host, e->port, &hints, &res);
	if (rc != 0 || res == NULL) {
		log_warnx("resolve %s:%s: %s", e->host, e->port,
		    rc != 0 ? gai_strerror(rc) : "no address");
		return -1;
	}
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}
