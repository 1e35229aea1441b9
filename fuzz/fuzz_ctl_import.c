/* fuzz_ctl_import.c — libFuzzer target: vigilctl agents import's client.keys and groups lines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_key k;
	char *buf, groups[256];
	const char *why;
	unsigned long id;
	int v;

	/* an exact-size copy, not NUL-terminated, so ASan sees any read past the end */
	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	v = import_keys_line(buf, size, &k, &why);
	if ((v == IMPORT_BAD) != (why != NULL) ||
	    (v == IMPORT_ENTRY && (strlen(k.key) != 64 || k.idnum == 0)))
		abort();
	v = import_groups_line(buf, size, &id, groups, sizeof(groups), &why);
	if ((v == IMPORT_BAD) != (why != NULL) ||
	    (v == IMPORT_ENTRY && (groups[0] == '\0' || strlen(groups) >= sizeof(groups))))
		abort();
	free(buf);
	return 0;
}
