/*
 * rules.c — one category, compiled; and the hot-path matchers.
 *
 * exec/read/write: every pattern of the three lists (and its symlink alias) goes into one
 * NFA, accepting with its rank, and becomes one DFA. connect/listen: name patterns go into one
 * DFA over "name:port", address patterns into one trie.
 *
 * fs_match_path / fs_match_addr run in other people's processes, from any thread, in vfork
 * children and signal handlers: they only read immutable tables — no allocation, no lock, no
 * system call, errno untouched — and their cost depends on the input's length, not on the
 * number of rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool is_path_category(enum fs_category c)
{
	return c == FS_EXEC || c == FS_READ || c == FS_WRITE;
}

void fs_rules_free(struct fs_rules *r)
{
	if (!r || !r->owned)
		return;
	fs_dfa_free(r->dfa);
	fs_iptrie_free(r->trie);
	for (int l = 0; l < 3; l++)
		free((void *)r->text[l]);
	free((void *)r->strings);
	free(r);
}

/* The patterns as written, one NUL-terminated string after the other, and where each starts. */
static int keep_texts(struct fs_rules *r, const struct fs_raw_cat *rc)
{
	size_t total = 0;
	for (int l = 0; l < 3; l++)
		for (uint32_t i = 0; i < rc->n[l]; i++)
			total += strlen(rc->list[l][i].text) + 1;
	if (total > UINT32_MAX)
		return -1;
	char *strings = malloc(total ? total : 1);
	r->strings = strings;
	r->strings_len = (uint32_t)total;
	if (!strings)
		return -1;
	size_t o = 0;
	for (int l = 0; l < 3; l++) {
		uint32_t n = rc->n[l];
		if (!n)
			continue;
		uint32_t *text = malloc(n * sizeof *text);
		r->text[l] = text;
		if (!text)
			return -1;
		r->n[l] = n;
		for (uint32_t i = 0; i < n; i++) {
			size_t len = strlen(rc->list[l][i].text) + 1;
			text[i] = (uint32_t)o;
			memcpy(strings + o, rc->list[l][i].text, len);
			o += len;
		}
	}
	return 0;
}

/* SPEC: "a category the policy leaves unrestricted costs one load and one compare". Only
 * when the outcome can never differ — nor the rule that a log line would name: lists whose
 * action equals the default still decide the "rule" of an alert or block, so only allow
 * lists (never logged) may be folded into an allow default. */
static int8_t constant_of(const struct fs_rules *r)
{
	uint32_t total = r->n[0] + r->n[1] + r->n[2];
	if (total == 0)
		return r->dflt;
	if (r->dflt == FS_ALLOW && r->n[FS_LIST_ALERT] == 0 && r->n[FS_LIST_BLOCK] == 0)
		return FS_ALLOW;
	return -1;
}

