/*
 * learn_read.c — `fnshield learn`: from the lines the logs hold (found by cli/logread.c) to
 * targets. Only "fnshield":"violation" objects become targets (with --package, only those whose
 * origin is that package); "start" lines are kept for the policy they name (learn_choose.c).
 * Field names: log/fields.h.
 */
#include "learn.h"
#include "fields.h"
#include "jsonw.h"
#include "logread.h"

#include <stdlib.h>

/* ---- the targets seen, by section, category and text ----------------------------------------- */

static uint64_t target_hash(int section, int cat, const char *text)
{
	uint64_t h = FNV_START;
	h = (h ^ (unsigned)section) * FNV_PRIME;
	h = (h ^ (unsigned)cat) * FNV_PRIME;
	return fnv(text, h);
}

static void rehash(struct learn *L)
{
	size_t cap = L->hcap ? L->hcap * 2 : 1024;
	size_t *h = xcalloc(cap, sizeof *h);
	for (size_t i = 0; i < L->nt; i++) {
		size_t k = target_hash(L->t[i].section, L->t[i].cat, L->t[i].text) & (cap - 1);
		while (h[k])
			k = (k + 1) & (cap - 1);
		h[k] = i + 1;
	}
	free(L->hash);
	L->hash = h;
	L->hcap = cap;
}

struct target *target_get(struct learn *L, int section, int cat, const char *text)
{
	if ((L->nt + 1) * 2 > L->hcap)
		rehash(L);
	size_t k = target_hash(section, cat, text) & (L->hcap - 1);
	while (L->hash[k]) {
		struct target *t = &L->t[L->hash[k] - 1];
		if (t->section == section && t->cat == cat && !strcmp(t->text, text))
			return t;
		k = (k + 1) & (L->hcap - 1);
	}
	struct target *t = array_push(&L->t, &L->nt, &L->capt, sizeof *L->t, 64);
	*t = (struct target){.section = section, .cat = cat, .text = xstrdup(text), .pat = -1};
	L->hash[k] = L->nt;
	return t;
}

/* ---- violation and start lines --------------------------------------------------------------- */

/* Can a path from a line become a rule? */
static int path_usable(struct learn *L, const char *p)
{
	if (ends_with(p, JSONW_TRUNCATED_MARK)) {
		L->skipped_truncated++;
		return 0;
	}
	if (p[0] != '/' || starts_with(p, "/memfd:") || ends_with(p, " (deleted)")) {
		L->skipped_anonymous++;
		return 0;
	}
	return 1;
}

static int raw_section(const char *rule, const char *phase)
{
	return (starts_with(rule, section_prefix(1)) ? INIT_RULE : 0) |
	       (phase && !strcmp(phase, LP_INIT) ? INIT_PHASE : 0);
}

/* Did the line name the category's default (top level or init)? */
static bool names_default(int cat, const char *rule)
{
	char top[64], init[64];
	default_rule_name(0, cat, top, sizeof top);
	default_rule_name(1, cat, init, sizeof init);
	return !strcmp(rule, top) || !strcmp(rule, init);
}

static void note_seen(struct target *t, const char *rule, unsigned long count, const char *pkg)
{
	if (pkg && pkg[0])
		t->packages = list_add(t->packages, pkg, strlen(pkg));
	t->events += count;
	t->lines++;
	if (names_default(t->cat, rule))
		t->from_default = true;
	else if (rule[0])
		t->from_list = true;
	if (!t->line_rule[0])
		snprintf(t->line_rule, sizeof t->line_rule, "%s", rule);
}

/* A host name a name rule can be written for: labels of letters, digits, '-' and '_'. Any other
 * name (a glob character in it, a truncated one) is learned by its address instead. */
