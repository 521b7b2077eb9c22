"""Configuration errors (SPEC "Configuration errors"): an invalid policy, an unreadable policy
file, both variables set, a bad FNSHIELD_MODE. The process must not start (a marker file the
program would create stays absent), stderr carries exactly one {"fnshield":"error",...} line
with a message (and line/column for a JSON syntax error), the exit status is 78 — never a crash
(status >= 128 or a signal), never a silently unprotected run. `fnshield check` reports the
same errors without running anything.

Each bad policy is delivered three ways: `fnshield run --policy FILE`, FNSHIELD_POLICY (text)
and FNSHIELD_POLICY_FILE, the last two straight through LD_PRELOAD=build/libfnshield.so.
"""
import json
import os
import subprocess

import pytest

import support

TOUCH = "/usr/bin/touch"

# (id, policy text, syntax error line or None, a string the error line must contain or None)
BAD = [
    ("syntax-bareword", '{\n  "version": 1,\n  "exec": blok\n}\n', 3, None),
    ("syntax-trailing-comma", '{"exec": "block",}', 1, None),
    ("syntax-truncated", '{"exec": {"default": "block"', 1, None),
    ("syntax-two-documents", '{"exec": "block"} {"read": "block"}', 1, None),
    ("empty-text", "", None, None),
    ("whitespace-only", " \n\t\n", None, None),
    ("root-not-object", "[1, 2]", None, None),
    ("wrong-type-category", '{"exec": 5}', None, "exec"),
    ("wrong-type-list", '{"read": {"default": "allow", "block": "/etc/passwd"}}', None, "block"),
    ("wrong-type-pattern", '{"read": {"default": "allow", "block": [5]}}', None, "block"),
    ("wrong-type-version", '{"version": "1"}', None, "version"),
    ("unsupported-version", '{"version": 2}', None, "version"),
    ("wrong-type-mode", '{"mode": true}', None, "mode"),
    ("unknown-key-top", '{"exce": "block"}', None, "exce"),
    ("unknown-key-category", '{"exec": {"default": "allow", "blok": []}}', None, "blok"),
    ("unknown-key-init", '{"init": {"exec2": "block"}}', None, "exec2"),
    ("unknown-key-log", '{"log": {"colour": true}}', None, "colour"),
    ("wrong-type-log", '{"log": {"backtrace": "yes"}}', None, "backtrace"),
    ("unknown-action", '{"exec": "deny"}', None, "exec"),
    ("unknown-action-default", '{"read": {"default": "deny"}}', None, "read"),
    ("unknown-mode", '{"mode": "enforce"}', None, "mode"),
    ("bad-glob", '{"read": {"default": "allow", "block": ["/a**"]}}', None, "read"),
    ("relative-pattern", '{"read": {"default": "allow", "block": ["secret*"]}}', None, "read"),
    ("bad-cidr", '{"connect": {"default": "allow", "block": ["10.0.0.0/33"]}}', None, "connect"),
    ("bad-port", '{"connect": {"default": "allow", "block": ["10.0.0.1:99999"]}}', None, "connect"),
    ("bad-ipv6", '{"connect": {"default": "allow", "block": ["[::1:443"]}}', None, "connect"),
    ("deep-nesting", '{"exec": ' + "[" * 20000 + "]" * 20000 + "}", None, None),
]

DELIVERIES = ["cli-file", "env-text", "env-file"]


def _deliver(how, text, tmp_path, run, run_preload, marker):
    cmd = [TOUCH, marker]
    if how == "cli-file":
        return run(cmd, text)
    if how == "env-text":
        return run_preload(cmd, {"FNSHIELD_POLICY": text})
    f = tmp_path / "bad-policy.json"
    f.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return run_preload(cmd, {"FNSHIELD_POLICY_FILE": str(f)})


def check_config_error(r, marker, syntax_line=None, mention=None):
    ctx = r.explain()
    assert not (isinstance(r.rc, int) and (r.rc < 0 or r.rc >= 128)), "crashed: status %r%s" % (r.rc, ctx)
    assert r.rc == support.EX_CONFIG, "want exit status 78 (EX_CONFIG), got %r%s" % (r.rc, ctx)
    assert not os.path.exists(marker), "the program ran despite the configuration error%s" % ctx
    lines = [l for l in r.stderr.split(b"\n") if l.strip()]
    assert len(lines) == 1 and len(r.errors) == 1, \
        "want exactly one stderr line, a {\"fnshield\":\"error\"} object%s" % ctx
    e = r.errors[0]
    assert not r.violations and not r.starts, ctx
    assert isinstance(e.get("message"), str) and e["message"].strip(), "no message%s" % ctx
    if syntax_line is not None:
        assert isinstance(e.get("line"), int) and isinstance(e.get("column"), int), \
            "a syntax error needs line and column fields%s" % ctx
        assert e["line"] == syntax_line, "line %r, want %r%s" % (e.get("line"), syntax_line, ctx)
        assert e["column"] >= 1, ctx
    if mention is not None:
        assert mention in r.raw_lines[0].decode("utf-8", "replace"), \
            "the error line does not name %r%s" % (mention, ctx)
    assert len(r.raw_lines[0]) <= 4096, ctx
    return e


