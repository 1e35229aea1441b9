/* main.c — vigild: start-up, the event loop, shutdown. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "lib/atomicfile.h"
#include "lib/datadir.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/privdrop.h"
#include "lib/secretfile.h"
#include "lib/sysinfo.h"
#include "lib/tls.h"
#include "node/api/auth.h"
#include "node/api/rbac.h"
#include "node/cluster/cluster.h"
#include "node/jobs/jobrun.h"
#include "node/api/api.h"
#include "node/core/node.h"
#include "node/registry/groups.h"
#include "node/registry/registry.h"
#include "node/agents/enrolld.h"
#include "node/agents/session.h"
#include "node/ledger/state.h"

static int ready_fd = -1;   /* daemon mode: the parent waits on this pipe */
static char **node_argv;    /* for a coordinator that steps down (step_down) */

/* VIGIL_STANDBY_WAIT in the environment: this process is a node that stepped down. */
#define STANDBY_ENV "VIGIL_STANDBY_WAIT"

/*
 * step_down: this node's term as coordinator is over (registry_check): it
 * can write nothing more, so it serves nothing more.  It starts again as a
 * standby: the same program and arguments, every descriptor closed but the
 * standard ones, waiting for the database and then for the lock.  Nothing is
 * flushed on the way out: the registry would refuse it.
 */
static void __attribute__((noreturn))
step_down(void)
{
	DIR *d;
	struct dirent *e;
	int fd;

	log_warnx("coordinator: term over: stepping down; this node starts again as a standby");
	fflush(stdout);
	fflush(stderr);
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((e = readdir(d)) != NULL) {
			fd = atoi(e->d_name);
			if (fd > 2 && fd != dirfd(d))
				(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		}
		closedir(d);
	}
	if (setenv(STANDBY_ENV, "1", 1) == 0)
		execv("/proc/self/exe", node_argv);
	log_warn("coordinator: cannot start again (exec)");
	_exit(75);
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;
	struct timespec t0, t1;
	long ms;
	int rows;

	(void)fd;
	(void)what;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n->flushed = t0.tv_sec;
	if ((rows = registry_flush_some(n->reg, NODE_FLUSH_ROWS)) == -1) {
		log_warnx("registry: flush failed; will retry");
		node_schedule_flush(n);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (ms >= 100)
		log_info("registry: writing %d rows took %ld ms", rows, ms);
	/* more queued: the next part right after the events waiting now */
	if (registry_pending(n->reg) > 0) {
		struct timeval now = { 0, 0 };

		evtimer_add(n->flush_ev, &now);
	}
}

/*
 * touch_flush: every REGISTRY_TOUCH_FLUSH_S the keepalive times that alone
 * changed go to the registry, a few thousand per second so that no tick is long.
 */
static void
touch_flush(struct node *n)
{
	time_t now = node_now(n);

	if (registry_touches_pending(n->reg) == 0 ||
	    (!n->touch_flushing && now - n->touch_flushed < REGISTRY_TOUCH_FLUSH_S))
		return;
	n->touch_flushing = 1;
	if (registry_flush_touches(n->reg, NODE_TOUCH_ROWS) == -1)
		log_warnx("registry: writing keepalive times failed; will retry");
	if (registry_touches_pending(n->reg) == 0) {
		n->touch_flushing = 0;
		n->touch_flushed = now;
	}
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct node *n = arg;

	session_tick(n);
	cluster_tick(n);
	/* a loop never idle for 2 s still writes its registry (background starved) */
	if (registry_pending(n->reg) > 0) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - n->flushed >= 2)
			flush_cb(-1, 0, n);
	}
	if (n->cfg.role == ROLE_MASTER) {
		if (registry_check(n->reg) == -1)
			step_down();
		state_tick(n);
		touch_flush(n);
	}
	node_write_stats(arg);
}

static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	session_reap(arg);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct node *n = arg;

	(void)what;
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopexit(n->base, NULL);
}

static void
path_join(char *out, size_t cap, const char *dir, const char *file)
{
	if ((size_t)snprintf(out, cap, "%s/%s", dir, file) >= cap)
		fatalx("path too long: %s/%s", dir, file);
}

#define SIGNING_KEY_META "api.signing_key"
#define SIGNING_KEY_MAX 8192

/*
 * shared_signing_key: nodes that take turns as coordinator (a PostgreSQL
 * registry) sign API tokens with one key, kept in the registry, so that a
 * token stays good across a failover.  Before auth_new (get): the
 * registry's key, when it has one, replaces the file at path.  After (!get):
 * a registry without one is given the file's.
 */
