/* node.c — what every room of vigild uses: the loop's clock, listeners, the
 * registry flush timer, and the hooks through which a lower room carries out
 * an effect in a higher one (see node.h, "Rooms"). */
#include "node/core/node.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "lib/log.h"
#include "proto/control.h"

int64_t
node_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

time_t
node_now(struct node *n)
{
	struct timeval tv;

	if (event_base_gettimeofday_cached(n->base, &tv) == -1)
		return time(NULL);
	return tv.tv_sec;
}

static void
accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;
	int i;

	(void)fd;
	(void)what;
	for (i = 0; i < n->nlsn; i++)
		if (!(n->lsn[i] == n->agent_lsn && n->agents_full))
			evconnlistener_enable(n->lsn[i]);
}

/*
 * The node whose listeners accept_error_cb pauses.  Not the listener's
 * argument: evhttp's listener has the evhttp as its argument, and reading a
 * node there made the pause read garbage, so out of descriptors the API
 * spun on accept() with the loop stuck in it.  One node per process.
 */
static struct node *accept_node;

/*
 * accept_error_cb: out of descriptors: every listener pauses for a moment
 * rather than spin on accept() (and log each failure) while the loop could
 * be closing sockets.
 */
static void
accept_error_cb(struct evconnlistener *lsn, void *arg)
{
	struct node *n = accept_node;
	struct timeval tv = { 0, 200000 };
	int err = EVUTIL_SOCKET_ERROR(), i;

	unsigned long more;

	(void)lsn;
	(void)arg;
	if (evtimer_pending(n->accept_pause_ev, NULL))
		return;
	n->stats.accept_paused++;
	/* while descriptors stay short this repeats 5 times a second: a line now and then */
	if (srclimit_log_ok(&n->accept_log, node_now(n), NODE_GATE_LOG_S, &more))
		log_warnx("accept: %s; pausing accepts for 200 ms (%lu more pauses since the last "
		    "message)", evutil_socket_error_to_string(err), more);
	for (i = 0; i < n->nlsn; i++)
		evconnlistener_disable(n->lsn[i]);
	evtimer_add(n->accept_pause_ev, &tv);
}

void
node_listen_adopt(struct node *n, struct evconnlistener *lsn)
{
	if (lsn == NULL)
		return;
	accept_node = n;
	if (n->accept_pause_ev == NULL)
		n->accept_pause_ev = evtimer_new(n->base, accept_resume_cb, n);
	evconnlistener_set_error_cb(lsn, accept_error_cb);
	if (n->nlsn < (int)(sizeof(n->lsn) / sizeof(n->lsn[0])))
		n->lsn[n->nlsn++] = lsn;
}

void
node_listen_forget(struct node *n, struct evconnlistener *lsn)
{
	int i;

	for (i = 0; i < n->nlsn; i++)
		if (n->lsn[i] == lsn) {
			n->lsn[i] = n->lsn[--n->nlsn];
			return;
		}
}

void
node_fd_limits(struct node *n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 1 << 20;
	n->fd_limit = (size_t)rl.rlim_cur;
	n->max_session_fds = n->fd_limit > 2 * NODE_FD_RESERVE ?
	    n->fd_limit - NODE_FD_RESERVE : n->fd_limit / 2;
	if (n->cfg.agent_max_connections > 0 &&
	    (size_t)n->cfg.agent_max_connections < n->max_session_fds)
		n->max_session_fds = (size_t)n->cfg.agent_max_connections;
}

void
node_stats_init(struct node *n)
{
	promhist_init(&n->stats.sync_lag, promhist_delay_s, promhist_delay_n);
}

int
node_gate_init(struct node_gate *g, const char *what, int max_total, int max_per_source,
    int deadline)
{
	memset(g, 0, sizeof(*g));
	g->what = what;
	g->deadline = deadline;
	g->conns = srclimit_count_new(max_total > 0 ? (size_t)max_total : 0,
	    max_per_source > 0 ? (size_t)max_per_source : 0);
	return g->conns != NULL ? 0 : -1;
}

void
node_gate_free(struct node_gate *g)
{
	srclimit_count_free(g->conns);
	g->conns = NULL;
}

int
node_gate_admit(struct node *n, struct node_gate *g, const struct sockaddr *sa, char *addr,
    size_t cap)
{
	enum srclimit_verdict v;
	unsigned long more;

	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, (socklen_t)cap);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr,
		    (socklen_t)cap);
	else
		snprintf(addr, cap, "?");
	if ((v = srclimit_count_add(g->conns, addr)) == SRCLIMIT_OK)
		return 0;
	n->stats.conn_refused++;
	if (v == SRCLIMIT_SOURCE)
		g->refused_source++;
	else
		g->refused_total++;
	if (srclimit_log_ok(&g->log_full, node_now(n), NODE_GATE_LOG_S, &more)) {
		if (v == SRCLIMIT_SOURCE)
			log_warnx("%s: %s refused: %zu connections from that address, the most one "
			    "address may have (--%s-max-per-source); %lu more refused since the last "
			    "message", g->what, addr, srclimit_count_of(g->conns, addr), g->what, more);
		else
			log_warnx("%s: %s refused: %zu connections open, the most this listener takes "
			    "(--%s-max-connections)%s; %lu more refused since the last message",
			    g->what, addr, srclimit_count_total(g->conns), g->what,
			    v == SRCLIMIT_NOMEM ? " or out of memory" : "", more);
	}
	return -1;
}

