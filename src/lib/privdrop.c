/*
 * privdrop.c — giving up root after start-up, as OpenBSD daemons do after
 * binding their ports: groups first (they need root), then the group, then
 * the user, all three ids of each, and a check that setuid(0) now fails.
 */
#include "lib/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

int
privdrop_resolve(const char *user, struct privdrop *p, char *err, size_t cap)
{
	struct passwd *pw;

	memset(p, 0, sizeof(*p));
	if (strlen(user) >= sizeof(p->name)) {
		snprintf(err, cap, "user name too long");
		return -1;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, cap, "%s", errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	memcpy(p->name, user, strlen(user) + 1);
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	if (geteuid() == 0) {
		p->active = p->uid != 0;
		return 0;
	}
	if (p->uid != geteuid() || p->uid != getuid()) {
		snprintf(err, cap, "switching users needs root; started as uid %ld",
		    (long)geteuid());
		return -1;
	}
	return 0;
}

int
privdrop_apply(const struct privdrop *p)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (!p->active)
		return 0;
	if (initgroups(p->name, p->gid) == -1) {
		log_warn("cannot set the groups of user %s", p->name);
		return -1;
	}
	if (setresgid(p->gid, p->gid, p->gid) == -1) {
		log_warn("cannot switch to group %ld", (long)p->gid);
		return -1;
	}
	if (setresuid(p->uid, p->uid, p->uid) == -1) {
		log_warn("cannot switch to user %s", p->name);
		return -1;
	}
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != p->uid || eu != p->uid || su != p->uid ||
	    rg != p->gid || eg != p->gid || sg != p->gid) {
		log_warnx("user %s: the ids did not all change", p->name);
		return -1;
	}
	if (setuid(0) != -1 || setgid(0) != -1) {
		log_warnx("user %s: root could be regained after the switch", p->name);
		return -1;
	}
	return 0;
}
