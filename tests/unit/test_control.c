/* test_control.c — control messages: classify, startup, keepalive, versions, restart. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto/control.h"

#define S(x) (x), strlen(x)

#define UBUNTU_UNAME                                                                     \
	"Linux |ubuntu2204 |5.15.0-58-generic |#64-Ubuntu SMP Thu Jan 5 11:43:13 UTC 2023 " \
	"|x86_64"
#define UBUNTU_KA                                                                        \
	"#!-" UBUNTU_UNAME " [Ubuntu|ubuntu: 22.04.3 LTS (Jammy Jellyfish)] - Wazuh v4.14.7" \
	" / ab73af41699f13fdd81903b5f23d8d00\n"                                            \
	"\"env\":prod\n"                                                                   \
	"!\"secret\":hidden\n"                                                             \
	"#\"_manager_hostname\":m1\n"                                                      \
	"fd756ba04d9c32c8848d4608bec41251 merged.mg\n"                                      \
	"#\"_agent_ip\":192.168.0.133\n"

#define RESTART_JSON                                                                     \
	"#!-execd {\"version\": 1, \"origin\": {\"module\": \"framework\"}, \"command\": "  \
	"\"restart-wazuh0\", \"parameters\": {\"extra_args\": [], \"alert\": {}}} - null " \
	"(from_the_server) (no_rule_id)"
#define RESTART_LEGACY "#!-execd restart-ossec0 - null (from_the_server) (no_rule_id)"

static void
test_classify(void **state)
{
	(void)state;
	assert_int_equal(control_classify(S("#!-agent startup {\"version\":\"v4.14.7\"}")),
	    CONTROL_STARTUP);
	assert_int_equal(control_classify(S("#!-agent startup ")), CONTROL_STARTUP);
	assert_int_equal(control_classify(S("#!-agent shutdown ")), CONTROL_SHUTDOWN);
	assert_int_equal(control_classify(S(CONTROL_ACK)), CONTROL_ACK_TYPE);
	assert_int_equal(control_classify(S("#!-err {\"message\":\"x\"}")), CONTROL_ERR);
	assert_int_equal(control_classify(S(RESTART_JSON)), CONTROL_EXECD);
	assert_int_equal(control_classify(S("#!-req 12 syscheck restart")), CONTROL_REQUEST);
	assert_int_equal(control_classify(S("#!-up file abc merged.mg\n")), CONTROL_FILE);
	assert_int_equal(control_classify(S("#!-close file ")), CONTROL_FILE);
	assert_int_equal(control_classify(S("#!-force_reconnect")), CONTROL_FORCE_RECONNECT);
	assert_int_equal(control_classify(S(UBUNTU_KA)), CONTROL_KEEPALIVE);
	/* The trailing spaces of the headers matter, as in remoted. */
	assert_int_equal(control_classify(S("#!-agent startup")), CONTROL_KEEPALIVE);
	assert_int_equal(control_classify(S("#!-agent ack")), CONTROL_KEEPALIVE);
	assert_int_equal(control_classify(S("#!-")), CONTROL_KEEPALIVE);
	assert_int_equal(control_classify(S("1:/var/log/syslog:hello")), CONTROL_EVENT);
	assert_int_equal(control_classify(S("#!")), CONTROL_EVENT);
	assert_int_equal(control_classify("", 0), CONTROL_EVENT);
	/* Only len bytes are looked at. */
	assert_int_equal(control_classify("#!-agent ack ", 5), CONTROL_KEEPALIVE);
}

