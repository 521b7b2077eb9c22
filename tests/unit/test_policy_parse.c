/*
 * test_policy_parse.c — fs_policy_compile: valid policies, every kind of configuration error
 * (message, JSON path, line:column), limits and robustness on hostile input.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"

static const char SPEC_EXAMPLE[] =
	"{\n"
	"  \"version\": 1,\n"
	"  \"mode\": \"block\",\n"
	"  \"exec\":    { \"default\": \"block\", \"allow\": [\"/usr/bin/convert\"] },\n"
	"  \"connect\": { \"default\": \"block\", \"allow\": [\"*.amazonaws.com:443\", \"10.0.0.0/8:5432\"] },\n"
	"  \"listen\":  \"block\",\n"
	"  \"read\":    { \"default\": \"allow\", \"block\": [\"/proc/*/environ\", \"/var/task/**\"] },\n"
	"  \"write\":   { \"default\": \"block\", \"allow\": [\"/tmp/**\", \"/dev/null\"] },\n"
	"  \"init\":    { \"read\": { \"default\": \"allow\", \"block\": [\"/proc/*/environ\"] } }\n"
	"}\n";

static struct fs_policy *compile(const char *text, struct fs_errors *e)
{
	return fs_policy_compile(text, strlen(text), NULL, e);
}

/* Compile text that must fail; the first error must have this path, position and a message
 * containing `needle`. */
static void expect_error(const char *text, const char *path, int line, int col, const char *needle)
{
	struct fs_errors e;
	struct fs_policy *p = compile(text, &e);
	cr_assert_null(p, "accepted: %s", text);
	fs_policy_free(p);
	cr_assert_geq(e.count, 1, "no error for: %s", text);
	cr_expect_str_eq(e.e[0].path, path, "path for %s (message: %s)", text, e.e[0].message);
	cr_expect_eq(e.e[0].line, line, "line for %s: got %d:%d (%s)", text, e.e[0].line, e.e[0].column, e.e[0].message);
	cr_expect_eq(e.e[0].column, col, "column for %s: got %d:%d (%s)", text, e.e[0].line, e.e[0].column,
		     e.e[0].message);
	cr_expect(strstr(e.e[0].message, needle) != NULL, "message for %s: \"%s\" lacks \"%s\"", text, e.e[0].message,
		  needle);
}

static void expect_ok(const char *text)
{
	struct fs_errors e;
	struct fs_policy *p = compile(text, &e);
	cr_assert_not_null(p, "rejected: %s: %s at %s %d:%d", text, e.count ? e.e[0].message : "?",
			   e.count ? e.e[0].path : "", e.e[0].line, e.e[0].column);
	cr_expect_eq(e.count, 0);
	fs_policy_free(p);
}

/* ---- valid policies ----------------------------------------------------------------------- */

Test(policy_parse, spec_example)
{
	struct fs_errors e;
	struct fs_policy *p = compile(SPEC_EXAMPLE, &e);
	cr_assert_not_null(p, "%s", e.e[0].message);
	cr_expect_eq(fs_policy_mode(p), FS_MODE_BLOCK);
	cr_expect(fs_policy_has_init(p));
	cr_expect_eq(fs_policy_backtrace(p), 0);
	cr_expect_str_eq(fs_policy_metrics_namespace(p), "fnshield");
	cr_expect_eq(fs_rules_constant(fs_policy_rules(p, FS_LISTEN, 0)), FS_BLOCK);
	cr_expect_eq(fs_rules_constant(fs_policy_rules(p, FS_EXEC, 0)), -1);
	fs_policy_free(p);
}

