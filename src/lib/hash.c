/* hash.c — MD5/SHA1 hex digests and random bytes (OpenSSL). */
#include "lib/hash.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

static void
hash_hex(const EVP_MD *md, const void *data, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	EVP_Digest(data, len, d, &n, md, NULL);
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void
hash_md5_hex(const void *data, size_t len, char out[33])
{
	hash_hex(EVP_md5(), data, len, out);
}

void
hash_sha1_hex(const void *data, size_t len, char out[41])
{
	hash_hex(EVP_sha1(), data, len, out);
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
