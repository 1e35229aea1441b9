/* secretfile.c — a secret in a file only its owner may read (secretfile.h). */
#include "lib/secretfile.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/log.h"

ssize_t
secretfile_read(const char *what, const char *path, char *out, size_t cap, size_t min,
    size_t max)
{
	FILE *f;
	struct stat st;
	char line[1024];
	size_t len;
	char *p;

	if (max >= cap || max + 2 > sizeof(line))
		return -1;
	if ((f = fopen(path, "r")) == NULL) {
		log_warn("%s %s", what, path);
		return -1;
	}
	if (fstat(fileno(f), &st) == -1 || (st.st_mode & 077) != 0) {
		log_warnx("%s %s: must not be readable by group or others (chmod 600)", what, path);
		fclose(f);
		return -1;
	}
	if (fgets(line, (int)(max + 2), f) == NULL)
		line[0] = '\0';
	fclose(f);
	p = line;
	while (isspace((unsigned char)*p))
		p++;
	len = strlen(p);
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		p[--len] = '\0';
	if (len < min || len > max) {
		log_warnx("%s %s: needs %zu to %zu characters of secret on its first line", what,
		    path, min, max);
		explicit_bzero(line, sizeof(line));
		return -1;
	}
	memcpy(out, p, len);
	out[len] = '\0';
	explicit_bzero(line, sizeof(line));
	return (ssize_t)len;
}
