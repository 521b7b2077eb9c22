/*
 * hook_dlopen.c — dlopen of a library by path is a read of that file (see hooks.def).
 *
 * A refused dlopen returns NULL like any failed one, and the next dlerror() on that thread
 * returns the message glibc itself gives for a library it may not read.
 */
#include "check.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

static __thread __attribute__((tls_model("initial-exec"))) char refusal[512];
static __thread __attribute__((tls_model("initial-exec"))) int refusal_pending;

static void remember_refusal(const char *file)
{
	static const char tail[] = ": cannot open shared object file: Permission denied";
	size_t n = strlen(file);
	if (n > sizeof refusal - sizeof tail)
		n = sizeof refusal - sizeof tail;
	memcpy(refusal, file, n);
	memcpy(refusal + n, tail, sizeof tail);
	refusal_pending = 1;
}

static int denied(const char *file)
{
	if (!file || !strchr(file, '/') || shim_ready() < 0 || check_unrestricted(FS_READ))
		return 0;
	int saved = errno;
	int err = check_file("dlopen", FS_READ, AT_FDCWD, file, 1, 0);
	errno = saved;
	return err != 0;
}

EXPORT void *dlopen(const char *file, int mode)
{
	if (denied(file)) {
		remember_refusal(file);
		return NULL;
	}
	refusal_pending = 0;
	return REAL(dlopen)(file, mode); /* a tail call: see hooks.def */
}

EXPORT char *dlerror(void)
{
	if (refusal_pending) {
		refusal_pending = 0;
		return refusal;
	}
	return REAL(dlerror)();
}