Test(policy_parse, default_policy)
{
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(fs_default_policy_json, strlen(fs_default_policy_json), NULL, &e);
	cr_assert_not_null(p, "%s", e.e[0].message);
	cr_expect_eq(fs_policy_mode(p), FS_MODE_ALERT);
	cr_expect_eq(fs_rules_constant(fs_policy_rules(p, FS_EXEC, 0)), FS_BLOCK);
	cr_expect_eq(fs_rules_constant(fs_policy_rules(p, FS_LISTEN, 0)), FS_BLOCK);
	cr_expect_eq(fs_rules_constant(fs_policy_rules(p, FS_CONNECT, 0)), FS_ALLOW);
	cr_expect_eq(fs_policy_has_init(p), 0);

	const struct fs_rules *rd = fs_policy_rules(p, FS_READ, 0);
	struct fs_verdict v = fs_match_path(rd, "/proc/1/environ", 15);
	cr_expect_eq(v.action, FS_BLOCK);
	v = fs_match_path(rd, "/proc/1/task/2/environ", 22);
	cr_expect_eq(v.action, FS_BLOCK);
	v = fs_match_path(rd, "/etc/passwd", 11);
	cr_expect_eq(v.action, FS_ALLOW);
	const struct fs_rules *wr = fs_policy_rules(p, FS_WRITE, 0);
	cr_expect_eq(fs_match_path(wr, "/var/task/app.py", 16).index, 0);
	cr_expect_eq(fs_match_path(wr, "/opt/x", 6).index, 1);
	cr_expect_eq(fs_match_path(wr, "/tmp/x", 6).list, FS_LIST_DEFAULT);
	fs_policy_free(p);
}

Test(policy_parse, minimal_forms)
{
	expect_ok("{}");
	expect_ok(" \n{ } \n");
	expect_ok("\xEF\xBB\xBF{}"); /* a UTF-8 BOM, as some editors write */
	expect_ok("{\"version\": 1}");
	expect_ok("{\"version\": 1.0}");
	expect_ok("{\"mode\": \"alert\", \"exec\": \"allow\", \"connect\": \"alert\", \"listen\": \"block\"}");
	expect_ok("{\"read\": {}}");
	expect_ok("{\"read\": {\"allow\": [], \"alert\": [], \"block\": []}}");
	expect_ok("{\"init\": {}}");
	expect_ok("{\"log\": {}}");
	expect_ok("{\"log\": {\"backtrace\": true, \"metrics_namespace\": \"My/App_1.x#prod:eu-1\"}}");
	expect_ok("{\"write\": {\"default\": \"block\", \"allow\": [\"/tmp/\\u00e9t\\u00e9/**\"]}}");
}

Test(policy_parse, log_section)
{
	const char *t = "{\"log\": {\"backtrace\": true, \"metrics_namespace\": \"acme/fn\"}}";
	struct fs_errors e;
	struct fs_policy *p = compile(t, &e);
	cr_assert_not_null(p);
	cr_expect_eq(fs_policy_backtrace(p), 1);
	cr_expect_str_eq(fs_policy_metrics_namespace(p), "acme/fn");
	cr_expect_eq(fs_policy_stack(p), 1, "log.stack is on by default");
	fs_policy_free(p);
	p = compile("{\"log\": {\"stack\": false}}", &e);
	cr_assert_not_null(p);
	cr_expect_eq(fs_policy_stack(p), 0);
	fs_policy_free(p);
}

Test(policy_parse, mode_default_and_override)
{
	struct fs_errors e;
	struct fs_compile_options o = { .mode_override = -1 };
	struct fs_policy *p = fs_policy_compile("{}", 2, &o, &e);
	cr_assert_not_null(p);
	cr_expect_eq(fs_policy_mode(p), FS_MODE_ALERT);
	fs_policy_free(p);
	o.mode_override = FS_MODE_BLOCK;
	p = fs_policy_compile("{\"mode\":\"alert\"}", 16, &o, &e);
	cr_assert_not_null(p);
	cr_expect_eq(fs_policy_mode(p), FS_MODE_BLOCK);
	fs_policy_free(p);
	o.mode_override = FS_MODE_ALERT;
	p = fs_policy_compile("{\"mode\":\"block\"}", 16, &o, &e);
	cr_assert_not_null(p);
	cr_expect_eq(fs_policy_mode(p), FS_MODE_ALERT);
	fs_policy_free(p);
}

Test(policy_parse, text_need_not_be_nul_terminated)
{
	char buf[16];
	memcpy(buf, "{\"mode\":\"block\"}", 16); /* exactly 16 bytes, no NUL */
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(buf, sizeof buf, NULL, &e);
	cr_assert_not_null(p);
	cr_expect_eq(fs_policy_mode(p), FS_MODE_BLOCK);
	fs_policy_free(p);
	/* a prefix is judged on its own */
	p = fs_policy_compile(buf, 10, NULL, &e);
	cr_expect_null(p);
}

