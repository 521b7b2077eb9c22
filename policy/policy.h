/*
 * policy.h — the fnshield policy: parse (cJSON), compile into immutable match tables, match.
 *
 * The language is fixed by SPEC.md ("Policy language"). This header is the only thing the shim
 * and the CLI know about policies.
 *
 * Life cycle:
 *   fs_policy_compile()  once, at load: may allocate, may make system calls (realpath of
 *                        pattern prefixes), reports every error with its JSON path and line:col.
 *   fs_match_*()         on every checked call, from any thread, inside vfork children and
 *                        signal handlers: no allocation, no locks, no system calls, no errno
 *                        change, cost independent of the number of rules (DFA / bit trie).
 *   fs_policy_free()     never on the hot path (tests and the CLI).
 */
#ifndef FNSHIELD_POLICY_H
#define FNSHIELD_POLICY_H

#include <stddef.h>
#include <stdint.h>

/* Actions, ordered by strictness so that "strictest wins" is a max(). */
enum fs_action { FS_ALLOW = 0, FS_ALERT = 1, FS_BLOCK = 2 };

enum fs_mode { FS_MODE_ALERT = 0, FS_MODE_BLOCK = 1 };

enum fs_category { FS_EXEC = 0, FS_CONNECT, FS_LISTEN, FS_READ, FS_WRITE, FS_NCATEGORIES };

/* Which list of a category a rule sits in; FS_LIST_DEFAULT means "no pattern matched". */
enum fs_list { FS_LIST_DEFAULT = -1, FS_LIST_ALLOW = 0, FS_LIST_ALERT = 1, FS_LIST_BLOCK = 2 };

/* The outcome of matching one candidate (a path, or an address with its names). */
struct fs_verdict {
	int8_t action;   /* enum fs_action, before the mode is applied */
	int8_t list;     /* enum fs_list */
	int8_t init;     /* 1 when the rule came from the policy's "init" overrides */
	int8_t unused;
	int32_t index;   /* index in that list (-1 for the default) */
};

/* verdict.index of the rules that are no pattern of the policy (policy/decide.c):
 * CATEGORY.unresolved — a path neither spelling of which could be computed, judged as the
 * strictest rule would; write.protected — a write to /proc/PID/mem, blocked whatever the policy. */
#define FS_RULE_UNRESOLVED (-2)
#define FS_RULE_PROTECTED (-3)

/* The stricter of two verdicts; on a tie the first one (so the caller's order decides). */
static inline struct fs_verdict fs_verdict_stricter(struct fs_verdict a, struct fs_verdict b)
{
	return b.action > a.action ? b : a;
}

/* Rules of one category, compiled. Opaque; immutable after compile. */
struct fs_rules;

/* A compiled policy. Opaque; immutable after compile. */
struct fs_policy;

/* ---- errors ------------------------------------------------------------------------------ */

#define FS_MAX_ERRORS 16

struct fs_error {
	char message[256]; /* for a person: what is wrong and what is expected */
	char path[160];    /* JSON path of the offending value: "exec.allow[2]", "" for the root */
	int line, column;  /* 1-based position in the text; 0 when unknown */
};

struct fs_errors {
	int count;         /* errors found (may exceed FS_MAX_ERRORS; only the first are kept) */
	struct fs_error e[FS_MAX_ERRORS];
};

/* ---- compiling --------------------------------------------------------------------------- */

struct fs_compile_options {
	/* -1: keep the policy's "mode"; otherwise an enum fs_mode that overrides it
	 * (FNSHIELD_MODE). */
	int mode_override;
	/* Non-zero: for every path pattern whose literal directory prefix (or whole literal
	 * pattern) resolves through symbolic links on this machine, also add the resolved
	 * spelling as an alias with the same rule index ("/bin/sh" also matches "/usr/bin/dash").
	 * The shim sets this; unit tests leave it 0 to stay independent of the machine. */
	int resolve_aliases;
};

/*
 * Parse and compile a policy from JSON text (need not be NUL-terminated). On success returns
 * the policy and leaves errs->count == 0. On failure returns NULL and fills errs (every error
 * found, not only the first). Never crashes on any input, including empty text and 1 MB
 * documents.
 */
struct fs_policy *fs_policy_compile(const char *text, size_t len,
				    const struct fs_compile_options *opts, struct fs_errors *errs);

void fs_policy_free(struct fs_policy *p);

/* ---- the compiled form (policy/image.c) ----------------------------------------------------
 * Every policy in use is a view over one image: its tables as bytes, position-independent,
 * versioned and checksummed. `fnshield compile` saves a policy's image to a file; the library
 * maps such a file read-only and uses it as it lies, and shares its image with its children
 * so that they neither parse nor compile. */
#define FS_IMAGE_FORMAT 2u

/* The image a policy is a view over (valid as long as the policy). */
const void *fs_policy_image(const struct fs_policy *p, size_t *len);

/* Do these bytes start like an image (rather than JSON)? */
int fs_image_is(const void *data, size_t len);

