/* log.h — small logging module after OpenBSD's log.c. */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <stdarg.h>

/* log_init: name is the program name used as prefix; verbose 0..2 (2 = debug). */
void log_init(const char *name, int verbose);
void log_setverbose(int verbose);
int  log_getverbose(void);

/* log_warn appends ": strerror(errno)"; log_warnx does not. errno is preserved. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fatal/fatalx: start-up errors and broken invariants only; exit(1). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
