/*
 * main.c — vigil-sim: N simulated Wazuh 4.x agents on one event loop.  Each
 * enrolls (or reuses its key from DATA_DIR/sim-keys), connects, does the
 * startup/ack handshake, keepalives, and answers a restart command by
 * recording its arrival, closing and coming back after --restart-delay as a
 * new process (its first session says "Agent started"; moves and flaps do not).
 * Scenarios: migration and flapping at a rate, jittered reconnects, a mix
 * of versions.  A JSON summary goes to stdout at exit and to --summary FILE
 * every second; --agent-file has one line per agent; --control takes
 * commands on stdin.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "agent/backoff.h"
#include "agent/mgrlist.h"
#include "agent/sharedrx.h"
#include "lib/sysinfo.h"
#include "lib/log.h"
#include "lib/procstat.h"
#include "lib/tls.h"
#include "proto/enroll.h"
#include "proto/merged.h"
#include "sim/sim.h"

#define SIM_RETRY_BASE_MS 1000
#define SIM_RETRY_CAP_MS 30000
#define SIM_ENROLL_TIMEOUT_MS 30000
#define SIM_STOP_GRACE_MS 2500
#define SIM_CONNECT_SPREAD_MAX_MS 5000
#define SIM_LOG_LIMIT 20
#define SIM_CHURN_TICK_MS 100
#define SIM_PRIOS 3          /* event priorities: default 1 (sockets, control), ... */
#define SIM_PRIO_REACT 2     /* ...agents' timers last */
#define SIM_CHURN_TRIES 8
/*
 * Churn leaves an agent alone for its first second on a session: a Wazuh agent
 * fails over after its time-reconnect, not within milliseconds of an ack (and
 * a process that had just started must get its "Agent started" out first).
 */
#define SIM_CHURN_SETTLE_MS 1000
/*
 * Reads first: an agent's reaction to a restart waits until no command has
 * arrived in this process for SIM_REACT_QUIET_MS (at most SIM_REACT_DEFER_MAX_MS).
 * Real agents restart on their own CPUs; here thousands share one loop, and
 * their shutdowns would otherwise delay the reading of the others' commands.
 */
#define SIM_REACT_QUIET_MS 20
#define SIM_REACT_DEFER_MAX_MS 1000

static struct sim S;

static void sim_connect(struct sim_agent *ag);
static void sim_enroll_pump(void);
static unsigned char sim_version_of(unsigned int i);
static void sim_go(struct sim_agent *ag, enum sim_go why);

static void
sim_arm(struct sim_agent *ag, unsigned int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ag->timer, &tv);
}

static void
sim_set_error(struct sim_agent *ag, const char *why)
{
	size_t n = strlen(why);

	/* truncation is fine: this is a hint for the summary */
	if (n >= sizeof(ag->last_error))
		n = sizeof(ag->last_error) - 1;
	memcpy(ag->last_error, why, n);
	ag->last_error[n] = '\0';
}

/* Per-agent timer: whatever the state is waiting for. */
static void
sim_timercb(evutil_socket_t fd, short what, void *arg)
{
	struct sim_agent *ag = arg;

	(void)fd;
	(void)what;
	if (S.stopping)
		return;
	switch (ag->state) {
	case SIM_RESTART_DUE: {
		uint64_t now = sim_now_ms();

		if (now - S.last_command_ms < SIM_REACT_QUIET_MS &&
		    now - ag->last_restart_ms < SIM_REACT_DEFER_MAX_MS) {
			sim_arm(ag, SIM_REACT_QUIET_MS);   /* commands still arriving */
			break;
		}
		if (ag->ac != NULL && aconn_state(ag->ac) == ACONN_UP)
			sim_go(ag, SIM_GO_RESTART);
		break;
	}
	case SIM_ENROLL_WAIT:
		ag->state = SIM_PENDING;
		S.enroll_queue[S.eq_tail++ % S.eq_cap] = ag->idx;
		sim_enroll_pump();
		break;
	case SIM_PENDING:
	case SIM_RESTARTING:
	case SIM_DISCONNECTED:
		if (ag->has_key)
			sim_connect(ag);
		break;
	default:
		break;
	}
}

/* An extra random delay for reconnects, [0, --reconnect-jitter]. */
static unsigned int
sim_jitter(void)
{
	return S.o.reconnect_jitter_ms > 0 ? backoff_rand() % (S.o.reconnect_jitter_ms + 1) : 0;
}

static void
sim_retry(struct sim_agent *ag, enum sim_state st)
{
	unsigned int ms;

	ms = backoff_delay_ms(ag->attempt, SIM_RETRY_BASE_MS, SIM_RETRY_CAP_MS, backoff_rand());
	if (ag->attempt < 32)
		ag->attempt++;
	ag->state = st;
	sim_arm(ag, ms);
}

/* ---- secure channel callbacks ---- */

