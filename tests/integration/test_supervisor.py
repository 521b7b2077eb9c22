"""The supervisor (issue #14, shim/supervisor.h, cli/supervise.c), with FNSHIELD_SUPERVISOR=on:
opens that never reach libc — a static helper's, an inline `syscall` instruction's — are judged
by the kernel's filter and the supervisor with the same policy and the same line
("interposition":"kernel"); what is allowed runs, and gets the file that was checked; the
runtimes' own opens never reach it; and its death leaves the runtime working."""
import json
import os
import platform
import shutil
import signal
import subprocess
import time
import uuid

import pytest

import support

SRC = support.PROGRAMS / "supervised.c"

# The handler that runs a helper it ships, as a Lambda function runs a bundled Go binary.
RUNNER = "import subprocess, sys; subprocess.run(sys.argv[1:])"


@pytest.fixture(scope="module")
def helpers(tmp_path_factory):
    d = tmp_path_factory.mktemp("supervised")
    out = {}
    for kind, flags in (("static", ["-static"]), ("dynamic", [])):
        out[kind] = str(d / ("supervised-" + kind))
        subprocess.run(["gcc", "-O1", "-Wall", "-pthread"] + flags + ["-o", out[kind], str(SRC)], check=True)
    return out


def _files(case_dir):
    os.makedirs(os.path.join(case_dir, "secret"))
    os.makedirs(os.path.join(case_dir, "out"))
    for rel, text in (("secret/token", "s3cret"), ("public.txt", "public")):
        with open(os.path.join(case_dir, rel), "w") as f:
            f.write(text + "\n")
    return {"version": 1, "mode": "block", "exec": {"default": "allow"},
            "read": {"default": "allow", "block": [case_dir + "/secret/**"]},
            "write": {"default": "block", "allow": [case_dir + "/out/**", "/dev/null", "/tmp/**"],
                      "block": [case_dir + "/secret/**"]}}


def _policy_file(case_dir, policy):
    pfile = os.path.join(case_dir, "policy.json")
    with open(pfile, "w") as f:
        json.dump(policy, f)
    return pfile


def _run(case_dir, policy, argv, supervisor="on", mode="block", stats=None, cwd=None, timeout=60,
         extra=None):
    pfile = _policy_file(case_dir, policy)
    env = support.base_env()
    if supervisor:
        env["FNSHIELD_SUPERVISOR"] = supervisor
    if stats:
        env["FNSHIELD_SUPERVISOR_STATS"] = stats
    env.update(extra or {})
    p = subprocess.run([str(support.FNSHIELD), "run", "--policy", pfile, "--mode", mode, "--"] + argv,
                       env=env, cwd=cwd or case_dir, capture_output=True, text=True, timeout=timeout)
    lines = [json.loads(x) for x in p.stderr.splitlines() if x.startswith('{"fnshield"')]
    results = {}
    for x in p.stdout.splitlines():  # supervised.c's lines: "OP PATH ok|refused WHAT"
        f = x.split(" ", 3)
        if len(f) >= 3 and f[2] in ("ok", "refused"):
            results[(f[0], f[1])] = (f[2], f[3] if len(f) > 3 else "")
    return p, results, lines


def _stats(path, wait=5.0):
    """The supervisor writes its counts when the last process it serves is gone."""
    end = time.monotonic() + wait
    while time.monotonic() < end:
        if os.path.exists(path) and open(path).read().endswith("\n"):
            return open(path).read().split()
        time.sleep(0.05)
    raise AssertionError("the supervisor wrote no counts to " + path)


def test_static_helper_is_judged_by_the_kernel(helpers, case_dir):
    policy = _files(case_dir)
    secret, public = case_dir + "/secret/token", case_dir + "/public.txt"
    made, denied = case_dir + "/out/made.txt", case_dir + "/secret/denied.txt"
    p, res, lines = _run(case_dir, policy, ["/usr/bin/python3", "-c", RUNNER, helpers["static"],
                                            "open", secret, "open", public, "open", "secret/token",
                                            "create", made, "create", denied])
    assert p.returncode == 0, p.stderr
    start = [x for x in lines if x["fnshield"] == "start"]
    assert start and start[0]["supervisor"] == "on", lines
    assert res[("open", secret)] == ("refused", "13"), res          # EACCES, as the library
    assert res[("open", "secret/token")] == ("refused", "13"), res  # relative: from its cwd
    assert res[("open", public)] == ("ok", "public"), res
    assert res[("create", made)][0] == "ok" and open(made).read() == "made\n"
    assert oct(os.stat(made).st_mode & 0o777) == oct(0o640 & ~_umask())
    assert res[("create", denied)] == ("refused", "13") and not os.path.exists(denied)
    v = [x for x in lines if x["fnshield"] == "violation"]
    assert [(x["category"], x["target"], x["interposition"], x["action"]) for x in v] == [
        ("read", secret, "kernel", "block"), ("read", secret, "kernel", "block"),
        ("write", denied, "kernel", "block")], v
    assert all(x["exe"] == helpers["static"] and x["call"] == "openat" for x in v), v


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


