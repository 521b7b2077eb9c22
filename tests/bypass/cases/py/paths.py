"""Path tricks against a read-blocked SECRET and a write-blocked VICTIM.

The second argument says which: "read" opens event["secret"] and prints it; "write" opens
event["victim"] for writing and writes PWNED. Layout prepared by the harness:
    RUN/secret/token      read-blocked (read.block: RUN/secret/**)
    RUN/protected/victim  write-blocked (write.block: RUN/protected/**)
    RUN/public/           an ordinary directory
    RUN/scratch/          where an attacker may create files (like /tmp)

modes: dotdot, double-slash, chdir-relative, dirfd, symlink, hardlink, proc-root, proc-cwd,
       proc-fd-dir (open RUN, then /proc/self/fd/N/...), proc-fd-reopen (write only: open
       VICTIM read-only, then reopen /proc/self/fd/N for writing), ctypes-libc (open() of
       ctypes.CDLL("libc.so.6")), ctypes-alias (__open64 through ctypes.CDLL(None))
"""
import ctypes
import os
import sys

from _case import attempt, got, run


def handler(event, context):
    mode = event["mode"]
    write = sys.argv[2] == "write"
    run_dir = event["run"]
    target = event["victim"] if write else event["secret"]
    rel = os.path.relpath(target, run_dir)          # secret/token or protected/victim
    parent, name = os.path.split(rel)
    flags = (os.O_WRONLY | os.O_TRUNC) if write else os.O_RDONLY
    dir_fd = None
    # The technique starts here: making the link, the chdir, the descriptor are part of it
    # (a shim may refuse them).
    attempt("%s: %s %s" % (mode, "write" if write else "read", target))

    if mode == "dotdot":
        path = os.path.join(run_dir, "public", "..", rel)
    elif mode == "double-slash":
        path = run_dir + "//" + parent + "//" + name
    elif mode == "chdir-relative":
        os.chdir(os.path.join(run_dir, parent))
        path = name
    elif mode == "dirfd":
        dir_fd = os.open(run_dir, os.O_RDONLY | os.O_DIRECTORY)
        path = rel
    elif mode == "symlink":
        path = os.path.join(event["scratch"], "innocent-link")
        os.symlink(target, path)
    elif mode == "hardlink":
        path = os.path.join(event["scratch"], "innocent-hardlink")
        os.link(target, path)
    elif mode == "proc-root":
        path = "/proc/self/root" + target
    elif mode == "proc-cwd":
        os.chdir(run_dir)
        path = "/proc/self/cwd/" + rel
    elif mode == "proc-fd-dir":
        d = os.open(run_dir, os.O_RDONLY | os.O_DIRECTORY)
        path = "/proc/self/fd/%d/%s" % (d, rel)
    elif mode == "proc-fd-reopen":
        if not write:
            raise SystemExit("proc-fd-reopen is a write case")
        ro = os.open(target, os.O_RDONLY)     # reading the victim is allowed
        path = "/proc/self/fd/%d" % ro
    elif mode in ("ctypes-libc", "ctypes-alias"):
        lib = ctypes.CDLL("libc.so.6" if mode == "ctypes-libc" else None, use_errno=True)
        fn = lib.open if mode == "ctypes-libc" else lib["__open64"]
        fd = fn(target.encode(), flags)
        if fd < 0:
            return "refused errno=%d" % ctypes.get_errno()
        return finish(fd, write)
    else:
        raise SystemExit("unknown mode " + mode)

    print("NOTE open(%r)%s" % (path, " dir_fd=%d" % dir_fd if dir_fd is not None else ""),
          flush=True)
    fd = os.open(path, flags, dir_fd=dir_fd)
    return finish(fd, write)


def finish(fd, write):
    if write:
        return "wrote %d" % os.write(fd, b"PWNED\n")
    got(os.read(fd, 200))
    return "read"


if __name__ == "__main__":
    run(handler)
