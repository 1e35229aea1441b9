/* keyfile.c — client.keys entries and the sender counter file, agent side. */
#include "agent/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomicfile.h"
#include "lib/log.h"

#define KEYFILE_LINE_MAX 1024
#define KEYFILE_FILE_MAX (64 * 1024 * 1024)

/* Copies the field [s, s+len) into dst (cap bytes) when it fits and is not empty. */
static int
keyfile_field(char *dst, size_t cap, const char *s, size_t len)
{
	if (len == 0 || len >= cap)
		return -1;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

int
keyfile_parse_line(const char *line, size_t len, struct keyfile_entry *e)
{
	const char *p = line, *end, *sp;
	char *dst[3];
	size_t cap[3];
	int i;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len == 0 || line[0] == '#' || line[0] == ' ')
		return 1;
	if (memchr(line, '\0', len) != NULL)
		return -1;
	end = line + len;
	memset(e, 0, sizeof(*e));
	dst[0] = e->id;   cap[0] = sizeof(e->id);
	dst[1] = e->name; cap[1] = sizeof(e->name);
	dst[2] = e->ip;   cap[2] = sizeof(e->ip);
	for (i = 0; i < 3; i++) {
		sp = memchr(p, ' ', (size_t)(end - p));
		if (sp == NULL)
			return -1;
		if (keyfile_field(dst[i], cap[i], p, (size_t)(sp - p)) == -1)
			return -1;
		p = sp + 1;
	}
	if (keyfile_field(e->key, sizeof(e->key), p, (size_t)(end - p)) == -1)
		return -1;
	if (e->name[0] == '!' || e->name[0] == '#')
		return 1;
	return keyfile_entry_valid(e) ? 0 : -1;
}

ssize_t
keyfile_format_line(char *out, size_t cap, const struct keyfile_entry *e)
{
	int n;

	n = snprintf(out, cap, "%s %s %s %s\n", e->id, e->name, e->ip, e->key);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

static int
keyfile_token_valid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

int
keyfile_entry_valid(const struct keyfile_entry *e)
{
	size_t i, n = strlen(e->id);
	int nonzero = 0;
	const char *p;

	if (n < 3 || n > SECMSG_ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (e->id[i] < '0' || e->id[i] > '9')
			return 0;
		if (e->id[i] != '0')
			nonzero = 1;
	}
	if (!nonzero)
		return 0;
	if (!keyfile_token_valid(e->name) || e->name[0] == '!' || e->name[0] == '#')
		return 0;
	if (strcmp(e->ip, "any") != 0) {
		if (e->ip[0] == '\0')
			return 0;
		for (p = e->ip; *p != '\0'; p++)
			if (strchr("0123456789abcdefABCDEF.:/", *p) == NULL)
				return 0;
	}
	return keyfile_token_valid(e->key);
}

int
keyfile_from_reply(const struct enroll_reply *r, const char *want_name,
    struct keyfile_entry *e, char *err, size_t errcap)
{
	if (!r->ok) {
		snprintf(err, errcap, "manager refused: %s", r->error);
		return -1;
	}
	memset(e, 0, sizeof(*e));
	if (strlen(r->id) >= sizeof(e->id) || strlen(r->name) >= sizeof(e->name) ||
	    strlen(r->ip) >= sizeof(e->ip) || strlen(r->key) >= sizeof(e->key)) {
		snprintf(err, errcap, "reply field too long");
		return -1;
	}
	memcpy(e->id, r->id, strlen(r->id) + 1);
	memcpy(e->name, r->name, strlen(r->name) + 1);
	memcpy(e->ip, r->ip, strlen(r->ip) + 1);
	memcpy(e->key, r->key, strlen(r->key) + 1);
	if (!keyfile_entry_valid(e)) {
		snprintf(err, errcap, "invalid key entry in reply (id '%s')", e->id);
		return -1;
	}
	if (want_name != NULL && strcmp(e->name, want_name) != 0) {
		snprintf(err, errcap, "reply is for name '%s', not '%s'", e->name, want_name);
		return -1;
	}
	return 0;
}

int
keyfile_ip_single_host(const char *ip)
{
	char buf[64];
	const char *slash;
	unsigned int a, b, c, d;
	char tail;
	size_t n;

	slash = strchr(ip, '/');
	n = slash != NULL ? (size_t)(slash - ip) : strlen(ip);
	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, ip, n);
	buf[n] = '\0';
	if (sscanf(buf, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 ||
	    a > 255 || b > 255 || c > 255 || d > 255)
		return 0;
	if (slash == NULL)
		return 1;
	return strcmp(slash + 1, "32") == 0 || strcmp(slash + 1, "255.255.255.255") == 0;
}

/* Reads a whole (small) file into a malloc'ed NUL-terminated buffer.  0, 1 (ENOENT), -1. */
static int
keyfile_slurp(const char *path, char **out, size_t *outlen)
{
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		log_warn("open %s", path);
		return -1;
	}
	for (;;) {
		if (cap - len < 4096) {
			if (cap > KEYFILE_FILE_MAX) {
				log_warnx("%s: too large", path);
				goto err;
			}
			cap = cap == 0 ? 8192 : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				log_warn("realloc");
				goto err;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			log_warn("read %s", path);
			goto err;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
err:
	close(fd);
	free(buf);
	return -1;
}

int
keyfile_load_all(const char *path, struct keyfile_entry **out, size_t *n)
{
	struct keyfile_entry *v = NULL, *nv, e;
	size_t cnt = 0, cap = 0, len, lineno = 0;
	char *buf = NULL, *p, *nl;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = keyfile_slurp(path, &buf, &len)) != 0)
		return rc == 1 ? 0 : -1;
	for (p = buf; p < buf + len; p = nl + 1) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(buf + len - p));
		if (nl == NULL)
			nl = buf + len;
		rc = keyfile_parse_line(p, (size_t)(nl - p), &e);
		if (rc == -1) {
			log_warnx("%s:%zu: malformed client.keys line ignored", path, lineno);
			continue;
		}
		if (rc == 1)
			continue;
		if (cnt == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				log_warn("reallocarray");
				free(v);
				free(buf);
				return -1;
			}
			v = nv;
		}
		v[cnt++] = e;
	}
	free(buf);
	*out = v;
	*n = cnt;
	return 0;
}

