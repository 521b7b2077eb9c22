/*
 * matcher.c — the policy library alone: what deciding one path costs, by number of rules.
 *
 * Links build/libpolicy.a (the same objects as the preload library) and times, with no system
 * call anywhere in the loop, exactly the work fnshield's open hook does on the path: one pass
 * over an absolute path already in normal form (fs_match_normal_path), else lexical
 * normalisation (fs_path_normalise) and one DFA walk (fs_match_path). Also reports how long a
 * policy takes to compile (every protected process pays that once, at load) and the size of
 * the automaton.
 *
 *   matcher time  N POLICY.json...  N decisions per (policy, probe), in 50 batches (the policies
 *                                   take turns batch by batch), and N normalisations alone per
 *                                   probe; one JSON object per (policy, probe) on stdout
 *   matcher count N POLICY.json...  N decisions per probe between bench_marker() calls, for
 *                                   bench/icount
 *
 * Probes use $BENCH_DIR like bench/micro.c.
 */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

__attribute__((noinline)) void bench_marker(void)
{
	__asm__ volatile("int3" ::: "memory");
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

struct probe {
	const char *name;
	enum fs_category cat;
	const char *base; /* NULL: absolute */
	char path[1024];
};

/* One decision as the open hook makes it: an absolute path already in normal form is judged
 * in one pass over the program's own string; any other is normalised, then matched. */
static volatile int sink;
static inline void decide(const struct fs_rules *r, const struct probe *p)
{
	struct fs_verdict v;
	if (p->base || fs_match_normal_path(r, p->path, 2 * 4096 + 2, &v) < 0) {
		char out[4096];
		long n = fs_path_normalise(p->base, p->path, out, sizeof out);
		v = fs_match_path(r, out, (size_t)n);
	}
	sink += v.action;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "time") && strcmp(argv[1], "count"))) {
		fprintf(stderr, "usage: matcher time|count N POLICY.json...\n");
		return 2;
	}
	const char *dir = getenv("BENCH_DIR");
	if (!dir) {
		fprintf(stderr, "matcher: set BENCH_DIR\n");
		return 2;
	}
	int counting = !strcmp(argv[1], "count");
	long ndec = atol(argv[2]);
	enum { BATCHES = 50 };
	long batch = ndec / BATCHES > 0 ? ndec / BATCHES : 1;
	struct probe probes[] = {
		{"read_short", FS_READ, NULL, ""},
		{"read_long", FS_READ, NULL, ""},
		{"read_rel", FS_READ, dir, "a.txt"},
		{"read_python", FS_READ, NULL, "/usr/lib/python3.11/json/__pycache__/decoder.cpython-311.pyc"},
		{"write_short", FS_WRITE, NULL, ""},
		{"exec_short", FS_EXEC, NULL, ""},
	};
	int nprobes = (int)(sizeof probes / sizeof probes[0]);
	snprintf(probes[0].path, sizeof probes[0].path, "%s/a.txt", dir);
	snprintf(probes[1].path, sizeof probes[1].path,
		 "%s/node_modules/@aws-sdk/client-secrets-manager/node_modules/@smithy/middleware-endpoint/"
		 "dist-cjs/adaptors/getEndpointFromInstructions/index.js", dir);
	snprintf(probes[4].path, sizeof probes[4].path, "%s/w.log", dir);
	snprintf(probes[5].path, sizeof probes[5].path, "%s/noexec", dir);

	enum { MAXPOL = 16 };
	int npol = argc - 3 < MAXPOL ? argc - 3 : MAXPOL;
	struct fs_policy *pols[MAXPOL];
	double compile_ms[MAXPOL];
	for (int a = 0; a < npol; a++) {
		size_t len;
		char *text = slurp(argv[a + 3], &len);
		struct fs_compile_options opts = {.mode_override = -1, .resolve_aliases = 1};
		struct fs_errors errs;
		double ct[5];
		pols[a] = NULL;
		for (int k = 0; k < 5; k++) {
			if (pols[a])
				fs_policy_free(pols[a]);
			double t0 = now_ns();
			pols[a] = fs_policy_compile(text, len, &opts, &errs);
			ct[k] = (now_ns() - t0) / 1e6;
			if (!pols[a]) {
				fprintf(stderr, "matcher: %s: %s\n", argv[a + 3], errs.e[0].message);
				return 2;
			}
		}
		qsort(ct, 5, sizeof ct[0], cmp_d);
		compile_ms[a] = ct[2];
		free(text);
	}

	if (counting) {
		for (int a = 0; a < npol; a++)
			for (int i = 0; i < nprobes; i++) {
				const struct probe *p = &probes[i];
				const struct fs_rules *r = fs_policy_rules(pols[a], p->cat, 0);
				for (int k = 0; k < 3; k++)
					decide(r, p);
				printf("%s %s %s %ld\n", argv[a + 3], p->name, "match", ndec);
				fflush(stdout);
				bench_marker();
				for (long k = 0; k < ndec; k++)
					decide(r, p);
				bench_marker();
			}
		return 0;
	}

	/* Timing: per probe, the policies take turns batch by batch (the starting one rotates), so
	 * that a busy moment of the machine falls on all of them, not on whichever ran then. */
	for (int i = 0; i < nprobes; i++) {
		const struct probe *p = &probes[i];
		static double ns[MAXPOL][BATCHES], nn[BATCHES];
		for (int a = 0; a < npol; a++)
			for (int k = 0; k < 1000; k++)
				decide(fs_policy_rules(pols[a], p->cat, 0), p);
		for (int b = 0; b < BATCHES; b++) {
			for (int j = 0; j < npol; j++) {
				int a = (j + b) % npol;
				const struct fs_rules *r = fs_policy_rules(pols[a], p->cat, 0);
				double t0 = now_ns();
				for (long k = 0; k < batch; k++)
					decide(r, p);
				ns[a][b] = (now_ns() - t0) / (double)batch;
			}
			double t1 = now_ns();
			for (long k = 0; k < batch; k++) { /* normalisation alone: the same for every policy */
				char o2[4096];
				sink += (int)fs_path_normalise(p->base, p->path, o2, sizeof o2);
			}
			nn[b] = (now_ns() - t1) / (double)batch;
		}
		qsort(nn, BATCHES, sizeof nn[0], cmp_d);
		for (int a = 0; a < npol; a++) {
			const struct fs_rules *r = fs_policy_rules(pols[a], p->cat, 0);
			char out[4096];
			long n = fs_path_normalise(p->base, p->path, out, sizeof out);
			size_t steps = 0;
			struct fs_verdict v = fs_match_path_steps(r, out, (size_t)n, &steps);
			struct fs_rules_stats st;
			fs_rules_stats(r, &st);
			double sorted[BATCHES];
			memcpy(sorted, ns[a], sizeof sorted);
			qsort(sorted, BATCHES, sizeof sorted[0], cmp_d);
			printf("{\"policy\":\"%s\",\"probe\":\"%s\",\"path_len\":%ld,\"action\":%d,"
			       "\"dfa_steps\":%zu,\"patterns\":%u,\"dfa_states\":%u,\"dfa_classes\":%u,"
			       "\"table_bytes\":%zu,\"compile_ms_median\":%.3f,\"calls\":%ld,"
			       "\"ns_median\":%.2f,\"ns_p25\":%.2f,\"ns_p75\":%.2f,\"normalise_ns_median\":%.2f,"
			       "\"ns_batches\":[",
			       argv[a + 3], p->name, n, v.action, steps, st.patterns, st.dfa_states, st.dfa_classes,
			       st.bytes, compile_ms[a], BATCHES * batch, sorted[BATCHES / 2], sorted[BATCHES / 4],
			       sorted[3 * BATCHES / 4], nn[BATCHES / 2]);
			for (int b = 0; b < BATCHES; b++) /* in time order: batch b of every policy ran together */
				printf("%s%.2f", b ? "," : "", ns[a][b]);
			printf("]}\n");
		}
		fflush(stdout);
	}
	for (int a = 0; a < npol; a++)
		fs_policy_free(pols[a]);
	return 0;
}
