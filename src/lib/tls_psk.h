/* tls_psk.h — TLS 1.3 with an external pre-shared key: the cluster link.
 *
 * Every node of a cluster holds the same cluster key file.  A node connecting
 * to the master offers its node name as the PSK identity; both ends derive the
 * PSK for that identity from the cluster key with HKDF-SHA384, so a completed
 * handshake proves to each side that the other holds the key (mutual
 * authentication without certificates) and binds the node name to it.
 * (EC)DHE is still used, so sessions keep forward secrecy.
 */
#ifndef VIGIL_TLS_PSK_H
#define VIGIL_TLS_PSK_H

#include <stddef.h>

#include <openssl/ssl.h>

#define TLS_PSK_KEY_MIN 16     /* bytes of secret a cluster key file must hold */
#define TLS_PSK_KEY_MAX 512
#define TLS_PSK_IDENTITY_MAX 63

struct tls_psk_key {
	unsigned char secret[TLS_PSK_KEY_MAX];
	size_t len;
};

/*
 * tls_psk_key_load: reads a cluster key file (its first line, whitespace
 * trimmed; at least TLS_PSK_KEY_MIN bytes).  Refuses a file that others can
 * read (mode & 077).  0 / -1 (logged).
 */
int tls_psk_key_load(const char *path, struct tls_psk_key *k);

/*
 * tls_psk_derive: the 48-byte PSK for identity: HKDF-SHA384(secret, salt
 * "vigil-cluster-v1", info identity).  0 / -1.
 */
int tls_psk_derive(const struct tls_psk_key *k, const char *identity, unsigned char out[48]);

/*
 * tls_psk_server_ctx / tls_psk_client_ctx: TLS 1.3 only, TLS_AES_256_GCM_SHA384,
 * PSK with (EC)DHE.  The contexts keep a pointer to k, which must outlive them.
 * NULL on failure (logged).
 */
SSL_CTX *tls_psk_server_ctx(const struct tls_psk_key *k);
SSL_CTX *tls_psk_client_ctx(const struct tls_psk_key *k, const char *identity);

/* tls_psk_identity: on a server SSL after the handshake, the client's identity (node name), or NULL. */
const char *tls_psk_identity(SSL *ssl);

#endif
