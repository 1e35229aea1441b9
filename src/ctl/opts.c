/* opts.c — vigilctl's command line: one option table, checked against the command. */
#include "ctl/opts.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char opts_usage[] =
    "usage: vigilctl [options] login\n"
    "       vigilctl [options] agents list [--status S] [--node N] [--group G] [--name N]\n"
    "                [--ip IP] [--version V] [--os-platform P] [--q QUERY] [--search S]\n"
    "                [--select F,...] [--sort S] [--limit N] [--offset N] [--page-size N]\n"
    "                [--json]\n"
    "       vigilctl [options] agents restart (ID... | --all | --node N | --group G)\n"
    "                [--max-in-flight N] [--rate N] [--expires-in S] [--queue]\n"
    "                [--wait [--timeout S]] [--json]\n"
    "       vigilctl [options] agents import --keys CLIENT.KEYS [--groups PATH]\n"
    "       vigilctl [options] jobs list [--status S] [--command C] [--json]\n"
    "       vigilctl [options] jobs show ID [--state S,...] [--wait [--timeout S]] [--json]\n"
    "       vigilctl [options] jobs cancel ID [--json]\n"
    "       vigilctl [options] cluster nodes [--json]\n"
    "       vigilctl [options] cluster health [--json]\n"
    "       vigilctl [options] top [--interval S] [--once]\n"
    "options: --url https://HOST:PORT  --user U  --password P | --password-file F\n"
    "         --ca FILE | --insecure  --config FILE\n"
    "Exit codes: 0 ok, 1 API error or failed items, 2 usage, 3 connection/TLS,\n"
    "4 authentication, 5 --wait timed out, 6 --wait: some agents failed or expired.\n"
    "See vigilctl(1).\n";

enum {
	O_URL = 256, O_USER, O_PASSWORD, O_PASSWORD_FILE, O_CA, O_INSECURE, O_CONFIG, O_JSON,
	O_STATUS, O_NODE, O_GROUP, O_Q, O_SEARCH, O_SELECT, O_SORT, O_NAME, O_IP, O_VERSION,
	O_OS_PLATFORM, O_LIMIT, O_OFFSET, O_PAGE_SIZE, O_ALL, O_WAIT, O_KEYS, O_GROUPS, O_TIMEOUT,
	O_MAX_IN_FLIGHT, O_RATE, O_EXPIRES_IN, O_QUEUE, O_COMMAND, O_STATE, O_INTERVAL, O_ONCE,
	O_LAST = O_ONCE,
};

/* Which commands take which option (bits of enum ctl_cmd). */
#define C(x) (1u << (x))
#define C_JOBS (C(CMD_JOBS_LIST) | C(CMD_JOBS_SHOW) | C(CMD_JOBS_CANCEL))

static const struct {
	int opt;
	const char *name;
	unsigned int cmds;
} opt_cmds[] = {
	{ O_JSON, "--json", C(CMD_AGENTS_LIST) | C(CMD_AGENTS_RESTART) | C(CMD_CLUSTER_NODES) |
	    C(CMD_CLUSTER_HEALTH) | C_JOBS },
	{ O_STATUS, "--status", C(CMD_AGENTS_LIST) | C(CMD_JOBS_LIST) },
	{ O_NODE, "--node", C(CMD_AGENTS_LIST) | C(CMD_AGENTS_RESTART) },
	{ O_GROUP, "--group", C(CMD_AGENTS_LIST) | C(CMD_AGENTS_RESTART) },
	{ O_Q, "--q", C(CMD_AGENTS_LIST) },
	{ O_SEARCH, "--search", C(CMD_AGENTS_LIST) },
	{ O_SELECT, "--select", C(CMD_AGENTS_LIST) },
	{ O_SORT, "--sort", C(CMD_AGENTS_LIST) },
	{ O_NAME, "--name", C(CMD_AGENTS_LIST) },
	{ O_IP, "--ip", C(CMD_AGENTS_LIST) },
	{ O_VERSION, "--version", C(CMD_AGENTS_LIST) },
	{ O_OS_PLATFORM, "--os-platform", C(CMD_AGENTS_LIST) },
	{ O_LIMIT, "--limit", C(CMD_AGENTS_LIST) },
	{ O_OFFSET, "--offset", C(CMD_AGENTS_LIST) },
	{ O_PAGE_SIZE, "--page-size", C(CMD_AGENTS_LIST) | C(CMD_JOBS_LIST) | C(CMD_JOBS_SHOW) },
	{ O_ALL, "--all", C(CMD_AGENTS_RESTART) },
	{ O_WAIT, "--wait", C(CMD_AGENTS_RESTART) | C(CMD_JOBS_SHOW) },
	{ O_TIMEOUT, "--timeout", C(CMD_AGENTS_RESTART) | C(CMD_JOBS_SHOW) },
	{ O_MAX_IN_FLIGHT, "--max-in-flight", C(CMD_AGENTS_RESTART) },
	{ O_RATE, "--rate", C(CMD_AGENTS_RESTART) },
	{ O_EXPIRES_IN, "--expires-in", C(CMD_AGENTS_RESTART) },
	{ O_QUEUE, "--queue", C(CMD_AGENTS_RESTART) },
	{ O_COMMAND, "--command", C(CMD_JOBS_LIST) },
	{ O_STATE, "--state", C(CMD_JOBS_SHOW) },
	{ O_KEYS, "--keys", C(CMD_AGENTS_IMPORT) },
	{ O_GROUPS, "--groups", C(CMD_AGENTS_IMPORT) },
	{ O_INTERVAL, "--interval", C(CMD_TOP) },
	{ O_ONCE, "--once", C(CMD_TOP) },
};

