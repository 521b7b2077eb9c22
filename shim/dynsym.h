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

#include <link.h>
#include <stddef.h>
#include <stdint.h>

/* 1: an object loaded now defines name in its dynamic symbol table; 0: none does; -1: cannot
 * tell (an object without a GNU hash table: ask dlsym). Takes the loader's object-list lock
 * (dl_iterate_phdr): for start-up, not for the check path. */
int dynsym_defined(const char *name);

/* The address of the first definition of name in the loaded objects, in their load order (an
 * indirect function's: NULL), or NULL. For what the library cannot ask dlsym (real.c). */
void *dynsym_address(const char *name);

/* The tables an object's dynamic section names (0: absent), as addresses: its nd entries at
 * most, up to DT_NULL. lo: the object's lowest load address; bias: load address - ELF virtual
 * address. ld.so relocates these in place for ordinary objects, not for the vDSO (its dynamic
 * section is read-only), whose values lie below lo. Shared with backtrace.c, which checks the
 * section's memory and the results itself. */
struct dyn_tables {
	uintptr_t symtab, strtab, gnu_hash, sysv_hash, strsz, syment;
};
void dyn_tables_of(const ElfW(Dyn) *dyn, size_t nd, uintptr_t lo, uintptr_t bias,
		   struct dyn_tables *t);

#endif
