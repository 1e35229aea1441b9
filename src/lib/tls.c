/* tls.c — OpenSSL 3 contexts and the node's self-signed certificate. */
#include "lib/tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/atomicfile.h"
#include "lib/log.h"

#define TLS_CERT_DAYS 3650

/*
 * TLS 1.2 suites: forward-secret AEAD (and SHA-2 CBC for older agents) with
 * ECDSA, since our certificate is EC.  Wazuh agents ask for
 * "HIGH:!ADH:!EXP:!MD5:!RC4:!3DES:!CAMELLIA:@STRENGTH", which includes these.
 * RSA variants are kept so that an operator-supplied RSA certificate works.
 * TLS 1.3 keeps OpenSSL's default suites.
 */
#define TLS12_CIPHERS \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:" \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256:" \
	"ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256"

/* tls_log: logs what failed with OpenSSL's first (root-cause) error, and clears the queue. */
static void
tls_log(const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		log_warnx("tls: %s%s%s: %s", what, path ? " " : "", path ? path : "", buf);
	} else {
		log_warnx("tls: %s%s%s", what, path ? " " : "", path ? path : "");
	}
	ERR_clear_error();
}

static int
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* dns_name_ok: whether cn may go into the SAN as a DNS name. */
static int
dns_name_ok(const char *cn)
{
	size_t n = strlen(cn);

	return n > 0 && n < 254 && strspn(cn, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n && cn[0] != '-' && cn[0] != '.';
}

/* make_cert: a self-signed certificate for key with subject CN=cn. */
static X509 *
make_cert(EVP_PKEY *key, const char *cn)
{
	X509 *x = NULL;
	X509_NAME *name;
	BIGNUM *bn = NULL;
	char san[400];

	if ((x = X509_new()) == NULL || !X509_set_version(x, X509_VERSION_3))
		goto err;
	/* 127 random bits: positive and at most 20 octets, as RFC 5280 asks. */
	if ((bn = BN_new()) == NULL || !BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto err;
	if (X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), TLS_CERT_DAYS, 0, NULL) == NULL)
		goto err;
	if (!X509_set_pubkey(x, key))
		goto err;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
	    -1, -1, 0) || !X509_set_issuer_name(x, name))
		goto err;
	if (dns_name_ok(cn) && strcmp(cn, "localhost") != 0)
		snprintf(san, sizeof(san), "IP:127.0.0.1,DNS:localhost,DNS:%s", cn);
	else
		snprintf(san, sizeof(san), "IP:127.0.0.1,DNS:localhost");
	/* Self-signed and used as its own trust anchor by clients, as "openssl req -x509" makes it. */
	if (add_ext(x, NID_basic_constraints, "critical,CA:TRUE") == -1 ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign") == -1 ||
	    add_ext(x, NID_ext_key_usage, "serverAuth,clientAuth") == -1 ||
	    add_ext(x, NID_subject_key_identifier, "hash") == -1 ||
	    add_ext(x, NID_authority_key_identifier, "keyid:always") == -1 ||
	    add_ext(x, NID_subject_alt_name, san) == -1)
		goto err;
	if (X509_sign(x, key, EVP_sha256()) == 0)
		goto err;
	BN_free(bn);
	return x;
err:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

/* write_bio: writes the contents of memory BIO b to path, atomically, mode 0600. */
static int
write_bio(const char *path, BIO *b)
{
	char *data;
	long len;

	len = BIO_get_mem_data(b, &data);
	if (len <= 0)
		return -1;
	if (atomicfile_write(path, data, (size_t)len, 0600) == -1) {
		log_warn("tls: cannot write %s", path);
		return -1;
	}
	return 0;
}

int
tls_ensure_cert(const char *cert_path, const char *key_path, const char *cn)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	BIO *kb = NULL, *cb = NULL;
	int ret = -1;

	if (access(cert_path, F_OK) == 0 && access(key_path, F_OK) == 0)
		return 0;
	if (cn == NULL || *cn == '\0')
		cn = "localhost";
	if ((key = EVP_EC_gen("P-256")) == NULL) {
		tls_log("cannot create an EC P-256 key", NULL);
		goto out;
	}
	if ((x = make_cert(key, cn)) == NULL) {
		tls_log("cannot create the certificate", cert_path);
		goto out;
	}
	if ((kb = BIO_new(BIO_s_secmem())) == NULL || (cb = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cb, x)) {
		tls_log("cannot encode the key and certificate", NULL);
		goto out;
	}
	/*
	 * Key first: should we die between the two renames, the certificate is
	 * still missing and the next start makes a fresh pair.
	 */
	if (write_bio(key_path, kb) == -1 || write_bio(cert_path, cb) == -1)
		goto out;
	log_info("tls: created a self-signed certificate for %s in %s", cn, cert_path);
	ret = 0;
out:
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(key);
	return ret;
}

/* ctx_common: protocol floor and options shared by server and client contexts. */
static int
ctx_common(SSL_CTX *ctx)
{
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
		return -1;
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (!SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS))
		return -1;
	return 0;
}

SSL_CTX *
tls_server_ctx(const char *cert_path, const char *key_path)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_log("SSL_CTX_new", NULL);
		return NULL;
	}
	if (ctx_common(ctx) == -1) {
		tls_log("cannot configure the server context", NULL);
		goto err;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
		tls_log("cannot load the certificate", cert_path);
		goto err;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
		tls_log("cannot load the key", key_path);
		goto err;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_log("the key does not match the certificate", cert_path);
		goto err;
	}
	return ctx;
err:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *
tls_client_ctx(const char *ca_path)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		tls_log("SSL_CTX_new", NULL);
		return NULL;
	}
	if (ctx_common(ctx) == -1) {
		tls_log("cannot configure the client context", NULL);
		goto err;
	}
	if (ca_path != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, ca_path, NULL) != 1) {
			tls_log("cannot load the CA", ca_path);
			goto err;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		/* As Wazuh agents do without a CA: encrypted, not authenticated. */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	return ctx;
err:
	SSL_CTX_free(ctx);
	return NULL;
}

int
tls_client_expect_host(SSL *ssl, const char *host)
{
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
	unsigned char addr[16];
	char sni[256];
	size_t len = strlen(host);

	if (len == 0 || len >= sizeof(sni))
		return -1;
	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1)
			goto err;
		return 0;
	}
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set1_host(vp, host, len) != 1)
		goto err;
	memcpy(sni, host, len + 1);     /* the macro wants a pointer it may not write through */
	if (SSL_set_tlsext_host_name(ssl, sni) != 1)
		goto err;
	return 0;
err:
	tls_log("cannot set the host to verify,", host);
	return -1;
}

const char *
tls_verify_error(const SSL *ssl)
{
	long vr;

	/* without SSL_VERIFY_PEER the result is kept but decides nothing */
	if ((SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) == 0)
		return NULL;
	if ((vr = SSL_get_verify_result(ssl)) == X509_V_OK)
		return NULL;
	return X509_verify_cert_error_string(vr);
}
