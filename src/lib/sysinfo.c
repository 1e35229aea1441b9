/* sysinfo.c — uname and os-release: for the keepalive, and agent 000. */
#include "lib/sysinfo.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/hash.h"

static void
sysinfo_copy(char *dst, size_t cap, const char *s, size_t len)
{
	if (cap == 0)
		return;
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

void
sysinfo_parse_os_release(const char *buf, size_t len, char *name, size_t namecap,
    char *platform, size_t platcap, char *version, size_t vercap)
{
	const char *p = buf, *end = buf + len, *nl, *eq, *v;
	char version_id[96] = "";
	int have_version = 0;
	size_t vlen;

	sysinfo_copy(name, namecap, "", 0);
	sysinfo_copy(platform, platcap, "", 0);
	sysinfo_copy(version, vercap, "", 0);
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		eq = memchr(p, '=', (size_t)(nl - p));
		if (eq == NULL)
			continue;
		v = eq + 1;
		vlen = (size_t)(nl - v);
		if (vlen > 0 && v[vlen - 1] == '\r')
			vlen--;
		if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
			v++;
			vlen -= 2;
		}
#define KEY_IS(k) ((size_t)(eq - p) == sizeof(k) - 1 && memcmp(p, k, sizeof(k) - 1) == 0)
		if (KEY_IS("NAME"))
			sysinfo_copy(name, namecap, v, vlen);
		else if (KEY_IS("ID"))
			sysinfo_copy(platform, platcap, v, vlen);
		else if (KEY_IS("VERSION")) {
			sysinfo_copy(version, vercap, v, vlen);
			have_version = 1;
		} else if (KEY_IS("VERSION_ID"))
			sysinfo_copy(version_id, sizeof(version_id), v, vlen);
#undef KEY_IS
	}
	if (!have_version)
		sysinfo_copy(version, vercap, version_id, strlen(version_id));
}

void
sysinfo_fill(struct agent_info *ai, const char *nodename, const char *version)
{
	struct utsname u;
	char buf[4096];
	ssize_t n = 0;
	int fd;

	memset(ai, 0, sizeof(*ai));
	if (uname(&u) == -1)
		memset(&u, 0, sizeof(u));
	snprintf(ai->os_uname, sizeof(ai->os_uname), "%s |%s |%s |%s |%s",
	    u.sysname, nodename != NULL ? nodename : u.nodename, u.release, u.version, u.machine);
	sysinfo_copy(ai->os_arch, sizeof(ai->os_arch), u.machine, strlen(u.machine));
	if ((fd = open("/etc/os-release", O_RDONLY | O_CLOEXEC)) != -1 ||
	    (fd = open("/usr/lib/os-release", O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
		if (n < 0)
			n = 0;
	}
	sysinfo_parse_os_release(buf, (size_t)n, ai->os_name, sizeof(ai->os_name),
	    ai->os_platform, sizeof(ai->os_platform), ai->os_version, sizeof(ai->os_version));
	snprintf(ai->version, sizeof(ai->version), "Wazuh v%s", version);
	memcpy(ai->merged_sum, "x", 2);
}

int
sysinfo_describe(const struct agent_info *raw, struct agent_info *out)
{
	char line[1024];
	ssize_t n;

	memset(out, 0, sizeof(*out));
	n = control_format_keepalive(line, sizeof(line), raw);
	if (n == -1 || control_parse_keepalive(line, (size_t)n, out) == -1) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	/* only the OS: the rest of a keepalive says nothing about a host */
	out->version[0] = out->config_sum[0] = out->merged_sum[0] = '\0';
	out->agent_ip[0] = out->labels[0] = '\0';
	return 0;
}

void
sysinfo_config_sum(struct agent_info *ai, const char *config_text)
{
	hash_md5_hex(config_text, strlen(config_text), ai->config_sum);
}
