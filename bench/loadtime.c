/*
 * loadtime.c — the time to load a policy as the library does at start-up (fs_config_load_file:
 * a JSON file compiled, a compiled file mapped and checked), in this process, many times.
 *
 *   loadtime N FILE...   ->  one line per file: "FILE bytes min_us median_us"
 *
 * The first load of a process also pays for faulting in the code it runs; the repeats measure
 * the policy's own work (for JSON: parsing, symlink aliases, automata; for an image: the
 * checksum and the tables' checks, which read every byte once).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;
	if (n < 1 || argc < 3) {
		fputs("usage: loadtime N FILE...\n", stderr);
		return 64;
	}
	double *t = malloc((size_t)n * sizeof *t);
	for (int a = 2; a < argc; a++) {
		struct stat st;
		if (stat(argv[a], &st) < 0) {
			perror(argv[a]);
			return 66;
		}
		for (int i = 0; i < n; i++) {
			struct fs_config cfg;
			struct fs_errors e;
			double t0 = now_us();
			if (fs_config_load_file(argv[a], NULL, &cfg, &e) < 0) {
				fprintf(stderr, "%s: %s\n", argv[a], e.e[0].message);
				return 78;
			}
			t[i] = now_us() - t0;
			fs_config_free(&cfg);
		}
		qsort(t, (size_t)n, sizeof *t, cmp);
		printf("%s %lld %.1f %.1f\n", argv[a], (long long)st.st_size, t[0], t[n / 2]);
	}
	free(t);
	return 0;
}
