#!/usr/bin/env python3
"""What a native backtrace costs per violation ("log": {"backtrace": true}, issue #6).

One Python process makes N distinct violating opens of files that exist (alert mode;
distinct paths, so none is folded into a repeat count) with backtraces off, then on, in
alternating rounds; the difference per violation is the backtrace's cost (capture, symbols,
a longer line). Writes bench/results/backtrace.json and prints a line.

Usage: bench/backtrace.py [N] [ROUNDS]
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("BUILD", ROOT / "build"))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 7

PROGRAM = r'''
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
t = time.perf_counter()
for i in range(n):
    try:
        os.close(os.open("%s/v-%d" % (d, i), os.O_RDONLY))
    except OSError:
        pass
print((time.perf_counter() - t) / n * 1e9)
'''


def run(d, backtrace):
    # Reads of files that exist (a read of a missing file is no violation: it fails by itself).
    policy = {"version": 1, "mode": "alert",
              "read": {"default": "allow", "block": [d + "/v-*"]},
              "log": {"backtrace": backtrace}}
    pf = Path(d) / ("policy-%d.json" % backtrace)
    pf.write_text(json.dumps(policy))
    out = subprocess.run([str(BUILD / "fnshield"), "run", "--policy", str(pf), "--",
                          "/usr/bin/python3", "-c", PROGRAM, d, str(N)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
    return float(out.stdout.decode().strip())


def main():
    off, on = [], []
    with tempfile.TemporaryDirectory() as d:
        for i in range(N):
            (Path(d) / ("v-%d" % i)).write_bytes(b"x")
        for _ in range(ROUNDS):
            off.append(run(d, False))
            on.append(run(d, True))
    res = {"violations_per_round": N, "rounds": ROUNDS,
           "ns_per_violation_off": round(statistics.median(off)),
           "ns_per_violation_on": round(statistics.median(on)),
           "added_ns_median": round(statistics.median(b - a for a, b in zip(off, on)))}
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "backtrace.json").write_text(json.dumps(res, indent=2) + "\n")
    print("backtrace: %(ns_per_violation_off)d ns per violation without, %(ns_per_violation_on)d "
          "with; +%(added_ns_median)d ns per violation (median of paired rounds)" % res)


if __name__ == "__main__":
    main()
