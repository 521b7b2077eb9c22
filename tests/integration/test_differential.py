"""Differential test (issue 10): `fnshield explain --json` against the library's real decision.

For each generated situation (difftest_gen.py: hundreds, seeded), the same call is
  1. put to `fnshield explain --json` (working directory, PATH, phase, mode as the call's), and
  2. really made under LD_PRELOAD=libfnshield.so, by the C probe (programs/diffprobe.c) or by
     CPython (programs/diffprobe.py), one process per situation, each in a fresh tree;
and the answers must agree:
  - explain's "logged" <=> exactly one violation line between the probe's markers;
  - when logged: "action" and "rule" equal the line's;
  - explain says "refused"/"fails": the call failed with explain's "errno";
  - exec: the program explain names ("program") is the file that ran (the tree's programs are
    copies of the C probe, which report their /proc/self/exe);
  - explain says "proceeds": the call did not fail with EACCES/EPERM, nor with ENOENT/ENOTDIR
    (which explain reports as "fails"); it may fail after the check for a reason of its own
    (EISDIR for a write to a directory, ECONNREFUSED).

The contract relied on (explain's side):
  fnshield explain --json --policy FILE --mode alert|block [--init] [--ip ADDR] [--call NAME]
                   [--dirfd DIR] CATEGORY TARGET
  prints one JSON line with "outcome" (proceeds|refused|fails), "action", "rule", "logged",
  "errno" (a name or null), exit status 0; the facts come from explain's own cwd and PATH.

A mismatch prints everything needed to reproduce it by hand (tree, policy, cwd, environment,
both command lines, both answers). DIFFTEST_SEED / DIFFTEST_C / DIFFTEST_PY change the seed and
the numbers of situations.
"""
import json
import os
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

import difftest_gen as gen
import support

PY_PROBE = str(support.PROGRAMS / "diffprobe.py")
LAMBDA_API = "127.0.0.1:9"   # nothing listens: under Lambda, the phase stays init all run long
MAX_SHOWN = 12               # mismatches printed in full
WORKERS = 4
PROCEEDS_NEVER = {"EACCES", "EPERM", "ENOENT", "ENOTDIR"}
BLOCK_ERRNO = {"exec": "EACCES", "read": "EACCES", "write": "EACCES", "connect": "EPERM",
               "listen": "EPERM"}


