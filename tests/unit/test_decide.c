/*
 * test_decide.c — the decision procedure (policy/decide.h) from facts alone: a call that fails
 * by itself is no violation; both spellings, the stricter wins; the special rules; the mode;
 * the Runtime API; and the PATH search of each entry point, against a file system made of a
 * table (no preload, no real files).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "decide.h"

static struct fs_policy *must(const char *text)
{
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(text, strlen(text), NULL, &e);
	cr_assert_not_null(p, "%s: %s", text, e.e[0].message);
	return p;
}

static const char *POLICY =
	"{\"version\":1,\"mode\":\"block\","
	"\"exec\":{\"default\":\"block\",\"allow\":[\"/usr/bin/*\"],\"block\":[\"/usr/bin/curl\"]},"
	"\"read\":{\"default\":\"allow\",\"block\":[\"/secret/**\"],\"alert\":[\"/watched/*\"]},"
	"\"write\":{\"default\":\"block\",\"allow\":[\"/tmp/**\"]},"
	"\"connect\":{\"default\":\"block\",\"allow\":[\"*.example.com:443\",\"10.0.0.0/8\"]},"
	"\"init\":{\"read\":\"allow\"}}";

static struct fs_decision path_call(const struct fs_policy *p, enum fs_category c, int init,
				    const char *lex, const char *real, int fails)
{
	struct fs_call_facts f = {
		.category = c,
		.in_init = init,
		.path = {.lexical = lex, .lexical_len = lex ? (long)strlen(lex) : 0,
			 .real = real, .real_len = real ? (long)strlen(real) : 0, .fails = fails},
	};
	return fs_decide(p, &f);
}

static void expect(struct fs_decision d, int outcome, int action, const char *rule, int err,
		   enum fs_category c)
{
	char name[96];
	fs_rule_name(c, d.verdict, name, sizeof name);
	cr_expect_eq(d.outcome, outcome, "outcome %d, want %d (%s)", d.outcome, outcome, name);
	cr_expect_eq(d.err, err, "errno %d, want %d", d.err, err);
	if (outcome != FS_FAILS) {
		cr_expect_eq(d.action, action, "action %d, want %d", d.action, action);
		cr_expect_str_eq(name, rule);
	}
	cr_expect_eq(d.logged, outcome != FS_FAILS && action != FS_ALLOW);
}

Test(decide, a_call_that_fails_by_itself_is_no_violation)
{
	struct fs_policy *p = must(POLICY);
	/* blocked by every rule, but not there: its own error, nothing logged */
	expect(path_call(p, FS_EXEC, 0, "/bin/nosuch", "/usr/bin/nosuch", ENOENT), FS_FAILS, 0, NULL,
	       ENOENT, FS_EXEC);
	expect(path_call(p, FS_READ, 0, "/secret/x", "/secret/x", ENOTDIR), FS_FAILS, 0, NULL, ENOTDIR,
	       FS_READ);
	fs_policy_free(p);
}

Test(decide, both_spellings_the_stricter_wins)
{
	struct fs_policy *p = must(POLICY);
	/* a link whose own name is allowed, pointing at a blocked file: its target decides */
	expect(path_call(p, FS_READ, 0, "/home/link", "/secret/key", 0), FS_REFUSED, FS_BLOCK,
	       "read.block[0]", EACCES, FS_READ);
	/* a dangling link in /tmp (allowed) to a blocked place: a write through it is refused */
	expect(path_call(p, FS_WRITE, 0, "/tmp/dangling", "/etc/cron.d/x", 0), FS_REFUSED, FS_BLOCK,
	       "write.default", EACCES, FS_WRITE);
	/* a link in a blocked place to an allowed file: the link's own name decides */
	expect(path_call(p, FS_EXEC, 0, "/usr/bin/curl", "/usr/bin/curl.real", 0), FS_REFUSED,
	       FS_BLOCK, "exec.block[0]", EACCES, FS_EXEC);
	expect(path_call(p, FS_EXEC, 0, "/usr/bin/ls", "/usr/bin/ls", 0), FS_PROCEEDS, FS_ALLOW,
	       "exec.allow[0]", 0, FS_EXEC);
	/* only the real path known (the working directory too deep for the lexical one) */
	expect(path_call(p, FS_READ, 0, NULL, "/secret/x", 0), FS_REFUSED, FS_BLOCK, "read.block[0]",
	       EACCES, FS_READ);
	fs_policy_free(p);
}

