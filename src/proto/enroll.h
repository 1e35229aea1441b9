/* enroll.h — Wazuh authd enrollment protocol (one request line, one reply). */
#ifndef VIGIL_ENROLL_H
#define VIGIL_ENROLL_H

#include <stddef.h>
#include <sys/types.h>

#define ENROLL_LINE_MAX 4096      /* a request longer than this without '\n' is invalid */
#define ENROLL_NAME_MAX 128

struct enroll_req {
	char name[ENROLL_NAME_MAX + 1];
	int  has_password;
	char password[256];
	char version[40];      /* "v4.14.7" or "" */
	char groups[512];      /* "g1,g2" or "" */
	char ip[64];           /* "" when absent (=> "any"), "src" for IP:'src', else the address */
	char key_hash[64];     /* K:'...' or "" */
};

/*
 * enroll_parse_request: parses one request line
 * "[OSSEC PASS: <pass> ]OSSEC A:'<name>'[ V:'..'][ G:'..'][ IP:'..'][ K:'..']\n".
 * Returns the bytes consumed (up to and including '\n'), -2 when no '\n' has
 * arrived yet and len < ENROLL_LINE_MAX, -1 when the line is malformed.
 * It does not judge the name; see enroll_name_valid.
 */
ssize_t enroll_parse_request(const char *buf, size_t len, struct enroll_req *r);

/* enroll_name_valid: authd's rule for agent names (1 = valid). */
int enroll_name_valid(const char *name);

/*
 * enroll_generate_key: a fresh 64-hex-char agent key as validate.c makes it
 * (md5 of time/name/random/uname + md5 of ip/id/random).  out gets 64 chars + NUL.
 */
void enroll_generate_key(const char *id, const char *name, const char *ip, char out[65]);

/* enroll_format_key: "OSSEC K:'<id> <name> <ip> <key>'" (no newline). Length or -1. */
ssize_t enroll_format_key(char *out, size_t cap, const char *id, const char *name,
    const char *ip, const char *key);

/* enroll_format_error: "ERROR: <reason>" (no newline). Length or -1. */
ssize_t enroll_format_error(char *out, size_t cap, const char *reason);

/* enroll_format_request: agent side; builds the request line with '\n'. password/version/groups/ip may be NULL. */
ssize_t enroll_format_request(char *out, size_t cap, const char *name, const char *password,
    const char *version, const char *groups, const char *ip);

struct enroll_reply {
	int ok;                /* 1: key received; 0: ERROR */
	char id[16];
	char name[ENROLL_NAME_MAX + 1];
	char ip[64];
	char key[128];
	char error[512];       /* text after "ERROR: " */
};

/*
 * enroll_parse_reply: agent side.  Returns bytes consumed when buf holds a
 * complete "OSSEC K:'id name ip key'" or "ERROR: ..." reply, -2 when
 * incomplete, -1 when invalid.  An ERROR reply is complete at the end of buf.
 */
ssize_t enroll_parse_reply(const char *buf, size_t len, struct enroll_reply *r);

#endif
