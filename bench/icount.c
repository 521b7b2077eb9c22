/*
 * icount.c — count the user-space instructions (and system calls) of marked regions of a
 * program, exactly, with ptrace.
 *
 * Why: this VM exposes no hardware counters (`perf stat -e instructions` says "not
 * supported"), and valgrind 3.19 does not know openat2, the system call fnshield's open path
 * is built on (valgrind fails it with ENOSYS, the library falls back to its slow path, and the
 * count would describe the wrong code). Single-stepping runs the real code, real system calls
 * included, and counts each instruction the CPU retires in user space, deterministically: the
 * same binary and input give the same count on a loaded machine and an idle one. Like
 * callgrind, a `rep`-prefixed string instruction counts once per iteration.
 *
 * The program marks regions by calling a function that executes `int3` (bench/micro.c's
 * bench_marker): the first marker starts counting, the next stops it, and so on. Between
 * regions the program runs at full speed (PTRACE_CONT).
 *
 *   icount [-s] [-o OUT] [-p FILE] -- PROGRAM ARG...
 *
 * Prints (to OUT, default standard output) one line per region: the number of instructions, or with -s the number of system
 * calls followed by "number:count" pairs. To give the program an environment of its own (a
 * preload that must not apply to icount), run it through env(1). With -p, writes every region's
 * instruction-address histogram ("region address count") and the program's memory map (lines
 * "map ...") to FILE: bench/run.py turns that into a flat per-function profile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define HSIZE (1u << 16)
static uint64_t h_addr[HSIZE], h_cnt[HSIZE];
static uint64_t sys_cnt[512];

static void hist_add(uint64_t a)
{
	uint32_t i = (uint32_t)((a * 0x9E3779B97F4A7C15ull) >> 48);
	for (;; i = (i + 1) & (HSIZE - 1)) {
		if (h_addr[i] == a) {
			h_cnt[i]++;
			return;
		}
		if (!h_addr[i]) {
			h_addr[i] = a;
			h_cnt[i] = 1;
			return;
		}
	}
}

static long peek_user(pid_t pid, size_t off)
{
	errno = 0;
	return ptrace(PTRACE_PEEKUSER, pid, (void *)off, NULL);
}

static void dump_maps(FILE *out, pid_t pid)
{
	char path[64], line[1024];
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	FILE *m = fopen(path, "r");
	if (!m)
		return;
	while (fgets(line, sizeof line, m))
		fprintf(out, "map %s", line);
	fclose(m);
}

int main(int argc, char **argv)
{
	int sys_mode = 0, opt;
	const char *prof_path = NULL;
	FILE *out = stdout;
	while ((opt = getopt(argc, argv, "so:p:")) != -1) {
		if (opt == 's') {
			sys_mode = 1;
		} else if (opt == 'o') {
			if (!(out = fopen(optarg, "w"))) {
				perror(optarg);
				return 2;
			}
		} else if (opt == 'p') {
			prof_path = optarg;
		} else {
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: icount [-s] [-o OUT] [-p FILE] -- PROGRAM ARG...\n");
		return 2;
	}
	FILE *prof = prof_path ? fopen(prof_path, "w") : NULL;
	if (prof_path && !prof) {
		perror(prof_path);
		return 2;
	}

	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execvp(argv[optind], argv + optind);
		perror(argv[optind]);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) { /* the SIGTRAP after execve */
		fprintf(stderr, "icount: program did not start\n");
		return 2;
	}
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC));

	uint64_t marker = 0; /* address just after the int3 of the marker function */
	int counting = 0, region = 0, in_sys = 0, maps_done = 0;
	uint64_t n = 0;
	int sig = 0;
	for (;;) {
		enum __ptrace_request how = !counting ? PTRACE_CONT : sys_mode ? PTRACE_SYSCALL : PTRACE_SINGLESTEP;
		if (ptrace(how, pid, NULL, (void *)(long)sig) < 0) {
			perror("ptrace");
			return 2;
		}
		sig = 0;
		if (waitpid(pid, &st, 0) < 0) {
			perror("waitpid");
			return 2;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		int s = WSTOPSIG(st);
		if (st >> 16) /* a ptrace event (an exec: `env VAR=... PROGRAM` runs the program) */
			continue;
		if (s == (SIGTRAP | 0x80)) { /* system-call stop (sys_mode) */
			if (!in_sys) {
				long nr = peek_user(pid, offsetof(struct user_regs_struct, orig_rax));
				n++;
				if (nr >= 0 && nr < 512)
					sys_cnt[nr]++;
			}
			in_sys = !in_sys;
			continue;
		}
		if (s != SIGTRAP) {
			sig = s; /* the program's own signal: deliver it */
			continue;
		}
		uint64_t rip = (uint64_t)peek_user(pid, offsetof(struct user_regs_struct, rip));
		int is_marker = 0;
		if (rip == marker || (!marker && !counting)) {
			siginfo_t si;
			if (ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) == 0 && si.si_code == SI_KERNEL) {
				is_marker = 1;
				if (!marker)
					marker = rip;
			}
		}
		if (!is_marker) {
			if (counting && !sys_mode) {
				n++;
				if (prof)
					hist_add(rip);
			}
			continue;
		}
		if (prof && !maps_done) {
			dump_maps(prof, pid);
			maps_done = 1;
		}
		if (!counting) {
			counting = 1;
			n = 0;
			in_sys = 0;
			memset(sys_cnt, 0, sizeof sys_cnt);
			continue;
		}
		counting = 0;
		if (!sys_mode) {
			fprintf(out, "%llu\n", (unsigned long long)n);
		} else {
			fprintf(out, "%llu", (unsigned long long)n);
			for (int i = 0; i < 512; i++)
				if (sys_cnt[i])
					fprintf(out, " %d:%llu", i, (unsigned long long)sys_cnt[i]);
			fprintf(out, "\n");
		}
		fflush(out);
		if (prof) {
			for (uint32_t i = 0; i < HSIZE; i++)
				if (h_addr[i]) {
					fprintf(prof, "%d %llx %llu\n", region, (unsigned long long)h_addr[i],
						(unsigned long long)h_cnt[i]);
					h_addr[i] = h_cnt[i] = 0;
				}
		}
		region++;
	}
	if (prof)
		fclose(prof);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
