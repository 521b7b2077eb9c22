"""The benchmark report: JSON, readable tables, gnuplot charts, the README table, the targets.

Numbers and how they are judged:
  added ns      per call, the median over batches of the 10%-trimmed mean of the call-by-call
                differences (hook minus libc) in one process; spread = p25..p75 over batches
  instructions  user-space instructions per call, exact (bench/icount), hook minus libc
  ratio         hook / libc, means per batch, median over batches
A target is met when the whole interquartile interval of its measurement is within the limit,
missed when all of it is past the limit, and "unresolved" when the machine's noise straddles
the limit; the instruction counts say whether a cost is the code's or the machine's.
"""
import json
import os
import shutil
import statistics
import subprocess
from pathlib import Path

SYSCALLS = {0: "read", 1: "write", 3: "close", 4: "stat", 5: "fstat", 8: "lseek", 9: "mmap",
            16: "ioctl", 21: "access", 41: "socket", 42: "connect", 49: "bind", 50: "listen",
            54: "setsockopt", 59: "execve", 72: "fcntl", 79: "getcwd", 89: "readlink",
            257: "openat", 262: "newfstatat", 267: "readlinkat", 269: "faccessat", 302: "prlimit64",
            332: "statx", 437: "openat2", 439: "faccessat2"}

TARGET_NS = 20.0
UNRESTRICTED_NS = 2.0
FLAT_TOLERANCE = 0.10   # 1000 rules within 10% of 10 rules
COLD_MS = 1.0
MACRO_RATIO = 1.02

ABS_CASES = ["open_short", "open_long", "open_write", "openat_abs", "fopen", "exec_noexec"]
NET_CASES = ["connect_udp", "connect_tcp", "getaddrinfo"]


def syscall_name(nr):
    return SYSCALLS.get(nr, str(nr))


def q(xs, p):
    if len(xs) == 1:
        return xs[0]
    return statistics.quantiles(xs, n=100, method="inclusive")[p - 1]


def summarise_micro(rows):
    out = {}
    for d in rows:
        added = d["diff_trimmed_ns"]
        s = {
            "what": d["what"], "pairs": d["pairs"], "batch": d["batch"], "wall_s": d["wall_s"],
            "hook_ns": round(statistics.median(d["shim_mean_ns"]), 1),
            "libc_ns": round(statistics.median(d["libc_mean_ns"]), 1),
            "added_ns": round(statistics.median(added), 1),
            "added_p25": round(q(added, 25), 1), "added_p75": round(q(added, 75), 1),
            "added_median_of_pairs_ns": round(statistics.median(d["diff_median_ns"]), 1),
            "ratio": round(statistics.median([a / b for a, b in zip(d["shim_mean_ns"], d["libc_mean_ns"])]), 3),
        }
        out.setdefault(str(d["rules"]), {})[d["case"]] = s
    return out


def attach_counts(summary, counts):
    for n, per in counts.items():
        for case, c in per.items():
            s = summary.setdefault(str(n), {}).setdefault(case, {})
            if "shim_instructions" in c and "libc_instructions" in c:
                s["hook_instructions"] = c["shim_instructions"]
                s["libc_instructions"] = c["libc_instructions"]
                s["added_instructions"] = round(c["shim_instructions"] - c["libc_instructions"], 1)
            if "shim_syscalls" in c:
                s["hook_syscalls"] = c["shim_syscalls"]
                s["libc_syscalls"] = c.get("libc_syscalls", {})


def fmt_sys(d):
    return "+".join("%s%s" % ("" if v == 1 else "%g*" % v, k) for k, v in sorted(d.items())) or "-"


def micro_table(summary):
    lines = []
    for n in ("100", "0", "10", "1000", "none"):
        if n not in summary:
            continue
        title = {"none": "no library (A/A: both sides are libc; the noise floor)",
                 "0": "0 rules (nothing restricted: every category on the fast path)"}.get(n, "%s rules" % n)
        lines.append("\n%s\n" % title)
        lines.append("%-15s %10s %10s %16s %7s %8s %8s  %-30s %s" % (
            "case", "libc ns", "hook ns", "added ns [IQR]", "ratio", "+instr", "pairs", "hook syscalls",
            "what"))
        for case, s in summary[n].items():
            if "added_ns" not in s:
                continue
            lines.append("%-15s %10.1f %10.1f %7.1f [%.0f,%.0f] %7.3f %8s %8s  %-30s %s" % (
                case, s["libc_ns"], s["hook_ns"], s["added_ns"], s["added_p25"], s["added_p75"],
                s["ratio"], s.get("added_instructions", "-"), s["pairs"], fmt_sys(s.get("hook_syscalls", {})),
                s["what"]))
    return "\n".join(lines) + "\n"


