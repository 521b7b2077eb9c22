/*
 * test_dfa_tables.c — the automaton's two table layouts (policy/dfa.c) give the same answers:
 * the flat table (16-bit, 16-bit scaled by 4, 32-bit entries) against the comb, state for state and step for step,
 * on random and edge paths; the layout chosen by size; and the fused normal-path walk
 * (fs_match_normal_path) on every layout against normalise-then-match.
 *
 * White-box: builds automata from the NFA directly (internal.h) to choose the layout.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The three builds of one pattern set: default cap, comb only, flat at any size. */
struct builds {
	struct fs_dfa *dflt, *comb, *flat;
};

static uint32_t rng = 12345;
static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static struct builds build_all(char **pats, int n)
{
	struct builds b;
	struct fs_dfa **out[3] = { &b.dflt, &b.comb, &b.flat };
	size_t caps[3] = { FS_DFA_FLAT_MAX_BYTES, 0, SIZE_MAX };
	for (int k = 0; k < 3; k++) {
		struct fs_nfa a;
		fs_nfa_init(&a);
		for (int i = 0; i < n; i++) {
			char err[256];
			cr_assert_eq(fs_glob_check(pats[i], err, sizeof err), 0, "%s: %s", pats[i], err);
			cr_assert_eq(fs_glob_add(&a, pats[i], fs_rank(i % 3, (uint32_t)i)), 0);
		}
		bool too_complex;
		*out[k] = fs_dfa_build_flat_max(&a, caps[k], &too_complex);
		cr_assert_not_null(*out[k], "build %d failed (too complex: %d)", k, too_complex);
		fs_nfa_free(&a);
	}
	cr_assert_eq(b.comb->table, FS_DFA_COMB);
	cr_assert_neq(b.flat->table, FS_DFA_COMB);
	return b;
}

/* The fused normal-path walk's check (below): a rules struct around an automaton, and the
 * walk against normalise-then-match on one path. */
static struct fs_rules *rules_around(struct fs_dfa *d);
static void expect_fused_agrees(const struct fs_rules *r, const char *path);

static void free_all(struct builds *b)
{
	fs_dfa_free(b->dflt);
	fs_dfa_free(b->comb);
	fs_dfa_free(b->flat);
}

/* A path made of the pieces patterns are made of, so that walks go deep before they fail. */
static void random_path(char *buf, size_t cap)
{
	static const char *const pieces[] = {
		"/", "/", "/", "srv", "app", "1", "2", "7", "config", ".json", ".", "..", "x", "data",
		"tenant", "home", "user", "secret", ".so", "lib", "opt", "-", "a", "b", "/", "**",
	};
	size_t n = 0, parts = 1 + next_rand() % 14;
	buf[0] = 0;
	for (size_t i = 0; i < parts; i++) {
		const char *p = pieces[next_rand() % (sizeof pieces / sizeof pieces[0])];
		size_t l = strlen(p);
		if (n + l + 1 >= cap)
			break;
		memcpy(buf + n, p, l + 1);
		n += l;
	}
	if (next_rand() % 4 == 0 && n + 2 < cap) { /* now and then a byte from anywhere */
		buf[next_rand() % (n + 1)] = (char)(1 + next_rand() % 255);
		buf[n + 1] = 0;
	}
}

/* Same state, same steps, from every starting state, on the whole path and every prefix. */
static void expect_same_walk(const struct builds *b, const char *path)
{
	size_t len = strlen(path);
	for (size_t cut = 0; cut <= len; cut += (len / 4) + 1) {
		size_t s1 = 0, s2 = 0, s3 = 0;
		uint32_t a = fs_dfa_feed(b->comb, b->comb->start, (const uint8_t *)path, cut, &s1);
		uint32_t f = fs_dfa_feed(b->flat, b->flat->start, (const uint8_t *)path, cut, &s2);
		uint32_t d = fs_dfa_feed(b->dflt, b->dflt->start, (const uint8_t *)path, cut, &s3);
		cr_assert_eq(a, f, "\"%.*s\": comb state %u, flat %u", (int)cut, path, a, f);
		cr_assert_eq(a, d, "\"%.*s\": comb state %u, default build %u", (int)cut, path, a, d);
		cr_assert_eq(s1, s2, "\"%.*s\": comb %zu steps, flat %zu", (int)cut, path, s1, s2);
		cr_assert_eq(s1, s3);
		cr_assert_eq(b->comb->acc[a], b->flat->acc[f]);
	}
}

