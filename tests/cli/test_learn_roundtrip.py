"""The staging -> learn -> production round trip (issue 6, point 1), on a real workload.

tests/cli/workload.py does what a small function does every run — a fresh tempfile directory
with files written and read back, /usr/bin/id, a TCP call to a service, its result written —
under a strict staging policy in alert mode. `fnshield learn` turns the violation lines into a
policy; the same workload in block mode under that policy must log nothing at all, while what
it never did in staging (running /usr/bin/whoami, reading another file) is still blocked.
"""
import json

from conftest import PYTHON, WORKLOAD, base_env, fnshield


def staging_policy(case_dir):
    """Strict: every category restricted; reads of the system allowed, nothing else."""
    return {
        "version": 1,
        "mode": "alert",
        "exec": "block",
        "connect": "block",
        "listen": "block",
        "read": {"default": "block",
                 "allow": ["/usr/**", "/etc/**", "/proc/**", "/sys/**", "/dev/**",
                           str(WORKLOAD)]},
        "write": {"default": "block", "allow": ["/dev/null"]},
    }


def workload(policy, mode, port, out, *extra):
    args = ["run", "--policy", policy]
    if mode:
        args += ["--mode", mode]
    return fnshield(*args, "--", PYTHON, WORKLOAD, "--service", "localhost:%d" % port,
                    "--out", out, *extra, env=base_env())


def test_round_trip(case_dir, write_json, service):
    staging = write_json("staging.json", staging_policy(case_dir))
    out = case_dir / "result.json"

    # 1. staging: alert mode, everything the function does is logged and let through
    st = workload(staging, "alert", service, out)
    assert st.rc == 0, st.explain()
    result = json.loads(st.stdout)
    assert result == {"parts": [0, 1, 2], "id": result["id"], "service": "pong"}
    seen = {v["category"] for v in st.violations}
    assert seen >= {"exec", "connect", "read", "write"}, st.explain()
    assert all(v["action"] == "alert" for v in st.violations)
    log = write_json("staging.log", st.stderr)

    # 2. learn, with the staging policy given
    ln = fnshield("learn", "--from", staging, log)
    assert ln.rc == 0, ln.explain()
    learned = json.loads(ln.stdout)
    assert learned["mode"] == "block"
    assert learned["exec"] == {"default": "block", "allow": ["/usr/bin/id"]}
    assert learned["connect"] == {"default": "block", "allow": ["localhost:%d" % service]}
    assert "/tmp/tmp*/**" in learned["read"]["allow"]         # the per-run directory
    assert "/tmp/tmp*/**" in learned["write"]["allow"]
    assert "/tmp/????????" in learned["write"]["allow"]       # tempfile's probe file
    assert "looks generated" in ln.stderr and "exec.allow[0]" in ln.stderr
    learned_path = write_json("learned.json", ln.stdout)
    ck = fnshield("check", learned_path)
    assert ck.rc == 0, ck.explain()

    # the same policy without --from: the start line names the staging file (same sha256);
    # and from stdin
    auto = fnshield("learn", stdin=st.stderr)
    assert auto.rc == 0, auto.explain()
    assert auto.stdout == ln.stdout
    assert "named by the logs' start lines" in auto.stderr

    # 3. production: block mode (the learned policy's own mode), zero violations
    for _ in range(2):  # new temporary names every run
        prod = workload(learned_path, None, service, out)
        assert prod.rc == 0, prod.explain()
        assert prod.violations == [], prod.explain()
        assert json.loads(prod.stdout) == result
        assert [x["mode"] for x in prod.lines] == ["block"]

    # 4. what it never did in staging is still blocked
    secret = case_dir / "secret.txt"
    secret.write_text("s3cr3t\n")
    attack = workload(learned_path, None, service, out, "--exec", "/usr/bin/whoami",
                      "--read", secret)
    assert attack.rc == 0, attack.explain()
    res = json.loads(attack.stdout)
    assert res["exec"] == "refused: Permission denied", attack.explain()
    assert res["read"] == "refused: Permission denied", attack.explain()
    got = {(v["category"], v["target"], v["rule"], v["action"]) for v in attack.violations}
    assert got == {("exec", "/usr/bin/whoami", "exec.default", "block"),
                   ("read", str(secret), "read.default", "block")}, attack.explain()


def test_round_trip_through_cloudwatch_export(case_dir, write_json, service):
    """The same lines as CloudWatch delivers them (filter-log-events JSON) learn the same."""
    staging = write_json("staging.json", staging_policy(case_dir))
    st = workload(staging, "alert", service, case_dir / "r.json")
    assert st.rc == 0, st.explain()
    events = [{"logStreamName": "2026/11/22/[$LATEST]abc", "timestamp": 1763800000000 + i,
               "message": line + "\n", "ingestionTime": 1763800000100, "eventId": str(i)}
              for i, line in enumerate(st.stderr.splitlines())]
    export = write_json("export.json", {"events": events, "searchedLogStreams": []})
    raw = fnshield("learn", "--from", staging, write_json("raw.log", st.stderr))
    cw = fnshield("learn", "--from", staging, export)
    assert raw.rc == 0 and cw.rc == 0, cw.explain()
    assert cw.stdout == raw.stdout
