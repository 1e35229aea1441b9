/*
 * api_verify.h — API passwords checked and hashed off the event loop: a
 * small fixed pool of threads with a bounded queue.  A check (PBKDF2, 120,000 rounds)
 * costs ~26 ms of CPU; on the loop, 32 clients logging in pushed every
 * agent's startup->ack from 0.2 ms to 1.3 s.
 */
#ifndef VIGIL_API_VERIFY_H
#define VIGIL_API_VERIFY_H

#include <stddef.h>

struct event_base;
struct api_verify;

#define API_VERIFY_MAX_THREADS 16

/*
 * api_verify_new: nthreads (1..API_VERIFY_MAX_THREADS) threads that check
 * passwords, at most max_jobs checks queued, running or waiting to be
 * delivered.  Results come back on base's loop.  NULL on failure (logged).
 * The owner frees with api_verify_free.
 */
struct api_verify *api_verify_new(struct event_base *base, int nthreads, size_t max_jobs);

/*
 * api_verify_free: stops the threads (a check under way is given up within a
 * millisecond or so: one may take seconds), then calls the callback of every
 * check not yet delivered, on the calling thread: with its result when it
 * was done, -1 when it never ran or was given up (a hash job: NULL).  NULL is
 * a no-op.
 */
void api_verify_free(struct api_verify *v);

/*
 * api_verify_submit: queues auth_password_check(password, hash); both are
 * copied.  done(arg, ok) is called later on the loop, exactly once, with 1
 * (match), 0 (no match or malformed hash) or -1 (not checked: the pool was
 * freed first).  0 queued; -1 when max_jobs checks are pending (or memory
 * ran out): done is then never called.
 */
int api_verify_submit(struct api_verify *v, const char *password, const char *hash,
    void (*done)(void *arg, int ok), void *arg);

/*
 * api_verify_hash: queues auth_password_hash(password) (copied), for a new
 * password: the same cost as a check, so the same threads and queue.
 * done(arg, hash) is called later on the loop, exactly once, with the hash
 * ("pbkdf2$..."; the callee copies it), or NULL when it could not be made or
 * the pool was freed first.  0 queued; -1 when the queue is full (or memory
 * ran out): done is then never called.
 */
int api_verify_hash(struct api_verify *v, const char *password,
    void (*done)(void *arg, const char *hash), void *arg);

/* api_verify_pending: checks and hashes queued, running or waiting to be delivered. */
size_t api_verify_pending(const struct api_verify *v);

/* api_verify_queued: checks and hashes no thread has taken yet (of those pending). */
size_t api_verify_queued(struct api_verify *v);

#endif
