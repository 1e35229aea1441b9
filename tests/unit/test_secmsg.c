/* test_secmsg.c — the AES/zlib/MD5 secure message, against the reference vectors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "lib/hash.h"
#include "proto/frame.h"
#include "proto/secmsg.h"

/* wazuh-agent-protocol-vectors.txt */
#define KEY_ID "001"
#define KEY_NAME "agent-test"
#define KEY_RAW "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ENC_KEY "fe3a1ff59f3b89b2ad3d33f08984874b36dd8b69bcdd944"
#define ACK_INNER "123450000000001:0001:#!-agent ack "
#define ACK_MD5 "eacedc60d2641168dc7473e378a7cfab"
#define ACK_FRAME_HEX                                                                    \
	"234145533ad5278fbf95685589beae4945212100385f677cd7cd5458463573cbebeb34f3f03103"  \
	"cf78b54b7a7d4e1697474a33eb815b63509bba8febb42b337e77fea08ceb54d300440d10685689" \
	"822d932ffc016e"
#define AGENT_FRAME_HEX                                                                  \
	"2130303121234145533a47cc7195308b86d37bdeb8634adaf598c12c80e37491926d77a057b0de"  \
	"ecb3b3817e0616e42e20dbf264ffa5e299e8e21d7c11f01d2b9bc9ca202bb26b3726fa05c7a7f7" \
	"47a5b60f23a425a916aec74c6502081b9080eef143206949fea264fd"
#define AGENT_STARTUP "#!-agent startup {\"version\":\"v4.14.7\"}"

#define WORKCAP (SECMSG_PLAIN_MAX + 64)
#define OUTCAP (SECMSG_PLAIN_MAX + 1024)

static uint8_t work[WORKCAP];
static uint8_t out[OUTCAP];

static size_t
unhex(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = strlen(hex) / 2, i;
	unsigned int b;

	assert_true(n <= cap);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		buf[i] = (uint8_t)b;
	}
	return n;
}

/*
 * seal: builds ciphertext by hand from a plaintext the test controls, so that
 * decode can be shown a bad md5, a bad counter field, a missing '!' and so on.
 * pkcs7 = 0 encrypts whole blocks as they are (the caller supplies the pad).
 */
static size_t
seal(const uint8_t *plain, size_t len, int pkcs7, uint8_t *ct)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL,
	    (const unsigned char *)ENC_KEY, (const unsigned char *)"FEDCBA0987654321"), 1);
	EVP_CIPHER_CTX_set_padding(ctx, pkcs7);
	assert_int_equal(EVP_EncryptUpdate(ctx, ct, &n1, plain, (int)len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, ct + n1, &n2), 1);
	EVP_CIPHER_CTX_free(ctx);
	return (size_t)(n1 + n2);
}

/* seal_body: '!' + zlib(body) (+ extra bytes after the stream), then seal. */
static size_t
seal_body(const char *body, size_t blen, const char *extra, size_t nbang, uint8_t *ct)
{
	static uint8_t plain[OUTCAP * 2];
	uLongf zlen = sizeof(plain) - 16;
	size_t n;

	memset(plain, '!', nbang);
	assert_int_equal(compress2(plain + nbang, &zlen, (const Bytef *)body, blen, 9), Z_OK);
	n = nbang + zlen;
	if (extra != NULL) {
		memcpy(plain + n, extra, strlen(extra));
		n += strlen(extra);
	}
	return seal(plain, n, 1, ct);
}

