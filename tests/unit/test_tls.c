/* test_tls.c — self-signed certificate creation, contexts, a real handshake. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "lib/tls.h"

struct dirs {
	char a[64], b[64];
	char cert[128], key[128];
	char cert2[128], key2[128];
};

static void
rm_rf(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static int
setup(void **state)
{
	struct dirs *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -1;
	snprintf(d->a, sizeof(d->a), "/tmp/vigil-tls-XXXXXX");
	snprintf(d->b, sizeof(d->b), "/tmp/vigil-tls-XXXXXX");
	if (mkdtemp(d->a) == NULL || mkdtemp(d->b) == NULL)
		return -1;
	snprintf(d->cert, sizeof(d->cert), "%s/sslmanager.cert", d->a);
	snprintf(d->key, sizeof(d->key), "%s/sslmanager.key", d->a);
	snprintf(d->cert2, sizeof(d->cert2), "%s/other.cert", d->b);
	snprintf(d->key2, sizeof(d->key2), "%s/other.key", d->b);
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	struct dirs *d = *state;

	rm_rf(d->a);
	rm_rf(d->b);
	free(d);
	return 0;
}

static X509 *
read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (f == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static void
test_ensure_cert_creates_0600(void **state)
{
	struct dirs *d = *state;
	struct stat st;
	X509 *x;
	GENERAL_NAMES *san;
	EVP_PKEY *pk;
	char cn[128];
	int i, has_ip = 0, has_local = 0, has_host = 0;

	assert_int_equal(tls_ensure_cert(d->cert, d->key, "node-1.example"), 0);
	assert_int_equal(stat(d->key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(d->cert, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	assert_non_null(x = read_cert(d->cert));
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
	    sizeof(cn)) > 0);
	assert_string_equal(cn, "node-1.example");
	assert_int_equal(X509_check_issued(x, x), X509_V_OK);
	pk = X509_get0_pubkey(x);
	assert_int_equal(EVP_PKEY_get_base_id(pk), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(pk), 256);
	assert_true(X509_cmp_current_time(X509_get0_notAfter(x)) > 0);
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	assert_non_null(san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL));
	for (i = 0; i < sk_GENERAL_NAME_num(san); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);

		if (g->type == GEN_IPADD)
			has_ip = 1;
		else if (g->type == GEN_DNS && ASN1_STRING_length(g->d.dNSName) == 9)
			has_local = 1;
		else if (g->type == GEN_DNS)
			has_host = 1;
	}
	assert_true(has_ip && has_local && has_host);
	GENERAL_NAMES_free(san);
	X509_free(x);

	/* No temporary files are left beside them. */
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 2", d->a);
		assert_int_equal(system(cmd), 0);
	}
}

static void
test_ensure_cert_keeps_existing(void **state)
{
	struct dirs *d = *state;
	struct stat s1, s2;
	X509 *a, *b;

	assert_int_equal(tls_ensure_cert(d->cert, d->key, "n1"), 0);
	assert_int_equal(stat(d->cert, &s1), 0);
	assert_non_null(a = read_cert(d->cert));
	assert_int_equal(tls_ensure_cert(d->cert, d->key, "n1"), 0);
	assert_int_equal(stat(d->cert, &s2), 0);
	assert_int_equal(s1.st_ino, s2.st_ino);
	/* A missing key makes a new pair. */
	assert_int_equal(unlink(d->key), 0);
	assert_int_equal(tls_ensure_cert(d->cert, d->key, "n1"), 0);
	assert_non_null(b = read_cert(d->cert));
	assert_int_not_equal(X509_cmp(a, b), 0);
	X509_free(a);
	X509_free(b);
}

static void
test_ensure_cert_bad_dir(void **state)
{
	(void)state;
	assert_int_equal(tls_ensure_cert("/nonexistent-dir/x.cert", "/nonexistent-dir/x.key",
	    "n"), -1);
}

