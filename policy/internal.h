/*
 * internal.h — what the files of policy/ share with each other and nothing else.
 *
 * The pipeline, one file per step:
 *
 *   json.c      text → cJSON tree + the position of every value (cJSON keeps none)
 *   parse.c     cJSON tree → struct fs_raw_policy (strict validation, every error collected)
 *   glob.c      path pattern → tokens → NFA fragment           (exec, read, write)
 *   host.c      HOST[:PORT] pattern → name NFA fragment or address rule  (connect, listen)
 *   aliases.c   path pattern → its symlink-resolved spelling (resolve_aliases)
 *   nfa.c       the NFA all patterns of a category are added to, with its byte sets
 *   dfa.c       NFA → one DFA (subset construction), dead/settled states, the matching loop
 *   iptrie.c    address rules → binary trie over 128 bits
 *   rules.c     one category: patterns → DFA + trie; fs_match_*
 *   policy.c    fs_policy_compile and the accessors
 *   image.c     the compiled form: one position-independent, checksummed block of memory
 *               that the tables above are written into and read from as they lie
 *   names.c     rule, category and action names
 *   path.c      fs_path_normalise, fs_path_normal_length
 */
#ifndef FNSHIELD_POLICY_INTERNAL_H
#define FNSHIELD_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define FS_HIDDEN __attribute__((visibility("hidden")))

/* ---- ranks ---------------------------------------------------------------------------------
 * A matching rule is summarised as one 32-bit rank so that "strictest list wins, lowest index
 * within the list on a tie" is a plain max(): the list (+1) in the top 4 bits, the index
 * inverted in the low 28. 0 means "no rule matched".
 */
#define FS_RANK_NONE 0u
#define FS_MAX_LIST_LEN (1u << 24) /* far above what a 1 MB policy can hold */

static inline uint32_t fs_rank(int list, uint32_t index)
{
	return ((uint32_t)(list + 1) << 28) | (0x0FFFFFFFu - index);
}
static inline int fs_rank_list(uint32_t r) { return (int)(r >> 28) - 1; }
static inline int32_t fs_rank_index(uint32_t r) { return (int32_t)(0x0FFFFFFFu - (r & 0x0FFFFFFFu)); }

/* ---- errors --------------------------------------------------------------------------------- */

/* Position of every JSON value, in document order == cJSON pre-order. */
struct fs_jpos {
	uint32_t val;   /* byte offset where the value starts */
	uint32_t key;   /* byte offset of its member name, UINT32_MAX when not an object member */
	uint32_t size;  /* number of values in its subtree, itself included */
	uint8_t flags;  /* FS_JP_* */
};
#define FS_JP_VAL_NUL  1u /* the string value contains \u0000 */
#define FS_JP_VAL_CTRL 2u /* the string value contains a raw control character */
#define FS_JP_KEY_NUL  4u
#define FS_JP_KEY_CTRL 8u
#define FS_JP_NONE UINT32_MAX

struct fs_img_writer;
struct fs_ctx {
	const char *text;
	size_t len;
	struct fs_errors *errs;
	const struct fs_jpos *pos; /* NULL when positions are unknown */
	uint32_t npos;
	struct fs_img_writer *aliases; /* "pattern\0alias\0" for every alias added, or NULL */
};

#define FS_NOPOS SIZE_MAX

