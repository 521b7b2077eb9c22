#!/usr/bin/env python3
"""The arm64 layer on a real arm64 kernel (`make arm64-kernel-test`).

qemu-user cannot run a seccomp filter, so the backstop's arm64 BPF programs are run here the
only way this machine can: Debian's arm64 kernel booted under qemu-system-aarch64 (software
emulation), a Debian arm64 root as its initramfs (tests/arm64/build-root.sh, cached under
/var/cache/fnshield-matrix), and the arm64 layer exactly as `make layer` builds it. One boot
runs everything; the guest hands back what each run printed, and the verdicts are the runtime
matrix's own (tests/matrix/matrix.py):

  python3 and node, backstop on and off: start clean under the production example; the
  matrix's calls in block mode (a shell, a PATH search, a missing program, /proc/self/environ,
  a loopback connect, a write outside /tmp: the runtime's own error and one line each) and in
  alert mode; an allow-all workload that prints what it prints without the layer.
  The backstop (tests/arm64/backstop-probe.c): system calls made with `svc`, never through the
  C library, refused by the kernel's filter as the backstop's rules say.

Results: a table, build/arm64/results.json (for tests/matrix/claims.py), exit 1 on any failure.
"""
import base64
import datetime
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "matrix"))
import matrix  # noqa: E402  (the policies, the probes and the verdicts)

BUILD = matrix.BUILD
OUT = BUILD / "arm64"
LAYER_ZIP = BUILD / "fnshield-layer-arm64.zip"
SUITE = "bookworm"
PACKAGES = "python3 nodejs iproute2"
BUILDER = HERE / "build-root.sh"
PORT = 8123
BEGIN, END = "=====fnshield-arm64-results-begin=====", "=====fnshield-arm64-results-end====="

# (Lambda's name, kind, the command in the guest)
RUNTIMES = [("python3.11", "python", ["/usr/bin/python3", "/opt/matrix/probe.py"]),
            ("nodejs18.x", "node", ["/usr/bin/node", "/opt/matrix/probe.js"])]

BACKSTOP_POLICY = {"version": 1, "mode": "block", "exec": "block", "connect": "block",
                   "listen": "block"}


def machine_dir():
    key = hashlib.sha256(BUILDER.read_bytes() + (SUITE + PACKAGES).encode()).hexdigest()[:12]
    return matrix.CACHE / ("arm64-%s-%s" % (SUITE, key))


def ensure_machine():
    machine = machine_dir()
    if (machine / "root.cpio").exists():
        return machine
    print("arm64: building the arm64 root and kernel (cached in %s)" % machine, flush=True)
    matrix.CACHE.mkdir(parents=True, exist_ok=True)
    argv = ["sh", str(BUILDER), SUITE, str(machine), PACKAGES]
    if subprocess.run(argv).returncode != 0:  # once more: the archive may have hiccuped
        print("arm64: building the root failed, again", flush=True)
        subprocess.run(argv, check=True)
    for old in matrix.CACHE.glob("arm64-%s-*" % SUITE):
        if re.fullmatch(r"arm64-%s-[0-9a-f]{12}" % SUITE, old.name) and old != machine:
            shutil.rmtree(old, ignore_errors=True)
    return machine


# ---- what the guest runs ----------------------------------------------------------------
def guest_runs():
    """(name, environment, argv) of every run, in order."""
    runs = []
    for lambda_name, kind, argv in RUNTIMES:
        runs.append((kind + "-version", {}, [argv[0], "--version"]))
        runs.append((kind + "-bare", {}, argv + ["workload", str(PORT)]))
        for backstop in matrix.BACKSTOP:
            env = lambda policy, mode="block": matrix.probe_env(policy, backstop, mode)
            wrapped = ["/opt/fnshield-exec"] + argv
            runs.append(("%s-start-%s" % (kind, backstop), env("production.json"),
                         wrapped + ["start", str(PORT)]))
            for mode in ("block", "alert"):
                runs.append(("%s-%s-%s" % (kind, mode, backstop), env("checks.json", mode),
                             wrapped + ["checks", str(PORT)]))
            runs.append(("%s-allow_all-%s" % (kind, backstop), env("allow-all.json"),
                         wrapped + ["workload", str(PORT)]))
    runs.append(("backstop", matrix.probe_env("backstop.json"),
                 ["/opt/fnshield-exec", "/opt/arm64test/backstop-probe"]))
    runs.append(("glibc", {}, ["/usr/bin/ldd", "--version"]))
    runs.append(("kernel", {}, ["/usr/bin/uname", "-r"]))
    return runs


