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

struct fs_ctx {
	const char *text;
	size_t len;
	struct fs_errors *errs;
	const struct fs_jpos *pos; /* NULL when positions are unknown */
	uint32_t npos;
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
};

struct fs_dfa {
	uint32_t nstates;
	uint32_t nlive;         /* states >= nlive are settled: the result can no longer change */
	uint32_t start;
	uint32_t ncls;
	uint8_t cls[256];       /* byte → equivalence class */
	uint8_t table;          /* enum fs_dfa_table */
	/* flat: row s is next[s * stride .. s * stride + ncls]; entry [class] is the target's row
	 * offset (target * stride), so a step is one add and one load; entry [ncls] is s itself */
	uint32_t stride;        /* ncls + 1 */
	uint32_t live_rows;     /* nlive * stride: row offsets below it are live */
	uint16_t *next16;       /* FS_DFA_FLAT16 */
	uint32_t *next32;       /* FS_DFA_FLAT32 */
	/* comb: default target plus exceptions, checked against their owner */
	struct fs_dstate *st;   /* per state */
	struct fs_dent *ent;    /* nent entries */
	uint32_t nent;
	uint32_t *acc;          /* rank of every state (FS_RANK_NONE: not accepting) */
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
 * size for one more load and a compare per byte, keeps every process's memory in check. */
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

/*
 * The matching loop's view of a state, a "cursor": the row offset for a flat table, the state
 * for the comb. The helpers take the table kind as a constant argument so that every loop
 * written with them is compiled once per kind, with no test of the kind inside it.
 */
#define FS_ALWAYS_INLINE static inline __attribute__((always_inline))

FS_ALWAYS_INLINE size_t fs_dfa_cursor(const struct fs_dfa *d, enum fs_dfa_table t, uint32_t s)
{
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
	if (t == FS_DFA_FLAT16)
		return d->next16;
	if (t == FS_DFA_FLAT32)
		return d->next32;
	return d->st;
}
FS_ALWAYS_INLINE uint32_t fs_dfa_state(const struct fs_dfa *d, enum fs_dfa_table t, const void *rows,
				       size_t cur)
{
	if (t == FS_DFA_FLAT16)
		return ((const uint16_t *)rows)[cur + d->ncls];
	if (t == FS_DFA_FLAT32)
		return ((const uint32_t *)rows)[cur + d->ncls];
	return (uint32_t)cur;
}
FS_ALWAYS_INLINE size_t fs_dfa_step(const struct fs_dfa *d, enum fs_dfa_table t, const void *rows,
				    size_t cur, uint8_t byte)
{
	size_t c = d->cls[byte];
	if (t == FS_DFA_FLAT16)
		return ((const uint16_t *)rows)[cur + c];
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

struct fs_iptrie;
struct fs_iptrie_builder;

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

/* ---- rules.c -------------------------------------------------------------------------------- */

struct fs_rules {
	int8_t category;        /* enum fs_category */
	int8_t init;            /* from the "init" overrides */
	int8_t dflt;            /* enum fs_action */
	int8_t constant;        /* fs_rules_constant() */
	struct fs_dfa *dfa;     /* paths, or "name:port" for connect/listen; NULL when none */
	struct fs_iptrie *trie; /* connect/listen address rules; NULL when none */
	uint32_t n[3];
	char **text[3];         /* the patterns as written, for fs_rule_pattern */
};

FS_HIDDEN struct fs_rules *fs_rules_build(struct fs_ctx *cx, const struct fs_raw_cat *rc,
					  enum fs_category c, int init, int resolve_aliases,
					  const char *path);
FS_HIDDEN void fs_rules_free(struct fs_rules *r);
/* The text of the rule a verdict names, or NULL. */
FS_HIDDEN const char *fs_rules_pattern(const struct fs_rules *r, struct fs_verdict v);

#endif
