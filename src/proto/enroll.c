/* enroll.c — Wazuh authd enrollment protocol: request and reply lines, keys.
 *
 * Pure functions over buffers (no I/O), after wazuh-authd's
 * w_auth_parse_data (src/os_auth/auth.c) and the agent's
 * src/shared/enrollment_op.c.
 */
#include "proto/enroll.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lib/hash.h"

#define PASS_TAG "OSSEC PASS: "
#define ADD_TAG "OSSEC A:'"
#define ADD_AFTER_PASS " OSSEC A:'"
#define KEY_TAG "OSSEC K:'"
#define ERR_TAG "ERROR: "

/* An optional field of the request, in the order authd looks for them. */
struct field {
	const char *tag;        /* " V:" etc.; the value follows in quotes */
	size_t off;             /* offset of the destination in struct enroll_req */
	size_t cap;
	int stop_at_space;      /* authd's IP scan stops at ' ' as well as '\'' */
	const char *error;
};

static const struct field fields[] = {
	{ " V:", offsetof(struct enroll_req, version),
	    sizeof(((struct enroll_req *)0)->version), 0, ENROLL_ERR_VERSION_FIELD },
	{ " G:", offsetof(struct enroll_req, groups),
	    sizeof(((struct enroll_req *)0)->groups), 0, ENROLL_ERR_GROUP_FIELD },
	{ " IP:", offsetof(struct enroll_req, ip),
	    sizeof(((struct enroll_req *)0)->ip), 1, ENROLL_ERR_IP_FIELD },
	{ " K:", offsetof(struct enroll_req, key_hash),
	    41, 0, ENROLL_ERR_KEY_FIELD },  /* authd reads at most sizeof(os_sha1) - 1 */
};

static int
has_prefix(const char *p, const char *end, const char *tag)
{
	size_t n = strlen(tag);

	return (size_t)(end - p) >= n && memcmp(p, tag, n) == 0;
}

/* copy_field: copies [p, e) into dst (cap bytes with NUL); -1 if it does not fit. */
static int
copy_field(char *dst, size_t cap, const char *p, const char *e)
{
	size_t n = (size_t)(e - p);

	if (n >= cap)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

/*
 * parse_fields: the optional V/G/IP/K fields after the name, each recognised
 * only in its turn, as authd does.  Anything after the last recognised field
 * is ignored.  0, or -1 with r->error set.
 */
static int
parse_fields(const char *p, const char *end, struct enroll_req *r)
{
	const struct field *f;
	const char *v, *q;
	size_t i, taglen;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		f = &fields[i];
		taglen = strlen(f->tag);
		if (!has_prefix(p, end, f->tag))
			continue;
		r->error = f->error;
		v = p + taglen;
		if (v >= end || *v != '\'')
			return -1;
		v++;
		for (q = v; q < end && *q != '\''; q++)
			if (f->stop_at_space && *q == ' ')
				return -1;
		if (q >= end)
			return -1;
		if (copy_field((char *)r + f->off, f->cap, v, q) == -1)
			return -1;
		p = q + 1;
	}
	return 0;
}

ssize_t
enroll_parse_request(const char *buf, size_t len, struct enroll_req *r)
{
	const char *nl, *end, *p, *q;
	size_t scan = len < ENROLL_LINE_MAX ? len : ENROLL_LINE_MAX;

	memset(r, 0, sizeof(*r));
	r->error = ENROLL_ERR_REQUEST;
	if ((nl = memchr(buf, '\n', scan)) == NULL)
		return len < ENROLL_LINE_MAX ? -2 : -1;
	/* authd treats the line as a C string: a NUL ends it. */
	if ((end = memchr(buf, '\0', (size_t)(nl - buf))) == NULL)
		end = nl;

	p = buf;
	if (has_prefix(p, end, PASS_TAG)) {
		p += strlen(PASS_TAG);
		q = memmem(p, (size_t)(end - p), ADD_AFTER_PASS, strlen(ADD_AFTER_PASS));
		if (q == NULL) {
			r->error = ENROLL_ERR_PASSWORD;
			return -1;
		}
		if (copy_field(r->password, sizeof(r->password), p, q) == -1) {
			r->error = ENROLL_ERR_PASSWORD;
			return -1;
		}
		r->has_password = 1;
		p = q + 1;
	}
	if (!has_prefix(p, end, ADD_TAG))
		return -1;
	p += strlen(ADD_TAG);
	if ((q = memchr(p, '\'', (size_t)(end - p))) == NULL)
		return -1;
	if (copy_field(r->name, sizeof(r->name), p, q) == -1)
		return -1;
	if (parse_fields(q + 1, end, r) == -1)
		return -1;
	r->error = NULL;
	return nl - buf + 1;
}

