/* control.h — Wazuh 4.x control messages ("#!-..."): startup, keepalive, shutdown, execd. */
#ifndef VIGIL_CONTROL_H
#define VIGIL_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

#define CONTROL_ACK "#!-agent ack "          /* trailing space matters */
#define CONTROL_SHUTDOWN_MSG "#!-agent shutdown "
/* HC_FORCE_RECONNECT as ar-forward.c delivers it: "close and reconnect now". */
#define CONTROL_FORCE_RECONNECT_MSG "#!-force_reconnect"
#define CONTROL_AR_LEGACY_VERSION "Wazuh v4.2.0"

enum control_type {
	CONTROL_EVENT = 0,   /* not a control message: "<queue>:<location>:<log>" */
	CONTROL_STARTUP,     /* "#!-agent startup [json]" */
	CONTROL_SHUTDOWN,    /* "#!-agent shutdown " */
	CONTROL_ACK_TYPE,    /* "#!-agent ack " */
	CONTROL_ERR,         /* "#!-err ..." */
	CONTROL_EXECD,       /* "#!-execd ..." */
	CONTROL_KEEPALIVE,   /* any other "#!-" message from an agent */
	CONTROL_REQUEST,     /* "#!-req ...": request/response channel, either way */
	CONTROL_FILE,        /* "#!-up file ..." / "#!-close file ...": manager→agent */
	CONTROL_FORCE_RECONNECT, /* "#!-force_reconnect": manager→agent */
};

/* control_classify: which kind of message msg (len bytes, need not be NUL-terminated) is. */
enum control_type control_classify(const char *msg, size_t len);

/*
 * control_parse_startup: "#!-agent startup {json}".  Copies the JSON "version"
 * (e.g. "v4.14.7") into version.  Returns 0 with version set, 1 when there is
 * no JSON at all (accepted, version ""), -1 when JSON is present but has no
 * string "version" or is malformed ("Couldn't retrieve version").
 */
int control_parse_startup(const char *msg, size_t len, char *version, size_t cap);

/* Everything a keepalive tells about an agent.  Empty string = unknown. */
struct agent_info {
	char version[40];     /* "Wazuh v4.12.0" verbatim */
	char os_uname[512];   /* uname part before " [" or " - " */
	char os_name[96];
	char os_version[96];
	char os_major[16];
	char os_minor[16];
	char os_build[48];
	char os_codename[64];
	char os_platform[48];
	char os_arch[32];
	char config_sum[40];
	char merged_sum[40];
	char agent_ip[64];    /* from the #"_agent_ip": label */
	char labels[1024];    /* label lines, '\n'-separated, as received */
};

/*
 * control_parse_keepalive: parses a keepalive as remoted_op.c
 * parse_agent_update_msg does (cut after the last '\n', split lines, uname line
 * with " - " and " / ", "<sum> merged.mg", labels) and fills ai, which it
 * zeroes first.  Returns 0, or -1 when the message has no '\n' or no
 * " - " version part ("Invalid message").
 */
int control_parse_keepalive(const char *msg, size_t len, struct agent_info *ai);

/*
 * control_format_keepalive: builds a Linux keepalive as an agent sends it:
 * "#!-<uname> [<os_name>|<os_platform>: <os_version>] - <version> / <config_sum>\n"
 * "<merged_sum|x> merged.mg\n" and, when agent_ip is set, "#\"_agent_ip\":<ip>\n".
 * ai->os_uname is "sysname |node |release |version |machine".  Returns the
 * length written (NUL-terminated), or -1 if cap is too small.
 */
ssize_t control_format_keepalive(char *out, size_t cap, const struct agent_info *ai);

/*
 * control_version_cmp: compares Wazuh versions given as "Wazuh vX.Y.Z",
 * "vX.Y.Z" or "X.Y.Z" (missing parts are 0).  Returns <0, 0, >0; an
 * unparsable version sorts below every parsable one.
 */
int control_version_cmp(const char *a, const char *b);

/*
 * control_restart_command: the execd message that restarts an agent of the
 * given version, exactly as framework + ar-forward.c produce it: the JSON
 * restart-wazuh0 for versions >= Wazuh v4.2.0, "restart-ossec0" before that.
 * Returns the length written (NUL-terminated), or -1 (cap too small, or version
 * empty/unparsable: the caller must not guess).
 */
ssize_t control_restart_command(const char *agent_version, char *out, size_t cap);

/*
 * control_is_restart: agent side.  1 when msg is an execd message asking for
 * a restart (restart-wazuh0, restart-wazuh, restart-ossec0), else 0.
 */
int control_is_restart(const char *msg, size_t len);

/*
 * control_is_agent_started: 1 when msg is the event a Wazuh agent sends once
 * per process, right after its first acked startup (start_agent.c
 * send_msg_on_startup): "1:wazuh-agent:ossec: Agent started: '<name>-><ip>'."
 * (agents >= 4.4.0) or "1:ossec:ossec: Agent started: '...'" (older), else 0.
 * Only the prefix up to the opening quote is checked: the name and IP inside
 * are the agent's own view and need not match the registry.
 */
int control_is_agent_started(const char *msg, size_t len);

#endif
