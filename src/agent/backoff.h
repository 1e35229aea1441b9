/* backoff.h — retry delays with exponential growth and jitter, and a cheap PRNG for them. */
#ifndef VIGIL_BACKOFF_H
#define VIGIL_BACKOFF_H

#include <stdint.h>

/*
 * backoff_delay_ms: the wait before retry number attempt (0 = first retry):
 * d = min(cap_ms, base_ms * 2^attempt), then spread uniformly over [d/2, d]
 * by rnd ("equal jitter"), so that many clients that failed together do not
 * retry together, yet none retries much sooner than planned.
 */
unsigned int backoff_delay_ms(unsigned int attempt, unsigned int base_ms, unsigned int cap_ms,
    uint32_t rnd);

/* backoff_jitter_ms: ms moved by up to +-pct percent, by rnd. */
unsigned int backoff_jitter_ms(unsigned int ms, unsigned int pct, uint32_t rnd);

/* backoff_rand: xorshift PRNG, seeded from the OS on first use. Not for secrets. */
uint32_t backoff_rand(void);

#endif
