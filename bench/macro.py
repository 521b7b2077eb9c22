"""Macro benchmarks: whole programs, with fnshield and with the alternatives, in the same run.

Workloads (each a fresh process, timed from fork to exit by the parent):
  cold start   python3 -c pass, node -e 0, java Hello (bench/coldstart.py's cases)
  py_import    python3 importing ~100 standard-library modules
  node_require node requiring the core modules and a generated tree of 250 modules/packages
  java_work    a JVM that loads a few hundred JDK classes (regex, time, crypto, XML, streams,
               threads) and reads the generated tree with java.nio.file

Variants (alternated round by round, so that the machine's drift falls on all of them):
  plain        the runtime alone
  fnshield     build/fnshield-exec + the library, policy/examples/production.json, block
               mode (what bench/coldstart.py measures; what Lambda runs)
  fnshield100  the same with the generated 100-rule policy (cold start only)
  preload      LD_PRELOAD + the production policy, no wrapper: the library's share
  seccomp      bench/seccomp-launch: a 24-rule seccomp-bpf filter alone
  audit        (python) CPython audit hooks enforcing the production policy's file and exec
               rules (bench/alt/sitecustomize.py)
  nodeperm     (node) Node.js's permission model: reads allowed below the workload's
               directory, writes below /tmp, no child processes

Every variant's first run is a validation: its exit status and the violation lines on stderr
are recorded (macro.txt's "check" column). An allowed workload should log none; the JVM does
under the shipped production policy (it writes /proc/self/coredump_filter at start, a write the
policy blocks), so the java rows include two violation lines per start.
"""
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import coldstart  # noqa: E402

PY = "/usr/bin/python3"
NODE = "/usr/bin/node"

PY_MODULES = """json re collections datetime decimal fractions statistics random hashlib hmac base64
binascii struct zlib gzip bz2 lzma zipfile tarfile csv configparser argparse logging
logging.handlers email email.mime.text email.parser http.client http.server urllib.request
urllib.parse xml.etree.ElementTree xml.dom.minidom html.parser sqlite3 pickle shelve copy pprint
textwrap string difflib unicodedata locale gettext calendar heapq bisect array queue threading
multiprocessing concurrent.futures asyncio subprocess socket ssl select selectors signal shutil
tempfile glob fnmatch pathlib uuid ipaddress inspect dis ast tokenize typing dataclasses enum
functools itertools operator contextlib abc numbers io codecs traceback warnings weakref
platform sysconfig unittest doctest smtplib imaplib ftplib poplib mailbox mimetypes wave
colorsys optparse getopt secrets timeit cProfile pstats trace tracemalloc zoneinfo graphlib
plistlib netrc quopri wsgiref.simple_server xmlrpc.client http.cookiejar""".split()

NODE_CORE = ["assert", "buffer", "child_process", "crypto", "dgram", "dns", "events", "fs",
             "http", "https", "net", "os", "path", "querystring", "readline", "stream",
             "string_decoder", "timers", "tls", "url", "util", "v8", "vm", "zlib",
             "worker_threads", "perf_hooks", "async_hooks", "http2", "cluster", "module",
             "tty", "diagnostics_channel", "process", "console"]

JAVA_WORK = r"""
import java.nio.file.*;
import java.util.*;
import java.util.stream.*;
public class Work {
    public static void main(String[] a) throws Exception {
        long total = 0;
        total += java.util.regex.Pattern.compile("(a+)b[0-9]{2}").matcher("aaab12").matches() ? 1 : 0;
        total += java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(java.time.ZonedDateTime.now()).length();
        total += java.security.MessageDigest.getInstance("SHA-256").digest(new byte[64]).length;
        javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
        total += java.net.URI.create("https://example.com/a?b=c").getQuery().length();
        total += IntStream.range(0, 1000).boxed().collect(Collectors.toList()).size();
        java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newFixedThreadPool(2);
        total += ex.submit(() -> 1).get();
        ex.shutdown();
        javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder();
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        try (Stream<Path> s = Files.walk(Paths.get(a[0]))) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                byte[] b = Files.readAllBytes(p);
                crc.update(b);
                total += b.length;
            }
        }
        if (total < 0) System.out.println(total + " " + crc.getValue());
    }
}
"""