int
enroll_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n < 2 || n > ENROLL_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		/* isalnum() would follow the locale; authd runs in "C". */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

int
enroll_generate_key(const char *id, const char *name, const char *ip, char out[65])
{
	char r1[33], r2[33], s[1024];
	struct utsname u;
	int n;

	memset(out, 0, 65);
	if (hash_random_hex(r1, 16) == -1 || hash_random_hex(r2, 16) == -1)
		goto err;
	if (uname(&u) == -1)
		memset(&u, 0, sizeof(u));
	/* Truncation only shortens the non-random tail; the random part comes first after time/name. */
	n = snprintf(s, sizeof(s), "%lld%s%s%s %s %s", (long long)time(NULL), name, r1,
	    u.sysname, u.release, u.machine);
	if (n < 0)
		goto err;
	hash_md5_hex(s, strnlen(s, sizeof(s)), out);
	n = snprintf(s, sizeof(s), "%s%s%s", ip, id, r2);
	if (n < 0)
		goto err;
	hash_md5_hex(s, strnlen(s, sizeof(s)), out + 32);
	explicit_bzero(r1, sizeof(r1));
	explicit_bzero(r2, sizeof(r2));
	explicit_bzero(s, sizeof(s));
	return 0;
err:
	explicit_bzero(r1, sizeof(r1));
	explicit_bzero(r2, sizeof(r2));
	explicit_bzero(s, sizeof(s));
	memset(out, 0, 65);
	return -1;
}

void
enroll_key_hash(const char *id, const char *name, const char *key, char out[41])
{
	char s[512];

	snprintf(s, sizeof(s), "%s%s%s", id, name, key);
	hash_sha1_hex(s, strnlen(s, sizeof(s)), out);
	explicit_bzero(s, sizeof(s));
}

/* word_ok: non-empty and free of the bytes that would break a key line. */
static int
word_ok(const char *s)
{
	return s != NULL && *s != '\0' && strpbrk(s, " '\n\r") == NULL;
}

ssize_t
enroll_format_key(char *out, size_t cap, const char *id, const char *name,
    const char *ip, const char *key)
{
	int n;

	if (!word_ok(id) || !word_ok(name) || !word_ok(ip) || !word_ok(key))
		return -1;
	n = snprintf(out, cap, "OSSEC K:'%s %s %s %s'", id, name, ip, key);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

/* The words, in index order; "other" last. */
static const char *const error_class_names[ENROLL_ERROR_CLASSES] = {
	"password", "request", "name", "version", "ip", "group", "duplicate_ip",
	"duplicate_name", "agent_limit", "rate_limited", "master_unreachable", "internal", "other",
};

int
enroll_error_class_index(const char *reason)
{
	/* the fixed words before any "%s" of each reason, in authd's and our wording */
	static const struct { const char *prefix; int cls; } classes[] = {
		{ ENROLL_ERR_PASSWORD, 0 },
		{ ENROLL_ERR_REQUEST, 1 },
		{ "Unterminated ", 1 },
		{ "Invalid agent name: ", 2 },
		{ ENROLL_ERR_VERSION, 3 },
		{ "Invalid IP: ", 4 },
		{ "Invalid group: ", 5 },
		{ "Duplicate IP: ", 6 },
		{ "Duplicate agent name: ", 7 },
		{ "Agent limit (", 8 },
		{ ENROLL_ERR_RATE_SOURCE, 9 },
		{ ENROLL_ERR_RATE_TOTAL, 9 },
		{ ENROLL_ERR_MASTER, 10 },
		{ "Internal manager error", 11 },
		{ ENROLL_ERR_SUFFIX, 11 },
	};
	size_t i;

	if (reason == NULL)
		return ENROLL_ERROR_CLASSES - 1;
	if (strncmp(reason, "ERROR: ", 7) == 0)
		reason += 7;
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strncmp(reason, classes[i].prefix, strlen(classes[i].prefix)) == 0)
			return classes[i].cls;
	return ENROLL_ERROR_CLASSES - 1;
}

