/* failover.c — which master a worker tries next, and when (failover.h). */
#include "node/cluster/failover.h"

/* backoff: b/2..b ms, b doubling from FAILOVER_BACKOFF_MIN_MS with each round, up to cap. */
static unsigned int
backoff(uint32_t rounds, unsigned int cap, uint32_t rnd)
{
	unsigned int b = FAILOVER_BACKOFF_MIN_MS;

	while (rounds-- > 1 && b < cap)
		b *= 2;
	if (b > cap)
		b = cap;
	return b / 2 + rnd % (b / 2 + 1);
}

int
failover_next(unsigned int n, unsigned int cur, uint32_t fails, uint32_t rnd,
    struct failover_step *out)
{
	if (n == 0 || cur >= n || fails == 0)
		return -1;
	out->index = (cur + 1) % n;
	if (n == 1)
		out->delay_ms = backoff(fails, FAILOVER_BACKOFF_CAP_ONE_MS, rnd);
	else if (fails % n != 0)
		/* the list is not through yet: the next address, after a jitter only */
		out->delay_ms = FAILOVER_STEP_MIN_MS +
		    rnd % (FAILOVER_STEP_MAX_MS - FAILOVER_STEP_MIN_MS + 1);
	else
		/* every address failed once more: a full cycle, backed off */
		out->delay_ms = backoff(fails / n, FAILOVER_BACKOFF_CAP_SEVERAL_MS, rnd);
	return 0;
}
