/*
 * test_policy_match.c — which rule decides: strictest list, lowest index, default; init
 * overrides; rule names and texts; early stop; matching cost independent of the rule count;
 * the hot path's promises (errno, const tables); symlink aliases.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"

static struct fs_policy *must(const char *text)
{
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(text, strlen(text), NULL, &e);
	cr_assert_not_null(p, "%s: %s (%s %d:%d)", text, e.e[0].message, e.e[0].path, e.e[0].line, e.e[0].column);
	return p;
}

static struct fs_verdict mp(const struct fs_policy *p, enum fs_category c, int init, const char *path)
{
	return fs_match_path(fs_policy_rules(p, c, init), path, strlen(path));
}

static void expect_rule(const struct fs_policy *p, enum fs_category c, int init, const char *path, const char *rule,
			int action)
{
	struct fs_verdict v = mp(p, c, init, path);
	char name[64];
	fs_rule_name(c, v, name, sizeof name);
	cr_expect_str_eq(name, rule, "%s: got %s", path, name);
	cr_expect_eq(v.action, action, "%s: action %d", path, v.action);
}

Test(policy_match, strictest_list_wins)
{
	struct fs_policy *p = must("{\"read\": {\"default\": \"alert\", \"allow\": [\"/a/**\"], "
				   "\"alert\": [\"/a/b/**\"], \"block\": [\"/a/b/c\"]}}");
	expect_rule(p, FS_READ, 0, "/a/x", "read.allow[0]", FS_ALLOW);
	expect_rule(p, FS_READ, 0, "/a/b/x", "read.alert[0]", FS_ALERT);
	expect_rule(p, FS_READ, 0, "/a/b/c", "read.block[0]", FS_BLOCK);
	expect_rule(p, FS_READ, 0, "/a/b/c/d", "read.alert[0]", FS_ALERT);
	expect_rule(p, FS_READ, 0, "/z", "read.default", FS_ALERT);
	struct fs_verdict v = mp(p, FS_READ, 0, "/z");
	cr_expect_eq(v.list, FS_LIST_DEFAULT);
	cr_expect_eq(v.index, -1);
	cr_expect_eq(v.init, 0);
	fs_policy_free(p);
}

Test(policy_match, block_beats_allow_of_the_same_pattern)
{
	struct fs_policy *p = must("{\"write\": {\"default\": \"allow\", \"allow\": [\"/x\", \"/y\"], "
				   "\"block\": [\"/q\", \"/x\"]}}");
	expect_rule(p, FS_WRITE, 0, "/x", "write.block[1]", FS_BLOCK);
	expect_rule(p, FS_WRITE, 0, "/y", "write.allow[1]", FS_ALLOW);
	fs_policy_free(p);
}

Test(policy_match, lowest_index_within_a_list)
{
	struct fs_policy *p = must("{\"exec\": {\"default\": \"allow\", \"block\": [\"/x/*\", \"/x/y\", \"/**\", \"/x/y\"]}}");
	expect_rule(p, FS_EXEC, 0, "/x/y", "exec.block[0]", FS_BLOCK);
	expect_rule(p, FS_EXEC, 0, "/x", "exec.block[2]", FS_BLOCK);
	expect_rule(p, FS_EXEC, 0, "/q/r", "exec.block[2]", FS_BLOCK);
	fs_policy_free(p);
}

Test(policy_match, default_actions)
{
	for (int a = 0; a < 3; a++) {
		char t[128];
		snprintf(t, sizeof t, "{\"read\": {\"default\": \"%s\", \"alert\": [\"/etc/**\"]}}", fs_action_name(a));
		struct fs_policy *p = must(t);
		cr_expect_eq(mp(p, FS_READ, 0, "/usr/x").action, a);
		cr_expect_eq(mp(p, FS_READ, 0, "/etc/x").action, FS_ALERT);
		fs_policy_free(p);
	}
	/* an object without "default" defaults to allow */
	struct fs_policy *p = must("{\"read\": {\"block\": [\"/etc/shadow\"]}}");
	cr_expect_eq(mp(p, FS_READ, 0, "/etc/passwd").action, FS_ALLOW);
	fs_policy_free(p);
}

