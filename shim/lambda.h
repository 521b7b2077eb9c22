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

#include <stddef.h>
#include <sys/types.h>

#define LAMBDA_ID_MAX 128

struct lambda_ids {
	char request_id[LAMBDA_ID_MAX];
	char trace_id[LAMBDA_ID_MAX];
};

/* At load: AWS_LAMBDA_RUNTIME_API set → phase init. */
void lambda_init(const char *runtime_api);

/* Is this descriptor a connection to the Runtime API? (the I/O hooks' fast test) */
int lambda_is_api_fd(int fd);
void lambda_mark_api_fd(int fd);
void lambda_forget_fd(int fd);

/* Bytes the runtime sent to / received from the Runtime API on fd. */
void lambda_saw_request(int fd, const void *buf, size_t len);
void lambda_saw_response(int fd, const void *buf, size_t len);

/* The ids for a line logged now on this thread; 0 when none is known. */
int lambda_current(struct lambda_ids *out);

#endif
