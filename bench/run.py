#!/usr/bin/env python3
"""fnshield's benchmark suite (issue #5): `make bench` runs this.

  1. matcher   the policy library alone (normalise + DFA), 0/10/100/1000 rules, ns and
               instructions per decision, compile time                    -> bench/matcher.c
  2. micro     each interposed call, fnshield's hook vs libc's function in the same process,
               call by call, >= 1M pairs for every cheap call          -> bench/micro.c
  3. counts    exact user-space instructions and system calls per call (ptrace single-step),
               and a flat profile of the 100-rule policy's calls      -> bench/icount.c
               the seccomp backstop's cost per system call (micro tax)
  4. macro     cold start and workloads with fnshield and the alternatives -> bench/macro.py
  5. report    results/*.json, tables, charts, README table            -> bench/report.py

Usage: bench/run.py [--quick]   (--quick: everything ~30x shorter, for trying the suite out)
Environment: BUILD (default build), BENCH_KEEP=1 keeps the scratch directory.
"""
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import macro  # noqa: E402
import policies  # noqa: E402
import iprofile  # noqa: E402
import report  # noqa: E402

QUICK = "--quick" in sys.argv
BUILD = Path(os.environ.get("BUILD") or ROOT / "build")
if not BUILD.is_absolute():
    BUILD = ROOT / BUILD
BIN = BUILD / "bench"
RESULTS = HERE / "results"
LIB = BUILD / "libfnshield.so"
CLI = BUILD / "fnshield"
RULES = (0, 10, 100, 1000)
T0 = time.time()
M = 1_000_000


def log(msg):
    print("[%5.0fs] %s" % (time.time() - T0, msg), flush=True)


def sh(argv, **kw):
    return subprocess.run([str(a) for a in argv], check=True, **kw)


def build():
    BIN.mkdir(parents=True, exist_ok=True)
    cflags = ["-O2", "-g", "-Wall", "-Wextra"]
    sh(["gcc"] + cflags + ["-o", BIN / "micro", HERE / "micro.c", "-ldl", "-Wl,-z,now"])
    sh(["gcc"] + cflags + ["-o", BIN / "icount", HERE / "icount.c"])
    sh(["gcc"] + cflags + ["-o", BIN / "seccomp-launch", HERE / "seccomp_launch.c", "-lseccomp"])
    sh(["gcc"] + cflags + ["-D_GNU_SOURCE", "-I", ROOT / "policy", "-o", BIN / "matcher", HERE / "matcher.c",
                           BUILD / "libpolicy.a"])


def machine():
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, shell=True).stdout.strip()
        except OSError:
            return ""
    return {
        "cpu": out("lscpu | sed -n 's/^Model name: *//p' | head -1"),
        "cpus": os.cpu_count(),
        "hypervisor": out("lscpu | sed -n 's/^Hypervisor vendor: *//p'"),
        "kernel": platform.release(),
        "glibc": platform.libc_ver()[1],
        "os": out(". /etc/os-release && echo $PRETTY_NAME"),
        "python": out("/usr/bin/python3 --version"),
        "node": out("/usr/bin/node --version"),
        "java": out("java -version 2>&1 | head -1"),
        "commit": out("git -C %s rev-parse --short HEAD" % ROOT) + (
            "+dirty" if out("git -C %s status --porcelain -- shim policy cli" % ROOT) else ""),
        "load_start": os.getloadavg(),
        "perf_instructions": "supported" if "not supported" not in out(
            "perf stat -e instructions:u true 2>&1") and shutil.which("perf") else "not supported",
    }


def write_policies(work):
    paths = {}
    for n in RULES:
        p = policies.policy(n, str(work))
        f = work / ("policy-%d.json" % n)
        f.write_text(json.dumps(p, indent=1))
        sh([CLI, "check", f], stdout=subprocess.DEVNULL)
        paths[n] = str(f)
    prod = work / "production.json"
    shutil.copy(ROOT / "policy" / "examples" / "production.json", prod)
    paths["production"] = str(prod)
    return paths


def shim_env(policy_file, **extra):
    e = dict(os.environ, LD_PRELOAD=str(LIB), FNSHIELD_POLICY_FILE=policy_file, FNSHIELD_MODE="block")
    e.pop("FNSHIELD_POLICY", None)
    e.update(extra)
    return e


