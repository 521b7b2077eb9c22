/*
 * envprop.h — the protected process tree: what every exec passes on.
 *
 * SPEC: "A process started by a protected process is protected by the same policy, whatever
 * environment the parent hands it." Each exec hook rewrites the environment the new program
 * gets: LD_PRELOAD keeps (or regains) libfnshield.so, the policy variables are the parent's
 * (an attacker's FNSHIELD_POLICY or FNSHIELD_MODE in a child's environment is replaced, not
 * obeyed), and _FNSHIELD_LOG_FD says where the tree's log stream is (logfd.h). The new array
 * lives on the caller's stack (the hook's): no allocation, so it works in vfork children.
 */
#ifndef FNSHIELD_ENVPROP_H
#define FNSHIELD_ENVPROP_H

#include <stddef.h>

/* Entries we add, at most. */
#define ENVPROP_EXTRA 11

/* Prepare the entries from the configuration in force (at load). lib_path: this library.
 * policy_var: "FNSHIELD_POLICY=" or "FNSHIELD_POLICY_FILE=" with its value (NULL for the
 * default policy); digest: the policy file's SHA-256 for "_FNSHIELD_POLICY_SHA256=", or NULL;
 * mode: "alert"/"block". Copies what it keeps. */
int envprop_init(const char *lib_path, const char *policy_var, const char *policy_value,
		 const char *digest, const char *mode);

/* One more entry for every child ("NAME=value"), at load. */
int envprop_add(const char *entry);

/* Number of entries in envp (NULL counts as empty). */
size_t envprop_count(char *const envp[]);

/* Size of the buffer envprop_build needs for a merged LD_PRELOAD value. */
size_t envprop_ldbuf_size(char *const envp[]);

/*
 * Write the child's environment into out (room for envprop_count(envp) + ENVPROP_EXTRA + 1
 * pointers): envp without our variables, then ours. buf (envprop_ldbuf_size bytes) holds the
 * entries built per call (a merged LD_PRELOAD, the list of what was added). Returns out.
 */
char **envprop_build(char *const envp[], char **out, char *buf);

/* The environment for the new program, in the calling function's stack frame (a vfork
 * child may not allocate). Declares `char **newenv`. */
#define CHILD_ENV(newenv, envp)                                                                 \
	char *newenv##_v[envprop_count(envp) + ENVPROP_EXTRA + 1];                                \
	char newenv##_ld[envprop_ldbuf_size(envp)];                                               \
	char **newenv = envprop_build((envp), newenv##_v, newenv##_ld)

/* This library's path (for the CLI and tests). */
const char *envprop_lib_path(void);



/* In a child, at load: take out of environ what the parent's exec hook added (and give back a
 * caller's own LD_PRELOAD), so the program sees the environment its parent meant it to see. */
void envprop_hide_injected(void);

/* Before system() and popen(), which hand glibc's internal spawn the process's own `environ`:
 * put our variables back into environ if the application removed or changed them (Python's
 * `del os.environ["LD_PRELOAD"]` reaches the C environment). Not for vfork children. */
void envprop_repair_environ(void);
#endif
