/* groups.h — agent groups and their shared configuration (agent.conf), with
 * the merged.mg each one sends its agents.  The master keeps them in the
 * registry and pushes them to the workers; every node holds them in memory.
 */
#ifndef VIGIL_GROUPS_H
#define VIGIL_GROUPS_H

#include <stddef.h>

#define GROUP_NAME_MAX 128          /* Wazuh refuses longer group names */
#define GROUP_DEFAULT "default"
#define GROUPS_PER_AGENT_MAX 128    /* Wazuh's multigroup limit (1737) */
#define GROUP_CONF_MAX (256u << 10) /* agent.conf bytes: a push must fit an agent's output queue */

struct group {
	char name[GROUP_NAME_MAX + 1];
	char *conf;                 /* agent.conf, NUL-terminated */
	size_t conf_len;
	char conf_md5[33];          /* configSum */
	char *merged;               /* merged.mg for an agent in this group alone */
	size_t merged_len;
	char merged_md5[33];        /* mergedSum */
};

struct groups;

/* groups_new: an empty set; NULL on allocation failure.  groups_free(NULL) is a no-op. */
struct groups *groups_new(void);
void groups_free(struct groups *g);

/* Groups are kept sorted by name.  Pointers stay valid until the group is set or removed. */
size_t groups_count(const struct groups *g);
const struct group *groups_at(const struct groups *g, size_t i);
const struct group *groups_get(const struct groups *g, const char *name);

/*
 * groups_set: creates the group or replaces its agent.conf, and rebuilds its
 * merged.mg (ar.conf, then agent.conf).  0, or -1 on a bad name, a conf
 * over GROUP_CONF_MAX or allocation failure.
 */
int groups_set(struct groups *g, const char *name, const char *conf, size_t len);
/* groups_remove: 0, or -1 when absent. */
int groups_remove(struct groups *g, const char *name);
/* groups_clear: removes every group. */
void groups_clear(struct groups *g);

/* group_name_valid: Wazuh's group_names format, ^(?!^(\.{1,2}|all)$)[A-Za-z0-9.\-_]+$, at most GROUP_NAME_MAX. */
int group_name_valid(const char *name);

/*
 * group_name_reserved: 1 when name is one a group may not take because
 * Wazuh keeps a file of that name beside the group directories in
 * etc/shared (ar.conf, agent-template.conf): create_group answers 1713.
 */
int group_name_reserved(const char *name);

/*
 * groups_merged_for: the merged.mg an agent whose group field is list
 * ("g1,g2", in assignment order) receives, and its md5.  One group: that
 * group's own.  Several: header "#g1,g2", ar.conf once, then agent.conf made
 * of every group's agent.conf in order.  *data (when data is not NULL) is a
 * new buffer the caller frees.  0, or -1 when a group is unknown or the list
 * is empty or too long.
 */
int groups_merged_for(const struct groups *g, const char *list, char md5[33], char **data,
    size_t *len);

/*
 * group_conf_check: judges an agent.conf sent by a client (a pure parser of
 * outside input): 0 when it is well-formed XML whose root elements are all
 * <agent_config> (there may be several, as Wazuh allows), else the Wazuh
 * code: 1112 empty (or only blanks), 1113 not well-formed (unbalanced or
 * bad tags, text outside the roots, a NUL byte, invalid UTF-8, nesting over
 * 64), 1114 a root element other than agent_config.
 */
int group_conf_check(const char *conf, size_t len);

/*
 * The shared files of a group, as Wazuh's GET /groups/{id}/files shows them:
 * what etc/shared/<group> holds (agent.conf, merged.mg) and etc/shared/ar.conf.
 * They are the bytes the group's agents receive: no other copy exists.
 */
struct group_file {
	const char *name;
	const char *data;           /* owned by the group (or static) */
	size_t len;
};
#define GROUP_FILES_MAX 3
/* group_files: the files of gr in name order into out; their count. */
size_t group_files(const struct group *gr, struct group_file out[GROUP_FILES_MAX]);
/*
 * group_file_name_ok: name in Wazuh's `alphanumeric` format of a file_name,
 * ^[\w,\-.+\s:]+$ (no '/', so never a path), at most 255 bytes.
 */
int group_file_name_ok(const char *name);

/* group_text_utf8: 1 when the len bytes of s are strict UTF-8 (what Python's decode accepts). */
int group_text_utf8(const char *s, size_t len);

/* group_list_has: 1 when the comma-separated list holds name. */
int group_list_has(const char *list, const char *name);
/* group_list_count: how many names the comma-separated list holds. */
int group_list_count(const char *list);
/*
 * group_list_add / group_list_del: list with name appended / removed, into
 * out (cap bytes).  0, or -1 when it does not fit (add) or is absent (del).
 */
int group_list_add(const char *list, const char *name, char *out, size_t cap);
int group_list_del(const char *list, const char *name, char *out, size_t cap);

/* node_groups.c: the groups of a node (master: from the registry; worker: from the master). */
struct node;
struct agent;
/* node_groups_load: the master reads its groups from the registry (creating "default" if absent). 0 / -1. */
int node_groups_load(struct node *n);
/*
 * node_group_check: master: sets a->group_config_synced from the merged.mg
 * sum the agent reported and its groups' current one (queues a write when it
 * changed).  node_groups_recheck does it for every agent.
 */
void node_group_check(struct node *n, struct agent *a);
void node_groups_recheck(struct node *n);

#endif