static char **literal_patterns(int n)
{
	char **p = malloc((size_t)n * sizeof *p);
	for (int i = 0; i < n; i++) {
		p[i] = malloc(64);
		switch (i % 4) {
		case 0: snprintf(p[i], 64, "/srv/app%d/config.json", i); break;
		case 1: snprintf(p[i], 64, "/data/tenant%d/**", i); break;
		case 2: snprintf(p[i], 64, "/home/*/secret%d.*", i); break;
		default: snprintf(p[i], 64, "/opt/**/lib%d.so", i); break;
		}
	}
	return p;
}

static void free_patterns(char **p, int n)
{
	for (int i = 0; i < n; i++)
		free(p[i]);
	free(p);
}

static const char *const edge_paths[] = {
	"", "/", "//", "/srv", "/srv/", "/srv/app1", "/srv/app1/config.json", "/srv/app1/config.jsonx",
	"/data/tenant1", "/data/tenant1/", "/data/tenant1/a/b/c", "/home/u/secret2.txt",
	"/home/u/secret2", "/opt/lib3.so", "/opt/a/b/lib3.so", "/opt/a/b/lib3.sox", "/\xff\x80",
	"/srv/app1/config.json/more", "/**", "/a/../srv/app1/config.json",
};

static void check_equivalence(char **pats, int n, int probes)
{
	struct builds b = build_all(pats, n);
	for (size_t i = 0; i < sizeof edge_paths / sizeof edge_paths[0]; i++)
		expect_same_walk(&b, edge_paths[i]);
	char path[256];
	for (int i = 0; i < probes; i++) {
		random_path(path, sizeof path);
		expect_same_walk(&b, path);
	}
	/* every row, every class: the whole transition function agrees */
	for (uint32_t s = 0; s < b.comb->nstates; s++)
		for (unsigned c = 0; c < 256; c++) {
			uint8_t byte = (uint8_t)c;
			cr_assert_eq(fs_dfa_feed(b.comb, s, &byte, 1, NULL), fs_dfa_feed(b.flat, s, &byte, 1, NULL),
				     "state %u byte %u", s, c);
		}
	free_all(&b);
}

Test(dfa_tables, flat16_equals_comb)
{
	char **p = literal_patterns(40);
	struct builds b = build_all(p, 40);
	cr_assert_eq(b.dflt->table, FS_DFA_FLAT16, "a 40-pattern category fits 16-bit entries");
	cr_assert_eq(b.flat->table, FS_DFA_FLAT16);
	free_all(&b);
	check_equivalence(p, 40, 5000);
	free_patterns(p, 40);
}

Test(dfa_tables, flat16x4_equals_comb, .timeout = 60)
{
	/* past 65,536 cells: 16-bit entries holding a quarter of the row offset, rows padded */
	char **p = literal_patterns(600);
	struct builds b = build_all(p, 600);
	cr_assert_gt((size_t)b.flat->nstates * b.flat->stride, 65536);
	cr_assert_eq(b.flat->table, FS_DFA_FLAT16X4);
	cr_assert_eq(b.flat->stride % 4, 0);
	cr_assert_eq(b.dflt->table, FS_DFA_FLAT16X4, "%u states x %u: under the cap", b.dflt->nstates,
		     b.dflt->stride);
	/* half the bytes a 32-bit table would take */
	cr_assert_lt(fs_dfa_bytes(b.flat), (size_t)b.flat->nstates * (b.flat->ncls + 1) * 4);
	free_all(&b);
	check_equivalence(p, 600, 3000);
	free_patterns(p, 600);
}

