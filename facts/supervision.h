/*
 * supervision.h — what the library and the supervisor it starts agree on (shim/supervisor.c
 * starts `fnshield supervise`, cli/supervise.c): one place for both sides.
 */
#ifndef FNSHIELD_SUPERVISION_H
#define FNSHIELD_SUPERVISION_H

#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* Set in every child's environment once the root's supervisor runs: the filter is inherited,
 * and a child starts no supervisor of its own. */
#define SUPERVISOR_ENV "_FNSHIELD_SUPERVISOR"

/* The descriptor the supervisor finds its end of the socket on; the library sends the
 * filter's listener over it (SCM_RIGHTS), once. */
#define SUPERVISOR_SOCKET_FD 3

/* What the supervisor says first on that socket: the library installs its filter only once it
 * has heard it (a missing or older `fnshield` beside the library would never take the
 * listener, and the calls the filter sends would then fail). */
#define SUPERVISOR_HELLO "fnshield-supervise 1"
/* Or, instead, that it could not do its work: it may not read its callers' memory (ptrace
 * access: Yama's ptrace_scope above 0, or a sandbox that refuses process_vm_readv). Every call
 * sent would then go unread; the library installs no filter. */
#define SUPERVISOR_NO_ACCESS "fnshield-supervise: no ptrace access"
#define SUPERVISOR_WORDS_MAX 64 /* the longest of the two, and more */

/* With the listener comes a second descriptor: a memfd whose first int is the root's Lambda
 * phase (0 none, 1 init, 2 invoke: enum shim_phase), written by the root when it changes, so
 * that the supervisor applies the policy's init rules while the function initialises. */
#define SUPERVISOR_PHASE_INIT 1

/* That message: one byte, and up to two descriptors as SCM_RIGHTS (the listener, then the
 * phase page when there is one). Built here for both sides: with fds to send nfds of them,
 * with fds NULL to receive up to nfds. */
struct supervision_msg {
	char byte;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m;
};

static inline struct msghdr *supervision_msg(struct supervision_msg *s, const int *fds, int nfds)
{
	memset(s, 0, sizeof *s);
	s->iov = (struct iovec){&s->byte, 1};
	s->m = (struct msghdr){.msg_iov = &s->iov, .msg_iovlen = 1, .msg_control = s->u.buf,
			       .msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int))};
	struct cmsghdr *c = CMSG_FIRSTHDR(&s->m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	if (fds)
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	return &s->m;
}

#endif
