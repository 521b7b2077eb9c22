/*
 * logline.h — the JSON lines fnshield writes (SPEC "Log lines").
 *
 * Each line is built in a 4096-byte buffer on the caller's stack and written with one
 * write(2): safe in any thread, signal handler or vfork child, and lines from 64 threads at
 * once never interleave (a pipe write of at most PIPE_BUF bytes is atomic).
 */
#ifndef FNSHIELD_LOGLINE_H
#define FNSHIELD_LOGLINE_H

#include "policy.h"

#include <stddef.h>

#define LOGLINE_MAX 4096

/* verdict.index of a call whose path could not be resolved at all (check.c). */
#define FS_RULE_UNRESOLVED (-2)
/* verdict.index of a write to /proc/PID/mem, blocked whatever the policy (check.c). */
#define FS_RULE_PROTECTED (-3)

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
};

void log_violation(const struct violation *v);

/* Build the line without writing it (for tests). Returns its length including '\n'. */
size_t logline_format_violation(const struct violation *v, char *buf, size_t cap);

/* "fnshield":"start": once per protected process tree. */
void log_start(const char *source, const char *digest, int mode, const char *seccomp);

/* "fnshield":"error": a configuration or internal error, with where it is. */
void log_error(const char *message, const char *json_path, int line, int column,
	       const char *source);

/* RFC 3339 UTC with milliseconds: "2026-11-22T10:00:00.123Z" (24 bytes + NUL). */
long long logline_timestamp(char out[32]); /* returns ms since the epoch */

#endif
