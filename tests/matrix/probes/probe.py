"""The runtime matrix's probe for Python (3.9 and later): `probe.py checks PORT` makes each
call of the matrix and says, in the runtime's own terms, what came of it; `probe.py workload
PORT` is a small real workload whose output must not change under an allow-all policy.

Each check writes a marker line to stderr before its call, so the driver can tell which
violation lines the call produced (the library writes its lines to the same stream).
"""
import errno
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request


def marker(name):
    os.write(2, (json.dumps({"matrix": "check", "name": name}) + "\n").encode())


def report(name, outcome, detail=""):
    print(json.dumps({"check": name, "outcome": outcome, "detail": detail}), flush=True)


def classify(exc, refused_errno):
    """The runtime's own error, named: refused (the permission error the policy gives),
    not_found, or other. urllib wraps the socket's error in URLError.reason."""
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, OSError):
        exc = exc.reason
    if isinstance(exc, PermissionError) and exc.errno == refused_errno:
        return "refused"
    if isinstance(exc, FileNotFoundError):
        return "not_found"
    return "other"


def run_check(name, call, refused_errno=errno.EACCES):
    marker(name)
    try:
        detail = call()
        report(name, "ok", detail or "")
    except OSError as exc:
        report(name, classify(exc, refused_errno), "%s: %s" % (type(exc).__name__, exc))
    except Exception as exc:  # noqa: BLE001 - anything else is a wrong result, reported
        report(name, "other", "%s: %s" % (type(exc).__name__, exc))


def program_ran(argv, **kw):
    out = subprocess.run(argv, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        raise RuntimeError("exit %d" % out.returncode)
    return out.stdout.strip()


def system_ran(command):
    """os.system is C's system(): -1 when the shell could not be started (its own failure)."""
    status = os.system(command)
    if status == -1:
        raise PermissionError(errno.EACCES, "system() returned -1")
    if status != 0:
        raise RuntimeError("status %d" % status)
    return ""


def child_reads_environ():
    """A child that links nothing but libc (on glibc < 2.34 the library loads libdl.so.2 for
    itself there: shim/real.c) reads what the policy refuses."""
    out = subprocess.run(["/usr/bin/cat", "/proc/self/environ"], capture_output=True)
    if out.returncode != 0 and b"Permission denied" in out.stderr:
        raise PermissionError(errno.EACCES, out.stderr.decode().strip())
    if out.returncode != 0:
        raise RuntimeError("exit %d: %s" % (out.returncode, out.stderr.decode().strip()))
    return ""


def checks(port):
    run_check("exec_shell:subprocess", lambda: program_ran(["/bin/sh", "-c", "exit 0"]))
    run_check("exec_shell:bare name", lambda: program_ran(["sh", "-c", "exit 0"]))
    run_check("exec_shell:shell=True", lambda: program_ran("exit 0", shell=True))
    run_check("exec_shell:os.popen", lambda: os.popen("exit 0").read())
    run_check("exec_shell:os.system", lambda: system_ran("exit 0"))
    run_check("exec_path_search:subprocess", lambda: program_ran(["uname"]))
    run_check("exec_missing:subprocess", lambda: program_ran(["fnshield-no-such-program"]))
    run_check("read_environ:open", lambda: open("/proc/self/environ", "rb").read() and "")
    run_check("read_environ:child cat", child_reads_environ)

    def connect():
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    run_check("connect_loopback:socket", connect, errno.EPERM)
    run_check("connect_loopback:urllib",
              lambda: urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5).read().decode(),
              errno.EPERM)

    def write():
        with open("/var/tmp/fnshield-matrix-probe", "w") as f:
            f.write("x")
    run_check("write_outside_tmp:open", write)


def workload(port):
    result = {}
    with open("/etc/os-release") as f:
        result["os_release_lines"] = len(f.read().splitlines())
    path = "/tmp/fnshield-matrix-py-%d" % os.getpid()
    with open(path, "w") as f:
        f.write("payload\n" * 100)
    with open(path) as f:
        result["tmp_sha256"] = hashlib.sha256(f.read().encode()).hexdigest()
    os.unlink(path)
    result["shell"] = program_ran("echo hi | tr a-z A-Z", shell=True)
    result["uname"] = program_ran(["uname", "-s"])
    with urllib.request.urlopen("http://127.0.0.1:%d/workload" % port, timeout=10) as r:
        result["http"] = r.read().decode()
    sums = [0] * 4

    def work(i):
        sums[i] = sum(hashlib.sha256(b"%d-%d" % (i, n)).digest()[0] for n in range(2000))
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result["threads"] = sums
    result["json"] = json.loads(json.dumps({"a": [1, 2, {"b": None}]}))
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    what, port = sys.argv[1], int(sys.argv[2])
    # "start": the imports above and nothing else (the runtime starting clean).
    {"checks": checks, "workload": workload, "start": lambda port: None}[what](port)