Test(decide, special_rules)
{
	struct fs_policy *p = must(POLICY);
	expect(path_call(p, FS_READ, 0, NULL, NULL, 0), FS_REFUSED, FS_BLOCK, "read.unresolved", EACCES,
	       FS_READ);
	/* /proc/PID/mem is never writable, in either spelling, whatever the rules */
	struct fs_policy *open_all = must("{\"version\":1,\"mode\":\"block\",\"write\":\"allow\"}");
	expect(path_call(open_all, FS_WRITE, 0, "/proc/self/mem", "/proc/42/mem", 0), FS_REFUSED,
	       FS_BLOCK, "write.protected", EACCES, FS_WRITE);
	expect(path_call(open_all, FS_WRITE, 0, "/tmp/m", "/proc/42/task/43/mem", 0), FS_REFUSED,
	       FS_BLOCK, "write.protected", EACCES, FS_WRITE);
	expect(path_call(open_all, FS_READ, 0, "/proc/self/mem", "/proc/42/mem", 0), FS_PROCEEDS,
	       FS_ALLOW, "read.default", 0, FS_READ);
	fs_policy_free(open_all);
	fs_policy_free(p);
}

Test(decide, mode_and_phase)
{
	struct fs_policy *alert = must("{\"version\":1,\"mode\":\"alert\",\"read\":{\"default\":\"allow\","
				       "\"block\":[\"/secret/**\"]},\"init\":{\"read\":\"allow\"}}");
	expect(path_call(alert, FS_READ, 0, "/secret/a", "/secret/a", 0), FS_PROCEEDS, FS_ALERT,
	       "read.block[0]", 0, FS_READ);
	expect(path_call(alert, FS_READ, 1, "/secret/a", "/secret/a", 0), FS_PROCEEDS, FS_ALLOW,
	       "init.read.default", 0, FS_READ);
	fs_policy_free(alert);
	struct fs_policy *p = must(POLICY);
	expect(path_call(p, FS_READ, 0, "/watched/a", "/watched/a", 0), FS_PROCEEDS, FS_ALERT,
	       "read.alert[0]", 0, FS_READ);
	fs_policy_free(p);
}

static struct fs_decision connect_call(const struct fs_policy *p, const char *ip, uint16_t port,
				       const char *name, int runtime_api)
{
	struct fs_call_facts f = {.category = FS_CONNECT};
	cr_assert_eq(fs_ip_parse(ip, f.addr.ip), 0);
	const char *names[1] = {name};
	f.addr.port = port;
	f.addr.names = names;
	f.addr.nnames = name ? 1 : 0;
	f.addr.runtime_api = runtime_api;
	return fs_decide(p, &f);
}

Test(decide, addresses)
{
	struct fs_policy *p = must(POLICY);
	expect(connect_call(p, "10.1.2.3", 5432, NULL, 0), FS_PROCEEDS, FS_ALLOW, "connect.allow[1]", 0,
	       FS_CONNECT);
	expect(connect_call(p, "::ffff:10.1.2.3", 5432, NULL, 0), FS_PROCEEDS, FS_ALLOW,
	       "connect.allow[1]", 0, FS_CONNECT); /* IPv4-mapped counts as IPv4 */
	expect(connect_call(p, "93.184.216.34", 443, "www.example.com", 0), FS_PROCEEDS, FS_ALLOW,
	       "connect.allow[0]", 0, FS_CONNECT);
	expect(connect_call(p, "93.184.216.34", 443, NULL, 0), FS_REFUSED, FS_BLOCK, "connect.default",
	       EPERM, FS_CONNECT);
	expect(connect_call(p, "127.0.0.1", 9001, NULL, 1), FS_PROCEEDS, FS_ALLOW, "connect.default", 0,
	       FS_CONNECT);
	fs_policy_free(p);
}

/* ---- the PATH search ---------------------------------------------------------------------- */

/* A file system of a few names: what an exec of each would fail with. */
static int fake_probe(void *ctx, const char *candidate)
{
	(void)ctx;
	static const struct {
		const char *path;
		int err;
	} files[] = {
		{"/usr/bin/echo", 0},     {"/opt/bin/tool", EACCES}, /* not executable */
		{"tool", 0},              {"/dir/file/x", ENOTDIR},  {"/loop/x", ELOOP},
		{"rel/bin/rtool", 0},
	};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		if (!strcmp(candidate, files[i].path))
			return files[i].err;
	return ENOENT;
}

static int find(enum fs_search s, const char *file, const char *path_env, char *out)
{
	return fs_find_program(s, file, path_env, fake_probe, NULL, out, 256);
}

