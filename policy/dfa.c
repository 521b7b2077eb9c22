// dfa.c — one deterministic automaton for all the patterns of a category.
//
// Matching must cost the same for 10 rules as for 1,000: one transition per input byte at
// most, no loop over patterns. So all patterns go into one NFA (nfa.c) and this file turns it into a
// DFA once, at compile time, by subset construction:
//
//  1. Byte equivalence classes. Two bytes that every byte set of the NFA treats alike can share
//     a column, so the transition table is [state][class] with typically 10-60 classes instead
//     of 256 columns.
//  2. Subset construction. A DFA state is (the set of NFA CONSUME states reachable without
//     consuming, the best rank among the ACCEPT states reached). The best rank is the
//     annotation SPEC's "strictest list wins" needs: the highest list, and in it the lowest
//     index (see fs_rank in internal.h). State 0 is the empty set: nothing can match any more.
//  3. Settled states. A state is settled when every state reachable from it (itself included)
//     carries the same rank: whatever the rest of the input, the result is known, so the
//     matching loop stops there ("/tmp/" with only "/tmp/**", or any state of the empty set).
//     Computed over strongly connected components (iterative Tarjan: successors' components
//     finish first). States are renumbered so that settled ones come last; the loop's stop
//     test is one compare (s >= nlive).
//  4. The final table. A row is built as a default target plus its exceptions (most rows of
//     such a DFA have one or two interesting transitions and send every other class to the
//     same state: the dead state, or a '*' loop to itself), which keeps construction small.
//     The matcher gets, when it fits (FS_DFA_FLAT_MAX_BYTES, about a 1,000-rule category),
//     every row written out in full: one add and one load per byte. Past that, a "comb" (row
//     displacement, as in Tarjan & Yao's and lex's tables): the exceptions of all rows
//     interleaved in one array, entry base[s] + class checked against its owner — still O(1),
//     a load and a compare more, and a 20,000-rule policy takes a few MB instead of tens.
//
// Sets are compared without sorting them: the closure just computed stamps its members, and a
// stored set equals it when it has as many members, all stamped (hash_set is order-free).
//
// The construction is capped (FS_DFA_MAX_STATES, FS_DFA_MAX_BYTES, FS_DFA_MAX_WORK): a
// pathological policy — a subset construction can blow up exponentially — becomes a "too
// complex" configuration error within about half a second, rather than exhausting memory or
// time at start-up.
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct builder {
	const struct fs_nfa *a;
	uint32_t ncls;
	uint8_t cls[256];
	/* for every NFA byte set, the classes it contains (CSR) */
	uint32_t *setcls_off, *setcls;

	/* DFA states under construction */
	uint32_t n, cap;
	uint32_t *set_off, *set_len, *acc;
	/* rows, once built: a default target and the exceptions (class, target) */
	uint32_t *dflt, *row_off;     /* row_off[s] .. row_off[s + 1] index exc_* */
	uint8_t *exc_cls;
	uint32_t *exc_to;
	size_t nexc, exc_cap;
	uint32_t *row;                /* scratch: one dense row */
	uint32_t *pool;               /* NFA state sets, concatenated */
	size_t pool_n, pool_cap;
	uint32_t *hash;               /* open addressing over state ids + 1 */
	size_t hcap;

	/* scratch */
	uint32_t *stamp, gen;         /* per NFA state: visited in this closure */
	uint32_t *stack, *out;        /* closure DFS stack and result, NFA-sized */
	uint32_t *bcount;             /* per class: bucket sizes, then offsets */
	uint32_t *bucket;             /* per class: the slots of the byte sets holding it */
	size_t bucket_cap;
	uint32_t *set_mark, set_gen;  /* per NFA byte set: seen in this expansion */
	uint32_t *set_slot;           /* per NFA byte set: its slot in this expansion */
	uint32_t *dset, *dstart;      /* per slot: the byte set, where its members start in byset */
	uint32_t *byset;              /* successors of a state's members, grouped by byte set */
	uint32_t *gather;             /* the successors on one class: a closure's input */

	size_t bytes;                 /* memory in use, against FS_DFA_MAX_BYTES */
	uint64_t work;                /* NFA states handled, against FS_DFA_MAX_WORK */
	bool too_complex, oom;
};

static bool budget(struct builder *b, size_t more)
{
	b->bytes += more;
	if (b->bytes > FS_DFA_MAX_BYTES || b->n > FS_DFA_MAX_STATES) {
		b->too_complex = true;
		return false;
	}
	return true;
}

static bool grow_bytes(struct builder *b, void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t ncap = *cap ? *cap : 256;
	while (ncap < need)
		ncap *= 2;
	if (!budget(b, (ncap - *cap) * elem))
		return false;
	void *np = realloc(*p, ncap * elem);
	if (!np) {
		b->oom = true;
		return false;
	}
	*p = np;
	*cap = ncap;
	return true;
}

/* ---- 1. byte classes ------------------------------------------------------------------------ */

/* The bytes of a set, in increasing order; returns how many. */
static unsigned set_members(const uint8_t bits[32], uint8_t out[256])
{
	unsigned n = 0;
	for (unsigned w = 0; w < 4; w++) {
		uint64_t v = 0;
		for (unsigned j = 0; j < 8; j++) /* byte b is bit b & 7 of bits[b >> 3] */
			v |= (uint64_t)bits[8 * w + j] << (8 * j);
		while (v) {
			out[n++] = (uint8_t)(64 * w + (unsigned)__builtin_ctzll(v));
			v &= v - 1;
		}
	}
	return n;
}

