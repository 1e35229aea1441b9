/* frame.h — Wazuh remoted TCP framing: uint32 little-endian length + payload. */
#ifndef VIGIL_FRAME_H
#define VIGIL_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FRAME_MAX 65536 /* OS_MAXSTR: a larger length closes the socket */

/*
 * frame_decode: looks for one frame at the start of buf.  Returns the bytes
 * consumed (4 + payload length) and points *payload and *plen into buf; -2 when
 * more bytes are needed; -1 when the length is 0 or above FRAME_MAX.
 */
ssize_t frame_decode(const uint8_t *buf, size_t len, const uint8_t **payload, size_t *plen);

/* frame_put_header: writes the 4-byte little-endian length prefix. */
void frame_put_header(uint8_t hdr[4], uint32_t len);

#endif
