"""fnshield explain: the decision, the rule that makes it, and why every other rule does not."""
import json
import os
import re

import pytest

from conftest import PYTHON, base_env, fnshield

POLICY = {
    "version": 1,
    "mode": "block",
    "exec": {"default": "block", "allow": ["/bin/sh", "/usr/bin/*"], "block": ["/usr/bin/curl"]},
    "connect": {"default": "block", "allow": ["*.amazonaws.com:443", "10.0.0.0/8"],
                "alert": ["s3.amazonaws.com"], "block": ["evil.example.com"]},
    "listen": "block",
    "read": {"default": "allow", "block": ["/proc/**/environ", "/var/task/**"]},
    "write": {"default": "block", "allow": ["/tmp/**", "/dev/null"]},
    "init": {"read": {"default": "allow", "block": ["/proc/**/environ"]}},
}


def parse(out):
    """(decision word, rule name) and the rows: {rule name: text after the pattern}. A call that
    fails by itself (a file that is not there) decides "none"; its rule is the one that would
    decide were the file there."""
    decision = re.search(r"^decision: (\w+)", out, re.M).group(1)
    rule = re.search(r"^rule: (?:none \(were it there: )?(\S+)", out, re.M).group(1)
    rows = {}
    for m in re.finditer(r"^  ((?:init\.)?[a-z]+\.(?:default|(?:allow|alert|block)\[\d+\]))\s+"
                         r"(\"[^\"]*\"|allow|alert|block)\s+(.*)$", out, re.M):
        rows.setdefault(m.group(1), []).append(m.group(3))
    return decision, rule, rows


@pytest.fixture
def policy(write_json):
    return write_json("policy.json", POLICY)


def explain(policy, *args, **kw):
    r = fnshield("explain", "--policy", policy, *args, **kw)
    assert r.rc == 0, r.explain()
    return (*parse(r.stdout), r.stdout)


def test_block_wins_over_allow(policy):
    d, rule, rows, out = explain(policy, "exec", "/usr/bin/curl")
    assert (d, rule) == ("block", "exec.block[0]")
    assert 'exec.block[0] "/usr/bin/curl"' in out
    assert rows["exec.allow[1]"] == ["matches, but block wins over allow (exec.block[0])"]
    assert rows["exec.allow[0]"] == ["does not match"]
    assert rows["exec.block[0]"] == ["matches — decides"]
    assert rows["exec.default"] == ["not used: exec.block[0] matches"]
    assert "fails with EACCES" in out


def test_default_decides(policy):
    d, rule, rows, out = explain(policy, "write", "/var/tmp/app.py")
    assert (d, rule) == ("block", "write.default")
    assert rows["write.default"] == ["decides: no pattern matches"]
    assert "no pattern of write matches" in out


def test_program_found_in_path_and_both_spellings(policy):
    """sh is looked up in PATH; /usr/bin/sh is a link to dash: both spellings are judged, and
    the pattern /bin/sh matches dash through its own resolved spelling."""
    d, rule, rows, out = explain(policy, "exec", "sh",
                                 env=base_env(PATH="/usr/local/bin:/usr/bin"))
    assert "found in PATH: /usr/bin/sh" in out
    real = os.path.realpath("/usr/bin/sh")
    assert "resolved:    %s" % real in out
    assert (d, rule) == ("allow", "exec.allow[1]")     # /usr/bin/* — the first allow matching
    assert "matches (through its symlink-resolved spelling)" in " ".join(rows["exec.allow[0]"])
    assert "comes first in the list" in " ".join(rows["exec.allow[0]"] + rows["exec.allow[1]"])


def test_symbolic_link_to_a_blocked_file(policy, case_dir):
    """The link's own name is allowed, the file it names is not: the stricter wins."""
    link = case_dir / "innocent.txt"
    os.symlink("/proc/self/environ", link)
    d, rule, rows, out = explain(policy, "read", "innocent.txt", cwd=case_dir)
    assert (d, rule) == ("block", "read.block[0]")
    assert "as written:  %s" % link in out
    assert re.search(r"resolved:    /proc/\d+/environ", out)
    assert "on the resolved path: the stricter spelling wins" in out
    assert "/proc/self is the process" not in out


def test_relative_paths_are_normalised(policy, case_dir):
    (case_dir / "a").mkdir()
    (case_dir / "b").mkdir()
    d, rule, rows, out = explain(policy, "write", "./a/../b//c.txt", cwd=case_dir)
    assert "as written:  %s/b/c.txt   (made absolute and normalised" % case_dir in out
    assert rule == "write.allow[0]" and d == "allow"   # /tmp/**


def test_mode_alert_turns_block_into_alert(policy):
    d, rule, rows, out = explain(policy, "--mode", "alert", "exec", "/usr/bin/curl")
    assert (d, rule) == ("block", "exec.block[0]")
    assert "which mode alert (from --mode) turns into alert" in out
    r = fnshield("explain", "--policy", policy, "exec", "/usr/bin/curl",
                 env=base_env(FNSHIELD_MODE="alert"))
    assert "mode alert (from FNSHIELD_MODE)" in r.stdout


