/* test_auth.c — JWT issue/verify (ES512) and PBKDF2 password hashes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "node/api/auth.h"

#define NOW 1700000000

struct fx {
	char dir[64], key[128], key2[128];
	struct auth *a, *b;
	unsigned char pem[16384], pub[16384];
	size_t pem_len, pub_len;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	FILE *fp;
	EVP_PKEY *pk;
	BIO *b;
	char *data;
	long n;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-auth-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->key, sizeof(f->key), "%s/api.key", f->dir);
	snprintf(f->key2, sizeof(f->key2), "%s/other.key", f->dir);
	if ((f->a = auth_new(f->key, 900)) == NULL || (f->b = auth_new(f->key2, 900)) == NULL)
		return -1;
	if ((fp = fopen(f->key, "r")) == NULL)
		return -1;
	f->pem_len = fread(f->pem, 1, sizeof(f->pem) - 1, fp);
	rewind(fp);
	pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (pk == NULL || (b = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_PUBKEY(b, pk))
		return -1;
	n = BIO_get_mem_data(b, &data);
	memcpy(f->pub, data, (size_t)n);
	f->pub_len = (size_t)n;
	BIO_free(b);
	EVP_PKEY_free(pk);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	auth_free(f->a);
	auth_free(f->b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* b64url: unpadded base64url of n bytes into a malloc'd string. */
static char *
b64url(const void *in, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1), *p;
	int len;

	assert_non_null(out);
	len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	out[len] = '\0';
	while (len > 0 && out[len - 1] == '=')
		out[--len] = '\0';
	for (p = out; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return out;
}

/* sign_es512: a token with our real key and the given claims JSON (and extra header JSON). */
static char *
sign_es512(struct fx *f, const char *claims, const char *hdr_json)
{
	jwt_t *j;
	char *t;

	assert_int_equal(jwt_new(&j), 0);
	assert_int_equal(jwt_add_grants_json(j, claims), 0);
	if (hdr_json != NULL)
		assert_int_equal(jwt_add_headers_json(j, hdr_json), 0);
	assert_int_equal(jwt_set_alg(j, JWT_ALG_ES512, f->pem, (int)f->pem_len), 0);
	t = jwt_encode_str(j);
	jwt_free(j);
	assert_non_null(t);
	return t;
}

/* sign_raw: header and claims JSON texts as given, signed ES512 by hand (JWS raw R||S). */
static char *
sign_raw(struct fx *f, const char *hdr, const char *claims)
{
	char in[4096], *h, *c, *sig, *out;
	unsigned char der[256], raw[132];
	const unsigned char *dp = der;
	size_t derlen = sizeof(der), n;
	EVP_PKEY *pk;
	EVP_MD_CTX *md;
	ECDSA_SIG *es;
	BIO *b;

	h = b64url(hdr, strlen(hdr));
	c = b64url(claims, strlen(claims));
	snprintf(in, sizeof(in), "%s.%s", h, c);
	assert_non_null(b = BIO_new_mem_buf(f->pem, (int)f->pem_len));
	assert_non_null(pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL));
	assert_non_null(md = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha512(), NULL, pk), 1);
	assert_int_equal(EVP_DigestSign(md, der, &derlen, (unsigned char *)in, strlen(in)), 1);
	assert_non_null(es = d2i_ECDSA_SIG(NULL, &dp, (long)derlen));
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 66), 66);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 66, 66), 66);
	sig = b64url(raw, sizeof(raw));
	n = strlen(in) + strlen(sig) + 2;
	out = malloc(n);
	snprintf(out, n, "%s.%s", in, sig);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	BIO_free(b);
	free(h);
	free(c);
	free(sig);
	return out;
}

static const char *good_claims =
    "{\"iss\":\"wazuh\",\"aud\":\"Wazuh API REST\",\"nbf\":1700000000,\"exp\":1700000900,"
    "\"sub\":\"wazuh\",\"run_as\":false,\"rbac_roles\":[1],\"rbac_mode\":\"white\"}";

