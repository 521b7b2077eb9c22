// aliases.c — the spelling of a path pattern after symbolic links (resolve_aliases).
//
// The shim matches the path the kernel would really open or run, symlinks resolved, so that a
// symlink is no way around a rule (SPEC). A rule written as "/bin/sh" must then also catch
// "/usr/bin/dash" on a merged-/usr Debian, and "/bin/*" must catch "/usr/bin/x". So for each
// pattern its literal directory prefix — the components before the first one with a wildcard
// — is resolved with realpath(3), or the whole pattern when it has no wildcard; when the
// result differs, the resolved spelling is added as an extra pattern with the same rank.
//
// Components that do not exist (yet: a write rule for a file still to be created) are kept as
// written after their longest existing ancestor, resolved. When nothing resolves, or the
// result is the pattern itself, there is no alias.
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool is_wild(char c)
{
	return c == '*' || c == '?' || c == '[';
}

/* Append s (unescaped, a real path) to out, escaping what a pattern would read as syntax. */
static size_t put_escaped(char *out, size_t o, const char *s)
{
	for (; *s; s++) {
		if (strchr("*?[]\\", *s))
			out[o++] = '\\';
		out[o++] = *s;
	}
	return o;
}

char *fs_glob_alias(const char *pat)
{
	size_t len = strlen(pat);
	/* The literal prefix, unescaped and with "//" collapsed, and where the rest begins. */
	char *lit = malloc(len + 2);
	if (!lit)
		return NULL;
	size_t o = 0, i = 0, rest = len;
	bool whole = true;          /* no wildcard at all */
	while (i < len) {
		while (i < len && pat[i] == '/')
			i++;
		if (i == len)
			break;
		size_t cstart = i, save = o;
		bool wild = false;
		lit[o++] = '/';
		while (i < len && pat[i] != '/') {
			if (pat[i] == '\\' && i + 1 < len) {
				lit[o++] = pat[i + 1];
				i += 2;
				continue;
			}
			if (is_wild(pat[i]))
				wild = true;
			lit[o++] = pat[i++];
		}
		if (wild) {
			o = save;
			rest = cstart - 1; /* the '/' before the wild component */
			whole = false;
			break;
		}
	}
	lit[o] = 0;
	if (o == 0) { // "/" or "/**": nothing to resolve
		free(lit);
		return NULL;
	}

	/* What the literal part really is on this machine: its longest existing ancestor
	 * resolved, the components that do not exist (yet) kept as written. */
	char *real = NULL;
	size_t cut = o; /* lit[0..cut) is being resolved */
	while (cut > 0 && !real) {
		char save = lit[cut];
		lit[cut] = 0;
		char *r = realpath(lit, NULL);
		lit[cut] = save;
		if (r) {
			size_t rl = strcmp(r, "/") == 0 ? 0 : strlen(r);
			real = malloc(rl + (o - cut) + 2);
			if (real) {
				memcpy(real, r, rl);
				memcpy(real + rl, lit + cut, o - cut);
				real[rl + o - cut] = 0;
				if (!real[0]) /* a link to "/" itself */
					strcpy(real, "/");
			}
			free(r);
			break;
		}
		while (cut > 0 && lit[cut - 1] != '/')
			cut--;
		if (cut > 0)
			cut--; /* drop the '/' too */
	}
	char *alias = NULL;
	if (real && strcmp(real, lit) != 0) {
		const char *tail = whole ? "" : pat + rest; /* raw pattern text after the prefix */
		alias = malloc(2 * strlen(real) + strlen(tail) + 2);
		if (alias) {
			size_t a = put_escaped(alias, 0, real);
			strcpy(alias + a, tail); /* "/" + "/x" gives "//x": patterns collapse "//" */
		}
	}
	free(real);
	free(lit);
	return alias;
}
