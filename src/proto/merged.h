/* merged.h — Wazuh's shared-configuration bundle (merged.mg) and its push to agents.
 *
 * merged.mg is "#<group>\n" followed, for each file, by "!<size> <name>\n"
 * and the file's bytes (remoted's manager.c / file_op.c MergeAppendFile).  A
 * manager pushes it to an agent as "#!-up file <md5> merged.mg\n", the bytes
 * in chunks of at most MERGED_CHUNK, then "#!-close file ".  Pure functions.
 */
#ifndef VIGIL_MERGED_H
#define VIGIL_MERGED_H

#include <stddef.h>
#include <sys/types.h>

#define MERGED_NAME "merged.mg"
#define MERGED_CHUNK 900          /* remoted sends files in 900-byte pieces */
#define MERGED_UP_PREFIX "#!-up file "
#define MERGED_CLOSE "#!-close file "

/*
 * The ar.conf analysisd writes for a manager with its default commands: the
 * agent's execd resolves "restart-wazuh0" (what PUT /agents/restart sends)
 * through it, and a Wazuh agent gets it only inside merged.mg.
 */
#define MERGED_AR_CONF \
	"restart-ossec0 - restart-ossec.sh - 0\n" \
	"restart-ossec0 - restart-ossec.cmd - 0\n" \
	"restart-wazuh0 - restart-ossec.sh - 0\n" \
	"restart-wazuh0 - restart-ossec.cmd - 0\n" \
	"restart-wazuh0 - restart-wazuh - 0\n" \
	"restart-wazuh0 - restart-wazuh.exe - 0\n"

/* The agent.conf of a new group (Wazuh's etc/shared/agent-template.conf). */
#define MERGED_AGENT_CONF_TEMPLATE \
	"<agent_config>\n\n  <!-- Shared agent configuration here -->\n\n</agent_config>\n"

struct merged_file {
	const char *name;     /* no '\n', no ' ' */
	const char *data;
	size_t len;
};

/*
 * merged_build: "#<header>\n" and every file as above, in the given order.
 * Returns a malloc'd buffer (NUL-terminated, *len bytes before the NUL) the
 * caller frees, or NULL on bad input (a header or name with a newline, a
 * name with a space) or allocation failure.
 */
char *merged_build(const char *header, const struct merged_file *files, size_t nfiles,
    size_t *len);

/*
 * merged_next: the next file of the merged.mg m (len bytes) from *off (0:
 * the start; the "#<header>" line is skipped): its name (copied into name,
 * cap bytes), where its bytes are and how many.  1 with *off moved past it,
 * 0 at the end, -1 when malformed (a bad "!<size> <name>" line, a size past
 * the end, a name that does not fit).
 */
int merged_next(const char *m, size_t len, size_t *off, char *name, size_t cap,
    const char **data, size_t *dlen);

/*
 * merged_up_file: the "#!-up file <md5> merged.mg\n" announcement for md5
 * (32 hex chars) into out; its length, or -1 if cap is too small or md5 bad.
 */
ssize_t merged_up_file(const char *md5, char *out, size_t cap);

/*
 * merged_parse_up: parses an announcement "#!-up file <md5> <name>\n" (the
 * newline optional); copies the md5 (32 lowercase hex) and the name
 * (1..255 chars of [A-Za-z0-9._-]).  0, or -1 when msg is not one.
 */
int merged_parse_up(const char *msg, size_t len, char md5[33], char *name, size_t namecap);

/* merged_is_close: 1 when msg is "#!-close file " (with or without trailing bytes). */
int merged_is_close(const char *msg, size_t len);

/* merged_is_valid_md5: 1 when s is 32 lowercase hex chars. */
int merged_is_valid_md5(const char *s, size_t len);

#endif
