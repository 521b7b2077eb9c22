"""Shared machinery of the fnshield integration suite: paths, running a command under the
shim, parsing its output, the test scenarios (targets + policies) and the checks of a case.

Imported by conftest.py and the test modules (pytest puts this directory on sys.path).
"""
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# FNSHIELD_BUILD_DIR points the suite at another build (e.g. `make BUILD=/tmp/b`); default <root>/build.
BUILD = Path(os.environ.get("FNSHIELD_BUILD_DIR") or ROOT / "build").resolve()
FNSHIELD = BUILD / "fnshield"
LIBRARY = BUILD / "libfnshield.so"
PROGRAMS = HERE / "programs"

PYTHON = "/usr/bin/python3"                 # Debian's real interpreter, never the pyenv shim
PYTHON_EXE = os.path.realpath(PYTHON)       # what /proc/self/exe says: /usr/bin/python3.11
NODE = "/usr/bin/node"
NODE_EXE = os.path.realpath(NODE)


def _resolve_tool(name):
    found = shutil.which(name, path="/usr/local/bin:/usr/bin:/bin")
    return os.path.realpath(found) if found else "/nonexistent/" + name


JAVA = _resolve_tool("java")
JAVAC = _resolve_tool("javac")
JAVA_EXE = JAVA
JAVA_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xshare:auto"]

# The PATH every protected program gets: no /bin (a symlink to /usr/bin on Debian), so that a
# PATH search finds `id` exactly once (/usr/local/bin/id does not exist) and a blocked exec is
# tried, and logged, exactly once.
TEST_PATH = "/usr/local/bin:/usr/bin"
EXEC_TARGET_RE = r"(/usr)?/bin/id"

ZLIB = "/usr/lib/x86_64-linux-gnu/libz.so.1"   # a real shared library to copy and dlopen

EX_CONFIG = 78
TIMEOUT = 30

TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

# The libc functions a violation line may name in "call", per category.
CALLS = {
    "exec": {"execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "execveat",
             "fexecve", "posix_spawn", "posix_spawnp", "system", "popen"},
    "read": {"open", "open64", "openat", "openat64", "__open_2", "__open64_2", "__openat_2",
             "__openat64_2", "fopen", "fopen64", "freopen", "freopen64", "openat2",
             "open_by_handle_at", "name_to_handle_at", "dlopen", "dlmopen"},
    "connect": {"connect", "sendto", "sendmsg", "sendmmsg"},
    "listen": {"bind", "listen"},
}
CALLS["write"] = CALLS["read"] | {"creat", "creat64", "truncate", "truncate64", "mkstemp",
                                  "mkstemp64", "mkostemp", "mkostemp64", "mkstemps", "mkstemps64",
                                  "mkostemps", "mkostemps64"}

BLOCK_ERRNO = {"exec": 13, "read": 13, "write": 13, "connect": 1, "listen": 1}
BLOCK_CODE = {13: "EACCES", 1: "EPERM"}


def artefacts_problem():
    """None when the shim is built; otherwise a sentence saying what is missing."""
    missing = [str(p) for p in (FNSHIELD, LIBRARY) if not p.exists()]
    if missing:
        return ("fnshield is not built: missing %s (run `make` in %s first)"
                % (", ".join(missing), ROOT))
    if not os.access(FNSHIELD, os.X_OK):
        return "%s is not executable" % FNSHIELD
    return None


