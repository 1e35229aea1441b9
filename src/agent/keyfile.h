/* keyfile.h — the agent side of client.keys and queue/rids/sender_counter. */
#ifndef VIGIL_KEYFILE_H
#define VIGIL_KEYFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "proto/enroll.h"
#include "proto/secmsg.h"

#define KEYFILE_KEY_MAX 128

/* One client.keys entry: "<id> <name> <ip> <key>". */
struct keyfile_entry {
	char id[SECMSG_ID_MAX + 1];
	char name[ENROLL_NAME_MAX + 1];
	char ip[64];
	char key[KEYFILE_KEY_MAX + 1];
};

/*
 * keyfile_parse_line: parses one client.keys line (len bytes, without or
 * with its '\n').  Returns 0 with e filled, 1 for a line to skip (empty,
 * starting with '#' or ' ', or a removed entry whose name starts with '!'
 * or '#'), -1 for a malformed line.
 */
int keyfile_parse_line(const char *line, size_t len, struct keyfile_entry *e);

/* keyfile_format_line: "<id> <name> <ip> <key>\n" into out; the length or -1. */
ssize_t keyfile_format_line(char *out, size_t cap, const struct keyfile_entry *e);

/*
 * keyfile_entry_valid: 1 when every field is acceptable: id of 3..8 digits
 * and not all zeros, a name of printable non-blank characters not starting
 * with '!' or '#', an ip of [0-9a-fA-F.:/] or "any", a key of printable
 * non-blank characters.
 */
int keyfile_entry_valid(const struct keyfile_entry *e);

/*
 * keyfile_from_reply: turns an enrollment reply into an entry, checking it
 * as the Wazuh agent does, and also that the manager kept our name.  0 / -1
 * (the reason goes to err).
 */
int keyfile_from_reply(const struct enroll_reply *r, const char *want_name,
    struct keyfile_entry *e, char *err, size_t errcap);

/*
 * keyfile_ip_single_host: Wazuh's isSingleHost(): 1 when ip is one IPv4
 * host ("a.b.c.d", "/32" or "/255.255.255.255"); then the agent sends its
 * messages without the "!id!" prefix and the manager finds it by source IP.
 */
int keyfile_ip_single_host(const char *ip);

/* keyfile_load: the first valid entry of path.  0 found, 1 none (or no file), -1 error (logged). */
int keyfile_load(const char *path, struct keyfile_entry *e);

/*
 * keyfile_load_all: every valid entry of path into a malloc'ed array the
 * caller frees.  0 (also for a missing file: *n = 0) / -1.
 */
int keyfile_load_all(const char *path, struct keyfile_entry **out, size_t *n);

/* keyfile_save: replaces path with one entry, mode 0600, atomically. 0 / -1 (logged). */
int keyfile_save(const char *path, const struct keyfile_entry *e);

/* keyfile_append: appends one entry to path (created 0600). 0 / -1 (logged). */
int keyfile_append(const char *path, const struct keyfile_entry *e);

/* keyfile_counter_parse: "<global>:<local>:" as rids/sender_counter holds it. 0 / -1. */
int keyfile_counter_parse(const char *buf, size_t len, unsigned int *global, unsigned int *local);

/* keyfile_counter_load: 0 with the counters, 1 when the file does not exist, -1 on error. */
int keyfile_counter_load(const char *path, unsigned int *global, unsigned int *local);

/* keyfile_counter_save: writes "%u:%u:" (as StoreSenderCounter) atomically, 0600. 0 / -1 (logged). */
int keyfile_counter_save(const char *path, unsigned int global, unsigned int local);

/* keyfile_write_atomic: replaces path with buf (atomicfile_write), with mode. 0 / -1 (logged). */
int keyfile_write_atomic(const char *path, const void *buf, size_t len, mode_t mode);

#endif
