/*
 * config.c — load the policy named by the environment (see config.h).
 */
#include "config.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void fs_errors_add(struct fs_errors *errs, const char *path, const char *fmt, ...)
{
	if (errs->count < FS_MAX_ERRORS) {
		struct fs_error *e = &errs->e[errs->count];
		memset(e, 0, sizeof *e);
		snprintf(e->path, sizeof e->path, "%s", path ? path : "");
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->message, sizeof e->message, fmt, ap);
		va_end(ap);
	}
	errs->count++;
}

char *fs_read_file(const char *path, size_t max, size_t *len, int *err)
{
	/* syscall(), not open(): inside the preload library this runs at load, while the hooks
	 * (open and syscall included) still pass every call straight through. */
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (!buf) {
			*err = ENOMEM;
			break;
		}
		if (n == cap) {
			if (cap >= max) {
				*err = EFBIG;
				break;
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				*err = ENOMEM;
				break;
			}
			buf = nb;
		}
		ssize_t r = syscall(SYS_read, fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = errno;
			break;
		}
		if (r == 0) {
			syscall(SYS_close, fd);
			buf[n] = 0;
			*len = n;
			return buf;
		}
		n += (size_t)r;
	}
	free(buf);
	syscall(SYS_close, fd);
	return NULL;
}

static int parse_mode(const char *mode_env, struct fs_errors *errs)
{
	if (!mode_env)
		return -1;
	if (!strcmp(mode_env, "alert"))
		return FS_MODE_ALERT;
	if (!strcmp(mode_env, "block"))
		return FS_MODE_BLOCK;
	fs_errors_add(errs, "", "FNSHIELD_MODE is \"%.64s\"; expected \"alert\" or \"block\"", mode_env);
	return -2;
}

static int compile_text(const char *text, size_t len, int mode, struct fs_config *cfg,
			struct fs_errors *errs)
{
	struct fs_compile_options opts = {.mode_override = mode, .resolve_aliases = 1};
	fs_sha256_hex(text, len, cfg->digest);
	cfg->policy = fs_policy_compile(text, len, &opts, errs);
	if (!cfg->policy)
		return -1;
	cfg->mode = fs_policy_mode(cfg->policy);
	cfg->mode_overridden = mode >= 0;
	return 0;
}

int fs_config_load_file(const char *path, const char *mode_env, struct fs_config *cfg,
			struct fs_errors *errs)
{
	memset(cfg, 0, sizeof *cfg);
	memset(errs, 0, sizeof *errs);
	int mode = parse_mode(mode_env, errs);
	if (mode == -2)
		return -1;
	size_t len = 0;
	int err = 0;
	char *text = fs_read_file(path, FS_POLICY_FILE_MAX, &len, &err);
	if (!text) {
		fs_errors_add(errs, "", "cannot read policy file %.200s: %s%s", path,
			      err == EFBIG ? "larger than 16 MB" : strerror(err),
			      err == ENOENT ? " (FNSHIELD_POLICY_FILE must name an existing file)" : "");
		return -1;
	}
	cfg->source = FS_SOURCE_FILE;
	cfg->file_path = strdup(path);
	int r = compile_text(text, len, mode, cfg, errs);
	free(text);
	if (r < 0 || !cfg->file_path) {
		fs_config_free(cfg);
		return -1;
	}
	return 0;
}

int fs_config_load(const char *policy_env, const char *policy_file_env, const char *mode_env,
		   const char *expected_digest, struct fs_config *cfg, struct fs_errors *errs)
{
	memset(cfg, 0, sizeof *cfg);
	memset(errs, 0, sizeof *errs);
	if (policy_env && policy_file_env) {
		fs_errors_add(errs, "", "both FNSHIELD_POLICY and FNSHIELD_POLICY_FILE are set; "
					"set one of them");
		return -1;
	}
	if (policy_file_env) {
		if (fs_config_load_file(policy_file_env, mode_env, cfg, errs) < 0)
			return -1;
		if (expected_digest && strcmp(expected_digest, cfg->digest)) {
			fs_errors_add(errs, "", "policy file %.200s changed after the parent process "
						"loaded it (sha256 %.64s, expected %.64s)",
				      policy_file_env, cfg->digest, expected_digest);
			fs_config_free(cfg);
			return -1;
		}
		return 0;
	}
	int mode = parse_mode(mode_env, errs);
	if (mode == -2)
		return -1;
	if (policy_env) {
		cfg->source = FS_SOURCE_ENV;
		return compile_text(policy_env, strlen(policy_env), mode, cfg, errs);
	}
	cfg->source = FS_SOURCE_DEFAULT;
	return compile_text(fs_default_policy_json, strlen(fs_default_policy_json), mode, cfg, errs);
}

void fs_config_free(struct fs_config *cfg)
{
	fs_policy_free(cfg->policy);
	free(cfg->file_path);
	memset(cfg, 0, sizeof *cfg);
}

void fs_config_source_label(const char *policy_env, const char *file_env, char *buf, size_t cap)
{
	if (file_env)
		snprintf(buf, cap, "file:%s", file_env);
	else if (policy_env)
		snprintf(buf, cap, "env:FNSHIELD_POLICY");
	else
		snprintf(buf, cap, "default");
}

void fs_config_source_name(const struct fs_config *cfg, char *buf, size_t cap)
{
	fs_config_source_label(cfg->source == FS_SOURCE_ENV ? "" : NULL,
			       cfg->source == FS_SOURCE_FILE ? cfg->file_path : NULL, buf, cap);
}
