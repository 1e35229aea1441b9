/* privdrop.h — a daemon started as root runs on as an unprivileged user. */
#ifndef VIGIL_PRIVDROP_H
#define VIGIL_PRIVDROP_H

#include <sys/types.h>

struct privdrop {
	char name[64];   /* the user's name, for initgroups and the logs */
	uid_t uid;
	gid_t gid;       /* the user's primary group */
	int active;      /* 1: running as root, privdrop_apply switches to the user */
};

/*
 * privdrop_resolve: looks user up.  Run as root, p becomes active; run as
 * anyone else, user must name that very user (nothing to drop, p inactive).
 * 0, or -1 with the reason in err (cap bytes).
 */
int privdrop_resolve(const char *user, struct privdrop *p, char *err, size_t cap);

/*
 * privdrop_apply: for an active p, sets the supplementary groups, the group
 * and the user ids (real, effective, saved) to the user's, and proves that
 * root cannot be regained.  Does nothing for an inactive p.  0 / -1 (logged).
 */
int privdrop_apply(const struct privdrop *p);

#endif
