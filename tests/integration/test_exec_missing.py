"""SPEC v1.1, "What a blocked call does": an exec that would fail anyway is not a violation.

An exec of a program that does not exist — including every candidate a runtime tries while it
searches PATH itself (CPython's subprocess, the JDK's jspawnhelper, libuv, dash) — fails with the
C library's own ENOENT/ENOTDIR, in both modes, and logs nothing; a directory or a file that is not
executable fails with EACCES as the kernel says it, and logs nothing either. An existing program
the policy blocks fails with EACCES and exactly one line (block) or runs with exactly one alert
line (alert). Deciding that a program is missing leaves no window in which a file created after
the check runs unchecked (test_exec_race_*).

Policies: exec default block, /bin/echo and /usr/bin/echo allowed (plus the shell for system,
popen, os.system and execSync), with variants that put an alert or block list on directories made
in the test's tmp dir. Every case runs in both modes.

Programs: programs/execmiss.c (each glibc entry point, syscall(SYS_execve) included),
programs/execrace.c (exec racing file creation), programs/ExecMissing.java (ProcessBuilder), and
small inline Python and Node.js scripts.
"""
import json
import os
import re
import shutil
import subprocess
from types import SimpleNamespace

import pytest

import support

MODES = ["alert", "block"]
ECHO = ["/bin/echo", "/usr/bin/echo"]
SHELL = ["/bin/sh", "/usr/bin/sh", "/usr/bin/dash"]
FULL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MISSING = "fnshield-nosuchcmd"
TRUE_RE = r"(/usr)?/bin/true"
ENOENT, ENOTDIR, EACCES = 2, 20, 13
DASH = "/usr/bin/dash"


def exec_policy(allow=(), alert=(), block=(), default="block"):
    e = {"default": default, "allow": list(ECHO) + list(allow)}
    if alert:
        e["alert"] = list(alert)
    if block:
        e["block"] = list(block)
    return {"version": 1, "exec": e}


POLICY = exec_policy()
POLICY_SH = exec_policy(allow=SHELL)


def _pyenv_python():
    """The pyenv interpreter `python3` on PATH stands for (its shim is a bash script)."""
    try:
        p = subprocess.run(["pyenv", "which", "python3"], capture_output=True, text=True, timeout=30)
        if p.returncode == 0 and p.stdout.strip():
            return os.path.realpath(p.stdout.strip())
    except OSError:
        pass
    found = shutil.which("python3")
    return os.path.realpath(found) if found else "/nonexistent/python3"


PYTHONS = {"pyenv": _pyenv_python(), "debian": support.PYTHON}


# ------------------------------------------------------------------------------ checks ----
def n_lines(r):
    """Violations the run stands for (a repeat line counts for "count")."""
    return sum(v.get("count", 1) if v.get("repeated") else 1 for v in r.violations)


def clean(r):
    ctx = r.explain()
    assert not r.broken, "fnshield lines that are not valid JSON: %r%s" % (r.broken, ctx)
    assert not r.errors, "fnshield error lines: %r%s" % (r.errors, ctx)
    assert r.rc == 0, "exit status %r%s" % (r.rc, ctx)
    assert r.result is not None, "no result line%s" % ctx
    assert r.after, "the program did not carry on%s" % ctx
    return ctx


def quiet(r, why):
    ctx = r.explain()
    assert r.violations == [], "%s: want no violation line, got %d%s" % (why, len(r.violations), ctx)


def one_line(r, action, target_re, exe=None, call=None):
    ctx = r.explain()
    assert n_lines(r) == 1, "want exactly 1 violation line (%s), got %d%s" % (action, n_lines(r), ctx)
    v = r.violations[0]
    assert v.get("action") == action, "action %r, want %r%s" % (v.get("action"), action, ctx)
    assert v.get("category") == "exec", ctx
    assert v.get("call") in support.CALLS["exec"] | {"syscall"}, "call %r%s" % (v.get("call"), ctx)
    assert re.fullmatch(target_re, v.get("target", "")), \
        "target %r, want /%s/%s" % (v.get("target"), target_re, ctx)
    if call is not None:
        assert v.get("call") == call, "call %r, want %r%s" % (v.get("call"), call, ctx)
    if exe is not None:
        assert v.get("exe") == exe, "exe %r, want %r%s" % (v.get("exe"), exe, ctx)


# ------------------------------------------------------------------------------ builds ----
@pytest.fixture(scope="session")
def execmiss(cc):
    return os.path.realpath(cc("execmiss", (support.PROGRAMS / "execmiss.c").read_text()))


