#!/usr/bin/env python3
"""The runtime matrix (`make matrix`): every runtime version fnshield claims, each in a Debian
chroot with its own glibc, run under the x86_64 layer exactly as built, with and without the
seccomp backstop, and with the supervisor (issue #14: FNSHIELD_SUPERVISOR=on). It prints a table
runtime × check and fails on any cell that is not right.

For each runtime and each backstop setting:
  start      the probe starts under the example production policy: exit 0, no line
  exec_shell, exec_path_search, exec_missing, read_environ, connect_loopback,
  write_outside_tmp
             block mode; each call (in one or more of the runtime's own ways) gives the
             runtime's own error and exactly one violation line of its category — or, for a
             program found by a PATH search and a missing program, runs / "not found" and no line
  alert      the same calls in alert mode: each goes through (the program runs, the file is
             read or written, the connection made), with one alert line where block refused
  allow_all  a small real workload under an allow-all policy: same output as without the
             library, no line

The chroots are made by build-chroot.sh, cached under /var/cache/fnshield-matrix (keyed by
suite, packages and the builder), built when missing. /proc is mounted for each run inside a
private mount namespace (unshare), so nothing stays mounted whatever happens to this script.
The results go to build/matrix/results.json; `--readme` rewrites README.md's table from them.
"""
import argparse
import concurrent.futures
import datetime
import hashlib
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUILD = Path(os.environ.get("BUILD", ROOT / "build")).resolve()
CACHE = Path(os.environ.get("FNSHIELD_MATRIX_CACHE", "/var/cache/fnshield-matrix"))
BUILDER = HERE / "build-chroot.sh"
PROBES = HERE / "probes"
RESULTS = BUILD / "matrix" / "results.json"

# ---- what is tested -------------------------------------------------------------------------
# Debian's architecture name -> Lambda's, the layer built for it, and the backstop settings a
# run there can show: arm64 chroots run under qemu-user, which cannot install a seccomp filter
# (the arm64 backstop is run on a real arm64 kernel by tests/arm64/run.py).
ARCHES = {"amd64": ("x86_64", BUILD / "fnshield-layer-x86_64.zip", ("on", "off", "supervisor")),
          "arm64": ("arm64", BUILD / "fnshield-layer-arm64.zip", ("off",))}

# The official Node.js builds (bundled libuv, as Lambda runs them; in no Debian suite), from the
# npm registry, checked against the registry's integrity for each architecture.
NODE_OFFICIAL = {
    "22.23.5": {"amd64": "sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXq"
                         "qlMCEhi0cJqybFPEb5hhcBiMw==",
                "arm64": "sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmP"
                         "pbSKpj0Td8DP1N0NEnXasHizg=="},
    "24.22.3": {"amd64": "sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knG"
                         "gQ/xnc3XY8xzkW587dlZzNqRA==",
                "arm64": "sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O"
                         "5vGI2hcUbyPNHV+nz342FbJXw=="},
}

# Each suite: its Debian packages, and what comes from elsewhere (build-chroot.sh). The
# official Node.js builds run in the oldest glibc here.
SUITES = {
    "bullseye": ("python3 openjdk-11-jre-headless", ["node-official:22.23.5", "node-official:24.22.3"]),
    "bookworm": ("python3 nodejs openjdk-17-jre-headless", []),
    "trixie": ("python3 nodejs openjdk-21-jre-headless ruby", []),
    "sid": ("python3 nodejs openjdk-25-jre-headless", ["experimental:ruby3.4"]),
}


def suite_extras(suite, arch):
    return " ".join(e + "@" + NODE_OFFICIAL[e.split(":")[1]][arch] if e.startswith("node-official:")
                    else e for e in SUITES[suite][1])


JAVA_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
              "-XX:-UsePerfData", "-cp", "/opt/matrix/probe.jar"]


def java(version):
    return ["/usr/lib/jvm/java-%d-openjdk-{arch}/bin/java" % version] + JAVA_FLAGS + ["Probe"]


