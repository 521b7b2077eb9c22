/*
 * test_normal_match.c — the open hook's single pass (fs_match_normal_path) and its definition
 * of "already normal" (fs_path_normal_length): which spellings it takes as they are, which it
 * hands back for normalisation, and that what it takes it judges exactly as
 * normalise-then-fs_match_path does.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static struct fs_policy *must(const char *text)
{
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(text, strlen(text), NULL, &e);
	cr_assert_not_null(p, "%s: %s", text, e.e[0].message);
	return p;
}

static const char policy_text[] =
	"{\"read\": {\"default\": \"alert\", \"allow\": [\"/a/**\", \"/tmp/**\", \"/.hidden/**\"],"
	" \"block\": [\"/a/b/**\", \"/**/.env\", \"/etc/shadow\"]},"
	" \"write\": {\"default\": \"block\", \"allow\": [\"/tmp/**\"]}}";

static const char *const normal[] = {
	"/", "/a", "/a/b", "/a/b.c/d", "/.hidden/x", "/a/.b", "/a/..b", "/a/b.", "/a/b..", "/a/...",
	"/a/.../b", "/tmp/x/y", "/a/-/b", "/x/.env", "/etc/shadow", "/a/b c", "/\xc3\xa9t\xc3\xa9",
};
static const char *const abnormal[] = {
	"", "a", "a/b", "./a", "../a", "//", "//a", "/a//b", "/a/./b", "/a/../b", "/a/.", "/a/..",
	"/.", "/..", "/./a", "/../a", "/a/", "/a/b/", "/tmp/../etc/shadow", "/tmp/./x", "/tmp//x",
	"/tmp/x/", "/a/b/c/d/e/f/g/h/../i",
};

static void expect_normal(const struct fs_rules *r, const char *path)
{
	size_t len = strlen(path);
	struct fs_verdict v = { .action = 99 };
	cr_assert_eq(fs_path_normal_length(path, 4096), (long)len, "%s", path);
	cr_assert_eq(fs_match_normal_path(r, path, 4096, &v), (long)len, "%s", path);
	struct fs_verdict w = fs_match_path(r, path, len);
	cr_assert(v.action == w.action && v.list == w.list && v.index == w.index, "%s", path);
	char out[4096];
	cr_assert_eq(fs_path_normalise(NULL, path, out, sizeof out), (long)len, "%s", path);
	cr_assert_str_eq(out, path);
}

static void expect_abnormal(const struct fs_rules *r, const char *path)
{
	struct fs_verdict v = { .action = 99 };
	cr_assert_eq(fs_path_normal_length(path, 4096), -1, "%s", path);
	cr_assert_eq(fs_match_normal_path(r, path, 4096, &v), -1, "%s", path);
	cr_assert_eq(v.action, 99, "%s: the verdict is left alone", path);
}

Test(normal_match, normal_and_abnormal_spellings)
{
	struct fs_policy *p = must(policy_text);
	/* a category with an automaton, one without (constant), one the automaton cannot see */
	enum fs_category cats[] = { FS_READ, FS_WRITE, FS_EXEC, FS_CONNECT };
	for (size_t c = 0; c < sizeof cats / sizeof cats[0]; c++) {
		const struct fs_rules *r = fs_policy_rules(p, cats[c], 0);
		for (size_t i = 0; i < sizeof normal / sizeof normal[0]; i++)
			expect_normal(r, normal[i]);
		for (size_t i = 0; i < sizeof abnormal / sizeof abnormal[0]; i++)
			expect_abnormal(r, abnormal[i]);
	}
	fs_policy_free(p);
}

