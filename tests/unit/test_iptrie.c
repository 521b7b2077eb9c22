/*
 * test_iptrie.c — the address matcher (policy/iptrie.c) against the plainest possible
 * reference: the best rank over every rule whose prefix contains the address and whose port is
 * the one asked or any. Random rule sets of IPv4 CIDRs (nested, adjacent, at both ends of the
 * space), IPv6 prefixes (some of them containing all of IPv4-mapped space) and ports; addresses
 * at every bound of every rule, either side of it, and at random. Both forms are asked: the
 * tables as built, and read back from an image by the view with every check on.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct ref_rule {
	uint8_t ip[16];
	unsigned plen;
	uint32_t port, rank;
};

static bool contains(const struct ref_rule *r, const uint8_t ip[16])
{
	for (unsigned i = 0; i < r->plen; i++) {
		unsigned byte = i >> 3, bit = 7 - (i & 7);
		if (((r->ip[byte] >> bit) & 1) != ((ip[byte] >> bit) & 1))
			return false;
	}
	return true;
}

static uint32_t reference(const struct ref_rule *rules, int n, const uint8_t ip[16], uint16_t port)
{
	uint32_t best = FS_RANK_NONE;
	for (int i = 0; i < n; i++)
		if ((rules[i].port == 0 || rules[i].port == port) && contains(&rules[i], ip) &&
		    rules[i].rank > best)
			best = rules[i].rank;
	return best;
}

static void v4(uint32_t a, uint8_t ip[16])
{
	memset(ip, 0, 16);
	ip[10] = ip[11] = 0xff;
	ip[12] = (uint8_t)(a >> 24);
	ip[13] = (uint8_t)(a >> 16);
	ip[14] = (uint8_t)(a >> 8);
	ip[15] = (uint8_t)a;
}

static uint32_t v4_of(const uint8_t ip[16])
{
	return (uint32_t)ip[12] << 24 | (uint32_t)ip[13] << 16 | (uint32_t)ip[14] << 8 | ip[15];
}

static uint32_t rnd32(void)
{
	return (uint32_t)rand() << 16 ^ (uint32_t)rand();
}

/* Zero the bits past plen, as the policy parser insists. */
static void mask(uint8_t ip[16], unsigned plen)
{
	for (unsigned i = plen; i < 128; i++)
		ip[i >> 3] &= (uint8_t) ~(1u << (7 - (i & 7)));
}

static const uint16_t PORTS[] = { 22, 80, 443, 5432, 6379 };

/* A random rule: mostly IPv4 CIDRs in a few small neighbourhoods (so they nest and touch),
 * some at the ends of the space, some IPv6, a few IPv6 prefixes that contain IPv4. */
static void random_rule(struct ref_rule *r, int n3)
{
	static const uint32_t BASES[] = { 0x0a000000, 0x7f000001, 0xc0a80000, 0x00000000, 0xffffff00 };
	int kind = rand() % 10;
	memset(r, 0, sizeof *r);
	if (kind < 7) {
		unsigned p4 = (unsigned)(rand() % 4 ? 16 + rand() % 17 : rand() % 33);
		v4(BASES[rand() % 5] + (rnd32() & 0x3ff), r->ip);
		r->plen = 96 + p4;
	} else if (kind < 9) {
		r->ip[0] = 0x20;
		r->ip[1] = 0x01;
		r->ip[2] = 0x0d;
		r->ip[3] = 0xb8;
		r->ip[4] = (uint8_t)(rand() % 4);
		r->ip[15] = (uint8_t)rand();
		r->plen = 32 + (unsigned)(rand() % 97);
	} else {
		static const unsigned COVER[] = { 0, 1, 64, 80, 95, 96 }; /* of ::ffff:0:0/96 */
		v4(0, r->ip);
		r->plen = COVER[rand() % 6];
	}
	mask(r->ip, r->plen);
	r->port = rand() % 3 ? 0 : PORTS[rand() % 5];
	r->rank = fs_rank(rand() % 3, (uint32_t)(rand() % n3));
}

/* View the trie record at off in w's bytes, untrusted: every check of the view runs. 0 or -1,
 * err: what it found wrong. */
static int view_at(const struct fs_img_writer *w, uint32_t off, const uint32_t n[3], struct fs_iptrie *view,
		   char err[256])
{
	err[0] = 0;
	struct fs_img im = { .base = w->buf, .len = w->len, .err = err, .errcap = 256 };
	return fs_iptrie_view(&im, off, n, view);
}

/* The tables read back through an image. */
static struct fs_iptrie *through_image(const struct fs_iptrie *t, struct fs_img_writer *w, struct fs_iptrie *view,
				       const uint32_t n[3], uint32_t *offp)
{
	memset(w, 0, sizeof *w);
	uint8_t header[16] = { 0 };
	fs_img_put(w, header, sizeof header); /* offset 0 means none */
	uint32_t off = fs_iptrie_put(w, t);
	cr_assert(off && !w->failed);
	char err[256];
	cr_assert_eq(view_at(w, off, n, view, err), 0, "%s", err);
	if (offp)
		*offp = off;
	return view;
}

