/*
 * report.c — `fnshield report`: which code did what, in which functions, from the logs of many.
 *
 *   fnshield report [--by package|function|category|target] [--json] [FILE...]   (stdin without FILE)
 *
 * Input: what `fnshield learn` reads (cli/logread.h: raw logs, JSON lines, CloudWatch exports,
 * Logs Insights results), of any number of functions. Each violation line is counted as the
 * violations it stands for (a repeat summary's "count"), under:
 *   function  the line's "function" (Lambda's function name), else the process's "exe";
 *   package   its origin's package (SPEC "origin"); NO_PACKAGE when the origin is in no package
 *             (a function's own file outside any), NO_ORIGIN when the line has no origin.
 *             A repeat summary carries no origin (its calls may come from many places): it is
 *             counted under the package that the full lines of the same calls (same process,
 *             category and target) named, when they all named one and the same, else NO_ORIGIN.
 * Rows are (function, package, category, target) with violations, blocked and alerted, first
 * and last seen, and the first origin seen; groups gather the rows that share the --by field.
 * Exit: 0 (also when no violation line was found: stderr says so), 64 bad usage, 66 a FILE that
 * cannot be read.
 */
#include "cli.h"
#include "fields.h"
#include "logread.h"
#include "report.h"

#include <stdint.h>
#include <stdlib.h>

/* ---- a string → index table ------------------------------------------------------------------ */

struct index {
	char **keys;
	size_t *vals;
	size_t cap, n;
};

#define INDEX_NEW SIZE_MAX /* the value of a key just added */

/* The value slot of key (added, with INDEX_NEW, when create and it is not there; else NULL).
 * Valid until the next call. */
static size_t *index_slot(struct index *ix, const char *key, int create)
{
	if (create && 2 * (ix->n + 1) > ix->cap) {
		struct index big = {.cap = ix->cap ? 2 * ix->cap : 64, .n = ix->n};
		big.keys = xcalloc(big.cap, sizeof *big.keys);
		big.vals = xcalloc(big.cap, sizeof *big.vals);
		for (size_t i = 0; i < ix->cap; i++)
			for (size_t h = ix->keys[i] ? fnv(ix->keys[i], FNV_START) % big.cap : 0;
			     ix->keys[i]; h = (h + 1) % big.cap)
				if (!big.keys[h]) {
					big.keys[h] = ix->keys[i];
					big.vals[h] = ix->vals[i];
					break;
				}
		free(ix->keys);
		free(ix->vals);
		*ix = big;
	}
	for (size_t h = ix->cap ? fnv(key, FNV_START) % ix->cap : 0; ix->cap; h = (h + 1) % ix->cap) {
		if (!ix->keys[h]) {
			if (!create)
				return NULL;
			ix->keys[h] = xstrdup(key);
			ix->vals[h] = INDEX_NEW;
			ix->n++;
			return &ix->vals[h];
		}
		if (!strcmp(ix->keys[h], key))
			return &ix->vals[h];
	}
	return NULL;
}

static char *joined(const char *a, const char *b, const char *c, const char *d)
{
	struct sb s = {0};
	sb_printf(&s, "%s\x1f%s\x1f%s\x1f%s", a, b, c, d);
	return sb_take(&s);
}

/* ---- the lines read ------------------------------------------------------------------------ */

struct seen {
	char *function, *package, *category, *target, *timestamp;
	char *runtime, *o_file, *o_function; /* the origin (NULL: none) */
	int o_line;
	char *calls;        /* process, category, target: the identity of repeated calls */
	unsigned long n;
	int blocked, summary, has_origin;
};

struct reading {
	struct seen *s;
	size_t n, cap;
};

static char *dup_or(const char *s, const char *otherwise)
{
	return xstrdup(s ? s : otherwise);
}