Test(dfa_tables, over_65536_states_comb_by_default_flat32_when_asked, .timeout = 120)
{
	/* literals of distinct digits: no sharing beyond the prefix, over 65,536 states */
	enum { N = 9000 };
	char **p = malloc(N * sizeof *p);
	for (int i = 0; i < N; i++) {
		p[i] = malloc(48);
		snprintf(p[i], 48, "/d%05d/f%05d", i, (i * 7919) % 100000);
	}
	struct builds b = build_all(p, N);
	cr_assert_geq(b.comb->nstates, 65536u, "%u states", b.comb->nstates);
	cr_assert_eq(b.dflt->table, FS_DFA_COMB, "%u states: over the flat cap, the comb", b.dflt->nstates);
	cr_assert_eq(b.flat->table, FS_DFA_FLAT32);
	/* the sizes reported are the tables really held */
	cr_assert_geq(fs_dfa_bytes(b.flat), (size_t)b.flat->nstates * b.flat->stride * 4);
	cr_assert_lt(fs_dfa_bytes(b.comb), fs_dfa_bytes(b.flat));
	char path[64];
	for (int i = 0; i < N; i += 97) {
		snprintf(path, sizeof path, "/d%05d/f%05d", i, (i * 7919) % 100000);
		expect_same_walk(&b, path);
		uint32_t s = fs_dfa_feed(b.flat, b.flat->start, (const uint8_t *)path, strlen(path), NULL);
		cr_assert_eq(b.flat->acc[s], fs_rank(i % 3, (uint32_t)i), "%s", path);
		path[strlen(path) - 1] ^= 1;
		expect_same_walk(&b, path);
	}
	/* the fused normal-path walk on 32-bit entries too */
	struct fs_rules *r32 = rules_around(b.flat);
	for (size_t i = 0; i < sizeof edge_paths / sizeof edge_paths[0]; i++)
		expect_fused_agrees(r32, edge_paths[i]);
	for (int i = 0; i < N; i += 31) {
		snprintf(path, sizeof path, "/d%05d/f%05d", i, (i * 7919) % 100000);
		expect_fused_agrees(r32, path);
	}
	free(r32);
	free_all(&b);
	free_patterns(p, N);
}

Test(dfa_tables, bytes_reported_follow_the_layout)
{
	char **p = literal_patterns(40);
	struct builds b = build_all(p, 40);
	size_t flat = (size_t)b.flat->nstates * b.flat->stride * sizeof(uint16_t);
	cr_assert_geq(fs_dfa_bytes(b.flat), flat);
	cr_assert_lt(fs_dfa_bytes(b.flat), flat + (size_t)b.flat->nstates * 4 + 1024);
	cr_assert_geq(fs_dfa_bytes(b.comb), (size_t)b.comb->nent * sizeof(struct fs_dent));
	free_all(&b);
	free_patterns(p, 40);
}

/* ---- the fused walk on every layout --------------------------------------------------------- */

/* A category around a hand-built automaton, as rules.c would make it. */
static struct fs_rules *rules_around(struct fs_dfa *d)
{
	struct fs_rules *r = calloc(1, sizeof *r);
	r->category = FS_READ;
	r->dflt = FS_ALERT;
	r->dfa = d;
	return r;
}

static void expect_fused_agrees(const struct fs_rules *r, const char *path)
{
	char norm[512];
	long want = fs_path_normal_length(path, sizeof norm);
	struct fs_verdict v = { .action = 99 };
	long n = fs_match_normal_path(r, path, sizeof norm, &v);
	cr_assert_eq(n, want, "\"%s\": fused %ld, fs_path_normal_length %ld", path, n, want);
	if (n < 0) {
		cr_assert_eq(v.action, 99, "\"%s\": verdict written for an abnormal path", path);
		return;
	}
	cr_assert_eq(fs_path_normalise(NULL, path, norm, sizeof norm), n);
	cr_assert_str_eq(norm, path);
	struct fs_verdict w = fs_match_path(r, norm, (size_t)n);
	cr_assert(v.action == w.action && v.list == w.list && v.index == w.index && v.init == w.init,
		  "\"%s\": fused %d/%d/%d, match_path %d/%d/%d", path, v.action, v.list, v.index, w.action,
		  w.list, w.index);
}

Test(dfa_tables, fused_walk_on_every_layout, .timeout = 60)
{
	char **p = literal_patterns(600);
	struct builds b = build_all(p, 600);
	char **q = literal_patterns(40);
	struct builds small = build_all(q, 40);
	struct fs_rules *rs[] = { rules_around(small.dflt), rules_around(b.comb), rules_around(b.flat) };
	cr_assert_eq(rs[0]->dfa->table, FS_DFA_FLAT16);
	cr_assert_eq(rs[1]->dfa->table, FS_DFA_COMB);
	cr_assert_eq(rs[2]->dfa->table, FS_DFA_FLAT16X4);
	char path[256];
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < sizeof edge_paths / sizeof edge_paths[0]; i++)
			expect_fused_agrees(rs[k], edge_paths[i]);
		for (int i = 0; i < 4000; i++) {
			random_path(path, sizeof path);
			expect_fused_agrees(rs[k], path);
		}
	}
	for (int k = 0; k < 3; k++)
		free(rs[k]);
	free_all(&b);
	free_all(&small);
	free_patterns(p, 600);
	free_patterns(q, 40);
}
