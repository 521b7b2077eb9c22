#!/usr/bin/env python3
"""The supervisor's cost (issue #14): `make bench` runs it.

  cold start   Debian's python3, node and java started through `fnshield run` with a policy that
               restricts every category, FNSHIELD_SUPERVISOR off and on, in shuffled order each
               round: wall and CPU time (the process and its waited-for children; the supervisor
               itself is nobody's child, so its CPU is not in it), medians of paired differences.
  sent         how many calls the kernel sent the supervisor during each start-up and during
               bench/macro.py's workloads (python importing ~100 modules, node requiring a
               250-module tree, a JVM loading a few hundred classes and reading that tree)
               (its FNSHIELD_SUPERVISOR_STATS): the runtimes' own calls must not reach it.
  calls        an allowed openat+close, ns per pair: in the protected runtime's own process
               (the dynamic bench/openloop, its opens from libc: never sent, but every system
               call of the tree now passes one more filter), and in a static helper it runs (every
               open judged by the supervisor and opened there); supervisor off and on.
  child        a protected python3 that runs one dynamic child (python3 -c pass), whole: the
               child's opens come from a C library the root's filter does not know, so they are
               sent, and go on at once (judged in the child by its own copy of the library).

Writes bench/results/supervisor.{json,md}. Usage: bench/supervisor.py [--quick]
"""
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import macro  # noqa: E402  (its workloads)
# the median and IQR of paired differences, and the same build paths and --quick
from policyload import BIN, CLI, QUICK, paired  # noqa: E402
RESULTS = HERE / "results"
BASE = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
T0 = time.time()


def log(msg):
    print("[%5.0fs] supervisor: %s" % (time.time() - T0, msg), flush=True)


def build():
    BIN.mkdir(parents=True, exist_ok=True)
    src = HERE / "openloop.c"
    subprocess.run(["gcc", "-O2", "-static", "-o", BIN / "openloop-static", src], check=True)
    subprocess.run(["gcc", "-O2", "-o", BIN / "openloop", src], check=True)


def policy(work):
    p = {"version": 1, "mode": "block",
         "exec": {"default": "block", "allow": ["/usr/bin/*", "/usr/lib/jvm/**", str(BIN) + "/*"]},
         "connect": {"default": "block", "allow": ["localhost"]},
         "listen": "block",
         "read": {"default": "allow", "block": ["/proc/**/environ"]},
         "write": {"default": "block", "allow": ["/tmp/**", "/dev/null"]}}
    f = work / "policy.json"
    f.write_text(json.dumps(p))
    return f


