/* cluster_faults.c — test-only fault injection on the sync stream (--test-faults).
 *
 * Compiled only into vigild-test (-DVIGIL_TEST_FAULTS, see the Makefile), as
 * SQLite compiles its test hooks only with SQLITE_TEST: the vigild that users
 * run has none of it, not even a branch in the send path.
 */
#ifdef VIGIL_TEST_FAULTS
#include "node/cluster/cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/err.h>

#include "lib/log.h"
#include "lib/tls_psk.h"
#include "node/core/agent.h"
#include "node/registry/registry.h"
#include "node/agents/session.h"
#include "proto/cmsg.h"
#include "node/cluster/cluster_int.h"

/*
 * clu_faults_take: test-only.  Decides the fate of an outgoing sync frame under
 * fault injection: dropped, held for later, or duplicated.  Returns 1 when it
 * took the frame (the caller must not write it), 0 to send it normally.
 */
int
clu_faults_take(struct cluster *c, uint8_t *f, size_t len)
{
	struct peer *p = TAILQ_FIRST(&c->peers);

	if (c->faults_ev == NULL)
		return 0;
	if (c->drop > 0) {
		c->drop--;
		free(f);
		return 1;
	}
	if (c->hold) {
		if (c->nheld == c->capheld) {
			size_t cap = c->capheld ? c->capheld * 2 : 64;
			struct held *v = realloc(c->held, cap * sizeof(*v));

			if (v == NULL) {
				free(f);
				return 1;
			}
			c->held = v;
			c->capheld = cap;
		}
		c->held[c->nheld].f = f;
		c->held[c->nheld].len = len;
		c->nheld++;
		return 1;
	}
	if (c->dup && p != NULL)
		bufferevent_write(p->bev, f, len);
	return 0;
}

/* ---- test-only fault injection (--test-faults) ---- */

static void
faults_release(struct cluster *c, int reverse)
{
	struct peer *p = TAILQ_FIRST(&c->peers);
	size_t i, k;

	for (i = 0; i < c->nheld; i++) {
		k = reverse ? c->nheld - 1 - i : i;
		if (p != NULL && !p->closing)
			bufferevent_write(p->bev, c->held[k].f, c->held[k].len);
		free(c->held[k].f);
	}
	c->nheld = 0;
}

static void
faults_delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *c = arg;

	(void)fd;
	(void)what;
	log_info("faults: delay over, releasing %zu held batches", c->nheld);
	c->hold = 0;
	faults_release(c, 0);
}

static void
faults_run(struct node *n, const char *cmd)
{
	struct cluster *c = n->cluster;
	struct peer *p;

	log_info("faults: %s", cmd);
	if (strcmp(cmd, "hold") == 0)
		c->hold = 1;
	else if (strcmp(cmd, "release") == 0 || strcmp(cmd, "release-reverse") == 0) {
		c->hold = 0;
		faults_release(c, strcmp(cmd, "release-reverse") == 0);
	} else if (strcmp(cmd, "dup on") == 0)
		c->dup = 1;
	else if (strcmp(cmd, "dup off") == 0)
		c->dup = 0;
	else if (strncmp(cmd, "delay ", 6) == 0) {
		/* Hold the stream now and release it, in order, after that many ms. */
		long ms = atol(cmd + 6);
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

		c->hold = 1;
		if (c->delay_ev == NULL)
			c->delay_ev = evtimer_new(n->base, faults_delay_cb, c);
		evtimer_add(c->delay_ev, &tv);
	} else if (strncmp(cmd, "drop ", 5) == 0)
		c->drop = atoi(cmd + 5);
	else if (strcmp(cmd, "cut") == 0) {
		/* The link dies with the held frames in flight: they are lost. */
		c->hold = 0;
		for (; c->nheld > 0; c->nheld--)
			free(c->held[c->nheld - 1].f);
		while ((p = TAILQ_FIRST(&c->peers)) != NULL)
			clu_close(p, "fault injection: link cut");
	} else if (strcmp(cmd, "jobs-unsaved") == 0) {
		n->fault_jobs_unsaved = 1;
	} else if (strcmp(cmd, "jobs-record-fails") == 0) {
		n->fault_jobs_record_fails = 1;
	} else if (strcmp(cmd, "kick-agents") == 0) {
		/* Stop listening (connections are refused) and drop every agent. */
		if (n->agent_lsn != NULL) {
			node_listen_forget(n, n->agent_lsn);
			evconnlistener_free(n->agent_lsn);
			n->agent_lsn = NULL;
		}
		session_close_all(n, "fault injection: agents kicked");
	} else if (strcmp(cmd, "accept-agents") == 0) {
		if (n->agent_lsn == NULL && session_listen(n) == -1)
			log_warnx("faults: cannot listen for agents again");
	}
	else
		log_warnx("faults: unknown command '%s'", cmd);
}

/* clu_faults_cb: every 50 ms, runs and removes <data-dir>/faults.cmd (one command a line). */
void
clu_faults_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;
	char path[600], line[128];
	FILE *f;

	(void)fd;
	(void)what;
	snprintf(path, sizeof(path), "%s/faults.cmd", n->cfg.data_dir);
	if ((f = fopen(path, "r")) == NULL)
		return;
	unlink(path);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0')
			faults_run(n, line);
	}
	fclose(f);
}
#endif /* VIGIL_TEST_FAULTS */
