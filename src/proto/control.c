/*
 * control.c — Wazuh 4.x control messages ("#!-..."): classification, the
 * startup JSON, the text keepalive (remoted_op.c parse_agent_update_msg and
 * parse_uname_string), version comparison and the restart command.
 */
#include "proto/control.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#define CONTROL_HEADER "#!-"
#define CONTROL_HEADER_LEN 3
#define HC_STARTUP "agent startup "
#define HC_SHUTDOWN "agent shutdown "
#define HC_ACK "agent ack "
#define HC_ERROR "err "
#define HC_EXECD "execd "
#define HC_REQUEST "req "
#define HC_FILE_UPDATE "up file "
#define HC_FILE_CLOSE "close file "
#define HC_FORCE_RECONNECT "force_reconnect"
#define AGENT_IP_LABEL "#\"_agent_ip\":"
#define SHAREDCFG_FILENAME "merged.mg"
#define AR_TRAILER " - null (from_the_server) (no_rule_id)"
/* wazuh_queue.py RESTART_AGENTS_JSON: json.dumps with Python's separators. */
#define RESTART_AGENTS_JSON                                                              \
	"{\"version\": 1, \"origin\": {\"module\": \"framework\"}, \"command\": "       \
	"\"restart-wazuh0\", \"parameters\": {\"extra_args\": [], \"alert\": {}}}"
#define RESTART_LEGACY "restart-ossec0"
/* OS_AG_STARTED behind the "1:<location>:" of LOCALFILE_MQ; location "ossec" before 4.4.0. */
#define AG_STARTED "ossec: Agent started: '"
#define AG_STARTED_NEW "1:wazuh-agent:" AG_STARTED
#define AG_STARTED_OLD "1:ossec:" AG_STARTED
#define VERSION_PART_MAX 999999

/* A view of bytes that are not NUL-terminated. */
struct span {
	const char *p;
	size_t len;
};

static int
has_prefix(const char *msg, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(msg, prefix, n) == 0;
}

/* find: first occurrence of needle in s, or NULL (a bounded strstr). */
static const char *
find(struct span s, const char *needle)
{
	return memmem(s.p, s.len, needle, strlen(needle));
}

/* copy: s into a buffer of cap bytes, truncated, always NUL-terminated. */
static void
copy(char *dst, size_t cap, struct span s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	memcpy(dst, s.p, n);
	dst[n] = '\0';
}

enum control_type
control_classify(const char *msg, size_t len)
{
	if (!has_prefix(msg, len, CONTROL_HEADER))
		return CONTROL_EVENT;
	msg += CONTROL_HEADER_LEN;
	len -= CONTROL_HEADER_LEN;
	if (has_prefix(msg, len, HC_STARTUP))
		return CONTROL_STARTUP;
	if (has_prefix(msg, len, HC_SHUTDOWN))
		return CONTROL_SHUTDOWN;
	if (has_prefix(msg, len, HC_ACK))
		return CONTROL_ACK_TYPE;
	if (has_prefix(msg, len, HC_ERROR))
		return CONTROL_ERR;
	if (has_prefix(msg, len, HC_EXECD))
		return CONTROL_EXECD;
	if (has_prefix(msg, len, HC_REQUEST))
		return CONTROL_REQUEST;
	if (has_prefix(msg, len, HC_FILE_UPDATE) || has_prefix(msg, len, HC_FILE_CLOSE))
		return CONTROL_FILE;
	if (has_prefix(msg, len, HC_FORCE_RECONNECT))
		return CONTROL_FORCE_RECONNECT;
	return CONTROL_KEEPALIVE;
}

/* version_ok: a version string we are willing to store and echo. */
static int
version_ok(const char *v)
{
	if (*v == '\0')
		return 0;
	for (; *v != '\0'; v++)
		if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 0x7f)
			return 0;
	return 1;
}

