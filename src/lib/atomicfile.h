/* atomicfile.h — write a whole file so that readers see the old or the new content, never a part. */
#ifndef VIGIL_ATOMICFILE_H
#define VIGIL_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * atomicfile_write: writes len bytes of buf to a fresh temporary file beside
 * path (created with mode, not widened by the umask), fsyncs it, renames it
 * over path and fsyncs the directory.  0, or -1 with errno set and no
 * temporary file left behind.
 */
int atomicfile_write(const char *path, const void *buf, size_t len, mode_t mode);

#endif
