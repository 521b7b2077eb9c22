/*
 * test_envprop.c — the environment a child gets: our variables win, LD_PRELOAD keeps ours and
 * the caller's libraries.
 */
#include "envprop.h"

#include <criterion/criterion.h>
#include <string.h>

static void setup(void)
{
	cr_assert_eq(envprop_init("/opt/fnshield/lib/libfnshield.so",
				  "FNSHIELD_POLICY_FILE=", "/etc/p.json", "ab", "block"), 0);
}

TestSuite(envprop, .init = setup);

static int has(char **env, const char *entry)
{
	for (; *env; env++)
		if (!strcmp(*env, entry))
			return 1;
	return 0;
}

static int count_prefix(char **env, const char *p)
{
	int n = 0;
	for (; *env; env++)
		n += !strncmp(*env, p, strlen(p));
	return n;
}

Test(envprop, clean_environment_gets_everything)
{
	char *envp[] = {NULL};
	char *out[envprop_count(envp) + ENVPROP_EXTRA + 1];
	char ld[envprop_ldbuf_size(envp)];
	char **env = envprop_build(envp, out, ld);
	cr_assert(has(env, "LD_PRELOAD=/opt/fnshield/lib/libfnshield.so"));
	cr_assert(has(env, "FNSHIELD_POLICY_FILE=/etc/p.json"));
	cr_assert(has(env, "_FNSHIELD_POLICY_SHA256=ab"));
	cr_assert(has(env, "FNSHIELD_MODE=block"));
}

Test(envprop, null_envp_is_empty)
{
	char *out[ENVPROP_EXTRA + 1];
	char ld[envprop_ldbuf_size(NULL)];
	char **env = envprop_build(NULL, out, ld);
	cr_assert(has(env, "FNSHIELD_MODE=block"));
}

Test(envprop, attacker_values_are_replaced_and_others_kept)
{
	char *envp[] = {"HOME=/root", "FNSHIELD_MODE=alert", "FNSHIELD_POLICY={\"exec\":\"allow\"}",
			"LD_PRELOAD=/other.so", "_FNSHIELD_LOG_FD=5:1:2", "PATH=/bin", NULL};
	char *out[envprop_count(envp) + ENVPROP_EXTRA + 1];
	char ld[envprop_ldbuf_size(envp)];
	char **env = envprop_build(envp, out, ld);
	cr_assert(has(env, "HOME=/root"));
	cr_assert(has(env, "PATH=/bin"));
	cr_assert(has(env, "FNSHIELD_MODE=block"));
	cr_assert(!has(env, "FNSHIELD_MODE=alert"));
	cr_assert_eq(count_prefix(env, "FNSHIELD_POLICY="), 0);
	cr_assert(has(env, "LD_PRELOAD=/opt/fnshield/lib/libfnshield.so:/other.so"));
	cr_assert_eq(count_prefix(env, "LD_PRELOAD="), 1);
	cr_assert(!has(env, "_FNSHIELD_LOG_FD=5:1:2"));
}

Test(envprop, ld_preload_already_listing_us_is_kept)
{
	char *envp[] = {"LD_PRELOAD=/a.so /opt/fnshield/lib/libfnshield.so", NULL};
	char *out[envprop_count(envp) + ENVPROP_EXTRA + 1];
	char ld[envprop_ldbuf_size(envp)];
	char **env = envprop_build(envp, out, ld);
	cr_assert(has(env, "LD_PRELOAD=/a.so /opt/fnshield/lib/libfnshield.so"));
}

static const char *value_of(char **env, const char *name)
{
	size_t n = strlen(name);
	for (; *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

Test(envprop, what_was_added_is_listed_for_the_child_to_hide)
{
	char *envp[] = {"FNSHIELD_MODE=block", "LD_PRELOAD=/other.so", NULL};
	char *out[envprop_count(envp) + ENVPROP_EXTRA + 1];
	char buf[envprop_ldbuf_size(envp)];
	char **env = envprop_build(envp, out, buf);
	const char *added = value_of(env, "_FNSHIELD_ADDED");
	cr_assert_not_null(added);
	cr_assert(strstr(added, "FNSHIELD_POLICY_FILE,"), "%s", added);
	cr_assert(strstr(added, "_FNSHIELD_POLICY_SHA256,"), "%s", added);
	cr_assert(!strstr(added, "FNSHIELD_MODE,") || strstr(added, "_FNSHIELD_MODE"), "%s", added);
	cr_assert_str_eq(value_of(env, "_FNSHIELD_ORIG_LD_PRELOAD"), "/other.so");
}
