/* cmsg.h — the cluster link's frames (worker <-> master), see docs/protocol.md.
 *
 * A frame is a 4-byte big-endian length N, then N bytes: one type byte and a
 * JSON object (UTF-8).  Pure functions: no I/O.
 */
#ifndef VIGIL_CMSG_H
#define VIGIL_CMSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#define CMSG_PROTO_VERSION 5
#define CMSG_MAX (8u << 20)       /* largest frame body accepted */

enum cmsg_type {
	CMSG_HELLO = 1,      /* both ways: {"proto","node","role"} */
	CMSG_ERROR,          /* both ways: {"message"}; the sender closes the link */
	CMSG_KEYS,           /* master -> worker: {"full","agents":[{id,name,ip,key}],"removed":[id]} */
	CMSG_UPDATES,        /* worker -> master: {"records":[record]} (record: see csync.c) */
	CMSG_ACK,            /* master -> worker: {"seq"}: every record up to seq is applied */
	CMSG_FENCE,          /* master -> worker: {"id","key":[g,l]}: close that session if older */
	CMSG_RESTART,        /* master -> worker: {"req","agents":[[id,kg,kl],...]} */
	CMSG_RESULT,         /* worker -> master: {"req","codes":[code,...]} in the same order */
	CMSG_ENROLL,         /* worker -> master: {"req","line","peer"} */
	CMSG_ENROLL_REPLY,   /* master -> worker: {"req","reply"} */
	CMSG_PING,           /* both ways: {} */
	CMSG_PONG,
	CMSG_GROUPS,         /* master -> worker: {"full","groups":[{name,conf}],"removed":[name]} (proto 3) */
	CMSG_TYPE_MAX = CMSG_GROUPS,
};

/* cmsg_type_name: "hello", "updates", ... ("unknown" otherwise). */
const char *cmsg_type_name(int type);

/*
 * cmsg_decode: one frame at the start of buf.  Returns the bytes consumed and
 * sets *type and *body (a new JSON object the caller decrefs); -2 when more
 * bytes are needed; -1 when the frame is invalid (length 0 or above CMSG_MAX,
 * unknown type, body not a JSON object).
 */
ssize_t cmsg_decode(const uint8_t *buf, size_t len, int *type, json_t **body);

/*
 * cmsg_encode: a whole frame for type and body (not stolen).  Returns a
 * malloc'd buffer of *len bytes the caller frees, or NULL.
 */
uint8_t *cmsg_encode(int type, const json_t *body, size_t *len);

#endif
