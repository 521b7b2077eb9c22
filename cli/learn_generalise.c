/*
 * learn_generalise.c — `fnshield learn`: generalising names. A path becomes a glob
 * where a part of it looks generated (a per-run scratch directory, a temporary file name, a
 * UUID, a process id); exec paths stay exact. Hosts on one port become "*.domain:PORT" when
 * --wildcard-threshold of them share a domain. The rules, with examples: learn.c's header.
 * Which candidates are kept is learn_choose.c's (set cover).
 */
#include "learn.h"

#include <stdlib.h>

/* ---- paths ----------------------------------------------------------------------------------- */

static const char *const TEMP_ROOTS[] = {"/tmp", "/var/tmp", "/dev/shm"};

/* A path as an exact pattern: glob syntax escaped. Bytes the log could not show (each
 * non-UTF-8 byte became U+FFFD) become one '*': it matches the real bytes and the log's
 * spelling alike, within the component. */
void put_literal(struct sb *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBF &&
		    (unsigned char)s[i + 2] == 0xBD) {
			while (i + 2 < n && (unsigned char)s[i] == 0xEF && (unsigned char)s[i + 1] == 0xBF &&
			       (unsigned char)s[i + 2] == 0xBD)
				i += 3;
			i--;
			sb_putc(b, '*');
			continue;
		}
		if (strchr("*?[]\\", c))
			sb_putc(b, '\\');
		sb_putc(b, (char)c);
	}
}

/* Names seen to differ between runs only in their middle: [pre, len - suf) is generated. */
struct hint {
	char *root_name;          /* "/tmp/name" */
	size_t pre, suf;
	int group;                /* how many names share the shape */
};

static struct hint *g_hints;
static size_t g_nhints;

static const struct hint *hint_for(const char *root, const char *name, size_t n)
{
	for (size_t i = 0; i < g_nhints; i++) {
		size_t rl = strlen(root);
		const char *h = g_hints[i].root_name;
		if (!strncmp(h, root, rl) && h[rl] == '/' && strlen(h + rl + 1) == n &&
		    !memcmp(h + rl + 1, name, n))
			return &g_hints[i];
	}
	return NULL;
}

