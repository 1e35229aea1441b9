/* client.c — vigilctl's connection to the API: settings, login, token reuse, calls. */
#include "ctl/client.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ctl/net.h"
#include "lib/atomicfile.h"

#define CONF_MAX_FILE (64 * 1024)

/* read_small: the whole file at path (at most max bytes) as a string; NULL with errno. */
static char *
read_small(const char *path, size_t max, struct stat *st)
{
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, st) == -1) {
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		errno = S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
		return NULL;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, max - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n == -1) {
		free(buf);
		return NULL;
	}
	if (len == max) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		free(buf);
		errno = EINVAL;
		return NULL;
	}
	return buf;
}

/* load_file_layer: the config file into l; exit code (a missing default file is fine). */
static int
load_file_layer(struct client *c, struct ctl_conf *l)
{
	char path[1100], err[256], *text;
	struct stat st;
	int explicit = c->o->config != NULL;

	if (explicit)
		snprintf(path, sizeof(path), "%s", c->o->config);
	else if (c->dir[0])
		snprintf(path, sizeof(path), "%s/config", c->dir);
	else
		return CTL_EXIT_OK;
	if ((text = read_small(path, CONF_MAX_FILE, &st)) == NULL) {
		if (errno == ENOENT && !explicit)
			return CTL_EXIT_OK;
		fprintf(stderr, "vigilctl: cannot read the config file %s: %s\n", path,
		    strerror(errno));
		return CTL_EXIT_USAGE;
	}
	if (conf_parse(text, l, err, sizeof(err)) == -1) {
		fprintf(stderr, "vigilctl: config file %s: %s\n", path, err);
		free(text);
		return CTL_EXIT_USAGE;
	}
	free(text);
	if (l->password[0] && (st.st_mode & 077) != 0) {
		fprintf(stderr, "vigilctl: config file %s holds a password but others may read it "
		    "(mode %04o); refusing it: run 'chmod 600 %s' or move the password to a "
		    "password-file\n", path, (unsigned int)(st.st_mode & 07777), path);
		return CTL_EXIT_USAGE;
	}
	return CTL_EXIT_OK;
}

/* env_layer: VIGIL_URL, VIGIL_USER, VIGIL_PASSWORD, VIGIL_PASSWORD_FILE, VIGIL_CA, VIGIL_INSECURE. */
static int
env_layer(struct ctl_conf *l)
{
	static const struct {
		const char *name;
		size_t off, cap;
	} vars[] = {
		{ "VIGIL_URL", offsetof(struct ctl_conf, url), sizeof(l->url) },
		{ "VIGIL_USER", offsetof(struct ctl_conf, user), sizeof(l->user) },
		{ "VIGIL_PASSWORD", offsetof(struct ctl_conf, password), sizeof(l->password) },
		{ "VIGIL_PASSWORD_FILE", offsetof(struct ctl_conf, password_file),
		    sizeof(l->password_file) },
		{ "VIGIL_CA", offsetof(struct ctl_conf, ca), sizeof(l->ca) },
	};
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if ((v = getenv(vars[i].name)) == NULL || v[0] == '\0')
			continue;
		if (strlen(v) >= vars[i].cap) {
			fprintf(stderr, "vigilctl: %s is too long\n", vars[i].name);
			return CTL_EXIT_USAGE;
		}
		memcpy((char *)l + vars[i].off, v, strlen(v) + 1);
	}
	if ((v = getenv("VIGIL_INSECURE")) != NULL && v[0] != '\0')
		l->insecure = strcmp(v, "0") != 0 && strcmp(v, "no") != 0;
	return CTL_EXIT_OK;
}

/* read_password_file: the first line of c->conf.password_file into c->conf.password. */
static int
read_password_file(struct client *c)
{
	struct stat st;
	char *text;
	size_t n;

	if ((text = read_small(c->conf.password_file, 4096, &st)) == NULL) {
		fprintf(stderr, "vigilctl: cannot read the password file %s: %s\n",
		    c->conf.password_file, strerror(errno));
		return CTL_EXIT_USAGE;
	}
	n = strcspn(text, "\r\n");
	if (n == 0 || n >= sizeof(c->conf.password)) {
		fprintf(stderr, "vigilctl: the password file %s has %s first line\n",
		    c->conf.password_file, n == 0 ? "an empty" : "too long a");
		OPENSSL_cleanse(text, strlen(text));
		free(text);
		return CTL_EXIT_USAGE;
	}
	memcpy(c->conf.password, text, n);
	c->conf.password[n] = '\0';
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return CTL_EXIT_OK;
}