static bool make_classes(struct builder *b)
{
	const struct fs_nfa *a = b->a;
	/* Partition refinement: each set splits every class it cuts in two, the part inside it
	 * getting a new class. Only the set's own bytes are visited, so a literal character costs
	 * one step, not 256: O(total size of the sets). */
	uint8_t cls[256] = { 0 };
	unsigned size[256] = { 256 };
	uint32_t seen[256] = { 0 }; /* seen[k] == s + 1: class k met while splitting by set s */
	unsigned ncls = 1;
	for (uint32_t s = 0; s < a->nsets && ncls < 256; s++) {
		uint8_t mem[256], touched[256];
		unsigned hit[256], nt = 0;
		int16_t moved_to[256];
		memset(moved_to, -1, sizeof moved_to);
		unsigned n = set_members(a->sets[s], mem);
		for (unsigned i = 0; i < n; i++) {
			unsigned k = cls[mem[i]];
			if (seen[k] != s + 1) {
				seen[k] = s + 1;
				touched[nt++] = (uint8_t)k;
				hit[k] = 0;
			}
			hit[k]++;
		}
		for (unsigned t = 0; t < nt; t++) {
			unsigned k = touched[t];
			if (hit[k] < size[k]) { /* the set cuts class k: its members move to a new one */
				moved_to[k] = (int16_t)ncls;
				size[ncls++] = hit[k];
				size[k] -= hit[k];
			}
		}
		for (unsigned i = 0; i < n; i++)
			if (moved_to[cls[mem[i]]] >= 0)
				cls[mem[i]] = (uint8_t)moved_to[cls[mem[i]]];
	}
	/* Number the classes in the order their first byte appears (a canonical numbering). */
	int16_t renum[256];
	memset(renum, -1, sizeof renum);
	unsigned next = 0;
	for (unsigned c = 0; c < 256; c++) {
		if (renum[cls[c]] < 0)
			renum[cls[c]] = (int16_t)next++;
		cls[c] = (uint8_t)renum[cls[c]];
	}
	memcpy(b->cls, cls, 256);
	b->ncls = ncls;

	/* A representative byte of every class, then every set's classes. */
	int16_t rep[256];
	memset(rep, -1, sizeof rep);
	for (unsigned c = 0; c < 256; c++)
		if (rep[cls[c]] < 0)
			rep[cls[c]] = (int16_t)c;
	b->setcls_off = malloc(((size_t)a->nsets + 1) * sizeof *b->setcls_off);
	size_t total = 0;
	for (uint32_t s = 0; s < a->nsets; s++)
		for (unsigned k = 0; k < ncls; k++)
			total += (size_t)fs_bits_has(a->sets[s], (unsigned)rep[k]);
	b->setcls = malloc((total ? total : 1) * sizeof *b->setcls);
	if (!b->setcls_off || !b->setcls) {
		b->oom = true;
		return false;
	}
	size_t o = 0;
	for (uint32_t s = 0; s < a->nsets; s++) {
		b->setcls_off[s] = (uint32_t)o;
		for (unsigned k = 0; k < ncls; k++)
			if (fs_bits_has(a->sets[s], (unsigned)rep[k]))
				b->setcls[o++] = k;
	}
	b->setcls_off[a->nsets] = (uint32_t)o;
	return budget(b, total * 4 + (size_t)a->nsets * 4);
}

/* ---- 2. subset construction ----------------------------------------------------------------- */

/* Epsilon closure of in[0..n): the CONSUME states (into b->out, in no particular order) and
 * the best rank. The closure's members keep the current stamp until the next closure, which
 * is how intern() compares sets without sorting them. */
static uint32_t closure(struct builder *b, const uint32_t *in, uint32_t n, uint32_t *rank)
{
	const struct fs_nstate *st = b->a->st;
	uint32_t sp = 0, no = 0, best = FS_RANK_NONE;
	if (++b->gen == 0) { /* wrapped: clear the stamps */
		memset(b->stamp, 0, (size_t)b->a->n * sizeof *b->stamp);
		b->gen = 1;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (b->stamp[in[i]] != b->gen) {
			b->stamp[in[i]] = b->gen;
			b->stack[sp++] = in[i];
		}
	}
	while (sp) {
		uint32_t s = b->stack[--sp];
		switch (st[s].kind) {
		case FS_NS_CONSUME:
			b->out[no++] = s;
			break;
		case FS_NS_ACCEPT:
			if (st[s].arg > best)
				best = st[s].arg;
			break;
		default: /* SPLIT */
			for (int k = 0; k < 2; k++) {
				uint32_t t = k ? st[s].out2 : st[s].out;
				if (t != FS_NFA_NONE && b->stamp[t] != b->gen) {
					b->stamp[t] = b->gen;
					b->stack[sp++] = t;
				}
			}
			break;
		}
	}
	*rank = best;
	b->work += n + no;
	return no;
}

/* A hash that does not depend on the order of the set's members. */
static uint32_t hash_set(const uint32_t *s, uint32_t n, uint32_t rank)
{
	uint32_t h = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t x = s[i] * 0x9E3779B1u; /* mix each member, then add: commutative */
		h += x ^ (x >> 16);
	}
	h ^= rank * 0x85EBCA77u + n * 0xC2B2AE3Du;
	return h ^ (h >> 15);
}

static bool rehash(struct builder *b, size_t hcap)
{
	if (!budget(b, hcap * sizeof(uint32_t)))
		return false;
	uint32_t *h = calloc(hcap, sizeof *h);
	if (!h) {
		b->oom = true;
		return false;
	}
	for (uint32_t id = 0; id < b->n; id++) {
		size_t i = hash_set(b->pool + b->set_off[id], b->set_len[id], b->acc[id]) & (hcap - 1);
		while (h[i])
			i = (i + 1) & (hcap - 1);
		h[i] = id + 1;
	}
	free(b->hash);
	b->hash = h;
	b->hcap = hcap;
	return true;
}