@pytest.mark.parametrize("how", DELIVERIES)
@pytest.mark.parametrize("name,text,syntax_line,mention", BAD, ids=[b[0] for b in BAD])
def test_bad_policy(name, text, syntax_line, mention, how, tmp_path, run, run_preload):
    marker = str(tmp_path / "marker")
    r = _deliver(how, text, tmp_path, run, run_preload, marker)
    check_config_error(r, marker, syntax_line, mention)


@pytest.mark.parametrize("how", ["cli-file", "env-file"])
def test_binary_garbage_policy(how, tmp_path, run, run_preload):
    marker = str(tmp_path / "marker")
    text = b'{"exec": "\x00\xff\xfe block"}\x00\x01'
    r = _deliver(how, text, tmp_path, run, run_preload, marker)
    check_config_error(r, marker)


def test_missing_policy_file_cli(tmp_path, run, built):
    marker = str(tmp_path / "marker")
    missing = str(tmp_path / "no-such-policy.json")
    argv = [str(support.FNSHIELD), "run", "--policy", missing, "--", TOUCH, marker]
    r = support.execute(argv, support.base_env())
    e = check_config_error(r, marker)
    assert "no-such-policy.json" in json.dumps(e), r.explain()


def test_missing_policy_file_env(tmp_path, run_preload):
    marker = str(tmp_path / "marker")
    missing = str(tmp_path / "no-such-policy.json")
    r = run_preload([TOUCH, marker], {"FNSHIELD_POLICY_FILE": missing})
    e = check_config_error(r, marker)
    assert "no-such-policy.json" in json.dumps(e), r.explain()


def test_policy_file_is_a_directory(tmp_path, run_preload):
    marker = str(tmp_path / "marker")
    r = run_preload([TOUCH, marker], {"FNSHIELD_POLICY_FILE": str(tmp_path)})
    check_config_error(r, marker)


def test_both_policy_variables(tmp_path, run_preload):
    marker = str(tmp_path / "marker")
    f = tmp_path / "p.json"
    f.write_text('{"version": 1}')
    r = run_preload([TOUCH, marker], {"FNSHIELD_POLICY": '{"version": 1}', "FNSHIELD_POLICY_FILE": str(f)})
    e = check_config_error(r, marker)
    text = json.dumps(e)
    assert "FNSHIELD_POLICY" in text, "the error should name the variables%s" % r.explain()


@pytest.mark.parametrize("mode", ["blockk", "", "warn"])
def test_bad_mode_env(mode, tmp_path, run_preload):
    marker = str(tmp_path / "marker")
    r = run_preload([TOUCH, marker], {"FNSHIELD_POLICY": '{"version": 1}', "FNSHIELD_MODE": mode})
    e = check_config_error(r, marker)
    assert "FNSHIELD_MODE" in json.dumps(e), r.explain()


def test_bad_mode_env_through_cli(tmp_path, run):
    marker = str(tmp_path / "marker")
    r = run([TOUCH, marker], {"version": 1}, None, env_extra={"FNSHIELD_MODE": "blockk"})
    check_config_error(r, marker)


def test_bad_mode_option(tmp_path, run):
    """`fnshield run --mode bogus`: a configuration error too (78); the program never runs."""
    marker = str(tmp_path / "marker")
    r = run([TOUCH, marker], {"version": 1}, "bogus")
    ctx = r.explain()
    assert not (isinstance(r.rc, int) and (r.rc < 0 or r.rc >= 128)), ctx
    assert r.rc == support.EX_CONFIG, ctx
    assert not os.path.exists(marker), ctx