def guest_script(runs):
    """/test.sh, the guest's first and only process: mounts, loopback, a listener, the runs,
    the results out on the console, power off."""
    lines = ["#!/bin/sh",
             "export PATH=/usr/sbin:/usr/bin:/sbin:/bin",
             "mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t tmpfs tmp /tmp",
             "mount -t devtmpfs dev /dev 2>/dev/null",
             "ip link set lo up",
             "python3 /opt/arm64test/listener.py %d &" % PORT,
             "for i in $(seq 50); do python3 -c 'import socket,sys; socket.create_connection"
             "((\"127.0.0.1\", %d), 1)' 2>/dev/null && break; sleep 0.2; done" % PORT,
             "mkdir -p /tmp/out"]
    for name, env, argv in runs:
        assignments = " ".join(shlex.quote("%s=%s" % kv) for kv in sorted(env.items()))
        lines.append("env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME=/root %s %s "
                     ">/tmp/out/%s.stdout 2>/tmp/out/%s.stderr </dev/null; echo $? >/tmp/out/%s.rc"
                     % (assignments, " ".join(shlex.quote(a) for a in argv), name, name, name))
    lines += ["echo %s" % BEGIN, "tar -C /tmp/out -cz . | base64", "echo %s" % END,
              "echo o >/proc/sysrq-trigger", "sleep 10"]
    return "\n".join(lines) + "\n"


LISTENER = '''import http.server, sys
class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from the matrix"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Hello).serve_forever()
'''


def stage_files(stage, runs):
    """The files the guest gets on top of its root: the layer in /opt, the matrix's probes and
    policies in /opt/matrix, this check's own in /opt/arm64test, /test.sh."""
    shutil.rmtree(stage, ignore_errors=True)
    opt = stage / "opt"
    with zipfile.ZipFile(LAYER_ZIP) as z:
        for info in z.infolist():
            target = opt / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(info))
            target.chmod((info.external_attr >> 16) & 0o777 or 0o644)
    probes = opt / "matrix"
    probes.mkdir()
    for name in ("probe.py", "probe.js"):
        shutil.copy(matrix.PROBES / name, probes / name)
    for name, policy in (("production.json", matrix.production_policy()),
                         ("checks.json", matrix.checks_policy()),
                         ("allow-all.json", matrix.ALLOW_ALL), ("backstop.json", BACKSTOP_POLICY)):
        (probes / name).write_text(json.dumps(policy))
    own = opt / "arm64test"
    own.mkdir()
    (own / "listener.py").write_text(LISTENER)
    subprocess.run(["aarch64-linux-gnu-gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o",
                    str(own / "backstop-probe"), str(HERE / "backstop-probe.c")], check=True)
    script = stage / "test.sh"
    script.write_text(guest_script(runs))
    script.chmod(0o755)


def make_initrd(machine, stage, initrd):
    """The cached root's archive with the staged files' appended (the kernel unpacks both)."""
    files = subprocess.run("find . | cpio -o -H newc --quiet", shell=True, cwd=stage,
                           capture_output=True, check=True).stdout
    with open(initrd, "wb") as out, open(machine / "root.cpio", "rb") as root:
        shutil.copyfileobj(root, out)
        out.write(files)


def boot(machine, initrd, timeout=600):
    argv = ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a57", "-smp", "2", "-m", "1536",
            "-nographic", "-nic", "none", "-no-reboot", "-kernel", str(machine / "vmlinuz"),
            "-initrd", str(initrd), "-append",
            "console=ttyAMA0 rdinit=/test.sh panic=-1 quiet loglevel=1"]
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    console = done.stdout.decode("utf-8", "replace").replace("\r", "")
    return console, time.monotonic() - started


def results_of(console):
    """{run name: SimpleNamespace(returncode, stdout, stderr)} from the console's archive."""
    if BEGIN not in console or END not in console:
        raise RuntimeError("the guest printed no results; its console ended with:\n" + console[-3000:])
    text = console.split(BEGIN, 1)[1].split(END, 1)[0]
    data = base64.b64decode("".join(l.strip() for l in text.splitlines()
                                    if re.fullmatch(r"[A-Za-z0-9+/=]+", l.strip())))
    files = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile():
                files[Path(member.name).name] = tar.extractfile(member).read().decode("utf-8", "replace")
    runs = {}
    for name in {n.rsplit(".", 1)[0] for n in files}:
        rc = files.get(name + ".rc", "").strip()
        runs[name] = SimpleNamespace(returncode=int(rc) if rc.lstrip("-").isdigit() else -1,
                                     stdout=files.get(name + ".stdout", ""),
                                     stderr=files.get(name + ".stderr", ""))
    return runs