Test(policy_parse, missing_categories_are_allow)
{
	struct fs_errors e;
	struct fs_policy *p = compile("{\"exec\": \"block\"}", &e);
	cr_assert_not_null(p);
	for (int c = 0; c < FS_NCATEGORIES; c++)
		for (int init = 0; init < 2; init++) {
			const struct fs_rules *r = fs_policy_rules(p, (enum fs_category)c, init);
			cr_assert_not_null(r);
			cr_expect_eq(fs_rules_constant(r), c == FS_EXEC ? FS_BLOCK : FS_ALLOW);
		}
	fs_policy_free(p);
}

/* ---- syntax errors -------------------------------------------------------------------------- */

Test(policy_parse, empty)
{
	expect_error("", "", 1, 1, "policy is empty");
	expect_error("   \n\t ", "", 2, 3, "policy is empty");
	struct fs_errors e;
	cr_expect_null(fs_policy_compile(NULL, 0, NULL, &e));
	cr_expect_eq(e.count, 1);
}

Test(policy_parse, syntax_errors)
{
	expect_error("{\"exec\": \"block\",}", "", 1, 18, "no comma before '}'");
	expect_error("{\"exec\": \"block\"} x", "", 1, 19, "after the end of the policy object");
	expect_error("{\"exec\": \"blo", "", 1, 10, "unterminated string");
	expect_error("{\n  \"exec\": \"block\"\n  \"read\": \"allow\"\n}", "", 3, 3, "expected ',' or '}'");
	expect_error("{\n  \"exec\": block\n}", "", 2, 11, "expected a value");
	expect_error("{'exec': 'block'}", "", 1, 2, "double quotes");
	expect_error("{\"exec\" \"block\"}", "", 1, 9, "expected ':'");
	expect_error("{\"exec\": \"block\"", "", 1, 17, "object opened at line 1, column 1 is not closed");
	expect_error("{\"read\": {\"block\": [\"/a\",]}}", "", 1, 26, "expected a value");
	expect_error("{\"read\": {\"block\": [\"/a\"}}", "", 1, 25, "array opened at line 1, column 20");
	expect_error("{\"a\": \"\\q\"}", "", 1, 8, "bad escape");
	/* cJSON lets a raw line break inside a string through; the validator does not */
	expect_error("{\"mode\": \"x\ny\"}", "mode", 1, 10, "raw control character");
	expect_error("{\"log\": {\"backtrace\": True}}", "", 1, 23, "lower case");
	expect_error("// comment\n{}", "", 1, 1, "no comments");
	expect_error("{} {}", "", 1, 4, "after the end of the policy object");
}

Test(policy_parse, nul_byte_in_text)
{
	const char t[] = "{\"mode\": \"block\"}\0garbage";
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(t, sizeof t - 1, NULL, &e);
	cr_assert_null(p);
	cr_expect_eq(e.e[0].line, 1);
	cr_expect_eq(e.e[0].column, 18);
	cr_expect(strstr(e.e[0].message, "NUL byte") != NULL, "%s", e.e[0].message);
}

Test(policy_parse, deep_nesting)
{
	/* 200,000 brackets: cJSON stops at its nesting limit; nothing may overflow a stack */
	size_t n = 200000;
	char *t = malloc(n + 1);
	memset(t, '[', n);
	t[n] = 0;
	struct fs_errors e;
	cr_expect_null(fs_policy_compile(t, n, NULL, &e));
	cr_expect_eq(e.count, 1);
	cr_expect(strstr(e.e[0].message, "nested more than 1000") != NULL, "%s", e.e[0].message);
	free(t);

	/* valid JSON, deep inside a category: a type error, not a crash */
	n = 900;
	size_t len = 12 + 2 * n;
	t = malloc(len + 1);
	size_t o = (size_t)sprintf(t, "{\"exec\": ");
	for (size_t i = 0; i < n; i++)
		t[o++] = '[';
	for (size_t i = 0; i < n; i++)
		t[o++] = ']';
	t[o++] = '}';
	t[o] = 0;
	cr_expect_null(fs_policy_compile(t, o, NULL, &e));
	cr_expect_str_eq(e.e[0].path, "exec");
	free(t);
}

/* ---- semantic errors: path, line, column ---------------------------------------------------- */