struct fs_rules *fs_rules_build(struct fs_ctx *cx, const struct fs_raw_cat *rc, enum fs_category c, int init,
				int resolve_aliases, const char *path)
{
	struct fs_rules *r = calloc(1, sizeof *r);
	struct fs_nfa nfa;
	struct fs_iptrie_builder *tb = NULL;
	fs_nfa_init(&nfa);
	if (!r)
		goto oom;
	r->owned = true;
	r->category = (int8_t)c;
	r->init = (int8_t)(init != 0);
	r->dflt = rc && rc->present ? rc->dflt : FS_ALLOW;
	if (!rc || !rc->present) {
		r->constant = FS_ALLOW;
		return r;
	}
	if (!is_path_category(c) && !(tb = fs_iptrie_builder_new()))
		goto oom;
	if (keep_texts(r, rc) < 0)
		goto oom;

	for (int l = 0; l < 3; l++) {
		for (uint32_t i = 0; i < rc->n[l]; i++) {
			const char *pat = rc->list[l][i].text;
			uint32_t rank = fs_rank(l, i);
			if (is_path_category(c)) {
				if (fs_glob_add(&nfa, pat, rank) < 0)
					goto fail;
				if (resolve_aliases) {
					char *alias = fs_glob_alias(pat), err[200];
					/* an alias is derived, so it is checked again rather than trusted */
					int rc2 = alias && fs_glob_check(alias, err, sizeof err) == 0
							  ? fs_glob_add(&nfa, alias, rank) : 0;
					if (alias && cx->aliases) { /* the image records it (image.c) */
						fs_img_append(cx->aliases, pat, strlen(pat) + 1);
						fs_img_append(cx->aliases, alias, strlen(alias) + 1);
					}
					free(alias);
					if (rc2 < 0)
						goto fail;
				}
			} else {
				struct fs_hostpat h;
				char err[200];
				if (fs_host_parse(pat, &h, err, sizeof err) < 0)
					goto oom; /* checked by parse.c: cannot happen */
				if (h.kind == FS_HOST_NAME) {
					if (fs_host_add_name(&nfa, &h, rank) < 0)
						goto fail;
				} else if (fs_iptrie_add(tb, h.ip, h.plen, h.port, rank) < 0) {
					fs_err_node(cx, rc->node, 0, path, "policy too complex: too many address rules "
						    "in \"%s\"", path);
					goto out_err;
				}
			}
		}
	}
	if (nfa.nstarts > 0) { /* some path or name pattern */
		bool too_complex;
		if (nfa.too_big)
			goto fail;
		r->dfa = fs_dfa_build(&nfa, &too_complex);
		if (!r->dfa) {
			if (too_complex)
				goto fail;
			goto oom;
		}
	}
	if (tb) {
		r->trie = fs_iptrie_finish(tb);
		tb = NULL;
		if (!r->trie)
			goto oom;
	}
	fs_nfa_free(&nfa);
	r->constant = constant_of(r);
	return r;

fail:
	if (nfa.oom)
		goto oom;
	fs_err_node(cx, rc->node, 0, path, "policy too complex: the patterns of \"%s\" together need a "
		    "matching automaton past fnshield's limits (%u states, %zu MB, or half a second to build); "
		    "use fewer patterns, or fewer '*' and '**' before their last component", path,
		    FS_DFA_MAX_STATES, FS_DFA_MAX_BYTES >> 20);
	goto out_err;
oom:
	fs_err_node(cx, rc ? rc->node : 0, 0, path, "out of memory compiling \"%s\"", path);
out_err:
	fs_nfa_free(&nfa);
	fs_iptrie_builder_free(tb);
	fs_rules_free(r);
	return NULL;
}

/* ---- matching ------------------------------------------------------------------------------- */

static struct fs_verdict verdict_of(const struct fs_rules *r, uint32_t rank)
{
	struct fs_verdict v = { .action = r->dflt, .list = FS_LIST_DEFAULT, .init = r->init, .index = -1 };
	if (rank != FS_RANK_NONE) {
		v.list = (int8_t)fs_rank_list(rank);
		v.action = v.list; /* the allow/alert/block lists have those actions */
		v.index = fs_rank_index(rank);
	}
	return v;
}

static uint32_t path_rank(const struct fs_rules *r, const char *path, size_t len, size_t *steps)
{
	if (!r->dfa || !path || !is_path_category((enum fs_category)r->category))
		return FS_RANK_NONE;
	uint32_t s = fs_dfa_feed(r->dfa, r->dfa->start, (const uint8_t *)path, len, steps);
	return fs_dfa_rank(r->dfa, s);
}

struct fs_verdict fs_match_path(const struct fs_rules *r, const char *path, size_t len)
{
	return verdict_of(r, path_rank(r, path, len, NULL));
}

/*
 * fs_match_normal_path: the walk and the normality check in one loop over the caller's
 * string. Bytes above '/' (letters, digits, most punctuation) cost the transition and one
 * compare; only at a '/' does the loop look ahead for "//", "/.", "/..", or a trailing "/",
 * and ask whether the state is settled — once per component rather than once per byte: a
 * settled state only leads to states with its verdict, so walking on to the next '/' changes
 * nothing. Once settled the verdict is known, but not yet that this spelling is the one to
 * judge ("/tmp/../etc/x" settles at "/tmp/" when everything below "/tmp/" is allowed), so the
 * rest is still scanned, without transitions. Returns the length, or -1 at the first abnormal
 * spelling.
 */
static const uint8_t *normal_rest(const uint8_t *q, const uint8_t *p)
{
	for (;; q++) {
		if (*q == '/') {
			if (!fs_path_slash_is_normal(q, p))
				return NULL;
		} else if (*q == 0) {
			return q;
		}
	}
}

FS_ALWAYS_INLINE long walk_normal(const struct fs_dfa *d, enum fs_dfa_table t, const uint8_t *p,
				  uint32_t *state)
{
	const void *rows = fs_dfa_rows(d, t);
	size_t cur = fs_dfa_cursor(d, t, d->start);
	const size_t live = fs_dfa_live_end(d, t);
	const uint8_t *q = p;
	for (;; q++) {
		uint8_t c = *q;
		if (c <= '/') {
			if (c == '/') {
				if (!fs_path_slash_is_normal(q, p))
					return -1;
				if (cur >= live) {
					q = normal_rest(q + 1, p);
					if (!q)
						return -1;
					break;
				}
			} else if (c == 0) {
				break;
			}
		}
		cur = fs_dfa_step(d, t, rows, cur, c);
	}
	*state = fs_dfa_state(d, t, rows, cur);
	return q - p;
}

