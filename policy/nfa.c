/*
 * nfa.c — the Thompson NFA that every pattern of one category is added to.
 *
 * Three kinds of state: CONSUME (one byte from a byte set, then `out`), SPLIT (epsilon moves to
 * `out` and `out2`) and ACCEPT (a pattern matched; `arg` is its rank). Every pattern is a chain
 * from its own start state (recorded in `starts`) to its ACCEPT state; the DFA's start state is
 * the closure of all of them, so no split tree over thousands of patterns is needed.
 *
 * Byte sets are 256-bit maps, deduplicated (a hash over their bytes), because the DFA builder
 * derives its byte equivalence classes from the distinct sets: the fewer, the smaller the
 * tables.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void fs_nfa_init(struct fs_nfa *a)
{
	memset(a, 0, sizeof *a);
	a->root = FS_NFA_NONE;
}

void fs_nfa_free(struct fs_nfa *a)
{
	free(a->st);
	free(a->starts);
	free(a->sets);
	free(a->set_hash);
	free(a->steps);
	memset(a, 0, sizeof *a);
}

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	uint32_t ncap = *cap ? *cap : 64;
	while (ncap < need) {
		if (ncap > UINT32_MAX / 2)
			return false;
		ncap *= 2;
	}
	void *np = realloc(*p, (size_t)ncap * elem);
	if (!np)
		return false;
	*p = np;
	*cap = ncap;
	return true;
}

static uint32_t hash_bits(const uint8_t bits[32])
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (int i = 0; i < 32; i++)
		h = (h ^ bits[i]) * 16777619u;
	return h;
}

static bool rehash(struct fs_nfa *a, uint32_t hcap)
{
	uint32_t *h = calloc(hcap, sizeof *h);
	if (!h)
		return false;
	for (uint32_t id = 0; id < a->nsets; id++) {
		uint32_t i = hash_bits(a->sets[id]) & (hcap - 1);
		while (h[i])
			i = (i + 1) & (hcap - 1);
		h[i] = id + 1;
	}
	free(a->set_hash);
	a->set_hash = h;
	a->set_hcap = hcap;
	return true;
}

uint32_t fs_nfa_set(struct fs_nfa *a, const uint8_t bits[32])
{
	if (a->oom)
		return 0;
	if ((a->nsets + 1) * 2 > a->set_hcap && !rehash(a, a->set_hcap ? a->set_hcap * 2 : 64)) {
		a->oom = true;
		return 0;
	}
	uint32_t i = hash_bits(bits) & (a->set_hcap - 1);
	for (; a->set_hash[i]; i = (i + 1) & (a->set_hcap - 1))
		if (memcmp(a->sets[a->set_hash[i] - 1], bits, 32) == 0)
			return a->set_hash[i] - 1;
	if (!grow((void **)&a->sets, &a->capsets, a->nsets + 1, sizeof *a->sets)) {
		a->oom = true;
		return 0;
	}
	memcpy(a->sets[a->nsets], bits, 32);
	a->set_hash[i] = a->nsets + 1;
	return a->nsets++;
}

uint32_t fs_nfa_byte(struct fs_nfa *a, uint8_t b)
{
	uint8_t bits[32] = { 0 };
	fs_bits_set(bits, b);
	return fs_nfa_set(a, bits);
}

uint32_t fs_nfa_new(struct fs_nfa *a, int kind, uint32_t arg, uint32_t out, uint32_t out2)
{
	if (a->oom || a->too_big)
		return 0;
	if (a->n >= FS_NFA_MAX_STATES) {
		a->too_big = true;
		return 0;
	}
	if (!grow((void **)&a->st, &a->cap, a->n + 1, sizeof *a->st)) {
		a->oom = true;
		return 0;
	}
	a->st[a->n] = (struct fs_nstate){ .kind = (uint8_t)kind, .arg = arg, .out = out, .out2 = out2 };
	return a->n++;
}

void fs_nfa_start(struct fs_nfa *a, uint32_t s)
{
	if (a->oom || a->too_big)
		return;
	if (!grow((void **)&a->starts, &a->capstarts, a->nstarts + 1, sizeof *a->starts)) {
		a->oom = true;
		return;
	}
	a->starts[a->nstarts++] = s;
}

/* ---- patterns as token sequences, sharing prefixes ------------------------------------------ */

static uint32_t new_junction(struct fs_nfa *a)
{
	uint32_t j = fs_nfa_new(a, FS_NS_SPLIT, 0, FS_NFA_NONE, FS_NFA_NONE);
	if (!a->oom && !a->too_big)
		a->st[j].arg = j; /* the last SPLIT of its chain: itself */
	return j;
}

/* Add an epsilon move from junction j to s: fill the chain's last SPLIT, or extend it. */
static void junction_add(struct fs_nfa *a, uint32_t j, uint32_t s)
{
	if (a->oom || a->too_big)
		return;
	uint32_t last = a->st[j].arg;
	if (a->st[last].out == FS_NFA_NONE) {
		a->st[last].out = s;
	} else if (a->st[last].out2 == FS_NFA_NONE) {
		a->st[last].out2 = s;
	} else {
		/* last: (x | y) becomes (x | (y | s)) */
		uint32_t n = fs_nfa_new(a, FS_NS_SPLIT, 0, a->st[last].out2, s);
		if (a->oom || a->too_big)
			return;
		a->st[last].out2 = n;
		a->st[j].arg = n;
	}
}

