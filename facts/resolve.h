/*
 * resolve.h — which file a call really names.
 *
 * SPEC: "Paths are normalised before matching; neither .., duplicate slashes, a relative
 * path, a directory file descriptor nor a symbolic link is a way around a rule." Two spellings
 * of every target are checked:
 *   lexical:   absolute and normalised (cwd or the directory descriptor joined in front);
 *   canonical: every symbolic link resolved, as the kernel will resolve it — what is really
 *              opened or run. A name that does not exist yet (a file about to be created) is
 *              resolved through its existing parent, and a dangling symlink is followed to
 *              where the kernel would create the file.
 * Both are written into caller buffers with raw system calls: no allocation, no locks, errno
 * untouched; usable in vfork children and signal handlers.
 */
#ifndef FNSHIELD_RESOLVE_H
#define FNSHIELD_RESOLVE_H

#include <stddef.h>

#define FS_PATH_MAX 4096
/* A lexical path joins a directory (at most PATH_MAX) and a relative path (at most PATH_MAX):
 * its buffer holds both, so a long relative path is never "too long to check". */
#define FS_LEX_MAX (2 * FS_PATH_MAX + 2)

/* Lexical absolute form of path (relative to dirfd, AT_FDCWD for the cwd). Length, or -1. */
long path_lexical(int dirfd, const char *path, char *out, size_t cap);

/* Canonical form; follow_last = 0 for O_NOFOLLOW-like calls. Length, or -errno when it cannot
 * be resolved (the call itself would then fail, or the target is not a path at all). *missing
 * (may be NULL) says whether the last component does not exist (the canonical form is then
 * where a creating call would put it). */
long path_canonical(int dirfd, const char *path, int follow_last, char *out, size_t cap,
		    int *missing);

/* The path behind an open descriptor ("/proc/self/fd/N"); -1 when it is not a path (a pipe,
 * a socket, a deleted file, a memfd — then *out still gets the kernel's description). */
long path_of_fd(int fd, char *out, size_t cap);

#endif
