/*
 * test_logline.c — the line writer (log/logline.c): violation lines' fields, the 4096-byte
 * bound, valid JSON for any input; the context's fields (Lambda's, EMF, the backtrace
 * callback); start and error lines.
 * (Whole-line JSON validity is also checked by the integration tests with a real parser.)
 */
#include "fields.h"
#include "logline.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static const struct log_context outside_lambda = {.pid = 42, .exe = "/usr/bin/unit-tests"};

static size_t fmt(const struct violation *v, char *buf)
{
	size_t n = logline_format_violation(&outside_lambda, v, buf, LOGLINE_MAX);
	buf[n] = 0;
	return n;
}

Test(logline, exec_violation_has_the_spec_fields)
{
	char *argv[] = {"sh", "-c", "curl evil", NULL};
	struct violation v = {
		.category = FS_EXEC, .call = "execve", .target = "/bin/sh", .argv = argv,
		.verdict = {.action = FS_BLOCK, .list = FS_LIST_DEFAULT, .index = -1},
		.action = FS_BLOCK,
	};
	char buf[LOGLINE_MAX + 1];
	size_t n = fmt(&v, buf);
	cr_assert_eq(buf[n - 1], '\n');
	cr_assert(strncmp(buf, "{\"fnshield\":\"violation\",\"timestamp\":\"", 37) == 0, "%s", buf);
	cr_assert(strstr(buf, "\"level\":\"ERROR\",\"action\":\"block\",\"category\":\"exec\","
			      "\"call\":\"execve\",\"target\":\"/bin/sh\","
			      "\"argv\":[\"sh\",\"-c\",\"curl evil\"],\"rule\":\"exec.default\"") != NULL,
		  "%s", buf);
	cr_assert(strstr(buf, "\"pid\":") && strstr(buf, "\"exe\":\"/usr/bin/unit-tests\""));
	cr_assert(!strstr(buf, "truncated"));
}

Test(logline, timestamp_is_rfc3339_utc_millis)
{
	char ts[32];
	logline_timestamp(ts);
	cr_assert_eq(strlen(ts), 24u);
	cr_assert_eq(ts[4], '-');
	cr_assert_eq(ts[10], 'T');
	cr_assert_eq(ts[19], '.');
	cr_assert_eq(ts[23], 'Z');
}

Test(logline, alert_is_warn_and_connect_carries_ip_port_host)
{
	struct violation v = {
		.category = FS_CONNECT, .call = "connect", .target = "evil.example:443",
		.ip = "203.0.113.9", .port = 443, .host = "evil.example",
		.verdict = {.action = FS_BLOCK, .list = FS_LIST_BLOCK, .index = 2},
		.action = FS_ALERT,
	};
	char buf[LOGLINE_MAX + 1];
	fmt(&v, buf);
	cr_assert(strstr(buf, "\"level\":\"WARN\",\"action\":\"alert\""), "%s", buf);
	cr_assert(strstr(buf, "\"ip\":\"203.0.113.9\",\"port\":443,\"host\":\"evil.example\""), "%s", buf);
	cr_assert(strstr(buf, "\"rule\":\"connect.block[2]\""), "%s", buf);
}

Test(logline, huge_argv_and_path_stay_within_4096_bytes)
{
	enum { N = 5000 };
	static char *argv[N + 1];
	static char arg[N];
	memset(arg, 'a', sizeof arg - 1);
	for (int i = 0; i < N; i++)
		argv[i] = arg;
	char *path = malloc(100000);
	memset(path, '/', 1);
	memset(path + 1, 'p', 99998);
	path[99999] = 0;
	struct violation v = {
		.category = FS_EXEC, .call = "execve", .target = path, .argv = argv,
		.verdict = {.action = FS_BLOCK, .list = FS_LIST_DEFAULT, .index = -1},
		.action = FS_BLOCK,
	};
	char buf[LOGLINE_MAX + 1];
	size_t n = fmt(&v, buf);
	cr_assert_leq(n, (size_t)LOGLINE_MAX);
	cr_assert(strstr(buf, "...[truncated]"));
	cr_assert(strstr(buf, "more, truncated]"));
	cr_assert(strstr(buf, "\"truncated\":true}\n"), "%s", buf + n - 100);
	cr_assert(strstr(buf, "\"rule\":\"exec.default\""));
	free(path);
}

