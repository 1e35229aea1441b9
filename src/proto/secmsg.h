/* secmsg.h — Wazuh 4.x secure message: "[!id!]#AES:" + AES-256-CBC(zlib(md5+counters+msg)). */
#ifndef VIGIL_SECMSG_H
#define VIGIL_SECMSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SECMSG_ENCKEY_LEN 47     /* md5hex(key) + 15 chars of s1; AES uses the first 32 */
#define SECMSG_ID_MAX 8          /* agent ids are 3..8 digits */
#define SECMSG_PLAIN_MAX 65536   /* largest decoded message we accept (OS_MAXSTR) */
#define SECMSG_OVERHEAD 53       /* md5 32 + rand 5 + global 10 + ':' + local 4 + ':' */

/*
 * secmsg_key_derive: the per-agent encryption key of keys.c OS_AddKey from the
 * client.keys fields: md5hex(key) + md5hex(md5hex(name) + md5hex(id))[0:15].
 * out receives 47 chars and a NUL.
 */
void secmsg_key_derive(const char *id, const char *name, const char *key,
    char out[SECMSG_ENCKEY_LEN + 1]);

/*
 * secmsg_split: parses the payload header "[!<id>!]#AES:".  On success returns
 * 0, copies the id (digits, or "" when there is no prefix) into id and points
 * *ct and *ctlen at the ciphertext.  Returns -1 for a malformed prefix, a
 * non-AES (Blowfish ':') payload or an empty ciphertext.
 */
int secmsg_split(const uint8_t *p, size_t len, char id[SECMSG_ID_MAX + 1],
    const uint8_t **ct, size_t *ctlen);

struct secmsg {
	unsigned int rand16;  /* 5 random digits */
	unsigned int global;  /* global counter */
	unsigned int local;   /* local counter, 0..9997 */
	const char *msg;      /* the message, inside the caller's work buffer, NUL-terminated */
	size_t msglen;
};

/*
 * secmsg_decode: decrypts ciphertext with enc_key (its first 32 chars are the
 * AES-256 key), skips the '!' padding, inflates, checks the MD5 and parses
 * the counters.  work is scratch space of workcap bytes (SECMSG_PLAIN_MAX + 64
 * is enough for any accepted message); m->msg points into it.  0 / -1.
 */
int secmsg_decode(const char *enc_key, const uint8_t *ct, size_t ctlen,
    uint8_t *work, size_t workcap, struct secmsg *m);

/* How secmsg_encode compresses the body.  Either is a zlib stream that any zlib
 * uncompress() accepts, which is all a Wazuh agent or manager does with it. */
enum secmsg_zmode {
	SECMSG_Z_BEST = 0,   /* compress2(level 9): Wazuh's own bytes */
	SECMSG_Z_STORED = 1, /* stored blocks: no compression, a fraction of the CPU */
};

/*
 * secmsg_encode: builds a payload (without the frame length): "!id!" when
 * id is not NULL (agent side), then "#AES:" and the ciphertext of msg with the
 * given counters, its body zlib-wrapped as zmode says.  Returns the bytes
 * written to out, or -1 if cap is too small,
 * msglen exceeds SECMSG_PLAIN_MAX, the payload would not fit in one frame
 * (FRAME_MAX: a message that does not compress well must stay somewhat below
 * SECMSG_PLAIN_MAX) or local does not fit in 4 digits (> 9999).
 * rand16 is taken modulo 65536 ("%05hu").  Uses static state: not re-entrant.
 */
ssize_t secmsg_encode(const char *enc_key, const char *id, unsigned int rand16,
    unsigned int global, unsigned int local, const char *msg, size_t msglen,
    enum secmsg_zmode zmode, uint8_t *out, size_t cap);

/* secmsg_counter_next: advances a sender's (global, local) pair as msgs.c does. */
void secmsg_counter_next(unsigned int *global, unsigned int *local);

#endif
