/*
 * explain.c — `fnshield explain`: the library's decision for one call, and why.
 *
 *   fnshield explain [--policy FILE] [--mode alert|block] [--init] [--ip ADDR] [--json]
 *                    [--call NAME] [--dirfd DIR]
 *                    (exec PATH | read PATH | write PATH | connect HOST:PORT | listen ADDR:PORT)
 *
 * The decision is not computed here. The call's facts are gathered with the library's own
 * gatherer (facts/facts.h), from this process's working directory, PATH and file system, as the
 * call would meet them — the program a search would find, both spellings of a path, whether it
 * exists — and the library's own decision procedure (policy/decide.h) decides. What this file
 * adds is presentation: every rule of the category and whether it matches each spelling, so a
 * person sees why the deciding rule decides.
 *
 * A connect to a name: the library knows the names a process resolved to the address it
 * connects to, so `connect NAME:PORT` assumes the process resolved NAME. Which address the name
 * gives is not looked up (the answer depends on where the function runs): address and CIDR
 * rules are evaluated only when --ip says which address it was.
 */
#include "cli.h"
#include "config.h"
#include "decide.h"
#include "facts.h"
#include "jsonw.h"
#include "logline.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int explain_usage(void)
{
	fputs("usage: fnshield explain [--policy FILE] [--mode alert|block] [--init] [--ip ADDR] [--json]\n"
	      "                        [--call NAME] [--dirfd DIR]\n"
	      "                        (exec PATH | read PATH | write PATH | connect HOST:PORT |\n"
	      "                         listen ADDR:PORT)\n"
	      "  Without --policy: the configuration in the environment, as `fnshield check`.\n"
	      "  --init   the Lambda init phase (the policy's \"init\" overrides apply)\n"
	      "  --ip     connect to a name: the address the name resolved to (address rules)\n"
	      "  --call   the entry point: execve, execvp, posix_spawnp, system, … (how a program is\n"
	      "           searched for: execvp for a bare name, else execve); open, fopen (read, write)\n"
	      "  write is an open for writing that may create the file (O_WRONLY|O_CREAT, fopen \"w\")\n"
	      "  --dirfd  the path is relative to a directory descriptor opened on DIR\n"
	      "  --json   one line of JSON: outcome, action, rule, logged, errno\n",
	      stderr);
	return EX_USAGE;
}

struct request {
	const char *policy, *mode, *ip, *call, *dirfd_dir;
	int init, json;
	enum fs_category category;
	const char *target;
};

/* ---- the call's facts, as the library gathers them ------------------------------------------ */

struct explained {
	struct fs_call_facts facts;
	struct facts_paths paths;
	const char *call;
	char program[PATH_MAX]; /* exec: what the search found ("" when nothing can run) */
	/* connect / listen */
	char host[256];         /* the name, lower case; "" for an address */
	const char *names[1];
	int have_ip;
};

static int open_dirfd(const struct request *rq)
{
	if (!rq->dirfd_dir)
		return AT_FDCWD;
	int fd = open(rq->dirfd_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "fnshield explain: --dirfd %s: %s\n", rq->dirfd_dir, strerror(errno));
	return fd;
}

static const char *default_call(const struct request *rq)
{
	if (rq->category == FS_EXEC)
		return rq->dirfd_dir ? "execveat" : strchr(rq->target, '/') ? "execve" : "execvp";
	if (rq->category == FS_CONNECT)
		return "connect";
	if (rq->category == FS_LISTEN)
		return "bind";
	return rq->dirfd_dir ? "openat" : "open";
}

