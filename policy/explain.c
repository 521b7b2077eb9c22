/*
 * explain.c — read-only views of a compiled policy, for `fnshield explain` and `fnshield learn`
 * (cli/explain.c, cli/learn.c): the default and the patterns of each list, whether a category
 * has an init override, and the symlink-resolved spelling the compiler adds for a pattern.
 *
 * Never used on the hot path (fs_pattern_alias allocates and makes system calls).
 */
#include <stdlib.h>

#include "internal.h"

int fs_rules_default(const struct fs_rules *r)
{
	return r->dflt;
}

uint32_t fs_rules_count(const struct fs_rules *r, enum fs_list l)
{
	if (l < FS_LIST_ALLOW || l > FS_LIST_BLOCK)
		return 0;
	return r->n[l];
}

const char *fs_rules_text(const struct fs_rules *r, enum fs_list l, uint32_t i)
{
	if (l < FS_LIST_ALLOW || l > FS_LIST_BLOCK || i >= r->n[l])
		return NULL;
	return r->strings + r->text[l][i];
}

int fs_policy_has_override(const struct fs_policy *p, enum fs_category c)
{
	if ((unsigned)c >= FS_NCATEGORIES)
		return 0;
	/* fs_policy_rules returns the override only when there is one: its rules say init. */
	return fs_policy_rules(p, c, 1)->init != 0;
}

char *fs_pattern_alias(const char *pattern)
{
	char err[200];
	if (!pattern || fs_glob_check(pattern, err, sizeof err) < 0)
		return NULL;
	return fs_glob_alias(pattern);
}
