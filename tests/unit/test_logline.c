/*
 * test_logline.c — violation lines: fields, 4096-byte bound, valid JSON for any input.
 * (Whole-line JSON validity is also checked by the integration tests with a real parser.)
 */
#include "logline.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static size_t fmt(const struct violation *v, char *buf)
{
	size_t n = logline_format_violation(v, buf, LOGLINE_MAX);
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