int
control_parse_startup(const char *msg, size_t len, char *version, size_t cap)
{
	json_t *root, *v;
	const char *s;
	size_t i, n = strlen(CONTROL_HEADER HC_STARTUP);
	int rc = -1;

	if (cap == 0)
		return -1;
	version[0] = '\0';
	if (!has_prefix(msg, len, CONTROL_HEADER HC_STARTUP))
		return -1;
	for (i = n; i < len; i++)
		if (msg[i] != ' ' && msg[i] != '\t' && msg[i] != '\r' && msg[i] != '\n')
			break;
	if (i == len)
		return 1;
	/* cJSON_Parse in remoted ignores what follows the object; so do we. */
	root = json_loadb(msg + i, len - i, JSON_DISABLE_EOF_CHECK, NULL);
	if (root == NULL)
		return -1;
	v = json_is_object(root) ? json_object_get(root, "version") : NULL;
	if (v != NULL && json_is_string(v)) {
		s = json_string_value(v);
		if (version_ok(s) && strlen(s) < cap) {
			memcpy(version, s, strlen(s) + 1);
			rc = 0;
		}
	}
	json_decref(root);
	return rc;
}

/* os_arch: the first known architecture named in the uname (get_os_arch). */
static void
parse_arch(struct span uname, struct agent_info *ai)
{
	static const char *const archs[] = {"x86_64", "i386",  "i686",  "sparc",   "amd64", "i86pc",
	    "ia64", "AIX", "armv6", "armv7", "aarch64", "arm64", NULL};
	size_t i;

	for (i = 0; archs[i] != NULL; i++) {
		if (find(uname, archs[i]) != NULL) {
			snprintf(ai->os_arch, sizeof(ai->os_arch), "%s", archs[i]);
			return;
		}
	}
}

/* number: length of the run of digits at the start of s. */
static size_t
number(struct span s, size_t off)
{
	size_t i;

	for (i = off; i < s.len && s.p[i] >= '0' && s.p[i] <= '9'; i++)
		;
	return i - off;
}

/*
 * parse_numbers: os_major, os_minor and (Windows only) os_build from a version
 * such as "22.04.3 LTS" or "10.0.19045.4529", as the regular expressions
 * "^([0-9]+)", "^[0-9]+\.([0-9]+)" and "^[0-9]+\.[0-9]+\.([0-9]+(\.[0-9]+)*)"
 * of parse_uname_string extract them.
 */
static void
parse_numbers(struct span v, struct agent_info *ai, int with_build)
{
	size_t a, b, start, end, k;

	if ((a = number(v, 0)) == 0)
		return;
	copy(ai->os_major, sizeof(ai->os_major), (struct span){v.p, a});
	if (a >= v.len || v.p[a] != '.' || (b = number(v, a + 1)) == 0)
		return;
	copy(ai->os_minor, sizeof(ai->os_minor), (struct span){v.p + a + 1, b});
	start = a + 1 + b + 1;
	if (!with_build || start >= v.len || v.p[start - 1] != '.' || number(v, start) == 0)
		return;
	end = start + number(v, start);
	while (end + 1 < v.len && v.p[end] == '.' && (k = number(v, end + 1)) > 0)
		end += 1 + k;
	copy(ai->os_build, sizeof(ai->os_build), (struct span){v.p + start, end - start});
}

/* chop: drops the last byte (the closing ']' or ')' that Wazuh cuts blindly). */
static struct span
chop(struct span s)
{
	if (s.len > 0)
		s.len--;
	return s;
}

/*
 * parse_uname: fills the os_* fields from the part of the uname line before
 * " - ", and returns the length of the uname proper (what Wazuh stores as
 * os_uname: the text before " [Ver: " or " [").
 *   Windows: "<os_name> [Ver: <major>.<minor>.<build>]"
 *   others:  "<uname> [<os_name>|<os_platform>: <os_version> (<codename>)]"
 */
