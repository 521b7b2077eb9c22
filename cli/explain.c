/*
 * explain.c — `fnshield explain` and `fnshield check --print`.
 *
 *   fnshield explain [--policy FILE] [--mode alert|block] [--init] [--ip ADDR]
 *                    (exec PATH | read PATH | write PATH | connect HOST:PORT | listen ADDR:PORT)
 *
 * Says what the shim would decide for one call, which rule decides, and why every other rule of
 * the category does not: the decision is computed twice, once by the policy's own matcher
 * (fs_match_path / fs_match_addr, exactly what the shim runs) and once from every pattern
 * compiled alone (pattern_compile), and the two must agree. Paths are spelt as the shim spells
 * them: made absolute against the working directory and normalised (fs_path_normalise), and
 * resolved through symbolic links (realpath); both spellings are judged and the stricter wins.
 * A program named without a '/' is looked up in PATH, as execvp would.
 *
 * A connect to a name: the shim knows the names a process resolved to the address it connects
 * to, so `connect NAME:PORT` assumes the process resolved NAME. Which address the name gives is
 * not looked up (the answer depends on where the function runs): address and CIDR rules are
 * evaluated only when --ip says which address it was.
 */
#include "cli.h"
#include "config.h"
#include "functionshield.h"
#include "logline.h"

#include "cJSON.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- shared helpers ------------------------------------------------------------------------ */

int category_of(const char *name)
{
	for (int c = 0; c < FS_NCATEGORIES; c++)
		if (!strcmp(name, fs_category_name((enum fs_category)c)))
			return c;
	return -1;
}

int parse_ip(const char *s, uint8_t ip[16])
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &a4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		memcpy(ip, &a6, 16);
		return 0;
	}
	return -1;
}

struct fs_policy *pattern_compile(enum fs_category c, const char *pattern, int resolve_aliases,
				  char *err, size_t errcap)
{
	cJSON *root = cJSON_CreateObject(), *cat = cJSON_CreateObject(), *list = cJSON_CreateArray();
	cJSON_AddNumberToObject(root, "version", 1);
	cJSON_AddStringToObject(cat, "default", "allow");
	cJSON_AddItemToArray(list, cJSON_CreateString(pattern));
	cJSON_AddItemToObject(cat, "block", list);
	cJSON_AddItemToObject(root, fs_category_name(c), cat);
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!text) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	struct fs_compile_options opts = {.mode_override = FS_MODE_BLOCK,
					  .resolve_aliases = resolve_aliases};
	struct fs_errors errs;
	struct fs_policy *p = fs_policy_compile(text, strlen(text), &opts, &errs);
	free(text);
	if (!p)
		snprintf(err, errcap, "%s", errs.count ? errs.e[0].message : "invalid pattern");
	return p;
}

char *policy_text_fnshield(const char *text, size_t len, size_t *outlen, int *was_functionshield)
{
	struct fs_errors errs = {0};
	char *out = NULL;
	size_t n = 0;
	int r = fs_functionshield_translate(text, len, &out, &n, &errs);
	*was_functionshield = r > 0;
	if (r < 0) {
		fprintf(stderr, "fnshield: invalid FunctionShield policy: %s\n",
			errs.count ? errs.e[0].message : "?");
		return NULL;
	}
	if (r > 0) {
		*outlen = n;
		return out;
	}
	out = malloc(len + 1);
	if (!out)
		return NULL;
	memcpy(out, text, len);
	out[len] = 0;
	*outlen = len;
	return out;
}

/* ---- check --print ------------------------------------------------------------------------- */