/* Is stored state id the set that the last closure() stamped (n members, rank)? */
static bool same_set(const struct builder *b, uint32_t id, uint32_t n, uint32_t rank)
{
	if (b->acc[id] != rank || b->set_len[id] != n)
		return false;
	const uint32_t *m = b->pool + b->set_off[id];
	for (uint32_t i = 0; i < n; i++)
		if (b->stamp[m[i]] != b->gen)
			return false;
	return true;
}

/* The DFA state for (set, rank) — set being the result of the last closure() — found, or
 * added. UINT32_MAX on failure. */
static uint32_t intern(struct builder *b, const uint32_t *set, uint32_t n, uint32_t rank)
{
	if ((size_t)(b->n + 1) * 2 > b->hcap && !rehash(b, b->hcap ? b->hcap * 2 : 1024))
		return UINT32_MAX;
	size_t i = hash_set(set, n, rank) & (b->hcap - 1);
	b->work += n;
	for (; b->hash[i]; i = (i + 1) & (b->hcap - 1)) {
		uint32_t id = b->hash[i] - 1;
		if (same_set(b, id, n, rank))
			return id;
	}
	/* new state */
	if (b->n >= FS_DFA_MAX_STATES) {
		b->too_complex = true;
		return UINT32_MAX;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap;
		uint32_t ncap = b->cap ? b->cap * 2 : 256;
		if (!budget(b, (size_t)(ncap - cap) * 5 * sizeof(uint32_t)))
			return UINT32_MAX;
		uint32_t *o = realloc(b->set_off, ncap * sizeof *o);
		if (o)
			b->set_off = o;
		uint32_t *l = realloc(b->set_len, ncap * sizeof *l);
		if (l)
			b->set_len = l;
		uint32_t *r = realloc(b->acc, ncap * sizeof *r);
		if (r)
			b->acc = r;
		uint32_t *df = realloc(b->dflt, ncap * sizeof *df);
		if (df)
			b->dflt = df;
		uint32_t *ro = realloc(b->row_off, ((size_t)ncap + 1) * sizeof *ro);
		if (ro)
			b->row_off = ro;
		if (!o || !l || !r || !df || !ro) {
			b->oom = true;
			return UINT32_MAX;
		}
		b->cap = ncap;
	}
	if (!grow_bytes(b, (void **)&b->pool, &b->pool_cap, b->pool_n + n, sizeof *b->pool))
		return UINT32_MAX;
	if (b->pool_n + n > UINT32_MAX) {
		b->too_complex = true;
		return UINT32_MAX;
	}
	uint32_t id = b->n++;
	if (n)
		memcpy(b->pool + b->pool_n, set, (size_t)n * sizeof *set);
	b->set_off[id] = (uint32_t)b->pool_n;
	b->set_len[id] = n;
	b->acc[id] = rank;
	b->pool_n += n;
	b->hash[i] = id + 1;
	return id;
}

