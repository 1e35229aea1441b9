/* conf.h — vigilctl's settings: config file, environment, flags, and the server URL. */
#ifndef VIGIL_CTL_CONF_H
#define VIGIL_CTL_CONF_H

#include <stddef.h>

#define CONF_DEFAULT_URL  "https://127.0.0.1:55000"
#define CONF_DEFAULT_USER "wazuh"

/* One layer of settings (flags, environment or file); "" means "not set here". */
struct ctl_conf {
	char url[512];
	char user[128];
	char password[256];
	char password_file[1024];
	char ca[1024];
	int insecure;               /* -1 not set, 0 no, 1 yes */
};

struct ctl_url {
	char host[256];             /* without the brackets of an IPv6 literal */
	int port;
	int host_is_ip;             /* an IPv4 or IPv6 literal */
	char prefix[256];           /* path before the API's own paths, "" or "/api" (no trailing /) */
};

/* conf_init: an empty layer (nothing set). */
void conf_init(struct ctl_conf *c);

/*
 * conf_parse: the text of a config file (lines "key = value"; '#' starts a
 * comment line; keys url, user, password, password-file, ca, insecure) into c.
 * 0, or -1 with a message naming the line in err.
 */
int conf_parse(const char *text, struct ctl_conf *c, char *err, size_t errcap);

/*
 * kv_next: the next "key = value" line of text from *pos on, skipping blank
 * lines and comments; key and value are trimmed and truncated to their caps.
 * 1 a pair, 0 the end, -1 a line without '=' (*line is its 1-based number).
 */
int kv_next(const char *text, size_t *pos, int *line, char *key, size_t kcap, char *val,
    size_t vcap);

/*
 * conf_merge: out = the first layer that sets each field (layers[0] wins), then
 * defaults.  A layer's CA turns off the insecure of the layers below it; within
 * one layer, insecure wins over the CA.
 */
void conf_merge(struct ctl_conf *out, const struct ctl_conf *const *layers, size_t n);

/* conf_parse_url: "https://host[:port][/prefix]" into u; 0, or -1 with err. */
int conf_parse_url(const char *s, struct ctl_url *u, char *err, size_t errcap);

/*
 * conf_dir: vigilctl's directory, $XDG_CONFIG_HOME/vigil or $HOME/.config/vigil
 * (xdg and home as read from the environment, either may be NULL or "").
 * 0, or -1 when neither is usable or out is too small.
 */
int conf_dir(const char *xdg, const char *home, char *out, size_t cap);

/* conf_copy: src into dst (cap bytes); 0, or -1 (dst empty) when it does not fit. */
int conf_copy(char *dst, size_t cap, const char *src);

/* conf_url_encode: s percent-encoded for a query value into out; 0, or -1 if it does not fit. */
int conf_url_encode(const char *s, char *out, size_t cap);

#endif
