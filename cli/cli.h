/*
 * cli.h — what the subcommands of the fnshield CLI share (cli/fnshield.c, cli/learn*.c,
 * cli/explain.c, cli/policy_text.c).
 */
#ifndef FNSHIELD_CLI_H
#define FNSHIELD_CLI_H

#include "policy.h"

#include <stdio.h>

struct cJSON;

#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66
#define EX_SOFTWARE 70
#define EX_CONFIG 78

/* fnshield learn [--from POLICY] [--wildcard-threshold N] [FILE...]   (cli/learn.c) */
int cmd_learn(int argc, char **argv);

/* fnshield report [--by package|function|category|target] [--json] [FILE...]   (cli/report.c) */
int cmd_report(int argc, char **argv);

/* fnshield explain [--policy FILE] [--mode M] [--init] [--json] … CATEGORY TARGET  (cli/explain.c) */
int cmd_explain(int argc, char **argv);

/* `fnshield check --print`: print the policy in force (a FunctionShield policy as its
 * translation) as fnshield JSON on stdout: the text it was compiled from, for a compiled
 * policy too. mode: the mode in force, written into the printed policy. Returns 0, or an exit
 * status after saying why on stderr. (cli/policy_text.c) */
int print_policy_in_force(const struct fs_policy *p, enum fs_mode mode);

/* fnshield supervise: the supervisor the library starts (shim/supervisor.h; cli/supervise.c) */
int cmd_supervise(int argc, char **argv);

/* fnshield compile POLICY [-o OUT]   (cli/compile.c) */
int cmd_compile(int argc, char **argv);

/* The fnshield-language text of a policy text: itself, or a FunctionShield policy's
 * translation. Heap (caller frees); NULL with a message on stderr when it is neither.
 * (cli/policy_text.c) */
char *policy_text_fnshield(const char *text, size_t len, size_t *outlen, int *was_functionshield);

/* Print a policy (cJSON tree) the way fnshield writes policies: two-space indent, a value on
 * one line when it fits in 100 columns. (cli/learn_print.c) */
void policy_print(FILE *f, const struct cJSON *root);

/* One pattern of a category, compiled alone exactly as the policy compiler compiles it (same
 * validation, and with its symlink alias when resolve_aliases): NULL with err filled when the
 * pattern is not valid for the category. Free with fs_policy_free. Match with
 * fs_policy_rules(p, c, 0): it matched when the verdict's list is FS_LIST_BLOCK.
 * (cli/policy_text.c) */
struct fs_policy *pattern_compile(enum fs_category c, const char *pattern, int resolve_aliases,
				  char *err, size_t errcap);


#endif