@pytest.fixture(scope="session")
def diffprobe(cc):
    return cc("diffprobe", (support.PROGRAMS / "diffprobe.c").read_text())


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(t, preload):
    env = {"HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    if t["path_env"] is not None:
        env["PATH"] = t["path_env"]
    if t["init"]:
        env["AWS_LAMBDA_RUNTIME_API"] = LAMBDA_API
    if preload:
        env.update(LD_PRELOAD=str(support.LIBRARY), FNSHIELD_POLICY_FILE=t["policy_file"],
                   FNSHIELD_MODE=t["mode"])
    return env


def probe_command(t, probe_exe):
    if t["lang"] == "c":
        return [probe_exe] + t["probe"]
    return [support.PYTHON, "-I", "-S", "-B", PY_PROBE] + t["probe"]


def parse_real(p):
    """The probe's answer: {"ok":..,"errno":..}, the violation lines between the markers, and
    anything else of fnshield's (error lines) or a broken run."""
    out = {"rc": p.returncode, "result": None, "lines": [], "problems": []}
    for line in p.stdout.decode(errors="replace").splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if "ok" in obj:
            out["result"] = obj
    inside = False
    for line in p.stderr.decode(errors="replace").splitlines():
        if line == "@@diff-begin":
            inside = True
            continue
        if line == "@@diff-end":
            inside = False
            continue
        if '"fnshield"' not in line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            out["problems"].append("unparsable fnshield line: %s" % line)
            continue
        if obj.get("fnshield") == "error":
            out["problems"].append("fnshield error line: %s" % line)
        elif obj.get("fnshield") == "violation" and inside:
            out["lines"].append(obj)
    if p.returncode != 0 or out["result"] is None:
        out["problems"].append("probe exited %s without a result" % p.returncode)
    return out


def run_situation(t, probe_exe):
    """Runs explain then the real call; returns (explain answer or None, real answer, texts)."""
    gen.build_tree(t["R"], probe_exe)
    with open(t["policy_file"], "w") as f:
        f.write(t["policy_text"])
    ecmd = [str(support.FNSHIELD)] + gen.explain_args(t)
    ep = subprocess.run(ecmd, cwd=t["cwd"], env=_env(t, False), capture_output=True,
                        timeout=support.TIMEOUT)
    answer = None
    lines = ep.stdout.decode(errors="replace").strip().splitlines()
    if ep.returncode == 0 and len(lines) == 1:
        try:
            answer = json.loads(lines[0])
        except ValueError:
            pass
    pcmd = probe_command(t, probe_exe)
    fds = ()
    if t["dirfd"]:
        # Opened here and handed down: the probe's own open of the directory would be judged
        # by the library too (as a read of the directory), which is not the call under test.
        fd = os.open(t["dirfd"], os.O_PATH | os.O_DIRECTORY)
        fds = (fd,)
        pcmd = [("@%d" % fd) if a == t["dirfd"] else a for a in pcmd]
    try:
        pp = subprocess.run(pcmd, cwd=t["cwd"], env=_env(t, True), capture_output=True,
                            timeout=support.TIMEOUT, pass_fds=fds)
    finally:
        for fd in fds:
            os.close(fd)
    real = parse_real(pp)
    texts = {"probe_exe": probe_exe, "explain_cmd": ecmd, "explain_rc": ep.returncode,
             "explain_out": ep.stdout.decode(errors="replace") + ep.stderr.decode(errors="replace"),
             "probe_cmd": pcmd, "probe_out": pp.stdout.decode(errors="replace"),
             "probe_err": pp.stderr.decode(errors="replace")}
    return answer, real, texts


def compare(t, answer, real):
    """The disagreements between explain's answer and the real call (empty: they agree)."""
    if answer is None:
        return ["explain gave no JSON answer"]
    bad = []
    lines = real["lines"]
    if answer.get("logged") is not (len(lines) >= 1) or len(lines) > 1:
        bad.append("logged: explain %s, library %d line(s)" % (answer.get("logged"), len(lines)))
    if len(lines) == 1 and answer.get("logged"):
        for k in ("action", "rule"):
            if answer.get(k) != lines[0].get(k):
                bad.append("%s: explain %r, library %r" % (k, answer.get(k), lines[0].get(k)))
    res = real["result"] or {}
    outcome = answer.get("outcome")
    failed = res.get("ok") is False
    if outcome in ("refused", "fails"):
        if not failed:
            bad.append("explain says %s (%s), the call succeeded" % (outcome, answer.get("errno")))
        elif res.get("errno") != answer.get("errno"):
            bad.append("errno: explain %s, the call %s" % (answer.get("errno"), res.get("errno")))
    elif outcome == "proceeds":
        # It may still fail after the check for a reason explain does not model (EISDIR for a
        # write to a directory, ECONNREFUSED), but not with a refusal nor with an error that
        # explain reports as "fails" (the program or the file is not there).
        if failed and res.get("errno") in PROCEEDS_NEVER:
            bad.append("explain says proceeds, the call failed with %s" % res.get("errno"))
    else:
        bad.append("explain's outcome %r is none of proceeds/refused/fails" % outcome)
    if t["category"] == "exec" and outcome == "proceeds" and res.get("ok"):
        bad += compare_program(t, answer.get("program"), res.get("ran"))
    return bad


def compare_program(t, program, ran):
    """Exec: the program explain says would run is the one that ran. The tree's programs say
    which file they are ("ran"); a program elsewhere (/usr/bin/true, the shell) says nothing.
    Where explain names no program (today: --dirfd), there is nothing to compare."""
    if not program:
        return []
    want = os.path.realpath(os.path.join(t["cwd"], program))
    if (want.startswith(t["R"] + "/") or ran) and want != ran:
        return ["program: explain %r (%s), the file that ran %s" % (program, want, ran)]
    return []


def describe(t, answer, real, texts, bad):
    env = _env(t, True)
    envtext = " ".join("%s=%s" % (k, _q(v)) for k, v in sorted(env.items()) if k not in ("HOME", "LANG", "LC_ALL"))
    return "\n".join([
        "==== situation %s (%s, seed %s): %s" % (t["id"], t["lang"], t.get("seed", "-"), "; ".join(bad)),
        "  tree:    python3 -c 'import sys; sys.path.insert(0, \"tests/integration\"); import difftest_gen; "
        "difftest_gen.build_tree(\"%s\", \"%s\")'   (an empty directory; the compiled probe)"
        % (t["R"], texts["probe_exe"]),
        "  policy:  %s   (%s)" % (t["policy_text"], t["policy_file"]),
        "  cwd:     %s" % t["cwd"],
        "  explain: (cd %s && env -i %s %s)" % (_q(t["cwd"]), " ".join(
            "%s=%s" % (k, _q(v)) for k, v in sorted(_env(t, False).items())),
            " ".join(_q(a) for a in texts["explain_cmd"])),
        "     ->    rc %s: %s" % (texts["explain_rc"], texts["explain_out"].strip()),
        "  real:    (cd %s && env -i %s %s%s)" % (
            _q(t["cwd"]), envtext,
            " ".join("@3" if a.startswith("@") else _q(a) for a in texts["probe_cmd"]),
            " 3<%s" % _q(t["dirfd"]) if t["dirfd"] else ""),
        "     ->    %s" % texts["probe_out"].strip(),
        "     stderr: %s" % texts["probe_err"].strip().replace("\n", "\n             "),
    ])


def _q(s):
    s = str(s)
    if s and all(c.isalnum() or c in "/._-:=,+@" for c in s):
        return s
    return "'" + s.replace("'", "'\\''") + "'"


@pytest.fixture(scope="session")
def outcomes(built, diffprobe, servers, tmp_path_factory):
    """Every generated situation, run: [(instantiated situation, explain answer, real, texts)]."""
    seed = int(os.environ.get("DIFFTEST_SEED", gen.SEED))
    situations = gen.generate(int(os.environ.get("DIFFTEST_C", 480)),
                              int(os.environ.get("DIFFTEST_PY", 120)), seed)
    base = tmp_path_factory.mktemp("difftest")
    closed = _free_port()
    todo = []
    for s in situations:
        root = os.path.realpath(base / ("s%03d" % s["id"]))
        os.makedirs(root)
        env = {"R": root, "P": servers.tcp, "P6": servers.tcp6, "C": closed,
               "L": _free_port() if s["category"] == "listen" else 0,
               "HERE": str(support.PROGRAMS)}
        t = gen.instantiate(s, env)
        t["R"], t["seed"] = root, seed
        t["policy_file"] = os.path.join(str(base), "policy-%03d.json" % s["id"])
        todo.append(t)

    def one(t):
        return (t,) + run_situation(t, diffprobe)
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(one, todo))