const char *
enroll_error_class_name(int i)
{
	return i >= 0 && i < ENROLL_ERROR_CLASSES ? error_class_names[i] : "other";
}

const char *
enroll_error_class(const char *reason)
{
	return error_class_names[enroll_error_class_index(reason)];
}

ssize_t
enroll_format_error(char *out, size_t cap, const char *reason)
{
	size_t rl, sl = strlen(ENROLL_ERR_SUFFIX);
	int n;

	if (reason == NULL || *reason == '\0')
		reason = ENROLL_ERR_SUFFIX;
	rl = strlen(reason);
	if (rl >= sl && strcmp(reason + rl - sl, ENROLL_ERR_SUFFIX) == 0)
		n = snprintf(out, cap, ERR_TAG "%s", reason);
	else
		n = snprintf(out, cap, ERR_TAG "%s. " ENROLL_ERR_SUFFIX, reason);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

/* append: adds fmt'd text at *off; -1 on truncation. */
static int
append(char *out, size_t cap, size_t *off, const char *tag, const char *val)
{
	int n;

	if (*off >= cap)
		return -1;
	n = snprintf(out + *off, cap - *off, "%s%s%s", tag, val, tag[0] == '\0' ? "" : "'");
	if (n < 0 || (size_t)n >= cap - *off)
		return -1;
	*off += (size_t)n;
	return 0;
}

ssize_t
enroll_format_request(char *out, size_t cap, const char *name, const char *password,
    const char *version, const char *groups, const char *ip)
{
	size_t off = 0;
	int n;

	if (cap == 0 || name == NULL || strpbrk(name, "'\n") != NULL)
		return -1;
	if (password != NULL && strchr(password, '\n') != NULL)
		return -1;
	if ((version != NULL && strpbrk(version, "'\n") != NULL) ||
	    (groups != NULL && strpbrk(groups, "'\n") != NULL) ||
	    (ip != NULL && strpbrk(ip, "' \n") != NULL))
		return -1;
	out[0] = '\0';
	if (password != NULL) {
		n = snprintf(out, cap, PASS_TAG "%s ", password);
		if (n < 0 || (size_t)n >= cap)
			return -1;
		off = (size_t)n;
	}
	if (append(out, cap, &off, ADD_TAG, name) == -1)
		return -1;
	if (version != NULL && *version != '\0' && append(out, cap, &off, " V:'", version) == -1)
		return -1;
	if (groups != NULL && *groups != '\0' && append(out, cap, &off, " G:'", groups) == -1)
		return -1;
	if (ip != NULL && *ip != '\0' && append(out, cap, &off, " IP:'", ip) == -1)
		return -1;
	if (append(out, cap, &off, "", "\n") == -1)
		return -1;
	return (ssize_t)off;
}

/*
 * ip_parse: "addr" or "addr/bits" into family, 16 address bytes (IPv4 in the
 * first 4) and prefix bits (the full width without a suffix).  The bits are
 * 1 to 3 plain digits within the family's width.  An IPv4-mapped IPv6
 * address ("::ffff:10.0.0.1") is read as the IPv4 address it carries.
 * 0, or -1 when s is not such a string.
 */
static int
ip_parse(const char *s, int *family, unsigned char a[16], int *bits)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char host[64], *slash;
	size_t nd;

	if (snprintf(host, sizeof(host), "%s", s) >= (int)sizeof(host))
		return -1;
	if ((slash = strchr(host, '/')) != NULL)
		*slash++ = '\0';
	memset(a, 0, 16);
	if (inet_pton(AF_INET, host, a) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, host, a) == 1) {
		*family = AF_INET6;
		if (slash == NULL && memcmp(a, mapped, sizeof(mapped)) == 0) {
			memmove(a, a + 12, 4);
			memset(a + 4, 0, 12);
			*family = AF_INET;
		}
	} else
		return -1;
	*bits = *family == AF_INET ? 32 : 128;
	if (slash == NULL)
		return 0;
	nd = strspn(slash, "0123456789");
	if (nd < 1 || nd > 3 || slash[nd] != '\0' || (nd > 1 && slash[0] == '0'))
		return -1;
	if (atoi(slash) > *bits)
		return -1;
	*bits = atoi(slash);
	return 0;
}

