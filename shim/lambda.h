/*
 * lambda.h — where in its life a Lambda function is: init or invoke, and which invocation.
 *
 * Lambda gives a process no signal for either, but its runtime client talks to the Runtime
 * API (AWS_LAMBDA_RUNTIME_API, always allowed): init ends when the client first sends
 * `GET /2018-06-01/runtime/invocation/next`, and each invocation's id and trace id arrive as
 * headers of that request's response (Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Trace-Id).
 * The connect hook marks the sockets connected to the Runtime API; the I/O hooks look at
 * what goes over those sockets only (a bit test for every other descriptor).
 *
 * Which invocation a violation belongs to: the thread that received an invocation keeps its
 * ids (the runtime's loop thread runs the handler: Python, Java, Node's main and worker
 * threads); any other thread (libuv's thread pool, a thread the handler started) gets the
 * process's invocation only while exactly one is in flight — with several at once
 * (AWS_LAMBDA_MAX_CONCURRENCY) it gets none rather than another invocation's. Forked worker
 * processes have their own connection and their own copy of all this.
 */
#ifndef FNSHIELD_LAMBDA_H
#define FNSHIELD_LAMBDA_H

#include "state.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LAMBDA_ID_MAX 128

struct lambda_ids {
	char request_id[LAMBDA_ID_MAX];
	char trace_id[LAMBDA_ID_MAX];
};

/* A process started by a protected process inherits its parent's phase and invocation (it is
 * part of that invocation, and talks to no Runtime API itself): the exec hooks pass them in
 * _FNSHIELD_LAMBDA="init" or "invoke[ REQUEST_ID[ TRACE_ID]]". */
#define LAMBDA_ENV "_FNSHIELD_LAMBDA"
#define LAMBDA_ENV_MAX (sizeof LAMBDA_ENV + 8 + 2 * LAMBDA_ID_MAX)

/* At load, under Lambda (AWS_LAMBDA_RUNTIME_API set): phase init, or what the parent passed
 * (inherited: the value of _FNSHIELD_LAMBDA, NULL for the runtime itself). */
void lambda_init(const char *inherited);

/* "_FNSHIELD_LAMBDA=…" for a child started now from this thread (LAMBDA_ENV_MAX bytes). */
void lambda_env_entry(char *out, size_t cap);

/* Is this descriptor a connection to the Runtime API? (the I/O hooks' fast test: inline, one
 * load and a bit test, since every read and write of the process asks) */
#define LAMBDA_API_FD_LIMIT 4096
#pragma GCC visibility push(hidden) /* read directly, not through the GOT (state.h) */
extern _Atomic uint64_t lambda_api_fds[LAMBDA_API_FD_LIMIT / 64];
#pragma GCC visibility pop
static inline int lambda_is_api_fd(int fd)
{
	if ((unsigned)fd >= LAMBDA_API_FD_LIMIT)
		return 0;
	return (atomic_load_explicit(&lambda_api_fds[fd / 64], memory_order_relaxed) >> (fd % 64)) & 1;
}
/* The same, after one bit test of g_watch: outside Lambda nothing else is read. */
static inline int lambda_watched_fd(int fd)
{
	return __builtin_expect((shim_watch() & WATCH_RUNTIME_API) != 0, 0) && lambda_is_api_fd(fd);
}
void lambda_mark_api_fd(int fd);
void lambda_forget_fd(int fd);

/* Bytes the runtime sent to / received from the Runtime API on fd. */
void lambda_saw_request(int fd, const void *buf, size_t len);
void lambda_saw_response(int fd, const void *buf, size_t len);

/* The ids for a line logged now on this thread; 0 when none is known. */
int lambda_current(struct lambda_ids *out);

#endif