static void
sim_up(struct aconn *ac, void *arg)
{
	struct sim_agent *ag = arg;

	ag->state = SIM_ACTIVE;
	ag->sessions++;
	ag->process_starts += aconn_announced(ac);
	ag->attempt = 0;
	ag->last_up_ms = sim_now_ms();
	ag->up_us = sim_wall_us();
	log_debug("%s (%s): up, session %u", ag->name, ag->key.id, ag->sessions);
	if (ag->traced) {
		char mgr[300];

		ag->traced = 0;
		if (mgrlist_format(&S.o.managers[ag->mgr], mgr, sizeof(mgr)) == -1)
			mgr[0] = '\0';
		printf("{\"event\":\"up\",\"idx\":%u,\"id\":\"%s\",\"manager\":\"%s\","
		    "\"up_us\":%llu,\"process_starts\":%u}\n", ag->idx, ag->key.id, mgr,
		    (unsigned long long)ag->up_us, ag->process_starts);
		fflush(stdout);
	}
}

/* Keeps the arrival time of a command (the first SIM_CMD_KEEP of them). */
static void
sim_record_command(struct sim_agent *ag, uint64_t us)
{
	uint64_t *p;
	unsigned int cap;

	ag->commands++;
	if (ag->ncmd == ag->cmd_cap) {
		if (ag->cmd_cap >= SIM_CMD_KEEP)
			return;
		cap = ag->cmd_cap == 0 ? 2 : ag->cmd_cap * 2;
		if ((p = realloc(ag->cmd_us, cap * sizeof(*p))) == NULL)
			return;
		ag->cmd_us = p;
		ag->cmd_cap = cap;
	}
	ag->cmd_us[ag->ncmd++] = us;
}

/*
 * Closes the agent's live session for a reason sim_down acts on.  Only a
 * restart is a process that exits ("#!-agent shutdown", then a new process
 * says "Agent started"); a Wazuh agent changes manager by failover in the same
 * process, so a move, like a flap, just drops the link.
 */
static void
sim_go(struct sim_agent *ag, enum sim_go why)
{
	ag->go = (unsigned char)why;
	ag->state = SIM_CLOSING;
	if (why == SIM_GO_RESTART)
		aconn_shutdown(ag->ac);
	else
		aconn_close(ag->ac, why == SIM_GO_MOVE ? "move" : "flap");
}

static void
sim_restart(struct aconn *ac, const char *msg, size_t len, void *arg)
{
	struct sim_agent *ag = arg;

	(void)ac;
	sim_record_command(ag, sim_wall_us());
	ag->restarts++;
	ag->last_restart_ms = S.last_command_ms = sim_now_ms();
	if (memmem(msg, len, "restart-ossec0", 14) != NULL)
		ag->legacy++;
	log_debug("%s (%s): restart command #%u: %.*s", ag->name, ag->key.id, ag->restarts,
	    (int)(len > 60 ? 60 : len), msg);
	if (ag->deaf > 0) {
		/* as an agent whose execd failed: the command came and nothing happened */
		ag->deaf--;
		ag->ignored++;
		return;
	}
	/*
	 * React later, once the burst of commands is read (SIM_REACT_QUIET_MS):
	 * a real agent restarts on its own CPU, so the work of this one's
	 * shutdown must not delay the arrival of the others' commands.
	 */
	if (ag->go == SIM_GO_NONE && ag->state == SIM_ACTIVE) {
		ag->state = SIM_RESTART_DUE;
		sim_arm(ag, SIM_REACT_QUIET_MS);
	}
}

/*
 * sim_reconnect: "#!-force_reconnect", as Wazuh's agent handles it: drop the
 * link (no shutdown message) and start again with the same manager at once.
 */
static void
sim_reconnect(struct aconn *ac, void *arg)
{
	struct sim_agent *ag = arg;

	ag->reconnects++;
	log_debug("%s (%s): force_reconnect #%u", ag->name, ag->key.id, ag->reconnects);
	if (ag->go != SIM_GO_NONE || ag->state != SIM_ACTIVE)
		return;   /* already closing (a restart is due, a move...): that close will do */
	ag->go = SIM_GO_RECONNECT;
	ag->state = SIM_CLOSING;
	aconn_close(ac, "force_reconnect");
}

static void
sim_message(struct aconn *ac, const char *msg, size_t len, void *arg)
{
	struct sim_agent *ag = arg;

	(void)ac;
	if (control_classify(msg, len) == CONTROL_EXECD)
		sim_record_command(ag, sim_wall_us());
	else
		ag->messages++;
	/*
	 * A shared-config push: like a real agent, report the received file's
	 * md5 from now on, so the manager stops pushing it at every keepalive.
	 * The receiver lives only while a push is under way (thousands of agents).
	 */
	if (ag->shared == NULL && len > sizeof(MERGED_UP_PREFIX) - 1 &&
	    memcmp(msg, MERGED_UP_PREFIX, sizeof(MERGED_UP_PREFIX) - 1) == 0) {
		if ((ag->shared = malloc(sizeof(*ag->shared))) != NULL)
			sharedrx_init(ag->shared);
	}
	if (ag->shared != NULL) {
		switch (sharedrx_feed(ag->shared, msg, len)) {
		case SHAREDRX_DONE:
			memcpy(ag->merged_sum, ag->shared->md5, sizeof(ag->merged_sum));
			/* FALLTHROUGH */
		case SHAREDRX_BAD:
			sharedrx_free(ag->shared);
			free(ag->shared);
			ag->shared = NULL;
			break;
		default:
			break;
		}
	}
	log_debug("%s (%s): message: %.*s", ag->name, ag->key.id, (int)(len > 100 ? 100 : len), msg);
}

