/* test_agent_client.c — pure logic of vigil-agent and vigil-sim. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/backoff.h"
#include "agent/keyfile.h"
#include "agent/mgrlist.h"
#include "agent/opts.h"
#include "lib/sysinfo.h"

#define KEY64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* ---- manager lists ---- */

static void
test_mgrlist_one(void **state)
{
	struct mgrlist_entry e;

	(void)state;
	assert_int_equal(mgrlist_parse_one("127.0.0.1:1514", 14, NULL, &e), 0);
	assert_string_equal(e.host, "127.0.0.1");
	assert_string_equal(e.port, "1514");
	assert_int_equal(mgrlist_parse_one(" mgr.example-1.org:01515 ", 25, NULL, &e), 0);
	assert_string_equal(e.host, "mgr.example-1.org");
	assert_string_equal(e.port, "1515");
	assert_int_equal(mgrlist_parse_one("[::1]:1514", 10, NULL, &e), 0);
	assert_string_equal(e.host, "::1");
	assert_string_equal(e.port, "1514");
	assert_int_equal(mgrlist_parse_one("[fe80::1%eth0]", 14, "99", &e), 0);
	assert_string_equal(e.host, "fe80::1%eth0");
	assert_string_equal(e.port, "99");
	assert_int_equal(mgrlist_parse_one("localhost", 9, "1514", &e), 0);
	assert_string_equal(e.port, "1514");
	/* length bounds the input: the ",x" is not looked at */
	assert_int_equal(mgrlist_parse_one("h:1,x", 3, NULL, &e), 0);
	assert_string_equal(e.host, "h");

	assert_int_equal(mgrlist_parse_one("localhost", 9, NULL, &e), -1);    /* no port */
	assert_int_equal(mgrlist_parse_one("h:0", 3, NULL, &e), -1);
	assert_int_equal(mgrlist_parse_one("h:65536", 7, NULL, &e), -1);
	assert_int_equal(mgrlist_parse_one("h:123456", 8, NULL, &e), -1);
	assert_int_equal(mgrlist_parse_one("h:", 2, NULL, &e), -1);
	assert_int_equal(mgrlist_parse_one(":1514", 5, NULL, &e), -1);
	assert_int_equal(mgrlist_parse_one("h:15x4", 6, NULL, &e), -1);
	assert_int_equal(mgrlist_parse_one("::1:1514", 8, NULL, &e), -1);     /* unbracketed v6 */
	assert_int_equal(mgrlist_parse_one("[::1", 4, "1", &e), -1);
	assert_int_equal(mgrlist_parse_one("[::1]1514", 9, NULL, &e), -1);
	assert_int_equal(mgrlist_parse_one("[]:1514", 7, NULL, &e), -1);
	assert_int_equal(mgrlist_parse_one("ho st:1", 7, NULL, &e), -1);
	assert_int_equal(mgrlist_parse_one("h/x:1", 5, NULL, &e), -1);
	assert_int_equal(mgrlist_parse_one("   ", 3, "1", &e), -1);
	assert_int_equal(mgrlist_parse_one("", 0, "1", &e), -1);
}

static void
test_mgrlist_list(void **state)
{
	struct mgrlist_entry v[MGRLIST_MAX];
	char buf[600], out[300];
	int i;

	(void)state;
	assert_int_equal(mgrlist_parse("a:1,b:2, [::1]:3", NULL, v, MGRLIST_MAX), 3);
	assert_string_equal(v[0].host, "a");
	assert_string_equal(v[1].port, "2");
	assert_string_equal(v[2].host, "::1");
	assert_int_equal(mgrlist_format(&v[2], out, sizeof(out)), 7);
	assert_string_equal(out, "[::1]:3");
	assert_int_equal(mgrlist_format(&v[0], out, sizeof(out)), 3);
	assert_string_equal(out, "a:1");
	assert_int_equal(mgrlist_format(&v[0], out, 3), -1);
	assert_int_equal(mgrlist_parse("a", "1514", v, MGRLIST_MAX), 1);

	assert_int_equal(mgrlist_parse("", "1", v, MGRLIST_MAX), -1);
	assert_int_equal(mgrlist_parse(NULL, "1", v, MGRLIST_MAX), -1);
	assert_int_equal(mgrlist_parse("a:1,", NULL, v, MGRLIST_MAX), -1);
	assert_int_equal(mgrlist_parse(",a:1", NULL, v, MGRLIST_MAX), -1);
	assert_int_equal(mgrlist_parse("a:1,,b:2", NULL, v, MGRLIST_MAX), -1);
	assert_int_equal(mgrlist_parse("a:1,b:x", NULL, v, MGRLIST_MAX), -1);
	assert_int_equal(mgrlist_parse("a:1,b:2,c:3", NULL, v, 2), -1);      /* too many */

	buf[0] = '\0';
	for (i = 0; i < MGRLIST_MAX; i++)
		strcat(buf, i == 0 ? "h:1" : ",h:1");
	assert_int_equal(mgrlist_parse(buf, NULL, v, MGRLIST_MAX), MGRLIST_MAX);
	strcat(buf, ",h:1");
	assert_int_equal(mgrlist_parse(buf, NULL, v, MGRLIST_MAX), -1);
}

