/* secretfile.h — a secret the operator keeps in a file only its owner may read. */
#ifndef VIGIL_SECRETFILE_H
#define VIGIL_SECRETFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * secretfile_read: the first line of path, blanks around it trimmed, into
 * out (NUL-terminated).  Refused (-1, logged naming what) when the file
 * cannot be read, may be read by group or others (chmod 600), or its secret
 * is shorter than min or longer than max bytes (max < cap).  Returns the
 * secret's length.  Nothing of it is left on the stack.
 */
ssize_t secretfile_read(const char *what, const char *path, char *out, size_t cap, size_t min,
    size_t max);

#endif
