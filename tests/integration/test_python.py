"""CPython 3.11 (/usr/bin/python3) under the shim: every category through the common APIs,
each in alert, block and allowed mode (see support.check_run for what each mode asserts)."""
import os

import pytest

import support
from support import Case

PROBE = str(support.PROGRAMS / "probe.py")
DASH = "/usr/bin/dash"          # /bin/sh on Debian, where a shell's exec is logged from

ERRNO = ("errno",)              # PermissionError, errno 13 (exec/read/write) or 1 (connect/listen)
SHELL = ("rc", 126)             # the shell could not run the program: exit 126

CASES = [
    # exec: the program is `id`, blocked as /usr/bin/id
    Case("subprocess_run_list", "exec", ERRNO, same_process=False, exe=support.PYTHON_EXE),
    Case("subprocess_run_shell", "exec", SHELL, same_process=False, exe=DASH),
    Case("subprocess_popen", "exec", ERRNO, same_process=False, exe=support.PYTHON_EXE),
    Case("subprocess_posix_spawn_path", "exec", ERRNO, same_process=False),
    Case("subprocess_preexec_fn", "exec", ERRNO, same_process=False, exe=support.PYTHON_EXE),
    Case("subprocess_envclear_sh", "exec", SHELL, same_process=False, exe=DASH),
    Case("os_system", "exec", SHELL, same_process=False, exe=DASH),
    Case("os_popen", "exec", SHELL, same_process=False, exe=DASH),
    Case("os_posix_spawn", "exec", ERRNO, same_process=False, call={"posix_spawn", "execve"}),
    Case("os_posix_spawnp", "exec", ERRNO, same_process=False, call={"posix_spawnp", "execve"}),
    Case("os_execv_fork", "exec", ERRNO, same_process=False, exe=support.PYTHON_EXE,
         call={"execv", "execve"}),
    Case("os_execvp_fork", "exec", ERRNO, same_process=False, exe=support.PYTHON_EXE),
    Case("execv_relative", "exec", ERRNO, same_process=False, exe=support.PYTHON_EXE),
    Case("execv_via_bin", "exec", ERRNO, same_process=False, exe=support.PYTHON_EXE),
    Case("execv_symlink", "exec_link", ERRNO, same_process=False, exe=support.PYTHON_EXE),
    Case("os_posix_spawn", "exec_default", ERRNO, same_process=False, call={"posix_spawn", "execve"}),
    # read: DIR/secret.txt, blocked as DIR/secret*
    Case("open_read", "read", ERRNO),
    Case("os_open_dirfd", "read", ERRNO),
    Case("open_opath", "read", ERRNO),
    Case("pathlib_read_text", "read", ERRNO),
    Case("chdir_relative", "read", ERRNO),
    Case("dotdot_path", "read", ERRNO),
    Case("symlink_read", "read_link", ERRNO),
    Case("symlink_dir_read", "read_dirlink", ERRNO),
    Case("ctypes_dlopen", "read_so", ("fail",)),
    Case("subprocess_envclear_child_read", "read", ERRNO, same_process=False, exe=support.PYTHON_EXE),
    # write: DIR/out.txt (exists) or DIR/out-new.txt (created), blocked as DIR/out*
    Case("open_write", "write", ERRNO),
    Case("open_append", "write", ERRNO),
    Case("pathlib_write_text", "write", ERRNO),
    Case("os_open_dirfd_write", "write", ERRNO),
    Case("open_rplus", "write", ERRNO),
    Case("open_create", "create", ERRNO),
    # connect: loopback servers started by the suite, blocked as 127.0.0.1:PORT
    Case("socket_create_connection", "connect", ERRNO, call={"connect"}),
    Case("connect_v4mapped", "connect", ERRNO, call={"connect"}),
    Case("connect_ipv6", "connect6", ERRNO, call={"connect"}),
    Case("socket_create_connection", "connect_cidr", ERRNO, call={"connect"}),
    Case("socket_create_connection", "connect_default", ERRNO, call={"connect"}),
    Case("connect_name", "connect_name", ERRNO, call={"connect"}),
    Case("urllib_urlopen", "http", ERRNO, call={"connect"}),
    Case("tcp_fastopen", "connect", ERRNO, call={"sendto"}),
    Case("udp_sendto", "udp", ERRNO, call={"sendto"}),
    # listen
    Case("socket_listen", "listen", ERRNO),
    Case("socket_listen", "listen_default", ERRNO),
    Case("udp_bind", "listen", ERRNO, call={"bind"}),
]