# ------------------------------------------------------------------- valid policies ----------
SPEC_EXAMPLE = {
    "version": 1,
    "mode": "block",
    "exec": {"default": "block", "allow": ["/usr/bin/convert"]},
    "connect": {"default": "block", "allow": ["*.amazonaws.com:443", "10.0.0.0/8:5432"]},
    "listen": "block",
    "read": {"default": "allow", "block": ["/proc/*/environ", "/var/task/**"]},
    "write": {"default": "block", "allow": ["/tmp/**", "/dev/null"]},
    "init": {"read": {"default": "allow", "block": ["/proc/*/environ"]}},
    "log": {"backtrace": False, "metrics_namespace": "fnshield"},
}
FUNCTIONSHIELD = {"outbound_connectivity": "block", "read_write_tmp": "alert",
                  "create_child_process": "block", "read_handler": "allow"}
VALID = [
    ("empty-object", {}),
    ("spec-example", SPEC_EXAMPLE),
    ("functionshield", FUNCTIONSHIELD),
    ("shorthands", {"version": 1, "exec": "alert", "connect": "allow", "listen": "block",
                    "read": "allow", "write": "allow"}),
    ("ipv6-and-names", {"connect": {"default": "allow",
                                    "block": ["[::1]:443", "::1", "*.example.com", "example.org:80",
                                              "192.168.0.0/16", "2001:db8::/32"]}}),
]


def big_policy(flavour, tmp, port):
    """A valid policy of at least 1 MB whose last rule is the one the probe hits.
    Returns (text, probe case + args, expected rule, expected target)."""
    pats = []
    size = 0
    i = 0
    while size < 1_050_000:
        if flavour == "read-globs":
            p = "/nonexistent/fnshield-%06d/file-*.txt" % i
        elif flavour == "exec-literals":
            p = "/opt/fnshield-test/bin/tool-%06d" % i
        else:
            p = "10.%d.%d.%d/32:%d" % (i >> 16 & 255, i >> 8 & 255, i & 255, 1 + i % 65000)
        pats.append(p)
        size += len(p) + 4
        i += 1
    if flavour == "read-globs":
        pats.append(tmp + "/secret*")
        pol = {"version": 1, "read": {"default": "allow", "block": pats}}
        probe, target = ["open_read", tmp, "secret.txt"], tmp + "/secret.txt"
        cat = "read"
    elif flavour == "exec-literals":
        pats.append("/usr/bin/id")
        pol = {"version": 1, "exec": {"default": "allow", "block": pats}}
        probe, target = ["os_posix_spawn"], "/usr/bin/id"
        cat = "exec"
    else:
        pats.append("127.0.0.1:%d" % port)
        pol = {"version": 1, "connect": {"default": "allow", "block": pats}}
        probe, target = ["socket_create_connection", str(port)], "127.0.0.1:%d" % port
        cat = "connect"
    text = json.dumps(pol, indent=1)
    assert len(text) >= 1_000_000
    return text, probe, "%s.block[%d]" % (cat, len(pats) - 1), target


BIG = ["read-globs", "exec-literals", "connect-cidrs"]


def _check_cli(path):
    return support.execute([str(support.FNSHIELD), "check", str(path)], support.base_env())


@pytest.mark.parametrize("name,policy", VALID, ids=[v[0] for v in VALID])
def test_check_valid(name, policy, tmp_path, built):
    f = tmp_path / "p.json"
    f.write_text(json.dumps(policy, indent=2))
    r = _check_cli(f)
    assert r.rc == 0, "fnshield check rejected a valid policy%s" % r.explain()


@pytest.mark.parametrize("name,policy", VALID, ids=[v[0] for v in VALID])
def test_valid_policy_runs(name, policy, tmp_path, run_preload):
    """A valid policy must not stop a harmless program (touch in a tmp dir)."""
    marker = str(tmp_path / "marker")
    r = run_preload([TOUCH, marker], {"FNSHIELD_POLICY": json.dumps(policy), "FNSHIELD_MODE": "alert"})
    assert r.rc == 0 and os.path.exists(marker) and not r.errors, r.explain()


@pytest.mark.parametrize("name,text,syntax_line,mention", BAD, ids=[b[0] for b in BAD])
def test_check_invalid(name, text, syntax_line, mention, tmp_path, built):
    f = tmp_path / "p.json"
    f.write_text(text)
    r = _check_cli(f)
    ctx = r.explain()
    assert r.rc == support.EX_CONFIG, "want 78 from fnshield check%s" % ctx
    out = (r.stdout + r.stderr).decode("utf-8", "replace")
    assert out.strip(), "fnshield check said nothing about the error%s" % ctx
    if mention is not None:
        assert mention in out, "the report does not name %r%s" % (mention, ctx)