# ---- 1. matcher -------------------------------------------------------------------------------
def run_matcher(work, pol):
    files = [pol[n] for n in RULES]
    env = dict(os.environ, BENCH_DIR=str(work))
    p = sh([BIN / "matcher", "time", 20_000 if QUICK else M] + files, env=env, capture_output=True, text=True)
    rows = [json.loads(l) for l in p.stdout.splitlines()]
    for r in rows:
        r["rules"] = next(n for n in RULES if pol[n] == r["policy"])
    # exact instructions per decision
    lab = work / "matcher-count.labels"
    cnt = work / "matcher-count.out"
    with open(lab, "w") as lf:
        sh([BIN / "icount", "-o", cnt, "--", BIN / "matcher", "count", 2] + files, env=env, stdout=lf)
    labels = [l.split() for l in lab.read_text().splitlines()]
    counts = [int(x) for x in cnt.read_text().split()]
    for (pf, probe, _, calls), c in zip(labels, counts):
        for r in rows:
            if r["policy"] == pf and r["probe"] == probe:
                r["instructions"] = round(c / int(calls), 1)
    return rows


# ---- 2. micro -----------------------------------------------------------------------------------
CHEAP = ["open_short", "open_long", "open_missing", "open_rel", "open_write", "openat_abs", "close_bad", "read_null",
         "listen", "connect_udp"]


def micro_plan():
    """(rules, cases, pairs, batch). >= 1M pairs wherever a call costs under ~5 us; the calls
    that cost tens of microseconds, or whose added cost is microseconds (so 1M pairs would buy
    precision nobody needs at minutes each), run fewer: the count is in the results."""
    plan = [(100, CHEAP, M, 10000),
            (100, ["fopen", "openat_dirfd", "exec_noexec", "mkstemp_einval"], 200_000, 5000),
            (100, ["getaddrinfo"], 100_000, 5000),
            (100, ["k_openat2"], 200_000, 10000),
            (100, ["connect_tcp"], 50_000, 1000),
            (0, ["open_short", "open_long", "open_missing", "open_rel", "open_write", "listen", "close_bad",
                 "read_null", "connect_udp", "mkstemp_einval"], M, 10000),
            (0, ["fopen", "openat_dirfd", "exec_noexec"], 100_000, 5000)]
    for n in (10, 1000):  # flatness: the matching calls, and the one restriction-free category
        plan.append((n, ["open_short", "open_long", "listen"], M, 10000))
        plan.append((n, ["mkstemp_einval"], 50_000, 5000))
    # A/A: the same binary without the library: both pointers are libc's -> the noise floor
    plan.append(("none", ["open_short", "open_long", "open_missing", "close_bad", "listen", "read_null",
                          "connect_udp", "mkstemp_einval"], 100_000, 10000))
    return plan