int print_policy_in_force(const char *path, enum fs_mode mode)
{
	const char *file = path ? path : getenv("FNSHIELD_POLICY_FILE");
	const char *env = path ? NULL : getenv("FNSHIELD_POLICY");
	char *text = NULL;
	size_t len = 0;
	if (file) {
		int err = 0;
		text = fs_read_file(file, FS_POLICY_FILE_MAX, &len, &err);
		if (!text) {
			fprintf(stderr, "fnshield: cannot read %s: %s\n", file, strerror(err));
			return EX_CONFIG;
		}
	} else {
		const char *src = env ? env : fs_default_policy_json;
		len = strlen(src);
		text = strdup(src);
	}
	int fsh = 0;
	size_t flen = 0;
	char *ftext = text ? policy_text_fnshield(text, len, &flen, &fsh) : NULL;
	free(text);
	cJSON *root = ftext ? cJSON_ParseWithLength(ftext, flen) : NULL;
	free(ftext);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		fputs("fnshield: cannot print the policy\n", stderr);
		return EX_CONFIG;
	}
	/* The mode in force (FNSHIELD_MODE overrides the policy's), right after "version". */
	const char *m = mode == FS_MODE_BLOCK ? "block" : "alert";
	cJSON *out = cJSON_CreateObject();
	int placed = 0;
	if (!cJSON_GetObjectItemCaseSensitive(root, "version")) {
		cJSON_AddNumberToObject(out, "version", 1);
		cJSON_AddStringToObject(out, "mode", m);
		placed = 1;
	}
	while (root->child) {
		cJSON *item = cJSON_DetachItemViaPointer(root, root->child);
		if (!strcmp(item->string, "mode")) {
			cJSON_Delete(item);
			continue;
		}
		int is_version = !strcmp(item->string, "version");
		cJSON_AddItemToObject(out, item->string, item);
		if (is_version && !placed) {
			cJSON_AddStringToObject(out, "mode", m);
			placed = 1;
		}
	}
	cJSON_Delete(root);
	root = out;
	if (fsh)
		fputs("fnshield: a FunctionShield policy; printed as its fnshield translation\n", stderr);
	policy_print(stdout, root);
	cJSON_Delete(root);
	return fflush(stdout) == 0 ? 0 : 74;
}

/* ---- explain ------------------------------------------------------------------------------- */

static int explain_usage(void)
{
	fputs("usage: fnshield explain [--policy FILE] [--mode alert|block] [--init] [--ip ADDR]\n"
	      "                        (exec PATH | read PATH | write PATH | connect HOST:PORT |\n"
	      "                         listen ADDR:PORT)\n"
	      "  Without --policy: the configuration in the environment, as `fnshield check`.\n"
	      "  --init   the Lambda init phase (the policy's \"init\" overrides apply)\n"
	      "  --ip     connect to a name: the address the name resolved to (address rules)\n",
	      stderr);
	return EX_USAGE;
}

/* What the target of a connect/listen is. */
struct net_target {
	char host[256];  /* name, lower case, no trailing dot; "" when an address was given */
	uint8_t ip[16];
	int have_ip;
	unsigned port;
};

enum pat_kind { PK_NAME, PK_ADDR, PK_ANY };

/* Name, address/CIDR, or "*" — from the text of a (valid) connect/listen pattern. */
static enum pat_kind pattern_kind(const char *pat)
{
	if (pat[0] == '[')
		return PK_ADDR;
	char host[300];
	snprintf(host, sizeof host, "%s", pat);
	char *colon = strchr(host, ':');
	if (colon && strchr(colon + 1, ':'))
		return PK_ADDR; /* an unbracketed IPv6 address (or block) has several colons */
	if (colon)
		*colon = 0; /* HOST:PORT */
	if (!strcmp(host, "*"))
		return PK_ANY;
	char *slash = strchr(host, '/');
	if (slash)
		*slash = 0;
	uint8_t ip[16];
	return parse_ip(host, ip) == 0 ? PK_ADDR : PK_NAME;
}

/* One pattern alone: does it match? *via_alias: only through its symlink-resolved spelling.
 * Returns 1, 0, or -1 when it cannot be evaluated (an address rule, the address unknown). */
static int rule_matches(enum fs_category c, const char *pat, const char *path,
			const struct net_target *t, int *via_alias)
{
	char err[256];
	*via_alias = 0;
	if (path) {
		struct fs_policy *one = pattern_compile(c, pat, 1, err, sizeof err);
		if (!one)
			return 0;
		int m = fs_match_path(fs_policy_rules(one, c, 0), path, strlen(path)).list == FS_LIST_BLOCK;
		fs_policy_free(one);
		if (m) {
			struct fs_policy *plain = pattern_compile(c, pat, 0, err, sizeof err);
			if (plain) {
				*via_alias = fs_match_path(fs_policy_rules(plain, c, 0), path, strlen(path)).list !=
					     FS_LIST_BLOCK;
				fs_policy_free(plain);
			}
		}
		return m;
	}
	enum pat_kind k = pattern_kind(pat);
	if (k == PK_ADDR && !t->have_ip)
		return -1;
	struct fs_policy *one = pattern_compile(c, pat, 0, err, sizeof err);
	if (!one)
		return 0;
	static const uint8_t any[16] = {0};
	const char *names[1] = {t->host};
	int nn = t->host[0] ? 1 : 0;
	int m = fs_match_addr(fs_policy_rules(one, c, 0), t->have_ip ? t->ip : any, (uint16_t)t->port,
			      names, nn).list == FS_LIST_BLOCK;
	fs_policy_free(one);
	return m;
}

