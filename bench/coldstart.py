#!/usr/bin/env python3
"""Cold start: what the exec wrapper and the shim add to a runtime's start.

For python3, node and java: time `RUNTIME <hello>` started directly and started through
build/fnshield-exec (wrappers/fnshield-exec.c, which preloads the library; the library validates the policy as it loads)
under the example production policy, alternating the two so that the machine's noise
falls on both. Prints a table and writes bench/results/coldstart.json.

Usage: bench/coldstart.py [RUNS]   (default 30 runs of each)

`make bench` does not run this script on its own: bench/macro.py imports its cases, measures
them together with the other variants (library without the wrapper, the alternatives) in the
same alternating rounds, and writes coldstart.json through summarise()/write_results() below.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRAPPER = ROOT / "build" / "fnshield-exec"  # wrappers/fnshield-exec.c; wrappers/fnshield-exec links here
POLICY = (ROOT / "policy" / "examples" / "production.json").read_text()
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 and __name__ == "__main__" else 30


def java():
    return os.path.realpath(shutil.which("java") or "/usr/bin/java")


def cases(tmp):
    hello = Path(tmp) / "Hello.java"
    hello.write_text("public class Hello { public static void main(String[] a) { } }\n")
    subprocess.run([os.path.join(os.path.dirname(java()), "javac"), "-d", tmp, str(hello)],
                   check=True)
    return [
        ("python3", ["/usr/bin/python3", "-c", "pass"]),
        ("node", ["/usr/bin/node", "-e", "0"]),
        ("java", [java(), "-Xshare:auto", "-cp", tmp, "Hello"]),
    ]


def once(cmd, env):
    t = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - t) * 1000


def summarise(name, plain, wrapped):
    """One row of coldstart.json from the two lists of milliseconds."""
    mp, mw = statistics.median(plain), statistics.median(wrapped)
    return {
        "runtime": name, "runs": len(plain),
        "plain_ms_median": round(mp, 2), "fnshield_ms_median": round(mw, 2),
        "added_ms_median": round(mw - mp, 2), "ratio": round(mw / mp, 3),
        "plain_ms_iqr": [round(q, 2) for q in statistics.quantiles(plain, n=4)[::2]],
        "fnshield_ms_iqr": [round(q, 2) for q in statistics.quantiles(wrapped, n=4)[::2]],
    }


def write_results(results):
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "coldstart.json").write_text(json.dumps(results, indent=2) + "\n")
    print("%-8s %10s %12s %10s %7s" % ("runtime", "plain ms", "fnshield ms", "added ms", "ratio"))
    for r in results:
        print("%-8s %10.1f %12.1f %10.1f %7.3f" % (r["runtime"], r["plain_ms_median"],
              r["fnshield_ms_median"], r["added_ms_median"], r["ratio"]))


def main():
    base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8"}
    shielded = dict(base, FNSHIELD_POLICY=POLICY, FNSHIELD_MODE="block")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, cmd in cases(tmp):
            once(cmd, base), once([str(WRAPPER)] + cmd, shielded)  # warm the page cache
            plain, wrapped = [], []
            for _ in range(RUNS):
                plain.append(once(cmd, base))
                wrapped.append(once([str(WRAPPER)] + cmd, shielded))
            results.append(summarise(name, plain, wrapped))
    write_results(results)


if __name__ == "__main__":
    main()
