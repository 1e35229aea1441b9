/* datadir.h — a daemon's private data directory: its own, 0700, its files 0600. */
#ifndef VIGIL_DATADIR_H
#define VIGIL_DATADIR_H

#include <sys/types.h>

#define DATADIR_NO_UID ((uid_t)-1)

/*
 * datadir_prepare: makes dir the private home of a daemon.  It is created
 * 0700 when missing; refused when it is a symbolic link, not a directory, or
 * owned by anyone but the running user or also_ok (DATADIR_NO_UID: nobody
 * else; the user a root vigild hands the dir to); then it and every
 * directory under it lose their group and other permission bits (0700) and
 * every regular file in them too (0600).  Symbolic links in it are never
 * followed.  Every change is logged.  0, or -1 with the reason logged.
 */
int datadir_prepare(const char *dir, uid_t also_ok);

/*
 * datadir_chown: gives dir and everything under it to uid:gid, links
 * themselves not followed (root, before it drops to that user).  0 / -1 (logged).
 */
int datadir_chown(const char *dir, uid_t uid, gid_t gid);

#endif
