/* term.h — vigilctl top's terminal: keys without Enter, a screen of its own, its size, signals. */
#ifndef VIGIL_CTL_TERM_H
#define VIGIL_CTL_TERM_H

#include <stddef.h>

/*
 * term_enter: standard input into noncanonical mode without echo (keys come
 * one by one; Ctrl-C still raises SIGINT), standard output onto the
 * alternate screen with the cursor hidden.  From the first call on, SIGINT,
 * SIGTERM, SIGHUP and SIGQUIT restore the terminal at once and are reported
 * by term_stop_signal; SIGTSTP (Ctrl-Z) restores it, stops, and enters again
 * when continued; SIGWINCH is reported by term_resized; and an exit()
 * restores it (atexit).  0, or -1 when stdin's modes cannot be read or set.
 */
int term_enter(void);

/*
 * term_leave: the modes and screen as they were before term_enter (nothing
 * when not entered).  Async-signal-safe: the signal handlers call it.
 */
void term_leave(void);

/* term_stop_signal: the signal that asked us to stop (SIGINT...), or 0. */
int term_stop_signal(void);

/* term_resized: whether the terminal was resized (or continued after a stop) since the last call. */
int term_resized(void);

/* term_size: the size of the terminal on fd into *cols and *rows (TIOCGWINSZ); 0 / -1. */
int term_size(int fd, size_t *cols, size_t *rows);

/*
 * term_draw: n bytes of buf to stdout while the screen is ours: a signal that
 * restores the terminal in the middle of a screen stops the rest of it from
 * landing on the shell's screen.  0 / -1.
 */
int term_draw(const char *buf, size_t n);

#endif