static void
test_startup(void **state)
{
	char v[32];

	(void)state;
	assert_int_equal(control_parse_startup(S("#!-agent startup {\"version\":\"v4.14.7\"}"), v,
	    sizeof(v)), 0);
	assert_string_equal(v, "v4.14.7");
	/* Other keys, spaces, and text after the object (cJSON ignores it). */
	assert_int_equal(control_parse_startup(S("#!-agent startup  { \"name\": \"a\", \"version\""
	    ": \"v4.2.0\" } trailing"), v, sizeof(v)), 0);
	assert_string_equal(v, "v4.2.0");
	/* No JSON at all: accepted, version unknown. */
	memset(v, 'x', sizeof(v));
	assert_int_equal(control_parse_startup(S("#!-agent startup "), v, sizeof(v)), 1);
	assert_string_equal(v, "");
	assert_int_equal(control_parse_startup(S("#!-agent startup  \r\n"), v, sizeof(v)), 1);
	/* JSON without a usable version: "Couldn't retrieve version". */
	assert_int_equal(control_parse_startup(S("#!-agent startup {}"), v, sizeof(v)), -1);
	assert_int_equal(control_parse_startup(S("#!-agent startup {\"version\":4}"), v,
	    sizeof(v)), -1);
	assert_int_equal(control_parse_startup(S("#!-agent startup {\"version\":\"\"}"), v,
	    sizeof(v)), -1);
	assert_int_equal(control_parse_startup(S("#!-agent startup {\"version\":\"v4 1\"}"), v,
	    sizeof(v)), -1);
	assert_int_equal(control_parse_startup(S("#!-agent startup {\"version\":\"v4\\n\"}"), v,
	    sizeof(v)), -1);
	assert_int_equal(control_parse_startup(S("#!-agent startup [\"v4.14.7\"]"), v,
	    sizeof(v)), -1);
	assert_int_equal(control_parse_startup(S("#!-agent startup {\"version\":\"v4.14.7\""), v,
	    sizeof(v)), -1);
	assert_int_equal(control_parse_startup(S("#!-agent startup hello"), v, sizeof(v)), -1);
	/* Too long for the caller's buffer: refused, not truncated. */
	assert_int_equal(control_parse_startup(S("#!-agent startup {\"version\":\"v4.14.7\"}"), v,
	    7), -1);
	assert_int_equal(control_parse_startup(S("#!-agent startup {\"version\":\"v4.14.7\"}"), v,
	    8), 0);
	/* Not a startup at all. */
	assert_int_equal(control_parse_startup(S("#!-agent ack "), v, sizeof(v)), -1);
	/* Only len bytes count: the JSON is cut short here. */
	assert_int_equal(control_parse_startup("#!-agent startup {\"version\":\"v4.14.7\"}", 30,
	    v, sizeof(v)), -1);
}

static void
test_keepalive_ubuntu(void **state)
{
	struct agent_info ai;

	(void)state;
	assert_int_equal(control_parse_keepalive(S(UBUNTU_KA), &ai), 0);
	assert_string_equal(ai.version, "Wazuh v4.14.7");
	assert_string_equal(ai.os_uname, UBUNTU_UNAME);
	assert_string_equal(ai.os_name, "Ubuntu");
	assert_string_equal(ai.os_platform, "ubuntu");
	assert_string_equal(ai.os_version, "22.04.3 LTS");
	assert_string_equal(ai.os_major, "22");
	assert_string_equal(ai.os_minor, "04");
	assert_string_equal(ai.os_build, "");
	assert_string_equal(ai.os_codename, "Jammy Jellyfish");
	assert_string_equal(ai.os_arch, "x86_64");
	assert_string_equal(ai.config_sum, "ab73af41699f13fdd81903b5f23d8d00");
	assert_string_equal(ai.merged_sum, "fd756ba04d9c32c8848d4608bec41251");
	assert_string_equal(ai.agent_ip, "192.168.0.133");
	assert_string_equal(ai.labels,
	    "\"env\":prod\n!\"secret\":hidden\n#\"_manager_hostname\":m1");
}