/* body: md5hex(inner) + inner, with the md5 optionally spoiled. */
static size_t
body(const char *inner, int spoil, char *buf, size_t cap)
{
	char md5[33];
	int n;

	hash_md5_hex(inner, strlen(inner), md5);
	if (spoil)
		md5[0] = md5[0] == '0' ? '1' : '0';
	n = snprintf(buf, cap, "%s%s", md5, inner);
	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

static void
test_key_derive(void **state)
{
	char k[SECMSG_ENCKEY_LEN + 1];
	char m[33];

	(void)state;
	secmsg_key_derive(KEY_ID, KEY_NAME, KEY_RAW, k);
	assert_string_equal(k, ENC_KEY);
	/* The AES half is md5hex(raw key) alone: id and name do not change it. */
	hash_md5_hex(KEY_RAW, strlen(KEY_RAW), m);
	assert_memory_equal(k, m, 32);
	secmsg_key_derive("002", "other", KEY_RAW, k);
	assert_memory_equal(k, m, 32);
	assert_string_not_equal(k, ENC_KEY);
}

static void
test_vector_ack_encode(void **state)
{
	uint8_t want[128], hdr[4];
	size_t wlen = unhex(ACK_FRAME_HEX, want, sizeof(want));
	char md5[33];
	ssize_t n;

	(void)state;
	hash_md5_hex(ACK_INNER, strlen(ACK_INNER), md5);
	assert_string_equal(md5, ACK_MD5);
	assert_int_equal(wlen, 85);
	n = secmsg_encode(ENC_KEY, NULL, 12345, 1, 1, "#!-agent ack ", 13, SECMSG_Z_BEST, out, OUTCAP);
	assert_int_equal(n, 85);
	assert_memory_equal(out, want, 85);
	frame_put_header(hdr, (uint32_t)n);
	assert_memory_equal(hdr, "\x55\x00\x00\x00", 4);
}

static void
test_vector_ack_decode(void **state)
{
	uint8_t frame[128];
	size_t flen = unhex(ACK_FRAME_HEX, frame, sizeof(frame)), ctlen;
	char id[SECMSG_ID_MAX + 1];
	const uint8_t *ct;
	struct secmsg m;

	(void)state;
	assert_int_equal(secmsg_split(frame, flen, id, &ct, &ctlen), 0);
	assert_string_equal(id, "");
	assert_int_equal(ctlen, 80);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, ctlen, work, WORKCAP, &m), 0);
	assert_int_equal(m.rand16, 12345);
	assert_int_equal(m.global, 1);
	assert_int_equal(m.local, 1);
	assert_int_equal(m.msglen, 13);
	assert_string_equal(m.msg, "#!-agent ack ");
	/* The work buffer holds the md5 and the inner text in front of the message. */
	assert_memory_equal(work, ACK_MD5, 32);
	assert_memory_equal(work + 32, ACK_INNER, strlen(ACK_INNER));
}

static void
test_vector_agent_decode(void **state)
{
	uint8_t frame[256];
	size_t flen = unhex(AGENT_FRAME_HEX, frame, sizeof(frame)), ctlen;
	char id[SECMSG_ID_MAX + 1], k[SECMSG_ENCKEY_LEN + 1];
	const uint8_t *ct;
	struct secmsg m;

	(void)state;
	secmsg_key_derive(KEY_ID, KEY_NAME, KEY_RAW, k);
	assert_int_equal(secmsg_split(frame, flen, id, &ct, &ctlen), 0);
	assert_string_equal(id, "001");
	assert_ptr_equal(ct, frame + 10);
	assert_int_equal(secmsg_decode(k, ct, ctlen, work, WORKCAP, &m), 0);
	assert_int_equal(m.global, 0);
	assert_int_equal(m.local, 1);
	assert_int_equal(m.msglen, strlen(AGENT_STARTUP));
	assert_string_equal(m.msg, AGENT_STARTUP);
}

static void
roundtrip_z(const char *id, const char *msg, size_t len, unsigned int g, unsigned int l,
    enum secmsg_zmode z)
{
	char sid[SECMSG_ID_MAX + 1];
	const uint8_t *ct;
	size_t ctlen;
	struct secmsg m;
	ssize_t n;

	n = secmsg_encode(ENC_KEY, id, 77777, g, l, msg, len, z, out, OUTCAP);
	assert_true(n > 0);
	assert_int_equal(secmsg_split(out, (size_t)n, sid, &ct, &ctlen), 0);
	assert_string_equal(sid, id != NULL ? id : "");
	assert_int_equal(ctlen % 16, 0);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, ctlen, work, WORKCAP, &m), 0);
	assert_int_equal(m.rand16, 77777 & 0xffff);
	assert_int_equal(m.global, g);
	assert_int_equal(m.local, l);
	assert_int_equal(m.msglen, len);
	assert_memory_equal(m.msg, msg, len);
	assert_int_equal(m.msg[len], '\0');
}

/* Every message both ways: level 9 and stored blocks. */
static void
roundtrip(const char *id, const char *msg, size_t len, unsigned int g, unsigned int l)
{
	roundtrip_z(id, msg, len, g, l, SECMSG_Z_BEST);
	roundtrip_z(id, msg, len, g, l, SECMSG_Z_STORED);
}

