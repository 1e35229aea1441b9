/* mgrlist.h — manager address lists ("HOST:PORT[,HOST:PORT...]") for the agent and the simulator. */
#ifndef VIGIL_MGRLIST_H
#define VIGIL_MGRLIST_H

#include <stddef.h>
#include <sys/socket.h>

#define MGRLIST_MAX 16
#define MGRLIST_HOST_MAX 255

struct mgrlist_entry {
	char host[MGRLIST_HOST_MAX + 1];   /* name or address, without IPv6 brackets */
	char port[6];                      /* decimal, 1..65535 */
};

/*
 * mgrlist_parse_one: parses "host:port", "[v6addr]:port", or a bare "host"
 * when defport is not NULL, from s (len bytes, need not be NUL-terminated;
 * surrounding blanks are ignored).  0 / -1.
 */
int mgrlist_parse_one(const char *s, size_t len, const char *defport, struct mgrlist_entry *e);

/*
 * mgrlist_parse: parses a comma-separated list into out (at most max
 * entries).  Returns the number of entries (>= 1), or -1 when the list is
 * empty, too long, or any element is malformed.
 */
int mgrlist_parse(const char *s, const char *defport, struct mgrlist_entry *out, size_t max);

/* mgrlist_format: "host:port" ("[v6]:port") into out; the length or -1 when cap is too small. */
int mgrlist_format(const struct mgrlist_entry *e, char *out, size_t cap);

/*
 * mgrlist_resolve: resolves e (blocking getaddrinfo, first TCP result) into
 * ss/sslen.  0 / -1 (logged).
 */
int mgrlist_resolve(const struct mgrlist_entry *e, struct sockaddr_storage *ss, socklen_t *sslen);

#endif