static void
test_keepalive_other_os(void **state)
{
	struct agent_info ai;

	(void)state;
	/* Windows: " [Ver: major.minor.build]", platform "windows", no arch. */
	assert_int_equal(control_parse_keepalive(S("#!-Microsoft Windows 10 Enterprise [Ver: "
	    "10.0.19045.4529] - Wazuh v4.7.4 / ab73af41699f13fdd81903b5f23d8d00\n"
	    "x merged.mg\n"), &ai), 0);
	assert_string_equal(ai.version, "Wazuh v4.7.4");
	assert_string_equal(ai.os_uname, "Microsoft Windows 10 Enterprise");
	assert_string_equal(ai.os_name, "Microsoft Windows 10 Enterprise");
	assert_string_equal(ai.os_version, "10.0.19045.4529");
	assert_string_equal(ai.os_major, "10");
	assert_string_equal(ai.os_minor, "0");
	assert_string_equal(ai.os_build, "19045.4529");
	assert_string_equal(ai.os_platform, "windows");
	assert_string_equal(ai.os_codename, "");
	assert_string_equal(ai.os_arch, "");
	assert_string_equal(ai.merged_sum, "x");
	assert_string_equal(ai.agent_ip, "");

	assert_int_equal(control_parse_keepalive(S("#!-Microsoft Windows 7 [Ver: 6.1.7601] - "
	    "Wazuh v3.13.1\n"), &ai), 0);
	assert_string_equal(ai.os_build, "7601");
	assert_string_equal(ai.config_sum, "");
	assert_string_equal(ai.merged_sum, "");

	/* Debian: no minor; macOS: arm64, minor and codename. */
	assert_int_equal(control_parse_keepalive(S("#!-Linux |debian10 |4.19.0-9-amd64 |#1 SMP "
	    "Debian 4.19.118-2+deb10u1 (2020-06-07) |x86_64 [Debian GNU/Linux|debian: 10 "
	    "(buster)] - Wazuh v4.3.0 / ab\n"), &ai), 0);
	assert_string_equal(ai.os_name, "Debian GNU/Linux");
	assert_string_equal(ai.os_version, "10");
	assert_string_equal(ai.os_major, "10");
	assert_string_equal(ai.os_minor, "");
	assert_string_equal(ai.os_codename, "buster");
	assert_string_equal(ai.os_arch, "x86_64");
	assert_int_equal(control_parse_keepalive(S("#!-Darwin |mac.local |23.4.0 |Darwin Kernel "
	    "Version 23.4.0; root:xnu~1/RELEASE_ARM64_T8122 |arm64 [macOS|darwin: 14.4.1 "
	    "(Sonoma)] - Wazuh v4.9.0 / ab\n"), &ai), 0);
	assert_string_equal(ai.os_name, "macOS");
	assert_string_equal(ai.os_platform, "darwin");
	assert_string_equal(ai.os_version, "14.4.1");
	assert_string_equal(ai.os_major, "14");
	assert_string_equal(ai.os_minor, "4");
	assert_string_equal(ai.os_build, "");
	assert_string_equal(ai.os_codename, "Sonoma");
	assert_string_equal(ai.os_arch, "arm64");

	/* Arch Linux has no version: "[Arch Linux|arch: ]". */
	assert_int_equal(control_parse_keepalive(S("#!-Linux |archlinux |5.15.2-arch1-1 |#1 SMP "
	    "|x86_64 [Arch Linux|arch: ] - Wazuh v4.3.0 / ab\n"), &ai), 0);
	assert_string_equal(ai.os_name, "Arch Linux");
	assert_string_equal(ai.os_platform, "arch");
	assert_string_equal(ai.os_version, "");
	assert_string_equal(ai.os_major, "");
	/* "[name|platform]" without ": version". */
	assert_int_equal(control_parse_keepalive(S("#!-Linux |h |1 |v |aarch64 [Foo|foo] - "
	    "Wazuh v4.3.0\n"), &ai), 0);
	assert_string_equal(ai.os_name, "Foo");
	assert_string_equal(ai.os_platform, "foo");
	assert_string_equal(ai.os_arch, "aarch64");
	/* No OS part at all. */
	assert_int_equal(control_parse_keepalive(S("#!-No system info available - Wazuh v3.13.2"
	    " / ab73af41699f13fdd81903b5f23d8d00\nfd756ba04d9c32c8848d4608bec41251 merged.mg\n"),
	    &ai), 0);
	assert_string_equal(ai.os_uname, "No system info available");
	assert_string_equal(ai.os_name, "");
	assert_string_equal(ai.os_arch, "");
	assert_string_equal(ai.merged_sum, "fd756ba04d9c32c8848d4608bec41251");
}

