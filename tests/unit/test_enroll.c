/* test_enroll.c — authd request/reply parsing and formatting, names, keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto/enroll.h"

#define S(x) x, sizeof(x) - 1

static void
test_request_minimal(void **state)
{
	struct enroll_req r;
	const char line[] = "OSSEC A:'web-01'\n";

	(void)state;
	assert_int_equal(enroll_parse_request(S(line), &r), sizeof(line) - 1);
	assert_string_equal(r.name, "web-01");
	assert_int_equal(r.has_password, 0);
	assert_string_equal(r.version, "");
	assert_string_equal(r.groups, "");
	assert_string_equal(r.ip, "");
	assert_string_equal(r.key_hash, "");
	assert_null(r.error);
}

static void
test_request_full(void **state)
{
	struct enroll_req r;
	const char line[] = "OSSEC PASS: s3cret pass OSSEC A:'db.2' V:'v4.14.7' G:'g1,g2' "
	    "IP:'10.0.0.7' K:'0123456789abcdef0123456789abcdef01234567'\nNEXT";

	(void)state;
	assert_int_equal(enroll_parse_request(S(line), &r), sizeof(line) - 1 - 4);
	assert_int_equal(r.has_password, 1);
	assert_string_equal(r.password, "s3cret pass");
	assert_string_equal(r.name, "db.2");
	assert_string_equal(r.version, "v4.14.7");
	assert_string_equal(r.groups, "g1,g2");
	assert_string_equal(r.ip, "10.0.0.7");
	assert_string_equal(r.key_hash, "0123456789abcdef0123456789abcdef01234567");
}

static void
test_request_src_and_subsets(void **state)
{
	struct enroll_req r;

	(void)state;
	assert_true(enroll_parse_request(S("OSSEC A:'a1' IP:'src'\n"), &r) > 0);
	assert_string_equal(r.ip, "src");
	assert_true(enroll_parse_request(S("OSSEC A:'a1' G:'x' K:'abc'\n"), &r) > 0);
	assert_string_equal(r.groups, "x");
	assert_string_equal(r.key_hash, "abc");
	assert_string_equal(r.version, "");
	/* Empty password (authd with an empty authpass accepts this). */
	assert_true(enroll_parse_request(S("OSSEC PASS:  OSSEC A:'a1'\n"), &r) > 0);
	assert_int_equal(r.has_password, 1);
	assert_string_equal(r.password, "");
	/* Empty values are syntactically fine. */
	assert_true(enroll_parse_request(S("OSSEC A:'a1' V:''\n"), &r) > 0);
	assert_string_equal(r.version, "");
	/* CR before LF, and trailing junk, are ignored as authd ignores them. */
	assert_true(enroll_parse_request(S("OSSEC A:'a1' V:'v4.1.0'\r\n"), &r) > 0);
	assert_string_equal(r.version, "v4.1.0");
	assert_true(enroll_parse_request(S("OSSEC A:'a1' whatever else\n"), &r) > 0);
}

static void
test_request_order(void **state)
{
	struct enroll_req r;

	(void)state;
	/* Fields out of authd's order are not recognised (and then ignored). */
	assert_true(enroll_parse_request(S("OSSEC A:'a1' G:'g' V:'v4.0.0'\n"), &r) > 0);
	assert_string_equal(r.groups, "g");
	assert_string_equal(r.version, "");
	assert_true(enroll_parse_request(S("OSSEC A:'a1' K:'k' IP:'1.2.3.4'\n"), &r) > 0);
	assert_string_equal(r.key_hash, "k");
	assert_string_equal(r.ip, "");
}