def matcher_table(rows):
    lines = ["%-6s %-12s %5s %6s %7s %9s %9s %10s %10s %9s %s" % (
        "rules", "probe", "len", "steps", "states", "bytes", "compile", "ns/decide", "IQR", "normalise",
        "instr")]
    for r in rows:
        lines.append("%-6d %-12s %5d %6d %7d %9d %7.2fms %10.1f %4.0f-%-5.0f %9.1f %s" % (
            r["rules"], r["probe"], r["path_len"], r["dfa_steps"], r["dfa_states"], r["table_bytes"],
            r["compile_ms_median"], r["ns_median"], r["ns_p25"], r["ns_p75"], r["normalise_ns_median"],
            r.get("instructions", "-")))
    return "\n".join(lines) + "\n"


def macro_table(m):
    lines = ["%-13s %-12s %9s %15s %14s %16s %s" % ("workload", "variant", "median ms", "IQR ms",
                                                     "added ms", "ratio [IQR]", "check")]
    for name, w in m["workloads"].items():
        for v, s in w["variants"].items():
            val = s["validation"]
            ok = "ok" if val["exit"] == 0 and val["violations"] == 0 else \
                "exit %d, %d violations" % (val["exit"], val["violations"])
            lines.append("%-13s %-12s %9.1f %7.1f-%-7.1f %14.2f %6.3f [%.3f,%.3f] %s" % (
                name, v, s["median"], s["p25"], s["p75"], s["added_ms_median"], s["ratio_median"],
                s["ratio_paired_p25"], s["ratio_paired_p75"], ok))
    lines.append("\nwhere cold start goes (ms, median [IQR]):")
    for k, s in m.get("breakdown", {}).items():
        lines.append("  %-42s %7.2f [%.2f, %.2f]" % (k, s["median"], s["p25"], s["p75"]))
    return "\n".join(lines) + "\n"


def verdict(lo, hi, limit):
    """met when the whole interquartile interval is within the limit, missed when all of it is
    past the limit, otherwise the machine's noise does not decide it."""
    if hi <= limit:
        return "met"
    if lo > limit:
        return "missed"
    return "unresolved"