# kinds that reuse a probe case with another policy shape get a suffix in the test id
SUFFIX = {"listen_default": "-default", "exec_default": "-default", "connect_default": "-default",
          "connect_cidr": "-cidr"}


def _id(c):
    return c.name + SUFFIX.get(c.kind, "")


@pytest.mark.parametrize("mode", ["alert", "block", "allowed"])
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_python(case, mode, run, case_dir, servers):
    sc = support.make_scenario(case.kind, case_dir, servers)
    variant, cli_mode = support.run_mode(mode)
    policy = sc.policy_block if variant == "block" else sc.policy_allow
    r = run([support.PYTHON, PROBE, case.name] + sc.args, policy, cli_mode)
    res = support.check_run(r, sc, mode, case, support.PYTHON_EXE)
    if case.name in ("subprocess_envclear_child_read",) and mode != "allowed":
        # the line went to the preserved stderr, not into the child's stderr pipe
        assert "fnshield" not in res.get("child_stderr", ""), r.explain()


# ------------------------------------------------------------------ policy semantics ----------
# Driven through the Python probe: which rule decides, modes, shorthands, glob and address
# pattern semantics (SPEC "Policy language").
PROBE_ARGS = [support.PYTHON, PROBE]


def _read_run(run, case_dir, policy, mode, name="open_read", fname="secret.txt", env_extra=None):
    return run(PROBE_ARGS + [name, case_dir, fname], policy, mode, env_extra=env_extra)


def _one(r):
    ctx = r.explain()
    assert r.rc == 0 and r.after and not r.errors and not r.broken, ctx
    assert len(r.violations) == 1, "want 1 violation, got %d%s" % (len(r.violations), ctx)
    return r.violations[0], r.result, ctx


def test_alert_list_in_block_mode(run, case_dir, servers):
    """A pattern in the "alert" list logs and lets the call through, even in block mode."""
    support.make_scenario("read", case_dir, servers)
    pol = support.pol(read={"default": "allow", "alert": [case_dir + "/secret*"]})
    v, res, ctx = _one(_read_run(run, case_dir, pol, "block"))
    assert v["action"] == "alert" and v["level"] == "WARN" and v["rule"] == "read.alert[0]", ctx
    assert res["ok"] is True, ctx


def test_strictest_list_wins(run, case_dir, servers):
    support.make_scenario("read", case_dir, servers)
    pol = support.pol(read={"default": "allow", "allow": [case_dir + "/**"],
                            "alert": [case_dir + "/secret.txt"], "block": ["/nowhere/*", case_dir + "/*.txt"]})
    v, res, ctx = _one(_read_run(run, case_dir, pol, "block"))
    assert v["action"] == "block" and v["rule"] == "read.block[1]", ctx
    assert res["ok"] is False and res["errno"] == 13, ctx


def test_allow_list_beats_default(run, case_dir, servers):
    support.make_scenario("read", case_dir, servers)
    # a default of block would stop the interpreter's own start-up: use exec instead
    pol = support.pol(exec={"default": "block", "allow": ["/usr/bin/i?"]})
    r = run(PROBE_ARGS + ["os_posix_spawn"], pol, "block")
    assert r.rc == 0 and r.result["ok"] is True and r.violations == [] and not r.errors, r.explain()


@pytest.mark.parametrize("policy_mode,cli_mode,env_mode,want", [
    (None, None, None, "alert"),          # SPEC: mode defaults to alert
    ("block", None, None, "block"),       # the policy's own mode
    ("alert", None, None, "alert"),
    ("block", "alert", None, "alert"),    # FNSHIELD_MODE overrides the policy (--mode sets it)
    ("alert", "block", None, "block"),
    ("block", None, "alert", "alert"),    # ... and so does the variable itself
])
def test_mode_resolution(policy_mode, cli_mode, env_mode, want, run, case_dir, servers):
    sc = support.make_scenario("read", case_dir, servers)
    pol = dict(sc.policy_block)
    if policy_mode:
        pol["mode"] = policy_mode
    env = {"FNSHIELD_MODE": env_mode} if env_mode else None
    v, res, ctx = _one(_read_run(run, case_dir, pol, cli_mode, env_extra=env))
    assert v["action"] == want, ctx
    assert res["ok"] is (want == "alert"), ctx