static int gather_path(const struct request *rq, struct explained *x)
{
	int dirfd = open_dirfd(rq);
	if (rq->dirfd_dir && dirfd < 0)
		return EX_USAGE;
	struct fs_path_facts *pf = &x->facts.path;
	if (rq->category == FS_EXEC) {
		enum fs_search s = rq->dirfd_dir ? FS_SEARCH_NONE : fs_exec_search_of(x->call);
		const char *path = rq->target;
		if (!rq->dirfd_dir) {
			int err = fs_find_program(s, rq->target, getenv("PATH"), facts_exec_probe, NULL,
						  x->program, sizeof x->program);
			if (err && (s == FS_SEARCH_PATH && !strchr(rq->target, '/'))) {
				memset(pf, 0, sizeof *pf); /* nothing to run: no path to judge */
				pf->fails = err;
				return 0;
			}
			path = x->program;
		}
		facts_of_path(dirfd, path, 1, FACTS_EXEC, &x->paths, pf);
		if (rq->dirfd_dir && pf->lexical) /* the program execveat runs, by its path */
			snprintf(x->program, sizeof x->program, "%s", pf->lexical);
	} else {
		/* A write as fopen "w" or open(O_WRONLY|O_CREAT) makes it: the file may be new. */
		enum facts_intent intent = rq->category == FS_WRITE ? FACTS_CREATE : FACTS_EXISTING;
		facts_of_path(dirfd, rq->target, 1, intent, &x->paths, pf);
		/* the open family opens a file for writing: a directory fails (EISDIR) */
		facts_confirm_fails(dirfd, rq->target, 1, intent, rq->category == FS_WRITE, &x->paths, pf);
	}
	if (dirfd >= 0)
		close(dirfd);
	return 0;
}