Test(policy_parse, top_level_not_object)
{
	expect_error("[]", "", 1, 1, "must be a JSON object");
	expect_error("  \"block\"", "", 1, 3, "found a string");
	expect_error("\n42", "", 2, 1, "found a number");
	expect_error("null", "", 1, 1, "found null");
}

Test(policy_parse, unknown_and_duplicate_keys)
{
	expect_error("{\"exce\": \"block\"}", "exce", 1, 2, "unknown key \"exce\"");
	expect_error("{\"exce\": \"block\"}", "exce", 1, 2, "did you mean \"exec\"");
	expect_error("{\"functions\": 1}", "functions", 1, 2, "expected version, mode, exec");
	expect_error("{\n\"mode\": \"block\",\n\"mode\": \"alert\"}", "mode", 3, 1, "duplicate key \"mode\"");
	expect_error("{\"read\": {\"default\": \"allow\", \"default\": \"block\"}}", "read.default", 1, 31,
		     "duplicate key");
	expect_error("{\"read\": {\"deny\": []}}", "read.deny", 1, 11, "unknown key \"deny\" in \"read\"");
	expect_error("{\"init\": {\"mode\": \"block\"}}", "init.mode", 1, 11, "may only override categories");
	expect_error("{\"init\": {\"read\": \"allow\", \"read\": \"block\"}}", "init.read", 1, 28, "duplicate");
	expect_error("{\"log\": {\"stacks\": true}}", "log.stacks", 1, 10, "unknown key");
	expect_error("{\"a.b\": 1}", "[\"a.b\"]", 1, 2, "unknown key");
}

Test(policy_parse, nul_in_strings)
{
	expect_error("{\"exec\\u0000x\": \"block\"}", "exec", 1, 2, "NUL");
	expect_error("{\"read\": {\"block\": [\"/etc/passwd\\u0000.txt\"]}}", "read.block[0]", 1, 21, "NUL");
	expect_error("{\"mode\": \"block\\u0000\"}", "mode", 1, 10, "NUL");
}

Test(policy_parse, wrong_types)
{
	expect_error("{\"version\": \"1\"}", "version", 1, 13, "must be the number 1");
	expect_error("{\"version\": 2}", "version", 1, 13, "unsupported policy version 2");
	expect_error("{\"version\": 1e999}", "version", 1, 13, "unsupported policy version");
	expect_error("{\"mode\": true}", "mode", 1, 10, "found true");
	expect_error("{\"mode\": \"Block\"}", "mode", 1, 10, "did you mean \"block\"");
	expect_error("{\"exec\": 1}", "exec", 1, 10, "must be an action");
	expect_error("{\"exec\": [\"/bin/sh\"]}", "exec", 1, 10, "found an array");
	expect_error("{\"exec\": \"deny\"}", "exec", 1, 10, "unknown action \"deny\"");
	expect_error("{\"exec\": {\"default\": \"Allow\"}}", "exec.default", 1, 22, "did you mean \"allow\"");
	expect_error("{\"exec\": {\"default\": null}}", "exec.default", 1, 22, "found null");
	expect_error("{\"exec\": {\"allow\": \"/bin/sh\"}}", "exec.allow", 1, 20, "must be an array");
	expect_error("{\"exec\": {\"allow\": [\"/bin/sh\", {}]}}", "exec.allow[1]", 1, 32, "must be a string");
	expect_error("{\"init\": [\"read\"]}", "init", 1, 10, "must be an object");
	expect_error("{\"init\": {\"read\": {\"default\": \"nope\"}}}", "init.read.default", 1, 31, "unknown action");
	expect_error("{\"log\": true}", "log", 1, 9, "must be an object");
	expect_error("{\"log\": {\"backtrace\": \"yes\"}}", "log.backtrace", 1, 23, "true or false");
	expect_error("{\"log\": {\"stack\": 1}}", "log.stack", 1, 19, "true or false");
	expect_error("{\"log\": {\"metrics_namespace\": \"\"}}", "log.metrics_namespace", 1, 31, "1 to 255");
	expect_error("{\"log\": {\"metrics_namespace\": \"a b\"}}", "log.metrics_namespace", 1, 31, "bad metrics");
	expect_error("{\"log\": {\"metrics_namespace\": \"AWS/Lambda\"}}", "log.metrics_namespace", 1, 31, "reserved");
	expect_error("{\"log\": {\"metrics_namespace\": 5}}", "log.metrics_namespace", 1, 31, "must be a string");
}