/* Keep row d (in b->row) as its most frequent target plus the exceptions. */
static bool sparsify(struct builder *b, uint32_t d)
{
	const uint32_t ncls = b->ncls;
	/* the most frequent target: sort a copy (insertion sort: ncls <= 256, usually ~30, and
	 * runs of equal targets are long) and take the longest run */
	uint32_t sorted[256];
	for (uint32_t i = 0; i < ncls; i++) {
		uint32_t v = b->row[i], j = i;
		for (; j > 0 && sorted[j - 1] > v; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = v;
	}
	uint32_t best = 0, bestn = 0;
	for (uint32_t i = 0; i < ncls;) {
		uint32_t j = i;
		while (j < ncls && sorted[j] == sorted[i])
			j++;
		if (j - i > bestn) {
			bestn = j - i;
			best = sorted[i];
		}
		i = j;
	}
	size_t need = b->nexc + (ncls - bestn);
	if (need > b->exc_cap) {
		size_t ncap = b->exc_cap ? b->exc_cap : 1024;
		while (ncap < need)
			ncap += ncap / 2;
		if (!budget(b, (ncap - b->exc_cap) * 5))
			return false;
		uint8_t *nc = realloc(b->exc_cls, ncap);
		if (nc)
			b->exc_cls = nc;
		uint32_t *nt = realloc(b->exc_to, ncap * sizeof *nt);
		if (nt)
			b->exc_to = nt;
		if (!nc || !nt) {
			b->oom = true;
			return false;
		}
		b->exc_cap = ncap;
	}
	b->dflt[d] = best;
	b->row_off[d] = (uint32_t)b->nexc;
	for (uint32_t c = 0; c < ncls; c++)
		if (b->row[c] != best) {
			b->exc_cls[b->nexc] = (uint8_t)c;
			b->exc_to[b->nexc++] = b->row[c];
		}
	b->row_off[d + 1] = (uint32_t)b->nexc;
	return true;
}

/*
 * Fill the transitions of DFA state d. The successor set on class c is the out-state of every
 * member of d whose byte set holds c. Members are first grouped by byte set (a state of many
 * members has few distinct sets: "any byte but '/'", a letter or two); a class is then
 * described by the list of those sets that hold it, and classes with the same list — most of
 * them: every letter no pattern names at this point — share one closure and one lookup. The
 * work is the members plus the (set, class) pairs, not members times classes.
 */
static bool expand(struct builder *b, uint32_t d)
{
	const struct fs_nstate *st = b->a->st;
	const uint32_t ncls = b->ncls;
	uint32_t off = b->set_off[d], len = b->set_len[d];

	/* 1. the distinct byte sets of d's members (slot k: dset[k]); the members' successors,
	 * grouped by slot, into byset[dstart[k] .. dstart[k + 1]) */
	if (++b->set_gen == 0) {
		memset(b->set_mark, 0, (size_t)b->a->nsets * sizeof *b->set_mark);
		b->set_gen = 1;
	}
	uint32_t nslots = 0;
	uint64_t pairs_as_members = 0;
	for (uint32_t i = 0; i < len; i++) {
		uint32_t set = st[b->pool[off + i]].arg;
		if (b->set_mark[set] != b->set_gen) {
			b->set_mark[set] = b->set_gen;
			b->set_slot[set] = nslots;
			b->dset[nslots] = set;
			b->dstart[++nslots] = 0;
		}
		b->dstart[b->set_slot[set] + 1]++;
		pairs_as_members += b->setcls_off[set + 1] - b->setcls_off[set];
	}
	/* what a member-by-member expansion would cost: FS_DFA_MAX_WORK keeps its meaning */
	b->work += pairs_as_members;
	b->dstart[0] = 0;
	for (uint32_t k = 0; k < nslots; k++)
		b->dstart[k + 1] += b->dstart[k];
	for (uint32_t i = 0; i < len; i++) {
		uint32_t m = b->pool[off + i];
		b->byset[b->dstart[b->set_slot[st[m].arg]]++] = st[m].out;
	}
	for (uint32_t k = nslots; k > 0; k--) /* back to starts */
		b->dstart[k] = b->dstart[k - 1];
	b->dstart[0] = 0;

	/* 2. per class, the slots whose set holds it, in slot order (a counting sort) */
	memset(b->bcount, 0, ((size_t)ncls + 1) * sizeof *b->bcount);
	size_t total = 0;
	for (uint32_t k = 0; k < nslots; k++) {
		uint32_t set = b->dset[k];
		for (uint32_t j = b->setcls_off[set]; j < b->setcls_off[set + 1]; j++)
			b->bcount[b->setcls[j] + 1]++;
		total += b->setcls_off[set + 1] - b->setcls_off[set];
	}
	if (total > b->bucket_cap) {
		/* scratch, not kept: outside the budget */
		uint32_t *nb = realloc(b->bucket, total * sizeof *nb);
		if (!nb) {
			b->oom = true;
			return false;
		}
		b->bucket = nb;
		b->bucket_cap = total;
	}
	for (uint32_t c = 0; c < ncls; c++)
		b->bcount[c + 1] += b->bcount[c];
	for (uint32_t k = 0; k < nslots; k++) {
		uint32_t set = b->dset[k];
		for (uint32_t j = b->setcls_off[set]; j < b->setcls_off[set + 1]; j++)
			b->bucket[b->bcount[b->setcls[j]]++] = k;
	}
	/* bcount[c] is now the end of class c's list; its start is bcount[c-1] (0 for c == 0). */

	/* 3. one target per distinct list */
	uint32_t seen[512], hval[256]; /* open addressing over class + 1, 0: empty */
	uint32_t mask = 1;
	while (mask + 1 < 2 * ncls)
		mask = mask * 2 + 1;
	memset(seen, 0, ((size_t)mask + 1) * sizeof *seen);
	for (uint32_t c = 0; c < ncls; c++) {
		uint32_t start = c ? b->bcount[c - 1] : 0, end = b->bcount[c], n = end - start;
		uint32_t target = 0; /* the empty set */
		if (n) {
			uint32_t h = hash_set(b->bucket + start, n, n), i = h & mask;
			bool known = false;
			for (; seen[i]; i = (i + 1) & mask) {
				uint32_t o = seen[i] - 1;
				uint32_t ostart = o ? b->bcount[o - 1] : 0;
				if (hval[o] == h && b->bcount[o] - ostart == n &&
				    !memcmp(b->bucket + ostart, b->bucket + start, (size_t)n * sizeof *b->bucket)) {
					target = b->row[o];
					known = true;
					break;
				}
			}
			if (!known) {
				seen[i] = c + 1;
				hval[c] = h;
				uint32_t ng = 0;
				for (uint32_t j = start; j < end; j++) {
					uint32_t k = b->bucket[j];
					uint32_t from = b->dstart[k], to = b->dstart[k + 1];
					memcpy(b->gather + ng, b->byset + from, (size_t)(to - from) * sizeof *b->gather);
					ng += to - from;
				}
				uint32_t rank;
				uint32_t nc = closure(b, b->gather, ng, &rank);
				/* intern() may move b->pool; b->gather and b->out are separate buffers */
				target = intern(b, b->out, nc, rank);
				if (target == UINT32_MAX)
					return false;
			}
		}
		b->row[c] = target;
	}
	return sparsify(b, d);
}

/* ---- 3. settled states ---------------------------------------------------------------------- */

/* Successors of s: its default, then its exceptions (repeats do no harm). */
static inline uint32_t nsucc(const struct builder *b, uint32_t s)
{
	return 1 + b->row_off[s + 1] - b->row_off[s];
}
static inline uint32_t succ(const struct builder *b, uint32_t s, uint32_t k)
{
	return k == 0 ? b->dflt[s] : b->exc_to[b->row_off[s] + k - 1];
}

/* settled[s] = 1 when every state reachable from s has the rank of s. */
static bool settle(struct builder *b, uint8_t *settled)
{
	const uint32_t n = b->n;
	uint32_t *index = malloc((size_t)n * sizeof *index);
	uint32_t *low = malloc((size_t)n * sizeof *low);
	uint32_t *comp = malloc((size_t)n * sizeof *comp);
	uint32_t *stk = malloc((size_t)n * sizeof *stk);
	uint32_t *fs = malloc((size_t)n * sizeof *fs);   /* DFS frames: state */
	uint32_t *fk = malloc((size_t)n * sizeof *fk);   /* DFS frames: next successor to visit */
	bool ok = index && low && comp && stk && fs && fk;
	if (!ok) {
		b->oom = true;
		goto out;
	}
	const uint32_t UNSET = UINT32_MAX;
	for (uint32_t i = 0; i < n; i++)
		index[i] = comp[i] = UNSET;
	uint32_t counter = 0, sp = 0, ncomp = 0;

	for (uint32_t root = 0; root < n; root++) {
		if (index[root] != UNSET)
			continue;
		uint32_t fp = 0;
		index[root] = low[root] = counter++;
		stk[sp++] = root;
		fs[fp] = root;
		fk[fp++] = 0;
		while (fp) {
			uint32_t v = fs[fp - 1];
			if (fk[fp - 1] < nsucc(b, v)) {
				uint32_t w = succ(b, v, fk[fp - 1]++);
				if (index[w] == UNSET) {
					index[w] = low[w] = counter++;
					stk[sp++] = w;
					fs[fp] = w;
					fk[fp++] = 0;
				} else if (comp[w] == UNSET && index[w] < low[v]) {
					low[v] = index[w]; /* w is on the stack */
				}
				continue;
			}
			fp--;
			if (fp && low[v] < low[fs[fp - 1]])
				low[fs[fp - 1]] = low[v];
			if (low[v] != index[v])
				continue;
			/* v roots a component: the stack above it. Its successors outside it are done. */
			uint32_t base = sp;
			do
				base--;
			while (stk[base] != v);
			uint32_t id = ncomp++, rank = b->acc[v];
			bool same = true;
			for (uint32_t i = base; i < sp; i++)
				comp[stk[i]] = id;
			for (uint32_t i = base; i < sp && same; i++) {
				uint32_t s = stk[i];
				if (b->acc[s] != rank)
					same = false;
				for (uint32_t k = 0; k < nsucc(b, s) && same; k++) {
					uint32_t t = succ(b, s, k);
					if (comp[t] != id && (!settled[t] || b->acc[t] != rank))
						same = false;
				}
			}
			for (uint32_t i = base; i < sp; i++)
				settled[stk[i]] = same;
			sp = base;
		}
	}
out:
	free(index);
	free(low);
	free(comp);
	free(stk);
	free(fs);
	free(fk);
	return ok;
}

/* ---- 4. the final tables -------------------------------------------------------------------- */

/* A flat table: every row written out in full, so the matching loop's step is one add and one
 * load, with no owner to check and no default to fall back to — the comb costs a load and a
 * compare more per byte, on a chain of dependent loads. A row offset, not a state number, is
 * stored: no multiply per byte. The extra column holds the state's own number, so the loop
 * never divides to learn where it stopped. */
static bool flatten(const struct builder *b, struct fs_dfa *d, const uint32_t *map, enum fs_dfa_table kind)
{
	const uint32_t n = b->n, ncls = b->ncls;
	const bool wide = kind == FS_DFA_FLAT32;
	const uint32_t shift = kind == FS_DFA_FLAT16X4 ? 2 : 0;
	const uint32_t stride = shift ? (ncls + 1 + 3) & ~3u : ncls + 1;
	size_t cells = (size_t)n * stride;
	uint16_t *t16 = NULL;
	uint32_t *t32 = NULL;
	if (wide)
		t32 = malloc(cells * sizeof *t32);
	else
		t16 = calloc(cells, sizeof *t16); /* the padding columns of a row: zeros */
	if (!t16 && !t32)
		return false;
	for (uint32_t s = 0; s < n; s++) {
		size_t row = (size_t)map[s] * stride;
		uint32_t dflt = (map[b->dflt[s]] * stride) >> shift;
		uint32_t lo = b->row_off[s], hi = b->row_off[s + 1];
		if (wide) {
			uint32_t *r = t32 + row;
			for (uint32_t c = 0; c < ncls; c++)
				r[c] = dflt;
			for (uint32_t e = lo; e < hi; e++)
				r[b->exc_cls[e]] = map[b->exc_to[e]] * stride;
			r[ncls] = map[s];
		} else {
			uint16_t *r = t16 + row;
			for (uint32_t c = 0; c < ncls; c++)
				r[c] = (uint16_t)dflt;
			for (uint32_t e = lo; e < hi; e++)
				r[b->exc_cls[e]] = (uint16_t)((map[b->exc_to[e]] * stride) >> shift);
			r[ncls] = (uint16_t)map[s];
		}
	}
	d->table = (uint8_t)kind;
	d->stride = stride;
	d->live_rows = (d->nlive * stride) >> shift;
	d->next16 = t16;
	d->next32 = t32;
	return true;
}

/* Place every row's exceptions in the comb, at a base where all its slots are free. Rows
 * with the most exceptions go first, while the array is empty; the many rows with one or two
 * exceptions then fill the holes. */
static bool comb(const struct builder *b, struct fs_dfa *d, const uint32_t *map)
{
	const uint32_t n = b->n, ncls = b->ncls;
	uint32_t *order = malloc((size_t)n * sizeof *order);
	uint32_t *cnt = calloc((size_t)ncls + 2, sizeof *cnt);
	uint8_t *used = NULL;
	size_t cap = 0, lowest_free = 0, hiwater = 0, top = ncls;
	bool ok = false;
	struct fs_dstate *st = malloc((size_t)n * sizeof *st);
	struct fs_dent *ent = NULL;
	d->table = FS_DFA_COMB;
	d->st = st;
	if (!order || !cnt || !st)
		goto out;

	/* rows by decreasing number of exceptions (a counting sort) */
	for (uint32_t s = 0; s < n; s++)
		cnt[ncls - (b->row_off[s + 1] - b->row_off[s])]++;
	for (uint32_t i = 1; i <= ncls; i++)
		cnt[i] += cnt[i - 1];
	for (uint32_t s = n; s-- > 0;)
		order[--cnt[ncls - (b->row_off[s + 1] - b->row_off[s])]] = s;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = order[i], ns = map[s];
		uint32_t lo = b->row_off[s], hi = b->row_off[s + 1];
		st[ns].dflt = map[b->dflt[s]];
		st[ns].base = 0;
		if (lo == hi)
			continue; /* no exception: no entry can name this state as its owner */
		/* First fit among the next few slots from the lowest free one; failing that, right
		 * after the highest used slot (always free). The window keeps packing linear: holes
		 * it gives up on are left empty. */
		size_t base = 0, f = lowest_free;
		bool placed = false;
		for (int tries = 0; tries < 256 && f < hiwater; f++, tries++) {
			if (f < b->exc_cls[lo] || used[f])
				continue;
			base = f - b->exc_cls[lo];
			bool fits = true;
			for (uint32_t e = lo + 1; e < hi && fits; e++) {
				size_t slot = base + b->exc_cls[e];
				fits = slot >= cap || !used[slot];
			}
			if (fits) {
				placed = true;
				break;
			}
		}
		if (!placed) {
			base = hiwater > b->exc_cls[lo] ? hiwater - b->exc_cls[lo] : 0;
			if (f > lowest_free)
				lowest_free = f; /* do not scan these holes again */
		}
		if (base + ncls > cap) {
			size_t ncap = cap ? cap : 1024;
			while (ncap < base + ncls)
				ncap += ncap / 2;
			uint8_t *nu = realloc(used, ncap);
			struct fs_dent *ne = realloc(ent, ncap * sizeof *ne);
			if (nu)
				used = nu;
			if (ne)
				ent = ne;
			if (!nu || !ne)
				goto out;
			memset(used + cap, 0, ncap - cap);
			for (size_t j = cap; j < ncap; j++)
				ent[j] = (struct fs_dent){ .chk = UINT32_MAX, .nxt = 0 };
			cap = ncap;
		}
		st[ns].base = (uint32_t)base;
		for (uint32_t e = lo; e < hi; e++) {
			size_t slot = base + b->exc_cls[e];
			used[slot] = 1;
			ent[slot] = (struct fs_dent){ .chk = ns, .nxt = map[b->exc_to[e]] };
			if (slot + 1 > hiwater)
				hiwater = slot + 1;
		}
		if (base + ncls > top)
			top = base + ncls;
		while (lowest_free < cap && used[lowest_free])
			lowest_free++;
	}
	/* every base + class must be inside the array, also for rows without exceptions */
	if (top > cap) {
		struct fs_dent *ne = realloc(ent, top * sizeof *ne);
		if (!ne)
			goto out;
		ent = ne;
		for (size_t j = cap; j < top; j++)
			ent[j] = (struct fs_dent){ .chk = UINT32_MAX, .nxt = 0 };
	} else if (top < cap) {
		struct fs_dent *ne = realloc(ent, top * sizeof *ne); /* give back the slack */
		if (ne)
			ent = ne;
	}
	d->nent = (uint32_t)top;
	ok = true;
out:
	d->ent = ent;
	free(used);
	free(order);
	free(cnt);
	return ok;
}

