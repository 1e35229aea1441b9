/*
 * main.c — vigil-agent: a small real Wazuh-4.x-compatible agent.  Enrolls
 * when it has no key, connects to its managers in order with failover,
 * keepalives, and restarts itself (as a new process) on an execd restart.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent/aconn.h"
#include "agent/backoff.h"
#include "agent/enrollc.h"
#include "agent/keyfile.h"
#include "agent/mgrlist.h"
#include "agent/opts.h"
#include "agent/sharedrx.h"
#include "lib/sysinfo.h"
#include "lib/atomicfile.h"
#include "lib/datadir.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/tls.h"
#include "proto/control.h"
#include "proto/enroll.h"

#define AGENTD_RETRY_BASE_MS 1000
#define AGENTD_RETRY_CAP_MS 30000
#define AGENTD_ENROLL_TIMEOUT_MS 30000
#define AGENTD_STOP_GRACE_MS 3000

struct agentd {
	struct agent_opts o;
	char **argv;                       /* the original argv, for the re-exec */
	char keys_path[PATH_MAX];
	char counter_path[PATH_MAX];
	char pid_path[PATH_MAX];
	char password[256];
	int has_password;
	struct event_base *base;
	struct aconn_conf conf;
	struct aconn *ac;
	struct keyfile_entry key;
	struct agent_info ai;
	SSL_CTX *tls;
	struct enrollc *enr;
	struct event *retry;               /* enrollment or connection retry */
	struct event *stop_grace;
	int cur;                           /* index of the manager in use */
	unsigned int attempt;              /* failures since the last good session */
	int enrolled;
	int stopping;
	int restarting;
	int reconnecting;   /* a force_reconnect closed the link: connect again now */
	struct sharedrx shared;            /* a merged.mg being pushed */
	char shared_dir[PATH_MAX];
	char merged_path[PATH_MAX];
};

static struct agentd ad;

static void agentd_connect(void);
static void agentd_enroll(void);

static void
agentd_path(char *out, const char *file)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", ad.o.data_dir, file);

	if (n < 0 || n >= PATH_MAX)
		fatalx("data dir path too long");
}

static void
agentd_schedule_retry(const char *what)
{
	struct timeval tv;
	unsigned int ms;

	ms = backoff_delay_ms(ad.attempt, AGENTD_RETRY_BASE_MS, AGENTD_RETRY_CAP_MS, backoff_rand());
	if (ad.attempt < 32)
		ad.attempt++;
	log_info("%s again in %u ms", what, ms);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ad.retry, &tv);
}

static void
agentd_retrycb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (ad.stopping)
		return;
	if (ad.enrolled)
		agentd_connect();
	else
		agentd_enroll();
}

/* The new process: a child in its own session execs us again; we exit. */
static void
agentd_reexec(void)
{
	pid_t pid;

	pid = fork();
	if (pid == -1) {
		log_warn("restart: fork");
		exit(1);
	}
	if (pid == 0) {
		if (setsid() == -1)
			_exit(127);
		closefrom(3);
		execv("/proc/self/exe", ad.argv);
		_exit(127);
	}
	log_info("restart: new agent process %ld", (long)pid);
	exit(0);
}

static void
agentd_up(struct aconn *ac, void *arg)
{
	char m[300];

	(void)ac;
	(void)arg;
	ad.attempt = 0;
	mgrlist_format(&ad.o.managers[ad.cur], m, sizeof(m));
	log_info("connected to manager %s as agent %s (%s)", m, ad.key.id, ad.key.name);
}

static void
agentd_restart(struct aconn *ac, const char *msg, size_t len, void *arg)
{
	(void)arg;
	log_info("restart requested by manager: %.*s", (int)(len > 300 ? 300 : len), msg);
	ad.restarting = 1;
	aconn_shutdown(ac);
}

/* agentd_reconnect: "#!-force_reconnect": drop the link and connect to the same manager now. */
static void
agentd_reconnect(struct aconn *ac, void *arg)
{
	(void)arg;
	log_info("force_reconnect from manager: reconnecting");
	ad.reconnecting = 1;
	aconn_close(ac, "force_reconnect from manager");
}

/*
 * agentd_merged_load: the md5 of the stored shared/merged.mg goes in the
 * keepalives ("x" when there is none), so the manager knows what we have.
 */