static void take_line(void *ctx, const char *kind, const cJSON *v)
{
	struct reading *rd = ctx;
	const char *category = logread_str(v, LF_CATEGORY), *target = logread_str(v, LF_TARGET);
	if (strcmp(kind, LK_VIOLATION) || !category || !target)
		return;
	struct seen *s = array_push(&rd->s, &rd->n, &rd->cap, sizeof *rd->s, 256);
	const cJSON *origin = cJSON_GetObjectItemCaseSensitive(v, LF_ORIGIN);
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(v, LF_PID);
	const char *exe = logread_str(v, LF_EXE), *action = logread_str(v, LF_ACTION);
	s->function = dup_or(logread_str(v, LF_FUNCTION), exe ? exe : "?");
	s->category = xstrdup(category);
	s->target = xstrdup(target);
	s->timestamp = dup_or(logread_str(v, LF_TIMESTAMP), "");
	s->n = logread_violations(v);
	s->summary = cJSON_GetObjectItemCaseSensitive(v, LF_COUNT) != NULL;
	s->blocked = action && !strcmp(action, "block");
	s->has_origin = cJSON_IsObject(origin);
	if (s->has_origin) {
		const char *pkg = logread_package(v);
		const char *file = logread_str(origin, LO_FILE), *fn = logread_str(origin, LO_FUNCTION);
		const cJSON *line = cJSON_GetObjectItemCaseSensitive(origin, LO_LINE);
		s->package = xstrdup(pkg);
		s->runtime = dup_or(logread_str(origin, LO_RUNTIME), "");
		s->o_file = dup_or(file, "?");
		s->o_function = dup_or(fn, "?");
		s->o_line = cJSON_IsNumber(line) ? (int)line->valuedouble : 0;
	}
	char process[64];
	snprintf(process, sizeof process, "%.0f", cJSON_IsNumber(pid) ? pid->valuedouble : -1.0);
	s->calls = joined(process, exe ? exe : "", category, target);
}

/* A summary of repeats has no origin: the package the full lines of the same calls named, when
 * they named one and the same. */
static void attribute_summaries(struct reading *rd)
{
	enum { DISAGREE = SIZE_MAX - 1 };
	struct index by_calls = {0};
	for (size_t i = 0; i < rd->n; i++) {
		struct seen *s = &rd->s[i];
		if (!s->has_origin)
			continue;
		size_t *named = index_slot(&by_calls, s->calls, 1);
		if (*named == INDEX_NEW)
			*named = i;
		else if (*named != DISAGREE && strcmp(rd->s[*named].package, s->package))
			*named = DISAGREE;
	}
	for (size_t i = 0; i < rd->n; i++) {
		struct seen *s = &rd->s[i];
		size_t *named = s->summary && !s->has_origin ? index_slot(&by_calls, s->calls, 0) : NULL;
		if (named && *named != DISAGREE) {
			s->package = xstrdup(rd->s[*named].package);
			s->runtime = xstrdup(rd->s[*named].runtime);
		}
	}
}

/* ---- rows and groups ------------------------------------------------------------------------ */

const char *report_by_name(enum report_by by)
{
	static const char *const NAMES[] = {"package", "function", "category", "target"};
	return NAMES[by];
}

const char *report_key(const struct report_row *r, enum report_by by)
{
	switch (by) {
	case BY_FUNCTION: return r->function;
	case BY_CATEGORY: return r->category;
	case BY_TARGET: return r->target;
	default: return r->package;
	}
}

static void span(char *first, char *last, const char *ts)
{
	if (!ts[0])
		return;
	if (!first[0] || strcmp(ts, first) < 0)
		snprintf(first, 40, "%s", ts);
	if (!last[0] || strcmp(ts, last) > 0)
		snprintf(last, 40, "%s", ts);
}

static void add_to_row(struct report_row *r, const struct seen *s)
{
	r->violations += s->n;
	r->lines++;
	if (s->blocked)
		r->blocked += s->n;
	else
		r->alerted += s->n;
	span(r->first, r->last, s->timestamp);
	if (!r->o_function && s->o_function) {
		r->o_function = s->o_function;
		r->o_file = s->o_file;
		r->o_line = s->o_line;
	}
	if ((!r->runtime || !r->runtime[0]) && s->runtime)
		r->runtime = s->runtime;
}

static const struct report *sorting; /* for the comparisons below (qsort has no context) */

static int by_violations(const void *a, const void *b)
{
	const struct report_row *x = &sorting->rows[*(const size_t *)a];
	const struct report_row *y = &sorting->rows[*(const size_t *)b];
	if (x->violations != y->violations)
		return x->violations > y->violations ? -1 : 1;
	return strcmp(report_key(x, BY_TARGET), report_key(y, BY_TARGET));
}