static void
test_keepalive_version_forms(void **state)
{
	struct agent_info ai;

	(void)state;
	/* Without " / ": the version is taken from "Wazuh" on. */
	assert_int_equal(control_parse_keepalive(S("#!-Linux |h |x86_64 - Wazuh v4.14.7\n"), &ai),
	    0);
	assert_string_equal(ai.version, "Wazuh v4.14.7");
	assert_string_equal(ai.config_sum, "");
	/* Without the "#!-" header (remoted strips it before parsing). */
	assert_int_equal(control_parse_keepalive(S("Linux |h |x86_64 - Wazuh v4.2.0 / cs\n"), &ai),
	    0);
	assert_string_equal(ai.version, "Wazuh v4.2.0");
	assert_string_equal(ai.config_sum, "cs");
	/* Neither " / " nor "Wazuh": no version, invalid. */
	assert_int_equal(control_parse_keepalive(S("#!-Linux |h |x86_64 - v4.14.7\n"), &ai), -1);
	assert_int_equal(control_parse_keepalive(S("#!-Linux |h |x86_64 -  / cs\n"), &ai), -1);
	/* A version that does not fit is refused rather than cut. */
	assert_int_equal(control_parse_keepalive(S("#!-L - Wazuh v4.14.7-an-extremely-long-build-"
	    "suffix / cs\n"), &ai), -1);
}

static void
test_keepalive_invalid(void **state)
{
	struct agent_info ai;

	(void)state;
	/* No newline at all: "Invalid message". */
	assert_int_equal(control_parse_keepalive(S("#!-Linux |h |x86_64 [U|u: 1] - Wazuh v4.14.7 "
	    "/ ab"), &ai), -1);
	assert_string_equal(ai.version, "");
	/* What follows the last newline is dropped: here the whole uname line. */
	assert_int_equal(control_parse_keepalive(S("#!-\"k\":v\nLinux |h - Wazuh v4.14.7 / ab"),
	    &ai), -1);
	assert_string_equal(ai.labels, "\"k\":v");
	/* ...and here only a partial label line. */
	assert_int_equal(control_parse_keepalive(S("#!-Linux |h - Wazuh v4.14.7 / ab\n\"k\":v"),
	    &ai), 0);
	assert_string_equal(ai.labels, "");
	/* Labels and sums only, no uname line. */
	assert_int_equal(control_parse_keepalive(S("#!-\"k\":v\nabc merged.mg\n"), &ai), -1);
	assert_int_equal(control_parse_keepalive(S("\n"), &ai), -1);
	assert_int_equal(control_parse_keepalive(S("#!-"), &ai), -1);
	assert_int_equal(control_parse_keepalive("", 0, &ai), -1);
	/* Only len bytes count. */
	assert_int_equal(control_parse_keepalive("#!-L - Wazuh v4.14.7\n", 10, &ai), -1);
	/* A NUL ends the message, as it does for remoted's C strings. */
	assert_int_equal(control_parse_keepalive("#!-L - Wazuh v4.14.7 / \0\0ab\n", 29, &ai), -1);
	assert_int_equal(control_parse_keepalive("#!-L - Wazuh v4.14.7 / ab\n\0\"k\":v\n", 32, &ai),
	    0);
	assert_string_equal(ai.config_sum, "ab");
	assert_string_equal(ai.labels, "");
}

