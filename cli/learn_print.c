/*
 * learn_print.c — `fnshield learn`: printing. The learned policy as JSON (the staging
 * policy hardened, with the kept patterns appended to its allow lists, or a new policy), in the
 * layout every fnshield policy is printed in (also `check --print`); and on stderr the summary:
 * what was read, which rules were added and why, what was kept, skipped or left out.
 */
#include "learn.h"

#include <stdlib.h>

/* ---- the printer ----------------------------------------------------------------------------- */

#define PRINT_WIDTH 100

static void json_string(struct sb *b, const char *s)
{
	sb_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': sb_puts(b, "\\\""); break;
		case '\\': sb_puts(b, "\\\\"); break;
		case '\n': sb_puts(b, "\\n"); break;
		case '\r': sb_puts(b, "\\r"); break;
		case '\t': sb_puts(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				sb_printf(b, "\\u%04x", *p);
			else
				sb_putc(b, (char)*p);
		}
	}
	sb_putc(b, '"');
}

static void json_inline(struct sb *b, const cJSON *v)
{
	if (cJSON_IsString(v)) {
		json_string(b, v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d == (double)(long long)d && d > -1e15 && d < 1e15)
			sb_printf(b, "%lld", (long long)d);
		else
			sb_printf(b, "%.17g", d);
	} else if (cJSON_IsBool(v)) {
		sb_puts(b, cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNull(v)) {
		sb_puts(b, "null");
	} else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		int obj = cJSON_IsObject(v);
		sb_putc(b, obj ? '{' : '[');
		for (const cJSON *c = v->child; c; c = c->next) {
			if (obj) {
				json_string(b, c->string);
				sb_puts(b, ": ");
			}
			json_inline(b, c);
			if (c->next)
				sb_puts(b, ", ");
		}
		sb_putc(b, obj ? '}' : ']');
	}
}

/* v at column `col` (where its first character goes), indented by `indent`; `tail` is what
 * follows it on its line ("," or ""). */
static void json_pretty(struct sb *b, const cJSON *v, int indent, int col, int tail)
{
	struct sb one = {0};
	json_inline(&one, v);
	int composite = cJSON_IsArray(v) || cJSON_IsObject(v);
	if (!composite || !v->child || col + (int)one.n + tail <= PRINT_WIDTH) {
		sb_putn(b, one.p, one.n);
		free(one.p);
		return;
	}
	free(one.p);
	int obj = cJSON_IsObject(v);
	sb_puts(b, obj ? "{\n" : "[\n");
	for (const cJSON *c = v->child; c; c = c->next) {
		size_t start = b->n;
		for (int i = 0; i < indent + 2; i++)
			sb_putc(b, ' ');
		if (obj) {
			json_string(b, c->string);
			sb_puts(b, ": ");
		}
		json_pretty(b, c, indent + 2, (int)(b->n - start), c->next ? 1 : 0);
		if (c->next)
			sb_putc(b, ',');
		sb_putc(b, '\n');
	}
	for (int i = 0; i < indent; i++)
		sb_putc(b, ' ');
	sb_putc(b, obj ? '}' : ']');
}

void policy_format(struct sb *b, const cJSON *root)
{
	json_pretty(b, root, 0, 0, 0);
	sb_putc(b, '\n');
}

void policy_print(FILE *f, const cJSON *root)
{
	struct sb b = {0};
	policy_format(&b, root);
	fwrite(b.p, 1, b.n, f);
	free(b.p);
}

/* ---- the learned policy ---------------------------------------------------------------------- */

/* The learned policy's "mode": it is for production. */
#define LEARNED_MODE "block"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The category object of `parent` (top level or "init"), made an object when it is a string;
 * NULL when absent and create is 0. */
