/* jobseen.h — the jobs whose command one agent session has written.
 *
 * The master may send a job's command to a session again when it cannot know
 * whether its first send was written (the worker's answer timed out, the link
 * died: VIGIL_ERR_NODE_UNREACHABLE).  The node holding the session remembers
 * the last JOBSEEN_MAX jobs it wrote on it, and answers a command of one of
 * them "delivered" without writing it again: an agent gets one job's command
 * once per session, however often it is sent.  Job 0 (a master that names no
 * job) is never remembered: such a command is always written.
 *
 * Pure: a few words inside struct session, zeroed with it.
 */
#ifndef VIGIL_JOBSEEN_H
#define VIGIL_JOBSEEN_H

#include <stdint.h>

#define JOBSEEN_MAX 8               /* jobs remembered per session; the oldest goes first */

struct jobseen {
	uint64_t job[JOBSEEN_MAX];  /* 0 = empty slot */
	unsigned int next;          /* the slot the next job takes */
};

/* jobseen_has: 1 when job's command was written on this session (job 0: never). */
int jobseen_has(const struct jobseen *s, uint64_t job);
/* jobseen_add: job's command was written; remembers it (job 0, or known: no change). */
void jobseen_add(struct jobseen *s, uint64_t job);

#endif
