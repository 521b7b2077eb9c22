/*
 * execrace: exec a file while another thread keeps creating and removing it
 * (test_exec_missing.py: deciding that a program does not exist must leave no window in which a
 * file created after the check runs unchecked).
 *
 * Usage: execrace TARGET SOURCE MARKER MILLISECONDS
 *   SOURCE is copied once to TARGET.src (mode 755); a thread loops: hard-link TARGET.src to
 *   TARGET, remove TARGET. The main thread loops, for
 *   MILLISECONDS: fork; the child execve(TARGET, {TARGET, MARKER}) and _exits with errno when
 *   the exec fails. SOURCE writes MARKER and exits 42 when it runs.
 * Prints {"tries":N,"ran":N,"enoent":N,"eacces":N,"other":N,"other_codes":[...]}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *target;
static char srcname[4096];
static atomic_int stop;

/* Hard links come and go atomically, and nobody ever holds the file open for writing while a
 * child execs it (which would be ETXTBSY): TARGET, when it exists, is complete and executable. */
static void *churn(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		link(srcname, target);
		sched_yield();
		unlink(target);
		sched_yield();
	}
	return NULL;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: execrace TARGET SOURCE MARKER MILLISECONDS\n");
		return 2;
	}
	target = argv[1];
	snprintf(srcname, sizeof srcname, "%s.src", target);
	int sfd = open(argv[2], O_RDONLY), dfd = open(srcname, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	char buf[65536];
	ssize_t n;
	if (sfd < 0 || dfd < 0)
		return 3;
	while ((n = read(sfd, buf, sizeof buf)) > 0)
		if (write(dfd, buf, (size_t)n) != n)
			return 4;
	close(sfd);
	if (fchmod(dfd, 0755) != 0 || close(dfd) != 0)
		return 4;
	double until = now_ms() + atof(argv[4]);

	pthread_t th;
	pthread_create(&th, NULL, churn, NULL);
	char *cargv[] = {(char *)target, argv[3], NULL};
	long tries = 0, ran = 0, enoent = 0, eacces = 0, other = 0;
	int codes[16], ncodes = 0;
	while (now_ms() < until) {
		pid_t pid = fork();
		if (pid == 0) {
			execve(target, cargv, environ);
			_exit(errno & 0x7f);
		}
		int ws = 0;
		waitpid(pid, &ws, 0);
		tries++;
		int rc = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
		if (rc == 42)
			ran++;
		else if (rc == ENOENT)
			enoent++;
		else if (rc == EACCES)
			eacces++;
		else {
			other++;
			if (ncodes < 16)
				codes[ncodes++] = rc;
		}
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	unlink(target);
	unlink(srcname);
	printf("{\"tries\":%ld,\"ran\":%ld,\"enoent\":%ld,\"eacces\":%ld,\"other\":%ld,\"other_codes\":[",
	       tries, ran, enoent, eacces, other);
	for (int i = 0; i < ncodes; i++)
		printf("%s%d", i ? "," : "", codes[i]);
	printf("]}\n");
	return 0;
}
