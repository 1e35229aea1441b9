/* cbody.h — the cluster link's frame bodies as checked structs (docs/protocol.md).
 *
 * cmsg.c cuts a frame into a type and a JSON object; this module turns the
 * object into a struct whose every field has been checked for type, range
 * and length, so that src/node never reads a field the peer may have left
 * out or sent as the wrong type (a missing number is not 0).  Pure: no I/O,
 * no logging.  The `updates` records, `fence` and `restart` are crec.h's.
 *
 * Conventions (as crec.h):
 *   int X_decode(const json_t *body, struct X *out, const char **why);
 *     0, or -1 with *why (if why is not NULL) a static description of the
 *     first problem.  Unknown keys are ignored (docs/protocol.md
 *     "Versioning"); a missing key, a wrong type or a value out of range
 *     makes the body invalid, and so does one invalid entry of a list.  On -1
 *     nothing is left allocated in *out.
 *   json_t *X_encode(const struct X *);
 *     a new reference, or NULL when the struct would not decode (a sender
 *     finds out before its peer does) or on allocation failure.
 *
 * Strings that fit a fixed field are copied into the struct, which then
 * outlives the body.  The list bodies (keys, groups) borrow their strings
 * from the body instead — a full `keys` frame of 50,000 agents costs
 * pointers, not 50,000 copies — so use them only while holding the body.
 *
 * How src/node is meant to use it: peer_frame() decodes the body for the
 * frame's type before anything else, and a body that does not decode closes
 * the link with the reason ("cluster %s: bad %s frame: %s", peer, type name,
 * why), as a bad frame does; the clu_* handlers then take the struct, not
 * the json_t.  Senders fill the struct and send X_encode(); a NULL is logged
 * and nothing is sent.  Note that a master's hello carries cfg.name, which
 * config.c does not check: a name outside [A-Za-z0-9._-]{1,63} must be
 * refused at start-up, or the workers refuse the master's hello.
 */
#ifndef VIGIL_CBODY_H
#define VIGIL_CBODY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/enroll.h"

/*
 * Limits.  Those that mirror a field of src/node (agent.h, groups.h,
 * registry_db.h) are held to it by tests/unit/test_cbody.c, since proto
 * does not include node headers.
 */
#define CBODY_NODE_NAME_MAX   63            /* [A-Za-z0-9._-]{1,63}: the PSK identity */
#define CBODY_ERROR_MAX       255           /* error.message is cut to this many bytes */
#define CBODY_AGENT_ID_MAX    99999999u     /* REGDB_ID_MAX: ids are 8 digits at most */
#define CBODY_AGENT_NAME_MAX  128           /* struct agent name[129] */
#define CBODY_AGENT_IP_MAX    63            /* struct agent ip[64] */
#define CBODY_AGENT_KEY_LEN   64            /* hex chars, exactly */
#define CBODY_AGENT_GROUP_MAX 255           /* struct agent group[256]: "g1,g2" */
#define CBODY_GROUP_NAME_MAX  128           /* GROUP_NAME_MAX */
#define CBODY_GROUP_CONF_MAX  (256u << 10)  /* GROUP_CONF_MAX: agent.conf bytes */
#define CBODY_CODE_MAX        9999          /* result codes: 0, or an API error code */
#define CBODY_PEER_MAX        63            /* an agent's address, as enrolld keeps it */

/* hello (both ways): {"proto","node","role"}.  proto is any version >= 1,
 * so that the receiver can name the one it refuses. */
enum cbody_role {
	CBODY_ROLE_MASTER = 1,
	CBODY_ROLE_WORKER,
};

/* cbody_node_name_ok: s[0..len) is a node name, [A-Za-z0-9._-]{1,63}, the PSK
 * identity's alphabet (hellos, the configuration, the registry's job waves). */
int cbody_node_name_ok(const char *s, size_t len);

struct cbody_hello {
	int proto;                              /* 1 .. INT_MAX */
	char node[CBODY_NODE_NAME_MAX + 1];
	enum cbody_role role;
};

int cbody_hello_decode(const json_t *body, struct cbody_hello *out, const char **why);
json_t *cbody_hello_encode(const struct cbody_hello *h);

/* error (both ways): {"message"}; a longer message is cut (at a UTF-8
 * character boundary), not refused: it is only logged before the close. */
struct cbody_error {
	char message[CBODY_ERROR_MAX + 1];
};

int cbody_error_decode(const json_t *body, struct cbody_error *out, const char **why);
json_t *cbody_error_encode(const struct cbody_error *e);
/* cbody_error_set: e->message = message, cut as decode cuts it. */
void cbody_error_set(struct cbody_error *e, const char *message);

/* ack (master -> worker): {"seq"}: every batch up to seq is applied. */
struct cbody_ack {
	uint64_t seq;                           /* 1 .. 2^63-1 */
};

