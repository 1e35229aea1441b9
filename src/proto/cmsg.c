/* cmsg.c — cluster link frames: 4-byte big-endian length, type byte, JSON object. */
#include "proto/cmsg.h"

#include <stdlib.h>
#include <string.h>

static const char *const cmsg_names[] = {
	[CMSG_HELLO] = "hello", [CMSG_ERROR] = "error", [CMSG_KEYS] = "keys",
	[CMSG_UPDATES] = "updates", [CMSG_ACK] = "ack", [CMSG_FENCE] = "fence",
	[CMSG_RESTART] = "restart", [CMSG_RESULT] = "result", [CMSG_ENROLL] = "enroll",
	[CMSG_ENROLL_REPLY] = "enroll-reply", [CMSG_PING] = "ping", [CMSG_PONG] = "pong",
	[CMSG_GROUPS] = "groups",
};

const char *
cmsg_type_name(int type)
{
	if (type < CMSG_HELLO || type > CMSG_TYPE_MAX)
		return "unknown";
	return cmsg_names[type];
}

ssize_t
cmsg_decode(const uint8_t *buf, size_t len, int *type, json_t **body)
{
	uint32_t n;
	json_t *j;

	*body = NULL;
	if (len < 4)
		return -2;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (n < 3 || n > CMSG_MAX)   /* a type byte and at least "{}" */
		return -1;
	/* The type can be judged as soon as its byte arrives. */
	if (len > 4 && (buf[4] < CMSG_HELLO || buf[4] > CMSG_TYPE_MAX))
		return -1;
	if (len - 4 < n)
		return -2;
	j = json_loadb((const char *)buf + 5, n - 1, JSON_REJECT_DUPLICATES, NULL);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return -1;
	}
	*type = buf[4];
	*body = j;
	return (ssize_t)(4 + n);
}

uint8_t *
cmsg_encode(int type, const json_t *body, size_t *len)
{
	char *s;
	size_t sl;
	uint8_t *out;
	uint32_t n;

	if (type < CMSG_HELLO || type > CMSG_TYPE_MAX || !json_is_object(body))
		return NULL;
	if ((s = json_dumps(body, JSON_COMPACT)) == NULL)
		return NULL;
	sl = strlen(s);
	if (sl + 1 > CMSG_MAX || (out = malloc(4 + 1 + sl)) == NULL) {
		free(s);
		return NULL;
	}
	n = (uint32_t)(sl + 1);
	out[0] = (uint8_t)(n >> 24);
	out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	out[4] = (uint8_t)type;
	memcpy(out + 5, s, sl);
	free(s);
	*len = 5 + sl;
	return out;
}