def make_workloads(work):
    """Files the workloads need, below `work`; returns the commands."""
    work = Path(work)
    mods = [m for m in PY_MODULES
            if subprocess.run([PY, "-c", "import importlib.util,sys; sys.exit(importlib.util.find_spec(%r) is None)" % m],
                              capture_output=True).returncode == 0]
    (work / "py_import.py").write_text("".join("import %s\n" % m for m in mods))

    tree = work / "nodetree"
    lines = ["'use strict';"] + ["require(%r);" % m for m in NODE_CORE]
    for i in range(250):
        d = tree / ("d%d" % (i % 10))
        if i % 5 == 0:  # a package: a directory with package.json
            pkg = d / ("pkg%d" % i)
            (pkg / "lib").mkdir(parents=True, exist_ok=True)
            (pkg / "package.json").write_text(json.dumps({"name": "pkg%d" % i, "main": "lib/main.js"}))
            body = pkg / "lib" / "main.js"
            lines.append("require('./d%d/pkg%d');" % (i % 10, i))
        else:
            d.mkdir(parents=True, exist_ok=True)
            body = d / ("m%d.js" % i)
            lines.append("require('./d%d/m%d');" % (i % 10, i))
        body.write_text("'use strict';\n" + "".join(
            "exports.f%d = function (x) { return x * %d + %d; };\n" % (k, k, i) for k in range(20)))
    (tree / "main.js").write_text("\n".join(lines) + "\n")

    java_dir = work / "java"
    java_dir.mkdir(exist_ok=True)
    (java_dir / "Work.java").write_text(JAVA_WORK)
    javac = os.path.join(os.path.dirname(coldstart.java()), "javac")
    subprocess.run([javac, "-d", str(java_dir), str(java_dir / "Work.java")], check=True)

    cold = dict(coldstart.cases(str(java_dir)))
    return {
        "cold_python3": cold["python3"],
        "cold_node": cold["node"],
        "cold_java": cold["java"],
        "py_import": [PY, str(work / "py_import.py")],
        "node_require": [NODE, str(tree / "main.js")],
        "java_work": [coldstart.java(), "-Xshare:auto", "-cp", str(java_dir), "Work", str(tree)],
    }, len(mods)


def variants_for(name):
    if name.startswith("cold_"):
        v = ["plain", "fnshield", "fnshield100", "preload", "seccomp"]
    else:
        v = ["plain", "fnshield", "preload", "seccomp"]
    if "python" in name or name.startswith("py_"):
        v.append("audit")
    if "node" in name:
        v.append("nodeperm")
    return v


def command(variant, cmd, env0, ctx):
    """(argv, env) of a workload under a variant."""
    env = dict(env0)
    if variant == "plain":
        return cmd, env
    if variant in ("fnshield", "fnshield100"):
        if variant == "fnshield":
            env.update(FNSHIELD_POLICY=coldstart.POLICY)
        else:
            env.update(FNSHIELD_POLICY_FILE=ctx["policy100"])
        env["FNSHIELD_MODE"] = "block"
        return [str(coldstart.WRAPPER)] + cmd, env
    if variant == "preload":
        env.update(LD_PRELOAD=ctx["library"], FNSHIELD_POLICY=coldstart.POLICY, FNSHIELD_MODE="block")
        return cmd, env
    if variant == "seccomp":
        return [ctx["seccomp_launch"]] + cmd, env
    if variant == "audit":
        env.update(PYTHONPATH=str(HERE / "alt"), FNB_AUDIT_POLICY=ctx["production_file"],
                   FNSHIELD_MODE="block")
        return cmd, env
    if variant == "nodeperm":
        return [cmd[0], "--experimental-permission", "--no-warnings",
                "--allow-fs-read=%s/*" % ctx["work"], "--allow-fs-write=/tmp/*"] + cmd[1:], env
    raise ValueError(variant)