def base_env(**extra):
    """A small, known environment: nothing of the caller's LD_PRELOAD, FNSHIELD_*, proxies."""
    env = {
        "PATH": TEST_PATH,
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


# --------------------------------------------------------------------------- output ------
@dataclass
class Result:
    cmd: list
    rc: int
    stdout: bytes
    stderr: bytes
    policy_text: Optional[str] = None
    env_shown: dict = field(default_factory=dict)
    results: list = field(default_factory=list)      # JSON objects printed on stdout
    violations: list = field(default_factory=list)   # "fnshield":"violation" lines (parsed)
    starts: list = field(default_factory=list)       # "fnshield":"start" lines
    errors: list = field(default_factory=list)       # "fnshield":"error" lines
    others: list = field(default_factory=list)       # fnshield lines of another kind
    broken: list = field(default_factory=list)       # lines mentioning fnshield that do not parse
    plain: list = field(default_factory=list)        # every other stderr line (text)
    raw_lines: list = field(default_factory=list)    # raw bytes of every fnshield JSON line

    def __iter__(self):
        # rc, stdout results, violation lines, other stderr
        return iter((self.rc, self.results, self.violations, self.plain))

    @property
    def result(self):
        for r in self.results:
            if "ok" in r:
                return r
        return None

    @property
    def after(self):
        return any(r.get("after") is True for r in self.results)

    def explain(self):
        pol = self.policy_text
        if pol is not None and len(pol) > 1500:
            pol = pol[:1500] + "... (%d bytes)" % len(self.policy_text)
        return "\n".join([
            "",
            "---- command: %s" % " ".join(_show(c) for c in self.cmd),
            "---- env: %s" % json.dumps(self.env_shown),
            "---- policy: %s" % pol,
            "---- exit status: %s" % self.rc,
            "---- stdout:",
            self.stdout.decode("utf-8", "backslashreplace"),
            "---- stderr:",
            self.stderr.decode("utf-8", "backslashreplace"),
            "---- end",
        ])


def _show(c):
    if isinstance(c, bytes):
        c = c.decode("utf-8", "backslashreplace")
    c = str(c)
    return c if len(c) < 300 else c[:300] + "...(%d chars)" % len(c)


def parse_stdout(raw):
    out = []
    for line in raw.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def parse_stderr(raw, res):
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        obj = None
        if line.lstrip().startswith(b"{"):
            try:
                obj = json.loads(line.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                obj = None
        if isinstance(obj, dict) and "fnshield" in obj:
            res.raw_lines.append(line)
            kind = obj["fnshield"]
            {"violation": res.violations, "start": res.starts,
             "error": res.errors}.get(kind, res.others).append(obj)
        elif b"fnshield" in line and b"{" in line:
            res.broken.append(line.decode("utf-8", "backslashreplace"))
        else:
            res.plain.append(line.decode("utf-8", "backslashreplace"))


def execute(cmd, env, cwd=None, timeout=TIMEOUT, policy_text=None, env_shown=None):
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "TIMEOUT after %ss" % timeout, e.stdout or b"", e.stderr or b""
    res = Result(cmd=list(cmd), rc=rc, stdout=out, stderr=err, policy_text=policy_text,
                 env_shown=env_shown or {})
    res.results = parse_stdout(out)
    parse_stderr(err, res)
    return res


def policy_to_text(policy):
    if policy is None or isinstance(policy, str):
        return policy
    if isinstance(policy, bytes):
        return policy.decode("utf-8", "replace")
    return json.dumps(policy)


def run_cli(cmd, policy=None, mode=None, env_extra=None, cwd=None, timeout=TIMEOUT, policy_dir=None):
    """`build/fnshield run [--policy F] [--mode M] -- cmd`, stdout and stderr captured apart."""
    text = policy_to_text(policy)
    argv = [str(FNSHIELD), "run"]
    if text is not None:
        pfile = Path(policy_dir) / ("policy-%d.json" % _next_id())
        pfile.write_bytes(policy if isinstance(policy, bytes) else text.encode("utf-8"))
        argv += ["--policy", str(pfile)]
    if mode is not None:
        argv += ["--mode", mode]
    argv += ["--"] + [str(c) if not isinstance(c, bytes) else c for c in cmd]
    env = base_env(**(env_extra or {}))
    return execute(argv, env, cwd=cwd, timeout=timeout, policy_text=text,
                   env_shown={k: v for k, v in (env_extra or {}).items()})


def run_preload(cmd, env_extra, cwd=None, timeout=TIMEOUT):
    """The program started with LD_PRELOAD=build/libfnshield.so and the given FNSHIELD_* vars."""
    extra = dict(env_extra)
    extra["LD_PRELOAD"] = str(LIBRARY)
    env = base_env(**extra)
    shown = {k: (v if v is None or len(v) < 300 else v[:300] + "...") for k, v in extra.items()}
    return execute([str(c) for c in cmd], env, cwd=cwd, timeout=timeout,
                   policy_text=extra.get("FNSHIELD_POLICY"), env_shown=shown)


_counter = [0]


def _next_id():
    _counter[0] += 1
    return _counter[0]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- scenarios ---
@dataclass
class Scenario:
    kind: str
    category: str
    args: list
    policy_block: dict
    policy_allow: dict
    rule: str
    target: Optional[str] = None          # exact target
    target_re: Optional[str] = None       # or a full-match regex
    targets: tuple = ()                   # or one of these
    ip: Optional[str] = None
    port: Optional[int] = None
    host: Optional[str] = None


def pol(**cats):
    d = {"version": 1}
    d.update(cats)
    return d


def make_scenario(kind, tmp, servers):
    """Targets and policies for one case. tmp: a fresh directory (absolute, no symlinks)."""
    tmp = os.path.realpath(str(tmp))
    if kind == "exec":
        return Scenario(kind, "exec", [],
                        pol(exec={"default": "allow", "block": ["/usr/bin/id"]}),
                        pol(exec={"default": "allow", "block": ["/usr/bin/fnshield-no-such-program"]}),
                        rule="exec.block[0]", target_re=EXEC_TARGET_RE)
    if kind == "exec_link":
        # DIR/myid -> /usr/bin/id: a link to a blocked program is no way around the rule
        link = Path(tmp, "myid")
        if not link.is_symlink():
            link.symlink_to("/usr/bin/id")
        return Scenario(kind, "exec", [tmp],
                        pol(exec={"default": "allow", "block": ["/usr/bin/id"]}),
                        pol(exec={"default": "allow", "block": ["/usr/bin/fnshield-no-such-program"]}),
                        rule="exec.block[0]",
                        target_re="(%s|%s)" % (re.escape(tmp + "/myid"), EXEC_TARGET_RE))
    if kind == "exec_default":
        # every exec blocked by the default; the allowed variant allows the one program
        return Scenario(kind, "exec", [], pol(exec="block"),
                        pol(exec={"default": "block", "allow": ["/usr/bin/id"]}),
                        rule="exec.default", target_re=EXEC_TARGET_RE)
    if kind in ("read", "read_link", "read_dirlink"):
        Path(tmp, "secret.txt").write_text("s3cret\n")
        Path(tmp, "sub").mkdir(exist_ok=True)
        link = Path(tmp, "alias-link")
        if not link.is_symlink():
            link.symlink_to(Path(tmp, "secret.txt"))
        sc = Scenario(kind, "read", [tmp, "secret.txt"],
                      pol(read={"default": "allow", "block": [tmp + "/secret*"]}),
                      pol(read={"default": "allow", "block": [tmp + "/nomatch*"]}),
                      rule="read.block[0]", target=tmp + "/secret.txt")
        dlink = Path(tmp, "dirlink")
        if not dlink.is_symlink():
            dlink.symlink_to(tmp, target_is_directory=True)
        if kind == "read_link":
            # The rule is on the file, the program names the link: the shim reports the path
            # it resolved; accept the link's own spelling too.
            sc.target = None
            sc.targets = (tmp + "/secret.txt", tmp + "/alias-link")
        if kind == "read_dirlink":
            sc.target = None
            sc.targets = (tmp + "/secret.txt", tmp + "/dirlink/secret.txt")
        return sc
    if kind == "read_so":
        # a shared library under a read rule: dlopen opens (reads, maps) the file
        shutil.copyfile(ZLIB, Path(tmp, "secret-lib.so"))
        return Scenario(kind, "read", [tmp, "secret-lib.so"],
                        pol(read={"default": "allow", "block": [tmp + "/secret*"]}),
                        pol(read={"default": "allow", "block": [tmp + "/nomatch*"]}),
                        rule="read.block[0]", target=tmp + "/secret-lib.so")
    if kind in ("write", "create", "mkstemp"):
        name = "out.txt" if kind != "create" else "out-new.txt"
        if kind == "write":
            Path(tmp, name).write_text("old\n")
        sc = Scenario(kind, "write", [tmp, name],
                      pol(write={"default": "allow", "block": [tmp + "/out*"]}),
                      pol(write={"default": "allow", "block": [tmp + "/nomatch*"]}),
                      rule="write.block[0]", target=tmp + "/" + name)
        if kind == "mkstemp":
            sc.target, sc.target_re = None, re.escape(tmp + "/" + name) + "[A-Za-z0-9]{6}"
        return sc
    if kind == "connect_default":
        port = servers.tcp
        return Scenario(kind, "connect", [str(port)], pol(connect="block"),
                        pol(connect={"default": "block", "allow": ["127.0.0.1:%d" % port]}),
                        rule="connect.default", target="127.0.0.1:%d" % port,
                        ip="127.0.0.1", port=port)
    if kind == "connect_cidr":
        port = servers.tcp
        return Scenario(kind, "connect", [str(port)],
                        pol(connect={"default": "allow", "block": ["10.0.0.0/8", "127.0.0.0/8:%d" % port]}),
                        pol(connect={"default": "allow", "block": ["127.0.0.0/8:%d" % (port ^ 1)]}),
                        rule="connect.block[1]", target="127.0.0.1:%d" % port,
                        ip="127.0.0.1", port=port)
    if kind == "connect6":
        port = servers.tcp6
        return Scenario(kind, "connect", [str(port)],
                        pol(connect={"default": "allow", "block": ["[::1]:%d" % port]}),
                        pol(connect={"default": "allow", "block": ["[::1]:%d" % (port ^ 1)]}),
                        rule="connect.block[0]", target="[::1]:%d" % port, ip="::1", port=port)
    if kind in ("connect", "http", "udp", "connect_name"):
        port = {"connect": servers.tcp, "connect_name": servers.tcp,
                "http": servers.http, "udp": servers.udp}[kind]
        host = "localhost" if kind == "connect_name" else None
        pattern = "%s:%d" % (host or "127.0.0.1", port)
        return Scenario(kind, "connect", [str(port)],
                        pol(connect={"default": "allow", "block": [pattern]}),
                        pol(connect={"default": "allow", "block": ["192.0.2.1:9"]}),
                        rule="connect.block[0]", target=pattern,
                        ip="127.0.0.1", port=port, host=host)
    if kind == "listen":
        port = free_port()
        return Scenario(kind, "listen", [str(port)],
                        pol(listen={"default": "allow", "block": ["127.0.0.1:%d" % port]}),
                        pol(listen={"default": "allow", "block": ["127.0.0.1:1"]}),
                        rule="listen.block[0]", target="127.0.0.1:%d" % port,
                        ip="127.0.0.1", port=port)
    if kind == "listen_default":
        port = free_port()
        return Scenario(kind, "listen", [str(port)],
                        pol(listen="block"), pol(listen="allow"),
                        rule="listen.default", target="127.0.0.1:%d" % port,
                        ip="127.0.0.1", port=port)
    raise ValueError("unknown scenario kind %r" % kind)


# --------------------------------------------------------------------------- cases -------
@dataclass
class Case:
    """One row of a runtime's table."""
    name: str                  # the probe's case name
    kind: str                  # scenario kind (make_scenario)
    block: tuple               # what the blocked call looks like to the program (see check_block)
    same_process: bool = True  # the violation comes from the probe process itself
    exe: Optional[str] = None  # expected "exe" when not the probe's own runtime (None: any)
    call: Optional[set] = None  # expected "call" values, when the case pins it down

    @property
    def id(self):
        return self.name


def run_mode(mode):
    """(policy variant, --mode) for a test mode."""
    return {"alert": ("block", "alert"), "block": ("block", "block"),
            "allowed": ("allow", "block")}[mode]


def check_violation(v, sc, action, res, case, runtime_exe, ctx):
    assert v.get("fnshield") == "violation", ctx
    ts = v.get("timestamp")
    assert isinstance(ts, str) and TS_RE.match(ts), "bad timestamp %r%s" % (ts, ctx)
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - t).total_seconds()) < 300, "timestamp %s is not now (UTC %s)%s" % (ts, now, ctx)
    assert v.get("action") == action, "action %r, want %r%s" % (v.get("action"), action, ctx)
    assert v.get("level") == ("WARN" if action == "alert" else "ERROR"), "level %r%s" % (v.get("level"), ctx)
    assert v.get("category") == sc.category, "category %r, want %r%s" % (v.get("category"), sc.category, ctx)
    calls = case.call if case is not None and case.call else CALLS[sc.category]
    assert v.get("call") in calls, "call %r, want one of %s%s" % (v.get("call"), sorted(calls), ctx)
    tgt = v.get("target")
    if sc.target is not None:
        assert tgt == sc.target, "target %r, want %r%s" % (tgt, sc.target, ctx)
    elif sc.targets:
        assert tgt in sc.targets, "target %r, want one of %r%s" % (tgt, sc.targets, ctx)
    else:
        assert isinstance(tgt, str) and re.fullmatch(sc.target_re, tgt), \
            "target %r, want /%s/%s" % (tgt, sc.target_re, ctx)
    assert v.get("rule") == sc.rule, "rule %r, want %r%s" % (v.get("rule"), sc.rule, ctx)
    assert isinstance(v.get("pid"), int) and v["pid"] > 0, "pid %r%s" % (v.get("pid"), ctx)
    exe = v.get("exe")
    assert isinstance(exe, str) and exe.startswith("/"), "exe %r%s" % (exe, ctx)
    if sc.category == "exec":
        argv = v.get("argv")
        assert isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv), \
            "argv %r%s" % (argv, ctx)
        assert os.path.basename(argv[0]) == "id", "argv %r%s" % (argv, ctx)
    if sc.category in ("connect", "listen"):
        assert v.get("ip") == sc.ip, "ip %r, want %r%s" % (v.get("ip"), sc.ip, ctx)
        assert v.get("port") == sc.port, "port %r, want %r%s" % (v.get("port"), sc.port, ctx)
        if sc.host:
            assert v.get("host") == sc.host, "host %r, want %r%s" % (v.get("host"), sc.host, ctx)
    if case is not None:
        if case.same_process:
            assert res is not None and v["pid"] == res.get("pid"), \
                "pid %r, want the probe's %r%s" % (v["pid"], res and res.get("pid"), ctx)
            assert exe == runtime_exe, "exe %r, want %r%s" % (exe, runtime_exe, ctx)
        elif case.exe:
            assert exe == case.exe, "exe %r, want %r%s" % (exe, case.exe, ctx)