static struct fs_dfa *finish(struct builder *b, const uint8_t *settled, size_t flat_max)
{
	const uint32_t n = b->n, ncls = b->ncls;
	struct fs_dfa *d = calloc(1, sizeof *d);
	uint32_t *map = malloc((size_t)n * sizeof *map);
	if (d)
		d->owned = true;
	if (!d || !map)
		goto fail;

	/* live states first, settled ones after: the matching loop stops at s >= nlive */
	uint32_t k = 0;
	for (uint32_t s = 0; s < n; s++)
		if (!settled[s])
			map[s] = k++;
	d->nlive = k;
	for (uint32_t s = 0; s < n; s++)
		if (settled[s])
			map[s] = k++;
	d->nstates = n;
	d->ncls = ncls;
	d->start = map[1];
	memcpy(d->cls, b->cls, 256);
	uint32_t *acc = malloc((size_t)n * sizeof *acc);
	d->acc = acc;
	if (!acc)
		goto fail;
	for (uint32_t s = 0; s < n; s++)
		acc[map[s]] = b->acc[s];

	/* 16-bit entries while every row offset fits (about 1,500 states at 40 classes), then
	 * while a quarter of it does (rows padded to 4 columns: about 6,500 states), 32-bit up to
	 * the cap; n <= FS_DFA_MAX_STATES and ncls <= 256 keep offsets within 32 bits. */
	size_t cells = (size_t)n * (ncls + 1), cells4 = (size_t)n * ((ncls + 1 + 3) & ~3u);
	bool built;
	if (cells <= 65536 && cells * sizeof(uint16_t) <= flat_max)
		built = flatten(b, d, map, FS_DFA_FLAT16);
	else if (cells4 <= 4 * 65536 && cells4 * sizeof(uint16_t) <= flat_max)
		built = flatten(b, d, map, FS_DFA_FLAT16X4);
	else if (cells * sizeof(uint32_t) <= flat_max)
		built = flatten(b, d, map, FS_DFA_FLAT32);
	else
		built = comb(b, d, map);
	if (!built)
		goto fail;
	free(map);
	return d;
fail:
	free(map);
	fs_dfa_free(d);
	b->oom = true;
	return NULL;
}