static void
test_request_incomplete(void **state)
{
	struct enroll_req r;
	char big[ENROLL_LINE_MAX + 10];

	(void)state;
	assert_int_equal(enroll_parse_request(S(""), &r), -2);
	assert_int_equal(enroll_parse_request(S("OSSEC A:'a1'"), &r), -2);
	memset(big, 'A', sizeof(big));
	assert_int_equal(enroll_parse_request(big, ENROLL_LINE_MAX - 1, &r), -2);
	assert_int_equal(enroll_parse_request(big, ENROLL_LINE_MAX, &r), -1);
	assert_int_equal(enroll_parse_request(big, sizeof(big), &r), -1);
	/* A '\n' beyond ENROLL_LINE_MAX does not count. */
	big[ENROLL_LINE_MAX + 2] = '\n';
	assert_int_equal(enroll_parse_request(big, sizeof(big), &r), -1);
}

static void
test_request_malformed(void **state)
{
	struct enroll_req r;

	(void)state;
	assert_int_equal(enroll_parse_request(S("\n"), &r), -1);
	assert_string_equal(r.error, ENROLL_ERR_REQUEST);
	assert_int_equal(enroll_parse_request(S("OSSEC A:a1\n"), &r), -1);
	assert_int_equal(enroll_parse_request(S("OSSEC A:'a1\n"), &r), -1);
	assert_string_equal(r.error, ENROLL_ERR_REQUEST);
	assert_int_equal(enroll_parse_request(S("ossec a:'a1'\n"), &r), -1);
	assert_int_equal(enroll_parse_request(S(" OSSEC A:'a1'\n"), &r), -1);
	/* A NUL ends the line as it does for authd's string functions. */
	assert_int_equal(enroll_parse_request(S("OSSEC A:'a1\0'\n"), &r), -1);
	assert_int_equal(enroll_parse_request(S("OSSEC A:'a1' V:'v4\0.1'\n"), &r), -1);
	assert_string_equal(r.error, ENROLL_ERR_VERSION_FIELD);
	/* Unterminated or unquoted fields. */
	assert_int_equal(enroll_parse_request(S("OSSEC A:'a1' V:'v4.1\n"), &r), -1);
	assert_string_equal(r.error, ENROLL_ERR_VERSION_FIELD);
	assert_int_equal(enroll_parse_request(S("OSSEC A:'a1' V:v4\n"), &r), -1);
	assert_string_equal(r.error, ENROLL_ERR_VERSION_FIELD);
	assert_int_equal(enroll_parse_request(S("OSSEC A:'a1' G:'g\n"), &r), -1);
	assert_string_equal(r.error, ENROLL_ERR_GROUP_FIELD);
	assert_int_equal(enroll_parse_request(S("OSSEC A:'a1' IP:'1.2.3.4\n"), &r), -1);
	assert_string_equal(r.error, ENROLL_ERR_IP_FIELD);
	assert_int_equal(enroll_parse_request(S("OSSEC A:'a1' IP:'1.2 .3.4'\n"), &r), -1);
	assert_string_equal(r.error, ENROLL_ERR_IP_FIELD);
	assert_int_equal(enroll_parse_request(S("OSSEC A:'a1' K:'abc\n"), &r), -1);
	assert_string_equal(r.error, ENROLL_ERR_KEY_FIELD);
	/* K holds at most a SHA-1 hex (40), as authd's os_sha1 buffer. */
	assert_int_equal(enroll_parse_request(
	    S("OSSEC A:'a1' K:'0123456789abcdef0123456789abcdef012345678'\n"), &r), -1);
	assert_string_equal(r.error, ENROLL_ERR_KEY_FIELD);
	/* A password tag without the action behind it. */
	assert_int_equal(enroll_parse_request(S("OSSEC PASS: x\n"), &r), -1);
	assert_string_equal(r.error, ENROLL_ERR_PASSWORD);
	assert_int_equal(enroll_parse_request(S("OSSEC PASS: xOSSEC A:'a1'\n"), &r), -1);
	assert_string_equal(r.error, ENROLL_ERR_PASSWORD);
}

