"""fnshield check --print: the policy in force as fnshield JSON (a FunctionShield policy as its
translation)."""
import json

from conftest import ROOT, base_env, fnshield

AWS = ["*.amazonaws.com", "*.amazonaws.com.cn", "*.api.aws"]


def test_functionshield_policy_prints_its_translation(write_json):
    fsh = write_json("fsh.json", {"create_child_process": "block", "outbound_connectivity": "alert",
                                  "read_write_tmp": "allow", "read_handler": "block"})
    r = fnshield("check", "--print", fsh)
    assert r.rc == 0, r.explain()
    assert json.loads(r.stdout) == {
        "version": 1,
        "mode": "block",
        "exec": "block",
        "connect": {"default": "alert", "allow": AWS},
        "read": {"default": "allow", "allow": ["/tmp/**"], "block": ["/var/task/**"]},
        "write": {"default": "allow", "allow": ["/tmp/**"]},
        "init": {"read": {"default": "allow", "allow": ["/tmp/**"]}},
    }
    assert "policy ok" in r.stderr and "FunctionShield" in r.stderr
    # what is printed is a policy that checks, and prints the same again
    again = write_json("again.json", r.stdout)
    r2 = fnshield("check", "--print", again)
    assert r2.rc == 0 and r2.stdout == r.stdout


def test_missing_switches_allow_and_equal_actions_share_a_list(write_json):
    fsh = write_json("fsh.json", {"read_write_tmp": "block", "read_handler": "block"})
    p = json.loads(fnshield("check", "--print", fsh).stdout)
    assert p["exec"] == "allow"
    assert p["connect"] == {"default": "allow", "allow": AWS}
    assert p["read"] == {"default": "allow", "block": ["/tmp/**", "/var/task/**"]}


def test_fnshield_policy_is_printed_as_is():
    src = ROOT / "policy" / "examples" / "production.json"
    r = fnshield("check", "--print", src)
    assert r.rc == 0, r.explain()
    assert json.loads(r.stdout) == json.loads(src.read_text())
    assert r.stdout.startswith('{\n  "version": 1,\n  "mode": "block",\n')


def test_the_mode_in_force(write_json):
    src = ROOT / "policy" / "examples" / "production.json"
    r = fnshield("check", "--print", src, env=base_env(FNSHIELD_MODE="alert"))
    assert json.loads(r.stdout)["mode"] == "alert"
    nomode = write_json("nomode.json", {"version": 1, "exec": "block"})
    r = fnshield("check", "--print", nomode)
    assert r.stdout == '{"version": 1, "mode": "alert", "exec": "block"}\n'   # fits: one line


def test_the_environment(write_json):
    r = fnshield("check", "--print", env=base_env())
    p = json.loads(r.stdout)
    assert p["mode"] == "alert" and p["exec"] == "block"          # the built-in default
    r = fnshield("check", "--print",
                 env=base_env(FNSHIELD_POLICY='{"outbound_connectivity": "block"}'))
    assert json.loads(r.stdout)["connect"] == {"default": "block", "allow": AWS}
    f = write_json("p.json", {"version": 1, "listen": "block"})
    r = fnshield("check", "--print", env=base_env(FNSHIELD_POLICY_FILE=str(f)))
    assert json.loads(r.stdout) == {"version": 1, "mode": "alert", "listen": "block"}


def test_invalid_policies_print_nothing(write_json):
    bad = write_json("bad.json", {"create_child_process": "sometimes"})
    r = fnshield("check", "--print", bad)
    assert r.rc == 78 and r.stdout == ""
    assert json.loads(r.stderr.splitlines()[0])["path"] == "create_child_process"
    mixed = write_json("mixed.json", {"create_child_process": "block", "exec": "block"})
    assert fnshield("check", "--print", mixed).rc == 78
    assert fnshield("check", "--print", bad, bad).rc == 64
    # without --print, check still prints its one line on stdout
    ok = write_json("ok.json", {"version": 1})
    r = fnshield("check", ok)
    assert r.rc == 0 and r.stdout.startswith("fnshield: policy ok")
