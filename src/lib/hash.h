/* hash.h — MD5/SHA1 hex helpers over OpenSSL EVP, and FNV-1a for tables. */
#ifndef VIGIL_HASH_H
#define VIGIL_HASH_H

#include <stddef.h>
#include <stdint.h>

/* hash_md5_hex: writes 32 lowercase hex chars and a NUL into out. */
void hash_md5_hex(const void *data, size_t len, char out[33]);
/* hash_sha1_hex: writes 40 lowercase hex chars and a NUL into out. */
void hash_sha1_hex(const void *data, size_t len, char out[41]);
/*
 * hash_named_hex: the digest of data by Python hashlib's name for it (md5,
 * sha1, sha224, sha256, sha384, sha512, blake2b, blake2s, sha3_224, sha3_256,
 * sha3_384, sha3_512) as lowercase hex into out (cap >= HASH_HEX_MAX).  0, or
 * -1 for another name.
 */
#define HASH_HEX_MAX 129
int hash_named_hex(const char *algo, const void *data, size_t len, char *out, size_t cap);
/* hash_fnv1a: 64-bit FNV-1a of data; for tables and change checks, not against an adversary. */
uint64_t hash_fnv1a(const void *data, size_t len);
/* hash_random_bytes: cryptographically random bytes; 0 / -1. */
int hash_random_bytes(void *buf, size_t len);
/* hash_random_hex: 2*n hex chars of randomness plus NUL into out (cap >= 2n+1). */
int hash_random_hex(char *out, size_t n);

#endif