void
node_gate_leave(struct node_gate *g, const char *addr)
{
	srclimit_count_del(g->conns, addr);
}

void
node_gate_late(struct node *n, struct node_gate *g, const char *addr)
{
	unsigned long more;

	n->stats.deadline_closed++;
	g->refused_late++;
	if (srclimit_log_ok(&g->log_late, node_now(n), NODE_GATE_LOG_S, &more))
		log_info("%s: %s closed: not trusted within %d s (--%s-deadline); %lu more since "
		    "the last message", g->what, addr, g->deadline, g->what, more);
}

int
node_version_allowed(const struct node *n, const char *v)
{
	char cap[32];

	if (!n->cfg.allow_higher_versions)
		return control_version_cmp(v, VIGIL_MANAGER_VERSION) <= 0;
	snprintf(cap, sizeof(cap), "v%d.99.99", VIGIL_AGENT_MAX_MAJOR);
	return control_version_cmp(v, cap) <= 0;
}

void
node_frame_late(struct node *n, struct node_gate *g, const char *addr)
{
	unsigned long more;

	n->stats.deadline_closed++;
	n->stats.frames_timed_out++;
	g->refused_frame++;
	if (srclimit_log_ok(&g->log_frame, node_now(n), NODE_GATE_LOG_S, &more))
		log_info("%s: %s closed: a frame begun %d s ago is not complete "
		    "(--%s-frame-deadline); %lu more since the last message", g->what, addr,
		    n->cfg.agent_frame_deadline, g->what, more);
}

struct evconnlistener *
node_listen(struct node *n, int port, int backlog,
    void (*cb)(struct evconnlistener *, evutil_socket_t, struct sockaddr *, int, void *),
    const char *what)
{
	struct evconnlistener *lsn;
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, n->cfg.listen, &sin.sin_addr) != 1) {
		log_warnx("%s: bad listen address %s", what, n->cfg.listen);
		return NULL;
	}
	lsn = evconnlistener_new_bind(n->base, cb, n,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, backlog,
	    (struct sockaddr *)&sin, sizeof(sin));
	if (lsn == NULL)
		log_warn("%s: cannot listen on %s:%d", what, n->cfg.listen, port);
	node_listen_adopt(n, lsn);
	return lsn;
}

void
node_schedule_flush(struct node *n)
{
	struct timeval tv;

	if (evtimer_pending(n->flush_ev, NULL))
		return;
	tv.tv_sec = n->cfg.flush_interval_ms / 1000;
	tv.tv_usec = (n->cfg.flush_interval_ms % 1000) * 1000;
	evtimer_add(n->flush_ev, &tv);
}


static int
hook_fence_session(struct node *n, struct agent *a, uint64_t sid, const struct crec_ctr *below)
{
	(void)n;
	(void)a;
	(void)sid;
	(void)below;
	return -1;
}

static void
hook_republish(struct node *n, struct agent *a)
{
	(void)n;
	(void)a;
}

static const char *
hook_node_name(struct node *n, uint16_t node)
{
	return node == 0 ? n->cfg.name : "unknown";
}

static int
hook_node_up(struct node *n, uint16_t node)
{
	(void)n;
	return node == 0;
}

static void
hook_fence_remote(struct node *n, uint16_t node, const struct crec_fence *f)
{
	(void)n;
	(void)node;
	(void)f;
}

static void
hook_outbox(struct node *n, struct agent *a, int touch)
{
	(void)n;
	(void)a;
	(void)touch;
}

static void
hook_agent_added(struct node *n, struct agent *a)
{
	(void)n;
	(void)a;
}

static void
hook_agent_removed(struct node *n, unsigned int id)
{
	(void)n;
	(void)id;
}

static int
hook_enroll_forward(struct node *n, const char *line, size_t len, const char *peer, void *conn)
{
	(void)n;
	(void)line;
	(void)len;
	(void)peer;
	(void)conn;
	return -1;
}

static void
hook_enroll_cancel(struct node *n, void *conn)
{
	(void)n;
	(void)conn;
}

static int
hook_node_index(struct node *n, const char *name)
{
	return strcmp(name, n->cfg.name) == 0 ? 0 : -1;
}

static void
hook_agent_state(struct node *n, struct agent *a)
{
	(void)n;
	(void)a;
}

void
node_hooks_init(struct node *n)
{
	n->hooks.fence_session = hook_fence_session;
	n->hooks.republish = hook_republish;
	n->hooks.node_name = hook_node_name;
	n->hooks.node_up = hook_node_up;
	n->hooks.fence_remote = hook_fence_remote;
	n->hooks.outbox = hook_outbox;
	n->hooks.agent_added = hook_agent_added;
	n->hooks.agent_removed = hook_agent_removed;
	n->hooks.enroll_forward = hook_enroll_forward;
	n->hooks.enroll_cancel = hook_enroll_cancel;
	n->hooks.node_index = hook_node_index;
	n->hooks.agent_state = hook_agent_state;
}