def test_library_side_is_sensible(outcomes):
    """The harness itself: every probe ran and answered, no configuration error, at most one
    line per call, a block line <=> the call refused with the category's errno."""
    bad = []
    for t, answer, real, texts in outcomes:
        why = list(real["problems"])
        lines, res = real["lines"], real["result"] or {}
        if len(lines) > 1:
            why.append("%d violation lines for one call" % len(lines))
        blocked = [ln for ln in lines if ln.get("action") == "block"]
        want = BLOCK_ERRNO[t["category"]]
        if blocked and res.get("errno") != want:
            why.append("a block line, but the call gave %s" % res)
        if lines and any(ln.get("category") != t["category"] for ln in lines):
            why.append("line of another category")
        if lines and t["mode"] == "alert" and lines[0].get("action") == "block":
            why.append("action block in mode alert")
        if t["category"] in ("connect", "listen") and res.get("errno") == "EPERM" and not blocked:
            why.append("EPERM without a block line")
        if why:
            bad.append(describe(t, answer, real, texts, why))
    assert not bad, "\n" + "\n".join(bad[:MAX_SHOWN]) + "\n%d situation(s) of %d" % (len(bad), len(outcomes))
    # The generated set covers what it should.
    kinds = {(t["category"], bool(real["lines"]), (real["result"] or {}).get("ok"))
             for t, _, real, _ in outcomes}
    for cat in ("exec", "read", "write", "connect", "listen"):
        assert (cat, True, False) in kinds, "no refused %s situation" % cat
        assert (cat, True, True) in kinds, "no logged-and-proceeding %s situation" % cat
        assert (cat, False, True) in kinds, "no silent %s situation" % cat


