/*
 * test_glob.c — path pattern semantics (exec/read/write): a table of pattern × path ×
 * expected, and the malformed patterns that must be configuration errors.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

/* The pattern as a JSON string literal (escape '"' and '\'). */
static void json_string(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	out[o++] = '"';
	for (; *s && o + 3 < cap; s++) {
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = 0;
}

static struct fs_policy *one_pattern(const char *pat, struct fs_errors *e)
{
	char q[512], t[600];
	json_string(q, sizeof q, pat);
	snprintf(t, sizeof t, "{\"read\": {\"default\": \"allow\", \"block\": [%s]}}", q);
	return fs_policy_compile(t, strlen(t), NULL, e);
}

struct gcase {
	const char *pat, *path;
	int match;
};

static const struct gcase CASES[] = {
	/* literals, normalisation of the pattern */
	{ "/", "/", 1 },
	{ "/", "/a", 0 },
	{ "/a", "/a", 1 },
	{ "/a", "/a/b", 0 },
	{ "/a", "/ab", 0 },
	{ "/a/", "/a", 1 },
	{ "//a//b//", "/a/b", 1 },
	{ "/A", "/a", 0 },
	{ "/tmp/x y", "/tmp/x y", 1 },
	{ "/a/.x", "/a/.x", 1 },
	{ "/a/..x", "/a/..x", 1 },
	{ "/a/...", "/a/...", 1 },
	/* * and ? stay within a component */
	{ "/a/*", "/a/b", 1 },
	{ "/a/*", "/a/.hidden", 1 },
	{ "/a/*", "/a", 0 },
	{ "/a/*", "/a/b/c", 0 },
	{ "/a/*.py", "/a/x.py", 1 },
	{ "/a/*.py", "/a/.py", 1 },
	{ "/a/*.py", "/a/x.pyc", 0 },
	{ "/a/*.py", "/a/b/x.py", 0 },
	{ "/a/b*c*d", "/a/bxxcyyd", 1 },
	{ "/a/b*c*d", "/a/bcd", 1 },
	{ "/a/b*c*d", "/a/bd", 0 },
	{ "/a/b*c*d", "/a/bc/d", 0 },
	{ "/a*", "/a", 1 },
	{ "/a*", "/abc", 1 },
	{ "/a*", "/a/b", 0 },
	{ "/*", "/", 0 },
	{ "/*", "/x", 1 },
	{ "/*/*", "/x/y", 1 },
	{ "/*/*", "/x", 0 },
	{ "/a/?", "/a/b", 1 },
	{ "/a/?", "/a/bc", 0 },
	{ "/a/?", "/a", 0 },
	{ "/a?b", "/a/b", 0 },
	{ "/tmp/?", "/tmp/\xc3\xa9", 0 }, /* ? is one byte: é is two */
	{ "/tmp/??", "/tmp/\xc3\xa9", 1 },
	{ "/tmp/\xc3\xa9*", "/tmp/\xc3\xa9t\xc3\xa9", 1 },
	{ "/a/*", "/a/b\xff", 1 },
	/* ** */
	{ "/a/**", "/a", 1 },
	{ "/a/**", "/a/b", 1 },
	{ "/a/**", "/a/b/c/d", 1 },
	{ "/a/**", "/ab", 0 },
	{ "/a/**", "/", 0 },
	{ "/**", "/", 1 },
	{ "/**", "/x", 1 },
	{ "/**", "/x/y/z", 1 },
	{ "/**/x", "/x", 1 },
	{ "/**/x", "/a/x", 1 },
	{ "/**/x", "/a/b/x", 1 },
	{ "/**/x", "/ax", 0 },
	{ "/**/x", "/a/xx", 0 },
	{ "/**/x", "/x/a", 0 },
	{ "/a/**/b", "/a/b", 1 },
	{ "/a/**/b", "/a/x/b", 1 },
	{ "/a/**/b", "/a/x/y/b", 1 },
	{ "/a/**/b", "/a/b/b", 1 },
	{ "/a/**/b", "/a/xb", 0 },
	{ "/a/**/b", "/a/b/c", 0 },
	{ "/a/**/b", "/ab", 0 },
	{ "/a/**/b", "/a", 0 },
	{ "/a/**/**/b", "/a/b", 1 },
	{ "/a/**/**/b", "/a/x/y/b", 1 },
	{ "/a/**/*.txt", "/a/x.txt", 1 },
	{ "/a/**/*.txt", "/a/b/c/x.txt", 1 },
	{ "/a/**/*.txt", "/a/b/x.txtx", 0 },
	{ "/a/**/*.txt", "/a.txt", 0 },
	{ "/proc/*/environ", "/proc/1/environ", 1 },
	{ "/proc/*/environ", "/proc/self/environ", 1 },
	{ "/proc/*/environ", "/proc/1/task/1/environ", 0 },
	{ "/proc/**/environ", "/proc/1/task/1/environ", 1 },
	{ "/proc/**/environ", "/proc/environ", 1 },
	{ "/var/task/**", "/var/task", 1 },
	{ "/var/task/**", "/var/taskforce", 0 },
	/* classes */
	{ "/a/[abc]", "/a/b", 1 },
	{ "/a/[abc]", "/a/d", 0 },
	{ "/a/[abc]", "/a/ab", 0 },
	{ "/a/[a-c]x", "/a/bx", 1 },
	{ "/a/[a-c]x", "/a/dx", 0 },
	{ "/a/[a-cx-z0-9]", "/a/7", 1 },
	{ "/a/[a-cx-z0-9]", "/a/y", 1 },
	{ "/a/[a-cx-z0-9]", "/a/m", 0 },
	{ "/a/[!a-c]", "/a/d", 1 },
	{ "/a/[!a-c]", "/a/b", 0 },
	{ "/a/[^a-c]", "/a/d", 1 },
	{ "/a/[^a-c]", "/a/a", 0 },
	{ "/a/[]]", "/a/]", 1 },
	{ "/a/[]a]", "/a/a", 1 },
	{ "/a/[!]]", "/a/x", 1 },
	{ "/a/[!]]", "/a/]", 0 },
	{ "/a[!x]b", "/a/b", 0 },
	{ "/a/[\\]]", "/a/]", 1 },
	{ "/a/[a\\-z]", "/a/-", 1 },
	{ "/a/[a\\-z]", "/a/b", 0 },
	{ "/a/[a-]", "/a/-", 1 },
	{ "/a/[*?]", "/a/*", 1 },
	{ "/a/[*?]", "/a/x", 0 },
	{ "/a/[!a]", "/a/\xc3", 1 },
	/* escapes */
	{ "/a/\\*", "/a/*", 1 },
	{ "/a/\\*", "/a/x", 0 },
	{ "/a/\\?", "/a/?", 1 },
	{ "/a/\\?", "/a/x", 0 },
	{ "/a/\\[x]", "/a/[x]", 1 },
	{ "/a/\\[x]", "/a/x", 0 },
	{ "/a/\\\\", "/a/\\", 1 },
	{ "/a/\\x", "/a/x", 1 },
	{ "/a/\\*\\*", "/a/**", 1 },
	{ "/a/\\*\\*", "/a/b/c", 0 },
};

Test(glob, semantics_table)
{
	for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
		const struct gcase *c = &CASES[i];
		struct fs_errors e;
		struct fs_policy *p = one_pattern(c->pat, &e);
		cr_assert_not_null(p, "pattern %s rejected: %s", c->pat, e.e[0].message);
		struct fs_verdict v = fs_match_path(fs_policy_rules(p, FS_READ, 0), c->path, strlen(c->path));
		cr_expect_eq(v.action == FS_BLOCK, c->match, "pattern \"%s\" path \"%s\": expected %s", c->pat,
			     c->path, c->match ? "match" : "no match");
		fs_policy_free(p);
	}
}