int cbody_ack_decode(const json_t *body, struct cbody_ack *out, const char **why);
json_t *cbody_ack_encode(const struct cbody_ack *a);

/* keys (master -> worker): {"full","agents":[{id,name,ip,key,group}],"removed":[id]}.
 * Strings are borrowed from the body.  name and ip are not empty; group may
 * be (an agent in no group).  A full table too large for one frame comes in
 * parts: "part" (1, 2, ...) and "more" (true but on the last) with full; a
 * full table without them is part 1 of 1. */
struct cbody_key {
	unsigned int id;                        /* 1 .. CBODY_AGENT_ID_MAX */
	const char *name;                       /* 1 .. CBODY_AGENT_NAME_MAX bytes */
	const char *ip;                         /* 1 .. CBODY_AGENT_IP_MAX bytes */
	const char *key;                        /* CBODY_AGENT_KEY_LEN hex chars */
	const char *group;                      /* 0 .. CBODY_AGENT_GROUP_MAX bytes */
};

#define CBODY_KEYS_PARTS_MAX 100000
struct cbody_keys {
	int full;                               /* replaces the worker's table */
	struct cbody_key *agents;               /* malloc'd, nagents long */
	size_t nagents;
	unsigned int *removed;                  /* malloc'd, nremoved long */
	size_t nremoved;
	unsigned int part;                      /* full: 1 .. CBODY_KEYS_PARTS_MAX; 0 = one frame */
	int more;                               /* full: parts follow this one */
};

int cbody_keys_decode(const json_t *body, struct cbody_keys *out, const char **why);
json_t *cbody_keys_encode(const struct cbody_keys *k);
/* cbody_keys_free: frees the arrays decode allocated (not k); NULL is a no-op. */
void cbody_keys_free(struct cbody_keys *k);

/* groups (master -> worker): {"full","groups":[{name,conf}],"removed":[name]}.
 * Names as groups.c's group_name_valid; strings are borrowed from the body. */
struct cbody_group {
	const char *name;
	const char *conf;                       /* agent.conf, conf_len bytes, no NUL */
	size_t conf_len;                        /* 0 .. CBODY_GROUP_CONF_MAX */
};

struct cbody_groups {
	int full;                               /* replaces the worker's groups */
	struct cbody_group *groups;             /* malloc'd, ngroups long */
	size_t ngroups;
	const char **removed;                   /* malloc'd, nremoved long */
	size_t nremoved;
};

int cbody_groups_decode(const json_t *body, struct cbody_groups *out, const char **why);
json_t *cbody_groups_encode(const struct cbody_groups *g);
/* cbody_groups_free: frees the arrays decode allocated (not g); NULL is a no-op. */
void cbody_groups_free(struct cbody_groups *g);

/* result (worker -> master): {"req","codes":[code]}, one code per agent of
 * restart request req, in its order. */
struct cbody_result {
	uint64_t req;                           /* 1 .. 2^63-1 */
	int *codes;                             /* malloc'd, ncodes long, each 0 .. CBODY_CODE_MAX */
	size_t ncodes;
};

int cbody_result_decode(const json_t *body, struct cbody_result *out, const char **why);
json_t *cbody_result_encode(const struct cbody_result *r);
/* cbody_result_free: frees the codes decode allocated (not r); NULL is a no-op. */
void cbody_result_free(struct cbody_result *r);

/* enroll (worker -> master): {"req","line","peer"}: an agent's request line,
 * forwarded as read (its content is enroll_parse_request's to judge). */
struct cbody_enroll {
	uint64_t req;                           /* 1 .. 2^63-1 */
	char line[ENROLL_LINE_MAX + 1];         /* line_len bytes, NUL-terminated */
	size_t line_len;                        /* 0 .. ENROLL_LINE_MAX */
	char peer[CBODY_PEER_MAX + 1];          /* not empty */
};

int cbody_enroll_decode(const json_t *body, struct cbody_enroll *out, const char **why);
json_t *cbody_enroll_encode(const struct cbody_enroll *e);

/* enroll-reply (master -> worker): {"req","reply"}: the text the agent gets. */
struct cbody_enroll_reply {
	uint64_t req;                           /* 1 .. 2^63-1 */
	char reply[ENROLL_REPLY_MAX + 1];       /* 0 .. ENROLL_REPLY_MAX bytes */
};

int cbody_enroll_reply_decode(const json_t *body, struct cbody_enroll_reply *out,
    const char **why);
json_t *cbody_enroll_reply_encode(const struct cbody_enroll_reply *r);

/* ping and pong (both ways): any object; nothing in it is read. */
int cbody_empty_decode(const json_t *body, const char **why);
json_t *cbody_empty_encode(void);

#endif