static void
sim_down(struct aconn *ac, int was_up, const char *reason, void *arg)
{
	struct sim_agent *ag = arg;

	(void)ac;
	if (S.stopping) {
		ag->state = SIM_STOPPED;
		if (S.closing > 0)
			S.closing--;
		if (S.closing == 0 && !S.stop_scan)
			event_base_loopbreak(S.base);
		return;
	}
	/*
	 * A restart command read but not yet acted on (SIM_REACT_QUIET_MS): a
	 * Wazuh agent's execd restarts it whatever became of the link, so the
	 * command is carried out now, not forgotten with the link.
	 */
	if (ag->state == SIM_RESTART_DUE)
		ag->go = SIM_GO_RESTART;
	switch ((enum sim_go)ag->go) {
	case SIM_GO_RESTART:
		ag->go = SIM_GO_NONE;
		ag->attempt = 0;
		ag->state = SIM_RESTARTING;
		aconn_announce_start(ag->ac);   /* the new process says "Agent started" */
		sim_arm(ag, S.o.restart_delay_ms + sim_jitter());
		return;
	case SIM_GO_RECONNECT:
		ag->go = SIM_GO_NONE;
		ag->attempt = 0;
		ag->state = SIM_DISCONNECTED;
		sim_arm(ag, 0);
		return;
	case SIM_GO_MOVE:
	case SIM_GO_FLAP:
		if (ag->go == SIM_GO_MOVE) {
			ag->moves++;
			S.moves++;
			ag->mgr = (ag->mgr + 1) % S.o.nmanagers;
		} else {
			ag->flaps++;
			S.flaps++;
		}
		ag->go = SIM_GO_NONE;
		ag->attempt = 0;
		ag->state = SIM_DISCONNECTED;
		sim_arm(ag, sim_jitter());
		return;
	case SIM_GO_NONE:
		break;
	}
	ag->failures++;
	sim_set_error(ag, reason);
	/* thousands of agents fail together when a manager goes away: log a few */
	if (++S.failure_logs <= SIM_LOG_LIMIT || log_getverbose() > 1)
		log_info("%s (%s): %s: %s", ag->name, ag->key.id,
		    was_up ? "lost manager" : "could not reach manager", reason);
	ag->mgr = (ag->mgr + 1) % S.o.nmanagers;
	sim_retry(ag, SIM_DISCONNECTED);
}

static ssize_t
sim_keepalive(struct aconn *ac, char *buf, size_t cap, void *arg)
{
	struct sim_agent *ag = arg;
	struct agent_info ai;

	ai = S.vers[ag->ver].ai;
	snprintf(ai.os_uname, sizeof(ai.os_uname), "%.40s |%.128s |%.300s |%.32s", S.uname_fmt[0], ag->name,
	    S.uname_fmt[1], S.uname_fmt[2]);
	snprintf(ai.agent_ip, sizeof(ai.agent_ip), "%s", aconn_local_ip(ac));
	if (ag->merged_sum[0] != '\0')
		memcpy(ai.merged_sum, ag->merged_sum, sizeof(ag->merged_sum));
	return control_format_keepalive(buf, cap, &ai);
}

static const struct aconn_cb sim_cb = {
	.up = sim_up,
	.restart = sim_restart,
	.reconnect = sim_reconnect,
	.message = sim_message,
	.down = sim_down,
	.keepalive = sim_keepalive,
	.counter = NULL,
};

static void
sim_connect(struct sim_agent *ag)
{
	int tries;

	/* skip managers that did not resolve at start */
	for (tries = 0; tries < S.o.nmanagers && !S.mgr_ok[ag->mgr]; tries++)
		ag->mgr = (ag->mgr + 1) % S.o.nmanagers;
	ag->state = SIM_CONNECTING;
	if (aconn_connect(ag->ac, (struct sockaddr *)&S.mgr_addr[ag->mgr], S.mgr_len[ag->mgr]) == -1) {
		ag->failures++;
		snprintf(ag->last_error, sizeof(ag->last_error), "connect: %s", strerror(errno));
		ag->mgr = (ag->mgr + 1) % S.o.nmanagers;
		sim_retry(ag, SIM_DISCONNECTED);
		return;
	}
}

/* The agent has a key: prepare its connection and connect after delay_ms. */
static void
sim_start_channel(struct sim_agent *ag, unsigned int delay_ms)
{
	if (ag->ac == NULL &&
	    (ag->ac = aconn_new(S.base, &S.vers[ag->ver].conf, &sim_cb, ag)) == NULL)
		fatalx("out of memory");
	aconn_set_key(ag->ac, &ag->key);
	/*
	 * Counters: start each run above every earlier one without persisting
	 * them per agent, by starting the global counter at the current time.
	 * (--counter fixed and reset override this in aconn.)
	 */
	aconn_set_counters(ag->ac, (unsigned int)time(NULL), 0);
	aconn_announce_start(ag->ac);   /* the agent's first process */
	ag->state = SIM_PENDING;
	sim_arm(ag, delay_ms);
}