int
keyfile_load(const char *path, struct keyfile_entry *e)
{
	struct keyfile_entry *v;
	size_t n;

	if (keyfile_load_all(path, &v, &n) == -1)
		return -1;
	if (n == 0) {
		free(v);
		return 1;
	}
	*e = v[0];
	free(v);
	return 0;
}

int
keyfile_write_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	/*
	 * A temporary file of a random name made with O_EXCL, renamed over path:
	 * a link planted under a temporary or the final name is never written
	 * through (a fixed "path.tmp" opened with O_TRUNC was).
	 */
	if (atomicfile_write(path, buf, len, mode) == -1) {
		log_warn("cannot write %s", path);
		return -1;
	}
	return 0;
}

int
keyfile_save(const char *path, const struct keyfile_entry *e)
{
	char line[KEYFILE_LINE_MAX];
	ssize_t n;

	if ((n = keyfile_format_line(line, sizeof(line), e)) == -1)
		return -1;
	return keyfile_write_atomic(path, line, (size_t)n, 0600);
}

int
keyfile_append(const char *path, const struct keyfile_entry *e)
{
	char line[KEYFILE_LINE_MAX];
	ssize_t n, w;
	int fd;

	if ((n = keyfile_format_line(line, sizeof(line), e)) == -1)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		log_warn("open %s", path);
		return -1;
	}
	/* one write of a short line to an O_APPEND file: lines never interleave */
	w = write(fd, line, (size_t)n);
	if (w != n) {
		log_warn("write %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
keyfile_counter_parse(const char *buf, size_t len, unsigned int *global, unsigned int *local)
{
	unsigned long long v[2];
	size_t i = 0;
	int k;

	for (k = 0; k < 2; k++) {
		size_t start = i;

		v[k] = 0;
		while (i < len && buf[i] >= '0' && buf[i] <= '9') {
			v[k] = v[k] * 10 + (unsigned long long)(buf[i] - '0');
			if (v[k] > 0xffffffffULL)
				return -1;
			i++;
		}
		if (i == start || i >= len || buf[i] != ':')
			return -1;
		i++;
	}
	for (; i < len; i++)
		if (buf[i] != '\n' && buf[i] != '\r' && buf[i] != ' ')
			return -1;
	*global = (unsigned int)v[0];
	*local = (unsigned int)v[1];
	return 0;
}

int
keyfile_counter_load(const char *path, unsigned int *global, unsigned int *local)
{
	char *buf;
	size_t len;
	int rc;

	if ((rc = keyfile_slurp(path, &buf, &len)) != 0)
		return rc;
	rc = keyfile_counter_parse(buf, len, global, local);
	free(buf);
	if (rc == -1)
		log_warnx("%s: malformed counter file", path);
	return rc;
}

int
keyfile_counter_save(const char *path, unsigned int global, unsigned int local)
{
	char buf[32];
	int n;

	n = snprintf(buf, sizeof(buf), "%u:%u:", global, local);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return keyfile_write_atomic(path, buf, (size_t)n, 0600);
}