Test(policy_match, constant_categories)
{
	struct fs_policy *p = must("{\"exec\": \"alert\", \"listen\": {\"default\": \"block\"},"
				   " \"read\": {\"allow\": [\"/x\"]}, \"write\": {\"default\": \"block\", \"block\": [\"/x\"]},"
				   " \"connect\": {\"default\": \"allow\", \"alert\": [\"*\"]}}");
	cr_expect_eq(fs_rules_constant(fs_policy_rules(p, FS_EXEC, 0)), FS_ALERT);
	cr_expect_eq(fs_rules_constant(fs_policy_rules(p, FS_LISTEN, 0)), FS_BLOCK);
	cr_expect_eq(fs_rules_constant(fs_policy_rules(p, FS_READ, 0)), FS_ALLOW); /* allow lists only */
	/* the same action, but the log line names a different rule: not constant */
	cr_expect_eq(fs_rules_constant(fs_policy_rules(p, FS_WRITE, 0)), -1);
	cr_expect_eq(fs_rules_constant(fs_policy_rules(p, FS_CONNECT, 0)), -1);
	/* whatever the shortcut says, matching agrees */
	cr_expect_eq(mp(p, FS_EXEC, 0, "/bin/sh").action, FS_ALERT);
	cr_expect_eq(mp(p, FS_READ, 0, "/x").action, FS_ALLOW);
	cr_expect_eq(mp(p, FS_READ, 0, "/y").action, FS_ALLOW);
	fs_policy_free(p);
}

Test(policy_match, init_overrides)
{
	struct fs_policy *p = must("{\"read\": {\"default\": \"allow\", \"block\": [\"/var/task/**\"]},"
				   " \"init\": {\"read\": {\"default\": \"allow\", \"block\": [\"/proc/*/environ\"]},"
				   " \"exec\": \"block\"}}");
	cr_expect(fs_policy_has_init(p));
	/* after init: the category's own rules */
	expect_rule(p, FS_READ, 0, "/var/task/app.py", "read.block[0]", FS_BLOCK);
	expect_rule(p, FS_READ, 0, "/proc/1/environ", "read.default", FS_ALLOW);
	/* during init: the override replaces the category whole */
	expect_rule(p, FS_READ, 1, "/var/task/app.py", "init.read.default", FS_ALLOW);
	expect_rule(p, FS_READ, 1, "/proc/1/environ", "init.read.block[0]", FS_BLOCK);
	cr_expect_eq(mp(p, FS_READ, 1, "/x").init, 1);
	cr_expect_eq(mp(p, FS_READ, 0, "/x").init, 0);
	/* a category without override is the same in and after init */
	cr_expect_eq(fs_policy_rules(p, FS_WRITE, 1), fs_policy_rules(p, FS_WRITE, 0));
	cr_expect_eq(mp(p, FS_WRITE, 1, "/x").init, 0);
	/* exec: allowed after init (missing category), blocked during */
	cr_expect_eq(fs_rules_constant(fs_policy_rules(p, FS_EXEC, 0)), FS_ALLOW);
	cr_expect_eq(fs_rules_constant(fs_policy_rules(p, FS_EXEC, 1)), FS_BLOCK);
	expect_rule(p, FS_EXEC, 1, "/bin/sh", "init.exec.default", FS_BLOCK);

	struct fs_verdict v = mp(p, FS_READ, 1, "/proc/1/environ");
	cr_expect_str_eq(fs_rule_pattern(p, FS_READ, v), "/proc/*/environ");
	v = mp(p, FS_READ, 0, "/var/task/x");
	cr_expect_str_eq(fs_rule_pattern(p, FS_READ, v), "/var/task/**");
	v = mp(p, FS_READ, 0, "/x");
	cr_expect_null(fs_rule_pattern(p, FS_READ, v));
	fs_policy_free(p);

	p = must("{\"read\": \"allow\"}");
	cr_expect_eq(fs_policy_has_init(p), 0);
	fs_policy_free(p);
}

Test(policy_match, rule_pattern_keeps_the_text_as_written)
{
	struct fs_policy *p = must("{\"write\": {\"block\": [\"//tmp//x/\", \"/a/**/**/b\"]}}");
	struct fs_verdict v = mp(p, FS_WRITE, 0, "/tmp/x");
	cr_expect_str_eq(fs_rule_pattern(p, FS_WRITE, v), "//tmp//x/");
	v = mp(p, FS_WRITE, 0, "/a/b");
	cr_expect_str_eq(fs_rule_pattern(p, FS_WRITE, v), "/a/**/**/b");
	v.index = 99;
	cr_expect_null(fs_rule_pattern(p, FS_WRITE, v));
	fs_policy_free(p);
}