Test(policy_parse, long_namespace)
{
	char t[600];
	char ns[300];
	memset(ns, 'a', 256);
	ns[256] = 0;
	snprintf(t, sizeof t, "{\"log\": {\"metrics_namespace\": \"%s\"}}", ns);
	expect_error(t, "log.metrics_namespace", 1, 31, "1 to 255");
	ns[255] = 0;
	snprintf(t, sizeof t, "{\"log\": {\"metrics_namespace\": \"%s\"}}", ns);
	expect_ok(t);
}

Test(policy_parse, malformed_patterns)
{
	expect_error("{\"exec\": {\"allow\": [\"bin/sh\"]}}", "exec.allow[0]", 1, 21, "absolute");
	expect_error("{\n\"read\": {\n  \"block\": [\n    \"/ok\",\n    \"/a**\"\n  ]\n}}", "read.block[1]", 5, 5,
		     "whole path component");
	expect_error("{\"write\": {\"alert\": [\"/a/[bc\"]}}", "write.alert[0]", 1, 22, "unclosed '['");
	expect_error("{\"write\": {\"alert\": [\"\"]}}", "write.alert[0]", 1, 22, "empty pattern");
	expect_error("{\"connect\": {\"allow\": [\"api*.x.com\"]}}", "connect.allow[0]", 1, 24, "whole labels");
	expect_error("{\"connect\": {\"allow\": [\"300.1.1.1\"]}}", "connect.allow[0]", 1, 24, "bad IPv4");
	expect_error("{\"listen\": {\"block\": [\"0.0.0.0:0\"]}}", "listen.block[0]", 1, 23, "1..65535");
	expect_error("{\"init\": {\"exec\": {\"allow\": [\"/x/../y\"]}}}", "init.exec.allow[0]", 1, 30, "'..'");
}

Test(policy_parse, error_message_shows_found_and_expected)
{
	struct fs_errors e;
	cr_assert_null(compile("{\"exec\": 7}", &e));
	cr_expect(strstr(e.e[0].message, "found a number"), "%s", e.e[0].message);
	cr_expect(strstr(e.e[0].message, "\"allow\""), "%s", e.e[0].message);
}

Test(policy_parse, all_errors_collected)
{
	const char *t = "{\"mode\": \"x\", \"exec\": \"y\", \"bogus\": 1, \"read\": {\"block\": [\"rel\", 5]},"
			" \"log\": {\"backtrace\": 0}}";
	struct fs_errors e;
	cr_assert_null(compile(t, &e));
	cr_assert_eq(e.count, 6, "count %d", e.count);
	const char *paths[] = { "mode", "exec", "bogus", "read.block[0]", "read.block[1]", "log.backtrace" };
	for (int i = 0; i < 6; i++)
		cr_expect_str_eq(e.e[i].path, paths[i]);
}

Test(policy_parse, error_count_keeps_counting)
{
	/* 100 bad patterns: 16 kept, 100 counted */
	char *t = malloc(100 * 8 + 64);
	size_t o = (size_t)sprintf(t, "{\"read\": {\"block\": [");
	for (int i = 0; i < 100; i++)
		o += (size_t)sprintf(t + o, "%s\"x\"", i ? "," : "");
	o += (size_t)sprintf(t + o, "]}}");
	struct fs_errors e;
	cr_assert_null(fs_policy_compile(t, o, NULL, &e));
	cr_expect_eq(e.count, 100);
	cr_expect_str_eq(e.e[FS_MAX_ERRORS - 1].path, "read.block[15]");
	cr_expect_eq(e.e[FS_MAX_ERRORS - 1].column, 21 + 15 * 4);
	free(t);
}

Test(policy_parse, columns_count_characters)
{
	/* "é" is two bytes but one column */
	expect_error("{\"read\": {\"block\": [\"/\xc3\xa9\", \"x\"]}}", "read.block[1]", 1, 27, "absolute");
}

/* ---- size and robustness -------------------------------------------------------------------- */

