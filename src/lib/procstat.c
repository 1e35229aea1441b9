/* procstat.c — what the kernel says about this process (Linux /proc). */
#include "lib/procstat.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
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

long
procstat_open_fds(void)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	long k = 0;

	if (stat("/proc/self/fd", &st) == 0 && st.st_size > 0)
		return (long)st.st_size;
	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			k++;
	closedir(d);
	return k - 1;   /* the directory's own descriptor */
}
