/*
 * fields.h — the names of the fields of fnshield's log lines (SPEC "Log lines"): one home for
 * them, used by the writer (log/logline.c) and by every reader (`fnshield learn`, `report`).
 */
#ifndef FNSHIELD_LOG_FIELDS_H
#define FNSHIELD_LOG_FIELDS_H

/* "fnshield": which kind of line */
#define LF_KIND "fnshield"
#define LK_VIOLATION "violation"
#define LK_START "start"
#define LK_ERROR "error"

/* every line */
#define LF_TIMESTAMP "timestamp"
#define LF_LEVEL "level"
#define LF_PID "pid"
#define LF_EXE "exe"
#define LF_PHASE "phase"
#define LF_REQUEST_ID "requestId"
#define LF_TRACE_ID "traceId"
#define LF_FUNCTION "function"
#define LF_TRUNCATED "truncated"

/* violation */
#define LF_ACTION "action"
#define LF_CATEGORY "category"
#define LF_CALL "call"
#define LF_TARGET "target"
#define LF_RESOLVED "resolved"
#define LF_IP "ip"
#define LF_PORT "port"
#define LF_HOST "host"
#define LF_ARGV "argv"
#define LF_BACKTRACE "backtrace"
#define LF_RULE "rule"
#define LF_COUNT "count"
#define LF_REPEATED "repeated"
#define LF_ORIGIN "origin"
#define LF_STACK "stack"

/* "origin" (and the frames of "stack": file, line, function) */
#define LO_RUNTIME "runtime"
#define LO_FILE "file"
#define LO_LINE "line"
#define LO_FUNCTION "function"
#define LO_PACKAGE "package"

/* violation, under Lambda: CloudWatch Embedded Metric Format (the metric datapoint) */
#define LF_EMF "_aws"
#define LF_EMF_TIMESTAMP "Timestamp"
#define LF_EMF_METRICS "CloudWatchMetrics"
#define LF_EMF_NAMESPACE "Namespace"
#define LF_EMF_DIMENSIONS "Dimensions"
#define LF_EMF_METRIC_LIST "Metrics"
#define LF_VIOLATIONS "violations" /* the metric's value: how many violations the line stands for */

/* start */
#define LF_VERSION "version"
#define LF_MODE "mode"
#define LF_POLICY "policy"
#define LF_DIGEST "digest"
#define LF_PROTECTIONS "protections"
#define LF_INTERPOSITION "interposition"
#define LF_SECCOMP "seccomp"
#define LF_SUPERVISOR "supervisor"

/* error */
#define LF_MESSAGE "message"
#define LF_PATH "path"
#define LF_LINE "line"
#define LF_COLUMN "column"
#define LF_SOURCE "source"

/* "phase" values */
#define LP_INIT "init"
#define LP_INVOKE "invoke"

#endif
