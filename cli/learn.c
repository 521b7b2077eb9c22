/*
 * learn.c — `fnshield learn`: from the violation lines of alert-mode runs to the least-privilege
 * policy that lets everything seen through and keeps blocking the rest.
 *
 *   fnshield learn [--from POLICY | --lines-only] [--wildcard-threshold N] [--package NAME]
 *                  [FILE...]
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
 * Who needed what: each allow rule in the summary on stderr names the packages whose calls
 * needed it (the lines' "origin"); --package NAME learns from that package's calls alone.
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
 *
 * Where each step is: cli/learn.h.
 */
#include "learn.h"
#include "logread.h"

#include <errno.h>
#include <stdlib.h>

static int learn_usage(void)
{
	fputs("usage: fnshield learn [--from STAGING_POLICY | --lines-only] [--wildcard-threshold N]\n"
	      "                      [--package NAME] [FILE...]\n"
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
	      "                         *.domain:PORT (default 5; 0: never)\n"
	      "  --package NAME         learn only from the calls of that package (the lines'\n"
	      "                         origin.package: a Python package, an npm module, a jar)\n",
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
		} else if (!strcmp(argv[i], "--package") && i + 1 < argc) {
			L.package = argv[++i];
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
		int r = staging_from_file(&L);
		if (r)
			return r;
	}

	L.inputs = argc > i ? argc - i : 1;
	struct logread r = learn_reader(&L);
	int st = logread_files(&r, argv + i, argc - i, "learn");
	if (st)
		return st;

	staging_against_starts(&L, !no_discover);
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
	choose_rules(&L);
	cJSON *root = build_policy(&L);
	struct sb out = {0};
	policy_format(&out, root);
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
