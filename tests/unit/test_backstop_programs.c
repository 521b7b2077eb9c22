/*
 * test_backstop_programs.c — the BPF programs compiled into the library are the ones the
 * rules give.
 *
 * The library embeds programs generated at build time ($(BUILD)/seccomp_programs.h). Here
 * every variant is built again with libseccomp, for this machine's architecture, and exported:
 * a change to tools/backstop-rules.c, to the generator or to libseccomp that the embedded
 * table does not reflect fails here instead of shipping a stale filter.
 */
#include "backstop-rules.h"
#include "seccomp_programs.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* libseccomp's export of one variant, into out (cap instructions); the count. */
static size_t exported(unsigned variant, struct sock_filter *out, size_t cap)
{
	int err = 0;
	scmp_filter_ctx ctx = backstop_filter(seccomp_arch_native(), variant, &err);
	cr_assert(ctx, "variant %u: %s", variant, strerror(-err));
	FILE *f = tmpfile();
	cr_assert(f);
	cr_assert_eq(seccomp_export_bpf(ctx, fileno(f)), 0);
	seccomp_release(ctx);
	rewind(f);
	size_t n = fread(out, sizeof *out, cap, f);
	fclose(f);
	cr_assert(n > 0 && n < cap);
	return n;
}

Test(backstop_programs, generated_for_this_architecture)
{
	cr_assert_eq(BACKSTOP_PROGRAMS_ARCH, seccomp_arch_native());
}

Test(backstop_programs, each_is_what_libseccomp_exports_now)
{
	static struct sock_filter want[4096];
	for (unsigned v = 0; v < BACKSTOP_VARIANTS; v++) {
		size_t n = exported(v, want, sizeof want / sizeof *want);
		const struct backstop_program *got = &backstop_programs[v];
		cr_assert_eq(got->len, n, "variant %u: %u instructions embedded, %zu exported", v,
			     got->len, n);
		cr_assert(!memcmp(got->filter, want, n * sizeof *want),
			  "variant %u differs from libseccomp's program: rebuild the header", v);
	}
}

/* Every question adds rules of its own: a bit that left a program unchanged would mean its
 * rules were lost (a name no longer resolving, a condition dropped). */
Test(backstop_programs, each_bit_adds_to_every_program)
{
	for (unsigned v = 0; v < BACKSTOP_VARIANTS; v++)
		for (unsigned bit = 1; bit < BACKSTOP_VARIANTS; bit <<= 1)
			if (!(v & bit))
				cr_assert_gt(backstop_programs[v | bit].len, backstop_programs[v].len,
					     "variant %u with bit %u", v, bit);
}