static void
test_server_ctx_errors(void **state)
{
	struct dirs *d = *state;

	assert_null(tls_server_ctx("/nonexistent.cert", "/nonexistent.key"));
	assert_int_equal(tls_ensure_cert(d->cert, d->key, "a"), 0);
	assert_int_equal(tls_ensure_cert(d->cert2, d->key2, "b"), 0);
	/* Mismatched key and certificate. */
	assert_null(tls_server_ctx(d->cert, d->key2));
	assert_null(tls_client_ctx("/nonexistent.ca"));
	ERR_clear_error();
}

#include "tls_pair.h"

static void
test_handshake_verified(void **state)
{
	struct dirs *d = *state;
	struct pair p;
	char buf[64];
	int n, i;

	assert_int_equal(tls_ensure_cert(d->cert, d->key, "node"), 0);
	pair_open(&p, tls_server_ctx(d->cert, d->key), tls_client_ctx(d->cert));
	assert_non_null(p.sctx);
	assert_non_null(p.cctx);
	assert_int_equal(SSL_set1_host(p.c, "localhost"), 1);
	assert_int_equal(handshake(p.c, p.s), 0);
	assert_int_equal(SSL_get_verify_result(p.c), X509_V_OK);
	assert_true(SSL_version(p.c) >= TLS1_2_VERSION);

	assert_int_equal(SSL_write(p.c, "OSSEC A:'x1'\n", 13), 13);
	for (i = 0, n = -1; i < 100 && n <= 0; i++)
		n = SSL_read(p.s, buf, sizeof(buf));
	assert_int_equal(n, 13);
	assert_memory_equal(buf, "OSSEC A:'x1'\n", 13);
	pair_close(&p);
}

static void
test_handshake_tls12_only_client(void **state)
{
	struct dirs *d = *state;
	struct pair p;

	assert_int_equal(tls_ensure_cert(d->cert, d->key, "node"), 0);
	pair_open(&p, tls_server_ctx(d->cert, d->key), tls_client_ctx(NULL));
	assert_int_equal(SSL_set_max_proto_version(p.c, TLS1_2_VERSION), 1);
	assert_int_equal(handshake(p.c, p.s), 0);
	assert_int_equal(SSL_version(p.c), TLS1_2_VERSION);
	/* An ECDHE suite with an AEAD. */
	assert_non_null(strstr(SSL_get_cipher_name(p.c), "ECDHE-ECDSA"));
	pair_close(&p);
}

static void
test_handshake_wrong_ca_fails(void **state)
{
	struct dirs *d = *state;
	struct pair p;

	assert_int_equal(tls_ensure_cert(d->cert, d->key, "node"), 0);
	assert_int_equal(tls_ensure_cert(d->cert2, d->key2, "other"), 0);
	pair_open(&p, tls_server_ctx(d->cert, d->key), tls_client_ctx(d->cert2));
	assert_int_equal(handshake(p.c, p.s), -1);
	assert_int_not_equal(SSL_get_verify_result(p.c), X509_V_OK);
	pair_close(&p);
}

static void
test_handshake_wrong_host_fails(void **state)
{
	struct dirs *d = *state;
	struct pair p;

	assert_int_equal(tls_ensure_cert(d->cert, d->key, "node"), 0);
	pair_open(&p, tls_server_ctx(d->cert, d->key), tls_client_ctx(d->cert));
	assert_int_equal(SSL_set1_host(p.c, "evil.example"), 1);
	assert_int_equal(handshake(p.c, p.s), -1);
	pair_close(&p);
}

/*
 * tls_client_expect_host: the certificate (SAN IP:127.0.0.1, DNS:localhost,
 * DNS:node) must name the address or host the client connected to; a
 * failure is told by tls_verify_error.
 */
