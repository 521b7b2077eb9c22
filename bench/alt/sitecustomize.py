"""The CPython audit-hook alternative: the same file, exec and connect rules as an fnshield
policy, enforced in Python with sys.addaudithook (PEP 578).

bench/macro.py runs python3 with PYTHONPATH=bench/alt (this file is then imported at start-up,
as any sitecustomize is) and FNB_AUDIT_POLICY=<an fnshield policy file>. The semantics follow
the fnshield README as far as Python can see: path globs (`*`, `?`, classes, `**` as whole
components) compiled per category into one regular expression per list; strictest list wins,
else the default; a path is checked as written (made absolute and normalised) and as the file it
really is (symbolic links resolved), the stricter result applies; mode "block" fails the call
with PermissionError. What it cannot see: anything not done through Python's own functions
(C extensions, ctypes, child processes that are not Python).
"""
import json
import os
import re
import sys


def _glob_re(pat):
    out, comps = [], pat.split("/")[1:]
    for c in comps:
        if c == "**":
            out.append(r"(?:/[^/]+)*")
            continue
        r, i = ["/"], 0
        while i < len(c):
            ch = c[i]
            if ch == "*":
                r.append(r"[^/]*")
            elif ch == "?":
                r.append(r"[^/]")
            elif ch == "[":
                j = c.find("]", i + 2)
                if j < 0:
                    r.append(r"\[")
                else:
                    body = c[i + 1:j]
                    neg = body[:1] == "!"
                    body = body[1:] if neg else body
                    r.append("[" + ("^/" if neg else "") + body.replace("\\", "\\\\") + "]")
                    i = j
            elif ch == "\\" and i + 1 < len(c):
                i += 1
                r.append(re.escape(c[i]))
            else:
                r.append(re.escape(ch))
            i += 1
        out.append("".join(r))
    return "".join(out) or "/"


ACTIONS = {"allow": 0, "alert": 1, "block": 2}


class _Category:
    def __init__(self, spec):
        if isinstance(spec, str):
            spec = {"default": spec}
        self.default = ACTIONS[spec.get("default", "allow")]
        self.lists = []
        for name in ("block", "alert", "allow"):
            pats = spec.get(name) or []
            if pats:
                self.lists.append((ACTIONS[name], re.compile("|".join("(?:%s)" % _glob_re(p) for p in pats))))
        self.constant = self.default if not self.lists else None

    def decide(self, path):
        for action, rx in self.lists:  # strictest first
            if rx.fullmatch(path):
                return action
        return self.default


def _install():
    src = os.environ.get("FNB_AUDIT_POLICY")
    if not src:
        return
    with open(src) as f:
        pol = json.load(f)
    block = (os.environ.get("FNSHIELD_MODE") or pol.get("mode", "alert")) == "block"
    cats = {c: _Category(pol[c]) for c in ("read", "write", "exec") if c in pol}
    for c in list(cats):
        if cats[c].constant == 0:
            del cats[c]  # unrestricted: no check at all
    read, write, exec_ = cats.get("read"), cats.get("write"), cats.get("exec")
    abspath, realpath, fspath = os.path.abspath, os.path.realpath, os.fspath
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def decide(cat, path, what):
        p = abspath(path)
        act = cat.decide(p)
        if act < 2:
            rp = realpath(p)
            if rp != p:
                act = max(act, cat.decide(rp))
        if act == 2 and block:
            raise PermissionError(13, "blocked by policy (%s)" % what, path)
        if act:
            sys.stderr.write('{"audit":"violation","category":"%s","target":%s}\n' % (what, json.dumps(p)))

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            if mode is None:
                is_write = bool(flags & WRITE_FLAGS)
            else:
                is_write = any(ch in mode for ch in "wax+")
            cat = write if is_write else read
            if cat is not None:
                decide(cat, fspath(path), "write" if is_write else "read")
        elif exec_ is not None and event in ("os.exec", "os.posix_spawn", "os.spawn", "subprocess.Popen",
                                             "os.system"):
            if event == "os.system":
                prog = "/bin/sh"
            elif event == "subprocess.Popen":
                exe, argv = args[0], args[1]
                prog = exe or (argv if isinstance(argv, (str, bytes)) else argv[0])
            elif event == "os.spawn":
                prog = args[1]
            else:
                prog = args[0]
            prog = fspath(prog)
            if isinstance(prog, bytes):
                prog = os.fsdecode(prog)
            if "/" not in prog:
                import shutil
                prog = shutil.which(prog) or prog
            decide(exec_, prog, "exec")

    sys.addaudithook(hook)


_install()