static cJSON *category_object(cJSON *parent, const char *name, int create)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(parent, name);
	if (!c) {
		if (!create)
			return NULL;
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "default", fs_action_name(FS_BLOCK));
		cJSON_AddItemToObject(parent, name, c);
		return c;
	}
	if (cJSON_IsString(c)) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "default", c->valuestring);
		cJSON_ReplaceItemInObjectCaseSensitive(parent, name, o);
		return o;
	}
	return c;
}

/* The allow list of a category object, created right after "default" when missing. */
static cJSON *allow_list(cJSON *cat)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(cat, fs_action_name(FS_ALLOW));
	if (a)
		return a;
	a = cJSON_CreateArray();
	cJSON *out = cJSON_CreateObject();
	int placed = 0;
	while (cat->child) {
		cJSON *m = cJSON_DetachItemViaPointer(cat, cat->child);
		int is_default = !strcmp(m->string, "default");
		if (!placed && !is_default) {
			cJSON_AddItemToObject(out, fs_action_name(FS_ALLOW), a);
			placed = 1;
		}
		cJSON_AddItemToObject(out, m->string, m);
		if (is_default && !placed) {
			cJSON_AddItemToObject(out, fs_action_name(FS_ALLOW), a);
			placed = 1;
		}
	}
	if (!placed)
		cJSON_AddItemToObject(out, fs_action_name(FS_ALLOW), a);
	/* move out's members back into cat (keeps cat's place in its parent) */
	while (out->child) {
		cJSON *m = cJSON_DetachItemViaPointer(out, out->child);
		cJSON_AddItemToObject(cat, m->string, m);
	}
	cJSON_Delete(out);
	return a;
}

/* "default": "alert" → "block" (a category string "alert" likewise). Records what changed. */
static void harden_defaults(struct learn *L, cJSON *parent, int section)
{
	if (!parent)
		return;
	for (int c = 0; c < FS_NCATEGORIES; c++) {
		const char *name = fs_category_name((enum fs_category)c);
		cJSON *v = cJSON_GetObjectItemCaseSensitive(parent, name);
		cJSON *d = cJSON_IsString(v) ? v : cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, "default") : NULL;
		if (cJSON_IsString(d) && !strcmp(d->valuestring, fs_action_name(FS_ALERT))) {
			char rule[64];
			cJSON_SetValuestring(d, fs_action_name(FS_BLOCK));
			default_rule_name(section, c, rule, sizeof rule);
			sb_printf(&L->notes, "  %s: %s -> %s (what staging never did is blocked)\n", rule,
				  fs_action_name(FS_ALERT), fs_action_name(FS_BLOCK));
		}
	}
}