Test(policy_match, names)
{
	char buf[64];
	struct fs_verdict v = { .action = FS_BLOCK, .list = FS_LIST_DEFAULT, .index = -1 };
	cr_expect_eq(fs_rule_name(FS_EXEC, v, buf, sizeof buf), 12);
	cr_expect_str_eq(buf, "exec.default");
	v = (struct fs_verdict){ .action = FS_BLOCK, .list = FS_LIST_BLOCK, .index = 3 };
	fs_rule_name(FS_READ, v, buf, sizeof buf);
	cr_expect_str_eq(buf, "read.block[3]");
	v = (struct fs_verdict){ .action = FS_ALLOW, .list = FS_LIST_ALLOW, .index = 0, .init = 1 };
	fs_rule_name(FS_READ, v, buf, sizeof buf);
	cr_expect_str_eq(buf, "init.read.allow[0]");
	v = (struct fs_verdict){ .action = FS_ALERT, .list = FS_LIST_ALERT, .index = 1234567 };
	fs_rule_name(FS_CONNECT, v, buf, sizeof buf);
	cr_expect_str_eq(buf, "connect.alert[1234567]");
	/* truncation: like snprintf, returns the full length */
	cr_expect_eq(fs_rule_name(FS_CONNECT, v, buf, 8), 22);
	cr_expect_str_eq(buf, "connect");
	cr_expect_eq(fs_rule_name(FS_CONNECT, v, NULL, 0), 22);

	cr_expect_str_eq(fs_category_name(FS_EXEC), "exec");
	cr_expect_str_eq(fs_category_name(FS_CONNECT), "connect");
	cr_expect_str_eq(fs_category_name(FS_LISTEN), "listen");
	cr_expect_str_eq(fs_category_name(FS_READ), "read");
	cr_expect_str_eq(fs_category_name(FS_WRITE), "write");
	cr_expect_str_eq(fs_action_name(FS_ALLOW), "allow");
	cr_expect_str_eq(fs_action_name(FS_ALERT), "alert");
	cr_expect_str_eq(fs_action_name(FS_BLOCK), "block");
	cr_expect_str_eq(fs_action_name(7), "unknown");
}

/* ---- early stop ------------------------------------------------------------------------------ */

Test(policy_match, early_stop)
{
	struct fs_policy *p = must("{\"write\": {\"default\": \"block\", \"allow\": [\"/tmp/**\"]}}");
	const struct fs_rules *r = fs_policy_rules(p, FS_WRITE, 0);
	char path[4096];
	strcpy(path, "/tmp/");
	memset(path + 5, 'x', 3000);
	path[3005] = 0;
	size_t steps;
	struct fs_verdict v = fs_match_path_steps(r, path, strlen(path), &steps);
	cr_expect_eq(v.list, FS_LIST_ALLOW);
	cr_expect_eq(steps, 5, "settled after \"/tmp/\": %zu steps", steps);

	/* no rule can match any more after "/v": dead, the default decides */
	path[1] = 'v';
	v = fs_match_path_steps(r, path, strlen(path), &steps);
	cr_expect_eq(v.list, FS_LIST_DEFAULT);
	cr_expect_eq(steps, 2);

	/* "/tmp" itself matches but is not settled: "/tmpx" would not */
	v = fs_match_path_steps(r, "/tmp", 4, &steps);
	cr_expect_eq(v.list, FS_LIST_ALLOW);
	cr_expect_eq(steps, 4);
	v = fs_match_path_steps(r, "/tmpx", 5, &steps);
	cr_expect_eq(v.list, FS_LIST_DEFAULT);
	fs_policy_free(p);

	// "/**": settled after the leading "/" (a path that does not start with "/" would not match)
	p = must("{\"read\": {\"block\": [\"/**\"]}}");
	v = fs_match_path_steps(fs_policy_rules(p, FS_READ, 0), "/a/b", 4, &steps);
	cr_expect_eq(v.action, FS_BLOCK);
	cr_expect_eq(steps, 1); /* only the leading "/" is looked at */
	fs_policy_free(p);
}

Test(policy_match, early_stop_never_changes_the_result)
{
	// A stricter rule deeper down keeps the state live: "/a/**" allow, "/a/*/c" block.
	struct fs_policy *p = must("{\"read\": {\"default\": \"alert\", \"allow\": [\"/a/**\"], \"block\": [\"/a/*/c\"]}}");
	const struct fs_rules *r = fs_policy_rules(p, FS_READ, 0);
	size_t steps;
	cr_expect_eq(fs_match_path_steps(r, "/a/b/c", 6, &steps).list, FS_LIST_BLOCK);
	cr_expect_eq(steps, 6);
	cr_expect_eq(fs_match_path_steps(r, "/a/b/c/d", 8, &steps).list, FS_LIST_ALLOW);
	cr_expect_eq(steps, 7, "settled after \"/a/b/c/\": %zu", steps);
	cr_expect_eq(fs_match_path_steps(r, "/a/b/cd", 7, &steps).list, FS_LIST_ALLOW);
	fs_policy_free(p);
}

