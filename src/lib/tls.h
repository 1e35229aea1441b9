/* tls.h — OpenSSL contexts and the node's self-signed certificate. */
#ifndef VIGIL_TLS_H
#define VIGIL_TLS_H

#include <openssl/ssl.h>

/*
 * tls_ensure_cert: when cert_path or key_path does not exist, creates a new
 * EC P-256 key and a self-signed certificate (CN = cn, SAN IP:127.0.0.1 and
 * DNS:localhost, 10 years), written with mode 0600.  0 / -1 (logged).
 */
int tls_ensure_cert(const char *cert_path, const char *key_path, const char *cn);

/* tls_server_ctx: a TLS >= 1.2 server context with that cert and key; NULL on failure (logged). */
SSL_CTX *tls_server_ctx(const char *cert_path, const char *key_path);

/* tls_client_ctx: a client context; with ca_path set it verifies the peer against it. */
SSL_CTX *tls_client_ctx(const char *ca_path);

#endif
