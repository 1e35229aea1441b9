/*
 * cmd_import.c — vigilctl agents import: a Wazuh manager's client.keys (and
 * its group assignments) into a running Vigil master, one POST /agents/insert
 * per agent, so the agents connect with the ids, names and keys they have.
 */
#include "ctl/cmd.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ctl/import.h"

#define IMPORT_IDS_PER_CALL  500     /* agents_list ids per group request */
#define IMPORT_PROGRESS      100     /* a progress line every this many agents */
#define IMPORT_RATE_WAITS    600     /* 429s in a row waited out (1 s each) before giving up */
#define IMPORT_GROUPS_MAX    4096    /* bytes of one agent's group list */

struct imp_agent {
	struct import_key k;
	size_t line;
	int inserted;
	char *groups;                    /* from --groups, or NULL */
};

struct imp {
	struct client *c;
	struct imp_agent *v;
	size_t n, cap;
	size_t skipped, bad, inserted, failed;
	size_t group_sets, group_fail;
};

/* imp_find: the agent with this id among the entries, or NULL. */
static struct imp_agent *
imp_find(struct imp *im, unsigned long id)
{
	size_t i;

	for (i = 0; i < im->n; i++)
		if (im->v[i].k.idnum == id)
			return &im->v[i];
	return NULL;
}

/* imp_set_groups: agent id gets groups (a copy); unknown ids are reported, not fatal. */
static void
imp_set_groups(struct imp *im, const char *src, unsigned long id, const char *groups)
{
	struct imp_agent *a = imp_find(im, id);

	if (a == NULL) {
		fprintf(stderr, "vigilctl: %s: agent %03lu has groups but is not in the keys "
		    "file: ignored\n", src, id);
		return;
	}
	free(a->groups);
	a->groups = strdup(groups);
}

/* read_keys: the keys file into im (bad lines reported with their numbers); exit code. */
static int
read_keys(struct imp *im, const char *path)
{
	FILE *f;
	char *line = NULL;
	size_t lcap = 0, lineno = 0;
	ssize_t len;
	const char *why;

	if ((f = fopen(path, "re")) == NULL) {
		fprintf(stderr, "vigilctl: cannot read %s: %s\n", path, strerror(errno));
		return CTL_EXIT_USAGE;
	}
	while ((len = getline(&line, &lcap, f)) != -1) {
		struct import_key k;
		int v;

		lineno++;
		v = import_keys_line(line, (size_t)len, &k, &why);
		if (v == IMPORT_SKIP) {
			im->skipped++;
			continue;
		}
		if (v == IMPORT_BAD || imp_find(im, k.idnum) != NULL) {
			fprintf(stderr, "vigilctl: %s:%zu: %s: line not imported\n", path, lineno,
			    v == IMPORT_BAD ? why : "an id already given on an earlier line");
			im->bad++;
			continue;
		}
		if (im->n == im->cap) {
			size_t ncap = im->cap ? im->cap * 2 : 256;
			struct imp_agent *nv = realloc(im->v, ncap * sizeof(*nv));

			if (nv == NULL) {
				fprintf(stderr, "vigilctl: out of memory\n");
				free(line);
				fclose(f);
				return CTL_EXIT_API;
			}
			im->v = nv;
			im->cap = ncap;
		}
		memset(&im->v[im->n], 0, sizeof(im->v[0]));
		im->v[im->n].k = k;
		im->v[im->n].line = lineno;
		im->n++;
	}
	free(line);
	fclose(f);
	return CTL_EXIT_OK;
}