Test(policy_parse, one_megabyte_policy, .timeout = 30)
{
	/* 20,000 read rules and 2,000 connect rules, about 1 MB */
	size_t cap = 2u << 20, o = 0;
	char *t = malloc(cap);
	o += (size_t)snprintf(t + o, cap - o, "{\"version\": 1, \"read\": {\"default\": \"allow\", \"block\": [");
	for (int i = 0; i < 20000; i++)
		o += (size_t)snprintf(t + o, cap - o, "%s\"/srv/data/customers/customer-%05d/records/*.json\"", i ? ",\n " : "", i);
	o += (size_t)snprintf(t + o, cap - o, "]}, \"connect\": {\"default\": \"block\", \"allow\": [");
	for (int i = 0; i < 2000; i++)
		o += (size_t)snprintf(t + o, cap - o, "%s\"svc%d.internal.example.com:%d\", \"10.%d.%d.0/24\"",
				      i ? ", " : "", i, 1000 + i, i / 250, i % 250);
	o += (size_t)snprintf(t + o, cap - o, "]}}");
	cr_assert_gt(o, 1000000u);

	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(t, o, NULL, &e);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	cr_assert_not_null(p, "%s", e.e[0].message);
	cr_expect_lt(secs, 10.0, "took %.2f s", secs);

	const struct fs_rules *r = fs_policy_rules(p, FS_READ, 0);
	struct fs_verdict v = fs_match_path(r, "/srv/data/customers/customer-12345/records/x.json", 49);
	cr_expect_eq(v.list, FS_LIST_BLOCK);
	cr_expect_eq(v.index, 12345);
	v = fs_match_path(r, "/srv/data/customers/customer-12345/records/x.txt", 48);
	cr_expect_eq(v.list, FS_LIST_DEFAULT);

	uint8_t ip[16] = { [10] = 0xff, [11] = 0xff, [12] = 10, [13] = 7, [14] = 99, [15] = 1 };
	const char *names[] = { "svc1999.internal.example.com" };
	r = fs_policy_rules(p, FS_CONNECT, 0);
	v = fs_match_addr(r, ip, 1, NULL, 0);
	cr_expect_eq(v.list, FS_LIST_ALLOW); /* 10.7.99.0/24: rule 2 * (7 * 250 + 99) + 1 */
	cr_expect_eq(v.index, 2 * (7 * 250 + 99) + 1);
	ip[13] = 8;
	v = fs_match_addr(r, ip, 2999, names, 1);
	cr_expect_eq(v.index, 2 * 1999);
	v = fs_match_addr(r, ip, 3000, names, 1);
	cr_expect_eq(v.list, FS_LIST_DEFAULT);
	fs_policy_free(p);
	free(t);
}

