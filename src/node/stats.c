/*
 * stats.c — the node's counters, written every second to DATA_DIR/stats.json
 * for operators and benchmarks: sessions, frames, keepalives, sync,
 * registry writes, CPU time and memory.  Not fsynced: it is a gauge, and a
 * crash loses nothing that matters.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/log.h"
#include "lib/procstat.h"
#include "node/cluster/cluster.h"
#include "node/core/node.h"
#include "node/registry/registry.h"

static double
tv_seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

json_t *
node_stats_json(struct node *n)
{
	const struct node_stats *s = &n->stats;
	struct rusage ru;
	uint64_t rows, commits;
	json_t *j;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		memset(&ru, 0, sizeof(ru));
	registry_write_stats(n->reg, &rows, &commits);
	j = json_pack("{s:s, s:s, s:I, s:I}", "node", n->cfg.name,
	    "role", n->cfg.role == ROLE_WORKER ? "worker" : "master",
	    "time", (json_int_t)time(NULL), "sessions", (json_int_t)n->nsessions);
	if (j == NULL)
		return NULL;
#define SET(k, v) json_object_set_new(j, k, json_integer((json_int_t)(v)))
	SET("sessions_opened", s->sessions_opened);
	SET("sessions_closed", s->sessions_closed);
	SET("frames_in", s->frames_in);
	SET("frames_bad", s->frames_bad);
	SET("decrypt_failures", s->decrypt_failures);
	SET("agents_invalid_id", s->agents_invalid_id);
	SET("events_in", s->events_in);
	SET("agent_starts", s->agent_starts);
	SET("keepalives", s->keepalives);
	SET("overtakes", s->overtakes);
	SET("enrollments", s->enrollments);
	SET("enroll_failures", s->enroll_failures);
	SET("restarts_sent", s->restarts_sent);
	SET("link_read_more", s->link_read_more);
	SET("reconnects_sent", s->reconnects_sent);
	SET("commands_repeated", s->commands_repeated);
	SET("api_requests", s->api_requests);
	SET("logins_refused", s->logins_refused);
	SET("api_bodies_short", s->api_bodies_short);
	SET("api_body_reserved", n->api_body_reserved);
	SET("logins_checking", s->logins_checking);
	SET("sync_applied", s->sync_applied);
	SET("sync_stale", s->sync_stale);
	SET("sync_fenced", s->sync_fenced);
	SET("sync_pending", s->sync_pending);
	SET("accept_paused", s->accept_paused);
	SET("conn_refused", s->conn_refused);
	SET("deadline_closed", s->deadline_closed);
	SET("frames_timed_out", s->frames_timed_out);
	SET("enroll_rate_limited", s->enroll_rate_limited);
	SET("sync_touches", s->sync_touches);
	SET("sync_refused", s->sync_refused);
	SET("sessions_refused", s->sessions_refused);
	SET("shared_pushes", s->shared_pushes);
	SET("shared_pushes_deferred", s->shared_pushes_deferred);
	SET("registry_rows_written", rows);
	SET("registry_commits", commits);
	SET("rss_kb", procstat_rss_kb());
#undef SET
	if (n->cfg.role == ROLE_WORKER) {
		/* the master this worker is joined to now: "" while it has none */
		const char *mname = "", *maddr = "";

		cluster_master_joined(n, &mname, &maddr);
		json_object_set_new(j, "master", json_string(maddr));
		json_object_set_new(j, "master_name", json_string(mname));
	}
	json_object_set_new(j, "cpu_user_s", json_real(tv_seconds(ru.ru_utime)));
	json_object_set_new(j, "cpu_system_s", json_real(tv_seconds(ru.ru_stime)));
	return j;
}

void
node_write_stats(struct node *n)
{
	char path[600], tmp[610], *text;
	json_t *j;
	size_t len;
	ssize_t w;
	int fd;

	if ((j = node_stats_json(n)) == NULL)
		return;
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text == NULL)
		return;
	snprintf(path, sizeof(path), "%s/stats.json", n->cfg.data_dir);
	snprintf(tmp, sizeof(tmp), "%s/.stats.json.tmp", n->cfg.data_dir);
	len = strlen(text);
	/*
	 * A fresh temporary file each time (O_EXCL: never through a link planted
	 * under that name), renamed over stats.json (which replaces a link
	 * there, never writes through it).  Not fsynced: a gauge.
	 */
	if ((unlink(tmp) == -1 && errno != ENOENT) ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		free(text);
		return;
	}
	w = write(fd, text, len);
	free(text);
	if (close(fd) == -1 || w != (ssize_t)len || rename(tmp, path) == -1)
		unlink(tmp);
}
