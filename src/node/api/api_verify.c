/*
 * api_verify.c — password checks on a small pool of threads.
 *
 * The loop and the threads share two queues and nothing else: jobs to check
 * (todo) and checked jobs (done), under one mutex.  A thread takes a job,
 * checks it without the lock, puts it on done and writes to an eventfd; the
 * loop's event on that eventfd takes every done job and calls its callback.
 * A job belongs to the thread that took it from a queue until it puts it on
 * the next one, so its fields need no lock.  The count of jobs in the pool
 * (pending) is the loop's alone: it rises at submit and falls at delivery.
 */
#include "node/api/api_verify.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/log.h"
#include "node/api/auth.h"

struct verify_job {
	STAILQ_ENTRY(verify_job) next;
	char *password;                 /* zeroed and freed once checked */
	char *hash;                     /* to check against; NULL for a hash job */
	char out[AUTH_HASH_MAX];        /* a hash job's result */
	int ok;                         /* 1, 0, or -1 never checked (or given up) */
	void (*done)(void *, int);      /* a check's callback */
	void (*hashed)(void *, const char *); /* a hash job's */
	void *arg;
};

STAILQ_HEAD(verify_queue, verify_job);

struct api_verify {
	pthread_mutex_t mu;
	pthread_cond_t cv;              /* todo has a job, or stop */
	struct verify_queue todo;       /* under mu */
	struct verify_queue done;       /* under mu */
	int stop;                       /* under mu */
	int efd;                        /* a thread writes when it adds to done */
	struct event *ev;
	pthread_t th[API_VERIFY_MAX_THREADS];
	int nthreads;                   /* started */
	size_t pending, max_jobs;       /* the loop's */
};

static void
job_free(struct verify_job *j)
{
	if (j == NULL)
		return;
	if (j->password != NULL) {
		explicit_bzero(j->password, strlen(j->password));
		free(j->password);
	}
	free(j->hash);
	explicit_bzero(j->out, sizeof(j->out));
	free(j);
}

/*
 * stopping: asked by a check under way every thousand rounds or so.  A stored
 * hash may ask for 10,000,000 rounds, seconds of CPU (over 15 s in the
 * sanitizer build on a busy machine), and api_verify_free joins the threads:
 * a node stopped with such a check running was killed for not exiting.
 */
static int
stopping(void *arg)
{
	struct api_verify *v = arg;
	int stop;

	pthread_mutex_lock(&v->mu);
	stop = v->stop;
	pthread_mutex_unlock(&v->mu);
	return stop;
}

static void *
verify_thread(void *arg)
{
	struct api_verify *v = arg;
	struct verify_job *j;
	uint64_t one = 1;

	for (;;) {
		pthread_mutex_lock(&v->mu);
		while (!v->stop && STAILQ_EMPTY(&v->todo))
			pthread_cond_wait(&v->cv, &v->mu);
		if (v->stop) {
			pthread_mutex_unlock(&v->mu);
			return NULL;
		}
		j = STAILQ_FIRST(&v->todo);
		STAILQ_REMOVE_HEAD(&v->todo, next);
		pthread_mutex_unlock(&v->mu);

		if (j->hashed != NULL)
			j->ok = auth_password_hash_until(j->password, j->out, stopping, v) == 0;
		else
			j->ok = auth_password_check_until(j->password, j->hash, stopping, v);
		explicit_bzero(j->password, strlen(j->password));

		pthread_mutex_lock(&v->mu);
		STAILQ_INSERT_TAIL(&v->done, j, next);
		pthread_mutex_unlock(&v->mu);
		/* An eventfd counter cannot overflow at our rates; EAGAIN would mean it is set. */
		while (write(v->efd, &one, sizeof(one)) == -1 && errno == EINTR)
			;
	}
}

/* deliver: the callbacks of the jobs in q, on the loop; the jobs are freed. */
static void
deliver(struct api_verify *v, struct verify_queue *q)
{
	struct verify_job *j;

	while ((j = STAILQ_FIRST(q)) != NULL) {
		STAILQ_REMOVE_HEAD(q, next);
		v->pending--;
		if (j->hashed != NULL)
			j->hashed(j->arg, j->ok == 1 ? j->out : NULL);
		else
			j->done(j->arg, j->ok);
		job_free(j);
	}
}

