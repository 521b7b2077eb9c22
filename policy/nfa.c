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
}

void fs_nfa_free(struct fs_nfa *a)
{
	free(a->st);
	free(a->starts);
	free(a->sets);
	free(a->set_hash);
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
