/*
 * registry_jobdata.c — the bytes of a job's stored lists (registry_jobdata.h):
 * what both backends write in job.agents and job_wave, and how a job's list
 * and its agents' rows make its agents again at load.
 */
#include "node/registry/registry_jobdata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "node/registry/registry_db.h"
#include "proto/cbody.h"

static void
put_le(unsigned char *p, uint64_t v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le(const unsigned char *p, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = len; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

int
regjob_ids_pack(const uint32_t *agents, size_t n, unsigned char **out)
{
	size_t i;

	*out = NULL;
	for (i = 0; i < n; i++)
		if (agents[i] == 0 || agents[i] > REGDB_ID_MAX || (i > 0 && agents[i - 1] >= agents[i])) {
			log_warnx("registry: jobs: a job's agents must be ids in increasing order");
			return -1;
		}
	if (n == 0)
		return 0;
	if ((*out = malloc(n * 4)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		put_le(*out + 4 * i, agents[i], 4);
	return 0;
}

int
regjob_ids_unpack(uint64_t job, const unsigned char *b, size_t size, uint32_t **out, size_t *n)
{
	size_t i;

	*out = NULL;
	*n = 0;
	if (size % 4 != 0) {
		log_warnx("registry: jobs: job %llu: a list of agents of %zu bytes",
		    (unsigned long long)job, size);
		return -1;
	}
	if (size == 0)
		return 0;
	if ((*out = malloc(size)) == NULL)
		return -1;
	for (i = 0; i < size / 4; i++) {
		(*out)[i] = (uint32_t)get_le(b + 4 * i, 4);
		if ((*out)[i] == 0 || (*out)[i] > REGDB_ID_MAX || (i > 0 && (*out)[i - 1] >= (*out)[i])) {
			log_warnx("registry: jobs: job %llu: its agents are not in order",
			    (unsigned long long)job);
			free(*out);
			*out = NULL;
			return -1;
		}
	}
	*n = size / 4;
	return 0;
}

int
regjob_ids_has(const uint32_t *ids, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ids[mid] == id)
			return 1;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
regjob_wave_pack(uint64_t job, const struct registry_job_wave *v, size_t n, char **nodes,
    size_t *nodes_len, unsigned char **items)
{
	const char *names[REGJOB_WAVE_NODES_MAX];
	size_t i, k, nnames = 0, len = 0;

	*nodes = NULL;
	*nodes_len = 0;
	if ((*items = malloc(n > 0 ? n * REGJOB_WAVE_ITEM : 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		/* a tick's sends name few nodes, mostly the one before again */
		for (k = nnames; k-- > 0;)
			if (strcmp(names[k], v[i].node) == 0)
				break;
		if (k == (size_t)-1) {
			if (nnames == REGJOB_WAVE_NODES_MAX ||
			    !cbody_node_name_ok(v[i].node, strnlen(v[i].node, sizeof(v[i].node))) ||
			    v[i].sid == 0) {
				log_warnx("registry: jobs: job %llu: a send to node '%.64s' session"
				    " %llu cannot be recorded", (unsigned long long)job, v[i].node,
				    (unsigned long long)v[i].sid);
				goto fail;
			}
			k = nnames;
			names[nnames++] = v[i].node;
			len += strlen(v[i].node) + 1;
		} else if (v[i].sid == 0) {
			log_warnx("registry: jobs: job %llu: a send to session 0 cannot be recorded",
			    (unsigned long long)job);
			goto fail;
		}
		put_le(*items + i * REGJOB_WAVE_ITEM, v[i].agent, 4);
		put_le(*items + i * REGJOB_WAVE_ITEM + 4, k, 2);
		put_le(*items + i * REGJOB_WAVE_ITEM + 6, v[i].sid, 8);
	}
	if ((*nodes = malloc(len > 0 ? len : 1)) == NULL)
		goto fail;
	for (k = 0, len = 0; k < nnames; k++) {   /* a '\n' after each name but the last */
		size_t l = strlen(names[k]);

		memcpy(*nodes + len, names[k], l);
		len += l;
		(*nodes)[len++] = '\n';
	}
	*nodes_len = len > 0 ? len - 1 : 0;
	return 0;
fail:
	free(*items);
	*items = NULL;
	return -1;
}

int
regjob_wave_unpack(uint64_t job, int64_t sent_ms, const char *nodes, size_t nodes_len,
    const unsigned char *items, size_t size, const struct registry_job_cb *cb)
{
	struct { const char *p; size_t len; } names[REGJOB_WAVE_NODES_MAX];
	struct registry_job_wave w;
	size_t i, k, nnames = 0, start = 0;
	int ret = 0;

	if (size % REGJOB_WAVE_ITEM != 0) {
		log_warnx("registry: jobs: job %llu: a wave of %zu bytes", (unsigned long long)job,
		    size);
		return -1;
	}
	for (i = 0; i <= nodes_len && nodes_len > 0; i++) {
		if (i < nodes_len && nodes[i] != '\n')
			continue;
		if (nnames == REGJOB_WAVE_NODES_MAX || !cbody_node_name_ok(nodes + start, i - start)) {
			log_warnx("registry: jobs: job %llu: a wave names a node that is not valid",
			    (unsigned long long)job);
			return -1;
		}
		names[nnames].p = nodes + start;
		names[nnames++].len = i - start;
		start = i + 1;
	}
	memset(&w, 0, sizeof(w));
	w.sent_ms = sent_ms;
	for (i = 0; ret == 0 && i < size; i += REGJOB_WAVE_ITEM) {
		w.agent = (uint32_t)get_le(items + i, 4);
		k = (size_t)get_le(items + i + 4, 2);
		w.sid = get_le(items + i + 6, 8);
		if (k >= nnames || w.sid == 0 || w.agent == 0 || w.agent > REGDB_ID_MAX) {
			log_warnx("registry: jobs: job %llu: a recorded send is not valid",
			    (unsigned long long)job);
			return -1;
		}
		memcpy(w.node, names[k].p, names[k].len);
		w.node[names[k].len] = '\0';
		ret = cb->wave(cb->arg, job, &w);
	}
	return ret;
}

int
regjob_agents_merge(uint64_t job, int listed, const uint32_t *ids, size_t n,
    const struct registry_job_agent *rows, size_t nrows, const struct registry_job_cb *cb)
{
	struct registry_job_agent a;
	size_t i, r = 0;
	int ret = 0;

	if (!listed) {
		for (r = 0; ret == 0 && r < nrows; r++)
			ret = cb->agent(cb->arg, job, &rows[r]);
		return ret;
	}
	for (i = 0; ret == 0 && i < n; i++) {
		/* both in id order: skip the rows before this id */
		while (r < nrows && rows[r].agent < ids[i])
			r++;
		if (r < nrows && rows[r].agent == ids[i]) {
			a = rows[r++];
		} else {
			memset(&a, 0, sizeof(a));
			a.agent = ids[i];
		}
		ret = cb->agent(cb->arg, job, &a);
	}
	return ret;
}
