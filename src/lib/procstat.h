/* procstat.h — what the kernel says about this process. */
#ifndef VIGIL_PROCSTAT_H
#define VIGIL_PROCSTAT_H

/* procstat_rss_kb: this process's resident set size in KiB, -1 when unknown. */
long procstat_rss_kb(void);

/*
 * procstat_open_fds: descriptors this process has open, -1 when unknown.
 * Linux 6.2 and later tell it in /proc/self/fd's size (one stat, a few µs);
 * before, the directory is counted (about 1 µs per descriptor).
 */
long procstat_open_fds(void);

#endif