static void builder_free(struct builder *b)
{
	free(b->setcls_off);
	free(b->setcls);
	free(b->set_off);
	free(b->set_len);
	free(b->acc);
	free(b->dflt);
	free(b->row_off);
	free(b->exc_cls);
	free(b->exc_to);
	free(b->row);
	free(b->pool);
	free(b->hash);
	free(b->stamp);
	free(b->stack);
	free(b->out);
	free(b->bcount);
	free(b->bucket);
	free(b->set_mark);
	free(b->set_slot);
	free(b->dset);
	free(b->dstart);
	free(b->byset);
	free(b->gather);
}

struct fs_dfa *fs_dfa_build(const struct fs_nfa *a, bool *too_complex)
{
	return fs_dfa_build_flat_max(a, FS_DFA_FLAT_MAX_BYTES, too_complex);
}

struct fs_dfa *fs_dfa_build_flat_max(const struct fs_nfa *a, size_t flat_max, bool *too_complex)
{
	struct builder b = { .a = a };
	struct fs_dfa *d = NULL;
	uint8_t *settled = NULL;
	*too_complex = false;
	if (a->oom || a->nstarts == 0)
		return NULL;
	if (a->too_big) {
		*too_complex = true;
		return NULL;
	}
	if (!make_classes(&b))
		goto out;
	b.stamp = calloc(a->n, sizeof *b.stamp);
	b.stack = malloc((size_t)a->n * sizeof *b.stack);
	b.out = malloc((size_t)a->n * sizeof *b.out);
	b.bcount = malloc(((size_t)b.ncls + 1) * sizeof *b.bcount);
	b.row = malloc((size_t)b.ncls * sizeof *b.row);
	b.set_mark = calloc((size_t)a->nsets + 1, sizeof *b.set_mark);
	b.set_slot = malloc(((size_t)a->nsets + 1) * sizeof *b.set_slot);
	b.dset = malloc(((size_t)a->n + 1) * sizeof *b.dset);
	b.dstart = malloc(((size_t)a->n + 2) * sizeof *b.dstart);
	b.byset = malloc(((size_t)a->n + 1) * sizeof *b.byset);
	b.gather = malloc(((size_t)a->n + 1) * sizeof *b.gather);
	if (!b.stamp || !b.stack || !b.out || !b.bcount || !b.row || !b.set_mark || !b.set_slot ||
	    !b.dset || !b.dstart || !b.byset || !b.gather ||
	    /* the budget counts what the closures need; expand()'s groupings are scratch, like
	     * its buckets, and do not move the line between "too complex" and not */
	    !budget(&b, (size_t)a->n * 12)) {
		b.oom = !b.too_complex;
		goto out;
	}
	/* never NULL, even while only the empty set is in it */
	if (!grow_bytes(&b, (void **)&b.pool, &b.pool_cap, 1024, sizeof *b.pool))
		goto out;
	/* state 0: the empty set (dead); state 1: the start */
	uint32_t rank;
	if (intern(&b, NULL, 0, FS_RANK_NONE) != 0)
		goto out;
	uint32_t n = closure(&b, a->starts, a->nstarts, &rank);
	if (intern(&b, b.out, n, rank) != 1) {
		/* the start is the empty set (no pattern can match anything): keep two states */
		if (b.oom || b.too_complex)
			goto out;
		b.n = 2;
		b.set_off[1] = 0;
		b.set_len[1] = 0;
		b.acc[1] = rank;
	}
	for (uint32_t s = 0; s < b.n; s++) {
		if (!expand(&b, s))
			goto out;
		if (b.work > FS_DFA_MAX_WORK) { /* time, not memory, is what runs out here */
			b.too_complex = true;
			goto out;
		}
	}
	settled = calloc(b.n, 1);
	if (!settled) {
		b.oom = true;
		goto out;
	}
	if (settle(&b, settled))
		d = finish(&b, settled, flat_max);
out:
	*too_complex = b.too_complex;
	free(settled);
	builder_free(&b);
	return d;
}