cJSON *build_policy(struct learn *L)
{
	cJSON *root;
	if (L->staging) {
		root = cJSON_Parse(L->staging_text);
		cJSON *mode = cJSON_GetObjectItemCaseSensitive(root, "mode");
		if (mode)
			cJSON_ReplaceItemInObjectCaseSensitive(root, "mode", cJSON_CreateString(LEARNED_MODE));
		harden_defaults(L, root, 0);
		harden_defaults(L, cJSON_GetObjectItemCaseSensitive(root, "init"), 1);
		if (!mode) { /* insert "mode" after "version" */
			cJSON *out = cJSON_CreateObject();
			while (root->child) {
				cJSON *m = cJSON_DetachItemViaPointer(root, root->child);
				int v = !strcmp(m->string, "version");
				cJSON_AddItemToObject(out, m->string, m);
				if (v)
					cJSON_AddStringToObject(out, "mode", LEARNED_MODE);
			}
			cJSON_Delete(root);
			root = out;
		}
	} else {
		root = cJSON_CreateObject();
		cJSON_AddNumberToObject(root, "version", 1);
		cJSON_AddStringToObject(root, "mode", LEARNED_MODE);
	}
	for (int s = 0; s < 2; s++)
		for (int c = 0; c < FS_NCATEGORIES; c++) {
			size_t n = 0;
			char **texts = xcalloc(L->np + 1, sizeof *texts);
			for (size_t i = 0; i < L->np; i++)
				if (L->p[i].keep && L->p[i].section == s && L->p[i].cat == c)
					texts[n++] = L->p[i].text;
			if (!n) {
				free(texts);
				continue;
			}
			qsort(texts, n, sizeof *texts, cmp_str);
			cJSON *parent = root;
			if (s) {
				parent = cJSON_GetObjectItemCaseSensitive(root, "init");
				if (!parent) {
					parent = cJSON_CreateObject();
					cJSON_AddItemToObject(root, "init", parent);
				}
			}
			const char *name = fs_category_name((enum fs_category)c);
			cJSON *cat = category_object(parent, name, 1);
			cJSON *allow = allow_list(cat);
			int base = cJSON_GetArraySize(allow);
			int added = 0;
			for (size_t k = 0; k < n; k++) {
				bool dup = false;
				int at = -1, idx = 0;
				for (cJSON *a = allow->child; a; a = a->next, idx++)
					if (cJSON_IsString(a) && !strcmp(a->valuestring, texts[k])) {
						dup = true;
						at = idx;
					}
				if (!dup) {
					cJSON_AddItemToArray(allow, cJSON_CreateString(texts[k]));
					at = base + added++;
				}
				for (size_t i = 0; i < L->np; i++)
					if (L->p[i].keep && L->p[i].section == s && L->p[i].cat == c &&
					    !strcmp(L->p[i].text, texts[k]))
					{
						struct fs_verdict v = {.list = FS_LIST_ALLOW, .index = at,
								       .init = (int8_t)s};
						fs_rule_name((enum fs_category)c, v, L->p[i].rule,
							     sizeof L->p[i].rule);
						L->p[i].at = at;
					}
			}
			free(texts);
		}
	return root;
}

/* ---- the summary ----------------------------------------------------------------------------- */

static bool sensitive(const struct target *t, const char **what)
{
	const char *s = t->text;
	if (t->cat == FS_READ && starts_with(s, "/proc/") && (ends_with(s, "/environ"))) {
		*what = "a process environment: the function's AWS credentials";
		return true;
	}
	if (t->cat == FS_WRITE && (starts_with(s, "/var/task/") || !strcmp(s, "/var/task") ||
				   starts_with(s, "/opt/") || !strcmp(s, "/opt"))) {
		*what = "a write into the function's code or layers";
		return true;
	}
	if (t->cat == FS_EXEC) {
		const char *b = strrchr(s, '/');
		b = b ? b + 1 : s;
		static const char *const shells[] = {"sh", "bash", "dash", "zsh", "ash", "busybox",
						     "curl", "wget", "nc", "ncat", "python", "perl"};
		for (size_t i = 0; i < sizeof shells / sizeof *shells; i++)
			if (!strcmp(b, shells[i])) {
				*what = "a shell or network tool, the usual first step of an attack";
				return true;
			}
	}
	return false;
}

char *pattern_packages(struct learn *L, size_t pi)
{
	char *all = NULL;
	for (size_t i = 0; i < L->nt; i++)
		for (const char *p = L->t[i].packages; L->t[i].pat == (int)pi && p && *p;) {
			const char *end = strstr(p, ", ");
			size_t n = end ? (size_t)(end - p) : strlen(p);
			all = list_add(all, p, n);
			p = end ? end + 2 : p + n;
		}
	return all ? all : xstrdup("");
}

