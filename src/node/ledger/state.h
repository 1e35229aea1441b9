/* state.h — the one path by which an agent's state changes (see state.c). */
#ifndef VIGIL_STATE_H
#define VIGIL_STATE_H

#include <stdint.h>

#include "node/core/node.h"
#include "proto/crec.h"

struct agent;
struct session;

/*
 * state_publish: agent a's current session on this node reports r.  Worker:
 * becomes the node's view of the agent and goes to the master.  Master: a
 * record of (self, r->sid) for the ledger.
 */
void state_publish(struct node *n, struct agent *a, const struct crec_record *r);
/*
 * state_publish_touch: that session got a keepalive that changed nothing but
 * the time: the cheap path (a touch, not a whole record).
 */
void state_publish_touch(struct node *n, struct agent *a, const struct crec_touch *t);
/* state_record: master: one record of a session held by node `from` (LEDGER_SELF: us). */
void state_record(struct node *n, uint16_t from, const struct crec_record *r);
/* state_touch: master: a touch of a session held by node `from`. */
void state_touch(struct node *n, uint16_t from, const struct crec_touch *t);
/* state_node_lost: master: the worker `node` has been gone for the grace period. */
void state_node_lost(struct node *n, uint16_t node);
/* state_tick: master, once a second: sessions that waited too long are refused. */
void state_tick(struct node *n);

#endif