def run(argv, pfile, supervisor, stats=None):
    env = dict(BASE)
    if supervisor:
        env["FNSHIELD_SUPERVISOR"] = "on"
    if stats:
        env["FNSHIELD_SUPERVISOR_STATS"] = str(stats)
    cmd = [str(CLI), "run", "--policy", str(pfile), "--mode", "block", "--"] + argv
    t = time.perf_counter()
    pid = os.posix_spawn(cmd[0], cmd, env, file_actions=[(os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
    _, status, ru = os.wait4(pid, 0)
    wall = (time.perf_counter() - t) * 1000
    if status:
        raise RuntimeError("%s: status %d" % (argv, status))
    return wall, (ru.ru_utime + ru.ru_stime) * 1000


def output(argv, pfile, supervisor):
    env = dict(BASE, **({"FNSHIELD_SUPERVISOR": "on"} if supervisor else {}))
    r = subprocess.run([str(CLI), "run", "--policy", str(pfile), "--mode", "block", "--"] + argv,
                       env=env, capture_output=True, text=True, check=True)
    return float(r.stdout.split()[-1])


def sent(argv, pfile, work):
    stats = work / "stats"
    if stats.exists():
        stats.unlink()
    run(argv, pfile, True, stats)
    for _ in range(100):
        if stats.exists() and stats.read_text().endswith("\n"):
            return int(stats.read_text().split()[1])
        time.sleep(0.05)
    return None


RUNTIMES = {"python3": ["/usr/bin/python3", "-c", "import json, ssl, sqlite3"],
            "node": ["/usr/bin/node", "-e", "require('http'); require('crypto')"],
            "java": ["java", "-version"]}


def main():
    build()
    work = Path(tempfile.mkdtemp(prefix="fnsv", dir="/tmp"))
    pfile = policy(work)
    target = work / "file.txt"
    target.write_text("x\n")
    res = {"machine": os.uname().machine, "cold": {}, "sent": {}, "calls": {}}
    rounds = {"python3": 6, "node": 4, "java": 3} if QUICK else {"python3": 100, "node": 60, "java": 30}
    for rt, argv in RUNTIMES.items():
        if not os.path.exists(argv[0]) and argv[0] != "java":
            continue
        res["sent"][rt] = sent(argv, pfile, work)
        w = {False: [], True: []}
        c = {False: [], True: []}
        for _ in range(rounds[rt]):
            for sv in random.sample([False, True], 2):
                a, b = run(argv, pfile, sv)
                w[sv].append(a)
                c[sv].append(b)
        res["cold"][rt] = {"off_wall_ms": round(statistics.median(w[False]), 2),
                           "wall_added_ms": paired(w[True], w[False]),
                           "cpu_added_ms": paired(c[True], c[False])}
        log("%s: sent %s; wall +%.2f ms, cpu +%.2f ms" % (rt, res["sent"][rt],
            res["cold"][rt]["wall_added_ms"]["median"], res["cold"][rt]["cpu_added_ms"]["median"]))
    loads, _ = macro.make_workloads(work)
    for name in ("py_import", "node_require", "java_work"):
        res["sent"][name] = sent(loads[name], pfile, work)
        log("%s: sent %s" % (name, res["sent"][name]))
    n = "2000" if QUICK else "20000"
    helper = ["/usr/bin/python3", "-c", "import subprocess, sys; subprocess.run(sys.argv[1:])"]
    cases = {"runtime_process": [str(BIN / "openloop"), n, str(target)],
             "static_helper": helper + [str(BIN / "openloop-static"), n, str(target)]}
    reps = 3 if QUICK else 15
    for name, argv in cases.items():
        off = [output(argv, pfile, False) for _ in range(reps)]
        on = [output(argv, pfile, True) for _ in range(reps)]
        res["calls"][name] = {"off_ns": statistics.median(off), "on_ns": statistics.median(on),
                              "ratio": round(statistics.median(on) / statistics.median(off), 2)}
        log("%s: openat+close %.0f ns off, %.0f ns on" % (name, res["calls"][name]["off_ns"],
                                                        res["calls"][name]["on_ns"]))
    child = helper + ["/usr/bin/python3", "-c", "pass"]
    w = {False: [], True: []}
    for _ in range(8 if QUICK else 40):
        for sv in random.sample([False, True], 2):
            w[sv].append(run(child, pfile, sv)[0])
    res["child"] = {"off_wall_ms": round(statistics.median(w[False]), 2),
                    "wall_added_ms": paired(w[True], w[False]),
                    "sent": sent(child, pfile, work)}
    log("dynamic child: +%.2f ms wall, %s calls sent" % (res["child"]["wall_added_ms"]["median"],
                                                          res["child"]["sent"]))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "supervisor.json").write_text(json.dumps(res, indent=1) + "\n")
    (RESULTS / "supervisor.md").write_text(markdown(res))
    print(markdown(res))


def markdown(res):
    f = lambda d: "%+.2f [%+.2f, %+.2f]" % (d["median"], d["iqr"][0], d["iqr"][1])
    L = ["| start-up (fnshield run, every category restricted) | off, wall ms | supervisor on: wall added | CPU added | calls sent to it |",
         "| --- | ---: | ---: | ---: | ---: |"]
    for rt, r in res["cold"].items():
        L.append("| %s | %.1f | %s | %s | %s |" % (rt, r["off_wall_ms"], f(r["wall_added_ms"]),
                                                 f(r["cpu_added_ms"]), res["sent"].get(rt)))
    c = res["child"]
    L.append("| python3 that runs one dynamic child (`python3 -c pass`): the child's calls are sent | %.1f | %s | – | %s |"
             % (c["off_wall_ms"], f(c["wall_added_ms"]), c["sent"]))
    L += ["", "| workload (bench/macro.py) | calls sent to the supervisor |", "| --- | ---: |"]
    for name in ("py_import", "node_require", "java_work"):
        L.append("| %s | %s |" % (name, res["sent"].get(name)))
    L += ["", "| allowed openat+close | off, ns | on, ns | on / off |", "| --- | ---: | ---: | ---: |"]
    for name, label in (("runtime_process", "in the protected process (from libc)"),
                        ("static_helper", "in a static helper (each one judged by the supervisor)")):
        r = res["calls"][name]
        L.append("| %s | %.0f | %.0f | %.2f× |" % (label, r["off_ns"], r["on_ns"], r["ratio"]))
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