static void
test_keepalive_edge(void **state)
{
	struct agent_info ai;
	char big[4096];
	size_t n;

	(void)state;
	/* Empty lines, a merged line that is not merged.mg, a bare "x". */
	assert_int_equal(control_parse_keepalive(S("#!-L [U|u: 1.2 (C)] - Wazuh v4.14.7 / s\n\n\n"
	    "abc other.mg\nx merged.mgX\n#\"_agent_ip\":\n"), &ai), 0);
	assert_string_equal(ai.merged_sum, "");
	assert_string_equal(ai.agent_ip, "");
	assert_string_equal(ai.os_codename, "C");
	/* Degenerate brackets Wazuh cuts blindly: must not read out of bounds. */
	assert_int_equal(control_parse_keepalive(S("#!-x [ - Wazuh v4\n"), &ai), 0);
	assert_int_equal(control_parse_keepalive(S("#!-x [: - Wazuh v4\n"), &ai), 0);
	assert_int_equal(control_parse_keepalive(S("#!-x [a: ( - Wazuh v4\n"), &ai), 0);
	assert_int_equal(control_parse_keepalive(S("#!-x [Ver:  - Wazuh v4\n"), &ai), 0);
	assert_int_equal(control_parse_keepalive(S("#!-x [Ver: 1. - Wazuh v4\n"), &ai), 0);
	assert_string_equal(ai.os_major, "1");
	assert_string_equal(ai.os_minor, "");
	/* Labels beyond the buffer are dropped whole, the rest still parses. */
	n = (size_t)snprintf(big, sizeof(big), "#!-L - Wazuh v4.14.7 / s\n");
	while (n + 40 < sizeof(big) - 64)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "\"label%04zu\":value\n", n);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "#\"_agent_ip\":10.0.0.1\n");
	assert_int_equal(control_parse_keepalive(big, n, &ai), 0);
	assert_true(strlen(ai.labels) < sizeof(ai.labels));
	assert_true(strlen(ai.labels) > sizeof(ai.labels) - 40);
	assert_int_equal(ai.labels[strlen(ai.labels) - 1], 'e');
	assert_string_equal(ai.agent_ip, "10.0.0.1");
	/* A huge uname is truncated to its field, not overflowed. */
	memset(big, 'u', sizeof(big));
	memcpy(big, "#!-", 3);
	n = sizeof(big) - 40;
	memcpy(big + n, " - Wazuh v4.14.7 / s\n", 21);
	assert_int_equal(control_parse_keepalive(big, n + 21, &ai), 0);
	assert_int_equal(strlen(ai.os_uname), sizeof(ai.os_uname) - 1);
}

static void
test_format_keepalive(void **state)
{
	struct agent_info ai, back;
	char buf[2048];
	ssize_t n;

	(void)state;
	assert_int_equal(control_parse_keepalive(S(UBUNTU_KA), &ai), 0);
	n = control_format_keepalive(buf, sizeof(buf), &ai);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	/* Exactly what the agent sends, except the system label remoted adds. */
	assert_string_equal(buf, "#!-" UBUNTU_UNAME " [Ubuntu|ubuntu: 22.04.3 LTS (Jammy "
	    "Jellyfish)] - Wazuh v4.14.7 / ab73af41699f13fdd81903b5f23d8d00\n"
	    "\"env\":prod\n!\"secret\":hidden\n#\"_manager_hostname\":m1\n"
	    "fd756ba04d9c32c8848d4608bec41251 merged.mg\n#\"_agent_ip\":192.168.0.133\n");
	assert_int_equal(control_classify(buf, (size_t)n), CONTROL_KEEPALIVE);
	assert_int_equal(control_parse_keepalive(buf, (size_t)n, &back), 0);
	assert_memory_equal(&ai, &back, sizeof(ai));
	/* Too small: -1, never a truncated message. */
	assert_int_equal(control_format_keepalive(buf, (size_t)n, &ai), -1);
	assert_int_equal(control_format_keepalive(buf, (size_t)n + 1, &ai), n);
	assert_int_equal(control_format_keepalive(buf, 0, &ai), -1);

	/* Minimal: no OS part, no config sum, no merged sum ("x"), no IP. */
	memset(&ai, 0, sizeof(ai));
	snprintf(ai.os_uname, sizeof(ai.os_uname), "Linux |h |6.1 |#1 |x86_64");
	snprintf(ai.version, sizeof(ai.version), "Wazuh v4.14.7");
	n = control_format_keepalive(buf, sizeof(buf), &ai);
	assert_string_equal(buf, "#!-Linux |h |6.1 |#1 |x86_64 - Wazuh v4.14.7\nx merged.mg\n");
	assert_int_equal(control_parse_keepalive(buf, (size_t)n, &back), 0);
	assert_string_equal(back.version, "Wazuh v4.14.7");
	assert_string_equal(back.merged_sum, "x");
	assert_string_equal(back.os_arch, "x86_64");
}

