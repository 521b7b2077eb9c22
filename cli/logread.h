/*
 * logread.h — reading fnshield's lines out of whatever holds them, for every command that reads
 * logs (`fnshield learn`, `fnshield report`).
 *
 * Input: the function's raw stderr or log stream (lines with other output around and between
 * them, a Lambda text-format prefix in front), JSON lines, CloudWatch exports (`aws logs
 * filter-log-events` / `get-log-events`: {"events": [{"message": "..."}, ...]}, a JSON array of
 * such events, several such documents one after the other), Logs Insights results with an
 * "@message" field (or a {"field": "@message", "value": ...} pair). Each "fnshield" object
 * found is handed to the reader's callback; field names: log/fields.h.
 */
#ifndef FNSHIELD_CLI_LOGREAD_H
#define FNSHIELD_CLI_LOGREAD_H

#include "cJSON.h"

#include <stddef.h>
#include <stdio.h>

struct logread {
	/* One fnshield line: kind is its "fnshield" value (LK_VIOLATION, LK_START, …). */
	void (*line)(void *ctx, const char *kind, const cJSON *line);
	void *ctx;
};

/* What a violation line's origin says of its package (SPEC "origin"): its "package", NO_PACKAGE
 * when the origin lies in no package (a function's own file outside any), NULL without origin
 * (shown as NO_ORIGIN: a runtime's pool thread, the VM's own calls, a program without runtime). */
#define NO_PACKAGE "(no package)"
#define NO_ORIGIN "(origin unknown)"
const char *logread_package(const cJSON *line);

/* One whole input: one or more JSON documents (an export), else lines of text. */
void logread_input(const struct logread *r, const char *buf, size_t len);

/* Each of the n files in turn ("-": standard input; none at all: standard input) as one input.
 * 0, or EX_NOINPUT after "fnshield COMMAND: cannot read FILE: why" on stderr. */
int logread_files(const struct logread *r, char *const *paths, int n, const char *command);

/* How many violations a violation line stands for: its "count" (a summary of repeats), else 1. */
unsigned long logread_violations(const cJSON *line);

/* A string field of an object, or NULL. */
const char *logread_str(const cJSON *obj, const char *name);

#endif
