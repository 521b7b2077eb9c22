/*
 * policy.c — fs_policy_compile: text → validated → compiled; and the policy's accessors.
 *
 * Errors are collected across all steps: a syntax error stops there (there is no tree), but
 * validation reports every problem of the document, and only a document without any is
 * compiled into automata (where "policy too complex" can still arise).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "functionshield.h"

/* SPEC: with no policy configured, alert on what a function should rarely do: run programs,
 * listen, read process environments, write its own code. (Mode alert: it never blocks unless
 * FNSHIELD_MODE=block.) */
const char fs_default_policy_json[] =
	"{\"version\":1,\"mode\":\"alert\","
	"\"exec\":\"block\","
	"\"listen\":\"block\","
	"\"read\":{\"default\":\"allow\",\"block\":[\"/proc/**/environ\"]},"
	"\"write\":{\"default\":\"allow\",\"block\":[\"/var/task/**\",\"/opt/**\"]}}";

static const char *const CATEGORY_KEYS[FS_NCATEGORIES] = { "exec", "connect", "listen", "read", "write" };

/* Compile `text`; the image records `source` (the text as the user gave it: a FunctionShield
 * policy rather than its translation), so that its digest and `check --print` are the user's. */
static struct fs_policy *compile(const char *text, size_t len, const char *source, size_t source_len,
				 const struct fs_compile_options *o, struct fs_errors *errs)
{
	struct fs_ctx cx = { .text = text, .len = len, .errs = errs };
	struct fs_json j;
	if (fs_json_load(&cx, &j) < 0) {
		fs_json_free(&j);
		return NULL;
	}
	struct fs_raw_policy raw;
	fs_parse(&cx, &j, &raw);

	/* Compile every category, write the image, and read it back as every policy is read. */
	struct fs_img_writer aliases = { 0 };
	struct fs_image_parts parts = { .raw = &raw, .mode = raw.mode, .source = source,
					.source_len = source_len, .resolved_aliases = o->resolve_aliases,
					.aliases = &aliases };
	cx.aliases = o->resolve_aliases ? &aliases : NULL;
	for (int c = 0; c < FS_NCATEGORIES && errs->count == 0; c++) {
		char path[32];
		parts.rules[c] = fs_rules_build(&cx, &raw.cat[c], (enum fs_category)c, 0, o->resolve_aliases,
						CATEGORY_KEYS[c]);
		if (raw.init[c].present) {
			strcpy(path, "init.");
			strcat(path, CATEGORY_KEYS[c]);
			parts.init[c] = fs_rules_build(&cx, &raw.init[c], (enum fs_category)c, 1,
						       o->resolve_aliases, path);
		}
	}
	uint8_t *image = NULL;
	size_t image_len = 0;
	if (errs->count == 0 && (aliases.failed || !(image = fs_image_write(&parts, &image_len))))
		fs_err_at(&cx, FS_NOPOS, "", "out of memory");
	for (int c = 0; c < FS_NCATEGORIES; c++) {
		fs_rules_free(parts.rules[c]);
		fs_rules_free(parts.init[c]);
	}
	free(aliases.buf);
	fs_raw_free(&raw);
	fs_json_free(&j);
	if (!image)
		return NULL;
	struct fs_image_options io = { .mode_override = o->mode_override, .owner = FS_IMG_MALLOC };
	return fs_policy_load_image(image, image_len, &io, errs);
}

struct fs_policy *fs_policy_compile(const char *text, size_t len, const struct fs_compile_options *opts,
				    struct fs_errors *errs)
{
	struct fs_errors scratch;
	if (!errs)
		errs = &scratch;
	memset(errs, 0, sizeof *errs);
	if (!text)
		text = "", len = 0;
	struct fs_compile_options o = { .mode_override = -1, .resolve_aliases = 0 };
	if (opts)
		o = *opts;
	if (o.mode_override < -1 || o.mode_override > FS_MODE_BLOCK) {
		struct fs_ctx cx = { .text = text, .len = len, .errs = errs };
		fs_err_at(&cx, FS_NOPOS, "", "internal error: bad mode override %d", o.mode_override);
		return NULL;
	}
	/* A FunctionShield policy: compile its translation (functionshield.c). */
	char *translated = NULL;
	size_t tlen = 0;
	int fsr = fs_functionshield_translate(text, len, &translated, &tlen, errs);
	if (fsr < 0)
		return NULL;
	struct fs_policy *p = fsr > 0 ? compile(translated, tlen, text, len, &o, errs)
				      : compile(text, len, text, len, &o, errs);
	free(translated);
	return p;
}

enum fs_mode fs_policy_mode(const struct fs_policy *p)
{
	return (enum fs_mode)p->mode;
}

const struct fs_rules *fs_policy_rules(const struct fs_policy *p, enum fs_category c, int in_init)
{
	static const struct fs_rules allow_all = { .dflt = FS_ALLOW, .constant = FS_ALLOW };
	if ((unsigned)c >= FS_NCATEGORIES)
		return &allow_all;
	if (in_init && p->init[c])
		return p->init[c];
	return p->rules[c];
}

int fs_policy_has_init(const struct fs_policy *p)
{
	return p->has_init;
}

int fs_policy_stack(const struct fs_policy *p)
{
	return p->stack;
}

int fs_policy_backtrace(const struct fs_policy *p)
{
	return p->backtrace;
}

const char *fs_policy_metrics_namespace(const struct fs_policy *p)
{
	return p->metrics_namespace;
}

const char *fs_rule_pattern(const struct fs_policy *p, enum fs_category c, struct fs_verdict v)
{
	if ((unsigned)c >= FS_NCATEGORIES)
		return NULL;
	const struct fs_rules *r = v.init && p->init[c] ? p->init[c] : p->rules[c];
	return fs_rules_pattern(r, v);
}
