// glob.c — path patterns (exec, read, write): syntax, normalisation, NFA fragments.
//
// Syntax (SPEC: "absolute path globs: * and ? stay within one path component, ** spans
// components"):
//
//   *        any run of bytes except '/'
//   ?        one byte except '/'
//   [...]    one byte of a class: ranges (a-z), negation with ! or ^ as first character, ']'
//            first is literal, \x escapes x; never matches '/'
//   \x       the byte x itself
//   **       a whole component only: zero or more whole path components
//
// As regular expressions: "/a/**" + "/b" is "/a(/.*)?/b", a trailing "/a/**" is "/a(/.*)?"
// (so it matches the directory itself too), and "/**" matches every path. Paths are matched
// after normalisation, so patterns are normalised the same way ("//" collapsed, trailing '/'
// dropped) and may not contain "." or ".." components, which could never match.
//
// Everything is on bytes, case-sensitive, like the kernel's view of paths. Non-ASCII bytes
// are not accepted inside [...]: a class matches one byte, and a multi-byte UTF-8 character in
// one would silently match parts of other characters.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { G_BYTE, G_SET, G_STAR, G_GLOBSTAR };

struct gtok {
	uint8_t kind;
	uint8_t byte;
	uint8_t bits[32];
};

static void not_slash(uint8_t bits[32])
{
	memset(bits, 0xff, 32);
	fs_bits_clr(bits, '/');
}

/* One character inside [...], escape-aware; -1 after reporting an error. */
static int class_char(const char *p, size_t len, size_t *j, char *err, size_t cap)
{
	unsigned char c = (unsigned char)p[*j];
	if (c == '\\') {
		if (*j + 1 >= len) {
			snprintf(err, cap, "unclosed '[' (write \\[ for a literal '[')");
			return -1;
		}
		c = (unsigned char)p[*j + 1];
		*j += 2;
	} else {
		*j += 1;
	}
	if (c == '/') {
		snprintf(err, cap, "'/' inside [...]: a class never matches '/', which always separates "
			 "components");
		return -1;
	}
	if (c >= 0x80) {
		snprintf(err, cap, "non-ASCII character inside [...]: a class matches one byte; use '?' or "
			 "'*' for other characters");
		return -1;
	}
	return c;
}

/* p[*i] == '['. Parses the class into bits. */
static int parse_class(const char *p, size_t len, size_t *i, uint8_t bits[32], char *err, size_t cap)
{
	size_t j = *i + 1;
	bool neg = false, first = true;
	memset(bits, 0, 32);
	if (j < len && (p[j] == '!' || p[j] == '^')) {
		neg = true;
		j++;
	}
	for (;;) {
		if (j >= len) {
			snprintf(err, cap, "unclosed '[' (write \\[ for a literal '[')");
			return -1;
		}
		if (p[j] == ']' && !first) {
			j++;
			break;
		}
		if (p[j] == '[' && j + 1 < len && (p[j + 1] == ':' || p[j + 1] == '=' || p[j + 1] == '.')) {
			snprintf(err, cap, "POSIX classes such as [:alpha:] are not supported inside [...]; use "
				 "ranges such as [a-zA-Z]");
			return -1;
		}
		first = false;
		int lo = class_char(p, len, &j, err, cap);
		if (lo < 0)
			return -1;
		int hi = lo;
		if (j + 1 < len && p[j] == '-' && p[j + 1] != ']') {
			j++;
			hi = class_char(p, len, &j, err, cap);
			if (hi < 0)
				return -1;
			if (hi < lo) {
				snprintf(err, cap, "range '%c-%c' in [...] is backwards", lo, hi);
				return -1;
			}
		}
		for (int c = lo; c <= hi; c++)
			fs_bits_set(bits, (unsigned)c);
	}
	if (neg)
		for (int k = 0; k < 32; k++)
			bits[k] = (uint8_t)~bits[k];
	fs_bits_clr(bits, '/');
	fs_bits_clr(bits, 0);
	bool any = false;
	for (int k = 0; k < 32; k++)
		any |= bits[k] != 0;
	if (!any) {
		snprintf(err, cap, "[...] matches no character");
		return -1;
	}
	*i = j;
	return 0;
}

/*
 * Pattern → tokens, normalised. toks must have room for 2 * strlen(pat) + 2 entries (a byte
 * of the pattern yields at most two tokens).
 */