struct rule_row {
	char name[64];
	const char *pattern;  /* NULL for the default */
	int list, index;
	int match;            /* 1, 0, -1 (not evaluated) */
	int via_alias;
};

#define MAX_ROWS 4096

/* Evaluate one spelling against every rule; fills rows (allow, alert, block lists, then the
 * default) and returns the verdict computed from them. */
static struct fs_verdict evaluate(const struct fs_rules *r, enum fs_category c, int init,
				  const char *path, const struct net_target *t,
				  struct rule_row *rows, int *nrows, int *unevaluated)
{
	struct fs_verdict v = {.action = (int8_t)fs_rules_default(r), .list = FS_LIST_DEFAULT,
			       .init = (int8_t)init, .index = -1};
	int n = 0;
	*unevaluated = 0;
	for (int l = FS_LIST_ALLOW; l <= FS_LIST_BLOCK; l++) {
		uint32_t cnt = fs_rules_count(r, l);
		for (uint32_t i = 0; i < cnt && n < MAX_ROWS - 1; i++) {
			struct rule_row *row = &rows[n++];
			struct fs_verdict rv = {.action = (int8_t)l, .list = (int8_t)l, .init = (int8_t)init,
						.index = (int32_t)i};
			fs_rule_name(c, rv, row->name, sizeof row->name);
			row->pattern = fs_rules_text(r, l, i);
			row->list = l;
			row->index = (int)i;
			row->match = rule_matches(c, row->pattern, path, t, &row->via_alias);
			if (row->match < 0)
				(*unevaluated)++;
			/* strictest list wins; within a list the first pattern names the rule */
			if (row->match == 1 && (v.list == FS_LIST_DEFAULT || l > v.list)) {
				v.action = (int8_t)l;
				v.list = (int8_t)l;
				v.index = (int32_t)i;
			}
		}
	}
	struct rule_row *row = &rows[n++];
	struct fs_verdict dv = {.list = FS_LIST_DEFAULT, .init = (int8_t)init, .index = -1};
	fs_rule_name(c, dv, row->name, sizeof row->name);
	row->pattern = NULL;
	row->list = FS_LIST_DEFAULT;
	row->index = -1;
	row->match = 1;
	row->via_alias = 0;
	*nrows = n;
	return v;
}

static const char *list_word(int l)
{
	return l == FS_LIST_DEFAULT ? "default" : fs_action_name(l);
}

static void print_rows(const struct rule_row *rows, int n, struct fs_verdict v, int default_action,
		       enum fs_category c)
{
	int wname = 0, wpat = 0;
	char (*quoted)[300] = malloc((size_t)n * sizeof *quoted);
	if (!quoted)
		return;
	for (int i = 0; i < n; i++) {
		int ln = (int)strlen(rows[i].name);
		if (ln > wname)
			wname = ln;
		if (rows[i].pattern)
			snprintf(quoted[i], sizeof quoted[i], "\"%s\"", rows[i].pattern);
		else
			snprintf(quoted[i], sizeof quoted[i], "%s", fs_action_name(default_action));
		int lp = (int)strlen(quoted[i]);
		if (lp > wpat)
			wpat = lp;
	}
	if (wpat > 48)
		wpat = 48;
	char decider[64];
	fs_rule_name(c, v, decider, sizeof decider);
	for (int i = 0; i < n; i++) {
		const struct rule_row *r = &rows[i];
		char why[512];
		if (r->list == FS_LIST_DEFAULT) {
			if (v.list == FS_LIST_DEFAULT)
				snprintf(why, sizeof why, "decides: no pattern matches");
			else
				snprintf(why, sizeof why, "not used: %s matches", decider);
		} else if (r->match < 0) {
			snprintf(why, sizeof why, "not evaluated: an address rule, and the address is not "
				 "known (--ip)");
		} else if (!r->match) {
			snprintf(why, sizeof why, "does not match");
		} else {
			const char *how = r->via_alias ? "matches (through its symlink-resolved spelling)"
						       : "matches";
			if (r->list == v.list && r->index == v.index)
				snprintf(why, sizeof why, "%s — decides", how);
			else if (r->list == v.list)
				snprintf(why, sizeof why, "%s too, but %s comes first in the list", how, decider);
			else
				snprintf(why, sizeof why, "%s, but %s wins over %s (%s)", how,
					 list_word(v.list), list_word(r->list), decider);
		}
		printf("  %-*s  %-*s  %s\n", wname, r->name, wpat, quoted[i], why);
	}
	free(quoted);
}