static const struct option longopts[] = {
	{ "url", required_argument, NULL, O_URL },
	{ "user", required_argument, NULL, O_USER },
	{ "password", required_argument, NULL, O_PASSWORD },
	{ "password-file", required_argument, NULL, O_PASSWORD_FILE },
	{ "ca", required_argument, NULL, O_CA },
	{ "insecure", no_argument, NULL, O_INSECURE },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "json", no_argument, NULL, O_JSON },
	{ "status", required_argument, NULL, O_STATUS },
	{ "node", required_argument, NULL, O_NODE },
	{ "group", required_argument, NULL, O_GROUP },
	{ "q", required_argument, NULL, O_Q },
	{ "search", required_argument, NULL, O_SEARCH },
	{ "select", required_argument, NULL, O_SELECT },
	{ "sort", required_argument, NULL, O_SORT },
	{ "name", required_argument, NULL, O_NAME },
	{ "ip", required_argument, NULL, O_IP },
	{ "version", required_argument, NULL, O_VERSION },
	{ "os-platform", required_argument, NULL, O_OS_PLATFORM },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "offset", required_argument, NULL, O_OFFSET },
	{ "page-size", required_argument, NULL, O_PAGE_SIZE },
	{ "all", no_argument, NULL, O_ALL },
	{ "wait", no_argument, NULL, O_WAIT },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "keys", required_argument, NULL, O_KEYS },
	{ "groups", required_argument, NULL, O_GROUPS },
	{ "max-in-flight", required_argument, NULL, O_MAX_IN_FLIGHT },
	{ "rate", required_argument, NULL, O_RATE },
	{ "expires-in", required_argument, NULL, O_EXPIRES_IN },
	{ "queue", no_argument, NULL, O_QUEUE },
	{ "command", required_argument, NULL, O_COMMAND },
	{ "state", required_argument, NULL, O_STATE },
	{ "interval", required_argument, NULL, O_INTERVAL },
	{ "once", no_argument, NULL, O_ONCE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int
opts_agent_id(const char *s, char *out, size_t cap)
{
	size_t n = strlen(s);
	char *end;
	long v;

	if (n == 0 || n > 6 || strspn(s, "0123456789") != n)
		return -1;
	v = strtol(s, &end, 10);
	return snprintf(out, cap, "%03ld", v) >= (int)cap ? -1 : 0;
}

int
opts_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 256 && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == n;
}

/* set_str: a --url/--user/... value into a conf field; -1 when it is too long or empty. */
static int
set_str(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= cap)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

