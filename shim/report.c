/*
 * report.c — the library's log lines: context from the process's state, delivery to the log
 * descriptor (see report.h). Runs on the check path: no malloc, no locks, no stdio.
 */
#include "report.h"
#include "backtrace.h"
#include "exe.h"
#include "fields.h"
#include "logfd.h"
#include "origin.h"
#include "state.h"
#include "sys.h"

/* The native stack of the hooked call's caller (fnshield's own frames left out). */
static int native_backtrace(struct jsonw *w, const char *key, size_t budget)
{
	return backtrace_jw(w, key, budget, BACKTRACE_DEPTH, BT_SKIP_OWN);
}

void report_context(struct log_context *c, struct lambda_ids *ids)
{
	*c = (struct log_context){.pid = sys_getpid(), .exe = shim_exe()};
	if (g_shim.have_runtime_api) {
		int phase = atomic_load_explicit(&g_phase, memory_order_relaxed);
		c->phase = phase == PHASE_INIT ? LP_INIT : LP_INVOKE;
		if (phase == PHASE_INVOKE && lambda_current(ids)) {
			c->request_id = ids->request_id;
			c->trace_id = ids->trace_id;
		}
	}
	c->function = g_shim.function_name;
	if (g_shim.policy) {
		c->metrics_namespace = fs_policy_metrics_namespace(g_shim.policy);
		if (fs_policy_stack(g_shim.policy))
			c->origin = origin_jw;
		if (fs_policy_backtrace(g_shim.policy)) {
			c->backtrace = native_backtrace;
			c->backtrace_budget = BACKTRACE_BUDGET;
		}
	}
}

void log_violation(const struct violation *v)
{
	struct log_context c;
	struct lambda_ids ids;
	char buf[LOGLINE_MAX];
	report_context(&c, &ids);
	logfd_write(buf, logline_format_violation(&c, v, buf, sizeof buf));
}

void log_start(const char *source, const char *digest, int mode, const char *seccomp,
	       const char *supervisor)
{
	struct log_context c;
	struct lambda_ids ids;
	char buf[LOGLINE_MAX];
	unsigned protections = 0;
	for (int k = 0; k < FS_NCATEGORIES; k++)
		if (fs_rules_constant(g_shim.rules[PHASE_NONE][k]) != FS_ALLOW ||
		    fs_rules_constant(g_shim.rules[PHASE_INIT][k]) != FS_ALLOW)
			protections |= 1u << k;
	report_context(&c, &ids);
	logfd_write(buf, logline_format_start(&c, source, digest, mode, protections, seccomp,
					      supervisor, buf, sizeof buf));
}

void log_error(const char *message, const char *json_path, int line, int column,
	       const char *source)
{
	struct log_context c;
	struct lambda_ids ids;
	char buf[LOGLINE_MAX];
	report_context(&c, &ids);
	size_t n = logline_format_error(&c, message, json_path, line, column, source, buf,
					sizeof buf);
	/* Before the log descriptor exists (a configuration error at load), fd 2 it is. */
	if (logfd_get() >= 0)
		logfd_write(buf, n);
	else
		sys_write(2, buf, n);
}
