/*
 * policy_text.c — policy texts for the CLI's subcommands: one pattern compiled alone (learn,
 * explain), a FunctionShield policy's translation, and `fnshield check --print`.
 */
#include "cli.h"
#include "config.h"
#include "functionshield.h"

#include "cJSON.h"

#include <stdlib.h>
#include <string.h>

struct fs_policy *pattern_compile(enum fs_category c, const char *pattern, int resolve_aliases,
				  char *err, size_t errcap)
{
	cJSON *root = cJSON_CreateObject(), *cat = cJSON_CreateObject(), *list = cJSON_CreateArray();
	cJSON_AddNumberToObject(root, "version", 1);
	cJSON_AddStringToObject(cat, "default", "allow");
	cJSON_AddItemToArray(list, cJSON_CreateString(pattern));
	cJSON_AddItemToObject(cat, "block", list);
	cJSON_AddItemToObject(root, fs_category_name(c), cat);
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!text) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	struct fs_compile_options opts = {.mode_override = FS_MODE_BLOCK,
					  .resolve_aliases = resolve_aliases};
	struct fs_errors errs;
	struct fs_policy *p = fs_policy_compile(text, strlen(text), &opts, &errs);
	free(text);
	if (!p)
		snprintf(err, errcap, "%s", errs.count ? errs.e[0].message : "invalid pattern");
	return p;
}

char *policy_text_fnshield(const char *text, size_t len, size_t *outlen, int *was_functionshield)
{
	struct fs_errors errs = {0};
	char *out = NULL;
	size_t n = 0;
	int r = fs_functionshield_translate(text, len, &out, &n, &errs);
	*was_functionshield = r > 0;
	if (r < 0) {
		fprintf(stderr, "fnshield: invalid FunctionShield policy: %s\n",
			errs.count ? errs.e[0].message : "?");
		return NULL;
	}
	if (r > 0) {
		*outlen = n;
		return out;
	}
	out = malloc(len + 1);
	if (!out)
		return NULL;
	memcpy(out, text, len);
	out[len] = 0;
	*outlen = len;
	return out;
}

int print_policy_in_force(const struct fs_policy *p, enum fs_mode mode)
{
	/* The text the policy in force was compiled from, whichever form it was loaded in. */
	size_t len = 0;
	const char *src = fs_policy_source(p, &len);
	char *text = malloc(len + 1);
	if (text)
		memcpy(text, src, len + 1);
	int fsh = 0;
	size_t flen = 0;
	char *ftext = text ? policy_text_fnshield(text, len, &flen, &fsh) : NULL;
	free(text);
	cJSON *root = ftext ? cJSON_ParseWithLength(ftext, flen) : NULL;
	free(ftext);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		fputs("fnshield: cannot print the policy\n", stderr);
		return EX_CONFIG;
	}
	/* The mode in force (FNSHIELD_MODE overrides the policy's), right after "version". */
	const char *m = mode == FS_MODE_BLOCK ? "block" : "alert";
	cJSON *out = cJSON_CreateObject();
	int placed = 0;
	if (!cJSON_GetObjectItemCaseSensitive(root, "version")) {
		cJSON_AddNumberToObject(out, "version", 1);
		cJSON_AddStringToObject(out, "mode", m);
		placed = 1;
	}
	while (root->child) {
		cJSON *item = cJSON_DetachItemViaPointer(root, root->child);
		if (!strcmp(item->string, "mode")) {
			cJSON_Delete(item);
			continue;
		}
		int is_version = !strcmp(item->string, "version");
		cJSON_AddItemToObject(out, item->string, item);
		if (is_version && !placed) {
			cJSON_AddStringToObject(out, "mode", m);
			placed = 1;
		}
	}
	cJSON_Delete(root);
	root = out;
	if (fsh)
		fputs("fnshield: a FunctionShield policy; printed as its fnshield translation\n", stderr);
	policy_print(stdout, root);
	cJSON_Delete(root);
	return fflush(stdout) == 0 ? 0 : 74;
}
