/* config.c — vigild options: defaults, command line, config file. */
#include "node/core/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/cbody.h"

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->role = ROLE_MASTER;
	snprintf(c->name, sizeof(c->name), "master-node");
	snprintf(c->data_dir, sizeof(c->data_dir), "vigil-data");
	snprintf(c->listen, sizeof(c->listen), "0.0.0.0");
	c->agent_port = 1514;
	c->enroll_port = 1515;
	c->cluster_port = 1516;
	c->api_port = 55000;
	c->verbose = 1;
	c->agents_disconnection_time = 600;
	c->keys_chunk = 5000;
	c->token_lifetime = 900;
	c->api_request_timeout = 10;
	c->max_login_attempts = 50;
	c->block_time = 300;
	c->max_request_per_minute = 300;
	c->max_logins_per_source = 60;
	c->max_logins_per_user = 30;
	c->login_threads = 1;
	c->login_queue = 32;
	c->flush_interval_ms = 100;
	c->node_grace = 10;
	c->agent_deadline = CONFIG_AGENT_DEADLINE_MIN;
	c->agent_frame_deadline = 60;
	c->enroll_max_connections = 1024;
	c->enroll_max_per_source = 64;
	c->enroll_deadline = 10;
	c->enroll_per_minute = 60;
	c->enroll_burst = 120;
	c->api_max_connections = 256;
	c->api_max_per_source = 64;
	c->api_deadline = 10;
	c->api_max_body_kib = 10240;
	c->api_body_budget_kib = 131072;
	c->restart_grace = 10;
	c->restart_settle_ms = 2000;
	c->cluster_max_connections = 64;
	c->cluster_max_per_source = 16;
	c->cluster_deadline = 10;
	snprintf(c->metrics_bind, sizeof(c->metrics_bind), "127.0.0.1");
	c->metrics_max_connections = 16;
	c->metrics_max_per_source = 8;
	c->metrics_deadline = 10;
}

/* The listener limits: name, where, smallest and largest value. */
static const struct limit_opt {
	const char *key;
	size_t off;
	long min, max;
} limit_opts[] = {
	{ "agent-max-connections", offsetof(struct config, agent_max_connections), 0, 10000000 },
	{ "agent-max-per-source", offsetof(struct config, agent_max_per_source), 0, 10000000 },
	{ "agent-deadline", offsetof(struct config, agent_deadline), 1, 3600 },
	{ "agent-frame-deadline", offsetof(struct config, agent_frame_deadline), 1, 3600 },
	{ "enroll-max-connections", offsetof(struct config, enroll_max_connections), 1, 1000000 },
	{ "enroll-max-per-source", offsetof(struct config, enroll_max_per_source), 0, 1000000 },
	{ "enroll-deadline", offsetof(struct config, enroll_deadline), 1, 3600 },
	{ "enroll-per-minute", offsetof(struct config, enroll_per_minute), 0, 1000000 },
	{ "enroll-burst", offsetof(struct config, enroll_burst), 0, 1000000 },
	{ "enroll-total-per-minute", offsetof(struct config, enroll_total_per_minute), 0, 1000000 },
	{ "enroll-total-burst", offsetof(struct config, enroll_total_burst), 0, 1000000 },
	{ "api-max-connections", offsetof(struct config, api_max_connections), 1, 1000000 },
	{ "api-max-per-source", offsetof(struct config, api_max_per_source), 0, 1000000 },
	{ "api-deadline", offsetof(struct config, api_deadline), 1, 3600 },
	{ "api-max-body-kib", offsetof(struct config, api_max_body_kib), 64, 1048576 },
	{ "api-body-budget-kib", offsetof(struct config, api_body_budget_kib), 0, 16777216 },
	{ "restart-grace", offsetof(struct config, restart_grace), 0, 86400 },
	{ "restart-settle-ms", offsetof(struct config, restart_settle_ms), 0, 600000 },
	{ "cluster-max-connections", offsetof(struct config, cluster_max_connections), 1, 1000000 },
	{ "cluster-max-per-source", offsetof(struct config, cluster_max_per_source), 0, 1000000 },
	{ "cluster-deadline", offsetof(struct config, cluster_deadline), 1, 3600 },
	{ "metrics-max-connections", offsetof(struct config, metrics_max_connections), 1, 100000 },
	{ "metrics-max-per-source", offsetof(struct config, metrics_max_per_source), 0, 100000 },
	{ "metrics-deadline", offsetof(struct config, metrics_deadline), 1, 3600 },
};

