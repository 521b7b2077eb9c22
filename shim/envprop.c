/*
 * envprop.c — carry the protection into every child (see envprop.h).
 */
#include "envprop.h"
#include "policy_share.h"
#include "config.h"
#include "lambda.h"
#include "logfd.h"
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *lib_path SHIM_LOAD_STATE; /* this library, absolute */
static const char *extra[ENVPROP_EXTRA] SHIM_LOAD_STATE;
static int nextra SHIM_LOAD_STATE;

/* The entries' text: here when it fits (a child's start then allocates nothing: its first
 * malloc would cost it ~0.1 ms on this kind of machine), else malloc (a large policy in
 * FNSHIELD_POLICY). */
static char store[2048] SHIM_LOAD_STATE;
static size_t store_used SHIM_LOAD_STATE;

/* "name" followed by "value", kept for the process's life. */
static const char *keep(const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);
	char *s = n + v < sizeof store - store_used ? store + store_used : malloc(n + v + 1);
	if (!s)
		return NULL;
	if (s == store + store_used)
		store_used += n + v + 1;
	memcpy(s, name, n);
	memcpy(s + n, value, v + 1);
	return s;
}

/* Variables the child gets from us and never from the caller. */
static const char *const owned_prefixes[] = {
	"FNSHIELD_POLICY=", "FNSHIELD_POLICY_FILE=", "FNSHIELD_MODE=", "FNSHIELD_SECCOMP=",
	"_FNSHIELD_",
};

int envprop_init(const char *lib, const char *policy_var, const char *policy_value,
		 const char *digest, const char *mode)
{
	lib_path = keep("", lib);
	nextra = 0;
	if (policy_var)
		extra[nextra++] = keep(policy_var, policy_value);
	if (digest)
		extra[nextra++] = keep("_FNSHIELD_POLICY_SHA256=", digest);
	extra[nextra++] = keep("FNSHIELD_MODE=", mode);
	for (int i = 0; i < nextra; i++)
		if (!extra[i])
			return -1;
	return lib_path ? 0 : -1;
}

int envprop_add(const char *entry)
{
	if (nextra >= ENVPROP_EXTRA - 4 || !(extra[nextra] = keep("", entry)))
		return -1;
	nextra++;
	return 0;
}

const char *envprop_lib_path(void) { return lib_path; }

size_t envprop_count(char *const envp[])
{
	size_t n = 0;
	if (envp)
		while (envp[n])
			n++;
	return n;
}