def run_once(argv, env, check_stderr=False, cpu=None):
    """Wall-clock ms of one run; with cpu (a list), also appends the CPU ms (user + system) the
    run's processes used: what in-process code such as fnshield adds is CPU work, and CPU time
    does not carry the waits a shared VM inflicts on wall time."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE if check_stderr else subprocess.DEVNULL)
    ms = (time.perf_counter() - t) * 1000
    if cpu is not None:
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000)
    return ms, p


def stats(xs):
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
    return {"median": round(statistics.median(xs), 2), "p25": round(q[0], 2), "p75": round(q[2], 2),
            "min": round(min(xs), 2), "n": len(xs)}


def run(ctx, rounds_cold, rounds_work, log=print):
    env0 = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8"}
    cmds, nmods = make_workloads(ctx["work"])
    out = {"python_modules_imported": nmods, "workloads": {}}
    for name, cmd in cmds.items():
        vs = variants_for(name)
        rounds = rounds_cold if name.startswith("cold_") else rounds_work
        argvs = {v: command(v, cmd, env0, ctx) for v in vs}
        valid = {}
        for v in vs:  # validation + warm-up (page cache, .pyc files)
            run_once(*argvs[v])
            ms, p = run_once(*argvs[v], check_stderr=True)
            err = p.stderr.decode(errors="replace")
            valid[v] = {"exit": p.returncode,
                        "violations": err.count('"fnshield":"violation"') + err.count('"audit":"violation"'),
                        "stderr_head": err[:300] if p.returncode else ""}
            if p.returncode:
                log("  %s/%s: exit %d: %s" % (name, v, p.returncode, err[:300]))
        times = {v: [] for v in vs}
        cpu = {v: [] for v in vs}
        for r in range(rounds):
            order = vs if r % 2 == 0 else vs[::-1]
            for v in order:
                times[v].append(run_once(*argvs[v], cpu=cpu[v])[0])
        plain = times["plain"]
        res = {"command": cmd, "rounds": rounds, "variants": {}}
        for v in vs:
            s = stats(times[v])
            ratios = [a / b for a, b in zip(times[v], plain)]
            diffs = [a - b for a, b in zip(times[v], plain)]  # same round: same moment of the machine
            dq = statistics.quantiles(diffs, n=4)
            s["added_ms_paired_median"] = round(statistics.median(diffs), 2)
            s["added_ms_paired_p25"], s["added_ms_paired_p75"] = round(dq[0], 2), round(dq[2], 2)
            s["min_ratio"] = round(min(times[v]) / min(plain), 3)
            s["ratio_median"] = round(s["median"] / statistics.median(plain), 3)
            rq = statistics.quantiles(ratios, n=4)
            s["ratio_paired_median"] = round(statistics.median(ratios), 3)
            s["ratio_paired_p25"], s["ratio_paired_p75"] = round(rq[0], 3), round(rq[2], 3)
            s["added_ms_median"] = round(s["median"] - statistics.median(plain), 2)
            cratios = [a / b for a, b in zip(cpu[v], cpu["plain"]) if b > 0]
            cq = statistics.quantiles(cratios, n=4)
            s["cpu_ms_median"] = round(statistics.median(cpu[v]), 2)
            s["cpu_ratio_paired_median"] = round(statistics.median(cratios), 3)
            s["cpu_ratio_paired_p25"], s["cpu_ratio_paired_p75"] = round(cq[0], 3), round(cq[2], 3)
            s["validation"] = valid[v]
            s["ms"] = [round(x, 2) for x in times[v]]
            s["cpu_ms"] = [round(x, 2) for x in cpu[v]]
            res["variants"][v] = s
        out["workloads"][name] = res
        log("  %-13s " % name + "  ".join("%s %.1fms (x%.3f)" % (v, res["variants"][v]["median"],
                                            res["variants"][v]["ratio_median"]) for v in vs))
    # bench/coldstart.py's own file, from the same measurements
    cs = []
    for rt in ("python3", "node", "java"):
        w = out["workloads"]["cold_" + rt]["variants"]
        cs.append(coldstart.summarise(rt, w["plain"]["ms"], w["fnshield"]["ms"]))
    coldstart.write_results(cs)
    return out


def breakdown(ctx, rounds, log=print):
    """Where the wrapper's cold-start time goes: sh, `fnshield check`, library load."""
    env0 = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8", "FNSHIELD_POLICY": coldstart.POLICY, "FNSHIELD_MODE": "block"}
    env100 = dict(env0)
    del env100["FNSHIELD_POLICY"]
    env100["FNSHIELD_POLICY_FILE"] = ctx["policy100"]
    env1000 = dict(env100, FNSHIELD_POLICY_FILE=ctx["policy1000"])
    true = shutil.which("true") or "/bin/true"
    steps = {
        "true": ([true], env0),
        "sh -c true": (["/bin/sh", "-c", "true"], env0),
        "wrapper true": ([str(coldstart.WRAPPER), true], env0),
        "fnshield check (production)": ([ctx["cli"], "check"], env0),
        "fnshield check (100 rules)": ([ctx["cli"], "check"], env100),
        "fnshield check (1000 rules)": ([ctx["cli"], "check"], env1000),
        "preload true (production)": ([true], dict(env0, LD_PRELOAD=ctx["library"])),
        "preload true (100 rules)": ([true], dict(env100, LD_PRELOAD=ctx["library"])),
        "preload true (1000 rules)": ([true], dict(env1000, LD_PRELOAD=ctx["library"])),
        "preload true (production, seccomp off)": ([true], dict(env0, LD_PRELOAD=ctx["library"],
                                                               FNSHIELD_SECCOMP="off")),
    }
    times = {k: [] for k in steps}
    for k, (a, e) in steps.items():
        run_once(a, e)
    for r in range(rounds):
        for k, (a, e) in steps.items():
            times[k].append(run_once(a, e)[0])
    res = {k: stats(v) for k, v in times.items()}
    for k, v in res.items():
        log("  %-40s %7.2f ms [%.2f %.2f]" % (k, v["median"], v["p25"], v["p75"]))
    return res
