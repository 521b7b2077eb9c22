/*
 * decide.h — the decision: what fnshield does with one call, given the facts of that call.
 *
 * This is the only place where a call becomes a verdict, an action and a log line or none. The
 * preload library gathers the facts of a real call (facts/), `fnshield explain` gathers the same
 * facts with the same code for a call it describes, and both ask fs_decide; `fnshield learn`
 * names rules and fields as the lines it reads do. Pure: no system calls, no allocation, no
 * locks; async-signal-safe (it runs inside hooks, vfork children and signal handlers).
 *
 * What is decided here, in order:
 *   1. A call that fails on its own — a program or file that does not exist — is no violation:
 *      it fails with its own errno and nothing is logged (SPEC "What a blocked call does").
 *   2. Paths: both spellings are judged, as written (absolute, normalised) and resolved through
 *      symbolic links; the stricter verdict wins. A path neither spelling of which is known is
 *      judged as the category's strictest rule would judge it ("CATEGORY.unresolved"). A write
 *      to /proc/PID/mem is blocked whatever the rules say ("write.protected").
 *   3. Addresses: the Lambda Runtime API endpoint is always allowed; otherwise the address, its
 *      port and the names the process resolved to it.
 *   4. The mode: in alert mode a block acts as an alert.
 */
#ifndef FNSHIELD_DECIDE_H
#define FNSHIELD_DECIDE_H

#include "policy.h"

#include <errno.h>
#include <string.h>

/* What the file system says about the path of a call (exec, read, write). */
struct fs_path_facts {
	/* The path as written, made absolute (working directory or directory descriptor) and
	 * normalised; NULL when that cannot be computed (the working directory is deeper than
	 * PATH_MAX, a directory descriptor that is no directory). */
	const char *lexical;
	long lexical_len;
	/* The same path with every symbolic link followed (a last component that does not exist
	 * is placed in its resolved directory, where a creating call would put it); NULL when
	 * it cannot be resolved. Equal to lexical when no link lies on the way. */
	const char *real;
	long real_len;
	/* Non-zero: the call fails on its own with this errno whatever fnshield does (ENOENT,
	 * ENOTDIR; for an exec also EACCES for a directory or a file without execute permission). */
	int fails;
	/* Optional: the verdict on lexical, already computed by the caller's own pass over it (the
	 * open hooks match an already-normal path as they scan it); NULL: match here. */
	const struct fs_verdict *lexical_verdict;
};

/* What is known of the destination of a connect, or the address of a bind/listen. */
struct fs_addr_facts {
	uint8_t ip[16];            /* IPv4 as IPv4-mapped IPv6 (fs_ip_*) */
	uint16_t port;
	const char *const *names;  /* lower-case names the process resolved to ip */
	int nnames;
	int runtime_api;           /* it is the Lambda Runtime API endpoint */
};

struct fs_call_facts {
	enum fs_category category;
	int in_init;               /* the Lambda init phase: the policy's "init" overrides apply */
	struct fs_path_facts path; /* exec, read, write */
	struct fs_addr_facts addr; /* connect, listen */
};

enum fs_outcome {
	FS_PROCEEDS = 0, /* the call goes through (logged when action is alert) */
	FS_REFUSED,      /* fnshield fails it (logged, action block) */
	FS_FAILS,        /* it fails on its own: not a violation, nothing logged */
};

struct fs_decision {
	struct fs_verdict verdict; /* the rule that decided (fs_rule_name names it) */
	int action;                /* enum fs_action after the mode: what the line says */
	int outcome;               /* enum fs_outcome */
	int logged;                /* a violation line is written */
	int err;                   /* errno of a refused or failing call; 0 when it proceeds */
};

struct fs_decision fs_decide(const struct fs_policy *p, const struct fs_call_facts *f);

/* The same for a path call alone (exec, read, write), for callers with no address facts. */
struct fs_decision fs_decide_path(const struct fs_policy *p, enum fs_category c, int in_init,
				  const struct fs_path_facts *pf);