static int gather_address(const struct request *rq, struct explained *x)
{
	struct fs_addr_facts *a = &x->facts.addr;
	const char *arg = rq->target;
	char host[300];
	const char *portp;
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');
		if (!close || close[1] != ':')
			goto bad;
		snprintf(host, sizeof host, "%.*s", (int)(close - arg - 1), arg + 1);
		portp = close + 2;
	} else {
		const char *colon = strrchr(arg, ':');
		if (!colon || strchr(arg, ':') != colon)
			goto bad;
		snprintf(host, sizeof host, "%.*s", (int)(colon - arg), arg);
		portp = colon + 1;
	}
	char *end;
	long port = strtol(portp, &end, 10);
	if (!*portp || *end || port < 1 || port > 65535) {
		fprintf(stderr, "fnshield explain: %s: the port must be 1..65535\n", arg);
		return EX_USAGE;
	}
	a->port = (uint16_t)port;
	if (fs_ip_parse(host, a->ip) == 0) {
		x->have_ip = 1;
	} else if (arg[0] == '[') {
		fprintf(stderr, "fnshield explain: %s: brackets hold an IPv6 address\n", arg);
		return EX_USAGE;
	} else if (rq->category == FS_LISTEN) {
		fprintf(stderr, "fnshield explain: listen takes an address (ADDR:PORT), not a name\n");
		return EX_USAGE;
	} else {
		size_t n = strlen(host);
		if (n && host[n - 1] == '.')
			host[--n] = 0;
		for (size_t i = 0; i < n; i++) {
			char ch = host[i];
			int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
				 ch == '-' || ch == '_' || (ch == '.' && i > 0 && host[i - 1] != '.');
			if (!ok || n >= sizeof x->host) {
				fprintf(stderr, "fnshield explain: \"%s\" is neither an address nor a host name\n", host);
				return EX_USAGE;
			}
			x->host[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
		if (!n)
			goto bad;
		x->names[0] = x->host;
		a->names = x->names;
		a->nnames = 1;
	}
	if (rq->ip) {
		if (!x->host[0] || fs_ip_parse(rq->ip, a->ip) < 0) {
			fprintf(stderr, "fnshield explain: --ip %s: %s\n", rq->ip,
				x->host[0] ? "not an IP address" : "only for a connect to a name");
			return EX_USAGE;
		}
		x->have_ip = 1;
	}
	/* The Runtime API endpoint, read as the library reads it. */
	const char *rapi = getenv("AWS_LAMBDA_RUNTIME_API");
	uint8_t rip[16];
	uint16_t rport;
	a->runtime_api = rq->category == FS_CONNECT && x->have_ip && rapi &&
			 fs_endpoint_parse(rapi, rip, &rport) == 0 && rport == a->port &&
			 !memcmp(rip, a->ip, 16);
	return 0;
bad:
	fprintf(stderr, "fnshield explain: %s: expected HOST:PORT (an IPv6 address in brackets: "
		"[::1]:443)\n", arg);
	return EX_USAGE;
}

/* ---- presentation -------------------------------------------------------------------------- */

static const char *errno_name(int e)
{
	switch (e) {
	case 0: return NULL;
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ENOTDIR: return "ENOTDIR";
	case ELOOP: return "ELOOP";
	case EBADF: return "EBADF";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case EISDIR: return "EISDIR";
	default: return "EOTHER";
	}
}

static const char *outcome_name(int o)
{
	return o == FS_REFUSED ? "refused" : o == FS_FAILS ? "fails" : "proceeds";
}

/* A string field, or null (the log lines' own JSON writer, log/jsonw.h). */
static void json_str(struct jsonw *w, const char *key, const char *v)
{
	if (v)
		jw_str(w, key, v, PATH_MAX * 2);
	else
		jw_raw(w, key, "null");
}

static int differs(const struct fs_path_facts *pf)
{
	return fs_spellings_differ(pf);
}

/* One line of JSON on stdout: what the library would do (see the usage). */
static void print_json(const struct request *rq, const struct explained *x, const struct fs_decision *d,
		       enum fs_mode mode)
{
	const struct fs_path_facts *pf = &x->facts.path;
	char rule[96], ipt[64], buf[4 * PATH_MAX + 1024];
	fs_rule_name(rq->category, d->verdict, rule, sizeof rule);
	int fails = d->outcome == FS_FAILS;
	struct jsonw w;
	jw_init(&w, buf, sizeof buf);
	jw_object_open(&w);
	json_str(&w, "category", fs_category_name(rq->category));
	json_str(&w, "call", x->call);
	if (rq->category == FS_EXEC || rq->category == FS_READ || rq->category == FS_WRITE) {
		json_str(&w, "target", pf->lexical ? pf->lexical : pf->real ? pf->real : rq->target);
		if (differs(pf))
			json_str(&w, "resolved", pf->real);
		if (rq->category == FS_EXEC && x->program[0] && !fails)
			json_str(&w, "program", x->program);
	} else {
		json_str(&w, "target", rq->target);
		if (x->have_ip) {
			fs_ip_text(x->facts.addr.ip, ipt, sizeof ipt);
			json_str(&w, "ip", ipt);
		}
		if (x->host[0])
			json_str(&w, "host", x->host);
		if (x->host[0] && !x->have_ip)
			jw_bool(&w, "address_known", 0);
	}
	json_str(&w, "outcome", outcome_name(d->outcome));
	json_str(&w, "action", fails ? NULL : fs_action_name(d->action));
	json_str(&w, "rule", fails ? NULL : rule);
	jw_bool(&w, "logged", d->logged);
	json_str(&w, "errno", errno_name(d->err));
	json_str(&w, "mode", mode == FS_MODE_BLOCK ? "block" : "alert");
	jw_object_close(&w);
	printf("%.*s\n", (int)w.len, w.buf);
}

/* Is the host of a (valid) connect/listen pattern an address or CIDR block (not a name, not
 * "*")? From its text: this only chooses what to print. */
static int is_address_rule(const char *pat)
{
	if (pat[0] == '[')
		return 1;
	char host[300];
	snprintf(host, sizeof host, "%s", pat);
	char *colon = strchr(host, ':');
	if (colon && strchr(colon + 1, ':'))
		return 1; /* an unbracketed IPv6 address (or block) has several colons */
	if (colon)
		*colon = 0;
	char *slash = strchr(host, '/');
	if (slash)
		*slash = 0;
	uint8_t ip[16];
	return strcmp(host, "*") && fs_ip_parse(host, ip) == 0;
}

/* One pattern alone: does it match? *via_alias: only through its symlink-resolved spelling.
 * Returns 1, 0, or -1 when it cannot be evaluated (an address rule, the address unknown). */
static int rule_matches(enum fs_category c, const char *pat, const char *path,
			const struct explained *x, int *via_alias)
{
	char err[256];
	*via_alias = 0;
	struct fs_policy *one = pattern_compile(c, pat, 1, err, sizeof err);
	if (!one)
		return 0;
	const struct fs_rules *r = fs_policy_rules(one, c, 0);
	int m;
	if (path) {
		m = fs_match_path(r, path, strlen(path)).list == FS_LIST_BLOCK;
		if (m) {
			struct fs_policy *plain = pattern_compile(c, pat, 0, err, sizeof err);
			if (plain) {
				*via_alias = fs_match_path(fs_policy_rules(plain, c, 0), path, strlen(path)).list !=
					     FS_LIST_BLOCK;
				fs_policy_free(plain);
			}
		}
	} else {
		/* An address or CIDR rule cannot be evaluated without the address. */
		static const uint8_t any[16] = {0};
		const struct fs_addr_facts *a = &x->facts.addr;
		if (!x->have_ip && is_address_rule(pat)) {
			fs_policy_free(one);
			return -1;
		}
		m = fs_match_addr(r, x->have_ip ? a->ip : any, a->port, a->names, a->nnames).list ==
		    FS_LIST_BLOCK;
	}
	fs_policy_free(one);
	return m;
}

static const char *list_word(int l)
{
	return l == FS_LIST_DEFAULT ? "default" : fs_action_name(l);
}

/* Every rule of the category, and what it says of one spelling (path) or of the address. The
 * verdict v is the decision procedure's; the rows only say why. Returns how many rules could
 * not be evaluated and could have changed v (an address rule, the address unknown). */
static int print_rules(const struct fs_rules *r, enum fs_category c, int init, const char *path,
		       const struct explained *x, struct fs_verdict v)
{
	char decider[96];
	fs_rule_name(c, v, decider, sizeof decider);
	int unevaluated = 0, wname = 0, wpat = 0;
	for (int l = FS_LIST_ALLOW; l <= FS_LIST_BLOCK; l++)
		for (uint32_t i = 0; i < fs_rules_count(r, l); i++) {
			char name[96];
			struct fs_verdict rv = {.list = (int8_t)l, .init = (int8_t)init, .index = (int32_t)i};
			int n = fs_rule_name(c, rv, name, sizeof name);
			int p = (int)strlen(fs_rules_text(r, l, i)) + 2;
			wname = n > wname ? n : wname;
			wpat = p > wpat ? p : wpat;
		}
	wname = wname < 12 ? 12 : wname;
	wpat = wpat > 48 ? 48 : wpat < 5 ? 5 : wpat;
	for (int l = FS_LIST_ALLOW; l <= FS_LIST_BLOCK; l++) {
		for (uint32_t i = 0; i < fs_rules_count(r, l); i++) {
			char name[96], quoted[300], why[512];
			struct fs_verdict rv = {.list = (int8_t)l, .init = (int8_t)init, .index = (int32_t)i};
			fs_rule_name(c, rv, name, sizeof name);
			const char *pat = fs_rules_text(r, l, i);
			snprintf(quoted, sizeof quoted, "\"%s\"", pat);
			int alias = 0, m = rule_matches(c, pat, path, x, &alias);
			const char *how = alias ? "matches (through its symlink-resolved spelling)" : "matches";
			if (m < 0) {
				snprintf(why, sizeof why, "not evaluated: an address rule, and the address is not "
					 "known (--ip)");
				if (v.list == FS_LIST_DEFAULT || l > v.list)
					unevaluated++;
			} else if (!m) {
				snprintf(why, sizeof why, "does not match");
			} else if (v.list == l && v.index == (int32_t)i) {
				snprintf(why, sizeof why, "%s — decides", how);
			} else if (v.list == l) {
				snprintf(why, sizeof why, "%s too, but %s comes first in the list", how, decider);
			} else if (v.list > l) {
				snprintf(why, sizeof why, "%s, but %s wins over %s (%s)", how, list_word(v.list),
					 list_word(l), decider);
			} else {
				snprintf(why, sizeof why, "%s (the stricter spelling decides: %s)", how, decider);
			}
			printf("  %-*s  %-*s  %s\n", wname, name, wpat, quoted, why);
		}
	}
	char name[96];
	struct fs_verdict dv = {.list = FS_LIST_DEFAULT, .init = (int8_t)init, .index = -1};
	fs_rule_name(c, dv, name, sizeof name);
	char why[160];
	if (v.list != FS_LIST_DEFAULT)
		snprintf(why, sizeof why, "not used: %s matches", decider);
	else
		snprintf(why, sizeof why, "decides: no pattern matches");
	printf("  %-*s  %-*s  %s\n", wname, name, wpat, fs_action_name(fs_rules_default(r)), why);
	return unevaluated;
}

static void say_decision(enum fs_category c, const struct fs_decision *d, enum fs_mode mode,
			 const char *mode_src)
{
	const char *m = mode == FS_MODE_BLOCK ? "block" : "alert";
	const char *err = c == FS_CONNECT || c == FS_LISTEN ? "EPERM" : "EACCES";
	if (d->outcome == FS_FAILS)
		printf("decision: none — the call fails by itself with %s (%s): not a violation, nothing "
		       "is logged, and fnshield does not make the call\n", errno_name(d->err),
		       strerror(d->err));
	else if (d->verdict.action == FS_ALLOW)
		printf("decision: allow (mode %s, %s) — the call goes through; nothing is logged\n", m,
		       mode_src);
	else if (d->verdict.action == FS_ALERT)
		printf("decision: alert (mode %s, %s) — the call goes through and a violation line is "
		       "logged (\"action\":\"alert\", WARN)\n", m, mode_src);
	else if (d->action == FS_ALERT)
		printf("decision: block, which mode alert (%s) turns into alert — the call goes through "
		       "and a violation line is logged (\"action\":\"alert\"); in mode block it would fail "
		       "with %s\n", mode_src, err);
	else
		printf("decision: block (mode block, %s) — the call fails with %s and a violation line "
		       "is logged (\"action\":\"block\", ERROR)\n", mode_src, err);
}

static void say_rule(const struct fs_rules *r, enum fs_category c, struct fs_verdict v,
		     const char *where, int fails)
{
	char rn[96];
	fs_rule_name(c, v, rn, sizeof rn);
	const char *pat = v.index >= 0 ? fs_rules_text(r, v.list, (uint32_t)v.index) : NULL;
	const char *lead = fails ? "rule: none (were it there: " : "rule: ";
	const char *close = fails ? ")" : "";
	if (v.index == FS_RULE_PROTECTED)
		printf("%s%s — writing /proc/PID/mem patches the process's own code; fnshield blocks it "
		       "whatever the policy says (the rules above do not decide)%s\n", lead, rn, close);
	else if (v.index == FS_RULE_UNRESOLVED)
		printf("%s%s — neither spelling of the path can be computed; judged as the strictest rule "
		       "would judge it%s\n", lead, rn, close);
	else if (pat)
		printf("%s%s \"%s\"%s%s\n", lead, rn, pat, where, close);
	else
		printf("%s%s (%s): no pattern of %s matches%s\n", lead, rn,
		       fs_action_name(fs_rules_default(r)), fs_category_name(c), close);
}

static void print_text_path(const struct request *rq, const struct explained *x,
			    const struct fs_decision *d, const struct fs_rules *r, int in_init,
			    enum fs_mode mode, const char *mode_src)
{
	const struct fs_path_facts *pf = &x->facts.path;
	enum fs_category c = rq->category;
	if (c == FS_EXEC && x->program[0] && strcmp(x->program, rq->target))
		printf("  found in PATH: %s\n", x->program);
	if (pf->lexical)
		printf("  as written:  %s%s\n", pf->lexical,
		       strcmp(pf->lexical, x->program[0] ? x->program : rq->target)
			       ? "   (made absolute and normalised, as the library does)" : "");
	if (differs(pf))
		printf("  resolved:    %s   (symbolic links followed: both spellings are judged, and the "
		       "stricter wins)\n", pf->real);
	if (pf->lexical && !strncmp(pf->lexical, "/proc/self", 10) &&
	    (pf->lexical[10] == '/' || !pf->lexical[10]))
		printf("  note: /proc/self is the process that makes the call — here, fnshield explain "
		       "itself (pid %d)\n", (int)getpid());
	if (!pf->lexical && !pf->real) {
		if (d->outcome == FS_FAILS)
			printf("  no such program: nothing in PATH can run \"%s\"\n", rq->target);
		printf("\n");
		say_decision(c, d, mode, mode_src);
		return;
	}
	struct fs_verdict v = fs_decide_path_verdict(r, c, pf);
	struct fs_path_facts one = {.lexical = pf->lexical, .lexical_len = pf->lexical_len};
	struct fs_verdict vl = pf->lexical ? fs_decide_path_verdict(r, c, &one) : v;
	char rn[96];
	if (pf->lexical) {
		fs_rule_name(c, vl, rn, sizeof rn);
		printf("\n%s%s → %s, by %s\n", differs(pf) ? "as written " : "", pf->lexical,
		       fs_action_name(vl.action), rn);
		print_rules(r, c, in_init, pf->lexical, x, vl);
	}
	if (differs(pf) || !pf->lexical) {
		struct fs_path_facts two = {.lexical = pf->real, .lexical_len = pf->real_len};
		struct fs_verdict vr = fs_decide_path_verdict(r, c, &two);
		fs_rule_name(c, vr, rn, sizeof rn);
		printf("\nresolved %s → %s, by %s\n", pf->real, fs_action_name(vr.action), rn);
		print_rules(r, c, in_init, pf->real, x, vr);
	}
	printf("\n");
	say_decision(c, d, mode, mode_src);
	int same = v.list == vl.list && v.index == vl.index;
	say_rule(r, c, v, differs(pf) ? (same ? " (on the path as written)"
					      : " (on the resolved path: the stricter spelling wins)")
				      : "",
		 d->outcome == FS_FAILS);
}

static void print_text_address(const struct request *rq, const struct explained *x,
			       const struct fs_decision *d, const struct fs_rules *r, int in_init,
			       enum fs_mode mode, const char *mode_src)
{
	enum fs_category c = rq->category;
	char ipt[64] = "";
	if (x->have_ip)
		fs_ip_text(x->facts.addr.ip, ipt, sizeof ipt);
	if (x->host[0])
		printf("  name:        %s — assumed resolved by the process (getaddrinfo), so name "
		       "rules apply\n  address:     %s\n", x->host,
		       x->have_ip ? ipt : "not given (--ip): address and CIDR rules are not evaluated");
	else
		printf("  address:     %s, port %u%s\n", ipt, x->facts.addr.port,
		       c == FS_CONNECT ? " (no name: name rules apply only to addresses the process "
					 "resolved from a matching name)" : "");
	if (x->facts.addr.runtime_api)
		printf("  note: this is the Lambda Runtime API endpoint (AWS_LAMBDA_RUNTIME_API): "
		       "always allowed, whatever the rules say\n");
	struct fs_verdict v = d->verdict;
	char rn[96];
	fs_rule_name(c, v, rn, sizeof rn);
	printf("\n%s → %s, by %s\n", rq->target, fs_action_name(v.action), rn);
	int unevaluated = print_rules(r, c, in_init, NULL, x, v);
	printf("\n");
	say_decision(c, d, mode, mode_src);
	say_rule(r, c, v, "", 0);
	if (unevaluated)
		printf("note: %d address rule%s not evaluated could change this decision, depending "
		       "on the address the name resolves to (--ip ADDR)\n", unevaluated,
		       unevaluated == 1 ? "" : "s");
}

/* ---- the command --------------------------------------------------------------------------- */

static int parse_request(int argc, char **argv, struct request *rq)
{
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--policy") && next)
			rq->policy = argv[++i];
		else if (!strcmp(a, "--mode") && next)
			rq->mode = argv[++i];
		else if (!strcmp(a, "--ip") && next)
			rq->ip = argv[++i];
		else if (!strcmp(a, "--call") && next)
			rq->call = argv[++i];
		else if (!strcmp(a, "--dirfd") && next)
			rq->dirfd_dir = argv[++i];
		else if (!strcmp(a, "--init"))
			rq->init = 1;
		else if (!strcmp(a, "--json"))
			rq->json = 1;
		else if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			explain_usage();
			return 0;
		} else if (a[0] == '-')
			return explain_usage();
		else
			break;
	}
	if (argc - i != 2)
		return explain_usage();
	int c = fs_category_of(argv[i]);
	if (c < 0) {
		fprintf(stderr, "fnshield explain: unknown category \"%s\": expected exec, read, write, "
			"connect or listen\n", argv[i]);
		return EX_USAGE;
	}
	rq->category = (enum fs_category)c;
	rq->target = argv[i + 1];
	return -1;
}