def evaluate(summary, matcher, macro):
    T = []

    def add(target, item, value, lo, hi, limit, unit, note="", decides=True):
        T.append({"target": target, "item": item, "value": value, "interval": [lo, hi], "limit": limit,
                  "verdict": verdict(lo, hi, limit), "met": verdict(lo, hi, limit) == "met", "unit": unit,
                  "note": note, "decides": decides})

    s100 = summary.get("100", {})
    for c in ABS_CASES + NET_CASES:
        s = s100.get(c)
        if s and "added_ns" in s:
            add("<= 20 ns added per allowed call (100 rules, absolute path)", c, s["added_ns"],
                s["added_p25"], s["added_p75"], TARGET_NS, "ns",
                "+%s instructions; system calls %s (libc: %s)" % (
                    s.get("added_instructions", "?"), fmt_sys(s.get("hook_syscalls", {})),
                    fmt_sys(s.get("libc_syscalls", {}))))
    # One hooked call each; open+close pairs are two (shown, but the single calls decide).
    un = [("100", "listen", True), ("0", "listen", True), ("0", "open_missing", True),
          ("0", "mkstemp_einval", True), ("0", "connect_udp", True), ("100", "close_bad", True),
          ("100", "read_null", True), ("0", "open_short", False), ("0", "open_write", False)]
    for n, c, decides in un:
        s = summary.get(n, {}).get(c)
        if s and "added_ns" in s:
            add("<= 2 ns for a category without rules", "%s (%s rules)" % (c, n), s["added_ns"],
                s["added_p25"], s["added_p75"], UNRESTRICTED_NS, "ns",
                "+%s instructions%s" % (s.get("added_instructions", "?"),
                                        "" if decides else "; two hooked calls (open and close)"),
                decides=decides)
    by = {(r["rules"], r["probe"]): r for r in matcher}
    for probe in ("read_short", "read_long", "read_python", "write_short", "exec_short"):
        a, b = by.get((10, probe)), by.get((1000, probe))
        if a and b:
            ia, ib = a.get("instructions"), b.get("instructions")
            if ia and ib:
                r = round(ib / ia, 3)
                add("matching cost flat from 10 to 1,000 rules", "matcher %s, instructions" % probe, r, r, r,
                    1 + FLAT_TOLERANCE, "x", "%s -> %s instructions per decision" % (ia, ib))
            # batch b of each policy ran back to back: the ratio per batch is a paired comparison
            pr = [y / x for x, y in zip(a["ns_batches"], b["ns_batches"])]
            add("matching cost flat from 10 to 1,000 rules", "matcher %s, time" % probe,
                round(statistics.median(pr), 3), round(q(pr, 25), 3), round(q(pr, 75), 3), 1 + FLAT_TOLERANCE, "x",
                "%.1f -> %.1f ns (medians); DFA table %d -> %d bytes" % (a["ns_median"], b["ns_median"],
                                                               a["table_bytes"], b["table_bytes"]),
                decides=False)  # the instruction counts decide; time shows what caches add
    for c in ("open_short", "open_long", "mkstemp_einval"):
        a, b = summary.get("10", {}).get(c), summary.get("1000", {}).get(c)
        if a and b and a.get("hook_instructions") and b.get("hook_instructions"):
            # the two policies ran in different processes at different times: the timed added
            # cost also carries the machine's drift between them; the instruction count does not
            r = round(b["hook_instructions"] / a["hook_instructions"], 3)
            add("matching cost flat from 10 to 1,000 rules", "hook %s, instructions" % c, r, r, r,
                1 + FLAT_TOLERANCE, "x", "%s -> %s instructions; %s -> %s ns added (separate processes)" % (
                    a["hook_instructions"], b["hook_instructions"], a.get("added_ns"), b.get("added_ns")))
    for name in ("cold_python3", "cold_node", "cold_java"):
        w = macro["workloads"].get(name)
        if not w:
            continue
        for v in ("fnshield", "fnshield100", "preload"):
            s = w["variants"].get(v)
            if s:
                add("<= 1 ms added cold start per runtime", "%s %s" % (name[5:], v), s["added_ms_paired_median"],
                    s["added_ms_paired_p25"], s["added_ms_paired_p75"], COLD_MS, "ms",
                    "%.1f -> %.1f ms (medians); fastest runs %.1f -> %.1f ms" % (
                        w["variants"]["plain"]["median"], s["median"], w["variants"]["plain"]["min"], s["min"]))
    for name in ("py_import", "node_require", "java_work"):
        w = macro["workloads"].get(name)
        if w:
            s = w["variants"]["fnshield"]
            # CPU time decides: what fnshield adds is work in the workload's own processes, and
            # CPU time does not carry the scheduling waits that make this VM's wall time swing
            # by ±10% from run to run. Wall time is shown beside it.
            if "cpu_ratio_paired_median" in s:
                add("macro workloads <= 2% slower", name + " (CPU time)", s["cpu_ratio_paired_median"],
                    s["cpu_ratio_paired_p25"], s["cpu_ratio_paired_p75"], MACRO_RATIO, "x",
                    "CPU medians %.1f -> %.1f ms" % (w["variants"]["plain"]["cpu_ms_median"], s["cpu_ms_median"]))
            add("macro workloads <= 2% slower", name + " (wall time)", s["ratio_paired_median"],
                s["ratio_paired_p25"], s["ratio_paired_p75"], MACRO_RATIO, "x",
                "medians %.1f -> %.1f ms; fastest runs x%.3f" % (w["variants"]["plain"]["median"], s["median"],
                                                                  s["min_ratio"]),
                decides="cpu_ratio_paired_median" not in s)
    return T


def targets_table(T):
    lines = ["| target | measured | median | IQR | limit | verdict | notes |",
             "| --- | --- | ---: | --- | ---: | --- | --- |"]
    for t in T:
        lines.append("| %s | %s | %s %s | %s .. %s | %s | **%s** | %s |" % (
            t["target"], t["item"], t["value"], t["unit"], t["interval"][0], t["interval"][1], t["limit"],
            t["verdict"], t["note"]))
    return "\n".join(lines) + "\n"