/* Record an error at a byte offset of the text (FS_NOPOS: unknown). path is the JSON path. */
FS_HIDDEN void fs_err_at(struct fs_ctx *cx, size_t offset, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Record an error about JSON value number `node` (pre-order); at_key: point at its name. */
FS_HIDDEN void fs_err_node(struct fs_ctx *cx, uint32_t node, int at_key, const char *path,
			   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* 1-based line and column (in characters) of a byte offset. */
FS_HIDDEN void fs_line_col(const char *text, size_t len, size_t off, int *line, int *col);
/* Quote a string for a message: "abc", escaped, cut to about `max` characters. */
FS_HIDDEN const char *fs_quote(const char *s, size_t len, char *buf, size_t cap);

/* ---- json.c --------------------------------------------------------------------------------- */

struct cJSON;
struct fs_json {
	struct cJSON *root;
	char *copy;             /* NUL-terminated copy of the text cJSON parsed */
	struct fs_jpos *pos;    /* npos entries, or NULL */
	uint32_t npos;
};
/* Parse; on a syntax error reports it in cx and returns -1. Fills cx->pos on success. */
FS_HIDDEN int fs_json_load(struct fs_ctx *cx, struct fs_json *j);
FS_HIDDEN void fs_json_free(struct fs_json *j);

/* ---- parse.c: the validated policy, before compilation --------------------------------------- */

struct fs_raw_pattern {
	const char *text;       /* owned by the cJSON tree */
	uint32_t node;          /* JSON value, for error positions */
};

struct fs_raw_cat {
	bool present;
	int8_t dflt;            /* enum fs_action */
	uint32_t node;
	uint32_t n[3];
	struct fs_raw_pattern *list[3]; /* indexed by enum fs_list */
};

struct fs_raw_policy {
	int mode;               /* enum fs_mode */
	bool backtrace;
	bool stack;             /* log.stack: default true */
	bool has_init;
	char metrics_namespace[256];
	struct fs_raw_cat cat[FS_NCATEGORIES];
	struct fs_raw_cat init[FS_NCATEGORIES];
};

FS_HIDDEN void fs_parse(struct fs_ctx *cx, const struct fs_json *j, struct fs_raw_policy *out);
FS_HIDDEN void fs_raw_free(struct fs_raw_policy *r);

/* ---- nfa.c ---------------------------------------------------------------------------------- */

enum { FS_NS_CONSUME, FS_NS_SPLIT, FS_NS_ACCEPT };

struct fs_nstate {
	uint8_t kind;           /* FS_NS_* */
	uint32_t arg;           /* CONSUME: byte-set id; ACCEPT: rank; junction: its last SPLIT */
	uint32_t out, out2;     /* successors (out2 for SPLIT only; FS_NFA_NONE when absent) */
};
#define FS_NFA_NONE UINT32_MAX

struct fs_nfa {
	struct fs_nstate *st;
	uint32_t n, cap;
	uint32_t *starts;       /* first state of every pattern */
	uint32_t nstarts, capstarts;
	uint8_t (*sets)[32];    /* byte sets (256-bit), deduplicated */
	uint32_t nsets, capsets;
	uint32_t *set_hash;     /* open addressing over set ids + 1 */
	uint32_t set_hcap;
	uint32_t root;          /* the junction every pattern starts from, FS_NFA_NONE before */
	struct fs_nstep *steps; /* (junction, token) → next junction: shared prefixes */
	uint32_t nsteps, step_hcap;
	bool oom;               /* an allocation failed; the NFA is unusable */
	bool too_big;           /* over FS_NFA_MAX_STATES */
};
#define FS_NFA_MAX_STATES (8u << 20)

/*
 * Patterns are added as sequences of tokens from the root junction. A junction is a SPLIT
 * chain fanning out to every continuation; a token already taken from a junction is not
 * built twice, so patterns share their common prefixes ("/var/task/..." x 100 builds
 * "/var/task/" once). That keeps the NFA sets — and so the subset construction's work —
 * small: a thousand patterns that start with the same "**" component share one "**" loop
 * instead of having a thousand.
 */
enum fs_tok {
	FS_TOK_ONE,      /* one byte of the set */
	FS_TOK_STAR,     /* zero or more bytes of the set */
	FS_TOK_PLUS,     /* one or more bytes of the set */
	FS_TOK_GLOBSTAR, /* (/.*)?  — set ignored */
	FS_TOK_LABELS,   /* L+(\.L+)* with L the set: one or more DNS labels */
};
struct fs_nstep {
	uint32_t from, set, to; /* to == 0: empty slot (no junction is state 0's successor) */
	uint8_t tok;
};
/* The junction reached from `from` by token (tok, set); FS_NFA_NONE on failure. */
FS_HIDDEN uint32_t fs_nfa_step(struct fs_nfa *a, uint32_t from, enum fs_tok tok, uint32_t set);
/* The root junction (created on first use). */
FS_HIDDEN uint32_t fs_nfa_root(struct fs_nfa *a);
/* A pattern ends at junction j, accepting with rank. */
FS_HIDDEN void fs_nfa_accept(struct fs_nfa *a, uint32_t j, uint32_t rank);

FS_HIDDEN void fs_nfa_init(struct fs_nfa *a);
FS_HIDDEN void fs_nfa_free(struct fs_nfa *a);
FS_HIDDEN uint32_t fs_nfa_set(struct fs_nfa *a, const uint8_t bits[32]);
FS_HIDDEN uint32_t fs_nfa_byte(struct fs_nfa *a, uint8_t b);
FS_HIDDEN uint32_t fs_nfa_new(struct fs_nfa *a, int kind, uint32_t arg, uint32_t out, uint32_t out2);
FS_HIDDEN void fs_nfa_start(struct fs_nfa *a, uint32_t s);

static inline void fs_bits_set(uint8_t bits[32], unsigned b) { bits[b >> 3] |= (uint8_t)(1u << (b & 7)); }
static inline void fs_bits_clr(uint8_t bits[32], unsigned b) { bits[b >> 3] &= (uint8_t)~(1u << (b & 7)); }
static inline int fs_bits_has(const uint8_t bits[32], unsigned b) { return (bits[b >> 3] >> (b & 7)) & 1; }

/* ---- image.c: the compiled form's primitives --------------------------------------------------
 * Each table type writes itself into an image (fs_*_put) and reads itself back as a view over
 * the image's bytes (fs_*_view), checking everything its matcher will rely on: a view is never
 * the way to an out-of-bounds read or an endless loop, whatever the bytes. Offsets are from the
 * image's first byte; 0 means "none" (the header is there, never a table). */
struct fs_img_writer {
	uint8_t *buf;
	size_t len, cap;
	bool failed;            /* out of memory, or past 4 GB */
	/* Where records go (fs_img_put_record): their own writer, whose bytes are copied to
	 * records_at, into the room (records_room bytes) kept for them after the header; NULL: in
	 * line, like tables. */
	struct fs_img_writer *records;
	size_t records_at, records_room;
};
/* Append n bytes at an 8-byte boundary; returns their offset, 0 on failure (sets failed). */
FS_HIDDEN uint32_t fs_img_put(struct fs_img_writer *w, const void *p, size_t n);
/* The same for a table's record (what its view reads at every load: sizes, offsets, the byte
 * classes): all records lie together right after the header, so a load that trusts the image
 * (a child mapping its parent's copy) touches its first page or two, whatever its size. */
FS_HIDDEN uint32_t fs_img_put_record(struct fs_img_writer *w, const void *p, size_t n);
/* Append n bytes right after the last ones (a string table). */
FS_HIDDEN void fs_img_append(struct fs_img_writer *w, const void *p, size_t n);

struct fs_img {
	const uint8_t *base;
	size_t len;
	char *err;              /* the first problem found, for a person */
	size_t errcap;
	/* the bytes are an image this library already checked (a parent's sealed copy): the
	 * checks that read whole tables are skipped, the bounds of every array are not */
	bool trusted;
};
/* n elements of elem bytes at off, in bounds and aligned to `align`; NULL (err set) otherwise. */
FS_HIDDEN const void *fs_img_array(struct fs_img *im, uint32_t off, uint64_t n, size_t elem,
				   size_t align, const char *what);
/* Record a problem (the first one is kept); returns -1. */
FS_HIDDEN int fs_img_fail(struct fs_img *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Is rank a rank of one of these lists (or FS_RANK_NONE)? */
FS_HIDDEN bool fs_img_rank_ok(uint32_t rank, const uint32_t n[3]);

/* ---- dfa.c ---------------------------------------------------------------------------------- */

struct fs_dstate {
	uint32_t base;          /* this row's entries are ent[base + class], if owned by it */
	uint32_t dflt;          /* the target of every other class */
};
struct fs_dent {
	uint32_t chk;           /* owning state (UINT32_MAX: free) */
	uint32_t nxt;
};

/* How the transitions are stored (see dfa.c, "4. the final tables"). */
enum fs_dfa_table {
	FS_DFA_FLAT16,          /* flat, 16-bit entries: nstates * stride <= 65536 */
	FS_DFA_FLAT32,          /* flat, 32-bit entries: up to FS_DFA_FLAT_MAX_BYTES */
	FS_DFA_COMB,            /* larger automata: the comb */
	/* flat, 16-bit entries holding row offsets divided by 4 (rows padded to a multiple of 4
	 * columns): nstates * stride <= 262144. Half the bytes of 32-bit entries for the same
	 * instructions per byte (the step scales its index: a lea for an add) */
	FS_DFA_FLAT16X4,
};
#define FS_DFA_TABLE_MAX FS_DFA_FLAT16X4

struct fs_dfa {
	uint32_t nstates;
	uint32_t nlive;         /* states >= nlive are settled: the result can no longer change */
	uint32_t start;
	uint32_t ncls;
	uint8_t cls[256];       /* byte → equivalence class */
	uint8_t table;          /* enum fs_dfa_table */
	/* flat: row s is next[s * stride .. s * stride + ncls]; entry [class] is the target's row
	 * offset (target * stride; divided by 4 for FS_DFA_FLAT16X4), so a step is one add (or
	 * lea) and one load; entry [ncls] is s itself */
	uint32_t stride;        /* ncls + 1 (FS_DFA_FLAT16X4: rounded up to a multiple of 4) */
	uint32_t live_rows;     /* the first cursor past the live rows (nlive * stride, /4) */
	const uint16_t *next16; /* FS_DFA_FLAT16, FS_DFA_FLAT16X4 */
	const uint32_t *next32; /* FS_DFA_FLAT32 */
	/* comb: default target plus exceptions, checked against their owner */
	const struct fs_dstate *st; /* per state */
	const struct fs_dent *ent;  /* nent entries */
	uint32_t nent;
	const uint32_t *acc;    /* rank of every state (FS_RANK_NONE: not accepting) */
	bool owned;             /* the arrays are the automaton's own (malloc), not an image's */
};

/* Caps on construction: past them the policy is "too complex" (an error, not an OOM). */
#define FS_DFA_MAX_STATES (1u << 20)
/* NFA states visited by the subset construction: bounds compile time (~0.5 s) for inputs that
 * stay small but make every DFA state a large set. */
#ifndef FS_DFA_MAX_WORK
#define FS_DFA_MAX_WORK ((uint64_t)64 << 20)
#endif
#ifndef FS_DFA_MAX_BYTES
#define FS_DFA_MAX_BYTES ((size_t)64 << 20)
#endif
/* The largest flat table: about a 1,000-rule category. Past it the comb, a fraction of the
 * size for one more load and a compare per byte. A smaller cap would make compiled images
 * smaller, and so faster to load (every process that loads one reads it whole once, for its
 * checksum and checks: ~0.25 µs per KB here); measured with 256 KB, the 1,000-rule benchmark
 * policy loaded in 0.14 ms instead of 0.3, and every decision of its read category cost up to
 * 1.9 times the instructions. Calls are many and a load is once: flat it stays (README,
 * Performance). */
#ifndef FS_DFA_FLAT_MAX_BYTES
#define FS_DFA_FLAT_MAX_BYTES ((size_t)1 << 20)
#endif

/* Build; returns NULL with *too_complex set (or not, for an allocation failure). */
FS_HIDDEN struct fs_dfa *fs_dfa_build(const struct fs_nfa *a, bool *too_complex);
/* The same with another cap on the flat table (0: always the comb; tests compare the two). */
FS_HIDDEN struct fs_dfa *fs_dfa_build_flat_max(const struct fs_nfa *a, size_t flat_max_bytes,
					       bool *too_complex);
FS_HIDDEN void fs_dfa_free(struct fs_dfa *d);
FS_HIDDEN size_t fs_dfa_bytes(const struct fs_dfa *d);
/* Write the automaton into an image: its offset, 0 on failure. */
FS_HIDDEN uint32_t fs_dfa_put(struct fs_img_writer *w, const struct fs_dfa *d);
/* The automaton at off as a view (arrays point into the image); n: the lists' lengths its
 * ranks may name. 0, or -1 with im->err set. */
FS_HIDDEN int fs_dfa_view(struct fs_img *im, uint32_t off, const uint32_t n[3], struct fs_dfa *d);

/*
 * The matching loop's view of a state, a "cursor": the row offset for a flat table, the state
 * for the comb. The helpers take the table kind as a constant argument so that every loop
 * written with them is compiled once per kind, with no test of the kind inside it.
 */
#define FS_ALWAYS_INLINE static inline __attribute__((always_inline))

FS_ALWAYS_INLINE size_t fs_dfa_cursor(const struct fs_dfa *d, enum fs_dfa_table t, uint32_t s)
{
	if (t == FS_DFA_FLAT16X4)
		return ((size_t)s * d->stride) >> 2;
	return t == FS_DFA_COMB ? s : (size_t)s * d->stride;
}
/* Cursors below this are live. */
FS_ALWAYS_INLINE size_t fs_dfa_live_end(const struct fs_dfa *d, enum fs_dfa_table t)
{
	return t == FS_DFA_COMB ? d->nlive : d->live_rows;
}
/* The table the steps read: fetched once, before the loop, into a register. */
FS_ALWAYS_INLINE const void *fs_dfa_rows(const struct fs_dfa *d, enum fs_dfa_table t)
{
	if (t == FS_DFA_FLAT16 || t == FS_DFA_FLAT16X4)
		return d->next16;
	if (t == FS_DFA_FLAT32)
		return d->next32;
	return d->st;
}
/* The state a walk stopped in. A flat entry of an image is checked to be a row offset, not a
 * row start (fs_dfa_view: that would take a division per entry), so the last column read here
 * is bounded: a damaged entry costs a verdict, never a read outside the tables. One compare
 * per walk, not per byte. */
FS_ALWAYS_INLINE uint32_t fs_dfa_state(const struct fs_dfa *d, enum fs_dfa_table t, const void *rows,
				       size_t cur)
{
	uint32_t s;
	if (t == FS_DFA_FLAT16)
		s = ((const uint16_t *)rows)[cur + d->ncls];
	else if (t == FS_DFA_FLAT16X4)
		s = ((const uint16_t *)rows)[(cur << 2) + d->ncls];
	else if (t == FS_DFA_FLAT32)
		s = ((const uint32_t *)rows)[cur + d->ncls];
	else
		return (uint32_t)cur;
	return __builtin_expect(s < d->nstates, 1) ? s : 0;
}
FS_ALWAYS_INLINE size_t fs_dfa_step(const struct fs_dfa *d, enum fs_dfa_table t, const void *rows,
				    size_t cur, uint8_t byte)
{
	size_t c = d->cls[byte];
	if (t == FS_DFA_FLAT16)
		return ((const uint16_t *)rows)[cur + c];
	if (t == FS_DFA_FLAT16X4)
		return ((const uint16_t *)rows)[(cur << 2) + c];
	if (t == FS_DFA_FLAT32)
		return ((const uint32_t *)rows)[cur + c];
	const struct fs_dstate *st = rows;
	const struct fs_dent *e = &d->ent[st[cur].base + c];
	return e->chk == cur ? e->nxt : st[cur].dflt;
}

FS_ALWAYS_INLINE uint32_t fs_dfa_feed_table(const struct fs_dfa *d, enum fs_dfa_table t, uint32_t s,
					    const uint8_t *p, size_t len, size_t *steps)
{
	size_t i = 0;
	const void *rows = fs_dfa_rows(d, t);
	size_t cur = fs_dfa_cursor(d, t, s);
	const size_t live = fs_dfa_live_end(d, t);
	for (; i < len && cur < live; i++)
		cur = fs_dfa_step(d, t, rows, cur, p[i]);
	if (steps)
		*steps += i;
	return fs_dfa_state(d, t, rows, cur);
}

/* The rank of the state a walk ended in. */
FS_ALWAYS_INLINE uint32_t fs_dfa_rank(const struct fs_dfa *d, uint32_t s)
{
	return d->acc[s];
}

/* Run from state s over p[0..len); stops as soon as the state is settled. *steps (optional)
 * counts transitions taken. Returns the state reached. */
static inline uint32_t fs_dfa_feed(const struct fs_dfa *d, uint32_t s, const uint8_t *p, size_t len,
				   size_t *steps)
{
	switch (d->table) {
	case FS_DFA_FLAT16:
		return fs_dfa_feed_table(d, FS_DFA_FLAT16, s, p, len, steps);
	case FS_DFA_FLAT32:
		return fs_dfa_feed_table(d, FS_DFA_FLAT32, s, p, len, steps);
	case FS_DFA_FLAT16X4:
		return fs_dfa_feed_table(d, FS_DFA_FLAT16X4, s, p, len, steps);
	default:
		return fs_dfa_feed_table(d, FS_DFA_COMB, s, p, len, steps);
	}
}

/* ---- path.c --------------------------------------------------------------------------------- */

/* q points at a '/' of the path starting at p, every byte before it checked already: does what
 * follows keep the path normal? Not when the next component is empty ("//", or a trailing "/"
 * other than the root's), "." or "..". Reads no further than the component's first NUL. */
FS_ALWAYS_INLINE bool fs_path_slash_is_normal(const uint8_t *q, const uint8_t *p)
{
	uint8_t c = q[1];
	if (c > '/') /* '/', '.' and NUL sort below every letter and digit */
		return true;
	if (c == '/')
		return false;
	if (c == 0)
		return q == p;
	if (c != '.')
		return true;
	c = q[2];
	if (c == '/' || c == 0)
		return false;
	return !(c == '.' && (q[3] == '/' || q[3] == 0));
}

/* ---- glob.c --------------------------------------------------------------------------------- */

/* Check a path pattern; on error writes a message (for a person) and returns -1. */
FS_HIDDEN int fs_glob_check(const char *pat, char *err, size_t errcap);
/* Add a (checked) path pattern to the NFA, accepting with `rank`. -1 on allocation failure. */
FS_HIDDEN int fs_glob_add(struct fs_nfa *a, const char *pat, uint32_t rank);

/* ---- aliases.c ------------------------------------------------------------------------------ */

/* The symlink-resolved spelling of a (checked) path pattern, malloc'ed; NULL when it resolves
 * to itself or cannot be resolved. Makes system calls (realpath). */
FS_HIDDEN char *fs_glob_alias(const char *pat);

/* ---- host.c --------------------------------------------------------------------------------- */

enum { FS_HOST_NAME, FS_HOST_ADDR };

struct fs_hostpat {
	int kind;
	uint32_t port;          /* 0: any port */
	char name[256];         /* FS_HOST_NAME: lower-case, no trailing dot */
	uint8_t ip[16];         /* FS_HOST_ADDR: network order, IPv4 mapped */
	unsigned plen;          /* FS_HOST_ADDR: prefix length 0..128 */
};

FS_HIDDEN int fs_host_parse(const char *pat, struct fs_hostpat *out, char *err, size_t errcap);
/* Add a name pattern to the NFA over "name:port". -1 on allocation failure. */
FS_HIDDEN int fs_host_add_name(struct fs_nfa *a, const struct fs_hostpat *h, uint32_t rank);

/* ---- iptrie.c ------------------------------------------------------------------------------- */

struct fs_iptrie_builder;
struct fs_iptrie_node;
struct fs_iptrie_group;
struct fs_iptrie_port;
struct fs_iptrie_v4;
struct fs_iptrie {
	const struct fs_iptrie_node *nodes;     /* nodes[0] is the root */
	uint32_t nnodes;
	const struct fs_iptrie_group *groups;
	uint32_t ngroups;
	const struct fs_iptrie_port *ports;
	uint32_t nports;
	const struct fs_iptrie_v4 *v4;          /* IPv4 addresses: disjoint intervals, sorted */
	uint32_t nv4;                           /* at least 1 */
	bool owned;             /* the arrays are the trie's own (malloc), not an image's */
};

FS_HIDDEN struct fs_iptrie_builder *fs_iptrie_builder_new(void);
/* -1 on allocation failure or when past the node cap. */
FS_HIDDEN int fs_iptrie_add(struct fs_iptrie_builder *b, const uint8_t ip[16], unsigned plen,
			    uint32_t port, uint32_t rank);
FS_HIDDEN struct fs_iptrie *fs_iptrie_finish(struct fs_iptrie_builder *b); /* frees b */
FS_HIDDEN void fs_iptrie_builder_free(struct fs_iptrie_builder *b);
FS_HIDDEN void fs_iptrie_free(struct fs_iptrie *t);
FS_HIDDEN uint32_t fs_iptrie_match(const struct fs_iptrie *t, const uint8_t ip[16], uint16_t port,
				   size_t *steps);
FS_HIDDEN size_t fs_iptrie_bytes(const struct fs_iptrie *t);
#define FS_IPTRIE_MAX_NODES (4u << 20)
FS_HIDDEN uint32_t fs_iptrie_put(struct fs_img_writer *w, const struct fs_iptrie *t);
FS_HIDDEN int fs_iptrie_view(struct fs_img *im, uint32_t off, const uint32_t n[3], struct fs_iptrie *t);

/* ---- rules.c -------------------------------------------------------------------------------- */

struct fs_rules {
	int8_t category;        /* enum fs_category */
	int8_t init;            /* from the "init" overrides */
	int8_t dflt;            /* enum fs_action */
	int8_t constant;        /* fs_rules_constant() */
	struct fs_dfa *dfa;     /* paths, or "name:port" for connect/listen; NULL when none */
	struct fs_iptrie *trie; /* connect/listen address rules; NULL when none */
	uint32_t n[3];
	/* the patterns as written, for fs_rule_pattern: strings[text[l][i]] */
	const uint32_t *text[3];
	const char *strings;
	uint32_t strings_len;
	bool owned;             /* the arrays are the rules' own (malloc), not an image's */
};

FS_HIDDEN struct fs_rules *fs_rules_build(struct fs_ctx *cx, const struct fs_raw_cat *rc,
					  enum fs_category c, int init, int resolve_aliases,
					  const char *path);
FS_HIDDEN void fs_rules_free(struct fs_rules *r);
/* The text of the rule a verdict names, or NULL. */
FS_HIDDEN const char *fs_rules_pattern(const struct fs_rules *r, struct fs_verdict v);
/* Into an image / back as a view (dfa and trie: storage for the view's tables). */
FS_HIDDEN uint32_t fs_rules_put(struct fs_img_writer *w, const struct fs_rules *r);
FS_HIDDEN int fs_rules_view(struct fs_img *im, uint32_t off, struct fs_rules *r, struct fs_dfa *dfa,
			    struct fs_iptrie *trie);

/* ---- policy.c / image.c: a policy in use ----------------------------------------------------
 * Always a view over an image: fs_policy_compile writes one and reads it back, the library
 * maps a compiled file or its parent's, and every table below points into it. */
enum fs_image_owner { FS_IMG_BORROWED, FS_IMG_MALLOC, FS_IMG_MMAP };

struct fs_policy {
	int mode;                                 /* from the policy, or the override */
	bool backtrace;
	bool stack;
	bool has_init;
	const char *metrics_namespace;
	const struct fs_rules *rules[FS_NCATEGORIES];
	const struct fs_rules *init[FS_NCATEGORIES];    /* NULL: no override for that category */
	const char *source;                       /* the JSON it was compiled from */
	size_t source_len;
	const char *aliases;                      /* "pattern\0alias\0"… */
	size_t aliases_len;
	bool resolved_aliases;
	char digest[65];                          /* SHA-256 of source, hex */
	char machine[16];                         /* where it was compiled (uname -m) */
	const uint8_t *image;
	size_t image_len;
	enum fs_image_owner owner;
	bool placed;                              /* in the caller's memory (not malloc) */
	struct fs_rules store[2][FS_NCATEGORIES];
	struct fs_dfa dfa_store[2][FS_NCATEGORIES];
	struct fs_iptrie trie_store[2][FS_NCATEGORIES];
};

/* The image of a compiled policy (header, source text, rules). */
struct fs_image_parts {
	const struct fs_raw_policy *raw;
	int mode;
	const char *source;
	size_t source_len;
	bool resolved_aliases;
	const struct fs_img_writer *aliases;
	struct fs_rules *rules[FS_NCATEGORIES], *init[FS_NCATEGORIES];
};
/* malloc'ed image, or NULL (out of memory, past 4 GB). */
FS_HIDDEN uint8_t *fs_image_write(const struct fs_image_parts *parts, size_t *len);

#endif