static size_t
parse_uname(struct span u, struct agent_info *ai)
{
	struct span rest, name, ver;
	const char *p;

	if ((p = find(u, " [Ver: ")) != NULL) {
		copy(ai->os_name, sizeof(ai->os_name), (struct span){u.p, (size_t)(p - u.p)});
		ver = chop((struct span){p + 7, u.len - (size_t)(p + 7 - u.p)});
		copy(ai->os_version, sizeof(ai->os_version), ver);
		parse_numbers(ver, ai, 1);
		snprintf(ai->os_platform, sizeof(ai->os_platform), "windows");
		return (size_t)(p - u.p);
	}
	if ((p = find(u, " [")) == NULL) {
		parse_arch(u, ai);
		return u.len;
	}
	rest = (struct span){p + 2, u.len - (size_t)(p + 2 - u.p)};
	name = rest;
	if ((p = find(rest, ": ")) != NULL) {
		name.len = (size_t)(p - rest.p);
		ver = chop((struct span){p + 2, rest.len - name.len - 2});
		if ((p = find(ver, " (")) != NULL) {
			copy(ai->os_codename, sizeof(ai->os_codename),
			    chop((struct span){p + 2, ver.len - (size_t)(p + 2 - ver.p)}));
			ver.len = (size_t)(p - ver.p);
		}
		copy(ai->os_version, sizeof(ai->os_version), ver);
		parse_numbers(ver, ai, 0);
	} else
		name = chop(name);
	if ((p = find(name, "|")) != NULL) {
		copy(ai->os_platform, sizeof(ai->os_platform),
		    (struct span){p + 1, name.len - (size_t)(p + 1 - name.p)});
		name.len = (size_t)(p - name.p);
	}
	copy(ai->os_name, sizeof(ai->os_name), name);
	u.len = (size_t)(rest.p - 2 - u.p);
	parse_arch(u, ai);
	return u.len;
}

static void
clear_uname_fields(struct agent_info *ai)
{
	ai->version[0] = ai->config_sum[0] = ai->os_uname[0] = '\0';
	ai->os_name[0] = ai->os_version[0] = ai->os_major[0] = ai->os_minor[0] = '\0';
	ai->os_build[0] = ai->os_codename[0] = ai->os_platform[0] = ai->os_arch[0] = '\0';
}

/* parse_uname_line: "<uname> - <version>[ / <config_sum>]". 0, or -1 without version. */
static int
parse_uname_line(struct span line, const char *dash, struct agent_info *ai)
{
	struct span v = {dash + 3, line.len - (size_t)(dash + 3 - line.p)};
	struct span u = {line.p, (size_t)(dash - line.p)};
	const char *p;

	clear_uname_fields(ai);
	if ((p = find(v, " / ")) != NULL) {
		copy(ai->config_sum, sizeof(ai->config_sum),
		    (struct span){p + 3, v.len - (size_t)(p + 3 - v.p)});
		v.len = (size_t)(p - v.p);
	} else if ((p = find(v, "Wazuh")) != NULL) {
		/* No separator before the config sum: take the version from "Wazuh" on. */
		v = (struct span){p, v.len - (size_t)(p - v.p)};
	} else
		v.len = 0;
	if (v.len == 0 || v.len >= sizeof(ai->version))
		return -1;
	copy(ai->version, sizeof(ai->version), v);
	u.len = parse_uname(u, ai);
	copy(ai->os_uname, sizeof(ai->os_uname), u);
	return 0;
}

/* add_label: appends one label line; lines that do not fit are dropped whole. */
static void
add_label(struct agent_info *ai, struct span line)
{
	size_t used = strlen(ai->labels), need = line.len + (used > 0);

	if (used + need >= sizeof(ai->labels))
		return;
	if (used > 0)
		ai->labels[used++] = '\n';
	memcpy(ai->labels + used, line.p, line.len);
	ai->labels[used + line.len] = '\0';
}

