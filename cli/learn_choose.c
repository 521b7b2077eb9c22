/*
 * learn_choose.c — `fnshield learn`: choosing rules. The staging policy (--from,
 * or the one the logs' start lines name) decides which targets need an allow rule: those its
 * default decided; what an explicit rule of it catches is kept and reported. Without it, the
 * categories whose default flagged something are learned. Of the candidate patterns
 * (learn_generalise.c) as few as cover every target are kept (greedy set cover, with the
 * policy's own matcher), and the learned policy is checked to allow them all. The rules, at
 * length: learn.c's header.
 */
#include "learn.h"
#include "config.h"
#include "sha256.h"

#include <limits.h>
#include <stdlib.h>

/* The verdict of rules r on target t, as the shim would match it. */
static struct fs_verdict target_verdict(const struct fs_rules *r, const struct target *t)
{
	if (t->cat == FS_EXEC || t->cat == FS_READ || t->cat == FS_WRITE)
		return fs_match_path(r, t->text, strlen(t->text));
	const char *names[1] = {t->host};
	return fs_match_addr(r, t->ip, (uint16_t)t->port, names, t->host ? 1 : 0);
}

/* ---- the staging policy ---------------------------------------------------------------------- */

/* Compile a staging policy; NULL-safe messages. 0, or an exit status. */
static int load_staging(struct learn *L, const char *text, size_t len, const char *name)
{
	struct fs_errors errs;
	struct fs_compile_options opts = {.mode_override = -1, .resolve_aliases = 1};
	L->staging = fs_policy_compile(text, len, &opts, &errs);
	if (!L->staging) {
		for (int k = 0; k < errs.count && k < FS_MAX_ERRORS; k++)
			fprintf(stderr, "fnshield learn: %s: invalid policy: %s (at %s, line %d, column %d)\n",
				name, errs.e[k].message, errs.e[k].path[0] ? errs.e[k].path : "the root",
				errs.e[k].line, errs.e[k].column);
		return EX_CONFIG;
	}
	size_t flen = 0;
	int fsh = 0;
	fs_sha256_hex(text, len, L->from_digest);
	L->staging_text = policy_text_fnshield(text, len, &flen, &fsh);
	L->staging_fsh = fsh;
	return L->staging_text ? 0 : EX_CONFIG;
}

/* Without --from: the start lines name the policy the runs were made under ("file:PATH",
 * "env:FNSHIELD_POLICY", "default") and its SHA-256. When there is exactly one, and its text is
 * at hand here with the same digest (the file, this environment's FNSHIELD_POLICY, or the
 * built-in default), it is the staging policy. */
static void discover_staging(struct learn *L)
{
	if (L->nstarts == 0)
		return;
	for (int k = 1; k < L->nstarts; k++)
		if (strcmp(L->starts[k].digest, L->starts[0].digest)) {
			sb_printf(&L->notes, "  note: the runs were made under %d different policies (start "
				  "lines); give the staging policy with --from\n", L->nstarts);
			return;
		}
	const char *src = L->starts[0].source, *want = L->starts[0].digest;
	char *text = NULL;
	size_t len = 0;
	static char name[PATH_MAX + 64];
	if (starts_with(src, "file:")) {
		int err = 0;
		text = fs_read_policy_text(src + 5, &len, &err);
		snprintf(name, sizeof name, "%s", src + 5);
	} else if (!strcmp(src, "default")) {
		text = xstrdup(fs_default_policy_json);
		len = strlen(text);
		snprintf(name, sizeof name, "the built-in default policy");
	} else if (getenv("FNSHIELD_POLICY")) {
		text = xstrdup(getenv("FNSHIELD_POLICY"));
		len = strlen(text);
		snprintf(name, sizeof name, "FNSHIELD_POLICY");
	}
	char got[65] = "";
	if (text)
		fs_sha256_hex(text, len, got);
	if (!text || strcmp(got, want)) {
		sb_printf(&L->notes, "  note: the runs were made under %s (sha256 %.12s…), which is not at "
			  "hand here%s; give it with --from\n", src, want,
			  text ? " (a file of that name has other contents)" : "");
		free(text);
		return;
	}
	if (load_staging(L, text, len, name) == 0) {
		L->from = name;
		L->from_discovered = true;
	} else if (L->staging) {
		fs_policy_free(L->staging);
		L->staging = NULL;
	}
	free(text);
}

