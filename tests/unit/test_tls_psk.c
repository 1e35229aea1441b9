/* test_tls_psk.c — the cluster link's TLS 1.3 external-PSK authentication. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "lib/tls_psk.h"

#include "tls_pair.h"

static void
key_set(struct tls_psk_key *k, const char *secret)
{
	memset(k, 0, sizeof(*k));
	k->len = strlen(secret);
	memcpy(k->secret, secret, k->len);
}

static void
test_same_key_handshakes_and_names_the_peer(void **state)
{
	struct tls_psk_key k;
	struct pair p;
	char buf[16];

	(void)state;
	key_set(&k, "correct horse battery staple");
	pair_open(&p, tls_psk_server_ctx(&k), tls_psk_client_ctx(&k, "worker1"));
	assert_int_equal(handshake(p.c, p.s), 0);
	assert_int_equal(SSL_version(p.s), TLS1_3_VERSION);
	assert_string_equal(SSL_get_cipher_name(p.s), "TLS_AES_256_GCM_SHA384");
	assert_non_null(tls_psk_identity(p.s));
	assert_string_equal(tls_psk_identity(p.s), "worker1");
	/* Data flows both ways. */
	assert_int_equal(SSL_write(p.c, "hello", 5), 5);
	assert_int_equal(SSL_read(p.s, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	pair_close(&p);
}

static void
test_wrong_key_is_refused(void **state)
{
	struct tls_psk_key ks, kc;
	struct pair p;

	(void)state;
	key_set(&ks, "correct horse battery staple");
	key_set(&kc, "correct horse battery stapler");
	pair_open(&p, tls_psk_server_ctx(&ks), tls_psk_client_ctx(&kc, "worker1"));
	assert_int_equal(handshake(p.c, p.s), -1);
	assert_null(tls_psk_identity(p.s));
	pair_close(&p);
}

static void
test_plain_tls_client_is_refused(void **state)
{
	struct tls_psk_key k;
	struct pair p;
	SSL_CTX *plain = SSL_CTX_new(TLS_client_method());

	(void)state;
	key_set(&k, "correct horse battery staple");
	SSL_CTX_set_verify(plain, SSL_VERIFY_NONE, NULL);
	pair_open(&p, tls_psk_server_ctx(&k), plain);
	assert_int_equal(handshake(p.c, p.s), -1);
	pair_close(&p);
}

static void
test_identity_is_bound_to_the_key(void **state)
{
	struct tls_psk_key k;
	unsigned char a[48], b[48], c[48];

	(void)state;
	key_set(&k, "correct horse battery staple");
	assert_int_equal(tls_psk_derive(&k, "worker1", a), 0);
	assert_int_equal(tls_psk_derive(&k, "worker1", b), 0);
	assert_int_equal(tls_psk_derive(&k, "worker2", c), 0);
	assert_memory_equal(a, b, 48);
	assert_memory_not_equal(a, c, 48);
	/* Names that cannot be identities are refused up front. */
	assert_null(tls_psk_client_ctx(&k, "bad name"));
	assert_null(tls_psk_client_ctx(&k, ""));
	ERR_clear_error();
}

static void
test_key_file_rules(void **state)
{
	char dir[] = "/tmp/vigil-psk-XXXXXX", path[128];
	struct tls_psk_key k;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cluster.key", dir);
	assert_int_equal(tls_psk_key_load(path, &k), -1);          /* missing */
	f = fopen(path, "w");
	fputs("  0123456789abcdef0123456789abcdef  \nsecond line ignored\n", f);
	fclose(f);
	chmod(path, 0644);
	assert_int_equal(tls_psk_key_load(path, &k), -1);          /* readable by others */
	chmod(path, 0600);
	assert_int_equal(tls_psk_key_load(path, &k), 0);
	assert_int_equal(k.len, 32);
	assert_memory_equal(k.secret, "0123456789abcdef0123456789abcdef", 32);
	f = fopen(path, "w");
	fputs("short\n", f);
	fclose(f);
	assert_int_equal(tls_psk_key_load(path, &k), -1);          /* too short */
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_key_handshakes_and_names_the_peer),
		cmocka_unit_test(test_wrong_key_is_refused),
		cmocka_unit_test(test_plain_tls_client_is_refused),
		cmocka_unit_test(test_identity_is_bound_to_the_key),
		cmocka_unit_test(test_key_file_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
