/* procstat.c — what the kernel says about this process (Linux /proc). */
#include "lib/procstat.h"

#include <stdio.h>
#include <unistd.h>

long
procstat_rss_kb(void)
{
	FILE *f;
	long size, rss;

	if ((f = fopen("/proc/self/statm", "r")) == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}