static void
shared_signing_key(struct node *n, const char *path, int get)
{
	char *pem;
	FILE *f;
	size_t len;
	int rc;

	if ((pem = calloc(1, SIGNING_KEY_MAX)) == NULL)
		fatal("calloc");
	rc = registry_meta_get(n->reg, SIGNING_KEY_META, pem, SIGNING_KEY_MAX);  /* -1: none */
	if (get && rc == 0 && atomicfile_write(path, pem, strlen(pem), 0600) == -1)
		fatalx("cannot write the API signing key %s", path);
	if (!get && rc != 0) {
		if ((f = fopen(path, "r")) == NULL)
			fatal("%s", path);
		len = fread(pem, 1, SIGNING_KEY_MAX - 1, f);
		fclose(f);
		pem[len] = '\0';
		if (len == 0 || len == SIGNING_KEY_MAX - 1 ||
		    registry_meta_set(n->reg, SIGNING_KEY_META, pem) == -1)
			fatalx("cannot keep the API signing key in the registry");
		log_info("api: the token signing key is kept in the registry (for every "
		    "master-capable node)");
	}
	explicit_bzero(pem, SIGNING_KEY_MAX);
	free(pem);
}

static void
read_secret_file(const char *path, char *out, size_t cap)
{
	FILE *f;
	size_t len;

	if ((f = fopen(path, "r")) == NULL)
		fatal("cannot read %s", path);
	if (fgets(out, (int)cap, f) == NULL)
		out[0] = '\0';
	fclose(f);
	len = strcspn(out, "\r\n");
	out[len] = '\0';
	if (len == 0)
		fatalx("%s is empty", path);
}

/* write_file_0600: a fresh file replaces path (and a link planted there), never written through. */
static int
write_file_0600(const char *path, const char *text)
{
	return atomicfile_write(path, text, strlen(text), 0600);
}

/*
 * api_admin_create: the API administrator is a reserved user (id 1 on a new
 * node, as Wazuh's "wazuh") with the administrator role, and may log in with
 * an authorization context (allow_run_as), as Wazuh's wazuh and wazuh-wui.
 */
static void
api_admin_create(struct node *n, const char *user, const char *hash)
{
	long long id;

	if (registry_user_add(n->reg, user, hash, 1, &id) != 0 ||
	    registry_user_role_add(n->reg, id, RBAC_ROLE_ADMINISTRATOR) == -1 ||
	    registry_user_set_run_as(n->reg, id, 1) != 1)
		fatalx("cannot store the API user");
}

/*
 * api_admin_setup: the API administrator.  VIGIL_API_USER/VIGIL_API_PASSWORD
 * set (or reset) that user on every start; otherwise, on first start only,
 * user "wazuh" gets a random password written to <data-dir>/api-password.
 */
static void
api_admin_setup(struct node *n)
{
	const char *user = getenv("VIGIL_API_USER"), *pass = getenv("VIGIL_API_PASSWORD");
	char hash[AUTH_HASH_MAX], gen[40], path[600], text[128];
	struct registry_user u;
	int found;

	if (user == NULL || *user == '\0')
		user = "wazuh";
	if (pass != NULL && *pass != '\0') {
		if (auth_password_hash(pass, hash) == -1)
			fatalx("cannot hash the API password");
		if ((found = registry_user_find(n->reg, user, &u)) == -1)
			fatalx("cannot read the API users");
		if (found == 1) {
			if (registry_user_set_hash(n->reg, u.id, hash) == -1)
				fatalx("cannot store the API user");
			return;
		}
		api_admin_create(n, user, hash);
		return;
	}
	if (registry_user_count(n->reg) > 0)
		return;
	if (hash_random_hex(gen, 12) == -1)
		fatalx("no randomness for the API password");
	if (auth_password_hash(gen, hash) == -1)
		fatalx("cannot hash the API password");
	api_admin_create(n, user, hash);
	path_join(path, sizeof(path), n->cfg.data_dir, "api-password");
	snprintf(text, sizeof(text), "%s\n", gen);
	if (write_file_0600(path, text) == -1)
		fatal("cannot write %s", path);
	printf("vigild: API user '%s' created; password: %s (also in %s)\n", user, gen, path);
}

/*
 * daemon_start: forks; the parent copies the child's start-up output to its
 * own stdout and exits 0 once the child reports it is ready (1 otherwise).
 */
