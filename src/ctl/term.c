/* term.c — vigilctl top's terminal: keys without Enter, a screen of its own, its size, signals. */
#include "ctl/term.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* Enter the alternate screen, hide the cursor, clear; and the reverse. */
#define SCREEN_ENTER "\033[?1049h\033[?25l\033[H\033[2J"
#define SCREEN_LEAVE "\033[?25h\033[?1049l"

static struct termios saved;            /* stdin's modes before term_enter */
static volatile sig_atomic_t active;    /* the terminal is in our modes */
static volatile sig_atomic_t stop_sig;
static volatile sig_atomic_t resized;
static int installed;

/*
 * out: n bytes of buf to stdout, retrying after a signal; when only_active,
 * only while the screen is ours.  0 / -1.  Async-signal-safe.
 */
static int
out(const char *buf, size_t n, int only_active)
{
	while (n > 0 && (!only_active || active)) {
		ssize_t w = write(STDOUT_FILENO, buf, n);

		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

int
term_draw(const char *buf, size_t n)
{
	return out(buf, n, 1);
}

/* set_modes: noncanonical, no echo, reads return at once; the screen; async-signal-safe. */
static int
set_modes(void)
{
	struct termios raw = saved;

	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	active = 1;         /* before the change: a signal from here on restores */
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == -1) {
		active = 0;
		return -1;
	}
	(void)out(SCREEN_ENTER, sizeof(SCREEN_ENTER) - 1, 0);
	return 0;
}

void
term_leave(void)
{
	int saved_errno = errno;

	if (active) {
		active = 0;
		(void)out(SCREEN_LEAVE, sizeof(SCREEN_LEAVE) - 1, 0);
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	}
	errno = saved_errno;
}

static void
on_stop(int sig)
{
	term_leave();
	stop_sig = sig;
}

static void
on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

/*
 * on_tstp: Ctrl-Z.  The terminal goes back to the shell as it was, the
 * process stops (the default action, unblocked for the moment), and when it
 * is continued (fg) the view takes the terminal again and is redrawn.
 */
static void
on_tstp(int sig)
{
	struct sigaction dfl, mine;
	sigset_t set, old;
	int saved_errno = errno, was = active;

	term_leave();
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	(void)sigaction(SIGTSTP, &dfl, &mine);
	sigemptyset(&set);
	sigaddset(&set, SIGTSTP);
	(void)sigprocmask(SIG_UNBLOCK, &set, &old);
	(void)raise(sig);
	/* continued */
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	(void)sigaction(SIGTSTP, &mine, NULL);
	if (was && !stop_sig)
		(void)set_modes();
	resized = 1;
	errno = saved_errno;
}

static void
install(void)
{
	static const int stops[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa;
	size_t i;

	if (installed)
		return;
	installed = 1;
	/* No SA_RESTART: a blocked read or poll returns, and the loop sees the flag. */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		sigaddset(&sa.sa_mask, stops[i]);
	sigaddset(&sa.sa_mask, SIGTSTP);
	sa.sa_handler = on_stop;
	for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		(void)sigaction(stops[i], &sa, NULL);
	/* These two restart what they interrupt (a request in flight goes on; the
	 * wait for a key returns anyway: poll is never restarted). */
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_tstp;
	(void)sigaction(SIGTSTP, &sa, NULL);
	sa.sa_handler = on_winch;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGWINCH, &sa, NULL);
	(void)atexit(term_leave);
}

int
term_enter(void)
{
	if (active)
		return 0;
	if (tcgetattr(STDIN_FILENO, &saved) == -1)
		return -1;
	install();
	return set_modes();
}

int
term_stop_signal(void)
{
	return stop_sig;
}

int
term_resized(void)
{
	int r = resized;

	resized = 0;
	return r;
}

int
term_size(int fd, size_t *cols, size_t *rows)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) == -1 || ws.ws_col == 0 || ws.ws_row == 0)
		return -1;
	*cols = ws.ws_col;
	*rows = ws.ws_row;
	return 0;
}
