/*
 * compile.c — `fnshield compile POLICY [-o OUT]`: a policy's compiled form, saved.
 *
 * The file is the policy's image (policy/image.c), exactly what the library would build from
 * the JSON on this machine — symbolic-link aliases included, so compile on the image the
 * function runs on (README, "Compiled policies"). A compiled policy given as input is
 * compiled again from the JSON it carries: that is how one is refreshed on another machine.
 * The output appears whole or not at all (written beside it, then renamed).
 */
#include "cli.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void default_output(const char *in, char *out, size_t cap)
{
	size_t n = strlen(in);
	const char *dot = strrchr(in, '.');
	if (dot && !strchr(dot, '/') && dot != in)
		n = (size_t)(dot - in);
	snprintf(out, cap, "%.*s%s", (int)n, in, FS_IMAGE_SUFFIX);
}

static int write_whole(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX + 32];
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			errno = e;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int cmd_compile(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (argv[i][0] == '-' || in)
			return EX_USAGE;
		else
			in = argv[i];
	}
	if (!in) {
		fputs("usage: fnshield compile POLICY [-o OUT.fnsp]\n", stderr);
		return EX_USAGE;
	}
	char outbuf[PATH_MAX];
	if (!out) {
		default_output(in, outbuf, sizeof outbuf);
		out = outbuf;
	}
	/* The JSON text (a compiled input: the text it carries), compiled here, mode as written:
	 * FNSHIELD_MODE is the running function's business, not the file's. */
	size_t len = 0;
	int err = 0;
	char *text = fs_read_policy_text(in, &len, &err);
	if (!text) {
		fprintf(stderr, "fnshield compile: cannot read %s: %s\n", in,
			err == EINVAL ? "a damaged compiled policy (run `fnshield check` on it)" : strerror(err));
		return err == EINVAL ? EX_CONFIG : EX_NOINPUT;
	}
	struct fs_compile_options opts = {.mode_override = -1, .resolve_aliases = 1};
	struct fs_errors errs;
	struct fs_policy *p = fs_policy_compile(text, len, &opts, &errs);
	free(text);
	if (!p) {
		int n = errs.count < FS_MAX_ERRORS ? errs.count : FS_MAX_ERRORS;
		for (int i = 0; i < n; i++) {
			const struct fs_error *e = &errs.e[i];
			if (e->line)
				fprintf(stderr, "fnshield compile: %s:%d:%d: %s%s%s\n", in, e->line, e->column,
					e->path[0] ? e->path : "", e->path[0] ? ": " : "", e->message);
			else
				fprintf(stderr, "fnshield compile: %s: %s%s%s\n", in, e->path[0] ? e->path : "",
					e->path[0] ? ": " : "", e->message);
		}
		return EX_CONFIG;
	}
	size_t ilen = 0;
	const void *image = fs_policy_image(p, &ilen);
	int r = write_whole(out, image, ilen);
	if (r < 0) {
		fprintf(stderr, "fnshield compile: cannot write %s: %s\n", out, strerror(errno));
		fs_policy_free(p);
		return 73; /* EX_CANTCREAT */
	}
	printf("fnshield: compiled %s -> %s: %zu bytes, format %u, sha256 %s\n", in, out, ilen,
	       FS_IMAGE_FORMAT, fs_policy_digest(p));
	fs_policy_free(p);
	return 0;
}