void
config_usage(FILE *f)
{
	fprintf(f,
	    "usage: vigild [--role master|worker] [--name NODE] [--data-dir DIR]\n"
	    "              [--registry postgresql://USER@HOST:PORT/DB]\n"
	    "              [--listen ADDR] [--agent-port 1514] [--enroll-port 1515]\n"
	    "              [--cluster-port 1516] [--api-port 55000]\n"
	    "              [--enroll-password-file FILE] [--cert-file F --key-file F]\n"
	    "              [--agents-disconnection-time S]\n"
	    "              [--token-lifetime S] [--api-request-timeout S]\n"
	    "              [--max-login-attempts N] [--block-time S]\n"
	    "              [--max-request-per-minute N] [--max-logins-per-source N]\n"
	    "              [--max-logins-per-user N] [--login-threads N] [--login-queue N]\n"
	    "              [--master HOST:PORT[,HOST:PORT...]] [--cluster-key-file F]\n"
	    "              [--node-grace S] [--user NAME] [--test-faults]\n"
	    "              [--{agent,enroll,api,cluster}-max-connections N]\n"
	    "              [--{agent,enroll,api,cluster}-max-per-source N]\n"
	    "              [--{agent,enroll,api,cluster}-deadline S] [--agent-frame-deadline S]\n"
	    "              [--api-max-body-kib N] [--api-body-budget-kib N] [--restart-grace S]\n"
	    "              [--restart-settle-ms MS]\n"
	    "              [--allow-higher-versions yes|no]\n"
	    "              [--enroll-per-minute N] [--enroll-burst N]\n"
	    "              [--enroll-total-per-minute N] [--enroll-total-burst N]\n"
	    "              [--metrics-port PORT] [--metrics-bind ADDR] [--metrics-token-file F]\n"
	    "              [--metrics-{max-connections,max-per-source} N] [--metrics-deadline S]\n"
	    "              [--config FILE] [--foreground] [-v|--verbose] [-q|--quiet]\n");
}