int staging_from_file(struct learn *L)
{
	size_t len = 0;
	int err = 0;
	char *text = fs_read_policy_text(L->from, &len, &err);
	if (!text) {
		fprintf(stderr, "fnshield learn: cannot read %s: %s\n", L->from, strerror(err));
		return EX_NOINPUT;
	}
	int r = load_staging(L, text, len, L->from);
	free(text);
	return r;
}

void staging_against_starts(struct learn *L, bool discover)
{
	if (!L->staging && discover) {
		discover_staging(L);
	} else if (L->staging && L->nstarts) {
		bool match = false;
		for (int k = 0; k < L->nstarts; k++)
			match |= !strcmp(L->starts[k].digest, L->from_digest);
		if (!match)
			sb_printf(&L->notes, "  note: the runs were made under %s (sha256 %.12s…), not %s "
				  "(sha256 %.12s…): what they flagged was judged again against %s\n",
				  L->starts[0].source, L->starts[0].digest, L->from, L->from_digest, L->from);
	}
}

/* ---- which targets to learn ------------------------------------------------------------------ */

/* Sections decided: the init override when a line says so and the staging policy has one
 * for that category (without a staging policy: when the line's rule was an init rule). Targets
 * that end up the same are merged. */
void finalise_sections(struct learn *L)
{
	struct target *old = L->t;
	size_t n = L->nt;
	L->t = NULL;
	L->nt = L->capt = 0;
	free(L->hash);
	L->hash = NULL;
	L->hcap = 0;
	for (size_t i = 0; i < n; i++) {
		struct target *o = &old[i];
		int sec;
		if (L->staging)
			sec = o->section && fs_policy_has_override(L->staging, (enum fs_category)o->cat);
		else
			sec = (o->section & INIT_RULE) != 0;
		struct target *t = target_get(L, sec, o->cat, o->text);
		if (!t->lines) {
			char *text = t->text;
			*t = *o;
			t->section = sec;
			t->text = text;
			t->host = o->host ? xstrdup(o->host) : NULL;
		} else {
			t->events += o->events;
			t->lines += o->lines;
			t->from_default |= o->from_default;
			t->from_list |= o->from_list;
		}
		free(o->text);
		free(o->host);
	}
	free(old);
}

void decide(struct learn *L)
{
	bool restricted[2][FS_NCATEGORIES] = {{0}};
	if (!L->staging)
		for (size_t i = 0; i < L->nt; i++)
			if (L->t[i].from_default)
				restricted[L->t[i].section][L->t[i].cat] = true;
	for (size_t i = 0; i < L->nt; i++) {
		struct target *t = &L->t[i];
		if (!L->staging) {
			t->decision = restricted[t->section][t->cat] ? D_LEARN : D_UNRESTRICTED;
			continue;
		}
		const struct fs_rules *r = fs_policy_rules(L->staging, (enum fs_category)t->cat, t->section);
		struct fs_verdict v = target_verdict(r, t);
		if (v.action == FS_ALLOW) {
			t->decision = D_ALLOWED;
		} else if (v.list == FS_LIST_DEFAULT) {
			t->decision = D_LEARN;
		} else {
			t->decision = D_EXPLICIT;
			fs_rule_name((enum fs_category)t->cat, v, t->rule, sizeof t->rule);
			t->rule_pattern = fs_rule_pattern(L->staging, (enum fs_category)t->cat, v);
		}
	}
}

/* ---- patterns: candidates and the fewest that cover ------------------------------------------ */

int pattern_add(struct learn *L, int section, int cat, const char *text, const char *why, int kind)
{
	for (size_t i = 0; i < L->np; i++)
		if (L->p[i].section == section && L->p[i].cat == cat && !strcmp(L->p[i].text, text))
			return (int)i;
	struct pattern *p = array_push(&L->p, &L->np, &L->capp, sizeof *L->p, 32);
	*p = (struct pattern){.section = section, .cat = cat, .text = xstrdup(text),
			      .why = why ? xstrdup(why) : NULL, .kind = kind};
	return (int)L->np - 1;
}

/* Does pattern text match target t (as the shim would compile the pattern)? */
static int pattern_matches(const struct fs_policy *one, const struct target *t)
{
	const struct fs_rules *r = fs_policy_rules(one, (enum fs_category)t->cat, 0);
	return target_verdict(r, t).list == FS_LIST_BLOCK;
}

/* Which of these exact patterns are valid for the category: one compile of them all, the
 * ones an error names dropped, again until it compiles. valid[i] set to 0 or 1. */
