/*
 * registry_jobdata.h — internal to the registry: the bytes of a job's stored
 * lists, the same in both backends (registry_jobdata.c, pure).
 *
 * job.agents: 4 bytes an agent id, little-endian, in increasing order.
 * job_wave: nodes, the node names joined by '\n'; items, REGJOB_WAVE_ITEM
 * bytes a send, little-endian: agent id (4), index into nodes (2), session
 * id (8).
 */
#ifndef VIGIL_REGISTRY_JOBDATA_H
#define VIGIL_REGISTRY_JOBDATA_H

#include <stddef.h>
#include <stdint.h>

#include "node/registry/registry.h"

#define REGJOB_WAVE_ITEM 14
#define REGJOB_WAVE_NODES_MAX 4096

/*
 * regjob_ids_pack: agents (ids in 1..REGDB_ID_MAX, increasing) as a job's
 * list into *out (malloc'd, 4 * n bytes; NULL for n 0).  0 / -1 (logged).
 */
int regjob_ids_pack(const uint32_t *agents, size_t n, unsigned char **out);
/* regjob_ids_unpack: a stored list into *out (malloc'd) and *n.  0 / -1 (not
 * a whole number of ids, or not increasing; logged). */
int regjob_ids_unpack(uint64_t job, const unsigned char *b, size_t size, uint32_t **out,
    size_t *n);
/* regjob_ids_has: whether the sorted ids hold id. */
int regjob_ids_has(const uint32_t *ids, size_t n, uint32_t id);

/*
 * regjob_wave_pack: n sends as a wave's nodes (*nodes, *nodes_len bytes, not
 * terminated) and items (*items, n * REGJOB_WAVE_ITEM bytes), both malloc'd.
 * A node name that is not [A-Za-z0-9._-]{1,63}, a session id 0 or more
 * than REGJOB_WAVE_NODES_MAX nodes fail it.  0 / -1 (logged).
 */
int regjob_wave_pack(uint64_t job, const struct registry_job_wave *v, size_t n, char **nodes,
    size_t *nodes_len, unsigned char **items);
/*
 * regjob_wave_unpack: a stored wave through cb->wave, each send with sent_ms.
 * nodes is nodes_len bytes.  0, or -1 for a wave that is not valid (logged)
 * or cb's -1.
 */
int regjob_wave_unpack(uint64_t job, int64_t sent_ms, const char *nodes, size_t nodes_len,
    const unsigned char *items, size_t size, const struct registry_job_cb *cb);

/*
 * regjob_agents_merge: a job's agents through cb->agent in id order.  With
 * listed, ids (n of them, increasing) is the job's list: an agent without a
 * row is pending, never sent to, and a row for an agent not listed is left
 * out.  Without, a job of SQLite schema 7 or 8: its rows are its agents.
 * rows are in agent order.  0, or cb's -1.
 */
int regjob_agents_merge(uint64_t job, int listed, const uint32_t *ids, size_t n,
    const struct registry_job_agent *rows, size_t nrows, const struct registry_job_cb *cb);

#endif
