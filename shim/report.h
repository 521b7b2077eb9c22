/*
 * report.h — the library's side of its log lines: who is logging, from the process's state.
 *
 * log/ formats lines from a log_context and knows nothing of the process; this fills the
 * context from g_shim, the Lambda phase and the invocation's ids, and delivers the lines
 * (logfd.h). log_violation, log_start and log_error (logline.h) are defined here.
 */
#ifndef FNSHIELD_REPORT_H
#define FNSHIELD_REPORT_H

#include "lambda.h"
#include "logline.h"

/* The context of a line logged now on this thread. ids: storage for the invocation's ids,
 * which the context points into (keep it alive as long as the context). */
void report_context(struct log_context *c, struct lambda_ids *ids);

#endif
