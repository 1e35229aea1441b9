/* enrolld.h — the enrollment service (port 1515, TLS): authd's protocol. */
#ifndef VIGIL_ENROLLD_H
#define VIGIL_ENROLLD_H

#include <sys/types.h>

#include "node/core/node.h"

int enrolld_listen(struct node *n);
/*
 * enrolld_process_line: the master decides a request line forwarded by a
 * worker from peer, under the master's own enrollment rate limits (per
 * source: peer; and in total); writes the reply text (NUL-terminated) into
 * reply.
 * Returns its length, -1 if cap is too small.
 */
ssize_t enrolld_process_line(struct node *n, const char *line, size_t len, const char *peer,
    char *reply, size_t cap);
/* enrolld_forward_done: a worker got the master's reply for the connection conn. */
void enrolld_forward_done(void *conn, const char *reply);

#endif
