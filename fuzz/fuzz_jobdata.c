/*
 * fuzz_jobdata.c — libFuzzer target: a job's stored lists as the database hands them back
 * (registry_jobdata.c): a list of agents, and a wave's nodes and items.  Input: one byte
 * saying where the nodes end (scaled), then the nodes, then the items; the whole input is
 * also read as a list of agents.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/registry/registry_db.h"
#include "node/registry/registry_jobdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
on_wave(void *arg, uint64_t job, const struct registry_job_wave *w)
{
	size_t len = strlen(w->node);

	(void)arg;
	assert(job == 1);
	/* what reaches the job is a valid send */
	assert(w->agent >= 1 && w->agent <= REGDB_ID_MAX && w->sid != 0);
	assert(len >= 1 && len < sizeof(w->node));
	assert(strspn(w->node, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == len);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct registry_job_cb cb = { NULL, NULL, NULL, on_wave, NULL };
	uint32_t *ids;
	size_t n, i, split;

	if (regjob_ids_unpack(1, data, size, &ids, &n) == 0) {
		for (i = 1; i < n; i++)
			assert(ids[i - 1] < ids[i]);
		free(ids);
	}
	if (size == 0)
		return 0;
	split = (size_t)data[0] * (size - 1) / 255;
	(void)regjob_wave_unpack(1, 0, (const char *)data + 1, split, data + 1 + split,
	    size - 1 - split, &cb);
	return 0;
}
