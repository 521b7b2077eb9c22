#!/usr/bin/env python3
"""What "origin" and "stack" cost per reported violation ("log": {"stack": true}, issue 12).

Per runtime (Debian's python3, pyenv's python3.11, node, java), one process makes N distinct
refused reads of files that exist (distinct paths: each gets a full line of its own, so each
takes a stack) with the stack off, then on, in alternating rounds, timed inside the program;
the difference per violation is the capture's cost (the walk and a longer line). Then the
repeat case: one process makes REPEATS identical refused reads — after the first few lines
they are only counted, so the stack must cost a handful of captures in all, not one per call.

Writes bench/results/origin.json and prints a table. Usage: bench/origin.py [N] [ROUNDS]
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("BUILD", ROOT / "build"))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
REPEATS = 200000

PY = r'''
import sys, time
d, n, same = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "same"
def read(p):
    try:
        open(p, "rb").close()
    except OSError:
        pass
paths = ["%s/v-%d" % (d, 0 if same else i) for i in range(n)]
t = time.perf_counter()
for p in paths:
    read(p)
print((time.perf_counter() - t) / n * 1e9)
'''

JS = r'''
const fs = require('fs');
const [d, ns, mode] = process.argv.slice(-3);
const [n, same] = [parseInt(ns, 10), mode === 'same'];
function read(p) { try { fs.closeSync(fs.openSync(p, 'r')); } catch (e) { } }
const paths = Array.from({ length: n }, (_, i) => `${d}/v-${same ? 0 : i}`);
const t = process.hrtime.bigint();
for (const p of paths) read(p);
console.log(Number(process.hrtime.bigint() - t) / n);
'''

JAVA = r'''
public class OriginBench {
    static void read(String p) {
        try (java.io.FileInputStream f = new java.io.FileInputStream(p)) { } catch (java.io.IOException e) { }
    }
    public static void main(String[] a) {
        String d = a[0]; int n = Integer.parseInt(a[1]); boolean same = a[2].equals("same");
        String[] paths = new String[n];
        for (int i = 0; i < n; i++) paths[i] = d + "/v-" + (same ? 0 : i);
        long t = System.nanoTime();
        for (String p : paths) read(p);
        System.out.println((double) (System.nanoTime() - t) / n);
    }
}
'''


def runtimes(d):
    found = [("python (Debian 3.11)", ["/usr/bin/python3", "-c", PY])]
    pyenv = "/root/.pyenv/versions/3.11.7/bin/python3.11"
    if os.path.exists(pyenv):
        found.append(("python (pyenv 3.11)", [pyenv, "-c", PY]))
    if shutil.which("node"):
        script = Path(d) / "bench.js"  # a file: code given with -e is "[eval]", no origin
        script.write_text(JS)
        found.append(("node", [shutil.which("node"), str(script)]))
    javac = shutil.which("javac")
    if javac:
        src = Path(d) / "OriginBench.java"
        src.write_text(JAVA)
        subprocess.run([javac, "-d", d, str(src)], check=True)
        found.append(("java", [shutil.which("java"), "-XX:+UseSerialGC", "-cp", d, "OriginBench"]))
    return found


def quartiles(xs):
    """The first and third quartiles (the interquartile range of paired differences)."""
    if len(xs) < 2:
        return [xs[0], xs[0]]
    q = statistics.quantiles(xs, n=4)
    return [q[0], q[2]]


def run(cmd, d, n, same, stack):
    policy = {"version": 1, "mode": "block",
              "read": {"default": "allow", "block": [d + "/v-*"]}, "log": {"stack": stack}}
    pf = Path(d) / ("policy-%d.json" % stack)
    pf.write_text(json.dumps(policy))
    out = subprocess.run([str(BUILD / "fnshield"), "run", "--policy", str(pf), "--"] + cmd +
                         [d, str(n), "same" if same else "distinct"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    lines = [json.loads(l) for l in out.stderr.decode().splitlines() if l.startswith('{"fnshield":"violation"')]
    return float(out.stdout.decode().split()[-1]), lines


def main():
    results = {"violations_per_round": N, "rounds": ROUNDS, "repeats": REPEATS, "runtimes": []}
    with tempfile.TemporaryDirectory() as d:
        for i in range(N):
            (Path(d) / ("v-%d" % i)).write_bytes(b"x")
        for name, cmd in runtimes(d):
            off, on, with_origin = [], [], 0
            for _ in range(ROUNDS):
                off.append(run(cmd, d, N, False, False)[0])
                t, lines = run(cmd, d, N, False, True)
                on.append(t)
                with_origin = sum(1 for l in lines if "origin" in l)
            diffs = [b - a for a, b in zip(off, on)]
            rep_off = run(cmd, d, REPEATS, True, False)[0]
            rep_on, rep_lines = run(cmd, d, REPEATS, True, True)
            entry = {"runtime": name,
                     "ns_per_violation_off": round(statistics.median(off)),
                     "ns_per_violation_on": round(statistics.median(on)),
                     "added_us_per_violation": round(statistics.median(diffs) / 1000, 1),
                     "added_us_iqr": [round(q / 1000, 1) for q in quartiles(diffs)],
                     "lines_with_origin": with_origin,
                     "repeat_ns_per_call_off": round(rep_off), "repeat_ns_per_call_on": round(rep_on),
                     "repeat_lines_with_stack": sum(1 for l in rep_lines if "stack" in l)}
            results["runtimes"].append(entry)
    out = ROOT / "bench" / "results" / "origin.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print("%-22s %14s %14s %20s %8s   %s" % ("runtime", "off ns/viol.", "on ns/viol.", "added us [IQR]", "origin",
                                             "%d identical: ns/call off/on, lines with stack" % REPEATS))
    for e in results["runtimes"]:
        print("%-22s %14d %14d %8.1f [%4.1f, %4.1f] %8d   %d / %d, %d" % (
            e["runtime"], e["ns_per_violation_off"], e["ns_per_violation_on"], e["added_us_per_violation"],
            e["added_us_iqr"][0], e["added_us_iqr"][1],
            e["lines_with_origin"], e["repeat_ns_per_call_off"], e["repeat_ns_per_call_on"],
            e["repeat_lines_with_stack"]))
    print("wrote", out)


if __name__ == "__main__":
    main()