int
control_parse_keepalive(const char *msg, size_t len, struct agent_info *ai)
{
	struct span all, line;
	const char *end, *nl, *p;
	size_t iplen = strlen(AGENT_IP_LABEL);

	memset(ai, 0, sizeof(*ai));
	/* remoted handles the message as a C string: a NUL ends it. */
	len = strnlen(msg, len);
	if (has_prefix(msg, len, CONTROL_HEADER)) {
		msg += CONTROL_HEADER_LEN;
		len -= CONTROL_HEADER_LEN;
	}
	/* validate_control_msg: what follows the last '\n' is dropped. */
	if ((end = memrchr(msg, '\n', len)) == NULL)
		return -1;
	all = (struct span){msg, (size_t)(end - msg) + 1};
	for (; all.len > 0; all.p = nl + 1, all.len = (size_t)(end - nl)) {
		nl = memchr(all.p, '\n', all.len);
		line = (struct span){all.p, (size_t)(nl - all.p)};
		if (line.len == 0)
			continue;
		switch (line.p[0]) {
		case '#': /* system label */
		case '!': /* hidden label */
		case '"': /* label */
			if (line.len >= iplen && memcmp(line.p, AGENT_IP_LABEL, iplen) == 0)
				copy(ai->agent_ip, sizeof(ai->agent_ip),
				    (struct span){line.p + iplen, line.len - iplen});
			else
				add_label(ai, line);
			break;
		default:
			if ((p = find(line, " - ")) != NULL) {
				if (parse_uname_line(line, p, ai) == -1)
					return -1;
			} else if ((p = memchr(line.p, ' ', line.len)) != NULL &&
			    line.len - (size_t)(p + 1 - line.p) == strlen(SHAREDCFG_FILENAME) &&
			    memcmp(p + 1, SHAREDCFG_FILENAME, strlen(SHAREDCFG_FILENAME)) == 0) {
				copy(ai->merged_sum, sizeof(ai->merged_sum),
				    (struct span){line.p, (size_t)(p - line.p)});
			}
			break;
		}
	}
	return ai->version[0] == '\0' ? -1 : 0;
}

/* put: appends a string to out; -1 once it does not fit. */
static int
put(char *out, size_t cap, size_t *off, const char *s)
{
	size_t n = strlen(s);

	if (*off + n >= cap)
		return -1;
	memcpy(out + *off, s, n + 1);
	*off += n;
	return 0;
}

ssize_t
control_format_keepalive(char *out, size_t cap, const struct agent_info *ai)
{
	size_t off = 0;
	int os = ai->os_name[0] || ai->os_platform[0] || ai->os_version[0];

	if (cap == 0)
		return -1;
	out[0] = '\0';
	if (put(out, cap, &off, CONTROL_HEADER) || put(out, cap, &off, ai->os_uname))
		return -1;
	if (os && (put(out, cap, &off, " [") || put(out, cap, &off, ai->os_name) ||
	    put(out, cap, &off, "|") || put(out, cap, &off, ai->os_platform) ||
	    put(out, cap, &off, ": ") || put(out, cap, &off, ai->os_version)))
		return -1;
	if (os && ai->os_codename[0] && (put(out, cap, &off, " (") ||
	    put(out, cap, &off, ai->os_codename) || put(out, cap, &off, ")")))
		return -1;
	if (os && put(out, cap, &off, "]"))
		return -1;
	if (put(out, cap, &off, " - ") || put(out, cap, &off, ai->version))
		return -1;
	if (ai->config_sum[0] && (put(out, cap, &off, " / ") || put(out, cap, &off, ai->config_sum)))
		return -1;
	if (put(out, cap, &off, "\n"))
		return -1;
	if (ai->labels[0] && (put(out, cap, &off, ai->labels) || put(out, cap, &off, "\n")))
		return -1;
	if (put(out, cap, &off, ai->merged_sum[0] ? ai->merged_sum : "x") ||
	    put(out, cap, &off, " " SHAREDCFG_FILENAME "\n"))
		return -1;
	if (ai->agent_ip[0] && (put(out, cap, &off, AGENT_IP_LABEL) ||
	    put(out, cap, &off, ai->agent_ip) || put(out, cap, &off, "\n")))
		return -1;
	return (ssize_t)off;
}

