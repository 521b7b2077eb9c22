/*
 * report.h — what the two halves of `fnshield report` share (private to cli/report*.c).
 *
 *   cli/report.c        the command: options, reading the lines (cli/logread.c), attributing
 *                       repeat summaries, grouping
 *   cli/report_print.c  printing: a table for a person, or JSON
 */
#ifndef FNSHIELD_CLI_REPORT_H
#define FNSHIELD_CLI_REPORT_H

#include "util.h"

#include <stdio.h>

enum report_by { BY_PACKAGE, BY_FUNCTION, BY_CATEGORY, BY_TARGET };

/* What one set of identical calls did: one function, one package, one category, one target. */
struct report_row {
	const char *function, *package, *category, *target;
	unsigned long violations, blocked, alerted, lines;
	char first[40], last[40];       /* timestamps, ISO 8601 (they sort as text) */
	/* the first origin seen (o_function NULL: none) */
	const char *runtime, *o_file, *o_function;
	int o_line;
};

/* Rows that share the --by key. */
struct report_group {
	const char *key;
	size_t *rows; /* indices into report.rows, most violations first */
	size_t nrows, caprows;
	unsigned long violations, blocked, alerted;
	char first[40], last[40];
	char *functions, *packages; /* "a, b" */
};

struct report {
	enum report_by by;
	unsigned long lines, violations;
	struct report_row *rows;
	size_t nrows, caprows;
	struct report_group *groups;
	size_t ngroups, capgroups;
};

const char *report_by_name(enum report_by by);
/* The field of a row that --by groups on. */
const char *report_key(const struct report_row *r, enum report_by by);

void report_print_text(FILE *f, const struct report *R);
void report_print_json(FILE *f, const struct report *R);

#endif
