"""`fnshield explain` against the library (issue 10, SPEC v1.1 "Explaining a decision").

For hundreds of generated situations (differential.py: links to files and directories, dangling
links, chains, loops, `..`, `//` and `/./` spellings, relative paths with a working directory,
directory descriptors, PATH with empty, relative and missing entries, programs missing, not
executable or a directory, name and CIDR rules, IPv4-mapped IPv6, alert lists, the init phase,
both modes), the call is made for real under the preloaded library — by a C program
(programs/callprobe.c), and for a sample by Python, including CPython's own PATH search — and
`fnshield explain --json` is asked about the same call in the same setting. They must agree: a
line exactly when explain says one is logged, with the same action and rule, and the call's
errno the one explain says.
"""
import json
import os
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import differential
import support

# How many of each kind: the generator makes every combination, the test samples them (seeded).
SAMPLE = {"file": 420, "exec": 300, "net": 120}
WORKERS = 3


@pytest.fixture(scope="module")
def world(tmp_path_factory, built):
    d = os.path.realpath(tmp_path_factory.mktemp("diff"))
    tree = os.path.join(d, "t")
    os.makedirs(tree)
    differential.make_tree(tree)
    probe = os.path.join(d, "callprobe")
    p = subprocess.run(["gcc", "-O2", "-Wall", "-o", probe, str(support.PROGRAMS / "callprobe.c")],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    pol_dir = os.path.join(d, "policies")
    os.makedirs(pol_dir)
    return {"tree": tree, "probe": probe, "policies": pol_dir, "port": support.free_port()}


def policy_file(world, policy):
    text = json.dumps(dict({"version": 1}, **policy), sort_keys=True)
    path = os.path.join(world["policies"], "p%08x.json" % (hash(text) & 0xffffffff))
    if not os.path.exists(path):
        tmp = "%s.%d.%d" % (path, os.getpid(), threading.get_ident())
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    return path


def env_of(s, extra=None):
    env = support.base_env(PATH=s.path_env)
    if s.init:
        env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:9"   # nothing there: init lasts the whole run
    env.update(extra or {})
    return env


def explain(world, s):
    cmd = [str(support.FNSHIELD), "explain", "--json", "--policy", policy_file(world, s.policy),
           "--mode", s.mode] + (["--init"] if s.init else []) + s.explain_args
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=s.cwd, env=env_of(s), timeout=30)
    assert p.returncode == 0, "explain failed: %s\n%s%s" % (cmd, p.stdout, p.stderr)
    return json.loads(p.stdout)


def library(world, s, cmd):
    """Run cmd (its arguments end with the situation's probe arguments) under the library. A
    directory descriptor is opened here and inherited: the program's own opening of it would
    be judged by the policy too."""
    env = env_of(s, {"LD_PRELOAD": str(support.LIBRARY), "FNSHIELD_MODE": s.mode,
                     "FNSHIELD_POLICY_FILE": policy_file(world, s.policy)})
    fds = ()
    if s.dirfd:
        fd = os.open(s.dirfd, os.O_PATH | os.O_DIRECTORY)
        fds = (fd,)
        cmd = [("fd:%d" % fd if a == s.dirfd else a) for a in cmd]
    try:
        p = subprocess.run(cmd, capture_output=True, cwd=s.cwd, env=env, timeout=30, pass_fds=fds)
    finally:
        for fd in fds:
            os.close(fd)
    r = support.Result(cmd=cmd, rc=p.returncode, stdout=p.stdout, stderr=p.stderr)
    support.parse_stderr(p.stderr, r)
    # Only the situation's own call: an interpreter's start-up (imports under a read policy
    # that blocks by default) makes calls of its own, outside the tree.
    tree = world["tree"]
    if s.category in ("read", "write"):
        r.violations = [v for v in r.violations if v["category"] == s.category and (
            v["target"].startswith(tree) or v.get("resolved", "").startswith(tree))]
    return r, support.parse_stdout(p.stdout)


def disagreement(s, e, r, out):
    """Why explain (e) and the library (r: its lines, out: what the call returned) disagree, or
    None."""
    got = out[-1]["errno"] if out else "no result (exit %d)" % r.rc
    if r.errors or r.broken:
        return "the library wrote error or broken lines"
    if e["logged"] != bool(r.violations):
        return "explain says logged=%s, the library wrote %d lines" % (e["logged"], len(r.violations))
    if len(r.violations) > 1:
        return "the library wrote %d lines for one call" % len(r.violations)
    if r.violations:
        v = r.violations[0]
        if (v["action"], v["rule"]) != (e["action"], e["rule"]):
            return "explain says %s by %s, the library %s by %s" % (e["action"], e["rule"], v["action"], v["rule"])
    if e["outcome"] in ("refused", "fails") and got != e["errno"]:
        return "explain says %s with %s, the call got %s" % (e["outcome"], e["errno"], got)
    if e["outcome"] == "proceeds" and got in ("EACCES", "EPERM") and not (
            s.kind == "exec" and e.get("program") is None):
        return "explain says the call proceeds, it failed with %s" % got
    if e["outcome"] == "proceeds" and s.kind == "exec" and got is not None:
        return "explain says the program runs, the exec failed with %s" % got
    return None


def tree_files(tree):
    return {os.path.join(dp, f) for dp, dn, fn in os.walk(tree) for f in fn + [x for x in dn if os.path.islink(os.path.join(dp, x))]}


