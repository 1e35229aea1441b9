/* import.h — the files vigilctl agents import reads: pure line parsers (no I/O). */
#ifndef VIGIL_CTL_IMPORT_H
#define VIGIL_CTL_IMPORT_H

#include <stddef.h>

/* One client.keys entry: "<id> <name> <ip> <key>". */
struct import_key {
	char id[16];                /* as written: "001" */
	unsigned long idnum;
	char name[129];
	char ip[64];                /* "any", an address or a network */
	char key[65];               /* 64 letters and digits */
};

enum import_verdict {
	IMPORT_ENTRY = 1,           /* an agent */
	IMPORT_SKIP = 0,            /* a blank line, a comment (#), a removed agent (!name) */
	IMPORT_BAD = -1,            /* not an entry: *why says what is wrong */
};

/*
 * import_keys_line: one line of a Wazuh manager's client.keys (len bytes,
 * without or with its newline) into e.  Removed agents are kept by Wazuh as
 * "<id> !<name> ..." (or a line starting with '#'): skipped.  An id of 1 to 8
 * digits (not 000, the manager), a name of Wazuh's [A-Za-z0-9_.-] (at most
 * 128), an ip ("any", an IPv4/IPv6 address or network) and a key of 64
 * letters and digits; *why is a static reason when the line is bad.
 */
int import_keys_line(const char *line, size_t len, struct import_key *e, const char **why);

/*
 * import_groups_line: one line of an exported group assignment:
 * "<id><sep><group>[,<group>...]" where sep is '|' (sqlite3's output of
 * `SELECT id, "group" FROM agent` on a Wazuh manager's global.db), ':',
 * ',' or white space.  The id goes to *idnum, the groups (comma-separated,
 * white space removed) to groups.  Blank lines and '#' comments are
 * IMPORT_SKIP; a group name must be Wazuh's [A-Za-z0-9_.-] (not "." or "..").
 */
int import_groups_line(const char *line, size_t len, unsigned long *idnum, char *groups,
    size_t cap, const char **why);

#endif
