/* sharedrx.h — the agent's side of the shared-configuration push: collects
 * "#!-up file <md5> merged.mg\n", the raw chunks and "#!-close file ", and
 * checks the md5 (wazuh-agentd's receiver.c).  Pure: no I/O; the caller
 * stores the file.
 */
#ifndef VIGIL_SHAREDRX_H
#define VIGIL_SHAREDRX_H

#include <stddef.h>

#define SHAREDRX_MAX (8u << 20)     /* a bigger file is refused */

enum sharedrx_result {
	SHAREDRX_NOT_MINE = 0,   /* not part of a file push: the caller handles it */
	SHAREDRX_MORE,           /* taken; the file is not complete yet */
	SHAREDRX_DONE,           /* the file is complete and its md5 matches: rx->buf, rx->len */
	SHAREDRX_BAD,            /* taken, but the push failed (bad header, size, md5, close without open) */
};

struct sharedrx {
	int open;                /* between "up file" and "close file" */
	int failed;              /* this push already failed (too big): its close is BAD */
	char md5[33];            /* announced */
	char name[256];
	char *buf;               /* the file so far (owned) */
	size_t len, cap;
};

/* sharedrx_init / sharedrx_free: an empty receiver; _free releases the buffer (keeps rx usable). */
void sharedrx_init(struct sharedrx *rx);
void sharedrx_free(struct sharedrx *rx);

/*
 * sharedrx_feed: one decrypted message from the manager.  Control messages
 * ("#!-...") other than up/close are NOT_MINE, as is anything while no file
 * is open.  A new "up file" restarts the transfer.  After DONE the file stays
 * in rx->buf until the next feed that opens a file or sharedrx_free.
 */
enum sharedrx_result sharedrx_feed(struct sharedrx *rx, const char *msg, size_t len);

#endif