static void
test_issue_verify(void **state)
{
	struct fx *f = *state;
	char user[64], *tok, *dot, *payload;
	size_t plen;
	json_t *c;
	jwt_t *j;
	struct stat st;

	assert_int_equal(stat(f->key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_non_null(tok = auth_issue(f->a, "wazuh", NOW));
	assert_int_equal(auth_verify(f->a, tok, NOW, user, sizeof(user)), AUTH_OK);
	assert_string_equal(user, "wazuh");
	assert_int_equal(auth_verify(f->a, tok, NOW + 899, user, sizeof(user)), AUTH_OK);

	/* The claims Wazuh puts in, and an ES512 header. */
	assert_int_equal(jwt_decode(&j, tok, f->pub, (int)f->pub_len), 0);
	assert_int_equal(jwt_get_alg(j), JWT_ALG_ES512);
	payload = jwt_get_grants_json(j, NULL);
	assert_non_null(c = json_loads(payload, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(c, "iss")), "wazuh");
	assert_string_equal(json_string_value(json_object_get(c, "aud")), "Wazuh API REST");
	assert_int_equal(json_integer_value(json_object_get(c, "nbf")), NOW);
	assert_int_equal(json_integer_value(json_object_get(c, "exp")), NOW + 900);
	assert_string_equal(json_string_value(json_object_get(c, "sub")), "wazuh");
	assert_true(json_is_false(json_object_get(c, "run_as")));
	assert_int_equal(json_integer_value(json_array_get(json_object_get(c, "rbac_roles"), 0)), 1);
	assert_string_equal(json_string_value(json_object_get(c, "rbac_mode")), "white");
	json_decref(c);
	free(payload);
	jwt_free(j);
	/* JWS ES512 signature: raw R||S, 132 bytes = 176 base64url chars. */
	dot = strrchr(tok, '.');
	plen = strlen(dot + 1);
	assert_int_equal(plen, 176);
	free(tok);

	assert_null(auth_issue(f->a, "", NOW));
	assert_null(auth_issue(f->a, NULL, NOW));
}

static void
test_expiry(void **state)
{
	struct fx *f = *state;
	char user[64], *tok;

	assert_non_null(tok = auth_issue(f->a, "alice", NOW));
	assert_int_equal(auth_verify(f->a, tok, NOW + 900, user, sizeof(user)), AUTH_EXPIRED);
	assert_string_equal(user, "");
	assert_int_equal(auth_verify(f->a, tok, NOW + 100000, user, sizeof(user)), AUTH_EXPIRED);
	/* Not yet valid is invalid, not expired. */
	assert_int_equal(auth_verify(f->a, tok, NOW - 1, user, sizeof(user)), AUTH_INVALID);
	free(tok);
}

static void
test_key_persists(void **state)
{
	struct fx *f = *state;
	struct auth *again;
	char user[64], *tok;

	assert_non_null(tok = auth_issue(f->a, "bob", NOW));
	/* A restart loads the same key: old tokens stay valid. */
	assert_non_null(again = auth_new(f->key, 900));
	assert_int_equal(auth_verify(again, tok, NOW, user, sizeof(user)), AUTH_OK);
	auth_free(again);
	/* Another key: invalid. */
	assert_int_equal(auth_verify(f->b, tok, NOW, user, sizeof(user)), AUTH_INVALID);
	free(tok);
}

static void
test_bad_key_files(void **state)
{
	struct fx *f = *state;
	char path[160];
	FILE *fp;
	EVP_PKEY *pk;

	(void)f;
	assert_null(auth_new("/nonexistent-dir/k.pem", 900));
	assert_null(auth_new(f->key, 0));
	snprintf(path, sizeof(path), "%s/garbage.key", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("not a key\n", fp);
	fclose(fp);
	assert_null(auth_new(path, 900));
	/* A P-256 key cannot sign ES512. */
	snprintf(path, sizeof(path), "%s/p256.key", f->dir);
	assert_non_null(pk = EVP_EC_gen("P-256"));
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL), 1);
	fclose(fp);
	EVP_PKEY_free(pk);
	assert_null(auth_new(path, 900));
}

static void
test_tampered(void **state)
{
	struct fx *f = *state;
	char user[64], *tok, *dot, *forged, *p;
	const char *evil = "{\"iss\":\"wazuh\",\"aud\":\"Wazuh API REST\",\"nbf\":1700000000,"
	    "\"exp\":1800000000,\"sub\":\"root\",\"run_as\":false,\"rbac_roles\":[1],"
	    "\"rbac_mode\":\"white\"}";
	size_t n;

	assert_non_null(tok = auth_issue(f->a, "wazuh", NOW));
	/* Swap the payload, keep header and signature. */
	dot = strchr(tok, '.');
	p = b64url(evil, strlen(evil));
	n = strlen(tok) + strlen(p) + 1;
	forged = malloc(n);
	snprintf(forged, n, "%.*s.%s%s", (int)(dot - tok), tok, p, strrchr(tok, '.'));
	assert_int_equal(auth_verify(f->a, forged, NOW, user, sizeof(user)), AUTH_INVALID);
	free(forged);
	free(p);
	/* Flip one signature character. */
	p = strrchr(tok, '.') + 10;
	*p = *p == 'A' ? 'B' : 'A';
	assert_int_equal(auth_verify(f->a, tok, NOW, user, sizeof(user)), AUTH_INVALID);
	/* Truncated signature, and an expired token with a bad signature is not "expired". */
	assert_int_equal(auth_verify(f->a, tok, NOW + 5000, user, sizeof(user)), AUTH_INVALID);
	tok[strlen(tok) - 5] = '\0';
	assert_int_equal(auth_verify(f->a, tok, NOW, user, sizeof(user)), AUTH_INVALID);
	free(tok);
}

static void
test_alg_none_and_confusion(void **state)
{
	struct fx *f = *state;
	char user[64], tok[4096], *h, *c, *sig;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen;
	const char *hdr_none = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
	const char *hdr_hs = "{\"alg\":\"HS512\",\"typ\":\"JWT\"}";
	const char *hdr_lower = "{\"alg\":\"es512\",\"typ\":\"JWT\"}";

	c = b64url(good_claims, strlen(good_claims));
	/* alg none, with and without a trailing dot / signature. */
	h = b64url(hdr_none, strlen(hdr_none));
	snprintf(tok, sizeof(tok), "%s.%s.", h, c);
	assert_int_equal(auth_verify(f->a, tok, NOW, user, sizeof(user)), AUTH_INVALID);
	snprintf(tok, sizeof(tok), "%s.%s", h, c);
	assert_int_equal(auth_verify(f->a, tok, NOW, user, sizeof(user)), AUTH_INVALID);
	snprintf(tok, sizeof(tok), "%s.%s.AAAA", h, c);
	assert_int_equal(auth_verify(f->a, tok, NOW, user, sizeof(user)), AUTH_INVALID);
	free(h);
	/* HS512 keyed with our public key PEM (the classic confusion attack). */
	h = b64url(hdr_hs, strlen(hdr_hs));
	snprintf(tok, sizeof(tok), "%s.%s", h, c);
	HMAC(EVP_sha512(), f->pub, (int)f->pub_len, (unsigned char *)tok, strlen(tok), mac, &maclen);
	sig = b64url(mac, maclen);
	snprintf(tok, sizeof(tok), "%s.%s.%s", h, c, sig);
	assert_int_equal(auth_verify(f->a, tok, NOW, user, sizeof(user)), AUTH_INVALID);
	free(sig);
	free(h);
	/* Wrong case of the alg name. */
	h = b64url(hdr_lower, strlen(hdr_lower));
	snprintf(tok, sizeof(tok), "%s.%s.AAAA", h, c);
	assert_int_equal(auth_verify(f->a, tok, NOW, user, sizeof(user)), AUTH_INVALID);
	free(h);
	free(c);
}

static void
test_claims(void **state)
{
	struct fx *f = *state;
	char user[64], small[4], *t;
	size_t i;
	static const char *bad[] = {
		"{\"iss\":\"other\",\"aud\":\"Wazuh API REST\",\"nbf\":1700000000,\"exp\":1700000900,\"sub\":\"u\"}",
		"{\"aud\":\"Wazuh API REST\",\"nbf\":1700000000,\"exp\":1700000900,\"sub\":\"u\"}",
		"{\"iss\":\"wazuh\",\"aud\":\"Other\",\"nbf\":1700000000,\"exp\":1700000900,\"sub\":\"u\"}",
		"{\"iss\":\"wazuh\",\"nbf\":1700000000,\"exp\":1700000900,\"sub\":\"u\"}",
		"{\"iss\":\"wazuh\",\"aud\":\"Wazuh API REST\",\"nbf\":1700000000,\"sub\":\"u\"}",
		"{\"iss\":\"wazuh\",\"aud\":\"Wazuh API REST\",\"nbf\":1700000000,\"exp\":\"1700000900\",\"sub\":\"u\"}",
		"{\"iss\":\"wazuh\",\"aud\":\"Wazuh API REST\",\"exp\":1700000900,\"sub\":\"u\"}",
		"{\"iss\":\"wazuh\",\"aud\":\"Wazuh API REST\",\"nbf\":1700000000,\"exp\":1700000900}",
		"{\"iss\":\"wazuh\",\"aud\":\"Wazuh API REST\",\"nbf\":1700000000,\"exp\":1700000900,\"sub\":\"\"}",
		"{\"iss\":\"wazuh\",\"aud\":\"Wazuh API REST\",\"nbf\":1700000000,\"exp\":1700000900,\"sub\":5}",
	};

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = sign_es512(f, bad[i], NULL);
		if (auth_verify(f->a, t, NOW, user, sizeof(user)) != AUTH_INVALID)
			fail_msg("claims accepted: %s", bad[i]);
		free(t);
	}
	/* An embedded NUL in sub (libjwt's own encoder refuses to make one). */
	t = sign_raw(f, "{\"alg\":\"ES512\",\"typ\":\"JWT\"}", "{\"iss\":\"wazuh\","
	    "\"aud\":\"Wazuh API REST\",\"nbf\":1700000000,\"exp\":1700000900,\"sub\":\"a\\u0000b\"}");
	assert_int_equal(auth_verify(f->a, t, NOW, user, sizeof(user)), AUTH_INVALID);
	free(t);
	/* The hand signer is right: the same with a plain sub passes, and no typ is fine. */
	t = sign_raw(f, "{\"alg\":\"ES512\"}", "{\"iss\":\"wazuh\","
	    "\"aud\":\"Wazuh API REST\",\"nbf\":1700000000,\"exp\":1700000900,\"sub\":\"ab\"}");
	assert_int_equal(auth_verify(f->a, t, NOW, user, sizeof(user)), AUTH_OK);
	free(t);
	/* Duplicate claims are refused, as are a wrong typ and a duplicated alg. */
	t = sign_raw(f, "{\"alg\":\"ES512\"}", "{\"iss\":\"wazuh\",\"sub\":\"ab\","
	    "\"aud\":\"Wazuh API REST\",\"nbf\":1700000000,\"exp\":1700000900,\"sub\":\"root\"}");
	assert_int_equal(auth_verify(f->a, t, NOW, user, sizeof(user)), AUTH_INVALID);
	free(t);
	t = sign_raw(f, "{\"alg\":\"ES512\",\"typ\":\"JWE\"}", good_claims);
	assert_int_equal(auth_verify(f->a, t, NOW, user, sizeof(user)), AUTH_INVALID);
	free(t);
	t = sign_raw(f, "{\"alg\":\"none\",\"alg\":\"ES512\"}", good_claims);
	assert_int_equal(auth_verify(f->a, t, NOW, user, sizeof(user)), AUTH_INVALID);
	free(t);
	/* A well-formed token signed by hand is fine; aud may be an array. */
	t = sign_es512(f, good_claims, NULL);
	assert_int_equal(auth_verify(f->a, t, NOW, user, sizeof(user)), AUTH_OK);
	/* sub too long for the caller's buffer. */
	assert_int_equal(auth_verify(f->a, t, NOW, small, sizeof(small)), AUTH_INVALID);
	free(t);
	t = sign_es512(f, "{\"iss\":\"wazuh\",\"aud\":[\"x\",\"Wazuh API REST\"],\"nbf\":1700000000,"
	    "\"exp\":1700000900,\"sub\":\"u\"}", NULL);
	assert_int_equal(auth_verify(f->a, t, NOW, user, sizeof(user)), AUTH_OK);
	assert_string_equal(user, "u");
	free(t);
	/* A "crit" header we do not understand. */
	t = sign_es512(f, good_claims, "{\"crit\":[\"exp\"]}");
	assert_int_equal(auth_verify(f->a, t, NOW, user, sizeof(user)), AUTH_INVALID);
	free(t);
}