Test(iptrie, same_as_the_reference_on_random_policies, .timeout = 60)
{
	srand(2024);
	enum { NRULES = 64, N3 = 40 };
	const uint32_t n3[3] = { N3, N3, N3 };
	for (int round = 0; round < 300; round++) {
		struct ref_rule rules[NRULES];
		int n = 1 + rand() % NRULES;
		struct fs_iptrie_builder *b = fs_iptrie_builder_new();
		cr_assert_not_null(b);
		for (int i = 0; i < n; i++) {
			random_rule(&rules[i], N3);
			cr_assert_eq(fs_iptrie_add(b, rules[i].ip, rules[i].plen, rules[i].port, rules[i].rank), 0);
		}
		struct fs_iptrie *t = fs_iptrie_finish(b);
		cr_assert_not_null(t);
		struct fs_img_writer w;
		struct fs_iptrie view;
		const struct fs_iptrie *forms[2] = { t, through_image(t, &w, &view, n3, NULL) };

		/* every rule's first address, last address and their neighbours, then random */
		for (int q = 0; q < 4 * n + 200; q++) {
			uint8_t ip[16];
			if (q < 4 * n) {
				const struct ref_rule *r = &rules[q / 4];
				memcpy(ip, r->ip, 16);
				if (q & 2) /* the last address: every bit past plen set */
					for (unsigned i = r->plen; i < 128; i++)
						ip[i >> 3] |= (uint8_t)(1u << (7 - (i & 7)));
				if (q & 1 && fs_ip_is_v4(ip)) /* one further out */
					v4(v4_of(ip) + (q & 2 ? 1u : -1u), ip);
			} else if (q % 3) {
				v4(rand() % 2 ? rnd32() : 0x0a000000 + (rnd32() & 0x7ff), ip);
			} else {
				memcpy(ip, rules[rand() % n].ip, 16);
				ip[15] ^= (uint8_t)rand();
			}
			for (size_t k = 0; k < sizeof PORTS / sizeof *PORTS + 1; k++) {
				uint16_t port = k < sizeof PORTS / sizeof *PORTS ? PORTS[k] : 1;
				uint32_t want = reference(rules, n, ip, port);
				for (int f = 0; f < 2; f++) {
					size_t steps = 0;
					cr_assert_eq(fs_iptrie_match(forms[f], ip, port, NULL), want,
						     "round %d query %d port %u form %d", round, q, port, f);
					cr_assert_eq(fs_iptrie_match(forms[f], ip, port, &steps), want);
					cr_assert_leq(steps, 129 + 33 + 130);
				}
			}
		}
		free(w.buf);
		fs_iptrie_free(t);
	}
}

/* The IPv4 index is as small as the rules allow: at most two intervals per IPv4 rule and one,
 * starting at 0.0.0.0, when there is none; IPv6 rules do not add to it. */
Test(iptrie, ipv4_index_size)
{
	struct fs_iptrie_builder *b = fs_iptrie_builder_new();
	uint8_t ip[16];
	v4(0, ip);
	ip[0] = 0x20; /* 2000::/3 */
	fs_iptrie_add(b, ip, 3, 0, fs_rank(0, 0));
	struct fs_iptrie *t = fs_iptrie_finish(b);
	cr_assert_eq(t->nv4, 1);
	fs_iptrie_free(t);

	b = fs_iptrie_builder_new();
	for (uint32_t i = 0; i < 10; i++) {
		v4(0x0a000000 + (i << 8), ip);
		fs_iptrie_add(b, ip, 96 + 24, 0, fs_rank(0, i));
	}
	v4(0x0a000000, ip);
	fs_iptrie_add(b, ip, 96 + 8, 443, fs_rank(0, 10)); /* contains them all */
	t = fs_iptrie_finish(b);
	cr_assert_leq(t->nv4, 2 * 11 + 1);
	cr_assert_geq(t->nv4, 11);
	fs_iptrie_free(t);
}

/* What the lookup relies on and the view must refuse in a crafted image (whose checksum would
 * be right): an interval naming a group that does not exist, an index that does not start at
 * 0 or does not rise, a group whose "up" does not point to an earlier group (a chain that
 * would not end). The tables are poked through the view's pointers into the image's bytes, by
 * their documented layout: an interval is {start, group}, a group {any, first, n, up}. */
Test(iptrie, view_refuses_what_the_lookup_relies_on)
{
	const uint32_t n3[3] = { 8, 8, 8 };
	struct fs_iptrie_builder *b = fs_iptrie_builder_new();
	uint8_t ip[16];
	v4(0x0a000000, ip);
	fs_iptrie_add(b, ip, 96 + 8, 5432, fs_rank(0, 0));   /* 10.0.0.0/8:5432 */
	v4(0x0a010000, ip);
	fs_iptrie_add(b, ip, 96 + 16, 443, fs_rank(1, 1));   /* 10.1.0.0/16:443, inside it */
	v4(0x0a010200, ip);
	fs_iptrie_add(b, ip, 96 + 24, 0, fs_rank(2, 2));     /* 10.1.2.0/24, inside both */
	struct fs_iptrie *t = fs_iptrie_finish(b);
	cr_assert_eq(t->ngroups, 3);
	cr_assert_geq(t->nv4, 4);
	for (int kind = 0; kind < 5; kind++) {
		struct fs_img_writer w;
		struct fs_iptrie view;
		uint32_t off;
		through_image(t, &w, &view, n3, &off);
		uint32_t *iv = (uint32_t *)view.v4, *grp = (uint32_t *)view.groups;
		const char *want = kind < 3 ? "IPv4 index" : "address group";
		switch (kind) {
		case 0: iv[2 * 1 + 1] = t->ngroups + 1; break;    /* a group past the last */
		case 1: iv[0] = 1; break;                           /* not from 0.0.0.0 */
		case 2: iv[2 * 2] = iv[2 * 1]; break;               /* not rising */
		case 3: grp[0 * 4 + 3] = 1; break;                  /* the first group up to itself */
		case 4: grp[2 * 4 + 3] = 3; break;                  /* the last one up to itself */
		}
		char err[256];
		cr_expect_eq(view_at(&w, off, n3, &view, err), -1, "kind %d", kind);
		cr_expect(strstr(err, want), "kind %d: %s", kind, err);
		free(w.buf);
	}
	fs_iptrie_free(t);
}
