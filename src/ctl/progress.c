/* progress.c — following restart jobs until they are done, and drawing the progress. */
#include "ctl/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JW_MAX_AGENTS (1LL << 40)   /* a count beyond any fleet: a malformed answer */

const char *const jobwatch_states[JW_NSTATES] = { "pending", "delivered", "completed", "failed",
	"expired", "cancelled" };

int
jobwatch_init(struct jobwatch *w, const unsigned long long *ids, size_t n)
{
	size_t i, k;

	memset(w, 0, sizeof(*w));
	if (n == 0)
		return 0;
	if ((w->j = calloc(n, sizeof(*w->j))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		for (k = 0; k < w->n && w->j[k].id != ids[i]; k++)
			;
		if (k == w->n)
			w->j[w->n++].id = ids[i];
	}
	return 0;
}

void
jobwatch_free(struct jobwatch *w)
{
	free(w->j);
	memset(w, 0, sizeof(*w));
}

int
jobwatch_update(struct jobwatch *w, const json_t *job)
{
	const json_t *id = json_object_get(job, "id"), *counts = json_object_get(job, "counts");
	const char *status = json_string_value(json_object_get(job, "status"));
	long long c[JW_NSTATES], total, sum = 0;
	size_t k;
	int s;

	if (!json_is_integer(id) || json_integer_value(id) <= 0)
		return -1;
	for (k = 0; k < w->n && w->j[k].id != (unsigned long long)json_integer_value(id); k++)
		;
	if (k == w->n)
		return 0;
	if (status == NULL || !json_is_object(counts) ||
	    !json_is_integer(json_object_get(job, "total")))
		return -1;
	total = (long long)json_integer_value(json_object_get(job, "total"));
	for (s = 0; s < JW_NSTATES; s++) {
		const json_t *v = json_object_get(counts, jobwatch_states[s]);

		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > JW_MAX_AGENTS)
			return -1;
		c[s] = (long long)json_integer_value(v);
		sum += c[s];
	}
	if (total < 0 || sum != total)
		return -1;
	memcpy(w->j[k].counts, c, sizeof(c));
	w->j[k].total = total;
	w->j[k].seen = 1;
	w->j[k].updates++;
	snprintf(w->j[k].command, sizeof(w->j[k].command), "%s",
	    json_string_value(json_object_get(job, "command")) ?
	    json_string_value(json_object_get(job, "command")) : "restart");
	/* "done" is the job's word; no agent left to follow says the same */
	w->j[k].done = strcmp(status, "done") == 0 || c[JW_PENDING] + c[JW_DELIVERED] == 0;
	return 1;
}

void
jobwatch_sum(const struct jobwatch *w, long long *counts, long long *total)
{
	size_t k;
	int s;

	memset(counts, 0, JW_NSTATES * sizeof(*counts));
	*total = 0;
	for (k = 0; k < w->n; k++) {
		for (s = 0; s < JW_NSTATES; s++)
			counts[s] += w->j[k].counts[s];
		*total += w->j[k].total;
	}
}

int
jobwatch_outcome(const struct jobwatch *w)
{
	long long counts[JW_NSTATES], total;
	size_t k;

	for (k = 0; k < w->n; k++)
		if (!w->j[k].seen || !w->j[k].done)
			return JW_RUNNING;
	jobwatch_sum(w, counts, &total);
	return counts[JW_COMPLETED] == total ? JW_COMPLETED_ALL : JW_INCOMPLETE;
}

void
progress_counts(char *buf, size_t cap, const long long *counts)
{
	int n;

	n = snprintf(buf, cap, "%lld delivered, %lld pending, %lld failed, %lld expired",
	    counts[JW_DELIVERED], counts[JW_PENDING], counts[JW_FAILED], counts[JW_EXPIRED]);
	if (counts[JW_CANCELLED] > 0 && n >= 0 && (size_t)n < cap)
		snprintf(buf + n, cap - (size_t)n, ", %lld cancelled", counts[JW_CANCELLED]);
}

void
progress_bar(char *buf, size_t cap, size_t done, size_t total, int width)
{
	size_t fill, i, o = 0;
	int pct;

	if (cap == 0)
		return;
	if (width < 1)
		width = 1;
	if (done > total)
		done = total;
	fill = total ? done * (size_t)width / total : (size_t)width;
	pct = total ? (int)(done * 100 / total) : 100;
	buf[0] = '\0';
	if (cap < (size_t)width + 3)
		return;
	buf[o++] = '[';
	for (i = 0; i < (size_t)width; i++)
		buf[o++] = i < fill ? '#' : '.';
	buf[o++] = ']';
	buf[o] = '\0';
	snprintf(buf + o, cap - o, " %zu/%zu completed (%d%%)", done, total, pct);
}