uint32_t fs_nfa_root(struct fs_nfa *a)
{
	if (a->root == FS_NFA_NONE) {
		uint32_t r = new_junction(a);
		if (a->oom || a->too_big)
			return FS_NFA_NONE;
		a->root = r;
		fs_nfa_start(a, r);
	}
	return a->root;
}

static uint32_t hash_step(uint32_t from, enum fs_tok tok, uint32_t set)
{
	uint32_t h = from * 0x9E3779B1u ^ (set + 0x7F4A7C15u) * 0x85EBCA77u ^ (uint32_t)tok * 0xC2B2AE3Du;
	return h ^ (h >> 16);
}

static bool steps_rehash(struct fs_nfa *a, uint32_t hcap)
{
	struct fs_nstep *t = calloc(hcap, sizeof *t);
	if (!t)
		return false;
	for (uint32_t i = 0; i < a->step_hcap; i++) {
		const struct fs_nstep *e = &a->steps[i];
		if (!e->to)
			continue;
		uint32_t k = hash_step(e->from, (enum fs_tok)e->tok, e->set) & (hcap - 1);
		while (t[k].to)
			k = (k + 1) & (hcap - 1);
		t[k] = *e;
	}
	free(a->steps);
	a->steps = t;
	a->step_hcap = hcap;
	return true;
}

uint32_t fs_nfa_step(struct fs_nfa *a, uint32_t from, enum fs_tok tok, uint32_t set)
{
	if (a->oom || a->too_big || from == FS_NFA_NONE)
		return FS_NFA_NONE;
	if ((a->nsteps + 1) * 2 > a->step_hcap && !steps_rehash(a, a->step_hcap ? a->step_hcap * 2 : 256)) {
		a->oom = true;
		return FS_NFA_NONE;
	}
	uint32_t k = hash_step(from, tok, set) & (a->step_hcap - 1);
	for (; a->steps[k].to; k = (k + 1) & (a->step_hcap - 1)) {
		const struct fs_nstep *e = &a->steps[k];
		if (e->from == from && e->tok == tok && e->set == set)
			return e->to; /* built already: share it */
	}

	/* The token's fragment: entered from `from`, leaving to a new junction j. */
	uint32_t j = new_junction(a), s = a->n;
	switch (tok) {
	case FS_TOK_ONE:
		fs_nfa_new(a, FS_NS_CONSUME, set, j, FS_NFA_NONE);
		break;
	case FS_TOK_STAR: /* s: (s+1 | j); s+1: set → s */
		fs_nfa_new(a, FS_NS_SPLIT, 0, s + 1, j);
		fs_nfa_new(a, FS_NS_CONSUME, set, s, FS_NFA_NONE);
		break;
	case FS_TOK_PLUS: /* s: set → s+1; s+1: (s | j) */
		fs_nfa_new(a, FS_NS_CONSUME, set, s + 1, FS_NFA_NONE);
		fs_nfa_new(a, FS_NS_SPLIT, 0, s, j);
		break;
	case FS_TOK_GLOBSTAR: { /* (/.*)? — s: (s+1 | j); s+1: '/' → s+2; s+2: (s+3 | j); s+3: any → s+2 */
		uint8_t all[32];
		memset(all, 0xff, sizeof all);
		uint32_t slash = fs_nfa_byte(a, '/'), any = fs_nfa_set(a, all);
		fs_nfa_new(a, FS_NS_SPLIT, 0, s + 1, j);
		fs_nfa_new(a, FS_NS_CONSUME, slash, s + 2, FS_NFA_NONE);
		fs_nfa_new(a, FS_NS_SPLIT, 0, s + 3, j);
		fs_nfa_new(a, FS_NS_CONSUME, any, s + 2, FS_NFA_NONE);
		break;
	}
	case FS_TOK_LABELS: { /* L+(.L+)* — s: L → s+1; s+1: (s | s+2); s+2: (s+3 | j); s+3: '.' → s */
		uint32_t dot = fs_nfa_byte(a, '.');
		fs_nfa_new(a, FS_NS_CONSUME, set, s + 1, FS_NFA_NONE);
		fs_nfa_new(a, FS_NS_SPLIT, 0, s, s + 2);
		fs_nfa_new(a, FS_NS_SPLIT, 0, s + 3, j);
		fs_nfa_new(a, FS_NS_CONSUME, dot, s, FS_NFA_NONE);
		break;
	}
	}
	junction_add(a, from, s);
	if (a->oom || a->too_big)
		return FS_NFA_NONE;
	a->steps[k] = (struct fs_nstep){ .from = from, .set = set, .to = j, .tok = (uint8_t)tok };
	a->nsteps++;
	return j;
}

void fs_nfa_accept(struct fs_nfa *a, uint32_t j, uint32_t rank)
{
	if (a->oom || a->too_big || j == FS_NFA_NONE)
		return;
	uint32_t s = fs_nfa_new(a, FS_NS_ACCEPT, rank, FS_NFA_NONE, FS_NFA_NONE);
	junction_add(a, j, s);
}
