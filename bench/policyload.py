#!/usr/bin/env python3
"""The policy's cost at start-up, in children, and per call (issue #13). `make bench` runs it.

  cold start  python3 -c pass, node -e 0, java Hello, each started plain and through an exec
              wrapper: bench/nullexec (a static program that only execs: the floor of any
              AWS_LAMBDA_EXEC_WRAPPER) and build/fnshield-exec with the production example as
              JSON (FNSHIELD_POLICY) and compiled (FNSHIELD_POLICY_FILE=*.fnsp), and generated
              policies of 10 and 1,000 rules, compiled (1,000 also as JSON, for contrast). All
              variants of a runtime run in every round, in a shuffled order; each figure is the
              median of the per-round differences against plain (or against another variant),
              with the interquartile range of those differences.
  children    a parent (Debian's python3) starts /usr/bin/true again and again and times each
              start; the parent unprotected, and protected (the production example, JSON; 1,000
              rules, compiled): the children of a protected parent map its sealed copy. The floor:
              an unprotected parent whose children preload an empty library.
  load        loading the policy alone as the library does (bench/loadtime.c), per form and size.
  counts      exact user-space instructions (bench/icount) of an allowed open+close of a 35-byte
              absolute path and of a connect, with the 100-rule policy, both forms, and where
              they go (bench/iprofile.py).

Writes bench/results/policyload.json and bench/results/policyload.md (the README's table).
Usage: bench/policyload.py [--quick] [--only counts,load,children,cold]
  --only  run those parts alone and print their figures (to try a change out); no results written
"""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import coldstart  # noqa: E402
import iprofile  # noqa: E402
import policies  # noqa: E402

QUICK = "--quick" in sys.argv
ONLY = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
BUILD = Path(os.environ.get("BUILD") or ROOT / "build")
if not BUILD.is_absolute():
    BUILD = ROOT / BUILD
BIN = BUILD / "bench"
LIB = BUILD / "libfnshield.so"
CLI = BUILD / "fnshield"
WRAPPER = BUILD / "fnshield-exec"
RESULTS = HERE / "results"
PROD = ROOT / "policy" / "examples" / "production.json"
BASE = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
T0 = time.time()


def log(msg):
    print("[%5.0fs] policyload: %s" % (time.time() - T0, msg), flush=True)


def sh(argv, **kw):
    return subprocess.run([str(a) for a in argv], check=True, **kw)


def build():
    BIN.mkdir(parents=True, exist_ok=True)
    sh(["gcc", "-O2", "-static", "-o", BIN / "nullexec", HERE / "nullexec.c"])
    # the floor of any preload library: one with nothing in it (the children benchmark)
    sh(["gcc", "-O2", "-shared", "-fPIC", "-o", BIN / "nullpreload.so", "-x", "c", "/dev/null"])
    sh(["gcc", "-O2", "-g", "-Ipolicy", "-o", BIN / "loadtime", HERE / "loadtime.c", BUILD / "libpolicy.a"],
       cwd=ROOT)
    if not (BIN / "micro").exists():
        sh(["gcc", "-O2", "-g", "-o", BIN / "micro", HERE / "micro.c", "-ldl", "-Wl,-z,now"])
    if not (BIN / "icount").exists():
        sh(["gcc", "-O2", "-g", "-o", BIN / "icount", HERE / "icount.c"])


def write_policies(work):
    """name -> path: the production example and generated policies, JSON and compiled."""
    files = {}
    shutil.copy(PROD, work / "prod.json")
    files["prod_json"] = work / "prod.json"
    for n in (10, 100, 1000):
        p = work / ("r%d.json" % n)
        p.write_text(json.dumps(policies.policy(n, str(work))))
        files["r%d_json" % n] = p
    # what the children benchmark's parent may run: the production example, and /usr/bin/true
    prod = json.loads(PROD.read_text())
    prod["exec"]["allow"] = ["/usr/bin/true"]
    (work / "prodexec.json").write_text(json.dumps(prod))
    files["prodexec_json"] = work / "prodexec.json"
    big = policies.policy(1000, str(work))
    big["exec"]["allow"].append("/usr/bin/true")
    (work / "r1000exec.json").write_text(json.dumps(big))
    files["r1000exec_json"] = work / "r1000exec.json"
    for name in list(files):
        out = work / (name.replace("_json", "") + ".fnsp")
        sh([CLI, "compile", files[name], "-o", out], stdout=subprocess.DEVNULL)
        files[name.replace("_json", "_fnsp")] = out
    return files


