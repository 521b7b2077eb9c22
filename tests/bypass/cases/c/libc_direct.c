/*
 * libc_direct.c — reach libc's own definitions past the preloaded ones.
 *
 *   libc_direct dlopen-execve   dlopen("libc.so.6") + dlsym("execve"), run touch MARKER
 *   libc_direct dlopen-open     dlopen("libc.so.6") + dlsym("open"), read SECRET
 *   libc_direct dlopen-connect  dlopen("libc.so.6") + dlsym("connect") to 127.0.0.1
 *   libc_direct rtld-next-open  dlsym(RTLD_NEXT, "open") from the main program, read SECRET
 *   libc_direct alias-open      __open64, an exported libc alias of open(), read SECRET
 *   libc_direct alias-system    __libc_system (GLIBC_PRIVATE), via dlsym(RTLD_DEFAULT):
 *                               "/bin/sh -c ': > MARKER'" (the marker means sh ran)
 */
#include "bypass.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>

extern int __open64(const char *, int, ...);

/* Part of the technique (after ATTEMPT): a refusal here is an outcome, not a setup failure. */
static void *libc_sym(const char *name)
{
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_LOCAL);
	void *f = h ? dlsym(h, name) : NULL;
	if (!f) {
		DONE("dlopen/dlsym(libc.so.6, %s) refused: %s", name, dlerror());
		exit(0);
	}
	return f;
}

static void read_with(int (*op)(const char *, int, ...), const char *how)
{
	const char *p = target("BYPASS_SECRET");
	say("NOTE open %s via %s", p, how);
	int fd = op(p, O_RDONLY);
	if (fd < 0) {
		DONE("refused errno=%d", errno);
		return;
	}
	show_fd(fd);
	DONE("opened and read");
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	target("BYPASS_SECRET");
	target("BYPASS_MARKER");
	ATTEMPT("%s", op);
	if (!strcmp(op, "dlopen-execve")) {
		int (*ex)(const char *, char *const[], char *const[]) = libc_sym("execve");
		char *args[] = {"touch", (char *)target("BYPASS_MARKER"), NULL};
		ex(TOUCH, args, environ);
		DONE("refused errno=%d", errno);
	} else if (!strcmp(op, "dlopen-open")) {
		read_with(libc_sym("open"), "dlopen(libc.so.6)+dlsym");
	} else if (!strcmp(op, "rtld-next-open")) {
		int (*o)(const char *, int, ...) = dlsym(RTLD_NEXT, "open");
		if (!o) {
			DONE("dlsym(RTLD_NEXT, open) refused");
			return 0;
		}
		read_with(o, "dlsym(RTLD_NEXT)");
	} else if (!strcmp(op, "alias-open")) {
		read_with(__open64, "__open64");
	} else if (!strcmp(op, "alias-system")) {
		int (*sys)(const char *) = dlsym(RTLD_DEFAULT, "__libc_system");
		if (!sys) {
			DONE("dlsym __libc_system refused");
			return 0;
		}
		char cmd[4200];
		snprintf(cmd, sizeof cmd, ": > '%s'", target("BYPASS_MARKER")); /* sh itself */
		say("NOTE __libc_system(%s)", cmd);
		int r = sys(cmd);
		DONE("system returned %d errno=%d", r, errno);
	} else if (!strcmp(op, "dlopen-connect")) {
		int (*co)(int, const struct sockaddr *, socklen_t) = libc_sym("connect");
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_port = htons((uint16_t)atoi(target("BYPASS_TCP4_PORT")))};
		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0) {
			DONE("socket refused errno=%d", errno);
			return 0;
		}
		int r = co(s, (struct sockaddr *)&sa, sizeof sa);
		DONE("connect=%d errno=%d", r, r ? errno : 0);
	} else {
		fprintf(stderr, "libc_direct: unknown op %s\n", op);
		return 3;
	}
	return 0;
}