static int
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* command: the command words at argv[*i...] (advancing *i), or CMD_NONE. */
static int
command(int argc, char **argv, int *i, char *err, size_t errcap)
{
	const char *a = argv[*i], *b = *i + 1 < argc ? argv[*i + 1] : NULL;

	(*i)++;
	if (strcmp(a, "login") == 0)
		return CMD_LOGIN;
	if (strcmp(a, "help") == 0)
		return CMD_HELP;
	if (strcmp(a, "top") == 0)
		return CMD_TOP;
	if (strcmp(a, "agents") == 0 || strcmp(a, "cluster") == 0) {
		int agents = a[0] == 'a';

		if (b == NULL) {
			snprintf(err, errcap, "'%s' needs a subcommand (%s)", a,
			    agents ? "list, restart or import" : "nodes or health");
			return CMD_NONE;
		}
		(*i)++;
		if (agents && strcmp(b, "list") == 0)
			return CMD_AGENTS_LIST;
		if (agents && strcmp(b, "restart") == 0)
			return CMD_AGENTS_RESTART;
		if (agents && strcmp(b, "import") == 0)
			return CMD_AGENTS_IMPORT;
		if (!agents && strcmp(b, "nodes") == 0)
			return CMD_CLUSTER_NODES;
		if (!agents && (strcmp(b, "health") == 0 || strcmp(b, "healthcheck") == 0))
			return CMD_CLUSTER_HEALTH;
		snprintf(err, errcap, "unknown command '%s %.40s'", a, b);
		return CMD_NONE;
	}
	if (strcmp(a, "jobs") == 0) {
		if (b == NULL) {
			snprintf(err, errcap, "'jobs' needs a subcommand (list, show or cancel)");
			return CMD_NONE;
		}
		(*i)++;
		if (strcmp(b, "list") == 0)
			return CMD_JOBS_LIST;
		if (strcmp(b, "show") == 0)
			return CMD_JOBS_SHOW;
		if (strcmp(b, "cancel") == 0)
			return CMD_JOBS_CANCEL;
		snprintf(err, errcap, "unknown command 'jobs %.40s'", b);
		return CMD_NONE;
	}
	snprintf(err, errcap, "unknown command '%.40s'", a);
	return CMD_NONE;
}

/* in_list: whether each comma-separated word of s is one of words (NULL-ended). */
static int
in_list(const char *s, const char *const *words)
{
	char buf[256], *tok, *save = NULL;
	size_t k;

	if (strlen(s) >= sizeof(buf) || s[0] == '\0')
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; words[k] != NULL && strcmp(words[k], tok) != 0; k++)
			;
		if (words[k] == NULL)
			return 0;
	}
	return 1;
}

/* jobs_args: checks a jobs command's options and reads its ID (argv[*i]); 0 / -1 (err). */
static int
jobs_args(int argc, char **argv, int *i, struct ctl_opts *o, const int *seen, char *err,
    size_t errcap)
{
	static const char *const statuses[] = { "running", "cancelling", "done", NULL };
	static const char *const states[] = { "pending", "delivered", "completed", "failed",
		"expired", "cancelled", NULL };
	const char *id;
	char *end;

	if (o->status != NULL && !in_list(o->status, statuses)) {
		snprintf(err, errcap, "bad --status '%.40s' (running, cancelling or done)", o->status);
		return -1;
	}
	if (o->command != NULL && strcmp(o->command, "restart") != 0 &&
	    strcmp(o->command, "reconnect") != 0) {
		snprintf(err, errcap, "bad --command '%.40s' (restart or reconnect)", o->command);
		return -1;
	}
	if (o->state != NULL && !in_list(o->state, states)) {
		snprintf(err, errcap, "bad --state '%.40s' (a list of pending, delivered, completed, "
		    "failed, expired, cancelled)", o->state);
		return -1;
	}
	if (seen[O_TIMEOUT] && !o->wait) {
		snprintf(err, errcap, "--timeout goes with --wait");
		return -1;
	}
	if (o->json && o->wait) {
		snprintf(err, errcap, "--json and --wait do not go together");
		return -1;
	}
	if (o->cmd == CMD_JOBS_LIST)
		return 0;
	if (*i >= argc) {
		snprintf(err, errcap, "jobs %s: give the job's ID", o->cmd == CMD_JOBS_SHOW ? "show" :
		    "cancel");
		return -1;
	}
	id = argv[(*i)++];
	errno = 0;
	o->job_id = strtoull(id, &end, 10);
	if (!isdigit((unsigned char)id[0]) || *end != '\0' || errno != 0 || o->job_id == 0 ||
	    o->job_id >= (1ULL << 62)) {
		snprintf(err, errcap, "'%.40s' is not a job ID (a number such as 12)", id);
		return -1;
	}
	return 0;
}

