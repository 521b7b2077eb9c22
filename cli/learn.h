/*
 * learn.h — what the steps of `fnshield learn` share (private to cli/learn*.c).
 *
 *   cli/learn.c             the command: options, and the steps in order
 *   cli/learn_read.c        reading logs: raw stderr, JSON lines, CloudWatch exports, Logs
 *                           Insights results → targets (what was seen) and start lines
 *   cli/learn_generalise.c  generalising names: paths → globs, hosts → *.domain wildcards
 *   cli/learn_choose.c      choosing rules: the staging policy (--from, or named by start
 *                           lines), which targets to allow, the fewest patterns (set cover),
 *                           and the check that the result allows them
 *   cli/learn_print.c       printing: the learned policy's JSON and the summary on stderr
 *   cli/learn_util.c        rule names (cli/util.c: strings, allocation, hashing)
 */
#ifndef FNSHIELD_CLI_LEARN_H
#define FNSHIELD_CLI_LEARN_H

#include "cli.h"

#include "cJSON.h"
#include "logread.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* ---- rule names (learn_util.c) ---------------------------------------------------------------- */

/* Rule names as the policy library spells them (fs_rule_name): "" or "init." in front of a
 * rule of section 0 or 1, and the name of a category's default ("init.read.default"). */
const char *section_prefix(int section);
void default_rule_name(int section, int cat, char *buf, size_t cap);

/* ---- what was seen, and what is learned ------------------------------------------------------ */

enum decision {
	D_LEARN,        /* allowed by the learned policy */
	D_ALLOWED,      /* the --from policy already allows it */
	D_EXPLICIT,     /* caught by an explicit block/alert rule of --from: kept */
	D_UNRESTRICTED, /* without --from: its category is left out */
};

struct target {
	int section;             /* 0: top level, 1: the "init" override (while reading: INIT_* bits) */
	int cat;                 /* enum fs_category */
	char *text;              /* path, or the exact pattern "host:port" / "ip:port" / "[ip6]:port" */
	char *host;              /* connect by name: the name */
	uint8_t ip[16];
	int have_ip;
	unsigned port;
	unsigned long events;
	int lines;
	bool from_default;       /* a line said CATEGORY.default */
	bool from_list;          /* a line named a list rule */
	char line_rule[64];
	char *packages;          /* the origin packages whose calls these were: "a, b" (heap) */
	int decision;
	char rule[64];           /* D_EXPLICIT: the rule of --from that catches it */
	const char *rule_pattern;
	int pat;                 /* index of the pattern that covers it (D_LEARN) */
};

struct pattern {
	int section, cat;
	char *text;
	char *why;               /* how it was derived (from its first target) */
	int kind;                /* 0 exact, 1 generalised path, 2 domain wildcard */
	int ntargets;
	unsigned long events;
	char *example;           /* a target it covers */
	char rule[64];           /* its rule name in the learned policy */
	int at;                  /* its index in that allow list */
	bool keep;
};

struct learn {
	/* options */
	const char *from;
	int threshold;
	const char *package;      /* --package: only violations whose origin is this package */
	/* the staging policy */
	struct fs_policy *staging;
	char *staging_text;       /* fnshield language (a FunctionShield policy translated) */
	bool staging_fsh;
	/* what was read */
	int inputs;
	unsigned long violation_lines, events, other_lines;
	unsigned long skipped_truncated, skipped_anonymous, skipped_unresolved, skipped_malformed;
	unsigned long skipped_badpattern, skipped_protected, skipped_package;
	struct target *t;
	size_t nt, capt;
	size_t *hash;             /* open addressing: index + 1 */
	size_t hcap;
	/* the result */
	struct pattern *p;
	size_t np, capp;
	struct sb notes;          /* warnings collected for the summary */
	/* start lines: which policies the runs were made under */
	struct { char *source, *digest; unsigned long n; } starts[16];
	int nstarts;
	char from_digest[65];
	bool from_discovered;     /* the staging policy was found through the start lines */
};

/* While reading, a target's section holds what its lines said; the section is decided once
 * the staging policy is known (finalise_sections). */
#define INIT_RULE 1   /* a line's rule was init.CATEGORY... */
#define INIT_PHASE 2  /* a line was logged in the init phase */


/* ---- reading logs (learn_read.c) ------------------------------------------------------------- */

/* The reader (cli/logread.h) that adds what the inputs hold to L's targets, counts and start
 * lines. */
struct logread learn_reader(struct learn *L);
/* The target of that section, category and text, created when new. */
struct target *target_get(struct learn *L, int section, int cat, const char *text);

/* ---- generalising names (learn_generalise.c) ------------------------------------------------- */

/* A path as an exact pattern: glob syntax escaped. */
void put_literal(struct sb *b, const char *s, size_t n);
/* Note which names under scratch directories differ between runs only in their middle (the
 * targets to learn; before generalise_path). */
void find_hints(struct learn *L);
/* The generalised pattern for a path (heap), with why (heap) — NULL why for exact. */
char *generalise_path(int cat, const char *path, char **why);
/* Connect targets by name of one section and port (tidx: their indices): patterns for them,
 * "*.domain:PORT" where --wildcard-threshold hosts share a domain; sets each target's pat. */
void domain_wildcards(struct learn *L, int section, unsigned port, size_t *tidx, size_t nt);

/* ---- choosing rules (learn_choose.c) --------------------------------------------------------- */

/* --from FILE: read and compile the staging policy. 0, or an exit status after a message. */
int staging_from_file(struct learn *L);
/* After reading: without a staging policy, look for the one the start lines name (unless
 * discover is 0); with one, note when the start lines name another. */
void staging_against_starts(struct learn *L, bool discover);
/* Sections decided now that the staging policy is known; targets that end up the same merge. */
void finalise_sections(struct learn *L);
/* Each target's decision (enum decision). */
void decide(struct learn *L);
/* The patterns that allow the targets to learn: candidates, then the fewest that cover them. */
void choose_rules(struct learn *L);
/* The index of the pattern (section, cat, text), added when new (kind: as struct pattern). */
int pattern_add(struct learn *L, int section, int cat, const char *text, const char *why, int kind);
/* Does the policy text, compiled as the shim compiles it, allow every learned target? Returns
 * the number of failures, each said on stderr. */
int verify(struct learn *L, const char *text);

/* ---- printing (learn_print.c) ---------------------------------------------------------------- */

/* The packages whose calls needed pattern pi ("a, b"; heap, "" when no line named one). */
char *pattern_packages(struct learn *L, size_t pi);
/* The learned policy: the staging policy hardened with the kept patterns added, or a new one.
 * Sets each kept pattern's rule name and index. */
cJSON *build_policy(struct learn *L);
/* A policy as fnshield prints policies (see policy_print), with the final newline. */
void policy_format(struct sb *b, const cJSON *root);
/* What was read, decided, generalised and skipped, on stderr. */
void summary(struct learn *L);

#endif