def check_block(res, sc, block, ctx):
    """block: ("errno",) Python OSError with the category's errno;
              ("cerrno",) a C call failing with the category's errno;
              ("fail",)  any failure;
              ("code",)  Node error.code EACCES/EPERM;
              ("rc", N)  a shell (or child) that exits N;
              ("java", CLASS_RE, MESSAGE_RE) an exception of a class matching CLASS_RE (and an
                         IOException), whose message matches MESSAGE_RE (None: any)."""
    want_errno = BLOCK_ERRNO[sc.category]
    assert res.get("ok") is False, "the blocked call succeeded%s" % ctx
    how = block[0]
    if how == "fail":
        pass  # the call failed; how it reports that is the runtime's business
    elif how == "cerrno":
        assert res.get("errno") == want_errno, \
            "want errno %d, got %r%s" % (want_errno, res, ctx)
    elif how == "errno":
        assert res.get("error") == "PermissionError" and res.get("errno") == want_errno, \
            "want PermissionError errno %d, got %r%s" % (want_errno, res, ctx)
    elif how == "code":
        want = BLOCK_CODE[want_errno]
        assert res.get("code") == want, "want error.code %s, got %r%s" % (want, res, ctx)
    elif how == "rc":
        assert res.get("rc") == block[1], "want exit status %d, got %r%s" % (block[1], res, ctx)
    elif how == "java":
        assert res.get("ioexception") is True, "want an IOException, got %r%s" % (res, ctx)
        assert re.fullmatch(block[1], res.get("error", "")), \
            "want exception /%s/, got %r%s" % (block[1], res, ctx)
        if block[2]:
            assert re.search(block[2], res.get("message", "")), \
                "want message /%s/, got %r%s" % (block[2], res, ctx)
    else:
        raise AssertionError("bad block spec %r" % (block,))


def check_run(r, sc, mode, case=None, runtime_exe=None):
    """The common checks of one table row in one mode."""
    ctx = r.explain()
    assert not r.broken, "fnshield lines that are not valid JSON: %r%s" % (r.broken, ctx)
    assert not r.errors, "fnshield error lines: %r%s" % (r.errors, ctx)
    assert r.rc == 0, "exit status %r (the probe always exits 0)%s" % (r.rc, ctx)
    res = r.result
    assert res is not None, "the probe printed no result line%s" % ctx
    assert r.after, "the probe did not carry on (no {\"after\":true})%s" % ctx
    if mode == "allowed":
        assert res.get("ok") is True, "the allowed call failed: %r%s" % (res, ctx)
        assert r.violations == [], "violations for an allowed call (false positive)%s" % ctx
        return res
    assert len(r.violations) == 1, "want exactly 1 violation line, got %d%s" % (len(r.violations), ctx)
    check_violation(r.violations[0], sc, mode, res, case, runtime_exe, ctx)
    if mode == "alert":
        assert res.get("ok") is True, "alert mode must let the call through: %r%s" % (res, ctx)
    else:
        check_block(res, sc, case.block, ctx)
    return res
