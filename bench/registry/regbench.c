/*
 * regbench — the registry's write rate on one backend (bench/registry_write.py runs it on
 * SQLite and PostgreSQL in the same run).
 *
 *   regbench WHERE N
 *
 * WHERE is an SQLite file (created) or a postgresql:// URI (an empty database).  Adds N
 * agents and writes them as a master does (NODE_FLUSH_ROWS a transaction), changes every
 * one and writes them again, writes N keepalive times (NODE_TOUCH_ROWS a transaction), and
 * records a restart job of the N agents as the job runner does (the job, one wave of N
 * sends, then the N agents' rows).  Prints one JSON object of rows per second.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "node/core/node.h"
#include "node/registry/registry.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
flush_all(struct registry *r)
{
	while (registry_pending(r) > 0)
		if (registry_flush_some(r, NODE_FLUSH_ROWS) == -1)
			return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const char key[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct registry_job_agent *rows = NULL;
	struct registry_job_wave *wave = NULL;
	struct registry_job job;
	struct registry *r;
	struct agent *a;
	uint32_t *ids = NULL;
	double t0, add_s, update_s, touch_s, job_s, create_s, wave_s;
	char name[32], ip[32];
	size_t i, n;
	int rc = 1;

	if (argc != 3 || (n = strtoul(argv[2], NULL, 10)) == 0 || n > 1000000) {
		fprintf(stderr, "usage: regbench WHERE N\n");
		return 2;
	}
	log_init("regbench", 0);
	if ((r = registry_open(argv[1], "bench", "master-node", "v4.12.0")) == NULL)
		return 1;
	if ((ids = calloc(n, sizeof(*ids))) == NULL || (wave = calloc(n, sizeof(*wave))) == NULL ||
	    (rows = calloc(n, sizeof(*rows))) == NULL)
		goto out;

	t0 = now_s();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "agent-%zu", i + 1);
		snprintf(ip, sizeof(ip), "10.%zu.%zu.%zu", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		if ((a = registry_agent_add(r, name, ip, ip, key, NULL, time(NULL))) == NULL)
			goto out;
		ids[i] = a->id;
	}
	if (flush_all(r) == -1)
		goto out;
	add_s = now_s() - t0;

	t0 = now_s();
	for (i = 0; i < n; i++) {
		a = registry_agent_by_id(r, ids[i]);
		a->st.status = AGENT_ACTIVE;
		snprintf(a->st.info.version, sizeof(a->st.info.version), "Wazuh v4.12.0");
		registry_agent_dirty(r, a);
	}
	if (flush_all(r) == -1)
		goto out;
	update_s = now_s() - t0;

	t0 = now_s();
	for (i = 0; i < n; i++) {
		a = registry_agent_by_id(r, ids[i]);
		a->st.last_keepalive = time(NULL) + 1;
		registry_agent_touch(r, a);
	}
	while (registry_touches_pending(r) > 0)
		if (registry_flush_touches(r, NODE_TOUCH_ROWS) == -1)
			goto out;
	touch_s = now_s() - t0;

	t0 = now_s();
	memset(&job, 0, sizeof(job));
	snprintf(job.user, sizeof(job.user), "wazuh");
	snprintf(job.scope, sizeof(job.scope), "all");
	job.created_ms = (int64_t)time(NULL) * 1000;
	job.expires_ms = job.created_ms + 3600000;
	if (registry_job_create(r, &job, ids, n) == -1)
		goto out;
	create_s = now_s() - t0;
	for (i = 0; i < n; i++) {
		wave[i].agent = ids[i];
		snprintf(wave[i].node, sizeof(wave[i].node), "worker%zu", i % 2 + 1);
		wave[i].sid = i + 1;
		rows[i].agent = ids[i];
		rows[i].state = 1;
		rows[i].sent_ms = job.created_ms;
		snprintf(rows[i].node, sizeof(rows[i].node), "%s", wave[i].node);
		rows[i].sid = i + 1;
		rows[i].sends = 1;
	}
	/* a job writes a wave a tick: the first is timed with the statement's preparation */
	if (registry_job_wave_add(r, job.id, job.created_ms, wave, n) == -1)
		goto out;
	wave_s = now_s();
	if (registry_job_wave_add(r, job.id, job.created_ms + 100, wave, n) == -1)
		goto out;
	wave_s = now_s() - wave_s;
	if (registry_job_save(r, job.id, rows, n, NULL, 0, 1) == -1)
		goto out;
	job_s = now_s() - t0;

	printf("{\"backend\": \"%s\", \"agents\": %zu, \"add_rows_per_s\": %.0f, "
	    "\"update_rows_per_s\": %.0f, \"touch_rows_per_s\": %.0f, \"job_s\": %.4f, "
	    "\"job_create_s\": %.4f, \"job_wave_s\": %.4f}\n",
	    strncmp(argv[1], "postgres", 8) == 0 ? "postgresql" : "sqlite", n, (double)n / add_s,
	    (double)n / update_s, (double)n / touch_s, job_s, create_s, wave_s);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "regbench: a write failed\n");
	free(rows);
	free(wave);
	free(ids);
	registry_close(r);
	return rc;
}