static void
test_request_overlong_fields(void **state)
{
	struct enroll_req r;
	char line[2048];
	char name[ENROLL_NAME_MAX + 2];

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(line, sizeof(line), "OSSEC A:'%s'\n", name);
	assert_int_equal(enroll_parse_request(line, strlen(line), &r), -1);
	name[ENROLL_NAME_MAX] = '\0';
	snprintf(line, sizeof(line), "OSSEC A:'%s'\n", name);
	assert_int_equal(enroll_parse_request(line, strlen(line), &r), (ssize_t)strlen(line));
	assert_int_equal(strlen(r.name), ENROLL_NAME_MAX);
	snprintf(line, sizeof(line), "OSSEC A:'a1' V:'%0*d'\n", (int)sizeof(r.version), 0);
	assert_int_equal(enroll_parse_request(line, strlen(line), &r), -1);
	snprintf(line, sizeof(line), "OSSEC A:'a1' IP:'%0*d'\n", (int)sizeof(r.ip), 0);
	assert_int_equal(enroll_parse_request(line, strlen(line), &r), -1);
	snprintf(line, sizeof(line), "OSSEC PASS: %0*d OSSEC A:'a1'\n", (int)sizeof(r.password), 0);
	assert_int_equal(enroll_parse_request(line, strlen(line), &r), -1);
}

static void
test_name_valid(void **state)
{
	char name[ENROLL_NAME_MAX + 2];

	(void)state;
	assert_true(enroll_name_valid("ab"));
	assert_true(enroll_name_valid("Web-01_prod.example"));
	assert_false(enroll_name_valid(""));
	assert_false(enroll_name_valid("a"));
	assert_false(enroll_name_valid("a b"));
	assert_false(enroll_name_valid("a'b"));
	assert_false(enroll_name_valid("a/b"));
	assert_false(enroll_name_valid("a:b"));
	assert_false(enroll_name_valid("caf\xc3\xa9"));
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_false(enroll_name_valid(name));
	name[ENROLL_NAME_MAX] = '\0';
	assert_true(enroll_name_valid(name));
}

static int
is_hex64(const char *k)
{
	return strlen(k) == 64 && strspn(k, "0123456789abcdef") == 64;
}

static void
test_generate_key(void **state)
{
	char k1[65], k2[65];

	(void)state;
	assert_int_equal(enroll_generate_key("001", "web", "any", k1), 0);
	assert_int_equal(enroll_generate_key("001", "web", "any", k2), 0);
	assert_true(is_hex64(k1));
	assert_true(is_hex64(k2));
	assert_string_not_equal(k1, k2);
	assert_string_not_equal(k1 + 32, k2 + 32);
	assert_string_not_equal(k1, k2 + 32);
}

static void
test_key_hash(void **state)
{
	char h[41];

	(void)state;
	/* sha1("001web" "abc") computed with sha1sum. */
	enroll_key_hash("001", "web", "abc", h);
	assert_string_equal(h, "357c20bc317a5efce8827be621647cb587473371");
}

static void
test_format_key(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(enroll_format_key(buf, sizeof(buf), "001", "web", "any", "k3y"),
	    strlen("OSSEC K:'001 web any k3y'"));
	assert_string_equal(buf, "OSSEC K:'001 web any k3y'");
	assert_int_equal(enroll_format_key(buf, 10, "001", "web", "any", "k3y"), -1);
	assert_int_equal(enroll_format_key(buf, sizeof(buf), "001", "w b", "any", "k"), -1);
	assert_int_equal(enroll_format_key(buf, sizeof(buf), "001", "w'b", "any", "k"), -1);
	assert_int_equal(enroll_format_key(buf, sizeof(buf), "", "web", "any", "k"), -1);
	assert_int_equal(enroll_format_key(buf, sizeof(buf), "001", "web", NULL, "k"), -1);
}

static void
test_format_error(void **state)
{
	char buf[128];

	(void)state;
	assert_true(enroll_format_error(buf, sizeof(buf), "Duplicate agent name: web") > 0);
	assert_string_equal(buf, "ERROR: Duplicate agent name: web. Unable to add agent");
	assert_true(enroll_format_error(buf, sizeof(buf), "Unable to add agent") > 0);
	assert_string_equal(buf, "ERROR: Unable to add agent");
	assert_true(enroll_format_error(buf, sizeof(buf), "Invalid password") > 0);
	assert_string_equal(buf, "ERROR: Invalid password. Unable to add agent");
	assert_int_equal(enroll_format_error(buf, 20, "Invalid password"), -1);
}

