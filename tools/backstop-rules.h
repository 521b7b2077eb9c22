/*
 * backstop-rules.h — the seccomp backstop's rules, in libseccomp's terms (build time only).
 *
 * Used by tools/gen-seccomp.c, which turns every variant into the BPF program the library
 * embeds, and by tests/unit/test_backstop_programs.c, which checks that the embedded programs
 * are still what these rules give. The library itself never links libseccomp.
 */
#ifndef FNSHIELD_BACKSTOP_RULES_H
#define FNSHIELD_BACKSTOP_RULES_H

#include <seccomp.h>
#include <stdint.h>

/* Add the rules of `variant` (BACKSTOP_* bits, shim/backstop.h) to ctx, a filter made with
 * seccomp_init(SCMP_ACT_ALLOW) for the single architecture `arch` (an SCMP_ARCH_* token).
 * A call the architecture does not have is skipped. Returns 0 or a negative errno. */
int backstop_rules(scmp_filter_ctx ctx, uint32_t arch, unsigned variant);

/* A filter for `variant` on `arch`, as the library loads it, or NULL (errno-style code in
 * *err). Release with seccomp_release(). */
scmp_filter_ctx backstop_filter(uint32_t arch, unsigned variant, int *err);

#endif