static void
agentd_merged_load(void)
{
	FILE *f = fopen(ad.merged_path, "r");
	char *buf = NULL;
	size_t cap = 0, len = 0, k;

	memcpy(ad.ai.merged_sum, "x", 2);
	if (f == NULL)
		return;
	for (;;) {
		if (len == cap) {
			char *nb;

			if (cap >= SHAREDRX_MAX || (nb = realloc(buf, cap ? cap * 2 : 8192)) == NULL)
				goto out;
			buf = nb;
			cap = cap ? cap * 2 : 8192;
		}
		if ((k = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += k;
	}
	if (!ferror(f))
		hash_md5_hex(buf != NULL ? buf : "", len, ad.ai.merged_sum);
out:
	free(buf);
	fclose(f);
}

/* agentd_message: a file pushed by the manager (merged.mg) or anything else. */
static void
agentd_message(struct aconn *ac, const char *msg, size_t len, void *arg)
{
	(void)ac;
	(void)arg;
	switch (sharedrx_feed(&ad.shared, msg, len)) {
	case SHAREDRX_NOT_MINE:
		log_debug("message from manager: %.*s", (int)(len > 300 ? 300 : len), msg);
		break;
	case SHAREDRX_MORE:
		break;
	case SHAREDRX_BAD:
		log_warnx("shared file push from the manager failed (%s); waiting for the next",
		    ad.shared.name[0] ? ad.shared.name : "no name");
		break;
	case SHAREDRX_DONE:
		if (strcmp(ad.shared.name, "merged.mg") != 0) {
			log_warnx("shared file '%s' ignored: only merged.mg is kept", ad.shared.name);
			break;
		}
		if ((mkdir(ad.shared_dir, 0700) == -1 && errno != EEXIST) ||
		    atomicfile_write(ad.merged_path, ad.shared.buf, ad.shared.len, 0600) == -1) {
			log_warn("cannot store %s", ad.merged_path);
			break;
		}
		memcpy(ad.ai.merged_sum, ad.shared.md5, sizeof(ad.shared.md5));
		log_info("shared configuration updated: merged.mg %s (%zu bytes)", ad.shared.md5,
		    ad.shared.len);
		break;
	}
}

static void
agentd_down(struct aconn *ac, int was_up, const char *reason, void *arg)
{
	(void)ac;
	(void)arg;
	if (ad.restarting) {
		log_info("disconnected for restart (%s)", reason);
		agentd_reexec();
	}
	if (ad.stopping) {
		log_info("disconnected: %s", reason);
		event_base_loopbreak(ad.base);
		return;
	}
	if (ad.reconnecting) {
		ad.reconnecting = 0;
		ad.attempt = 0;
		agentd_connect();
		return;
	}
	log_warnx("%s manager: %s", was_up ? "lost" : "could not reach", reason);
	ad.cur = (ad.cur + 1) % ad.o.nmanagers;
	agentd_schedule_retry("connecting");
}

static ssize_t
agentd_keepalive(struct aconn *ac, char *buf, size_t cap, void *arg)
{
	(void)arg;
	snprintf(ad.ai.agent_ip, sizeof(ad.ai.agent_ip), "%s", aconn_local_ip(ac));
	return control_format_keepalive(buf, cap, &ad.ai);
}

static void
agentd_counter(struct aconn *ac, unsigned int global, unsigned int local, void *arg)
{
	(void)ac;
	(void)arg;
	keyfile_counter_save(ad.counter_path, global, local);
}

static const struct aconn_cb agentd_cb = {
	.up = agentd_up,
	.restart = agentd_restart,
	.reconnect = agentd_reconnect,
	.message = agentd_message,
	.down = agentd_down,
	.keepalive = agentd_keepalive,
	.counter = agentd_counter,
};

static void
agentd_connect(void)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char m[300];

	mgrlist_format(&ad.o.managers[ad.cur], m, sizeof(m));
	errno = 0;
	if (mgrlist_resolve(&ad.o.managers[ad.cur], &ss, &sl) == -1 ||
	    aconn_connect(ad.ac, (struct sockaddr *)&ss, sl) == -1) {
		if (errno != 0)
			log_warn("connect %s", m);
		ad.cur = (ad.cur + 1) % ad.o.nmanagers;
		agentd_schedule_retry("connecting");
		return;
	}
	log_debug("connecting to %s", m);
}

/*
 * Starts the secure channel with the key we have: once per process (at start,
 * in the process a restart re-executed, or after enrolling), so the first
 * session that is acked says "Agent started"; reconnects and failovers do not.
 */
static void
agentd_start_channel(void)
{
	unsigned int g = 0, l = 0;

	if (keyfile_counter_load(ad.counter_path, &g, &l) == -1)
		log_warnx("starting the sender counters from 0");
	aconn_set_key(ad.ac, &ad.key);
	aconn_set_counters(ad.ac, g, l);
	aconn_announce_start(ad.ac);
	ad.enrolled = 1;
	ad.cur = 0;
	ad.attempt = 0;
	agentd_connect();
}

static void
agentd_enroll_done(const struct enroll_reply *r, const char *err, void *arg)
{
	struct keyfile_entry e;
	char why[600];

	(void)arg;
	ad.enr = NULL;
	if (r == NULL) {
		log_warnx("enrollment failed: %s", err);
		agentd_schedule_retry("enrolling");
		return;
	}
	if (keyfile_from_reply(r, ad.o.name, &e, why, sizeof(why)) == -1) {
		log_warnx("enrollment failed: %s", why);
		agentd_schedule_retry("enrolling");
		return;
	}
	if (keyfile_save(ad.keys_path, &e) == -1) {
		log_warnx("enrollment: cannot save %s", ad.keys_path);
		agentd_schedule_retry("enrolling");
		return;
	}
	log_info("enrolled as agent %s (%s)", e.id, e.name);
	ad.key = e;
	agentd_start_channel();
}

static void
agentd_enroll(void)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char req[ENROLL_LINE_MAX], ver[20], m[300];
	ssize_t n;

	snprintf(ver, sizeof(ver), "v%s", ad.o.version);
	n = enroll_format_request(req, sizeof(req), ad.o.name,
	    ad.has_password ? ad.password : NULL, ver, NULL, NULL);
	if (n <= 0)
		fatalx("cannot build the enrollment request (name '%s')", ad.o.name);
	mgrlist_format(&ad.o.enroll, m, sizeof(m));
	if (ad.tls == NULL) {
		/* with --ca, main made the context; this is the first enrollment without one */
		log_warnx("enrollment: no --ca: the manager's certificate is not verified, so "
		    "whoever answers at %s gets the request%s", m,
		    ad.has_password ? " and the enrollment password" : "");
		if ((ad.tls = tls_client_ctx(NULL)) == NULL)
			fatalx("no TLS client context");
	}
	if (mgrlist_resolve(&ad.o.enroll, &ss, &sl) == -1) {
		agentd_schedule_retry("enrolling");
		return;
	}
	log_info("enrolling as '%s' with %s", ad.o.name, m);
	ad.enr = enrollc_start(ad.base, ad.tls, ad.o.ca[0] != '\0' && ad.o.host_check ?
	    ad.o.enroll.host : NULL, (struct sockaddr *)&ss, sl, req, (size_t)n,
	    AGENTD_ENROLL_TIMEOUT_MS, agentd_enroll_done, NULL);
	explicit_bzero(req, sizeof(req));
	if (ad.enr == NULL) {
		log_warnx("enrollment with %s could not start", m);
		agentd_schedule_retry("enrolling");
	}
}