static void validate_exact(int cat, char **pats, size_t n, char *valid)
{
	memset(valid, 1, n);
	for (int round = 0; round < 64; round++) {
		cJSON *root = cJSON_CreateObject(), *c = cJSON_CreateObject(), *list = cJSON_CreateArray();
		size_t *at = xcalloc(n + 1, sizeof *at), m = 0;
		cJSON_AddNumberToObject(root, "version", 1);
		cJSON_AddStringToObject(c, "default", fs_action_name(FS_ALLOW));
		for (size_t i = 0; i < n; i++)
			if (valid[i]) {
				cJSON_AddItemToArray(list, cJSON_CreateString(pats[i]));
				at[m++] = i;
			}
		cJSON_AddItemToObject(c, fs_action_name(FS_BLOCK), list);
		cJSON_AddItemToObject(root, fs_category_name((enum fs_category)cat), c);
		char *text = cJSON_PrintUnformatted(root);
		cJSON_Delete(root);
		struct fs_errors errs;
		struct fs_compile_options opts = {.mode_override = -1, .resolve_aliases = 0};
		struct fs_policy *p = text ? fs_policy_compile(text, strlen(text), &opts, &errs) : NULL;
		free(text);
		if (p) {
			fs_policy_free(p);
			free(at);
			return;
		}
		int dropped = 0;
		char prefix[32];
		snprintf(prefix, sizeof prefix, "%s.%s[", fs_category_name((enum fs_category)cat),
			 fs_action_name(FS_BLOCK));
		for (int e = 0; e < errs.count && e < FS_MAX_ERRORS; e++) {
			if (strncmp(errs.e[e].path, prefix, strlen(prefix)))
				continue;
			size_t k = strtoul(errs.e[e].path + strlen(prefix), NULL, 10);
			if (k < m && valid[at[k]]) {
				valid[at[k]] = 0;
				dropped++;
			}
		}
		free(at);
		if (!dropped) { /* an error about them all together: judge one by one */
			for (size_t i = 0; i < n; i++) {
				char err[256];
				struct fs_policy *one = valid[i] ? pattern_compile((enum fs_category)cat, pats[i], 0,
										   err, sizeof err) : NULL;
				valid[i] = one != NULL;
				fs_policy_free(one);
			}
			return;
		}
	}
}

/* Of the candidate patterns of one section/category, keep as few as cover every target (greedy
 * set cover). An exact candidate covers its own target; a generalised one whatever the
 * policy's matcher says it matches (compiled without symlink aliases: both spellings of a path
 * are kept, as on another machine the link may go elsewhere). */