static int
parse_int(const char *key, const char *v, long min, long max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max) {
		fprintf(stderr, "vigild: %s: '%s' is not a number in %ld..%ld\n", key, v, min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/*
 * name_valid: a node name is [A-Za-z0-9._-]{1,63}.  It is the worker's PSK
 * identity and goes in every hello, and a peer refuses a hello whose name is
 * anything else (proto/cbody.c): a bad name must stop the node at start-up,
 * not leave it retrying a link that can never come up.
 */
static int
name_valid(const char *v)
{
	return cbody_node_name_ok(v, strlen(v));
}

static int
set_str(const char *key, char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap || *v == '\0') {
		fprintf(stderr, "vigild: %s: value empty or too long\n", key);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* master_item: one item of a --master list, len bytes at v, spaces trimmed: out, or -1 (err). */
static int
master_item(const char *v, size_t len, size_t nth, struct config_master *out, char *err,
    size_t errlen)
{
	const char *colon, *p;
	size_t hlen, plen, i;
	unsigned long port = 0;

	while (len > 0 && isspace((unsigned char)*v)) {
		v++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)v[len - 1]))
		len--;
	if (len == 0) {
		snprintf(err, errlen, "item %zu is empty", nth);
		return -1;
	}
	if (len >= sizeof(out->addr)) {
		snprintf(err, errlen, "item %zu is longer than %zu characters", nth,
		    sizeof(out->addr) - 1);
		return -1;
	}
	memcpy(out->addr, v, len);
	out->addr[len] = '\0';
	for (i = 0; i < len; i++)
		if (isspace((unsigned char)v[i]) || iscntrl((unsigned char)v[i])) {
			snprintf(err, errlen, "'%s': a space or control character", out->addr);
			return -1;
		}
	if ((colon = memrchr(v, ':', len)) == NULL) {
		snprintf(err, errlen, "'%s' has no port (expected HOST:PORT)", out->addr);
		return -1;
	}
	hlen = (size_t)(colon - v);
	plen = len - hlen - 1;
	if (hlen == 0) {
		snprintf(err, errlen, "'%s' has no host (expected HOST:PORT)", out->addr);
		return -1;
	}
	if (memchr(v, ':', hlen) != NULL) {
		/* the worker resolves IPv4 only (cluster.c); [::1]:1516 would need more */
		snprintf(err, errlen, "'%s': the host has a ':' (expected HOST:PORT; IPv6 is not "
		    "supported)", out->addr);
		return -1;
	}
	for (p = colon + 1; p < v + len && plen <= 5; p++) {
		if (*p < '0' || *p > '9')
			break;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (plen == 0 || plen > 5 || p != v + len || port < 1 || port > 65535) {
		snprintf(err, errlen, "'%s': port '%.*s' is not a number in 1..65535", out->addr,
		    (int)plen, colon + 1);
		return -1;
	}
	memcpy(out->host, v, hlen);
	out->host[hlen] = '\0';
	memcpy(out->port, colon + 1, plen);
	out->port[plen] = '\0';
	return 0;
}

int
config_masters_parse(const char *v, struct config_master *out, size_t max, char *err,
    size_t errlen)
{
	const char *end;
	size_t n = 0, k;

	for (;;) {
		end = strchr(v, ',');
		if (n == max) {
			snprintf(err, errlen, "more than %zu addresses", max);
			return -1;
		}
		if (master_item(v, end != NULL ? (size_t)(end - v) : strlen(v), n + 1, &out[n],
		    err, errlen) == -1)
			return -1;
		for (k = 0; k < n; k++)
			if (strcmp(out[k].addr, out[n].addr) == 0) {
				snprintf(err, errlen, "'%s' is listed twice", out[n].addr);
				return -1;
			}
		n++;
		if (end == NULL)
			break;
		v = end + 1;
	}
	return (int)n;
}

/* set_masters: --master, a list checked now: a typo must stop the start, not the link. */
static int
set_masters(struct config *c, const char *v)
{
	struct config_master m[CONFIG_MASTERS_MAX];
	char err[256];
	int n;

	if ((n = config_masters_parse(v, m, CONFIG_MASTERS_MAX, err, sizeof(err))) == -1) {
		fprintf(stderr, "vigild: master: %s\n", err);
		return -1;
	}
	if (set_str("master", c->master, sizeof(c->master), v) == -1)
		return -1;
	memcpy(c->masters, m, sizeof(m));
	c->nmasters = (size_t)n;
	return 0;
}

int
config_set(struct config *c, const char *key, const char *v)
{
	size_t i;

	for (i = 0; i < sizeof(limit_opts) / sizeof(limit_opts[0]); i++)
		if (strcmp(key, limit_opts[i].key) == 0)
			return parse_int(key, v, limit_opts[i].min, limit_opts[i].max,
			    (int *)((char *)c + limit_opts[i].off));
	if (strcmp(key, "role") == 0) {
		if (strcmp(v, "master") == 0)
			c->role = ROLE_MASTER;
		else if (strcmp(v, "worker") == 0)
			c->role = ROLE_WORKER;
		else {
			fprintf(stderr, "vigild: role: '%s' is not master or worker\n", v);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "name") == 0) {
		if (!name_valid(v)) {
			fprintf(stderr, "vigild: name: '%s' is not a node name: 1 to 63 of "
			    "A-Z a-z 0-9 . _ -\n", v);
			return -1;
		}
		return set_str(key, c->name, sizeof(c->name), v);
	}
	if (strcmp(key, "data-dir") == 0)
		return set_str(key, c->data_dir, sizeof(c->data_dir), v);
	if (strcmp(key, "registry") == 0) {
		/* the only other store there is; SQLite is the default, in the data dir */
		if (strncmp(v, "postgresql://", 13) != 0 && strncmp(v, "postgres://", 11) != 0) {
			fprintf(stderr, "vigild: registry: not a postgresql:// connection URI "
			    "(without --registry the registry is DATA_DIR/registry.db)\n");
			return -1;
		}
		return set_str(key, c->registry, sizeof(c->registry), v);
	}
	if (strcmp(key, "listen") == 0)
		return set_str(key, c->listen, sizeof(c->listen), v);
	if (strcmp(key, "agent-port") == 0)
		return parse_int(key, v, 0, 65535, &c->agent_port);
	if (strcmp(key, "enroll-port") == 0)
		return parse_int(key, v, 0, 65535, &c->enroll_port);
	if (strcmp(key, "cluster-port") == 0)
		return parse_int(key, v, 0, 65535, &c->cluster_port);
	if (strcmp(key, "api-port") == 0)
		return parse_int(key, v, 0, 65535, &c->api_port);
	if (strcmp(key, "enroll-password-file") == 0)
		return set_str(key, c->enroll_password_file, sizeof(c->enroll_password_file), v);
	if (strcmp(key, "cert-file") == 0)
		return set_str(key, c->cert_file, sizeof(c->cert_file), v);
	if (strcmp(key, "key-file") == 0)
		return set_str(key, c->key_file, sizeof(c->key_file), v);
	if (strcmp(key, "agents-disconnection-time") == 0)
		return parse_int(key, v, 1, 86400 * 365, &c->agents_disconnection_time);
	if (strcmp(key, "token-lifetime") == 0)
		return parse_int(key, v, 1, 86400 * 365, &c->token_lifetime);
	if (strcmp(key, "api-request-timeout") == 0)
		return parse_int(key, v, 1, 86400, &c->api_request_timeout);
	if (strcmp(key, "max-login-attempts") == 0)
		return parse_int(key, v, 0, 1000000, &c->max_login_attempts);
	if (strcmp(key, "block-time") == 0)
		return parse_int(key, v, 1, 86400 * 365, &c->block_time);
	if (strcmp(key, "max-request-per-minute") == 0)
		return parse_int(key, v, 0, 100000000, &c->max_request_per_minute);
	if (strcmp(key, "max-logins-per-source") == 0)
		return parse_int(key, v, 0, 100000000, &c->max_logins_per_source);
	if (strcmp(key, "max-logins-per-user") == 0)
		return parse_int(key, v, 0, 100000000, &c->max_logins_per_user);
	if (strcmp(key, "login-threads") == 0)
		return parse_int(key, v, 1, 16, &c->login_threads);
	if (strcmp(key, "login-queue") == 0)
		return parse_int(key, v, 1, 100000, &c->login_queue);
	if (strcmp(key, "flush-interval-ms") == 0)
		return parse_int(key, v, 1, 10000, &c->flush_interval_ms);
	if (strcmp(key, "node-grace") == 0)
		return parse_int(key, v, 0, 86400, &c->node_grace);
	if (strcmp(key, "master") == 0)
		return set_masters(c, v);
	if (strcmp(key, "metrics-port") == 0)
		return parse_int(key, v, 0, 65535, &c->metrics_port);
	if (strcmp(key, "metrics-bind") == 0)
		return set_str(key, c->metrics_bind, sizeof(c->metrics_bind), v);
	if (strcmp(key, "metrics-token-file") == 0)
		return set_str(key, c->metrics_token_file, sizeof(c->metrics_token_file), v);
	if (strcmp(key, "cluster-key-file") == 0)
		return set_str(key, c->cluster_key_file, sizeof(c->cluster_key_file), v);
	if (strcmp(key, "user") == 0)
		return set_str(key, c->user, sizeof(c->user), v);
	if (strcmp(key, "foreground") == 0) {
		c->foreground = strcmp(v, "no") != 0 && strcmp(v, "0") != 0;
		return 0;
	}
	if (strcmp(key, "allow-higher-versions") == 0) {
		if (strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
			c->allow_higher_versions = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
			c->allow_higher_versions = 0;
		else {
			fprintf(stderr, "vigild: allow-higher-versions: '%s' is not yes or no\n", v);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "verbose") == 0)
		return parse_int(key, v, 0, 2, &c->verbose);
	fprintf(stderr, "vigild: unknown option '%s'\n", key);
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
config_load_file(struct config *c, const char *path)
{
	FILE *f;
	char line[1024], *k, *v, *eq, *hash;
	int lineno = 0, rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "vigild: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		k = trim(line);
		if (*k == '\0')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			fprintf(stderr, "vigild: %s:%d: expected 'key = value'\n", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if (config_set(c, k, v) == -1) {
			fprintf(stderr, "vigild: %s:%d: bad setting\n", path, lineno);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

int
config_parse_args(struct config *c, int argc, char **argv)
{
	int i, name_set = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "vigild: --config needs a file\n");
				return -1;
			}
			if (config_load_file(c, argv[i + 1]) == -1)
				return -1;
		}
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			config_usage(stdout);
			return 1;
		}
		if (strcmp(a, "--test-keys-chunk") == 0 && i + 1 < argc) {
#ifdef VIGIL_TEST_FAULTS
			/* a full keys table in parts of N agents, so tests need not enroll 5,000 */
			c->keys_chunk = atoi(argv[++i]);
			if (c->keys_chunk >= 1)
				continue;
#endif
			fprintf(stderr, "vigild: --test-keys-chunk: for vigild-test, a count >= 1\n");
			return -1;
		}
		if (strcmp(a, "--test-faults") == 0) {
#ifdef VIGIL_TEST_FAULTS
			c->test_faults = 1;
			continue;
#else
			fprintf(stderr, "vigild: --test-faults: this build has no fault injection "
			    "(the tests' vigild-test has)\n");
			return -1;
#endif
		}
		if (strcmp(a, "--foreground") == 0 || strcmp(a, "-f") == 0) {
			c->foreground = 1;
			continue;
		}
		if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			c->verbose = 2;
			continue;
		}
		if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			c->verbose = 0;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || i + 1 >= argc) {
			fprintf(stderr, "vigild: bad argument '%s'\n", a);
			config_usage(stderr);
			return -1;
		}
		if (strcmp(a, "--config") == 0) {
			i++;
			continue;
		}
		if (config_set(c, a + 2, argv[i + 1]) == -1)
			return -1;
		if (strcmp(a, "--name") == 0)
			name_set = 1;
		i++;
	}
	/* an operator's certificate comes with its key; half of it is a mistake, not a default */
	if ((c->cert_file[0] == '\0') != (c->key_file[0] == '\0')) {
		fprintf(stderr, "vigild: --cert-file and --key-file go together (%s is missing)\n",
		    c->cert_file[0] == '\0' ? "--cert-file" : "--key-file");
		return -1;
	}
	/* Wazuh agents must never be cut off for being slow: see CONFIG_AGENT_DEADLINE_MIN */
	c->agent_deadline_asked = 0;
	if (c->agent_deadline < CONFIG_AGENT_DEADLINE_MIN) {
		c->agent_deadline_asked = c->agent_deadline;
		c->agent_deadline = CONFIG_AGENT_DEADLINE_MIN;
	}
	/* a worker's registry is its own copy; one database shared with the master would mix them */
	if (c->role == ROLE_WORKER && c->registry[0] != '\0') {
		fprintf(stderr, "vigild: --registry is a master's setting (a worker keeps its own "
		    "registry in its data dir)\n");
		return -1;
	}
	if (c->role == ROLE_WORKER && !name_set && strcmp(c->name, "master-node") == 0)
		snprintf(c->name, sizeof(c->name), "worker");
	return 0;
}