static void
test_format_request_roundtrip(void **state)
{
	char buf[512];
	struct enroll_req r;
	ssize_t n;

	(void)state;
	n = enroll_format_request(buf, sizeof(buf), "web", NULL, NULL, NULL, NULL);
	assert_int_equal(n, strlen("OSSEC A:'web'\n"));
	assert_string_equal(buf, "OSSEC A:'web'\n");
	n = enroll_format_request(buf, sizeof(buf), "web", "p w", "v4.14.7", "a,b", "src");
	assert_string_equal(buf, "OSSEC PASS: p w OSSEC A:'web' V:'v4.14.7' G:'a,b' IP:'src'\n");
	assert_int_equal(enroll_parse_request(buf, (size_t)n, &r), n);
	assert_string_equal(r.password, "p w");
	assert_string_equal(r.name, "web");
	assert_string_equal(r.version, "v4.14.7");
	assert_string_equal(r.groups, "a,b");
	assert_string_equal(r.ip, "src");
	/* Empty strings mean absent. */
	assert_true(enroll_format_request(buf, sizeof(buf), "web", NULL, "", "", "") > 0);
	assert_string_equal(buf, "OSSEC A:'web'\n");
	/* Unsafe values and short buffers. */
	assert_int_equal(enroll_format_request(buf, sizeof(buf), "we'b", NULL, NULL, NULL, NULL), -1);
	assert_int_equal(enroll_format_request(buf, sizeof(buf), "web", "a\nb", NULL, NULL, NULL), -1);
	assert_int_equal(enroll_format_request(buf, sizeof(buf), "web", NULL, NULL, NULL, "1 2"), -1);
	assert_int_equal(enroll_format_request(buf, 14, "web", NULL, NULL, NULL, NULL), -1);
	assert_int_equal(enroll_format_request(buf, 15, "web", NULL, NULL, NULL, NULL), 14);
	assert_int_equal(enroll_format_request(buf, 20, "web", NULL, "v4.14.7", NULL, NULL), -1);
}

static void
test_reply_key(void **state)
{
	struct enroll_reply r;
	const char k[] = "OSSEC K:'001 web any "
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'";

	(void)state;
	assert_int_equal(enroll_parse_reply(S(k), &r), sizeof(k) - 1);
	assert_int_equal(r.ok, 1);
	assert_string_equal(r.id, "001");
	assert_string_equal(r.name, "web");
	assert_string_equal(r.ip, "any");
	assert_string_equal(r.key, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_int_equal(enroll_parse_reply(S("OSSEC K:'12 a.b 10.0.0.0/8 kk'rest"), &r), 30);
	assert_string_equal(r.ip, "10.0.0.0/8");
	assert_true(enroll_parse_reply(S("OSSEC K:'12 ab ::1 kk'"), &r) > 0);
	assert_true(enroll_parse_reply(S("OSSEC K:'12 ab 192.168.1.9 kk'"), &r) > 0);
}

static void
test_reply_error(void **state)
{
	struct enroll_reply r;

	(void)state;
	assert_int_equal(enroll_parse_reply(S("ERROR: Duplicate agent name: web. Unable to add agent"),
	    &r), 53);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.error, "Duplicate agent name: web. Unable to add agent");
	assert_int_equal(enroll_parse_reply(S("ERROR: x\r\n"), &r), 10);
	assert_string_equal(r.error, "x");
}

