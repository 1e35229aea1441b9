/* cmd.h — vigilctl's commands; each returns an exit code (enum in opts.h). */
#ifndef VIGIL_CTL_CMD_H
#define VIGIL_CTL_CMD_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>

#include "ctl/client.h"

int cmd_agents_list(struct client *c);
int cmd_agents_restart(struct client *c);
int cmd_agents_import(struct client *c);
int cmd_cluster_nodes(struct client *c);
int cmd_cluster_health(struct client *c);
int cmd_jobs_list(struct client *c);
int cmd_jobs_show(struct client *c);
int cmd_jobs_cancel(struct client *c);

/*
 * cmd_top: the nodes, the agents by status and the running jobs, redrawn in
 * place every --interval seconds until 'q' (or a signal: 130 for SIGINT) on a
 * terminal; one view on stdout otherwise, or with --once.  Exit code.
 */
int cmd_top(struct client *c);

/*
 * cmd_jobs_wait: follows the jobs ids (n of them) through GET /jobs until
 * every one is done, --timeout passes or SIGINT (see cmd_sigint_catch),
 * drawing the counts by state on stderr, then says how it ended on stdout
 * and, when list_left, lists the agents that did not complete.  Returns
 * CTL_EXIT_OK (every agent completed), CTL_EXIT_INCOMPLETE (the jobs ended
 * with agents failed, expired or cancelled), CTL_EXIT_TIMEOUT,
 * CTL_EXIT_INTERRUPTED, or the exit code of a failed request.
 */
int cmd_jobs_wait(struct client *c, const unsigned long long *ids, size_t n, int list_left);

/* cmd_sigint_catch: from now on SIGINT ends cmd_jobs_wait with the summary so far. */
void cmd_sigint_catch(struct sigaction *old);
void cmd_sigint_restore(const struct sigaction *old);

/*
 * cmd_cell: the value at the dotted path ("os.name") of object o as text into
 * buf (strings as they are, numbers, arrays joined by ','); NULL when absent.
 */
const char *cmd_cell(json_t *o, const char *path, char *buf, size_t cap);

/* cmd_print_json: j on stdout, indented, followed by a newline. */
void cmd_print_json(json_t *j);

/* cmd_items: data.affected_items of an API answer, or NULL (printed) when it has none. */
json_t *cmd_items(json_t *body, const char *what);

#endif
