/* enroll.h — Wazuh authd enrollment protocol (one request line, one reply). */
#ifndef VIGIL_ENROLL_H
#define VIGIL_ENROLL_H

#include <stddef.h>
#include <sys/types.h>

#define ENROLL_LINE_MAX 4096      /* a request longer than this without '\n' is invalid */
#define ENROLL_NAME_MAX 128
#define ENROLL_REPLY_MAX 1024     /* an "OSSEC K:'" reply unterminated after this is invalid */

/*
 * Reasons, as wazuh-authd words them (src/os_auth/auth.c w_auth_parse_data
 * and w_auth_validate_data, v4.14).  authd first writes "ERROR: <reason>"
 * into its response and main-server.c then sends
 * snprintf("%s. %s", response, "Unable to add agent"), so a 4.14 manager
 * answers e.g. "ERROR: Duplicate agent name: web01. Unable to add agent"
 * (no newline).  Reasons with a "%s" take the agent name / IP / group.
 */
#define ENROLL_ERR_SUFFIX      "Unable to add agent"
#define ENROLL_ERR_PASSWORD    "Invalid password"
#define ENROLL_ERR_REQUEST     "Invalid request for new agent"
#define ENROLL_ERR_NAME        "Invalid agent name: %s"
#define ENROLL_ERR_VERSION     "Agent version must be lower or equal to manager version"
#define ENROLL_ERR_VERSION_FIELD "Unterminated version field"
#define ENROLL_ERR_GROUP_FIELD "Unterminated group field"
#define ENROLL_ERR_IP_FIELD    "Unterminated IP field"
#define ENROLL_ERR_KEY_FIELD   "Unterminated key field"
#define ENROLL_ERR_IP          "Invalid IP: %s"
#define ENROLL_ERR_GROUP       "Invalid group: %s"
#define ENROLL_ERR_DUP_IP      "Duplicate IP: %s"
#define ENROLL_ERR_DUP_NAME    "Duplicate agent name: %s"
#define ENROLL_ERR_LIMIT       "Agent limit (%u) reached"
#define ENROLL_ERR_INTERNAL    "Internal manager error adding agent: %s"

struct enroll_req {
	char name[ENROLL_NAME_MAX + 1];
	int  has_password;
	char password[256];
	char version[40];      /* "v4.14.7" or "" */
	char groups[512];      /* "g1,g2" or "" */
	char ip[64];           /* "" when absent (=> "any"), "src" for IP:'src', else the address */
	char key_hash[64];     /* K:'...' or "" */
	const char *error;     /* on -1: a static ENROLL_ERR_* reason (no "%s") to answer with */
};

/*
 * enroll_parse_request: parses one request line
 * "[OSSEC PASS: <pass> ]OSSEC A:'<name>'[ V:'..'][ G:'..'][ IP:'..'][ K:'..']\n".
 * Returns the bytes consumed (up to and including '\n'), -2 when no '\n' has
 * arrived yet and len < ENROLL_LINE_MAX, -1 when the line is malformed (then
 * r->error says why, in authd's words).
 * As authd does, the optional fields are recognised only in that order, and
 * whatever follows the last recognised field is ignored; a NUL ends the line.
 * The password is what lies between "OSSEC PASS: " and the first
 * " OSSEC A:'" (authd, knowing the password, compares a prefix instead).
 * It does not judge the name; see enroll_name_valid.
 */
ssize_t enroll_parse_request(const char *buf, size_t len, struct enroll_req *r);

/*
 * enroll_ip_valid: what client.keys may hold for an agent's address: "any",
 * an IPv4/IPv6 address, or one with "/bits" (plain digits, at most 32 for
 * IPv4 and 128 for IPv6).  1 = valid.
 */
int enroll_ip_valid(const char *ip);
/*
 * enroll_ip_match: 1 when an agent whose key is bound to `bound` ("any", an
 * address, or a network) may connect from the address `peer` (remoted's
 * OS_IsAllowedDynamicID rule).  An IPv4-mapped IPv6 peer counts as its IPv4
 * address.  An invalid bound or peer matches nothing.
 */
int enroll_ip_match(const char *bound, const char *peer);
/*
 * enroll_password_match: 1 when got equals want; compares SHA-256 digests in
 * constant time, so the comparison reveals neither length nor prefix.
 */
int enroll_password_match(const char *want, const char *got);

/* enroll_name_valid: authd's rule for agent names (OS_IsValidName): 2..128 of [A-Za-z0-9._-]. 1 = valid. */
int enroll_name_valid(const char *name);

/*
 * enroll_generate_key: a fresh 64-hex-char agent key shaped as validate.c
 * makes it: md5hex(time, name, random, uname) + md5hex(ip, id, random), but
 * with 128 random bits (RAND_bytes) in each half.  out gets 64 chars + NUL.
 * 0, or -1 when no randomness is available (out is then zeroed).
 */
int enroll_generate_key(const char *id, const char *name, const char *ip, char out[65]);

/* enroll_key_hash: the K:'...' value an enrolled agent sends: sha1hex(id name key concatenated). */
void enroll_key_hash(const char *id, const char *name, const char *key, char out[41]);

/* enroll_format_key: "OSSEC K:'<id> <name> <ip> <key>'" (no newline). Length or -1. */
ssize_t enroll_format_key(char *out, size_t cap, const char *id, const char *name,
    const char *ip, const char *key);

/*
 * enroll_format_error: "ERROR: <reason>. Unable to add agent" (no newline),
 * as 4.14 sends it; a reason that already ends in "Unable to add agent" is
 * not suffixed twice.  Length or -1.
 */
ssize_t enroll_format_error(char *out, size_t cap, const char *reason);

/*
 * enroll_error_class: a refusal's reason, which may name the agent, its IP
 * or group, as one of a few fixed words for a metric's label: "password",
 * "request", "name", "version", "ip", "group", "duplicate_ip",
 * "duplicate_name", "agent_limit", "rate_limited", "master_unreachable",
 * "internal", or "other".  Bounded whatever the reason says.
 */
const char *enroll_error_class(const char *reason);
/* ... as an index below ENROLL_ERROR_CLASSES, and back to its word. */
#define ENROLL_ERROR_CLASSES 13
int enroll_error_class_index(const char *reason);
const char *enroll_error_class_name(int i);
/* Vigil's own reasons, beyond authd's. */
#define ENROLL_ERR_RATE_SOURCE "Too many enrollment requests from this address, try again later"
#define ENROLL_ERR_RATE_TOTAL  "Too many enrollment requests, try again later"
#define ENROLL_ERR_MASTER      "Cannot reach the master node"

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
 * A key reply is checked as the agent checks it (enrollment_op.c): id 1..8
 * digits, a valid name, an IP/CIDR or "any", and a key of name characters.
 */
ssize_t enroll_parse_reply(const char *buf, size_t len, struct enroll_reply *r);

#endif
