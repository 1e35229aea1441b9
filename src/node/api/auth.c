/* auth.c — API passwords (PBKDF2-SHA256) and JWT tokens (ES512, as Wazuh issues them).
 *
 * Signing and signature checks are libjwt's (1.10); everything libjwt 1.10
 * does not check, we do: the header's alg before decoding (so a token can
 * never choose HS512 keyed with our public key, or "none"), and the claims
 * iss, aud, nbf and exp against the caller's clock.
 */
#include "node/api/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "lib/atomicfile.h"
#include "lib/hash.h"
#include "lib/log.h"

#define AUTH_ISSUER "wazuh"
#define AUTH_AUDIENCE "Wazuh API REST"
#define AUTH_TOKEN_MAX 4096         /* ours are ~ 450 bytes */
#define AUTH_KEY_FILE_MAX 16384

/*
 * PBKDF2 iterations.  120 000 rounds of HMAC-SHA256 take about 26 ms on one
 * idle core of the build machine with OpenSSL 3 (150 000 took 32 ms idle and
 * 48 ms with the other core busy), which keeps a login under ~50 ms.  Stored
 * hashes carry their count, so it can be raised later.
 */
#define AUTH_PBKDF2_ITER 120000
#define AUTH_PBKDF2_ITER_MIN 1000
#define AUTH_PBKDF2_ITER_MAX 10000000
#define AUTH_SALT_LEN 16
#define AUTH_DK_LEN 32
#define AUTH_PBKDF2_HLEN 32         /* SHA-256's output */
#define AUTH_PBKDF2_STOP_EVERY 1024 /* rounds between two questions to stop(): < 1 ms */

struct auth {
	unsigned char *priv;   /* PEM private key, NUL-terminated */
	size_t priv_len;
	unsigned char *pub;    /* PEM public key, NUL-terminated */
	size_t pub_len;
	int lifetime;
};

static void
auth_log_ssl(const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		log_warnx("auth: %s %s: %s", what, path, buf);
	} else
		log_warnx("auth: %s %s", what, path);
	ERR_clear_error();
}

/* read_key_file: the whole of path into a malloc'd NUL-terminated buffer; NULL with errno. */
static char *
read_key_file(const char *path, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto err;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > AUTH_KEY_FILE_MAX) {
		errno = EINVAL;
		goto err;
	}
	if (st.st_mode & 077)
		log_warnx("auth: %s is readable by others (mode %03o); it should be 0600",
		    path, (unsigned)(st.st_mode & 0777));
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto err;
	while (len < (size_t)st.st_size) {
		if ((n = read(fd, buf + len, (size_t)st.st_size - len)) == -1) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	*lenp = len;
	return buf;
err:
	if (buf != NULL) {
		explicit_bzero(buf, (size_t)st.st_size + 1);
		free(buf);
	}
	close(fd);
	return NULL;
}

/* bio_dup: BIO contents as a malloc'd NUL-terminated string. */
static unsigned char *
bio_dup(BIO *b, size_t *lenp)
{
	char *data;
	unsigned char *out;
	long len = BIO_get_mem_data(b, &data);

	if (len <= 0 || (out = malloc((size_t)len + 1)) == NULL)
		return NULL;
	memcpy(out, data, (size_t)len);
	out[len] = '\0';
	*lenp = (size_t)len;
	return out;
}

