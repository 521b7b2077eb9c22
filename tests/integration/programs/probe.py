"""fnshield integration probe for CPython.

Usage: python3 probe.py CASE [ARGS...]

Performs exactly one action (the case), then prints one JSON result line to stdout
({"ok": true, ...} or {"ok": false, "error": CLASS, "errno": N, ...}) and then {"after": true}
to prove that the process carries on after a blocked call. Exit status is 0 whatever happened
to the action (a non-zero status means the probe itself broke).

Argument conventions (set by the tests):
  exec cases:            none (the program run is `id`, /usr/bin/id)
  read/write cases:      DIR NAME  (the file is DIR/NAME)
  connect/listen cases:  PORT      (the host is 127.0.0.1 unless the case says otherwise)
Nested cases (a child process does the action) relay the child's result line as their own.
"""
import errno
import json
import os
import pathlib
import socket
import subprocess
import sys
import urllib.error
import urllib.request

HERE = os.path.abspath(__file__)
CASES = {}


def case(f):
    CASES[f.__name__] = f
    return f


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def err_result(e):
    if isinstance(e, urllib.error.URLError) and isinstance(getattr(e, "reason", None), BaseException):
        e = e.reason
    d = {"ok": False, "error": type(e).__name__, "message": str(e)}
    if isinstance(e, OSError) and e.errno is not None:
        d["errno"] = e.errno
        d["code"] = errno.errorcode.get(e.errno, "")
    return d


def rc_result(rc, **kw):
    d = {"ok": rc == 0, "rc": rc}
    d.update(kw)
    return d


def child_result(stdout_bytes, rc):
    """The first result line a nested probe printed, or a description of what went wrong."""
    for line in stdout_bytes.decode("utf-8", "replace").splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and "ok" in obj:
            obj["child_rc"] = rc
            return obj
    return {"ok": False, "error": "NoChildResult", "child_rc": rc,
            "child_stdout": stdout_bytes.decode("utf-8", "replace")}


