/*
 * test_path_normalise.c — fs_path_normalise: ".", "..", "//", trailing '/', relative paths
 * joined to a base, results that do not fit.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

struct ncase {
	const char *base, *path, *want; /* want NULL: -1 */
};

static const struct ncase CASES[] = {
	{ NULL, "/", "/" },
	{ NULL, "/a", "/a" },
	{ NULL, "/a/", "/a" },
	{ NULL, "//a///b//", "/a/b" },
	{ NULL, "/a/./b/.", "/a/b" },
	{ NULL, "/./", "/" },
	{ NULL, "/a/b/..", "/a" },
	{ NULL, "/a/b/../..", "/" },
	{ NULL, "/..", "/" },
	{ NULL, "/../../x", "/x" },
	{ NULL, "/a/../../b/./c/..", "/b" },
	{ NULL, "/var/task/../task//x", "/var/task/x" },
	{ NULL, "/a/.../b", "/a/.../b" },
	{ NULL, "/a/..b/.c", "/a/..b/.c" },
	{ NULL, "/a/b./..c", "/a/b./..c" },
	{ "/cwd", "x/y", "/cwd/x/y" },
	{ "/cwd/", "x", "/cwd/x" },
	{ "//a//b/", "c", "/a/b/c" },
	{ "/a/b", "../x", "/a/x" },
	{ "/a", "../../../x", "/x" },
	{ "/a/b", ".", "/a/b" },
	{ "/a/b", "./", "/a/b" },
	{ "/a/b", "..", "/a" },
	{ "/", "x", "/x" },
	{ "/a/../b", "c", "/b/c" },
	{ "/ignored", "/abs", "/abs" },
	{ "relative", "/abs", "/abs" },
	{ NULL, "rel", NULL },
	{ "rel", "x", NULL },
	{ "", "x", NULL },
	{ "/a", "", NULL },
	{ NULL, "", NULL },
};

Test(path_normalise, table)
{
	for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
		const struct ncase *c = &CASES[i];
		char out[256];
		memset(out, 'Z', sizeof out);
		long n = fs_path_normalise(c->base, c->path, out, sizeof out);
		if (!c->want) {
			cr_expect_eq(n, -1, "%s + %s: expected -1, got %ld", c->base, c->path, n);
			continue;
		}
		cr_expect_eq(n, (long)strlen(c->want), "%s + %s: length %ld", c->base, c->path, n);
		if (n >= 0)
			cr_expect_str_eq(out, c->want, "%s + %s", c->base ? c->base : "(null)", c->path);
	}
}

Test(path_normalise, null_arguments)
{
	char out[16];
	cr_expect_eq(fs_path_normalise("/a", NULL, out, sizeof out), -1);
	cr_expect_eq(fs_path_normalise(NULL, "/a", NULL, 16), -1);
	cr_expect_eq(fs_path_normalise(NULL, "/a", out, 0), -1);
}

Test(path_normalise, capacity)
{
	char out[8];
	cr_expect_eq(fs_path_normalise(NULL, "/abcdef", out, 8), 7);  /* 7 + NUL fits */
	cr_expect_str_eq(out, "/abcdef");
	cr_expect_eq(fs_path_normalise(NULL, "/abcdefg", out, 8), -1); /* 8 + NUL does not */
	cr_expect_eq(fs_path_normalise(NULL, "/", out, 1), -1);
	cr_expect_eq(fs_path_normalise(NULL, "/", out, 2), 1);
	/* what counts is the result, not the text on the way to it */
	cr_expect_eq(fs_path_normalise(NULL, "/a/very/long/path/name/../../../../..", out, 2), 1);
	cr_expect_str_eq(out, "/");
	cr_expect_eq(fs_path_normalise("/a/very/long/base/directory", "../../../../x", out, 8), 4);
	cr_expect_str_eq(out, "/a/x");
	/* an over-long result never writes past cap */
	char big[64];
	memset(big, 'Q', sizeof big);
	cr_expect_eq(fs_path_normalise("/0123456789", "abcdefghijklmnopqrstuvwxyz", big, 20), -1);
	for (size_t i = 20; i < sizeof big; i++)
		cr_assert_eq(big[i], 'Q');
}

Test(path_normalise, long_paths)
{
	/* 64 KB of components: linear, no recursion, exact result */
	size_t n = 65536;
	char *p = malloc(n + 1), *out = malloc(n + 1);
	for (size_t i = 0; i < n; i += 2) {
		p[i] = '/';
		p[i + 1] = 'x';
	}
	p[n] = 0;
	cr_expect_eq(fs_path_normalise(NULL, p, out, n + 1), (long)n);
	cr_expect_eq(memcmp(out, p, n), 0);
	for (size_t i = 0; i + 3 <= n; i += 3)
		memcpy(p + i, "/..", 3);
	p[n - n % 3] = 0;
	cr_expect_eq(fs_path_normalise(NULL, p, out, n + 1), 1);
	free(p);
	free(out);
}