void fs_dfa_free(struct fs_dfa *d)
{
	if (!d || !d->owned)
		return;
	free((void *)d->next16);
	free((void *)d->next32);
	free((void *)d->st);
	free((void *)d->ent);
	free((void *)d->acc);
	free(d);
}

size_t fs_dfa_bytes(const struct fs_dfa *d)
{
	if (!d)
		return 0;
	size_t flat = (size_t)d->nstates * d->stride;
	size_t bytes = sizeof *d + (size_t)d->nstates * sizeof *d->acc;
	switch (d->table) {
	case FS_DFA_FLAT16:
	case FS_DFA_FLAT16X4:
		return bytes + flat * sizeof *d->next16;
	case FS_DFA_FLAT32:
		return bytes + flat * sizeof *d->next32;
	default:
		return bytes + (size_t)d->nstates * sizeof *d->st + (size_t)d->nent * sizeof *d->ent;
	}
}

/* ---- 5. the compiled form (image.c) --------------------------------------------------------
 * The record below, then the tables as they are in memory. A view checks what the matching
 * loops rely on, so that no byte pattern leads them out of their arrays: every flat entry is
 * a row offset inside the table (the loop walks non-live rows too, between two '/'), every
 * comb row's slots lie inside the comb and every target is a state, every rank names a rule.
 * Whether a flat entry is a row start is not checked entry by entry (a division each): the
 * state read after a walk is bounded where it is read (fs_dfa_state). These checks read each
 * table once, as the checksum does (image.c). */
struct img_dfa {
	uint32_t nstates, nlive, start, ncls;
	uint32_t table, stride, live_rows, nent;
	uint32_t next, st, ent, acc;    /* offsets of the tables */
	uint8_t cls[256];
};

uint32_t fs_dfa_put(struct fs_img_writer *w, const struct fs_dfa *d)
{
	struct img_dfa r = {
		.nstates = d->nstates, .nlive = d->nlive, .start = d->start, .ncls = d->ncls,
		.table = d->table, .stride = d->stride, .live_rows = d->live_rows, .nent = d->nent,
	};
	memcpy(r.cls, d->cls, 256);
	size_t flat = (size_t)d->nstates * d->stride;
	if (d->table == FS_DFA_FLAT16 || d->table == FS_DFA_FLAT16X4)
		r.next = fs_img_put(w, d->next16, flat * sizeof *d->next16);
	else if (d->table == FS_DFA_FLAT32)
		r.next = fs_img_put(w, d->next32, flat * sizeof *d->next32);
	else {
		r.st = fs_img_put(w, d->st, (size_t)d->nstates * sizeof *d->st);
		r.ent = fs_img_put(w, d->ent, (size_t)d->nent * sizeof *d->ent);
	}
	r.acc = fs_img_put(w, d->acc, (size_t)d->nstates * sizeof *d->acc);
	return w->failed ? 0 : fs_img_put_record(w, &r, sizeof r);
}