def test_connect_by_name(policy):
    d, rule, rows, out = explain(policy, "connect", "s3.amazonaws.com:443")
    assert (d, rule) == ("alert", "connect.alert[0]")
    assert rows["connect.allow[0]"] == ["matches, but alert wins over allow (connect.alert[0])"]
    assert rows["connect.allow[1]"][0].startswith("not evaluated")
    assert "call goes through and a violation line is logged" in out
    # an address rule that could decide: said so
    d, rule, rows, out = explain(policy, "connect", "db.internal:5432")
    assert (d, rule) == ("block", "connect.default")
    assert "1 address rule not evaluated could change this decision" in out
    d, rule, rows, out = explain(policy, "--ip", "10.1.2.3", "connect", "db.internal:5432")
    assert (d, rule) == ("allow", "connect.allow[1]")
    d, rule, rows, out = explain(policy, "connect", "x.evil.example.com:443")
    assert (d, rule) == ("block", "connect.default")
    assert rows["connect.block[0]"] == ["does not match"]   # a name rule is that name only


def test_connect_by_address(policy):
    d, rule, rows, out = explain(policy, "connect", "10.0.0.5:22")
    assert (d, rule) == ("allow", "connect.allow[1]")
    assert "name rules apply only to addresses the process resolved" in out
    d, rule, rows, out = explain(policy, "connect", "[::1]:80")
    assert (d, rule) == ("block", "connect.default") and "fails with EPERM" in out
    d, rule, rows, out = explain(policy, "listen", "0.0.0.0:8080")
    assert (d, rule) == ("block", "listen.default")


def test_init_phase(policy):
    # /var/task does not exist here: the read fails by itself, nothing is logged; the rule
    # shown is the one that would decide were the file there
    d, rule, rows, out = explain(policy, "read", "/var/task/handler.py")
    assert (d, rule) == ("none", "read.block[1]") and "init.read applies instead (add --init)" in out
    assert "fails by itself with ENOENT" in out
    d, rule, rows, out = explain(policy, "--init", "read", "/var/task/handler.py")
    assert (d, rule) == ("none", "init.read.default")
    assert rows["init.read.block[0]"] == ["does not match"]


def test_proc_mem_is_protected(policy):
    d, rule, rows, out = explain(policy, "write", "/proc/self/mem")
    assert (d, rule) == ("block", "write.protected")


def test_functionshield_policy(write_json):
    fsh = write_json("fsh.json", {"create_child_process": "block", "read_handler": "alert"})
    d, rule, rows, out = explain(fsh, "read", "/var/task/handler.py")
    assert (d, rule) == ("none", "read.alert[0]")   # no /var/task here: fails by itself
    assert '"/var/task/**"' in out


def test_errors(policy, write_json):
    assert fnshield("explain", "--policy", policy, "open", "/x").rc == 64
    assert fnshield("explain", "--policy", policy, "read").rc == 64
    assert fnshield("explain", "--policy", policy, "connect", "example.com").rc == 64
    assert fnshield("explain", "--policy", policy, "connect", "example.com:0").rc == 64
    assert fnshield("explain", "--policy", policy, "connect", "::1:443").rc == 64
    assert fnshield("explain", "--policy", policy, "connect", "[example.com]:443").rc == 64
    assert fnshield("explain", "--policy", policy, "connect", "a..b:443").rc == 64
    assert fnshield("explain", "--policy", policy, "--ip", "10.0.0.1", "connect", "1.2.3.4:1").rc == 64
    bad = write_json("bad.json", '{"version": 1, "exec": {"allow": ["relative"]}}')
    r = fnshield("explain", "--policy", bad, "exec", "/usr/bin/id")
    assert r.rc == 78
    err = json.loads(r.stderr.splitlines()[0])
    assert err["fnshield"] == "error" and err["path"] == "exec.allow[0]"
    r = fnshield("explain", "--policy", policy, "exec", "no-such-program-x")
    assert r.rc == 0 and "decision: none — the call fails by itself with ENOENT" in r.stdout


def test_no_policy_means_the_environment(write_json):
    r = fnshield("explain", "exec", "/usr/bin/id", env=base_env())
    assert "policy:      default" in r.stdout
    assert parse(r.stdout)[:2] == ("block", "exec.default")
    assert "turns into alert" in r.stdout                   # the built-in default alerts


@pytest.mark.parametrize("category,target,code", [
    ("read", "/proc/self/environ", "open('/proc/self/environ').read()"),
    ("write", "/var/tmp/x", "open('/var/tmp/x', 'w')"),
    ("exec", "/usr/bin/curl", "import os; os.execv('/usr/bin/curl', ['curl'])"),
])
def test_explain_agrees_with_the_shim(policy, category, target, code):
    """What explain says is what the shim does: same action, same rule."""
    d, rule, rows, out = explain(policy, category, target)
    r = fnshield("run", "--policy", policy, "--", PYTHON, "-c", code)
    v = [x for x in r.violations if x["category"] == category]
    assert v, r.explain()
    assert (v[0]["action"], v[0]["rule"]) == (d, rule)
