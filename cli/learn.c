/*
 * learn.c — `fnshield learn`: from the violation lines of alert-mode runs to the least-privilege
 * policy that lets everything seen through and keeps blocking the rest.
 *
 *   fnshield learn [--from POLICY | --lines-only] [--wildcard-threshold N] [FILE...]
 *                                                                        (stdin without FILE)
 *
 * Input: anything that holds violation lines — the function's raw stderr or log stream (lines
 * with other output around and between them, a Lambda text-format prefix in front), JSON lines,
 * or CloudWatch exports (`aws logs filter-log-events` / `get-log-events`: {"events": [{"message":
 * "..."}, ...]}, a JSON array of such events, several such documents one after the other,
 * Logs Insights results with an "@message" field). Only "fnshield":"violation" objects count.
 *
 * What the learned policy is (the README has the long form):
 *
 *  --from POLICY (the staging policy the runs were made under; recommended): the output is that
 *    policy, with
 *      - "mode": "block";
 *      - every "default": "alert" made "block" — least privilege: what staging never did is
 *        blocked in production (explicit "alert" lists stay: they are log-only by intent);
 *      - for every target seen that the staging policy decides by its default: the target,
 *        generalised, appended to that category's "allow" list ("init" overrides likewise, for
 *        lines logged during the init phase). Which rule decides is computed again from POLICY
 *        (both spellings of a path: as written and "resolved"), not taken from the line, so
 *        logs from an older policy version are judged right.
 *      - a target that an explicit "block" or "alert" rule of POLICY catches is NOT allowed: in
 *        the policy language the strictest list wins, so only deleting that rule would let it
 *        through, and that is a decision for a person (such a rule usually guards credentials or
 *        code). learn keeps the rule and lists what it caught on stderr.
 *  without --from: the logs' "start" lines name the policy the runs were made under (its source
 *    and SHA-256); when that is one policy, and its text is at hand with the same digest (the
 *    file it names, this environment's FNSHIELD_POLICY, or the built-in default), it is used
 *    as if given with --from, and stderr says so.
 *  otherwise (or --lines-only): the staging policy is unknown; only lines tell what it
 *    restricted. A category in which some line was decided by CATEGORY.default was restricted by
 *    default: it becomes {"default": "block", "allow": [everything seen in it, generalised]}. A
 *    category in which only explicit rules fired, or nothing at all, is left out (allow) — learn
 *    cannot know what else the staging policy did there, and says so on stderr. The staging
 *    policy's own allow lists never produce lines, so they are missing from such a result
 *    (an allowed /dev/null is blocked): --from is the way to learn.
 *
 * Generalisation (stderr says what was generalised and why):
 *  - exec: exact paths (both spellings), never globs.
 *  - read/write: a path under a scratch directory (/tmp, /var/tmp, /dev/shm) whose first
 *    generated-looking component is a directory becomes DIR/GLOB with "**" below it (a per-run
 *    directory: what a function puts in its own fresh directory is its own); a generated-looking
 *    file name becomes DIR/GLOB. GLOB keeps the name's literal beginning ("tmp*", "abc-*.log");
 *    a name that does not begin with a literal word keeps its shape instead ("????????",
 *    "????????????.bin", "[0-9]*.json"), so that /tmp/oswq75bn becomes /tmp/????????, not a bare
 *    '*'. Elsewhere only unmistakable generated parts are replaced (UUIDs, hex strings of 8+
 *    characters, numbers of 6+ digits, process ids under /proc) and the rest stays exact.
 *    Generated-looking, under a scratch directory: "tmp" + 8 characters of [a-z0-9_] (Python's
 *    tempfile), any name of exactly 8 such characters directly in it (tempfile's probe file), a
 *    UUID, a number, a hex string of 8+ characters, a token of 6+ characters mixing letters and
 *    digits (or cases) back and forth, and names that differ between runs only in the middle.
 *    Of the candidate patterns, as few as cover every target are kept (greedy set cover, with
 *    the policy's own matcher).
 *  - connect: by name ("host:port") when the line names the host, else by address ("ip:port");
 *    addresses stay exact. When N or more distinct hosts on one port share a parent domain
 *    (--wildcard-threshold N, default 5; 0: never) they become "*.domain:port", deepest domain
 *    first; never a public suffix ("co.uk") or a bare TLD.
 *  - listen: exact "ip:port".
 *
 * The result is compiled and every target learned is checked against it (it must be allowed) —
 * a failure there is a bug and exits 70 instead of printing a policy that would not work.
 */
#include "cli.h"
#include "config.h"
#include "sha256.h"

#include "cJSON.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- small utilities ----------------------------------------------------------------------- */

struct sb {
	char *p;
	size_t n, cap;
};

static void sb_putn(struct sb *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			fputs("fnshield learn: out of memory\n", stderr);
			exit(71);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void sb_puts(struct sb *b, const char *s) { sb_putn(b, s, strlen(s)); }
static void sb_putc(struct sb *b, char c) { sb_putn(b, &c, 1); }

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		sb_putn(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		return;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_putn(b, big, (size_t)n);
	free(big);
}

static char *sb_take(struct sb *b)
{
	if (!b->p)
		sb_puts(b, "");
	char *p = b->p;
	memset(b, 0, sizeof *b);
	return p;
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p) {
		fputs("fnshield learn: out of memory\n", stderr);
		exit(71);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("fnshield learn: out of memory\n", stderr);
		exit(71);
	}
	return q;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p) {
		fputs("fnshield learn: out of memory\n", stderr);
		exit(71);
	}
	return p;
}

static bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static bool is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }

static bool starts_with(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }
static bool ends_with(const char *s, const char *p)
{
	size_t n = strlen(s), m = strlen(p);
	return n >= m && !memcmp(s + n - m, p, m);
}

/* ---- the policy printer (also `check --print`) --------------------------------------------- */

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

void policy_print(FILE *f, const cJSON *root)
{
	struct sb b = {0};
	json_pretty(&b, root, 0, 0, 0);
	sb_putc(&b, '\n');
	fwrite(b.p, 1, b.n, f);
	free(b.p);
}

/* ---- what was seen ------------------------------------------------------------------------- */