/* load_or_create: the EC P-521 key at path, made (0600) when the file does not exist. */
static EVP_PKEY *
load_or_create(const char *path)
{
	EVP_PKEY *pk = NULL;
	BIO *b = NULL;
	char *pem, *data, curve[64];
	size_t len = 0;
	long dlen;

	if ((pem = read_key_file(path, &len)) != NULL) {
		if ((b = BIO_new_mem_buf(pem, (int)len)) != NULL)
			pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
		explicit_bzero(pem, len);
		free(pem);
		if (pk == NULL) {
			auth_log_ssl("cannot read the signing key", path);
			return NULL;
		}
		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
		    !EVP_PKEY_get_utf8_string_param(pk, "group", curve, sizeof(curve), NULL) ||
		    (strcmp(curve, "P-521") != 0 && strcmp(curve, "secp521r1") != 0)) {
			log_warnx("auth: %s is not an EC P-521 key (ES512 needs one)", path);
			EVP_PKEY_free(pk);
			ERR_clear_error();
			return NULL;
		}
		return pk;
	}
	if (errno != ENOENT) {
		log_warn("auth: cannot read %s", path);
		return NULL;
	}
	if ((pk = EVP_EC_gen("P-521")) == NULL) {
		auth_log_ssl("cannot create a P-521 key for", path);
		return NULL;
	}
	if ((b = BIO_new(BIO_s_secmem())) == NULL ||
	    !PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL) ||
	    (dlen = BIO_get_mem_data(b, &data)) <= 0) {
		auth_log_ssl("cannot encode the key for", path);
		goto err;
	}
	if (atomicfile_write(path, data, (size_t)dlen, 0600) == -1) {
		log_warn("auth: cannot write %s", path);
		goto err;
	}
	BIO_free(b);
	log_info("auth: created the API signing key %s", path);
	return pk;
err:
	BIO_free(b);
	EVP_PKEY_free(pk);
	return NULL;
}

struct auth *
auth_new(const char *key_path, int lifetime)
{
	struct auth *a = NULL;
	EVP_PKEY *pk = NULL;
	BIO *priv = NULL, *pub = NULL;

	if (lifetime <= 0) {
		log_warnx("auth: token lifetime must be positive (%d)", lifetime);
		return NULL;
	}
	if ((pk = load_or_create(key_path)) == NULL)
		return NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		goto err;
	a->lifetime = lifetime;
	/* libjwt signs with a PEM private key and verifies with a PEM public key. */
	if ((priv = BIO_new(BIO_s_secmem())) == NULL || (pub = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(priv, pk, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_PUBKEY(pub, pk) ||
	    (a->priv = bio_dup(priv, &a->priv_len)) == NULL ||
	    (a->pub = bio_dup(pub, &a->pub_len)) == NULL) {
		auth_log_ssl("cannot encode the key", key_path);
		goto err;
	}
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(pk);
	return a;
err:
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(pk);
	auth_free(a);
	return NULL;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	if (a->priv != NULL) {
		explicit_bzero(a->priv, a->priv_len);
		free(a->priv);
	}
	free(a->pub);
	free(a);
}

char *
auth_issue(struct auth *a, const char *user, time_t now)
{
	static const int admin[] = { 1 };

	return auth_issue_claims(a, user, now, a->lifetime, admin, 1, "white",
	    (long long)now * 1000);
}

static char *
issue(struct auth *a, const char *user, time_t now, int lifetime, const int *roles,
    size_t nroles, const char *rbac_mode, long long jti, int run_as);

char *
auth_issue_claims(struct auth *a, const char *user, time_t now, int lifetime,
    const int *roles, size_t nroles, const char *rbac_mode, long long jti)
{
	return issue(a, user, now, lifetime, roles, nroles, rbac_mode, jti, 0);
}

char *
auth_issue_run_as(struct auth *a, const char *user, time_t now, int lifetime,
    const int *roles, size_t nroles, const char *rbac_mode, long long jti)
{
	return issue(a, user, now, lifetime, roles, nroles, rbac_mode, jti, 1);
}

static char *
issue(struct auth *a, const char *user, time_t now, int lifetime, const int *roles,
    size_t nroles, const char *rbac_mode, long long jti, int run_as)
{
	jwt_t *j = NULL;
	json_t *extra = NULL, *list = NULL;
	char *out = NULL, *txt = NULL, id[32];
	size_t i;

	if (user == NULL || *user == '\0' || lifetime <= 0 || rbac_mode == NULL)
		return NULL;
	if (jwt_new(&j) != 0)
		return NULL;
	if ((list = json_array()) == NULL)
		goto out;
	for (i = 0; i < nroles; i++)
		if (json_array_append_new(list, json_integer(roles[i])) == -1)
			goto out;
	extra = json_pack("{s:O, s:s}", "rbac_roles", list, "rbac_mode", rbac_mode);
	if (extra == NULL || (txt = json_dumps(extra, JSON_COMPACT)) == NULL)
		goto out;
	snprintf(id, sizeof(id), "%lld", jti);
	/* Wazuh's generate_token() payload, in its order; jti is ours (see auth.h). */
	if (jwt_add_grant(j, "iss", AUTH_ISSUER) != 0 ||
	    jwt_add_grant(j, "aud", AUTH_AUDIENCE) != 0 ||
	    jwt_add_grant_int(j, "nbf", (long)now) != 0 ||
	    jwt_add_grant_int(j, "exp", (long)now + lifetime) != 0 ||
	    jwt_add_grant(j, "sub", user) != 0 ||
	    jwt_add_grant_bool(j, "run_as", run_as) != 0 ||
	    jwt_add_grants_json(j, txt) != 0 ||
	    jwt_add_grant(j, "jti", id) != 0)
		goto out;
	if (jwt_set_alg(j, JWT_ALG_ES512, a->priv, (int)a->priv_len) != 0)
		goto out;
	/* libjwt 1.10 allocates with malloc: the caller frees with free(). */
	out = jwt_encode_str(j);
out:
	free(txt);
	json_decref(extra);
	json_decref(list);
	jwt_free(j);
	return out;
}

/* b64url_decode: decodes unpadded base64url text; malloc'd NUL-terminated, NULL if malformed. */
static char *
b64url_decode(const char *s, size_t n, size_t *outlen)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char *out;
	unsigned long acc = 0;
	size_t i, o = 0;
	int bits = 0;
	const char *p;

	if (n % 4 == 1)
		return NULL;
	if ((out = malloc(n * 3 / 4 + 2)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '\0' || (p = strchr(alpha, s[i])) == NULL)
			goto bad;
		acc = (acc << 6) | (unsigned long)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1UL << bits) - 1;
		}
	}
	out[o] = '\0';
	*outlen = o;
	return (char *)out;