/* ---- the steps, inline: the open hooks take them on every checked open -----------------------
 * fs_decide is made of these and nothing else; the library's open fast path calls
 * fs_decide_path_in with the rules and mode it already holds. */

/* Are there two spellings: a real path known and other than the path as written? */
static inline int fs_spellings_differ(const struct fs_path_facts *pf)
{
	return pf->real && pf->lexical && pf->real != pf->lexical &&
	       (pf->real_len != pf->lexical_len || memcmp(pf->real, pf->lexical, (size_t)pf->lexical_len));
}

/* Step 2 for every case but the open hooks' common one (fs_decide_path_verdict). */
static inline struct fs_verdict fs_decide_path_verdict_full(const struct fs_rules *r,
							    enum fs_category c,
							    const struct fs_path_facts *pf)
{
	/* Neither spelling known: no rule can be matched, and an unknown path must not be a way
	 * around one — judged as the strictest rule of the category would judge it. */
	if (!pf->lexical && !pf->real)
		return (struct fs_verdict){.action = FS_BLOCK, .list = FS_LIST_DEFAULT,
					   .index = FS_RULE_UNRESOLVED};
	/* Writing /proc/PID/mem patches the process's own code, fnshield's hooks included. */
	if (c == FS_WRITE && ((pf->lexical && fs_path_is_proc_mem(pf->lexical)) ||
			      (pf->real && pf->real != pf->lexical && fs_path_is_proc_mem(pf->real))))
		return (struct fs_verdict){.action = FS_BLOCK, .list = FS_LIST_DEFAULT,
					   .index = FS_RULE_PROTECTED};
	if (!pf->lexical)
		return fs_match_path(r, pf->real, (size_t)pf->real_len);
	struct fs_verdict v = pf->lexical_verdict
				      ? *pf->lexical_verdict
				      : fs_match_path(r, pf->lexical, (size_t)pf->lexical_len);
	/* Both spellings, the stricter wins: a symbolic link neither escapes a block rule on its
	 * target nor borrows an allow rule of its own name. */
	if (fs_spellings_differ(pf))
		v = fs_verdict_stricter(v, fs_match_path(r, pf->real, (size_t)pf->real_len));
	return v;
}

/* Step 2: the verdict of a path call in both spellings, before the mode (explain lists it).
 * The open hooks' common case — one spelling, already matched, not a write — is settled here,
 * always inline, so that their path asks no more than these three questions; the rest is
 * fs_decide_path_verdict_full's. */
static inline __attribute__((always_inline)) struct fs_verdict
fs_decide_path_verdict(const struct fs_rules *r, enum fs_category c, const struct fs_path_facts *pf)
{
	if (pf->lexical_verdict && pf->real == pf->lexical && c != FS_WRITE)
		return *pf->lexical_verdict;
	/* On a copy: gcc then keeps a caller's facts in registers (the open hooks build theirs in
	 * place) and writes them to memory only on this way, not on every call. */
	struct fs_path_facts copy = *pf;
	return fs_decide_path_verdict_full(r, c, &copy);
}

/* Step 4: what the mode makes of a verdict, and what the call then gets. */
static inline __attribute__((always_inline)) struct fs_decision
fs_decision_of(enum fs_mode mode, enum fs_category c, struct fs_verdict v)
{
	struct fs_decision d = {.verdict = v, .action = v.action};
	if (d.action == FS_BLOCK && mode == FS_MODE_ALERT)
		d.action = FS_ALERT; /* alert mode: every block acts as an alert (SPEC) */
	d.logged = d.action != FS_ALLOW;
	if (d.action == FS_BLOCK) {
		d.outcome = FS_REFUSED;
		d.err = c == FS_CONNECT || c == FS_LISTEN ? EPERM : EACCES;
	}
	return d;
}