static void
test_expect_host(void **state)
{
	static const struct {
		const char *host;
		int ok;
		const char *why;        /* tls_verify_error after the handshake */
	} rows[] = {
		{ "127.0.0.1", 1, NULL },
		{ "localhost", 1, NULL },
		{ "LocalHost", 1, NULL },        /* DNS names compare without case */
		{ "node", 1, NULL },             /* the CN, also in the SAN */
		{ "127.0.0.2", 0, "IP address mismatch" },
		{ "::1", 0, "IP address mismatch" },
		{ "::ffff:127.0.0.1", 0, "IP address mismatch" },
		{ "evil.example", 0, "hostname mismatch" },
		{ "localhost.evil.example", 0, "hostname mismatch" },
		{ "127.0.0.1.evil.example", 0, "hostname mismatch" },
	};
	struct dirs *d = *state;
	struct pair p;
	size_t i;

	assert_int_equal(tls_ensure_cert(d->cert, d->key, "node"), 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		pair_open(&p, tls_server_ctx(d->cert, d->key), tls_client_ctx(d->cert));
		assert_int_equal(tls_client_expect_host(p.c, rows[i].host), 0);
		if (handshake(p.c, p.s) != (rows[i].ok ? 0 : -1))
			fail_msg("row %zu (%s): handshake %s", i, rows[i].host,
			    rows[i].ok ? "failed" : "succeeded");
		if (rows[i].why == NULL)
			assert_null(tls_verify_error(p.c));
		else if (tls_verify_error(p.c) == NULL ||
		    strcmp(tls_verify_error(p.c), rows[i].why) != 0)
			fail_msg("row %zu (%s): '%s', not '%s'", i, rows[i].host,
			    tls_verify_error(p.c) ? tls_verify_error(p.c) : "(none)", rows[i].why);
		pair_close(&p);
	}
	/* no host is no host to check */
	pair_open(&p, tls_server_ctx(d->cert, d->key), tls_client_ctx(d->cert));
	assert_int_equal(tls_client_expect_host(p.c, ""), -1);
	pair_close(&p);
}

/* tls_verify_error: the chain's failure; nothing when the client verifies nothing. */
static void
test_verify_error(void **state)
{
	struct dirs *d = *state;
	struct pair p;

	assert_int_equal(tls_ensure_cert(d->cert, d->key, "node"), 0);
	assert_int_equal(tls_ensure_cert(d->cert2, d->key2, "other"), 0);
	pair_open(&p, tls_server_ctx(d->cert, d->key), tls_client_ctx(d->cert2));
	assert_int_equal(handshake(p.c, p.s), -1);
	assert_non_null(tls_verify_error(p.c));
	assert_string_equal(tls_verify_error(p.c), "self-signed certificate");
	pair_close(&p);

	/* without a CA the (unverifiable) certificate is accepted and nothing is reported */
	pair_open(&p, tls_server_ctx(d->cert, d->key), tls_client_ctx(NULL));
	assert_int_equal(tls_client_expect_host(p.c, "127.0.0.2"), 0);
	assert_int_equal(handshake(p.c, p.s), 0);
	assert_null(tls_verify_error(p.c));
	pair_close(&p);
}

static void
test_handshake_old_tls_refused(void **state)
{
	struct dirs *d = *state;
	struct pair p;
	SSL_CTX *old;

	assert_int_equal(tls_ensure_cert(d->cert, d->key, "node"), 0);
	assert_non_null(old = SSL_CTX_new(TLS_client_method()));
	SSL_CTX_set_security_level(old, 0);
	assert_int_equal(SSL_CTX_set_min_proto_version(old, TLS1_VERSION), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(old, TLS1_1_VERSION), 1);
	pair_open(&p, tls_server_ctx(d->cert, d->key), old);
	assert_int_equal(handshake(p.c, p.s), -1);
	pair_close(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ensure_cert_creates_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ensure_cert_keeps_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ensure_cert_bad_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_ctx_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_verified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_tls12_only_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_wrong_ca_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_wrong_host_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_old_tls_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expect_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