static void
test_mgrlist_hostlen(void **state)
{
	struct mgrlist_entry e;
	char buf[MGRLIST_HOST_MAX + 10];

	(void)state;
	memset(buf, 'a', MGRLIST_HOST_MAX);
	memcpy(buf + MGRLIST_HOST_MAX, ":1", 3);
	assert_int_equal(mgrlist_parse_one(buf, strlen(buf), NULL, &e), 0);
	assert_int_equal(strlen(e.host), MGRLIST_HOST_MAX);
	memset(buf, 'a', MGRLIST_HOST_MAX + 1);
	memcpy(buf + MGRLIST_HOST_MAX + 1, ":1", 3);
	assert_int_equal(mgrlist_parse_one(buf, strlen(buf), NULL, &e), -1);
}

static void
test_mgrlist_resolve(void **state)
{
	struct mgrlist_entry e;
	struct sockaddr_storage ss;
	socklen_t sl;

	(void)state;
	assert_int_equal(mgrlist_parse_one("127.0.0.1:1514", 14, NULL, &e), 0);
	assert_int_equal(mgrlist_resolve(&e, &ss, &sl), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(mgrlist_parse_one("no.such.host.invalid:1", 22, NULL, &e), 0);
	assert_int_equal(mgrlist_resolve(&e, &ss, &sl), -1);
}

/* ---- back-off ---- */

static void
test_backoff_delay(void **state)
{
	unsigned int a, d;
	uint32_t r;

	(void)state;
	/* the bounds: [d/2, d] with d = min(cap, base * 2^attempt) */
	assert_int_equal(backoff_delay_ms(0, 1000, 30000, 0), 500);
	assert_int_equal(backoff_delay_ms(0, 1000, 30000, 500), 1000);
	assert_int_equal(backoff_delay_ms(0, 1000, 30000, 501), 500);      /* wraps modulo 501 */
	assert_int_equal(backoff_delay_ms(1, 1000, 30000, 0), 1000);
	assert_int_equal(backoff_delay_ms(1, 1000, 30000, 1000), 2000);
	assert_int_equal(backoff_delay_ms(4, 1000, 30000, 8000), 16000);
	assert_int_equal(backoff_delay_ms(5, 1000, 30000, 0), 15000);       /* capped to 30 s */
	assert_int_equal(backoff_delay_ms(5, 1000, 30000, 15000), 30000);
	/* huge attempts do not overflow */
	assert_int_equal(backoff_delay_ms(4000000000u, 1000, 30000, 15000), 30000);
	assert_int_equal(backoff_delay_ms(64, 0xffffffffu, 0xffffffffu, 0), 0x7fffffffu);
	/* base 0 still waits something */
	assert_true(backoff_delay_ms(0, 0, 30000, 7) <= 1);
	for (a = 0; a < 40; a++)
		for (r = 0; r < 100000; r += 997) {
			d = backoff_delay_ms(a, 1000, 30000, r * 2654435761u);
			assert_true(d <= 30000);
			assert_true(d >= (a >= 5 ? 15000u : (1000u << a) / 2));
		}
}

static void
test_backoff_jitter(void **state)
{
	uint32_t r;
	unsigned int v, lo = 100000, hi = 0;

	(void)state;
	assert_int_equal(backoff_jitter_ms(20000, 0, 12345), 20000);
	assert_int_equal(backoff_jitter_ms(20000, 10, 0), 18000);
	assert_int_equal(backoff_jitter_ms(20000, 10, 4000), 22000);
	assert_int_equal(backoff_jitter_ms(20000, 101, 5), 20000);   /* nonsense pct: unchanged */
	assert_int_equal(backoff_jitter_ms(0, 50, 5), 0);
	for (r = 0; r < 200000; r += 7) {
		v = backoff_jitter_ms(1000, 10, backoff_rand());
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	assert_true(lo >= 900 && lo < 910);
	assert_true(hi <= 1100 && hi > 1090);
	assert_int_not_equal(backoff_rand(), backoff_rand());
}

/* ---- client.keys ---- */

static void
test_keyfile_parse(void **state)
{
	struct keyfile_entry e;
	const char *l;

	(void)state;
	l = "001 agent-test any " KEY64 "\n";
	assert_int_equal(keyfile_parse_line(l, strlen(l), &e), 0);
	assert_string_equal(e.id, "001");
	assert_string_equal(e.name, "agent-test");
	assert_string_equal(e.ip, "any");
	assert_string_equal(e.key, KEY64);
	l = "12345678 h 10.0.0.0/8 k\r\n";
	assert_int_equal(keyfile_parse_line(l, strlen(l), &e), 0);
	assert_string_equal(e.ip, "10.0.0.0/8");
	assert_string_equal(e.key, "k");

	/* skipped lines */
	assert_int_equal(keyfile_parse_line("", 0, &e), 1);
	assert_int_equal(keyfile_parse_line("\n", 1, &e), 1);
	assert_int_equal(keyfile_parse_line("# comment", 9, &e), 1);
	assert_int_equal(keyfile_parse_line(" 001 a any k", 12, &e), 1);
	assert_int_equal(keyfile_parse_line("002 !removed any k", 18, &e), 1);
	assert_int_equal(keyfile_parse_line("002 #removed any k", 18, &e), 1);

	/* malformed */
	assert_int_equal(keyfile_parse_line("001 a any", 9, &e), -1);
	assert_int_equal(keyfile_parse_line("001 a any ", 10, &e), -1);        /* empty key */
	assert_int_equal(keyfile_parse_line("001  any k", 10, &e), -1);        /* empty name */
	assert_int_equal(keyfile_parse_line("01 a any k", 10, &e), -1);        /* id too short */
	assert_int_equal(keyfile_parse_line("123456789 a any k", 17, &e), -1); /* id too long */
	assert_int_equal(keyfile_parse_line("000 a any k", 11, &e), -1);       /* reserved */
	assert_int_equal(keyfile_parse_line("0a1 a any k", 11, &e), -1);
	assert_int_equal(keyfile_parse_line("001 a bad!ip k", 14, &e), -1);
	assert_int_equal(keyfile_parse_line("001 a any k k", 13, &e), -1);     /* blank in key */
	assert_int_equal(keyfile_parse_line("001 a any k\tx", 13, &e), -1);
	assert_int_equal(keyfile_parse_line("001 a any k\0x", 13, &e), -1);
	assert_int_equal(keyfile_parse_line("001 a\x01 any k", 13, &e), -1);
}

static void
test_keyfile_field_limits(void **state)
{
	struct keyfile_entry e;
	char line[1024];
	int n;

	(void)state;
	n = snprintf(line, sizeof(line), "001 %0*d any k", ENROLL_NAME_MAX, 0);
	assert_int_equal(keyfile_parse_line(line, (size_t)n, &e), 0);
	assert_int_equal(strlen(e.name), ENROLL_NAME_MAX);
	n = snprintf(line, sizeof(line), "001 %0*d any k", ENROLL_NAME_MAX + 1, 0);
	assert_int_equal(keyfile_parse_line(line, (size_t)n, &e), -1);
	n = snprintf(line, sizeof(line), "001 a any %0*d", KEYFILE_KEY_MAX, 0);
	assert_int_equal(keyfile_parse_line(line, (size_t)n, &e), 0);
	n = snprintf(line, sizeof(line), "001 a any %0*d", KEYFILE_KEY_MAX + 1, 0);
	assert_int_equal(keyfile_parse_line(line, (size_t)n, &e), -1);
	n = snprintf(line, sizeof(line), "001 a %0*d k", 64, 1);
	assert_int_equal(keyfile_parse_line(line, (size_t)n, &e), -1);
}

static void
test_keyfile_format_roundtrip(void **state)
{
	struct keyfile_entry e, f;
	char buf[512];
	ssize_t n;

	(void)state;
	memset(&e, 0, sizeof(e));
	memcpy(e.id, "042", 4);
	memcpy(e.name, "web-01", 7);
	memcpy(e.ip, "any", 4);
	memcpy(e.key, KEY64, sizeof(KEY64));
	n = keyfile_format_line(buf, sizeof(buf), &e);
	assert_int_equal(n, 4 + 7 + 4 + 64 + 1);
	assert_string_equal(buf, "042 web-01 any " KEY64 "\n");
	assert_int_equal(keyfile_parse_line(buf, (size_t)n, &f), 0);
	assert_memory_equal(&e, &f, sizeof(e));
	assert_int_equal(keyfile_format_line(buf, (size_t)n, &e), -1);   /* no room for NUL */
	assert_int_equal(keyfile_format_line(buf, (size_t)n + 1, &e), n);
}

static void
fill_reply(struct enroll_reply *r, const char *id, const char *name, const char *ip, const char *key)
{
	memset(r, 0, sizeof(*r));
	r->ok = 1;
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->ip, sizeof(r->ip), "%s", ip);
	snprintf(r->key, sizeof(r->key), "%s", key);
}

static void
test_keyfile_from_reply(void **state)
{
	struct enroll_reply r;
	struct keyfile_entry e;
	char err[256];

	(void)state;
	fill_reply(&r, "007", "bond", "any", KEY64);
	assert_int_equal(keyfile_from_reply(&r, "bond", &e, err, sizeof(err)), 0);
	assert_string_equal(e.id, "007");
	assert_string_equal(e.key, KEY64);
	assert_int_equal(keyfile_from_reply(&r, NULL, &e, err, sizeof(err)), 0);
	assert_int_equal(keyfile_from_reply(&r, "james", &e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bond"));

	r.ok = 0;
	snprintf(r.error, sizeof(r.error), "Duplicate agent name: bond. Unable to add agent");
	assert_int_equal(keyfile_from_reply(&r, "bond", &e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Duplicate agent name"));

	fill_reply(&r, "000", "bond", "any", KEY64);
	assert_int_equal(keyfile_from_reply(&r, "bond", &e, err, sizeof(err)), -1);
	fill_reply(&r, "7", "bond", "any", KEY64);
	assert_int_equal(keyfile_from_reply(&r, "bond", &e, err, sizeof(err)), -1);
	fill_reply(&r, "007", "bond", "any", "");
	assert_int_equal(keyfile_from_reply(&r, "bond", &e, err, sizeof(err)), -1);
	fill_reply(&r, "007", "bond", "any", "has space");
	assert_int_equal(keyfile_from_reply(&r, "bond", &e, err, sizeof(err)), -1);
	fill_reply(&r, "007", "bond", "", KEY64);
	assert_int_equal(keyfile_from_reply(&r, "bond", &e, err, sizeof(err)), -1);
	fill_reply(&r, "007", "!bond", "any", KEY64);
	assert_int_equal(keyfile_from_reply(&r, "!bond", &e, err, sizeof(err)), -1);
	fill_reply(&r, "123456789", "bond", "any", KEY64);   /* longer than an id may be */
	assert_int_equal(keyfile_from_reply(&r, "bond", &e, err, sizeof(err)), -1);
}

static void
test_keyfile_single_host(void **state)
{
	(void)state;
	assert_int_equal(keyfile_ip_single_host("10.1.2.3"), 1);
	assert_int_equal(keyfile_ip_single_host("10.1.2.3/32"), 1);
	assert_int_equal(keyfile_ip_single_host("10.1.2.3/255.255.255.255"), 1);
	assert_int_equal(keyfile_ip_single_host("any"), 0);
	assert_int_equal(keyfile_ip_single_host("10.0.0.0/8"), 0);
	assert_int_equal(keyfile_ip_single_host("0.0.0.0/0"), 0);
	assert_int_equal(keyfile_ip_single_host("::1"), 0);
	assert_int_equal(keyfile_ip_single_host("256.1.1.1"), 0);
	assert_int_equal(keyfile_ip_single_host("1.2.3"), 0);
	assert_int_equal(keyfile_ip_single_host("1.2.3.4x"), 0);
	assert_int_equal(keyfile_ip_single_host(""), 0);
}

static void
test_keyfile_counter_parse(void **state)
{
	unsigned int g = 7, l = 7;

	(void)state;
	assert_int_equal(keyfile_counter_parse("0:0:", 4, &g, &l), 0);
	assert_int_equal(g, 0);
	assert_int_equal(l, 0);
	assert_int_equal(keyfile_counter_parse("12:9997:\n", 9, &g, &l), 0);
	assert_int_equal(g, 12);
	assert_int_equal(l, 9997);
	assert_int_equal(keyfile_counter_parse("4294967295:1:", 13, &g, &l), 0);
	assert_int_equal(g, 4294967295u);
	assert_int_equal(keyfile_counter_parse("4294967296:1:", 13, &g, &l), -1);
	assert_int_equal(keyfile_counter_parse("99999999999999999999:1:", 23, &g, &l), -1);
	assert_int_equal(keyfile_counter_parse("1:2", 3, &g, &l), -1);
	assert_int_equal(keyfile_counter_parse("1::", 3, &g, &l), -1);
	assert_int_equal(keyfile_counter_parse(":1:", 3, &g, &l), -1);
	assert_int_equal(keyfile_counter_parse("1:2:x", 5, &g, &l), -1);
	assert_int_equal(keyfile_counter_parse("-1:2:", 5, &g, &l), -1);
	assert_int_equal(keyfile_counter_parse("", 0, &g, &l), -1);
	/* the length bounds the parse */
	assert_int_equal(keyfile_counter_parse("1:2:", 2, &g, &l), -1);
}

/* A fresh private directory for file tests. */
static char tmpdir[64];

static int
files_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_agent_client.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
files_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_keyfile_files(void **state)
{
	struct keyfile_entry e, *all;
	char path[256], cpath[256];
	struct stat st;
	unsigned int g, l;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/client.keys", tmpdir);
	snprintf(cpath, sizeof(cpath), "%s/sender_counter", tmpdir);
	assert_int_equal(keyfile_load(path, &e), 1);          /* no file */
	assert_int_equal(keyfile_load_all(path, &all, &n), 0);
	assert_int_equal(n, 0);
	assert_null(all);

	write_file(path, "# header\n002 !gone any k\nbroken line\n005 five any " KEY64 "\n006 six any k6");
	assert_int_equal(keyfile_load(path, &e), 0);
	assert_string_equal(e.id, "005");
	assert_int_equal(keyfile_load_all(path, &all, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(all[1].name, "six");
	assert_string_equal(all[1].key, "k6");
	free(all);

	memcpy(e.name, "saved", 6);
	assert_int_equal(keyfile_save(path, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(keyfile_load_all(path, &all, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(all[0].name, "saved");
	free(all);
	memcpy(e.id, "077", 4);
	assert_int_equal(keyfile_append(path, &e), 0);
	assert_int_equal(keyfile_load_all(path, &all, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(all[1].id, "077");
	free(all);

	write_file(path, "# nothing valid\n");
	assert_int_equal(keyfile_load(path, &e), 1);

	assert_int_equal(keyfile_counter_load(cpath, &g, &l), 1);
	assert_int_equal(keyfile_counter_save(cpath, 3, 9997), 0);
	assert_int_equal(keyfile_counter_load(cpath, &g, &l), 0);
	assert_int_equal(g, 3);
	assert_int_equal(l, 9997);
	assert_int_equal(stat(cpath, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 7);             /* "3:9997:" exactly, as Wazuh writes it */
	write_file(cpath, "garbage");
	assert_int_equal(keyfile_counter_load(cpath, &g, &l), -1);

	/* a directory that does not exist */
	assert_int_equal(keyfile_counter_save("/nonexistent-dir/x", 1, 1), -1);
	assert_int_equal(keyfile_load("/", &e), -1);  /* reading a directory fails */
}

/* ---- options ---- */

static int
argv_count(char **v)
{
	int n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

static int
parse_agent(struct agent_opts *o, char **v)
{
	char err[256];

	return opts_parse_agent(argv_count(v), v, o, err, sizeof(err));
}

static int
parse_sim(struct sim_opts *o, char **v)
{
	char err[256];

	return opts_parse_sim(argv_count(v), v, o, err, sizeof(err));
}

static void
test_opts_version(void **state)
{
	char v[16];

	(void)state;
	assert_int_equal(opts_version_parse("4.12.0", v, sizeof(v)), 0);
	assert_string_equal(v, "4.12.0");
	assert_int_equal(opts_version_parse("v4.2.10", v, sizeof(v)), 0);
	assert_string_equal(v, "4.2.10");
	assert_int_equal(opts_version_parse("4.12", v, sizeof(v)), -1);
	assert_int_equal(opts_version_parse("4.12.0.1", v, sizeof(v)), -1);
	assert_int_equal(opts_version_parse("4..0", v, sizeof(v)), -1);
	assert_int_equal(opts_version_parse("Wazuh v4.1.0", v, sizeof(v)), -1);
	assert_int_equal(opts_version_parse("4.1234.0", v, sizeof(v)), -1);
	assert_int_equal(opts_version_parse("vv4.1.0", v, sizeof(v)), -1);
	assert_int_equal(opts_version_parse("", v, sizeof(v)), -1);
	assert_int_equal(opts_version_parse("4.12.0", v, 6), -1);   /* no room */
}

static void
test_opts_agent(void **state)
{
	struct agent_opts o;
	char *a1[] = { "vigil-agent", "--manager", "m1:1514,m2:2514", NULL };
	char *a2[] = { "vigil-agent", "--manager", "m1", "--enroll", "e:9", "--name", "n1",
	    "--data-dir", "/tmp/d", "--keepalive", "5", "--version", "v4.14.7", "--foreground",
	    "-v", "-v", "--password-file", "/tmp/p", NULL };
	char *bad1[] = { "vigil-agent", NULL };
	char *bad2[] = { "vigil-agent", "--manager", "m1:x", NULL };
	char *bad3[] = { "vigil-agent", "--manager", "m1", "--keepalive", "0", NULL };
	char *bad4[] = { "vigil-agent", "--manager", "m1", "--keepalive", "5s", NULL };
	char *bad5[] = { "vigil-agent", "--manager", "m1", "--version", "4.x.0", NULL };
	char *bad6[] = { "vigil-agent", "--manager", "m1", "--bogus", NULL };
	char *bad7[] = { "vigil-agent", "--manager", "m1", "extra", NULL };
	char *bad8[] = { "vigil-agent", "--manager", NULL };
	char *bad9[] = { "vigil-agent", "--manager", "m1", "--enroll", "e:0", NULL };
	char *bad10[] = { "vigil-agent", "--manager", "m1", "--name", "", NULL };
	char *help[] = { "vigil-agent", "--help", NULL };

	(void)state;
	assert_int_equal(parse_agent(&o, a1), 0);
	assert_int_equal(o.nmanagers, 2);
	assert_string_equal(o.managers[1].host, "m2");
	assert_string_equal(o.managers[1].port, "2514");
	assert_string_equal(o.enroll.host, "m1");          /* default: first manager, 1515 */
	assert_string_equal(o.enroll.port, "1515");
	assert_int_equal(o.keepalive, 20);
	assert_string_equal(o.version, "4.12.0");
	assert_string_equal(o.name, "");
	assert_int_equal(o.foreground, 0);
	assert_int_equal(o.verbose, 0);
	assert_string_equal(o.password_file, "");

	assert_int_equal(parse_agent(&o, a2), 0);
	assert_int_equal(o.nmanagers, 1);
	assert_string_equal(o.managers[0].port, "1514");
	assert_string_equal(o.enroll.host, "e");
	assert_string_equal(o.enroll.port, "9");
	assert_string_equal(o.name, "n1");
	assert_string_equal(o.data_dir, "/tmp/d");
	assert_int_equal(o.keepalive, 5);
	assert_string_equal(o.version, "4.14.7");
	assert_int_equal(o.foreground, 1);
	assert_int_equal(o.verbose, 2);
	assert_string_equal(o.password_file, "/tmp/p");

	assert_int_equal(parse_agent(&o, bad1), -1);
	assert_int_equal(parse_agent(&o, bad2), -1);
	assert_int_equal(parse_agent(&o, bad3), -1);
	assert_int_equal(parse_agent(&o, bad4), -1);
	assert_int_equal(parse_agent(&o, bad5), -1);
	assert_int_equal(parse_agent(&o, bad6), -1);
	assert_int_equal(parse_agent(&o, bad7), -1);
	assert_int_equal(parse_agent(&o, bad8), -1);
	assert_int_equal(parse_agent(&o, bad9), -1);
	assert_int_equal(parse_agent(&o, bad10), -1);
	assert_int_equal(parse_agent(&o, help), 1);
	/* parsing again after errors still works (optind reset) */
	assert_int_equal(parse_agent(&o, a1), 0);
	assert_int_equal(o.nmanagers, 2);
}

/* --ca FILE and --no-host-check, the same for the agent and the simulator. */
static void
test_opts_ca(void **state)
{
	static const struct {
		const char *args[4];     /* after --manager m1 (and --agents 2 for the sim) */
		int rc;
		const char *ca;
		int host_check;
	} rows[] = {
		{ { NULL }, 0, "", 1 },
		{ { "--ca", "/etc/vigil/ca.pem", NULL }, 0, "/etc/vigil/ca.pem", 1 },
		{ { "--ca", "ca.pem", "--no-host-check", NULL }, 0, "ca.pem", 0 },
		{ { "--no-host-check", "--ca", "ca.pem", NULL }, 0, "ca.pem", 0 },
		{ { "--no-host-check", NULL }, -1, NULL, 0 },     /* nothing to check without a CA */
		{ { "--ca", "", NULL }, -1, NULL, 0 },
		{ { "--ca", NULL }, -1, NULL, 0 },
		{ { "--no-host-check=yes", "--ca", "ca.pem", NULL }, -1, NULL, 0 },
	};
	struct agent_opts ao;
	struct sim_opts so;
	char *av[12];
	size_t i, k;
	int n, rc;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = 0;
		av[n++] = "vigil-agent";
		av[n++] = "--manager";
		av[n++] = "m1";
		for (k = 0; rows[i].args[k] != NULL; k++)
			av[n++] = (char *)(uintptr_t)rows[i].args[k];
		av[n] = NULL;
		rc = parse_agent(&ao, av);
		if (rc != rows[i].rc)
			fail_msg("agent row %zu: %d, not %d", i, rc, rows[i].rc);
		if (rc == 0) {
			assert_string_equal(ao.ca, rows[i].ca);
			assert_int_equal(ao.host_check, rows[i].host_check);
		}
		av[0] = "vigil-sim";
		av[n++] = "--agents";
		av[n++] = "2";
		av[n] = NULL;
		rc = parse_sim(&so, av);
		if (rc != rows[i].rc)
			fail_msg("sim row %zu: %d, not %d", i, rc, rows[i].rc);
		if (rc == 0) {
			assert_string_equal(so.ca, rows[i].ca);
			assert_int_equal(so.host_check, rows[i].host_check);
		}
	}
}

static void
test_opts_sim(void **state)
{
	struct sim_opts o;
	char *a1[] = { "vigil-sim", "--manager", "127.0.0.1:1514", "--enroll", "127.0.0.1:1515",
	    "--agents", "100", NULL };
	char *a2[] = { "vigil-sim", "--manager", "a:1,b:2", "--agents", "3000", "--version", "4.1.0",
	    "--keepalive", "2", "--duration", "30", "--data-dir", "/tmp/s", "--password-file", "/p",
	    "--name-prefix", "load-", "--restart-delay", "0", "--summary", "/tmp/s.json",
	    "--enroll-concurrency", "5", "--first-keepalive", "0", NULL };
	char *bad1[] = { "vigil-sim", "--manager", "a:1", NULL };
	char *bad2[] = { "vigil-sim", "--agents", "3", NULL };
	char *bad3[] = { "vigil-sim", "--manager", "a:1", "--agents", "0", NULL };
	char *bad4[] = { "vigil-sim", "--manager", "a:1", "--agents", "3", "--name-prefix", "a b", NULL };
	char *bad5[] = { "vigil-sim", "--manager", "a:1", "--agents", "3", "--enroll-concurrency", "0", NULL };
	char *bad6[] = { "vigil-sim", "--manager", "a:1", "--agents", "999999999", NULL };
	char *bad7[] = { "vigil-sim", "--manager", "a:1", "--agents", "3", "--restart-delay", "-1", NULL };
	char *bad8[] = { "vigil-sim", "--manager", "a:1", "--agents", "3", "--first-keepalive", "x", NULL };
	char *fk[] = { "vigil-sim", "--manager", "a:1", "--agents", "3", "--first-keepalive", "3600", NULL };

	(void)state;
	assert_int_equal(parse_sim(&o, a1), 0);
	assert_int_equal(o.agents, 100);
	assert_int_equal(o.nmanagers, 1);
	assert_string_equal(o.enroll.port, "1515");
	assert_int_equal(o.restart_delay_ms, 500);
	assert_int_equal(o.enroll_concurrency, 50);
	assert_int_equal(o.keepalive, 20);
	assert_int_equal(o.duration, 0);
	assert_string_equal(o.name_prefix, "sim-");
	assert_string_equal(o.summary, "");
	assert_string_equal(o.version, "4.12.0");
	assert_int_equal(o.first_keepalive, -1);

	assert_int_equal(parse_sim(&o, a2), 0);
	assert_int_equal(o.first_keepalive, 0);
	assert_int_equal(o.agents, 3000);
	assert_int_equal(o.nmanagers, 2);
	assert_string_equal(o.enroll.host, "a");
	assert_string_equal(o.version, "4.1.0");
	assert_int_equal(o.keepalive, 2);
	assert_int_equal(o.duration, 30);
	assert_string_equal(o.data_dir, "/tmp/s");
	assert_string_equal(o.name_prefix, "load-");
	assert_int_equal(o.restart_delay_ms, 0);
	assert_string_equal(o.summary, "/tmp/s.json");
	assert_int_equal(o.enroll_concurrency, 5);

	assert_int_equal(parse_sim(&o, bad1), -1);
	assert_int_equal(parse_sim(&o, bad2), -1);
	assert_int_equal(parse_sim(&o, bad3), -1);
	assert_int_equal(parse_sim(&o, bad4), -1);
	assert_int_equal(parse_sim(&o, bad5), -1);
	assert_int_equal(parse_sim(&o, bad6), -1);
	assert_int_equal(parse_sim(&o, bad7), -1);
	assert_int_equal(parse_sim(&o, bad8), -1);
	assert_int_equal(parse_sim(&o, fk), 0);
	assert_int_equal(o.first_keepalive, 3600);
	assert_int_equal(o.zlib_stored, 1);   /* the default */
	/* without --version-mix, every agent has --version */
	assert_int_equal(o.nmix, 1);
	assert_string_equal(o.mix[0].version, "4.12.0");
	assert_true(o.migrate_rate == 0.0 && o.flap_rate == 0.0);
}

static void
test_opts_sim_scenarios(void **state)
{
	struct sim_opts o;
	char *ok[] = { "vigil-sim", "--manager", "a:1,b:2", "--agents", "10", "--version-mix",
	    "4.1.5:10,v4.12.0:90", "--migrate-rate", "10", "--flap-rate", "0.5",
	    "--reconnect-jitter", "2000", "--agent-file", "/tmp/a.tsv", "--summary-brief",
	    "--control", "--zlib", "best", NULL };
	char *bad[][9] = {
		{ "vigil-sim", "--manager", "a:1", "--agents", "3", "--version-mix", "4.1.5", NULL },
		{ "vigil-sim", "--manager", "a:1", "--agents", "3", "--version-mix", "4.1.5:0", NULL },
		{ "vigil-sim", "--manager", "a:1", "--agents", "3", "--version-mix", "4.1:5", NULL },
		{ "vigil-sim", "--manager", "a:1", "--agents", "3", "--version-mix", "4.1.5:1,", NULL },
		{ "vigil-sim", "--manager", "a:1", "--agents", "3", "--version-mix",
		    "1.0.0:1,1.0.1:1,1.0.2:1,1.0.3:1,1.0.4:1,1.0.5:1,1.0.6:1,1.0.7:1,1.0.8:1", NULL },
		{ "vigil-sim", "--manager", "a:1", "--agents", "3", "--migrate-rate", "101", NULL },
		{ "vigil-sim", "--manager", "a:1", "--agents", "3", "--migrate-rate", "-1", NULL },
		{ "vigil-sim", "--manager", "a:1", "--agents", "3", "--flap-rate", "1x", NULL },
		{ "vigil-sim", "--manager", "a:1", "--agents", "3", "--flap-rate", "nan", NULL },
		{ "vigil-sim", "--manager", "a:1", "--agents", "3", "--reconnect-jitter", "x", NULL },
		{ "vigil-sim", "--manager", "a:1", "--agents", "3", "--zlib", "9", NULL },
	};
	size_t i;

	(void)state;
	assert_int_equal(parse_sim(&o, ok), 0);
	assert_int_equal(o.nmix, 2);
	assert_string_equal(o.mix[0].version, "4.1.5");
	assert_int_equal(o.mix[0].weight, 10);
	assert_string_equal(o.mix[1].version, "4.12.0");
	assert_int_equal(o.mix[1].weight, 90);
	assert_true(o.migrate_rate == 10.0);
	assert_true(o.flap_rate == 0.5);
	assert_int_equal(o.reconnect_jitter_ms, 2000);
	assert_string_equal(o.agent_file, "/tmp/a.tsv");
	assert_int_equal(o.summary_brief, 1);
	assert_int_equal(o.control, 1);
	assert_int_equal(o.zlib_stored, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_sim(&o, bad[i]), -1);
}

static void
test_opts_sim_counter(void **state)
{
	struct sim_opts o;
	char *v[] = { "vigil-sim", "--manager", "a:1", "--agents", "3", "--counter", NULL, NULL };
	static const struct {
		const char *arg;
		int mode;
		unsigned int g, l;
	} ok[] = {
		{ "normal", OPTS_COUNTER_NORMAL, 0, 0 },
		{ "reset", OPTS_COUNTER_RESET, 0, 0 },
		/* Wazuh's simulator sends "1234567891:0227": the leading zero is decimal */
		{ "fixed:1234567891:0227", OPTS_COUNTER_FIXED, 1234567891, 227 },
		{ "fixed:1234567891:227", OPTS_COUNTER_FIXED, 1234567891, 227 },
		{ "fixed:0:0", OPTS_COUNTER_FIXED, 0, 0 },
		{ "fixed:4294967295:9999", OPTS_COUNTER_FIXED, 4294967295U, 9999 },
	};
	static const char *bad[] = {
		"", "Normal", "resets", "fixed", "fixed:", "fixed:1", "fixed:1:", "fixed::1",
		"fixed:1:2:3", "fixed:x:1", "fixed:1:x", "fixed:1x:2", "fixed:1:2x", "fixed:-1:2",
		"fixed:1:-2", "fixed:+1:2", "fixed: 1:2", "fixed:1: 2",
		"fixed:4294967296:0",            /* > UINT32_MAX */
		"fixed:99999999999999999999:0",  /* > ULONG_MAX */
		"fixed:0:4294967296",
		"fixed:0:10000",                 /* the header has 4 digits for the local counter */
		"fixed:1:2,3",
	};
	char *none[] = { "vigil-sim", "--manager", "a:1", "--agents", "3", NULL };
	char *missing[] = { "vigil-sim", "--manager", "a:1", "--agents", "3", "--counter", NULL };
	size_t i;

	(void)state;
	assert_int_equal(parse_sim(&o, none), 0);
	assert_int_equal(o.counter, OPTS_COUNTER_NORMAL);   /* the default */
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v[6] = (char *)(uintptr_t)ok[i].arg;
		assert_int_equal(parse_sim(&o, v), 0);
		assert_int_equal(o.counter, ok[i].mode);
		if (ok[i].mode == OPTS_COUNTER_FIXED) {
			assert_int_equal(o.counter_global, ok[i].g);
			assert_int_equal(o.counter_local, ok[i].l);
		}
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v[6] = (char *)(uintptr_t)bad[i];
		if (parse_sim(&o, v) != -1)
			fail_msg("--counter '%s' was accepted", bad[i]);
	}
	assert_int_equal(parse_sim(&o, missing), -1);
}

/* ---- system info ---- */

static void
test_os_release(void **state)
{
	const char *deb = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
	    "VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";
	const char *noversion = "NAME='Arch Linux'\r\nID=arch\nVERSION_ID=rolling\n";
	char name[96], plat[48], ver[96], tiny[4];

	(void)state;
	sysinfo_parse_os_release(deb, strlen(deb), name, sizeof(name), plat, sizeof(plat), ver, sizeof(ver));
	assert_string_equal(name, "Debian GNU/Linux");
	assert_string_equal(plat, "debian");
	assert_string_equal(ver, "12 (bookworm)");
	sysinfo_parse_os_release(noversion, strlen(noversion), name, sizeof(name), plat, sizeof(plat),
	    ver, sizeof(ver));
	assert_string_equal(name, "Arch Linux");
	assert_string_equal(plat, "arch");
	assert_string_equal(ver, "rolling");
	sysinfo_parse_os_release("", 0, name, sizeof(name), plat, sizeof(plat), ver, sizeof(ver));
	assert_string_equal(name, "");
	assert_string_equal(ver, "");
	/* truncation, a lone quote, no '=' and a length that cuts a line */
	sysinfo_parse_os_release("NAME=\"Long\"\nID=\"\nnoeq\nVERSION=12345", 33, tiny, sizeof(tiny),
	    plat, sizeof(plat), ver, sizeof(ver));
	assert_string_equal(tiny, "Lon");
	assert_string_equal(plat, "\"");
	assert_string_equal(ver, "123");
}

static void
test_sysinfo_fill(void **state)
{
	struct agent_info ai;

	(void)state;
	sysinfo_fill(&ai, "node-x", "4.12.0");
	assert_string_equal(ai.version, "Wazuh v4.12.0");
	assert_string_equal(ai.merged_sum, "x");
	assert_non_null(strstr(ai.os_uname, " |node-x |"));
	assert_true(strncmp(ai.os_uname, "Linux |", 7) == 0);
	sysinfo_config_sum(&ai, "");
	assert_string_equal(ai.config_sum, "d41d8cd98f00b204e9800998ecf8427e");
}

/* sysinfo_describe: a host's OS as Wazuh keeps its manager's (agent 000), from its uname line. */
static void
test_sysinfo_describe(void **state)
{
	static const struct {
		const char *name, *platform, *version;
		const char *major, *minor, *codename, *out_version;
	} cases[] = {
		{ "Ubuntu", "ubuntu", "22.04.2 LTS (Jammy Jellyfish)", "22", "04", "Jammy Jellyfish",
		  "22.04.2 LTS" },
		{ "Debian GNU/Linux", "debian", "12 (bookworm)", "12", "", "bookworm", "12" },
		{ "CentOS Stream", "centos", "9", "9", "", "", "9" },
		{ "Arch Linux", "arch", "", "", "", "", "" },
	};
	struct agent_info raw, out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&raw, 0, sizeof(raw));
		snprintf(raw.os_uname, sizeof(raw.os_uname),
		    "Linux |mgr |6.1.0-18-amd64 |#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 |x86_64");
		snprintf(raw.os_name, sizeof(raw.os_name), "%s", cases[i].name);
		snprintf(raw.os_platform, sizeof(raw.os_platform), "%s", cases[i].platform);
		snprintf(raw.os_version, sizeof(raw.os_version), "%s", cases[i].version);
		snprintf(raw.version, sizeof(raw.version), "Wazuh v4.12.0");
		snprintf(raw.merged_sum, sizeof(raw.merged_sum), "x");
		assert_int_equal(sysinfo_describe(&raw, &out), 0);
		assert_string_equal(out.os_uname, raw.os_uname);
		assert_string_equal(out.os_arch, "x86_64");
		assert_string_equal(out.os_name, cases[i].name);
		assert_string_equal(out.os_platform, cases[i].platform);
		assert_string_equal(out.os_version, cases[i].out_version);
		assert_string_equal(out.os_major, cases[i].major);
		assert_string_equal(out.os_minor, cases[i].minor);
		assert_string_equal(out.os_codename, cases[i].codename);
		/* a host description carries no agent state */
		assert_string_equal(out.version, "");
		assert_string_equal(out.merged_sum, "");
	}
	/* this host: the line sysinfo_fill gives always describes */
	sysinfo_fill(&raw, NULL, "4.12.0");
	assert_int_equal(sysinfo_describe(&raw, &out), 0);
	assert_string_equal(out.os_uname, raw.os_uname);
	/* no version: not a uname line Wazuh would parse */
	raw.version[0] = '\0';
	assert_int_equal(sysinfo_describe(&raw, &out), -1);
	assert_string_equal(out.os_uname, "");
}

/* The usage texts are written with fputs, not printf: a "%%" would show as is. */
static void
test_usage_is_printed_verbatim(void **state)
{
	(void)state;
	assert_null(strstr(opts_sim_usage, "%%"));
	assert_null(strstr(opts_agent_usage, "%%"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mgrlist_one),
		cmocka_unit_test(test_mgrlist_list),
		cmocka_unit_test(test_mgrlist_hostlen),
		cmocka_unit_test(test_mgrlist_resolve),
		cmocka_unit_test(test_backoff_delay),
		cmocka_unit_test(test_backoff_jitter),
		cmocka_unit_test(test_keyfile_parse),
		cmocka_unit_test(test_keyfile_field_limits),
		cmocka_unit_test(test_keyfile_format_roundtrip),
		cmocka_unit_test(test_keyfile_from_reply),
		cmocka_unit_test(test_keyfile_single_host),
		cmocka_unit_test(test_keyfile_counter_parse),
		cmocka_unit_test_setup_teardown(test_keyfile_files, files_setup, files_teardown),
		cmocka_unit_test(test_opts_version),
		cmocka_unit_test(test_opts_agent),
		cmocka_unit_test(test_opts_sim),
		cmocka_unit_test(test_opts_ca),
		cmocka_unit_test(test_opts_sim_scenarios),
		cmocka_unit_test(test_opts_sim_counter),
		cmocka_unit_test(test_usage_is_printed_verbatim),
		cmocka_unit_test(test_os_release),
		cmocka_unit_test(test_sysinfo_fill),
		cmocka_unit_test(test_sysinfo_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
