"""fnshield compile, and a compiled policy wherever a policy file goes: `check`, `check --print`,
`explain`, `learn --from`, the library itself (FNSHIELD_POLICY_FILE); a damaged one is a
configuration error (exit 78, one line that says what is wrong), never a crash."""
import json
import os
import subprocess

from conftest import BUILD, ROOT, base_env, fnshield, Run

LIB = BUILD / "libfnshield.so"
PROD = ROOT / "policy" / "examples" / "production.json"
POLICY = {
    "version": 1, "mode": "block",
    "exec": {"default": "block", "allow": ["/usr/bin/true", "/usr/bin/cat"]},
    "connect": {"default": "block", "allow": ["*.amazonaws.com:443", "10.0.0.0/8"]},
    "read": {"default": "allow", "block": ["/etc/shadow", "/proc/**/environ"], "alert": ["/etc/hostname"]},
    "write": {"default": "block", "allow": ["/tmp/**", "/dev/null"]},
}
QUERIES = [["read", "/etc/shadow"], ["read", "/etc/hostname"], ["read", "/etc/passwd"],
           ["exec", "/usr/bin/true"], ["exec", "/bin/sh"], ["write", "/tmp/x"], ["write", "/etc/x"],
           ["connect", "s3.amazonaws.com:443"], ["connect", "10.1.2.3:5432"], ["connect", "1.2.3.4:80"],
           ["listen", "0.0.0.0:8080"]]


def compiled(case_dir, policy=POLICY, name="p"):
    src = case_dir / (name + ".json")
    src.write_text(json.dumps(policy))
    out = case_dir / (name + ".fnsp")
    r = fnshield("compile", src, "-o", out)
    assert r.rc == 0, r.explain()
    assert "compiled" in r.stdout and str(out) in r.stdout
    return src, out


def preload(policy_file, cmd, **env):
    e = base_env(LD_PRELOAD=str(LIB), FNSHIELD_POLICY_FILE=str(policy_file), **env)
    return Run(subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=30))


def test_compile_then_check_both_forms_alike(case_dir):
    src, out = compiled(case_dir)
    assert out.read_bytes()[:8] == b"FNSHPOL\n"
    a, b = fnshield("check", src), fnshield("check", out)
    assert a.rc == 0 and b.rc == 0, a.explain() + b.explain()
    digest = lambda r: r.stdout.split("sha256 ")[1].strip()
    assert digest(a) == digest(b), "a policy's digest is the same in either form"
    # --print: the JSON the compiled form came from
    pa, pb = fnshield("check", "--print", src), fnshield("check", "--print", out)
    assert pa.rc == 0 and pb.rc == 0 and pa.stdout == pb.stdout
    assert json.loads(pb.stdout) == POLICY


def test_default_output_name_and_same_bytes_twice(case_dir):
    src = case_dir / "pol.json"
    src.write_text(json.dumps(POLICY))
    r1 = fnshield("compile", src)
    assert r1.rc == 0 and (case_dir / "pol.fnsp").exists(), r1.explain()
    first = (case_dir / "pol.fnsp").read_bytes()
    r2 = fnshield("compile", src)
    assert r2.rc == 0 and (case_dir / "pol.fnsp").read_bytes() == first
    # a compiled policy as input: compiled again from the JSON it carries, same bytes here
    r3 = fnshield("compile", case_dir / "pol.fnsp", "-o", case_dir / "again.fnsp")
    assert r3.rc == 0 and (case_dir / "again.fnsp").read_bytes() == first


def test_explain_answers_the_same_from_either_form(case_dir):
    src, out = compiled(case_dir)
    for q in QUERIES:
        a = fnshield("explain", "--policy", src, *q)
        b = fnshield("explain", "--policy", out, *q)
        same = a.stdout.replace(str(src), str(out))  # the policy's name is in the answer
        assert (a.rc, same) == (b.rc, b.stdout), (q, a.explain(), b.explain())


def test_the_library_uses_a_compiled_file(case_dir):
    src, out = compiled(case_dir)
    for f in (src, out):
        r = preload(f, ["/usr/bin/cat", "/etc/shadow"])
        assert r.rc != 0 and "Permission denied" in r.stderr, r.explain()
        v = r.violations
        assert len(v) == 1 and v[0]["rule"] == "read.block[0]" and v[0]["action"] == "block", r.explain()
        start = [x for x in r.lines if x["fnshield"] == "start"][0]
        assert start["policy"] == "file:%s" % f
    # FNSHIELD_MODE overrides a compiled policy's mode as it does a JSON one's
    r = preload(out, ["/usr/bin/cat", "/etc/shadow"], FNSHIELD_MODE="alert")
    assert [v["action"] for v in r.violations] == ["alert"], r.explain()
    # the production example, compiled, runs a program as its JSON does
    p = case_dir / "prod.fnsp"
    assert fnshield("compile", PROD, "-o", p).rc == 0
    r = preload(p, ["/usr/bin/true"])
    assert r.rc == preload(PROD, ["/usr/bin/true"]).rc