bad:
	free(out);
	return NULL;
}

/*
 * header_ok: the JOSE header must say alg ES512 (and typ JWT when present),
 * with no "crit" extensions we would have to understand.
 */
static int
header_ok(const char *tok, size_t n)
{
	json_t *h, *alg, *typ;
	char *txt;
	size_t len;
	int ok = 0;

	if ((txt = b64url_decode(tok, n, &len)) == NULL)
		return 0;
	if (strlen(txt) != len || (h = json_loads(txt, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		free(txt);
		return 0;
	}
	free(txt);
	alg = json_object_get(h, "alg");
	typ = json_object_get(h, "typ");
	if (json_is_object(h) && json_is_string(alg) && strcmp(json_string_value(alg), "ES512") == 0 &&
	    (typ == NULL || (json_is_string(typ) && strcasecmp(json_string_value(typ), "JWT") == 0)) &&
	    json_object_get(h, "crit") == NULL)
		ok = 1;
	json_decref(h);
	return ok;
}

static int
aud_ok(json_t *aud)
{
	size_t i;
	json_t *v;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), AUTH_AUDIENCE) == 0;
	if (json_is_array(aud))
		json_array_foreach(aud, i, v)
			if (json_is_string(v) && strcmp(json_string_value(v), AUTH_AUDIENCE) == 0)
				return 1;
	return 0;
}

enum auth_verdict
auth_verify(struct auth *a, const char *token, time_t now, char *user, size_t cap)
{
	struct auth_token t;
	enum auth_verdict v;
	size_t n;

	if (cap > 0)
		user[0] = '\0';
	v = auth_verify_claims(a, token, now, &t);
	if (v != AUTH_OK)
		return v;
	if ((n = strlen(t.user)) >= cap)
		return AUTH_INVALID;
	memcpy(user, t.user, n + 1);
	return AUTH_OK;
}

