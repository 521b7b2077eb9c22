/*
 * dynsym.h — is a symbol defined by an object loaded now, and where, asked without dlsym.
 *
 * dlsym answers "no" by raising the loader's error, and glibc allocates that error's message:
 * the first malloc of a process that never allocates otherwise (`true`, `cat`, most of what a
 * function spawns) — ~0.1 ms of a child's start on this kind of machine (issue #13). The
 * runtime probes (origin_*.c) ask this first, and call dlsym only for symbols that are there.
 */
#ifndef FNSHIELD_DYNSYM_H
#define FNSHIELD_DYNSYM_H

#include <stdint.h>

/* 1: an object loaded now defines name in its dynamic symbol table; 0: none does; -1: cannot
 * tell (an object without a GNU hash table: ask dlsym). Takes the loader's object-list lock
 * (dl_iterate_phdr): for start-up, not for the check path. */
int dynsym_defined(const char *name);

/* The address of the first definition of name in the loaded objects, in their load order (an
 * indirect function's: NULL), or NULL. For what the library cannot ask dlsym (real.c). */
void *dynsym_address(const char *name);

/* A d_ptr of an object's dynamic section, as an address: relocated in place by ld.so for
 * ordinary objects, not for the vDSO (its dynamic section is read-only), whose values lie below
 * its lowest load address lo. bias: load address - ELF virtual address. */
static inline uintptr_t dyn_ptr(uintptr_t v, uintptr_t lo, uintptr_t bias)
{
	return v < lo ? v + bias : v;
}

#endif