def targets_summary(T):
    """One row per target: the overall verdict (missed if any item is, unresolved if any is
    and none is missed) and the items that show it."""
    lines = ["| target | verdict | measured (median; verdicts per item in micro.txt) |", "| --- | --- | --- |"]
    order = []
    for t in T:
        if t["target"] not in order:
            order.append(t["target"])
    for name in order:
        items = [t for t in T if t["target"] == name]
        vs = {t["verdict"] for t in items if t.get("decides", True)}
        overall = "missed" if "missed" in vs else "unresolved" if "unresolved" in vs else "met"
        dec = [t for t in items if t.get("decides", True)]
        if overall == "missed" and "met" in vs:
            overall = "missed (%d of %d items met)" % (sum(t["verdict"] == "met" for t in dec), len(dec))
        ev = "; ".join("%s %s %s (%s)" % (t["item"], t["value"], t["unit"].split(" ")[0],
                                          t["verdict"] if t.get("decides", True) else "informative: " + t["verdict"])
                       for t in items)
        lines.append("| %s | **%s** | %s |" % (name, overall, ev))
    return "\n".join(lines) + "\n"


def profile_md(profiles, summary):
    lines = ["# Where the instructions go (100-rule policy)", "",
             "Exact user-space instructions per call of fnshield's hook, by function and by source line",
             "(bench/icount single-steps the call; inlined functions are charged to the line they come",
             "from). Kernel time is not in these counts: see the system calls column.", ""]
    s100 = summary.get("100", {})
    order = sorted(profiles, key=lambda c: -profiles[c]["instructions_per_call"])
    for case in order:
        p = profiles[case]
        s = s100.get(case, {})
        lines.append("## %s — %s instructions/call (libc alone: %s), %s ns added; system calls %s (libc: %s)" % (
            case, p["instructions_per_call"], s.get("libc_instructions", "?"), s.get("added_ns", "?"),
            fmt_sys(s.get("hook_syscalls", {})), fmt_sys(s.get("libc_syscalls", {}))))
        lines.append("")
        lines.append("| instructions/call | share | object | function |")
        lines.append("| ---: | ---: | --- | --- |")
        for f in p["functions"]:
            lines.append("| %s | %.0f%% | %s | `%s` |" % (f["instructions_per_call"], 100 * f["share"],
                                                          f["object"], f["function"]))
        if p["lines"]:
            lines.append("")
            lines.append("hottest lines: " + "; ".join("`%s` %s" % (l["line"], l["instructions_per_call"])
                                                       for l in p["lines"]))
        lines.append("")
    return "\n".join(lines)


def tax_summary(tax):
    """ns added per system call by the library's seccomp backstop: median(after) - median(before)
    per run, then the median over runs."""
    out = {}
    for k, runs in tax.items():
        per = {}
        for d in runs:
            for name, v in d.items():
                if isinstance(v, dict):
                    per.setdefault(name, []).append(statistics.median(v["after_ns"]) - statistics.median(v["before_ns"]))
        out[k] = {n: {"added_ns": round(statistics.median(v), 1), "runs": [round(x, 1) for x in v]}
                  for n, v in per.items()}
    return out