def test_openat_from_a_directory_descriptor(helpers, case_dir):
    policy = _files(case_dir)
    p, res, lines = _run(case_dir, policy, ["/usr/bin/python3", "-c", RUNNER, helpers["static"],
                                            "openat", case_dir, "secret/token",
                                            "openat", case_dir, "public.txt"])
    assert res[("openat", "secret/token")] == ("refused", "13"), (res, p.stderr)
    assert res[("openat", "public.txt")] == ("ok", "public"), res
    v = [x for x in lines if x["fnshield"] == "violation"]
    assert [x["target"] for x in v] == [case_dir + "/secret/token"], v


def test_inline_syscall_in_a_protected_process(helpers, case_dir):
    """The dynamic build: its libc opens are the library's (checked in-process, no kernel
    line); its inline syscall is outside libc, and is the kernel's."""
    policy = _files(case_dir)
    secret = case_dir + "/secret/token"
    p, res, lines = _run(case_dir, policy, [helpers["dynamic"], "asm", secret, "open", secret,
                                            "asm", case_dir + "/public.txt"])
    assert res[("asm", secret)] == ("refused", "13"), (res, p.stderr)
    assert res[("open", secret)] == ("refused", "13"), res
    assert res[("asm", case_dir + "/public.txt")] == ("ok", "public"), res
    v = [x for x in lines if x["fnshield"] == "violation"]
    assert [x.get("interposition") for x in v] == ["kernel", None], v


def test_alert_mode_lets_it_through_with_the_line(helpers, case_dir):
    policy = _files(case_dir)
    secret = case_dir + "/secret/token"
    p, res, lines = _run(case_dir, policy, ["/usr/bin/python3", "-c", RUNNER, helpers["static"],
                                            "open", secret], mode="alert")
    assert res[("open", secret)] == ("ok", "s3cret"), (res, p.stderr)
    v = [x for x in lines if x["fnshield"] == "violation"]
    assert [(x["action"], x["interposition"]) for x in v] == [("alert", "kernel")], v


@pytest.mark.parametrize("argv", [
    ["/usr/bin/python3", "-c", "import json, ssl, sqlite3, decimal, http.client, subprocess"],
    ["/usr/bin/node", "-e", "require('http'); require('crypto'); require('fs').readFileSync('/etc/hostname')"],
    ["java", "-version"],
], ids=["python3", "node", "java"])
def test_runtimes_never_reach_it(case_dir, argv):
    if not shutil.which(argv[0]):
        pytest.skip(argv[0] + " is not installed")
    policy = _files(case_dir)
    stats = os.path.join(case_dir, "stats")
    p, res, lines = _run(case_dir, policy, argv, stats=stats, timeout=120)
    assert p.returncode == 0, p.stderr
    assert _stats(stats)[:2] == ["sent", "0"]


def test_off_unless_asked(helpers, case_dir):
    policy = _files(case_dir)
    secret = case_dir + "/secret/token"
    p, res, lines = _run(case_dir, policy, ["/usr/bin/python3", "-c", RUNNER, helpers["static"],
                                            "open", secret], supervisor=None)
    assert res[("open", secret)] == ("ok", "s3cret"), res  # the hole issue #14 closes
    start = [x for x in lines if x["fnshield"] == "start"][0]
    assert "supervisor" not in start, start
    # asked, but nothing to supervise: no category restricted
    policy = {"version": 1, "mode": "block"}
    p, res, lines = _run(case_dir, policy, ["/usr/bin/true"])
    assert [x for x in lines if x["fnshield"] == "start"][0]["supervisor"] == "off"


