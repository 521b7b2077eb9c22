/*
 * exe.h — the running program's path, for the lines' "exe", found when first needed.
 *
 * Why not at load: the first look at /proc/self in a new process costs 25–65 µs on this
 * kind of machine (the kernel builds the process's /proc entries), and most children of a
 * protected process (a `subprocess.run` per invocation) never write a line. The JDK's
 * launcher is the exception: it is recognised by its path at load (init.c).
 */
#ifndef FNSHIELD_EXE_H
#define FNSHIELD_EXE_H

/* /proc/self/exe; without /proc, the path execve was given (AT_EXECFN) — or, when that is a
 * #! script, argv[0], which the kernel set to the interpreter — made absolute. "" when none
 * can be found, or when this thread is the one finding it (a signal handler's line that
 * interrupted the finding). No malloc, no lock; safe in a vfork child (the path is the
 * parent's too) and in a signal handler (only the fallback without /proc calls realpath). */
const char *shim_exe(void);

#endif