def check_all(world, sits, runner, workers=WORKERS):
    """Each situation: explain, then the real call. A write may create a file (the tree's
    "new.txt" names): it is removed at once, and such situations run one at a time, so that
    every call meets the tree as it was made."""
    files = tree_files(world["tree"])

    def one(s):
        e = explain(world, s)
        r, out = runner(s)
        if s.category == "write":
            for f in tree_files(world["tree"]) - files:
                os.unlink(f)
        why = disagreement(s, e, r, out)
        return None if why is None else "%s\n  situation: %s\n  explain: %s\n  library lines: %s\n  result: %s" % (
            why, s.describe(), e, r.violations, out)
    with ThreadPoolExecutor(workers) as pool:
        failures = [f for f in pool.map(one, sits) if f]
    assert not failures, "%d of %d situations disagree; the first:\n%s" % (
        len(failures), len(sits), "\n\n".join(failures[:3]))


def situations(world, kind):
    return [s for s in differential.generate(world["tree"], world["port"], SAMPLE)
            if (s.kind in ("open", "fopen")) == (kind == "file") and (s.kind == "exec") == (kind == "exec")
            and (s.kind in ("connect", "listen")) == (kind == "net")]


@pytest.mark.parametrize("kind", ["file", "exec"])
def test_c_program_and_explain_agree(world, kind):
    sits = situations(world, kind)
    assert len(sits) >= 250
    check_all(world, sits, lambda s: library(world, s, [world["probe"]] + s.probe_args),
              workers=1 if kind == "file" else WORKERS)


def test_network_calls_agree(world):
    sits = situations(world, "net")
    assert len(sits) >= 100
    # binds of one port: one at a time
    for s in sits:
        check_all(world, [s], lambda s: library(world, s, [world["probe"]] + s.probe_args))


PY_CALL = r"""
import json, os, sys
kind, a = sys.argv[1], sys.argv[2:]
def say(e): print(json.dumps({"errno": e}))
try:
    if kind == "open":
        flags = os.O_WRONLY | os.O_CREAT if a[1] == "w" else os.O_RDONLY
        kw = {"dir_fd": int(a[2][3:])} if len(a) > 2 else {}
        os.close(os.open(a[0], flags, 0o644, **kw)); say(None)
    elif kind == "fopen":
        open(a[0], "w" if a[1] == "w" else "r").close(); say(None)
except OSError as e:
    import errno; say(errno.errorcode.get(e.errno, "EOTHER"))
"""


def test_python_and_explain_agree(world):
    """The same file situations (a sample), made by Python's os.open and open(). Not under a
    policy that blocks reads by default: the interpreter could not read its own modules."""
    sits = [s for s in situations(world, "file")
            if s.policy.get("read", {}).get("default") != "block"][:120]
    check_all(world, sits, lambda s: library(world, s, [support.PYTHON, "-c", PY_CALL] + s.probe_args),
              workers=1)


PY_SEARCH = r"""
import json, subprocess, sys
try:
    subprocess.run([sys.argv[1]], check=False)
    print(json.dumps({"errno": None}))
except OSError as e:
    import errno; print(json.dumps({"errno": errno.errorcode.get(e.errno, "EOTHER")}))
"""


@pytest.mark.parametrize("python", [support.PYTHON, "pyenv"])
def test_cpython_own_path_search(world, python):
    """CPython's subprocess searches PATH itself, one execve per candidate: each candidate is
    a call of its own, and explain (asked about each, as execve) says which fail by themselves,
    which are refused and logged, and which one runs. Together they give what CPython does."""
    if python == "pyenv":   # the interpreter itself, not pyenv's shim script
        python = subprocess.run(["python3", "-c", "import sys; print(sys.executable)"],
                                capture_output=True, text=True).stdout.strip()
        assert python and "shims" not in python, python
    d = world["tree"]
    sits = [s for s in differential.generate(d, world["port"]) if s.kind == "exec" and s.call == "execvp"]
    sits = sits[:: max(1, len(sits) // 60)]
    failures = []
    for s in sits:
        prog = s.target
        entries = s.path_env.split(":")
        lines, ran, first_err = [], False, None
        for entry in entries:
            cand = os.path.join(entry, prog) if entry else prog
            c = differential.Situation(kind="exec", category="exec", policy=s.policy, mode=s.mode, init=s.init,
                                       cwd=s.cwd, path_env=s.path_env, call="execve", target=cand,
                                       explain_args=["--call", "execve", "exec", cand])
            e = explain(world, c)
            if e["logged"]:
                lines.append((e["action"], e["rule"]))
            if e["outcome"] == "proceeds":
                ran = True
                break
            if e["errno"] not in ("ENOENT", "ENOTDIR") and first_err is None:
                first_err = e["errno"]
        want_errno = None if ran else (first_err or "ENOENT")
        r, out = library(world, s, [python, "-c", PY_SEARCH, prog])
        got_lines = [(v["action"], v["rule"]) for v in r.violations]
        got = out[-1]["errno"] if out else None
        if got_lines != lines or got != want_errno:
            failures.append("candidates of %s in PATH=%s (cwd %s, mode %s, init %s, policy %s): explain per "
                            "candidate says lines %s and errno %s; CPython %s got lines %s and errno %s" % (
                                prog, s.path_env, s.cwd, s.mode, s.init, s.policy, lines, want_errno, python,
                                got_lines, got))
    assert not failures, "%d of %d disagree; the first:\n%s" % (len(failures), len(sits), "\n".join(failures[:3]))