static void
test_reply_incomplete(void **state)
{
	struct enroll_reply r;
	char big[ENROLL_REPLY_MAX + 16];

	(void)state;
	assert_int_equal(enroll_parse_reply(S(""), &r), -2);
	assert_int_equal(enroll_parse_reply(S("OSS"), &r), -2);
	assert_int_equal(enroll_parse_reply(S("OSSEC K:"), &r), -2);
	assert_int_equal(enroll_parse_reply(S("OSSEC K:'001 web any abc"), &r), -2);
	assert_int_equal(enroll_parse_reply(S("ERR"), &r), -2);
	assert_int_equal(enroll_parse_reply(S("ERROR: "), &r), -2);
	memcpy(big, "OSSEC K:'", 9);
	memset(big + 9, 'a', sizeof(big) - 9);
	assert_int_equal(enroll_parse_reply(big, ENROLL_REPLY_MAX - 1, &r), -2);
	assert_int_equal(enroll_parse_reply(big, sizeof(big), &r), -1);
}

static void
test_reply_invalid(void **state)
{
	struct enroll_reply r;

	(void)state;
	assert_int_equal(enroll_parse_reply(S("hello"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("OSSEOC"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("E"), &r), -2);
	assert_int_equal(enroll_parse_reply(S("X"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("OSSEC X:'1 a b c'"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("OSSEC K:''"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("OSSEC K:'001 web any'"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("OSSEC K:'0x1 web any kk'"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("OSSEC K:'123456789 web any kk'"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("OSSEC K:'001 w any kk'"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("OSSEC K:'001 web 1.2.3 kk'"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("OSSEC K:'001 web 1.2.3.4/33 kk'"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("OSSEC K:'001 web 1.2.3.4/ kk'"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("OSSEC K:'001 web any k k'"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("OSSEC K:'001 web any k\0k'"), &r), -1);
	assert_int_equal(enroll_parse_reply(S("OSSEC K:'001  web any kk'"), &r), -1);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.id, "");
}

/* enroll_ip_valid: what client.keys may hold; CIDR bits within the family's width. */
static void
test_ip_valid(void **state)
{
	static const struct { const char *ip; int ok; } t[] = {
		{ "any", 1 }, { "10.0.0.1", 1 }, { "10.0.0.0/8", 1 }, { "1.2.3.4/32", 1 },
		{ "1.2.3.4/0", 1 }, { "1.2.3.4/33", 0 }, { "1.2.3.4/", 0 }, { "1.2.3.4/+8", 0 },
		{ "1.2.3.4/ 8", 0 }, { "1.2.3.4/-0", 0 }, { "1.2.3.4/8x", 0 },
		{ "1.2.3.4/0032", 0 }, { "1.2.3.4/99999999999999999999", 0 },
		{ "::1", 1 }, { "fd00::/8", 1 }, { "fd00::/128", 1 }, { "fd00::/129", 0 },
		{ "1.2.3", 0 }, { "256.1.1.1", 0 }, { "", 0 }, { "ANY", 0 }, { "src", 0 },
		{ "/8", 0 }, { "1.2.3.4/8/8", 0 },
		{ "1111:2222:3333:4444:5555:6666:7777:8888/128x1111111111111111111111111111", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (enroll_ip_valid(t[i].ip) != t[i].ok)
			fail_msg("enroll_ip_valid(\"%s\") != %d", t[i].ip, t[i].ok);
}

/* enroll_ip_match: remoted's rule, a key bound to an address is used only from it. */
static void
test_ip_match(void **state)
{
	static const struct { const char *bound, *peer; int ok; } t[] = {
		{ "any", "127.0.0.1", 1 }, { "any", "::1", 1 },
		{ "10.66.77.88", "10.66.77.88", 1 }, { "10.66.77.88", "127.0.0.1", 0 },
		{ "10.66.77.88", "10.66.77.89", 0 }, { "10.66.77.88", "::ffff:10.66.77.88", 1 },
		{ "10.0.0.0/8", "10.200.1.2", 1 }, { "10.0.0.0/8", "11.0.0.1", 0 },
		{ "10.1.2.3/31", "10.1.2.2", 1 }, { "10.1.2.3/31", "10.1.2.4", 0 },
		{ "0.0.0.0/0", "192.168.1.1", 1 }, { "1.2.3.4/32", "1.2.3.4", 1 },
		{ "fd00::/8", "fd12::1", 1 }, { "fd00::/8", "fe80::1", 0 },
		{ "fd00::1", "fd00::1", 1 }, { "fd00::1", "10.0.0.1", 0 },
		{ "10.0.0.1", "fd00::1", 0 }, { "10.0.0.0/8", "::ffff:10.9.9.9", 1 },
		{ "1.2.3.4/33", "1.2.3.4", 0 }, { "bogus", "1.2.3.4", 0 },
		{ "1.2.3.4", "", 0 }, { "1.2.3.4", "not-an-ip", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (enroll_ip_match(t[i].bound, t[i].peer) != t[i].ok)
			fail_msg("enroll_ip_match(\"%s\", \"%s\") != %d", t[i].bound,
			    t[i].peer, t[i].ok);
}

/* enroll_password_match: equal strings only, whatever their lengths. */
static void
test_password_match(void **state)
{
	static const struct { const char *want, *got; int ok; } t[] = {
		{ "secret", "secret", 1 }, { "secret", "secre", 0 }, { "secret", "secrets", 0 },
		{ "secret", "", 0 }, { "", "", 1 }, { "secret", "Secret", 0 },
		{ "a", "b", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (enroll_password_match(t[i].want, t[i].got) != t[i].ok)
			fail_msg("enroll_password_match(\"%s\", \"%s\") != %d", t[i].want,
			    t[i].got, t[i].ok);
}

/* enroll_error_class: every reason a node answers maps to one fixed word. */
static void
test_error_class(void **state)
{
	static const struct { const char *reason, *cls; } cases[] = {
		{ ENROLL_ERR_PASSWORD, "password" },
		{ ENROLL_ERR_REQUEST, "request" },
		{ ENROLL_ERR_VERSION_FIELD, "request" },
		{ ENROLL_ERR_KEY_FIELD, "request" },
		{ "Invalid agent name: we\"ird", "name" },
		{ ENROLL_ERR_VERSION, "version" },
		{ "Invalid IP: 300.1.1.1", "ip" },
		{ "Invalid group: ../x", "group" },
		{ "Duplicate IP: 10.0.0.1", "duplicate_ip" },
		{ "Duplicate agent name: web01", "duplicate_name" },
		{ "Agent limit (5) reached", "agent_limit" },
		{ ENROLL_ERR_RATE_SOURCE, "rate_limited" },
		{ ENROLL_ERR_RATE_TOTAL, "rate_limited" },
		{ ENROLL_ERR_MASTER, "master_unreachable" },
		{ "Internal manager error adding agent: disk", "internal" },
		{ "Unable to add agent", "internal" },
		{ "ERROR: Duplicate agent name: web01. Unable to add agent", "duplicate_name" },
		{ "anything else", "other" },
		{ "", "other" },
		{ NULL, "other" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(enroll_error_class(cases[i].reason), cases[i].cls) != 0)
			fail_msg("'%s': %s, want %s", cases[i].reason ? cases[i].reason : "(null)",
			    enroll_error_class(cases[i].reason), cases[i].cls);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_minimal),
		cmocka_unit_test(test_request_full),
		cmocka_unit_test(test_request_src_and_subsets),
		cmocka_unit_test(test_request_order),
		cmocka_unit_test(test_request_incomplete),
		cmocka_unit_test(test_request_malformed),
		cmocka_unit_test(test_request_overlong_fields),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_ip_valid),
		cmocka_unit_test(test_ip_match),
		cmocka_unit_test(test_password_match),
		cmocka_unit_test(test_generate_key),
		cmocka_unit_test(test_key_hash),
		cmocka_unit_test(test_format_key),
		cmocka_unit_test(test_format_error),
		cmocka_unit_test(test_format_request_roundtrip),
		cmocka_unit_test(test_reply_key),
		cmocka_unit_test(test_reply_error),
		cmocka_unit_test(test_reply_incomplete),
		cmocka_unit_test(test_reply_invalid),
		cmocka_unit_test(test_error_class),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