def test_explain_agrees_with_library(outcomes):
    bad = []
    for t, answer, real, texts in outcomes:
        why = compare(t, answer, real)
        if why:
            bad.append(describe(t, answer, real, texts, why))
    assert not bad, ("\n" + "\n".join(bad[:MAX_SHOWN]) +
                     "\n%d of %d situations disagree (first %d shown)" % (len(bad), len(outcomes), MAX_SHOWN))


def test_compare_sees_disagreements():
    """The comparison itself: each kind of disagreement is reported, agreement is not."""
    t = {"category": "read"}
    line = {"fnshield": "violation", "action": "block", "rule": "read.block[0]"}
    ok = {"outcome": "refused", "action": "block", "rule": "read.block[0]", "logged": True,
          "errno": "EACCES"}
    refused = {"result": {"ok": False, "errno": "EACCES"}, "lines": [line]}
    assert compare(t, ok, refused) == []
    assert compare(t, dict(ok, rule="read.default"), refused)
    assert compare(t, dict(ok, action="alert"), refused)
    assert compare(t, dict(ok, logged=False), refused)
    assert compare(t, dict(ok, errno="EPERM"), refused)
    assert compare(t, dict(ok, outcome="proceeds", errno=None), refused)
    assert compare(t, ok, {"result": {"ok": True}, "lines": [line]})
    assert compare(t, ok, dict(refused, lines=[line, line]))
    assert compare(t, ok, dict(refused, lines=[]))
    assert compare(t, None, refused)
    silent = {"outcome": "fails", "action": None, "rule": None, "logged": False, "errno": "ENOENT"}
    assert compare(t, silent, {"result": {"ok": False, "errno": "ENOENT"}, "lines": []}) == []
    assert compare(t, silent, {"result": {"ok": False, "errno": "ENOTDIR"}, "lines": []})
    allowed = {"outcome": "proceeds", "action": "allow", "rule": "connect.default", "logged": False,
               "errno": None}
    refusedconn = {"result": {"ok": False, "errno": "ECONNREFUSED"}, "lines": []}
    assert compare({"category": "connect"}, allowed, refusedconn) == []
    assert compare({"category": "read"}, dict(allowed, rule="read.default"),
                   {"result": {"ok": False, "errno": "ENOENT"}, "lines": []})
    assert compare({"category": "connect"}, allowed, {"result": {"ok": False, "errno": "EPERM"}, "lines": []})
    ex = {"category": "exec", "cwd": "/R/bin", "R": "/R"}
    runs = {"outcome": "proceeds", "action": "allow", "rule": "exec.default", "logged": False,
            "errno": None, "program": "/R/bin/tool"}
    assert compare(ex, runs, {"result": {"ok": True, "ran": "/R/bin/tool"}, "lines": []}) == []
    assert compare(ex, runs, {"result": {"ok": True, "ran": "/R/bin2/tool"}, "lines": []})
    assert compare(ex, dict(runs, program="tool"), {"result": {"ok": True, "ran": "/R/bin/tool"}, "lines": []}) == []
    assert compare(ex, dict(runs, program="/usr/bin/true"), {"result": {"ok": True, "ran": "/R/bin/tool"}, "lines": []})
    assert compare(ex, dict(runs, program="/usr/bin/true"), {"result": {"ok": True}, "lines": []}) == []