# ---- the verdicts -----------------------------------------------------------------------
def judge_runtime(runs, kind):
    cells, variants = {}, []
    for backstop in matrix.BACKSTOP:
        def note(column, problem):
            cells.setdefault(column, {})[backstop] = problem
        note("start", matrix.judge_start(runs["%s-start-%s" % (kind, backstop)], backstop))
        for mode in ("block", "alert"):
            found, variants = matrix.judge_calls(runs["%s-%s-%s" % (kind, mode, backstop)],
                                                 backstop, mode)
            for column, problem in found.items():
                note(column, problem)
            if mode == "block" and kind in matrix.ORIGIN_CALLS:
                note("origin", matrix.judge_origin(runs["%s-%s-%s" % (kind, mode, backstop)], kind))
        note("allow_all", matrix.judge_allow_all(runs["%s-allow_all-%s" % (kind, backstop)],
                                                 backstop, runs[kind + "-bare"]))
    return cells, variants


def judge_backstop(done):
    """Every raw call answered as the rules say, and the start line says the backstop is on."""
    problems = []
    lines = matrix.lines_of(done.stderr)
    problem = matrix.start_line_problem(lines, "on")
    if problem:
        problems.append(problem)
    answered = [json.loads(l) for l in done.stdout.splitlines() if l.startswith("{")]
    problems += ["%s: %d (want %d)" % (a["check"], a["got"], a["want"]) for a in answered if not a["ok"]]
    if len(answered) < 12 or done.returncode != 0:
        problems.append("exit %d after %d calls" % (done.returncode, len(answered)))
    return "; ".join(problems) or None, [a["check"] for a in answered]


def main():
    if os.geteuid() != 0:
        sys.exit("arm64: needs root (debootstrap, binfmt_misc)")
    if not LAYER_ZIP.exists():
        sys.exit("arm64: %s is missing: run make layer-arm64" % LAYER_ZIP)
    machine = ensure_machine()
    OUT.mkdir(parents=True, exist_ok=True)
    runs = guest_runs()
    stage_files(OUT / "stage", runs)
    make_initrd(machine, OUT / "stage", OUT / "initrd.cpio")
    console, seconds = boot(machine, OUT / "initrd.cpio")
    (OUT / "console.txt").write_text(console)
    results = results_of(console)
    os.unlink(OUT / "initrd.cpio")

    glibc = re.search(r"(\d+\.\d+)\s*$", results["glibc"].stdout.splitlines()[0]).group(1)
    kernel = results["kernel"].stdout.strip()
    entries, failed = [], []
    print("arm64: %s booted under qemu-system-aarch64 in %.0f s (%s)"
          % (kernel, seconds, (machine / "kernel").read_text().strip()))
    head = ["runtime", "version"] + matrix.COLUMNS
    rows = []
    for lambda_name, kind, _ in RUNTIMES:
        cells, variants = judge_runtime(results, kind)
        version = re.findall(r"\d+(?:\.\d+)+", results[kind + "-version"].stdout)[0]
        passed = all(p is None for c in cells.values() for p in c.values())
        entries.append({"lambda": lambda_name, "suite": SUITE, "kind": kind, "version": version,
                        "glibc": glibc, "arch": "arm64", "kernel": kernel, "passed": passed,
                        "checks": ["the matrix's checks (%d calls), backstop on and off" % len(variants),
                                   "the backstop's raw system calls"],
                        "variants": variants, "cells": cells})
        rows.append(["%s (%s arm64)" % (lambda_name, SUITE), version] +
                    [matrix.cell_text(cells.get(c, {})) for c in matrix.COLUMNS])
        failed += ["%s %s backstop %s: %s" % (lambda_name, col, b, p)
                   for col, c in cells.items() for b, p in c.items() if p]
    backstop_problem, calls = judge_backstop(results["backstop"])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    for row in [head] + rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))
    print("backstop (raw svc calls: %s): %s" % (", ".join(calls), backstop_problem or "ok"))
    if backstop_problem:
        failed.append("backstop: " + backstop_problem)
        for e in entries:
            e["passed"] = False
    (OUT / "results.json").write_text(json.dumps({
        "date": datetime.date.today().isoformat(), "kernel": kernel, "boot_seconds": round(seconds),
        "backstop_calls": calls, "runtimes": entries}, indent=1) + "\n")
    for f in failed:
        print("FAIL", f)
    if failed:
        sys.exit("arm64: FAILED (console: %s)" % (OUT / "console.txt"))
    print("arm64: all right (%s)" % (OUT / "results.json"))


if __name__ == "__main__":
    main()
