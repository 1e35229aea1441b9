/* test_ctl_conf.c — vigilctl's settings: config text, merge order, URLs, directories. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ctl/conf.h"

static void
test_parse(void **state)
{
	static const char text[] =
	    "# vigilctl\n"
	    "\n"
	    "url = https://10.0.0.1:55000\n"
	    "  user=admin  \n"
	    "password = p a=ss\n"
	    "ca = /etc/vigil/ca.pem\n"
	    "insecure = no\n"
	    "password-file = /x";
	struct ctl_conf c;
	char err[128];

	(void)state;
	conf_init(&c);
	assert_int_equal(conf_parse(text, &c, err, sizeof(err)), 0);
	assert_string_equal(c.url, "https://10.0.0.1:55000");
	assert_string_equal(c.user, "admin");
	assert_string_equal(c.password, "p a=ss");     /* only the first '=' splits */
	assert_string_equal(c.ca, "/etc/vigil/ca.pem");
	assert_string_equal(c.password_file, "/x");    /* last line without a newline */
	assert_int_equal(c.insecure, 0);
}

static void
test_parse_errors(void **state)
{
	struct ctl_conf c;
	char err[128];

	(void)state;
	conf_init(&c);
	assert_int_equal(conf_parse("url = https://x\nnonsense\n", &c, err, sizeof(err)), -1);
	assert_string_equal(err, "line 2: expected 'key = value'");
	assert_int_equal(conf_parse("colour = blue\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 1: unknown key 'colour'"));
	assert_int_equal(conf_parse("insecure = maybe\n", &c, err, sizeof(err)), -1);
	assert_int_equal(conf_parse("\n\nuser = x\nuser = \n# c\nca\n", &c, err, sizeof(err)), -1);
	assert_string_equal(err, "line 6: expected 'key = value'");
}

static void
test_merge(void **state)
{
	struct ctl_conf flags, env, file, out;
	const struct ctl_conf *layers[3] = { &flags, &env, &file };

	(void)state;
	conf_init(&flags);
	conf_init(&env);
	conf_init(&file);
	conf_merge(&out, layers, 3);
	assert_string_equal(out.url, CONF_DEFAULT_URL);
	assert_string_equal(out.user, CONF_DEFAULT_USER);
	assert_int_equal(out.insecure, 0);

	strcpy(file.url, "https://file");
	strcpy(file.user, "fileuser");
	strcpy(file.password, "filepw");
	strcpy(file.ca, "/file.ca");
	file.insecure = 1;
	strcpy(env.url, "https://env");
	strcpy(env.password_file, "/env.pw");
	env.insecure = 0;
	strcpy(flags.user, "flaguser");
	conf_merge(&out, layers, 3);
	assert_string_equal(out.url, "https://env");        /* env over file */
	assert_string_equal(out.user, "flaguser");          /* flags over all */
	assert_string_equal(out.ca, "/file.ca");            /* only the file sets it */
	/* a password file from a higher layer replaces a lower layer's password */
	assert_string_equal(out.password, "");
	assert_string_equal(out.password_file, "/env.pw");
	assert_int_equal(out.insecure, 0);
	/* --ca over the file's "insecure = yes"; --insecure over the file's CA */
	env.insecure = -1;
	strcpy(flags.ca, "/flag.ca");
	conf_merge(&out, layers, 3);
	assert_string_equal(out.ca, "/flag.ca");
	assert_int_equal(out.insecure, 0);
	flags.ca[0] = '\0';
	conf_merge(&out, layers, 3);
	assert_int_equal(out.insecure, 1);
	file.insecure = -1;
	flags.insecure = 1;
	conf_merge(&out, layers, 3);
	assert_string_equal(out.ca, "/file.ca");
	assert_int_equal(out.insecure, 1);
	strcpy(flags.ca, "/flag.ca");       /* both in one layer: insecure wins */
	conf_merge(&out, layers, 3);
	assert_int_equal(out.insecure, 1);
	strcpy(flags.password, "flagpw");
	conf_merge(&out, layers, 3);
	assert_string_equal(out.password, "flagpw");
	assert_string_equal(out.password_file, "");
}

static void
test_url(void **state)
{
	struct ctl_url u;
	char err[128];

	(void)state;
	assert_int_equal(conf_parse_url("https://127.0.0.1:55000", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 55000);
	assert_int_equal(u.host_is_ip, 1);
	assert_string_equal(u.prefix, "");
	assert_int_equal(conf_parse_url("HTTPS://manager.example.com", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "manager.example.com");
	assert_int_equal(u.port, 55000);
	assert_int_equal(u.host_is_ip, 0);
	assert_int_equal(conf_parse_url("https://[::1]:8443/api/", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 8443);
	assert_int_equal(u.host_is_ip, 1);
	assert_string_equal(u.prefix, "/api");
	assert_int_equal(conf_parse_url("https://h/", &u, err, sizeof(err)), 0);
	assert_string_equal(u.prefix, "");
}

static void
test_url_bad(void **state)
{
	static const char *const bad[] = {
		"http://127.0.0.1:55000", "127.0.0.1:55000", "https://", "https://:55000",
		"https://h:0", "https://h:65536", "https://h:x", "https://h:55000x", "https://[::1",
		"https://[nothex]:1", "https://::1:55000", "https://h/a b", "https://h?x=1",
		"https://us er@h", "https://h:-1",
	};
	struct ctl_url u;
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(conf_parse_url(bad[i], &u, err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
	}
}

static void
test_dir(void **state)
{
	char d[64];

	(void)state;
	assert_int_equal(conf_dir("/x/cfg", "/home/u", d, sizeof(d)), 0);
	assert_string_equal(d, "/x/cfg/vigil");
	assert_int_equal(conf_dir(NULL, "/home/u", d, sizeof(d)), 0);
	assert_string_equal(d, "/home/u/.config/vigil");
	/* a relative XDG_CONFIG_HOME is ignored, as the XDG spec says */
	assert_int_equal(conf_dir("rel", "/home/u", d, sizeof(d)), 0);
	assert_string_equal(d, "/home/u/.config/vigil");
	assert_int_equal(conf_dir("", "", d, sizeof(d)), -1);
	assert_int_equal(conf_dir(NULL, NULL, d, sizeof(d)), -1);
	assert_int_equal(conf_dir(NULL, "/a/very/long/home/directory/path/that/goes/on/and/on",
	    d, 32), -1);
}

static void
test_url_encode(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(conf_url_encode("status=active;name~web 1&x", out, sizeof(out)), 0);
	assert_string_equal(out, "status%3Dactive%3Bname~web%201%26x");
	assert_int_equal(conf_url_encode("001,002", out, sizeof(out)), 0);
	assert_string_equal(out, "001,002");
	assert_int_equal(conf_url_encode("\xc3\xa9", out, sizeof(out)), 0);
	assert_string_equal(out, "%C3%A9");
	assert_int_equal(conf_url_encode("abc", out, 3), -1);
	assert_int_equal(conf_url_encode(" ", out, 3), -1);
	assert_int_equal(conf_url_encode(" ", out, 4), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_url_bad),
		cmocka_unit_test(test_dir),
		cmocka_unit_test(test_url_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
