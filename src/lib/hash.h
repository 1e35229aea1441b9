/* hash.h — MD5/SHA1 hex helpers over OpenSSL EVP. */
#ifndef VIGIL_HASH_H
#define VIGIL_HASH_H

#include <stddef.h>

/* hash_md5_hex: writes 32 lowercase hex chars and a NUL into out. */
void hash_md5_hex(const void *data, size_t len, char out[33]);
/* hash_sha1_hex: writes 40 lowercase hex chars and a NUL into out. */
void hash_sha1_hex(const void *data, size_t len, char out[41]);
/* hash_random_bytes: cryptographically random bytes; 0 / -1. */
int hash_random_bytes(void *buf, size_t len);
/* hash_random_hex: 2*n hex chars of randomness plus NUL into out (cap >= 2n+1). */
int hash_random_hex(char *out, size_t n);

#endif