Test(glob, all_patterns_in_one_automaton_agree_with_each_alone)
{
	/* Every pattern of the table in one list: a path matches the list iff some pattern
	 * matches it alone, and the reported index is the lowest such pattern. */
	size_t n = sizeof CASES / sizeof *CASES;
	char *t = malloc(64 * n + 64), q[256];
	size_t o = (size_t)sprintf(t, "{\"read\": {\"block\": [");
	for (size_t i = 0; i < n; i++) {
		json_string(q, sizeof q, CASES[i].pat);
		o += (size_t)sprintf(t + o, "%s%s", i ? "," : "", q);
	}
	o += (size_t)sprintf(t + o, "]}}");
	struct fs_errors e;
	struct fs_policy *all = fs_policy_compile(t, o, NULL, &e);
	cr_assert_not_null(all, "%s", e.e[0].message);
	struct fs_policy **one = calloc(n, sizeof *one);
	for (size_t i = 0; i < n; i++)
		one[i] = one_pattern(CASES[i].pat, &e);
	for (size_t k = 0; k < n; k++) {
		const char *path = CASES[k].path;
		int first = -1;
		for (size_t i = 0; i < n && first < 0; i++)
			if (fs_match_path(fs_policy_rules(one[i], FS_READ, 0), path, strlen(path)).action == FS_BLOCK)
				first = (int)i;
		struct fs_verdict v = fs_match_path(fs_policy_rules(all, FS_READ, 0), path, strlen(path));
		cr_expect_eq(v.index, first, "path %s: combined says %d, alone %d", path, v.index, first);
	}
	for (size_t i = 0; i < n; i++)
		fs_policy_free(one[i]);
	free(one);
	fs_policy_free(all);
	free(t);
}