Test(normal_match, verdicts_of_the_fused_pass)
{
	struct fs_policy *p = must(policy_text);
	const struct fs_rules *r = fs_policy_rules(p, FS_READ, 0);
	struct fs_verdict v;
	cr_assert_eq(fs_match_normal_path(r, "/a/x", 4096, &v), 4);
	cr_assert_eq(v.list, FS_LIST_ALLOW);
	cr_assert_eq(fs_match_normal_path(r, "/a/b/x", 4096, &v), 6);
	cr_assert_eq(v.list, FS_LIST_BLOCK);
	cr_assert_eq(fs_match_normal_path(r, "/tmp/q/.env", 4096, &v), 11);
	cr_assert_eq(v.list, FS_LIST_BLOCK, "a rule after a settled-looking prefix still counts");
	cr_assert_eq(fs_match_normal_path(r, "/.hidden/x", 4096, &v), 10);
	cr_assert_eq(v.list, FS_LIST_ALLOW);
	cr_assert_eq(v.index, 2);
	cr_assert_eq(fs_match_normal_path(r, "/nowhere", 4096, &v), 8);
	cr_assert_eq(v.list, FS_LIST_DEFAULT);
	cr_assert_eq(v.action, FS_ALERT);
	/* settled at "/tmp/" (all allowed below) but spelled abnormally further on: handed back */
	const struct fs_rules *w = fs_policy_rules(p, FS_WRITE, 0);
	cr_assert_eq(fs_match_normal_path(w, "/tmp/a/b/c", 4096, &v), 10);
	cr_assert_eq(v.list, FS_LIST_ALLOW);
	cr_assert_eq(fs_match_normal_path(w, "/tmp/a/../../etc/passwd", 4096, &v), -1);
	cr_assert_eq(fs_match_normal_path(w, "/tmp/a/b/", 4096, &v), -1);
	cr_assert_eq(fs_match_normal_path(w, "/tmp/a//b", 4096, &v), -1);
	fs_policy_free(p);
}

Test(normal_match, stops_at_the_nul_and_respects_cap)
{
	struct fs_policy *p = must(policy_text);
	const struct fs_rules *r = fs_policy_rules(p, FS_READ, 0);
	struct fs_verdict v;
	/* the string ends at its NUL, whatever follows in memory: as the kernel reads it */
	static const char after_nul[] = "/a/x\0/../..";
	cr_assert_eq(fs_match_normal_path(r, after_nul, 4096, &v), 4);
	static const char slash_nul[] = "/a/\0x";
	cr_assert_eq(fs_match_normal_path(r, slash_nul, 4096, &v), -1, "a trailing '/' before the NUL");
	static const char dot_nul[] = "/a/.\0/x";
	cr_assert_eq(fs_match_normal_path(r, dot_nul, 4096, &v), -1);
	static const char dotdot_nul[] = "/a/..\0/x";
	cr_assert_eq(fs_match_normal_path(r, dotdot_nul, 4096, &v), -1);
	cr_assert_eq(fs_match_normal_path(r, NULL, 4096, &v), -1);
	/* the caller's buffer must hold the path and its NUL */
	cr_assert_eq(fs_match_normal_path(r, "/a/x", 5, &v), 4);
	cr_assert_eq(fs_match_normal_path(r, "/a/x", 4, &v), -1);
	cr_assert_eq(fs_path_normal_length("/a/x", 5), 4);
	cr_assert_eq(fs_path_normal_length("/a/x", 4), -1);
	char *big = malloc(20001);
	memset(big, 'a', 20000);
	big[0] = '/';
	big[20000] = 0;
	cr_assert_eq(fs_match_normal_path(r, big, 20001, &v), 20000);
	cr_assert_eq(fs_match_normal_path(r, big, 8194, &v), -1);
	free(big);
	fs_policy_free(p);
}

/* Every string over '/', '.', 'a' (and 'b' for variety) up to 7 bytes: normal exactly when
 * fs_path_normalise gives it back unchanged. */
Test(normal_match, normal_means_normalise_changes_nothing)
{
	struct fs_policy *p = must(policy_text);
	const struct fs_rules *r = fs_policy_rules(p, FS_READ, 0);
	static const char alphabet[] = "/.ab";
	char s[8], out[64];
	for (int len = 0; len <= 7; len++) {
		int total = 1;
		for (int i = 0; i < len; i++)
			total *= 4;
		for (int k = 0; k < total; k++) {
			int x = k;
			for (int i = 0; i < len; i++, x /= 4)
				s[i] = alphabet[x % 4];
			s[len] = 0;
			long n = fs_path_normalise(NULL, s, out, sizeof out);
			int is_normal = s[0] == '/' && n == len && !strcmp(out, s);
			struct fs_verdict v;
			long got = fs_match_normal_path(r, s, sizeof out, &v);
			cr_assert_eq(got, is_normal ? len : -1, "\"%s\": %ld", s, got);
			cr_assert_eq(fs_path_normal_length(s, sizeof out), got, "\"%s\"", s);
			if (got >= 0) {
				struct fs_verdict w = fs_match_path(r, s, (size_t)len);
				cr_assert(v.action == w.action && v.list == w.list && v.index == w.index, "%s", s);
			}
		}
	}
	fs_policy_free(p);
}