# ---- charts ---------------------------------------------------------------------------------------
def charts(results, summary, matcher, macro, log):
    if not shutil.which("gnuplot"):
        log("  gnuplot missing: no charts")
        return []
    d = results / ".chartdata"
    d.mkdir(exist_ok=True)
    cases = [c for c in ["open_short", "open_long", "open_rel", "open_write", "openat_abs", "openat_dirfd",
                         "fopen", "exec_noexec", "mkstemp_einval", "connect_udp", "connect_tcp",
                         "getaddrinfo", "listen", "close_bad", "read_null"]
             if any(c in summary.get(n, {}) for n in ("0", "10", "100", "1000"))]
    with open(d / "micro.dat", "w") as f:
        f.write("case r0 r10 r100 r1000\n")
        for c in cases:
            vals = []
            for n in ("0", "10", "100", "1000"):
                s = summary.get(n, {}).get(c)
                vals.append("%.2f" % max(0.5, s["added_ns"]) if s and "added_ns" in s else "NaN")
            f.write("%s %s\n" % (c, " ".join(vals)))
    probes = ["read_short", "read_long", "read_python", "write_short", "exec_short"]
    with open(d / "matcher.dat", "w") as f:
        f.write("rules " + " ".join(probes) + "\n")
        for n in (10, 100, 1000):
            row = {r["probe"]: r["ns_median"] for r in matcher if r["rules"] == n}
            f.write("%d %s\n" % (n, " ".join("%.2f" % row.get(p, float("nan")) for p in probes)))
    variants = ["fnshield", "preload", "seccomp", "audit", "nodeperm"]
    with open(d / "macro.dat", "w") as f:
        f.write("workload " + " ".join(variants) + "\n")
        for name, w in macro["workloads"].items():
            f.write("%s %s\n" % (name, " ".join(
                "%.4f" % w["variants"][v]["ratio_median"] if v in w["variants"] else "NaN" for v in variants)))
    script = """
set terminal pngcairo size 1280,640 font "DejaVu Sans,10" noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key top left
set grid ytics
set xtics rotate by -35 noenhanced
set output '{r}/micro.png'
set title "fnshield: time added per call (hook - libc, same process), by number of rules" noenhanced
set ylabel "ns added per call (log scale; <= 0.5 shown as 0.5)"
set logscale y
set yrange [0.4:*]
set arrow 1 from graph 0, first 20 to graph 1, first 20 nohead dt 2 lc rgb "red"
set label 1 "20 ns target" at graph 0.01, first 23 tc rgb "red"
plot '{d}/micro.dat' using 2:xtic(1) title "0 rules (unrestricted)", '' using 3 title "10 rules", \
     '' using 4 title "100 rules", '' using 5 title "1,000 rules"
unset arrow 1
unset label 1
unset logscale y
set output '{r}/matcher.png'
set style data linespoints
set title "policy matching alone (normalise + DFA walk), ns per decision" noenhanced
set xlabel "rules in the policy"
set ylabel "ns per decision"
set logscale x
set xrange [7:1400]
set yrange [0:*]
set xtics rotate by 0
plot for [i=2:6] '{d}/matcher.dat' using 1:i with linespoints lw 2 title columnheader(i)
unset logscale x
unset xlabel
set xrange [*:*]
set output '{r}/macro.png'
set style data histograms
set title "workloads: time relative to the runtime alone (median of rounds)" noenhanced
set ylabel "ratio to plain (1.0 = no cost)"
set yrange [0.7:*]
set xtics rotate by -20
set arrow 2 from graph 0, first 1.02 to graph 1, first 1.02 nohead dt 2 lc rgb "red"
plot '{d}/macro.dat' using 2:xtic(1) title "fnshield (wrapper + library)", '' using 3 title "library only", \
     '' using 4 title "seccomp-bpf alone", '' using 5 title "CPython audit hooks", '' using 6 title "Node permission model"
""".format(r=results, d=d)
    (d / "charts.gp").write_text(script)
    p = subprocess.run(["gnuplot", str(d / "charts.gp")], capture_output=True, text=True)
    if p.returncode:
        log("  gnuplot: " + p.stderr[-500:])
    shutil.rmtree(d, ignore_errors=True)
    return [f for f in ("micro.png", "matcher.png", "macro.png") if (results / f).exists()]