def iqr(xs):
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
    return [round(q[0], 3), round(q[2], 3)]


def paired(a, b):
    """median and IQR of a[i] - b[i]"""
    d = [x - y for x, y in zip(a, b)]
    return {"median": round(statistics.median(d), 3), "iqr": iqr(d)}


def spawn_ms(argv, env):
    t = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - t) * 1000


def spawn_cpu_ms(argv, env):
    """(wall ms, CPU ms: user + system of the process and its children). CPU time leaves out
    the scheduling waits of a shared VM, which swing a cold start by milliseconds."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    t = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1),
                                                           (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status, ru = os.wait4(pid, 0)
    wall = (time.perf_counter() - t) * 1000
    os.close(devnull)
    if status != 0:
        raise RuntimeError("%s exited with status %d" % (argv, status))
    return wall, (ru.ru_utime + ru.ru_stime) * 1000


# ---- cold start -------------------------------------------------------------------------------
def cold_variants(files):
    w = [str(WRAPPER)]
    return {
        "plain": ([], {}),
        "nullexec": ([str(BIN / "nullexec")], {}),
        "prod_json": (w, {"FNSHIELD_POLICY": PROD.read_text(), "FNSHIELD_MODE": "block"}),
        "prod_fnsp": (w, {"FNSHIELD_POLICY_FILE": str(files["prod_fnsp"]), "FNSHIELD_MODE": "block"}),
        "r10_fnsp": (w, {"FNSHIELD_POLICY_FILE": str(files["r10_fnsp"]), "FNSHIELD_MODE": "alert"}),
        "r1000_fnsp": (w, {"FNSHIELD_POLICY_FILE": str(files["r1000_fnsp"]), "FNSHIELD_MODE": "alert"}),
        "r1000_json": (w, {"FNSHIELD_POLICY_FILE": str(files["r1000_json"]), "FNSHIELD_MODE": "alert"}),
    }


def run_cold(work, files, rounds):
    """Figures in CPU time (decisive), wall time beside them (informative)."""
    out = {}
    variants = cold_variants(files)
    for rt, cmd in coldstart.cases(str(work)):
        n = rounds[rt]
        for v, (pre, extra) in variants.items():  # warm the page cache, check each runs
            spawn_ms(pre + cmd, dict(BASE, **extra))
        ms = {v: [] for v in variants}
        wall = {v: [] for v in variants}
        for _ in range(n):
            order = list(variants)
            random.shuffle(order)
            for v in order:
                pre, extra = variants[v]
                w, c = spawn_cpu_ms(pre + cmd, dict(BASE, **extra))
                ms[v].append(c)
                wall[v].append(w)
        row = {"runs": n, "plain_ms": round(statistics.median(ms["plain"]), 2),
               "plain_wall_ms": round(statistics.median(wall["plain"]), 2), "variants": {}}
        for v in variants:
            if v == "plain":
                continue
            row["variants"][v] = {"ms": round(statistics.median(ms[v]), 2),
                                  "added_ms": paired(ms[v], ms["plain"]),
                                  "over_nullexec_ms": paired(ms[v], ms["nullexec"]),
                                  "wall_added_ms": paired(wall[v], wall["plain"]),
                                  "ratio": round(statistics.median(ms[v]) / statistics.median(ms["plain"]), 3)}
        row["flat_1000_minus_10_ms"] = paired(ms["r1000_fnsp"], ms["r10_fnsp"])
        row["compiled_minus_json_prod_ms"] = paired(ms["prod_fnsp"], ms["prod_json"])
        out[rt] = row
        log("cold %-7s plain %.1f ms; prod compiled +%.2f ms (+%.2f over an exec wrapper); 1000-10 rules %+.3f ms"
            % (rt, row["plain_ms"], row["variants"]["prod_fnsp"]["added_ms"]["median"],
               row["variants"]["prod_fnsp"]["over_nullexec_ms"]["median"], row["flat_1000_minus_10_ms"]["median"]))
    return out


# ---- children ---------------------------------------------------------------------------------
CHILD_LOOP = r"""
import os, sys, time
n = int(sys.argv[1])
out = []
for _ in range(n):
    t = time.perf_counter()
    pid = os.posix_spawn("/usr/bin/true", ["/usr/bin/true"], os.environ)
    os.waitpid(pid, 0)
    out.append((time.perf_counter() - t) * 1e6)
