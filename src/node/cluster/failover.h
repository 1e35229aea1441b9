/* failover.h — which master a worker tries next, and when: the rule alone, pure.
 *
 * A worker is given one or more master-capable nodes (--master a:P,b:P,...);
 * one of them is the coordinator, the others do not listen on the cluster
 * port.  After a failure on one address (the connect, the TLS handshake, the
 * hello refused, the join deadline, or a link that was up and is lost) the
 * worker goes on to the next one at once, after a short jitter, so that it
 * reaches a new coordinator within a second or two of its listening; the
 * exponential back-off is paid once per full cycle through the list, and is
 * capped lower than with one address.  With one address the rule is the
 * back-off of old: 200 ms doubling up to 5 s.  Each delay is jittered so
 * that a master that comes back is not hit by every worker at once.
 */
#ifndef VIGIL_FAILOVER_H
#define VIGIL_FAILOVER_H

#include <stdint.h>

#define FAILOVER_STEP_MIN_MS 100            /* the next address of a list: 100..300 ms */
#define FAILOVER_STEP_MAX_MS 300
#define FAILOVER_BACKOFF_MIN_MS 200         /* a back-off of b ms waits b/2..b */
#define FAILOVER_BACKOFF_CAP_ONE_MS 5000    /* one address */
#define FAILOVER_BACKOFF_CAP_SEVERAL_MS 2000 /* several: a full cycle adds at most this */

struct failover_step {
	unsigned int index;         /* the address to try next, 0..n-1 */
	unsigned int delay_ms;      /* after this long */
};

/*
 * failover_next: the worker's attempt on address cur of a list of n failed,
 * and it is the fails-th failure in a row since the worker last joined a
 * master (>= 1).  rnd is a random number (the caller's; tests choose it).
 * Fills *out: the next address and the delay before trying it.  0, or -1
 * (*out untouched) when n is 0, cur is not below n, or fails is 0.
 */
int failover_next(unsigned int n, unsigned int cur, uint32_t fails, uint32_t rnd,
    struct failover_step *out);

#endif