/* ---- enrollment ---- */

static void
sim_enroll_done(const struct enroll_reply *r, const char *err, void *arg)
{
	struct sim_agent *ag = arg;
	char why[600];

	ag->enr = NULL;
	S.enrolling--;
	if (r != NULL && keyfile_from_reply(r, ag->name, &ag->key, why, sizeof(why)) == 0) {
		ag->has_key = 1;
		ag->attempt = 0;
		if (keyfile_append(S.keys_path, &ag->key) == -1)
			log_warnx("%s: key not saved to %s", ag->name, S.keys_path);
		log_debug("%s: enrolled as %s", ag->name, ag->key.id);
		sim_start_channel(ag, 0);
	} else {
		if (r == NULL)
			snprintf(why, sizeof(why), "%s", err);
		S.enroll_errors++;
		sim_set_error(ag, why);
		if (S.enroll_errors <= SIM_LOG_LIMIT)
			log_warnx("%s: enrollment failed: %s", ag->name, why);
		sim_retry(ag, SIM_ENROLL_WAIT);
	}
	sim_enroll_pump();
}

static void
sim_enroll_start(struct sim_agent *ag)
{
	char req[ENROLL_LINE_MAX], ver[20];
	ssize_t n;

	snprintf(ver, sizeof(ver), "v%s", S.vers[ag->ver].version);
	n = enroll_format_request(req, sizeof(req), ag->name,
	    S.has_password ? S.password : NULL, ver, NULL, NULL);
	if (n <= 0)
		fatalx("cannot build the enrollment request for '%s'", ag->name);
	ag->state = SIM_ENROLLING;
	ag->enr = enrollc_start(S.base, S.tls, S.o.ca[0] != '\0' && S.o.host_check ?
	    S.o.enroll.host : NULL, (struct sockaddr *)&S.enroll_addr, S.enroll_len,
	    req, (size_t)n, SIM_ENROLL_TIMEOUT_MS, sim_enroll_done, ag);
	explicit_bzero(req, sizeof(req));
	if (ag->enr == NULL) {
		sim_set_error(ag, "enrollment could not start");
		S.enroll_errors++;
		sim_retry(ag, SIM_ENROLL_WAIT);
		return;
	}
	S.enrolling++;
}

/* Starts queued enrollments up to --enroll-concurrency. */
static void
sim_enroll_pump(void)
{
	while (!S.stopping && S.enrolling < S.o.enroll_concurrency && S.eq_head != S.eq_tail)
		sim_enroll_start(&S.agents[S.enroll_queue[S.eq_head++ % S.eq_cap]]);
}

/* ---- summary, signals, stop ---- */

static void
sim_write_summary(json_t *j)
{
	if (S.o.summary[0] != '\0' && j != NULL && sim_summary_write(S.o.summary, j) == -1)
		log_warnx("cannot write %s", S.o.summary);
}

static void
sim_summarycb(evutil_socket_t fd, short what, void *arg)
{
	json_t *j;

	(void)fd;
	(void)what;
	(void)arg;
	if (S.stopping)
		return;
	j = sim_summary(&S, 0, S.o.summary_brief);
	sim_write_summary(j);
	json_decref(j);
}

static void
sim_gracecb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	event_base_loopbreak(S.base);
}

static struct event *sim_grace;

/* Stop: snapshot the summary first (it shows the live state), then close everyone. */
static void
sim_stop(const char *why)
{
	struct timeval tv = { SIM_STOP_GRACE_MS / 1000, (SIM_STOP_GRACE_MS % 1000) * 1000 };
	struct sim_agent *ag;
	unsigned int i;

	if (S.stopping)
		return;
	log_info("stopping: %s", why);
	S.final = sim_summary(&S, 1, S.o.summary_brief);
	S.stopping = 1;
	S.closing = 0;
	S.stop_scan = 1;   /* connections that close synchronously must not end the loop yet */
	for (i = 0; i < S.o.agents; i++) {
		ag = &S.agents[i];
		evtimer_del(ag->timer);
		if (ag->enr != NULL) {
			enrollc_cancel(ag->enr);
			ag->enr = NULL;
		}
		if (ag->ac != NULL && aconn_state(ag->ac) != ACONN_IDLE) {
			S.closing++;
			aconn_shutdown(ag->ac);   /* may call sim_down synchronously */
		}
		if (ag->ac == NULL || aconn_state(ag->ac) == ACONN_IDLE)
			ag->state = SIM_STOPPED;
	}
	S.stop_scan = 0;
	if (S.closing == 0) {
		event_base_loopbreak(S.base);
		return;
	}
	evtimer_add(sim_grace, &tv);
}

static void
sim_sigcb(evutil_socket_t sig, short what, void *arg)
{
	json_t *j;

	(void)what;
	(void)arg;
	if (sig == SIGUSR1) {
		j = sim_summary(&S, 0, S.o.summary_brief);
		sim_write_summary(j);
		json_decref(j);
		return;
	}
	sim_stop(sig == SIGINT ? "SIGINT" : "SIGTERM");
}