static int has_prefix(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

static int owned(const char *entry)
{
	for (size_t i = 0; i < sizeof owned_prefixes / sizeof *owned_prefixes; i++)
		if (has_prefix(entry, owned_prefixes[i]))
			return 1;
	return 0;
}

static const char *find_ld_preload(char *const envp[])
{
	const char *found = NULL;
	for (size_t i = 0; envp && envp[i]; i++)
		if (has_prefix(envp[i], "LD_PRELOAD="))
			found = envp[i] + sizeof "LD_PRELOAD=" - 1; /* the last one wins, as in ld.so */
	return found;
}

/* Does the LD_PRELOAD value (':' or ' ' separated) already name our library? */
static int lists_us(const char *value)
{
	size_t ll = strlen(lib_path);
	for (const char *p = value; *p;) {
		size_t n = strcspn(p, ": ");
		if (n == ll && !memcmp(p, lib_path, ll))
			return 1;
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

/* Our entries that the caller did not pass as they are get listed in _FNSHIELD_ADDED, and a
 * caller's own LD_PRELOAD that we extended is kept in _FNSHIELD_ORIG_LD_PRELOAD: the child
 * takes them back out of its environment at load (envprop_hide_injected), so a program
 * started with env={} sees the environment it was given. */
#define ADDED_VAR FS_ENV_ADDED "="
#define ORIG_VAR FS_ENV_ORIG_LD_PRELOAD "="
#define ADDED_NAMES_MAX 160

size_t envprop_ldbuf_size(char *const envp[])
{
	const char *cur = find_ld_preload(envp);
	size_t curlen = cur ? strlen(cur) : 0;
	return sizeof "LD_PRELOAD=" + strlen(lib_path) + 1 + curlen + /* merged LD_PRELOAD */
	       sizeof ORIG_VAR + curlen +                                /* the caller's value */
	       LAMBDA_ENV_MAX +                                          /* phase, invocation */
	       sizeof ADDED_VAR + ADDED_NAMES_MAX;                       /* names we added */
}

static int present(char *const envp[], const char *entry)
{
	for (size_t i = 0; envp && envp[i]; i++)
		if (!strcmp(envp[i], entry))
			return 1;
	return 0;
}

/* Append "NAME," of an entry to the list unless the caller passed the entry as it is. */
static char *note_added(char *list, char *end, char *const envp[], const char *entry)
{
	if (present(envp, entry))
		return list;
	size_t n = strcspn(entry, "=");
	if (list + n + 1 >= end)
		return list;
	memcpy(list, entry, n);
	list[n] = ',';
	return list + n + 1;
}

char **envprop_build(char *const envp[], char **out, char *buf)
{
	size_t n = 0;
	const char *cur = find_ld_preload(envp);
	for (size_t i = 0; envp && envp[i]; i++) {
		if (owned(envp[i]) || has_prefix(envp[i], "LD_PRELOAD="))
			continue;
		out[n++] = envp[i];
	}
	/* LD_PRELOAD: ours first, then whatever the caller wanted preloaded. */
	char *ld = buf, *p = buf;
	memcpy(p, "LD_PRELOAD=", sizeof "LD_PRELOAD=" - 1);
	p += sizeof "LD_PRELOAD=" - 1;
	if (cur && lists_us(cur)) {
		strcpy(p, cur);
	} else {
		size_t ll = strlen(lib_path);
		memcpy(p, lib_path, ll);
		p += ll;
		if (cur && *cur) {
			*p++ = ':';
			strcpy(p, cur);
		} else {
			*p = 0;
		}
	}
	p += strlen(p) + 1;
	out[n++] = ld;
	if (cur && !present(envp, ld)) {
		char *orig = p;
		memcpy(p, ORIG_VAR, sizeof ORIG_VAR - 1);
		strcpy(p + sizeof ORIG_VAR - 1, cur);
		p += strlen(orig) + 1;
		out[n++] = orig;
	}

	if (g_shim.have_runtime_api) {
		char *lam = p;
		lambda_env_entry(lam, LAMBDA_ENV_MAX);
		p += strlen(lam) + 1;
		out[n++] = lam;
	}

	const char *logfd = logfd_env_entry();
	char *added = p, *list = p + sizeof ADDED_VAR - 1, *end = list + ADDED_NAMES_MAX;
	memcpy(added, ADDED_VAR, sizeof ADDED_VAR - 1);
	if (!cur)
		list = note_added(list, end, envp, ld);
	for (int i = 0; i < nextra; i++) {
		list = note_added(list, end, envp, extra[i]);
		out[n++] = (char *)extra[i];
	}
	if (g_shim.have_runtime_api)
		list = note_added(list, end, envp, LAMBDA_ENV "=");
	if (logfd[0]) {
		list = note_added(list, end, envp, logfd);
		out[n++] = (char *)logfd;
	}
	const char *shared = policy_share_env_entry();
	if (shared[0]) {
		list = note_added(list, end, envp, shared);
		out[n++] = (char *)shared;
	}
	*list = 0;
	out[n++] = added;
	out[n] = NULL;
	return out;
}

/* Called at load, after the configuration has been read from the environment. */
void envprop_hide_injected(void)
{
	const char *added = getenv(FS_ENV_ADDED);
	const char *orig = getenv(FS_ENV_ORIG_LD_PRELOAD);
	if (added) {
		char names[ADDED_NAMES_MAX + 1];
		size_t n = strnlen(added, ADDED_NAMES_MAX); /* not snprintf: no stdio at a child's start */
		memcpy(names, added, n);
		names[n] = 0;
		for (char *save = NULL, *name = strtok_r(names, ",", &save); name;
		     name = strtok_r(NULL, ",", &save))
			unsetenv(name);
		unsetenv(FS_ENV_ADDED);
	}
	if (orig) {
		setenv("LD_PRELOAD", orig, 1);
		unsetenv(FS_ENV_ORIG_LD_PRELOAD);
	}
}


static void set_entry(const char *entry)
{
	const char *eq = strchr(entry, '=');
	if (!eq)
		return;
	char name[64];
	size_t n = (size_t)(eq - entry);
	if (n >= sizeof name)
		return;
	memcpy(name, entry, n);
	name[n] = 0;
	setenv(name, eq + 1, 1);
}

void envprop_repair_environ(void)
{
	extern char **environ;
	if (!lib_path)
		return;
	char *const *env = environ;
	size_t n = envprop_count(env);
	char *want[n + ENVPROP_EXTRA + 1];
	char ld[envprop_ldbuf_size(env)];
	envprop_build(env, want, ld);
	/* Ours are the entries after the caller's own; the caller's own owned ones are gone. */
	for (size_t i = 0; env[i]; i++) {
		if (owned(env[i]) && !present(want, env[i])) {
			char name[64];
			size_t k = strcspn(env[i], "=");
			if (k < sizeof name) {
				memcpy(name, env[i], k);
				name[k] = 0;
				unsetenv(name);
				env = environ;
				i = (size_t)-1; /* environ changed under us: start over */
			}
		}
	}
	for (size_t i = 0; want[i]; i++)
		if (!present(environ, want[i]))
			set_entry(want[i]);
}
