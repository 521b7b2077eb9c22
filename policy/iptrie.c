/*
 * iptrie.c — address rules of connect/listen: a binary trie over the 128-bit address.
 *
 * IPv4 is stored IPv4-mapped (::ffff:a.b.c.d), so one trie serves both families and a mapped
 * address given by the caller meets the IPv4 rules. A node that ends a prefix holds a group:
 * the best rank among its any-port rules, and its per-port rules sorted by port (best rank per
 * port). The pattern "*" is the root's group (prefix length 0).
 *
 * The trie is built bit by bit, then path-compressed: only the root, nodes with a group and
 * branching nodes are kept, each with its whole prefix, so a lookup does not walk the 96
 * shared bits of ::ffff:0:0/96 one by one but jumps from kept node to kept node, checking the
 * skipped bits with two masked 64-bit compares. Its cost is bounded by 128 levels and
 * log(ports) — in practice a handful of nodes — not by the number of rules.
 *
 * IPv4 addresses, the common case of a connect, do not walk the trie at all: the IPv4 space
 * is cut into disjoint intervals at every start and end of an IPv4 CIDR, and each interval
 * names the innermost group covering it (the IPv6 prefixes that contain ::ffff:0:0/96 count
 * as covering all of it). A lookup is a binary search for the interval, then one group.
 *
 * Either way a lookup ends at the innermost group, the one of the longest prefix that
 * contains the address; the rules of every shorter such prefix apply too. So that this takes
 * no walk back up, a group carries them: its any-port rank is the best of its own and of every
 * enclosing prefix's, and it names the nearest enclosing group that has per-port rules ("up"),
 * which names the next: only groups with port rules are visited, and a lookup that meets none
 * reads the one group. The enclosing prefixes of a node are exactly its ancestors in the trie
 * that hold groups.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Fixed-width fields without padding: these arrays are written into images as they are. */
struct fs_iptrie_group {
	uint32_t any;           /* best rank of the rules without a port, of this prefix and of
				 * every prefix that contains it */
	uint32_t first, n;      /* this prefix's per-port rules: ports[first .. first+n) */
	uint32_t up;            /* the nearest enclosing group with per-port rules (index + 1),
				 * 0: none; always below this group's own index + 1, so a chain ends */
};

struct fs_iptrie_v4 {
	uint32_t start;         /* first IPv4 address of the interval; v4[0].start is 0 */
	uint32_t group;         /* innermost group covering it (index + 1), 0: none */
};

struct fs_iptrie_port {
	uint32_t port;          /* 1..65535 */
	uint32_t rank;
};

struct fs_iptrie_node {
	uint64_t pfx[2];        /* the node's prefix, big-endian halves, bits past depth zero */
	uint32_t child[2];      /* kept nodes below, by the next bit; 0: none */
	uint32_t group;         /* index + 1 into groups, 0: none */
	uint32_t depth;         /* prefix length, 0..128 */
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

static void set_bit(uint64_t pfx[2], unsigned i)
{
	pfx[i >> 6] |= (uint64_t)1 << (63 - (i & 63));
}

static int build_v4(struct fs_iptrie *t);

struct fs_iptrie *fs_iptrie_finish(struct fs_iptrie_builder *b)
{
	struct fs_iptrie *t = calloc(1, sizeof *t);
	uint32_t *ugroup = calloc(b->nnodes, sizeof *ugroup); /* per built node */
	struct fs_iptrie_group *groups = NULL;
	struct fs_iptrie_port *ports = NULL;
	struct fs_iptrie_node *nodes = NULL;
	if (!t || !ugroup)
		goto fail;
	t->owned = true;
	if (b->nrules)
		qsort(b->rules, b->nrules, sizeof *b->rules, cmp_rule);
	t->groups = groups = calloc(b->nrules ? b->nrules : 1, sizeof *groups);
	t->ports = ports = calloc(b->nrules ? b->nrules : 1, sizeof *ports);
	if (!groups || !ports)
		goto fail;

	/* groups: the rules of each node, best rank per port */
	for (uint32_t i = 0; i < b->nrules;) {
		uint32_t node = b->rules[i].node;
		struct fs_iptrie_group *g = &groups[t->ngroups];
		*g = (struct fs_iptrie_group){ .any = FS_RANK_NONE, .first = t->nports, .n = 0 };
		ugroup[node] = ++t->ngroups;
		for (; i < b->nrules && b->rules[i].node == node; i++) {
			const struct rule *r = &b->rules[i];
			if (r->port == 0) {
				if (r->rank > g->any)
					g->any = r->rank;
			} else if (g->n && ports[t->nports - 1].port == r->port) {
				if (r->rank > ports[t->nports - 1].rank)
					ports[t->nports - 1].rank = r->rank;
			} else {
				ports[t->nports++] = (struct fs_iptrie_port){ .port = r->port, .rank = r->rank };
				g->n++;
			}
		}
	}