enum decision {
	D_LEARN,        /* allowed by the learned policy */
	D_ALLOWED,      /* the --from policy already allows it */
	D_EXPLICIT,     /* caught by an explicit block/alert rule of --from: kept */
	D_UNRESTRICTED, /* without --from: its category is left out */
};

struct target {
	int section;             /* 0: top level, 1: the "init" override (while reading: INIT_* bits) */
	int cat;                 /* enum fs_category */
	char *text;              /* path, or the exact pattern "host:port" / "ip:port" / "[ip6]:port" */
	char *host;              /* connect by name: the name */
	uint8_t ip[16];
	int have_ip;
	unsigned port;
	unsigned long events;
	int lines;
	bool from_default;       /* a line said CATEGORY.default */
	bool from_list;          /* a line named a list rule */
	char line_rule[64];
	int decision;
	char rule[64];           /* D_EXPLICIT: the rule of --from that catches it */
	const char *rule_pattern;
	int pat;                 /* index of the pattern that covers it (D_LEARN) */
};

struct pattern {
	int section, cat;
	char *text;
	char *why;               /* how it was derived (from its first target) */
	int kind;                /* 0 exact, 1 generalised path, 2 domain wildcard */
	int ntargets;
	unsigned long events;
	char *example;           /* a target it covers */
	char rule[64];           /* its rule name in the learned policy */
	int at;                  /* its index in that allow list */
	bool keep;
};

struct learn {
	/* options */
	const char *from;
	int threshold;
	/* the staging policy */
	struct fs_policy *staging;
	char *staging_text;       /* fnshield language (a FunctionShield policy translated) */
	bool staging_fsh;
	/* what was read */
	int inputs;
	unsigned long violation_lines, events, other_lines;
	unsigned long skipped_truncated, skipped_anonymous, skipped_unresolved, skipped_malformed;
	unsigned long skipped_badpattern, skipped_protected;
	struct target *t;
	size_t nt, capt;
	size_t *hash;             /* open addressing: index + 1 */
	size_t hcap;
	/* the result */
	struct pattern *p;
	size_t np, capp;
	struct sb notes;          /* warnings collected for the summary */
	/* start lines: which policies the runs were made under */
	struct { char *source, *digest; unsigned long n; } starts[16];
	int nstarts;
	char from_digest[65];
	bool from_discovered;     /* the staging policy was found through the start lines */
};

/* While reading, a target's section holds what its lines said; the section is decided once
 * the staging policy is known (finalise_sections). */
#define INIT_RULE 1   /* a line's rule was init.CATEGORY... */
#define INIT_PHASE 2  /* a line was logged in the init phase */

