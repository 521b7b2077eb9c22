/*
 * fuzz_image.c — libFuzzer harness for the compiled-policy loader (policy/image.c) and the
 * matchers over what it loads. `make fuzz` builds and runs it (and fuzz_policy.c), seeded with
 * compiled policies; `make test` runs both briefly.
 *
 * Every input is loaded twice: as it is (nearly always refused by the checksum), and with its
 * checksum made right, so that changed bytes reach the tables' own checks (dfa.c, iptrie.c,
 * rules.c) as a crafted file would. Either the load is refused with one terminated message,
 * or the policy answers every question without reading outside its image (AddressSanitizer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "policy.h"

static void ask_everything(const struct fs_policy *p)
{
	static const char *const paths[] = { "/", "/tmp/x", "/var/task/a.py", "/proc/1/environ",
					     "/usr/bin/sh", "/etc/ssl/certs/a.pem", "/a/b/c/d/e/f/g/h" };
	static const char *const names[] = { "s3.amazonaws.com", "a.b.example.com.", "localhost" };
	static const char *const ips[] = { "10.1.2.3", "127.0.0.1", "2001:db8::1", "::" };
	for (int c = 0; c < FS_NCATEGORIES; c++)
		for (int init = 0; init < 2; init++) {
			const struct fs_rules *r = fs_policy_rules(p, (enum fs_category)c, init);
			char buf[64];
			for (size_t k = 0; k < sizeof paths / sizeof *paths; k++) {
				struct fs_verdict v = fs_match_path(r, paths[k], strlen(paths[k]));
				fs_rule_name((enum fs_category)c, v, buf, sizeof buf);
				(void)fs_rule_pattern(p, (enum fs_category)c, v);
				(void)fs_match_normal_path(r, paths[k], 4096, &v);
			}
			for (size_t k = 0; k < sizeof ips / sizeof *ips; k++) {
				uint8_t ip[16];
				fs_ip_parse(ips[k], ip);
				struct fs_verdict v = fs_match_addr(r, ip, (uint16_t)(k * 443), names, 3);
				fs_rule_name((enum fs_category)c, v, buf, sizeof buf);
				(void)fs_rule_pattern(p, (enum fs_category)c, v);
			}
			(void)fs_rules_constant(r);
			(void)fs_rules_have_names(r);
		}
	size_t len;
	const char *src = fs_policy_source(p, &len);
	if (src[len] != 0 || strlen(fs_policy_metrics_namespace(p)) > 255 ||
	    strlen(fs_policy_digest(p)) != 64)
		abort();
}

static void load(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1); /* an image is mapped: aligned */
	if (!copy)
		return;
	memcpy(copy, data, size);
	struct fs_errors e;
	struct fs_policy *p = fs_policy_load_image(copy, size, NULL, &e);
	if ((p != NULL) != (e.count == 0) || (!p && e.count != 1))
		abort();
	if (!p && !memchr(e.e[0].message, 0, sizeof e.e[0].message))
		abort();
	if (p) {
		ask_everything(p);
		fs_policy_free(p);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load(data, size);
	if (size >= 16) {
		uint8_t *fixed = malloc(size);
		if (!fixed)
			return 0;
		memcpy(fixed, data, size);
		uint64_t h = XXH3_64bits(fixed + 16, size - 16);
		memcpy(fixed + 8, &h, 8);
		load(fixed, size);
		free(fixed);
	}
	return 0;
}
