/*
 * fuzz_agent_files.c — the agent's parsers of files and arguments it did not
 * write itself: client.keys lines, the sender counter, os-release, manager
 * lists.  Each must stay inside its input and never crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/keyfile.h"
#include "agent/mgrlist.h"
#include "lib/sysinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyfile_entry e, f;
	struct mgrlist_entry m[MGRLIST_MAX];
	char line[1024], name[96], plat[48], ver[96], *s;
	unsigned int g, l;
	ssize_t n;

	/* exact-size heap copies so ASan sees any read past the input */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	if (keyfile_parse_line(s, size, &e) == 0) {
		/* a parsed entry formats back and parses to the same entry */
		n = keyfile_format_line(line, sizeof(line), &e);
		if (n <= 0 || keyfile_parse_line(line, (size_t)n, &f) != 0 ||
		    memcmp(&e, &f, sizeof(e)) != 0)
			abort();
		(void)keyfile_ip_single_host(e.ip);
	}
	(void)keyfile_counter_parse(s, size, &g, &l);
	sysinfo_parse_os_release(s, size, name, sizeof(name), plat, sizeof(plat), ver, sizeof(ver));
	(void)mgrlist_parse_one(s, size, "1514", &m[0]);
	s[size] = '\0';
	if (strlen(s) == size)
		(void)mgrlist_parse(s, NULL, m, MGRLIST_MAX);
	free(s);
	return 0;
}
