/* opts.c — command-line parsing for the agent and the simulator. */
#include "agent/opts.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char opts_agent_usage[] =
    "usage: vigil-agent --manager HOST:PORT[,HOST:PORT...] [--enroll HOST:PORT]\n"
    "                   [--password-file F] [--ca FILE [--no-host-check]]\n"
    "                   [--name NAME] [--data-dir DIR]\n"
    "                   [--keepalive S] [--version X.Y.Z] [--foreground] [-v]\n"
    "\n"
    "  --ca               enroll only with a manager whose certificate this CA\n"
    "                     (PEM) signed for the --enroll host (its address or name);\n"
    "                     without it the manager is not verified (a warning says so)\n"
    "  --no-host-check    with --ca: any certificate the CA signed, whatever host it\n"
    "                     names (as Wazuh's agent with server_ca_path)\n";

const char opts_sim_usage[] =
    "usage: vigil-sim --manager HOST:PORT[,...] --enroll HOST:PORT --agents N\n"
    "                 [--version X.Y.Z] [--keepalive S] [--duration S] [--data-dir DIR]\n"
    "                 [--password-file F] [--ca FILE [--no-host-check]]\n"
    "                 [--name-prefix P] [--restart-delay MS]\n"
    "                 [--summary FILE] [--enroll-concurrency K] [--first-keepalive S]\n"
    "                 [--raw-version STRING (tests: a version no release has)]\n"
    "                 [--version-mix X.Y.Z:W[,X.Y.Z:W...]] [--migrate-rate PCT]\n"
    "                 [--flap-rate PCT] [--reconnect-jitter MS] [--agent-file FILE]\n"
    "                 [--summary-brief] [--control] [--zlib stored|best]\n"
    "                 [--counter normal|reset|fixed:G:L] [-v]\n"
    "\n"
    "  --ca               enroll only with a manager whose certificate this CA\n"
    "                     (PEM) signed for the --enroll host; without it the\n"
    "                     manager is not verified (a warning says so)\n"
    "  --no-host-check    with --ca: any certificate the CA signed, whatever host it\n"
    "                     names\n"
    "  --version-mix      agents report these versions in these proportions\n"
    "                     (e.g. 4.1.5:10,4.12.0:90; below 4.2.0 gets restart-ossec0)\n"
    "  --migrate-rate     every second, PCT% of the active agents drop their link and\n"
    "                     reconnect to the next manager of the list (failover: the\n"
    "                     same process, no shutdown message, no \"Agent started\")\n"
    "  --flap-rate        every second, PCT% of the active agents drop their\n"
    "                     connection and reconnect to the same manager\n"
    "  --reconnect-jitter restarts, moves and flaps reconnect after an extra random\n"
    "                     delay of up to MS\n"
    "  --agent-file       per agent: id, version, manager, state, counters, the\n"
    "                     wall-clock time of its last session and of every command\n"
    "  --summary-brief    counts and latencies only, no per-agent list\n"
    "  --control          read commands on stdin (mark [US], move IDX..., flap\n"
    "                     IDX..., restart IDX... (a new process), dump FILE, rate\n"
    "                     migrate|flap PCT, summary, quit), answer with JSON\n"
    "                     lines on stdout\n"
    "  --zlib             how the agents compress what they send: stored (default:\n"
    "                     no compression, so one core can be many agents) or best\n"
    "                     (level 9, the bytes a Wazuh agent sends)\n"
    "  --counter          the message counters (global:local) the agents send:\n"
    "                     normal (default: one counter per agent, increasing across\n"
    "                     its connections, as a Wazuh agent), reset (every connection\n"
    "                     starts again from 0:0, as an agent that lost its counter\n"
    "                     file) or fixed:G:L (G:L on every message of every agent,\n"
    "                     as Wazuh's agent simulator: fixed:1234567891:227;\n"
    "                     G 0..4294967295, L 0..9999)\n";

