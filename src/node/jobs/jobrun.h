/*
 * jobrun.h — the master runs restart and reconnect jobs: job.c's rules on the
 * agents' real sessions, wherever they are, kept in the registry.
 *
 * Every 100 ms while a job runs (and at once when one is created) each job
 * is ticked: its sends are written to the registry first, then carried out
 * through the cluster (cluster_agent_command: this node's own sessions at
 * once, a worker's in one batch per worker), and every answer goes back to
 * the job.  Whenever the ledger applies a change to an agent
 * (hooks.agent_state) the jobs holding it observe it: that is how a restart
 * is proven (the agent's next session says "Agent started") and how a
 * command follows an agent to its next session.  Rows that changed are saved
 * at the next tick; a job's sends before they leave.  At start-up the
 * master reads its jobs back: the ones still running go on (job_restore).
 */
#ifndef VIGIL_JOBRUN_H
#define VIGIL_JOBRUN_H

#include <stddef.h>
#include <stdint.h>

#include "node/core/node.h"
#include "node/jobs/job.h"
#include "node/registry/registry.h"

#define JOBRUN_TICK_MS 100
/*
 * The agents' rows are saved at most this often while a job runs (and at its
 * end, a cancel and the stop): the sends are recorded before they are made
 * (waves), so the rows only lag.  Saving 10,000 rows costs the master 40-80 ms
 * of a core; done 100 ms after the sends it competed with the workers writing
 * the commands (bench/RESULTS.md, 2026-12-07).
 */
#define JOBRUN_SAVE_MS 1000
#define JOBRUN_KEEP 200             /* finished jobs kept (the oldest go first) */

struct jobrun_params {
	int kind;                       /* enum job_kind */
	const char *user;
	const char *scope;              /* what was asked, for the listing */
	int64_t expires_in_ms;          /* 0: JOB_EXPIRES_DEFAULT_MS */
	uint32_t max_in_flight, rate;   /* 0: no limit */
};

/* jobrun_start: master: reads the jobs back and installs the hook.  0 / -1 (logged). */
int jobrun_start(struct node *n);
/* jobrun_stop: saves what changed and frees everything.  NULL jobs: a no-op. */
void jobrun_stop(struct node *n);

/*
 * jobrun_create: a job over ids[0..nids) (duplicates are one), saved before
 * anything is sent; the first sends leave in this loop turn.  0 with *id
 * set, -1 (registry or memory; logged).
 */
int jobrun_create(struct node *n, const struct jobrun_params *p, const uint32_t *ids,
    size_t nids, uint64_t *id);

/* The jobs, oldest first: jobrun_count of them; jobrun_at(i) and jobrun_find(id) NULL past them. */
size_t jobrun_count(struct node *n);
const struct job *jobrun_at(struct node *n, size_t i, const struct registry_job **row);
const struct job *jobrun_find(struct node *n, uint64_t id, const struct registry_job **row);
/* jobrun_cancel: 1 cancelled now, 0 no such job or finished already, -1 (saving failed). */
int jobrun_cancel(struct node *n, uint64_t id);

#endif
