/*
 * treefd.h — a descriptor the root of a protected tree keeps for the whole tree.
 *
 * Two things are held this way: the tree's log stream (logfd.c) and the compiled policy its
 * processes share (policy_share.c). The root keeps each on a high descriptor of its own,
 * close-on-exec, so no program ever sees it; a child is told, through an environment entry
 * "PID:FD:DEV:INO", where it is, and fetches it when it needs it (pidfd_getfd, else
 * /proc/PID/fd/N), checking that what it got is that very file: the pid may have been reused,
 * or a program may have put another file on that number.
 *
 * Raw system calls, no allocation: these run in hooks, vfork children and signal handlers.
 */
#ifndef FNSHIELD_TREEFD_H
#define FNSHIELD_TREEFD_H

struct treefd {
	int pid;                /* the root's */
	int fd;                 /* its number there */
	unsigned long dev, ino; /* the file's identity */
};

/* A copy of fd on a number out of the way of applications (just under the usual 1024 limit),
 * close-on-exec; -1 when there is none. */
int treefd_high_dup(int fd);

/* Is fd that file? */
int treefd_same(int fd, unsigned long dev, unsigned long ino);

/* The identity of fd into t (with this process's pid and fd). 0, or -1. */
int treefd_describe(int fd, struct treefd *t);

/* The root's descriptor, fetched into this process (close-on-exec): the same open file
 * (pidfd_getfd), else the file reopened with open_flags through /proc/PID/fd/N; its identity
 * checked either way. -1 when it cannot be had. */
int treefd_fetch(const struct treefd *t, int open_flags);

/* "NAME=PID:FD:DEV:INO" into buf (room for the name and 80 bytes). Returns buf. */
char *treefd_entry(char *buf, const char *name, const struct treefd *t);

/* The value "PID:FD:DEV:INO" back (NULL or malformed: -1). */
int treefd_parse(const char *value, struct treefd *t);

#endif