struct bad {
	const char *pat, *needle;
};

Test(glob, malformed_patterns)
{
	static const struct bad BAD[] = {
		{ "", "empty pattern" },
		{ "a/b", "absolute" },
		{ "*", "absolute" },
		{ "**/x", "\"/**/name\"" },
		{ "/a**", "whole path component" },
		{ "/a/**b", "whole path component" },
		{ "/a/b**", "whole path component" },
		{ "/a/***", "whole path component" },
		{ "/a/[bc", "unclosed '['" },
		{ "/a/[", "unclosed '['" },
		{ "/a/[]", "unclosed '['" },
		{ "/a/[!]", "unclosed '['" },
		{ "/a/[\\", "unclosed '['" },
		{ "/a/.", "'.' and '..'" },
		{ "/./a", "'.' and '..'" },
		{ "/a/../b", "'.' and '..'" },
		{ "/a/..", "'.' and '..'" },
		{ "/a/\\.", "'.' and '..'" },
		{ "/a/\\", "lone '\\'" },
		{ "/a\\/b", "'\\/'" },
		{ "/a/[z-a]", "backwards" },
		{ "/a/[/]", "'/' inside [...]" },
		{ "/a/[a/b]", "'/' inside [...]" },
		{ "/a/[[:alpha:]]", "POSIX" },
		{ "/a/[\xc3\xa9]", "non-ASCII" },
	};
	for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
		struct fs_errors e;
		struct fs_policy *p = one_pattern(BAD[i].pat, &e);
		cr_expect_null(p, "accepted \"%s\"", BAD[i].pat);
		fs_policy_free(p);
		if (e.count) {
			cr_expect_str_eq(e.e[0].path, "read.block[0]");
			cr_expect(strstr(e.e[0].message, BAD[i].needle) != NULL, "\"%s\": message \"%s\" lacks \"%s\"",
				  BAD[i].pat, e.e[0].message, BAD[i].needle);
		}
	}
}

Test(glob, exec_and_write_use_the_same_syntax)
{
	const char *t = "{\"exec\": {\"default\": \"block\", \"allow\": [\"/usr/bin/*\", \"/opt/**\"]},"
			" \"write\": {\"default\": \"block\", \"allow\": [\"/tmp/**\"]}}";
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(t, strlen(t), NULL, &e);
	cr_assert_not_null(p);
	const struct fs_rules *x = fs_policy_rules(p, FS_EXEC, 0);
	cr_expect_eq(fs_match_path(x, "/usr/bin/python3", 16).action, FS_ALLOW);
	cr_expect_eq(fs_match_path(x, "/usr/bin/x/y", 12).action, FS_BLOCK);
	cr_expect_eq(fs_match_path(x, "/opt/a/b/c", 10).index, 1);
	cr_expect_eq(fs_match_path(x, "/bin/sh", 7).list, FS_LIST_DEFAULT);
	const struct fs_rules *w = fs_policy_rules(p, FS_WRITE, 0);
	cr_expect_eq(fs_match_path(w, "/tmp", 4).action, FS_ALLOW);
	cr_expect_eq(fs_match_path(w, "/tmpfile", 8).action, FS_BLOCK);
	fs_policy_free(p);
}