int
opts_parse(int argc, char **argv, struct ctl_opts *o, char *err, size_t errcap)
{
	int seen[O_LAST + 1], c, i, help = 0;
	long v;
	size_t k;

	memset(o, 0, sizeof(*o));
	memset(seen, 0, sizeof(seen));
	conf_init(&o->flags);
	o->timeout = 300;
	o->page_size = 1000;
	o->interval = 2;
	o->max_in_flight = o->rate = o->expires_in = -1;
	err[0] = '\0';
	optind = 0;        /* glibc: a full reinitialisation, so tests may parse again */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		const char *arg = optarg;

		if (c >= O_URL && c <= O_LAST)
			seen[c] = 1;
		switch (c) {
		case O_URL:
			if (set_str(o->flags.url, sizeof(o->flags.url), arg) == -1)
				goto bad_value;
			break;
		case O_USER:
			if (set_str(o->flags.user, sizeof(o->flags.user), arg) == -1)
				goto bad_value;
			break;
		case O_PASSWORD:
			if (set_str(o->flags.password, sizeof(o->flags.password), arg) == -1)
				goto bad_value;
			break;
		case O_PASSWORD_FILE:
			if (set_str(o->flags.password_file, sizeof(o->flags.password_file), arg) == -1)
				goto bad_value;
			break;
		case O_CA:
			if (set_str(o->flags.ca, sizeof(o->flags.ca), arg) == -1)
				goto bad_value;
			break;
		case O_INSECURE: o->flags.insecure = 1; break;
		case O_CONFIG: o->config = arg; break;
		case O_JSON: o->json = 1; break;
		case O_STATUS: o->status = arg; break;
		case O_NODE: o->node = arg; break;
		case O_GROUP: o->group = arg; break;
		case O_Q: o->q = arg; break;
		case O_SEARCH: o->search = arg; break;
		case O_SELECT: o->select = arg; break;
		case O_SORT: o->sort = arg; break;
		case O_NAME: o->name = arg; break;
		case O_IP: o->ip = arg; break;
		case O_VERSION: o->version = arg; break;
		case O_OS_PLATFORM: o->os_platform = arg; break;
		case O_LIMIT:
			if (parse_long(arg, 1, 100000000, &o->limit) == -1) {
				snprintf(err, errcap, "bad --limit '%.40s' (a number from 1)", arg);
				return -1;
			}
			break;
		case O_OFFSET:
			if (parse_long(arg, 0, 100000000, &o->offset) == -1) {
				snprintf(err, errcap, "bad --offset '%.40s' (a number from 0)", arg);
				return -1;
			}
			break;
		case O_PAGE_SIZE:
			if (parse_long(arg, 1, 100000, &o->page_size) == -1) {
				snprintf(err, errcap, "bad --page-size '%.40s' (1..100000)", arg);
				return -1;
			}
			break;
		case O_ALL: o->all = 1; break;
		case O_KEYS: o->keys = arg; break;
		case O_GROUPS: o->groups_path = arg; break;
		case O_WAIT: o->wait = 1; break;
		case O_TIMEOUT:
			if (parse_long(arg, 1, 86400, &v) == -1) {
				snprintf(err, errcap, "bad --timeout '%.40s' (1..86400 seconds)", arg);
				return -1;
			}
			o->timeout = (double)v;
			break;
		case O_MAX_IN_FLIGHT:
			if (parse_long(arg, 0, 1000000, &o->max_in_flight) == -1) {
				snprintf(err, errcap, "bad --max-in-flight '%.40s' (0..1000000, 0 = no "
				    "limit)", arg);
				return -1;
			}
			break;
		case O_RATE:
			if (parse_long(arg, 0, 1000000, &o->rate) == -1) {
				snprintf(err, errcap, "bad --rate '%.40s' (0..1000000 agents a second, "
				    "0 = no limit)", arg);
				return -1;
			}
			break;
		case O_EXPIRES_IN:
			if (parse_long(arg, 1, 604800, &o->expires_in) == -1) {
				snprintf(err, errcap, "bad --expires-in '%.40s' (1..604800 seconds)", arg);
				return -1;
			}
			break;
		case O_QUEUE: o->queue = 1; break;
		case O_COMMAND: o->command = arg; break;
		case O_STATE: o->state = arg; break;
		case O_INTERVAL:
			/* 1 s at least: a refresh costs a few requests of the user's per-minute
			 * allowance (vigilctl(1)) */
			if (parse_long(arg, 1, 3600, &o->interval) == -1) {
				snprintf(err, errcap, "bad --interval '%.40s' (1..3600 seconds)", arg);
				return -1;
			}
			break;
		case O_ONCE: o->once = 1; break;
		case 'h': help = 1; break;
		case ':':
			snprintf(err, errcap, "option '%.40s' needs a value", argv[optind - 1]);
			return -1;
		default:
			snprintf(err, errcap, "unknown option '%.40s'", argv[optind - 1]);
			return -1;
		}
		continue;
bad_value:
		snprintf(err, errcap, "bad value for '%.40s' (empty or too long)", argv[optind - 1]);
		return -1;
	}
	if (help) {
		o->cmd = CMD_HELP;
		return 0;
	}
	i = optind;
	if (i >= argc) {
		snprintf(err, errcap, "no command given");
		return -1;
	}
	if ((o->cmd = command(argc, argv, &i, err, errcap)) == CMD_NONE)
		return -1;
	for (k = 0; k < sizeof(opt_cmds) / sizeof(opt_cmds[0]); k++) {
		if (seen[opt_cmds[k].opt] && !(opt_cmds[k].cmds & C(o->cmd))) {
			snprintf(err, errcap, "%s does not apply to this command", opt_cmds[k].name);
			return -1;
		}
	}
	if ((o->cmd == CMD_JOBS_LIST || o->cmd == CMD_JOBS_SHOW || o->cmd == CMD_JOBS_CANCEL) &&
	    jobs_args(argc, argv, &i, o, seen, err, errcap) == -1)
		return -1;
	if (o->cmd == CMD_AGENTS_IMPORT && o->keys == NULL) {
		snprintf(err, errcap, "agents import: give --keys FILE (a Wazuh manager's "
		    "client.keys, e.g. /var/ossec/etc/client.keys)");
		return -1;
	}
	if (o->cmd == CMD_AGENTS_RESTART) {
		int targets = (i < argc) + o->all + (o->node != NULL) + (o->group != NULL);

		if (targets != 1) {
			snprintf(err, errcap, "agents restart: give agent IDs, --all, --node N or "
			    "--group G (exactly one of them)");
			return -1;
		}
		if (seen[O_TIMEOUT] && !o->wait) {
			snprintf(err, errcap, "--timeout goes with --wait");
			return -1;
		}
		if (o->json && o->wait) {
			snprintf(err, errcap, "--json and --wait do not go together");
			return -1;
		}
		if ((o->node && !opts_name_ok(o->node)) || (o->group && !opts_name_ok(o->group))) {
			snprintf(err, errcap, "bad %s name '%.60s'", o->node ? "node" : "group",
			    o->node ? o->node : o->group);
			return -1;
		}
		if (argc - i > OPTS_MAX_IDS) {
			snprintf(err, errcap, "too many agent IDs (at most %d)", OPTS_MAX_IDS);
			return -1;
		}
		if (i < argc && (o->ids = calloc((size_t)(argc - i), sizeof(*o->ids))) == NULL) {
			snprintf(err, errcap, "out of memory");
			return -1;
		}
		for (; i < argc; i++) {
			/* "001,002" works as well as "001 002" */
			char buf[64], *tok, *save = NULL;

			if (strlen(argv[i]) >= sizeof(buf) || strchr(argv[i], ',') == NULL) {
				if (opts_agent_id(argv[i], o->ids[o->nids], sizeof(o->ids[0])) == -1)
					goto bad_id;
				o->nids++;
				continue;
			}
			snprintf(buf, sizeof(buf), "%s", argv[i]);
			for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				char (*grown)[8];

				if ((grown = realloc(o->ids, (o->nids + (size_t)(argc - i) + 1) *
				    sizeof(*o->ids))) == NULL) {
					snprintf(err, errcap, "out of memory");
					return -1;
				}
				o->ids = grown;
				if (opts_agent_id(tok, o->ids[o->nids], sizeof(o->ids[0])) == -1)
					goto bad_id;
				o->nids++;
			}
		}
		return 0;
bad_id:
		snprintf(err, errcap, "'%.40s' is not an agent ID (a number such as 001)", argv[i]);
		return -1;
	}
	if (i < argc) {
		snprintf(err, errcap, "unexpected argument '%.40s'", argv[i]);
		return -1;
	}
	return 0;
}

void
opts_free(struct ctl_opts *o)
{
	free(o->ids);
	o->ids = NULL;
	o->nids = 0;
}
