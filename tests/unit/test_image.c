/*
 * test_image.c — the compiled form (policy/image.c): the same policy gives the same bytes and
 * the same decisions in either form; a damaged, truncated, foreign or crafted image is refused
 * with one error that says which, and never crashes a load or a match.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "policy.h"
#include "internal.h" /* the table layouts, to know which one a test reaches */

static const char POLICY[] =
	"{\"version\":1,\"mode\":\"block\","
	"\"exec\":{\"default\":\"block\",\"allow\":[\"/usr/bin/convert\",\"/opt/tools/**\"]},"
	"\"connect\":{\"default\":\"block\",\"allow\":[\"*.amazonaws.com:443\",\"10.0.0.0/8:5432\","
	"\"[2001:db8::]/32\",\"localhost\"],\"alert\":[\"*:25\"]},"
	"\"listen\":\"block\","
	"\"read\":{\"default\":\"allow\",\"block\":[\"/proc/*/environ\",\"/var/task/**\",\"/**/.env\"],"
	"\"alert\":[\"/etc/*.conf\"]},"
	"\"write\":{\"default\":\"block\",\"allow\":[\"/tmp/**\",\"/dev/null\"]},"
	"\"init\":{\"read\":{\"default\":\"allow\",\"block\":[\"/proc/*/environ\"]}},"
	"\"log\":{\"metrics_namespace\":\"App\"}}";

static struct fs_policy *compiled(void)
{
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(POLICY, strlen(POLICY), NULL, &e);
	cr_assert_not_null(p, "%s", e.e[0].message);
	return p;
}

/* A copy of the policy's image (malloc). */
static uint8_t *image_of(const struct fs_policy *p, size_t *len)
{
	const void *img = fs_policy_image(p, len);
	uint8_t *copy = malloc(*len);
	memcpy(copy, img, *len);
	return copy;
}

/* Bytes 8..16 are the checksum of everything after them. */
static void fix_checksum(uint8_t *img, size_t len)
{
	uint64_t h = XXH3_64bits(img + 16, len - 16);
	memcpy(img + 8, &h, 8);
}

static const char *const PATHS[] = { "/", "/tmp/x", "/var/task/a.py", "/proc/1/environ", "/usr/bin/convert",
				     "/opt/tools/bin/x", "/etc/app.conf", "/home/u/.env", "/dev/null" };

/* Every decision a policy can be asked for, as one string: two policies decide alike when
 * their strings are equal. */
static void decisions(const struct fs_policy *p, char *out, size_t cap)
{
	static const char *const names[] = { "s3.amazonaws.com", "localhost", "mail.example.com" };
	static const uint16_t ports[] = { 443, 5432, 25, 80 };
	size_t o = 0;
	out[0] = 0;
	for (int c = 0; c < FS_NCATEGORIES; c++)
		for (int init = 0; init < 2; init++) {
			const struct fs_rules *r = fs_policy_rules(p, (enum fs_category)c, init);
			char name[64];
			for (size_t k = 0; k < sizeof PATHS / sizeof *PATHS; k++) {
				struct fs_verdict v = fs_match_path(r, PATHS[k], strlen(PATHS[k]));
				fs_rule_name((enum fs_category)c, v, name, sizeof name);
				const char *pat = fs_rule_pattern(p, (enum fs_category)c, v);
				o += (size_t)snprintf(out + o, cap - o, "%s=%d:%s:%s ", PATHS[k], v.action, name,
						      pat ? pat : "-");
			}
			for (int a = 0; a < 3; a++)
				for (size_t q = 0; q < sizeof ports / sizeof *ports; q++) {
					uint8_t ip[16];
					fs_ip_parse(a == 0 ? "10.1.2.3" : a == 1 ? "2001:db8::1" : "127.0.0.1", ip);
					struct fs_verdict v = fs_match_addr(r, ip, ports[q], names + a, 1);
					fs_rule_name((enum fs_category)c, v, name, sizeof name);
					o += (size_t)snprintf(out + o, cap - o, "%d/%u=%d:%s ", a, ports[q], v.action, name);
				}
			o += (size_t)snprintf(out + o, cap - o, "| %d\n", fs_rules_constant(r));
		}
}

/* Load, and when it loads, answer every question (a crafted image must not crash a match). */
static struct fs_policy *load(const uint8_t *img, size_t len, struct fs_errors *e)
{
	struct fs_policy *p = fs_policy_load_image(img, len, NULL, e);
	cr_assert((p != NULL) == (e->count == 0));
	if (p) {
		static char buf[1 << 16];
		decisions(p, buf, sizeof buf);
		for (int c = 0; c < FS_NCATEGORIES; c++) /* the fused walk, which reads every row */
			for (size_t k = 0; k < sizeof PATHS / sizeof *PATHS; k++) {
				struct fs_verdict v;
				(void)fs_match_normal_path(fs_policy_rules(p, (enum fs_category)c, 0), PATHS[k],
							   4096, &v);
			}
	}
	return p;
}