Test(decide, path_search_as_glibc_execvp)
{
	char out[256];
	cr_expect_eq(find(FS_SEARCH_PATH, "echo", "/usr/local/bin:/usr/bin:/bin", out), 0);
	cr_expect_str_eq(out, "/usr/bin/echo");
	/* an empty entry is the working directory; a relative entry is relative to it */
	cr_expect_eq(find(FS_SEARCH_PATH, "tool", "/nope::/usr/bin", out), 0);
	cr_expect_str_eq(out, "tool");
	cr_expect_eq(find(FS_SEARCH_PATH, "rtool", "rel/bin", out), 0);
	cr_expect_str_eq(out, "rel/bin/rtool");
	/* nothing runs: EACCES when a candidate was refused for it, else the last error */
	cr_expect_eq(find(FS_SEARCH_PATH, "tool", "/opt/bin:/nope", out), EACCES);
	cr_expect_eq(find(FS_SEARCH_PATH, "nosuch", "/usr/bin:/bin", out), ENOENT);
	cr_expect_eq(find(FS_SEARCH_PATH, "x", "/usr/bin:/dir/file", out), ENOTDIR);
	/* an error other than those ends the search */
	cr_expect_eq(find(FS_SEARCH_PATH, "x", "/loop:/usr/bin", out), ELOOP);
	/* PATH unset: glibc's /bin:/usr/bin */
	cr_expect_eq(find(FS_SEARCH_PATH, "echo", NULL, out), 0);
	cr_expect_str_eq(out, "/usr/bin/echo");
	/* a name with a slash is not searched; an empty name is not there */
	cr_expect_eq(find(FS_SEARCH_PATH, "/usr/bin/echo", "/nope", out), 0);
	cr_expect_eq(find(FS_SEARCH_PATH, "", "/usr/bin", out), ENOENT);
	/* entry points that do not search run the path as given (here: relative, missing) */
	cr_expect_eq(find(FS_SEARCH_NONE, "echo", "/usr/bin", out), ENOENT);
	cr_expect_eq(find(FS_SEARCH_SHELL, "ls -l", "/usr/bin", out), ENOENT); /* no /bin/sh here */
	cr_expect_str_eq(out, "/bin/sh");
}

Test(decide, search_of_each_entry_point)
{
	cr_expect_eq(fs_exec_search_of("execvp"), FS_SEARCH_PATH);
	cr_expect_eq(fs_exec_search_of("execlp"), FS_SEARCH_PATH);
	cr_expect_eq(fs_exec_search_of("posix_spawnp"), FS_SEARCH_PATH);
	cr_expect_eq(fs_exec_search_of("system"), FS_SEARCH_SHELL);
	cr_expect_eq(fs_exec_search_of("popen"), FS_SEARCH_SHELL);
	cr_expect_eq(fs_exec_search_of("execve"), FS_SEARCH_NONE);
	cr_expect_eq(fs_exec_search_of("posix_spawn"), FS_SEARCH_NONE);
}

Test(decide, rule_names_of_special_rules)
{
	char name[64];
	fs_rule_name(FS_WRITE, (struct fs_verdict){.index = FS_RULE_PROTECTED}, name, sizeof name);
	cr_expect_str_eq(name, "write.protected");
	fs_rule_name(FS_READ, (struct fs_verdict){.index = FS_RULE_UNRESOLVED, .init = 1}, name, sizeof name);
	cr_expect_str_eq(name, "read.unresolved");
	cr_expect_eq(fs_category_of("listen"), FS_LISTEN);
	cr_expect_eq(fs_category_of("open"), -1);
}

Test(decide, path_rest_after_a_candidate)
{
	/* where glibc's search goes on when the candidate found could not be exec'd after all */
	cr_expect_str_eq(fs_path_rest("/a:/b:/c", "prog", "/a/prog"), "/b:/c");
	cr_expect_str_eq(fs_path_rest("/a::/c", "prog", "prog"), "/c");     /* the empty entry */
	cr_expect_null(fs_path_rest("/a:/b", "prog", "/b/prog"));            /* nothing left */
	cr_expect_str_eq(fs_path_rest(NULL, "sh", "/bin/sh"), "/usr/bin");  /* glibc's default */
	cr_expect_null(fs_path_rest("/a:/b", "prog", "/c/prog"));            /* not from PATH */
	cr_expect(fs_search_goes_on(ENOENT) && fs_search_goes_on(EACCES) && !fs_search_goes_on(ELOOP));
}