static void
sim_durationcb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sim_stop("duration reached");
}

/* ---- scenarios: migration and flapping ---- */

/* Picks a random active agent (a few tries) and closes its session for why. */
static void
sim_churn_one(enum sim_go why)
{
	struct sim_agent *ag;
	int tries;

	for (tries = 0; tries < SIM_CHURN_TRIES; tries++) {
		ag = &S.agents[backoff_rand() % S.o.agents];
		if (ag->state == SIM_ACTIVE && ag->go == SIM_GO_NONE &&
		    sim_now_ms() - ag->last_up_ms >= SIM_CHURN_SETTLE_MS) {
			sim_go(ag, why);
			return;
		}
	}
	S.churn_skipped++;
}

static void
sim_churncb(evutil_socket_t fd, short what, void *arg)
{
	double per_tick = (double)S.o.agents * SIM_CHURN_TICK_MS / 1000.0 / 100.0;

	(void)fd;
	(void)what;
	(void)arg;
	if (S.stopping)
		return;
	S.migrate_acc += S.o.migrate_rate * per_tick;
	S.flap_acc += S.o.flap_rate * per_tick;
	for (; S.migrate_acc >= 1.0; S.migrate_acc -= 1.0)
		sim_churn_one(SIM_GO_MOVE);
	for (; S.flap_acc >= 1.0; S.flap_acc -= 1.0)
		sim_churn_one(SIM_GO_FLAP);
}

/* Starts the churn tick (once). */
static void
sim_churn_start(void)
{
	struct timeval tick = { 0, SIM_CHURN_TICK_MS * 1000 };

	if (S.churn_ev != NULL)
		return;
	if (S.o.migrate_rate > 0 && S.o.nmanagers < 2)
		log_warnx("migration with one manager: agents reconnect to the same one");
	if ((S.churn_ev = event_new(S.base, -1, EV_PERSIST, sim_churncb, NULL)) == NULL)
		fatalx("event_new");
	event_add(S.churn_ev, &tick);
}

/* ---- control: commands on stdin, JSON lines on stdout ---- */

static void
sim_reply(json_t *j)
{
	char *text;

	if (j != NULL && (text = json_dumps(j, JSON_COMPACT)) != NULL) {
		printf("%s\n", text);
		free(text);
	}
	json_decref(j);
	fflush(stdout);
}

static void sim_stop(const char *why);

/*
 * "move IDX...", "flap IDX...", "restart IDX...": each active agent drops its
 * link and reconnects to the next manager, or to the same one (the same
 * process: no "#!-agent shutdown", no "Agent started"), or restarts as a new
 * process by itself (shutdown, then after --restart-delay a session that says
 * "Agent started"); each is reported on stdout when it is up again.
 */
