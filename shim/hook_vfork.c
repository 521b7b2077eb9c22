/*
 * hook_vfork.c — vfork, seen only to take the caller's managed stack before the child runs.
 *
 * JDK 11 starts programs by vfork and an exec from the child. The child shares the parent's
 * memory and stands on its stack, but no Java can be walked there (the JVM's thread is the
 * parent's, suspended in vfork). So the parent's thread takes its origin first (origin.h,
 * origin_before_vfork), and the exec's line in the child uses it.
 *
 * vfork cannot be wrapped in C: a wrapper's frame would be returned from twice, once by the
 * child and once by the parent, on the same stack. The hook is a few instructions instead: call
 * vfork_prepare (a normal call, finished before anything forks), then jump to the real vfork
 * with the caller's own return address on top of the stack, as if the caller had called it.
 * (The CFI lines let a debugger or unwinder step through it.)
 */
#include "origin.h"
#include "policy_share.h"
#include "real.h"

/* Called by the assembly below: take the stack, return the real vfork. */
__attribute__((used)) void *vfork_prepare(void)
{
	origin_before_vfork();
	policy_share_publish();
	return (void *)REAL(vfork);
}

#if defined(__x86_64__)
__asm__(".text\n"
	".globl vfork\n"
	".type vfork, @function\n"
	"vfork:\n"
	"	.cfi_startproc\n"
	"	sub $8, %rsp\n" /* the call needs a 16-byte aligned stack */
	"	.cfi_adjust_cfa_offset 8\n"
	"	call vfork_prepare\n"
	"	add $8, %rsp\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	jmp *%rax\n"
	"	.cfi_endproc\n"
	".size vfork, .-vfork\n");
#elif defined(__aarch64__)
__asm__(".text\n"
	".globl vfork\n"
	".type vfork, %function\n"
	"vfork:\n"
	"	.cfi_startproc\n"
	"	stp x29, x30, [sp, #-16]!\n"
	"	.cfi_def_cfa_offset 16\n"
	"	.cfi_offset 29, -16\n"
	"	.cfi_offset 30, -8\n"
	"	mov x29, sp\n"
	"	bl vfork_prepare\n"
	"	ldp x29, x30, [sp], #16\n"
	"	.cfi_def_cfa_offset 0\n"
	"	.cfi_restore 30\n"
	"	.cfi_restore 29\n"
	"	br x0\n"
	"	.cfi_endproc\n"
	".size vfork, .-vfork\n");
#else
#error "hook_vfork.c: vfork's hook is written for x86_64 and aarch64"
#endif
