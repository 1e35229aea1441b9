/* top.h — vigilctl top's view: the API's answers drawn as lines of a given width (pure). */
#ifndef VIGIL_CTL_TOP_H
#define VIGIL_CTL_TOP_H

#include <jansson.h>
#include <stddef.h>

/* What one refresh read (each may be NULL: not known). */
struct top_input {
	const json_t *nodes;        /* GET /cluster/nodes' items: name, type, version */
	const json_t *agents;       /* GET /agents/stats/distinct?fields=node_name,status's items:
	                             * node_name, status, count */
	const json_t *jobs;         /* the jobs to show (GET /jobs' items), in that order */
	const char *head;           /* the first line (where, when), or NULL */
	const char *note;           /* a line under it (why the view is not fresh), or NULL */
};

/* The view: n lines, each its own string, without line ends. */
struct top_lines {
	char **line;
	size_t n, cap;
};

#define TOP_SCOPE_SHOWN 30      /* a job's scope (an agents list) is cut to this many characters */
#define TOP_BAR_MIN 10          /* the progress bar's width, whatever the terminal's */
#define TOP_BAR_MAX 50

/*
 * top_render: the view of in into out (initialised here; the caller frees it
 * with top_lines_free, also after a failure):
 *
 *   head, note
 *   Agents: N (A active, D disconnected, P pending, V never connected)
 *   a table of the nodes and their agents by status (NODE, TYPE, VERSION,
 *     ACTIVE, DISCONNECTED, PENDING, NEVER CONNECTED), the nodes in the
 *     API's order, then the node names the agents give that are not nodes
 *     ("unknown" for agents never connected)
 *   Jobs: a table of the jobs (ID, KIND, SCOPE, STATUS, TOTAL, IN FLIGHT), each
 *     row followed by its progress bar and its counts by state
 *
 * Items that are malformed (a count that is not a number, counts of a job
 * that do not add up) are left out.  Control characters become '?'.  Each
 * line is cut to width characters (UTF-8; 0: no limit); with height (0: no
 * limit) lines at most, the last one saying how many more there are.
 * 0 / -1 (out of memory).
 */
int top_render(const struct top_input *in, size_t width, size_t height, struct top_lines *out);
void top_lines_free(struct top_lines *l);

/* top_clip: s cut to width UTF-8 characters (0: not cut), control characters made '?'. */
void top_clip(char *s, size_t width);

#endif