# ---- the README table ---------------------------------------------------------------------------
def readme_table(data, summary, T, macro, matcher):
    m = data["machine"]
    s100, s0 = summary.get("100", {}), summary.get("0", {})
    L = []
    L.append("### Benchmarks (issue #5)")
    L.append("")
    L.append("Reproduce: `make bench` (about %d minutes; results in `bench/results/`: `micro.txt`, "
             "`macro.txt`, `profile.md`, JSON, charts)." % max(1, round(m["duration_s"] / 60)))
    L.append("")
    L.append("Machine: %s, %d vCPUs (%s guest), Linux %s, glibc %s, %s; %s, node %s, %s. Commit %s. "
             "Load average %.1f at start, %.1f at end: a shared VM on which other test suites ran "
             "at the same time, so timings carry that noise; instruction counts (exact, ptrace "
             "single-step: hardware counters are not exposed here) do not." % (
                 m["cpu"], m["cpus"], m["hypervisor"] or "bare", m["kernel"], m["glibc"], m["os"],
                 m["python"], m["node"], m["java"], m["commit"], m["load_start"][0], m["load_end"][0]))
    L.append("")
    L.append("Per call, 100-rule policy: fnshield's hook against libc's own function in the same process, "
             "alternating call by call (≥1M pairs for calls under ~5 µs); *added* is the median over "
             "batches of the trimmed mean of the pairwise differences, with its interquartile range.")
    L.append("")
    L.append("| call | libc ns | with fnshield ns | added ns [IQR] | added instructions | system calls (libc) |")
    L.append("| --- | ---: | ---: | ---: | ---: | --- |")
    rows = [("100", c) for c in ["open_short", "open_long", "open_rel", "open_write", "openat_abs",
                                 "openat_dirfd", "fopen", "exec_noexec", "mkstemp_einval", "connect_udp",
                                 "connect_tcp", "getaddrinfo", "listen", "close_bad", "read_null"]]
    rows += [("0", c) for c in ["open_missing", "open_short", "open_write", "mkstemp_einval", "connect_udp"]]
    for n, c in rows:
        s = summary.get(n, {}).get(c)
        if not s or "added_ns" not in s:
            continue
        label = s["what"].split(" [")[0] + (" — *0 rules*" if n == "0" else "")
        L.append("| %s | %.0f | %.0f | %.1f [%.1f, %.1f] | %s | %s (%s) |" % (
            label.replace("|", "\\|"), s["libc_ns"], s["hook_ns"], s["added_ns"], s["added_p25"], s["added_p75"],
            s.get("added_instructions", "–"), fmt_sys(s.get("hook_syscalls", {})),
            fmt_sys(s.get("libc_syscalls", {}))))
    L.append("")
    xc = data.get("icount_vs_callgrind") or {}
    if xc and "skipped" not in xc:
        L.append("Instruction counts come from `bench/icount` (ptrace single-stepping; this VM exposes no "
                 "hardware counters, and valgrind 3.19 cannot run openat2, fnshield's open path); checked "
                 "against callgrind where both can run: " + ", ".join(
                     "%s %s vs %s" % (c, v["icount_per_call"], v["callgrind_per_call"]) for c, v in xc.items()) +
                 " instructions per call (hook + libc).")
        L.append("")
    tx = tax_summary(data.get("tax", {}))
    if tx.get("on"):
        L.append("The seccomp backstop is paid by every system call of the process, hooked or not, and so "
                 "is on both sides above; measured before/after loading the library into one process: "
                 + ", ".join("%s %+.0f ns" % (n, v["added_ns"]) for n, v in tx["on"].items())
                 + " (with `FNSHIELD_SECCOMP=off`: "
                 + ", ".join("%s %+.0f ns" % (n, v["added_ns"]) for n, v in tx.get("off", {}).items()) + ").")
        L.append("")
    L.append("Matching alone (normalise + one DFA walk, no system call), ns per decision:")
    L.append("")
    L.append("| path | 10 rules | 100 rules | 1,000 rules | DFA states at 1,000 | compile at 10 / 100 / 1,000 |")
    L.append("| --- | ---: | ---: | ---: | ---: | --- |")
    by = {(r["rules"], r["probe"]): r for r in matcher}
    for probe in ("read_short", "read_long", "read_python", "write_short", "exec_short"):
        a, b, c = by.get((10, probe)), by.get((100, probe)), by.get((1000, probe))
        if a and b and c:
            L.append("| %s (%d bytes) | %.0f | %.0f | %.0f | %d | %.1f / %.1f / %.1f ms |" % (
                probe, a["path_len"], a["ns_median"], b["ns_median"], c["ns_median"], c["dfa_states"],
                a["compile_ms_median"], b["compile_ms_median"], c["compile_ms_median"]))
    L.append("")
    L.append("Whole programs (median of alternating rounds; ratio to the runtime alone, paired IQR):")
    L.append("")
    variants = ["fnshield", "fnshield100", "preload", "seccomp", "audit", "nodeperm"]
    names = {"fnshield": "fnshield", "fnshield100": "fnshield, 100 rules", "preload": "library only",
             "seccomp": "seccomp-bpf alone", "audit": "CPython audit hooks", "nodeperm": "Node permissions"}
    L.append("| workload | plain ms | " + " | ".join(names[v] for v in variants) + " |")
    L.append("| --- | ---: | " + " | ".join("---:" for _ in variants) + " |")
    for name, w in macro["workloads"].items():
        cells = []
        for v in variants:
            s = w["variants"].get(v)
            cells.append("%.1f ms ×%.3f [%.3f, %.3f]" % (s["median"], s["ratio_median"], s["ratio_paired_p25"],
                                                      s["ratio_paired_p75"]) if s else "–")
        L.append("| %s | %.1f | %s |" % (name, w["variants"]["plain"]["median"], " | ".join(cells)))
    L.append("")
    if all("cpu_ms_median" in w["variants"]["plain"] for w in macro["workloads"].values()):
        L.append("The same runs in CPU time (user + system of the workload's processes; what in-process "
                 "code adds, without the scheduling waits of a shared VM), paired ratio and IQR:")
        L.append("")
        L.append("| workload | plain CPU ms | " + " | ".join(names[v] for v in variants) + " |")
        L.append("| --- | ---: | " + " | ".join("---:" for _ in variants) + " |")
        for name, w in macro["workloads"].items():
            cells = []
            for v in variants:
                s = w["variants"].get(v)
                cells.append("×%.3f [%.3f, %.3f]" % (s["cpu_ratio_paired_median"], s["cpu_ratio_paired_p25"],
                                                     s["cpu_ratio_paired_p75"]) if s else "–")
            L.append("| %s | %.1f | %s |" % (name, w["variants"]["plain"]["cpu_ms_median"], " | ".join(cells)))
        L.append("")
    L.append("Targets (a verdict is *met* when the whole interquartile interval is within the limit, "
             "*missed* when all of it is past it, *unresolved* when this machine's noise straddles it):")
    L.append("")
    L.append(targets_summary(T))
    return "\n".join(L)