Test(image, same_policy_same_bytes)
{
	struct fs_policy *a = compiled(), *b = compiled();
	size_t la, lb;
	const void *ia = fs_policy_image(a, &la), *ib = fs_policy_image(b, &lb);
	cr_assert_eq(la, lb);
	cr_assert(memcmp(ia, ib, la) == 0, "two compilations of one policy differ");
	fs_policy_free(a);
	fs_policy_free(b);
}

Test(image, loaded_decides_as_compiled)
{
	struct fs_policy *p = compiled();
	size_t len;
	uint8_t *img = image_of(p, &len);
	struct fs_errors e;
	struct fs_policy *q = fs_policy_load_image(img, len, NULL, &e);
	cr_assert_not_null(q, "%s", e.e[0].message);
	static char want[1 << 16], got[1 << 16];
	decisions(p, want, sizeof want);
	decisions(q, got, sizeof got);
	cr_assert_str_eq(got, want);
	size_t sl;
	const char *src = fs_policy_source(q, &sl);
	cr_assert_eq(sl, strlen(POLICY));
	cr_assert(memcmp(src, POLICY, sl) == 0 && src[sl] == 0);
	cr_assert_str_eq(fs_policy_digest(q), fs_policy_digest(p));
	cr_assert_str_eq(fs_policy_metrics_namespace(q), "App");
	cr_assert_eq(fs_policy_mode(q), FS_MODE_BLOCK);
	cr_assert(fs_policy_has_init(q));
	fs_policy_free(q);
	/* FNSHIELD_MODE's override applies to a loaded image, and is not in the image */
	struct fs_image_options o = { .mode_override = FS_MODE_ALERT };
	q = fs_policy_load_image(img, len, &o, &e);
	cr_assert_eq(fs_policy_mode(q), FS_MODE_ALERT);
	fs_policy_free(q);
	free(img);
	fs_policy_free(p);
}

Test(image, truncated_at_every_length)
{
	struct fs_policy *p = compiled();
	size_t len;
	uint8_t *img = image_of(p, &len);
	for (size_t n = 0; n < len; n++) {
		uint8_t *cut = malloc(n ? n : 1);
		memcpy(cut, img, n);
		struct fs_errors e;
		struct fs_policy *q = fs_policy_load_image(cut, n, NULL, &e);
		cr_assert_null(q, "a %zu-byte prefix of a %zu-byte image loaded", n, len);
		cr_assert_eq(e.count, 1);
		cr_assert(strstr(e.e[0].message, n < 8 ? "not a compiled fnshield policy" : "truncated"),
			  "%zu: %s", n, e.e[0].message);
		free(cut);
	}
	free(img);
	fs_policy_free(p);
}

Test(image, every_flipped_bit_is_refused)
{
	struct fs_policy *p = compiled();
	size_t len;
	uint8_t *img = image_of(p, &len);
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit += 3) {
			img[i] ^= (uint8_t)(1u << bit);
			struct fs_errors e;
			struct fs_policy *q = load(img, len, &e);
			cr_assert_null(q, "byte %zu bit %d flipped, and the image loaded", i, bit);
			const char *want = i < 8 ? "not a compiled fnshield policy" : NULL;
			if (want)
				cr_assert(strstr(e.e[0].message, want), "%zu: %s", i, e.e[0].message);
			img[i] ^= (uint8_t)(1u << bit);
		}
	free(img);
	fs_policy_free(p);
}

Test(image, other_version_byte_order_and_size)
{
	struct fs_policy *p = compiled();
	size_t len;
	uint8_t *img = image_of(p, &len);
	struct fs_errors e;
	uint32_t v = FS_IMAGE_FORMAT + 1;
	memcpy(img + 16, &v, 4); /* format */
	fix_checksum(img, len);
	cr_assert_null(load(img, len, &e));
	char want[80];
	snprintf(want, sizeof want, "compiled policy format %u, and this fnshield reads format %u",
		 FS_IMAGE_FORMAT + 1, FS_IMAGE_FORMAT);
	cr_assert(strstr(e.e[0].message, want), "%s", e.e[0].message);
	v = FS_IMAGE_FORMAT;
	memcpy(img + 16, &v, 4);
	uint32_t bom = 0x04030201; /* written by a big-endian machine */
	memcpy(img + 20, &bom, 4);
	fix_checksum(img, len);
	cr_assert_null(load(img, len, &e));
	cr_assert(strstr(e.e[0].message, "byte order"), "%s", e.e[0].message);
	free(img);
	img = image_of(p, &len);
	uint8_t *longer = calloc(1, len + 1);
	memcpy(longer, img, len);
	cr_assert_null(load(longer, len + 1, &e));
	cr_assert(strstr(e.e[0].message, "appended"), "%s", e.e[0].message);
	free(longer);
	free(img);
	fs_policy_free(p);
}