/*
 * version_parse: "Wazuh vX.Y.Z", "vX.Y.Z" or "X.Y.Z" with missing parts 0;
 * anything may follow the numbers ("-rc1").  0, or -1 when unparsable.
 */
static int
version_parse(const char *s, unsigned long part[3])
{
	int i;

	part[0] = part[1] = part[2] = 0;
	if (s == NULL)
		return -1;
	if (strncmp(s, "Wazuh ", 6) == 0)
		s += 6;
	if (*s == 'v' || *s == 'V')
		s++;
	for (i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return i == 0 ? -1 : 0;
		for (; *s >= '0' && *s <= '9'; s++) {
			part[i] = part[i] * 10 + (unsigned long)(*s - '0');
			if (part[i] > VERSION_PART_MAX)
				return -1;
		}
		if (*s != '.')
			return 0;
		s++;
	}
	return 0;
}

static int
version_cmp_parts(const unsigned long pa[3], const unsigned long pb[3])
{
	int i;

	for (i = 0; i < 3; i++)
		if (pa[i] != pb[i])
			return pa[i] < pb[i] ? -1 : 1;
	return 0;
}

int
control_version_cmp(const char *a, const char *b)
{
	unsigned long pa[3], pb[3];
	int oka = version_parse(a, pa) == 0, okb = version_parse(b, pb) == 0;

	if (!oka || !okb)
		return oka - okb;
	return version_cmp_parts(pa, pb);
}

ssize_t
control_restart_command(const char *agent_version, char *out, size_t cap)
{
	unsigned long part[3], legacy[3];
	const char *cmd;
	int n;

	if (version_parse(agent_version, part) == -1 ||
	    version_parse(CONTROL_AR_LEGACY_VERSION, legacy) == -1)
		return -1;
	cmd = version_cmp_parts(part, legacy) >= 0 ? RESTART_AGENTS_JSON : RESTART_LEGACY;
	n = snprintf(out, cap, CONTROL_HEADER HC_EXECD "%s" AR_TRAILER, cmd);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

/* restart_name: one of the active-response names that restart an agent. */
static int
restart_name(const char *s, size_t len)
{
	static const char *const names[] = {"restart-wazuh0", "restart-wazuh", RESTART_LEGACY,
	    NULL};
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (len == strlen(names[i]) && memcmp(s, names[i], len) == 0)
			return 1;
	return 0;
}

int
control_is_restart(const char *msg, size_t len)
{
	json_t *root, *cmd;
	size_t n = strlen(CONTROL_HEADER HC_EXECD), i;
	int rc = 0;

	if (!has_prefix(msg, len, CONTROL_HEADER HC_EXECD))
		return 0;
	msg += n;
	len -= n;
	if (len > 0 && msg[0] == '{') {
		/* execd's cJSON_Parse ignores the " - null (...)" trailer. */
		root = json_loadb(msg, len, JSON_DISABLE_EOF_CHECK, NULL);
		if (root == NULL)
			return 0;
		cmd = json_is_object(root) ? json_object_get(root, "command") : NULL;
		if (cmd != NULL && json_is_string(cmd))
			rc = restart_name(json_string_value(cmd), json_string_length(cmd));
		json_decref(root);
		return rc;
	}
	/* Legacy: "<command> - <args...>". */
	for (i = 0; i < len && msg[i] != ' '; i++)
		;
	return restart_name(msg, i);
}

int
control_is_agent_started(const char *msg, size_t len)
{
	return has_prefix(msg, len, AG_STARTED_NEW) || has_prefix(msg, len, AG_STARTED_OLD);
}