static uint64_t fnv(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static uint64_t target_hash(int section, int cat, const char *text)
{
	uint64_t h = 1469598103934665603ULL;
	h = (h ^ (unsigned)section) * 1099511628211ULL;
	h = (h ^ (unsigned)cat) * 1099511628211ULL;
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

static struct target *target_get(struct learn *L, int section, int cat, const char *text)
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
	if (L->nt == L->capt) {
		L->capt = L->capt ? L->capt * 2 : 64;
		struct target *nt = realloc(L->t, L->capt * sizeof *nt);
		if (!nt) {
			fputs("fnshield learn: out of memory\n", stderr);
			exit(71);
		}
		L->t = nt;
	}
	struct target *t = &L->t[L->nt];
	memset(t, 0, sizeof *t);
	t->section = section;
	t->cat = cat;
	t->text = xstrdup(text);
	t->pat = -1;
	L->hash[k] = ++L->nt;
	return t;
}

/* ---- reading violation lines --------------------------------------------------------------- */

static const char TRUNC_MARK[] = "...[truncated]";

/* Can a path from a line become a rule? */
static int path_usable(struct learn *L, const char *p)
{
	if (ends_with(p, TRUNC_MARK)) {
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
	return (starts_with(rule, "init.") ? INIT_RULE : 0) | (phase && !strcmp(phase, "init") ? INIT_PHASE : 0);
}

static void note_seen(struct target *t, const char *rule, unsigned long count)
{
	t->events += count;
	t->lines++;
	if (ends_with(rule, ".default"))
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
	if (!n || n > 253 || ends_with(h, TRUNC_MARK))
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
	const cJSON *jc = cJSON_GetObjectItemCaseSensitive(o, "category");
	const cJSON *jt = cJSON_GetObjectItemCaseSensitive(o, "target");
	const cJSON *jr = cJSON_GetObjectItemCaseSensitive(o, "rule");
	const cJSON *jph = cJSON_GetObjectItemCaseSensitive(o, "phase");
	const cJSON *jn = cJSON_GetObjectItemCaseSensitive(o, "count");
	L->violation_lines++;
	unsigned long count = cJSON_IsNumber(jn) && jn->valuedouble >= 1 ? (unsigned long)jn->valuedouble : 1;
	L->events += count;
	int cat = cJSON_IsString(jc) ? category_of(jc->valuestring) : -1;
	if (cat < 0 || !cJSON_IsString(jt)) {
		L->skipped_malformed++;
		return;
	}
	const char *rule = cJSON_IsString(jr) ? jr->valuestring : "";
	const char *phase = cJSON_IsString(jph) ? jph->valuestring : NULL;
	if (ends_with(rule, ".unresolved")) {
		L->skipped_unresolved++;
		return;
	}
	if (ends_with(rule, ".protected")) { /* /proc/PID/mem: blocked whatever the policy */
		L->skipped_protected++;
		return;
	}
	int section = raw_section(rule, phase);

	if (cat == FS_EXEC || cat == FS_READ || cat == FS_WRITE) {
		/* The shim logs paths normalised; a line that is not (edited by hand?) is made so,
		 * as the matcher sees only normalised paths. */
		const cJSON *jres = cJSON_GetObjectItemCaseSensitive(o, "resolved");
		static char target[8200], resolved[8200];
		if (!path_usable(L, jt->valuestring))
			return;
		if (fs_path_normalise(NULL, jt->valuestring, target, sizeof target) < 0) {
			L->skipped_malformed++;
			return;
		}
		note_seen(target_get(L, section, cat, target), rule, count);
		if (cJSON_IsString(jres) && path_usable(L, jres->valuestring) &&
		    fs_path_normalise(NULL, jres->valuestring, resolved, sizeof resolved) >= 0 &&
		    strcmp(resolved, target))
			note_seen(target_get(L, section, cat, resolved), rule, count);
		return;
	}

	/* connect / listen */
	const cJSON *jip = cJSON_GetObjectItemCaseSensitive(o, "ip");
	const cJSON *jport = cJSON_GetObjectItemCaseSensitive(o, "port");
	const cJSON *jhost = cJSON_GetObjectItemCaseSensitive(o, "host");
	uint8_t ip[16];
	if (!cJSON_IsNumber(jport) || jport->valuedouble < 1 || jport->valuedouble > 65535 ||
	    !cJSON_IsString(jip) || parse_ip(jip->valuestring, ip) < 0) {
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
		note_seen(t, rule, count);
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
	note_seen(t, rule, count);
}

static void scan_text(struct learn *L, const char *s, size_t n);

static void walk(struct learn *L, const cJSON *v)
{
	if (cJSON_IsArray(v)) {
		for (const cJSON *c = v->child; c; c = c->next)
			walk(L, c);
		return;
	}
	if (!cJSON_IsObject(v))
		return;
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(v, "fnshield");
	if (cJSON_IsString(kind)) {
		if (!strcmp(kind->valuestring, "violation")) {
			take_violation(L, v);
			return;
		}
		L->other_lines++;
		const cJSON *src = cJSON_GetObjectItemCaseSensitive(v, "policy");
		const cJSON *dig = cJSON_GetObjectItemCaseSensitive(v, "digest");
		if (!strcmp(kind->valuestring, "start") && cJSON_IsString(src) && cJSON_IsString(dig)) {
			int k = 0;
			for (; k < L->nstarts; k++)
				if (!strcmp(L->starts[k].digest, dig->valuestring) &&
				    !strcmp(L->starts[k].source, src->valuestring))
					break;
			if (k == L->nstarts && k < (int)(sizeof L->starts / sizeof *L->starts)) {
				L->starts[k].source = xstrdup(src->valuestring);
				L->starts[k].digest = xstrdup(dig->valuestring);
				L->nstarts++;
			}
			if (k < L->nstarts)
				L->starts[k].n++;
		}
		return;
	}
	/* CloudWatch: {"events": [{"message": "..."}]}, Logs Insights: [{"field": "@message",
	 * "value": "..."}], or any other wrapping: look into messages and nested values. */
	const cJSON *field = cJSON_GetObjectItemCaseSensitive(v, "field");
	int insights = cJSON_IsString(field) && !strcmp(field->valuestring, "@message");
	for (const cJSON *m = v->child; m; m = m->next) {
		if (cJSON_IsString(m)) {
			if (!strcmp(m->string, "message") || !strcmp(m->string, "@message") ||
			    (insights && !strcmp(m->string, "value")))
				scan_text(L, m->valuestring, strlen(m->valuestring));
		} else if (cJSON_IsArray(m) || cJSON_IsObject(m)) {
			walk(L, m);
		}
	}
}

/* Lines of text: in every line that mentions fnshield, every JSON object found in it. */
static void scan_text(struct learn *L, const char *s, size_t n)
{
	const char *end = s + n;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		if (memmem(s, (size_t)(le - s), "fnshield", 8)) {
			const char *p = memchr(s, '{', (size_t)(le - s));
			while (p && p < le) {
				const char *pend = NULL;
				cJSON *o = cJSON_ParseWithLengthOpts(p, (size_t)(le - p), &pend, 0);
				if (o && cJSON_IsObject(o) && pend && pend > p) {
					walk(L, o);
					cJSON_Delete(o);
					p = memchr(pend, '{', (size_t)(le - pend));
				} else {
					cJSON_Delete(o);
					p = p + 1 < le ? memchr(p + 1, '{', (size_t)(le - p - 1)) : NULL;
				}
			}
		}
		s = nl ? nl + 1 : end;
	}
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* A whole input: one or more JSON documents (an export), else lines of text. */
static void take_input(struct learn *L, const char *buf, size_t len)
{
	const char *end = buf + len, *p = skip_ws(buf, end);
	if (p < end && (*p == '{' || *p == '[')) {
		size_t cap = 8, n = 0;
		cJSON **docs = xcalloc(cap, sizeof *docs);
		int ok = 1;
		while (p < end) {
			const char *pend = NULL;
			cJSON *d = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &pend, 0);
			if (!d || !pend || pend <= p) {
				cJSON_Delete(d);
				ok = 0;
				break;
			}
			if (n == cap) {
				cap *= 2;
				cJSON **nd = realloc(docs, cap * sizeof *nd);
				if (!nd) {
					cJSON_Delete(d);
					ok = 0;
					break;
				}
				docs = nd;
			}
			docs[n++] = d;
			p = skip_ws(pend, end);
		}
		if (ok)
			for (size_t i = 0; i < n; i++)
				walk(L, docs[i]);
		for (size_t i = 0; i < n; i++)
			cJSON_Delete(docs[i]);
		free(docs);
		if (ok)
			return;
	}
	scan_text(L, buf, len);
}

static char *read_stream(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f)) {
				free(buf);
				return NULL;
			}
			break;
		}
		if (n == cap) {
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	if (buf) {
		buf[n] = 0;
		*len = n;
	}
	return buf;
}

/* ---- generalising paths -------------------------------------------------------------------- */

static const char *const TEMP_ROOTS[] = {"/tmp", "/var/tmp", "/dev/shm"};

/* A path as an exact pattern: glob syntax escaped. Bytes the log could not show (each
 * non-UTF-8 byte became U+FFFD) become one '*': it matches the real bytes and the log's
 * spelling alike, within the component. */
static void put_literal(struct sb *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBF &&
		    (unsigned char)s[i + 2] == 0xBD) {
			while (i + 2 < n && (unsigned char)s[i] == 0xEF && (unsigned char)s[i + 1] == 0xBF &&
			       (unsigned char)s[i + 2] == 0xBD)
				i += 3;
			i--;
			sb_putc(b, '*');
			continue;
		}
		if (strchr("*?[]\\", c))
			sb_putc(b, '\\');
		sb_putc(b, (char)c);
	}
}