# (Lambda's name, suite, kind, the version the runtime must report, command in the chroot;
# {arch} is the chroot's architecture). Each runs on every architecture of ARCHES.
RUNTIMES = [
    ("python3.9", "bullseye", "python", "3.9", ["/usr/bin/python3", "/opt/matrix/probe.py"]),
    ("python3.11", "bookworm", "python", "3.11", ["/usr/bin/python3", "/opt/matrix/probe.py"]),
    ("python3.13", "trixie", "python", "3.13", ["/usr/bin/python3", "/opt/matrix/probe.py"]),
    ("python3.14", "sid", "python", "3.14", ["/usr/bin/python3", "/opt/matrix/probe.py"]),
    ("nodejs18.x", "bookworm", "node", "18", ["/usr/bin/node", "/opt/matrix/probe.js"]),
    ("nodejs20.x", "trixie", "node", "20", ["/usr/bin/node", "/opt/matrix/probe.js"]),
    ("nodejs22.x", "bullseye", "node", "22",
     ["/opt/node-22.23.5/bin/node", "/opt/matrix/probe.js"]),
    ("nodejs24.x", "bullseye", "node", "24",
     ["/opt/node-24.22.3/bin/node", "/opt/matrix/probe.js"]),
    ("nodejs24.x", "sid", "node", "24", ["/usr/bin/node", "/opt/matrix/probe.js"]),
    ("java11", "bullseye", "java", "11", java(11)),
    ("java17", "bookworm", "java", "17", java(17)),
    ("java21", "trixie", "java", "21", java(21)),
    ("java25", "sid", "java", "25", java(25)),
    ("ruby3.3", "trixie", "ruby", "3.3", ["/usr/bin/ruby3.3", "/opt/matrix/probe.rb"]),
    ("ruby3.4", "sid", "ruby", "3.4", ["/usr/bin/ruby3.4", "/opt/matrix/probe.rb"]),
]

# How each kind says its version (the first number-dotted word of the output is taken).
VERSION_ARGS = {"python": ["--version"], "node": ["--version"], "ruby": ["--version"],
                "java": ["-version"]}

# The checks of block mode: what the runtime must say, how many lines, of which category.
CHECKS = {
    "exec_shell": ("refused", 1, "exec"),
    "exec_path_search": ("ok", 0, None),
    "exec_missing": ("not_found", 0, None),
    "read_environ": ("refused", 1, "read"),
    "connect_loopback": ("refused", 1, "connect"),
    "write_outside_tmp": ("refused", 1, "write"),
}
# The same calls in alert mode: each goes through, and has its line where block refused it.
ALERT_OUTCOME = {"refused": "ok"}
# The calls whose lines must name the probe's code (origin.h): per kind, the probe's file and
# the calls made from the runtime's own thread (an async read on libuv's pool has none).
ORIGIN_CALLS = {
    "python": ("probe.py", ["read_environ:open", "exec_shell:subprocess", "exec_shell:os.system"]),
    "node": ("probe.js", ["read_environ:readFileSync", "exec_shell:spawnSync", "exec_shell:execSync"]),
    "java": ("Probe.java", ["read_environ:FileInputStream", "read_environ:Files.readAllBytes",
                            "connect_loopback:Socket", "connect_loopback:SocketChannel",
                            "exec_shell:ProcessBuilder", "exec_shell:Runtime.exec"]),
}
ORIGIN_PACKAGE = {"java": "probe.jar"}  # the package the probe's own code is in, where it has one
COLUMNS = ["start"] + list(CHECKS) + ["origin", "alert", "allow_all"]
BACKSTOP = ("on", "off", "supervisor")  # FNSHIELD_SECCOMP left alone, =off; FNSHIELD_SUPERVISOR=on


def production_policy():
    return json.loads((ROOT / "policy/examples/production.json").read_text())


def checks_policy():
    """The production example with two programs allowed (the one the PATH search finds, and the
    child that reads what is refused) and without its "localhost" allowance (the loopback
    listener is the connect that is refused)."""
    policy = production_policy()
    policy["exec"]["allow"] = ["/usr/bin/uname", "/usr/bin/cat"]
    policy["connect"]["allow"] = [a for a in policy["connect"]["allow"] if a != "localhost"]
    return policy