static void
test_roundtrip(void **state)
{
	static char big[SECMSG_PLAIN_MAX];
	size_t i, len;

	(void)state;
	roundtrip(NULL, "", 0, 0, 1);
	roundtrip(NULL, "x", 1, 4294967295u, 9999);
	roundtrip("001", "1:wazuh-agent:ossec: Agent started: 'a->any'.", 46, 3, 9997);
	roundtrip("12345678", "#!-agent shutdown ", 18, 7, 0);
	/* Every '!' padding length (1..8) and block boundary. */
	for (len = 0; len < 200; len++) {
		for (i = 0; i < len; i++)
			big[i] = (char)('a' + (i * 7 + len) % 26);
		roundtrip("001", big, len, 1, (unsigned int)len);
	}
	/* Embedded NULs survive. */
	roundtrip(NULL, "a\0b\0c", 5, 1, 2);
	/* The largest message that compresses; incompressible data up to a frame. */
	memset(big, 'A', sizeof(big));
	roundtrip_z(NULL, big, sizeof(big), 1, 1, SECMSG_Z_BEST);
	srand(1);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)rand();
	roundtrip_z("001", big, 65000, 1, 1, SECMSG_Z_BEST);
	roundtrip_z("001", big, 65000, 1, 1, SECMSG_Z_STORED);
}

/*
 * The stored form, opened the way a Wazuh agent does (ReadSecMSG: AES-256-CBC
 * with the fixed IV, skip the '!'s, uncompress()), holds exactly the body;
 * the zlib stream is a header 78 01, one final stored block and the Adler-32.
 */
static void
test_stored_as_agent_reads_it(void **state)
{
	static const uint8_t iv[] = "FEDCBA0987654321";
	uint8_t plain[256], z[256];
	char want[128], md5[33];
	const uint8_t *p;
	EVP_CIPHER_CTX *ctx;
	uLongf zl = sizeof(z);
	size_t wlen, zlen;
	int n1, n2;
	ssize_t n;

	(void)state;
	n = secmsg_encode(ENC_KEY, NULL, 12345, 1, 1, "#!-agent ack ", 13, SECMSG_Z_STORED, out,
	    OUTCAP);
	assert_true(n > 5);
	assert_memory_equal(out, "#AES:", 5);
	ctx = EVP_CIPHER_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL,
	    (const unsigned char *)ENC_KEY, iv), 1);
	assert_int_equal(EVP_DecryptUpdate(ctx, plain, &n1, out + 5, (int)n - 5), 1);
	assert_int_equal(EVP_DecryptFinal_ex(ctx, plain + n1, &n2), 1);
	EVP_CIPHER_CTX_free(ctx);
	for (p = plain; *p == '!'; p++)
		;
	zlen = (size_t)(plain + n1 + n2 - p);
	assert_int_equal((p - plain + zlen) % 8, 0);   /* the '!'s pad to 8 */
	hash_md5_hex(ACK_INNER, strlen(ACK_INNER), md5);
	wlen = (size_t)snprintf(want, sizeof(want), "%s%s", md5, ACK_INNER);
	assert_int_equal(zlen, 2 + 5 + wlen + 4);
	assert_memory_equal(p, "\x78\x01\x01", 3);
	assert_int_equal(p[3] | p[4] << 8, wlen);
	assert_int_equal((p[5] | p[6] << 8) ^ 0xffff, wlen);
	assert_int_equal(uncompress(z, &zl, p, (uLong)zlen), Z_OK);
	assert_int_equal(zl, wlen);
	assert_memory_equal(z, want, wlen);
}

/*
 * Stored, the payload is the message plus a fixed overhead, so the largest
 * message that fits a frame is smaller than compressed; above it, -1.
 */
static void
test_stored_frame_limit(void **state)
{
	static char big[SECMSG_PLAIN_MAX];
	size_t len, last = 0;
	ssize_t n;

	(void)state;
	memset(big, 'B', sizeof(big));
	for (len = 65300; len <= sizeof(big); len++) {
		n = secmsg_encode(ENC_KEY, "001", 1, 1, 1, big, len, SECMSG_Z_STORED, out, OUTCAP);
		if (n == -1)
			break;
		assert_true(n <= FRAME_MAX);
		last = len;
	}
	assert_true(last > 65300 && last < sizeof(big));
	roundtrip_z("001", big, last, 1, 1, SECMSG_Z_STORED);
	/* The same message compresses and fits. */
	roundtrip_z("001", big, last + 1, 1, 1, SECMSG_Z_BEST);
}