static void
daemon_start(void)
{
	int fds[2];
	pid_t pid;
	char buf[512];
	ssize_t r;
	int ready = 0;

	if (pipe(fds) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(fds[0]);
		setsid();
		ready_fd = fds[1];
		if (dup2(fds[1], STDOUT_FILENO) == -1)
			fatal("dup2");
		return;
	}
	close(fds[1]);
	while ((r = read(fds[0], buf, sizeof(buf))) > 0 || (r == -1 && errno == EINTR)) {
		if (r <= 0)
			continue;
		if (r >= 6 && memmem(buf, (size_t)r, "\001READY", 6) != NULL) {
			ready = 1;
			r = (char *)memmem(buf, (size_t)r, "\001READY", 6) - buf;
		}
		fwrite(buf, 1, (size_t)r, stdout);
	}
	fflush(stdout);
	exit(ready ? 0 : 1);
}

/* daemon_ready: the child is listening: release the parent, log to the data dir. */
static void
daemon_ready(struct node *n)
{
	char path[600];
	int fd;

	if (ready_fd == -1)
		return;
	path_join(path, sizeof(path), n->cfg.data_dir, "vigild.log");
	printf("vigild: running in the background, log: %s\n\001READY", path);
	fflush(stdout);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd != -1) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	fd = open("/dev/null", O_RDWR);
	if (fd != -1) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	close(ready_fd);
	ready_fd = -1;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* manager_describe: agent 000 is this host: its uname and os-release, as Wazuh's manager row. */
static void
manager_describe(struct node *n)
{
	struct agent_info raw, host;

	sysinfo_fill(&raw, NULL, VIGIL_MANAGER_VERSION);
	if (sysinfo_describe(&raw, &host) == -1) {
		log_warnx("registry: this host's uname does not fit; agent 000 has no OS");
		return;
	}
	registry_manager_os(n->reg, &host);
	if (registry_flush(n->reg) == -1)
		log_warnx("registry: agent 000's OS not written; will retry");
}