/* With the checksum made right again, changed bytes reach the views' checks: every result
 * is either a refusal that says so or a policy that answers every question. (The fuzz target
 * does the same at scale, under AddressSanitizer: tests/fuzz/fuzz_image.c.) Rounds of 1 to 4
 * changed bytes; counts what loaded and what was refused. */
static void craft(const struct fs_policy *p, int rounds, unsigned seed, int *loaded, int *refused)
{
	size_t len;
	uint8_t *img = image_of(p, &len);
	srand(seed);
	*loaded = *refused = 0;
	for (int round = 0; round < rounds; round++) {
		uint8_t *m = malloc(len);
		memcpy(m, img, len);
		int changes = 1 + rand() % 4;
		for (int k = 0; k < changes; k++) {
			size_t at = 16 + (size_t)rand() % (len - 16);
			m[at] = rand() % 3 ? (uint8_t)rand() : (uint8_t)(m[at] ^ 0x80);
		}
		fix_checksum(m, len);
		struct fs_errors e;
		struct fs_policy *q = load(m, len, &e);
		if (q) {
			(*loaded)++;
			fs_policy_free(q);
		} else {
			(*refused)++;
			cr_assert(strncmp(e.e[0].message, "compiled policy: ", 17) == 0, "%s", e.e[0].message);
		}
		free(m);
	}
	free(img);
}

Test(image, crafted_images_never_crash)
{
	struct fs_policy *p = compiled();
	int loaded, refused;
	craft(p, 20000, 1234, &loaded, &refused);
	cr_assert(refused > 0 && loaded > 0, "loaded %d refused %d", loaded, refused);
	fs_policy_free(p);
}

/* tests/fuzz/large.json compiled: 600 patterns, a read category of a 16-bit table scaled by 4. */
static struct fs_policy *large_policy(void)
{
	FILE *f = fopen("tests/fuzz/large.json", "r");
	cr_assert_not_null(f, "run from the repository's root");
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof text, f);
	fclose(f);
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(text, n, NULL, &e);
	cr_assert_not_null(p, "%s", e.e[0].message);
	return p;
}

/* The same on a 600-pattern policy, whose read category is a 16-bit table scaled by 4. */
Test(image, crafted_large_images_never_crash, .timeout = 120)
{
	struct fs_policy *p = large_policy();
	cr_assert_eq(fs_policy_rules(p, FS_READ, 0)->dfa->table, FS_DFA_FLAT16X4);
	int loaded, refused;
	craft(p, 3000, 99, &loaded, &refused);
	cr_assert_gt(loaded, 0);
	fs_policy_free(p);
}

Test(image, json_is_not_an_image)
{
	cr_assert_not(fs_image_is(POLICY, strlen(POLICY)));
	struct fs_errors e;
	cr_assert_null(fs_policy_load_image(POLICY, strlen(POLICY), NULL, &e));
	cr_assert(strstr(e.e[0].message, "not a compiled fnshield policy"), "%s", e.e[0].message);
	cr_assert_null(fs_policy_load_image(NULL, 0, NULL, &e));
}

/* A child maps its parent's copy as trusted: the load reads the header and the records that
 * describe the tables, all written right after the header (fs_img_put_record), so it touches
 * the first page or two whatever the policy's size (each page first touched costs a child a
 * page fault). Proved with every page after them made unreadable. */
Test(image, a_trusted_load_reads_only_the_header_and_the_records)
{
	struct fs_policy *p = large_policy();
	size_t len;
	const void *img = fs_policy_image(p, &len);
	const size_t page = (size_t)sysconf(_SC_PAGESIZE), pages = (len + page - 1) / page;
	cr_assert_gt(pages, 16, "a large image: %zu bytes", len);
	uint8_t *map = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(map, MAP_FAILED);
	memcpy(map, img, len);
	enum { READ_PAGES = 2 }; /* the header and the records of ten categories: a few KB */
	cr_assert_eq(mprotect(map + READ_PAGES * page, (pages - READ_PAGES) * page, PROT_NONE), 0);
	struct fs_image_options o = {.trusted = 1};
	struct fs_errors e;
	struct fs_policy *q = fs_policy_load_image(map, len, &o, &e);
	cr_assert_not_null(q, "%s", e.count ? e.e[0].message : "");
	fs_policy_free(q);
	munmap(map, pages * page);
	fs_policy_free(p);
}