KILLER = r'''
import os, signal, subprocess, sys, time
TAG = ("SUPERVISOR_TEST_TAG=" + os.environ["SUPERVISOR_TEST_TAG"]).encode()
def supervisors():  # this tree's, {pid: ppid}: they have the root's environment
    out = {}
    for pid in os.listdir("/proc"):
        try:
            if open("/proc/%s/cmdline" % pid, "rb").read() == b"fnshield\0supervise\0" and \
                    TAG in open("/proc/%s/environ" % pid, "rb").read().split(b"\0"):
                out[int(pid)] = int(open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            pass
    return out
which = sys.argv[3]
subprocess.run([sys.argv[2], "open", sys.argv[1]], capture_output=True)  # the first call starts a judge
found = supervisors()
keeper = [p for p, pp in found.items() if pp not in found]
judge = [p for p, pp in found.items() if pp in found]
print("supervisors", len(keeper), len(judge), flush=True)
for pid in (keeper + judge if which == "all" else judge):
    os.kill(pid, signal.SIGKILL)
time.sleep(0.5)
print("runtime", open(sys.argv[1]).read().strip(), flush=True)   # its own libc open: unaffected
r = subprocess.run([sys.argv[2], "open", sys.argv[1]], capture_output=True, text=True)
print("helper", r.stdout.strip(), flush=True)
'''


@pytest.mark.parametrize("which", ["judge", "all"])
def test_its_death_leaves_the_runtime_working(helpers, case_dir, which):
    """The supervisor is a keeper that holds the listener and a judge it starts. A judge that
    dies is replaced (with an error line), and calls go on being judged (the keeper receives the
    first call itself and starts the judge with it: a tree that sends none has no judge). When both are gone, the
    kernel fails what it would have sent (ENOSYS): the helper's open is refused, not let
    through; the runtime's own calls never depended on it."""
    policy = _files(case_dir)
    public = case_dir + "/public.txt"
    p, res, lines = _run(case_dir, policy, ["/usr/bin/python3", "-c", KILLER, public, helpers["static"], which],
                         extra={"SUPERVISOR_TEST_TAG": uuid.uuid4().hex})
    assert p.returncode == 0, p.stderr
    out = p.stdout.splitlines()
    assert out[0] == "supervisors 1 1", out
    assert out[1] == "runtime public", out
    if which == "judge":
        assert out[2] == "helper open %s ok public" % public, out
        errors = [x["message"] for x in lines if x["fnshield"] == "error"]
        assert errors == ["the supervisor's judge died of signal 9; a new one takes over"], lines
    else:
        assert out[2] == "helper open %s refused 38" % public, out  # ENOSYS


HELD = r'''
import subprocess, sys
def run():
    r = subprocess.run([sys.argv[1], "open", sys.argv[2]], capture_output=True, text=True)
    print("helper", r.stdout.strip(), flush=True)
run()  # the first call: the keeper starts a judge with it
print("ready", flush=True)
sys.stdin.readline()
run()  # the judge dies holding this one
run()  # and the next judge decides this one
'''


