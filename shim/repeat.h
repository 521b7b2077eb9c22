/*
 * repeat.h — log volume control for violations that repeat.
 *
 * CloudWatch bills per byte: a function stuck in a loop that violates a million times must not
 * write a million lines. The first REPEAT_FULL_LINES occurrences of a violation are logged in
 * full; after that, occurrences are counted, and a line standing for all of them is written at
 * most once a second per violation, when a Lambda invocation ends, and when the process exits.
 * Such a line is an ordinary violation line (every field of the first one: what, where, which
 * rule) with "count": how many identical violations it stands for, and "repeated": true, so
 * nothing about what happened is lost, and metrics (EMF) count every occurrence.
 *
 * Identical means: same category, action, call, target, real path, rule and argv.
 * The table is fixed-size and lock-free; when full, the entry idle longest is reused.
 */
#ifndef FNSHIELD_REPEAT_H
#define FNSHIELD_REPEAT_H

#include "logline.h"

#define REPEAT_FULL_LINES 5

/* Log a violation, or count it. */
void repeat_log_violation(const struct violation *v);

/* Write a line for every violation counted but not yet logged (invocation end, exit). */
void repeat_flush(void);

/* In a forked child: the counts pending belong to the parent, which will write them. */
void repeat_forget_pending(void);

#endif
