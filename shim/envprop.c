/*
 * envprop.c — carry the protection into every child (see envprop.h).
 */
#include "envprop.h"
#include "logfd.h"

#include <stdlib.h>
#include <string.h>

static char *lib_path;            /* this library, absolute */
static const char *extra[ENVPROP_EXTRA];
static int nextra;
static char *mode_entry;

/* Variables the child gets from us and never from the caller. */
static const char *const owned_prefixes[] = {
	"FNSHIELD_POLICY=", "FNSHIELD_POLICY_FILE=", "FNSHIELD_MODE=", "_FNSHIELD_",
};

int envprop_init(const char *lib, const char *policy_entry, const char *digest_entry,
		 const char *mode)
{
	lib_path = strdup(lib);
	size_t ml = strlen(mode);
	mode_entry = malloc(sizeof "FNSHIELD_MODE=" + ml);
	if (!lib_path || !mode_entry)
		return -1;
	memcpy(mode_entry, "FNSHIELD_MODE=", sizeof "FNSHIELD_MODE=" - 1);
	memcpy(mode_entry + sizeof "FNSHIELD_MODE=" - 1, mode, ml + 1);
	nextra = 0;
	if (policy_entry)
		extra[nextra++] = strdup(policy_entry);
	if (digest_entry)
		extra[nextra++] = strdup(digest_entry);
	extra[nextra++] = mode_entry;
	for (int i = 0; i < nextra; i++)
		if (!extra[i])
			return -1;
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

size_t envprop_ldbuf_size(char *const envp[])
{
	const char *cur = find_ld_preload(envp);
	return sizeof "LD_PRELOAD=" + strlen(lib_path) + 1 + (cur ? strlen(cur) : 0);
}

char **envprop_build(char *const envp[], char **out, char *ldbuf)
{
	size_t n = 0;
	const char *cur = find_ld_preload(envp);
	for (size_t i = 0; envp && envp[i]; i++) {
		if (owned(envp[i]) || has_prefix(envp[i], "LD_PRELOAD="))
			continue;
		out[n++] = envp[i];
	}
	/* LD_PRELOAD: ours first, then whatever the caller wanted preloaded. */
	char *p = ldbuf;
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
	out[n++] = ldbuf;
	for (int i = 0; i < nextra; i++)
		out[n++] = (char *)extra[i];
	const char *logfd = logfd_env_entry();
	if (logfd[0])
		out[n++] = (char *)logfd;
	out[n] = NULL;
	return out;
}

static int present(char *const envp[], const char *entry)
{
	for (size_t i = 0; envp && envp[i]; i++)
		if (!strcmp(envp[i], entry))
			return 1;
	return 0;
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