def damaged(case_dir, out, how):
    data = out.read_bytes()
    if how == "truncated":
        data = data[: len(data) // 2]
    elif how == "flipped":
        data = data[:200] + bytes([data[200] ^ 1]) + data[201:]
    elif how == "appended":
        data = data + b"\0"
    elif how == "empty":
        data = b""
    elif how == "not-an-image":
        data = b"\x7fELF" + bytes(100)
    elif how == "json-named-fnsp":
        data = json.dumps(POLICY).encode()
    p = case_dir / ("bad-%s.fnsp" % how)
    p.write_bytes(data)
    return p


EXPECT = {"truncated": "truncated", "flipped": "checksum does not match", "appended": "appended",
          "empty": "not a compiled fnshield policy", "not-an-image": "not a compiled fnshield policy",
          "json-named-fnsp": "not a compiled fnshield policy"}


def test_a_damaged_compiled_policy_is_a_configuration_error(case_dir):
    _, out = compiled(case_dir)
    for how, words in EXPECT.items():
        bad = damaged(case_dir, out, how)
        c = fnshield("check", bad)
        assert c.rc == 78, (how, c.explain())
        errs = [x for x in c.lines if x["fnshield"] == "error"]
        assert len(errs) == 1 and words in errs[0]["message"], (how, c.explain())
        assert errs[0]["message"].startswith("invalid fnshield configuration: compiled policy: ")
        # the library: the process does not start, one error line, exit 78
        r = preload(bad, ["/usr/bin/true"])
        assert r.rc == 78, (how, r.explain())
        errs = [x for x in r.lines if x["fnshield"] == "error"]
        assert len(errs) == 1 and words in errs[0]["message"], (how, r.explain())
        assert errs[0]["policy"] == "file:%s" % bad if "policy" in errs[0] else True
        # explain refuses it the same way
        e = fnshield("explain", "--policy", bad, "read", "/etc/shadow")
        assert e.rc == 78 and words in e.stderr, (how, e.explain())


def test_learn_reads_a_compiled_staging_policy(case_dir):
    src, out = compiled(case_dir)
    log = case_dir / "run.log"
    r = preload(out, ["/usr/bin/cat", "/etc/hostname"], FNSHIELD_MODE="alert")
    log.write_text(r.stderr)
    a = fnshield("learn", "--from", src, log)
    b = fnshield("learn", "--from", out, log)
    assert a.rc == 0 and b.rc == 0, a.explain() + b.explain()
    assert a.stdout == b.stdout


def test_compile_reports_json_errors_with_their_place(case_dir):
    bad = case_dir / "bad.json"
    bad.write_text('{"version": 1,\n "read": {"default": "maybe"}}')
    r = fnshield("compile", bad)
    assert r.rc == 78 and "bad.json:2:" in r.stderr and "read.default" in r.stderr, r.explain()
    assert not (case_dir / "bad.fnsp").exists()
    r = fnshield("compile", case_dir / "missing.json")
    assert r.rc == 66, r.explain()


def test_a_policy_compiled_where_links_differ(case_dir):
    """Aliases are the compiling machine's: a link that now resolves elsewhere makes the library
    compile the JSON the file carries again (right verdicts); `check` says so either way."""
    (case_dir / "a").write_text("#!/bin/sh\n")
    (case_dir / "b").write_text("#!/bin/sh\n")
    (case_dir / "c").write_text("#!/bin/sh\n")
    tool = case_dir / "tool"
    tool.symlink_to(case_dir / "a")
    policy = {"version": 1, "mode": "block", "read": {"default": "allow", "block": [str(tool), str(case_dir / "c")]}}
    src, out = compiled(case_dir, policy, "links")
    assert fnshield("check", out).stderr == "", "same machine, same links: no warning"
    # the link now points elsewhere: recorded alias "a" no longer holds
    tool.unlink()
    tool.symlink_to(case_dir / "b")
    c = fnshield("check", out)
    assert c.rc == 0 and "warning" in c.stderr and "compiles it again" in c.stderr, c.explain()
    r = preload(out, ["/usr/bin/cat", str(case_dir / "b")])
    assert [v["rule"] for v in r.violations] == ["read.block[0]"], r.explain()  # via the new alias
    r = preload(out, ["/usr/bin/cat", str(case_dir / "a")])
    assert r.violations == [] and r.rc == 0, r.explain()
    # a pattern that had no alias where it was compiled has one here: check warns
    (case_dir / "c").unlink()
    (case_dir / "c").symlink_to(case_dir / "a")
    tool.unlink()
    tool.symlink_to(case_dir / "a")
    c = fnshield("check", out)
    assert c.rc == 0 and "without that alias" in c.stderr and str(case_dir / "c") in c.stderr, c.explain()


def test_run_takes_a_compiled_file_not_a_compiled_pipe(case_dir):
    _, out = compiled(case_dir)
    r = fnshield("run", "--policy", out, "--", "/usr/bin/cat", "/etc/shadow")
    assert r.rc != 0 and [v["rule"] for v in r.violations] == ["read.block[0]"], r.explain()
    p = subprocess.run(["/bin/sh", "-c", '/usr/bin/cat "$1" | "$0" run --policy /dev/stdin -- /usr/bin/true',
                        str(BUILD / "fnshield"), str(out)], capture_output=True, text=True, env=base_env())
    assert p.returncode == 78 and "compiled policy read from a pipe" in p.stderr, p.stderr
