/* cmd.h — vigilctl's commands; each returns an exit code (enum in opts.h). */
#ifndef VIGIL_CTL_CMD_H
#define VIGIL_CTL_CMD_H

#include <jansson.h>
#include <stddef.h>

#include "ctl/client.h"

int cmd_agents_list(struct client *c);
int cmd_agents_restart(struct client *c);
int cmd_agents_import(struct client *c);
int cmd_cluster_nodes(struct client *c);
int cmd_cluster_health(struct client *c);

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