/* Names seen to differ between runs only in their middle: [pre, len - suf) is generated. */
struct hint {
	char *root_name;          /* "/tmp/name" */
	size_t pre, suf;
	int group;                /* how many names share the shape */
};

static struct hint *g_hints;
static size_t g_nhints;

static const struct hint *hint_for(const char *root, const char *name, size_t n)
{
	for (size_t i = 0; i < g_nhints; i++) {
		size_t rl = strlen(root);
		const char *h = g_hints[i].root_name;
		if (!strncmp(h, root, rl) && h[rl] == '/' && strlen(h + rl + 1) == n &&
		    !memcmp(h + rl + 1, name, n))
			return &g_hints[i];
	}
	return NULL;
}

static bool is_uuid_at(const char *s, size_t n)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	if (n < 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		if (shape[i] == '-' ? s[i] != '-' : !is_hex((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* A token that looks random: letters and digits (or lower and upper case) alternating. */
static bool looks_random(const char *s, size_t n, int min_changes)
{
	int digit = 0, letter = 0, changes = 0, case_ups = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		digit |= is_digit(c);
		letter |= !is_digit(c);
		if (i && is_digit(c) != is_digit((unsigned char)s[i - 1]))
			changes++;
		if (i && is_upper(c) && is_lower((unsigned char)s[i - 1]))
			case_ups++;
	}
	return (digit && letter && changes >= min_changes) || case_ups >= min_changes;
}

/*
 * Which characters of one path component look generated. mark[i] = 1 for those. Returns the
 * reason (static text), or NULL when nothing does.
 *   temp:  the component is below a scratch directory
 *   first: directly below it
 *   last:  the last component (a file name, or the directory the call names)
 *   proc:  below /proc
 */
#define MARK_VAR 1   /* generated, of varying length (a number) */
#define MARK_FIXED 2 /* generated, of a fixed length (a generator's name, a UUID, a hash) */

static const char *analyse_one(const char *c, size_t n, bool temp, bool first, bool last, bool proc,
			       char *mark)
{
	const char *why = NULL;
	memset(mark, 0, n);
	bool tmpchars = n > 0;
	for (size_t i = 0; i < n; i++)
		tmpchars &= is_digit((unsigned char)c[i]) || is_lower((unsigned char)c[i]) || c[i] == '_';
	if (temp && first && last && n == 8 && tmpchars) {
		memset(mark, MARK_FIXED, n);
		return "8 characters of [a-z0-9_], as Python's tempfile makes them";
	}
	if (temp && n >= 11 && !strncmp(c, "tmp", 3)) {
		bool ok = true;
		for (size_t i = 3; i < 11; i++)
			ok &= is_digit((unsigned char)c[i]) || is_lower((unsigned char)c[i]) || c[i] == '_';
		if (ok && (n == 11 || !is_alnum((unsigned char)c[11]))) {
			memset(mark + 3, MARK_FIXED, 8);
			return "\"tmp\" and 8 random characters, as Python's tempfile makes them";
		}
	}
	for (size_t i = 0; i + 36 <= n; i++)
		if (is_uuid_at(c + i, n - i)) {
			memset(mark + i, MARK_FIXED, 36);
			why = "a UUID";
			i += 35;
		}
	for (size_t i = 0; i < n;) {
		if (!is_alnum((unsigned char)c[i]) || mark[i]) {
			i++;
			continue;
		}
		size_t j = i;
		bool digits = true, hex = true, hexletter = false, hexdigit = false;
		while (j < n && is_alnum((unsigned char)c[j]) && !mark[j]) {
			unsigned char ch = (unsigned char)c[j];
			digits &= is_digit(ch);
			hex &= is_hex(ch);
			hexletter |= !is_digit(ch);
			hexdigit |= is_digit(ch);
			j++;
		}
		size_t len = j - i;
		const char *w = NULL;
		if (digits && (temp || proc || len >= 6))
			w = proc ? "a process id" : "a number: a process id, counter or timestamp";
		else if (hex && len >= 8 && hexletter && hexdigit)
			w = "a hex string: a hash or an id";
		else if (temp && len >= 6 && looks_random(c + i, len, 2))
			w = "a random-looking token";
		else if (!temp && len >= 12 && looks_random(c + i, len, 3))
			w = "a random-looking token";
		if (w) {
			memset(mark + i, digits ? MARK_VAR : MARK_FIXED, len);
			why = w;
		}
		i = j;
	}
	return why;
}

static const char *analyse_component(const char *root, const char *c, size_t n, bool temp, bool first,
				     bool last, bool proc, char *mark)
{
	const char *why = analyse_one(c, n, temp, first, last, proc, mark);
	if (!why && temp && first) { /* nothing in the name itself: what other runs show */
		const struct hint *h = hint_for(root, c, n);
		if (h) {
			memset(mark + h->pre, MARK_FIXED, n - h->pre - h->suf);
			why = "differs between runs";
		}
	}
	return why;
}

/* The glob for a component with generated characters marked. When the name begins with a
 * literal word ("abc-", "tmp", "file_"), each run of generated characters becomes '*'
 * ("abc-*.log"). Otherwise a '*' would stand for nearly every name ("*.bin"), so the shape is
 * kept instead: '?' per generated character, "[0-9]*" for a number (whose length varies;
 * MARK_VAR), the separators inside literally ("????????-????-…", "????????????.bin", "[0-9]*"). */
static void component_glob(struct sb *b, const char *c, size_t n, const char *mark)
{
	bool literal_word = false;
	for (size_t i = 0; i < n && !mark[i]; i++)
		literal_word |= is_alnum((unsigned char)c[i]);
	for (size_t i = 0; i < n;) {
		if (!mark[i]) {
			size_t j = i;
			while (j < n && !mark[j])
				j++;
			put_literal(b, c + i, j - i);
			i = j;
			continue;
		}
		size_t j = i;
		bool digits = true;
		while (j < n && mark[j]) {
			digits &= mark[j] == MARK_VAR;
			j++;
		}
		if (literal_word) {
			sb_putc(b, '*');
		} else if (digits) {
			sb_puts(b, "[0-9]*");
		} else {
			for (size_t k = i; k < j; k++) {
				if (is_alnum((unsigned char)c[k]) || c[k] == '_')
					sb_putc(b, '?');
				else
					put_literal(b, c + k, 1);
			}
		}
		i = j;
	}
}

/* The generalised pattern for a path (heap), with why (heap) — NULL why for exact. */
static char *generalise_path(int cat, const char *path, char **why)
{
	struct sb b = {0}, w = {0};
	*why = NULL;
	if (cat == FS_EXEC) {
		put_literal(&b, path, strlen(path));
		return sb_take(&b);
	}
	const char *root = NULL;
	size_t start = 0;
	for (size_t i = 0; i < sizeof TEMP_ROOTS / sizeof *TEMP_ROOTS; i++) {
		size_t rl = strlen(TEMP_ROOTS[i]);
		if (!strncmp(path, TEMP_ROOTS[i], rl) && path[rl] == '/' && path[rl + 1]) {
			root = TEMP_ROOTS[i];
			start = rl;
		}
	}
	bool temp = root != NULL, proc = starts_with(path, "/proc/");
	put_literal(&b, path, start);
	const char *p = path + start;
	bool first = true;
	while (*p == '/') {
		const char *c = p + 1;
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		char *mark = xcalloc(n + 1, 1);
		const char *reason = n ? analyse_component(root, c, n, temp, first, e == NULL, proc, mark)
				       : NULL;
		sb_putc(&b, '/');
		if (reason) {
			component_glob(&b, c, n, mark);
			if (w.n)
				sb_puts(&w, "; ");
			if (temp)
				sb_printf(&w, "\"%.*s\" under %s looks generated (%s): %s", (int)n, c, root, reason,
					  e ? "a per-run directory, everything below it" : "the file name");
			else
				sb_printf(&w, "\"%.*s\" looks generated (%s)", (int)n, c, reason);
			free(mark);
			if (temp) {
				if (e)
					sb_puts(&b, "/**");
				*why = sb_take(&w);
				return sb_take(&b);
			}
		} else {
			put_literal(&b, c, n);
			free(mark);
		}
		first = false;
		p = c + n;
	}
	if (w.n)
		*why = sb_take(&w);
	return sb_take(&b);
}

/* Names directly under a scratch directory that differ between runs only in the middle
 * (same length, same separators, same beginning and end): the middle is generated. */
static void find_hints(struct learn *L)
{
	struct cand {
		const char *root;
		char *name;
		char skel[256];
	} *cs = xcalloc(L->nt + 1, sizeof *cs);
	size_t nc = 0;
	for (size_t i = 0; i < L->nt; i++) {
		struct target *t = &L->t[i];
		if (t->decision != D_LEARN || (t->cat != FS_READ && t->cat != FS_WRITE))
			continue;
		for (size_t r = 0; r < sizeof TEMP_ROOTS / sizeof *TEMP_ROOTS; r++) {
			size_t rl = strlen(TEMP_ROOTS[r]);
			if (strncmp(t->text, TEMP_ROOTS[r], rl) || t->text[rl] != '/' || !t->text[rl + 1])
				continue;
			const char *c = t->text + rl + 1, *e = strchr(c, '/');
			size_t n = e ? (size_t)(e - c) : strlen(c);
			if (n < 6 || n >= 255)
				continue;
			char *name = strndup(c, n);
			bool dup = false;
			for (size_t k = 0; k < nc && !dup; k++)
				dup = cs[k].root == TEMP_ROOTS[r] && !strcmp(cs[k].name, name);
			if (dup) {
				free(name);
				continue;
			}
			cs[nc].root = TEMP_ROOTS[r];
			cs[nc].name = name;
			for (size_t k = 0; k < n; k++)
				cs[nc].skel[k] = is_alnum((unsigned char)name[k]) || name[k] == '_' ? 'a' : name[k];
			cs[nc].skel[n] = 0;
			nc++;
		}
	}
	bool *done = xcalloc(nc + 1, sizeof *done);
	for (size_t i = 0; i < nc; i++) {
		if (done[i])
			continue;
		size_t n = strlen(cs[i].name), pre = n, suf = n;
		int group = 1;
		for (size_t k = i + 1; k < nc; k++) {
			if (done[k] || cs[k].root != cs[i].root || strcmp(cs[k].skel, cs[i].skel))
				continue;
			size_t a = 0, z = 0;
			while (a < n && cs[k].name[a] == cs[i].name[a])
				a++;
			while (z < n - a && cs[k].name[n - 1 - z] == cs[i].name[n - 1 - z])
				z++;
			if (a < pre)
				pre = a;
			if (z < suf)
				suf = z;
			group++;
		}
		if (group < 2 || pre + suf + 4 > n)
			continue;
		/* keep the generated middle within whole characters of the alphabet */
		for (size_t k = i; k < nc; k++) {
			if (done[k] || cs[k].root != cs[i].root || strcmp(cs[k].skel, cs[i].skel))
				continue;
			done[k] = true;
			g_hints = xrealloc(g_hints, (g_nhints + 1) * sizeof *g_hints);
			struct sb rn = {0};
			sb_printf(&rn, "%s/%s", cs[k].root, cs[k].name);
			g_hints[g_nhints++] = (struct hint){.root_name = sb_take(&rn), .pre = pre, .suf = suf,
							     .group = group};
		}
	}
	for (size_t i = 0; i < nc; i++)
		free(cs[i].name);
	free(cs);
	free(done);
}

/* ---- patterns ------------------------------------------------------------------------------ */

static int pattern_add(struct learn *L, int section, int cat, const char *text, const char *why, int kind)
{
	for (size_t i = 0; i < L->np; i++)
		if (L->p[i].section == section && L->p[i].cat == cat && !strcmp(L->p[i].text, text))
			return (int)i;
	if (L->np == L->capp) {
		L->capp = L->capp ? L->capp * 2 : 32;
		L->p = xrealloc(L->p, L->capp * sizeof *L->p);
	}
	struct pattern *p = &L->p[L->np];
	memset(p, 0, sizeof *p);
	p->section = section;
	p->cat = cat;
	p->text = xstrdup(text);
	p->why = why ? xstrdup(why) : NULL;
	p->kind = kind;
	return (int)L->np++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does pattern text match target t (as the shim would compile the pattern)? */
static int pattern_matches(const struct fs_policy *one, const struct target *t)
{
	const struct fs_rules *r = fs_policy_rules(one, (enum fs_category)t->cat, 0);
	if (t->cat == FS_EXEC || t->cat == FS_READ || t->cat == FS_WRITE)
		return fs_match_path(r, t->text, strlen(t->text)).list == FS_LIST_BLOCK;
	const char *names[1] = {t->host};
	return fs_match_addr(r, t->ip, (uint16_t)t->port, names, t->host ? 1 : 0).list == FS_LIST_BLOCK;
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
		cJSON_AddStringToObject(c, "default", "allow");
		for (size_t i = 0; i < n; i++)
			if (valid[i]) {
				cJSON_AddItemToArray(list, cJSON_CreateString(pats[i]));
				at[m++] = i;
			}
		cJSON_AddItemToObject(c, "block", list);
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
		snprintf(prefix, sizeof prefix, "%s.block[", fs_category_name((enum fs_category)cat));
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
		size_t i = fnv(lit[k], 1469598103934665603ULL) & (hcap - 1);
		while (h[i])
			i = (i + 1) & (hcap - 1);
		h[i] = k + 1;
	}
	for (size_t e = 0; e < nex; e++) {
		if (!valid[e])
			continue;
		size_t c = exc[e];
		size_t i = fnv(ex[e], 1469598103934665603ULL) & (hcap - 1);
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

/* Domains a wildcard must never stand for: a TLD or what looks like a public suffix. */
static bool wildcard_domain_ok(const char *d)
{
	const char *dot = strchr(d, '.');
	if (!dot)
		return false;
	const char *last = strrchr(d, '.') + 1;
	if (is_digit((unsigned char)*last))
		return false;
	if (dot == strrchr(d, '.')) { /* two labels: "co.uk"? */
		static const char *const sld[] = {"co", "com", "net", "org", "gov", "edu", "ac", "or",
						  "ne", "go", "gob", "mil", "nic", "ltd", "plc"};
		size_t l1 = (size_t)(dot - d);
		if (strlen(last) == 2)
			for (size_t i = 0; i < sizeof sld / sizeof *sld; i++)
				if (strlen(sld[i]) == l1 && !strncmp(d, sld[i], l1))
					return false;
	}
	return true;
}

/* Domains where a wildcard also admits other customers' hosts. */
static bool shared_domain(const char *d)
{
	static const char *const shared[] = {"amazonaws.com", "cloudfront.net", "herokuapp.com",
		"azurewebsites.net", "appspot.com", "github.io", "googleusercontent.com",
		"windows.net", "ngrok.io", "ngrok-free.app", "workers.dev", "vercel.app",
		"netlify.app", "pages.dev", "firebaseapp.com", "web.app", "blob.core.windows.net"};
	for (size_t i = 0; i < sizeof shared / sizeof *shared; i++)
		if (!strcmp(d, shared[i]) || ends_with(d, shared[i]))
			return true;
	return false;
}

struct entry {
	char *name;       /* host, or the domain D of a wildcard "*.D" */
	bool wildcard;
	int members;      /* hosts behind a wildcard */
	size_t *targets;  /* target indices */
	size_t ntargets;
};

static int label_count(const char *s)
{
	int n = 1;
	for (; *s; s++)
		n += *s == '.';
	return n;
}

struct dom {
	char *d;
	int labels;
};

static int cmp_dom(const void *a, const void *b)
{
	const struct dom *x = a, *y = b;
	if (x->labels != y->labels)
		return y->labels - x->labels;
	return strcmp(x->d, y->d);
}

/* Hosts of one section/port: wildcards over shared parent domains past the threshold. */
static void domain_wildcards(struct learn *L, int section, unsigned port, size_t *tidx, size_t nt)
{
	struct entry *e = xcalloc(nt + 1, sizeof *e);
	size_t ne = 0;
	for (size_t k = 0; k < nt; k++) {
		e[ne].name = xstrdup(L->t[tidx[k]].host);
		e[ne].targets = xcalloc(1, sizeof(size_t));
		e[ne].targets[0] = tidx[k];
		e[ne].ntargets = 1;
		ne++;
	}
	/* candidate domains: proper suffixes of 2+ labels */
	struct dom *doms = NULL;
	size_t nd = 0;
	for (size_t k = 0; k < ne && L->threshold > 0; k++) {
		for (const char *s = strchr(e[k].name, '.'); s; s = strchr(s + 1, '.')) {
			const char *d = s + 1;
			if (!wildcard_domain_ok(d))
				continue;
			bool dup = false;
			for (size_t j = 0; j < nd && !dup; j++)
				dup = !strcmp(doms[j].d, d);
			if (dup)
				continue;
			doms = xrealloc(doms, (nd + 1) * sizeof *doms);
			doms[nd].d = xstrdup(d);
			doms[nd].labels = label_count(d);
			nd++;
		}
	}
	if (nd)
		qsort(doms, nd, sizeof *doms, cmp_dom);
	for (size_t j = 0; j < nd; j++) {
		const char *d = doms[j].d;
		size_t dl = strlen(d);
		int members = 0;
		for (size_t k = 0; k < ne; k++) {
			size_t nl = strlen(e[k].name);
			if (e[k].name[0] && nl > dl && e[k].name[nl - dl - 1] == '.' &&
			    !strcmp(e[k].name + nl - dl, d))
				members++;
		}
		if (members < L->threshold)
			continue;
		struct entry w = {.name = xstrdup(d), .wildcard = true};
		for (size_t k = 0; k < ne; k++) {
			size_t nl = strlen(e[k].name);
			if (!(e[k].name[0] && nl > dl && e[k].name[nl - dl - 1] == '.' &&
			      !strcmp(e[k].name + nl - dl, d)))
				continue;
			w.members += e[k].wildcard ? e[k].members : 1;
			w.targets = xrealloc(w.targets, (w.ntargets + e[k].ntargets) * sizeof(size_t));
			memcpy(w.targets + w.ntargets, e[k].targets, e[k].ntargets * sizeof(size_t));
			w.ntargets += e[k].ntargets;
			free(e[k].targets);
			e[k].targets = NULL;
			e[k].ntargets = 0;
			e[k].name[0] = 0; /* consumed */
		}
		e = xrealloc(e, (ne + 2) * sizeof *e);
		e[ne++] = w;
	}
	for (size_t k = 0; k < ne; k++) {
		if (!e[k].name[0])
			continue;
		char text[400], why[600];
		int pi;
		if (e[k].wildcard) {
			snprintf(text, sizeof text, "*.%s:%u", e[k].name, port);
			snprintf(why, sizeof why, "%d hosts under %s on port %u (threshold %d)%s", e[k].members,
				 e[k].name, port, L->threshold,
				 shared_domain(e[k].name) ? "; note: hosts under this domain belong to many "
				 "customers — a wildcard admits theirs too (raise --wildcard-threshold to keep "
				 "names exact)" : "");
			pi = pattern_add(L, section, FS_CONNECT, text, why, 2);
		} else {
			snprintf(text, sizeof text, "%s:%u", e[k].name, port);
			pi = pattern_add(L, section, FS_CONNECT, text, NULL, 0);
		}
		for (size_t j = 0; j < e[k].ntargets; j++) {
			struct target *t = &L->t[e[k].targets[j]];
			t->pat = pi;
		}
	}
	for (size_t k = 0; k < ne; k++) {
		free(e[k].name);
		free(e[k].targets);
	}
	free(e);
	for (size_t j = 0; j < nd; j++)
		free(doms[j].d);
	free(doms);
}

/* ---- deciding and generalising -------------------------------------------------------------- */

/* Sections decided: the init override when a line says so and the staging policy has one
 * for that category (without a staging policy: when the line's rule was an init rule). Targets
 * that end up the same are merged. */
static void finalise_sections(struct learn *L)
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
		text = fs_read_file(src + 5, FS_POLICY_FILE_MAX, &len, &err);
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

static void decide(struct learn *L)
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
		struct fs_verdict v;
		if (t->cat == FS_EXEC || t->cat == FS_READ || t->cat == FS_WRITE) {
			v = fs_match_path(r, t->text, strlen(t->text));
		} else {
			const char *names[1] = {t->host};
			v = fs_match_addr(r, t->ip, (uint16_t)t->port, names, t->host ? 1 : 0);
		}
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

static void generalise(struct learn *L)
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

/* ---- the learned policy -------------------------------------------------------------------- */

/* The category object of `parent` (top level or "init"), made an object when it is a string;
 * NULL when absent and create is 0. */
static cJSON *category_object(cJSON *parent, const char *name, int create)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(parent, name);
	if (!c) {
		if (!create)
			return NULL;
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "default", "block");
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
	cJSON *a = cJSON_GetObjectItemCaseSensitive(cat, "allow");
	if (a)
		return a;
	a = cJSON_CreateArray();
	cJSON *out = cJSON_CreateObject();
	int placed = 0;
	while (cat->child) {
		cJSON *m = cJSON_DetachItemViaPointer(cat, cat->child);
		int is_default = !strcmp(m->string, "default");
		if (!placed && !is_default) {
			cJSON_AddItemToObject(out, "allow", a);
			placed = 1;
		}
		cJSON_AddItemToObject(out, m->string, m);
		if (is_default && !placed) {
			cJSON_AddItemToObject(out, "allow", a);
			placed = 1;
		}
	}
	if (!placed)
		cJSON_AddItemToObject(out, "allow", a);
	/* move out's members back into cat (keeps cat's place in its parent) */
	while (out->child) {
		cJSON *m = cJSON_DetachItemViaPointer(out, out->child);
		cJSON_AddItemToObject(cat, m->string, m);
	}
	cJSON_Delete(out);
	return a;
}

/* "default": "alert" → "block" (a category string "alert" likewise). Records what changed. */
static void harden_defaults(struct learn *L, cJSON *parent, const char *prefix)
{
	if (!parent)
		return;
	for (int c = 0; c < FS_NCATEGORIES; c++) {
		const char *name = fs_category_name((enum fs_category)c);
		cJSON *v = cJSON_GetObjectItemCaseSensitive(parent, name);
		cJSON *d = cJSON_IsString(v) ? v : cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, "default") : NULL;
		if (cJSON_IsString(d) && !strcmp(d->valuestring, "alert")) {
			cJSON_SetValuestring(d, "block");
			sb_printf(&L->notes, "  %s%s.default: alert -> block (what staging never did is blocked)\n",
				  prefix, name);
		}
	}
}

static cJSON *build_policy(struct learn *L)
{
	cJSON *root;
	if (L->staging) {
		root = cJSON_Parse(L->staging_text);
		cJSON *mode = cJSON_GetObjectItemCaseSensitive(root, "mode");
		if (mode)
			cJSON_ReplaceItemInObjectCaseSensitive(root, "mode", cJSON_CreateString("block"));
		harden_defaults(L, root, "");
		harden_defaults(L, cJSON_GetObjectItemCaseSensitive(root, "init"), "init.");
		if (!mode) { /* insert "mode" after "version" */
			cJSON *out = cJSON_CreateObject();
			while (root->child) {
				cJSON *m = cJSON_DetachItemViaPointer(root, root->child);
				int v = !strcmp(m->string, "version");
				cJSON_AddItemToObject(out, m->string, m);
				if (v)
					cJSON_AddStringToObject(out, "mode", "block");
			}
			cJSON_Delete(root);
			root = out;
		}
	} else {
		root = cJSON_CreateObject();
		cJSON_AddNumberToObject(root, "version", 1);
		cJSON_AddStringToObject(root, "mode", "block");
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
						snprintf(L->p[i].rule, sizeof L->p[i].rule, "%s%s.allow[%d]",
							 s ? "init." : "", name, at);
						L->p[i].at = at;
					}
			}
			free(texts);
		}
	return root;
}

/* Every learned target must be allowed by the learned policy (compiled as the shim compiles
 * it); explicit catches must still be caught. Returns the number of failures. */
static int verify(struct learn *L, const char *text)
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
		struct fs_verdict v;
		if (t->cat == FS_EXEC || t->cat == FS_READ || t->cat == FS_WRITE) {
			v = fs_match_path(r, t->text, strlen(t->text));
		} else {
			const char *names[1] = {t->host};
			v = fs_match_addr(r, t->ip, (uint16_t)t->port, names, t->host ? 1 : 0);
		}
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

/* ---- the summary --------------------------------------------------------------------------- */

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

static void summary(struct learn *L)
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
				if (p->kind)
					fprintf(e, "  %-*s  %-*s  %d target%s, e.g. %s — %s\n", wrule, p->rule, wpat,
						p->text, p->ntargets, p->ntargets == 1 ? "" : "s", p->example,
						p->why ? p->why : "");
				else
					fprintf(e, "  %-*s  %-*s  exact (%lu event%s)\n", wrule, p->rule, wpat, p->text,
						p->events, p->events == 1 ? "" : "s");
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
				sb_printf(b, "%s%s%s", b->n ? ", " : "", s ? "init." : "",
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
			   L->skipped_malformed + L->skipped_protected;
	if (sk) {
		struct sb b = {0};
		const struct { unsigned long n; const char *what; } why[] = {
			{L->skipped_truncated, "with a truncated target"},
			{L->skipped_anonymous, "naming no file (memfd, deleted)"},
			{L->skipped_unresolved, "with an unresolvable path (*.unresolved)"},
			{L->skipped_protected, "writing /proc/PID/mem (write.protected: never allowed)"},
			{L->skipped_malformed, "malformed"},
		};
		for (size_t k = 0; k < sizeof why / sizeof *why; k++)
			if (why[k].n)
				sb_printf(&b, "%s%lu %s", b.n ? ", " : "", why[k].n, why[k].what);
		fprintf(e, "fnshield learn: skipped %lu line%s: %s\n", sk, sk == 1 ? "" : "s", b.p);
		free(b.p);
	}
}

/* ---- the command ----------------------------------------------------------------------------- */

static int learn_usage(void)
{
	fputs("usage: fnshield learn [--from STAGING_POLICY | --lines-only] [--wildcard-threshold N] [FILE...]\n"
	      "  Reads violation lines (raw logs, JSON lines, CloudWatch exports) from FILEs or stdin\n"
	      "  and prints the least-privilege policy that allows what was seen; a summary of what\n"
	      "  it decided goes to stderr.\n"
	      "  --from POLICY          the staging policy the runs were made under: the output is\n"
	      "                         that policy in mode block, its alert defaults made block,\n"
	      "                         with allow rules for what its defaults flagged\n"
	      "                         (default: the policy the logs' start lines name, when it is\n"
	      "                         at hand with the same sha256)\n"
	      "  --lines-only           do not look for the staging policy: learn from the lines alone\n"
	      "  --wildcard-threshold N N or more hosts on one port under one domain become\n"
	      "                         *.domain:PORT (default 5; 0: never)\n",
	      stderr);
	return EX_USAGE;
}

int cmd_learn(int argc, char **argv)
{
	struct learn L = {.threshold = 5};
	int i = 1, no_discover = 0;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--from") && i + 1 < argc) {
			L.from = argv[++i];
		} else if (!strcmp(argv[i], "--wildcard-threshold") && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (!*argv[i] || *end || v < 0 || v > 1000000) {
				fprintf(stderr, "fnshield learn: --wildcard-threshold %s: expected a number "
					"(0: never)\n", argv[i]);
				return EX_USAGE;
			}
			L.threshold = (int)v;
		} else if (!strcmp(argv[i], "--lines-only")) {
			no_discover = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			learn_usage();
			return 0;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return learn_usage();
		} else {
			break;
		}
	}

	if (L.from) {
		size_t len = 0;
		int err = 0;
		char *text = fs_read_file(L.from, FS_POLICY_FILE_MAX, &len, &err);
		if (!text) {
			fprintf(stderr, "fnshield learn: cannot read %s: %s\n", L.from, strerror(err));
			return EX_NOINPUT;
		}
		int r = load_staging(&L, text, len, L.from);
		free(text);
		if (r)
			return r;
	}

	if (i >= argc) {
		size_t len = 0;
		char *buf = read_stream(stdin, &len);
		if (!buf) {
			fprintf(stderr, "fnshield learn: cannot read stdin: %s\n", strerror(errno));
			return EX_NOINPUT;
		}
		L.inputs = 1;
		take_input(&L, buf, len);
		free(buf);
	}
	for (; i < argc; i++) {
		FILE *f = strcmp(argv[i], "-") ? fopen(argv[i], "rb") : stdin;
		size_t len = 0;
		char *buf = f ? read_stream(f, &len) : NULL;
		if (!buf) {
			fprintf(stderr, "fnshield learn: cannot read %s: %s\n", argv[i], strerror(errno));
			return EX_NOINPUT;
		}
		if (f != stdin)
			fclose(f);
		L.inputs++;
		take_input(&L, buf, len);
		free(buf);
	}

	if (!L.staging && !no_discover)
		discover_staging(&L);
	else if (L.staging && L.nstarts) {
		bool match = false;
		for (int k = 0; k < L.nstarts; k++)
			match |= !strcmp(L.starts[k].digest, L.from_digest);
		if (!match)
			sb_printf(&L.notes, "  note: the runs were made under %s (sha256 %.12s…), not %s "
				  "(sha256 %.12s…): what they flagged was judged again against %s\n",
				  L.starts[0].source, L.starts[0].digest, L.from, L.from_digest, L.from);
	}
	finalise_sections(&L);
	if (L.violation_lines == 0 && !L.staging) {
		fprintf(stderr, "fnshield learn: no violation lines found (%lu other fnshield line%s): "
			"nothing to learn from. The lines go to the function's standard error: pass "
			"stderr, the log stream, or a CloudWatch export\n", L.other_lines,
			L.other_lines == 1 ? "" : "s");
		return EX_DATAERR;
	}
	if (L.violation_lines == 0)
		fprintf(stderr, "fnshield learn: warning: no violation lines found: the result is %s in "
			"mode block, its alert defaults made block\n", L.from);

	decide(&L);
	generalise(&L);
	cJSON *root = build_policy(&L);
	struct sb out = {0};
	json_pretty(&out, root, 0, 0, 0);
	sb_putc(&out, '\n');
	cJSON_Delete(root);
	if (verify(&L, out.p)) {
		free(out.p);
		return EX_SOFTWARE;
	}
	summary(&L);
	fwrite(out.p, 1, out.n, stdout);
	free(out.p);
	return fflush(stdout) == 0 ? 0 : 74;
}