static void
test_version_cmp(void **state)
{
	(void)state;
	assert_int_equal(control_version_cmp("Wazuh v4.2.0", "v4.2.0"), 0);
	assert_int_equal(control_version_cmp("4.2", "Wazuh v4.2.0"), 0);
	assert_int_equal(control_version_cmp("v4", "4.0.0"), 0);
	assert_true(control_version_cmp("Wazuh v4.14.7", "Wazuh v4.2.0") > 0);
	assert_true(control_version_cmp("Wazuh v4.1.5", "Wazuh v4.2.0") < 0);
	assert_true(control_version_cmp("v4.10.0", "v4.9.9") > 0);
	assert_true(control_version_cmp("v5.0.0", "v4.99.99") > 0);
	assert_true(control_version_cmp("v4.14.7", "v4.14.10") < 0);
	assert_true(control_version_cmp("V3.13.2", "v4.0.0") < 0);
	assert_int_equal(control_version_cmp("v4.14.7-rc1", "v4.14.7"), 0);
	/* Unparsable sorts below everything parsable, and equal to itself. */
	assert_true(control_version_cmp("", "v0.0.0") < 0);
	assert_true(control_version_cmp("v0.0.0", "garbage") > 0);
	assert_true(control_version_cmp(NULL, "v1") < 0);
	assert_int_equal(control_version_cmp("garbage", ""), 0);
	assert_true(control_version_cmp("Wazuh", "v1") < 0);
	assert_true(control_version_cmp("v", "v1") < 0);
	assert_true(control_version_cmp("v99999999.0", "v1") < 0);
}

static void
test_restart_command(void **state)
{
	char buf[512];

	(void)state;
	assert_int_equal(control_restart_command("Wazuh v4.14.7", buf, sizeof(buf)),
	    strlen(RESTART_JSON));
	assert_string_equal(buf, RESTART_JSON);
	assert_int_equal(control_restart_command("Wazuh v4.2.0", buf, sizeof(buf)),
	    strlen(RESTART_JSON));
	assert_string_equal(buf, RESTART_JSON);
	assert_int_equal(control_restart_command("Wazuh v4.1.5", buf, sizeof(buf)),
	    strlen(RESTART_LEGACY));
	assert_string_equal(buf, RESTART_LEGACY);
	assert_int_equal(control_restart_command("v3.13.2", buf, sizeof(buf)),
	    strlen(RESTART_LEGACY));
	/* Unknown version: the caller must not guess. */
	assert_int_equal(control_restart_command("", buf, sizeof(buf)), -1);
	assert_int_equal(control_restart_command("Wazuh", buf, sizeof(buf)), -1);
	assert_int_equal(control_restart_command(NULL, buf, sizeof(buf)), -1);
	/* Too small: -1. */
	assert_int_equal(control_restart_command("Wazuh v4.14.7", buf, strlen(RESTART_JSON)), -1);
	assert_int_equal(control_restart_command("Wazuh v4.14.7", buf, strlen(RESTART_JSON) + 1),
	    strlen(RESTART_JSON));
	/* What the manager sends, the agent side recognises. */
	assert_int_equal(control_classify(S(RESTART_JSON)), CONTROL_EXECD);
	assert_int_equal(control_is_restart(S(RESTART_JSON)), 1);
	assert_int_equal(control_is_restart(S(RESTART_LEGACY)), 1);
}