# ---------------------------------------------------------------- hand-computed ------------
# (situation template, expected real result): (logged action or None, rule or None, errno or None)
HAND = [
    # a block list over a directory: read refused, the rule names the list entry
    (dict(category="read", call="open", target="{R}/secret/key.txt", mode="block",
          policy={"version": 1, "read": {"default": "allow", "block": ["{R}/secret/**"]}},
          probe=["file", "open", "r", "{R}/secret/key.txt"]),
     ("block", "read.block[0]", "EACCES")),
    # mode alert: the same call proceeds, logged as alert
    (dict(category="read", call="open", target="{R}/secret/key.txt", mode="alert",
          policy={"version": 1, "read": {"default": "allow", "block": ["{R}/secret/**"]}},
          probe=["file", "open", "r", "{R}/secret/key.txt"]),
     ("alert", "read.block[0]", None)),
    # relative, with "..", from another working directory; the second list entry matches
    (dict(category="read", call="fopen", target="../secret/key.txt", mode="block", cwd="data",
          policy={"version": 1, "read": {"default": "allow", "block": ["/nowhere/*", "{R}/secret/*.txt"]}},
          probe=["file", "fopen", "r", "../secret/key.txt"]),
     ("block", "read.block[1]", "EACCES")),
    # a link whose own path is allowed, to a blocked file
    (dict(category="read", call="open", target="{R}/links/to_secret", mode="block",
          policy={"version": 1, "read": {"default": "allow", "block": ["{R}/secret/**"]}},
          probe=["file", "open", "r", "{R}/links/to_secret"]),
     ("block", "read.block[0]", "EACCES")),
    # a write through a dangling link is judged by its (missing) target
    (dict(category="write", call="open", target="{R}/links/dangling", mode="block",
          policy={"version": 1, "write": {"default": "allow", "block": ["{R}/secret/**"]}},
          probe=["file", "open", "w", "{R}/links/dangling"]),
     ("block", "write.block[0]", "EACCES")),
    # openat with a directory descriptor
    (dict(category="read", call="openat", target="key.txt", dirfd="{R}/secret", mode="block",
          policy={"version": 1, "read": {"default": "block", "allow": ["{R}/data/**"]}},
          probe=["file", "openat", "r", "key.txt", "{R}/secret"]),
     ("block", "read.default", "EACCES")),
    # /proc/self/mem is never written, whatever the write policy
    (dict(category="write", call="open", target="/proc/self/mem", mode="block",
          policy={"version": 1}, probe=["file", "open", "w", "/proc/self/mem"]),
     ("block", "write.protected", "EACCES")),
    # the init override applies in the init phase only
    (dict(category="read", call="open", target="{R}/data/a.txt", mode="block", init=True,
          policy={"version": 1, "init": {"read": {"default": "allow", "alert": ["{R}/data/*.txt"]}},
                  "read": {"default": "block"}},
          probe=["file", "open", "r", "{R}/data/a.txt"]),
     ("alert", "init.read.alert[0]", None)),
    (dict(category="read", call="open", target="{R}/data/a.txt", mode="block", init=False,
          policy={"version": 1, "init": {"read": {"default": "allow", "alert": ["{R}/data/*.txt"]}},
                  "read": {"default": "block"}},
          probe=["file", "open", "r", "{R}/data/a.txt"]),
     ("block", "read.default", "EACCES")),
    # exec: a program that is nowhere on PATH fails by itself, silently
    (dict(category="exec", call="execvp", target="nosuch", mode="block", path_env="{R}/bin:/nonexistent",
          policy={"version": 1, "exec": "block"}, probe=["exec", "execvp", "nosuch"]),
     (None, None, "ENOENT")),
    # exec: an empty PATH entry is the working directory
    (dict(category="exec", call="execvp", target="tool", mode="block", path_env="/nonexistent:", cwd="bin",
          policy={"version": 1, "exec": {"default": "allow", "block": ["{R}/bin/*"]}},
          probe=["exec", "execvp", "tool"]),
     ("block", "exec.block[0]", "EACCES")),
    # connect by name: an allowed name, silent
    (dict(category="connect", call="connect", target="localhost:{P}", ip="127.0.0.1", mode="block",
          policy={"version": 1, "connect": {"default": "block", "allow": ["localhost:{P}"]}},
          probe=["connect", "name", "localhost", "{P}"]),
     (None, None, None)),
    # an IPv4-mapped IPv6 address counts as IPv4
    (dict(category="connect", call="connect", target="[::ffff:127.0.0.1]:{P}", mode="block",
          policy={"version": 1, "connect": {"default": "allow", "block": ["127.0.0.0/8:{P}"]}},
          probe=["connect", "inet6", "::ffff:127.0.0.1", "{P}"]),
     ("block", "connect.block[0]", "EPERM")),
    (dict(category="listen", call="bind", target="127.0.0.1:{L}", mode="block",
          policy={"version": 1, "listen": {"default": "allow", "alert": ["127.0.0.0/8"]}},
          probe=["listen", "127.0.0.1", "{L}"]),
     ("alert", "listen.alert[0]", None)),
]


