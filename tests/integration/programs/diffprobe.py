"""diffprobe.py — the real call of one situation of the differential test, made by CPython.

    diffprobe.py file os.open|open|os.open-dirfd r|w PATH [@DIRFD]
    diffprobe.py exec os.execv|subprocess|posix_spawn PROG
    diffprobe.py connect inet|inet6|name HOST PORT
    diffprobe.py listen ADDR PORT

Same output as diffprobe.c: "@@diff-begin"/"@@diff-end" on stderr around the call, then
{"ok":true} (exec: with "ran", the file that ran, when it was one of the tree's programs) or
{"ok":false,"errno":"NAME"} on stdout.
"""
import errno
import json
import os
import socket
import subprocess
import sys


def mark(s):
    os.write(2, s.encode() + b"\n")


def do_file(how, rw, path, dirfd_dir=None):
    writing = rw == "w"
    flags = os.O_WRONLY | os.O_CREAT if writing else os.O_RDONLY
    # "@N": a descriptor the test opened on the directory and handed down
    dfd = int(dirfd_dir[1:]) if dirfd_dir else None
    mark("@@diff-begin")
    if how == "open":
        with open(path, "w" if writing else "r"):
            pass
    else:
        os.close(os.open(path, flags, 0o644, dir_fd=dfd))


def do_exec(how, prog):
    """The program, started; returns the path the started program reported (the tree's programs
    are copies of diffprobe.c, which write their /proc/self/exe to $DIFFPROBE_REPORT_FD)."""
    rep_r, rep_w = os.pipe()
    os.set_inheritable(rep_w, True)
    os.environ["DIFFPROBE_REPORT_FD"] = str(rep_w)
    try:
        _exec(how, prog, rep_w)
    finally:
        os.close(rep_w)
        ran = os.read(rep_r, 4096).decode()
        os.close(rep_r)
    return ran


def _exec(how, prog, rep_w):
    mark("@@diff-begin")
    if how == "subprocess":
        subprocess.run([prog], stdout=subprocess.DEVNULL, check=False, pass_fds=(rep_w,))
    elif how == "posix_spawn":
        pid = os.posix_spawn(prog, [prog], os.environ)
        os.waitpid(pid, 0)
    else:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                null = os.open("/dev/null", os.O_WRONLY)
                os.dup2(null, 1)
                os.execv(prog, [prog])
            except OSError as e:
                os.write(w, str(e.errno).encode())
            os._exit(127)
        os.close(w)
        got = os.read(r, 32)
        os.close(r)
        os.waitpid(pid, 0)
        if got:
            raise OSError(int(got), os.strerror(int(got)))


def do_connect(how, host, port):
    port = int(port)
    if how == "name":
        family, _, _, _, addr = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0]
    elif how == "inet6":
        family, addr = socket.AF_INET6, (host, port)
    else:
        family, addr = socket.AF_INET, (host, port)
    with socket.socket(family, socket.SOCK_STREAM) as s:
        mark("@@diff-begin")
        s.connect(addr)


def do_listen(addr, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        mark("@@diff-begin")
        s.bind((addr, int(port)))
        s.listen(4)


def main(argv):
    kind, args = argv[1], argv[2:]
    try:
        ran = {"file": do_file, "exec": do_exec, "connect": do_connect, "listen": do_listen}[kind](*args)
        out = {"ok": True}
        if ran:
            out["ran"] = ran
    except OSError as e:
        out = {"ok": False, "errno": errno.errorcode.get(e.errno, "E%s" % e.errno)}
    mark("@@diff-end")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv)
