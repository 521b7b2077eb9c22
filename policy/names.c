/*
 * names.c — the names a log line uses: categories, actions, rules.
 *
 * fs_rule_name runs where a violation is logged — possibly in a signal handler or a vfork
 * child — so it is written without stdio: plain byte copies, async-signal-safe.
 */
#include "internal.h"

#include <string.h>

static const char *const CATEGORY_NAMES[FS_NCATEGORIES] = { "exec", "connect", "listen", "read", "write" };
static const char *const ACTION_NAMES[3] = { "allow", "alert", "block" };

const char *fs_category_name(enum fs_category c)
{
	return (unsigned)c < FS_NCATEGORIES ? CATEGORY_NAMES[c] : "unknown";
}

int fs_category_of(const char *name)
{
	for (int c = 0; c < FS_NCATEGORIES; c++)
		if (!strcmp(name, CATEGORY_NAMES[c]))
			return c;
	return -1;
}

const char *fs_action_name(int action)
{
	return action >= 0 && action < 3 ? ACTION_NAMES[action] : "unknown";
}

struct out {
	char *buf;
	size_t cap, n; /* n counts everything, like snprintf; only cap-1 bytes are stored */
};

static void put(struct out *o, const char *s)
{
	for (; *s; s++, o->n++)
		if (o->n + 1 < o->cap)
			o->buf[o->n] = *s;
}

int fs_rule_name(enum fs_category c, struct fs_verdict v, char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = buf ? cap : 0, .n = 0 };
	if (v.index == FS_RULE_UNRESOLVED || v.index == FS_RULE_PROTECTED) {
		put(&o, fs_category_name(c));
		put(&o, v.index == FS_RULE_PROTECTED ? ".protected" : ".unresolved");
		if (o.cap)
			o.buf[o.n < o.cap ? o.n : o.cap - 1] = 0;
		return (int)o.n;
	}
	if (v.init)
		put(&o, "init.");
	put(&o, fs_category_name(c));
	if (v.list < 0 || v.list > 2 || v.index < 0) {
		put(&o, ".default");
	} else {
		char num[16];
		int k = (int)sizeof num - 1;
		uint32_t x = (uint32_t)v.index;
		num[k] = 0;
		do
			num[--k] = (char)('0' + x % 10);
		while ((x /= 10) && k > 0);
		put(&o, ".");
		put(&o, ACTION_NAMES[v.list]);
		put(&o, "[");
		put(&o, num + k);
		put(&o, "]");
	}
	if (o.cap)
		o.buf[o.n < o.cap ? o.n : o.cap - 1] = 0;
	return (int)o.n;
}