static void set_cover(struct learn *L, int cat, size_t *tidx, size_t nt, int *cand, size_t ncand)
{
	char err[256];
	size_t **cover = xcalloc(ncand + 1, sizeof *cover);   /* targets (positions in tidx) */
	size_t *ncover = xcalloc(ncand + 1, sizeof *ncover);
	size_t **by = xcalloc(nt + 1, sizeof *by);            /* candidates covering a target */
	size_t *nby = xcalloc(nt + 1, sizeof *nby), *capby = xcalloc(nt + 1, sizeof *capby);

	/* exact candidates: their own target, when valid */
	char **lit = xcalloc(nt + 1, sizeof *lit);
	for (size_t k = 0; k < nt; k++) {
		struct sb b = {0};
		put_literal(&b, L->t[tidx[k]].text, strlen(L->t[tidx[k]].text));
		lit[k] = sb_take(&b);
	}
	char **ex = xcalloc(ncand + 1, sizeof *ex);
	size_t *exc = xcalloc(ncand + 1, sizeof *exc), nex = 0;
	for (size_t c = 0; c < ncand; c++)
		if (!L->p[cand[c]].kind) {
			exc[nex] = c;
			ex[nex++] = L->p[cand[c]].text;
		}
	char *valid = xcalloc(nex + 1, 1);
	validate_exact(cat, ex, nex, valid);
	/* target by literal: a small open-addressing table */
	size_t hcap = 16;
	while (hcap < nt * 2 + 2)
		hcap *= 2;
	size_t *h = xcalloc(hcap, sizeof *h);
	for (size_t k = 0; k < nt; k++) {
		size_t i = fnv(lit[k], FNV_START) & (hcap - 1);
		while (h[i])
			i = (i + 1) & (hcap - 1);
		h[i] = k + 1;
	}
	for (size_t e = 0; e < nex; e++) {
		if (!valid[e])
			continue;
		size_t c = exc[e];
		size_t i = fnv(ex[e], FNV_START) & (hcap - 1);
		for (; h[i]; i = (i + 1) & (hcap - 1))
			if (!strcmp(lit[h[i] - 1], ex[e])) {
				cover[c] = xrealloc(cover[c], (ncover[c] + 1) * sizeof **cover);
				cover[c][ncover[c]++] = h[i] - 1;
			}
	}
	/* generalised candidates: matched against every target */
	for (size_t c = 0; c < ncand; c++) {
		if (!L->p[cand[c]].kind)
			continue;
		struct fs_policy *one = pattern_compile((enum fs_category)cat, L->p[cand[c]].text, 0, err,
							 sizeof err);
		if (!one)
			continue;
		for (size_t k = 0; k < nt; k++)
			if (pattern_matches(one, &L->t[tidx[k]])) {
				if (ncover[c] % 64 == 0)
					cover[c] = xrealloc(cover[c], (ncover[c] + 64) * sizeof **cover);
				cover[c][ncover[c]++] = k;
			}
		fs_policy_free(one);
	}
	size_t *cnt = xcalloc(ncand + 1, sizeof *cnt);
	for (size_t c = 0; c < ncand; c++) {
		cnt[c] = ncover[c];
		for (size_t j = 0; j < ncover[c]; j++) {
			size_t k = cover[c][j];
			if (nby[k] == capby[k]) {
				capby[k] = capby[k] ? capby[k] * 2 : 4;
				by[k] = xrealloc(by[k], capby[k] * sizeof **by);
			}
			by[k][nby[k]++] = c;
		}
	}

	bool *covered = xcalloc(nt + 1, sizeof *covered);
	for (;;) {
		size_t best = SIZE_MAX, best_n = 0;
		for (size_t c = 0; c < ncand; c++) {
			if (L->p[cand[c]].keep || !cnt[c])
				continue;
			/* most targets first; on a tie a generalised pattern (it is why it was
			 * made), then the first in byte order, so that the result is stable */
			int better = cnt[c] > best_n;
			if (cnt[c] == best_n && best != SIZE_MAX) {
				const struct pattern *x = &L->p[cand[c]], *y = &L->p[cand[best]];
				better = x->kind != y->kind ? x->kind > y->kind : strcmp(x->text, y->text) < 0;
			}
			if (better) {
				best = c;
				best_n = cnt[c];
			}
		}
		if (best == SIZE_MAX)
			break;
		struct pattern *p = &L->p[cand[best]];
		p->keep = true;
		for (size_t j = 0; j < ncover[best]; j++) {
			size_t k = cover[best][j];
			if (covered[k])
				continue;
			covered[k] = true;
			for (size_t i = 0; i < nby[k]; i++)
				cnt[by[k][i]]--;
			struct target *t = &L->t[tidx[k]];
			t->pat = cand[best];
			p->ntargets++;
			p->events += t->events;
			if (!p->example)
				p->example = t->text;
		}
	}
	for (size_t k = 0; k < nt; k++)
		if (!covered[k]) {
			sb_printf(&L->notes, "  skipped: %s %.200s%s: no valid pattern matches it\n",
				  fs_category_name((enum fs_category)cat), L->t[tidx[k]].text,
				  strlen(L->t[tidx[k]].text) > 200 ? "..." : "");
			L->t[tidx[k]].decision = D_UNRESTRICTED;
			L->skipped_badpattern++;
		}
	for (size_t c = 0; c < ncand; c++)
		free(cover[c]);
	for (size_t k = 0; k < nt; k++) {
		free(by[k]);
		free(lit[k]);
	}
	free(cover);
	free(ncover);
	free(by);
	free(nby);
	free(capby);
	free(lit);
	free(ex);
	free(exc);
	free(valid);
	free(h);
	free(cnt);
	free(covered);
}


/* Per section and category: connect by name through domain_wildcards, addresses and listen
 * exact; paths a generalised candidate and the exact spelling each, then set_cover. */