struct fs_image_options {
	int mode_override;  /* as in fs_compile_options */
	/* Non-zero: the bytes are known to be an image this library checked (a parent's sealed
	 * copy): the checksum is not computed again. The header is checked all the same. */
	int trusted;
	/* Who owns the bytes: 0 the caller (they must outlive the policy), 1 malloc (freed with
	 * the policy), 2 mmap (unmapped with it). Taken even on failure. */
	int owner;
	/* Memory for the policy itself (FS_POLICY_PLACE_BYTES, aligned for a pointer) so that
	 * loading allocates nothing: a child's first malloc costs it more than the whole load
	 * (~0.1 ms on this kind of machine). NULL: malloc. fs_policy_free leaves it alone. */
	void *place;
};
#define FS_POLICY_PLACE_BYTES 5120

/* A policy over an image, nothing copied. A damaged, truncated or foreign image is refused
 * with one error that says which ("compiled policy: truncated: …") in errs (NULL: no report);
 * no input crashes it. */
struct fs_policy *fs_policy_load_image(const void *data, size_t len, const struct fs_image_options *o,
				       struct fs_errors *errs);

/* The JSON text the policy was compiled from, and its SHA-256 (hex): a policy's digest is the
 * same in either form. */
const char *fs_policy_source(const struct fs_policy *p, size_t *len);
const char *fs_policy_digest(const struct fs_policy *p);
/* The machine (uname -m) that compiled it. */
const char *fs_policy_machine(const struct fs_policy *p);

/* Do the symbolic-link aliases a compiled policy was built with still hold on this machine
 * (resolve_aliases)? all = 0: the aliases it recorded (a realpath each: what the library checks
 * at load); all = 1: also that no other path pattern has one here (a realpath per pattern:
 * `fnshield check`). 1 yes; 0 no, with the first difference in what. */
int fs_policy_aliases_hold(const struct fs_policy *p, int all, char *what, size_t cap);

/* The built-in default policy (SPEC: used when neither variable is set), as JSON text. */
extern const char fs_default_policy_json[];

/* ---- querying ---------------------------------------------------------------------------- */

enum fs_mode fs_policy_mode(const struct fs_policy *p);

/* The rules in force for a category. in_init != 0 selects the "init" override when the policy
 * has one for that category (and sets verdict.init on its results). Never NULL. */
const struct fs_rules *fs_policy_rules(const struct fs_policy *p, enum fs_category c, int in_init);

/* Whether the policy has any "init" override at all. */
int fs_policy_has_init(const struct fs_policy *p);

/* If every call of this category gets the same verdict whatever its target, that action;
 * otherwise -1. That is: no lists at all (the default's action), or a default "allow" with only
 * "allow" lists (allow). Lists whose action equals an alert/block default are not folded: the
 * log line must still name the rule that decided ("read.block[2]", not "read.default"). This is
 * the hot-path shortcut: a category the policy leaves unrestricted costs one load and one
 * compare. */
int fs_rules_constant(const struct fs_rules *r);

/* "log" section. */
int fs_policy_backtrace(const struct fs_policy *p);
/* log.stack (default on): the managed-language origin and stack on violation lines. */
int fs_policy_stack(const struct fs_policy *p);
const char *fs_policy_metrics_namespace(const struct fs_policy *p);

/* ---- matching (hot path) ----------------------------------------------------------------- */

/*
 * exec / read / write. `path` must be absolute and normalised (fs_path_normalise). Returns
 * the strictest list whose pattern matches, else the default.
 */
struct fs_verdict fs_match_path(const struct fs_rules *r, const char *path, size_t len);

/*
 * The same for a path as the program spelled it, in one pass and without a copy, when that
 * spelling is already the normalised one — absolute, no "//", no "." or ".." component, no
 * trailing "/" (fs_path_normal_length) — as most paths programs open are. Then returns its
 * length and sets *v to fs_match_path's verdict; otherwise -1, *v untouched, and the caller
 * normalises and calls fs_match_path. Safe where fs_match_path is.
 */
long fs_match_normal_path(const struct fs_rules *r, const char *path, size_t cap,
			  struct fs_verdict *v);

/*
 * connect / listen. `ip` is 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d). `names`
 * are the lower-case DNS names this process resolved to that address (may be empty). Of all
 * patterns that match the address or any of the names, the strictest list wins; else default.
 * A pattern whose host is exactly "*" matches any address.
 */
struct fs_verdict fs_match_addr(const struct fs_rules *r, const uint8_t ip[16], uint16_t port,
				const char *const *names, int nnames);

/* Do the rules have host-name patterns (so that the names an address was resolved from can
 * change fs_match_addr's verdict)? */
int fs_rules_have_names(const struct fs_rules *r);

/* ---- addresses (policy/addr.c): the one 16-byte form of an address -------------------------
 * IPv4 is held IPv4-mapped (::ffff:a.b.c.d), so that one form serves both families and an
 * IPv6 socket's mapped address counts as IPv4 (SPEC). */

/* The 16-byte form of an IPv4 address (4 bytes, network order; may lie inside ip itself).
 * Inline: every checked connect takes it. */