void summary(struct learn *L)
{
	FILE *e = stderr;
	size_t distinct = 0, n_learn = 0, n_allowed = 0, n_explicit = 0, n_unrestricted = 0;
	for (size_t i = 0; i < L->nt; i++) {
		distinct++;
		switch (L->t[i].decision) {
		case D_LEARN: n_learn++; break;
		case D_ALLOWED: n_allowed++; break;
		case D_EXPLICIT: n_explicit++; break;
		default: n_unrestricted++;
		}
	}
	fprintf(e, "fnshield learn: %lu violation line%s (%lu event%s) from %d input%s: %zu distinct "
		"target%s\n", L->violation_lines, L->violation_lines == 1 ? "" : "s", L->events,
		L->events == 1 ? "" : "s", L->inputs, L->inputs == 1 ? "" : "s", distinct,
		distinct == 1 ? "" : "s");
	if (L->staging)
		fprintf(e, "fnshield learn: based on the staging policy %s%s%s: mode block, alert defaults "
			"made block, allow rules added for what its defaults flagged\n", L->from,
			L->from_discovered ? " (named by the logs' start lines, same sha256)" : "",
			L->staging_fsh ? " (a FunctionShield policy, translated)" : "");
	else
		fprintf(e, "fnshield learn: staging policy unknown (no --from): categories whose default "
			"flagged something become {\"default\": \"block\", \"allow\": [what was seen]}, the "
			"others are left out. The staging policy's own allow rules are not in the logs and so "
			"not in the result: give it with --from\n");

	size_t kept = 0, gen = 0, gen_targets = 0;
	for (size_t i = 0; i < L->np; i++)
		if (L->p[i].keep) {
			kept++;
			if (L->p[i].kind) {
				gen++;
				gen_targets += (size_t)L->p[i].ntargets;
			}
		}
	fprintf(e, "fnshield learn: %zu allow rule%s (%zu generalised, covering %zu target%s; %zu "
		"exact)\n", kept, kept == 1 ? "" : "s", gen, gen_targets, gen_targets == 1 ? "" : "s",
		kept - gen);
	int wrule = 0, wpat = 0;
	for (size_t i = 0; i < L->np; i++)
		if (L->p[i].keep) {
			if ((int)strlen(L->p[i].rule) > wrule)
				wrule = (int)strlen(L->p[i].rule);
			if ((int)strlen(L->p[i].text) > wpat)
				wpat = (int)strlen(L->p[i].text);
		}
	if (wpat > 40)
		wpat = 40;
	for (int s = 0; s < 2; s++)
		for (int c = 0; c < FS_NCATEGORIES; c++)
			for (int at = 0;; at++) {
				struct pattern *p = NULL;
				bool more = false;
				for (size_t i = 0; i < L->np; i++) {
					struct pattern *q = &L->p[i];
					if (!q->keep || q->section != s || q->cat != c)
						continue;
					more |= q->at >= at;
					if (q->at == at)
						p = q;
				}
				if (!more)
					break;
				if (!p)
					continue;
				char *needed = pattern_packages(L, (size_t)(p - L->p));
				if (p->kind)
					fprintf(e, "  %-*s  %-*s  %d target%s, e.g. %s — %s", wrule, p->rule, wpat,
						p->text, p->ntargets, p->ntargets == 1 ? "" : "s", p->example,
						p->why ? p->why : "");
				else
					fprintf(e, "  %-*s  %-*s  exact (%lu event%s)", wrule, p->rule, wpat, p->text,
						p->events, p->events == 1 ? "" : "s");
				fprintf(e, needed[0] ? " — needed by %s\n" : "\n", needed);
				free(needed);
			}
	if (L->notes.n)
		fputs(L->notes.p, e);
	for (size_t i = 0; i < L->nt; i++) {
		const char *what;
		struct target *t = &L->t[i];
		if (t->decision == D_LEARN && sensitive(t, &what))
			fprintf(e, "  warning: allowed %s %s — %s; make sure staging saw the function at "
				"work, not an attack\n", fs_category_name((enum fs_category)t->cat), t->text, what);
	}
	if (n_explicit) {
		fprintf(e, "fnshield learn: %zu target%s caught by explicit rules of %s, kept (the "
			"strictest rule wins, so allowing %s would mean deleting the rule — decide by hand):\n",
			n_explicit, n_explicit == 1 ? "" : "s", L->from, n_explicit == 1 ? "it" : "them");
		bool *done = xcalloc(L->nt + 1, sizeof *done);
		for (size_t i = 0; i < L->nt; i++) {
			struct target *t = &L->t[i];
			if (t->decision != D_EXPLICIT || done[i])
				continue;
			size_t n = 0;
			unsigned long ev = 0;
			struct sb ex = {0};
			for (size_t j = i; j < L->nt; j++) {
				struct target *u = &L->t[j];
				if (u->decision != D_EXPLICIT || done[j] || u->section != t->section ||
				    u->cat != t->cat || strcmp(u->rule, t->rule))
					continue;
				done[j] = true;
				ev += u->events;
				if (n < 3)
					sb_printf(&ex, "%s%s", n ? ", " : "", u->text);
				n++;
			}
			if (n > 3)
				sb_printf(&ex, ", and %zu more", n - 3);
			fprintf(e, "  %s \"%s\" catches %zu %s target%s (%lu event%s): %s\n", t->rule,
				t->rule_pattern ? t->rule_pattern : "", n, fs_category_name((enum fs_category)t->cat),
				n == 1 ? "" : "s", ev, ev == 1 ? "" : "s", ex.p);
			free(ex.p);
		}
		free(done);
	}
	if (n_allowed)
		fprintf(e, "fnshield learn: %zu target%s already allowed by %s (logged under another "
			"policy version?)\n", n_allowed, n_allowed == 1 ? "" : "s", L->from);
	if (!L->staging) {
		bool seen[2][FS_NCATEGORIES] = {{0}}, learned[2][FS_NCATEGORIES] = {{0}};
		for (size_t i = 0; i < L->nt; i++) {
			seen[L->t[i].section][L->t[i].cat] = true;
			learned[L->t[i].section][L->t[i].cat] |= L->t[i].decision == D_LEARN;
		}
		struct sb only = {0}, none = {0};
		for (int s = 0; s < 2; s++)
			for (int c = 0; c < FS_NCATEGORIES; c++) {
				if (s && !seen[s][c])
					continue;
				struct sb *b = seen[s][c] ? (learned[s][c] ? NULL : &only) : &none;
				if (!b)
					continue;
				sb_printf(b, "%s%s%s", b->n ? ", " : "", section_prefix(s),
					  fs_category_name((enum fs_category)c));
			}
		if (only.n)
			fprintf(e, "fnshield learn: left out (allow): %s — flagged only by explicit rules of "
				"the staging policy, which learn cannot see; pass --from STAGING to keep them\n",
				only.p);
		if (none.n)
			fprintf(e, "fnshield learn: left out (allow): %s — no violation seen; without --from "
				"learn cannot tell whether staging restricted %s\n", none.p,
				strchr(none.p, ',') ? "them" : "it");
		free(only.p);
		free(none.p);
	}
	unsigned long sk = L->skipped_truncated + L->skipped_anonymous + L->skipped_unresolved +
			   L->skipped_malformed + L->skipped_protected + L->skipped_package;
	if (sk) {
		struct sb b = {0};
		const struct { unsigned long n; const char *what; } why[] = {
			{L->skipped_truncated, "with a truncated target"},
			{L->skipped_anonymous, "naming no file (memfd, deleted)"},
			{L->skipped_unresolved, "with an unresolvable path (*.unresolved)"},
			{L->skipped_protected, "writing /proc/PID/mem (write.protected: never allowed)"},
			{L->skipped_malformed, "malformed"},
			{L->skipped_package, "from other code than --package"},
		};
		for (size_t k = 0; k < sizeof why / sizeof *why; k++)
			if (why[k].n)
				sb_printf(&b, "%s%lu %s", b.n ? ", " : "", why[k].n, why[k].what);
		fprintf(e, "fnshield learn: skipped %lu line%s: %s\n", sk, sk == 1 ? "" : "s", b.p);
		free(b.p);
	}
}