enum auth_verdict
auth_verify_claims(struct auth *a, const char *token, time_t now, struct auth_token *t)
{
	jwt_t *j = NULL;
	json_t *c = NULL, *iss, *sub, *nbf, *exp, *mode, *jti, *roles;
	const char *d1, *d2, *s;
	char *claims = NULL, *end;
	size_t len, clen, i;
	enum auth_verdict v = AUTH_INVALID;

	memset(t, 0, sizeof(*t));
	if (token == NULL || (len = strnlen(token, AUTH_TOKEN_MAX + 1)) > AUTH_TOKEN_MAX)
		return AUTH_INVALID;
	/* Exactly three non-empty parts: a signature is never optional. */
	if ((d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL ||
	    d1 == token || d2 == d1 + 1 || (size_t)(d2 + 1 - token) == len)
		return AUTH_INVALID;
	if (!header_ok(token, (size_t)(d1 - token)))
		return AUTH_INVALID;
	if (jwt_decode(&j, token, a->pub, (int)a->pub_len) != 0 || j == NULL)
		goto out;
	if (jwt_get_alg(j) != JWT_ALG_ES512)
		goto out;
	/*
	 * The claims are read from the signed text itself, strictly (no
	 * duplicate names, no NUL), rather than from libjwt's lenient parse.
	 */
	if ((claims = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &clen)) == NULL ||
	    strlen(claims) != clen ||
	    (c = json_loads(claims, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(c))
		goto out;
	iss = json_object_get(c, "iss");
	sub = json_object_get(c, "sub");
	nbf = json_object_get(c, "nbf");
	exp = json_object_get(c, "exp");
	mode = json_object_get(c, "rbac_mode");
	jti = json_object_get(c, "jti");
	if (!json_is_string(iss) || strcmp(json_string_value(iss), AUTH_ISSUER) != 0 ||
	    !aud_ok(json_object_get(c, "aud")) ||
	    !json_is_string(sub) || json_string_length(sub) == 0 ||
	    json_string_length(sub) >= sizeof(t->user) ||
	    strlen(json_string_value(sub)) != json_string_length(sub) ||
	    !json_is_integer(nbf) || !json_is_integer(exp))
		goto out;
	if (mode != NULL && (!json_is_string(mode) || json_string_length(mode) >= sizeof(t->rbac_mode)))
		goto out;
	if ((json_int_t)now < json_integer_value(nbf))
		goto out;
	t->nbf = (long long)json_integer_value(nbf);
	t->exp = (long long)json_integer_value(exp);
	/* A token without our jti was issued at its nbf (ms resolution lost). */
	t->jti = t->nbf * 1000;
	if (jti != NULL) {
		if (!json_is_string(jti))
			goto out;
		s = json_string_value(jti);
		errno = 0;
		t->jti = strtoll(s, &end, 10);
		if (errno != 0 || end == s || *end != '\0' || t->jti < 0)
			goto out;
	}
	/* As PyJWT: expired once now reaches exp.  Only a genuine token is told "expired". */
	if ((json_int_t)now >= json_integer_value(exp)) {
		v = AUTH_EXPIRED;
		goto out;
	}
	memcpy(t->user, json_string_value(sub), json_string_length(sub) + 1);
	t->run_as = json_is_true(json_object_get(c, "run_as"));
	roles = json_object_get(c, "rbac_roles");
	if (roles != NULL) {
		if (!json_is_array(roles) || json_array_size(roles) > AUTH_ROLES_MAX)
			goto out;
		for (i = 0; i < json_array_size(roles); i++) {
			json_t *id = json_array_get(roles, i);

			if (!json_is_integer(id) || json_integer_value(id) < 0 ||
			    json_integer_value(id) > 0x7fffffff)
				goto out;
			t->roles[t->nroles++] = (int)json_integer_value(id);
		}
	}
	if (mode != NULL)
		memcpy(t->rbac_mode, json_string_value(mode), json_string_length(mode) + 1);
	v = AUTH_OK;
out:
	json_decref(c);
	free(claims);
	jwt_free(j);
	return v;
}

static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* hex_decode: exactly 2*cap hex chars into out; number of bytes or -1. */
static ssize_t
hex_decode(const char *s, size_t slen, unsigned char *out, size_t cap)
{
	size_t i;
	int hi, lo;

	if (slen == 0 || slen % 2 != 0 || slen / 2 > cap)
		return -1;
	for (i = 0; i < slen / 2; i++) {
		hi = OPENSSL_hexchar2int((unsigned char)s[2 * i]);
		lo = OPENSSL_hexchar2int((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (ssize_t)(slen / 2);
}

/*
 * pbkdf2: PBKDF2-HMAC-SHA256 (RFC 8018) of password and salt, iter rounds,
 * outlen bytes into out.  stop(arg), when stop is not NULL, is asked before
 * every AUTH_PBKDF2_STOP_EVERY rounds, and a yes gives up: a stored hash may
 * ask for AUTH_PBKDF2_ITER_MAX rounds, seconds of CPU, and whoever waits for
 * the thread doing it (a node being stopped) must not wait for them all.
 * OpenSSL's PKCS5_PBKDF2_HMAC cannot be stopped; this gives the same bytes
 * (tests/unit/test_auth.c holds it to Python's hashlib), a little faster:
 * it re-initialises one keyed HMAC context each round, where OpenSSL 3.0
 * copies a whole HMAC context.
 * 0 done; -1 failed; -2 stopped (out is then zeroed).
 */
static int
pbkdf2(const char *password, const unsigned char *salt, size_t saltlen, long iter,
    unsigned char *out, size_t outlen, int (*stop)(void *), void *arg)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	unsigned char u[AUTH_PBKDF2_HLEN], t[AUTH_PBKDF2_HLEN], ctr[4];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t done, n, ulen, k;
	uint32_t block;
	long i;
	int ret = -1;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    !EVP_MAC_init(ctx, (const unsigned char *)password, strlen(password), params))
		goto out;
	for (done = 0, block = 1; done < outlen; done += n, block++) {
		ctr[0] = (unsigned char)(block >> 24);
		ctr[1] = (unsigned char)(block >> 16);
		ctr[2] = (unsigned char)(block >> 8);
		ctr[3] = (unsigned char)block;
		/* U1 = HMAC(P, S || INT(block)); Ui = HMAC(P, Ui-1); T = U1 ^ ... ^ Uiter */
		if (!EVP_MAC_init(ctx, NULL, 0, NULL) || !EVP_MAC_update(ctx, salt, saltlen) ||
		    !EVP_MAC_update(ctx, ctr, sizeof(ctr)) ||
		    !EVP_MAC_final(ctx, u, &ulen, sizeof(u)) || ulen != sizeof(u))
			goto out;
		memcpy(t, u, sizeof(t));
		for (i = 1; i < iter; i++) {
			if (i % AUTH_PBKDF2_STOP_EVERY == 0 && stop != NULL && stop(arg)) {
				ret = -2;
				goto out;
			}
			if (!EVP_MAC_init(ctx, NULL, 0, NULL) || !EVP_MAC_update(ctx, u, sizeof(u)) ||
			    !EVP_MAC_final(ctx, u, &ulen, sizeof(u)) || ulen != sizeof(u))
				goto out;
			for (k = 0; k < sizeof(t); k++)
				t[k] ^= u[k];
		}
		n = outlen - done < sizeof(t) ? outlen - done : sizeof(t);
		memcpy(out + done, t, n);
	}
	ret = 0;
out:
	if (ret != 0)
		explicit_bzero(out, outlen);
	explicit_bzero(u, sizeof(u));
	explicit_bzero(t, sizeof(t));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ret;
}

int
auth_password_hash(const char *password, char out[AUTH_HASH_MAX])
{
	return auth_password_hash_until(password, out, NULL, NULL);
}

int
auth_password_hash_until(const char *password, char out[AUTH_HASH_MAX], int (*stop)(void *),
    void *arg)
{
	unsigned char salt[AUTH_SALT_LEN], dk[AUTH_DK_LEN];
	char salthex[2 * AUTH_SALT_LEN + 1], dkhex[2 * AUTH_DK_LEN + 1];
	int n, ret = -1;

	out[0] = '\0';
	if (password == NULL || hash_random_bytes(salt, sizeof(salt)) == -1)
		return -1;
	if (pbkdf2(password, salt, sizeof(salt), AUTH_PBKDF2_ITER, dk, sizeof(dk), stop, arg) != 0)
		goto out;
	hex_encode(salt, sizeof(salt), salthex);
	hex_encode(dk, sizeof(dk), dkhex);
	n = snprintf(out, AUTH_HASH_MAX, "pbkdf2$%d$%s$%s", AUTH_PBKDF2_ITER, salthex, dkhex);
	if (n < 0 || n >= AUTH_HASH_MAX) {
		out[0] = '\0';
		goto out;
	}
	ret = 0;
out:
	explicit_bzero(dk, sizeof(dk));
	explicit_bzero(dkhex, sizeof(dkhex));
	return ret;
}

int
auth_password_check(const char *password, const char *hash)
{
	/* never stopped: 1 or 0 */
	return auth_password_check_until(password, hash, NULL, NULL);
}

int
auth_password_check_until(const char *password, const char *hash, int (*stop)(void *),
    void *arg)
{
	unsigned char salt[64], want[64], got[64];
	const char *p, *s, *h;
	char *end;
	long iter;
	ssize_t saltlen, dklen;
	int rc, ok = 0;

	if (password == NULL || hash == NULL || strncmp(hash, "pbkdf2$", 7) != 0)
		goto dummy;
	p = hash + 7;
	if (*p < '1' || *p > '9')
		goto dummy;
	errno = 0;
	iter = strtol(p, &end, 10);
	if (errno != 0 || *end != '$' || iter < AUTH_PBKDF2_ITER_MIN || iter > AUTH_PBKDF2_ITER_MAX)
		goto dummy;
	s = end + 1;
	if ((h = strchr(s, '$')) == NULL)
		goto dummy;
	if ((saltlen = hex_decode(s, (size_t)(h - s), salt, sizeof(salt))) < 8)
		goto dummy;
	h++;
	if ((dklen = hex_decode(h, strlen(h), want, sizeof(want))) < 16)
		goto dummy;
	rc = pbkdf2(password, salt, (size_t)saltlen, iter, got, (size_t)dklen, stop, arg);
	if (rc == 0)
		ok = CRYPTO_memcmp(got, want, (size_t)dklen) == 0;
	explicit_bzero(got, sizeof(got));
	return rc == -2 ? -1 : ok;
dummy:
	/* A malformed hash costs what a real check costs, so timing tells nothing. */
	memset(salt, 0, AUTH_SALT_LEN);
	rc = pbkdf2(password ? password : "", salt, AUTH_SALT_LEN, AUTH_PBKDF2_ITER, got,
	    AUTH_DK_LEN, stop, arg);
	explicit_bzero(got, sizeof(got));
	return rc == -2 ? -1 : 0;
}

const char *
auth_bearer(const char *h)
{
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ' || *h == '\t')
		h++;
	return *h != '\0' ? h : NULL;
}

size_t
auth_bearer_len(const char *token)
{
	size_t len = strlen(token);

	while (len > 0 && (token[len - 1] == ' ' || token[len - 1] == '\t'))
		len--;
	return len;
}
