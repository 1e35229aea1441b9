/* progress.c — following restarted agents until they are back, and drawing the progress. */
#include "ctl/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
cmp_agent(const void *a, const void *b)
{
	return strcmp(((const struct wait_agent *)a)->id, ((const struct wait_agent *)b)->id);
}

int
waitset_init(struct waitset *w, const char *const *ids, size_t n, long long t0)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	w->t0 = t0;
	if (n == 0)
		return 0;
	if ((w->a = calloc(n, sizeof(*w->a))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(w->a[i].id, sizeof(w->a[i].id), "%s", ids[i]);
		w->a[i].state = WAIT_SENT;
	}
	qsort(w->a, n, sizeof(*w->a), cmp_agent);
	/* The same agent named twice is followed once. */
	for (i = 0; i < n; i++)
		if (w->n == 0 || strcmp(w->a[w->n - 1].id, w->a[i].id) != 0)
			w->a[w->n++] = w->a[i];
	return 0;
}

void
waitset_free(struct waitset *w)
{
	free(w->a);
	memset(w, 0, sizeof(*w));
}

int
waitset_observe(struct waitset *w, const char *id, const char *status, long long lka)
{
	struct wait_agent key, *a;

	if (w->n == 0)
		return 0;
	snprintf(key.id, sizeof(key.id), "%s", id);
	if ((a = bsearch(&key, w->a, w->n, sizeof(*w->a), cmp_agent)) == NULL)
		return 0;
	snprintf(a->last_status, sizeof(a->last_status), "%s", status ? status : "");
	if (a->state == WAIT_BACK)
		return 0;
	if (status == NULL || strcmp(status, "active") != 0) {
		a->state = WAIT_AWAY;
		return 0;
	}
	if (a->state == WAIT_AWAY || (lka >= 0 && lka > w->t0)) {
		a->state = WAIT_BACK;
		return 1;
	}
	return 0;
}

size_t
waitset_count(const struct waitset *w, int s)
{
	size_t i, n = 0;

	for (i = 0; i < w->n; i++)
		if (w->a[i].state == s)
			n++;
	return n;
}

long long
progress_parse_date(const char *s)
{
	struct tm tm;
	char *end;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*end == '.') {          /* fractions of a second */
		end++;
		while (*end >= '0' && *end <= '9')
			end++;
	}
	if (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0)
		return -1;
	return (long long)timegm(&tm);
}

void
progress_bar(char *buf, size_t cap, size_t back, size_t total, int width)
{
	size_t fill, i, o = 0;
	int pct;

	if (cap == 0)
		return;
	if (width < 1)
		width = 1;
	if (back > total)
		back = total;
	fill = total ? back * (size_t)width / total : (size_t)width;
	pct = total ? (int)(back * 100 / total) : 100;
	buf[0] = '\0';
	if (cap < (size_t)width + 3)
		return;
	buf[o++] = '[';
	for (i = 0; i < (size_t)width; i++)
		buf[o++] = i < fill ? '#' : '.';
	buf[o++] = ']';
	buf[o] = '\0';
	snprintf(buf + o, cap - o, " %zu/%zu back (%d%%)", back, total, pct);
}