static void
test_encode_frame_limit(void **state)
{
	static char big[SECMSG_PLAIN_MAX];
	size_t i, len;
	ssize_t n, last = 0;

	(void)state;
	/* Incompressible: the payload grows with the message until a frame is full. */
	srand(2);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)rand();
	for (len = 65300; len <= sizeof(big); len += 4) {
		n = secmsg_encode(ENC_KEY, "001", 1, 1, 1, big, len, SECMSG_Z_BEST, out, OUTCAP);
		if (n == -1)
			break;
		assert_true(n <= FRAME_MAX);
		last = n;
	}
	assert_true(len <= sizeof(big));
	assert_true(last > FRAME_MAX - 64);
	assert_int_equal(secmsg_encode(ENC_KEY, NULL, 1, 1, 1, big, sizeof(big), SECMSG_Z_BEST, out, OUTCAP), -1);
}

static void
test_encode_limits(void **state)
{
	static char big[SECMSG_PLAIN_MAX + 1];
	uint8_t small[64];

	(void)state;
	assert_int_equal(secmsg_encode(ENC_KEY, NULL, 1, 1, 1, big, sizeof(big), SECMSG_Z_BEST, out, OUTCAP), -1);
	assert_int_equal(secmsg_encode(ENC_KEY, NULL, 1, 1, 10000, "x", 1, SECMSG_Z_BEST, out, OUTCAP), -1);
	assert_int_equal(secmsg_encode("short", NULL, 1, 1, 1, "x", 1, SECMSG_Z_BEST, out, OUTCAP), -1);
	/* The ack needs 85 bytes; one less is refused, not truncated. */
	assert_int_equal(secmsg_encode(ENC_KEY, NULL, 12345, 1, 1, "#!-agent ack ", 13, SECMSG_Z_BEST, out, 84),
	    -1);
	assert_int_equal(secmsg_encode(ENC_KEY, NULL, 12345, 1, 1, "#!-agent ack ", 13, SECMSG_Z_BEST, out, 85),
	    85);
	assert_int_equal(secmsg_encode(ENC_KEY, "001", 1, 1, 1, "x", 1, SECMSG_Z_BEST, small, 3), -1);
	assert_int_equal(secmsg_encode(ENC_KEY, "001", 1, 1, 1, "x", 1, SECMSG_Z_BEST, small, 8), -1);
	assert_int_equal(secmsg_encode(ENC_KEY, NULL, 1, 1, 1, "x", 1, SECMSG_Z_BEST, small, 0), -1);
}

static void
test_split(void **state)
{
	char id[SECMSG_ID_MAX + 1];
	const uint8_t *ct = NULL;
	size_t ctlen = 0;
	static const char *const bad[] = {
		"", "#AES:", "#AES", "#AE:xxxx", ":blowfish-cipher", "!001!", "!001!#AES:",
		"!001!:blowfish", "!01!#AES:xxxx", "!!#AES:xxxx", "!123456789!#AES:xxxx",
		"!0a1!#AES:xxxx", "!001#AES:xxxx", "!001", "001!#AES:xxxx", "!001!!#AES:xxxx",
		" #AES:xxxx", "#aes:xxxx", NULL,
	};
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		memcpy(id, "zz", 3);
		if (secmsg_split((const uint8_t *)bad[i], strlen(bad[i]), id, &ct, &ctlen) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_string_equal(id, "");
	}
	assert_int_equal(secmsg_split((const uint8_t *)"#AES:x", 6, id, &ct, &ctlen), 0);
	assert_string_equal(id, "");
	assert_int_equal(ctlen, 1);
	assert_int_equal(*ct, 'x');
	assert_int_equal(secmsg_split((const uint8_t *)"!12345678!#AES:xy", 17, id, &ct, &ctlen), 0);
	assert_string_equal(id, "12345678");
	assert_int_equal(ctlen, 2);
	assert_int_equal(secmsg_split((const uint8_t *)"!123!#AES:xy", 12, id, &ct, &ctlen), 0);
	assert_string_equal(id, "123");
}

/* A valid ack ciphertext, from the vector. */
static size_t
ack_ct(uint8_t *ct)
{
	uint8_t frame[128];
	size_t flen = unhex(ACK_FRAME_HEX, frame, sizeof(frame));

	memcpy(ct, frame + 5, flen - 5);
	return flen - 5;
}

