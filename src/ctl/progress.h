/* progress.h — following restart jobs until they are done, and drawing the progress. */
#ifndef VIGIL_CTL_PROGRESS_H
#define VIGIL_CTL_PROGRESS_H

#include <jansson.h>
#include <stddef.h>

/*
 * The states of an agent in a job (GET /jobs/{id}: "counts"), in the API's
 * order.  pending and delivered are not done yet; completed is the proof of
 * the restart; failed, expired and cancelled are done without it.
 */
enum { JW_PENDING, JW_DELIVERED, JW_COMPLETED, JW_FAILED, JW_EXPIRED, JW_CANCELLED, JW_NSTATES };

extern const char *const jobwatch_states[JW_NSTATES];

struct jobwatch_job {
	unsigned long long id;
	long long counts[JW_NSTATES];
	long long total;
	char command[16];           /* "restart" or "reconnect" */
	unsigned long updates;      /* how many answers were taken for it */
	int seen;                   /* counts known (the job was read at least once) */
	int done;                   /* status "done": no agent pending or delivered */
};

struct jobwatch {
	struct jobwatch_job *j;     /* in the order given, duplicates dropped */
	size_t n;
};

/* What the jobs came to: still running, every agent completed, or done without some. */
enum { JW_RUNNING, JW_COMPLETED_ALL, JW_INCOMPLETE };

/* jobwatch_init: the jobs ids (n of them, copied, duplicates dropped); 0 / -1. */
int jobwatch_init(struct jobwatch *w, const unsigned long long *ids, size_t n);
void jobwatch_free(struct jobwatch *w);

/*
 * jobwatch_update: one job object as the API gives it (GET /jobs, /jobs/{id}:
 * id, status, total, counts).  Returns 1 when it is one of w's jobs and was
 * taken, 0 when it is not one of them, -1 when it is malformed (w unchanged).
 */
int jobwatch_update(struct jobwatch *w, const json_t *job);

/* jobwatch_sum: the counts of all jobs added up into counts[JW_NSTATES] and *total. */
void jobwatch_sum(const struct jobwatch *w, long long *counts, long long *total);

/* jobwatch_outcome: JW_RUNNING until every job is done, then JW_COMPLETED_ALL or JW_INCOMPLETE. */
int jobwatch_outcome(const struct jobwatch *w);

/*
 * progress_counts: "2 delivered, 1 pending, 0 failed, 0 expired" (and
 * ", N cancelled" when there are some) into buf (cap).
 */
void progress_counts(char *buf, size_t cap, const long long *counts);

/*
 * progress_bar: "[#####.....] done/total completed (pct%)" with a bar of width
 * characters into buf (cap); total 0 draws a full bar.
 */
void progress_bar(char *buf, size_t cap, size_t done, size_t total, int width);

#endif
