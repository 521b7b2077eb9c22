/*
 * test_functionshield.c — FunctionShield policies are accepted, translated, and enforced with
 * the meaning FunctionShield gave its four switches.
 */
#include "policy.h"

#include <criterion/criterion.h>
#include <string.h>

static struct fs_policy *compile(const char *json, struct fs_errors *errs)
{
	struct fs_compile_options o = {.mode_override = -1};
	return fs_policy_compile(json, strlen(json), &o, errs);
}

static int path_action(struct fs_policy *p, enum fs_category c, int init, const char *path)
{
	return fs_match_path(fs_policy_rules(p, c, init), path, strlen(path)).action;
}

Test(functionshield, four_switches_translate)
{
	struct fs_errors errs;
	struct fs_policy *p = compile("{\"outbound_connectivity\":\"block\",\"read_write_tmp\":\"alert\","
				      "\"create_child_process\":\"block\",\"read_handler\":\"block\"}", &errs);
	cr_assert_not_null(p, "%s", errs.e[0].message);
	cr_assert_eq(fs_policy_mode(p), FS_MODE_BLOCK);
	cr_assert_eq(path_action(p, FS_EXEC, 0, "/bin/sh"), FS_BLOCK);
	cr_assert_eq(path_action(p, FS_READ, 0, "/tmp/x"), FS_ALERT);
	cr_assert_eq(path_action(p, FS_WRITE, 0, "/tmp/x"), FS_ALERT);
	cr_assert_eq(path_action(p, FS_READ, 0, "/var/task/app.py"), FS_BLOCK);
	/* the runtime loads the handler during init */
	cr_assert_eq(path_action(p, FS_READ, 1, "/var/task/app.py"), FS_ALLOW);
	cr_assert_eq(path_action(p, FS_READ, 0, "/etc/hostname"), FS_ALLOW);
	/* AWS endpoints stay reachable */
	uint8_t ip[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 52, 1, 2, 3};
	const char *names[] = {"s3.us-east-1.amazonaws.com"};
	cr_assert_eq(fs_match_addr(fs_policy_rules(p, FS_CONNECT, 0), ip, 443, names, 1).action, FS_ALLOW);
	cr_assert_eq(fs_match_addr(fs_policy_rules(p, FS_CONNECT, 0), ip, 443, NULL, 0).action, FS_BLOCK);
	fs_policy_free(p);
}

Test(functionshield, allow_everything_is_allow)
{
	struct fs_errors errs;
	struct fs_policy *p = compile("{\"create_child_process\":\"allow\"}", &errs);
	cr_assert_not_null(p);
	cr_assert_eq(fs_rules_constant(fs_policy_rules(p, FS_EXEC, 0)), FS_ALLOW);
	fs_policy_free(p);
}

Test(functionshield, bad_values_and_mixed_keys_are_errors)
{
	struct fs_errors errs;
	cr_assert_null(compile("{\"create_child_process\":\"deny\"}", &errs));
	cr_assert_eq(errs.count, 1);
	cr_assert_str_eq(errs.e[0].path, "create_child_process");
	cr_assert_eq(errs.e[0].line, 1);
	cr_assert_null(compile("{\"create_child_process\":\"block\",\n \"exec\":\"allow\"}", &errs));
	cr_assert_str_eq(errs.e[0].path, "exec");
	cr_assert_eq(errs.e[0].line, 2);
}
