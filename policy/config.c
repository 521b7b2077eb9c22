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
#include <sys/mman.h>
#include <sys/stat.h>
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

int fs_config_mode(const char *mode_env, struct fs_errors *errs)
{
	if (!mode_env)
		return -1;
	if (!strcmp(mode_env, "alert"))
		return FS_MODE_ALERT;
	if (!strcmp(mode_env, "block"))
		return FS_MODE_BLOCK;
	if (errs)
		fs_errors_add(errs, "", "FNSHIELD_MODE is \"%.64s\"; expected \"alert\" or \"block\"", mode_env);
	return -2;
}

static void adopt(struct fs_policy *p, int mode, struct fs_config *cfg)
{
	cfg->policy = p;
	memcpy(cfg->digest, fs_policy_digest(p), sizeof cfg->digest); /* 64 digits and a NUL */
	cfg->mode = fs_policy_mode(p);
	cfg->mode_overridden = mode >= 0;
}

static int compile_text(const char *text, size_t len, int mode, struct fs_config *cfg,
			struct fs_errors *errs)
{
	struct fs_compile_options opts = {.mode_override = mode, .resolve_aliases = 1};
	struct fs_policy *p = fs_policy_compile(text, len, &opts, errs);
	if (!p)
		return -1;
	adopt(p, mode, cfg);
	return 0;
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && !strcmp(s + n - t, tail);
}

/* A policy file, mapped: a compiled one is used as it lies (the mapping becomes the policy's),
 * JSON is compiled. Raw system calls: inside the preload library this runs at load, while the
 * hooks still pass every call straight through. */
static int load_file(const char *path, int mode, struct fs_config *cfg, struct fs_errors *errs)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int err = fd < 0 ? errno : 0;
	/* the system call: fstat@GLIBC_2.33 does not exist on Amazon Linux 2 (glibc 2.26) */
	if (fd >= 0 && syscall(SYS_fstat, fd, &st) < 0)
		err = errno;
	else if (fd >= 0 && S_ISDIR(st.st_mode))
		err = EISDIR;
	else if (fd >= 0 && (size_t)st.st_size > FS_POLICY_FILE_MAX)
		err = EFBIG;
	void *map = NULL;
	size_t len = err ? 0 : (size_t)st.st_size;
	/* MAP_POPULATE: the whole file is read at load anyway (its checksum), and one call that
	 * maps every page costs a tenth of a fault per page (bench: 30 against 220 µs, 1.2 MB). */
	if (!err && len &&
	    (map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0)) == MAP_FAILED)
		err = errno;
	if (fd >= 0)
		syscall(SYS_close, fd);
	if (err) {
		fs_errors_add(errs, "", "cannot read policy file %.200s: %s%s", path,
			      err == EFBIG ? "larger than 16 MB" : strerror(err),
			      err == ENOENT ? " (FNSHIELD_POLICY_FILE must name an existing file)" : "");
		return -1;
	}
	if (fs_image_is(map, len) || ends_with(path, FS_IMAGE_SUFFIX)) {
		struct fs_image_options o = {.mode_override = mode, .owner = len ? 2 : 0};
		struct fs_policy *p = fs_policy_load_image(map, len, &o, errs);
		if (!p)
			return -1;
		/* Compiled on a machine where a link it made an alias of resolves otherwise: the
		 * tables would be wrong here, the JSON it carries is not — compiled again. */
		if (!fs_policy_aliases_hold(p, 0, cfg->note, sizeof cfg->note)) {
			size_t slen;
			const char *src = fs_policy_source(p, &slen);
			int r = compile_text(src, slen, mode, cfg, errs);
			fs_policy_free(p);
			return r;
		}
		adopt(p, mode, cfg);
		return 0;
	}
	int r = compile_text(map ? map : "", len, mode, cfg, errs);
	if (map)
		munmap(map, len);
	return r;
}

int fs_config_load_file(const char *path, const char *mode_env, struct fs_config *cfg,
			struct fs_errors *errs)
{
	memset(cfg, 0, sizeof *cfg);
	memset(errs, 0, sizeof *errs);
	int mode = fs_config_mode(mode_env, errs);
	if (mode == -2)
		return -1;
	cfg->source = FS_SOURCE_FILE;
	cfg->file_path = cfg->file_path_copy = strdup(path);
	if (!cfg->file_path || load_file(path, mode, cfg, errs) < 0) {
		fs_config_free(cfg);
		return -1;
	}
	return 0;
}

int fs_config_adopt(struct fs_policy *p, const char *policy_env, const char *policy_file_env,
		    const char *mode_env, struct fs_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->source = policy_file_env ? FS_SOURCE_FILE : policy_env ? FS_SOURCE_ENV : FS_SOURCE_DEFAULT;
	cfg->file_path = policy_file_env; /* not copied: no malloc in a child's start (config.h) */
	adopt(p, fs_config_mode(mode_env, NULL), cfg);
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
	int mode = fs_config_mode(mode_env, errs);
	if (mode == -2)
		return -1;
	if (policy_env) {
		cfg->source = FS_SOURCE_ENV;
		return compile_text(policy_env, strlen(policy_env), mode, cfg, errs);
	}
	cfg->source = FS_SOURCE_DEFAULT;
	return compile_text(fs_default_policy_json, strlen(fs_default_policy_json), mode, cfg, errs);
}

char *fs_read_policy_text(const char *path, size_t *len, int *err)
{
	char *text = fs_read_file(path, FS_POLICY_FILE_MAX, len, err);
	if (!text || !(fs_image_is(text, *len) || ends_with(path, FS_IMAGE_SUFFIX)))
		return text;
	/* A compiled policy: the JSON it was compiled from (checked like any image). */
	struct fs_policy *p = fs_policy_load_image(text, *len, NULL, NULL);
	char *src = NULL;
	if (p) {
		const char *s = fs_policy_source(p, len);
		if ((src = malloc(*len + 1)))
			memcpy(src, s, *len + 1);
		else
			*err = ENOMEM;
		fs_policy_free(p);
	} else {
		*err = EINVAL;
	}
	free(text);
	return src;
}

void fs_config_free(struct fs_config *cfg)
{
	fs_policy_free(cfg->policy);
	free(cfg->file_path_copy);
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