long fs_match_normal_path(const struct fs_rules *r, const char *path, size_t cap, struct fs_verdict *v)
{
	const uint8_t *p = (const uint8_t *)path;
	if (!p || p[0] != '/')
		return -1;
	const struct fs_dfa *d = is_path_category((enum fs_category)r->category) ? r->dfa : NULL;
	uint32_t s = 0;
	long n;
	if (!d) {
		const uint8_t *end = normal_rest(p, p);
		n = end ? end - p : -1;
	} else if (d->table == FS_DFA_FLAT16) {
		n = walk_normal(d, FS_DFA_FLAT16, p, &s);
	} else if (d->table == FS_DFA_FLAT16X4) {
		n = walk_normal(d, FS_DFA_FLAT16X4, p, &s);
	} else if (d->table == FS_DFA_FLAT32) {
		n = walk_normal(d, FS_DFA_FLAT32, p, &s);
	} else {
		n = walk_normal(d, FS_DFA_COMB, p, &s);
	}
	if ((size_t)n >= cap) /* an abnormal spelling too: -1 as a size_t is past any cap */
		return -1;
	*v = verdict_of(r, d ? fs_dfa_rank(d, s) : FS_RANK_NONE);
	return n;
}

/* "name:port" through the names DFA, without building the string. */
static uint32_t name_rank(const struct fs_dfa *d, const char *name, uint16_t port, size_t *steps)
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '.') /* fully qualified form */
		n--;
	char digits[6];
	size_t nd = 0;
	unsigned p = port;
	do
		digits[5 - nd++] = (char)('0' + p % 10);
	while ((p /= 10) && nd < 6);
	uint32_t s = fs_dfa_feed(d, d->start, (const uint8_t *)name, n, steps);
	s = fs_dfa_feed(d, s, (const uint8_t *)":", 1, steps);
	s = fs_dfa_feed(d, s, (const uint8_t *)digits + 6 - nd, nd, steps);
	return fs_dfa_rank(d, s);
}

/* The best rank of an address and the names resolved to it. Out of line: most connects go to
 * an address that no name was resolved to, and the address alone stays a short leaf. */
static __attribute__((noinline)) uint32_t addr_names_rank(const struct fs_rules *r, const uint8_t ip[16],
							  uint16_t port, const char *const *names,
							  int nnames, size_t *steps)
{
	uint32_t best = r->trie && ip ? fs_iptrie_match(r->trie, ip, port, steps) : FS_RANK_NONE;
	for (int i = 0; i < nnames; i++) {
		if (!names[i])
			continue;
		uint32_t k = name_rank(r->dfa, names[i], port, steps);
		if (k > best)
			best = k;
	}
	return best;
}

static inline uint32_t addr_rank(const struct fs_rules *r, const uint8_t ip[16], uint16_t port,
				 const char *const *names, int nnames, size_t *steps)
{
	if (is_path_category((enum fs_category)r->category))
		return FS_RANK_NONE;
	if (r->dfa && names && nnames > 0)
		return addr_names_rank(r, ip, port, names, nnames, steps);
	return r->trie && ip ? fs_iptrie_match(r->trie, ip, port, steps) : FS_RANK_NONE;
}

struct fs_verdict fs_match_addr(const struct fs_rules *r, const uint8_t ip[16], uint16_t port,
				const char *const *names, int nnames)
{
	return verdict_of(r, addr_rank(r, ip, port, names, nnames, NULL));
}

int fs_rules_have_names(const struct fs_rules *r)
{
	return r->dfa != NULL;
}

int fs_rules_constant(const struct fs_rules *r)
{
	return r->constant;
}

/* ---- introspection (tests, `fnshield check`) ------------------------------------------------ */

void fs_rules_stats(const struct fs_rules *r, struct fs_rules_stats *st)
{
	memset(st, 0, sizeof *st);
	if (r->dfa) {
		st->dfa_states = r->dfa->nstates;
		st->dfa_live_states = r->dfa->nlive;
		st->dfa_classes = r->dfa->ncls;
	}
	st->bytes = sizeof *r + fs_dfa_bytes(r->dfa) + fs_iptrie_bytes(r->trie);
	st->patterns = r->n[0] + r->n[1] + r->n[2];
}

