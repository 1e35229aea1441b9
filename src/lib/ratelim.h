/* ratelim.h — at most N events per time window, for log lines a peer can provoke. */
#ifndef VIGIL_RATELIM_H
#define VIGIL_RATELIM_H

#include <stdint.h>

struct ratelim {
	int64_t start;      /* when the current window opened */
	unsigned used;      /* events let through in it */
	unsigned dropped;   /* events refused in it */
};

/*
 * ratelim_take: 1 when one more event may pass at time now (any monotonic
 * unit) under at most max per window; 0 when it is to be dropped.  When an
 * event passes in a new window after events were dropped in the previous
 * one, *dropped gets their number (so the caller can say "and N more"),
 * else 0.  A zeroed struct ratelim is ready to use.
 */
int ratelim_take(struct ratelim *r, int64_t now, unsigned max, int64_t window,
    unsigned *dropped);

#endif
