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
#include <stdio.h>
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

/* ---- a compiled policy on another machine --------------------------------------------------
 * An image records the aliases it was compiled with ("pattern\0alias\0"…, image.c). Links
 * differ between machines (/bin/sh is dash on Debian, bash on Amazon Linux), so a compiled
 * policy is right where its aliases still hold. */

/* Does pattern have this alias here (NULL: none)? */
static bool alias_holds(const char *pat, const char *recorded)
{
	char *now = fs_glob_alias(pat);
	bool same = now ? recorded && !strcmp(now, recorded) : !recorded;
	free(now);
	return same;
}

static void say(char *what, size_t cap, const char *pat, const char *was, const char *now)
{
	if (cap)
		snprintf(what, cap, "\"%s\" was compiled as an alias of %s%s%s; here it %s%s", pat,
			 was ? "\"" : "nothing", was ? was : "", was ? "\"" : "",
			 now ? "resolves to " : "has no alias", now ? now : "");
}

int fs_policy_aliases_hold(const struct fs_policy *p, int all, char *what, size_t cap)
{
	if (!p->resolved_aliases)
		return 1;
	/* the recorded ones: a realpath each */
	for (size_t o = 0; o < p->aliases_len;) {
		const char *pat = p->aliases + o, *alias = pat + strlen(pat) + 1;
		if ((size_t)(alias - p->aliases) >= p->aliases_len)
			break;
		if (!alias_holds(pat, alias)) {
			char *now = fs_glob_alias(pat);
			say(what, cap, pat, alias, now);
			free(now);
			return 0;
		}
		o = (size_t)(alias - p->aliases) + strlen(alias) + 1;
	}
	if (!all)
		return 1;
	/* every other path pattern: still without one? */
	for (int in_init = 0; in_init < 2; in_init++)
		for (int c = 0; c < FS_NCATEGORIES; c++) {
			const struct fs_rules *r = in_init ? p->init[c] : p->rules[c];
			if (!r || (c != FS_EXEC && c != FS_READ && c != FS_WRITE))
				continue;
			for (int l = 0; l < 3; l++)
				for (uint32_t i = 0; i < r->n[l]; i++) {
					const char *pat = r->strings + r->text[l][i];
					bool recorded = false;
					for (size_t o = 0; o < p->aliases_len && !recorded;) {
						const char *rp = p->aliases + o, *ra = rp + strlen(rp) + 1;
						recorded = !strcmp(rp, pat);
						o = (size_t)(ra - p->aliases) + strlen(ra) + 1;
					}
					char *now = recorded ? NULL : fs_glob_alias(pat);
					if (now) {
						say(what, cap, pat, NULL, now);
						free(now);
						return 0;
					}
				}
		}
	return 1;
}