def test_hand_computed_expectations(built, diffprobe, servers, tmp_path):
    """The library side of the harness against answers worked out by hand (explain is not
    consulted here: this checks the harness and the library, whatever explain says)."""
    bad = []
    for i, (tmpl, (action, rule, err)) in enumerate(HAND):
        s = {"id": i, "lang": "c", "init": False, "cwd": "", "path_env": "/usr/bin", "dirfd": None,
             "ip": None}
        s.update(tmpl)
        root = os.path.realpath(tmp_path / ("h%02d" % i))
        os.makedirs(root)
        t = gen.instantiate(s, {"R": root, "P": servers.tcp, "P6": servers.tcp6,
                                "L": _free_port(), "HERE": str(support.PROGRAMS)})
        t["R"] = root
        t["policy_file"] = str(tmp_path / ("h%02d.json" % i))
        answer, real, texts = run_situation(t, diffprobe)
        res, lines = real["result"] or {}, real["lines"]
        why = list(real["problems"])
        got = (lines[0].get("action") if lines else None, lines[0].get("rule") if lines else None,
               None if res.get("ok") else res.get("errno"))
        if len(lines) > 1 or got != (action, rule, err):
            why.append("library gave %s, by hand %s" % (got, (action, rule, err)))
        if why:
            bad.append(describe(t, answer, real, texts, why))
    assert not bad, "\n" + "\n".join(bad)


# ---------------------------------------------------------------- a runtime's own PATH search
# CPython's subprocess (and the JDK's spawn helper, and libuv 1.53) search PATH themselves: one
# execve per candidate, going on past ENOENT, ENOTDIR and EACCES. Each candidate is a call of its
# own, and explain is asked about each as execve; together the answers say what CPython must
# see: a line for each candidate refused (or the one that runs, when it is alerted), none for a
# candidate that is not there, and the error CPython raises when none runs (the first that was
# not ENOENT/ENOTDIR, else the last one). A blocked program met twice in a row (the same file through
# two entries) is logged once.
PY_SEARCH = r"""
import errno, json, subprocess, sys
sys.stderr.write("@@diff-begin\n"); sys.stderr.flush()
try:
    subprocess.run([sys.argv[1]], stdout=subprocess.DEVNULL)
    res = {"ok": True}
except OSError as e:
    res = {"ok": False, "errno": errno.errorcode.get(e.errno, str(e.errno))}
sys.stderr.write("@@diff-end\n"); sys.stderr.flush()
print(json.dumps(res))
"""


