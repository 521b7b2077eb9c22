#!/usr/bin/env python3
"""A quick cold-start probe (issue #5): what the wrapper and the library add, nothing else.

  bench/coldprobe.py [ROUNDS] [--wrapper PATH] [--library PATH]

Times, in alternating rounds so that the machine's noise falls on every variant alike:
  true, wrapper true, preload true (production policy, with and without seccomp), and
  python3 / node / java (bench/coldstart.py's cases) started plainly and through the wrapper.
Prints medians and the median of the per-round difference to the plain start. Writes nothing:
bench/run.py owns bench/results. --wrapper / --library compare another build (e.g. a copy of
an older wrapper placed next to build/).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import coldstart

ROOT = Path(__file__).resolve().parents[1]


def once(argv, env):
    t = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - t) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rounds", nargs="?", type=int, default=40)
    ap.add_argument("--wrapper", default=str(coldstart.WRAPPER))
    ap.add_argument("--library", default=str(ROOT / "build" / "libfnshield.so"))
    ap.add_argument("--no-runtimes", action="store_true")
    a = ap.parse_args()
    base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8"}
    prod = dict(base, FNSHIELD_POLICY=coldstart.POLICY, FNSHIELD_MODE="block")
    true = shutil.which("true") or "/bin/true"
    groups = [("true", {
        "plain": ([true], base),
        "wrapper": ([a.wrapper, true], prod),
        "preload": ([true], dict(prod, LD_PRELOAD=a.library)),
        "preload, seccomp off": ([true], dict(prod, LD_PRELOAD=a.library, FNSHIELD_SECCOMP="off")),
    })]
    with tempfile.TemporaryDirectory() as tmp:
        if not a.no_runtimes:
            for name, cmd in coldstart.cases(tmp):
                groups.append((name, {"plain": (cmd, base), "wrapper": ([a.wrapper] + cmd, prod)}))
        for name, vs in groups:
            for argv, env in vs.values():
                once(argv, env)  # page cache, validation (check=True)
            times = {v: [] for v in vs}
            order = list(vs)
            for r in range(a.rounds):
                for v in (order if r % 2 == 0 else order[::-1]):
                    times[v].append(once(*vs[v]))
            for v in order:
                d = [x - p for x, p in zip(times[v], times["plain"])]
                print("%-8s %-22s median %7.2f ms  added %6.2f ms" % (
                    name, v, statistics.median(times[v]), statistics.median(d)))


if __name__ == "__main__":
    main()
