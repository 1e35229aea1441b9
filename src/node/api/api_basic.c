/* api_basic.c — HTTP Basic credentials, as the login endpoint receives them (pure). */
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "node/api/api_query.h"

#define BASIC_MAX_DECODED 512

int
api_parse_basic_auth(const char *h, char *user, size_t ucap, char *pass, size_t pcap)
{
	unsigned char dec[BASIC_MAX_DECODED + 4];
	size_t inlen, ulen, plen;
	int n, rc = -1;
	char *colon;

	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return -1;
	h += 6;
	while (*h == ' ')
		h++;
	inlen = strlen(h);
	if (inlen == 0 || inlen % 4 != 0 || inlen / 4 * 3 > BASIC_MAX_DECODED)
		return -1;
	n = EVP_DecodeBlock(dec, (const unsigned char *)h, (int)inlen);
	if (n < 0)
		goto out;
	/* EVP_DecodeBlock counts the '=' padding as decoded zero bytes. */
	if (h[inlen - 1] == '=')
		n--;
	if (inlen >= 2 && h[inlen - 2] == '=')
		n--;
	if (n < 0)
		goto out;
	dec[n] = '\0';
	if (memchr(dec, '\0', (size_t)n) != NULL || (colon = strchr((char *)dec, ':')) == NULL)
		goto out;
	*colon = '\0';
	ulen = strlen((char *)dec);
	plen = strlen(colon + 1);
	if (ulen >= ucap || plen >= pcap)
		goto out;
	memcpy(user, dec, ulen + 1);
	memcpy(pass, colon + 1, plen + 1);
	rc = 0;
out:
	explicit_bzero(dec, sizeof(dec));
	return rc;
}
