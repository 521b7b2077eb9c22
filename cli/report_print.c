/*
 * report_print.c — `fnshield report`'s output: a table per group for a person, or one JSON
 * document for machines (its shape is in the README, "Which dependency did what").
 */
#include "report.h"

#include "cJSON.h"
#include "fields.h"

#include <stdlib.h>

/* "blocked", "alerted", or "blocked 3, alerted 2". */
static void actions(char *buf, size_t cap, unsigned long blocked, unsigned long alerted)
{
	if (!alerted)
		snprintf(buf, cap, "blocked");
	else if (!blocked)
		snprintf(buf, cap, "alerted");
	else
		snprintf(buf, cap, "blocked %lu, alerted %lu", blocked, alerted);
}

/* The row's columns other than the one the report is grouped by. */
enum { COL_FUNCTION, COL_PACKAGE, COL_CATEGORY, COL_TARGET, NCOLS };
static const char *const HEADINGS[NCOLS] = {"FUNCTION", "PACKAGE", "CATEGORY", "TARGET"};
static const enum report_by COLUMN_BY[NCOLS] = {BY_FUNCTION, BY_PACKAGE, BY_CATEGORY, BY_TARGET};
enum { WIDEST = 60 };

/* s in a column of width characters: padded, or its end after "..." when longer (a path's
 * end says most). */
static void cell(FILE *f, const char *s, int width)
{
	int n = (int)strlen(s);
	if (n <= width)
		fprintf(f, " %-*s", width, s);
	else
		fprintf(f, " ...%s", s + n - (width - 3));
}

void report_print_text(FILE *f, const struct report *R)
{
	fprintf(f, "fnshield report: %lu violation line%s, %lu violation%s, by %s\n", R->lines,
		R->lines == 1 ? "" : "s", R->violations, R->violations == 1 ? "" : "s",
		report_by_name(R->by));
	for (size_t g = 0; g < R->ngroups; g++) {
		const struct report_group *G = &R->groups[g];
		char act[64];
		actions(act, sizeof act, G->blocked, G->alerted);
		fprintf(f, "\n%s — %lu violation%s (%s), %s … %s\n", G->key, G->violations,
			G->violations == 1 ? "" : "s", act, G->first, G->last);
		int width[NCOLS] = {0}, wact = (int)strlen("ACTION");
		for (int c = 0; c < NCOLS; c++)
			width[c] = (int)strlen(HEADINGS[c]);
		for (size_t k = 0; k < G->nrows; k++) {
			const struct report_row *r = &R->rows[G->rows[k]];
			for (int c = 0; c < NCOLS; c++) {
				int n = (int)strlen(report_key(r, COLUMN_BY[c]));
				if (n > width[c])
					width[c] = n < WIDEST ? n : WIDEST;
			}
			actions(act, sizeof act, r->blocked, r->alerted);
			if ((int)strlen(act) > wact)
				wact = (int)strlen(act);
		}
		fputs(" ", f);
		for (int c = 0; c < NCOLS; c++)
			if (COLUMN_BY[c] != R->by)
				cell(f, HEADINGS[c], width[c]);
		fprintf(f, "  VIOLATIONS  %-*s  FIRST … LAST  FROM\n", wact, "ACTION");
		for (size_t k = 0; k < G->nrows; k++) {
			const struct report_row *r = &R->rows[G->rows[k]];
			fputs(" ", f);
			for (int c = 0; c < NCOLS; c++)
				if (COLUMN_BY[c] != R->by)
					cell(f, report_key(r, COLUMN_BY[c]), width[c]);
			actions(act, sizeof act, r->blocked, r->alerted);
			fprintf(f, "  %10lu  %-*s  %s … %s  ", r->violations, wact, act, r->first,
				r->last);
			if (r->o_function)
				fprintf(f, "%s (%s:%d)\n", r->o_function, r->o_file, r->o_line);
			else
				fputs("-\n", f);
		}
	}
}

static void add_counts(cJSON *o, unsigned long violations, unsigned long blocked,
		       unsigned long alerted, const char *first, const char *last)
{
	cJSON_AddNumberToObject(o, "violations", (double)violations);
	cJSON_AddNumberToObject(o, "blocked", (double)blocked);
	cJSON_AddNumberToObject(o, "alerted", (double)alerted);
	cJSON_AddStringToObject(o, "first", first);
	cJSON_AddStringToObject(o, "last", last);
}

/* A "a, b" list as a JSON array. */
static cJSON *list_array(const char *list)
{
	cJSON *a = cJSON_CreateArray();
	for (const char *p = list; p && *p;) {
		const char *end = strstr(p, ", ");
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *item = strndup(p, n);
		cJSON_AddItemToArray(a, cJSON_CreateString(item ? item : ""));
		free(item);
		p = end ? end + 2 : p + n;
	}
	return a;
}

void report_print_json(FILE *f, const struct report *R)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "by", report_by_name(R->by));
	cJSON_AddNumberToObject(root, "lines", (double)R->lines);
	cJSON_AddNumberToObject(root, "violations", (double)R->violations);
	cJSON *groups = cJSON_AddArrayToObject(root, "groups");
	for (size_t g = 0; g < R->ngroups; g++) {
		const struct report_group *G = &R->groups[g];
		cJSON *jg = cJSON_CreateObject();
		cJSON_AddStringToObject(jg, "key", G->key);
		add_counts(jg, G->violations, G->blocked, G->alerted, G->first, G->last);
		cJSON_AddItemToObject(jg, "functions", list_array(G->functions));
		cJSON_AddItemToObject(jg, "packages", list_array(G->packages));
		cJSON *rows = cJSON_AddArrayToObject(jg, "rows");
		for (size_t k = 0; k < G->nrows; k++) {
			const struct report_row *r = &R->rows[G->rows[k]];
			cJSON *jr = cJSON_CreateObject();
			for (int c = 0; c < NCOLS; c++)
				cJSON_AddStringToObject(jr, report_by_name(COLUMN_BY[c]),
							report_key(r, COLUMN_BY[c]));
			add_counts(jr, r->violations, r->blocked, r->alerted, r->first, r->last);
			cJSON_AddNumberToObject(jr, "lines", (double)r->lines);
			if (r->o_function) { /* the first origin seen: where the calls came from */
				cJSON *o = cJSON_AddObjectToObject(jr, "origin");
				if (r->runtime && r->runtime[0])
					cJSON_AddStringToObject(o, LO_RUNTIME, r->runtime);
				cJSON_AddStringToObject(o, LO_FILE, r->o_file);
				cJSON_AddNumberToObject(o, LO_LINE, r->o_line);
				cJSON_AddStringToObject(o, LO_FUNCTION, r->o_function);
			}
			cJSON_AddItemToArray(rows, jr);
		}
		cJSON_AddItemToArray(groups, jg);
	}
	char *text = cJSON_Print(root);
	if (text)
		fprintf(f, "%s\n", text);
	free(text);
	cJSON_Delete(root);
}