static void
agentd_stop_gracecb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	event_base_loopbreak(ad.base);
}

static void
agentd_sigcb(evutil_socket_t sig, short what, void *arg)
{
	struct timeval tv = { AGENTD_STOP_GRACE_MS / 1000, 0 };

	(void)what;
	(void)arg;
	if (ad.stopping)
		return;
	log_info("signal %d: stopping", (int)sig);
	ad.stopping = 1;
	evtimer_del(ad.retry);
	if (ad.enr != NULL) {
		enrollc_cancel(ad.enr);
		ad.enr = NULL;
	}
	if (aconn_state(ad.ac) == ACONN_IDLE) {
		event_base_loopbreak(ad.base);
		return;
	}
	evtimer_add(ad.stop_grace, &tv);
	aconn_shutdown(ad.ac);   /* down callback ends the loop */
}

static void
agentd_read_password(void)
{
	char buf[256];
	ssize_t n;
	int fd;

	if (ad.o.password_file[0] == '\0')
		return;
	if ((fd = open(ad.o.password_file, O_RDONLY | O_CLOEXEC)) == -1)
		fatal("open %s", ad.o.password_file);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		fatal("read %s", ad.o.password_file);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0')
		fatalx("%s: empty password", ad.o.password_file);
	memcpy(ad.password, buf, (size_t)n + 1);
	explicit_bzero(buf, sizeof(buf));
	ad.has_password = 1;
}

static void
agentd_daemonize(void)
{
	char logpath[PATH_MAX];
	pid_t pid;
	int fd;

	agentd_path(logpath, "agent.log");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		fatal("setsid");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if ((fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
	    0600)) != -1) {
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

static void
agentd_write_pid(void)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (keyfile_write_atomic(ad.pid_path, buf, (size_t)n, 0600) == -1)
		log_warnx("cannot write %s", ad.pid_path);
}