out.sort()
print(out[len(out) // 2])
"""


def run_children(work, files, rounds, per):
    script = work / "children.py"
    script.write_text(CHILD_LOOP)
    # the production example with /usr/bin/true allowed (it allows no program), and 1,000 rules
    variants = {
        "unprotected": {},
        "null_preload": {"LD_PRELOAD": str(BIN / "nullpreload.so")},
        "prod_json": {"LD_PRELOAD": str(LIB), "FNSHIELD_POLICY": files["prodexec_json"].read_text(),
                      "FNSHIELD_MODE": "block"},
        "r1000_fnsp": {"LD_PRELOAD": str(LIB), "FNSHIELD_POLICY_FILE": str(files["r1000exec_fnsp"]),
                       "FNSHIELD_MODE": "block"},
    }
    us = {v: [] for v in variants}
    for _ in range(rounds):
        order = list(variants)
        random.shuffle(order)
        for v in order:
            r = subprocess.run(["/usr/bin/python3", str(script), str(per)], env=dict(BASE, **variants[v]),
                               capture_output=True, text=True, check=True)
            us[v].append(float(r.stdout.split()[-1]))
    out = {"children_per_round": per, "rounds": rounds,
           "unprotected_child_us": round(statistics.median(us["unprotected"]), 1)}
    for v in ("null_preload", "prod_json", "r1000_fnsp"):
        out[v] = {"child_us": round(statistics.median(us[v]), 1),
                  "added_ms": paired([x / 1000 for x in us[v]], [x / 1000 for x in us["unprotected"]])}
    log("children: unprotected %.0f us; protected +%.3f ms (production), +%.3f ms (1,000 rules, compiled)"
        % (out["unprotected_child_us"], out["prod_json"]["added_ms"]["median"], out["r1000_fnsp"]["added_ms"]["median"]))
    return out


# ---- load alone -------------------------------------------------------------------------------
def run_load(files, n):
    names = ["prod_json", "prod_fnsp", "r10_json", "r10_fnsp", "r100_json", "r100_fnsp", "r1000_json", "r1000_fnsp"]
    r = sh([BIN / "loadtime", n] + [files[k] for k in names], capture_output=True, text=True, cwd=ROOT)
    out = {}
    for k, line in zip(names, r.stdout.splitlines()):
        f = line.split()
        out[k] = {"bytes": int(f[1]), "min_us": float(f[2]), "median_us": float(f[3])}
    # The load a cold start pays: the first in a fresh process, whose every page of the file
    # and of the code is touched for the first time (the repeats above measure the work alone).
    for k in names:
        first = [float(sh([BIN / "loadtime", 1, files[k]], capture_output=True, text=True,
                          cwd=ROOT).stdout.split()[2]) for _ in range(max(n // 4, 10))]
        out[k]["first_median_us"] = round(statistics.median(first), 1)
        out[k]["first_iqr_us"] = iqr(first)
    log("load: " + "; ".join("%s %.0f us (first %.0f)" % (k, v["median_us"], v["first_median_us"])
                             for k, v in out.items()))
    return out


# ---- instruction counts -----------------------------------------------------------------------
def run_counts(work, files):
    cases = ["open_35", "connect_udp"]
    out, profiles = {}, {}
    for name in ("r100_json", "r100_fnsp", "r0"):
        env = ["env", "LD_PRELOAD=%s" % LIB, "FNSHIELD_MODE=block", "BENCH_DIR=%s" % work]
        if name != "r0":
            env.append("FNSHIELD_POLICY_FILE=%s" % files[name])
        else:
            env.append("FNSHIELD_POLICY={\"version\":1}")
        lab, cnt, prof = work / "c.labels", work / "c.out", work / "c.prof"
        with open(lab, "w") as lf:
            sh([BIN / "icount", "-o", cnt] + (["-p", prof] if name == "r100_fnsp" else []) + ["--"] + env +
               [BIN / "micro", "count", ",".join(cases), 2], stdout=lf, stderr=subprocess.DEVNULL,
               env={"PATH": os.environ["PATH"]})
        labels = [x.split() for x in lab.read_text().splitlines()]
        counts = [int(x) for x in cnt.read_text().split()]
        per = {}
        for i, ((case, side, k), c) in enumerate(zip(labels, counts)):
            per.setdefault(case, {})[side] = c / int(k)
            if name == "r100_fnsp" and side == "shim":
                profiles[case] = iprofile.flat(str(prof), i, int(k), top=10, lines=10)
        out[name] = {c: {"shim": v["shim"], "libc": v["libc"], "added": v["shim"] - v["libc"]} for c, v in per.items()}
    log("counts (100 rules): open+close 35 bytes +%d, connect +%d instructions"
        % (out["r100_fnsp"]["open_35"]["added"], out["r100_fnsp"]["connect_udp"]["added"]))
    return out, profiles


# ---- report -----------------------------------------------------------------------------------
def verdict(iq, limit):
    if iq[1] <= limit:
        return "met"
    if iq[0] > limit:
        return "missed"
    return "unresolved"


def markdown(res):
    L = []
    L.append("Cold start, CPU ms (user + system; medians of paired per-round differences [IQR]):")
    L.append("")
    L.append("| runtime | plain | exec wrapper floor (nullexec) | production, JSON | production, compiled | "
             "compiled, over the floor | 10 rules, compiled | 1,000 rules, compiled | 1,000 − 10 rules | "
             "1,000 rules, JSON |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    fmt = lambda d: "%+.2f [%+.2f, %+.2f]" % (d["median"], d["iqr"][0], d["iqr"][1])
    for rt, row in res["cold"].items():
        v = row["variants"]
        L.append("| %s | %.1f ms | %s | %s | %s | %s | %s | %s | **%s** | %s |" % (
            rt, row["plain_ms"], fmt(v["nullexec"]["added_ms"]), fmt(v["prod_json"]["added_ms"]),
            fmt(v["prod_fnsp"]["added_ms"]), fmt(v["prod_fnsp"]["over_nullexec_ms"]), fmt(v["r10_fnsp"]["added_ms"]),
            fmt(v["r1000_fnsp"]["added_ms"]), fmt(row["flat_1000_minus_10_ms"]), fmt(v["r1000_json"]["added_ms"])))
    L.append("")
    c = res["children"]
    L.append("| a child (`/usr/bin/true`) started by | µs per child | added ms [IQR] |")
    L.append("| --- | ---: | ---: |")
    L.append("| an unprotected parent | %.0f | – |" % c["unprotected_child_us"])
    L.append("| an unprotected parent, with an empty preload library (the floor) | %.0f | %s |" % (c["null_preload"]["child_us"], fmt(c["null_preload"]["added_ms"])))
    L.append("| a protected parent, production example | %.0f | %s |" % (c["prod_json"]["child_us"], fmt(c["prod_json"]["added_ms"])))
    L.append("| a protected parent, 1,000 rules compiled | %.0f | %s |" % (c["r1000_fnsp"]["child_us"], fmt(c["r1000_fnsp"]["added_ms"])))
    L.append("")
    L.append("| policy | bytes | load, µs (median of %d in one process) | first load in a fresh process, µs (median of %d) [IQR] |"
             % (res["load_runs"], max(res["load_runs"] // 4, 10)))
    L.append("| --- | ---: | ---: | ---: |")
    for k, v in res["load"].items():
        L.append("| %s | %d | %.0f | %.0f [%.0f, %.0f] |" % (k.replace("_json", ", JSON").replace("_fnsp", ", compiled"), v["bytes"],
                                                           v["median_us"], v["first_median_us"], *v["first_iqr_us"]))
    L.append("")
    k = res["counts"]
    L.append("| call (100-rule policy) | instructions added, JSON | compiled | 0 rules |")
    L.append("| --- | ---: | ---: | ---: |")
    for case, label in (("open_35", "open+close, 35-byte absolute path, allowed"), ("connect_udp", "connect (UDP, 127.0.0.1), allowed")):
        L.append("| %s | %d | %d | %d |" % (label, k["r100_json"][case]["added"], k["r100_fnsp"][case]["added"], k["r0"][case]["added"]))
    return "\n".join(L) + "\n"


def main():
    build()
    rounds = {"python3": 8, "node": 6, "java": 4} if QUICK else {"python3": 200, "node": 100, "java": 60}
    work = Path(tempfile.mkdtemp(prefix="fnb", dir="/tmp"))
    try:
        files = write_policies(work)
        res = {"machine": os.uname().machine}
        if ONLY:
            parts = {"counts": lambda: run_counts(work, files),
                     "load": lambda: run_load(files, 20 if QUICK else 200),
                     "children": lambda: run_children(work, files, 4 if QUICK else 20, 20 if QUICK else 100),
                     "cold": lambda: run_cold(work, files, rounds)}
            for part in ONLY:
                print(json.dumps({part: parts[part]()}, indent=1))
            return
        res["counts"], res["profiles"] = run_counts(work, files)
        res["load_runs"] = 20 if QUICK else 200
        res["load"] = run_load(files, res["load_runs"])
        res["children"] = run_children(work, files, 4 if QUICK else 20, 20 if QUICK else 100)
        res["cold"] = run_cold(work, files, rounds)
        targets = {}
        for rt, row in res["cold"].items():
            targets["cold %s: production compiled <= 0.5 ms" % rt] = verdict(row["variants"]["prod_fnsp"]["added_ms"]["iqr"], 0.5)
            targets["cold %s: 1,000 - 10 rules <= 0.1 ms" % rt] = verdict(row["flat_1000_minus_10_ms"]["iqr"], 0.1)
        ld = res["load"]
        targets["load, first in a fresh process: 1,000 - 10 rules <= 0.1 ms"] = (
            "met" if ld["r1000_fnsp"]["first_median_us"] - ld["r10_fnsp"]["first_median_us"] <= 100 else "missed")
        for v in ("prod_json", "r1000_fnsp"):
            targets["child of a protected parent (%s) <= 0.2 ms" % v] = verdict(res["children"][v]["added_ms"]["iqr"], 0.2)
        targets["open+close 35 bytes <= 150 instructions"] = "met" if res["counts"]["r100_fnsp"]["open_35"]["added"] <= 150 else "missed"
        targets["connect <= 250 instructions"] = "met" if res["counts"]["r100_fnsp"]["connect_udp"]["added"] <= 250 else "missed"
        res["targets"] = targets
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "policyload.json").write_text(json.dumps(res, indent=1) + "\n")
        (RESULTS / "policyload.md").write_text(markdown(res))
        for t, v in targets.items():
            log("target %-55s %s" % (t, v))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