int
opts_version_parse(const char *s, char *out, size_t cap)
{
	const char *p = s;
	int part, digits;

	if (*p == 'v')
		p++;
	for (part = 0; part < 3; part++) {
		digits = 0;
		while (*p >= '0' && *p <= '9') {
			p++;
			if (++digits > 3)
				return -1;
		}
		if (digits == 0)
			return -1;
		if (part < 2 && *p++ != '.')
			return -1;
	}
	if (*p != '\0')
		return -1;
	s += (*s == 'v');
	if (strlen(s) >= cap)
		return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* A decimal number in [lo, hi]. 0 / -1. */
static int
opts_uint(const char *s, unsigned int lo, unsigned int hi, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	/* where long is 32 bits, too large a number would read as ULONG_MAX = UINT_MAX */
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || v < lo || v > hi)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int
opts_copy(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= cap)
		return -1;
	memcpy(dst, s, n + 1);
	return 0;
}

#define OPTS_ERR(...) do { snprintf(err, errcap, __VA_ARGS__); return -1; } while (0)

enum {
	OPT_MANAGER = 256, OPT_ENROLL, OPT_PASSFILE, OPT_NAME, OPT_DATADIR, OPT_KEEPALIVE,
	OPT_VERSION, OPT_FOREGROUND, OPT_AGENTS, OPT_DURATION, OPT_PREFIX, OPT_RESTART_DELAY,
	OPT_SUMMARY, OPT_ENROLL_CONC, OPT_FIRST_KA, OPT_RAW_VERSION, OPT_VERSION_MIX,
	OPT_MIGRATE, OPT_FLAP, OPT_JITTER, OPT_AGENT_FILE, OPT_BRIEF, OPT_CONTROL, OPT_ZLIB,
	OPT_COUNTER, OPT_CA, OPT_NO_HOST_CHECK,
};

/* A rate in percent per second: a decimal number in [0, 100]. 0 / -1. */
static int
opts_rate(const char *s, double *out)
{
	char *end;
	double v;

	if ((*s < '0' || *s > '9') && *s != '.')
		return -1;
	v = strtod(s, &end);
	if (*end != '\0' || !(v >= 0.0 && v <= 100.0))
		return -1;
	*out = v;
	return 0;
}

/* "4.1.5:10,4.12.0:90" into o->mix.  0 / -1. */
static int
opts_version_mix(const char *s, struct sim_opts *o)
{
	char item[64], *colon;
	const char *p = s, *comma;
	size_t len;
	unsigned long w;
	char *end;

	o->nmix = 0;
	while (*p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof(item) || o->nmix == OPTS_SIM_VERSIONS_MAX)
			return -1;
		memcpy(item, p, len);
		item[len] = '\0';
		if ((colon = strchr(item, ':')) == NULL)
			return -1;
		*colon++ = '\0';
		if (*colon < '0' || *colon > '9')
			return -1;
		w = strtoul(colon, &end, 10);
		if (*end != '\0' || w == 0 || w > 1000000)
			return -1;
		if (opts_version_parse(item, o->mix[o->nmix].version, sizeof(o->mix[0].version)) == -1)
			return -1;
		o->mix[o->nmix++].weight = (unsigned int)w;
		p += len;
		if (*p == ',' && *++p == '\0')
			return -1;
	}
	return o->nmix > 0 ? 0 : -1;
}

/* --counter: "normal", "reset" or "fixed:G:L" into o.  0 / -1. */
static int
opts_counter(const char *s, struct sim_opts *o)
{
	char g[16];
	const char *colon;
	size_t len;

	if (strcmp(s, "normal") == 0) {
		o->counter = OPTS_COUNTER_NORMAL;
		return 0;
	}
	if (strcmp(s, "reset") == 0) {
		o->counter = OPTS_COUNTER_RESET;
		return 0;
	}
	if (strncmp(s, "fixed:", 6) != 0)
		return -1;
	s += 6;
	if ((colon = strchr(s, ':')) == NULL || (len = (size_t)(colon - s)) >= sizeof(g))
		return -1;
	memcpy(g, s, len);
	g[len] = '\0';
	if (opts_uint(g, 0, UINT_MAX, &o->counter_global) == -1 ||
	    opts_uint(colon + 1, 0, OPTS_COUNTER_LOCAL_MAX, &o->counter_local) == -1)
		return -1;
	o->counter = OPTS_COUNTER_FIXED;
	return 0;
}