static bool host_ok(const char *h)
{
	size_t n = strlen(h), label = 0;
	if (!n || n > 253 || ends_with(h, JSONW_TRUNCATED_MARK))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];
		if (c == '.') {
			if (!label && !(i == n - 1 && i > 0))
				return false;
			label = 0;
		} else if (is_alnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static void take_violation(struct learn *L, const cJSON *o)
{
	const cJSON *jc = cJSON_GetObjectItemCaseSensitive(o, LF_CATEGORY);
	const cJSON *jt = cJSON_GetObjectItemCaseSensitive(o, LF_TARGET);
	const cJSON *jr = cJSON_GetObjectItemCaseSensitive(o, LF_RULE);
	const cJSON *jph = cJSON_GetObjectItemCaseSensitive(o, LF_PHASE);
	const char *pkg = logread_package(o);
	L->violation_lines++;
	unsigned long count = logread_violations(o);
	L->events += count;
	if (L->package && (!pkg || strcmp(pkg, L->package))) {
		L->skipped_package++;
		return;
	}
	int cat = cJSON_IsString(jc) ? fs_category_of(jc->valuestring) : -1;
	if (cat < 0 || !cJSON_IsString(jt)) {
		L->skipped_malformed++;
		return;
	}
	const char *rule = cJSON_IsString(jr) ? jr->valuestring : "";
	const char *phase = cJSON_IsString(jph) ? jph->valuestring : NULL;
	/* The rules that are no pattern of a policy, named as the library names them. */
	char special[96];
	fs_rule_name((enum fs_category)cat, (struct fs_verdict){.index = FS_RULE_UNRESOLVED}, special,
		     sizeof special);
	if (!strcmp(rule, special)) {
		L->skipped_unresolved++;
		return;
	}
	fs_rule_name((enum fs_category)cat, (struct fs_verdict){.index = FS_RULE_PROTECTED}, special,
		     sizeof special);
	if (!strcmp(rule, special)) { /* /proc/PID/mem: blocked whatever the policy */
		L->skipped_protected++;
		return;
	}
	int section = raw_section(rule, phase);

	if (cat == FS_EXEC || cat == FS_READ || cat == FS_WRITE) {
		/* The shim logs paths normalised; a line that is not (edited by hand?) is made so,
		 * as the matcher sees only normalised paths. */
		const cJSON *jres = cJSON_GetObjectItemCaseSensitive(o, LF_RESOLVED);
		static char target[8200], resolved[8200];
		if (!path_usable(L, jt->valuestring))
			return;
		if (fs_path_normalise(NULL, jt->valuestring, target, sizeof target) < 0) {
			L->skipped_malformed++;
			return;
		}
		note_seen(target_get(L, section, cat, target), rule, count, pkg);
		if (cJSON_IsString(jres) && path_usable(L, jres->valuestring) &&
		    fs_path_normalise(NULL, jres->valuestring, resolved, sizeof resolved) >= 0 &&
		    strcmp(resolved, target))
			note_seen(target_get(L, section, cat, resolved), rule, count, pkg);
		return;
	}

	/* connect / listen */
	const cJSON *jip = cJSON_GetObjectItemCaseSensitive(o, LF_IP);
	const cJSON *jport = cJSON_GetObjectItemCaseSensitive(o, LF_PORT);
	const cJSON *jhost = cJSON_GetObjectItemCaseSensitive(o, LF_HOST);
	uint8_t ip[16];
	if (!cJSON_IsNumber(jport) || jport->valuedouble < 1 || jport->valuedouble > 65535 ||
	    !cJSON_IsString(jip) || fs_ip_parse(jip->valuestring, ip) < 0) {
		L->skipped_malformed++;
		return;
	}
	unsigned port = (unsigned)jport->valuedouble;
	char text[400];
	if (cat == FS_CONNECT && cJSON_IsString(jhost) && host_ok(jhost->valuestring)) {
		char h[300];
		snprintf(h, sizeof h, "%s", jhost->valuestring);
		size_t n = strlen(h);
		if (n && h[n - 1] == '.')
			h[--n] = 0;
		for (size_t i = 0; i < n; i++)
			if (is_upper((unsigned char)h[i]))
				h[i] = (char)(h[i] + 32);
		snprintf(text, sizeof text, "%s:%u", h, port);
		struct target *t = target_get(L, section, cat, text);
		if (!t->host)
			t->host = xstrdup(h);
		memcpy(t->ip, ip, 16);
		t->have_ip = 1;
		t->port = port;
		note_seen(t, rule, count, pkg);
		return;
	}
	static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!memcmp(ip, v4, 12))
		snprintf(text, sizeof text, "%u.%u.%u.%u:%u", ip[12], ip[13], ip[14], ip[15], port);
	else
		snprintf(text, sizeof text, "[%s]:%u", jip->valuestring, port);
	struct target *t = target_get(L, section, cat, text);
	memcpy(t->ip, ip, 16);
	t->have_ip = 1;
	t->port = port;
	note_seen(t, rule, count, pkg);
}

/* A line of the logs: violations become targets; start lines are kept for the policy they
 * name. */
static void take_line(void *ctx, const char *kind, const cJSON *v)
{
	struct learn *L = ctx;
	if (!strcmp(kind, LK_VIOLATION)) {
		take_violation(L, v);
		return;
	}
	L->other_lines++;
	const char *src = logread_str(v, LF_POLICY), *dig = logread_str(v, LF_DIGEST);
	if (strcmp(kind, LK_START) || !src || !dig)
		return;
	int k = 0;
	for (; k < L->nstarts; k++)
		if (!strcmp(L->starts[k].digest, dig) && !strcmp(L->starts[k].source, src))
			break;
	if (k == L->nstarts && k < (int)(sizeof L->starts / sizeof *L->starts)) {
		L->starts[k].source = xstrdup(src);
		L->starts[k].digest = xstrdup(dig);
		L->nstarts++;
	}
	if (k < L->nstarts)
		L->starts[k].n++;
}

struct logread learn_reader(struct learn *L)
{
	return (struct logread){.line = take_line, .ctx = L};
}
