"""Flat instruction profiles from bench/icount's address histograms.

icount -p FILE writes, for every counted region, "region address count" lines and the
program's memory map ("map ..." lines, as /proc/PID/maps). This turns a region's histogram
into instructions per function (and, for the hottest addresses of fnshield's own code, per
source line via addr2line), so a missed target comes with where its instructions go.
"""
import bisect
import collections
import os
import subprocess


def _symbols(path):
    """[(start, end, name)] of an ELF file, sorted; from the full symbol table, else dynamic."""
    out = []
    for flags in (["--defined-only", "-S"], ["-D", "--defined-only", "-S"]):
        try:
            text = subprocess.run(["nm", "-C"] + flags + [path], capture_output=True, text=True,
                                  check=False).stdout
        except OSError:
            return []
        for line in text.splitlines():
            f = line.split(None, 3)
            if len(f) == 4 and f[2] in "tTwWiI":
                try:
                    start, size = int(f[0], 16), int(f[1], 16)
                except ValueError:
                    continue
                out.append((start, start + max(size, 1), f[3]))
        if out:
            break
    out.sort()
    return out


class Symbolizer:
    def __init__(self, maps):
        # file -> load base (start of its mapping with offset 0); executable ranges
        self.ranges = []
        bases = {}
        for m in maps:
            f = m.split()
            if len(f) < 6:
                continue
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            off, path = int(f[2], 16), f[5]
            if off == 0 and path not in bases:
                bases[path] = lo
            if "x" in f[1]:
                self.ranges.append((lo, hi, path))
        self.ranges.sort()
        self.bases = bases
        self.syms = {}

    def lookup(self, addr):
        """(object basename, function, offset in object file's address space)"""
        i = bisect.bisect_right(self.ranges, (addr, float("inf"), "")) - 1
        if i < 0 or not (self.ranges[i][0] <= addr < self.ranges[i][1]):
            return ("?", "0x%x" % addr, addr)
        path = self.ranges[i][2]
        rel = addr - self.bases.get(path, 0)
        if not path.startswith("/"):
            return (path, path, rel)
        if path not in self.syms:
            self.syms[path] = _symbols(path)
        syms = self.syms[path]
        j = bisect.bisect_right(syms, (rel, float("inf"), "")) - 1
        name = syms[j][2] if j >= 0 and syms[j][0] <= rel < syms[j][1] else "?+0x%x" % rel
        return (os.path.basename(path), name, rel)


def load(path):
    maps, regions = [], collections.defaultdict(dict)
    with open(path) as f:
        for line in f:
            if line.startswith("map "):
                maps.append(line[4:])
            else:
                r, a, c = line.split()
                regions[int(r)][int(a, 16)] = int(c)
    return maps, regions


def flat(path, region, calls, top=12, lines=8):
    """Per-function and per-line instruction counts (per call) of one region."""
    maps, regions = load(path)
    sym = Symbolizer(maps)
    hist = regions.get(region, {})
    total = sum(hist.values())
    by_fn = collections.Counter()
    by_addr = collections.Counter()
    objpath = {}
    for a, c in hist.items():
        obj, fn, rel = sym.lookup(a)
        by_fn[(obj, fn)] += c
        if obj.startswith("libfnshield"):
            by_addr[rel] += c
            objpath[obj] = next((r[2] for r in sym.ranges if os.path.basename(r[2]) == obj), None)
    funcs = [{"object": o, "function": f, "instructions_per_call": round(c / calls, 1),
              "share": round(c / total, 3) if total else 0}
             for (o, f), c in by_fn.most_common(top)]
    src = []
    lib = next(iter(objpath.values()), None)
    if lib and by_addr:
        # collapse to source lines
        addrs = list(by_addr)
        try:
            out = subprocess.run(["addr2line", "-a", "-e", lib, "-f", "-i", "-C"] + ["0x%x" % a for a in addrs],
                                 capture_output=True, text=True, check=False).stdout.splitlines()
        except OSError:
            out = []
        # "-a": each address's block starts with the address, then (function, file:line) pairs
        # from the innermost inlined function outwards; the innermost one is kept
        per_line = collections.Counter()
        k = 0
        while k < len(out):
            if not out[k].startswith("0x"):
                k += 1
                continue
            a = int(out[k], 16)
            if k + 2 < len(out) + 1 and k + 2 <= len(out) - 1 + 1:
                fn, loc = out[k + 1], out[k + 2] if k + 2 < len(out) else "?"
                per_line["%s %s" % (fn, loc.split("/")[-1].split(" ")[0])] += by_addr.get(a, 0)
            k += 3
        src = [{"line": l, "instructions_per_call": round(c / calls, 1)}
               for l, c in per_line.most_common(lines)]
    return {"instructions_per_call": round(total / calls, 1), "functions": funcs, "lines": src}