/* The policy, as the library would load it. */
static int load_policy(const struct request *rq, struct fs_config *cfg)
{
	const char *mode_env = rq->mode ? rq->mode : getenv("FNSHIELD_MODE");
	const char *file = rq->policy ? rq->policy : getenv("FNSHIELD_POLICY_FILE");
	const char *env = rq->policy ? NULL : getenv("FNSHIELD_POLICY");
	struct fs_errors errs;
	if (fs_config_load(env, file, mode_env, NULL, cfg, &errs) == 0)
		return 0;
	char source[PATH_MAX + 8];
	fs_config_source_label(env, file, source, sizeof source);
	int n = errs.count < FS_MAX_ERRORS ? errs.count : FS_MAX_ERRORS;
	for (int k = 0; k < n; k++) {
		char msg[512];
		snprintf(msg, sizeof msg, "invalid fnshield configuration: %s", errs.e[k].message);
		log_error(msg, errs.e[k].path[0] ? errs.e[k].path : NULL, errs.e[k].line,
			  errs.e[k].column, source);
	}
	return EX_CONFIG;
}

int cmd_explain(int argc, char **argv)
{
	struct request rq = {0};
	int r = parse_request(argc, argv, &rq);
	if (r >= 0)
		return r;
	struct fs_config cfg;
	if ((r = load_policy(&rq, &cfg)))
		return r;

	static struct explained x;
	memset(&x, 0, sizeof x);
	x.call = rq.call ? rq.call : default_call(&rq);
	x.facts.category = rq.category;
	int has_override = fs_policy_has_override(cfg.policy, rq.category);
	x.facts.in_init = rq.init;
	int is_path = rq.category == FS_EXEC || rq.category == FS_READ || rq.category == FS_WRITE;
	r = is_path ? gather_path(&rq, &x) : gather_address(&rq, &x);
	if (r) {
		fs_config_free(&cfg);
		return r;
	}
	struct fs_decision d = fs_decide(cfg.policy, &x.facts);

	if (rq.json) {
		print_json(&rq, &x, &d, cfg.mode);
	} else {
		char source[PATH_MAX + 8];
		fs_config_source_name(&cfg, source, sizeof source);
		const char *mode_src = rq.mode ? "from --mode"
				       : cfg.mode_overridden ? "from FNSHIELD_MODE" : "from the policy";
		const char *cat = fs_category_name(rq.category);
		printf("%s %s\n", cat, rq.target);
		printf("  policy:      %s (mode %s, %s)\n", source,
		       cfg.mode == FS_MODE_BLOCK ? "block" : "alert", mode_src);
		if (rq.init && !has_override)
			printf("  note: the policy has no init override for %s: the same rules apply during "
			       "init\n", cat);
		else if (!rq.init && has_override)
			printf("  note: during the Lambda init phase, init.%s applies instead (add --init)\n",
			       cat);
		const struct fs_rules *rules = fs_policy_rules(cfg.policy, rq.category, rq.init);
		int in_init = rq.init && has_override;
		if (is_path)
			print_text_path(&rq, &x, &d, rules, in_init, cfg.mode, mode_src);
		else
			print_text_address(&rq, &x, &d, rules, in_init, cfg.mode, mode_src);
	}
	fs_config_free(&cfg);
	return fflush(stdout) == 0 ? 0 : 74;
}