static void
test_is_restart(void **state)
{
	(void)state;
	assert_int_equal(control_is_restart(S("#!-execd restart-wazuh0")), 1);
	assert_int_equal(control_is_restart(S("#!-execd restart-wazuh - null")), 1);
	assert_int_equal(control_is_restart(S("#!-execd {\"command\":\"restart-wazuh\"}")), 1);
	assert_int_equal(control_is_restart(S("#!-execd {\"command\":\"restart-ossec0\"}")), 1);
	assert_int_equal(control_is_restart(S("#!-execd {\"command\":\"firewall-drop\"} - x")), 0);
	assert_int_equal(control_is_restart(S("#!-execd firewall-drop0 - null")), 0);
	assert_int_equal(control_is_restart(S("#!-execd restart-wazuh00")), 0);
	assert_int_equal(control_is_restart(S("#!-execd restart-wazu")), 0);
	assert_int_equal(control_is_restart(S("#!-execd {\"command\":1}")), 0);
	assert_int_equal(control_is_restart(S("#!-execd {\"command\":\"restart-wazuh0\"")), 0);
	assert_int_equal(control_is_restart(S("#!-execd [\"restart-wazuh0\"]")), 0);
	assert_int_equal(control_is_restart(S("#!-execd ")), 0);
	assert_int_equal(control_is_restart(S("#!-agent ack ")), 0);
	assert_int_equal(control_is_restart(S("restart-wazuh0")), 0);
	/* A NUL inside the name does not match. */
	assert_int_equal(control_is_restart(S("#!-execd {\"command\":\"restart-wazuh\\u0000\"}")), 0);
	assert_int_equal(control_is_restart("#!-execd restart-wazuh0", 20), 0);
}

/* control_is_agent_started: one row per message, with the verdict. */
static void
test_is_agent_started(void **state)
{
	static const struct {
		const char *msg;
		int want;
	} rows[] = {
		/* what agentd sends (>= 4.4.0, then < 4.4.0), name and IP as the agent has them */
		{"1:wazuh-agent:ossec: Agent started: 'web01->any'.", 1},
		{"1:ossec:ossec: Agent started: 'web01->any'.", 1},
		{"1:wazuh-agent:ossec: Agent started: 'a name->10.0.0.0/8'.", 1},
		/* the prefix alone decides: what follows the quote is not checked */
		{"1:wazuh-agent:ossec: Agent started: '", 1},
		{"1:wazuh-agent:ossec: Agent started: 'x", 1},
		/* anything else is an ordinary event, or not an event */
		{"1:wazuh-agent:ossec: Agent started: ", 0},
		{"1:wazuh-agent:ossec: Agent started", 0},
		{"1:wazuh-agent:ossec: Agent stopped: 'web01->any'.", 0},
		{"1:wazuh-remoted:ossec: Agent stopped: 'web01->any'.", 0},
		{"1:wazuh-remoted:ossec: Agent started: 'web01->any'.", 0},
		{"1:logcollector:ossec: Agent started: 'web01->any'.", 0},
		{"2:wazuh-agent:ossec: Agent started: 'web01->any'.", 0},
		{"1:Wazuh-agent:ossec: Agent started: 'web01->any'.", 0},
		{"1:wazuh-agent:ossec: agent started: 'web01->any'.", 0},
		{" 1:wazuh-agent:ossec: Agent started: 'web01->any'.", 0},
		{"1:/var/log/syslog:ossec: Agent started: 'web01->any'.", 0},
		{"#!-agent startup {\"version\":\"v4.12.0\"}", 0},
		{"#!-1:wazuh-agent:ossec: Agent started: 'web01->any'.", 0},
		{"", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (control_is_agent_started(S(rows[i].msg)) != rows[i].want)
			fail_msg("row %zu: \"%s\": want %d", i, rows[i].msg, rows[i].want);
	}
	/* Only len bytes count, and an event is an event to control_classify. */
	assert_int_equal(control_is_agent_started("1:wazuh-agent:ossec: Agent started: 'a'.", 36),
	    0);
	assert_int_equal(control_is_agent_started("1:wazuh-agent:ossec: Agent started: 'a'.", 37),
	    1);
	assert_int_equal(control_classify(S("1:wazuh-agent:ossec: Agent started: 'a->any'.")),
	    CONTROL_EVENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_startup),
		cmocka_unit_test(test_keepalive_ubuntu),
		cmocka_unit_test(test_keepalive_other_os),
		cmocka_unit_test(test_keepalive_version_forms),
		cmocka_unit_test(test_keepalive_invalid),
		cmocka_unit_test(test_keepalive_edge),
		cmocka_unit_test(test_format_keepalive),
		cmocka_unit_test(test_version_cmp),
		cmocka_unit_test(test_restart_command),
		cmocka_unit_test(test_is_restart),
		cmocka_unit_test(test_is_agent_started),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