static void
test_garbage_tokens(void **state)
{
	struct fx *f = *state;
	char user[64], big[8192];
	static const char *bad[] = {
		"", ".", "..", "...", "a.b.c", "a.b", "a.b.c.d", "!!!.@@@.###",
		"eyJhbGciOiJFUzUxMiJ9..sig", ".eyJ9.sig", "eyJhbGciOiJFUzUxMiJ9.e30.",
		"eyJhbGciOiJFUzUxMiJ9.e30.AAAA", "bnVsbA.e30.AAAA", "W10.e30.AAAA",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(auth_verify(f->a, bad[i], NOW, user, sizeof(user)), AUTH_INVALID);
	assert_int_equal(auth_verify(f->a, NULL, NOW, user, sizeof(user)), AUTH_INVALID);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[100] = '.';
	big[200] = '.';
	assert_int_equal(auth_verify(f->a, big, NOW, user, sizeof(user)), AUTH_INVALID);
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void
test_password(void **state)
{
	char h1[AUTH_HASH_MAX], h2[AUTH_HASH_MAX], bad[AUTH_HASH_MAX];
	struct timespec t0;
	double ms;
	long iter;

	(void)state;
	assert_int_equal(auth_password_hash("correct horse", h1), 0);
	assert_int_equal(auth_password_hash("correct horse", h2), 0);
	assert_string_not_equal(h1, h2);         /* salted */
	assert_int_equal(strncmp(h1, "pbkdf2$", 7), 0);
	iter = strtol(h1 + 7, NULL, 10);
	assert_true(iter >= 100000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(auth_password_check("correct horse", h1), 1);
	ms = ms_since(&t0);
	print_message("pbkdf2 %ld iterations: %.1f ms\n", iter, ms);
#ifndef __SANITIZE_ADDRESS__
	/* The login budget (~50 ms), with room for a slow CI machine; ASan intercepts libcrypto's memcpy. */
	assert_true(ms < 250.0);
#endif
	assert_int_equal(auth_password_check("correct horse", h2), 1);
	assert_int_equal(auth_password_check("correct hors", h1), 0);
	assert_int_equal(auth_password_check("correct horse ", h1), 0);
	assert_int_equal(auth_password_check("", h1), 0);
	assert_int_equal(auth_password_hash("", h2), 0);
	assert_int_equal(auth_password_check("", h2), 1);

	/* Flip one hash digit. */
	snprintf(bad, sizeof(bad), "%s", h1);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
	assert_int_equal(auth_password_check("correct horse", bad), 0);
	/* Malformed stored hashes never match. */
	assert_int_equal(auth_password_check("x", ""), 0);
	assert_int_equal(auth_password_check("x", "x"), 0);
	assert_int_equal(auth_password_check("x", "pbkdf2$"), 0);
	assert_int_equal(auth_password_check("x", "pbkdf2$0$00$00"), 0);
	assert_int_equal(auth_password_check("x", "pbkdf2$-5$0011223344556677$0011223344556677"
	    "8899aabbccddeeff"), 0);
	assert_int_equal(auth_password_check("x", "pbkdf2$99999999999$0011223344556677$"
	    "00112233445566778899aabbccddeeff"), 0);
	assert_int_equal(auth_password_check("x", "pbkdf2$1000$zz11223344556677$"
	    "00112233445566778899aabbccddeeff"), 0);
	assert_int_equal(auth_password_check("x", "pbkdf2$1000$0011223344556677$"
	    "00112233445566778899aabbccddee"), 0);
	assert_int_equal(auth_password_check("x", "pbkdf2$1000$0011223344556677"), 0);
	assert_int_equal(auth_password_check(NULL, h1), 0);
	assert_int_equal(auth_password_check("x", NULL), 0);
}

static void
test_password_known_vector(void **state)
{
	/* Python's hashlib.pbkdf2_hmac("sha256", b"password", b"saltSALTsaltSALT", 4096). */
	static const char h[] = "pbkdf2$4096$73616c7453414c5473616c7453414c54$"
	    "9150fa34ce258f3fa0f49507e456a9a71924f682d42f36482b2618848fd38e5a";

	(void)state;
	assert_int_equal(auth_password_check("password", h), 1);
	assert_int_equal(auth_password_check("passwore", h), 0);
	/* A salt shorter than 8 bytes is refused even when the digest matches. */
	assert_int_equal(auth_password_check("password", "pbkdf2$4096$73616c74$"
	    "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"), 0);
}

/*
 * PBKDF2-HMAC-SHA256 is computed by auth.c itself (so that it can be
 * stopped); each row's hash is Python's hashlib.pbkdf2_hmac (OpenSSL's
 * PKCS5_PBKDF2_HMAC), over salt and output lengths that take one, two and
 * a part of a third SHA-256 block.
 */
static void
test_password_vectors(void **state)
{
	static const struct {
		const char *password;
		const char *hash;
	} rows[] = {
		{ "password", "pbkdf2$1000$73616c7453414c54$4ccaaedf2e8ba75970c3594300d241bc" },
		{ "password", "pbkdf2$1001$73616c7453414c5473616c7453414c54$"
		    "0cdc69e6218f9fbca71d280fbf889fa4026f3dde6da39781921ff744e3ee00b2" },
		{ "pass\xc3\xa9word", "pbkdf2$1000$"
		    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f$"
		    "bf65c415dc8d65b51ab09f397e352d36ba94bf2a49bf128c0dce20ffec2a7dcc73" },
		{ "", "pbkdf2$1024$0011223344556677$3dc6626faae29b81e942fb386be5e65cc1f27f031427"
		    "ce89858a0d14e0809b145b62711506b3b892bed6681c4e7c8171" },
		{ "Slow-Pass1!", "pbkdf2$2047$00112233445566778899aabbccddeeff$"
		    "39c7fadc1a0c38d5de195c97f7c1e0a7871c92bdda4345805c3927aec930cd0f"
		    "22ffcfd7377263bf4c819be9c6ccfa24060525cc550beade9b72f4917fc1f8b9" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (auth_password_check(rows[i].password, rows[i].hash) != 1)
			fail_msg("row %zu: no match", i);
		if (auth_password_check_until(rows[i].password, rows[i].hash, NULL, NULL) != 1)
			fail_msg("row %zu: no match (until)", i);
		if (auth_password_check("wrong", rows[i].hash) != 0)
			fail_msg("row %zu: a wrong password matched", i);
	}
}

struct stopper {
	int asked;
	int yes_at;     /* the question answered yes; 0: never */
};

static int
stop_at(void *arg)
{
	struct stopper *s = arg;

	s->asked++;
	return s->yes_at != 0 && s->asked >= s->yes_at;
}

/*
 * A check or a hash that is told to stop gives up (-1) without asking again,
 * a matching or malformed hash alike; one never told to stops is answered as
 * auth_password_check answers it, having asked on the way.
 */
static void
test_password_stops(void **state)
{
	/* hashlib.pbkdf2_hmac("sha256", b"password", b"saltSALTsaltSALT", 4096) */
	static const char h[] = "pbkdf2$4096$73616c7453414c5473616c7453414c54$"
	    "9150fa34ce258f3fa0f49507e456a9a71924f682d42f36482b2618848fd38e5a";
	static const char slow[] = "pbkdf2$10000000$00112233445566778899aabbccddeeff$"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	static const struct {
		const char *password;
		const char *hash;
		int yes_at;
		int want;
	} rows[] = {
		{ "password", h, 0, 1 },
		{ "passwore", h, 0, 0 },
		{ "password", h, 2, -1 },
		{ "password", slow, 1, -1 },
		{ "password", slow, 3, -1 },
		{ "password", "pbkdf2$x", 2, -1 },       /* malformed: the dummy check stops too */
		{ "password", "pbkdf2$x", 0, 0 },
	};
	char out[AUTH_HASH_MAX];
	struct stopper st;
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&st, 0, sizeof(st));
		st.yes_at = rows[i].yes_at;
		got = auth_password_check_until(rows[i].password, rows[i].hash, stop_at, &st);
		if (got != rows[i].want)
			fail_msg("row %zu: got %d, want %d", i, got, rows[i].want);
		if (rows[i].yes_at != 0 && st.asked != rows[i].yes_at)
			fail_msg("row %zu: asked %d times after saying yes at %d", i, st.asked,
			    rows[i].yes_at);
		if (rows[i].yes_at == 0 && st.asked == 0)
			fail_msg("row %zu: never asked", i);
	}
	memset(&st, 0, sizeof(st));
	st.yes_at = 1;
	memset(out, 'x', sizeof(out));
	assert_int_equal(auth_password_hash_until("pw", out, stop_at, &st), -1);
	assert_string_equal(out, "");
	assert_int_equal(st.asked, 1);
	memset(&st, 0, sizeof(st));
	assert_int_equal(auth_password_hash_until("pw", out, stop_at, &st), 0);
	assert_true(st.asked > 0);
	assert_int_equal(auth_password_check("pw", out), 1);
}

/* The API's own claims: the user's roles, the mode, the lifetime and a ms jti. */
static void
test_issue_claims(void **state)
{
	struct fx *f = *state;
	static const int roles[] = { 2, 5 };
	struct auth_token t;
	char *tok, *payload;
	json_t *c, *rl;
	jwt_t *j;

	assert_non_null(tok = auth_issue_claims(f->a, "reader", NOW, 60, roles, 2, "black",
	    (long long)NOW * 1000 + 123));
	assert_int_equal(auth_verify_claims(f->a, tok, NOW + 59, &t), AUTH_OK);
	assert_string_equal(t.user, "reader");
	assert_string_equal(t.rbac_mode, "black");
	assert_int_equal(t.nbf, NOW);
	assert_int_equal(t.exp, NOW + 60);
	assert_int_equal(t.jti, (long long)NOW * 1000 + 123);
	assert_int_equal(auth_verify_claims(f->a, tok, NOW + 60, &t), AUTH_EXPIRED);
	assert_int_equal(jwt_decode(&j, tok, f->pub, (int)f->pub_len), 0);
	payload = jwt_get_grants_json(j, NULL);
	assert_non_null(c = json_loads(payload, 0, NULL));
	rl = json_object_get(c, "rbac_roles");
	assert_int_equal(json_array_size(rl), 2);
	assert_int_equal(json_integer_value(json_array_get(rl, 1)), 5);
	assert_string_equal(json_string_value(json_object_get(c, "jti")), "1700000000123");
	json_decref(c);
	free(payload);
	jwt_free(j);
	free(tok);
	/* No roles is an empty list; bad arguments issue nothing. */
	assert_non_null(tok = auth_issue_claims(f->a, "norole", NOW, 60, NULL, 0, "white", 1));
	assert_int_equal(auth_verify_claims(f->a, tok, NOW, &t), AUTH_OK);
	assert_int_equal(t.jti, 1);
	free(tok);
	assert_null(auth_issue_claims(f->a, "x", NOW, 0, NULL, 0, "white", 1));
	assert_null(auth_issue_claims(f->a, "x", NOW, 60, NULL, 0, NULL, 1));
	/* The default issue: jti = nbf in ms. */
	assert_non_null(tok = auth_issue(f->a, "wazuh", NOW));
	assert_int_equal(auth_verify_claims(f->a, tok, NOW, &t), AUTH_OK);
	assert_int_equal(t.jti, (long long)NOW * 1000);
	free(tok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_verify),
		cmocka_unit_test(test_issue_claims),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_key_persists),
		cmocka_unit_test(test_bad_key_files),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_alg_none_and_confusion),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_garbage_tokens),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_password_known_vector),
		cmocka_unit_test(test_password_vectors),
		cmocka_unit_test(test_password_stops),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
