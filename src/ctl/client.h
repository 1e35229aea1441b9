/* client.h — vigilctl's connection to the API: settings, login, token reuse, calls. */
#ifndef VIGIL_CTL_CLIENT_H
#define VIGIL_CTL_CLIENT_H

#include <jansson.h>
#include <openssl/ssl.h>

#include "ctl/conf.h"
#include "ctl/http.h"
#include "ctl/opts.h"

#define CLIENT_IO_TIMEOUT 120       /* seconds of silence before a request is given up */

struct client {
	const struct ctl_opts *o;
	struct ctl_conf conf;           /* flags > environment > config file > defaults */
	struct ctl_url url;
	SSL_CTX *ctx;
	int verify;
	char dir[1024];                 /* ~/.config/vigil, "" when unknown */
	char token[8192];
	int token_fresh;                /* obtained by this process: a 401 will not retry */
	int quiet_net;                  /* connection errors are not printed (--wait polling) */
	char last_err[1024];            /* the last connection error, printed or not */
};

/*
 * client_setup: reads the config file, the environment and o's flags, checks
 * the URL and prepares TLS.  Returns CTL_EXIT_OK or the exit code, with the
 * reason printed on stderr.  client_free releases c in either case.
 */
int client_setup(struct client *c, const struct ctl_opts *o);
void client_free(struct client *c);

/* client_login: a new token with the user and password, stored for later runs; exit code. */
int client_login(struct client *c);

/*
 * client_call: method target (the path and query) with the token (logging in
 * when there is none, and again once when it has expired).  On HTTP 200 the
 * parsed body goes to *body (the caller's) and the server's Date, when given,
 * to *date (seconds, else -1); returns CTL_EXIT_OK.  Any other answer or
 * failure is printed on stderr and turned into an exit code.
 */
int client_call(struct client *c, const char *method, const char *target, json_t **body,
    long long *date);

/* client_call_head: as client_call, with the answer's parsed head (its headers) in *head. */
int client_call_head(struct client *c, const char *method, const char *target, json_t **body,
    struct http_head *head);

/*
 * client_send: as client_call, with an optional JSON body, for calls whose
 * failures the caller sorts out: any HTTP answer is CTL_EXIT_OK with its
 * status in *status and its body (parsed, NULL when not JSON) in *body, the
 * caller's.  Only a connection failure or a refused authentication (401,
 * 403; printed) is an exit code.
 */
int client_send(struct client *c, const char *method, const char *target, json_t *req,
    int *status, json_t **body);

/* client_problem: "title: detail (error N)" of an API error's body (parsed; NULL) into buf. */
void client_problem(const json_t *body, char *buf, size_t cap);

#endif
