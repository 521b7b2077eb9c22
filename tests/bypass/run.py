#!/usr/bin/env python3
"""fnshield bypass scoreboard (issue #4): run every case of the corpus under a block policy and
report whether the forbidden effect happened.

    tests/bypass/run.py                    all cases; table, totals, build/bypass-scoreboard.json
    tests/bypass/run.py -k uring -v        cases whose id matches a regular expression, verbosely
    tests/bypass/run.py --list             the corpus
    tests/bypass/run.py --update-expected  rewrite expected.json from this run (what is caught)

Each case runs three times, each in a fresh directory with its own targets and policy:

    control      without the shim: the technique must produce its effect here, otherwise the
                 case is "error" (the technique does not work on this machine, or is broken)
    default      `fnshield run --policy P --mode block -- CMD` (seccomp as the library decides)
    seccomp-off  the same with FNSHIELD_SECCOMP=off

Verdict of a protected run, judged on the world, not on the log:
    missed   the effect happened (marker file made, secret token printed, victim changed,
             loopback listener reached), or the case requires a log line and none came
    caught   no effect, the case reached its ATTEMPT line, and then finished (DONE line or exit
             0), was killed by SIGSYS, or (crash_ok cases) crashed
    error    anything else: the control run lacked the effect, a timeout, a configuration
             error, the case broke before or after its attempt

A case's program prints "ATTEMPT ..." right before the forbidden operation and "DONE ..." after
it returned (cases/py/_case.py, cases/js/_case.js, cases/java/BypassCase.java, cases/c/bypass.h).

Exit status: 1 when a case expected.json lists as caught (per configuration) is now missed, or
is now an error while its control run worked (the shim broke the program); 2 on a harness
problem (nothing built); 0 otherwise.
"""
import argparse
import concurrent.futures
import ctypes
import datetime
import json
import os
import platform
import random
import re
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True     # no __pycache__ left in the tree
from cases import CASES, C_PROGRAMS, CATEGORIES, JAVA_CLASSES, SUFFIX  # noqa: E402

PYTHON = "/usr/bin/python3"          # Debian's interpreter, never a pyenv shim
NODE = "/usr/bin/node"
JAVA_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xshare:auto"]
CONFIGS = ("default", "seccomp_off", "supervisor")
TIMEOUT = {"java": 40}
DEFAULT_TIMEOUT = 20
VICTIM_CONTENT = b"ORIGINAL victim content\n"

# ---------------------------------------------------------------------------- processes ----
# Every run is its own session (process group); whatever a case leaves running is killed with
# its group. A case that escapes its group (setsid) is reparented to this process (subreaper)
# and killed in the final sweep.
_live_groups = set()
_live_lock = threading.Lock()
_stopping = threading.Event()      # set on SIGINT/SIGTERM: runs in flight are killed


def become_subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def sweep_children():
    """Kill and reap every remaining descendant (they are our children, as subreaper)."""
    me = os.getpid()
    for _ in range(20):
        kids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
                ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == me:
                kids.append(int(d))
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        reaped = 0
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            reaped += 1
        if not kids and not reaped:
            return
        time.sleep(0.05)