def expected_search(t, prog):
    """(lines, errno) that CPython's own search must give, from explain asked per candidate."""
    entries = (t["path_env"] if t["path_env"] is not None else os.defpath).split(":")
    lines, first_err, last_refused, last_err = [], None, None, "ENOENT"
    for entry in entries:
        cand = os.path.join(entry, prog) if entry else prog
        c = dict(t, call="execve", target=cand, dirfd=None, ip=None)
        ep = subprocess.run([str(support.FNSHIELD)] + gen.explain_args(c), cwd=t["cwd"],
                            env=_env(t, False), capture_output=True, timeout=support.TIMEOUT)
        e = json.loads(ep.stdout)
        if e["outcome"] == "proceeds":
            if e["logged"]:
                lines.append((e["action"], e["rule"]))
            return lines, None
        if e["outcome"] == "refused":
            key = e.get("resolved") or e["target"]
            if key != last_refused:
                lines.append((e["action"], e["rule"]))
            last_refused = key
        if e["errno"] not in ("ENOENT", "ENOTDIR") and first_err is None:
            first_err = e["errno"]
        last_err = e["errno"]
    return lines, first_err or last_err


@pytest.mark.parametrize("python", ["debian", "pyenv"])
def test_cpython_own_path_search(built, servers, python, tmp_path):
    if python == "pyenv":   # the interpreter on PATH, itself (not pyenv's shim script)
        exe = subprocess.run(["python3", "-c", "import sys; print(sys.executable)"],
                             capture_output=True, text=True).stdout.strip()
        assert exe and "shims" not in exe, exe
    else:
        exe = support.PYTHON
    rng = gen.random.Random(gen.SEED + 1)
    bad = []
    for i in range(50):
        s = gen._base(rng, i, "py", "exec")
        s["cwd"] = rng.choice(gen.CWDS)
        entries = rng.sample(gen.PATH_ENTRIES, rng.choice([1, 2, 3]))
        if rng.random() < 0.2:
            entries.append("")
        s["path_env"] = ":".join(entries)
        prog = rng.choice(gen.EXEC_NAMES)
        root = os.path.realpath(tmp_path / ("s%02d" % i))
        os.makedirs(root)
        gen.build_tree(root)
        t = gen.instantiate(s, {"R": root, "HERE": str(support.PROGRAMS)})
        t["R"] = root
        t["policy_file"] = str(tmp_path / ("p%02d.json" % i))
        with open(t["policy_file"], "w") as f:
            f.write(t["policy_text"])
        want_lines, want_err = expected_search(t, prog)
        p = subprocess.run([exe, "-I", "-S", "-c", PY_SEARCH, prog], cwd=t["cwd"], env=_env(t, True),
                           capture_output=True, timeout=support.TIMEOUT)
        real = parse_real(p)
        got_lines = [(ln["action"], ln["rule"]) for ln in real["lines"]]
        res = real["result"] or {}
        got_err = None if res.get("ok") else res.get("errno")
        if real["problems"] or got_lines != want_lines or got_err != want_err:
            bad.append("%s in PATH=%s (cwd %s, mode %s, init %s, policy %s): explain per candidate "
                       "gives lines %s and error %s; %s gave lines %s and error %s %s" % (
                           prog, t["path_env"], t["cwd"], t["mode"], t["init"], t["policy_text"],
                           want_lines, want_err, exe, got_lines, got_err, real["problems"]))
    assert not bad, "%d of 50 disagree:\n%s" % (len(bad), "\n".join(bad[:5]))
