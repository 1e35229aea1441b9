/*
 * datadir.c — the data directory holds agent keys, the registry with its API
 * password hashes, TLS and signing keys: nobody but the daemon's user may
 * read it or plant anything in it.  The directory is checked and narrowed at
 * start-up, and the walk over it goes through directory descriptors with
 * AT_SYMLINK_NOFOLLOW, so a link planted in it is neither followed nor changed.
 */
#include "lib/datadir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"

#define DATADIR_DEPTH_MAX 8   /* vigild keeps a flat dir, the agent one level */

enum datadir_op { DATADIR_NARROW, DATADIR_CHOWN };

struct datadir_walk {
	enum datadir_op op;
	uid_t uid;
	gid_t gid;
};

/* fix_one: narrows or chowns the entry name of directory fd dfd (st: its lstat). */
static int
fix_one(const struct datadir_walk *w, int dfd, const char *path, const char *name,
    const struct stat *st)
{
	mode_t mode = st->st_mode & 07777, want;

	if (w->op == DATADIR_CHOWN) {
		if ((st->st_uid != w->uid || st->st_gid != w->gid) &&
		    fchownat(dfd, name, w->uid, w->gid, AT_SYMLINK_NOFOLLOW) == -1) {
			log_warn("data dir: cannot give %s/%s to uid %ld", path, name,
			    (long)w->uid);
			return -1;
		}
		return 0;
	}
	if ((mode & 07077) == 0)
		return 0;
	want = mode & 0700;
	/* glibc does AT_SYMLINK_NOFOLLOW through O_PATH; only regular files and dirs get here */
	if (fchmodat(dfd, name, want, AT_SYMLINK_NOFOLLOW) == -1) {
		log_warn("data dir: cannot narrow the permissions of %s/%s", path, name);
		return -1;
	}
	log_info("data dir: %s/%s had permissions %04o, now %04o", path, name,
	    (unsigned)mode, (unsigned)want);
	return 0;
}

/*
 * walk: applies w to every regular file and directory under the open
 * directory dfd (not to dfd itself), descending through directories opened
 * with O_NOFOLLOW.  Links and other kinds of file are left alone.  Takes dfd.
 */
static int
walk(const struct datadir_walk *w, int dfd, const char *path, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	char sub[4096];
	int fd, rc = 0;

	if ((d = fdopendir(dfd)) == NULL) {
		log_warn("data dir: %s", path);
		close(dfd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;
			log_warn("data dir: %s/%s", path, de->d_name);
			rc = -1;
			continue;
		}
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;
		if (fix_one(w, dirfd(d), path, de->d_name, &st) == -1)
			rc = -1;
		if (!S_ISDIR(st.st_mode))
			continue;
		if (depth >= DATADIR_DEPTH_MAX) {
			log_warnx("data dir: %s/%s: nested too deep; not checked", path, de->d_name);
			continue;
		}
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= sizeof(sub) ||
		    (fd = openat(dirfd(d), de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
			log_warn("data dir: %s/%s", path, de->d_name);
			rc = -1;
			continue;
		}
		if (walk(w, fd, sub, depth + 1) == -1)
			rc = -1;
	}
	if (errno != 0) {
		log_warn("data dir: reading %s", path);
		rc = -1;
	}
	closedir(d);
	return rc;
}

/* open_dir: dir itself, refused when it is a link or not a directory; -1 logged. */
static int
open_dir(const char *dir, struct stat *st)
{
	int fd;

	if (lstat(dir, st) == -1) {
		log_warn("data dir %s", dir);
		return -1;
	}
	if (S_ISLNK(st->st_mode)) {
		log_warnx("data dir %s is a symbolic link: give its real path instead", dir);
		return -1;
	}
	if (!S_ISDIR(st->st_mode)) {
		log_warnx("data dir %s is not a directory", dir);
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		log_warn("data dir %s", dir);
		return -1;
	}
	if (fstat(fd, st) == -1) {
		log_warn("data dir %s", dir);
		close(fd);
		return -1;
	}
	return fd;
}

int
datadir_prepare(const char *dir, uid_t also_ok)
{
	struct datadir_walk w = { DATADIR_NARROW, 0, 0 };
	struct stat st;
	mode_t mode;
	int fd;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("cannot create data dir %s", dir);
		return -1;
	}
	if ((fd = open_dir(dir, &st)) == -1)
		return -1;
	if (st.st_uid != geteuid() && (also_ok == DATADIR_NO_UID || st.st_uid != also_ok)) {
		/* its owner could plant links and swap files under us at will */
		log_warnx("data dir %s is owned by uid %ld, not by the user vigil runs as "
		    "(uid %ld)%s", dir, (long)st.st_uid, (long)geteuid(),
		    also_ok != DATADIR_NO_UID ? " or the --user" : "");
		close(fd);
		return -1;
	}
	mode = st.st_mode & 07777;
	if ((mode & 07077) != 0) {
		if (fchmod(fd, mode & 0700) == -1) {
			log_warn("data dir %s: cannot narrow its permissions", dir);
			close(fd);
			return -1;
		}
		log_info("data dir %s had permissions %04o, now %04o", dir, (unsigned)mode,
		    (unsigned)(mode & 0700));
	}
	return walk(&w, fd, dir, 0);
}

int
datadir_chown(const char *dir, uid_t uid, gid_t gid)
{
	struct datadir_walk w = { DATADIR_CHOWN, uid, gid };
	struct stat st;
	int fd;

	if ((fd = open_dir(dir, &st)) == -1)
		return -1;
	if ((st.st_uid != uid || st.st_gid != gid) && fchown(fd, uid, gid) == -1) {
		log_warn("data dir %s: cannot give it to uid %ld", dir, (long)uid);
		close(fd);
		return -1;
	}
	return walk(&w, fd, dir, 0);
}
