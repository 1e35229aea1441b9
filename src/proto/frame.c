/* frame.c — Wazuh remoted TCP framing: uint32 little-endian length + payload. */
#include "proto/frame.h"

/*
 * The length is read byte by byte so that the code does not depend on the
 * host's byte order or on the alignment of buf (remoted's wnet_order is the
 * identity on little-endian hosts, so the wire format is little-endian).
 */
ssize_t
frame_decode(const uint8_t *buf, size_t len, const uint8_t **payload, size_t *plen)
{
	uint32_t n;

	if (len < 4)
		return -2;
	n = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
	    (uint32_t)buf[3] << 24;
	if (n == 0 || n > FRAME_MAX)
		return -1;
	if (len - 4 < n)
		return -2;
	*payload = buf + 4;
	*plen = n;
	return (ssize_t)n + 4;
}

void
frame_put_header(uint8_t hdr[4], uint32_t len)
{
	hdr[0] = (uint8_t)len;
	hdr[1] = (uint8_t)(len >> 8);
	hdr[2] = (uint8_t)(len >> 16);
	hdr[3] = (uint8_t)(len >> 24);
}
