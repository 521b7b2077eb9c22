/*
 * config.h — where the policy comes from: FNSHIELD_POLICY, FNSHIELD_POLICY_FILE, FNSHIELD_MODE.
 *
 * Shared by the preload library (at load) and the CLI (`fnshield check`), so both accept and
 * refuse exactly the same configurations with the same messages.
 */
#ifndef FNSHIELD_CONFIG_H
#define FNSHIELD_CONFIG_H

#include "policy.h"

enum fs_source { FS_SOURCE_DEFAULT, FS_SOURCE_ENV, FS_SOURCE_FILE };

struct fs_config {
	struct fs_policy *policy;
	enum fs_source source;
	const char *file_path; /* FS_SOURCE_FILE: the path as given */
	char *file_path_copy;  /* its copy (heap), when the caller's string may not last */
	char digest[65];      /* SHA-256 of the policy text, hex */
	enum fs_mode mode;    /* in force, after FNSHIELD_MODE */
	int mode_overridden;  /* FNSHIELD_MODE was set */
	/* A compiled file whose aliases do not hold here was compiled again from the JSON it
	 * carries: what differed (for `fnshield check`), else "". */
	char note[256];
};

/* The environment's values (NULL when unset). expected_digest: when a parent process passed
 * the digest of the policy file it loaded, a child refuses a file whose content differs.
 * Returns 0 and fills cfg, or -1 with errs filled (nothing to free). */
int fs_config_load(const char *policy_env, const char *policy_file_env, const char *mode_env,
		   const char *expected_digest, struct fs_config *cfg, struct fs_errors *errs);

/* Compile a policy file as `fnshield check FILE` does. */
int fs_config_load_file(const char *path, const char *mode_env, struct fs_config *cfg,
			struct fs_errors *errs);

/* FNSHIELD_MODE's value: -1 unset, an enum fs_mode, or -2 with the error added to errs (if
 * not NULL). */
int fs_config_mode(const char *mode_env, struct fs_errors *errs);

/* A configuration around a policy that came another way (a parent's shared copy): the
 * source named by the same variables, the digest and mode the policy carries. Allocates
 * nothing: cfg->file_path is policy_file_env itself, which must outlive cfg. 0, or -1. */
int fs_config_adopt(struct fs_policy *p, const char *policy_env, const char *policy_file_env,
		    const char *mode_env, struct fs_config *cfg);

void fs_config_free(struct fs_config *cfg);

/* Where a policy comes from, for the start and error lines and `fnshield check`:
 * "file:/path", "env:FNSHIELD_POLICY", or "default" (neither variable set) — from the
 * variables' values (a file given to `fnshield check FILE` is file_env). The one home of
 * these labels: before a configuration is loaded (its errors) and after. */
void fs_config_source_label(const char *policy_env, const char *file_env, char *buf, size_t cap);

/* The same, for a loaded configuration. */
void fs_config_source_name(const struct fs_config *cfg, char *buf, size_t cap);

/* Add an error without position (configuration rather than policy text). */
void fs_errors_add(struct fs_errors *errs, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Read a whole file with raw system calls (the preload library must not go through its own
 * hooks). Returns a NUL-terminated heap buffer, or NULL with *err set to an errno value. */
char *fs_read_file(const char *path, size_t max, size_t *len, int *err);

#define FS_POLICY_FILE_MAX (16u << 20)

/* The JSON text of a policy file: the file itself, or a compiled policy's source (EINVAL when
 * it is a damaged one). For the commands that work on the text (learn --from). */
char *fs_read_policy_text(const char *path, size_t *len, int *err);

/* A file with this suffix is a compiled policy whatever its first bytes say, so that a
 * damaged one is reported as one rather than as bad JSON. */
#define FS_IMAGE_SUFFIX ".fnsp"

/* What a launcher (the exec wrapper, `fnshield run`) or a protected parent added to a new
 * process's environment, so that the library takes it back out at load (shim/envprop.c) and
 * the program sees the environment it would have had: the names it added, comma-separated, and
 * the LD_PRELOAD it extended. */
#define FS_ENV_ADDED "_FNSHIELD_ADDED"
#define FS_ENV_ORIG_LD_PRELOAD "_FNSHIELD_ORIG_LD_PRELOAD"

#endif