ALLOW_ALL = {"version": 1, "mode": "block"}


# ---- chroots --------------------------------------------------------------------------------
def chroot_dir(suite, arch):
    packages = SUITES[suite][0]
    key = hashlib.sha256(BUILDER.read_bytes() + (suite + arch + packages +
                                                  suite_extras(suite, arch)).encode())
    return CACHE / ("%s-%s-%s" % (suite, arch, key.hexdigest()[:12]))


def ensure_chroots(wanted):
    """wanted: (suite, arch) pairs. Those not in the cache are built, in parallel."""
    missing = [w for w in wanted if not (chroot_dir(*w) / "usr").is_dir()]
    if not missing:
        return
    print("matrix: building chroots: %s (cached in %s)"
          % (" ".join("%s/%s" % w for w in missing), CACHE), flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)

    def build(w):
        suite, arch = w
        argv = ["sh", str(BUILDER), suite, str(chroot_dir(suite, arch)), SUITES[suite][0],
                suite_extras(suite, arch), arch]
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:  # once more: the archive or the registry may have hiccuped
            print("matrix: building %s/%s failed, again:\n%s" % (suite, arch, done.stderr[-2000:]),
                  flush=True)
            done = subprocess.run(argv, capture_output=True, text=True)
        return done

    with concurrent.futures.ThreadPoolExecutor(len(missing)) as pool:
        for w, done in zip(missing, pool.map(build, missing)):
            if done.returncode != 0:
                sys.exit("matrix: building the %s/%s chroot failed:\n%s" % (w + (done.stderr,)))
            prune_old_chroots(*w)


def prune_old_chroots(suite, arch):
    """Chroots of this suite made for another package list or builder: never used again."""
    current = chroot_dir(suite, arch).name
    for old in CACHE.glob(suite + "-*"):
        if re.fullmatch(r"%s-(%s-)?[0-9a-f]{12}" % (suite, arch), old.name) and old.name != current:
            shutil.rmtree(old, ignore_errors=True)


def install_files(root, layer_zip):
    """The layer as built (unzipped where Lambda puts it: /opt), the probes, the policies."""
    opt = root / "opt"
    shutil.rmtree(opt / "fnshield", ignore_errors=True)
    shutil.rmtree(opt / "matrix", ignore_errors=True)
    with zipfile.ZipFile(layer_zip) as z:
        for info in z.infolist():
            target = opt / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(info))
            target.chmod((info.external_attr >> 16) & 0o777 or 0o644)
    matrix = opt / "matrix"
    matrix.mkdir()
    for name in ("probe.py", "probe.js", "probe.rb"):
        shutil.copy(PROBES / name, matrix / name)
    shutil.copy(BUILD / "matrix" / "probe.jar", matrix / "probe.jar")
    for name, policy in (("production.json", production_policy()),
                         ("checks.json", checks_policy()), ("allow-all.json", ALLOW_ALL)):
        (matrix / name).write_text(json.dumps(policy))


def compile_java_probe():
    out = BUILD / "matrix"
    out.mkdir(parents=True, exist_ok=True)
    """Probe.java for Java 11 and later, in a jar: its lines name the jar as the package."""
    classes = out / "classes"
    subprocess.run(["javac", "--release", "11", "-d", str(classes), str(PROBES / "Probe.java")],
                   check=True)
    jar = Path(shutil.which("javac")).resolve().parent / "jar"
    subprocess.run([str(jar), "cf", str(out / "probe.jar"), "-C", str(classes), "."], check=True)


def run_in(root, argv, env, arch="amd64", timeout=300):
    """argv in the chroot, with /proc mounted in a mount namespace of the run's own (and, for
    an arm64 chroot, qemu-user registered there: binfmt_misc is per mount on this kernel)."""
    script = 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"'
    if arch != "amd64":
        script = "sh %s && %s" % (shlex.quote(str(HERE / "binfmt-arm64.sh")), script)
    clean = ["env", "-i"] + ["%s=%s" % kv for kv in sorted(env.items())]
    command = ["unshare", "--mount", "--propagation", "private", "--",
               "sh", "-c", script, str(root)] + clean + argv
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        text = lambda b: b.decode(errors="replace") if isinstance(b, bytes) else (b or "")
        return subprocess.CompletedProcess(command, 124, text(e.stdout),
                                           text(e.stderr) + "\n(timed out after %ds)" % timeout)