int
main(int argc, char **argv)
{
	struct node *n;
	struct privdrop drop = { .active = 0 };
	char path[600], cert[600], key[600], shown[1024];
	const char *where;
	struct timeval one_second = { 1, 0 };
	int rc, i;
	static const int sigs[3] = { SIGTERM, SIGINT, SIGHUP };

	if ((n = calloc(1, sizeof(*n))) == NULL)
		fatal("calloc");
	if (argc == 2 && strcmp(argv[1], "--print-routes") == 0) {
		/* the REST API's routes and permissions, for docs/api.md's test */
		api_print_routes(stdout);
		free(n);
		return 0;
	}
	config_defaults(&n->cfg);
	rc = config_parse_args(&n->cfg, argc, argv);
	if (rc != 0) {
		free(n);
		return rc == 1 ? 0 : 2;
	}
	log_init("vigild", n->cfg.verbose);
	if (n->cfg.agent_deadline_asked != 0)
		log_warnx("--agent-deadline %d is below the %d s a Wazuh agent may take before its "
		    "first message (its time-reconnect): using %d s", n->cfg.agent_deadline_asked,
		    CONFIG_AGENT_DEADLINE_MIN, n->cfg.agent_deadline);
	/* belt to datadir_prepare's braces: whatever vigild or SQLite creates is the owner's */
	umask(077);
	if (n->cfg.user[0] != '\0') {
		char err[200];

		if (privdrop_resolve(n->cfg.user, &drop, err, sizeof(err)) == -1) {
			fprintf(stderr, "vigild: --user %s: %s\n", n->cfg.user, err);
			free(n);
			return 2;
		}
	} else if (geteuid() == 0)
		log_warnx("running as root: give --user (as Wazuh's 'wazuh') to run unprivileged "
		    "once the ports are bound");

	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	srandom((unsigned int)(time(NULL) ^ getpid()));
	if (gethostname(n->hostname, sizeof(n->hostname)) == -1)
		snprintf(n->hostname, sizeof(n->hostname), "localhost");
	if (datadir_prepare(n->cfg.data_dir, drop.active ? drop.uid : DATADIR_NO_UID) == -1)
		fatalx("data dir %s cannot be used", n->cfg.data_dir);
	if (n->cfg.metrics_token_file[0] != '\0' &&
	    secretfile_read("metrics token", n->cfg.metrics_token_file, n->metrics_token,
	    sizeof(n->metrics_token), 16, sizeof(n->metrics_token) - 1) == -1)
		fatalx("--metrics-token-file %s cannot be used", n->cfg.metrics_token_file);
	if (n->cfg.enroll_password_file[0] != '\0') {
		read_secret_file(n->cfg.enroll_password_file, n->enroll_password,
		    sizeof(n->enroll_password));
		n->has_enroll_password = 1;
	}
	if (!n->cfg.foreground)
		daemon_start();

	if (n->cfg.cert_file[0] != '\0') {
		/* the operator's (say, signed by the CA the agents are given with --ca) */
		snprintf(cert, sizeof(cert), "%s", n->cfg.cert_file);    /* 512 bytes into 600 */
		snprintf(key, sizeof(key), "%s", n->cfg.key_file);
	} else {
		path_join(cert, sizeof(cert), n->cfg.data_dir, "sslmanager.cert");
		path_join(key, sizeof(key), n->cfg.data_dir, "sslmanager.key");
		if (tls_ensure_cert(cert, key, n->hostname) == -1)
			fatalx("cannot create the TLS certificate in %s", n->cfg.data_dir);
	}
	if ((n->tls_server = tls_server_ctx(cert, key)) == NULL)
		fatalx("cannot load the TLS certificate %s", cert);
	/* SQLite in the data dir, or the PostgreSQL database --registry names */
	path_join(path, sizeof(path), n->cfg.data_dir, "registry.db");
	where = n->cfg.registry[0] != '\0' ? n->cfg.registry : path;
	registry_where(where, shown, sizeof(shown));
	node_argv = argv;
	/* on PostgreSQL this returns once this node is the coordinator: until then, a standby */
	n->reg = registry_open_wait(where, n->hostname, n->cfg.name, VIGIL_MANAGER_VERSION,
	    getenv(STANDBY_ENV) != NULL);
	unsetenv(STANDBY_ENV);
	if (n->reg == NULL)
		fatalx("cannot open the registry %s", shown);
	manager_describe(n);
	if ((n->groups = groups_new()) == NULL)
		fatalx("cannot allocate the groups");
	if (n->cfg.role == ROLE_MASTER && node_groups_load(n) == -1)
		fatalx("cannot load the groups from %s", shown);
	path_join(path, sizeof(path), n->cfg.data_dir, "api-jwt.key");
	if (registry_term(n->reg) > 0)
		shared_signing_key(n, path, 1);
	if ((n->auth = auth_new(path, n->cfg.token_lifetime)) == NULL)
		fatalx("cannot load the API signing key %s", path);
	if (registry_term(n->reg) > 0)
		shared_signing_key(n, path, 0);
	if (n->cfg.role == ROLE_MASTER)
		api_admin_setup(n);

	if ((n->base = event_base_new()) == NULL ||
	    event_base_priority_init(n->base, NODE_PRIO_COUNT) == -1)
		fatalx("event_base_new");
	node_hooks_init(n);
	node_stats_init(n);
	session_hooks(n);
	node_fd_limits(n);
	TAILQ_INIT(&n->sessions);
	TAILQ_INIT(&n->dead);
	n->started = time(NULL);
	n->flush_ev = evtimer_new(n->base, flush_cb, n);
	/*
	 * Registry writes are the one slow thing the loop does (up to 250 rows,
	 * tens of ms): they run only in a loop turn where no agent, link or API
	 * event is ready, so a restart request never waits behind a backlog of
	 * rows (at 50,000 agents a restart storm queued 150,000 row writes).
	 */
	if (n->flush_ev == NULL || event_priority_set(n->flush_ev, NODE_PRIO_BACKGROUND) == -1)
		fatalx("registry flush event");
	n->reap_ev = event_new(n->base, -1, 0, reap_cb, n);
	n->tick_ev = event_new(n->base, -1, EV_PERSIST, tick_cb, n);
	for (i = 0; i < 3; i++) {
		n->sig_ev[i] = evsignal_new(n->base, sigs[i], signal_cb, n);
		evsignal_add(n->sig_ev[i], NULL);
	}
	evtimer_add(n->tick_ev, &one_second);

	if (node_gate_init(&n->gate_agent, "agent", 0, n->cfg.agent_max_per_source,
	    n->cfg.agent_deadline) == -1 ||
	    node_gate_init(&n->gate_enroll, "enroll", n->cfg.enroll_max_connections,
	    n->cfg.enroll_max_per_source, n->cfg.enroll_deadline) == -1 ||
	    node_gate_init(&n->gate_api, "api", n->cfg.api_max_connections,
	    n->cfg.api_max_per_source, n->cfg.api_deadline) == -1 ||
	    node_gate_init(&n->gate_cluster, "cluster", n->cfg.cluster_max_connections,
	    n->cfg.cluster_max_per_source, n->cfg.cluster_deadline) == -1 ||
	    node_gate_init(&n->gate_metrics, "metrics", n->cfg.metrics_max_connections,
	    n->cfg.metrics_max_per_source, n->cfg.metrics_deadline) == -1 ||
	    (n->enroll_rate = srclimit_rate_new((unsigned int)n->cfg.enroll_per_minute,
	    (unsigned int)n->cfg.enroll_burst, NODE_ENROLL_RATE_SOURCES)) == NULL)
		fatalx("cannot allocate the listener limits");
	if (session_listen(n) == -1)
		fatalx("cannot listen; is another vigild running on these ports?");
	if (enrolld_listen(n) == -1 || (n->cfg.role == ROLE_MASTER && api_listen(n) == -1) ||
	    api_metrics_listen(n) == -1)
		fatalx("cannot listen; is another vigild running on these ports?");
	if (cluster_start(n) == -1)
		fatalx("cannot start the cluster link");
	if (n->cfg.role == ROLE_MASTER && jobrun_start(n) == -1)
		fatalx("cannot read the restart jobs back from the registry");
	/*
	 * Every port is bound and every file that needed root is open: the data
	 * dir goes to the user (files made from now on are made by it) and root goes.
	 */
	if (drop.active) {
		if (datadir_chown(n->cfg.data_dir, drop.uid, drop.gid) == -1)
			fatalx("cannot give the data dir %s to user %s", n->cfg.data_dir, drop.name);
		if (privdrop_apply(&drop) == -1)
			fatalx("cannot drop privileges to user %s", drop.name);
		log_info("dropped privileges: running as user %s (uid %ld, gid %ld)", drop.name,
		    (long)drop.uid, (long)drop.gid);
	}
	printf("vigild %s: %s node '%s', data in %s\n", VIGIL_VERSION,
	    n->cfg.role == ROLE_MASTER ? "master" : "worker", n->cfg.name, n->cfg.data_dir);
	printf("  agents      tcp  %s:%d\n", n->cfg.listen, n->cfg.agent_port);
	if (n->cfg.role == ROLE_MASTER) {
		printf("  enrollment  tls  %s:%d%s\n", n->cfg.listen, n->cfg.enroll_port,
		    n->has_enroll_password ? " (password required)" : "");
		printf("  REST API    https://%s:%d/\n", n->cfg.listen, n->cfg.api_port);
		if (n->cluster != NULL)
			printf("  cluster     tls1.3-psk  %s:%d\n", n->cfg.listen, n->cfg.cluster_port);
	} else {
		printf("  enrollment  tls  %s:%d (forwarded to the master)\n", n->cfg.listen,
		    n->cfg.enroll_port);
		printf("  master      %s\n", n->cfg.master);
	}
	if (n->cfg.metrics_port != 0)
		printf("  metrics     https://%s:%d/metrics%s\n", n->cfg.metrics_bind,
		    n->cfg.metrics_port, n->metrics_token[0] != '\0' ? " (token required)" : "");
	fflush(stdout);
	path_join(path, sizeof(path), n->cfg.data_dir, "vigild.pid");
	{
		char pid[32];

		snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		if (write_file_0600(path, pid) == -1)
			log_warn("cannot write %s", path);
	}
	log_info("node '%s' ready (%zu agents registered)", n->cfg.name,
	    registry_count(n->reg) - 1);
	daemon_ready(n);

	event_base_dispatch(n->base);

	/* Clean shutdown: close every session (agents become disconnected), flush. */
	session_close_all(n, "manager shutting down");
	session_reap(n);
	n->nlsn = 0;   /* the listeners go now: nothing may pause or resume them */
	jobrun_stop(n);
	cluster_stop(n);
	api_free(n);
	if (n->agent_lsn != NULL)
		evconnlistener_free(n->agent_lsn);
	if (n->enroll_lsn != NULL)
		evconnlistener_free(n->enroll_lsn);
	node_gate_free(&n->gate_agent);
	node_gate_free(&n->gate_enroll);
	node_gate_free(&n->gate_api);
	node_gate_free(&n->gate_cluster);
	node_gate_free(&n->gate_metrics);
	srclimit_rate_free(n->enroll_rate);
	if (registry_flush(n->reg) == -1)
		log_warnx("registry: final flush failed");
	registry_close(n->reg);
	groups_free(n->groups);
	auth_free(n->auth);
	for (i = 0; i < 3; i++)
		event_free(n->sig_ev[i]);
	event_free(n->tick_ev);
	event_free(n->flush_ev);
	event_free(n->reap_ev);
	if (n->accept_pause_ev != NULL)
		event_free(n->accept_pause_ev);
	event_base_free(n->base);
	SSL_CTX_free(n->tls_server);
	unlink(path);
	log_info("stopped");
	free(n);
	return 0;
}
