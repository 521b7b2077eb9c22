/*
 * fnshield — the command-line tool.
 *
 *   fnshield check [FILE]
 *       Validate a policy file, or with no FILE the configuration in the environment
 *       (FNSHIELD_POLICY / FNSHIELD_POLICY_FILE / FNSHIELD_MODE) exactly as the library will
 *       read it. Exit 0, or 78 with every error as a "fnshield":"error" line on stderr.
 *   fnshield check --print [FILE]
 *       The same, then the policy in force as fnshield JSON on stdout (a FunctionShield policy
 *       as its translation; cli/explain.c).
 *   fnshield run [--policy FILE] [--mode alert|block] -- CMD [ARG...]
 *       Run a command under the shim: for trying a policy on a laptop or in CI.
 *   fnshield learn ...    cli/learn.c          fnshield explain ...    cli/explain.c
 *   fnshield report ...   cli/report.c
 */
#include "cli.h"
#include "config.h"
#include "logline.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The CLI's lines are the library's (log/logline.c), about the CLI itself: its pid and
 * executable, no Lambda fields; on stderr. */
static char g_exe[PATH_MAX];

void log_error(const char *message, const char *json_path, int line, int column,
	       const char *source)
{
	const struct log_context c = {.pid = getpid(), .exe = g_exe};
	char buf[LOGLINE_MAX];
	size_t n = logline_format_error(&c, message, json_path, line, column, source, buf,
					sizeof buf);
	if (write(2, buf, n) < 0) {
		/* nowhere else to say it */
	}
}

static int usage(void)
{
	fputs("usage: fnshield check [--print] [FILE]\n"
	      "       fnshield compile POLICY [-o OUT.fnsp]\n"
	      "       fnshield run [--policy FILE] [--mode alert|block] -- CMD [ARG...]\n"
	      "       fnshield learn [--from POLICY] [--wildcard-threshold N] [--package NAME] [FILE...]\n"
	      "       fnshield report [--by package|function|category|target] [--json] [FILE...]\n"
	      "       fnshield explain [--policy FILE] [--mode M] [--init] [--ip ADDR] \\\n"
	      "                        (exec PATH | read PATH | write PATH | connect HOST:PORT | listen ADDR:PORT)\n",
	      stderr);
	return EX_USAGE;
}

static void print_errors(const struct fs_errors *errs, const char *source, int all)
{
	int n = errs->count < FS_MAX_ERRORS ? errs->count : FS_MAX_ERRORS;
	for (int i = 0; i < (all ? n : 1); i++) {
		const struct fs_error *e = &errs->e[i];
		char msg[512];
		snprintf(msg, sizeof msg, "invalid fnshield configuration: %s", e->message);
		log_error(msg, e->path[0] ? e->path : NULL, e->line, e->column, source);
	}
	if (all && errs->count > n)
		fprintf(stderr, "fnshield: %d more errors not shown\n", errs->count - n);
}

static int cmd_check(int argc, char **argv)
{
	struct fs_config cfg;
	struct fs_errors errs;
	char source[PATH_MAX + 8] = "";
	int r;
	int print = argc >= 2 && !strcmp(argv[1], "--print");
	if (print) {
		argc--;
		argv++;
	}
	if (argc > 2)
		return usage();
	if (argc == 2) {
		fs_config_source_label(NULL, argv[1], source, sizeof source);
		r = fs_config_load_file(argv[1], getenv("FNSHIELD_MODE"), &cfg, &errs);
	} else {
		const char *file = getenv("FNSHIELD_POLICY_FILE"), *env = getenv("FNSHIELD_POLICY");
		fs_config_source_label(env, file, source, sizeof source);
		r = fs_config_load(env, file, getenv("FNSHIELD_MODE"), NULL, &cfg, &errs);
	}
	if (r < 0) {
		print_errors(&errs, source, 1);
		return EX_CONFIG;
	}
	fs_config_source_name(&cfg, source, sizeof source);
	fprintf(print ? stderr : stdout, "fnshield: policy ok: %s, mode %s, sha256 %s\n", source,
		cfg.mode == FS_MODE_BLOCK ? "block" : "alert", cfg.digest);
	/* A compiled policy: is it the one this machine would compile? */
	char what[256];
	if (cfg.note[0])
		fprintf(stderr, "fnshield: warning: %s: compiled on another machine (%s); the library "
				"compiles it again at every start here: run `fnshield compile` on this "
				"machine\n", source, cfg.note);
	else if (!fs_policy_aliases_hold(cfg.policy, 1, what, sizeof what))
		fprintf(stderr, "fnshield: warning: %s: compiled on another machine (%s); the library "
				"uses it as compiled, without that alias: run `fnshield compile` on this "
				"machine\n", source, what);
	int r2 = print ? print_policy_in_force(cfg.policy, cfg.mode) : 0;
	fs_config_free(&cfg);
	return r2;
}