def write_all(results, data, log=print):
    results = Path(results)
    summary = summarise_micro(data["micro"])
    attach_counts(summary, data["counts"])
    T = evaluate(summary, data["matcher"], data["macro"])
    tx = tax_summary(data.get("tax", {}))
    micro_json = {"machine": data["machine"], "quick": data["quick"], "policies_rules": data["policies"],
                  "method": __doc__.strip(), "violations_logged": data["micro_violations"],
                  "summary": summary,
                  "matcher": [{k: v for k, v in r.items() if k != "ns_batches"} for r in data["matcher"]], "seccomp_backstop_tax": tx,
                  "icount_vs_callgrind": data.get("icount_vs_callgrind"),
                  "targets": T, "raw": "micro-raw.json"}
    (results / "micro.json").write_text(json.dumps(micro_json, indent=1) + "\n")
    # every batch of every case (and of every matcher probe), one record per line
    recs = [dict(d, kind="micro") for d in data["micro"]] + [dict(r, kind="matcher") for r in data["matcher"]]
    (results / "micro-raw.json").write_text("[\n" + ",\n".join(json.dumps(d) for d in recs) + "\n]\n")
    (results / "macro.json").write_text(json.dumps({"machine": data["machine"], **data["macro"]}, indent=1,
                                                   default=str) + "\n")
    (results / "profile.json").write_text(json.dumps(data["profiles"], indent=1) + "\n")
    (results / "profile.md").write_text(profile_md(data["profiles"], summary) + "\n")
    txt = ["fnshield micro benchmarks — %s" % data["machine"]["cpu"], "",
           "hook vs libc in one process, call by call; added = median over batches of the trimmed mean "
           "of pairwise differences; +instr = exact user-space instructions added per call",
           micro_table(summary), "", "matching alone (bench/matcher.c):", matcher_table(data["matcher"]), "",
           ]
    txt += ["", "the seccomp backstop's cost per raw system call (same process, before/after dlopen of the "
            "library; ns, median over runs):"]
    for k, per in tx.items():
        txt.append("  backstop %-4s " % k + "  ".join("%s %+.1f %s" % (n, v["added_ns"], v["runs"]) for n, v in per.items()))
    txt += ["", "violation lines logged during the runs: %d (must be 0)" % data["micro_violations"], "",
            "targets:", targets_table(T)]
    (results / "micro.txt").write_text("\n".join(txt) + "\n")
    (results / "targets.json").write_text(json.dumps(T, indent=1) + "\n")
    (results / "macro.txt").write_text(macro_table(data["macro"]))
    pngs = charts(results, summary, data["matcher"], data["macro"], log)
    (results / "README-table.md").write_text(readme_table(data, summary, T, data["macro"], data["matcher"]) + "\n")
    print()
    print(micro_table({k: v for k, v in summary.items() if k in ("100", "0")}))
    print(macro_table(data["macro"]))
    print(targets_summary(T))
    count = {k: sum(t["verdict"] == k for t in T) for k in ("met", "missed", "unresolved")}
    log("targets: %(met)d met, %(missed)d missed, %(unresolved)d unresolved by noise" % count +
        "; charts: %s" % (", ".join(pngs) or "none"))
