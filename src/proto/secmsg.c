/*
 * secmsg.c — Wazuh 4.x secure message (msgs.c CreateSecMSG / ReadSecMSG):
 *
 *	inner = "%05hu%010u:%04u:" rand16 global local, then the message
 *	body  = md5hex(inner) + inner
 *	plain = '!' x (1 + pad) + zlib(body, level 9), pad to a multiple of 8
 *	        (or zlib stored blocks: SECMSG_Z_STORED)
 *	wire  = ["!id!"] "#AES:" AES-256-CBC(key = md5hex(raw key), IV, PKCS#7)
 *
 * The program is single-threaded, so the cipher contexts, the zlib streams and
 * the scratch buffers are static and reused: one encode or decode allocates
 * nothing once the first call has set them up.  None of this is re-entrant.
 */
#define ZLIB_CONST
#include "proto/secmsg.h"

#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "lib/hash.h"
#include "proto/frame.h"

#define SECMSG_AES_KEY_LEN 32
#define SECMSG_AES_BLOCK 16
#define SECMSG_IV "FEDCBA0987654321"
#define SECMSG_TOKEN "#AES:"
#define SECMSG_TOKEN_LEN 5
#define SECMSG_ID_MIN 3
#define SECMSG_MD5_LEN 32
#define SECMSG_HDR_LEN 21 /* "%05hu%010u:%04u:" */
#define SECMSG_LOCAL_MAX 9999 /* largest value "%04u" keeps in 4 digits */
#define SECMSG_BANG_MAX 8     /* 1 + up to 7 pad bytes */

/* A zlib stored block holds at most 65535 bytes: header 2, block header 5, Adler-32 4. */
#define SECMSG_STORED_BLOCK 65535
#define SECMSG_STORED_LEN(n) (2 + 5 + (n) + 4)

/* The largest body and its worst-case deflate size (zlib compressBound). */
#define SECMSG_BODY_MAX (SECMSG_OVERHEAD + SECMSG_PLAIN_MAX)
#define SECMSG_ZBOUND(n) ((n) + ((n) >> 12) + ((n) >> 14) + ((n) >> 25) + 13)
#define SECMSG_ZMAX SECMSG_ZBOUND(SECMSG_BODY_MAX)
_Static_assert(SECMSG_STORED_LEN(SECMSG_STORED_BLOCK) <= SECMSG_ZMAX, "a stored block fits");
/* Ciphertext we agree to decrypt: a frame (OS_MAXSTR) can hold no more. */
#define SECMSG_CT_MAX FRAME_MAX

static uint8_t enc_body[SECMSG_BODY_MAX];
static uint8_t enc_plain[SECMSG_BANG_MAX + SECMSG_ZMAX];
static uint8_t dec_plain[SECMSG_CT_MAX + SECMSG_AES_BLOCK];

static EVP_CIPHER_CTX *enc_ctx, *dec_ctx;
static int enc_keyed, dec_keyed;
static z_stream enc_zs, dec_zs;
static int enc_zinit, dec_zinit;

void
secmsg_key_derive(const char *id, const char *name, const char *key,
    char out[SECMSG_ENCKEY_LEN + 1])
{
	char hn[33], hi[33], both[65], s1[33];

	hash_md5_hex(name, strlen(name), hn);
	hash_md5_hex(id, strlen(id), hi);
	memcpy(both, hn, 32);
	memcpy(both + 32, hi, 32);
	hash_md5_hex(both, 64, s1);
	hash_md5_hex(key, strlen(key), out);
	memcpy(out + 32, s1, SECMSG_ENCKEY_LEN - 32);
	out[SECMSG_ENCKEY_LEN] = '\0';
}

int
secmsg_split(const uint8_t *p, size_t len, char id[SECMSG_ID_MAX + 1],
    const uint8_t **ct, size_t *ctlen)
{
	size_t i = 0, n;

	id[0] = '\0';
	if (len > 0 && p[0] == '!') {
		for (i = 1; i < len && p[i] >= '0' && p[i] <= '9'; i++)
			if (i > SECMSG_ID_MAX)
				return -1;
		n = i - 1;
		if (i == len || p[i] != '!' || n < SECMSG_ID_MIN)
			return -1;
		memcpy(id, p + 1, n);
		id[n] = '\0';
		i++;
	}
	if (len - i <= SECMSG_TOKEN_LEN || memcmp(p + i, SECMSG_TOKEN, SECMSG_TOKEN_LEN) != 0) {
		id[0] = '\0';
		return -1;
	}
	*ct = p + i + SECMSG_TOKEN_LEN;
	*ctlen = len - i - SECMSG_TOKEN_LEN;
	return 0;
}

/* aes_key: the AES key is the first 32 chars of enc_key; NULL if it is shorter. */
static const unsigned char *
aes_key(const char *enc_key)
{
	if (enc_key == NULL || memchr(enc_key, '\0', SECMSG_AES_KEY_LEN) != NULL)
		return NULL;
	return (const unsigned char *)enc_key;
}