def run_process(cmd, cwd, env, timeout):
    """Run cmd in its own session; returns (rc, stdout, stderr, timed_out, seconds).

    The pipes are read here, without threads: once the process has exited (or the timeout
    killed its group), whatever still holds a pipe open gets a short grace period, then the
    pipes are closed and the holder is left to the final sweep."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    with _live_lock:
        _live_groups.add(p.pid)
    bufs = {p.stdout.fileno(): [], p.stderr.fileno(): []}
    sel = selectors.DefaultSelector()
    for fd in bufs:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    deadline = t0 + timeout
    grace_end = None
    timed_out = False
    try:
        while sel.get_map():
            now = time.monotonic()
            if grace_end is None:
                if p.poll() is not None:
                    kill_group(p.pid)          # the case's leftovers
                    grace_end = now + 2
                elif now >= deadline:
                    timed_out = True
                    kill_group(p.pid)
                    grace_end = now + 2
            elif now >= grace_end:
                break                          # something outside the group holds a pipe
            if _stopping.is_set() and grace_end is None:
                kill_group(p.pid)
                timed_out = True
                grace_end = now + 0.5
            for key, _ in sel.select(timeout=0.05):
                try:
                    b = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:
                    b = b""
                if not b:
                    sel.unregister(key.fd)
                elif sum(map(len, bufs[key.fd])) < 4 << 20:
                    bufs[key.fd].append(b)
        # Both pipes closed (a case may close its stdout and stderr): the process itself may
        # still be running (an exec in progress): give it until the deadline.
        if grace_end is None:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
    finally:
        sel.close()
        kill_group(p.pid)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        out, err = (b"".join(bufs[f.fileno()]) for f in (p.stdout, p.stderr))
        p.stdout.close()
        p.stderr.close()
        with _live_lock:
            _live_groups.discard(p.pid)
    return p.returncode, out, err, timed_out, time.monotonic() - t0


# ---------------------------------------------------------------------------- tools --------
def find_java():
    j = shutil.which("java", path="/usr/local/bin:/usr/bin:/bin")
    jc = shutil.which("javac", path="/usr/local/bin:/usr/bin:/bin")
    return (os.path.realpath(j) if j else None), (os.path.realpath(jc) if jc else None)


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def build_programs(ws, tools, jobs):
    """C programs into ws/bin, Java classes into ws/classes. Returns {spec: error text}."""
    problems = {}
    src = HERE / "cases"
    (ws / "bin").mkdir()
    if tools.get("gcc"):
        def cc(kind_name):
            kind, name = kind_name
            out = ws / "bin" / (name + SUFFIX[kind])
            cmd = ["gcc", "-O1", "-g", "-Wall", "-o", str(out), str(src / "c" / (name + ".c")),
                   "-ldl"]
            if kind == "asm":
                cmd.insert(1, "-DVIA_ASM")
            if kind == "static":
                cmd.insert(1, "-static")
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            if r.returncode:
                problems[kind_name] = "compile failed: " + r.stderr.strip()[-500:]

        with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as ex:
            list(ex.map(cc, C_PROGRAMS))
    if tools.get("java") and JAVA_CLASSES:
        (ws / "classes").mkdir()
        r = subprocess.run([tools["javac"], "-d", str(ws / "classes")]
                           + sorted(str(p) for p in (src / "java").glob("*.java")),
                           capture_output=True, text=True, timeout=180)
        if r.returncode:
            for cls in JAVA_CLASSES:
                problems[("java", cls)] = "javac failed: " + r.stderr.strip()[-500:]
    # Interpreted cases run from a copy: nothing (such as __pycache__) lands in the tree.
    for lang in ("py", "js"):
        shutil.copytree(src / lang, ws / "src" / lang)
    return problems


# ---------------------------------------------------------------------------- one run ------
class Listeners:
    """Loopback listeners for a connect case: TCP 127.0.0.1, [::1], 127.0.0.3, UDP 127.0.0.1,
    and one TCP port that the policy allows (by name) and that does not count."""

    def __init__(self, want_v6):
        self.socks = {}
        self._add("tcp4", socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1")
        self._add("other", socket.AF_INET, socket.SOCK_STREAM, "127.0.0.3")
        self._add("allowed", socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1")
        self._add("udp4", socket.AF_INET, socket.SOCK_DGRAM, "127.0.0.1")
        if want_v6:
            self._add("tcp6", socket.AF_INET6, socket.SOCK_STREAM, "::1")

    def _add(self, name, fam, typ, host):
        s = socket.socket(fam, typ)
        s.bind((host, 0))
        if typ == socket.SOCK_STREAM:
            s.listen(16)
        s.setblocking(False)
        self.socks[name] = s

    def port(self, name):
        return self.socks[name].getsockname()[1]

    def env(self):
        e = {"BYPASS_%s_PORT" % k.upper(): str(self.port(k)) for k in self.socks}
        e["BYPASS_OTHER_IP"] = "127.0.0.3"
        e["BYPASS_OTHER_PORT"] = str(self.port("other"))
        return e

    def reached(self):
        """Names of the listeners (except "allowed") that got a connection or a datagram."""
        hit = []
        time.sleep(0.05)
        for name, s in self.socks.items():
            if name == "allowed":
                continue
            try:
                if s.type == socket.SOCK_STREAM:
                    c, _ = s.accept()
                    c.close()
                else:
                    s.recvfrom(4096)
                hit.append(name)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                pass
        return hit

    def close(self):
        for s in self.socks.values():
            s.close()


class ListenProbe:
    """For a listen case: a free loopback port the case is told to listen on
    (BYPASS_LISTEN_PORT), and a thread that keeps trying to reach it while the case runs — a
    TCP connection and a datagram, each carrying a token that the case prints when it receives
    it. The token proves that this run's case listened, not another process on the port; ports
    handed out to runs at the same time are never the same."""

    _taken = set()
    _lock = threading.Lock()
    # Below the kernel's ephemeral range (32768 and up): no socket of another run, the probe's
    # own connections included, is given one of these ports by the kernel.
    PORTS = range(20000, 32000)

    def __init__(self):
        with ListenProbe._lock:
            while True:
                port = random.choice(ListenProbe.PORTS)
                if port in ListenProbe._taken:
                    continue
                try:
                    with socket.socket() as s:
                        s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                ListenProbe._taken.add(port)
                self.port = port
                break
        self.token = "FNSHIELD-BYPASS-LISTEN-" + secrets.token_hex(8)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._reach, daemon=True)
        self._thread.start()

    def _reach(self):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        while not self._stop.wait(0.02):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as c:
                    c.sendall(self.token.encode())
            except OSError:
                pass
            try:
                u.sendto(self.token.encode(), ("127.0.0.1", self.port))
            except OSError:
                pass
        u.close()

    def received(self, out, err):
        """The case listened: it said so, or printed what the probe sent it."""
        return b"\nLISTENING" in b"\n" + out or self.token.encode() in out or self.token.encode() in err

    def stop(self):
        self._stop.set()
        self._thread.join()
        with ListenProbe._lock:
            ListenProbe._taken.discard(self.port)


def policy_for(case, d, allowed_port, program):
    exec_allow = []
    for p in case.allow_exec:
        if p == "@self":  # the case's own program (a static one, allowed like a shipped helper)
            exec_allow.append(program)
        elif p == "@python":
            exec_allow += sorted({PYTHON, os.path.realpath(PYTHON)})
        elif p == "@node":
            exec_allow += sorted({NODE, os.path.realpath(NODE)})
        else:
            exec_allow.append(p)
    pol = {
        "version": 1,
        "mode": "block",
        "exec": {"default": "block"},
        "connect": {"default": "block"},
        "listen": "block",
        "read": {"default": "allow", "block": ["%s/secret/**" % d]},
        "write": {"default": case.write_default, "block": ["%s/protected/**" % d]},
    }
    if exec_allow:
        pol["exec"]["allow"] = exec_allow
    if case.allow_connect:
        pol["connect"]["allow"] = [a.format(allowed_port=allowed_port) for a in case.allow_connect]
    if case.allow_listen:
        pol["listen"] = {"default": "block",
                         "allow": [a.format(allowed_port=allowed_port) for a in case.allow_listen]}
    if case.write_default == "block":
        # The JVM writes its coredump_filter at start.
        pol["write"]["allow"] = ["/tmp/**", "/dev/null", "/dev/tty", "/proc/*/coredump_filter"]
    return pol


def static_program(case, ws):
    """The binary of a "static" case (its policy allows it: "@self"), else None."""
    kind, name, *_ = case.prog
    return str(ws / "bin" / (name + SUFFIX[kind])) if kind == "static" else None


def command_for(case, ws, tools):
    kind, name, *args = case.prog
    if kind == "py":
        return [PYTHON, "-B", str(ws / "src" / "py" / name)] + args
    if kind == "js":
        return [NODE, str(ws / "src" / "js" / name)] + args
    if kind == "java":
        return [tools["java"]] + JAVA_FLAGS + ["-cp", str(ws / "classes"), name] + args
    program = [str(ws / "bin" / (name + SUFFIX[kind]))] + args
    if kind == "static":  # run by a protected handler, as a function runs a bundled helper
        return [PYTHON, "-B", str(ws / "src" / "py" / "helper.py")] + program
    return program


def parse_stderr(err):
    violations, starts, errors = [], [], []
    for line in err.decode("utf-8", "replace").splitlines():
        if '"fnshield"' not in line:
            continue
        i = line.find("{")
        try:
            obj = json.loads(line[i:])
        except ValueError:
            continue
        kind = obj.get("fnshield")
        (violations if kind == "violation" else starts if kind == "start"
         else errors if kind == "error" else []).append(obj)
    return violations, starts, errors


def tail(b, n=300):
    t = b.decode("utf-8", "replace").strip()
    return t[-n:].replace("\n", " | ")


def one_run(case, config, ws, tools, lib, fnshield):
    """Run one case in one configuration ("control", "default", "seccomp_off", "supervisor")."""
    if _stopping.is_set():
        raise KeyboardInterrupt
    d = Path(tempfile.mkdtemp(prefix="%s-%s-" % (case.id, config), dir=ws / "runs"))
    for sub in ("secret", "protected", "public", "scratch"):
        (d / sub).mkdir()
    token = "FNSHIELD-BYPASS-SECRET-" + secrets.token_hex(8)
    (d / "secret" / "token").write_text(token + "\n")
    (d / "protected" / "victim").write_bytes(VICTIM_CONTENT)
    marker = d / "marker"
    listeners = Listeners("ipv6" in tools) if case.effect == "connect" or case.allow_connect or \
        case.allow_listen else None
    allowed_port = listeners.port("allowed") if listeners else 1
    pfile = ws / "policies" / (d.name + ".json")
    cmd = command_for(case, ws, tools)
    pfile.write_text(json.dumps(policy_for(case, str(d), allowed_port, static_program(case, ws)),
                                indent=1))

    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "BYPASS_RUN": str(d),
        "BYPASS_SECRET": str(d / "secret" / "token"),
        "BYPASS_VICTIM": str(d / "protected" / "victim"),
        "BYPASS_PROTECTED": str(d / "protected"),
        "BYPASS_SCRATCH": str(d / "scratch"),
        "BYPASS_MARKER": str(marker),
    }
    if listeners:
        env.update(listeners.env())
    probe = ListenProbe() if case.effect == "listen" else None
    if probe:
        env["BYPASS_LISTEN_PORT"] = str(probe.port)
    env.update(case.env)
    if config == "control":
        # The same variables the protected run sees, without the library loaded.
        env.update(FNSHIELD_POLICY_FILE=str(pfile), FNSHIELD_MODE="block")
    else:
        if config == "seccomp_off":
            env["FNSHIELD_SECCOMP"] = "off"
        if config == "supervisor":
            env["FNSHIELD_SUPERVISOR"] = "on"
        env["FNSHIELD_LIB"] = str(lib)
        cmd = [str(fnshield), "run", "--policy", str(pfile), "--mode", "block", "--"] + cmd
    timeout = TIMEOUT.get(case.prog[0], DEFAULT_TIMEOUT)
    try:
        rc, out, err, timed_out, secs = run_process(cmd, str(d), env, timeout)
    finally:
        reached = listeners.reached() if listeners else []
        if listeners:
            listeners.close()
        if probe:
            probe.stop()

    # ---- the effect, on the world
    effect = []
    if case.effect == "exec" and os.path.lexists(marker):
        effect.append("marker created")
    if case.effect == "read" and (token.encode() in out or token.encode() in err):
        effect.append("secret printed")
    if case.effect == "write":
        prot = d / "protected"
        names = sorted(os.listdir(prot))
        if names != ["victim"]:
            effect.append("protected dir now %s" % names)
        elif (prot / "victim").read_bytes() != VICTIM_CONTENT:
            effect.append("victim modified")
    if case.effect == "connect" and reached:
        effect.append("reached %s" % ",".join(reached))
    if probe and probe.received(out, err):
        effect.append("listened on %d" % probe.port)

    violations, starts, errors = parse_stderr(err)
    # Lines about the technique's own category: the runtime's unrelated lines do not count
    # (a tampering case's refusal may be in another category: all of its lines count).
    relevant = [v for v in violations
                if v.get("category") == case.effect or case.category == "tamper"]
    lines = out.decode("utf-8", "replace").splitlines()
    attempted = any(l.startswith("ATTEMPT") for l in lines)
    done = [l for l in lines if l.startswith("DONE")]
    res = {
        "rc": rc,
        "seconds": round(secs, 3),
        "effect": effect,
        "attempted": attempted,
        "done": done[-1][5:] if done else None,
        "logged": bool(relevant or errors),
        "violations": [{k: v.get(k) for k in ("action", "category", "call", "target", "rule")}
                       for v in violations[:8]],
        "seccomp": next((s.get("seccomp") for s in starts if "seccomp" in s), None),
        "supervisor": next((s.get("supervisor") for s in starts if "supervisor" in s), None),
    }
    if config == "control":
        if effect:
            res["verdict"] = "ok"
        else:
            res["verdict"] = "error"
            res["why"] = ("timeout" if timed_out else
                          "no effect without the shim (rc=%s): %s" % (rc, tail(out + err)))
        return res

    signame = None
    if rc is not None and rc < 0:
        try:
            signame = signal.Signals(-rc).name
        except ValueError:
            signame = "signal %d" % -rc
    res["signal"] = signame
    finished = bool(done) or rc == 0 or signame == "SIGSYS" or \
        (case.crash_ok and signame in ("SIGSEGV", "SIGBUS", "SIGILL"))
    if effect:
        res["verdict"], res["why"] = "missed", "; ".join(effect)
    elif probe and res["done"] and "errno=98" in res["done"]:
        res["verdict"], res["why"] = "error", "the port was taken (EADDRINUSE): nothing was decided"
    elif timed_out:
        res["verdict"], res["why"] = "error", "timeout after %ss" % timeout
    elif not attempted and (errors or rc == 78):
        res["verdict"] = "error"
        res["why"] = "fnshield error: %s" % (errors[0].get("message") if errors else tail(err))
    elif not attempted:
        res["verdict"] = "error"
        res["why"] = "never reached its attempt (rc=%s): %s" % (rc, tail(out + err))
    elif not finished:
        res["verdict"] = "error"
        res["why"] = "broke after its attempt (rc=%s%s): %s" % (
            rc, ", " + signame if signame else "", tail(err or out))
    elif case.require_log and not (relevant or errors):
        res["verdict"], res["why"] = "missed", "refused, but no violation line reached stderr"
    else:
        res["verdict"] = "caught"
        res["why"] = (res["done"] or ("killed by %s" % signame if signame else "rc=%s" % rc))
        if errors:
            res["why"] += "; fnshield error line: %s" % errors[0].get("message", "")[:160]
    return res


# ---------------------------------------------------------------------------- report -------
def cell(r):
    return {"caught": "caught", "missed": "MISSED", "error": "error"}.get(r["verdict"], "?")


def print_table(results, verbose):
    rows = [("case", "cat", "technique", "default", "seccomp=off", "supervisor", "logged")]
    for cid, r in results.items():
        c = r["case"]
        dv, so, sv = (r["runs"][cfg] for cfg in CONFIGS)
        logged = "/".join("y" if x.get("logged") else "n" for x in (dv, so, sv))
        tech = c.technique if len(c.technique) <= 58 else c.technique[:55] + "..."
        rows.append((cid, c.category, tech, cell(dv), cell(so), cell(sv), logged))
    w = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(col.ljust(w[j]) for j, col in enumerate(row)).rstrip())
        if i == 0:
            print("  ".join("-" * x for x in w))
    if verbose:
        print()
        for cid, r in results.items():
            for cfg in ("control",) + CONFIGS:
                x = r["runs"][cfg]
                if verbose > 1 or x["verdict"] in ("missed", "error"):
                    print("%-40s %-12s %-7s %s" % (cid, cfg, x["verdict"], x.get("why", "")))


def totals(results):
    t = {cat: {cfg: {"caught": 0, "missed": 0, "error": 0} for cfg in CONFIGS}
         for cat in CATEGORIES}
    for r in results.values():
        for cfg in CONFIGS:
            t[r["case"].category][cfg][r["runs"][cfg]["verdict"]] += 1
    t["all"] = {cfg: {k: sum(t[c][cfg][k] for c in CATEGORIES) for k in ("caught", "missed", "error")}
                for cfg in CONFIGS}
    return t


def print_totals(t):
    print()
    print("%-8s  %-28s  %-28s  %-28s" % ("category", "default (seccomp)", "FNSHIELD_SECCOMP=off",
                                        "FNSHIELD_SUPERVISOR=on"))
    for cat in CATEGORIES + ("all",):
        cols = []
        for cfg in CONFIGS:
            x = t[cat][cfg]
            cols.append("%3d caught %3d missed %2d err  " % (x["caught"], x["missed"], x["error"]))
        print("%-8s  %s" % (cat, "".join(cols)))


def check_expected(results, expected_path):
    """Regressions: a case expected caught (per configuration) that is now missed, or an
    error whose control run worked (the program broke under the shim)."""
    if not expected_path.exists():
        print("\nno %s: nothing to compare against" % expected_path)
        return 0
    exp = json.loads(expected_path.read_text()).get("caught", {})
    bad, warn = [], []
    for cid, cfgs in sorted(exp.items()):
        if cid not in results:
            continue  # filtered out with -k, or a case that no longer exists
        r = results[cid]
        for cfg in cfgs:
            x = r["runs"][cfg]
            if x["verdict"] == "caught":
                continue
            # Where the kernel refuses seccomp, the default configuration is the interposer
            # alone: hold it only to what is expected without seccomp.
            if cfg == "default" and x.get("seccomp") not in (None, "on") \
                    and "seccomp_off" not in cfgs:
                warn.append("%s [default]: %s with seccomp %r (caught only with seccomp)"
                            % (cid, x["verdict"], x.get("seccomp")))
                continue
            # Where the kernel has no user notification, the supervisor configuration is the
            # default one: hold it only to what the default catches.
            if cfg == "supervisor" and x.get("supervisor") not in (None, "on") \
                    and "default" not in cfgs:
                warn.append("%s [supervisor]: %s with the supervisor %r (caught only with it)"
                            % (cid, x["verdict"], x.get("supervisor")))
                continue
            if x["verdict"] == "error" and r["runs"]["control"]["verdict"] != "ok":
                warn.append("%s [%s]: technique unavailable: %s"
                            % (cid, cfg, r["runs"]["control"].get("why")))
            else:
                bad.append("%s [%s] was caught, now %s: %s" % (cid, cfg, x["verdict"],
                                                             x.get("why")))
    for w in warn:
        print("warning: expected caught, not checked here: " + w)
    if bad:
        print("\nREGRESSIONS (%d):" % len(bad))
        for b in bad:
            print("  " + b)
        return 1
    print("\nno regressions against %s (%d cases expected caught)" % (
        expected_path.relative_to(ROOT) if expected_path.is_relative_to(ROOT) else expected_path,
        len(exp)))
    return 0


def write_expected(results, path):
    old = json.loads(path.read_text()) if path.exists() else {}
    caught = dict(old.get("caught", {}))
    for cid, r in results.items():
        cfgs = [cfg for cfg in CONFIGS if r["runs"][cfg]["verdict"] == "caught"]
        if cfgs:
            caught[cid] = cfgs
        else:
            caught.pop(cid, None)
    doc = {
        "_doc": "Cases that must stay caught, per configuration (default = seccomp as the "
                "library decides; seccomp_off = FNSHIELD_SECCOMP=off; supervisor = "
                "FNSHIELD_SUPERVISOR=on). tests/bypass/run.py "
                "fails when one of them is missed. Regenerate with --update-expected; extend "
                "as holes are fixed.",
        "caught": dict(sorted(caught.items())),
    }
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print("wrote %s (%d cases)" % (path, len(caught)))


# ---------------------------------------------------------------------------- main ---------
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", "--only", help="run only cases whose id matches this regex")
    ap.add_argument("-j", "--jobs", type=int, default=min(6, 2 * (os.cpu_count() or 1)))
    ap.add_argument("-v", "--verbose", action="count", default=0,
                    help="-v: why each missed/error run; -vv: every run")
    ap.add_argument("--list", action="store_true", help="list the corpus and exit")
    ap.add_argument("--build", default=os.environ.get("FNSHIELD_BUILD_DIR") or str(ROOT / "build"))
    ap.add_argument("--json", help="scoreboard JSON (default BUILD/bypass-scoreboard.json)")
    ap.add_argument("--expected", default=str(HERE / "expected.json"))
    ap.add_argument("--update-expected", action="store_true",
                    help="rewrite expected.json: every case caught in this run")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (debugging)")
    a = ap.parse_args()

    cases = [c for c in CASES if not a.only or re.search(a.only, c.id)]
    if a.list:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # `--list | head`
        for c in cases:
            print("%-42s %-8s %-7s %s" % (c.id, c.category, c.effect, c.technique))
        return 0
    build = Path(a.build).resolve()
    lib, fnshield = build / "libfnshield.so", build / "fnshield"
    if not lib.exists() or not os.access(fnshield, os.X_OK):
        print("bypass: %s or %s missing: run `make` first" % (lib, fnshield), file=sys.stderr)
        return 2
    if not os.access(PYTHON, os.X_OK):
        print("bypass: %s missing" % PYTHON, file=sys.stderr)
        return 2

    become_subreaper()
    java, javac = find_java()
    tools = {"gcc": shutil.which("gcc"), "node": os.access(NODE, os.X_OK) and NODE,
             "java": java if java and javac else None, "javac": javac,
             "busybox": os.access("/usr/bin/busybox", os.X_OK) and "/usr/bin/busybox"}
    if ipv6_loopback():
        tools["ipv6"] = True
    tools = {k: v for k, v in tools.items() if v}

    t0 = time.monotonic()
    ws = Path(tempfile.mkdtemp(prefix="fnshield-bypass-", dir="/tmp"))
    interrupted = []

    def on_signal(signum, _frame):
        interrupted.append(signum)
        _stopping.set()
        raise KeyboardInterrupt

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
    results = {}
    try:
        (ws / "runs").mkdir()
        (ws / "policies").mkdir()
        build_problems = build_programs(ws, tools, a.jobs)
        todo = []
        for c in cases:
            missing = [n for n in c.needs if n not in tools]
            problem = build_problems.get(tuple(c.prog[:2])) if c.prog[0] in ("c", "asm", "static", "java") \
                else None
            if missing or problem:
                why = ("not available here: " + ", ".join(missing)) if missing else problem
                results[c.id] = {"case": c, "runs": {cfg: {"verdict": "error", "why": why}
                                                     for cfg in ("control",) + CONFIGS}}
                continue
            results[c.id] = {"case": c, "runs": {}}
            for cfg in ("control",) + CONFIGS:
                todo.append((c, cfg))
        # Slow programs first, so that the tail of the run is short.
        todo.sort(key=lambda t: t[0].prog[0] != "java")
        ex = concurrent.futures.ThreadPoolExecutor(max(1, a.jobs))
        try:
            futs = {ex.submit(one_run, c, cfg, ws, tools, lib, fnshield): (c, cfg)
                    for c, cfg in todo}
            for f in concurrent.futures.as_completed(futs):
                c, cfg = futs[f]
                try:
                    results[c.id]["runs"][cfg] = f.result()
                except Exception as e:  # a harness problem in one run must not stop the rest
                    results[c.id]["runs"][cfg] = {"verdict": "error",
                                                  "why": "harness: %s: %s" % (type(e).__name__, e)}
        except BaseException:
            _stopping.set()
            raise
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
    except KeyboardInterrupt:
        print("bypass: interrupted", file=sys.stderr)
        return 130
    finally:
        with _live_lock:
            for g in list(_live_groups):
                kill_group(g)
        sweep_children()
        for s, h in old.items():
            signal.signal(s, h)
        if a.keep:
            print("work directory kept: %s" % ws)
        else:
            shutil.rmtree(ws, ignore_errors=True)

    # A protected run whose control failed is an error whatever it did.
    for r in results.values():
        ctl = r["runs"]["control"]
        if ctl["verdict"] != "ok":
            for cfg in CONFIGS:
                x = r["runs"][cfg]
                if x["verdict"] != "error":
                    x["verdict"], x["why"] = "error", "control: %s" % ctl.get("why")
    results = {c.id: results[c.id] for c in cases if c.id in results}
    elapsed = time.monotonic() - t0

    seen = {cfg: sorted({str(r["runs"][cfg].get("seccomp")) for r in results.values()
                         if r["runs"][cfg].get("seccomp") is not None}) for cfg in CONFIGS}
    print("fnshield bypass scoreboard: %d cases, %s, %.1fs" % (len(results), lib, elapsed))
    print("start lines say seccomp: %s" % ", ".join(
        "%s=%s" % (cfg, "/".join(v) or "?") for cfg, v in seen.items()))
    print()
    print_table(results, a.verbose)
    t = totals(results)
    print_totals(t)

    out = Path(a.json) if a.json else build / "bypass-scoreboard.json"
    doc = {
        "suite": "bypass",
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": {"machine": platform.machine(), "kernel": platform.release()},
        "library": str(lib),
        "seconds": round(elapsed, 1),
        "seccomp_reported": seen,
        "configs": {"default": "fnshield run --mode block (seccomp as the library decides)",
                    "seccomp_off": "the same with FNSHIELD_SECCOMP=off",
                    "supervisor": "the default with FNSHIELD_SUPERVISOR=on (issue #14)"},
        "totals": t,
        "cases": [
            {"case": cid, "category": r["case"].category, "technique": r["case"].technique,
             "effect": r["case"].effect, "program": list(r["case"].prog),
             "default": r["runs"]["default"]["verdict"],
             "seccomp_off": r["runs"]["seccomp_off"]["verdict"],
             "supervisor": r["runs"]["supervisor"]["verdict"],
             "logged": [bool(r["runs"][cfg].get("logged")) for cfg in CONFIGS],
             "runs": r["runs"]}
            for cid, r in results.items()
        ],
    }
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1) + "\n")
        print("\nscoreboard: %s" % out)
    except OSError as e:
        print("bypass: cannot write %s: %s" % (out, e), file=sys.stderr)

    if a.update_expected:
        write_expected(results, Path(a.expected))
        return 0
    return check_expected(results, Path(a.expected))


if __name__ == "__main__":
    sys.exit(main())
