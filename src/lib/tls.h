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

/*
 * tls_client_ctx: a client context; with ca_path set it verifies the peer's
 * certificate chain against it (the handshake fails otherwise), and without
 * it verifies nothing.  NULL on failure (logged).
 */
SSL_CTX *tls_client_ctx(const char *ca_path);

/*
 * tls_client_expect_host: before the handshake of ssl (from a context that
 * verifies), makes it also require that the peer's certificate names host:
 * an IP address literal must be one of its SAN IP addresses, a name one of
 * its DNS names (or its CN when it has none; no partial wildcards), case
 * aside.  A name also goes out as SNI.  0 / -1.
 */
int tls_client_expect_host(SSL *ssl, const char *host);

/*
 * tls_verify_error: after a handshake of ssl, why the peer's certificate
 * was refused (X509_verify_cert_error_string: "certificate has expired",
 * "IP address mismatch", ...), or NULL when it was not, or ssl verifies
 * nothing.  The string is static.
 */
const char *tls_verify_error(const SSL *ssl);

#endif
