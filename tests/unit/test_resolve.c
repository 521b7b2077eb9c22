/*
 * test_resolve.c — lexical and canonical paths: relative paths, directory descriptors,
 * symbolic links (also dangling ones a creating open would follow), /proc/self/fd.
 */
#include "resolve.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[PATH_MAX]; /* canonical temp dir */

static void setup(void)
{
	char tmpl[] = "/tmp/fnshield-resolve-XXXXXX";
	cr_assert(mkdtemp(tmpl));
	cr_assert(realpath(tmpl, dir));
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static const char *in(const char *name)
{
	static char p[4][PATH_MAX + 64];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
	return p[k];
}

TestSuite(resolve, .init = setup, .fini = teardown);

Test(resolve, lexical_relative_to_cwd_and_dirfd)
{
	char out[FS_PATH_MAX], cwd[PATH_MAX];
	cr_assert(getcwd(cwd, sizeof cwd));
	cr_assert_eq(chdir(dir), 0);
	cr_assert_geq(path_lexical(AT_FDCWD, "a/./b/../c", out, sizeof out), 0);
	cr_assert_str_eq(out, in("a/c"));
	int dfd = open("/usr", O_RDONLY | O_DIRECTORY);
	cr_assert_geq(path_lexical(dfd, "../etc//passwd", out, sizeof out), 0);
	cr_assert_str_eq(out, "/etc/passwd");
	close(dfd);
	cr_assert_eq(chdir(cwd), 0);
}

Test(resolve, canonical_follows_symlinks)
{
	char out[FS_PATH_MAX];
	cr_assert_eq(mkdir(in("real"), 0700), 0);
	int fd = open(in("real/file"), O_CREAT | O_WRONLY, 0600);
	close(fd);
	cr_assert_eq(symlink(in("real"), in("link")), 0);
	cr_assert_eq(symlink("real/file", in("flink")), 0);
	cr_assert_gt(path_canonical(AT_FDCWD, in("link/file"), 1, out, sizeof out, NULL), 0);
	cr_assert_str_eq(out, in("real/file"));
	cr_assert_gt(path_canonical(AT_FDCWD, in("flink"), 1, out, sizeof out, NULL), 0);
	cr_assert_str_eq(out, in("real/file"));
	/* O_NOFOLLOW-like: the link itself */
	cr_assert_gt(path_canonical(AT_FDCWD, in("flink"), 0, out, sizeof out, NULL), 0);
	cr_assert_str_eq(out, in("flink"));
}

Test(resolve, canonical_of_a_file_not_yet_created)
{
	char out[FS_PATH_MAX];
	cr_assert_eq(mkdir(in("real"), 0700), 0);
	cr_assert_eq(symlink(in("real"), in("link")), 0);
	cr_assert_gt(path_canonical(AT_FDCWD, in("link/new.txt"), 1, out, sizeof out, NULL), 0);
	cr_assert_str_eq(out, in("real/new.txt"));
	/* A dangling link: a creating open would create its target. */
	cr_assert_eq(symlink(in("real/target.txt"), in("dangling")), 0);
	cr_assert_gt(path_canonical(AT_FDCWD, in("dangling"), 1, out, sizeof out, NULL), 0);
	cr_assert_str_eq(out, in("real/target.txt"));
	/* Relative dangling link */
	cr_assert_eq(symlink("real/rel.txt", in("dangling2")), 0);
	cr_assert_gt(path_canonical(AT_FDCWD, in("dangling2"), 1, out, sizeof out, NULL), 0);
	cr_assert_str_eq(out, in("real/rel.txt"));
}

Test(resolve, canonical_fails_for_missing_directory)
{
	char out[FS_PATH_MAX];
	cr_assert_lt(path_canonical(AT_FDCWD, in("no/such/dir/file"), 1, out, sizeof out, NULL), 0);
}

Test(resolve, symlink_loop_is_an_error)
{
	char out[FS_PATH_MAX];
	cr_assert_eq(symlink(in("b"), in("a")), 0);
	cr_assert_eq(symlink(in("a"), in("b")), 0);
	cr_assert_lt(path_canonical(AT_FDCWD, in("a"), 1, out, sizeof out, NULL), 0);
}

Test(resolve, proc_self_fd_resolves_to_the_open_file)
{
	char out[FS_PATH_MAX], link[64];
	int fd = open(in("f"), O_CREAT | O_WRONLY, 0600);
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	cr_assert_gt(path_canonical(AT_FDCWD, link, 1, out, sizeof out, NULL), 0);
	cr_assert_str_eq(out, in("f"));
	cr_assert_gt(path_of_fd(fd, out, sizeof out), 0);
	cr_assert_str_eq(out, in("f"));
	close(fd);
	int p[2];
	cr_assert_eq(pipe(p), 0);
	cr_assert_lt(path_of_fd(p[0], out, sizeof out), 0); /* "pipe:[N]" is not a path */
	cr_assert(strncmp(out, "pipe:", 5) == 0);
	close(p[0]);
	close(p[1]);
}

Test(resolve, normal_paths_are_taken_as_they_are_and_others_normalised)
{
	char out[FS_LEX_MAX];
	static const char *const cases[][2] = {
		{"/", "/"}, {"/a", "/a"}, {"/a/b.c/d", "/a/b.c/d"}, {"/a/.b", "/a/.b"}, {"/a/..b", "/a/..b"},
		{"/a/", "/a"}, {"//a", "/a"}, {"/a//b", "/a/b"}, {"/a/./b", "/a/b"}, {"/a/../b", "/b"},
		{"/a/.", "/a"}, {"/a/..", "/"}, {"/..", "/"}, {"/.", "/"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cr_assert_geq(path_lexical(AT_FDCWD, cases[i][0], out, sizeof out), 0, "%s", cases[i][0]);
		cr_assert_str_eq(out, cases[i][1], "%s", cases[i][0]);
	}
}