static int same_verdict(struct fs_verdict a, struct fs_verdict b)
{
	return a.action == b.action && a.list == b.list && a.index == b.index;
}

static void say_decision(enum fs_category c, int action, enum fs_mode mode, const char *mode_src)
{
	const char *err = c == FS_CONNECT || c == FS_LISTEN ? "EPERM" : "EACCES";
	if (action == FS_ALLOW)
		printf("decision: allow (mode %s, %s) — the call goes through; nothing is logged\n",
		       mode == FS_MODE_BLOCK ? "block" : "alert", mode_src);
	else if (action == FS_ALERT)
		printf("decision: alert (mode %s, %s) — the call goes through and a violation line is "
		       "logged (\"action\":\"alert\", WARN)\n",
		       mode == FS_MODE_BLOCK ? "block" : "alert", mode_src);
	else if (mode == FS_MODE_ALERT)
		printf("decision: block, which mode alert (%s) turns into alert — the call goes through "
		       "and a violation line is logged (\"action\":\"alert\"); in mode block it would fail "
		       "with %s\n", mode_src, err);
	else
		printf("decision: block (mode block, %s) — the call fails with %s and a violation line "
		       "is logged (\"action\":\"block\", ERROR)\n", mode_src, err);
}

static int starts_with_proc_self(const char *p)
{
	return !strncmp(p, "/proc/self", 10) && (p[10] == '/' || !p[10]);
}

/* Which program an exec of `arg` would run: as execvp resolves it. */
static int exec_lookup(const char *arg, char *out, size_t cap)
{
	if (strchr(arg, '/')) {
		snprintf(out, cap, "%s", arg);
		return 0;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/bin:/usr/bin";
	char *dup = strdup(path), *save = NULL;
	int found = -1;
	for (char *dir = strtok_r(dup, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char cand[PATH_MAX];
		snprintf(cand, sizeof cand, "%s/%s", *dir ? dir : ".", arg);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			snprintf(out, cap, "%s", cand);
			found = 0;
			break;
		}
	}
	free(dup);
	return found;
}

/* The canonical spelling: every symbolic link resolved; a file that does not exist yet is
 * resolved through its directory (where a creating open would put it). */
static int canonical(const char *lex, char *out)
{
	if (realpath(lex, out))
		return 0;
	if (errno != ENOENT)
		return -1;
	char dir[PATH_MAX], rdir[PATH_MAX];
	size_t ln = strlen(lex);
	if (ln >= sizeof dir)
		return -1;
	memcpy(dir, lex, ln + 1);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	const char *last = slash + 1;
	char lastbuf[PATH_MAX];
	snprintf(lastbuf, sizeof lastbuf, "%s", last);
	if (slash == dir)
		strcpy(dir, "/");
	else
		*slash = 0;
	if (!realpath(dir, rdir))
		return -1;
	long n = fs_path_normalise(rdir, lastbuf, out, PATH_MAX);
	return n < 0 ? -1 : 0;
}

static int parse_net_target(enum fs_category c, const char *arg, struct net_target *t)
{
	memset(t, 0, sizeof *t);
	char host[300];
	const char *portp;
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');
		if (!close || close[1] != ':')
			return -1;
		snprintf(host, sizeof host, "%.*s", (int)(close - arg - 1), arg + 1);
		portp = close + 2;
	} else {
		const char *colon = strrchr(arg, ':');
		if (!colon || strchr(arg, ':') != colon) {
			fprintf(stderr, "fnshield explain: %s: expected HOST:PORT (an IPv6 address in "
				"brackets: [::1]:443)\n", arg);
			return -2;
		}
		snprintf(host, sizeof host, "%.*s", (int)(colon - arg), arg);
		portp = colon + 1;
	}
	char *end;
	long port = strtol(portp, &end, 10);
	if (!*portp || *end || port < 1 || port > 65535) {
		fprintf(stderr, "fnshield explain: %s: the port must be 1..65535\n", arg);
		return -2;
	}
	t->port = (unsigned)port;
	if (parse_ip(host, t->ip) == 0) {
		t->have_ip = 1;
		return 0;
	}
	if (arg[0] == '[') {
		fprintf(stderr, "fnshield explain: %s: brackets hold an IPv6 address\n", arg);
		return -2;
	}
	if (c == FS_LISTEN) {
		fprintf(stderr, "fnshield explain: listen takes an address (ADDR:PORT), not a name\n");
		return -2;
	}
	size_t n = strlen(host);
	if (n && host[n - 1] == '.')
		host[--n] = 0;
	if (!n || n >= sizeof t->host)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char ch = host[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			 ch == '-' || ch == '_' || (ch == '.' && i > 0 && host[i - 1] != '.');
		if (!ok) {
			fprintf(stderr, "fnshield explain: \"%s\" is neither an address nor a host name\n", host);
			return -2;
		}
	}
	for (size_t i = 0; i < n; i++)
		t->host[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i]);
	t->host[n] = 0;
	return 0;
}