@pytest.fixture(scope="session")
def exec_missing_java(tmp_path_factory):
    out = tmp_path_factory.mktemp("java-execmissing")
    src = support.PROGRAMS / "ExecMissing.java"
    p = subprocess.run([support.JAVAC, "-d", str(out), str(src)], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        pytest.fail("javac %s failed (%s):\n%s%s" % (src, p.returncode, p.stdout, p.stderr),
                    pytrace=False)
    return str(out)


# ------------------------------------------------------------------- C entry points -------
PATH_CALLS = ["execve", "execv", "execl", "execle", "execveat", "execveat_empty", "fexecve",
              "syscall_execve", "posix_spawn"]
SEARCH_CALLS = ["execvp", "execvpe", "execlp", "posix_spawnp"]
SHELL_CALLS = ["system", "popen"]
CALLS = PATH_CALLS + SEARCH_CALLS + SHELL_CALLS


def _copy_exe(src, dst, mode=0o755):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    os.chmod(dst, mode)
    return dst


def situation(name, d):
    """What the call is given and what must come of it, for situation NAME in directory d.

    path: the program for the calls that take a path; search: for execvp & co; shell: the
    command line for system/popen; PATH (None: unset); policy; expect: "missing" (errno, shell
    127, no line), "eacces" (EACCES from the kernel, shell 126, no line), "allowed" (runs, no
    line), "blocked" (EACCES + one block line; alert mode: runs + one alert line), "alerted"
    (runs + one alert line in both modes); target: the regex of the line's target."""
    s = SimpleNamespace(path=MISSING, search=MISSING, shell=MISSING, PATH=support.TEST_PATH,
                        policy=POLICY_SH, expect="missing", errno=ENOENT, target=None)
    if name == "missing_abs":
        s.path = s.search = s.shell = "/nonexistent/" + MISSING
    elif name == "enotdir":
        s.path = s.search = s.shell = "/etc/passwd/x"
        s.errno = ENOTDIR
    elif name == "missing_bare":
        s.PATH = FULL_PATH
    elif name == "path_empty_entry":
        s.PATH = "/usr/local/bin::/usr/bin"
    elif name == "path_relative_entry":
        os.makedirs(d + "/rel/bin")
        s.PATH = "rel/bin:/usr/bin"
    elif name == "path_missing_dir":
        s.PATH = "/nonexistent/dir:%s/gone:/usr/bin" % d
    elif name == "path_file_entry":
        s.PATH = "/etc/passwd:/usr/bin"  # candidate /etc/passwd/NAME: ENOTDIR, then ENOENT
    elif name == "path_unset":
        s.PATH = None  # glibc's default /bin:/usr/bin (dash has its own)
    elif name == "alert_dir_missing":
        os.makedirs(d + "/alertbin")
        s.PATH = d + "/alertbin:/usr/bin"
        s.path = s.shell = d + "/alertbin/" + MISSING
        s.policy = exec_policy(allow=SHELL, alert=[d + "/alertbin/*"])
    elif name == "block_dir_missing":
        os.makedirs(d + "/blockbin")
        s.PATH = d + "/blockbin:/usr/bin"
        s.path = s.shell = d + "/blockbin/" + MISSING
        s.policy = exec_policy(allow=SHELL, block=[d + "/blockbin/*"], default="allow")
    elif name == "allowed":
        s.path, s.search, s.shell = "/usr/bin/echo", "echo", "/usr/bin/echo x"
        s.PATH, s.expect = FULL_PATH, "allowed"
    elif name == "allowed_after_missing_dirs":
        # echo found past a missing directory, an empty and a relative entry
        s.path, s.search, s.shell = "/usr/bin/echo", "echo", "/usr/bin/echo"
        s.PATH, s.expect = "/nonexistent:rel::/usr/bin", "allowed"
    elif name == "blocked":
        s.path, s.search, s.shell = "/usr/bin/true", "true", "/usr/bin/true"
        s.PATH, s.expect, s.target = FULL_PATH, "blocked", TRUE_RE
    elif name == "blocked_empty_entry":
        _copy_exe("/usr/bin/true", d + "/mytrue")
        s.path, s.search, s.shell = d + "/mytrue", "mytrue", "mytrue"
        s.PATH, s.expect, s.target = "/usr/local/bin::/usr/bin", "blocked", re.escape(d + "/mytrue")
    elif name == "alert_listed":
        _copy_exe("/usr/bin/true", d + "/alertbin/mytrue")
        s.path, s.search, s.shell = d + "/alertbin/mytrue", "mytrue", "mytrue"
        s.PATH = d + "/alertbin:/usr/bin"
        s.policy = exec_policy(allow=SHELL, alert=[d + "/alertbin/*"])
        s.expect, s.target = "alerted", re.escape(d + "/alertbin/mytrue")
    elif name == "directory":
        os.makedirs(d + "/dirbin/fnsdir")
        s.path, s.search, s.shell = d + "/dirbin/fnsdir", "fnsdir", d + "/dirbin/fnsdir"
        s.PATH, s.expect, s.errno = d + "/dirbin:/usr/bin", "eacces", EACCES
    elif name == "not_executable":
        _copy_exe("/usr/bin/true", d + "/nxbin/fnsplain", mode=0o644)
        s.path, s.search, s.shell = d + "/nxbin/fnsplain", "fnsplain", d + "/nxbin/fnsplain"
        s.PATH, s.expect, s.errno = d + "/nxbin:/usr/bin", "eacces", EACCES
    else:
        raise ValueError(name)
    return s


SITUATIONS = ["missing_abs", "enotdir", "missing_bare", "path_empty_entry", "path_relative_entry",
              "path_missing_dir", "path_file_entry", "path_unset", "alert_dir_missing",
              "block_dir_missing", "allowed", "allowed_after_missing_dirs", "blocked",
              "blocked_empty_entry", "alert_listed", "directory", "not_executable"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("sit", SITUATIONS)
def test_libc_exec_missing(sit, call, mode, run, case_dir, execmiss):
    d = case_dir
    s = situation(sit, d)
    kind = "shell" if call in SHELL_CALLS else "search" if call in SEARCH_CALLS else "path"
    prog = getattr(s, kind)
    r = run([execmiss, call, prog, "x"], s.policy, mode, env_extra={"PATH": s.PATH}, cwd=d)
    ctx = clean(r)
    res = r.result
    expect = s.expect
    if expect in ("missing", "eacces"):
        quiet(r, "%s does not run for a reason of its own" % prog)
        if kind == "shell":
            want = 127 if expect == "missing" else 126
            assert res == {"ok": True, "rc": want}, "want the shell's exit %d%s" % (want, ctx)
        else:
            want = s.errno
            if kind == "search" and sit == "path_file_entry":
                want = ENOENT  # the last candidate's error
            assert res.get("ok") is False and res.get("errno") == want, \
                "want errno %d (%s), got %r%s" % (want, os.strerror(want), res, ctx)
    elif expect == "allowed":
        assert res == {"ok": True, "rc": 0}, ctx
        quiet(r, "an allowed program")
    elif expect == "alerted" or (expect == "blocked" and mode == "alert"):
        assert res == {"ok": True, "rc": 0}, "an alerted program must run%s" % ctx
        one_line(r, "alert", s.target, exe=DASH if kind == "shell" else execmiss)
    else:
        if kind == "shell":
            assert res == {"ok": True, "rc": 126}, "want the shell's exit 126%s" % ctx
        else:
            assert res.get("ok") is False and res.get("errno") == EACCES, \
                "want EACCES, got %r%s" % (res, ctx)
        one_line(r, "block", s.target, exe=DASH if kind == "shell" else execmiss)


# ------------------------------------------------------------------------ the race ---------
MARKER_C = r"""
#include <fcntl.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int fd = argc > 1 ? open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644) : -1;
	if (fd >= 0) { (void)write(fd, "ran\n", 4); close(fd); }
	return 42;
}
"""


@pytest.mark.parametrize("mode", MODES)
def test_exec_race_with_file_creation(mode, run, cc, case_dir):
    """A thread creates and removes F (a copy of a program no rule allows) while the main thread
    execs F in forked children for 1.5 s. Block: F never runs — each exec is ENOENT (no line) or
    EACCES (one line). Alert: each run of F was logged."""
    race = cc("execrace", (support.PROGRAMS / "execrace.c").read_text())
    victim_src = cc("racemarker", MARKER_C)
    d = case_dir
    os.makedirs(d + "/racebin")
    target, marker = d + "/racebin/victim", d + "/marker"
    r = run([race, target, victim_src, marker, "1500"], POLICY, mode, cwd=d, timeout=60)
    ctx = r.explain()
    assert r.rc == 0 and not r.errors and not r.broken, ctx
    assert len(r.results) == 1, ctx
    res = r.results[0]
    ctx += "\n---- outcome: %r" % res
    assert res["tries"] > 20, "too few tries%s" % ctx
    assert res["other"] == 0, "execs failing otherwise than ENOENT/EACCES%s" % ctx
    for v in r.violations:
        assert v.get("target") == target and v.get("action") == mode, ctx
    if mode == "block":
        assert res["ran"] == 0 and not os.path.exists(marker), \
            "a program no rule allows ran (created after the check?)%s" % ctx
        assert n_lines(r) == res["eacces"], \
            "want one line per EACCES (%d) and none per ENOENT, got %d%s" % (res["eacces"], n_lines(r), ctx)
    else:
        assert res["eacces"] == 0, ctx
        assert n_lines(r) >= res["ran"], "runs of F that were not logged%s" % ctx
        assert n_lines(r) <= res["ran"] + res["enoent"], ctx


# --------------------------------------------------------------------------- CPython -------
PY_PROBE = r"""
import json, os, subprocess, sys

def run(argv, **kw):
    try:
        p = subprocess.run(argv, stdout=subprocess.DEVNULL, **kw)
        return {"ok": True, "rc": p.returncode}
    except OSError as e:
        return {"ok": False, "error": type(e).__name__, "errno": e.errno}

def child_execvp(name):
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            os.execvp(name, [name, "x"])
        except OSError as e:
            os._exit(100 + e.errno)
        os._exit(99)
    _, st = os.waitpid(pid, 0)
    rc = os.waitstatus_to_exitcode(st)
    return {"ok": True, "rc": rc} if rc < 100 else {"ok": False, "errno": rc - 100}

case, arg = sys.argv[1], sys.argv[2]
if case == "run":
    out = run([arg, "x"])
elif case == "spawn":  # close_fds=False and a path with a slash: subprocess uses posix_spawn
    out = run([arg, "x"], close_fds=False)
elif case == "system":
    out = {"ok": True, "rc": os.waitstatus_to_exitcode(os.system(arg + " >/dev/null 2>&1"))}
elif case == "popen":
    f = os.popen(arg + " 2>/dev/null")
    f.read()
    st = f.close()
    out = {"ok": True, "rc": 0 if st is None else os.waitstatus_to_exitcode(st)}
elif case == "execvp":
    out = child_execvp(arg)
print(json.dumps(out))
print(json.dumps({"after": True}))
"""

# (case, argument, shell allowed, expectation): "quiet" = runs, no line; "missing" =
# FileNotFoundError / errno ENOENT / shell 127, no line; "blocked" = an existing program the policy
# blocks.
PY_CASES = [
    ("run", "echo", False, "quiet"),
    ("run", MISSING, False, "missing"),
    ("run", "/nonexistent/x", False, "missing"),
    ("run", "true", False, "blocked"),
    ("spawn", "/usr/bin/echo", False, "quiet"),
    ("spawn", "/nonexistent/x", False, "missing"),
    ("spawn", "/usr/bin/true", False, "blocked"),
    ("system", MISSING, True, "missing"),
    ("system", "/usr/bin/echo", True, "quiet"),
    ("popen", MISSING, True, "missing"),
    ("popen", "/usr/bin/echo", True, "quiet"),
    ("execvp", "echo", False, "quiet"),
    ("execvp", MISSING, False, "missing"),
    ("execvp", "true", False, "blocked"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case,arg,sh,expect", PY_CASES,
                         ids=["%s-%s" % (c[0], c[1].strip("/").replace("/", "_")) for c in PY_CASES])
@pytest.mark.parametrize("python", sorted(PYTHONS))
def test_python_exec_missing(python, case, arg, sh, expect, mode, run):
    r = run([PYTHONS[python], "-c", PY_PROBE, case, arg], POLICY_SH if sh else POLICY, mode,
            env_extra={"PATH": FULL_PATH})
    ctx = clean(r)
    res = r.result
    shell = case in ("system", "popen")
    if expect == "quiet":
        assert res == {"ok": True, "rc": 0}, ctx
        quiet(r, "an allowed program found on PATH")
    elif expect == "missing":
        if shell:
            assert res == {"ok": True, "rc": 127}, ctx
        elif case == "execvp":
            assert res == {"ok": False, "errno": ENOENT}, ctx
        else:
            assert res == {"ok": False, "error": "FileNotFoundError", "errno": ENOENT}, ctx
        quiet(r, "a program that does not exist")
    elif mode == "alert":
        assert res == {"ok": True, "rc": 0}, ctx
        one_line(r, "alert", TRUE_RE, call="posix_spawn" if case == "spawn" else None)
    else:
        if case == "execvp":
            assert res == {"ok": False, "errno": EACCES}, ctx
        else:
            assert res == {"ok": False, "error": "PermissionError", "errno": EACCES}, ctx
        one_line(r, "block", TRUE_RE, call="posix_spawn" if case == "spawn" else None)


# --------------------------------------------------------------------------- Node.js -------
NODE_PROBE = r"""
const cp = require('child_process');
const [how, arg] = process.argv.slice(1);  // node -e: argv[1] is the first argument
let out;
if (how.startsWith('spawnSync')) {
  const opts = {stdio: 'ignore'};
  if (how === 'spawnSyncEnv') opts.env = Object.assign({}, process.env, {FNSHIELD_TEST_ENV: '1'});
  const r = cp.spawnSync(arg, ['x'], opts);
  out = r.error ? {ok: false, code: r.error.code, errno: r.error.errno} : {ok: true, rc: r.status};
} else {
  try {
    cp.execSync(arg + ' x', {stdio: 'ignore'});
    out = {ok: true, rc: 0};
  } catch (e) {
    out = e.status !== null && e.status !== undefined ? {ok: true, rc: e.status}
                                                     : {ok: false, code: e.code};
  }
}
console.log(JSON.stringify(out));
console.log(JSON.stringify({after: true}));
"""

NODE_CASES = [
    ("spawnSync", "echo", False, "quiet"),
    ("spawnSync", MISSING, False, "missing"),
    ("spawnSync", "/nonexistent/x", False, "missing"),
    ("spawnSync", "true", False, "blocked"),
    ("spawnSyncEnv", "echo", False, "quiet"),
    ("spawnSyncEnv", MISSING, False, "missing"),
    ("spawnSyncEnv", "true", False, "blocked"),
    ("execSync", MISSING, True, "missing"),
    ("execSync", "/usr/bin/echo", True, "quiet"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how,arg,sh,expect", NODE_CASES,
                         ids=["%s-%s" % (c[0], c[1].strip("/").replace("/", "_")) for c in NODE_CASES])
def test_node_exec_missing(how, arg, sh, expect, mode, run):
    r = run([support.NODE, "-e", NODE_PROBE, how, arg], POLICY_SH if sh else POLICY, mode,
            env_extra={"PATH": FULL_PATH})
    ctx = clean(r)
    res = r.result
    if expect == "quiet":
        assert res == {"ok": True, "rc": 0}, ctx
        quiet(r, "an allowed program found on PATH")
    elif expect == "missing":
        if how == "execSync":
            assert res == {"ok": True, "rc": 127}, "want the shell's own 'not found' (127)%s" % ctx
        else:
            assert res.get("ok") is False and res.get("code") == "ENOENT", ctx
        quiet(r, "a program that does not exist")
    elif mode == "alert":
        assert res == {"ok": True, "rc": 0}, ctx
        one_line(r, "alert", TRUE_RE)
    else:
        assert res.get("ok") is False and res.get("code") == "EACCES", ctx
        one_line(r, "block", TRUE_RE)


# ------------------------------------------------------------------------------ Java -------
JAVA_CASES = [("echo", "quiet"), (MISSING, "missing"), ("/nonexistent/x", "missing"),
              ("true", "blocked")]


# env: the inherited environment (jspawnhelper calls execvp) or a modified one (jspawnhelper
# tries execve on each PATH entry itself).
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("prog,expect", JAVA_CASES, ids=[c[0].strip("/").replace("/", "_") for c in JAVA_CASES])
@pytest.mark.parametrize("env", ["inherit", "modified"])
def test_java_exec_missing(env, prog, expect, mode, run, exec_missing_java):
    cmd = [support.JAVA] + support.JAVA_FLAGS + ["-cp", exec_missing_java, "ExecMissing"]
    cmd += (["--env"] if env == "modified" else []) + [prog, "x"]
    r = run(cmd, POLICY, mode, env_extra={"PATH": FULL_PATH}, timeout=60)
    ctx = clean(r)
    res = r.result
    if expect == "quiet":
        assert res == {"ok": True, "rc": 0}, ctx
        quiet(r, "an allowed program found on PATH")
    elif expect == "missing":
        assert res.get("ioexception") is True, ctx
        assert "error=2, No such file or directory" in res.get("message", ""), ctx
        quiet(r, "a program that does not exist")
    elif mode == "alert":
        assert res == {"ok": True, "rc": 0}, ctx
        one_line(r, "alert", TRUE_RE)
    else:
        assert res.get("ioexception") is True, ctx
        assert "error=13, Permission denied" in res.get("message", ""), ctx
        one_line(r, "block", TRUE_RE)