/* Steps 3 and 4 for a connect or listen, with the category's rules in force and the mode. */
static inline struct fs_decision fs_decide_addr_in(const struct fs_rules *r, enum fs_mode mode,
						   enum fs_category c, const struct fs_addr_facts *a)
{
	if (c == FS_CONNECT && a->runtime_api) /* always allowed, whatever the rules */
		return (struct fs_decision){.verdict = {.list = FS_LIST_DEFAULT, .index = -1},
					    .action = FS_ALLOW, .outcome = FS_PROCEEDS};
	return fs_decision_of(mode, c, fs_match_addr(r, a->ip, a->port, a->names, a->nnames));
}

/* Step 1 after the fact, for an open that was made (alert mode, an allowed spelling): it failed
 * by itself — the file or a directory on the way is not there, links go round, a directory
 * opened for writing — so it was no violation, whatever step 2 said of its path. The same
 * errors facts/ reports before an open that would be refused. */
static inline int fs_open_failed_by_itself(int err)
{
	return err == ENOENT || err == ENOTDIR || err == ELOOP || err == EISDIR;
}

/* Steps 1, 2 and 4 for a path call, with the category's rules in force and the mode. */
static inline __attribute__((always_inline)) struct fs_decision
fs_decide_path_in(const struct fs_rules *r, enum fs_mode mode, enum fs_category c,
		  const struct fs_path_facts *pf)
{
	if (pf->fails) /* step 1: it fails by itself: no verdict, no line */
		return (struct fs_decision){.verdict = {.list = FS_LIST_DEFAULT, .index = -1},
					    .action = FS_ALLOW, .outcome = FS_FAILS, .err = pf->fails};
	return fs_decision_of(mode, c, fs_decide_path_verdict(r, c, pf));
}

/* ---- finding the program an exec runs -------------------------------------------------------
 * The entry points that search PATH for a bare name do it as glibc's execvp does (posix_spawnp
 * too): each PATH entry in turn, an empty entry meaning the working directory, glibc's
 * "/bin:/usr/bin" when PATH is unset; a candidate that does not exist, is no directory on the
 * way or cannot be executed is passed over; the first that can run is the program. system and
 * popen run the shell. The other entry points run the path they are given. */
enum fs_search { FS_SEARCH_NONE, FS_SEARCH_PATH, FS_SEARCH_SHELL };

/* The search an entry point does, by its name ("execvp" → FS_SEARCH_PATH, "system" →
 * FS_SEARCH_SHELL, "execve" → FS_SEARCH_NONE). */
enum fs_search fs_exec_search_of(const char *call);

/* Can the candidate run? 0, or the errno an exec of it fails with (ENOENT, ENOTDIR, EACCES…).
 * Supplied by who gathers the facts (facts/: the same for the library and explain). */
typedef int (*fs_probe_fn)(void *ctx, const char *candidate);

/* The program a call with search rules s would run for `file`, into out: 0, or the errno the
 * call fails with when none can run (EACCES if some candidate was refused for that, else the
 * last candidate's error, as glibc reports). path_env: the process's PATH (NULL: unset). */
int fs_find_program(enum fs_search s, const char *file, const char *path_env, fs_probe_fn probe,
		    void *ctx, char *out, size_t cap);

/* Does glibc's search go on to the next PATH entry after an exec of a candidate failed with
 * err (EACCES, ENOENT, ENOTDIR, ESTALE, ENODEV, ETIMEDOUT)? Any other error ends it. */
int fs_search_goes_on(int err);

/* The part of PATH (path_env, NULL: glibc's default) after the entry whose candidate for file
 * was found: where the search goes on when found could not be exec'd after all (a "#!" naming
 * a missing interpreter, which the probe does not read). NULL when nothing is left. */
const char *fs_path_rest(const char *path_env, const char *file, const char *found);

/* The shell that system and popen run (glibc's _PATH_BSHELL). */
#define FS_SHELL "/bin/sh"

#endif