/* One spelling: its verdict (as the shim computes it), its rows printed under a heading. */
static struct fs_verdict explain_spelling(const struct fs_rules *r, enum fs_category c, int init,
					  const char *path, const struct net_target *t,
					  const char *heading, int *unevaluated)
{
	static struct rule_row rows[MAX_ROWS];
	int n = 0;
	struct fs_verdict v = evaluate(r, c, init, path, t, rows, &n, unevaluated);
	/* only the rules not evaluated that could change the verdict count */
	*unevaluated = 0;
	for (int k = 0; k < n; k++)
		if (rows[k].match < 0 && (v.list == FS_LIST_DEFAULT || rows[k].list > v.list))
			(*unevaluated)++;
	/* The shim's own matcher must say the same (when every rule could be evaluated). */
	if (!t || t->have_ip) {
		struct fs_verdict m;
		if (path) {
			m = fs_match_path(r, path, strlen(path));
		} else {
			const char *names[1] = {t->host};
			m = fs_match_addr(r, t->have_ip ? t->ip : NULL, (uint16_t)t->port, names,
					  t->host[0] ? 1 : 0);
		}
		if (!same_verdict(m, v)) {
			char a[64], b[64];
			fs_rule_name(c, m, a, sizeof a);
			fs_rule_name(c, v, b, sizeof b);
			fprintf(stderr, "fnshield explain: internal inconsistency: the matcher says %s, the "
				"rules one by one say %s; the matcher's verdict is the shim's\n", a, b);
			v = m;
		}
	}
	char rn[64];
	fs_rule_name(c, v, rn, sizeof rn);
	printf("\n%s → %s, by %s\n", heading, fs_action_name(v.action), rn);
	print_rows(rows, n, v, fs_rules_default(r), c);
	return v;
}