int
enroll_ip_valid(const char *ip)
{
	unsigned char a[16];
	int family, bits;

	if (strcmp(ip, "any") == 0)
		return 1;
	return ip_parse(ip, &family, a, &bits) == 0;
}

int
enroll_ip_match(const char *bound, const char *peer)
{
	unsigned char b[16], p[16];
	int bfam, pfam, bits, pbits, whole;

	if (strcmp(bound, "any") == 0)
		return 1;
	if (ip_parse(bound, &bfam, b, &bits) == -1 || strchr(peer, '/') != NULL ||
	    ip_parse(peer, &pfam, p, &pbits) == -1 || bfam != pfam)
		return 0;
	whole = bits / 8;
	if (memcmp(b, p, (size_t)whole) != 0)
		return 0;
	if (bits % 8 != 0) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));

		if ((b[whole] & mask) != (p[whole] & mask))
			return 0;
	}
	return 1;
}

int
enroll_password_match(const char *want, const char *got)
{
	unsigned char hw[EVP_MAX_MD_SIZE], hg[EVP_MAX_MD_SIZE];
	unsigned int lw = 0, lg = 0;

	/* Digests of equal length compared in constant time: neither the
	 * password's length nor its first differing byte shows in the timing. */
	if (EVP_Digest(want, strlen(want), hw, &lw, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(got, strlen(got), hg, &lg, EVP_sha256(), NULL) != 1 || lw != lg)
		return 0;
	return CRYPTO_memcmp(hw, hg, lw) == 0;
}

/* reply_id_valid: OS_IsValidID, but not empty. */
static int
reply_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n >= 1 && n <= 8 && strspn(id, "0123456789") == n;
}

ssize_t
enroll_parse_reply(const char *buf, size_t len, struct enroll_reply *r)
{
	const char *p, *q, *end, *sp[3];
	size_t n, i, scan;

	memset(r, 0, sizeof(*r));
	if (len < strlen(KEY_TAG) && memcmp(buf, KEY_TAG, len) == 0)
		return -2;
	if (len <= strlen(ERR_TAG) && memcmp(buf, ERR_TAG, len) == 0)
		return -2;

	if (len > strlen(ERR_TAG) && memcmp(buf, ERR_TAG, strlen(ERR_TAG)) == 0) {
		p = buf + strlen(ERR_TAG);
		n = strnlen(p, len - strlen(ERR_TAG));
		while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
			n--;
		if (n >= sizeof(r->error))
			n = sizeof(r->error) - 1;
		memcpy(r->error, p, n);
		r->error[n] = '\0';
		r->ok = 0;
		return (ssize_t)len;
	}
	if (len < strlen(KEY_TAG) || memcmp(buf, KEY_TAG, strlen(KEY_TAG)) != 0)
		return -1;

	p = buf + strlen(KEY_TAG);
	scan = len < ENROLL_REPLY_MAX ? len : ENROLL_REPLY_MAX;
	if ((end = memchr(p, '\'', scan - strlen(KEY_TAG))) == NULL)
		return len < ENROLL_REPLY_MAX ? -2 : -1;
	if (memchr(p, '\0', (size_t)(end - p)) != NULL)
		return -1;
	/* "id name ip key": three single spaces; the key is the rest (OS_StrBreak(' ', 4)). */
	q = p;
	for (i = 0; i < 3; i++) {
		if ((sp[i] = memchr(q, ' ', (size_t)(end - q))) == NULL)
			return -1;
		q = sp[i] + 1;
	}
	if (copy_field(r->id, sizeof(r->id), p, sp[0]) == -1 ||
	    copy_field(r->name, sizeof(r->name), sp[0] + 1, sp[1]) == -1 ||
	    copy_field(r->ip, sizeof(r->ip), sp[1] + 1, sp[2]) == -1 ||
	    copy_field(r->key, sizeof(r->key), sp[2] + 1, end) == -1)
		goto bad;
	if (!reply_id_valid(r->id) || !enroll_name_valid(r->name) ||
	    !enroll_ip_valid(r->ip) || !enroll_name_valid(r->key))
		goto bad;
	r->ok = 1;
	return end - buf + 1;
bad:
	memset(r, 0, sizeof(*r));
	return -1;
}
