/*
 * fuzz_policy.c — libFuzzer harness for fs_policy_compile and the matchers.
 *
 *   clang -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -Ipolicy -Ibuild/third_party/cjson -o build/fuzz_policy tests/fuzz/fuzz_policy.c \
 *     $(ls policy/[a-z]*.c) build/third_party/cjson/cJSON.c
 *   build/fuzz_policy -max_len=4096 -dict=tests/fuzz/policy.dict tests/fuzz/corpus
 *
 * Any input: compile must return a policy with no errors or NULL with errors whose strings
 * are terminated; a policy must then answer matches for a few paths and addresses, and be
 * freed without leaks. The path normaliser is fed the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile((const char *)data, size, NULL, &e);
	if ((p != NULL) != (e.count == 0))
		abort();
	for (int i = 0; i < e.count && i < FS_MAX_ERRORS; i++)
		if (!memchr(e.e[i].message, 0, sizeof e.e[i].message) || !memchr(e.e[i].path, 0, sizeof e.e[i].path))
			abort();
	if (p) {
		static const char *const paths[] = { "/", "/tmp/x", "/var/task/a.py", "/proc/1/environ", "/usr/bin/sh" };
		static const char *const names[] = { "s3.amazonaws.com", "a.b.example.com." };
		uint8_t ip[16] = { [10] = 0xff, [11] = 0xff, [12] = 10, [15] = 1 };
		for (int c = 0; c < FS_NCATEGORIES; c++)
			for (int init = 0; init < 2; init++) {
				const struct fs_rules *r = fs_policy_rules(p, (enum fs_category)c, init);
				char buf[64];
				for (size_t k = 0; k < sizeof paths / sizeof *paths; k++) {
					struct fs_verdict v = fs_match_path(r, paths[k], strlen(paths[k]));
					fs_rule_name((enum fs_category)c, v, buf, sizeof buf);
					(void)fs_rule_pattern(p, (enum fs_category)c, v);
				}
				struct fs_verdict v = fs_match_addr(r, ip, 443, names, 2);
				fs_rule_name((enum fs_category)c, v, buf, sizeof buf);
				(void)fs_rule_pattern(p, (enum fs_category)c, v);
				(void)fs_rules_constant(r);
			}
		fs_policy_free(p);
	}

	/* the normaliser, on the same bytes split into base and path */
	char *s = malloc(size + 1), out[256];
	if (s) {
		memcpy(s, data, size);
		s[size] = 0;
		size_t half = strlen(s) / 2;
		(void)fs_path_normalise(NULL, s, out, sizeof out);
		/* base = the first half, path = the second (copied, as the base is cut) */
		char *path = strdup(s + half);
		s[half] = 0;
		if (path)
			(void)fs_path_normalise(s, path, out, sizeof out);
		free(path);
		free(s);
	}
	return 0;
}