static bool is_uuid_at(const char *s, size_t n)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	if (n < 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		if (shape[i] == '-' ? s[i] != '-' : !is_hex((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* A token that looks random: letters and digits (or lower and upper case) alternating. */
static bool looks_random(const char *s, size_t n, int min_changes)
{
	int digit = 0, letter = 0, changes = 0, case_ups = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		digit |= is_digit(c);
		letter |= !is_digit(c);
		if (i && is_digit(c) != is_digit((unsigned char)s[i - 1]))
			changes++;
		if (i && is_upper(c) && is_lower((unsigned char)s[i - 1]))
			case_ups++;
	}
	return (digit && letter && changes >= min_changes) || case_ups >= min_changes;
}

/*
 * Which characters of one path component look generated. mark[i] = 1 for those. Returns the
 * reason (static text), or NULL when nothing does.
 *   temp:  the component is below a scratch directory
 *   first: directly below it
 *   last:  the last component (a file name, or the directory the call names)
 *   proc:  below /proc
 */
#define MARK_VAR 1   /* generated, of varying length (a number) */
#define MARK_FIXED 2 /* generated, of a fixed length (a generator's name, a UUID, a hash) */

static const char *analyse_one(const char *c, size_t n, bool temp, bool first, bool last, bool proc,
			       char *mark)
{
	const char *why = NULL;
	memset(mark, 0, n);
	bool tmpchars = n > 0;
	for (size_t i = 0; i < n; i++)
		tmpchars &= is_digit((unsigned char)c[i]) || is_lower((unsigned char)c[i]) || c[i] == '_';
	if (temp && first && last && n == 8 && tmpchars) {
		memset(mark, MARK_FIXED, n);
		return "8 characters of [a-z0-9_], as Python's tempfile makes them";
	}
	if (temp && n >= 11 && !strncmp(c, "tmp", 3)) {
		bool ok = true;
		for (size_t i = 3; i < 11; i++)
			ok &= is_digit((unsigned char)c[i]) || is_lower((unsigned char)c[i]) || c[i] == '_';
		if (ok && (n == 11 || !is_alnum((unsigned char)c[11]))) {
			memset(mark + 3, MARK_FIXED, 8);
			return "\"tmp\" and 8 random characters, as Python's tempfile makes them";
		}
	}
	for (size_t i = 0; i + 36 <= n; i++)
		if (is_uuid_at(c + i, n - i)) {
			memset(mark + i, MARK_FIXED, 36);
			why = "a UUID";
			i += 35;
		}
	for (size_t i = 0; i < n;) {
		if (!is_alnum((unsigned char)c[i]) || mark[i]) {
			i++;
			continue;
		}
		size_t j = i;
		bool digits = true, hex = true, hexletter = false, hexdigit = false;
		while (j < n && is_alnum((unsigned char)c[j]) && !mark[j]) {
			unsigned char ch = (unsigned char)c[j];
			digits &= is_digit(ch);
			hex &= is_hex(ch);
			hexletter |= !is_digit(ch);
			hexdigit |= is_digit(ch);
			j++;
		}
		size_t len = j - i;
		const char *w = NULL;
		if (digits && (temp || proc || len >= 6))
			w = proc ? "a process id" : "a number: a process id, counter or timestamp";
		else if (hex && len >= 8 && hexletter && hexdigit)
			w = "a hex string: a hash or an id";
		else if (temp && len >= 6 && looks_random(c + i, len, 2))
			w = "a random-looking token";
		else if (!temp && len >= 12 && looks_random(c + i, len, 3))
			w = "a random-looking token";
		if (w) {
			memset(mark + i, digits ? MARK_VAR : MARK_FIXED, len);
			why = w;
		}
		i = j;
	}
	return why;
}

static const char *analyse_component(const char *root, const char *c, size_t n, bool temp, bool first,
				     bool last, bool proc, char *mark)
{
	const char *why = analyse_one(c, n, temp, first, last, proc, mark);
	if (!why && temp && first) { /* nothing in the name itself: what other runs show */
		const struct hint *h = hint_for(root, c, n);
		if (h) {
			memset(mark + h->pre, MARK_FIXED, n - h->pre - h->suf);
			why = "differs between runs";
		}
	}
	return why;
}

/* The glob for a component with generated characters marked. When the name begins with a
 * literal word ("abc-", "tmp", "file_"), each run of generated characters becomes '*'
 * ("abc-*.log"). Otherwise a '*' would stand for nearly every name ("*.bin"), so the shape is
 * kept instead: '?' per generated character, "[0-9]*" for a number (whose length varies;
 * MARK_VAR), the separators inside literally ("????????-????-…", "????????????.bin", "[0-9]*"). */
static void component_glob(struct sb *b, const char *c, size_t n, const char *mark)
{
	bool literal_word = false;
	for (size_t i = 0; i < n && !mark[i]; i++)
		literal_word |= is_alnum((unsigned char)c[i]);
	for (size_t i = 0; i < n;) {
		if (!mark[i]) {
			size_t j = i;
			while (j < n && !mark[j])
				j++;
			put_literal(b, c + i, j - i);
			i = j;
			continue;
		}
		size_t j = i;
		bool digits = true;
		while (j < n && mark[j]) {
			digits &= mark[j] == MARK_VAR;
			j++;
		}
		if (literal_word) {
			sb_putc(b, '*');
		} else if (digits) {
			sb_puts(b, "[0-9]*");
		} else {
			for (size_t k = i; k < j; k++) {
				if (is_alnum((unsigned char)c[k]) || c[k] == '_')
					sb_putc(b, '?');
				else
					put_literal(b, c + k, 1);
			}
		}
		i = j;
	}
}

/* The generalised pattern for a path (heap), with why (heap) — NULL why for exact. */
char *generalise_path(int cat, const char *path, char **why)
{
	struct sb b = {0}, w = {0};
	*why = NULL;
	if (cat == FS_EXEC) {
		put_literal(&b, path, strlen(path));
		return sb_take(&b);
	}
	const char *root = NULL;
	size_t start = 0;
	for (size_t i = 0; i < sizeof TEMP_ROOTS / sizeof *TEMP_ROOTS; i++) {
		size_t rl = strlen(TEMP_ROOTS[i]);
		if (!strncmp(path, TEMP_ROOTS[i], rl) && path[rl] == '/' && path[rl + 1]) {
			root = TEMP_ROOTS[i];
			start = rl;
		}
	}
	bool temp = root != NULL, proc = starts_with(path, "/proc/");
	put_literal(&b, path, start);
	const char *p = path + start;
	bool first = true;
	while (*p == '/') {
		const char *c = p + 1;
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		char *mark = xcalloc(n + 1, 1);
		const char *reason = n ? analyse_component(root, c, n, temp, first, e == NULL, proc, mark)
				       : NULL;
		sb_putc(&b, '/');
		if (reason) {
			component_glob(&b, c, n, mark);
			if (w.n)
				sb_puts(&w, "; ");
			if (temp)
				sb_printf(&w, "\"%.*s\" under %s looks generated (%s): %s", (int)n, c, root, reason,
					  e ? "a per-run directory, everything below it" : "the file name");
			else
				sb_printf(&w, "\"%.*s\" looks generated (%s)", (int)n, c, reason);
			free(mark);
			if (temp) {
				if (e)
					sb_puts(&b, "/**");
				*why = sb_take(&w);
				return sb_take(&b);
			}
		} else {
			put_literal(&b, c, n);
			free(mark);
		}
		first = false;
		p = c + n;
	}
	if (w.n)
		*why = sb_take(&w);
	return sb_take(&b);
}

/* Names directly under a scratch directory that differ between runs only in the middle
 * (same length, same separators, same beginning and end): the middle is generated. */
void find_hints(struct learn *L)
{
	struct cand {
		const char *root;
		char *name;
		char skel[256];
	} *cs = xcalloc(L->nt + 1, sizeof *cs);
	size_t nc = 0;
	for (size_t i = 0; i < L->nt; i++) {
		struct target *t = &L->t[i];
		if (t->decision != D_LEARN || (t->cat != FS_READ && t->cat != FS_WRITE))
			continue;
		for (size_t r = 0; r < sizeof TEMP_ROOTS / sizeof *TEMP_ROOTS; r++) {
			size_t rl = strlen(TEMP_ROOTS[r]);
			if (strncmp(t->text, TEMP_ROOTS[r], rl) || t->text[rl] != '/' || !t->text[rl + 1])
				continue;
			const char *c = t->text + rl + 1, *e = strchr(c, '/');
			size_t n = e ? (size_t)(e - c) : strlen(c);
			if (n < 6 || n >= 255)
				continue;
			char *name = strndup(c, n);
			bool dup = false;
			for (size_t k = 0; k < nc && !dup; k++)
				dup = cs[k].root == TEMP_ROOTS[r] && !strcmp(cs[k].name, name);
			if (dup) {
				free(name);
				continue;
			}
			cs[nc].root = TEMP_ROOTS[r];
			cs[nc].name = name;
			for (size_t k = 0; k < n; k++)
				cs[nc].skel[k] = is_alnum((unsigned char)name[k]) || name[k] == '_' ? 'a' : name[k];
			cs[nc].skel[n] = 0;
			nc++;
		}
	}
	bool *done = xcalloc(nc + 1, sizeof *done);
	for (size_t i = 0; i < nc; i++) {
		if (done[i])
			continue;
		size_t n = strlen(cs[i].name), pre = n, suf = n;
		int group = 1;
		for (size_t k = i + 1; k < nc; k++) {
			if (done[k] || cs[k].root != cs[i].root || strcmp(cs[k].skel, cs[i].skel))
				continue;
			size_t a = 0, z = 0;
			while (a < n && cs[k].name[a] == cs[i].name[a])
				a++;
			while (z < n - a && cs[k].name[n - 1 - z] == cs[i].name[n - 1 - z])
				z++;
			if (a < pre)
				pre = a;
			if (z < suf)
				suf = z;
			group++;
		}
		if (group < 2 || pre + suf + 4 > n)
			continue;
		/* keep the generated middle within whole characters of the alphabet */
		for (size_t k = i; k < nc; k++) {
			if (done[k] || cs[k].root != cs[i].root || strcmp(cs[k].skel, cs[i].skel))
				continue;
			done[k] = true;
			g_hints = xrealloc(g_hints, (g_nhints + 1) * sizeof *g_hints);
			struct sb rn = {0};
			sb_printf(&rn, "%s/%s", cs[k].root, cs[k].name);
			g_hints[g_nhints++] = (struct hint){.root_name = sb_take(&rn), .pre = pre, .suf = suf,
							     .group = group};
		}
	}
	for (size_t i = 0; i < nc; i++)
		free(cs[i].name);
	free(cs);
	free(done);
}

/* ---- hosts ----------------------------------------------------------------------------------- */

/* Domains a wildcard must never stand for: a TLD or what looks like a public suffix. */
static bool wildcard_domain_ok(const char *d)
{
	const char *dot = strchr(d, '.');
	if (!dot)
		return false;
	const char *last = strrchr(d, '.') + 1;
	if (is_digit((unsigned char)*last))
		return false;
	if (dot == strrchr(d, '.')) { /* two labels: "co.uk"? */
		static const char *const sld[] = {"co", "com", "net", "org", "gov", "edu", "ac", "or",
						  "ne", "go", "gob", "mil", "nic", "ltd", "plc"};
		size_t l1 = (size_t)(dot - d);
		if (strlen(last) == 2)
			for (size_t i = 0; i < sizeof sld / sizeof *sld; i++)
				if (strlen(sld[i]) == l1 && !strncmp(d, sld[i], l1))
					return false;
	}
	return true;
}

/* Domains where a wildcard also admits other customers' hosts. */
static bool shared_domain(const char *d)
{
	static const char *const shared[] = {"amazonaws.com", "cloudfront.net", "herokuapp.com",
		"azurewebsites.net", "appspot.com", "github.io", "googleusercontent.com",
		"windows.net", "ngrok.io", "ngrok-free.app", "workers.dev", "vercel.app",
		"netlify.app", "pages.dev", "firebaseapp.com", "web.app", "blob.core.windows.net"};
	for (size_t i = 0; i < sizeof shared / sizeof *shared; i++)
		if (!strcmp(d, shared[i]) || ends_with(d, shared[i]))
			return true;
	return false;
}

struct entry {
	char *name;       /* host, or the domain D of a wildcard "*.D" */
	bool wildcard;
	int members;      /* hosts behind a wildcard */
	size_t *targets;  /* target indices */
	size_t ntargets;
};

static int label_count(const char *s)
{
	int n = 1;
	for (; *s; s++)
		n += *s == '.';
	return n;
}

struct dom {
	char *d;
	int labels;
};

static int cmp_dom(const void *a, const void *b)
{
	const struct dom *x = a, *y = b;
	if (x->labels != y->labels)
		return y->labels - x->labels;
	return strcmp(x->d, y->d);
}

/* Hosts of one section/port: wildcards over shared parent domains past the threshold. */
void domain_wildcards(struct learn *L, int section, unsigned port, size_t *tidx, size_t nt)
{
	struct entry *e = xcalloc(nt + 1, sizeof *e);
	size_t ne = 0;
	for (size_t k = 0; k < nt; k++) {
		e[ne].name = xstrdup(L->t[tidx[k]].host);
		e[ne].targets = xcalloc(1, sizeof(size_t));
		e[ne].targets[0] = tidx[k];
		e[ne].ntargets = 1;
		ne++;
	}
	/* candidate domains: proper suffixes of 2+ labels */
	struct dom *doms = NULL;
	size_t nd = 0;
	for (size_t k = 0; k < ne && L->threshold > 0; k++) {
		for (const char *s = strchr(e[k].name, '.'); s; s = strchr(s + 1, '.')) {
			const char *d = s + 1;
			if (!wildcard_domain_ok(d))
				continue;
			bool dup = false;
			for (size_t j = 0; j < nd && !dup; j++)
				dup = !strcmp(doms[j].d, d);
			if (dup)
				continue;
			doms = xrealloc(doms, (nd + 1) * sizeof *doms);
			doms[nd].d = xstrdup(d);
			doms[nd].labels = label_count(d);
			nd++;
		}
	}
	if (nd)
		qsort(doms, nd, sizeof *doms, cmp_dom);
	for (size_t j = 0; j < nd; j++) {
		const char *d = doms[j].d;
		size_t dl = strlen(d);
		int members = 0;
		for (size_t k = 0; k < ne; k++) {
			size_t nl = strlen(e[k].name);
			if (e[k].name[0] && nl > dl && e[k].name[nl - dl - 1] == '.' &&
			    !strcmp(e[k].name + nl - dl, d))
				members++;
		}
		if (members < L->threshold)
			continue;
		struct entry w = {.name = xstrdup(d), .wildcard = true};
		for (size_t k = 0; k < ne; k++) {
			size_t nl = strlen(e[k].name);
			if (!(e[k].name[0] && nl > dl && e[k].name[nl - dl - 1] == '.' &&
			      !strcmp(e[k].name + nl - dl, d)))
				continue;
			w.members += e[k].wildcard ? e[k].members : 1;
			w.targets = xrealloc(w.targets, (w.ntargets + e[k].ntargets) * sizeof(size_t));
			memcpy(w.targets + w.ntargets, e[k].targets, e[k].ntargets * sizeof(size_t));
			w.ntargets += e[k].ntargets;
			free(e[k].targets);
			e[k].targets = NULL;
			e[k].ntargets = 0;
			e[k].name[0] = 0; /* consumed */
		}
		e = xrealloc(e, (ne + 2) * sizeof *e);
		e[ne++] = w;
	}
	for (size_t k = 0; k < ne; k++) {
		if (!e[k].name[0])
			continue;
		char text[400], why[600];
		int pi;
		if (e[k].wildcard) {
			snprintf(text, sizeof text, "*.%s:%u", e[k].name, port);
			snprintf(why, sizeof why, "%d hosts under %s on port %u (threshold %d)%s", e[k].members,
				 e[k].name, port, L->threshold,
				 shared_domain(e[k].name) ? "; note: hosts under this domain belong to many "
				 "customers — a wildcard admits theirs too (raise --wildcard-threshold to keep "
				 "names exact)" : "");
			pi = pattern_add(L, section, FS_CONNECT, text, why, 2);
		} else {
			snprintf(text, sizeof text, "%s:%u", e[k].name, port);
			pi = pattern_add(L, section, FS_CONNECT, text, NULL, 0);
		}
		for (size_t j = 0; j < e[k].ntargets; j++) {
			struct target *t = &L->t[e[k].targets[j]];
			t->pat = pi;
		}
	}
	for (size_t k = 0; k < ne; k++) {
		free(e[k].name);
		free(e[k].targets);
	}
	free(e);
	for (size_t j = 0; j < nd; j++)
		free(doms[j].d);
	free(doms);
}

