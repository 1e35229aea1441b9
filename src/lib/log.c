/* log.c — timestamped logging to stderr. */
#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const char *log_name = "vigil";
static int log_verbose = 1;

void
log_init(const char *name, int verbose)
{
	log_name = name;
	log_verbose = verbose;
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

static void log_vwrite(const char *, const char *, va_list, const char *)
    __attribute__((format(printf, 2, 0)));

static void
log_vwrite(const char *level, const char *fmt, va_list ap, const char *suffix)
{
	struct timeval tv;
	struct tm tm;
	char ts[32], msg[2048];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (suffix != NULL)
		fprintf(stderr, "%s.%03ldZ %s %s: %s: %s\n", ts, (long)(tv.tv_usec / 1000),
		    log_name, level, msg, suffix);
	else
		fprintf(stderr, "%s.%03ldZ %s %s: %s\n", ts, (long)(tv.tv_usec / 1000),
		    log_name, level, msg);
	fflush(stderr);
}

#define LOG_BODY(level, suffix)                   \
	do {                                      \
		int saved = errno;                \
		va_list ap;                       \
		va_start(ap, fmt);                \
		log_vwrite(level, fmt, ap, suffix); \
		va_end(ap);                       \
		errno = saved;                    \
	} while (0)

void
log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);
	LOG_BODY("warning", e);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY("warning", NULL);
}

void
log_info(const char *fmt, ...)
{
	if (log_verbose < 1)
		return;
	LOG_BODY("info", NULL);
}

void
log_debug(const char *fmt, ...)
{
	if (log_verbose < 2)
		return;
	LOG_BODY("debug", NULL);
}

void
fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);
	LOG_BODY("fatal", e);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY("fatal", NULL);
	exit(1);
}