/* ---- cost independent of the number of rules -------------------------------------------------- */

static struct fs_policy *n_rules(int n)
{
	size_t cap = (size_t)n * 64 + 128, o = 0;
	char *t = malloc(cap);
	o += (size_t)snprintf(t + o, cap - o, "{\"read\": {\"default\": \"allow\", \"block\": [");
	for (int i = 0; i < n; i++) {
		/* a mix of shapes: literal files, directory trees, per-component globs */
		switch (i % 4) {
		case 0: o += (size_t)snprintf(t + o, cap - o, "%s\"/srv/app%d/config.json\"", i ? "," : "", i); break;
		case 1: o += (size_t)snprintf(t + o, cap - o, "%s\"/data/tenant%d/**\"", i ? "," : "", i); break;
		case 2: o += (size_t)snprintf(t + o, cap - o, "%s\"/home/*/secret%d.*\"", i ? "," : "", i); break;
		default: o += (size_t)snprintf(t + o, cap - o, "%s\"/opt/**/lib%d.so\"", i ? "," : "", i); break;
		}
	}
	o += (size_t)snprintf(t + o, cap - o, "]}}");
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(t, o, NULL, &e);
	cr_assert_not_null(p, "%d rules: %s", n, e.e[0].message);
	free(t);
	return p;
}

Test(policy_match, cost_flat_from_10_to_1000_rules, .timeout = 60)
{
	static const char *const probes[] = {
		"/srv/app4/config.json", "/srv/app4/config.jsonx", "/data/tenant5/a/b/c/d.csv",
		"/home/user/secret6.txt", "/opt/x/y/z/lib7.so", "/usr/lib/python3.12/os.py",
		"/var/task/handler.py", "/tmp/some/long/path/that/matches/nothing/at/all/really.txt",
	};
	int sizes[] = { 10, 100, 1000 };
	size_t steps[3][8];
	for (int k = 0; k < 3; k++) {
		struct fs_policy *p = n_rules(sizes[k]);
		const struct fs_rules *r = fs_policy_rules(p, FS_READ, 0);
		struct fs_rules_stats st;
		fs_rules_stats(r, &st);
		cr_expect_eq(st.patterns, (uint32_t)sizes[k]);
		cr_expect_gt(st.dfa_states, 0u);
		cr_expect_leq(st.dfa_live_states, st.dfa_states);
		for (int i = 0; i < 8; i++) {
			size_t len = strlen(probes[i]);
			fs_match_path_steps(r, probes[i], len, &steps[k][i]);
			/* the automaton looks at each byte at most once */
			cr_expect_leq(steps[k][i], len, "%d rules, %s: %zu steps", sizes[k], probes[i], steps[k][i]);
		}
		fs_policy_free(p);
	}
	/* The work for a path does not depend on how many rules there are: a path that leaves all
	 * rules behind stops at the same byte whatever the count; the others look at most at
	 * each byte once (above). */
	for (int i = 5; i < 8; i++)
		for (int k = 1; k < 3; k++)
			cr_expect_eq(steps[k][i], steps[0][i], "%s: %zu steps with %d rules, %zu with 10", probes[i],
				     steps[k][i], sizes[k], steps[0][i]);
}

/* ---- hot path promises ------------------------------------------------------------------------ */

Test(policy_match, errno_untouched_and_null_safe)
{
	struct fs_policy *p = must("{\"read\": {\"block\": [\"/etc/**\"]}, \"connect\": {\"block\": [\"*.x.com\", \"10.0.0.0/8\"]}}");
	errno = 4242;
	(void)mp(p, FS_READ, 0, "/etc/passwd");
	uint8_t ip[16] = { [10] = 0xff, [11] = 0xff, [12] = 10 };
	const char *names[] = { "a.x.com", NULL };
	(void)fs_match_addr(fs_policy_rules(p, FS_CONNECT, 0), ip, 443, names, 2);
	cr_expect_eq(errno, 4242);
	/* a path of length 0, a NULL path: the default, no crash */
	cr_expect_eq(fs_match_path(fs_policy_rules(p, FS_READ, 0), "", 0).list, FS_LIST_DEFAULT);
	cr_expect_eq(fs_match_path(fs_policy_rules(p, FS_READ, 0), NULL, 0).list, FS_LIST_DEFAULT);
	/* a path rule set asked about an address, and the reverse: the default */
	cr_expect_eq(fs_match_addr(fs_policy_rules(p, FS_READ, 0), ip, 1, names, 1).list, FS_LIST_DEFAULT);
	cr_expect_eq(fs_match_path(fs_policy_rules(p, FS_CONNECT, 0), "/etc/x", 6).list, FS_LIST_DEFAULT);
	fs_policy_free(p);
}