static void
test_wrong_key(void **state)
{
	uint8_t ct[128];
	size_t n = ack_ct(ct);
	char k[SECMSG_ENCKEY_LEN + 1];
	struct secmsg m;

	(void)state;
	secmsg_key_derive(KEY_ID, KEY_NAME, "another key entirely", k);
	assert_int_equal(secmsg_decode(k, ct, n, work, WORKCAP, &m), -1);
	assert_int_equal(secmsg_decode("tooshort", ct, n, work, WORKCAP, &m), -1);
	/* The right key still works afterwards: the static context recovers. */
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), 0);
}

static void
test_truncated_garbled(void **state)
{
	uint8_t ct[128], bad[128];
	size_t n = ack_ct(ct), i, cut;
	struct secmsg m;

	(void)state;
	assert_int_equal(secmsg_decode(ENC_KEY, ct, 0, work, WORKCAP, &m), -1);
	for (cut = 1; cut < n; cut++)
		if (secmsg_decode(ENC_KEY, ct, n - cut, work, WORKCAP, &m) != -1)
			fail_msg("accepted the ciphertext cut by %zu bytes", cut);
	/* Flipping any single bit of any byte is caught (padding, zlib or md5). */
	for (i = 0; i < n; i++) {
		memcpy(bad, ct, n);
		bad[i] ^= 0x01;
		if (secmsg_decode(ENC_KEY, bad, n, work, WORKCAP, &m) != -1)
			fail_msg("accepted a flip at byte %zu", i);
		bad[i] ^= 0x81;
		if (secmsg_decode(ENC_KEY, bad, n, work, WORKCAP, &m) != -1)
			fail_msg("accepted a flip at byte %zu", i);
	}
	/* Extra garbage blocks after a valid message change the last block's padding. */
	memcpy(bad, ct, n);
	memset(bad + n, 0x42, 16);
	assert_int_equal(secmsg_decode(ENC_KEY, bad, n + 16, work, WORKCAP, &m), -1);
}

static void
test_bad_padding(void **state)
{
	char b[256];
	uint8_t plain[256], ct[256];
	size_t blen = body(ACK_INNER, 0, b, sizeof(b)), n, zl;
	uLongf zlen = sizeof(plain) - 32;
	struct secmsg m;

	(void)state;
	plain[0] = '!';
	assert_int_equal(compress2(plain + 1, &zlen, (const Bytef *)b, blen, 9), Z_OK);
	zl = 1 + zlen;
	/* Well-formed PKCS#7 by hand first, to show the helper is right. */
	n = (zl / 16 + 1) * 16;
	memset(plain + zl, (int)(n - zl), n - zl);
	assert_int_equal(seal(plain, n, 0, ct), n);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), 0);
	/* Pad byte 0, pad byte 17, and inconsistent pad bytes. */
	plain[n - 1] = 0;
	seal(plain, n, 0, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), -1);
	plain[n - 1] = 17;
	seal(plain, n, 0, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), -1);
	memset(plain + zl, (int)(n - zl), n - zl);
	if (n - zl >= 2) {
		plain[n - 2] ^= 0x40;
		seal(plain, n, 0, ct);
		assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), -1);
	}
}

static void
test_bad_md5(void **state)
{
	char b[256];
	uint8_t ct[256];
	size_t blen, n;
	struct secmsg m;

	(void)state;
	blen = body(ACK_INNER, 0, b, sizeof(b));
	n = seal_body(b, blen, NULL, 1, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), 0);
	assert_string_equal(m.msg, "#!-agent ack ");
	blen = body(ACK_INNER, 1, b, sizeof(b));
	n = seal_body(b, blen, NULL, 1, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), -1);
	/* md5 right, message changed after hashing. */
	blen = body(ACK_INNER, 0, b, sizeof(b));
	b[blen - 1] = 'X';
	n = seal_body(b, blen, NULL, 1, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), -1);
}

static void
test_bang_and_trailer(void **state)
{
	char b[256];
	uint8_t ct[256];
	size_t blen = body(ACK_INNER, 0, b, sizeof(b)), n;
	struct secmsg m;

	(void)state;
	/* Any number of '!' is skipped; bytes after the zlib stream are ignored. */
	n = seal_body(b, blen, NULL, 8, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), 0);
	n = seal_body(b, blen, NULL, 20, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), 0);
	n = seal_body(b, blen, "trailing junk", 1, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), 0);
	assert_string_equal(m.msg, "#!-agent ack ");
	/* No '!' (the legacy uncompressed ':' form is not supported), or only '!'. */
	n = seal_body(b, blen, NULL, 0, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), -1);
	n = seal((const uint8_t *)"!!!!!!!!", 8, 1, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), -1);
	n = seal((const uint8_t *)":legacy", 7, 1, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), -1);
	/* '!' then something that is not zlib. */
	n = seal((const uint8_t *)"!not zlib at all", 16, 1, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), -1);
}