# ---- one runtime ----------------------------------------------------------------------------
def probe_env(policy_file=None, backstop="on", mode="block"):
    """A runtime's environment; protected when a policy file (in /opt/matrix) is named."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/root"}
    if policy_file:
        env.update({"FNSHIELD_POLICY_FILE": "/opt/matrix/" + policy_file, "FNSHIELD_MODE": mode})
        if backstop == "off":
            env["FNSHIELD_SECCOMP"] = "off"
        if backstop == "supervisor":  # issue #14: the kernel's check of calls outside libc
            env["FNSHIELD_SUPERVISOR"] = "on"
    return env


def lines_of(stderr):
    """fnshield's lines and the probe's markers, in order; anything else is kept as text."""
    out = []
    for text in stderr.splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            continue
        if isinstance(line, dict):
            out.append(line)
    return out


# ---- the verdicts: what one run says about each check (also used by tests/arm64/) ------------
# `done` is what a run left: returncode, stdout, stderr (a subprocess.CompletedProcess).
def exited_badly(done):
    return "exit %d: %s" % (done.returncode, done.stderr.strip()[-300:])


def start_line_problem(lines, backstop):
    starts = [l for l in lines if l.get("fnshield") == "start"]
    if not starts:
        return "no start line"
    if starts[0].get("seccomp") != ("on" if backstop == "supervisor" else backstop):
        return "start line says seccomp %r" % starts[0].get("seccomp")
    if backstop == "supervisor" and starts[0].get("supervisor") not in ("on", "off"):
        return "start line says supervisor %r" % starts[0].get("supervisor")
    errors = [l for l in lines if l.get("fnshield") == "error"]
    return "error line: %s" % errors[0].get("message") if errors else None


def judge_start(done, backstop):
    """The probe started under the production example: exit 0, no violation line."""
    lines = lines_of(done.stderr)
    violations = [l for l in lines if l.get("fnshield") == "violation"]
    if done.returncode != 0:
        return exited_badly(done)
    if violations:
        return "%d violation line(s), first: %s %s" % (
            len(violations), violations[0].get("category"), violations[0].get("target"))
    return start_line_problem(lines, backstop)


def lines_by_check(lines):
    """{check: its violation lines}: the lines between one marker and the next."""
    produced, current = {}, None
    for line in lines:
        if "matrix" in line:
            current = line["name"]
            produced[current] = []
        elif line.get("fnshield") == "violation" and current:
            produced[current].append(line)
    return produced


def judge_origin(done, kind):
    """The origin of the calls (SPEC v1.1): each call of ORIGIN_CALLS[kind] has its line name
    the probe's own code (its file, a line, a function); any other line that has an origin has
    it among its stack, or a full stack (16 frames) with the origin deeper. None when right,
    else the problems."""
    probe, wanted = ORIGIN_CALLS[kind]
    produced = lines_by_check(lines_of(done.stderr))
    problems = []
    for name in wanted:
        got = produced.get(name)
        if not got:
            problems.append("%s: no line" % name)
            continue
        origin = got[0].get("origin") or {}
        if not origin.get("file", "").endswith("/" + probe) and origin.get("file") != probe:
            problems.append("%s: origin %s" % (name, json.dumps(origin)[:200]))
        elif origin.get("package") != ORIGIN_PACKAGE.get(kind):
            problems.append("%s: package %s" % (name, origin.get("package")))
    for name, got in produced.items():
        for line in got:
            o = line.get("origin")
            stack = line.get("stack", [])
            # The stack is the 16 innermost frames; the origin may lie deeper (the JDK's own
            # frames of an HttpURLConnection's connect are more than 16).
            if o and {"file": o["file"], "line": o["line"], "function": o["function"]} not in stack \
                    and len(stack) < 16:
                problems.append("%s: origin outside its stack" % name)
    return "; ".join(problems) or None


def judge_calls(done, backstop, mode):
    """The checks' calls, made in one run: {column: problem or None} (a column per check in
    block mode, "alert" in alert mode) and the names of the calls made."""
    lines = lines_of(done.stderr)
    columns = list(CHECKS) if mode == "block" else ["alert"]
    problem = start_line_problem(lines, backstop)
    if problem or done.returncode != 0:
        return {c: problem or exited_badly(done) for c in columns}, []
    produced = lines_by_check(lines)
    reported = {}
    for text in done.stdout.splitlines():
        try:
            entry = json.loads(text)
        except ValueError:
            continue
        reported[entry["check"]] = entry
    cells, alert_problems = {}, []
    for column, (want, want_lines, category) in CHECKS.items():
        if mode == "alert":
            want = ALERT_OUTCOME.get(want, want)
        variants = [name for name in reported if name.split(":")[0] == column]
        problems = [] if variants else ["%s: not run" % column]
        for name in variants:
            entry, got = reported[name], produced.get(name, [])
            if entry["outcome"] != want:
                problems.append("%s: %s (%s)" % (name, entry["outcome"], entry["detail"]))
            if len(got) != want_lines:
                problems.append("%s: %d lines" % (name, len(got)))
            elif got and got[0].get("category") != category:
                problems.append("%s: line of category %s" % (name, got[0].get("category")))
            elif got and got[0].get("action") != mode:
                problems.append("%s: line says %s" % (name, got[0].get("action")))
        cells[column] = "; ".join(problems) or None
        alert_problems += problems
    if mode == "alert":
        cells = {"alert": "; ".join(alert_problems) or None}
    return cells, sorted(reported)


def judge_allow_all(done, backstop, unprotected):
    """The workload under an allow-all policy: no line, the output of the unprotected run."""
    lines = lines_of(done.stderr)
    others = [l for l in lines if l.get("fnshield") not in (None, "start")]
    if unprotected.returncode != 0:
        return "unprotected workload failed: %s" % unprotected.stderr[-300:]
    if done.returncode != 0:
        return exited_badly(done)
    if others:
        return "%d line(s), first: %s" % (len(others), json.dumps(others[0])[:200])
    if done.stdout != unprotected.stdout:
        return "output differs: %r vs %r" % (done.stdout[:200], unprotected.stdout[:200])
    return start_line_problem(lines, backstop)


# ---- one runtime in its chroot --------------------------------------------------------------
class Runtime:
    def __init__(self, arch, lambda_name, suite, kind, want_version, argv, port):
        self.lambda_name, self.suite, self.kind, self.arch = lambda_name, suite, kind, arch
        self.want_version, self.port = want_version, port
        self.argv = [a.format(arch=arch) for a in argv]
        self.backstops = ARCHES[arch][2]
        self.root = chroot_dir(suite, arch)
        self.cells = {}     # column -> {backstop: problem or None}
        self.version = None
        self.glibc = None
        self.variants = []  # the calls the probe made, by name

    @property
    def label(self):
        return "%s (%s %s)" % (self.lambda_name, self.suite, ARCHES[self.arch][0])

    def run(self, what, policy_file, backstop, protected=True, mode="block"):
        argv = self.argv + [what, str(self.port)]
        env = probe_env(policy_file, backstop, mode) if protected else probe_env()
        if protected:
            argv = ["/opt/fnshield-exec"] + argv
        return run_in(self.root, argv, env, self.arch)

    def note(self, column, backstop, problem):
        self.cells.setdefault(column, {})[backstop] = problem

    def identify(self):
        done = run_in(self.root, [self.argv[0]] + VERSION_ARGS[self.kind], probe_env(), self.arch)
        words = re.findall(r"\d+(?:\.\d+)+", done.stdout + done.stderr)
        self.version = words[0] if words else "?"
        glibc = run_in(self.root, ["/usr/bin/ldd", "--version"], probe_env(), self.arch)
        found = re.search(r"(\d+\.\d+)\s*$", glibc.stdout.splitlines()[0] if glibc.stdout else "")
        self.glibc = found.group(1) if found else "?"
        if self.version.split(".")[:len(self.want_version.split("."))] != self.want_version.split("."):
            return "reports version %s, not %s" % (self.version, self.want_version)
        return None

    def run_all(self):
        problem = self.identify()
        if problem:
            for column in COLUMNS:
                for backstop in self.backstops:
                    self.note(column, backstop, problem)
            return self
        bare = self.run("workload", "", "", protected=False)
        for backstop in self.backstops:
            self.note("start", backstop, judge_start(self.run("start", "production.json", backstop), backstop))
            for mode in ("block", "alert"):
                done = self.run("checks", "checks.json", backstop, mode=mode)
                cells, self.variants = judge_calls(done, backstop, mode)
                for column, problem in cells.items():
                    self.note(column, backstop, problem)
                if mode == "block" and self.kind in ORIGIN_CALLS:
                    self.note("origin", backstop, judge_origin(done, self.kind))
            self.note("allow_all", backstop,
                      judge_allow_all(self.run("workload", "allow-all.json", backstop), backstop, bare))
        return self

    def passed(self):
        return all(p is None for cells in self.cells.values() for p in cells.values())

    def as_json(self):
        return {"lambda": self.lambda_name, "suite": self.suite, "kind": self.kind,
                "version": self.version, "glibc": self.glibc, "arch": ARCHES[self.arch][0],
                "emulated": self.arch != "amd64", "backstop": list(self.backstops),
                "variants": self.variants, "passed": self.passed(), "cells": self.cells}


# ---- the loopback listener ------------------------------------------------------------------
class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from the matrix"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


# ---- the table ------------------------------------------------------------------------------
def cell_text(cells):
    bad = [b for b in BACKSTOP if cells.get(b) is not None]
    if not cells:
        return "-"
    if not bad:
        return "ok"
    return "FAIL(" + ",".join("backstop " + b for b in bad) + ")"


def print_table(runtimes):
    head = ["runtime", "version", "glibc"] + COLUMNS
    rows = [[r.label, r.version or "?", r.glibc or "?"] +
            [cell_text(r.cells.get(c, {})) for c in COLUMNS] for r in runtimes]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    for row in [head] + rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))
    for r in runtimes:
        for column in COLUMNS:
            for backstop, problem in sorted(r.cells.get(column, {}).items()):
                if problem:
                    print("FAIL %s %s backstop %s: %s" % (r.label, column, backstop, problem))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="run only the runtimes whose Lambda name starts with this")
    parser.add_argument("--arch", choices=sorted(ARCHES), action="append",
                        help="only this architecture (Debian's name); every one by default")
    args = parser.parse_args()

    if os.geteuid() != 0:
        sys.exit("matrix: needs root (debootstrap, chroot, mount)")
    arches = args.arch or list(ARCHES)
    for arch in arches:
        if not ARCHES[arch][1].exists():
            sys.exit("matrix: %s is missing: run make layer" % ARCHES[arch][1])
    chosen = [(arch,) + r for arch in arches for r in RUNTIMES
              if not args.only or r[0].startswith(args.only)]
    wanted = sorted({(r[2], r[0]) for r in chosen})
    ensure_chroots(wanted)
    compile_java_probe()
    for suite, arch in wanted:
        install_files(chroot_dir(suite, arch), ARCHES[arch][1])

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    runtimes = [Runtime(*r, port) for r in chosen]
    # The emulated ones first: they take longest, and the native ones fill in around them.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(Runtime.run_all, sorted(runtimes, key=lambda r: r.arch == "amd64")))
    server.shutdown()

    print_table(runtimes)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "date": datetime.date.today().isoformat(),
        "columns": COLUMNS, "backstop": list(BACKSTOP),
        "runtimes": [r.as_json() for r in runtimes]}, indent=1) + "\n")
    failed = [r.label for r in runtimes if not r.passed()]
    if failed:
        sys.exit("matrix: FAILED: " + ", ".join(failed))
    print("matrix: %d runs of %d runtimes (%s) × %d checks: all right (%s)"
          % (len(runtimes), len(RUNTIMES), " ".join(ARCHES[a][0] for a in arches),
             len(COLUMNS), RESULTS))


if __name__ == "__main__":
    main()
