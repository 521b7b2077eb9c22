/*
 * iptrie.c — address rules of connect/listen: a binary trie over the 128-bit address.
 *
 * IPv4 is stored IPv4-mapped (::ffff:a.b.c.d), so one trie serves both families and a mapped
 * address given by the caller meets the IPv4 rules. A node that ends a prefix holds a group:
 * the best rank among its any-port rules, and its per-port rules sorted by port (best rank per
 * port). Matching walks at most 128 bits from the root, looking at each group on the way (one
 * compare and a binary search), so the cost is bounded by the address length and log(ports),
 * not by the number of rules. The pattern "*" is the root's group (prefix length 0).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct group {
	uint32_t any;           /* best rank of the rules without a port */
	uint32_t first, n;      /* their per-port rules: ports[first .. first+n) */
};

struct port_rule {
	uint16_t port;
	uint32_t rank;
};

struct fs_iptrie {
	uint32_t nnodes;
	uint32_t (*child)[2];   /* 0: none (the root is nobody's child) */
	uint32_t *group;        /* per node: group index + 1, 0 for none */
	struct group *groups;
	uint32_t ngroups;
	struct port_rule *ports;
	uint32_t nports;
};

struct rule {
	uint32_t node, port, rank;
};

struct fs_iptrie_builder {
	uint32_t (*child)[2];
	uint32_t nnodes, cap;
	struct rule *rules;
	uint32_t nrules, rcap;
};

struct fs_iptrie_builder *fs_iptrie_builder_new(void)
{
	struct fs_iptrie_builder *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->cap = 64;
	b->child = calloc(b->cap, sizeof *b->child);
	if (!b->child) {
		free(b);
		return NULL;
	}
	b->nnodes = 1; /* the root */
	return b;
}

void fs_iptrie_builder_free(struct fs_iptrie_builder *b)
{
	if (!b)
		return;
	free(b->child);
	free(b->rules);
	free(b);
}

static inline int bit_at(const uint8_t ip[16], unsigned i)
{
	return (ip[i >> 3] >> (7 - (i & 7))) & 1;
}

int fs_iptrie_add(struct fs_iptrie_builder *b, const uint8_t ip[16], unsigned plen, uint32_t port, uint32_t rank)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < plen && i < 128; i++) {
		int bit = bit_at(ip, i);
		if (!b->child[n][bit]) {
			if (b->nnodes >= FS_IPTRIE_MAX_NODES)
				return -1;
			if (b->nnodes == b->cap) {
				uint32_t (*nc)[2] = realloc(b->child, (size_t)b->cap * 2 * sizeof *nc);
				if (!nc)
					return -1;
				b->child = nc;
				b->cap *= 2;
			}
			memset(b->child[b->nnodes], 0, sizeof *b->child);
			b->child[n][bit] = b->nnodes++;
		}
		n = b->child[n][bit];
	}
	if (b->nrules == b->rcap) {
		uint32_t ncap = b->rcap ? b->rcap * 2 : 32;
		struct rule *nr = realloc(b->rules, (size_t)ncap * sizeof *nr);
		if (!nr)
			return -1;
		b->rules = nr;
		b->rcap = ncap;
	}
	b->rules[b->nrules++] = (struct rule){ .node = n, .port = port, .rank = rank };
	return 0;
}

static int cmp_rule(const void *x, const void *y)
{
	const struct rule *a = x, *b = y;
	if (a->node != b->node)
		return a->node < b->node ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return 0;
}

struct fs_iptrie *fs_iptrie_finish(struct fs_iptrie_builder *b)
{
	struct fs_iptrie *t = calloc(1, sizeof *t);
	if (!t)
		goto fail;
	qsort(b->rules, b->nrules, sizeof *b->rules, cmp_rule);
	t->nnodes = b->nnodes;
	t->child = b->child;
	b->child = NULL;
	t->group = calloc(t->nnodes, sizeof *t->group);
	t->groups = calloc(b->nrules ? b->nrules : 1, sizeof *t->groups);
	t->ports = calloc(b->nrules ? b->nrules : 1, sizeof *t->ports);
	if (!t->group || !t->groups || !t->ports)
		goto fail;
	for (uint32_t i = 0; i < b->nrules;) {
		uint32_t node = b->rules[i].node;
		struct group *g = &t->groups[t->ngroups];
		*g = (struct group){ .any = FS_RANK_NONE, .first = t->nports, .n = 0 };
		t->group[node] = ++t->ngroups;
		for (; i < b->nrules && b->rules[i].node == node; i++) {
			const struct rule *r = &b->rules[i];
			if (r->port == 0) {
				if (r->rank > g->any)
					g->any = r->rank;
			} else if (g->n && t->ports[t->nports - 1].port == r->port) {
				if (r->rank > t->ports[t->nports - 1].rank)
					t->ports[t->nports - 1].rank = r->rank;
			} else {
				t->ports[t->nports++] = (struct port_rule){ .port = (uint16_t)r->port, .rank = r->rank };
				g->n++;
			}
		}
	}
	fs_iptrie_builder_free(b);
	return t;
fail:
	fs_iptrie_builder_free(b);
	fs_iptrie_free(t);
	return NULL;
}

void fs_iptrie_free(struct fs_iptrie *t)
{
	if (!t)
		return;
	free(t->child);
	free(t->group);
	free(t->groups);
	free(t->ports);
	free(t);
}

size_t fs_iptrie_bytes(const struct fs_iptrie *t)
{
	return t ? sizeof *t + (size_t)t->nnodes * 12 + (size_t)t->ngroups * sizeof(struct group) +
			   (size_t)t->nports * sizeof(struct port_rule)
		 : 0;
}

static uint32_t group_rank(const struct fs_iptrie *t, uint32_t gi, uint16_t port)
{
	const struct group *g = &t->groups[gi - 1];
	uint32_t best = g->any;
	uint32_t lo = g->first, hi = g->first + g->n;
	while (lo < hi) { /* binary search for the port */
		uint32_t mid = lo + (hi - lo) / 2;
		if (t->ports[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < g->first + g->n && t->ports[lo].port == port && t->ports[lo].rank > best)
		best = t->ports[lo].rank;
	return best;
}

uint32_t fs_iptrie_match(const struct fs_iptrie *t, const uint8_t ip[16], uint16_t port, size_t *steps)
{
	uint32_t best = FS_RANK_NONE, n = 0;
	unsigned i = 0;
	for (;;) {
		if (t->group[n]) {
			uint32_t r = group_rank(t, t->group[n], port);
			if (r > best)
				best = r;
		}
		if (i == 128)
			break;
		n = t->child[n][bit_at(ip, i++)];
		if (!n)
			break;
	}
	if (steps)
		*steps += i;
	return best;
}