def run_micro(work, pol):
    out = []
    violations = 0
    for rules, cases, pairs, batch in micro_plan():
        if QUICK:
            pairs = max(batch, pairs // 50)
        env = dict(os.environ, BENCH_DIR=str(work)) if rules == "none" else \
            dict(shim_env(pol[rules]), BENCH_DIR=str(work))
        p = subprocess.run([str(BIN / "micro"), "time", ",".join(cases), str(pairs), str(batch)],
                           env=env, capture_output=True, text=True)
        if p.returncode:
            raise SystemExit("micro failed (%s rules): %s" % (rules, p.stderr[-2000:]))
        violations += p.stderr.count('"fnshield":"violation"')
        for l in p.stdout.splitlines():
            d = json.loads(l)
            d["rules"] = rules
            out.append(d)
        log("  micro %-4s rules: %s" % (rules, ", ".join(cases)))
    return out, violations


def run_tax(work, pol, rounds):
    """The seccomp backstop's cost per system call: raw system calls before and after the
    library is dlopen()ed (micro.c tax()), with the backstop on (default) and off."""
    out = {"on": [], "off": []}
    calls = 40_000 if QUICK else 200_000
    for r in range(rounds):
        for k in ("on", "off"):
            # GLIBC_TUNABLES: the library's initial-exec TLS (3 KB: the origin a vfork child
            # reads in place, origin.c) is more than glibc reserves for a dlopen()ed library;
            # preloaded, as it always is outside this measurement, it is allocated at start.
            env = dict(os.environ, BENCH_DIR=str(work), FNSHIELD_POLICY_FILE=pol[100], FNSHIELD_MODE="block",
                       GLIBC_TUNABLES="glibc.rtld.optional_static_tls=16384")
            env.pop("FNSHIELD_POLICY", None)
            env.pop("LD_PRELOAD", None)
            if k == "off":
                env["FNSHIELD_SECCOMP"] = "off"
            p = sh([BIN / "micro", "tax", LIB, calls], env=env, capture_output=True, text=True)
            out[k].append(json.loads(p.stdout.strip().splitlines()[-1]))
    return out


# ---- 3. counts and profile ----------------------------------------------------------------------------
def run_counts(work, pol):
    """Instructions per call (both sides) and system calls per call, per policy; with the
    100-rule policy also an address histogram for the profile."""
    out = {}
    calls = 2
    all_cases = [l.split("\t")[0] for l in subprocess.run([str(BIN / "micro"), "list"], capture_output=True,
                                                          text=True).stdout.splitlines()]
    sets = {100: [c for c in all_cases if c != "k_openat2"],
            0: ["open_short", "open_long", "open_missing", "open_rel", "open_write", "fopen", "openat_dirfd", "listen",
                "close_bad", "read_null", "connect_udp", "mkstemp_einval", "exec_noexec"],
            10: ["open_short", "open_long", "open_write", "listen", "connect_udp", "mkstemp_einval"],
            1000: ["open_short", "open_long", "open_write", "listen", "connect_udp", "mkstemp_einval"]}
    profiles = {}
    for n in (100, 0, 10, 1000):
        env = dict(shim_env(pol[n]), BENCH_DIR=str(work))
        envargs = ["env"] + ["%s=%s" % (k, env[k]) for k in ("LD_PRELOAD", "FNSHIELD_POLICY_FILE",
                                                              "FNSHIELD_MODE", "BENCH_DIR")]
        lab, cnt, sysc = work / "c.labels", work / "c.out", work / "c.sys"
        prof = work / ("profile-%d.txt" % n)
        with open(lab, "w") as lf:
            sh([BIN / "icount", "-o", cnt] + (["-p", prof] if n == 100 else []) + ["--"] + envargs +
               [BIN / "micro", "count", ",".join(sets[n]), calls], stdout=lf, stderr=subprocess.DEVNULL,
               env={"PATH": os.environ["PATH"]})
        labels = [l.split() for l in lab.read_text().splitlines()]
        counts = [int(x) for x in cnt.read_text().split()]
        with open(lab, "w") as lf:
            sh([BIN / "icount", "-s", "-o", sysc, "--"] + envargs + [BIN / "micro", "count", ",".join(sets[n]), 5],
               stdout=lf, stderr=subprocess.DEVNULL, env={"PATH": os.environ["PATH"]})
        slabels = [l.split() for l in lab.read_text().splitlines()]
        sys_lines = sysc.read_text().splitlines()
        per = {}
        for i, ((case, side, k), c) in enumerate(zip(labels, counts)):
            per.setdefault(case, {})[side + "_instructions"] = round(c / int(k), 1)
            if n == 100 and side == "shim":
                profiles[case] = iprofile.flat(str(prof), i, int(k), top=8, lines=6)
        for (case, side, k), line in zip(slabels, sys_lines):
            f = line.split()
            per.setdefault(case, {})[side + "_syscalls"] = {
                report.syscall_name(int(a)): round(int(b) / int(k), 2) for a, b in (x.split(":") for x in f[1:])}
        out[n] = per
        log("  counts %4d rules: %d cases" % (n, len(per)))
    return out, profiles


def crosscheck(work, pol):
    """bench/icount against valgrind's callgrind where both can run (calls without openat2,
    which valgrind 3.19 does not know): whole-run totals with 1 and 401 calls per side, the
    difference per call, against icount's shim + libc counts. Skipped without valgrind."""
    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        return {"skipped": "valgrind not installed"}
    p = json.load(open(pol[100]))
    p["exec"] = {"default": "allow"}  # valgrind execs its tool from inside the traced tree
    pf = work / "policy-100-execallow.json"
    pf.write_text(json.dumps(p))
    script = work / "vg.sh"
    script.write_text("#!/bin/sh\nexport LD_PRELOAD=%s FNSHIELD_POLICY_FILE=%s BENCH_DIR=%s MICRO_NO_MARKER=1\n"
                      "exec %s count \"$1\" \"$2\"\n" % (LIB, pf, work, BIN / "micro"))
    script.chmod(0o755)
    out = {}
    for case in ("close_bad", "connect_udp"):
        tot = []
        for n in (1, 401):
            vdir = Path(tempfile.mkdtemp(dir=work))
            subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes",
                            "--callgrind-out-file=%s/cg.%%p" % vdir, str(script), case, str(n)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={"PATH": os.environ["PATH"]})
            best = max(vdir.iterdir(), key=lambda f: f.stat().st_size)
            text = subprocess.run(["callgrind_annotate", str(best)], capture_output=True, text=True).stdout
            tot.append(next(int(l.split()[0].replace(",", "")) for l in text.splitlines() if "PROGRAM TOTALS" in l))
        lab, cnt = work / "x.labels", work / "x.out"
        with open(lab, "w") as lf:
            sh([BIN / "icount", "-o", cnt, "--", "env", "LD_PRELOAD=%s" % LIB, "FNSHIELD_POLICY_FILE=%s" % pf,
                "BENCH_DIR=%s" % work, BIN / "micro", "count", case, 20], stdout=lf, stderr=subprocess.DEVNULL,
               env={"PATH": os.environ["PATH"]})
        ic = sum(int(c) / int(l.split()[2]) for l, c in zip(lab.read_text().splitlines(), cnt.read_text().split()))
        out[case] = {"callgrind_per_call": round((tot[1] - tot[0]) / 400, 1), "icount_per_call": round(ic, 1)}
    return out


