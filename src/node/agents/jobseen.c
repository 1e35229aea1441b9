/* jobseen.c — the jobs whose command one agent session has written (jobseen.h). */
#include "node/agents/jobseen.h"

int
jobseen_has(const struct jobseen *s, uint64_t job)
{
	unsigned int i;

	if (job == 0)
		return 0;
	for (i = 0; i < JOBSEEN_MAX; i++)
		if (s->job[i] == job)
			return 1;
	return 0;
}

void
jobseen_add(struct jobseen *s, uint64_t job)
{
	if (job == 0 || jobseen_has(s, job))
		return;
	s->job[s->next % JOBSEEN_MAX] = job;
	s->next = (s->next + 1) % JOBSEEN_MAX;
}
