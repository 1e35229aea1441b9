/* atomicfile.c — temp file + fsync + rename, for keys and certificates. */
#include "lib/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fsync_dir: makes the rename in path's directory durable; best effort. */
static void
fsync_dir(const char *path)
{
	char copy[4096];
	int fd;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)fsync(fd);
	close(fd);
}

int
atomicfile_write(const char *path, const void *buf, size_t len, mode_t mode)
{
	char tmp[4096];
	const char *p = buf;
	ssize_t n;
	int fd = -1, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* mkstemp creates the file 0600 with O_EXCL; fchmod sets the wanted mode exactly. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return -1;
	if (fchmod(fd, mode) == -1)
		goto err;
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1)
		goto err;
	if (close(fd) == -1) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto err;
	fsync_dir(path);
	return 0;
err:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}
