/* ratelim.c — a fixed-window limiter for log lines (see ratelim.h). */
#include "lib/ratelim.h"

int
ratelim_take(struct ratelim *r, int64_t now, unsigned max, int64_t window,
    unsigned *dropped)
{
	*dropped = 0;
	if (r->used == 0 && r->dropped == 0)
		r->start = now;
	else if (now - r->start >= window || now < r->start) {
		/* a clock that went back opens a new window too */
		*dropped = r->dropped;
		r->start = now;
		r->used = 0;
		r->dropped = 0;
	}
	if (r->used >= max) {
		r->dropped++;
		return 0;
	}
	r->used++;
	return 1;
}
