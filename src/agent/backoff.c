/* backoff.c — retry delays. */
#include "agent/backoff.h"

#include <time.h>
#include <unistd.h>

#include "lib/hash.h"

unsigned int
backoff_delay_ms(unsigned int attempt, unsigned int base_ms, unsigned int cap_ms, uint32_t rnd)
{
	uint64_t d = base_ms;
	unsigned int half;

	if (d == 0)
		d = 1;
	while (attempt-- > 0 && d < cap_ms)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	half = (unsigned int)(d / 2);
	return half + (unsigned int)(rnd % ((uint32_t)(d - half) + 1));
}

unsigned int
backoff_jitter_ms(unsigned int ms, unsigned int pct, uint32_t rnd)
{
	uint64_t span = (uint64_t)ms * pct / 100;
	uint64_t lo = ms - span;

	if (pct > 100)
		return ms;
	return (unsigned int)(lo + rnd % (2 * span + 1));
}

uint32_t
backoff_rand(void)
{
	static uint64_t s;

	if (s == 0) {
		if (hash_random_bytes(&s, sizeof(s)) == -1 || s == 0)
			s = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	}
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return (uint32_t)(s >> 16);
}