def _supervisors(tag):
    """This tree's keeper and judge, by the tag in their environment."""
    found = {}
    for pid in os.listdir("/proc"):
        try:
            if open("/proc/%s/cmdline" % pid, "rb").read() == b"fnshield\0supervise\0" and \
                    ("SUPERVISOR_TEST_TAG=" + tag).encode() in open("/proc/%s/environ" % pid, "rb").read().split(b"\0"):
                found[int(pid)] = int(open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            pass
    return [p for p, pp in found.items() if pp not in found], [p for p, pp in found.items() if pp in found]


@pytest.mark.parametrize("mode", ["block", "alert"])
@pytest.mark.parametrize("window", ["ioctl", "process_vm_readv"], ids=["before-recording", "while-deciding"])
def test_the_call_a_dying_judge_held_is_answered(helpers, case_dir, mode, window):
    """A judge killed holding a call: the keeper answers it as the mode says (a call received and
    never answered would wait for ever), and says so. strace holds the judge at the exit of one of
    its system calls while it is killed: the receive (the kernel has handed the call over, the
    judge has not yet recorded its number) or the read of the caller's path (recorded, not
    answered)."""
    assert shutil.which("strace"), "strace is installed by make deps"
    policy = _files(case_dir)
    public = case_dir + "/public.txt"
    tag = uuid.uuid4().hex
    pfile = _policy_file(case_dir, policy)
    env = support.base_env()
    env.update(FNSHIELD_SUPERVISOR="on", SUPERVISOR_TEST_TAG=tag)
    p = subprocess.Popen([str(support.FNSHIELD), "run", "--policy", pfile, "--mode", mode, "--",
                          "/usr/bin/python3", "-c", HELD, helpers["static"], public],
                         env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tracer = None
    try:
        assert p.stdout.readline().strip() == "helper open %s ok public" % public
        assert p.stdout.readline().strip() == "ready"
        keepers, judges = _supervisors(tag)
        assert len(keepers) == 1 and len(judges) == 1, (keepers, judges)
        tracer = subprocess.Popen(["strace", "-p", str(judges[0]), "-e", "trace=" + window,
                                   "-e", "inject=%s:delay_exit=2000000" % window],
                                  stderr=subprocess.PIPE, text=True)
        assert "attached" in tracer.stderr.readline()
        p.stdin.write("go\n")
        p.stdin.flush()
        assert "(DELAYED)" in tracer.stderr.readline()  # the judge holds the call, stopped
        os.kill(judges[0], signal.SIGKILL)
        out, err = p.communicate(timeout=30)
    finally:
        p.kill()
        if tracer:
            tracer.kill()
            tracer.wait()
    assert p.returncode == 0, err
    held = "helper open %s refused 1" % public if mode == "block" else "helper open %s ok public" % public
    assert out.splitlines() == [held, "helper open %s ok public" % public], (out, err)
    errors = [json.loads(x)["message"] for x in err.splitlines() if x.startswith('{"fnshield":"error"')]
    said = "was refused (block mode)" if mode == "block" else "went on unjudged (alert mode)"
    assert errors == ["the supervisor's judge died of signal 9; the call it held %s; a new one takes over" % said], err


GROUP_SIGNAL = r'''
import os, signal, subprocess, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.run([sys.argv[1], "open", sys.argv[2]], capture_output=True)  # the first call starts a judge
os.killpg(os.getpgrp(), signal.SIGINT)   # a terminal's Ctrl-C
os.killpg(os.getpgrp(), signal.SIGTERM)  # a kill of the function's process group
print(subprocess.run([sys.argv[1], "open", sys.argv[2]], capture_output=True, text=True).stdout.strip())
'''


def test_signals_to_the_functions_process_group_leave_it_running(helpers, case_dir):
    """The supervisor has a session of its own: what is sent to the function's process group
    (Ctrl-C, a group kill) does not reach it, and the helper's opens are still judged."""
    policy = _files(case_dir)
    secret = case_dir + "/secret/token"
    p = subprocess.run([str(support.FNSHIELD), "run", "--policy", _policy_file(case_dir, policy), "--mode",
                        "block", "--", "/usr/bin/python3", "-c", GROUP_SIGNAL, helpers["static"], secret],
                       env=dict(support.base_env(), FNSHIELD_SUPERVISOR="on"), capture_output=True, text=True,
                       timeout=60, start_new_session=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "open %s refused 13" % secret, (p.stdout, p.stderr)
    assert '"fnshield":"error"' not in p.stderr, p.stderr  # no judge died


def test_static_helper_exec_and_connect(helpers, case_dir):
    """exec and connect from a static helper: judged there, by path and by address."""
    import socket
    listeners = []
    for _ in range(2):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        listeners.append(s)
    allowed, blocked = (s.getsockname()[1] for s in listeners)
    policy = _files(case_dir)
    policy["exec"] = {"default": "block", "allow": ["/usr/bin/python3*", helpers["static"], "/usr/bin/true"]}
    policy["connect"] = {"default": "block", "allow": ["127.0.0.1:%d" % allowed]}
    try:
        p, res, lines = _run(case_dir, policy, ["/usr/bin/python3", "-c", RUNNER, helpers["static"],
                                                "exec", "/usr/bin/true", "exec", "/usr/bin/id",
                                                "connect", str(allowed), "connect", str(blocked)])
    finally:
        for s in listeners:
            s.close()
    assert res[("exec", "/usr/bin/true")] == ("ok", "0"), (res, p.stderr)
    assert res[("exec", "/usr/bin/id")] == ("refused", "13"), res
    assert res[("connect", str(allowed))] == ("ok", "0"), res
    assert res[("connect", str(blocked))] == ("refused", "1"), res   # EPERM, as the library
    v = [(x["category"], x["target"], x["interposition"]) for x in lines if x["fnshield"] == "violation"]
    assert v == [("exec", "/usr/bin/id", "kernel"),
                 ("connect", "127.0.0.1:%d" % blocked, "kernel")], v


def _free_ports(n):
    """n loopback ports free now, distinct (held open together while they are picked)."""
    import socket
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [str(s.getsockname()[1]) for s in socks]
    for s in socks:
        s.close()
    return ports


def test_static_helper_datagrams_and_listening(helpers, case_dir):
    """The rest of the network: datagrams that name their destination (sendto, sendmsg,
    sendmmsg: the connect category) and listening (a stream socket's listen, from any thread;
    a datagram socket's bind: the listen category), judged as the library's hooks judge them. A
    connected socket's sendto without an address is a plain write: the filter does not send it."""
    to_ok, to_no, at_ok, at_no = _free_ports(4)
    policy = _files(case_dir)
    policy["connect"] = {"default": "block", "allow": ["127.0.0.1:" + to_ok]}
    policy["listen"] = {"default": "block", "allow": ["127.0.0.1:" + at_ok]}
    stats = os.path.join(case_dir, "stats")
    ops = []
    for op in ("sendto", "sendmsg", "udpsend"):
        ops += [op, to_ok, op, to_no]
    ops += ["sendmmsg", to_ok + "," + to_ok, "sendmmsg", to_ok + "," + to_no]
    for op in ("listen", "tlisten", "ulisten", "bindudp"):
        ops += [op, at_ok, op, at_no]
    p, res, lines = _run(case_dir, policy, ["/usr/bin/python3", "-c", RUNNER, helpers["static"]] + ops +
                         ["pid", "-"], stats=stats)
    assert p.returncode == 0, p.stderr
    for op in ("sendto", "sendmsg", "udpsend"):
        assert res[(op, to_ok)] == ("ok", "0"), (op, res, p.stderr)
        assert res[(op, to_no)] == ("refused", "1"), (op, res)   # EPERM, as the library
    assert res[("sendmmsg", to_ok + "," + to_ok)] == ("ok", "2"), res
    # the one place where the two differ: the kernel's answer cannot send part of a call
    assert res[("sendmmsg", to_ok + "," + to_no)] == ("refused", "1"), res
    for op in ("listen", "tlisten", "ulisten", "bindudp"):
        assert res[(op, at_ok)] == ("ok", "0"), (op, res, p.stderr)
        assert res[(op, at_no)] == ("refused", "1"), (op, res)
    v = [(x["category"], x["call"], x["target"], x["interposition"]) for x in lines if x["fnshield"] == "violation"]
    assert v == [("connect", call, "127.0.0.1:" + to_no, "kernel")
                 for call in ("sendto", "sendmsg", "connect", "sendmmsg")] + \
        [("listen", call, "127.0.0.1:" + at_no, "kernel") for call in ("listen", "listen", "listen", "bind")], v
    # the line names the process, not the thread that made the call (tlisten's second thread)
    pid = int(res[("pid", "-")][1])
    assert {x["pid"] for x in lines if x["fnshield"] == "violation"} == {pid}, lines
    counts = dict(x.split(":") for x in _stats(stats)[2:])
    # sendto with an address: 2 (the "sendto" pair); udpsend's address-less sendto: never sent
    sendto = {"x86_64": "44", "aarch64": "206"}[platform.machine()]
    assert counts.get(sendto) == "2", counts


def test_listening_is_judged_where_the_socket_cannot_be_looked_at(helpers, case_dir, tmp_path):
    """Without pidfd_open (before Linux 5.3; a thread with a descriptor table of its own, or a
    first thread that has exited, before 6.9), the supervisor cannot duplicate the caller's
    socket: a bind is judged by its address, and the listen after it by the address its bind
    was judged with. Never let through unjudged."""
    if os.geteuid() != 0:
        pytest.skip("kernel_without installs its filter without no_new_privs: needs root")
    without = str(tmp_path / "kernel_without")
    subprocess.run(["gcc", "-O1", "-Wall", "-o", without, str(support.PROGRAMS / "kernel_without.c")], check=True)
    at_ok, at_no = _free_ports(2)
    policy = _files(case_dir)
    policy["listen"] = {"default": "block", "allow": ["127.0.0.1:" + at_ok]}
    ops = []
    for op in ("listen", "tlisten", "ulisten", "bindudp"):
        ops += [op, at_ok, op, at_no]
    p = subprocess.run([without, "pidfd", str(support.FNSHIELD), "run", "--policy", _policy_file(case_dir, policy),
                        "--mode", "block", "--", "/usr/bin/python3", "-c", RUNNER, helpers["static"]] + ops,
                       env=dict(support.base_env(), FNSHIELD_SUPERVISOR="on"), capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    out = p.stdout.splitlines()
    assert out == ["%s %s %s" % (op, port, "ok 0" if port == at_ok else "refused 1")
                   for op in ("listen", "tlisten", "ulisten", "bindudp") for port in (at_ok, at_no)], (out, p.stderr)
    v = [json.loads(x) for x in p.stderr.splitlines() if x.startswith('{"fnshield":"violation"')]
    assert [(x["call"], x["target"]) for x in v] == [("bind", "127.0.0.1:" + at_no)] * 4, v


def test_the_library_sends_the_messages_before_a_refused_one(helpers, case_dir):
    """The same sendmmsg through libc in a protected process: the library's hook sends the
    messages before the first refused one, as a partial sendmmsg does (the supervisor refuses
    the whole call); and a listen from a second thread is refused there too."""
    to_ok, to_no, at_no = _free_ports(3)
    policy = _files(case_dir)
    policy["connect"] = {"default": "block", "allow": ["127.0.0.1:" + to_ok]}
    policy["listen"] = {"default": "block"}
    policy["exec"] = {"default": "allow"}
    p, res, lines = _run(case_dir, policy, [helpers["dynamic"], "sendmmsg", to_ok + "," + to_no,
                                            "tlisten", at_no],
                         extra={"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9"})  # inet sockets stay (Lambda)
    assert res[("sendmmsg", to_ok + "," + to_no)] == ("ok", "1"), (res, p.stderr)
    assert res[("tlisten", at_no)] == ("refused", "1"), res
    v = [(x["call"], x["target"], x.get("interposition")) for x in lines if x["fnshield"] == "violation"]
    assert v == [("sendmmsg", "127.0.0.1:" + to_no, None), ("listen", "127.0.0.1:" + at_no, None)], v


@pytest.fixture(scope="module")
def gohelper(tmp_path_factory):
    """A Go program built static, without cgo (make deps installs Go)."""
    d = tmp_path_factory.mktemp("gohelper")
    out = str(d / "gohelper")
    env = dict(os.environ, CGO_ENABLED="0", GOCACHE=str(d / "cache"), GOPATH=str(d / "gopath"),
               GOFLAGS="-mod=mod", GO111MODULE="on")
    subprocess.run(["go", "build", "-o", out, "."], cwd=str(support.PROGRAMS / "gohelper"), env=env,
                   check=True)
    return out


@pytest.mark.parametrize("mode", ["block", "alert"])
def test_a_go_program_from_many_threads(gohelper, case_dir, mode):
    """A real static program: Go makes its system calls itself, from whichever of its threads
    runs the goroutine. Each read, exec, listen and connect it makes is judged, with the
    process's pid on the line; what is allowed works."""
    policy = _files(case_dir)
    secret, public = case_dir + "/secret/token", case_dir + "/public.txt"
    ok_port, no_port, at_ok, at_no = _free_ports(4)
    policy["exec"] = {"default": "block", "allow": ["/usr/bin/python3*", gohelper, "/usr/bin/true"]}
    policy["connect"] = {"default": "block", "allow": ["127.0.0.1:" + ok_port]}
    policy["listen"] = {"default": "block", "allow": ["127.0.0.1:" + at_ok]}
    runner = ("import subprocess, sys\n"
              "for a in sys.argv[2:]: subprocess.run([sys.argv[1]] + a.split())")
    reads = " ".join(["read"] + [secret, public] * 4)
    p, res, lines = _run(case_dir, policy, ["/usr/bin/python3", "-c", runner, gohelper, reads,
                                            "exec /usr/bin/true", "exec /usr/bin/id",
                                            "listen 127.0.0.1:" + at_ok, "listen 127.0.0.1:" + at_no,
                                            "dial udp 127.0.0.1:" + ok_port, "dial udp 127.0.0.1:" + no_port],
                         mode=mode, extra={"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9"})
    assert p.returncode == 0, p.stderr
    blocked = mode == "block"
    assert res[("read", secret)][0] == ("refused" if blocked else "ok"), (res, p.stderr)
    assert res[("read", public)] == ("ok", "7"), res
    assert res[("exec", "/usr/bin/true")][0] == "ok", res
    assert res[("exec", "/usr/bin/id")][0] == ("refused" if blocked else "ok"), res
    assert res[("listen", "127.0.0.1:" + at_ok)][0] == "ok", res
    assert res[("listen", "127.0.0.1:" + at_no)][0] == ("refused" if blocked else "ok"), res
    assert res[("dial", "127.0.0.1:" + ok_port)][0] == "ok", res
    assert res[("dial", "127.0.0.1:" + no_port)][0] == ("refused" if blocked else "ok"), res
    v = [x for x in lines if x["fnshield"] == "violation"]
    assert sorted({(x["category"], x["target"]) for x in v}) == sorted({
        ("read", secret), ("exec", "/usr/bin/id"), ("listen", "127.0.0.1:" + at_no),
        ("connect", "127.0.0.1:" + no_port)}), v
    assert all(x["interposition"] == "kernel" and x["exe"] == gohelper for x in v), v
    assert all(x["action"] == mode for x in v), v
    # the read run's four lines name its process, whichever of its threads made the call
    assert {x["pid"] for x in v if x["category"] == "read"} == {int(res[("pid", "-")][1])}, v


FIFO_RUNNER = r'''
import subprocess, sys
helper, fifo = sys.argv[1], sys.argv[2]
reader = subprocess.Popen([helper, "open", fifo], stdout=subprocess.PIPE, text=True)
writer = subprocess.run([helper, "write", fifo], capture_output=True, text=True, timeout=20)
print(reader.communicate(timeout=20)[0].strip())
print(writer.stdout.strip())
'''


def test_a_fifo_between_two_static_helpers(helpers, case_dir):
    """Opening a FIFO blocks until the other end opens: the supervisor lets such opens go on
    rather than make them itself (it would wait, and every call sent to it with it)."""
    policy = _files(case_dir)
    fifo = os.path.join(case_dir, "out", "fifo")
    os.mkfifo(fifo)
    p, res, lines = _run(case_dir, policy, ["/usr/bin/python3", "-c", FIFO_RUNNER, helpers["static"], fifo],
                         timeout=40)
    assert p.returncode == 0, p.stderr
    assert res[("open", fifo)] == ("ok", "fifo"), (res, p.stderr)
    assert res[("write", fifo)] == ("ok", "0"), res


def test_a_helper_that_dropped_privileges_gets_no_more_than_its_own(helpers, case_dir):
    if os.getuid() != 0:
        pytest.skip("needs root to drop privileges")
    policy = _files(case_dir)
    private = os.path.join(case_dir, "private.txt")
    with open(private, "w") as f:
        f.write("root only\n")
    os.chmod(private, 0o600)
    os.chmod(case_dir, 0o755)
    p, res, lines = _run(case_dir, policy, ["/usr/bin/python3", "-c", RUNNER, helpers["static"],
                                            "open", private, "drop", "65534", "open", private],
                         cwd="/")
    assert res[("drop", "65534")][0] == "ok", (res, p.stderr)
    # allowed by the policy; the kernel, not the supervisor's root, says who may read it
    assert list(v for k, v in res.items() if k == ("open", private)) == [("refused", "13")], res


@pytest.mark.parametrize("beside", [None, "#!/bin/sh\nexit 0\n"], ids=["no-program", "silent-program"])
def test_no_working_supervisor_changes_nothing(helpers, case_dir, tmp_path, beside):
    """No `fnshield` beside the library, or one that never says hello: no filter is installed
    (so nothing is sent to a supervisor that is not there), the start line says why, and the
    library works as without it."""
    lib = tmp_path / "lib" / "libfnshield.so"
    lib.parent.mkdir()
    shutil.copy(support.LIBRARY, lib)
    if beside:
        prog = lib.parent / "fnshield"
        prog.write_text(beside)
        prog.chmod(0o755)
    policy = _files(case_dir)
    secret = case_dir + "/secret/token"
    p, res, lines = _run(case_dir, policy, ["/usr/bin/python3", "-c", RUNNER, helpers["static"],
                                            "open", secret], extra={"FNSHIELD_LIB": str(lib)})
    assert p.returncode == 0, p.stderr
    start = [x for x in lines if x["fnshield"] == "start"][0]
    assert start["supervisor"].startswith("unavailable: "), start
    assert res[("open", secret)] == ("ok", "s3cret"), res  # as without the supervisor


WITHOUT_RUNNER = r'''
import subprocess, sys
try:
    open(sys.argv[2]).read()
    print("runtime read it")
except PermissionError:
    print("runtime refused")
print(subprocess.run([sys.argv[1], "open", sys.argv[2]], capture_output=True, text=True).stdout.strip())
'''


@pytest.mark.parametrize("lacking, why, seccomp", [
    ("user-notification", "the kernel has no user notification", "on"),
    ("no-new-privs", "no_new_privs refused", "unavailable: Operation canceled"),
    ("ptrace-access", "the supervisor may not read the function's memory (ptrace access)", "on"),
])
def test_a_kernel_without_what_it_needs_changes_nothing(helpers, case_dir, tmp_path, lacking, why, seccomp):
    """The kernel refuses the listener (before 5.0), no_new_privs, or the supervisor's reading
    of its callers' memory (Yama's ptrace_scope; kernel_without.c's filter says so for the
    whole tree): the start line says why, no supervisor is left running, and the library checks
    what reaches libc as it does without one."""
    if os.geteuid() != 0:
        pytest.skip("kernel_without installs its filter without no_new_privs: needs root")
    without = str(tmp_path / "kernel_without")
    subprocess.run(["gcc", "-O1", "-Wall", "-o", without, str(support.PROGRAMS / "kernel_without.c")], check=True)
    pfile = _policy_file(case_dir, _files(case_dir))
    secret = case_dir + "/secret/token"
    tag = uuid.uuid4().hex
    env = support.base_env()
    env.update(FNSHIELD_SUPERVISOR="on", SUPERVISOR_TEST_TAG=tag)
    p = subprocess.run([without, lacking, str(support.FNSHIELD), "run", "--policy", pfile, "--mode", "block", "--",
                        "/usr/bin/python3", "-c", WITHOUT_RUNNER, helpers["static"], secret],
                       env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    start = [json.loads(x) for x in p.stderr.splitlines() if x.startswith('{"fnshield":"start"')]
    assert [(x["supervisor"], x["seccomp"]) for x in start] == [("unavailable: " + why, seccomp)], p.stderr
    assert p.stdout.splitlines() == ["runtime refused", "open %s ok s3cret" % secret], p.stdout
    deadline = time.monotonic() + 5  # it exits when its socket closes: at once, or nearly
    while _supervisors(tag) != ([], []) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _supervisors(tag) == ([], []), "a supervisor outlived a filter that was never installed"


PHASES = r'''
import subprocess, sys, urllib.request
helper, secret, api = sys.argv[1], sys.argv[2], sys.argv[3]
def read():
    return subprocess.run([helper, "open", secret], capture_output=True, text=True).stdout.strip()
print("init", read(), flush=True)
urllib.request.urlopen("http://%s/2018-06-01/runtime/invocation/next" % api).read()
print("invoke", read(), flush=True)
'''


def test_the_init_phase_rules_apply_while_the_function_initialises(helpers, case_dir):
    """The root tells the supervisor its Lambda phase: a static helper run during init is
    judged by the policy's "init" rules, and by the others once the runtime asks for work."""
    import http.server
    import threading

    class API(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", "8476a536-e9f4-11e8-9739-2dfe598c3fcd")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), API)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    api = "127.0.0.1:%d" % srv.server_address[1]
    policy = _files(case_dir)
    secret = case_dir + "/secret/token"
    policy["init"] = {"read": {"default": "allow"}}  # while initialising, reads are free
    try:
        p, res, lines = _run(case_dir, policy, ["/usr/bin/python3", "-c", PHASES, helpers["static"], secret, api],
                             extra={"AWS_LAMBDA_RUNTIME_API": api, "AWS_LAMBDA_FUNCTION_NAME": "f"})
    finally:
        srv.shutdown()
    assert p.returncode == 0, p.stderr
    out = dict(x.split(" ", 1) for x in p.stdout.splitlines())
    assert out["init"] == "open %s ok s3cret" % secret, (out, p.stderr)
    assert out["invoke"] == "open %s refused 13" % secret, out