/* groups_from_text: "ID|g1,g2" lines (or one file of queue/agent-groups: the id is its name). */
static int
groups_from_text(struct imp *im, const char *path, const char *fixed_id)
{
	FILE *f;
	char *line = NULL, groups[IMPORT_GROUPS_MAX], buf[IMPORT_GROUPS_MAX + 32];
	size_t lcap = 0, lineno = 0;
	ssize_t len;
	const char *why;
	unsigned long id;

	if ((f = fopen(path, "re")) == NULL) {
		fprintf(stderr, "vigilctl: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &lcap, f)) != -1) {
		const char *l = line;
		size_t ll = (size_t)len;
		int v;

		lineno++;
		if (fixed_id != NULL) {
			int n = snprintf(buf, sizeof(buf), "%s|%s", fixed_id, line);

			if (n < 0 || (size_t)n >= sizeof(buf))
				n = 0;
			l = buf;
			ll = (size_t)n;
		}
		v = import_groups_line(l, ll, &id, groups, sizeof(groups), &why);
		if (v == IMPORT_BAD) {
			fprintf(stderr, "vigilctl: %s:%zu: %s: groups not imported\n", path, lineno, why);
			im->group_fail++;
		} else if (v == IMPORT_ENTRY)
			imp_set_groups(im, path, id, groups);
		if (fixed_id != NULL)
			break;      /* an agent-groups file holds one line */
	}
	free(line);
	fclose(f);
	return 0;
}

/* groups_from_db: a Wazuh 4.x global.db: belongs(id_agent, id_group, priority) and "group". */
static int
groups_from_db(struct imp *im, const char *path)
{
	static const char sql[] = "SELECT b.id_agent, g.name FROM belongs b JOIN \"group\" g "
	    "ON g.id = b.id_group WHERE b.id_agent > 0 ORDER BY b.id_agent, b.priority";
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char groups[IMPORT_GROUPS_MAX] = "";
	unsigned long cur = 0;
	int rc = -1, step;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "vigilctl: %s: not a Wazuh global.db with belongs and group "
		    "tables: %s\n", path, db != NULL ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		unsigned long id = (unsigned long)sqlite3_column_int64(st, 0);
		const char *g = (const char *)sqlite3_column_text(st, 1);
		size_t used;

		if (g == NULL)
			continue;
		if (id != cur) {
			if (cur != 0 && groups[0] != '\0')
				imp_set_groups(im, path, cur, groups);
			cur = id;
			groups[0] = '\0';
		}
		used = strlen(groups);
		if (used + strlen(g) + 2 < sizeof(groups))
			snprintf(groups + used, sizeof(groups) - used, "%s%s", used ? "," : "", g);
	}
	if (cur != 0 && groups[0] != '\0')
		imp_set_groups(im, path, cur, groups);
	if (step != SQLITE_DONE) {
		fprintf(stderr, "vigilctl: %s: %s\n", path, sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

/* read_groups: --groups PATH: a directory of agent-groups files, a global.db or a text file. */
static int
read_groups(struct imp *im, const char *path)
{
	char head[16] = "";
	DIR *d;
	FILE *f;

	if ((d = opendir(path)) != NULL) {
		struct dirent *de;
		char file[4096];

		while ((de = readdir(d)) != NULL) {
			size_t n = strlen(de->d_name);

			if (n == 0 || n > 8 || strspn(de->d_name, "0123456789") != n)
				continue;
			snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
			(void)groups_from_text(im, file, de->d_name);
		}
		closedir(d);
		return 0;
	}
	if ((f = fopen(path, "re")) == NULL) {
		fprintf(stderr, "vigilctl: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fread(head, 1, sizeof(head), f) != sizeof(head))
		head[0] = '\0';
	fclose(f);
	if (memcmp(head, "SQLite format 3", 16) == 0)
		return groups_from_db(im, path);
	return groups_from_text(im, path, NULL);
}

/* detail_of: "detail (error N)" of a problem body. */
static void
detail_of(json_t *body, char *buf, size_t cap)
{
	const char *d = json_string_value(json_object_get(body, "detail"));
	json_int_t code = json_integer_value(json_object_get(body, "error"));

	if (code != 0)
		snprintf(buf, cap, "%s (error %lld)", d ? d : "refused", (long long)code);
	else
		snprintf(buf, cap, "%s", d ? d : "refused");
}

/*
 * imp_send: one call, waiting out the API's rate limit (429: the user's
 * requests per minute) a second at a time; exit code, *status and *body as
 * client_send.
 */
static int
imp_send(struct imp *im, const char *method, const char *target, json_t *req, int *status,
    json_t **body)
{
	int rc, waits = 0;
	static int told;

	for (;;) {
		rc = client_send(im->c, method, target, req, status, body);
		if (rc != CTL_EXIT_OK || *status != 429 || waits++ >= IMPORT_RATE_WAITS)
			return rc;
		if (!told++)
			fprintf(stderr, "vigilctl: the API's request rate limit is reached (429): "
			    "waiting for it (raise --max-request-per-minute on the master to import "
			    "faster)\n");
		json_decref(*body);
		*body = NULL;
		sleep(1);
	}
}

/* insert_one: POST /agents/insert for a; exit code of a connection or login failure only. */
static int
insert_one(struct imp *im, const char *path, struct imp_agent *a)
{
	json_t *req, *body = NULL;
	char why[600];
	int status, rc;

	req = json_pack("{s:s, s:s, s:s, s:s, s:{s:b}}", "id", a->k.id, "name", a->k.name,
	    "ip", a->k.ip, "key", a->k.key, "force", "enabled", 0);
	if (req == NULL)
		return CTL_EXIT_API;
	rc = imp_send(im, "POST", "/agents/insert", req, &status, &body);
	json_decref(req);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (status == 200) {
		a->inserted = 1;
		im->inserted++;
	} else {
		detail_of(body, why, sizeof(why));
		fprintf(stderr, "vigilctl: %s:%zu: agent %s '%s' not imported: HTTP %d: %s\n", path,
		    a->line, a->k.id, a->k.name, status, why);
		im->failed++;
	}
	json_decref(body);
	return CTL_EXIT_OK;
}

/* group_call: method /agents/group?group_id=g&agents_list=ids; 0 / -1 (reported). */
static int
group_call(struct imp *im, const char *method, const char *g, const char *ids, size_t nids)
{
	char *target = NULL, why[600];
	json_t *body = NULL;
	int status, rc;

	if (asprintf(&target, "/agents/group?group_id=%s&agents_list=%s&wait_for_complete=true",
	    g, ids) == -1)
		return -1;
	rc = imp_send(im, method, target, NULL, &status, &body);
	free(target);
	if (rc != CTL_EXIT_OK || status != 200) {
		if (rc == CTL_EXIT_OK) {
			detail_of(body, why, sizeof(why));
			fprintf(stderr, "vigilctl: %s group %s for %zu agents: HTTP %d: %s\n",
			    method[0] == 'P' ? "assigning" : "leaving", g, nids, status, why);
		}
		json_decref(body);
		im->group_fail += nids;
		return -1;
	}
	json_decref(body);
	return 0;
}

/*
 * apply_groups: agents with the same group list are assigned together, group
 * by group in the list's order (so each agent's groups keep their order),
 * then leave default unless it is in their list.  Groups are created first.
 */
static void
apply_groups(struct imp *im)
{
	size_t i, j, k, nids;
	char *ids = NULL, *list = NULL, *tok, *save = NULL, body[300];
	size_t idcap = (size_t)IMPORT_IDS_PER_CALL * 10 + 1;
	int has_default;

	if ((ids = malloc(idcap)) == NULL)
		return;
	for (i = 0; i < im->n; i++) {
		struct imp_agent *a = &im->v[i];

		if (!a->inserted || a->groups == NULL || a->groups[0] == '\0')
			continue;
		/* the first agent with this list: handle every agent with the same list now */
		for (j = 0; j < i; j++)
			if (im->v[j].inserted && im->v[j].groups != NULL &&
			    strcmp(im->v[j].groups, a->groups) == 0)
				break;
		if (j < i)
			continue;
		im->group_sets++;
		free(list);
		if ((list = strdup(a->groups)) == NULL)
			break;
		has_default = 0;
		for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
			json_t *req, *resp = NULL;
			int status;

			if (strcmp(tok, "default") == 0) {
				has_default = 1;
				continue;
			}
			/* create it; one that exists already answers 1711 */
			snprintf(body, sizeof(body), "%s", tok);
			if ((req = json_pack("{s:s}", "group_id", body)) != NULL &&
			    imp_send(im, "POST", "/groups", req, &status, &resp) == CTL_EXIT_OK &&
			    status != 200 && json_integer_value(json_object_get(resp, "error")) != 1711)
				fprintf(stderr, "vigilctl: cannot create group %s: HTTP %d\n", tok, status);
			json_decref(req);
			json_decref(resp);
			for (k = i; k < im->n;) {
				nids = 0;
				ids[0] = '\0';
				for (; k < im->n && nids < IMPORT_IDS_PER_CALL; k++) {
					struct imp_agent *b = &im->v[k];

					if (!b->inserted || b->groups == NULL ||
					    strcmp(b->groups, a->groups) != 0)
						continue;
					snprintf(ids + strlen(ids), idcap - strlen(ids), "%s%s",
					    nids ? "," : "", b->k.id);
					nids++;
				}
				if (nids > 0)
					(void)group_call(im, "PUT", tok, ids, nids);
			}
		}
		if (has_default)
			continue;
		for (k = i; k < im->n;) {
			nids = 0;
			ids[0] = '\0';
			for (; k < im->n && nids < IMPORT_IDS_PER_CALL; k++) {
				struct imp_agent *b = &im->v[k];

				if (!b->inserted || b->groups == NULL || strcmp(b->groups, a->groups) != 0)
					continue;
				snprintf(ids + strlen(ids), idcap - strlen(ids), "%s%s", nids ? "," : "",
				    b->k.id);
				nids++;
			}
			if (nids > 0)
				(void)group_call(im, "DELETE", "default", ids, nids);
		}
	}
	free(list);
	free(ids);
}

int
cmd_agents_import(struct client *c)
{
	const struct ctl_opts *o = c->o;
	struct imp im;
	size_t i;
	int rc;

	memset(&im, 0, sizeof(im));
	im.c = c;
	if ((rc = read_keys(&im, o->keys)) != CTL_EXIT_OK)
		goto out;
	if (o->groups_path != NULL && read_groups(&im, o->groups_path) == -1) {
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	fprintf(stderr, "vigilctl: %s: %zu agents to import (%zu lines skipped: blank, comments, "
	    "removed agents; %zu bad)\n", o->keys, im.n, im.skipped, im.bad);
	for (i = 0; i < im.n; i++) {
		if ((rc = insert_one(&im, o->keys, &im.v[i])) != CTL_EXIT_OK)
			goto out;
		if ((i + 1) % IMPORT_PROGRESS == 0 || i + 1 == im.n)
			fprintf(stderr, "vigilctl: import: %zu of %zu agents sent (%zu inserted, "
			    "%zu failed)\n", i + 1, im.n, im.inserted, im.failed);
	}
	apply_groups(&im);
	printf("%zu agents inserted, %zu failed, %zu bad lines, %zu lines skipped "
	    "(blank, comments, removed agents)", im.inserted, im.failed, im.bad, im.skipped);
	if (o->groups_path != NULL)
		printf("; %zu group lists assigned, %zu group assignments failed", im.group_sets,
		    im.group_fail);
	printf("\n");
	rc = im.failed || im.bad || im.group_fail ? CTL_EXIT_API : CTL_EXIT_OK;
out:
	for (i = 0; i < im.n; i++)
		free(im.v[i].groups);
	free(im.v);
	return rc;
}