def main():
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not LIB.exists() or not CLI.exists():
        raise SystemExit("bench: %s missing: run `make` first (make bench does)" % LIB)
    log("building the benchmark programs into %s" % BIN)
    build()
    work = Path(tempfile.mkdtemp(prefix="fnb", dir="/tmp"))
    try:
        mach = machine()
        log("machine: %s, %s CPUs, kernel %s, glibc %s, load %.2f" % (
            mach["cpu"], mach["cpus"], mach["kernel"], mach["glibc"], mach["load_start"][0]))
        pol = write_policies(work)

        log("1/4 matcher: normalise + DFA, 0/10/100/1000 rules")
        matcher = run_matcher(work, pol)

        log("2/4 micro: hook vs libc, call by call, in one process")
        micro, violations = run_micro(work, pol)
        tax = run_tax(work, pol, 1 if QUICK else 2)
        log("  counts: exact instructions and system calls (ptrace), profile")
        counts, profiles = run_counts(work, pol)
        xcheck = crosscheck(work, pol)
        log("  icount vs callgrind (hook + libc, instructions per call): %s" % xcheck)

        log("3/4 macro: cold start, workloads, alternatives")
        ctx = {"work": str(work), "library": str(LIB), "cli": str(CLI), "policy100": pol[100],
               "policy1000": pol[1000], "production_file": pol["production"],
               "seccomp_launch": str(BIN / "seccomp-launch")}
        macro_res = macro.run(ctx, 6 if QUICK else 25, 4 if QUICK else 30, log=log)
        macro_res["breakdown"] = macro.breakdown(ctx, 5 if QUICK else 15, log=log)

        log("4/4 report")
        mach["load_end"] = os.getloadavg()
        mach["duration_s"] = round(time.time() - T0, 1)
        report.write_all(RESULTS, {
            "machine": mach, "quick": QUICK, "policies": {str(n): policies.count(json.load(open(pol[n])))
                                                          for n in RULES},
            "matcher": matcher, "micro": micro, "micro_violations": violations, "tax": tax,
            "counts": counts, "profiles": profiles, "icount_vs_callgrind": xcheck, "macro": macro_res,
        }, log=log)
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            log("kept %s" % work)
    log("done in %.0f s: results in %s" % (time.time() - T0, RESULTS.relative_to(ROOT)))


if __name__ == "__main__":
    main()