/* Is any entry past lim? Written as an OR of compares, which the compiler turns into vector
 * instructions (SSE2, NEON): a 1,000-rule table is checked in tens of microseconds. Entries of
 * 32 bits are compared as signed (SSE2 has no unsigned compare): a valid one is below 2^31. */
__attribute__((optimize("tree-vectorize"))) static bool any_over16(const uint16_t *v, size_t n,
								  uint16_t lim)
{
	uint16_t bad = 0;
	for (size_t i = 0; i < n; i++)
		bad |= (uint16_t)(v[i] > lim);
	return bad != 0;
}

__attribute__((optimize("tree-vectorize"))) static bool any_over32(const uint32_t *v, size_t n,
								  uint32_t lim)
{
	const int32_t l = (int32_t)lim;
	uint32_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		int32_t x = (int32_t)v[i];
		bad |= (uint32_t)(x > l) | (uint32_t)(x < 0);
	}
	return bad != 0;
}

int fs_dfa_view(struct fs_img *im, uint32_t off, const uint32_t n[3], struct fs_dfa *d)
{
	const struct img_dfa *r = fs_img_array(im, off, 1, sizeof *r, 8, "automaton");
	if (!r)
		return -1;
	memset(d, 0, sizeof *d);
	if (r->ncls < 1 || r->ncls > 256 || r->nstates < 1 ||
	    (r->table != FS_DFA_COMB && r->table != FS_DFA_FLAT16X4 && r->stride != r->ncls + 1) ||
	    (r->table == FS_DFA_FLAT16X4 && (r->stride % 4 || r->stride < r->ncls + 1 ||
					    r->stride > r->ncls + 4)) ||
	    r->nstates > FS_DFA_MAX_STATES || r->nlive > r->nstates || r->start >= r->nstates ||
	    r->table > FS_DFA_TABLE_MAX)
		return fs_img_fail(im, "an automaton's sizes are inconsistent");
	for (unsigned b = 0; b < 256; b++)
		if (r->cls[b] >= r->ncls)
			return fs_img_fail(im, "an automaton's byte classes are out of range");
	d->nstates = r->nstates;
	d->nlive = r->nlive;
	d->start = r->start;
	d->ncls = r->ncls;
	d->table = (uint8_t)r->table;
	d->stride = r->stride;
	memcpy(d->cls, r->cls, 256);
	d->acc = fs_img_array(im, r->acc, r->nstates, sizeof *d->acc, 4, "accepting ranks");
	if (!d->acc)
		return -1;
	for (uint32_t s = 0; s < r->nstates && !im->trusted; s++)
		if (!fs_img_rank_ok(d->acc[s], n))
			return fs_img_fail(im, "an automaton accepts with a rule that does not exist");

	const uint64_t cells = (uint64_t)r->nstates * r->stride, last_row = cells - r->stride;
	if (r->table == FS_DFA_COMB) {
		d->st = fs_img_array(im, r->st, r->nstates, sizeof *d->st, 4, "automaton rows");
		d->ent = fs_img_array(im, r->ent, r->nent, sizeof *d->ent, 4, "automaton entries");
		if (!d->st || !d->ent)
			return -1;
		d->nent = r->nent;
		if (im->trusted)
			return 0;
		for (uint32_t s = 0; s < r->nstates; s++)
			if ((uint64_t)d->st[s].base + r->ncls > r->nent || d->st[s].dflt >= r->nstates)
				return fs_img_fail(im, "an automaton row points outside the automaton");
		for (uint32_t e = 0; e < r->nent; e++)
			if (d->ent[e].nxt >= r->nstates)
				return fs_img_fail(im, "an automaton entry points outside the automaton");
		return 0;
	}
	/* flat: entries are row offsets (multiples of the stride; a quarter of one for
	 * FS_DFA_FLAT16X4), the last column the state */
	const unsigned shift = r->table == FS_DFA_FLAT16X4 ? 2 : 0;
	if (r->live_rows != ((uint64_t)r->nlive * r->stride) >> shift ||
	    (r->table == FS_DFA_FLAT16 && cells > 65536) ||
	    (r->table == FS_DFA_FLAT16X4 && cells > 4 * 65536))
		return fs_img_fail(im, "an automaton's sizes are inconsistent");
	d->live_rows = r->live_rows;
	if (r->table == FS_DFA_FLAT16 || r->table == FS_DFA_FLAT16X4)
		d->next16 = fs_img_array(im, r->next, cells, sizeof *d->next16, 2, "automaton table");
	else
		d->next32 = fs_img_array(im, r->next, cells, sizeof *d->next32, 4, "automaton table");
	if (!d->next16 && !d->next32)
		return -1;
	if (im->trusted)
		return 0;
	/* a cursor c reads entries (c << shift) + class: at most last_row + ncls, inside */
	if (d->next16 ? any_over16(d->next16, cells, (uint16_t)(last_row >> shift))
		      : any_over32(d->next32, cells, (uint32_t)last_row))
		return fs_img_fail(im, "an automaton entry points outside the automaton");
	/* The last column holds the state's own number. An entry that is a row offset but not a
	 * row start would read another row's entry there instead: fs_dfa_state bounds what it
	 * reads, so that costs a verdict, never a read outside the tables. */
	for (uint32_t s = 0; s < r->nstates; s++) {
		uint64_t self = d->next16 ? d->next16[(uint64_t)s * r->stride + r->ncls]
					  : d->next32[(uint64_t)s * r->stride + r->ncls];
		if (self != s)
			return fs_img_fail(im, "an automaton row is not where its state says");
	}
	return 0;
}
