/* progress.h — following restarted agents until they are back, and drawing the progress. */
#ifndef VIGIL_CTL_PROGRESS_H
#define VIGIL_CTL_PROGRESS_H

#include <stddef.h>

/*
 * Each agent starts SENT (the restart was delivered).  Seen in any state other
 * than active it is AWAY; seen active after being away, or active with a
 * keepalive later than the restart request, it is BACK and stays BACK.  The
 * keepalive rule catches restarts quicker than the polling interval; the
 * API's lastKeepAlive has one-second resolution, so it must be strictly later
 * than the second of the request.
 */
enum wait_state { WAIT_SENT, WAIT_AWAY, WAIT_BACK };

struct wait_agent {
	char id[8];
	int state;
	char last_status[24];       /* as last reported, "" if never seen */
};

struct waitset {
	struct wait_agent *a;       /* sorted by id */
	size_t n;
	long long t0;               /* the restart request's time (server clock, seconds) */
};

/* waitset_init: ids (n of them, copied, duplicates dropped) restarted at time t0; 0 / -1. */
int waitset_init(struct waitset *w, const char *const *ids, size_t n, long long t0);
void waitset_free(struct waitset *w);

/*
 * waitset_observe: one agent as GET /agents reported it: status and its
 * lastKeepAlive (seconds, -1 if absent).  Unknown ids are ignored.
 * Returns 1 when the agent just came back, 0 otherwise.
 */
int waitset_observe(struct waitset *w, const char *id, const char *status, long long lka);

/* waitset_count: how many agents are in state s. */
size_t waitset_count(const struct waitset *w, int s);

/* progress_parse_date: an API date ("2026-11-27T05:34:02+00:00" or "...Z") as seconds, or -1. */
long long progress_parse_date(const char *s);

/*
 * progress_bar: "[#####.....] back/total (pct%)" with a bar of width
 * characters into buf (cap); total 0 draws a full bar.
 */
void progress_bar(char *buf, size_t cap, size_t back, size_t total, int width);

#endif