static void
test_bad_counters(void **state)
{
	static const char *const bad[] = {
		"12345000000000a:0001:x",  /* global not a digit */
		"123450000000001-0001:x",  /* missing ':' */
		"123450000000001:00a1:x",  /* local not a digit */
		"123450000000001:0001-x",  /* missing second ':' */
		"1234a0000000001:0001:x",  /* rand not a digit */
		"123459999999999:0001:x",  /* global above UINT_MAX */
		"12345000000001:0001:x",   /* short global */
		"123450000000001:0001",    /* 20 bytes: shorter than the header */
		"",
		NULL,
	};
	char b[256];
	uint8_t ct[256];
	size_t n, i;
	struct secmsg m;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		n = seal_body(b, body(bad[i], 0, b, sizeof(b)), NULL, 1, ct);
		if (secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	/* The largest global that fits is accepted; an empty message is fine. */
	n = seal_body(b, body("999994294967295:9999:", 0, b, sizeof(b)), NULL, 1, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), 0);
	assert_int_equal(m.global, 4294967295u);
	assert_int_equal(m.local, 9999);
	assert_int_equal(m.rand16, 99999);
	assert_int_equal(m.msglen, 0);
}

static void
test_oversize(void **state)
{
	static char b[SECMSG_PLAIN_MAX + 200];
	static uint8_t ct[OUTCAP];
	char inner[64];
	size_t blen, n;
	struct secmsg m;

	(void)state;
	/* A message one byte above SECMSG_PLAIN_MAX inflates past the limit. */
	snprintf(inner, sizeof(inner), "123450000000001:0001:");
	memset(b, 'A', sizeof(b));
	memcpy(b + 32, inner, 21);
	blen = SECMSG_OVERHEAD + SECMSG_PLAIN_MAX + 1;
	hash_md5_hex(b + 32, blen - 32, inner);
	memcpy(b, inner, 32);
	n = seal_body(b, blen, NULL, 1, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), -1);
	/* Exactly SECMSG_PLAIN_MAX is accepted with the documented work size. */
	blen--;
	hash_md5_hex(b + 32, blen - 32, inner);
	memcpy(b, inner, 32);
	n = seal_body(b, blen, NULL, 1, ct);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, WORKCAP, &m), 0);
	assert_int_equal(m.msglen, SECMSG_PLAIN_MAX);
	/* A small work buffer refuses what does not fit instead of overflowing. */
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, 1000, &m), -1);
	n = ack_ct(ct);
	/* The ack's body is 66 bytes; the message is NUL-terminated after it. */
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, 67, &m), 0);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, 66, &m), -1);
	assert_int_equal(secmsg_decode(ENC_KEY, ct, n, work, 0, &m), -1);
	/* Ciphertext above a frame's worth is refused before decrypting. */
	assert_int_equal(secmsg_decode(ENC_KEY, ct, 65536 + 16, work, WORKCAP, &m), -1);
}

static void
test_counter_next(void **state)
{
	unsigned int g = 0, l = 0;

	(void)state;
	secmsg_counter_next(&g, &l);
	assert_int_equal(g, 0);
	assert_int_equal(l, 1);
	l = 9996;
	secmsg_counter_next(&g, &l);
	assert_int_equal(g, 0);
	assert_int_equal(l, 9997);
	secmsg_counter_next(&g, &l);
	assert_int_equal(g, 1);
	assert_int_equal(l, 1);
	l = 12000; /* out of range from a bad counter file: wraps too */
	secmsg_counter_next(&g, &l);
	assert_int_equal(g, 2);
	assert_int_equal(l, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_derive),
		cmocka_unit_test(test_vector_ack_encode),
		cmocka_unit_test(test_vector_ack_decode),
		cmocka_unit_test(test_vector_agent_decode),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_stored_as_agent_reads_it),
		cmocka_unit_test(test_stored_frame_limit),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_encode_frame_limit),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_truncated_garbled),
		cmocka_unit_test(test_bad_padding),
		cmocka_unit_test(test_bad_md5),
		cmocka_unit_test(test_bang_and_trailer),
		cmocka_unit_test(test_bad_counters),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_counter_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