int
opts_parse_agent(int argc, char **argv, struct agent_opts *o, char *err, size_t errcap)
{
	static const struct option lo[] = {
		{ "manager", required_argument, NULL, OPT_MANAGER },
		{ "enroll", required_argument, NULL, OPT_ENROLL },
		{ "password-file", required_argument, NULL, OPT_PASSFILE },
		{ "ca", required_argument, NULL, OPT_CA },
		{ "no-host-check", no_argument, NULL, OPT_NO_HOST_CHECK },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "data-dir", required_argument, NULL, OPT_DATADIR },
		{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
		{ "version", required_argument, NULL, OPT_VERSION },
		{ "foreground", no_argument, NULL, OPT_FOREGROUND },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *managers = NULL, *enroll = NULL;
	int c, n, host_check_off = 0;

	memset(o, 0, sizeof(*o));
	o->keepalive = OPTS_DEFAULT_KEEPALIVE;
	o->host_check = 1;
	memcpy(o->version, OPTS_DEFAULT_VERSION, sizeof(OPTS_DEFAULT_VERSION));
	memcpy(o->data_dir, "/var/lib/vigil-agent", sizeof("/var/lib/vigil-agent"));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vh", lo, NULL)) != -1) {
		switch (c) {
		case OPT_MANAGER:
			managers = optarg;
			break;
		case OPT_ENROLL:
			enroll = optarg;
			break;
		case OPT_PASSFILE:
			if (opts_copy(o->password_file, sizeof(o->password_file), optarg) == -1)
				OPTS_ERR("bad --password-file");
			break;
		case OPT_CA:
			if (opts_copy(o->ca, sizeof(o->ca), optarg) == -1)
				OPTS_ERR("bad --ca");
			break;
		case OPT_NO_HOST_CHECK:
			o->host_check = 0;
			host_check_off = 1;
			break;
		case OPT_NAME:
			if (opts_copy(o->name, sizeof(o->name), optarg) == -1)
				OPTS_ERR("bad --name");
			break;
		case OPT_DATADIR:
			if (opts_copy(o->data_dir, sizeof(o->data_dir), optarg) == -1)
				OPTS_ERR("bad --data-dir");
			break;
		case OPT_KEEPALIVE:
			if (opts_uint(optarg, 1, 86400, &o->keepalive) == -1)
				OPTS_ERR("bad --keepalive '%s' (1..86400 seconds)", optarg);
			break;
		case OPT_VERSION:
			if (opts_version_parse(optarg, o->version, sizeof(o->version)) == -1)
				OPTS_ERR("bad --version '%s' (X.Y.Z)", optarg);
			break;
		case OPT_FOREGROUND:
			o->foreground = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			return 1;
		default:
			OPTS_ERR("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		OPTS_ERR("unexpected argument '%s'", argv[optind]);
	if (managers == NULL)
		OPTS_ERR("--manager is required");
	if (host_check_off && o->ca[0] == '\0')
		OPTS_ERR("--no-host-check goes with --ca");
	n = mgrlist_parse(managers, OPTS_MANAGER_PORT, o->managers, MGRLIST_MAX);
	if (n == -1)
		OPTS_ERR("bad --manager '%s'", managers);
	o->nmanagers = n;
	if (enroll != NULL) {
		if (mgrlist_parse_one(enroll, strlen(enroll), OPTS_ENROLL_PORT, &o->enroll) == -1)
			OPTS_ERR("bad --enroll '%s'", enroll);
	} else {
		o->enroll = o->managers[0];
		memcpy(o->enroll.port, OPTS_ENROLL_PORT, sizeof(OPTS_ENROLL_PORT));
	}
	return 0;
}

int
opts_parse_sim(int argc, char **argv, struct sim_opts *o, char *err, size_t errcap)
{
	static const struct option lo[] = {
		{ "manager", required_argument, NULL, OPT_MANAGER },
		{ "enroll", required_argument, NULL, OPT_ENROLL },
		{ "agents", required_argument, NULL, OPT_AGENTS },
		{ "version", required_argument, NULL, OPT_VERSION },
		{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "data-dir", required_argument, NULL, OPT_DATADIR },
		{ "password-file", required_argument, NULL, OPT_PASSFILE },
		{ "ca", required_argument, NULL, OPT_CA },
		{ "no-host-check", no_argument, NULL, OPT_NO_HOST_CHECK },
		{ "name-prefix", required_argument, NULL, OPT_PREFIX },
		{ "restart-delay", required_argument, NULL, OPT_RESTART_DELAY },
		{ "summary", required_argument, NULL, OPT_SUMMARY },
		{ "enroll-concurrency", required_argument, NULL, OPT_ENROLL_CONC },
		{ "first-keepalive", required_argument, NULL, OPT_FIRST_KA },
		{ "raw-version", required_argument, NULL, OPT_RAW_VERSION },
		{ "version-mix", required_argument, NULL, OPT_VERSION_MIX },
		{ "migrate-rate", required_argument, NULL, OPT_MIGRATE },
		{ "flap-rate", required_argument, NULL, OPT_FLAP },
		{ "reconnect-jitter", required_argument, NULL, OPT_JITTER },
		{ "agent-file", required_argument, NULL, OPT_AGENT_FILE },
		{ "summary-brief", no_argument, NULL, OPT_BRIEF },
		{ "control", no_argument, NULL, OPT_CONTROL },
		{ "zlib", required_argument, NULL, OPT_ZLIB },
		{ "counter", required_argument, NULL, OPT_COUNTER },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *managers = NULL, *enroll = NULL, *p;
	int c, n, have_agents = 0, host_check_off = 0;

	memset(o, 0, sizeof(*o));
	o->keepalive = OPTS_DEFAULT_KEEPALIVE;
	o->host_check = 1;
	memcpy(o->version, OPTS_DEFAULT_VERSION, sizeof(OPTS_DEFAULT_VERSION));
	memcpy(o->data_dir, ".", 2);
	memcpy(o->name_prefix, "sim-", 5);
	o->restart_delay_ms = 500;
	o->enroll_concurrency = 50;
	o->first_keepalive = -1;
	o->zlib_stored = 1;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vh", lo, NULL)) != -1) {
		switch (c) {
		case OPT_MANAGER:
			managers = optarg;
			break;
		case OPT_ENROLL:
			enroll = optarg;
			break;
		case OPT_AGENTS:
			if (opts_uint(optarg, 1, OPTS_SIM_AGENTS_MAX, &o->agents) == -1)
				OPTS_ERR("bad --agents '%s' (1..%d)", optarg, OPTS_SIM_AGENTS_MAX);
			have_agents = 1;
			break;
		case OPT_VERSION:
			if (opts_version_parse(optarg, o->version, sizeof(o->version)) == -1)
				OPTS_ERR("bad --version '%s' (X.Y.Z)", optarg);
			break;
		case OPT_KEEPALIVE:
			if (opts_uint(optarg, 1, 86400, &o->keepalive) == -1)
				OPTS_ERR("bad --keepalive '%s' (1..86400 seconds)", optarg);
			break;
		case OPT_DURATION:
			if (opts_uint(optarg, 0, 100 * 86400, &o->duration) == -1)
				OPTS_ERR("bad --duration '%s'", optarg);
			break;
		case OPT_DATADIR:
			if (opts_copy(o->data_dir, sizeof(o->data_dir), optarg) == -1)
				OPTS_ERR("bad --data-dir");
			break;
		case OPT_PASSFILE:
			if (opts_copy(o->password_file, sizeof(o->password_file), optarg) == -1)
				OPTS_ERR("bad --password-file");
			break;
		case OPT_CA:
			if (opts_copy(o->ca, sizeof(o->ca), optarg) == -1)
				OPTS_ERR("bad --ca");
			break;
		case OPT_NO_HOST_CHECK:
			o->host_check = 0;
			host_check_off = 1;
			break;
		case OPT_PREFIX:
			if (opts_copy(o->name_prefix, sizeof(o->name_prefix), optarg) == -1)
				OPTS_ERR("bad --name-prefix");
			for (p = o->name_prefix; *p != '\0'; p++)
				if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789-_.", *p) == NULL)
					OPTS_ERR("bad --name-prefix '%s' ([A-Za-z0-9._-])", optarg);
			break;
		case OPT_RESTART_DELAY:
			if (opts_uint(optarg, 0, 3600000, &o->restart_delay_ms) == -1)
				OPTS_ERR("bad --restart-delay '%s' (milliseconds)", optarg);
			break;
		case OPT_SUMMARY:
			if (opts_copy(o->summary, sizeof(o->summary), optarg) == -1)
				OPTS_ERR("bad --summary");
			break;
		case OPT_ENROLL_CONC:
			if (opts_uint(optarg, 1, 10000, &o->enroll_concurrency) == -1)
				OPTS_ERR("bad --enroll-concurrency '%s' (1..10000)", optarg);
			break;
		case OPT_RAW_VERSION: {
			/* Tests: an agent reporting a version string no Wazuh release has. */
			size_t k, len = strlen(optarg);

			for (k = 0; k < len; k++)
				if (!isalnum((unsigned char)optarg[k]) && strchr("._-", optarg[k]) == NULL)
					break;
			if (len == 0 || k != len || len >= sizeof(o->version))
				OPTS_ERR("bad --raw-version '%s'", optarg);
			memcpy(o->version, optarg, len + 1);
			break;
		}
		case OPT_VERSION_MIX:
			if (opts_version_mix(optarg, o) == -1)
				OPTS_ERR("bad --version-mix '%s' (X.Y.Z:WEIGHT[,X.Y.Z:WEIGHT...], "
				    "at most %d versions)", optarg, OPTS_SIM_VERSIONS_MAX);
			break;
		case OPT_MIGRATE:
			if (opts_rate(optarg, &o->migrate_rate) == -1)
				OPTS_ERR("bad --migrate-rate '%s' (0..100 percent per second)", optarg);
			break;
		case OPT_FLAP:
			if (opts_rate(optarg, &o->flap_rate) == -1)
				OPTS_ERR("bad --flap-rate '%s' (0..100 percent per second)", optarg);
			break;
		case OPT_JITTER:
			if (opts_uint(optarg, 0, 3600000, &o->reconnect_jitter_ms) == -1)
				OPTS_ERR("bad --reconnect-jitter '%s' (milliseconds)", optarg);
			break;
		case OPT_AGENT_FILE:
			if (opts_copy(o->agent_file, sizeof(o->agent_file), optarg) == -1)
				OPTS_ERR("bad --agent-file");
			break;
		case OPT_BRIEF:
			o->summary_brief = 1;
			break;
		case OPT_CONTROL:
			o->control = 1;
			break;
		case OPT_ZLIB:
			if (strcmp(optarg, "stored") == 0)
				o->zlib_stored = 1;
			else if (strcmp(optarg, "best") == 0)
				o->zlib_stored = 0;
			else
				OPTS_ERR("bad --zlib '%s' (stored or best)", optarg);
			break;
		case OPT_COUNTER:
			if (opts_counter(optarg, o) == -1)
				OPTS_ERR("bad --counter '%s' (normal, reset or fixed:G:L with "
				    "G 0..%u and L 0..%d)", optarg, UINT_MAX, OPTS_COUNTER_LOCAL_MAX);
			break;
		case OPT_FIRST_KA: {
			unsigned int v;

			if (opts_uint(optarg, 0, 86400, &v) == -1)
				OPTS_ERR("bad --first-keepalive '%s' (0..86400 seconds)", optarg);
			o->first_keepalive = (int)v;
			break;
		}
		case 'v':
			o->verbose++;
			break;
		case 'h':
			return 1;
		default:
			OPTS_ERR("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		OPTS_ERR("unexpected argument '%s'", argv[optind]);
	if (managers == NULL)
		OPTS_ERR("--manager is required");
	if (host_check_off && o->ca[0] == '\0')
		OPTS_ERR("--no-host-check goes with --ca");
	if (!have_agents)
		OPTS_ERR("--agents is required");
	if (o->nmix == 0) {
		memcpy(o->mix[0].version, o->version, sizeof(o->version));
		o->mix[0].weight = 1;
		o->nmix = 1;
	}
	n = mgrlist_parse(managers, OPTS_MANAGER_PORT, o->managers, MGRLIST_MAX);
	if (n == -1)
		OPTS_ERR("bad --manager '%s'", managers);
	o->nmanagers = n;
	if (enroll != NULL) {
		if (mgrlist_parse_one(enroll, strlen(enroll), OPTS_ENROLL_PORT, &o->enroll) == -1)
			OPTS_ERR("bad --enroll '%s'", enroll);
	} else {
		o->enroll = o->managers[0];
		memcpy(o->enroll.port, OPTS_ENROLL_PORT, sizeof(OPTS_ENROLL_PORT));
	}
	return 0;
}
