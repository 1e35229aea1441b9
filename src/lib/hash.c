/* hash.c — MD5/SHA1 hex digests and random bytes (OpenSSL), FNV-1a. */
#include "lib/hash.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

/*
 * hash_hex: the digest `name` of data as lowercase hex.  The algorithm is
 * fetched once and the context reused: OpenSSL 3 looks the provider up again
 * on every EVP_Digest(EVP_md5(), ...), which cost more than the MD5 of an
 * agent message itself.  Each process here is single-threaded.
 */
static void
hash_hex(const char *name, EVP_MD **cache, const void *data, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	static EVP_MD_CTX *ctx;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (*cache == NULL)
		*cache = EVP_MD_fetch(NULL, name, NULL);
	if (ctx == NULL)
		ctx = EVP_MD_CTX_new();
	if (*cache == NULL || ctx == NULL || EVP_DigestInit_ex(ctx, *cache, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, data, len) != 1 || EVP_DigestFinal_ex(ctx, d, &n) != 1)
		n = 0;   /* an empty digest matches nothing */
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void
hash_md5_hex(const void *data, size_t len, char out[33])
{
	static EVP_MD *md5;

	hash_hex("MD5", &md5, data, len, out);
}

int
hash_named_hex(const char *algo, const void *data, size_t len, char *out, size_t cap)
{
	/* Python hashlib's names (Wazuh's `hash` parameter) and OpenSSL's. */
	static const char *const names[][2] = {
		{ "md5", "MD5" }, { "sha1", "SHA1" }, { "sha224", "SHA224" },
		{ "sha256", "SHA256" }, { "sha384", "SHA384" }, { "sha512", "SHA512" },
		{ "blake2b", "BLAKE2B-512" }, { "blake2s", "BLAKE2S-256" },
		{ "sha3_224", "SHA3-224" }, { "sha3_256", "SHA3-256" }, { "sha3_384", "SHA3-384" },
		{ "sha3_512", "SHA3-512" },
	};
	static EVP_MD *cache[sizeof(names) / sizeof(names[0])];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(algo, names[i][0]) == 0)
			break;
	if (i == sizeof(names) / sizeof(names[0]) || cap < 2 * EVP_MAX_MD_SIZE + 1)
		return -1;
	hash_hex(names[i][1], &cache[i], data, len, out);
	return out[0] != '\0' ? 0 : -1;
}

void
hash_sha1_hex(const void *data, size_t len, char out[41])
{
	static EVP_MD *sha1;

	hash_hex("SHA1", &sha1, data, len, out);
}

int
hash_random_bytes(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

int
hash_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[256];
	size_t i;

	if (n > sizeof(b) || hash_random_bytes(b, n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
	return 0;
}

uint64_t
hash_fnv1a(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ULL;

	while (len-- > 0) {
		h ^= *p++;
		h *= 1099511628211ULL;
	}
	return h;
}