static inline void fs_ip_from_v4(const void *v4, uint8_t ip[16])
{
	uint8_t a[4];
	__builtin_memcpy(a, v4, 4);
	__builtin_memset(ip, 0, 10);
	ip[10] = ip[11] = 0xff;
	__builtin_memcpy(ip + 12, a, 4);
}

/* Text to the 16-byte form: a dotted quad (as inet_pton reads it) or an IPv6 address. 0, or -1. */
int fs_ip_parse(const char *text, uint8_t ip[16]);

/* "ADDR:PORT" or "[IPV6]:PORT" (AWS_LAMBDA_RUNTIME_API's form) to the 16-byte form and the
 * port. 0, or -1. */
int fs_endpoint_parse(const char *text, uint8_t ip[16], uint16_t *port);

/* Is the 16-byte address IPv4-mapped (::ffff:a.b.c.d)? */
int fs_ip_is_v4(const uint8_t ip[16]);

/* The address as text: "1.2.3.4" for IPv4-mapped (SPEC: they count as IPv4), else "::1".
 * No allocation; async-signal-safe. */
void fs_ip_text(const uint8_t ip[16], char *out, size_t cap);

/* "exec.default", "read.block[3]", "init.read.allow[0]", "write.protected", "read.unresolved" —
 * the log line's "rule". */
int fs_rule_name(enum fs_category c, struct fs_verdict v, char *buf, size_t cap);

/* The text of a rule, for explanations (e.g. "/var/task/" followed by "**"); NULL for the default. */
const char *fs_rule_pattern(const struct fs_policy *p, enum fs_category c, struct fs_verdict v);

const char *fs_category_name(enum fs_category c);  /* "exec", "connect", … */
int fs_category_of(const char *name);               /* "exec" → FS_EXEC …; -1 unknown */
const char *fs_action_name(int action);             /* "allow", "alert", "block" */

/* ---- introspection (tests, `fnshield check`) --------------------------------------------- */

/* Size of a category's compiled rules. */
struct fs_rules_stats {
	uint32_t patterns;        /* patterns in the three lists (aliases not counted) */
	uint32_t dfa_states;      /* states of the one automaton (0: none) */
	uint32_t dfa_live_states; /* states where matching goes on; the others stop it early */
	uint32_t dfa_classes;     /* byte equivalence classes (table columns) */
	size_t bytes;             /* memory of the compiled tables */
};
void fs_rules_stats(const struct fs_rules *r, struct fs_rules_stats *st);

/* fs_match_path / fs_match_addr that also count the work done: *steps is the number of DFA
 * transitions taken (at most one per input byte) plus trie levels walked. Same results. */
struct fs_verdict fs_match_path_steps(const struct fs_rules *r, const char *path, size_t len,
				      size_t *steps);
struct fs_verdict fs_match_addr_steps(const struct fs_rules *r, const uint8_t ip[16], uint16_t port,
				      const char *const *names, int nnames, size_t *steps);

/* ---- paths ------------------------------------------------------------------------------- */

/*
 * Lexical normalisation: join `path` to `base` when it is relative (base must then be an
 * absolute path; NULL base and relative path is an error), then remove "." components, resolve
 * ".." (never above "/"), collapse "//" and drop a trailing "/". Writes a NUL-terminated
 * result to out and returns its length, or -1 when it does not fit in cap or is invalid.
 * Pure: no system calls, no allocation; async-signal-safe.
 */
long fs_path_normalise(const char *base, const char *path, char *out, size_t cap);

/*
 * The length of path when it is already what fs_path_normalise(NULL, path, ...) would make of
 * it — absolute, no "//", no "." or ".." component, no trailing "/" — and shorter than cap;
 * otherwise -1. Pure; async-signal-safe.
 */
long fs_path_normal_length(const char *path, size_t cap);

/*
 * Is this /proc/PID/mem or /proc/PID/task/TID/mem (PID a number, "self" or "thread-self")?
 * Writing it patches the process's own code, the shim's hooks included: the shim refuses a
 * write-open of it whatever the policy ("rule":"write.protected"), and `explain` says so.
 */
int fs_path_is_proc_mem(const char *path);

/* ---- explanations (policy/explain.c) -------------------------------------------------------
 * Added for `fnshield explain` and `fnshield learn` (cli/explain.c, cli/learn.c): read-only
 * views of compiled rules. Not for the hot path. */

/* The category's default action (enum fs_action). */
int fs_rules_default(const struct fs_rules *r);
/* How many patterns a list holds, and the text of pattern i as written (NULL past the end). */
uint32_t fs_rules_count(const struct fs_rules *r, enum fs_list l);
const char *fs_rules_text(const struct fs_rules *r, enum fs_list l, uint32_t i);
/* Whether the policy's "init" section overrides this category. */
int fs_policy_has_override(const struct fs_policy *p, enum fs_category c);
/* The symlink-resolved spelling the compiler adds for a path pattern when resolve_aliases is
 * set ("/bin/sh" -> "/usr/bin/dash"): malloc'ed, or NULL when there is none. System calls. */
char *fs_pattern_alias(const char *pattern);

#endif