static json_t *
sim_control_go(char *args, enum sim_go why)
{
	unsigned long idx;
	unsigned int started = 0, skipped = 0;
	char *tok, *save = NULL, *end;
	struct sim_agent *ag;

	for (tok = strtok_r(args, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		idx = strtoul(tok, &end, 10);
		if (*end != '\0' || idx >= S.o.agents)
			return json_pack("{s:s, s:s}", "event", "error", "detail", "bad agent index");
		ag = &S.agents[idx];
		if (ag->state != SIM_ACTIVE || ag->go != SIM_GO_NONE) {
			skipped++;
			continue;
		}
		ag->traced = 1;
		sim_go(ag, why);
		started++;
	}
	return json_pack("{s:s, s:i, s:i}", "event", why == SIM_GO_MOVE ? "move" :
	    why == SIM_GO_FLAP ? "flap" : "restart", "started", started, "skipped", skipped);
}

/* "deaf IDX...": each agent ignores the next restart command it receives. */
static json_t *
sim_control_deaf(char *args)
{
	unsigned long idx;
	unsigned int n = 0;
	char *tok, *save = NULL, *end;

	for (tok = strtok_r(args, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		idx = strtoul(tok, &end, 10);
		if (*end != '\0' || idx >= S.o.agents)
			return json_pack("{s:s, s:s}", "event", "error", "detail", "bad agent index");
		S.agents[idx].deaf++;
		n++;
	}
	return json_pack("{s:s, s:i}", "event", "deaf", "agents", n);
}

static void sim_churn_start(void);

/* "rate migrate|flap PCT": changes a churn rate while running. */
static json_t *
sim_control_rate(char *args)
{
	char what[16];
	double pct;
	char *end;

	if (sscanf(args, "%15s", what) != 1 || (args = strchr(args, ' ')) == NULL)
		goto bad;
	pct = strtod(args + 1, &end);
	if (end == args + 1 || *end != '\0' || !(pct >= 0.0 && pct <= 100.0))
		goto bad;
	if (strcmp(what, "migrate") == 0)
		S.o.migrate_rate = pct;
	else if (strcmp(what, "flap") == 0)
		S.o.flap_rate = pct;
	else
		goto bad;
	sim_churn_start();
	return json_pack("{s:s, s:f, s:f}", "event", "rate", "migrate", S.o.migrate_rate,
	    "flap", S.o.flap_rate);
bad:
	return json_pack("{s:s, s:s}", "event", "error", "detail",
	    "usage: rate migrate|flap PERCENT_PER_SECOND (0..100)");
}

static void
sim_control_line(char *line)
{
	char *args = line + strcspn(line, " ");
	unsigned long long us;
	json_t *j;

	if (*args != '\0')
		*args++ = '\0';
	if (strcmp(line, "mark") == 0) {
		us = *args != '\0' ? strtoull(args, NULL, 10) : 0;
		S.mark_us = us > 0 ? us : sim_wall_us();
		sim_reply(json_pack("{s:s, s:I}", "event", "mark", "us", (json_int_t)S.mark_us));
	} else if (strcmp(line, "move") == 0) {
		sim_reply(sim_control_go(args, SIM_GO_MOVE));
	} else if (strcmp(line, "flap") == 0) {
		sim_reply(sim_control_go(args, SIM_GO_FLAP));
	} else if (strcmp(line, "restart") == 0) {
		sim_reply(sim_control_go(args, SIM_GO_RESTART));
	} else if (strcmp(line, "deaf") == 0) {
		sim_reply(sim_control_deaf(args));
	} else if (strcmp(line, "dump") == 0 && *args != '\0') {
		sim_reply(json_pack("{s:s, s:s, s:b}", "event", "dump", "path", args,
		    "ok", sim_agent_file(&S, args) == 0));
	} else if (strcmp(line, "summary") == 0) {
		j = sim_summary(&S, 0, 1);
		if (j != NULL)
			json_object_set_new(j, "event", json_string("summary"));
		sim_reply(j);
	} else if (strcmp(line, "rate") == 0) {
		sim_reply(sim_control_rate(args));
	} else if (strcmp(line, "quit") == 0) {
		sim_stop("quit command");
	} else if (line[0] != '\0') {
		sim_reply(json_pack("{s:s, s:s}", "event", "error", "detail",
		    "unknown command (mark [US], move|flap|restart|deaf IDX..., rate migrate|flap PCT, "
		    "dump FILE, summary, quit)"));
	}
}

static void
sim_controlcb(evutil_socket_t fd, short what, void *arg)
{
	char *line;
	size_t len;
	int n;

	(void)what;
	(void)arg;
	n = evbuffer_read(S.control_in, fd, 65536);
	while ((line = evbuffer_readln(S.control_in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		sim_control_line(line);
		free(line);
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		event_del(S.control_ev);
		sim_stop("control input closed");
	}
}

/* ---- start-up ---- */

static void
sim_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit");
		return;
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit");
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)S.o.agents + 64)
		log_warnx("file descriptor limit %llu is low for %u agents",
		    (unsigned long long)rl.rlim_cur, S.o.agents);
}

static void
sim_read_password(void)
{
	char buf[256];
	ssize_t n;
	int fd;

	if (S.o.password_file[0] == '\0')
		return;
	if ((fd = open(S.o.password_file, O_RDONLY | O_CLOEXEC)) == -1)
		fatal("open %s", S.o.password_file);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		fatal("read %s", S.o.password_file);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0')
		fatalx("%s: empty password", S.o.password_file);
	memcpy(S.password, buf, strlen(buf) + 1);
	explicit_bzero(buf, sizeof(buf));
	S.has_password = 1;
}

static int
sim_key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct keyfile_entry *)a)->name,
	    ((const struct keyfile_entry *)b)->name);
}

static void
sim_setup_agents(void)
{
	struct keyfile_entry *keys = NULL, probe, *found;
	size_t nkeys = 0;
	unsigned int i, spread, have = 0;
	struct sim_agent *ag;
	int n;

	if (keyfile_load_all(S.keys_path, &keys, &nkeys) == -1)
		fatalx("cannot read %s", S.keys_path);
	if (nkeys > 0)
		qsort(keys, nkeys, sizeof(*keys), sim_key_cmp);
	if ((S.agents = calloc(S.o.agents, sizeof(*S.agents))) == NULL ||
	    (S.enroll_queue = calloc(S.o.agents, sizeof(*S.enroll_queue))) == NULL)
		fatal("calloc");
	S.eq_cap = S.o.agents;
	spread = S.o.agents < SIM_CONNECT_SPREAD_MAX_MS ? S.o.agents : SIM_CONNECT_SPREAD_MAX_MS;
	for (i = 0; i < S.o.agents; i++) {
		ag = &S.agents[i];
		ag->idx = i;
		n = snprintf(ag->name, sizeof(ag->name), "%s%05u", S.o.name_prefix, i + 1);
		if (n < 0 || (size_t)n >= sizeof(ag->name))
			fatalx("agent name too long");
		ag->mgr = (int)(i % (unsigned int)S.o.nmanagers);
		ag->ver = sim_version_of(i);
		S.vers[ag->ver].agents++;
		if ((ag->timer = evtimer_new(S.base, sim_timercb, ag)) == NULL)
			fatalx("out of memory");
		/* an agent's own reactions (restart, reconnect) yield to reading what arrived */
		event_priority_set(ag->timer, SIM_PRIO_REACT);
		memcpy(probe.name, ag->name, (size_t)n + 1);
		found = nkeys > 0 ? bsearch(&probe, keys, nkeys, sizeof(*keys), sim_key_cmp) : NULL;
		if (found != NULL) {
			/* the latest line for a name wins (bsearch may land on any duplicate) */
			while (found + 1 < keys + nkeys && strcmp(found[1].name, ag->name) == 0)
				found++;
			ag->key = *found;
			ag->has_key = 1;
			have++;
			sim_start_channel(ag, spread > 0 ? backoff_rand() % spread : 0);
		} else {
			ag->state = SIM_PENDING;
			S.enroll_queue[S.eq_tail++] = i;
		}
	}
	free(keys);
	log_info("%u agents: %u with saved keys, %u to enroll", S.o.agents, have, S.o.agents - have);
}