struct fs_verdict fs_match_path_steps(const struct fs_rules *r, const char *path, size_t len, size_t *steps)
{
	*steps = 0;
	return verdict_of(r, path_rank(r, path, len, steps));
}

struct fs_verdict fs_match_addr_steps(const struct fs_rules *r, const uint8_t ip[16], uint16_t port,
				      const char *const *names, int nnames, size_t *steps)
{
	*steps = 0;
	return verdict_of(r, addr_rank(r, ip, port, names, nnames, steps));
}

const char *fs_rules_pattern(const struct fs_rules *r, struct fs_verdict v)
{
	if (v.list < 0 || v.list > 2 || v.index < 0 || (uint32_t)v.index >= r->n[v.list])
		return NULL;
	return r->strings + r->text[v.list][v.index];
}

/* ---- the compiled form (image.c) ---------------------------------------------------------- */

struct img_rules {
	int8_t category, init, dflt, constant;
	uint32_t n[3];
	uint32_t text[3];       /* offsets of the lists' string offsets */
	uint32_t strings, strings_len;
	uint32_t dfa, trie;     /* 0: none */
};

uint32_t fs_rules_put(struct fs_img_writer *w, const struct fs_rules *r)
{
	struct img_rules x = { .category = r->category, .init = r->init, .dflt = r->dflt,
			       .constant = r->constant, .strings_len = r->strings_len };
	for (int l = 0; l < 3; l++) {
		x.n[l] = r->n[l];
		if (r->n[l])
			x.text[l] = fs_img_put(w, r->text[l], (size_t)r->n[l] * sizeof *r->text[l]);
	}
	if (r->strings_len)
		x.strings = fs_img_put(w, r->strings, r->strings_len);
	if (r->dfa)
		x.dfa = fs_dfa_put(w, r->dfa);
	if (r->trie)
		x.trie = fs_iptrie_put(w, r->trie);
	return w->failed ? 0 : fs_img_put_record(w, &x, sizeof x);
}

int fs_rules_view(struct fs_img *im, uint32_t off, struct fs_rules *r, struct fs_dfa *dfa,
		  struct fs_iptrie *trie)
{
	const struct img_rules *x = fs_img_array(im, off, 1, sizeof *x, 4, "rules");
	if (!x)
		return -1;
	memset(r, 0, sizeof *r);
	if (x->category < 0 || x->category >= FS_NCATEGORIES || x->init < 0 || x->init > 1 ||
	    x->dflt < FS_ALLOW || x->dflt > FS_BLOCK || x->constant < -1 || x->constant > FS_BLOCK)
		return fs_img_fail(im, "a category's settings are out of range");
	r->category = x->category;
	r->init = x->init;
	r->dflt = x->dflt;
	r->constant = x->constant;
	if (x->strings_len) {
		r->strings = fs_img_array(im, x->strings, x->strings_len, 1, 1, "rule texts");
		if (!r->strings)
			return -1;
		if (!im->trusted && r->strings[x->strings_len - 1] != 0) /* trusted: not a page more */
			return fs_img_fail(im, "the rule texts are cut short");
		r->strings_len = x->strings_len;
	}
	for (int l = 0; l < 3; l++) {
		if (!x->n[l])
			continue;
		if (x->n[l] >= FS_MAX_LIST_LEN)
			return fs_img_fail(im, "a rule list is longer than a policy can be");
		r->text[l] = fs_img_array(im, x->text[l], x->n[l], sizeof *r->text[l], 4, "rule list");
		if (!r->text[l])
			return -1;
		for (uint32_t i = 0; i < x->n[l] && !im->trusted; i++)
			if (r->text[l][i] >= r->strings_len)
				return fs_img_fail(im, "a rule's text lies outside the rule texts");
		r->n[l] = x->n[l];
	}
	bool paths = is_path_category((enum fs_category)r->category);
	if (x->dfa) {
		if (fs_dfa_view(im, x->dfa, r->n, dfa) < 0)
			return -1;
		r->dfa = dfa;
	}
	if (x->trie) {
		if (paths)
			return fs_img_fail(im, "a path category has address rules");
		if (fs_iptrie_view(im, x->trie, r->n, trie) < 0)
			return -1;
		r->trie = trie;
	}
	/* the shortcut may only claim what the lists really allow */
	if (r->constant != constant_of(r))
		return fs_img_fail(im, "a category's shortcut disagrees with its rules");
	return 0;
}