Test(policy_match, paths_with_embedded_bytes)
{
	/* the length decides, not a NUL: bytes after the length are not looked at */
	struct fs_policy *p = must("{\"read\": {\"block\": [\"/a\"]}}");
	cr_expect_eq(fs_match_path(fs_policy_rules(p, FS_READ, 0), "/ab", 2).action, FS_BLOCK);
	cr_expect_eq(fs_match_path(fs_policy_rules(p, FS_READ, 0), "/a\0", 3).action, FS_ALLOW);
	fs_policy_free(p);
}

/* ---- symlink aliases -------------------------------------------------------------------------- */

Test(policy_match, resolve_aliases)
{
	char tmpl[] = "/tmp/fnshield-aliasXXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	char base[PATH_MAX], real[PATH_MAX + 16], link[PATH_MAX + 16], t[4 * PATH_MAX];
	cr_assert_not_null(realpath(tmpl, base)); /* /tmp may itself be a link */
	snprintf(real, sizeof real, "%s/real", base);
	snprintf(link, sizeof link, "%s/link", base);
	cr_assert_eq(mkdir(real, 0700), 0);
	cr_assert_eq(symlink("real", link), 0);

	snprintf(t, sizeof t, "{\"read\": {\"block\": [\"%s/secret\", \"%s/*.key\", \"%s/sub/**\"]}}", link, link, link);
	struct fs_errors e;
	struct fs_compile_options o = { .mode_override = -1, .resolve_aliases = 1 };
	struct fs_policy *p = fs_policy_compile(t, strlen(t), &o, &e);
	cr_assert_not_null(p, "%s", e.e[0].message);
	char path[PATH_MAX + 64];
	const struct fs_rules *r = fs_policy_rules(p, FS_READ, 0);
	/* the file does not exist: its directory is resolved */
	snprintf(path, sizeof path, "%s/secret", real);
	struct fs_verdict v = fs_match_path(r, path, strlen(path));
	cr_expect_eq(v.action, FS_BLOCK);
	cr_expect_eq(v.index, 0);
	snprintf(path, sizeof path, "%s/a.key", real);
	cr_expect_eq(fs_match_path(r, path, strlen(path)).index, 1);
	snprintf(path, sizeof path, "%s/sub/x/y", real);
	cr_expect_eq(fs_match_path(r, path, strlen(path)).index, 2);
	snprintf(path, sizeof path, "%s/a.key", link);
	cr_expect_eq(fs_match_path(r, path, strlen(path)).index, 1);
	fs_policy_free(p);

	/* without the option, the resolved spelling is not covered */
	o.resolve_aliases = 0;
	p = fs_policy_compile(t, strlen(t), &o, &e);
	cr_assert_not_null(p);
	snprintf(path, sizeof path, "%s/secret", real);
	cr_expect_eq(fs_match_path(fs_policy_rules(p, FS_READ, 0), path, strlen(path)).action, FS_ALLOW);
	fs_policy_free(p);

	/* a prefix that does not exist is skipped silently */
	const char *none = "{\"read\": {\"block\": [\"/nonexistent-fnshield/x/*\"]}}";
	o.resolve_aliases = 1;
	p = fs_policy_compile(none, strlen(none), &o, &e);
	cr_expect_not_null(p);
	fs_policy_free(p);

	unlink(link);
	rmdir(real);
	rmdir(base);
}

Test(policy_match, resolve_aliases_of_system_paths)
{
	/* On a merged-/usr system /bin is a link to usr/bin: "/bin/sh" must also match the
	 * program's real path. Checked against what realpath says on this machine. */
	char real[PATH_MAX];
	if (!realpath("/bin/sh", real) || strcmp(real, "/bin/sh") == 0)
		cr_skip_test("/bin/sh is not a symbolic link here");
	const char *t = "{\"exec\": {\"default\": \"allow\", \"block\": [\"/bin/sh\"]}}";
	struct fs_errors e;
	struct fs_compile_options o = { .mode_override = -1, .resolve_aliases = 1 };
	struct fs_policy *p = fs_policy_compile(t, strlen(t), &o, &e);
	cr_assert_not_null(p);
	struct fs_verdict v = fs_match_path(fs_policy_rules(p, FS_EXEC, 0), real, strlen(real));
	cr_expect_eq(v.action, FS_BLOCK, "%s", real);
	cr_expect_eq(v.index, 0);
	fs_policy_free(p);
}