/* One connection setting and keepalive template per agent version. */
static void
sim_setup_versions(void)
{
	struct aconn_conf c;
	int v;

	memset(&c, 0, sizeof(c));
	c.keepalive_ms = S.o.keepalive * 1000;
	c.keepalive_jitter = 10;
	if (S.o.first_keepalive >= 0) {
		c.first_keepalive_ms = (unsigned int)S.o.first_keepalive * 1000;
		c.first_keepalive_spread_ms = 0;
	} else {
		/* soon after the ack (the manager learns the OS), spread over up to 2 s */
		c.first_keepalive_ms = 0;
		c.first_keepalive_spread_ms = c.keepalive_ms < 2000 ? c.keepalive_ms : 2000;
	}
	c.handshake_ms = c.keepalive_ms * 3;
	if (c.handshake_ms < 10000)
		c.handshake_ms = 10000;
	if (c.handshake_ms > 60000)
		c.handshake_ms = 60000;
	c.connect_ms = 10000;
	c.ack_misses = 3;
	c.zmode = S.o.zlib_stored ? SECMSG_Z_STORED : SECMSG_Z_BEST;
	switch (S.o.counter) {
	case OPTS_COUNTER_FIXED:
		c.counter_mode = ACONN_COUNTER_FIXED;
		c.counter_global = S.o.counter_global;
		c.counter_local = S.o.counter_local;
		break;
	case OPTS_COUNTER_RESET:
		c.counter_mode = ACONN_COUNTER_RESET;
		break;
	default:
		c.counter_mode = ACONN_COUNTER_NORMAL;
		break;
	}
	S.nvers = S.o.nmix;
	for (v = 0; v < S.nvers; v++) {
		memcpy(S.vers[v].version, S.o.mix[v].version, sizeof(S.vers[v].version));
		S.vers[v].weight = S.o.mix[v].weight;
		S.vers[v].conf = c;
		memcpy(S.vers[v].conf.version, S.vers[v].version, sizeof(c.version));
		sysinfo_fill(&S.vers[v].ai, NULL, S.vers[v].version);
		sysinfo_config_sum(&S.vers[v].ai, "vigil-sim\n");
	}
}

/*
 * sim_version_of: agent i's version, the same on every run: the weights
 * repeat in blocks (4.1.5:1,4.12.0:9 makes agents 0, 10, 20... 4.1.5).
 */
static unsigned char
sim_version_of(unsigned int i)
{
	unsigned int total = 0, pos;
	int v;

	for (v = 0; v < S.nvers; v++)
		total += S.vers[v].weight;
	pos = i % total;
	for (v = 0; v < S.nvers - 1; v++) {
		if (pos < S.vers[v].weight)
			break;
		pos -= S.vers[v].weight;
	}
	return (unsigned char)v;
}

static void
sim_resolve(void)
{
	int i, ok = 0;

	for (i = 0; i < S.o.nmanagers; i++) {
		S.mgr_ok[i] = mgrlist_resolve(&S.o.managers[i], &S.mgr_addr[i], &S.mgr_len[i]) == 0;
		ok += S.mgr_ok[i];
	}
	if (ok == 0)
		fatalx("no manager address resolves");
}