void choose_rules(struct learn *L)
{
	find_hints(L);
	size_t *tidx = xcalloc(L->nt + 1, sizeof *tidx);
	int *cand = xcalloc(2 * L->nt + 1, sizeof *cand); /* a glob and the exact spelling each */
	for (int s = 0; s < 2; s++)
		for (int c = 0; c < FS_NCATEGORIES; c++) {
			size_t nt = 0;
			for (size_t i = 0; i < L->nt; i++)
				if (L->t[i].decision == D_LEARN && L->t[i].section == s && L->t[i].cat == c)
					tidx[nt++] = i;
			if (!nt)
				continue;
			if (c == FS_CONNECT) {
				/* names by port (wildcards), addresses exact */
				for (size_t k = 0; k < nt; k++) {
					struct target *t = &L->t[tidx[k]];
					if (t->host || t->pat >= 0)
						continue;
					t->pat = pattern_add(L, s, c, t->text, NULL, 0);
				}
				size_t *byport = xcalloc(nt + 1, sizeof *byport);
				for (size_t k = 0; k < nt; k++) {
					struct target *t = &L->t[tidx[k]];
					if (!t->host || t->pat >= 0)
						continue;
					size_t n = 0;
					for (size_t j = k; j < nt; j++) {
						struct target *u = &L->t[tidx[j]];
						if (u->host && u->pat < 0 && u->port == t->port)
							byport[n++] = tidx[j];
					}
					domain_wildcards(L, s, t->port, byport, n);
				}
				free(byport);
			} else if (c == FS_LISTEN) {
				for (size_t k = 0; k < nt; k++)
					L->t[tidx[k]].pat = pattern_add(L, s, c, L->t[tidx[k]].text, NULL, 0);
			}
			if (c == FS_CONNECT || c == FS_LISTEN) {
				/* check each pattern compiles; count what it covers */
				char err[256];
				for (size_t k = 0; k < nt; k++) {
					struct target *t = &L->t[tidx[k]];
					struct pattern *p = &L->p[t->pat];
					if (!p->keep && !p->why && p->ntargets == 0) {
						struct fs_policy *one = pattern_compile((enum fs_category)c, p->text, 0,
											err, sizeof err);
						if (!one) {
							sb_printf(&L->notes, "  skipped: %s %s: %s\n",
								  fs_category_name((enum fs_category)c), p->text, err);
							L->skipped_badpattern++;
							t->decision = D_UNRESTRICTED;
							t->pat = -1;
							continue;
						}
						fs_policy_free(one);
					}
					p->keep = true;
					p->ntargets++;
					p->events += t->events;
					if (!p->example)
						p->example = t->text;
				}
				continue;
			}
			/* paths: candidates from each target, then a set cover */
			size_t ncand = 0;
			for (size_t k = 0; k < nt; k++) {
				char *why = NULL;
				char *g = generalise_path(c, L->t[tidx[k]].text, &why);
				int pi = pattern_add(L, s, c, g, why, why ? 1 : 0);
				bool dup = false;
				for (size_t j = 0; j < ncand && !dup; j++)
					dup = cand[j] == pi;
				if (!dup)
					cand[ncand++] = pi;
				free(g);
				free(why);
				/* the exact spelling too, so that a target is covered even if its glob is
				 * refused */
				if (L->p[pi].kind) {
					struct sb e = {0};
					put_literal(&e, L->t[tidx[k]].text, strlen(L->t[tidx[k]].text));
					char *ex = sb_take(&e);
					int pe = pattern_add(L, s, c, ex, NULL, 0);
					free(ex);
					dup = false;
					for (size_t j = 0; j < ncand && !dup; j++)
						dup = cand[j] == pe;
					if (!dup)
						cand[ncand++] = pe;
				}
			}
			set_cover(L, c, tidx, nt, cand, ncand);
		}
	free(tidx);
	free(cand);
}

/* ---- the check ------------------------------------------------------------------------------- */

/* Every learned target must be allowed by the learned policy (compiled as the shim compiles
 * it). */
int verify(struct learn *L, const char *text)
{
	struct fs_errors errs;
	struct fs_compile_options opts = {.mode_override = -1, .resolve_aliases = 1};
	struct fs_policy *p = fs_policy_compile(text, strlen(text), &opts, &errs);
	if (!p) {
		fprintf(stderr, "fnshield learn: internal error: the learned policy does not compile: %s (%s)\n",
			errs.count ? errs.e[0].message : "?", errs.count ? errs.e[0].path : "");
		return 1;
	}
	int bad = 0;
	for (size_t i = 0; i < L->nt; i++) {
		struct target *t = &L->t[i];
		if (t->decision != D_LEARN)
			continue;
		const struct fs_rules *r = fs_policy_rules(p, (enum fs_category)t->cat, t->section);
		struct fs_verdict v = target_verdict(r, t);
		if (v.action != FS_ALLOW) {
			char rn[64];
			fs_rule_name((enum fs_category)t->cat, v, rn, sizeof rn);
			fprintf(stderr, "fnshield learn: internal error: the learned policy does not allow %s %.300s "
				"(%s decides)\n", fs_category_name((enum fs_category)t->cat), t->text, rn);
			bad++;
		}
	}
	fs_policy_free(p);
	return bad;
}