def test_check_missing_file(tmp_path, built):
    r = _check_cli(tmp_path / "nope.json")
    assert r.rc == support.EX_CONFIG, r.explain()
    assert b"nope.json" in r.stdout + r.stderr, r.explain()


@pytest.mark.parametrize("flavour", BIG)
def test_big_policy_check(flavour, tmp_path, built):
    text, _, _, _ = big_policy(flavour, os.path.realpath(tmp_path), 9)
    f = tmp_path / "big.json"
    f.write_text(text)
    r = _check_cli(f)
    assert r.rc == 0, r.explain()


@pytest.mark.parametrize("how", ["cli-file", "env-file"])
@pytest.mark.parametrize("flavour", BIG)
def test_big_policy_works(flavour, how, tmp_path, run, run_preload, servers):
    """A 1 MB policy loads and is enforced: its last rule decides."""
    d = os.path.realpath(tmp_path)
    text, probe, rule, target = big_policy(flavour, d, servers.tcp)
    with open(os.path.join(d, "secret.txt"), "w") as fh:
        fh.write("s\n")
    cmd = [support.PYTHON, str(support.PROGRAMS / "probe.py")] + probe
    if how == "cli-file":
        r = run(cmd, text, "block")
    else:
        f = tmp_path / "big.json"
        f.write_text(text)
        r = run_preload(cmd, {"FNSHIELD_POLICY_FILE": str(f), "FNSHIELD_MODE": "block"})
    ctx = r.explain()
    assert r.rc == 0 and not r.errors, ctx
    assert len(r.violations) == 1, ctx
    v = r.violations[0]
    assert v["rule"] == rule and v["target"] == target, ctx
    assert v["action"] == "block" and r.result and r.result.get("errno") in (1, 13), ctx


@pytest.mark.parametrize("how", ["rewrite", "delete"])
def test_policy_file_tampered_after_start(how, run, case_dir, servers):
    """The function rewrites (to allow-all) or deletes its policy file, then starts a child:
    the child is protected by the same policy (its read is blocked) or refuses to start with a
    configuration error — it never runs unprotected."""
    sc = support.make_scenario("read", case_dir, servers)
    r = run([support.PYTHON, str(support.PROGRAMS / "probe.py"), "tamper_policy_then_child_read",
             case_dir, "secret.txt", how], sc.policy_block, "block")
    ctx = r.explain()
    assert r.rc == 0 and r.after and not r.broken, ctx
    res = r.result
    assert res.get("ok") is False, "the child read the file unprotected%s" % ctx
    if res.get("errno") == 13:
        assert len(r.violations) == 1 and r.violations[0]["action"] == "block", ctx
    else:
        assert res.get("child_rc") == support.EX_CONFIG and len(r.errors) == 1, ctx


# ------------------------------------------------------------------- the CLI itself -----------
def test_run_passes_exit_status_through(run):
    r = run(["/bin/sh", "-c", "exit 7"], {"version": 1}, "block")
    assert r.rc == 7 and not r.errors, r.explain()


def test_run_missing_program(run, tmp_path):
    r = run([str(tmp_path / "no-such-program")], {"version": 1}, "block")
    assert r.rc == 127, r.explain()


def test_run_without_command_is_usage_error(run):
    r = run([], {"version": 1}, "block")
    assert r.rc not in (0, support.EX_CONFIG) and isinstance(r.rc, int) and 0 < r.rc < 128, r.explain()


def test_run_policy_from_pipe(tmp_path, built):
    """`fnshield run --policy <(make-policy)`: a policy read from a pipe (process substitution)
    is valid; the program runs under it, and so do its children."""
    marker = str(tmp_path / "marker")
    rfd, wfd = os.pipe()
    os.write(wfd, b'{"version": 1, "exec": {"default": "allow", "block": ["/usr/bin/id"]}}')
    os.close(wfd)
    try:
        p = subprocess.run([str(support.FNSHIELD), "run", "--policy", "/dev/fd/%d" % rfd, "--mode", "alert",
                            "--", "/bin/sh", "-c", 'touch "$0"; /usr/bin/id >/dev/null', marker],
                           pass_fds=(rfd,), env=support.base_env(), capture_output=True, timeout=30)
    finally:
        os.close(rfd)
    res = support.Result(cmd=["fnshield run --policy /dev/fd/N"], rc=p.returncode, stdout=p.stdout, stderr=p.stderr)
    support.parse_stderr(p.stderr, res)
    ctx = res.explain()
    assert p.returncode == 0 and os.path.exists(marker) and not res.errors, ctx
    assert len(res.violations) == 1 and res.violations[0]["target"] == "/usr/bin/id", ctx