int
main(int argc, char **argv)
{
	struct event *sigs[4], *summary_ev = NULL, *duration_ev = NULL;
	static const int signo[4] = { SIGINT, SIGTERM, SIGUSR1, SIGHUP };
	struct timeval one = { 1, 0 }, dur;
	struct utsname u;
	char err[512], *text;
	unsigned int i;
	int rc;

	log_init("vigil-sim", 1);
	rc = opts_parse_sim(argc, argv, &S.o, err, sizeof(err));
	if (rc == 1) {
		fputs(opts_sim_usage, stdout);
		return 0;
	}
	if (rc == -1) {
		fprintf(stderr, "vigil-sim: %s\n%s", err, opts_sim_usage);
		return 2;
	}
	log_setverbose(1 + S.o.verbose);
	signal(SIGPIPE, SIG_IGN);
	sim_raise_nofile();
	sim_read_password();
	if (S.o.ca[0] != '\0' && (S.tls = tls_client_ctx(S.o.ca)) == NULL)
		fatalx("cannot use --ca %s", S.o.ca);
	if (mkdir(S.o.data_dir, 0700) == -1 && errno != EEXIST)
		fatal("mkdir %s", S.o.data_dir);
	rc = snprintf(S.keys_path, sizeof(S.keys_path), "%s/sim-keys", S.o.data_dir);
	if (rc < 0 || (size_t)rc >= sizeof(S.keys_path))
		fatalx("data dir path too long");
	S.start_ms = sim_now_ms();

	if (uname(&u) == -1)
		memset(&u, 0, sizeof(u));
	snprintf(S.uname_fmt[0], sizeof(S.uname_fmt[0]), "%s", u.sysname);
	snprintf(S.uname_fmt[1], sizeof(S.uname_fmt[1]), "%.100s |%.140s", u.release, u.version);
	snprintf(S.uname_fmt[2], sizeof(S.uname_fmt[2]), "%s", u.machine);
	sim_setup_versions();
	S.rss_start_kb = procstat_rss_kb();

	if ((S.base = event_base_new()) == NULL || event_base_priority_init(S.base, SIM_PRIOS) == -1)
		fatalx("event_base_new");
	sim_resolve();
	sim_setup_agents();
	if (S.eq_head != S.eq_tail) {
		if (S.tls == NULL) {
			char m[300];

			mgrlist_format(&S.o.enroll, m, sizeof(m));
			log_warnx("enrollment: no --ca: the manager's certificate is not verified, "
			    "so whoever answers at %s gets the requests%s", m,
			    S.has_password ? " and the enrollment password" : "");
			if ((S.tls = tls_client_ctx(NULL)) == NULL)
				fatalx("no TLS client context");
		}
		if (mgrlist_resolve(&S.o.enroll, &S.enroll_addr, &S.enroll_len) == -1)
			fatalx("cannot resolve the enrollment address");
		sim_enroll_pump();
	}

	for (i = 0; i < 4; i++) {
		if ((sigs[i] = evsignal_new(S.base, signo[i], sim_sigcb, NULL)) == NULL)
			fatalx("evsignal_new");
		evsignal_add(sigs[i], NULL);
	}
	if ((sim_grace = evtimer_new(S.base, sim_gracecb, NULL)) == NULL)
		fatalx("evtimer_new");
	if (S.o.summary[0] != '\0') {
		if ((summary_ev = event_new(S.base, -1, EV_PERSIST, sim_summarycb, NULL)) == NULL)
			fatalx("event_new");
		event_add(summary_ev, &one);
	}
	if (S.o.duration > 0) {
		if ((duration_ev = evtimer_new(S.base, sim_durationcb, NULL)) == NULL)
			fatalx("evtimer_new");
		dur.tv_sec = S.o.duration;
		dur.tv_usec = 0;
		evtimer_add(duration_ev, &dur);
	}
	if (S.o.migrate_rate > 0 || S.o.flap_rate > 0)
		sim_churn_start();
	if (S.o.control) {
		if (evutil_make_socket_nonblocking(STDIN_FILENO) == -1 ||
		    (S.control_in = evbuffer_new()) == NULL ||
		    (S.control_ev = event_new(S.base, STDIN_FILENO, EV_READ | EV_PERSIST,
		    sim_controlcb, NULL)) == NULL)
			fatalx("cannot read commands on stdin");
		event_add(S.control_ev, NULL);
	}
	log_info("running %u agents against %d manager(s), %d version(s) from v%s%s%s", S.o.agents,
	    S.o.nmanagers, S.nvers, S.vers[0].version,
	    S.o.migrate_rate > 0 ? ", migrating" : "", S.o.flap_rate > 0 ? ", flapping" : "");

	event_base_dispatch(S.base);

	if (S.final == NULL)
		S.final = sim_summary(&S, 1, S.o.summary_brief);
	if (S.final != NULL) {
		sim_write_summary(S.final);
		if ((text = json_dumps(S.final, JSON_COMPACT)) != NULL) {
			printf("%s\n", text);
			free(text);
		}
		json_decref(S.final);
	}
	fflush(stdout);
	if (S.o.agent_file[0] != '\0' && sim_agent_file(&S, S.o.agent_file) == -1)
		log_warnx("cannot write %s", S.o.agent_file);

	for (i = 0; i < S.o.agents; i++) {
		free(S.agents[i].cmd_us);
		if (S.agents[i].shared != NULL)
			sharedrx_free(S.agents[i].shared);
		free(S.agents[i].shared);
		enrollc_cancel(S.agents[i].enr);
		aconn_free(S.agents[i].ac);
		event_free(S.agents[i].timer);
	}
	for (i = 0; i < 4; i++)
		event_free(sigs[i]);
	if (summary_ev != NULL)
		event_free(summary_ev);
	if (duration_ev != NULL)
		event_free(duration_ev);
	event_free(sim_grace);
	if (S.churn_ev != NULL)
		event_free(S.churn_ev);
	if (S.control_ev != NULL)
		event_free(S.control_ev);
	if (S.control_in != NULL)
		evbuffer_free(S.control_in);
	free(S.agents);
	free(S.enroll_queue);
	if (S.tls != NULL)
		SSL_CTX_free(S.tls);
	event_base_free(S.base);
	return 0;
}
