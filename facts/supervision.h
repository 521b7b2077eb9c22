/*
 * supervision.h — what the library and the supervisor it starts agree on (shim/supervisor.c
 * starts `fnshield supervise`, cli/supervise.c): one place for both sides.
 */
#ifndef FNSHIELD_SUPERVISION_H
#define FNSHIELD_SUPERVISION_H

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

/* With the listener comes a second descriptor: a memfd whose first int is the root's Lambda
 * phase (0 none, 1 init, 2 invoke: enum shim_phase), written by the root when it changes, so
 * that the supervisor applies the policy's init rules while the function initialises. */
#define SUPERVISOR_PHASE_INIT 1

#endif