/* libfnshield.so next to this binary (build/), or in ../lib (the layer's /opt/fnshield). */
static int find_library(char *out, size_t cap)
{
	const char *env = getenv("FNSHIELD_LIB");
	if (env)
		return snprintf(out, cap, "%s", env) < (int)cap && access(out, R_OK) == 0;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return 0;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	*slash = 0;
	static const char *const rel[] = {"/libfnshield.so", "/../lib/libfnshield.so"};
	for (size_t i = 0; i < 2; i++) {
		char p[PATH_MAX + 32];
		snprintf(p, sizeof p, "%s%s", exe, rel[i]);
		if (realpath(p, out) && access(out, R_OK) == 0)
			return 1;
	}
	return 0;
}

/* --policy FILE. A regular file is passed on by path (children re-read it, checking its
 * digest); anything else (a pipe: `--policy <(generate)`, /dev/stdin) can be read only once,
 * so its text is passed on in FNSHIELD_POLICY instead. */
#define INLINE_POLICY_MAX (100u << 10) /* well under the kernel's 128 KB per variable */
static int use_policy_file(const char *p)
{
	struct stat st;
	char abs[PATH_MAX];
	unsetenv("FNSHIELD_POLICY");
	unsetenv("FNSHIELD_POLICY_FILE");
	if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
		setenv("FNSHIELD_POLICY_FILE", realpath(p, abs) ? abs : p, 1);
		return 0;
	}
	size_t len = 0;
	int err = 0;
	char *text = fs_read_file(p, INLINE_POLICY_MAX + 1, &len, &err);
	if (text && fs_image_is(text, len)) { /* bytes no environment variable can carry */
		char msg[PATH_MAX + 128];
		snprintf(msg, sizeof msg, "invalid fnshield configuration: %s is a compiled policy read "
			 "from a pipe; give it as a file", p);
		log_error(msg, NULL, 0, 0, NULL);
		free(text);
		return -1;
	}
	if (!text || len > INLINE_POLICY_MAX) {
		char msg[PATH_MAX + 128];
		snprintf(msg, sizeof msg, "invalid fnshield configuration: cannot read policy %s: %s", p,
			 !text ? strerror(err) : "a policy read from a pipe must be under 100 KB; write it to a file");
		log_error(msg, NULL, 0, 0, NULL);
		free(text);
		return -1;
	}
	setenv("FNSHIELD_POLICY", text, 1);
	free(text);
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	int i = 1;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--policy") && i + 1 < argc) {
			if (use_policy_file(argv[++i]) < 0)
				return EX_CONFIG;
		} else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			setenv("FNSHIELD_MODE", argv[++i], 1);
		} else if (argv[i][0] == '-') {
			return usage();
		} else {
			break;
		}
	}
	if (i >= argc)
		return usage();

	/* Refuse here what the library would refuse at load, with the same one line. */
	struct fs_config cfg;
	struct fs_errors errs;
	const char *file = getenv("FNSHIELD_POLICY_FILE"), *env = getenv("FNSHIELD_POLICY");
	char source[PATH_MAX + 8];
	fs_config_source_label(env, file, source, sizeof source);
	if (fs_config_load(env, file, getenv("FNSHIELD_MODE"), NULL, &cfg, &errs) < 0) {
		print_errors(&errs, source, 0);
		return EX_CONFIG;
	}
	fs_config_free(&cfg);

	char lib[PATH_MAX];
	if (!find_library(lib, sizeof lib)) {
		fputs("fnshield: cannot find libfnshield.so (set FNSHIELD_LIB)\n", stderr);
		return EX_CONFIG;
	}
	const char *cur = getenv("LD_PRELOAD");
	char *preload;
	if (asprintf(&preload, "%s%s%s", lib, cur && *cur ? ":" : "", cur && *cur ? cur : "") < 0)
		return 71;
	setenv("LD_PRELOAD", preload, 1);
	/* A new protected tree: no inherited log descriptor or digest from an outer one. */
	unsetenv("_FNSHIELD_LOG_FD");
	unsetenv("_FNSHIELD_POLICY_SHA256");

	execvp(argv[i], argv + i);
	int e = errno;
	fprintf(stderr, "fnshield: cannot run %s: %s\n", argv[i], strerror(e));
	return e == ENOENT ? 127 : 126;
}

int main(int argc, char **argv)
{
	ssize_t n = readlink("/proc/self/exe", g_exe, sizeof g_exe - 1);
	g_exe[n > 0 ? n : 0] = 0;
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "compile"))
		return cmd_compile(argc - 1, argv + 1);
	if (!strcmp(argv[1], "learn"))
		return cmd_learn(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(argv[1], "explain"))
		return cmd_explain(argc - 1, argv + 1);
	if (!strcmp(argv[1], "supervise"))
		return cmd_supervise(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		puts("fnshield 0.1.0");
		return 0;
	}
	return usage();
}
