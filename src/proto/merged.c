/* merged.c — builds merged.mg and reads the file-push control messages. */
#include "proto/merged.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

char *
merged_build(const char *header, const struct merged_file *files, size_t nfiles, size_t *len)
{
	size_t total, off, i;
	char *out;
	int n;

	if (header == NULL || strchr(header, '\n') != NULL)
		return NULL;
	total = 1 + strlen(header) + 1 + 1;
	for (i = 0; i < nfiles; i++) {
		if (files[i].name == NULL || files[i].name[0] == '\0' ||
		    strpbrk(files[i].name, "\n ") != NULL || (files[i].data == NULL && files[i].len))
			return NULL;
		/* "!" + up to 20 digits + " " + name + "\n" + data */
		total += 1 + 20 + 1 + strlen(files[i].name) + 1 + files[i].len;
	}
	if ((out = malloc(total)) == NULL)
		return NULL;
	n = snprintf(out, total, "#%s\n", header);
	off = (size_t)n;
	for (i = 0; i < nfiles; i++) {
		n = snprintf(out + off, total - off, "!%zu %s\n", files[i].len, files[i].name);
		if (n < 0 || (size_t)n >= total - off) {
			free(out);
			return NULL;
		}
		off += (size_t)n;
		if (files[i].len > 0)
			memcpy(out + off, files[i].data, files[i].len);
		off += files[i].len;
	}
	out[off] = '\0';
	*len = off;
	return out;
}

int
merged_is_valid_md5(const char *s, size_t len)
{
	size_t i;

	if (len != 32)
		return 0;
	for (i = 0; i < 32; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

ssize_t
merged_up_file(const char *md5, char *out, size_t cap)
{
	int n;

	if (md5 == NULL || !merged_is_valid_md5(md5, strlen(md5)))
		return -1;
	n = snprintf(out, cap, MERGED_UP_PREFIX "%s " MERGED_NAME "\n", md5);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

int
merged_parse_up(const char *msg, size_t len, char md5[33], char *name, size_t namecap)
{
	const size_t pl = sizeof(MERGED_UP_PREFIX) - 1;
	size_t i, nl;

	if (len < pl + 33 || memcmp(msg, MERGED_UP_PREFIX, pl) != 0)
		return -1;
	msg += pl;
	len -= pl;
	if (!merged_is_valid_md5(msg, 32) || msg[32] != ' ')
		return -1;
	msg += 33;
	len -= 33;
	if (len > 0 && msg[len - 1] == '\n')
		len--;
	if (len == 0 || len >= namecap || len > 255)
		return -1;
	for (i = 0; i < len; i++) {
		char c = msg[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return -1;
	}
	nl = len;
	memcpy(md5, msg - 33, 32);
	md5[32] = '\0';
	memcpy(name, msg, nl);
	name[nl] = '\0';
	return 0;
}

int
merged_is_close(const char *msg, size_t len)
{
	return len >= sizeof(MERGED_CLOSE) - 1 &&
	    memcmp(msg, MERGED_CLOSE, sizeof(MERGED_CLOSE) - 1) == 0;
}

int
merged_next(const char *m, size_t len, size_t *off, char *name, size_t cap, const char **data,
    size_t *dlen)
{
	const char *nl, *sp;
	size_t i = *off, size = 0, k;

	if (i == 0) {
		if (len == 0 || m[0] != '#' || (nl = memchr(m, '\n', len)) == NULL)
			return -1;
		i = (size_t)(nl - m) + 1;
	}
	if (i >= len)
		return 0;
	if (m[i] != '!' || (nl = memchr(m + i, '\n', len - i)) == NULL ||
	    (sp = memchr(m + i, ' ', (size_t)(nl - (m + i)))) == NULL || sp == m + i + 1)
		return -1;
	for (k = i + 1; m + k < sp; k++) {
		if (m[k] < '0' || m[k] > '9' || size > (SIZE_MAX - 9) / 10)
			return -1;
		size = size * 10 + (size_t)(m[k] - '0');
	}
	k = (size_t)(nl - sp) - 1;
	if (k == 0 || k >= cap)
		return -1;
	memcpy(name, sp + 1, k);
	name[k] = '\0';
	i = (size_t)(nl - m) + 1;
	if (size > len - i)
		return -1;
	*data = m + i;
	*dlen = size;
	*off = i + size;
	return 1;
}