static int parse(const char *p, struct gtok *t, size_t *ntok, char *err, size_t cap)
{
	size_t len = strlen(p), i = 0, n = 0;
	int ncomp = 0;
	bool prev_globstar = false;

	if (len == 0) {
		snprintf(err, cap, "empty pattern; expected an absolute path such as \"/tmp/**\"");
		return -1;
	}
	if (p[0] != '/') {
		snprintf(err, cap, "path patterns are absolute: expected a leading '/'%s",
			 p[0] == '*' ? " (\"/**/name\" matches name in any directory)" : "");
		return -1;
	}
	while (i < len) {
		while (i < len && p[i] == '/') /* "//" collapses; a trailing '/' vanishes */
			i++;
		if (i == len)
			break;
		size_t cstart = i, tfirst = n + 1; /* t[n] is reserved for the component's '/' */
		size_t k = tfirst;
		bool wild = false, doublestar = false;
		while (i < len && p[i] != '/') {
			unsigned char c = (unsigned char)p[i];
			if (c == '*') {
				wild = true;
				if (k > tfirst && t[k - 1].kind == G_STAR)
					doublestar = true;
				else
					t[k++] = (struct gtok){ .kind = G_STAR };
				i++;
				continue;
			}
			if (c == '?') {
				t[k] = (struct gtok){ .kind = G_SET };
				not_slash(t[k++].bits);
				wild = true;
				i++;
				continue;
			}
			if (c == '[') {
				t[k] = (struct gtok){ .kind = G_SET };
				if (parse_class(p, len, &i, t[k].bits, err, cap) < 0)
					return -1;
				k++;
				wild = true;
				continue;
			}
			if (c == '\\') {
				if (i + 1 == len) {
					snprintf(err, cap, "the pattern ends with a lone '\\' (write \\\\ for a "
						 "backslash)");
					return -1;
				}
				c = (unsigned char)p[i + 1];
				if (c == '/') {
					snprintf(err, cap, "'\\/' is not allowed: '/' always separates components");
					return -1;
				}
				i++;
			}
			t[k++] = (struct gtok){ .kind = G_BYTE, .byte = c };
			i++;
		}
		size_t clen = i - cstart;
		ncomp++;
		if (clen == 2 && p[cstart] == '*' && p[cstart + 1] == '*') {
			if (!prev_globstar) // "/**" + "/**" is the same as one
				t[n++] = (struct gtok){ .kind = G_GLOBSTAR };
			prev_globstar = true;
			continue;
		}
		if (doublestar) {
			snprintf(err, cap, "'**' must be a whole path component (\"/a/**\", \"/a/**/b\"); "
				 "use '*' to match within one component");
			return -1;
		}
		size_t m = k - tfirst;
		if (!wild && m <= 2 && t[tfirst].byte == '.' && (m == 1 || t[tfirst + 1].byte == '.')) {
			snprintf(err, cap, "'.' and '..' components are not allowed: paths are normalised "
				 "before matching, so they never match");
			return -1;
		}
		if (m == 1 && t[tfirst].kind == G_STAR) {
			// A component is never empty in a normalised path, except the root's: without
			// this, "/*" would match "/" itself (unlike "/a/*", which never matches "/a").
			t[tfirst] = (struct gtok){ .kind = G_SET };
			not_slash(t[tfirst].bits);
			t[k++] = (struct gtok){ .kind = G_STAR };
		}
		t[n] = (struct gtok){ .kind = G_BYTE, .byte = '/' };
		n = k;
		prev_globstar = false;
	}
	if (ncomp == 0) /* "/" itself */
		t[n++] = (struct gtok){ .kind = G_BYTE, .byte = '/' };
	*ntok = n;
	return 0;
}

int fs_glob_check(const char *pat, char *err, size_t errcap)
{
	size_t len = strlen(pat), n;
	struct gtok *t = malloc((2 * len + 2) * sizeof *t);
	if (!t) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	int rc = parse(pat, t, &n, err, errcap);
	free(t);
	return rc;
}

int fs_glob_add(struct fs_nfa *a, const char *pat, uint32_t rank)
{
	size_t len = strlen(pat), n;
	char err[160];
	struct gtok *t = malloc((2 * len + 2) * sizeof *t);
	if (!t)
		return -1;
	if (parse(pat, t, &n, err, sizeof err) < 0) {
		free(t);
		return -1;
	}
	uint8_t bits[32];
	not_slash(bits);
	uint32_t set_notslash = fs_nfa_set(a, bits);

	/* from the root, token by token: prefixes shared with earlier patterns are reused */
	uint32_t j = fs_nfa_root(a);
	for (size_t k = 0; k < n; k++) {
		switch (t[k].kind) {
		case G_BYTE:
			j = fs_nfa_step(a, j, FS_TOK_ONE, fs_nfa_byte(a, t[k].byte));
			break;
		case G_SET:
			j = fs_nfa_step(a, j, FS_TOK_ONE, fs_nfa_set(a, t[k].bits));
			break;
		case G_STAR:
			j = fs_nfa_step(a, j, FS_TOK_STAR, set_notslash);
			break;
		case G_GLOBSTAR:
			j = fs_nfa_step(a, j, FS_TOK_GLOBSTAR, 0);
			break;
		}
	}
	fs_nfa_accept(a, j, rank);
	free(t);
	return a->oom || a->too_big ? -1 : 0;
}
