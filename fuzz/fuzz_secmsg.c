/*
 * fuzz_secmsg.c — secmsg_split + secmsg_decode of arbitrary payloads with a
 * fixed key.  Random bytes rarely get past the AES padding check, so the
 * input is also used as a message: encoded, then decoded back, which must
 * give the same bytes and counters.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/secmsg.h"

#define ENC_KEY "fe3a1ff59f3b89b2ad3d33f08984874b36dd8b69bcdd944"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t work[SECMSG_PLAIN_MAX + 64];
static uint8_t out[SECMSG_PLAIN_MAX + 1024];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[SECMSG_ID_MAX + 1];
	const uint8_t *ct;
	size_t ctlen;
	struct secmsg m;
	ssize_t n;
	unsigned int g, l;

	if (secmsg_split(data, size, id, &ct, &ctlen) == 0) {
		assert(strlen(id) <= SECMSG_ID_MAX && ct + ctlen == data + size);
		if (secmsg_decode(ENC_KEY, ct, ctlen, work, sizeof(work), &m) == 0)
			assert(m.msglen <= SECMSG_PLAIN_MAX && m.msg[m.msglen] == '\0');
	}
	/* Decryption also runs on the raw input, without any header. */
	(void)secmsg_decode(ENC_KEY, data, size, work, sizeof(work), &m);

	g = size > 0 ? data[0] * 16777619u : 0;
	l = size > 1 ? data[1] % 10000 : 1;
	n = secmsg_encode(ENC_KEY, size % 2 ? "001" : NULL, (unsigned int)size, g, l,
	    (const char *)data, size, size % 3 == 0 ? SECMSG_Z_STORED : SECMSG_Z_BEST, out,
	    sizeof(out));
	if (n == -1)
		return 0;
	assert(secmsg_split(out, (size_t)n, id, &ct, &ctlen) == 0);
	assert(strcmp(id, size % 2 ? "001" : "") == 0);
	assert(secmsg_decode(ENC_KEY, ct, ctlen, work, sizeof(work), &m) == 0);
	assert(m.global == g && m.local == l && m.rand16 == (size & 0xffff));
	assert(m.msglen == size && memcmp(m.msg, data, size) == 0);
	return 0;
}