static int groups_by_violations(const void *a, const void *b)
{
	const struct report_group *x = a, *y = b;
	if (x->violations != y->violations)
		return x->violations > y->violations ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void build(struct report *R, struct reading *rd)
{
	struct index rows = {0}, groups = {0};
	for (size_t i = 0; i < rd->n; i++) {
		struct seen *s = &rd->s[i];
		if (!s->package)
			s->package = xstrdup(NO_ORIGIN);
		R->lines++;
		R->violations += s->n;
		char *key = joined(s->function, s->package, s->category, s->target);
		size_t *at = index_slot(&rows, key, 1);
		free(key);
		if (*at == INDEX_NEW) {
			*at = R->nrows;
			struct report_row *r = array_push(&R->rows, &R->nrows, &R->caprows, sizeof *r, 64);
			r->function = s->function;
			r->package = s->package;
			r->category = s->category;
			r->target = s->target;
		}
		add_to_row(&R->rows[*at], s);
	}
	for (size_t i = 0; i < R->nrows; i++) {
		struct report_row *r = &R->rows[i];
		size_t *at = index_slot(&groups, report_key(r, R->by), 1);
		if (*at == INDEX_NEW) {
			*at = R->ngroups;
			struct report_group *g =
				array_push(&R->groups, &R->ngroups, &R->capgroups, sizeof *g, 16);
			g->key = report_key(r, R->by);
		}
		struct report_group *g = &R->groups[*at];
		size_t *slot = array_push(&g->rows, &g->nrows, &g->caprows, sizeof *g->rows, 8);
		*slot = i;
		g->violations += r->violations;
		g->blocked += r->blocked;
		g->alerted += r->alerted;
		span(g->first, g->last, r->first);
		span(g->first, g->last, r->last);
		g->functions = list_add(g->functions, r->function, strlen(r->function));
		g->packages = list_add(g->packages, r->package, strlen(r->package));
	}
	sorting = R;
	for (size_t i = 0; i < R->ngroups; i++)
		qsort(R->groups[i].rows, R->groups[i].nrows, sizeof *R->groups[i].rows, by_violations);
	qsort(R->groups, R->ngroups, sizeof *R->groups, groups_by_violations);
}

/* ---- the command ---------------------------------------------------------------------------- */

static int report_usage(void)
{
	fputs("usage: fnshield report [--by package|function|category|target] [--json] [FILE...]\n"
	      "  Reads violation lines (raw logs, JSON lines, CloudWatch exports, Logs Insights\n"
	      "  results) of any number of functions from FILEs or stdin and prints which code\n"
	      "  (the lines' origin: package, function, file and line) did what in which functions:\n"
	      "  violations, blocked or alerted, first and last seen.\n"
	      "  --by FIELD   group by package (default), function, category or target\n"
	      "  --json       one JSON document for machines\n",
	      stderr);
	return EX_USAGE;
}

int cmd_report(int argc, char **argv)
{
	struct report R = {.by = BY_PACKAGE};
	int json = 0, i = 1;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--by") && i + 1 < argc) {
			const char *v = argv[++i];
			int found = 0;
			for (int b = BY_PACKAGE; b <= BY_TARGET && !found; b++)
				if (!strcmp(v, report_by_name((enum report_by)b))) {
					R.by = (enum report_by)b;
					found = 1;
				}
			if (!found) {
				fprintf(stderr, "fnshield report: --by %s: expected package, function, "
					"category or target\n", v);
				return EX_USAGE;
			}
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			report_usage();
			return 0;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return report_usage();
		} else {
			break;
		}
	}
	struct reading rd = {0};
	struct logread r = {.line = take_line, .ctx = &rd};
	int st = logread_files(&r, argv + i, argc - i, "report");
	if (st)
		return st;
	attribute_summaries(&rd);
	build(&R, &rd);
	if (!R.lines)
		fputs("fnshield report: no violation lines found\n", stderr);
	if (json)
		report_print_json(stdout, &R);
	else
		report_print_text(stdout, &R);
	return 0;
}
