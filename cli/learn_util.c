/*
 * learn_util.c — rule names as the policy library spells them, for `fnshield learn`.
 */
#include "learn.h"

void default_rule_name(int section, int cat, char *buf, size_t cap)
{
	struct fs_verdict v = {.list = FS_LIST_DEFAULT, .index = -1, .init = (int8_t)(section != 0)};
	fs_rule_name((enum fs_category)cat, v, buf, cap);
}

/* The init prefix is what an init rule's name has in front of the same top-level rule's. */
const char *section_prefix(int section)
{
	static char init[16];
	if (!section)
		return "";
	if (!init[0]) {
		char top[64], in[64];
		default_rule_name(0, FS_EXEC, top, sizeof top);
		default_rule_name(1, FS_EXEC, in, sizeof in);
		size_t n = strlen(in) - strlen(top);
		snprintf(init, sizeof init, "%.*s", (int)n, in);
	}
	return init;
}