int cmd_explain(int argc, char **argv)
{
	const char *policy = NULL, *mode_arg = NULL, *ip_arg = NULL;
	int init = 0, i = 1;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--policy") && i + 1 < argc)
			policy = argv[++i];
		else if (!strcmp(argv[i], "--mode") && i + 1 < argc)
			mode_arg = argv[++i];
		else if (!strcmp(argv[i], "--ip") && i + 1 < argc)
			ip_arg = argv[++i];
		else if (!strcmp(argv[i], "--init"))
			init = 1;
		else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			explain_usage();
			return 0;
		} else if (argv[i][0] == '-')
			return explain_usage();
		else
			break;
	}
	if (argc - i != 2)
		return explain_usage();
	int ci = category_of(argv[i]);
	if (ci < 0) {
		fprintf(stderr, "fnshield explain: unknown category \"%s\": expected exec, read, write, "
			"connect or listen\n", argv[i]);
		return EX_USAGE;
	}
	enum fs_category c = (enum fs_category)ci;
	const char *arg = argv[i + 1];

	/* The policy, as the library would load it. */
	const char *mode_env = mode_arg ? mode_arg : getenv("FNSHIELD_MODE");
	struct fs_config cfg;
	struct fs_errors errs;
	char source[PATH_MAX + 8] = "";
	int r;
	if (policy) {
		snprintf(source, sizeof source, "file:%s", policy);
		r = fs_config_load_file(policy, mode_env, &cfg, &errs);
	} else {
		const char *file = getenv("FNSHIELD_POLICY_FILE");
		if (file)
			snprintf(source, sizeof source, "file:%s", file);
		else if (getenv("FNSHIELD_POLICY"))
			snprintf(source, sizeof source, "env:FNSHIELD_POLICY");
		r = fs_config_load(getenv("FNSHIELD_POLICY"), file, mode_env, NULL, &cfg, &errs);
	}
	if (r < 0) {
		int n = errs.count < FS_MAX_ERRORS ? errs.count : FS_MAX_ERRORS;
		for (int k = 0; k < n; k++) {
			char msg[512];
			snprintf(msg, sizeof msg, "invalid fnshield configuration: %s", errs.e[k].message);
			log_error(msg, errs.e[k].path[0] ? errs.e[k].path : NULL, errs.e[k].line,
				  errs.e[k].column, source[0] ? source : NULL);
		}
		return EX_CONFIG;
	}
	fs_config_source_name(&cfg, source, sizeof source);
	const char *mode_src = mode_arg ? "from --mode" : cfg.mode_overridden ? "from FNSHIELD_MODE"
									       : "from the policy";

	int has_override = fs_policy_has_override(cfg.policy, c);
	const struct fs_rules *rules = fs_policy_rules(cfg.policy, c, init);
	int in_init = init && has_override;
	const char *cat = fs_category_name(c);
	int status = 0;

	if (c == FS_EXEC || c == FS_READ || c == FS_WRITE) {
		char prog[PATH_MAX], cwd[PATH_MAX], lex[2 * PATH_MAX + 2], canon[PATH_MAX];
		const char *p = arg;
		if (c == FS_EXEC) {
			if (exec_lookup(arg, prog, sizeof prog) < 0) {
				fprintf(stderr, "fnshield explain: %s: not found in PATH; give the program's "
					"path\n", arg);
				fs_config_free(&cfg);
				return 1;
			}
			p = prog;
		}
		if (!getcwd(cwd, sizeof cwd))
			strcpy(cwd, "/");
		if (fs_path_normalise(cwd, p, lex, sizeof lex) < 0) {
			fprintf(stderr, "fnshield explain: %s: not a path fnshield can check\n", arg);
			fs_config_free(&cfg);
			return EX_USAGE;
		}
		int have_canon = canonical(lex, canon) == 0;
		int differs = have_canon && strcmp(canon, lex);
		struct stat st;
		int exists = stat(lex, &st) == 0;

		printf("%s %s\n", cat, arg);
		printf("  policy:      %s (mode %s, %s)\n", source, cfg.mode == FS_MODE_BLOCK ? "block" : "alert",
		       mode_src);
		if (c == FS_EXEC && strcmp(p, arg))
			printf("  found in PATH: %s\n", p);
		printf("  as written:  %s%s\n", lex,
		       strcmp(lex, p) ? "   (made absolute and normalised, as the shim does)" : "");
		if (differs)
			printf("  resolved:    %s   (symbolic links followed: the shim judges both "
			       "spellings, and the stricter wins)\n", canon);
		else if (!have_canon)
			printf("  resolved:    (%s on this machine: judged as written)\n", strerror(errno));
		if (c == FS_EXEC && !exists)
			printf("  note: no such program on this machine: such an exec fails by itself "
			       "(ENOENT) and fnshield does not check it; below, the decision were it there\n");
		if (init && !has_override)
			printf("  note: the policy has no init override for %s: the same rules apply during "
			       "init\n", cat);
		else if (!init && has_override)
			printf("  note: during the Lambda init phase, init.%s applies instead (add --init)\n",
			       cat);

		if (starts_with_proc_self(lex))
			printf("  note: /proc/self is the process that opens it — here, fnshield explain "
			       "itself (pid %d)\n", (int)getpid());
		int unev = 0;
		char h1[2 * PATH_MAX + 32];
		snprintf(h1, sizeof h1, "%s%s", differs ? "as written " : "", lex);
		struct fs_verdict v = explain_spelling(rules, c, in_init, lex, NULL, h1, &unev);
		struct fs_verdict final = v;
		if (differs) {
			char heading[PATH_MAX + 32];
			snprintf(heading, sizeof heading, "resolved %s", canon);
			char h0[2 * PATH_MAX + 32];
			snprintf(h0, sizeof h0, "%s", heading);
			struct fs_verdict cv = explain_spelling(rules, c, in_init, canon, NULL, h0, &unev);
			final = fs_verdict_stricter(v, cv);
		}
		char rn[64];
		fs_rule_name(c, final, rn, sizeof rn);
		const char *pat = fs_rules_text(rules, final.list, (uint32_t)final.index);
		printf("\n");
		if (c == FS_WRITE && (fs_path_is_proc_mem(lex) || (have_canon && fs_path_is_proc_mem(canon)))) {
			/* shim/check.c: protect_proc_mem */
			say_decision(c, FS_BLOCK, cfg.mode, mode_src);
			printf("rule: write.protected — writing /proc/PID/mem patches the process's own code; "
			       "fnshield blocks it whatever the policy says (the rules above do not decide)\n");
		} else {
			say_decision(c, final.action, cfg.mode, mode_src);
			if (pat)
				printf("rule: %s \"%s\"%s\n", rn, pat,
				       differs ? (same_verdict(final, v) ? " (on the path as written)"
									  : " (on the resolved path: the stricter spelling wins)")
					       : "");
			else
				printf("rule: %s (%s): no pattern of %s matches\n", rn,
				       fs_action_name(fs_rules_default(rules)), cat);
		}
		status = 0;
	} else {
		struct net_target t;
		int pr = parse_net_target(c, arg, &t);
		if (pr < 0) {
			if (pr == -1)
				fprintf(stderr, "fnshield explain: %s: expected HOST:PORT\n", arg);
			fs_config_free(&cfg);
			return EX_USAGE;
		}
		if (ip_arg) {
			if (!t.host[0] || parse_ip(ip_arg, t.ip) < 0) {
				fprintf(stderr, "fnshield explain: --ip %s: %s\n", ip_arg,
					t.host[0] ? "not an IP address" : "only for a connect to a name");
				fs_config_free(&cfg);
				return EX_USAGE;
			}
			t.have_ip = 1;
		}
		char ipt[64] = "";
		if (t.have_ip)
			fs_ip_text(t.ip, ipt, sizeof ipt);
		printf("%s %s\n", cat, arg);
		printf("  policy:      %s (mode %s, %s)\n", source, cfg.mode == FS_MODE_BLOCK ? "block" : "alert",
		       mode_src);
		if (t.host[0])
			printf("  name:        %s — assumed resolved by the process (getaddrinfo), so name "
			       "rules apply\n  address:     %s\n", t.host,
			       t.have_ip ? ipt : "not given (--ip): address and CIDR rules are not evaluated");
		else
			printf("  address:     %s, port %u%s\n", ipt, t.port,
			       c == FS_CONNECT ? " (no name: name rules apply only to addresses the process "
						 "resolved from a matching name)" : "");
		if (init && !has_override)
			printf("  note: the policy has no init override for %s: the same rules apply during "
			       "init\n", cat);
		else if (!init && has_override)
			printf("  note: during the Lambda init phase, init.%s applies instead (add --init)\n",
			       cat);
		const char *rapi = getenv("AWS_LAMBDA_RUNTIME_API");
		if (c == FS_CONNECT && rapi && !strcmp(rapi, arg))
			printf("  note: this is the Lambda Runtime API endpoint (AWS_LAMBDA_RUNTIME_API): "
			       "always allowed, whatever the rules say\n");
		int unev = 0;
		char heading[600];
		snprintf(heading, sizeof heading, "%s", arg);
		struct fs_verdict v = explain_spelling(rules, c, in_init, NULL, &t, heading, &unev);
		char rn[64];
		fs_rule_name(c, v, rn, sizeof rn);
		const char *pat = fs_rules_text(rules, v.list, (uint32_t)v.index);
		printf("\n");
		say_decision(c, v.action, cfg.mode, mode_src);
		if (pat)
			printf("rule: %s \"%s\"\n", rn, pat);
		else
			printf("rule: %s (%s): no pattern of %s matches\n", rn,
			       fs_action_name(fs_rules_default(rules)), cat);
		if (unev)
			printf("note: %d address rule%s not evaluated could change this decision, depending "
			       "on the address the name resolves to (--ip ADDR)\n", unev, unev == 1 ? "" : "s");
	}
	fs_config_free(&cfg);
	return status;
}
