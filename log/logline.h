/*
 * logline.h — the JSON lines fnshield writes (SPEC "Log lines").
 *
 * The writer knows nothing of the process: it formats a line from what it is given (a
 * log_context and the event) into a buffer of at most 4096 bytes on the caller's stack, which
 * the caller writes with one write(2): safe in any thread, signal handler or vfork child, and
 * lines from 64 threads at once never interleave (a pipe write of at most PIPE_BUF bytes is
 * atomic). No allocation, no locks, no errno change.
 */
#ifndef FNSHIELD_LOGLINE_H
#define FNSHIELD_LOGLINE_H

#include "jsonw.h"
#include "policy.h"

#include <stddef.h>

#define LOGLINE_MAX 4096

struct violation {
	enum fs_category category;
	const char *call;          /* the interposed function: "execve", "fopen64", "connect" */
	const char *target;        /* program or file path, or HOST:PORT / IP:PORT */
	const char *resolved;      /* the real path behind symbolic links, when it differs */
	char *const *argv;         /* exec: the argument vector (NULL-terminated) */
	const char *ip;            /* connect/listen */
	int port;
	const char *host;          /* connect: the name the address was resolved from */
	struct fs_verdict verdict; /* which rule decided */
	int action;                /* what was done: FS_ALERT or FS_BLOCK (after the mode) */
	unsigned long count;       /* > 1: the line stands for this many identical violations */
	const char *interposition; /* who caught it, when not the library: "kernel" (the
				    * supervisor, shim/supervisor.h); NULL: no field */
};

/* Who writes a line, and for which function: filled by the caller from its own state (the
 * library: shim/report.c; the CLI and the exec wrapper: their own). Absent fields are NULL. */
struct log_context {
	long pid;
	const char *exe;
	const char *phase;             /* LP_INIT, LP_INVOKE; NULL outside Lambda */
	const char *request_id;        /* the invocation's ids, when known */
	const char *trace_id;
	const char *function;          /* the Lambda function's name ("" or NULL: none) */
	const char *metrics_namespace; /* EMF namespace of violation lines (NULL: "fnshield") */
	/* The native call stack for violation lines (NULL: none): appends "key":[...] to w in
	 * at most `budget` bytes, returns the number of frames. Process state, so the caller's:
	 * the writer reserves backtrace_budget bytes for it. */
	int (*backtrace)(struct jsonw *w, const char *key, size_t budget);
	size_t backtrace_budget;
	/* The managed-language code that made the call (SPEC "origin", "stack"; NULL: none):
	 * appends "stack":[...] and "origin":{...} to w in at most `budget` bytes, frames cut
	 * first: the origin has LOGLINE_ORIGIN_MAX bytes of it kept for itself. */
	int (*origin)(struct jsonw *w, size_t budget);
};

/* Room a violation line keeps for its "origin" object, whatever else it holds. */
#define LOGLINE_ORIGIN_MAX 640

/* Each formats one line into buf (cap bytes, at most LOGLINE_MAX) and returns its length,
 * '\n' included. Delivering it is the caller's business. */

size_t logline_format_violation(const struct log_context *c, const struct violation *v,
				char *buf, size_t cap);

/* "fnshield":"start": once per protected process tree. protections: bit (1 << category) set
 * for every category the policy restricts. supervisor: its state when one was asked for
 * (FNSHIELD_SUPERVISOR), else NULL: no field. */
size_t logline_format_start(const struct log_context *c, const char *source, const char *digest,
			    int mode, unsigned protections, const char *seccomp,
			    const char *supervisor, char *buf, size_t cap);

/* A field's text (a start-line state, the function's name, a trace id) into out: s, cut to
 * cap. Not snprintf: these are set at every child's start, where stdio's first use in a
 * process costs ~0.1 ms on this kind of machine. */
void logline_copy(char *out, size_t cap, const char *s);

/* "fnshield":"error": a configuration or internal error, with where it is. */
size_t logline_format_error(const struct log_context *c, const char *message,
			    const char *json_path, int line, int column, const char *source,
			    char *buf, size_t cap);

/* RFC 3339 UTC with milliseconds: "2026-11-22T10:00:00.123Z" (24 bytes + NUL). */
long long logline_timestamp(char out[32]); /* returns ms since the epoch */

/* A program's reports: each program that logs defines the ones it uses, filling a log_context
 * from its own state and sending the line where its lines go (the library: shim/report.c,
 * all three; the CLI: cli/fnshield.c, log_error). */
void log_violation(const struct violation *v);
void log_start(const char *source, const char *digest, int mode, const char *seccomp,
	       const char *supervisor);
void log_error(const char *message, const char *json_path, int line, int column,
	       const char *source);

#endif
