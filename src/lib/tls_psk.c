/* tls_psk.c — TLS 1.3 external-PSK contexts for the cluster link (see tls_psk.h). */
#include "lib/tls_psk.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "lib/log.h"
#include "lib/secretfile.h"

#define TLS_PSK_SALT "vigil-cluster-v1"
#define TLS_PSK_SUITE "TLS_AES_256_GCM_SHA384"

static const unsigned char tls13_aes256gcm_sha384[] = { 0x13, 0x02 };

static int psk_key_idx = -1;    /* SSL_CTX ex_data: struct tls_psk_key * */
static int psk_ident_idx = -1;  /* SSL_CTX ex_data: client identity (char *) */
static int psk_peer_idx = -1;   /* SSL ex_data: identity the server accepted (char *) */

static void
psk_peer_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static int
psk_indexes(void)
{
	if (psk_key_idx == -1)
		psk_key_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (psk_ident_idx == -1)
		psk_ident_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, psk_peer_free);
	if (psk_peer_idx == -1)
		psk_peer_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, psk_peer_free);
	return psk_key_idx >= 0 && psk_ident_idx >= 0 && psk_peer_idx >= 0 ? 0 : -1;
}

int
tls_psk_key_load(const char *path, struct tls_psk_key *k)
{
	char secret[TLS_PSK_KEY_MAX + 1];
	ssize_t len;

	memset(k, 0, sizeof(*k));
	len = secretfile_read("cluster key", path, secret, sizeof(secret), TLS_PSK_KEY_MIN,
	    TLS_PSK_KEY_MAX);
	if (len == -1)
		return -1;
	memcpy(k->secret, secret, (size_t)len);
	k->len = (size_t)len;
	explicit_bzero(secret, sizeof(secret));
	return 0;
}

int
tls_psk_derive(const struct tls_psk_key *k, const char *identity, unsigned char out[48])
{
	EVP_PKEY_CTX *pctx;
	size_t outlen = 48;
	int ok = 0;

	if ((pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL)) == NULL)
		return -1;
	if (EVP_PKEY_derive_init(pctx) == 1 &&
	    EVP_PKEY_CTX_set_hkdf_md(pctx, EVP_sha384()) == 1 &&
	    EVP_PKEY_CTX_set1_hkdf_salt(pctx, (const unsigned char *)TLS_PSK_SALT,
		(int)strlen(TLS_PSK_SALT)) == 1 &&
	    EVP_PKEY_CTX_set1_hkdf_key(pctx, k->secret, (int)k->len) == 1 &&
	    EVP_PKEY_CTX_add1_hkdf_info(pctx, (const unsigned char *)identity,
		(int)strlen(identity)) == 1 &&
	    EVP_PKEY_derive(pctx, out, &outlen) == 1 && outlen == 48)
		ok = 1;
	EVP_PKEY_CTX_free(pctx);
	return ok ? 0 : -1;
}

/* psk_session: an SSL_SESSION carrying the PSK for identity, for TLS 1.3 resumption-style PSK. */
static SSL_SESSION *
psk_session(SSL *ssl, const struct tls_psk_key *k, const char *identity)
{
	const SSL_CIPHER *cipher;
	SSL_SESSION *sess;
	unsigned char psk[48];

	if ((cipher = SSL_CIPHER_find(ssl, tls13_aes256gcm_sha384)) == NULL)
		return NULL;
	if (tls_psk_derive(k, identity, psk) == -1)
		return NULL;
	if ((sess = SSL_SESSION_new()) == NULL ||
	    SSL_SESSION_set1_master_key(sess, psk, sizeof(psk)) != 1 ||
	    SSL_SESSION_set_cipher(sess, cipher) != 1 ||
	    SSL_SESSION_set_protocol_version(sess, TLS1_3_VERSION) != 1) {
		SSL_SESSION_free(sess);
		sess = NULL;
	}
	explicit_bzero(psk, sizeof(psk));
	return sess;
}

static int
psk_identity_ok(const unsigned char *id, size_t len)
{
	size_t i;

	if (len == 0 || len > TLS_PSK_IDENTITY_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum(id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
			return 0;
	return 1;
}

static int
psk_find_cb(SSL *ssl, const unsigned char *identity, size_t identity_len, SSL_SESSION **sess)
{
	SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
	const struct tls_psk_key *k = SSL_CTX_get_ex_data(ctx, psk_key_idx);
	char id[TLS_PSK_IDENTITY_MAX + 1];
	char *copy;

	*sess = NULL;
	if (k == NULL || !psk_identity_ok(identity, identity_len))
		return 1;   /* no session: the handshake fails without a certificate */
	memcpy(id, identity, identity_len);
	id[identity_len] = '\0';
	if ((*sess = psk_session(ssl, k, id)) == NULL)
		return 0;
	if ((copy = strdup(id)) != NULL) {
		free(SSL_get_ex_data(ssl, psk_peer_idx));
		SSL_set_ex_data(ssl, psk_peer_idx, copy);
	}
	return 1;
}

static int
psk_use_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen,
    SSL_SESSION **sess)
{
	SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
	const struct tls_psk_key *k = SSL_CTX_get_ex_data(ctx, psk_key_idx);
	const char *identity = SSL_CTX_get_ex_data(ctx, psk_ident_idx);

	*sess = NULL;
	*id = NULL;
	*idlen = 0;
	if (k == NULL || identity == NULL)
		return 0;
	if (md != NULL && md != EVP_sha384())
		return 1;   /* HelloRetryRequest chose another hash: offer no PSK */
	if ((*sess = psk_session(ssl, k, identity)) == NULL)
		return 0;
	*id = (const unsigned char *)identity;
	*idlen = strlen(identity);
	return 1;
}

static SSL_CTX *
psk_ctx(const SSL_METHOD *method, const struct tls_psk_key *k)
{
	SSL_CTX *ctx;

	if (psk_indexes() == -1 || (ctx = SSL_CTX_new(method)) == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, TLS_PSK_SUITE) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_ex_data(ctx, psk_key_idx, (void *)(uintptr_t)k);
	return ctx;
}

SSL_CTX *
tls_psk_server_ctx(const struct tls_psk_key *k)
{
	SSL_CTX *ctx = psk_ctx(TLS_server_method(), k);

	if (ctx == NULL) {
		log_warnx("tls: cannot create the cluster server context");
		return NULL;
	}
	SSL_CTX_set_psk_find_session_callback(ctx, psk_find_cb);
	SSL_CTX_set_num_tickets(ctx, 0);
	return ctx;
}

SSL_CTX *
tls_psk_client_ctx(const struct tls_psk_key *k, const char *identity)
{
	SSL_CTX *ctx;
	char *copy;

	if (!psk_identity_ok((const unsigned char *)identity, strlen(identity))) {
		log_warnx("tls: node name '%s' cannot be a cluster identity", identity);
		return NULL;
	}
	if ((ctx = psk_ctx(TLS_client_method(), k)) == NULL ||
	    (copy = strdup(identity)) == NULL) {
		SSL_CTX_free(ctx);
		log_warnx("tls: cannot create the cluster client context");
		return NULL;
	}
	SSL_CTX_set_ex_data(ctx, psk_ident_idx, copy);
	SSL_CTX_set_psk_use_session_callback(ctx, psk_use_cb);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

const char *
tls_psk_identity(SSL *ssl)
{
	if (psk_peer_idx == -1 || !SSL_session_reused(ssl))
		return NULL;
	return SSL_get_ex_data(ssl, psk_peer_idx);
}