	/* path compression: keep the root, nodes with a group, and branching nodes */
	uint32_t kept = 1;
	for (uint32_t u = 1; u < b->nnodes; u++)
		kept += ugroup[u] || (b->child[u][0] && b->child[u][1]);
	t->nodes = nodes = calloc(kept, sizeof *nodes);
	if (!nodes)
		goto fail;
	struct item {
		uint32_t u, parent, depth;
		uint32_t gparent; /* group of the nearest ancestor that has one */
		int dir;
		uint64_t pfx[2];
	} stack[2 * 130];
	int sp = 0;
	stack[sp++] = (struct item){ .u = 0, .parent = UINT32_MAX };
	while (sp) {
		struct item it = stack[--sp];
		uint32_t parent = it.parent, gparent = it.gparent;
		int dir = it.dir;
		if (ugroup[it.u]) {
			/* Take in what the enclosing prefixes' rules say (see the top). Builder nodes
			 * are numbered top-down and groups in node order, so an ancestor's group comes
			 * first, and was done: up < own index + 1 (the view checks it). */
			struct fs_iptrie_group *g = &groups[ugroup[it.u] - 1];
			if (gparent) {
				const struct fs_iptrie_group *pg = &groups[gparent - 1];
				if (pg->any > g->any)
					g->any = pg->any;
				g->up = pg->n ? gparent : pg->up;
			}
			gparent = ugroup[it.u];
		}
		if (it.u == 0 || ugroup[it.u] || (b->child[it.u][0] && b->child[it.u][1])) {
			uint32_t k = t->nnodes++;
			nodes[k] = (struct fs_iptrie_node){ .pfx = { it.pfx[0], it.pfx[1] }, .group = ugroup[it.u],
						      .depth = it.depth };
			if (parent != UINT32_MAX)
				nodes[parent].child[dir] = k;
			parent = k;
			dir = -1; /* the next bit chooses the child */
		}
		for (int bit = 1; bit >= 0; bit--) {
			uint32_t c = b->child[it.u][bit];
			if (!c)
				continue;
			struct item ch = { .u = c, .parent = parent, .depth = it.depth + 1,
					   .gparent = gparent, .dir = dir < 0 ? bit : dir,
					   .pfx = { it.pfx[0], it.pfx[1] } };
			if (bit)
				set_bit(ch.pfx, it.depth);
			stack[sp++] = ch;
		}
	}
	free(ugroup);
	fs_iptrie_builder_free(b);
	if (build_v4(t) < 0) {
		fs_iptrie_free(t);
		return NULL;
	}
	return t;
fail:
	free(ugroup);
	fs_iptrie_builder_free(b);
	fs_iptrie_free(t);
	return NULL;
}

void fs_iptrie_free(struct fs_iptrie *t)
{
	if (!t || !t->owned)
		return;
	free((void *)t->nodes);
	free((void *)t->groups);
	free((void *)t->ports);
	free((void *)t->v4);
	free(t);
}

size_t fs_iptrie_bytes(const struct fs_iptrie *t)
{
	return t ? sizeof *t + (size_t)t->nnodes * sizeof *t->nodes + (size_t)t->ngroups * sizeof(struct fs_iptrie_group) +
			   (size_t)t->nports * sizeof(struct fs_iptrie_port) +
			   (size_t)t->nv4 * sizeof(struct fs_iptrie_v4)
		 : 0;
}

/* The rank of g's own rule for this port, FS_RANK_NONE when it has none. */
static inline uint32_t port_rank(const struct fs_iptrie *t, const struct fs_iptrie_group *g,
				 uint16_t port)
{
	uint32_t best = FS_RANK_NONE;
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

static inline uint64_t load_be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* Do the first n->depth bits of a equal n's prefix? */
static inline bool prefix_matches(const uint64_t a[2], const struct fs_iptrie_node *n)
{
	unsigned d = n->depth;
	uint64_t x0 = a[0] ^ n->pfx[0], x1 = a[1] ^ n->pfx[1];
	if (d == 0)
		return true;
	if (d <= 64)
		return (x0 >> (64 - d)) == 0;
	return x0 == 0 && (x1 >> (128 - d)) == 0;
}

/* The group of the longest prefix that contains ip (0: none), through the trie; steps (if not
 * NULL) counts the nodes. */
static uint32_t trie_innermost(const struct fs_iptrie *t, const uint8_t ip[16], size_t *steps)
{
	const uint64_t a[2] = { load_be64(ip), load_be64(ip + 8) };
	uint32_t g = 0, visited = 0;
	const struct fs_iptrie_node *n = &t->nodes[0];
	for (;;) {
		visited++;
		if (n->group)
			g = n->group;
		unsigned d = n->depth;
		if (d >= 128)
			break;
		unsigned bit = (unsigned)(a[d >> 6] >> (63 - (d & 63))) & 1;
		uint32_t c = n->child[bit];
		if (!c || !prefix_matches(a, &t->nodes[c]))
			break;
		n = &t->nodes[c];
	}
	if (steps)
		*steps += visited;
	return g;
}

/* The same for an IPv4 address (host order), through the interval index: the last interval
 * that starts at or before it. Branch-free halving (the compare becomes a conditional move):
 * log2(intervals) rounds of a few instructions, whatever the address. */
static inline uint32_t v4_innermost(const struct fs_iptrie *t, uint32_t addr, size_t *steps)
{
	const struct fs_iptrie_v4 *base = t->v4;
	size_t n = t->nv4;
	if (steps) /* its rounds */
		*steps += n > 1 ? 64 - (size_t)__builtin_clzll(n - 1) : 0;
	while (n > 1) {
		size_t half = n / 2;
		base = base[half].start <= addr ? base + half : base;
		n -= half;
	}
	return base->group;
}

static inline bool is_v4_mapped(const uint64_t a[2])
{
	return a[0] == 0 && (a[1] >> 32) == 0xffff;
}

/* The best rank over group g and every group enclosing it: their any-port rules are in its
 * own, their per-port rules down the chain of "up". */
static __attribute__((noinline)) uint32_t chain_rank(const struct fs_iptrie *t, uint32_t g,
						     uint16_t port, size_t *steps)
{
	uint32_t best = t->groups[g - 1].any;
	for (; g; g = t->groups[g - 1].up) {
		uint32_t r = port_rank(t, &t->groups[g - 1], port);
		best = r > best ? r : best;
		if (steps)
			++*steps;
	}
	return best;
}

/* The best rank once the innermost group g (0: none) is known. */
static inline uint32_t group_match(const struct fs_iptrie *t, uint32_t g, uint16_t port, size_t *steps)
{
	if (!g)
		return FS_RANK_NONE;
	const struct fs_iptrie_group *x = &t->groups[g - 1];
	if (!x->n && !x->up) /* no per-port rule applies (most lookups): its any-port rank */
		return x->any;
	return chain_rank(t, g, port, steps);
}

/* IPv6 addresses: out of line, IPv4 ones take the index. */
static __attribute__((noinline)) uint32_t trie_match(const struct fs_iptrie *t, const uint8_t ip[16],
						     uint16_t port, size_t *steps)
{
	return group_match(t, trie_innermost(t, ip, steps), port, steps);
}

/* IPv4 first, in a leaf that keeps nothing across a call: the other paths are tail calls. */
uint32_t fs_iptrie_match(const struct fs_iptrie *t, const uint8_t ip[16], uint16_t port, size_t *steps)
{
	const uint64_t a[2] = { load_be64(ip), load_be64(ip + 8) };
	if (!is_v4_mapped(a))
		return trie_match(t, ip, port, steps);
	return group_match(t, v4_innermost(t, (uint32_t)a[1], steps), port, steps);
}

/* The IPv4 index (see the top): the bounds are 0 and each IPv4 CIDR's first address and the
 * one after its last; between two bounds every address lies in the same CIDRs, so the group
 * the trie finds for the bound is the interval's. Adjacent intervals with one group merge. */
static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static int build_v4(struct fs_iptrie *t)
{
	size_t cap = 2 * (size_t)t->nnodes + 1;
	uint64_t *bound = malloc(cap * sizeof *bound);
	struct fs_iptrie_v4 *v4 = malloc(cap * sizeof *v4);
	if (!bound || !v4) {
		free(bound);
		free(v4);
		return -1;
	}
	size_t nb = 0;
	bound[nb++] = 0;
	for (uint32_t i = 0; i < t->nnodes; i++) {
		const struct fs_iptrie_node *x = &t->nodes[i];
		/* prefixes of /96 or shorter that contain IPv4 cover all of it: no bound */
		if (!x->group || x->depth <= 96 || !is_v4_mapped(x->pfx))
			continue;
		uint64_t first = (uint32_t)x->pfx[1], size = (uint64_t)1 << (128 - x->depth);
		bound[nb++] = first;
		if (first + size <= UINT32_MAX)
			bound[nb++] = first + size;
	}
	qsort(bound, nb, sizeof *bound, cmp_u64);
	uint32_t n = 0;
	for (size_t i = 0; i < nb; i++) {
		if (i && bound[i] == bound[i - 1])
			continue;
		uint32_t x = (uint32_t)bound[i];
		const uint8_t ip[16] = { [10] = 0xff, [11] = 0xff, [12] = (uint8_t)(x >> 24),
					 (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x };
		uint32_t g = trie_innermost(t, ip, NULL);
		if (n && v4[n - 1].group == g)
			continue;
		v4[n++] = (struct fs_iptrie_v4){ .start = (uint32_t)bound[i], .group = g };
	}
	free(bound);
	t->v4 = v4;
	t->nv4 = n;
	return 0;
}

/* ---- the compiled form (image.c) ---------------------------------------------------------- */

struct img_trie {
	uint32_t nnodes, ngroups, nports, nv4;
	uint32_t nodes, groups, ports, v4;  /* offsets */
};

uint32_t fs_iptrie_put(struct fs_img_writer *w, const struct fs_iptrie *t)
{
	struct img_trie r = { .nnodes = t->nnodes, .ngroups = t->ngroups, .nports = t->nports,
			      .nv4 = t->nv4 };
	r.nodes = fs_img_put(w, t->nodes, (size_t)t->nnodes * sizeof *t->nodes);
	if (t->ngroups)
		r.groups = fs_img_put(w, t->groups, (size_t)t->ngroups * sizeof *t->groups);
	if (t->nports)
		r.ports = fs_img_put(w, t->ports, (size_t)t->nports * sizeof *t->ports);
	r.v4 = fs_img_put(w, t->v4, (size_t)t->nv4 * sizeof *t->v4);
	return w->failed ? 0 : fs_img_put_record(w, &r, sizeof r);
}

/* What fs_iptrie_match relies on: children lie deeper than their parent (so a lookup ends
 * within 129 nodes), groups and their ports are inside their arrays, the group a group names
 * as "up" comes before it (so a chain ends), the IPv4 index is not empty and names groups
 * that exist, ranks name rules. (That the index starts at 0 and rises is checked too: the
 * search reads inside the array whatever the starts are, but would find a wrong interval.) */
int fs_iptrie_view(struct fs_img *im, uint32_t off, const uint32_t n[3], struct fs_iptrie *t)
{
	const struct img_trie *r = fs_img_array(im, off, 1, sizeof *r, 4, "address trie");
	if (!r)
		return -1;
	memset(t, 0, sizeof *t);
	if (r->nnodes < 1 || r->nnodes > FS_IPTRIE_MAX_NODES || r->nv4 < 1 ||
	    r->nv4 > 2 * r->nnodes + 1)
		return fs_img_fail(im, "an address trie's sizes are inconsistent");
	t->nodes = fs_img_array(im, r->nodes, r->nnodes, sizeof *t->nodes, 8, "address trie nodes");
	t->groups = r->ngroups ? fs_img_array(im, r->groups, r->ngroups, sizeof *t->groups, 4,
					      "address groups") : NULL;
	t->ports = r->nports ? fs_img_array(im, r->ports, r->nports, sizeof *t->ports, 4, "port rules")
			     : NULL;
	t->v4 = fs_img_array(im, r->v4, r->nv4, sizeof *t->v4, 4, "IPv4 index");
	if (!t->nodes || (r->ngroups && !t->groups) || (r->nports && !t->ports) || !t->v4)
		return -1;
	t->nnodes = r->nnodes;
	t->ngroups = r->ngroups;
	t->nports = r->nports;
	t->nv4 = r->nv4;
	if (im->trusted)
		return 0;
	for (uint32_t i = 0; i < r->nnodes; i++) {
		const struct fs_iptrie_node *x = &t->nodes[i];
		if (x->depth > 128 || x->group > r->ngroups)
			return fs_img_fail(im, "an address trie node is out of range");
		for (int b = 0; b < 2; b++)
			if (x->child[b] && (x->child[b] >= r->nnodes ||
					    t->nodes[x->child[b]].depth <= x->depth))
				return fs_img_fail(im, "an address trie node points outside the trie");
	}
	for (uint32_t g = 0; g < r->ngroups; g++) {
		const struct fs_iptrie_group *x = &t->groups[g];
		if ((uint64_t)x->first + x->n > r->nports || !fs_img_rank_ok(x->any, n) || x->up > g)
			return fs_img_fail(im, "an address group is out of range");
	}
	for (uint32_t i = 0; i < r->nv4; i++) {
		const struct fs_iptrie_v4 *x = &t->v4[i];
		if (x->group > r->ngroups || (i ? x->start <= x[-1].start : x->start != 0))
			return fs_img_fail(im, "the IPv4 index is out of range");
	}
	for (uint32_t p = 0; p < r->nports; p++)
		if (!fs_img_rank_ok(t->ports[p].rank, n))
			return fs_img_fail(im, "a port rule names a rule that does not exist");
	return 0;
}
