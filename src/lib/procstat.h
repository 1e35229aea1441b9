/* procstat.h — what the kernel says about this process. */
#ifndef VIGIL_PROCSTAT_H
#define VIGIL_PROCSTAT_H

/* procstat_rss_kb: this process's resident set size in KiB, -1 when unknown. */
long procstat_rss_kb(void);

#endif
