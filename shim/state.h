/*
 * state.h — what the library knows about the process it protects.
 *
 * Written once by the constructor (init.c) before any check can run, then only read: the check
 * path needs no lock. The few fields that change later (the Lambda phase) are atomics.
 */
#ifndef FNSHIELD_STATE_H
#define FNSHIELD_STATE_H

#include "policy.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>

enum shim_phase { PHASE_NONE = 0, PHASE_INIT = 1, PHASE_INVOKE = 2 };

struct shim_state {
	const struct fs_policy *policy;
	enum fs_mode mode;
	/* Rules in force per category, by phase (enum shim_phase): [PHASE_INIT] during Lambda's
	 * init phase, the same rules outside it at [PHASE_NONE] and [PHASE_INVOKE] — so that every
	 * checked call finds its rules from the phase as it is, without a compare. */
	const struct fs_rules *rules[3][FS_NCATEGORIES];
	/* Bit c set: category c allows everything in that phase (the hooks' one-compare path). */
	unsigned unrestricted[2];

	char function_name[256];      /* AWS_LAMBDA_FUNCTION_NAME, "" outside Lambda */

	/* AWS_LAMBDA_RUNTIME_API: always reachable whatever the policy (SPEC). */
	int have_runtime_api;
	uint8_t runtime_api_ip[16];
	uint16_t runtime_api_port;

	/* The JDK's launcher helper (<java.home>/lib/jspawnhelper): a trampoline the JVM
	 * posix_spawns for every ProcessBuilder; the program it then runs is checked inside it. */
	const char *jspawnhelper;     /* NULL: not a JVM launcher */

	/* Connect or listen restricted in some phase: name lookups are remembered (dnstable.h)
	 * so that a rule or a violation line can name the host of an address. */
	int record_names;

	/* The seccomp backstop refuses socket(AF_INET/AF_INET6) (syscall_filter.h). */
	int inet_sockets_refused;
};

/* What every process writes at load, the library's own state included (g_shim, the real
 * functions, what children inherit), goes to .data: the page of it that loading the library
 * writes anyway. In .bss it was spread over seven pages among the large tables, and each page
 * written costs a child a page fault (~13 µs on this kind of machine, issue #13). */
#define SHIM_LOAD_STATE __attribute__((section(".data.load")))

/* The library's own variables are declared hidden where they are declared, not only where
 * they are defined (-fvisibility=hidden covers definitions alone): a declaration gcc takes for
 * a symbol another object could interpose is read through the GOT — at best, once the linker
 * relaxes that, one lea more for every read, on every hook's fast path. */
#pragma GCC visibility push(hidden)
extern struct shim_state g_shim;
extern atomic_int g_phase;          /* enum shim_phase */
extern atomic_int g_ready;          /* 1 once g_shim is complete */

/* What the hooks must look at right now, as bits: (1 << c) for every category c whose rules
 * restrict something in the current phase, and WATCH_RUNTIME_API when the Runtime API's traffic
 * is followed (under Lambda). Every bit is set until the library is ready, so a call made before
 * our constructor ran takes the slow path, which initialises. It is the hooks' fast path: one
 * load and one bit test, then the real function. */
extern atomic_uint g_watch;
#pragma GCC visibility pop
#define WATCH_RUNTIME_API (1u << FS_NCATEGORIES)

static inline unsigned shim_watch(void)
{
	return atomic_load_explicit(&g_watch, memory_order_relaxed);
}

/* Enter a phase (lambda.c): the rules in force, and so g_watch, change with it. */
void shim_set_phase(enum shim_phase p);
/* Compute g_watch from g_shim and the phase (init.c, once g_shim is complete). */
void shim_publish_watch(void);

/* Make sure the library is initialised (a hook can run before our constructor, from another
 * library's). Returns 0 when checks may run, -1 when the caller should just pass through
 * (initialisation in progress on this very thread). */
int shim_ensure_ready(void);

static inline int shim_ready(void)
{
	if (__builtin_expect(atomic_load_explicit(&g_ready, memory_order_acquire), 1))
		return 0;
	return shim_ensure_ready();
}

static inline const struct fs_rules *shim_rules(enum fs_category c)
{
	return g_shim.rules[atomic_load_explicit(&g_phase, memory_order_relaxed)][c];
}

#endif