/*
 * cipher_init: (re)keys a static context.  The first call sets the cipher;
 * later calls pass NULL so that OpenSSL only re-keys the context and does
 * not fetch the algorithm again.
 */
static int
cipher_init(EVP_CIPHER_CTX **ctxp, int *keyed, int enc, const unsigned char *key)
{
	const unsigned char *iv = (const unsigned char *)SECMSG_IV;

	if (*ctxp == NULL && (*ctxp = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (!*keyed) {
		if (EVP_CipherInit_ex(*ctxp, EVP_aes_256_cbc(), NULL, key, iv, enc) != 1)
			return -1;
		*keyed = 1;
		return 0;
	}
	return EVP_CipherInit_ex(*ctxp, NULL, NULL, key, iv, enc) == 1 ? 0 : -1;
}

/* digits: parses exactly n decimal digits at s; -1 if one is not a digit. */
static int
digits(const uint8_t *s, size_t n, unsigned long long *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

int
secmsg_decode(const char *enc_key, const uint8_t *ct, size_t ctlen, uint8_t *work,
    size_t workcap, struct secmsg *m)
{
	const unsigned char *key = aes_key(enc_key);
	const uint8_t *z, *h;
	unsigned long long r, g, l;
	char md5[33];
	size_t zlen, cap, n;
	int outl, finl;

	if (key == NULL || ctlen == 0 || ctlen > SECMSG_CT_MAX || ctlen % SECMSG_AES_BLOCK != 0 ||
	    workcap <= SECMSG_OVERHEAD)
		return -1;
	if (cipher_init(&dec_ctx, &dec_keyed, 0, key) == -1)
		return -1;
	if (EVP_DecryptUpdate(dec_ctx, dec_plain, &outl, ct, (int)ctlen) != 1 ||
	    EVP_DecryptFinal_ex(dec_ctx, dec_plain + outl, &finl) != 1)
		return -1;
	n = (size_t)outl + (size_t)finl;

	/* One or more '!' mark a compressed message and carry the padding. */
	if (n == 0 || dec_plain[0] != '!')
		return -1;
	for (z = dec_plain; z < dec_plain + n && *z == '!'; z++)
		;
	zlen = (size_t)(dec_plain + n - z);
	if (zlen == 0)
		return -1;

	if (!dec_zinit) {
		memset(&dec_zs, 0, sizeof(dec_zs));
		if (inflateInit(&dec_zs) != Z_OK)
			return -1;
		dec_zinit = 1;
	} else if (inflateReset(&dec_zs) != Z_OK)
		return -1;
	cap = workcap - 1;
	if (cap > SECMSG_BODY_MAX)
		cap = SECMSG_BODY_MAX;
	dec_zs.next_in = z;
	dec_zs.avail_in = (uInt)zlen;
	dec_zs.next_out = work;
	dec_zs.avail_out = (uInt)cap;
	/* Bytes after the end of the zlib stream are ignored, as uncompress() does. */
	if (inflate(&dec_zs, Z_FINISH) != Z_STREAM_END)
		return -1;
	n = cap - dec_zs.avail_out;
	if (n < SECMSG_OVERHEAD)
		return -1;
	work[n] = '\0';

	hash_md5_hex(work + SECMSG_MD5_LEN, n - SECMSG_MD5_LEN, md5);
	if (memcmp(md5, work, SECMSG_MD5_LEN) != 0)
		return -1;

	h = work + SECMSG_MD5_LEN;
	if (digits(h, 5, &r) == -1 || digits(h + 5, 10, &g) == -1 || h[15] != ':' ||
	    digits(h + 16, 4, &l) == -1 || h[20] != ':' || g > UINT_MAX)
		return -1;
	m->rand16 = (unsigned int)r;
	m->global = (unsigned int)g;
	m->local = (unsigned int)l;
	m->msg = (const char *)work + SECMSG_OVERHEAD;
	m->msglen = n - SECMSG_OVERHEAD;
	return 0;
}

/*
 * zlib_stored: writes in (n bytes) to out as a zlib stream of one stored
 * block (RFC 1950 header 78 01, an RFC 1951 block of type 00, Adler-32).
 * out holds SECMSG_STORED_LEN(n) bytes.  Returns the length written, or -1
 * when n needs a second block: such a message cannot fit in a frame anyway.
 */
static ssize_t
zlib_stored(const uint8_t *in, size_t n, uint8_t *out)
{
	uLong adler;

	if (n > SECMSG_STORED_BLOCK)
		return -1;
	adler = adler32(adler32(0L, Z_NULL, 0), in, (uInt)n);
	out[0] = 0x78;   /* deflate, 32 KiB window */
	out[1] = 0x01;   /* no dictionary, fastest; (0x78 << 8 | 0x01) % 31 == 0 */
	out[2] = 1;      /* BFINAL, BTYPE 00 */
	out[3] = (uint8_t)(n & 0xff);
	out[4] = (uint8_t)(n >> 8);
	out[5] = (uint8_t)(~n & 0xff);
	out[6] = (uint8_t)((~n >> 8) & 0xff);
	memcpy(out + 7, in, n);
	out[7 + n] = (uint8_t)(adler >> 24);
	out[8 + n] = (uint8_t)(adler >> 16);
	out[9 + n] = (uint8_t)(adler >> 8);
	out[10 + n] = (uint8_t)adler;
	return (ssize_t)SECMSG_STORED_LEN(n);
}

/*
 * zlib_best: deflates enc_body (n bytes) into enc_plain after the room for
 * the '!'s, with the stream parameters of compress2(body, Z_BEST_COMPRESSION)
 * so the bytes are Wazuh's own.  0 / -1.
 */
static int
zlib_best(size_t n, size_t *zlen)
{
	if (!enc_zinit) {
		memset(&enc_zs, 0, sizeof(enc_zs));
		if (deflateInit(&enc_zs, Z_BEST_COMPRESSION) != Z_OK)
			return -1;
		enc_zinit = 1;
	} else if (deflateReset(&enc_zs) != Z_OK)
		return -1;
	enc_zs.next_in = enc_body;
	enc_zs.avail_in = (uInt)n;
	enc_zs.next_out = enc_plain + SECMSG_BANG_MAX;
	enc_zs.avail_out = (uInt)(sizeof(enc_plain) - SECMSG_BANG_MAX);
	if (deflate(&enc_zs, Z_FINISH) != Z_STREAM_END)
		return -1;
	*zlen = sizeof(enc_plain) - SECMSG_BANG_MAX - enc_zs.avail_out;
	return 0;
}

ssize_t
secmsg_encode(const char *enc_key, const char *id, unsigned int rand16, unsigned int global,
    unsigned int local, const char *msg, size_t msglen, enum secmsg_zmode zmode, uint8_t *out,
    size_t cap)
{
	const unsigned char *key = aes_key(enc_key);
	char md5[33], hdr[SECMSG_HDR_LEN + 1];
	size_t pre = 0, bodylen, zlen, bangs, plainlen, ctlen;
	uint8_t *plain;
	int outl, finl, r;

	if (key == NULL || msglen > SECMSG_PLAIN_MAX || local > SECMSG_LOCAL_MAX)
		return -1;
	if (id != NULL) {
		r = snprintf((char *)out, cap, "!%s!", id);
		if (r < 0 || (size_t)r >= cap)
			return -1;
		pre = (size_t)r;
	}
	if (cap - pre < SECMSG_TOKEN_LEN)
		return -1;
	memcpy(out + pre, SECMSG_TOKEN, SECMSG_TOKEN_LEN);
	pre += SECMSG_TOKEN_LEN;

	/* body = md5hex(inner) + inner, inner = counters + message */
	r = snprintf(hdr, sizeof(hdr), "%05u%010u:%04u:", rand16 & 0xffff, global, local);
	if (r != SECMSG_HDR_LEN)
		return -1;
	memcpy(enc_body + SECMSG_MD5_LEN, hdr, SECMSG_HDR_LEN);
	if (msglen > 0)
		memcpy(enc_body + SECMSG_OVERHEAD, msg, msglen);
	bodylen = SECMSG_OVERHEAD + msglen;
	hash_md5_hex(enc_body + SECMSG_MD5_LEN, bodylen - SECMSG_MD5_LEN, md5);
	memcpy(enc_body, md5, SECMSG_MD5_LEN);

	if (zmode == SECMSG_Z_STORED) {
		ssize_t sl = zlib_stored(enc_body, bodylen, enc_plain + SECMSG_BANG_MAX);

		if (sl == -1)
			return -1;
		zlen = (size_t)sl;
	} else if (zlib_best(bodylen, &zlen) == -1)
		return -1;

	/* '!' in front of the stream: one, plus padding to a multiple of 8. */
	bangs = 1 + (8 - (zlen + 1) % 8) % 8;
	plain = enc_plain + SECMSG_BANG_MAX - bangs;
	memset(plain, '!', bangs);
	plainlen = bangs + zlen;

	/* A payload that does not fit in one frame would make the peer hang up. */
	ctlen = (plainlen / SECMSG_AES_BLOCK + 1) * SECMSG_AES_BLOCK;
	if (cap - pre < ctlen || pre + ctlen > FRAME_MAX)
		return -1;
	if (cipher_init(&enc_ctx, &enc_keyed, 1, key) == -1)
		return -1;
	if (EVP_EncryptUpdate(enc_ctx, out + pre, &outl, plain, (int)plainlen) != 1 ||
	    EVP_EncryptFinal_ex(enc_ctx, out + pre + outl, &finl) != 1)
		return -1;
	if ((size_t)outl + (size_t)finl != ctlen)
		return -1;
	return (ssize_t)(pre + ctlen);
}

void
secmsg_counter_next(unsigned int *global, unsigned int *local)
{
	if (*local >= 9997) {
		*local = 0;
		(*global)++;
	}
	(*local)++;
}