Test(policy_parse, too_complex_is_an_error, .timeout = 60)
{
	// Patterns whose DFA explodes: "/**/x/*/*/.../*/y" — the DFA must remember which of the
	// last k components began with x, 2^k subsets. The outcome must be a "too complex" error.
	size_t cap = 1u << 20, o = 0;
	char *t = malloc(cap);
	o += (size_t)snprintf(t + o, cap - o, "{\"read\": {\"block\": [");
	for (int i = 0; i < 40; i++) {
		o += (size_t)snprintf(t + o, cap - o, "%s\"/**/x%d", i ? "," : "", i % 4);
		for (int k = 0; k < 12 + i % 5; k++)
			o += (size_t)snprintf(t + o, cap - o, "/*");
		o += (size_t)snprintf(t + o, cap - o, "/y%d\"", i);
	}
	o += (size_t)snprintf(t + o, cap - o, "]}}");
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(t, o, NULL, &e);
	if (!p) {
		cr_expect_eq(e.count, 1);
		cr_expect_str_eq(e.e[0].path, "read");
		cr_expect(strstr(e.e[0].message, "too complex"), "%s", e.e[0].message);
	}
	fs_policy_free(p);
	free(t);
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void compile_any(const char *t, size_t n)
{
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(t, n, NULL, &e);
	cr_assert((p != NULL) == (e.count == 0));
	if (!p)
		for (int i = 0; i < e.count && i < FS_MAX_ERRORS; i++) {
			cr_assert(memchr(e.e[i].message, 0, sizeof e.e[i].message) != NULL);
			cr_assert(memchr(e.e[i].path, 0, sizeof e.e[i].path) != NULL);
			cr_assert(e.e[i].line >= 0 && e.e[i].column >= 0);
		}
	fs_policy_free(p);
}

Test(policy_parse, truncations_never_crash)
{
	size_t n = strlen(SPEC_EXAMPLE);
	for (size_t i = 0; i <= n; i++) {
		/* a copy of exactly i bytes, so that a sanitizer sees any read past the end */
		char *t = malloc(i ? i : 1);
		memcpy(t, SPEC_EXAMPLE, i);
		compile_any(t, i);
		free(t);
	}
}

Test(policy_parse, mutations_never_crash, .timeout = 60)
{
	static const char alphabet[] = "{}[]\",:\\/*?u0123456789abcdef \n\t\x80\xff\xc3\x00-.!^";
	size_t n = strlen(SPEC_EXAMPLE);
	for (int round = 0; round < 3000; round++) {
		char *t = malloc(n);
		memcpy(t, SPEC_EXAMPLE, n);
		int flips = 1 + (int)(rnd() % 4);
		for (int k = 0; k < flips; k++) {
			size_t at = rnd() % n;
			t[at] = (rnd() & 1) ? alphabet[rnd() % (sizeof alphabet - 1)] : (char)rnd();
		}
		compile_any(t, n);
		free(t);
	}
	for (int round = 0; round < 500; round++) {
		size_t len = rnd() % 300;
		char *t = malloc(len ? len : 1);
		for (size_t i = 0; i < len; i++)
			t[i] = (char)rnd();
		compile_any(t, len);
		free(t);
	}
}

Test(policy_parse, invalid_utf8_in_patterns_is_bytes)
{
	/* JSON text should be UTF-8, but paths are bytes: a raw byte in a pattern is matched as is */
	const char t[] = "{\"read\": {\"block\": [\"/tmp/\xff*\"]}}";
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(t, sizeof t - 1, NULL, &e);
	cr_assert_not_null(p, "%s", e.e[0].message);
	cr_expect_eq(fs_match_path(fs_policy_rules(p, FS_READ, 0), "/tmp/\xff" "x", 7).action, FS_BLOCK);
	fs_policy_free(p);
}

Test(policy_parse, huge_numbers_and_strings)
{
	expect_error("{\"version\": 123456789012345678901234567890}", "version", 1, 13, "unsupported");
	expect_error("{\"version\": -0}", "version", 1, 13, "unsupported");
	size_t n = 300000;
	char *t = malloc(n + 64);
	size_t o = (size_t)sprintf(t, "{\"exec\": \"");
	memset(t + o, 'x', n);
	o += n;
	o += (size_t)sprintf(t + o, "\"}");
	struct fs_errors e;
	cr_expect_null(fs_policy_compile(t, o, NULL, &e));
	cr_expect_str_eq(e.e[0].path, "exec");
	cr_expect_lt(strlen(e.e[0].message), sizeof e.e[0].message);
	free(t);
}

Test(policy_parse, many_rules_behind_one_globstar, .timeout = 30)
{
	// 2,000 patterns "/opt/**/libN.so": they share "/opt/**/lib", so the automaton stays
	// small (one "**" loop, not 2,000).
	size_t cap = 64u << 10, o = 0;
	char *t = malloc(cap);
	o += (size_t)snprintf(t + o, cap - o, "{\"exec\": {\"default\": \"allow\", \"block\": [");
	for (int i = 0; i < 2000; i++)
		o += (size_t)snprintf(t + o, cap - o, "%s\"/opt/**/lib%d.so\"", i ? "," : "", i);
	o += (size_t)snprintf(t + o, cap - o, "]}}");
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(t, o, NULL, &e);
	cr_assert_not_null(p, "%s", e.e[0].message);
	struct fs_rules_stats st;
	fs_rules_stats(fs_policy_rules(p, FS_EXEC, 0), &st);
	cr_expect_lt(st.dfa_states, 20000u, "%u states", st.dfa_states);
	const char *path = "/opt/a/b/lib1999.so";
	cr_expect_eq(fs_match_path(fs_policy_rules(p, FS_EXEC, 0), path, strlen(path)).index, 1999);
	fs_policy_free(p);
	free(t);
}