/* token_load: the stored token, when it was issued for this URL and user. */
static void
token_load(struct client *c)
{
	char path[1100], key[32], val[8192], url[512] = "", user[128] = "", *text;
	size_t pos = 0;
	int line = 0, rc;
	struct stat st;

	if (!c->dir[0])
		return;
	snprintf(path, sizeof(path), "%s/token", c->dir);
	if ((text = read_small(path, 16384, &st)) == NULL)
		return;
	c->token[0] = '\0';
	while ((rc = kv_next(text, &pos, &line, key, sizeof(key), val, sizeof(val))) == 1) {
		if (strcmp(key, "url") == 0)
			(void)conf_copy(url, sizeof(url), val);
		else if (strcmp(key, "user") == 0)
			(void)conf_copy(user, sizeof(user), val);
		else if (strcmp(key, "token") == 0 && strlen(val) < sizeof(c->token))
			(void)conf_copy(c->token, sizeof(c->token), val);
	}
	free(text);
	if (rc == -1 || strcmp(url, c->conf.url) != 0 || strcmp(user, c->conf.user) != 0 ||
	    strspn(c->token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
	    != strlen(c->token))
		c->token[0] = '\0';
}

/* mkdir_p: dir and its missing parents (mode 0700 for the ones made); 0 / -1. */
static int
mkdir_p(const char *dir)
{
	char tmp[1100], *p;

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* token_store: the token for later runs, mode 0600; a failure is only a warning. */
static void
token_store(struct client *c)
{
	char path[1100], *text = NULL;
	int n;

	if (!c->dir[0])
		return;
	snprintf(path, sizeof(path), "%s/token", c->dir);
	if ((n = asprintf(&text, "# vigilctl: the API token of the last login\nurl = %s\n"
	    "user = %s\ntoken = %s\n", c->conf.url, c->conf.user, c->token)) == -1)
		return;
	if (mkdir_p(c->dir) == -1 || atomicfile_write(path, text, (size_t)n, 0600) == -1)
		fprintf(stderr, "vigilctl: warning: cannot store the token in %s: %s\n", path,
		    strerror(errno));
	free(text);
}

int
client_setup(struct client *c, const struct ctl_opts *o)
{
	struct ctl_conf env, file;
	const struct ctl_conf *layers[3];
	char err[256];
	int rc;

	memset(c, 0, sizeof(*c));
	c->o = o;
	if (conf_dir(getenv("XDG_CONFIG_HOME"), getenv("HOME"), c->dir, sizeof(c->dir)) == -1)
		c->dir[0] = '\0';
	conf_init(&env);
	conf_init(&file);
	if ((rc = load_file_layer(c, &file)) != CTL_EXIT_OK || (rc = env_layer(&env)) != CTL_EXIT_OK)
		goto out;
	layers[0] = &o->flags;
	layers[1] = &env;
	layers[2] = &file;
	conf_merge(&c->conf, layers, 3);
	if (conf_parse_url(c->conf.url, &c->url, err, sizeof(err)) == -1) {
		fprintf(stderr, "vigilctl: bad server URL '%s': %s\n", c->conf.url, err);
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	if (strpbrk(c->conf.user, "\r\n\t:") != NULL || strpbrk(c->conf.password, "\r\n") != NULL) {
		fprintf(stderr, "vigilctl: the user name may not hold ':' or control characters, "
		    "nor the password a line break\n");
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	if (!c->conf.password[0] && c->conf.password_file[0] &&
	    (rc = read_password_file(c)) != CTL_EXIT_OK)
		goto out;
	if (c->conf.insecure) {
		fprintf(stderr, "vigilctl: warning: --insecure: the server's certificate is not "
		    "verified; anyone on the path can read the credentials and the token\n");
		c->verify = 0;
	} else if (!c->conf.ca[0]) {
		fprintf(stderr, "vigilctl: no CA certificate to verify %s with: give --ca FILE "
		    "(for vigild, DATA_DIR/sslmanager.cert), VIGIL_CA or 'ca =' in the config file, "
		    "or --insecure to skip the verification\n", c->conf.url);
		rc = CTL_EXIT_CONN;
		goto out;
	} else
		c->verify = 1;
	if ((c->ctx = net_ctx(c->verify ? c->conf.ca : NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "vigilctl: %s\n", err);
		rc = CTL_EXIT_CONN;
		goto out;
	}
	token_load(c);
	rc = CTL_EXIT_OK;
out:
	OPENSSL_cleanse(&env, sizeof(env));
	OPENSSL_cleanse(&file, sizeof(file));
	return rc;
}

void
client_free(struct client *c)
{
	SSL_CTX_free(c->ctx);
	OPENSSL_cleanse(c, sizeof(*c));
}

void
client_problem(const json_t *j, char *buf, size_t cap)
{
	const char *title = json_string_value(json_object_get(j, "title"));
	const char *detail = json_string_value(json_object_get(j, "detail"));
	const json_t *code = json_object_get(j, "error");

	if (json_is_integer(code))
		snprintf(buf, cap, "%s: %s (error %lld)", title ? title : "error",
		    detail ? detail : "", (long long)json_integer_value(code));
	else
		snprintf(buf, cap, "%s: %s", title ? title : "error", detail ? detail : "");
}

/* problem_text: "title: detail (error N)" of a problem+json body into buf. */
static void
problem_text(const char *body, char *buf, size_t cap)
{
	json_t *j = json_loads(body, 0, NULL);

	if (j != NULL && json_is_object(j))
		client_problem(j, buf, cap);
	else
		snprintf(buf, cap, "%.200s", body && body[0] ? body : "(no body)");
	json_decref(j);
}

/* net_exit: the exit code and message of a failed net_request. */
static int
net_exit(struct client *c, int rc, const char *err)
{
	(void)conf_copy(c->last_err, sizeof(c->last_err), err);
	if (!c->quiet_net)
		fprintf(stderr, "vigilctl: %s\n", err);
	return rc == NET_EPROTO ? CTL_EXIT_API : CTL_EXIT_CONN;
}

/* prompt_password: asks on the terminal (no echo) when there is one; 0 / -1. */
static int
prompt_password(struct client *c)
{
	struct termios old, quiet;
	FILE *tty;
	size_t n;

	if ((tty = fopen("/dev/tty", "r+e")) == NULL)
		return -1;
	if (!isatty(fileno(tty)) || tcgetattr(fileno(tty), &old) == -1) {
		fclose(tty);
		return -1;
	}
	/* Echo off before the prompt: TCSAFLUSH drops what was typed before it,
	 * never an answer to the prompt. */
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	(void)tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	fprintf(tty, "Password for %s at %s: ", c->conf.user, c->conf.url);
	fflush(tty);
	if (fgets(c->conf.password, sizeof(c->conf.password), tty) == NULL)
		c->conf.password[0] = '\0';
	(void)tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	n = strcspn(c->conf.password, "\r\n");
	c->conf.password[n] = '\0';
	return n > 0 ? 0 : -1;
}

int
client_login(struct client *c)
{
	struct net_resp r;
	char err[512], *up = NULL, auth[1024];
	unsigned char b64[800];
	json_t *j = NULL;
	const char *tok;
	int n, rc;

	if (!c->conf.password[0] && (c->o->cmd != CMD_LOGIN || prompt_password(c) == -1)) {
		fprintf(stderr, "vigilctl: no password for %s: give --password-file F, "
		    "VIGIL_PASSWORD or 'password =' in the config file%s\n", c->conf.user,
		    c->o->cmd == CMD_LOGIN ? "" : " (or run vigilctl login)");
		return CTL_EXIT_AUTH;
	}
	if ((n = asprintf(&up, "%s:%s", c->conf.user, c->conf.password)) == -1)
		return CTL_EXIT_API;
	if ((size_t)n > 3 * (sizeof(b64) / 4) - 3) {
		OPENSSL_cleanse(up, (size_t)n);
		free(up);
		fprintf(stderr, "vigilctl: user name and password are too long\n");
		return CTL_EXIT_USAGE;
	}
	EVP_EncodeBlock(b64, (const unsigned char *)up, n);
	OPENSSL_cleanse(up, (size_t)n);
	free(up);
	snprintf(auth, sizeof(auth), "Basic %s", (const char *)b64);
	OPENSSL_cleanse(b64, sizeof(b64));
	rc = net_request(c->ctx, &c->url, c->verify, "POST", "/security/user/authenticate", auth,
	    CLIENT_IO_TIMEOUT, &r, err, sizeof(err));
	OPENSSL_cleanse(auth, sizeof(auth));
	if (rc != NET_OK)
		return net_exit(c, rc, err);
	if (r.head.status != 200) {
		problem_text(r.body, err, sizeof(err));
		fprintf(stderr, "vigilctl: login as %s refused (HTTP %d): %s\n", c->conf.user,
		    r.head.status, err);
		net_resp_free(&r);
		return r.head.status == 401 || r.head.status == 403 ? CTL_EXIT_AUTH : CTL_EXIT_API;
	}
	j = json_loads(r.body, 0, NULL);
	net_resp_free(&r);
	tok = json_string_value(json_object_get(json_object_get(j, "data"), "token"));
	if (tok == NULL || strlen(tok) >= sizeof(c->token)) {
		fprintf(stderr, "vigilctl: the login answer holds no token\n");
		json_decref(j);
		return CTL_EXIT_API;
	}
	snprintf(c->token, sizeof(c->token), "%s", tok);
	json_decref(j);
	c->token_fresh = 1;
	token_store(c);
	return CTL_EXIT_OK;
}

int
client_call(struct client *c, const char *method, const char *target, json_t **body,
    long long *date)
{
	struct http_head h;
	int rc;

	if (date != NULL)
		*date = -1;
	rc = client_call_head(c, method, target, body, &h);
	if (rc == CTL_EXIT_OK && date != NULL && h.date[0])
		*date = http_parse_date(h.date);
	return rc;
}

int
client_call_head(struct client *c, const char *method, const char *target, json_t **body,
    struct http_head *head)
{
	struct net_resp r;
	char err[1024], auth[8300];
	json_error_t je;
	int rc, tries;

	*body = NULL;
	memset(head, 0, sizeof(*head));
	if (!c->token[0] && (rc = client_login(c)) != CTL_EXIT_OK)
		return rc;
	for (tries = 0;; tries++) {
		snprintf(auth, sizeof(auth), "Bearer %s", c->token);
		if ((rc = net_request(c->ctx, &c->url, c->verify, method, target, auth,
		    CLIENT_IO_TIMEOUT, &r, err, sizeof(err))) != NET_OK)
			return net_exit(c, rc, err);
		if (r.head.status != 401 || c->token_fresh || tries > 0)
			break;
		/* A stored token that expired (or that a restarted server no longer
		 * knows): log in again, once, with the credentials we have. */
		net_resp_free(&r);
		if (!c->conf.password[0]) {
			fprintf(stderr, "vigilctl: the stored token was refused (expired?) and there "
			    "is no password to log in again: run vigilctl login\n");
			return CTL_EXIT_AUTH;
		}
		if ((rc = client_login(c)) != CTL_EXIT_OK)
			return rc;
	}
	if (r.head.status != 200) {
		problem_text(r.body, err, sizeof(err));
		fprintf(stderr, "vigilctl: %s %s: HTTP %d: %s\n", method, target, r.head.status, err);
		net_resp_free(&r);
		return r.head.status == 401 || r.head.status == 403 ? CTL_EXIT_AUTH : CTL_EXIT_API;
	}
	if ((*body = json_loads(r.body, 0, &je)) == NULL || !json_is_object(*body)) {
		fprintf(stderr, "vigilctl: %s %s: the answer is not a JSON object: %s\n", method,
		    target, *body ? "" : je.text);
		json_decref(*body);
		*body = NULL;
		net_resp_free(&r);
		return CTL_EXIT_API;
	}
	*head = r.head;
	net_resp_free(&r);
	return CTL_EXIT_OK;
}

int
client_send(struct client *c, const char *method, const char *target, json_t *req,
    int *status, json_t **body)
{
	struct net_resp r;
	char err[1024], auth[8300], *text = NULL;
	int rc, tries;

	*body = NULL;
	*status = 0;
	if (!c->token[0] && (rc = client_login(c)) != CTL_EXIT_OK)
		return rc;
	if (req != NULL && (text = json_dumps(req, JSON_COMPACT)) == NULL)
		return CTL_EXIT_API;
	for (tries = 0;; tries++) {
		snprintf(auth, sizeof(auth), "Bearer %s", c->token);
		if ((rc = net_request_body(c->ctx, &c->url, c->verify, method, target, auth, text,
		    text != NULL ? strlen(text) : 0, CLIENT_IO_TIMEOUT, &r, err,
		    sizeof(err))) != NET_OK) {
			free(text);
			return net_exit(c, rc, err);
		}
		if (r.head.status != 401 || c->token_fresh || tries > 0 || !c->conf.password[0])
			break;
		net_resp_free(&r);
		if ((rc = client_login(c)) != CTL_EXIT_OK) {
			free(text);
			return rc;
		}
	}
	free(text);
	*status = r.head.status;
	*body = json_loads(r.body, 0, NULL);
	net_resp_free(&r);
	if (*status == 401 || *status == 403) {
		fprintf(stderr, "vigilctl: %s %s: HTTP %d: %s\n", method, target, *status,
		    json_string_value(json_object_get(*body, "detail")) ?
		    json_string_value(json_object_get(*body, "detail")) : "refused");
		return CTL_EXIT_AUTH;
	}
	return CTL_EXIT_OK;
}