def fork_exec(fn):
    """Run fn() (an exec) in a forked child; map the child's exec failure back to an errno."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            fn()
        except OSError as e:
            os._exit(200 + (e.errno or 0))
        except BaseException:
            os._exit(199)
        os._exit(198)
    _, st = os.waitpid(pid, 0)
    rc = os.waitstatus_to_exitcode(st)
    if rc >= 200:
        return err_result(OSError(rc - 200, os.strerror(rc - 200)))
    return rc_result(rc)


# ---------------------------------------------------------------- exec (program: id) ----
@case
def subprocess_run_list():
    return rc_result(subprocess.run(["id"], stdout=subprocess.DEVNULL).returncode)


@case
def subprocess_run_shell():
    return rc_result(subprocess.run("id", shell=True, stdout=subprocess.DEVNULL).returncode)


@case
def subprocess_popen():
    p = subprocess.Popen(["id"], stdout=subprocess.DEVNULL)
    return rc_result(p.wait())


@case
def subprocess_preexec_fn():
    """preexec_fn: CPython forks (not vfork) and runs Python code in the child before exec."""
    return rc_result(subprocess.run(["id"], preexec_fn=lambda: None, stdout=subprocess.DEVNULL).returncode)


@case
def subprocess_posix_spawn_path():
    """close_fds=False and a path with a slash: CPython uses posix_spawn (FIELD-NOTES)."""
    return rc_result(subprocess.run(["/usr/bin/id"], close_fds=False, stdout=subprocess.DEVNULL).returncode)


@case
def subprocess_capture():
    """stdout and stderr of the child are pipes; report what the child wrote to its stderr."""
    p = subprocess.run(["/bin/sh", "-c", "id"], capture_output=True)
    return rc_result(p.returncode, child_stderr=p.stderr.decode("utf-8", "replace"))


@case
def subprocess_envclear_sh():
    """Clean environment (no LD_PRELOAD, no FNSHIELD_*): the shell's exec must still be seen."""
    p = subprocess.run(["/bin/sh", "-c", "/usr/bin/id"], env={}, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    return rc_result(p.returncode, child_stderr=p.stderr.decode("utf-8", "replace"))


@case
def os_system():
    return rc_result(os.waitstatus_to_exitcode(os.system("id >/dev/null")))


@case
def os_popen():
    f = os.popen("id")
    f.read()
    st = f.close()
    return rc_result(0 if st is None else os.waitstatus_to_exitcode(st))


@case
def os_posix_spawn():
    pid = os.posix_spawn("/usr/bin/id", ["id"], dict(os.environ),
                         file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
    _, st = os.waitpid(pid, 0)
    return rc_result(os.waitstatus_to_exitcode(st))


@case
def os_posix_spawnp():
    pid = os.posix_spawnp("id", ["id"], dict(os.environ),
                          file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
    _, st = os.waitpid(pid, 0)
    return rc_result(os.waitstatus_to_exitcode(st))


@case
def os_execv_fork():
    return fork_exec(lambda: os.execv("/usr/bin/id", ["id"]))


@case
def os_execvp_fork():
    return fork_exec(lambda: os.execvp("id", ["id"]))


@case
def execv_relative():
    """A relative program path after chdir: reported (and matched) as /usr/bin/id."""
    def f():
        os.chdir("/usr/bin")
        os.execv("./id", ["id"])
    return fork_exec(f)


@case
def execv_via_bin():
    """/bin is a symlink to /usr/bin: /bin/id is no way around a rule on /usr/bin/id."""
    return fork_exec(lambda: os.execv("/bin/id", ["id"]))


@case
def execv_symlink(d):
    """DIR/myid -> /usr/bin/id (the test makes it)."""
    return fork_exec(lambda: os.execv(os.path.join(d, "myid"), ["id"]))


# ---------------------------------------------------------------- read (DIR NAME) ------
@case
def open_opath(d, name):
    """O_PATH is an open that is not for writing: the read category."""
    fd = os.open(os.path.join(d, name), os.O_PATH)
    os.close(fd)
    return {"ok": True}


@case
def open_read(d, name):
    with open(os.path.join(d, name)) as f:
        f.read()
    return {"ok": True}


@case
def os_open_dirfd(d, name):
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = os.open(name, os.O_RDONLY, dir_fd=dfd)
        os.read(fd, 64)
        os.close(fd)
    finally:
        os.close(dfd)
    return {"ok": True}


@case
def pathlib_read_text(d, name):
    pathlib.Path(d, name).read_text()
    return {"ok": True}


@case
def chdir_relative(d, name):
    os.chdir(d)
    with open(name) as f:
        f.read()
    return {"ok": True}


@case
def dotdot_path(d, name):
    # DIR/sub exists (the test makes it); the path is not normalised on purpose.
    with open(d + "//sub/.././" + name) as f:
        f.read()
    return {"ok": True}


@case
def symlink_read(d, name):
    # DIR/alias-link -> DIR/NAME (the test makes it): a link is no way around a rule.
    with open(os.path.join(d, "alias-link")) as f:
        f.read()
    return {"ok": True}


@case
def symlink_dir_read(d, name):
    # DIR/dirlink -> DIR (the test makes it): a linked directory is no way around a rule.
    with open(os.path.join(d, "dirlink", name)) as f:
        f.read()
    return {"ok": True}


@case
def ctypes_dlopen(d, name):
    """dlopen (ctypes.CDLL) of DIR/NAME: glibc opens the file internally, not through open()."""
    import ctypes
    ctypes.CDLL(os.path.join(d, name))
    return {"ok": True}


@case
def subprocess_envclear_child_read(d, name):
    """A python child with a clean environment reads the file."""
    p = subprocess.run([sys.executable, HERE, "open_read", d, name], env={},
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    r = child_result(p.stdout, p.returncode)
    r["child_stderr"] = p.stderr.decode("utf-8", "replace")
    return r


# ---------------------------------------------------------------- write (DIR NAME) -----
@case
def open_write(d, name):
    with open(os.path.join(d, name), "w") as f:
        f.write("x")
    return {"ok": True}


@case
def open_append(d, name):
    with open(os.path.join(d, name), "a") as f:
        f.write("x")
    return {"ok": True}


@case
def open_create(d, name):
    with open(os.path.join(d, name), "x") as f:
        f.write("x")
    return {"ok": True}


@case
def open_rplus(d, name):
    """'r+' opens for writing: the write category, not read."""
    with open(os.path.join(d, name), "r+") as f:
        f.read()
    return {"ok": True}


@case
def pathlib_write_text(d, name):
    pathlib.Path(d, name).write_text("x")
    return {"ok": True}


@case
def os_open_dirfd_write(d, name):
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=dfd)
        os.write(fd, b"x")
        os.close(fd)
    finally:
        os.close(dfd)
    return {"ok": True}


# ---------------------------------------------------------------- connect (PORT) -------
@case
def socket_create_connection(port):
    with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as s:
        s.sendall(b"ping")
        s.recv(16)
    return {"ok": True}


@case
def connect_v4mapped(port):
    """An AF_INET6 socket connecting to ::ffff:127.0.0.1 (what Java does): shown as IPv4."""
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(("::ffff:127.0.0.1", int(port)))
        s.sendall(b"ping")
        s.recv(16)
    return {"ok": True}


@case
def connect_ipv6(port):
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(("::1", int(port)))
        s.sendall(b"ping")
        s.recv(16)
    return {"ok": True}


@case
def connect_name(port):
    """Connect to an address the process resolved from the name 'localhost'."""
    ai = socket.getaddrinfo("localhost", int(port), socket.AF_INET, socket.SOCK_STREAM)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(ai[0][4])
        s.sendall(b"ping")
        s.recv(16)
    return {"ok": True}


@case
def tcp_fastopen(port):
    """TCP Fast Open: sendto(MSG_FASTOPEN) connects without connect()."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # blocking: with a timeout the socket is non-blocking and sendto says EINPROGRESS
        s.sendto(b"ping", socket.MSG_FASTOPEN, ("127.0.0.1", int(port)))
        s.settimeout(10)
        s.recv(16)
    return {"ok": True}


@case
def urllib_urlopen(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/" % int(port), timeout=10) as r:
        r.read()
    return {"ok": True}


@case
def udp_sendto(port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"ping", ("127.0.0.1", int(port)))
    return {"ok": True}


# ---------------------------------------------------------------- listen (PORT) --------
@case
def socket_listen(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(port)))
        s.listen(5)
    return {"ok": True}


@case
def listen_unbound():
    """listen() on a socket never bound: the kernel binds it to an ephemeral port itself."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.listen(5)
    return {"ok": True}


@case
def udp_bind(port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", int(port)))
    return {"ok": True}


@case
def unix_sockets(d):
    """AF_UNIX stream and datagram sockets: neither connect nor listen (inet only)."""
    path = os.path.join(d, "u.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    c.close()
    srv.close()
    dpath = os.path.join(d, "d.sock")
    r = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    r.bind(dpath)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(b"x", dpath)
    s.close()
    r.close()
    return {"ok": True}


# ---------------------------------------------------------------- logging helpers ------
@case
def redirect_stderr_then_read(d, name):
    """The process points its own fd 2 at /dev/null, then reads: the line must still come out."""
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 2)
    return open_read(d, name)


@case
def close_stderr_then_read(d, name):
    os.close(2)
    return open_read(d, name)


@case
def closerange_then_read(d, name):
    """Close every descriptor above 2 (daemon-style clean-up), then read."""
    os.closerange(3, 1 << 16)
    return open_read(d, name)


@case
def closerange_then_sh_exec():
    os.closerange(3, 1 << 16)
    p = subprocess.run(["/bin/sh", "-c", "/usr/bin/id"], stdout=subprocess.DEVNULL, close_fds=False)
    return rc_result(p.returncode)


@case
def redirect_stderr_then_child_read(d, name):
    """fd 2 -> /dev/null in the parent; the child (clean environment) inherits that fd 2."""
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 2)
    p = subprocess.run([sys.executable, HERE, "open_read", d, name], env={},
                       stdout=subprocess.PIPE)
    return child_result(p.stdout, p.returncode)


@case
def redirect_stderr_then_sh_exec():
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 2)
    p = subprocess.run(["/bin/sh", "-c", "/usr/bin/id"], stdout=subprocess.DEVNULL)
    return rc_result(p.returncode)


@case
def tamper_policy_then_child_read(d, name, how):
    """Rewrite (to allow everything) or delete the policy file this process was started with,
    then start a child with a clean environment that reads DIR/NAME."""
    # fnshield takes what it added out of os.environ: read the environment the process was
    # started with, as an attacker would
    pf = os.environ.get("FNSHIELD_POLICY_FILE")
    if not pf:
        with open("/proc/self/environ", "rb") as f:
            for entry in f.read().split(b"\0"):
                if entry.startswith(b"FNSHIELD_POLICY_FILE="):
                    pf = entry.split(b"=", 1)[1].decode()
    if not pf:
        return {"ok": False, "error": "NoPolicyFile"}
    if how == "rewrite":
        with open(pf, "w") as f:
            f.write('{"version": 1}')
    else:
        os.unlink(pf)
    p = subprocess.run([sys.executable, HERE, "open_read", d, name], env={},
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    r = child_result(p.stdout, p.returncode)
    r["child_stderr"] = p.stderr.decode("utf-8", "replace")
    return r


# ---------------------------------------------------------------- beyond PATH_MAX ------
def _descend(base, total):
    """chdir from BASE down through directories made as needed, until the working directory's
    absolute path is exactly TOTAL characters long (it may exceed PATH_MAX)."""
    os.chdir(base)
    cur = len(base)
    while cur < total:
        step = min(200, total - cur - 1)
        if step < 1:
            raise ValueError("cannot reach length %d" % total)
        comp = "d" * step
        try:
            os.mkdir(comp)
        except FileExistsError:
            pass
        os.chdir(comp)
        cur += 1 + step
    return cur


@case
def deep_make(base, total):
    """(run without the shim) make the deep directory, DEEP/secret.txt and DEEP/myid."""
    _descend(base, int(total))
    with open("secret.txt", "w") as f:
        f.write("s")
    if not os.path.islink("myid"):
        os.symlink("/usr/bin/id", "myid")
    return {"ok": True}


@case
def deep_relative_read(base, total):
    _descend(base, int(total))
    with open("secret.txt") as f:
        f.read()
    return {"ok": True}


@case
def deep_dirfd_read(base, total):
    _descend(base, int(total))
    dfd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    os.chdir("/")
    fd = os.open("secret.txt", os.O_RDONLY, dir_fd=dfd)
    os.close(fd)
    return {"ok": True}


@case
def deep_relative_exec(base, total):
    _descend(base, int(total))
    return fork_exec(lambda: os.execv("./myid", ["myid"]))


# ---------------------------------------------------------------- Lambda (DIR NAME API) --
def _read_result(path):
    try:
        with open(path) as f:
            f.read()
        return {"ok": True}
    except OSError as e:
        return err_result(e)


@case
def lambda_flow(d, name, api):
    """What a runtime does: init (read), GET /next from the Runtime API, invoke (read)."""
    path = os.path.join(d, name)
    r = {"init_read": _read_result(path)}
    with urllib.request.urlopen("http://%s/2018-06-01/runtime/invocation/next" % api, timeout=10) as resp:
        resp.read()
        r["request_id"] = resp.headers.get("Lambda-Runtime-Aws-Request-Id")
    r["invoke_read"] = _read_result(path)
    r["ok"] = True
    return r


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in CASES:
        out({"ok": False, "error": "UnknownCase", "case": sys.argv[1:2]})
        out({"after": True})
        return 2
    try:
        r = CASES[sys.argv[1]](*sys.argv[2:])
    except Exception as e:  # the blocked call's exception, reported, not raised
        r = err_result(e)
    r.setdefault("pid", os.getpid())
    out(r)
    out({"after": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())