def test_policy_from_environment_text(run_preload, case_dir, servers):
    """FNSHIELD_POLICY (JSON text) through LD_PRELOAD directly, without the CLI."""
    sc = support.make_scenario("read", case_dir, servers)
    import json
    r = run_preload(PROBE_ARGS + ["open_read", case_dir, "secret.txt"],
                    {"FNSHIELD_POLICY": json.dumps(sc.policy_block), "FNSHIELD_MODE": "block"})
    v, res, ctx = _one(r)
    assert v["action"] == "block" and v["target"] == case_dir + "/secret.txt", ctx
    assert res["ok"] is False and res["errno"] == 13, ctx


def test_builtin_default_policy_runs(run, case_dir, servers):
    """Neither variable: the built-in default applies; it never blocks in alert mode."""
    support.make_scenario("read", case_dir, servers)
    r = run(PROBE_ARGS + ["open_read", case_dir, "secret.txt"], None, None)
    assert r.rc == 0 and r.result and r.result["ok"] is True and r.after and not r.errors, r.explain()
    assert all(v["action"] == "alert" for v in r.violations), r.explain()


@pytest.mark.parametrize("pattern_fmt,rel,hit", [
    ("{d}/**/deep.txt", "a/b/c/deep.txt", True),     # ** spans components
    ("{d}/*/deep.txt", "a/b/deep.txt", False),       # * stays within one component
    ("{d}/*/deep.txt", "a/deep.txt", True),
    ("{d}/a/b/dee?.txt", "a/b/deep.txt", True),      # ? is one character
    ("{d}/a/b/de?.txt", "a/b/deep.txt", False),
    ("{d}/a/**", "a/b/deep.txt", True),
    ("{d}/a", "a/b/deep.txt", False),                # a directory pattern is not a prefix
])
def test_glob_semantics(pattern_fmt, rel, hit, run, case_dir):
    path = os.path.join(case_dir, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("x")
    pol = support.pol(read={"default": "allow", "block": [pattern_fmt.format(d=case_dir)]})
    r = run(PROBE_ARGS + ["open_read", os.path.dirname(path), os.path.basename(path)], pol, "block")
    ctx = r.explain()
    assert r.rc == 0 and r.after and not r.errors, ctx
    if hit:
        assert len(r.violations) == 1 and r.violations[0]["target"] == path, ctx
        assert r.result["ok"] is False, ctx
    else:
        assert r.violations == [] and r.result["ok"] is True, ctx


@pytest.mark.parametrize("pattern_fmt,hit", [
    ("127.0.0.1", True),              # no port: any port
    ("127.0.0.1:{p}", True),
    ("127.0.0.1:{q}", False),
    ("127.0.0.0/8", True),
    ("127.0.0.0/8:{p}", True),
    ("10.0.0.0/8", False),
    ("::ffff:127.0.0.1", True),       # IPv4-mapped counts as IPv4
    ("[::ffff:127.0.0.1]:{p}", True),
    ("localhost", False),             # a name rule needs the process to have resolved the name
    ("*:{p}", True),                  # host "*": any address
])
def test_connect_pattern_semantics(pattern_fmt, hit, run, servers):
    p = servers.tcp
    pattern = pattern_fmt.format(p=p, q=p ^ 1)
    pol = support.pol(connect={"default": "allow", "block": [pattern]})
    r = run(PROBE_ARGS + ["socket_create_connection", str(p)], pol, "block")
    ctx = r.explain()
    assert r.rc == 0 and r.after and not r.errors, ctx
    if hit:
        assert len(r.violations) == 1 and r.violations[0]["target"] == "127.0.0.1:%d" % p, ctx
        assert r.violations[0]["rule"] == "connect.block[0]", ctx
        assert r.result["ok"] is False and r.result["errno"] == 1, ctx
    else:
        assert r.violations == [] and r.result["ok"] is True, ctx


def test_name_rule_matches_resolved_name(run, servers):
    """A name rule with no port applies to an address the process resolved from that name."""
    p = servers.tcp
    pol = support.pol(connect={"default": "allow", "block": ["localhost"]})
    v, res, ctx = _one(run(PROBE_ARGS + ["connect_name", str(p)], pol, "block"))
    assert v["target"] == "localhost:%d" % p and v["host"] == "localhost" and v["ip"] == "127.0.0.1", ctx
    assert res["ok"] is False and res["errno"] == 1, ctx


def test_lambda_runtime_api_always_allowed(run, servers):
    """SPEC: the Runtime API endpoint (AWS_LAMBDA_RUNTIME_API) is always allowed."""
    p = servers.tcp
    r = run(PROBE_ARGS + ["socket_create_connection", str(p)], support.pol(connect="block"), "block",
            env_extra={"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % p})
    assert r.rc == 0 and r.result["ok"] is True and r.violations == [] and not r.errors, r.explain()


def test_listen_shorthand_block_allows_connect(run, servers):
    """"listen": "block" does not touch outbound connections."""
    r = run(PROBE_ARGS + ["socket_create_connection", str(servers.tcp)], support.pol(listen="block"), "block")
    assert r.rc == 0 and r.result["ok"] is True and r.violations == [] and not r.errors, r.explain()


# ------------------------------------------------------------------ paths past PATH_MAX -------
@pytest.mark.parametrize("length", [4090, 6000], ids=["cwd-4090", "cwd-6000"])
@pytest.mark.parametrize("name,category", [("deep_relative_read", "read"), ("deep_dirfd_read", "read"),
                                           ("deep_relative_exec", "exec")])
def test_relative_path_past_path_max(name, category, length, run, case_dir):
    """A relative path (or a directory descriptor) whose absolute spelling is longer than
    PATH_MAX is still no way around a rule: the kernel resolves it, so must the shim (or it
    must fail closed) — never a silent pass."""
    import subprocess
    mk = subprocess.run([support.PYTHON, PROBE, "deep_make", case_dir, str(length)],
                        capture_output=True, text=True, env=support.base_env())
    assert mk.returncode == 0 and '"ok": true' in mk.stdout, mk.stdout + mk.stderr
    if category == "read":
        pol = support.pol(read={"default": "allow", "block": [case_dir + "/**/secret.txt"]})
    else:
        pol = support.pol(exec={"default": "allow", "block": ["/usr/bin/id"]})
    r = run(PROBE_ARGS + [name, case_dir, str(length)], pol, "block")
    ctx = r.explain()
    assert r.rc == 0 and r.after and not r.broken and not r.errors, ctx
    assert r.result.get("ok") is False and r.result.get("errno") == 13, \
        "the call went through: the rule was bypassed%s" % ctx
    assert len(r.violations) == 1 and r.violations[0]["category"] == category, ctx
    assert r.violations[0]["action"] == "block", ctx


@pytest.mark.parametrize("spelling", [
    "{d}/./secret.txt", "{d}//secret.txt", "{d}/sub/../secret.txt", "/../..{d}/secret.txt",
    "{d}/sub/./../sub/../secret.txt", "{d}/secret.txt/", "{d}/dirlink/sub/../secret.txt",
])
def test_path_spellings(spelling, run, case_dir, servers):
    """SPEC: paths are normalised before matching: every spelling of DIR/secret.txt is caught.
    {d}/secret.txt/ fails with ENOTDIR in the kernel: a call that fails by itself is no
    violation (SPEC v1.1), so it gets the kernel's own error and no line."""
    sc = support.make_scenario("read", case_dir, servers)
    path = spelling.format(d=case_dir)
    r = run([support.PYTHON, "-c", "import sys; open(sys.argv[1]).read()", path], sc.policy_block, "block")
    ctx = r.explain()
    assert not r.errors and not r.broken, ctx
    if spelling.endswith("/"):
        assert not r.violations and b"NotADirectoryError" in r.stderr, ctx
        return
    # the shim may report the lexical spelling (through the link) and the resolved one apart
    assert len(r.violations) == 1, ctx
    v = r.violations[0]
    assert case_dir + "/secret.txt" in (v["target"], v.get("resolved")), ctx
    assert v["target"] in (case_dir + "/secret.txt", case_dir + "/dirlink/secret.txt"), ctx
    assert v["action"] == "block", ctx
    assert b"PermissionError" in r.stderr, ctx


def test_dotdot_after_symlink_follows_the_kernel(run, case_dir):
    """LNK -> DIR/a/b/c; the kernel resolves LNK/../secret.txt to DIR/a/b/secret.txt, not to
    the lexical DIR/secret.txt: a rule on the real file must catch it."""
    os.makedirs(os.path.join(case_dir, "a", "b", "c"))
    real = os.path.join(case_dir, "a", "b", "secret.txt")
    with open(real, "w") as f:
        f.write("s")
    os.symlink(os.path.join(case_dir, "a", "b", "c"), os.path.join(case_dir, "lnk"))
    pol = support.pol(read={"default": "allow", "block": [real]})
    r = run([support.PYTHON, "-c", "import sys; open(sys.argv[1]).read()",
             case_dir + "/lnk/../secret.txt"], pol, "block")
    ctx = r.explain()
    assert not r.errors and not r.broken, ctx
    assert len(r.violations) == 1 and r.violations[0]["action"] == "block", \
        "the read of %s through lnk/.. was not caught%s" % (real, ctx)
    assert b"PermissionError" in r.stderr, ctx


def test_unix_sockets_are_not_network(run, case_dir):
    """connect and listen rules are about inet sockets: AF_UNIX traffic is neither."""
    r = run(PROBE_ARGS + ["unix_sockets", case_dir], support.pol(connect="block", listen="block"), "block")
    assert r.rc == 0 and r.result and r.result.get("ok") is True, r.explain()
    assert r.violations == [] and not r.errors, r.explain()


def test_listen_on_unbound_socket(run):
    """listen() without bind() is still listening: caught at listen()."""
    r = run(PROBE_ARGS + ["listen_unbound"], support.pol(listen="block"), "block")
    v, res, ctx = _one(r)
    assert v["category"] == "listen" and v["call"] == "listen" and v["rule"] == "listen.default", ctx
    assert res["ok"] is False and res["errno"] == 1, ctx


@pytest.mark.parametrize("code,rule_pattern", [
    ("import os; os.system('exit 0')", "/bin/sh"),                         # system() runs /bin/sh
    ("import subprocess; subprocess.run(['/usr/bin/dash', '-c', 'exit 0'])", "/bin/sh"),  # the real file
    ("import subprocess; subprocess.run(['/bin/sh', '-c', 'exit 0'])", "/usr/bin/dash"),  # the link
], ids=["system-vs-/bin/sh", "dash-vs-/bin/sh", "/bin/sh-vs-dash"])
def test_exec_rule_and_symlinked_program(code, rule_pattern, run):
    """/bin/sh is a link to dash: a rule on either name catches a run through the other."""
    r = run([support.PYTHON, "-c", code], support.pol(exec={"default": "allow", "block": [rule_pattern]}), "alert")
    v, res, ctx = _one_any(r)
    assert v["category"] == "exec" and v["rule"] == "exec.block[0]", ctx
    assert {"/bin/sh", "/usr/bin/dash"} & {v["target"], v.get("resolved")}, ctx


def _one_any(r):
    ctx = r.explain()
    assert r.rc == 0 and not r.errors and not r.broken, ctx
    assert len(r.violations) == 1, "want 1 violation, got %d%s" % (len(r.violations), ctx)
    return r.violations[0], r.result, ctx


@pytest.mark.parametrize("spelling", [
    "/proc/self/root{d}/secret.txt", "/proc/self/cwd/secret.txt", "/proc/self/fd/{fd}/secret.txt",
    "/dev/fd/{fd}/secret.txt", "/proc/{pid}/root{d}/secret.txt",
])
def test_procfs_spellings(spelling, run, case_dir, servers):
    """Magic links under /proc (root, cwd, a directory descriptor) are no way around a rule."""
    sc = support.make_scenario("read", case_dir, servers)
    code = ("import os, sys; d = sys.argv[1]; os.chdir(d); fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY); "
            "p = sys.argv[2].format(d=d, fd=fd, pid=os.getpid())\n"
            "try:\n    open(p).read(); print('{\"ok\": true}')\n"
            "except OSError as e:\n    print('{\"ok\": false, \"errno\": %d}' % e.errno)\n")
    r = run([support.PYTHON, "-c", code, case_dir, spelling], sc.policy_block, "block")
    v, res, ctx = _one_any(r)
    assert v["action"] == "block" and case_dir + "/secret.txt" in (v["target"], v.get("resolved")), ctx
    assert res == {"ok": False, "errno": 13}, ctx


def test_name_allow_with_default_block(run, servers):
    """connect default block, the name allowed: a connection to what the name resolved to
    goes through, silently."""
    p = servers.tcp
    pol = support.pol(connect={"default": "block", "allow": ["localhost:%d" % p]})
    r = run(PROBE_ARGS + ["connect_name", str(p)], pol, "block")
    assert r.rc == 0 and r.result and r.result.get("ok") is True, r.explain()
    assert r.violations == [] and not r.errors, r.explain()
