/*
 * test_exe.c — the program's path, found at first use (shim/exe.h): the same answer from
 * every thread, whichever asks first.
 */
#include "exe.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define THREADS 8

static pthread_barrier_t start;

static void *ask(void *out)
{
	pthread_barrier_wait(&start);
	*(const char **)out = shim_exe();
	return NULL;
}

Test(exe, is_proc_self_exe_from_every_thread_at_once)
{
	char want[4096];
	ssize_t n = readlink("/proc/self/exe", want, sizeof want - 1);
	cr_assert(n > 0);
	want[n] = 0;
	pthread_t t[THREADS];
	const char *got[THREADS];
	pthread_barrier_init(&start, NULL, THREADS);
	for (int i = 0; i < THREADS; i++)
		cr_assert(pthread_create(&t[i], NULL, ask, &got[i]) == 0);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_str_eq(got[i], want);
	}
	cr_assert_str_eq(shim_exe(), want, "and the same afterwards");
}