int
main(int argc, char **argv)
{
	struct event *sigterm, *sigint;
	char err[512], cfg[2048], host[256];
	int rc, n;

	log_init("vigil-agent", 1);
	rc = opts_parse_agent(argc, argv, &ad.o, err, sizeof(err));
	if (rc == 1) {
		fputs(opts_agent_usage, stdout);
		return 0;
	}
	if (rc == -1) {
		fprintf(stderr, "vigil-agent: %s\n%s", err, opts_agent_usage);
		return 2;
	}
	log_setverbose(1 + ad.o.verbose);
	ad.argv = argv;
	if (ad.o.name[0] == '\0') {
		if (gethostname(host, sizeof(host)) == -1)
			fatal("gethostname");
		host[sizeof(host) - 1] = '\0';
		if (strlen(host) >= sizeof(ad.o.name))
			fatalx("hostname too long for an agent name; use --name");
		memcpy(ad.o.name, host, strlen(host) + 1);
	}
	/* the data dir holds client.keys: the agent's alone (0700, files 0600, no links followed) */
	umask(077);
	if (datadir_prepare(ad.o.data_dir, DATADIR_NO_UID) == -1)
		fatalx("data dir %s cannot be used", ad.o.data_dir);
	agentd_path(ad.keys_path, "client.keys");
	agentd_path(ad.counter_path, "sender_counter");
	agentd_path(ad.pid_path, "agent.pid");
	agentd_path(ad.shared_dir, "shared");
	agentd_path(ad.merged_path, "shared/merged.mg");
	agentd_read_password();
	/* a CA that cannot be used stops us here, on the terminal, not at the first enrollment */
	if (ad.o.ca[0] != '\0' && (ad.tls = tls_client_ctx(ad.o.ca)) == NULL)
		fatalx("cannot use --ca %s", ad.o.ca);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (!ad.o.foreground)
		agentd_daemonize();
	agentd_write_pid();

	sysinfo_fill(&ad.ai, NULL, ad.o.version);
	sharedrx_init(&ad.shared);
	agentd_merged_load();
	n = snprintf(cfg, sizeof(cfg), "vigil-agent\nname=%s\nkeepalive=%u\nversion=%s\n",
	    ad.o.name, ad.o.keepalive, ad.o.version);
	for (rc = 0; rc < ad.o.nmanagers && n > 0 && (size_t)n < sizeof(cfg); rc++)
		n += snprintf(cfg + n, sizeof(cfg) - (size_t)n, "manager=%s:%s\n",
		    ad.o.managers[rc].host, ad.o.managers[rc].port);
	sysinfo_config_sum(&ad.ai, cfg);

	memcpy(ad.conf.version, ad.o.version, sizeof(ad.conf.version));
	ad.conf.keepalive_ms = ad.o.keepalive * 1000;
	ad.conf.keepalive_jitter = 0;
	ad.conf.first_keepalive_ms = 0;   /* right after the startup, as wazuh-agentd */
	ad.conf.first_keepalive_spread_ms = 0;
	ad.conf.handshake_ms = ad.conf.keepalive_ms * 3;
	if (ad.conf.handshake_ms < 10000)
		ad.conf.handshake_ms = 10000;
	if (ad.conf.handshake_ms > 60000)
		ad.conf.handshake_ms = 60000;
	ad.conf.connect_ms = 10000;
	ad.conf.ack_misses = 3;

	if ((ad.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((ad.ac = aconn_new(ad.base, &ad.conf, &agentd_cb, NULL)) == NULL ||
	    (ad.retry = evtimer_new(ad.base, agentd_retrycb, NULL)) == NULL ||
	    (ad.stop_grace = evtimer_new(ad.base, agentd_stop_gracecb, NULL)) == NULL ||
	    (sigterm = evsignal_new(ad.base, SIGTERM, agentd_sigcb, NULL)) == NULL ||
	    (sigint = evsignal_new(ad.base, SIGINT, agentd_sigcb, NULL)) == NULL)
		fatalx("out of memory");
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	log_info("starting (pid %ld, version v%s, name %s, %d manager(s))", (long)getpid(),
	    ad.o.version, ad.o.name, ad.o.nmanagers);

	rc = keyfile_load(ad.keys_path, &ad.key);
	if (rc == -1)
		fatalx("cannot read %s", ad.keys_path);
	if (rc == 0)
		agentd_start_channel();
	else
		agentd_enroll();

	event_base_dispatch(ad.base);
	log_info("stopped");
	aconn_free(ad.ac);
	event_free(sigterm);
	event_free(sigint);
	event_free(ad.retry);
	event_free(ad.stop_grace);
	if (ad.tls != NULL)
		SSL_CTX_free(ad.tls);
	event_base_free(ad.base);
	return 0;
}