static void
verify_ready(evutil_socket_t fd, short what, void *arg)
{
	struct api_verify *v = arg;
	struct verify_queue q = STAILQ_HEAD_INITIALIZER(q);
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN && errno != EINTR)
		log_warn("api: login checks: eventfd");
	pthread_mutex_lock(&v->mu);
	STAILQ_CONCAT(&q, &v->done);
	pthread_mutex_unlock(&v->mu);
	deliver(v, &q);
}

struct api_verify *
api_verify_new(struct event_base *base, int nthreads, size_t max_jobs)
{
	struct api_verify *v;
	sigset_t all, old;
	int i, rc;

	if (nthreads < 1 || nthreads > API_VERIFY_MAX_THREADS || max_jobs == 0) {
		log_warnx("api: login checks: %d threads, %zu jobs: out of range", nthreads,
		    max_jobs);
		return NULL;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		log_warn("api: login checks");
		return NULL;
	}
	STAILQ_INIT(&v->todo);
	STAILQ_INIT(&v->done);
	v->max_jobs = max_jobs;
	v->efd = -1;
	if ((rc = pthread_mutex_init(&v->mu, NULL)) != 0) {
		free(v);
		return NULL;
	}
	if ((rc = pthread_cond_init(&v->cv, NULL)) != 0) {
		pthread_mutex_destroy(&v->mu);
		free(v);
		return NULL;
	}
	if ((v->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		log_warn("api: login checks: eventfd");
		goto err;
	}
	if ((v->ev = event_new(base, v->efd, EV_READ | EV_PERSIST, verify_ready, v)) == NULL ||
	    event_add(v->ev, NULL) == -1) {
		log_warnx("api: login checks: cannot add the event");
		goto err;
	}
	/* The threads take no signals: they stay with the loop's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < nthreads; i++) {
		if ((rc = pthread_create(&v->th[i], NULL, verify_thread, v)) != 0) {
			errno = rc;
			log_warn("api: login checks: thread %d", i);
			break;
		}
		v->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (v->nthreads < nthreads)
		goto err;
	return v;
err:
	api_verify_free(v);
	return NULL;
}

void
api_verify_free(struct api_verify *v)
{
	struct verify_queue q = STAILQ_HEAD_INITIALIZER(q);
	int i;

	if (v == NULL)
		return;
	pthread_mutex_lock(&v->mu);
	v->stop = 1;
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
	for (i = 0; i < v->nthreads; i++)
		pthread_join(v->th[i], NULL);
	/* The threads are gone: the queues are ours.  Checked first, then the rest (-1). */
	STAILQ_CONCAT(&q, &v->done);
	STAILQ_CONCAT(&q, &v->todo);
	deliver(v, &q);
	if (v->ev != NULL)
		event_free(v->ev);
	if (v->efd != -1)
		close(v->efd);
	pthread_cond_destroy(&v->cv);
	pthread_mutex_destroy(&v->mu);
	free(v);
}

/* submit: queues a check (hash != NULL) or a hash job; see api_verify_submit. */
static int
submit(struct api_verify *v, const char *password, const char *hash,
    void (*done)(void *, int), void (*hashed)(void *, const char *), void *arg)
{
	struct verify_job *j;

	if (v->pending >= v->max_jobs)
		return -1;
	if ((j = calloc(1, sizeof(*j))) == NULL || (j->password = strdup(password)) == NULL ||
	    (hash != NULL && (j->hash = strdup(hash)) == NULL)) {
		log_warn("api: password job");
		job_free(j);
		return -1;
	}
	j->ok = -1;
	j->done = done;
	j->hashed = hashed;
	j->arg = arg;
	v->pending++;
	pthread_mutex_lock(&v->mu);
	STAILQ_INSERT_TAIL(&v->todo, j, next);
	pthread_cond_signal(&v->cv);
	pthread_mutex_unlock(&v->mu);
	return 0;
}

int
api_verify_submit(struct api_verify *v, const char *password, const char *hash,
    void (*done)(void *arg, int ok), void *arg)
{
	return submit(v, password, hash, done, NULL, arg);
}

int
api_verify_hash(struct api_verify *v, const char *password,
    void (*done)(void *arg, const char *hash), void *arg)
{
	return submit(v, password, NULL, NULL, done, arg);
}

size_t
api_verify_pending(const struct api_verify *v)
{
	return v->pending;
}

size_t
api_verify_queued(struct api_verify *v)
{
	struct verify_job *j;
	size_t n = 0;

	pthread_mutex_lock(&v->mu);
	STAILQ_FOREACH(j, &v->todo, next)
		n++;
	pthread_mutex_unlock(&v->mu);
	return n;
}