static int fake_stack(struct jsonw *w, const char *key, size_t budget)
{
	cr_assert_eq(budget, 100u);
	jw_array_open(w, key);
	jw_str(w, NULL, "frame", 16);
	jw_array_close(w);
	return 1;
}

Test(logline, context_fields_under_lambda)
{
	const struct log_context c = {
		.pid = 7, .exe = "/var/lang/bin/python3.12", .phase = LP_INVOKE,
		.request_id = "req-1", .trace_id = "Root=1", .function = "my-fn",
		.metrics_namespace = "ns", .backtrace = fake_stack, .backtrace_budget = 100,
	};
	struct violation v = {
		.category = FS_READ, .call = "open", .target = "/etc/passwd",
		.verdict = {.action = FS_BLOCK, .list = FS_LIST_DEFAULT, .index = -1},
		.action = FS_ALERT,
	};
	char buf[LOGLINE_MAX + 1];
	size_t n = logline_format_violation(&c, &v, buf, LOGLINE_MAX);
	buf[n] = 0;
	cr_assert(strstr(buf, "\"target\":\"/etc/passwd\",\"backtrace\":[\"frame\"],\"rule\":"
			      "\"read.default\",\"_aws\":{\"Timestamp\":"), "%s", buf);
	cr_assert(strstr(buf, "\"Namespace\":\"ns\",\"Dimensions\":[[\"function\",\"category\","
			      "\"action\"],[\"category\",\"action\"]],\"Metrics\":[{\"Name\":"
			      "\"violations\",\"Unit\":\"Count\"}]}]},\"violations\":1,"), "%s", buf);
	cr_assert(strstr(buf, ",\"pid\":7,\"exe\":\"/var/lang/bin/python3.12\",\"phase\":\"invoke\","
			      "\"requestId\":\"req-1\",\"traceId\":\"Root=1\",\"function\":\"my-fn\"}\n"),
		  "%s", buf);
	/* A summary of repeats gets no stack. */
	v.count = 3;
	n = logline_format_violation(&c, &v, buf, LOGLINE_MAX);
	buf[n] = 0;
	cr_assert(!strstr(buf, "backtrace") && strstr(buf, "\"count\":3,\"repeated\":true"), "%s", buf);
}

Test(logline, start_lists_the_protections_given)
{
	char buf[LOGLINE_MAX + 1];
	size_t n = logline_format_start(&outside_lambda, "file:/p.json", "abc", FS_MODE_BLOCK,
					(1u << FS_EXEC) | (1u << FS_WRITE), "on", NULL, buf, LOGLINE_MAX);
	buf[n] = 0;
	cr_assert(strncmp(buf, "{\"fnshield\":\"start\",", 20) == 0, "%s", buf);
	cr_assert(strstr(buf, "\"level\":\"INFO\",\"version\":\"0.1.0\",\"mode\":\"block\","
			      "\"policy\":\"file:/p.json\",\"digest\":\"abc\",\"protections\":"
			      "[\"exec\",\"write\"],\"interposition\":\"preload\",\"seccomp\":\"on\","
			      "\"pid\":42,\"exe\":\"/usr/bin/unit-tests\"}\n"), "%s", buf);
}

Test(logline, error_escapes_control_bytes_and_stays_bounded)
{
	static char msg[10000];
	memset(msg, 'm', sizeof msg - 1);
	msg[0] = '\x01';
	const struct log_context c = {.pid = 1, .exe = "x\ny", .phase = LP_INIT, .function = "f\t"};
	char buf[LOGLINE_MAX + 1];
	size_t n = logline_format_error(&c, msg, "$.exec", 3, 4, "env:FNSHIELD_POLICY", buf,
					LOGLINE_MAX);
	buf[n] = 0;
	cr_assert_leq(n, (size_t)LOGLINE_MAX);
	cr_assert(strstr(buf, "\"message\":\"\\u0001mmm"), "%s", buf);
	cr_assert(strstr(buf, "mmm...[truncated]\",\"path\":\"$.exec\",\"line\":3,\"column\":4,"
			      "\"source\":\"env:FNSHIELD_POLICY\",\"pid\":1,\"exe\":\"x\\ny\","
			      "\"phase\":\"init\",\"function\":\"f\\t\",\"truncated\":true}\n"), "%s", buf);
}
