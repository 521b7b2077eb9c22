"""fnshield learn on synthetic violation lines: input formats, generalisation, --from semantics,
the lines-only mode, errors. (The round trip on a real workload: test_learn_roundtrip.py.)"""
import hashlib
import json

import pytest

from conftest import fnshield


def line(category, target, rule, action="alert", **kw):
    d = {"fnshield": "violation", "timestamp": "2026-11-22T10:00:00.123Z",
         "level": "WARN" if action == "alert" else "ERROR", "action": action,
         "category": category, "call": "open64", "target": target}
    d.update(kw)
    d["rule"] = rule
    d.update({"pid": 42, "exe": "/usr/bin/python3.11"})
    return json.dumps(d, separators=(",", ":"))


def conn(host, port, ip="52.94.1.1", rule="connect.default"):
    return line("connect", "%s:%d" % (host or ip, port), rule, ip=ip, port=port,
                **({"host": host} if host else {}))


def learn(*args, lines=None, stdin=None):
    if lines is not None:
        stdin = "\n".join(lines) + "\n"
    r = fnshield("learn", *args, stdin=stdin)
    r.policy = json.loads(r.stdout) if r.rc == 0 else None
    return r


SAMPLE = [
    line("write", "/tmp/tmpab12cd_9/x.json", "write.default"),
    line("read", "/tmp/tmpab12cd_9/x.json", "read.default"),
    line("exec", "/usr/bin/python3", "exec.default", resolved="/usr/bin/python3.11"),
    conn("api.example.com", 443),
    conn(None, 5432, ip="10.0.0.7"),
]


# ------------------------------------------------------------------ input formats ---------
def test_every_input_format_learns_the_same(case_dir):
    events = [{"logStreamName": "s", "timestamp": i, "message": l + "\n", "eventId": str(i)}
              for i, l in enumerate(SAMPLE)]
    raw = "START RequestId: 1\n" + "\n".join(
        ("2026-11-22T10:00:00.123Z\t8476a536\tWARN\t" if i % 2 else "app says: ") + l +
        (" trailing" if i % 2 == 0 else "") for i, l in enumerate(SAMPLE)) + "\nEND\n"
    forms = {
        "raw": raw,
        "jsonl": "\n".join(SAMPLE) + "\n",
        "filter-log-events": json.dumps({"events": events, "searchedLogStreams": []}, indent=2),
        "array": json.dumps(events),
        "pages": json.dumps({"events": events[:2]}, indent=2) + "\n" +
                 json.dumps({"events": events[2:]}, indent=2),
        "events-jsonl": "\n".join(json.dumps(e) for e in events),
        "insights": json.dumps({"status": "Complete", "results": [
            [{"field": "@timestamp", "value": "x"}, {"field": "@message", "value": l}]
            for l in SAMPLE]}),
    }
    outs = {}
    for name, text in forms.items():
        p = case_dir / name
        p.write_text(text)
        r = fnshield("learn", p)
        assert r.rc == 0, (name, r.explain())
        assert "5 violation lines" in r.stderr, (name, r.stderr)
        outs[name] = r.stdout
    assert len(set(outs.values())) == 1, outs
    # several files at once: the events add up
    r = fnshield("learn", case_dir / "raw", case_dir / "jsonl")
    assert r.rc == 0 and "10 violation lines" in r.stderr and "from 2 inputs" in r.stderr
    assert r.stdout == outs["raw"]


def test_output_is_a_valid_policy_and_stable(case_dir):
    r = learn(lines=SAMPLE)
    assert r.rc == 0, r.explain()
    assert r.policy == {
        "version": 1, "mode": "block",
        "exec": {"default": "block", "allow": ["/usr/bin/python3", "/usr/bin/python3.11"]},
        "connect": {"default": "block", "allow": ["10.0.0.7:5432", "api.example.com:443"]},
        "read": {"default": "block", "allow": ["/tmp/tmp*/**"]},
        "write": {"default": "block", "allow": ["/tmp/tmp*/**"]},
    }
    p = case_dir / "learned.json"
    p.write_text(r.stdout)
    assert fnshield("check", p).rc == 0
    assert learn(lines=list(reversed(SAMPLE))).stdout == r.stdout


# ------------------------------------------------------------------ generalisation --------
@pytest.mark.parametrize("target,pattern", [
    # per-run directories under a scratch directory: everything below them
    ("/tmp/tmpk3j_x9q2/a/b.txt", "/tmp/tmp*/**"),
    ("/tmp/job-12345/out.json", "/tmp/job-*/**"),
    ("/var/tmp/1b4e28ba-2fa1-11d2-883f-0016d3cca427/x", "/var/tmp/????????-????-????-????-????????????/**"),
    ("/dev/shm/sem.a8Fk2Lq9/x", "/dev/shm/sem.*/**"),
    # generated file names: the literal parts kept
    ("/tmp/abc-1b4e28ba-2fa1-11d2-883f-0016d3cca427.log", "/tmp/abc-*.log"),
    ("/tmp/cache/file_20240101.txt", "/tmp/cache/file_*.txt"),
    ("/tmp/9f86d081884c.bin", "/tmp/????????????.bin"),    # not "/tmp/*.bin"
    ("/tmp/upload9f86d081884c.bin", "/tmp/??????????????????.bin"),
    ("/tmp/1700000000123.json", "/tmp/[0-9]*.json"),
    ("/tmp/x7k2m9q4", "/tmp/????????"),          # tempfile's probe file
    ("/tmp/12345", "/tmp/[0-9]*"),
    # stable names stay exact (and glob syntax is escaped)
    ("/tmp/report.csv", "/tmp/report.csv"),
    ("/tmp/settings/app.json", "/tmp/settings/app.json"),
    ("/tmp/a*b[x]?.txt", "/tmp/a\\*b\\[x\\]\\?.txt"),
    # elsewhere only unmistakable parts
    ("/proc/12345/stat", "/proc/[0-9]*/stat"),
    ("/proc/self/status", "/proc/self/status"),
    ("/var/task/data/9f86d081884c7d659a2feaa0c55ad015/x.bin",
     "/var/task/data/????????????????????????????????/x.bin"),
    ("/var/task/lib/python3.11/x86_64/mod.so", "/var/task/lib/python3.11/x86_64/mod.so"),
    ("/etc/ssl/certs/ca-2024.pem", "/etc/ssl/certs/ca-2024.pem"),
])
def test_path_generalisation(target, pattern):
    r = learn(lines=[line("read", target, "read.default")])
    assert r.rc == 0, r.explain()
    assert r.policy["read"]["allow"] == [pattern], r.stderr
    if pattern != target.replace("*", "\\*").replace("[", "\\[").replace("]", "\\]").replace("?", "\\?"):
        assert "looks generated" in r.stderr


def test_names_that_differ_between_runs():
    """Two runs, two names of the same shape directly in /tmp: the middle is generated."""
    r = learn(lines=[line("write", "/tmp/foo-AbCdEf/x", "write.default"),
                     line("write", "/tmp/foo-QwErTz/x", "write.default"),
                     line("write", "/tmp/out-aaaa.txt", "write.default"),
                     line("write", "/tmp/out-bbbb.txt", "write.default")])
    assert r.rc == 0, r.explain()
    assert r.policy["write"]["allow"] == ["/tmp/foo-*/**", "/tmp/out-*.txt"]
    assert "differs between runs" in r.stderr


def test_fewest_patterns_cover_everything():
    """A per-run directory's glob also covers the directory itself: one pattern, not two."""
    r = learn(lines=[line("write", "/tmp/tmpab12cd34", "write.default", call="mkdir"),
                     line("write", "/tmp/tmpab12cd34/a", "write.default"),
                     line("write", "/tmp/tmpab12cd34/b/c", "write.default")])
    assert r.policy["write"]["allow"] == ["/tmp/tmp*/**"]
    assert "3 targets" in r.stderr


def test_exec_is_exact_in_both_spellings():
    r = learn(lines=[line("exec", "/bin/sh", "exec.default", resolved="/usr/bin/dash",
                          argv=["sh", "-c", "x"]),
                     line("exec", "/opt/app-1234/bin/tool", "exec.default")])
    assert r.policy["exec"]["allow"] == ["/bin/sh", "/opt/app-1234/bin/tool", "/usr/bin/dash"]
    assert "warning: allowed exec /bin/sh" in r.stderr       # a shell: said out loud


def test_lines_that_cannot_become_rules_are_skipped():
    r = learn(lines=[line("read", "/tmp/ok.txt", "read.default"),
                     line("write", "/tmp/" + "x" * 20 + "...[truncated]", "write.default",
                          truncated=True),
                     line("exec", "/memfd:payload (deleted)", "exec.default"),
                     line("write", "/proc/self/mem", "write.protected", action="block"),
                     line("read", "relative/x", "read.unresolved")])
    assert r.rc == 0, r.explain()
    assert r.policy == {"version": 1, "mode": "block",
                       "read": {"default": "block", "allow": ["/tmp/ok.txt"]}}
    assert "skipped 4 lines" in r.stderr
    for why in ("truncated", "memfd", "write.protected", "unresolvable"):
        assert why in r.stderr


def test_repeated_lines_count_events():
    r = learn(lines=[line("exec", "/usr/bin/id", "exec.default", count=41, repeated=True),
                     line("exec", "/usr/bin/id", "exec.default")])
    assert "2 violation lines (42 events)" in r.stderr
    assert "exact (42 events)" in r.stderr


# ------------------------------------------------------------------ hosts -----------------
HOSTS = ["s3.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com",
         "sns.us-east-1.amazonaws.com", "kms.us-east-1.amazonaws.com",
         "logs.us-east-1.amazonaws.com", "sts.amazonaws.com", "api.example.com"]


def test_hosts_under_one_domain_become_a_wildcard():
    r = learn(lines=[conn(h, 443) for h in HOSTS])
    assert r.policy["connect"]["allow"] == [
        "*.us-east-1.amazonaws.com:443", "api.example.com:443", "sts.amazonaws.com:443"]
    assert "5 hosts under us-east-1.amazonaws.com on port 443 (threshold 5)" in r.stderr
    assert "belong to many customers" in r.stderr   # a shared domain: said out loud


def test_wildcard_threshold():
    lines = [conn(h, 443) for h in HOSTS]
    never = learn("--wildcard-threshold", "0", lines=lines)
    assert never.policy["connect"]["allow"] == sorted("%s:443" % h for h in HOSTS)
    # deepest domain first; a wildcard counts as one entry of its parent
    two = learn("--wildcard-threshold", "2", lines=lines)
    assert two.policy["connect"]["allow"] == ["*.amazonaws.com:443", "api.example.com:443"]
    bad = fnshield("learn", "--wildcard-threshold", "many", stdin="")
    assert bad.rc == 64


def test_wildcards_respect_ports_and_public_suffixes():
    lines = [conn("a%d.example.co.uk" % i, 443) for i in range(3)] + \
            [conn("x.svc.internal", 443), conn("y.svc.internal", 8443)]
    r = learn("--wildcard-threshold", "2", lines=lines)
    assert r.policy["connect"]["allow"] == [
        "*.example.co.uk:443", "x.svc.internal:443", "y.svc.internal:8443"]
    r = learn("--wildcard-threshold", "2", lines=[conn("a.co.uk", 443), conn("b.co.uk", 443)])
    assert r.policy["connect"]["allow"] == ["a.co.uk:443", "b.co.uk:443"]   # never *.co.uk


def test_connect_by_address_and_ipv6():
    r = learn(lines=[conn(None, 5432, ip="10.0.0.7"), conn(None, 443, ip="2001:db8::1"),
                     conn(None, 53, ip="169.254.78.1"),
                     line("listen", "0.0.0.0:8080", "listen.default", ip="0.0.0.0", port=8080)])
    assert r.policy["connect"]["allow"] == ["10.0.0.7:5432", "169.254.78.1:53",
                                            "[2001:db8::1]:443"]
    assert r.policy["listen"] == {"default": "block", "allow": ["0.0.0.0:8080"]}


# ------------------------------------------------------------------ --from ----------------
STAGING = {
    "version": 1,
    "mode": "alert",
    "exec": "block",
    "connect": {"default": "alert", "allow": ["*.amazonaws.com:443"], "alert": ["*.example.org"]},
    "read": {"default": "allow", "block": ["/proc/**/environ", "/var/task/**"]},
    "write": {"default": "alert", "allow": ["/dev/null"]},
    "init": {"read": {"default": "allow", "block": ["/proc/**/environ"]}},
    "log": {"backtrace": False},
}


def test_from_adds_allow_rules_and_hardens_defaults(write_json):
    staging = write_json("staging.json", STAGING)
    lines = [
        line("exec", "/usr/bin/id", "exec.default"),
        line("write", "/tmp/tmpab12cd34/out", "write.default"),
        conn("api.example.com", 443),
        conn("www.example.org", 443, rule="connect.alert[0]"),      # explicit alert: kept
        line("read", "/proc/self/environ", "read.block[0]"),         # explicit block: kept
        line("read", "/var/task/app.py", "init.read.default", phase="init"),  # init: allowed
        line("write", "/dev/null", "write.default"),                 # already allowed now
    ]
    r = learn("--from", staging, lines=lines)
    assert r.rc == 0, r.explain()
    assert r.policy == {
        "version": 1,
        "mode": "block",
        "exec": {"default": "block", "allow": ["/usr/bin/id"]},
        "connect": {"default": "block", "allow": ["*.amazonaws.com:443", "api.example.com:443"],
                    "alert": ["*.example.org"]},
        "read": {"default": "allow", "block": ["/proc/**/environ", "/var/task/**"]},
        "write": {"default": "block", "allow": ["/dev/null", "/tmp/tmp*/**"]},
        "init": {"read": {"default": "allow", "block": ["/proc/**/environ"]}},
        "log": {"backtrace": False},
    }
    err = r.stderr
    assert "connect.default: alert -> block" in err and "write.default: alert -> block" in err
    assert 'read.block[0] "/proc/**/environ" catches 1 read target' in err
    assert 'connect.alert[0] "*.example.org" catches 1 connect target' in err
    assert "already allowed" in err
    assert "exec.allow[0]" in err and "connect.allow[1]" in err and "write.allow[1]" in err


def test_from_init_override(write_json):
    staging = write_json("staging.json", {
        "version": 1, "read": {"default": "allow", "block": ["/var/task/**"]},
        "init": {"read": {"default": "alert", "allow": ["/usr/**"]}}})
    r = learn("--from", staging, lines=[
        line("read", "/opt/layer/lib.so", "init.read.default", phase="init"),
        line("read", "/var/task/handler.py", "read.block[0]", phase="invoke")])
    assert r.policy["init"] == {"read": {"default": "block", "allow": ["/usr/**", "/opt/layer/lib.so"]}}
    assert r.policy["read"] == {"default": "allow", "block": ["/var/task/**"]}
    assert "init.read.allow[1]" in r.stderr


def test_from_a_functionshield_policy(write_json):
    fsh = write_json("fsh.json", {"create_child_process": "alert", "outbound_connectivity": "block",
                                  "read_write_tmp": "allow", "read_handler": "block"})
    r = learn("--from", fsh, lines=[line("exec", "/usr/bin/id", "exec.default"),
                                    conn("api.example.com", 443)])
    assert r.rc == 0, r.explain()
    assert r.policy["exec"] == {"default": "block", "allow": ["/usr/bin/id"]}
    assert r.policy["connect"]["allow"][-1] == "api.example.com:443"
    assert "FunctionShield" in r.stderr


def test_staging_policy_found_through_the_start_line(write_json):
    staging = write_json("staging.json", STAGING)
    digest = hashlib.sha256(staging.read_bytes()).hexdigest()
    start = json.dumps({"fnshield": "start", "mode": "alert", "policy": "file:%s" % staging,
                        "digest": digest})
    v = line("exec", "/usr/bin/id", "exec.default")
    found = learn(lines=[start, v])
    assert found.stdout == learn("--from", staging, lines=[v]).stdout
    assert "named by the logs' start lines" in found.stderr
    # a file with other contents is not taken for it
    staging.write_text(json.dumps(dict(STAGING, exec="alert")))
    other = learn(lines=[start, v])
    assert "not at hand" in other.stderr and other.policy["exec"]["default"] == "block"
    assert "connect" not in other.policy            # lines only
    # and --lines-only never looks
    staging.write_text(json.dumps(STAGING))
    assert "start lines" not in learn("--lines-only", lines=[start, v]).stderr
    # --from a policy other than the logs': judged again, and said so
    s2 = write_json("s2.json", dict(STAGING, exec="alert"))
    r = learn("--from", s2, lines=[start, v])
    assert "judged again" in r.stderr


# ------------------------------------------------------------------ lines only -----------
def test_without_from_only_default_flagged_categories_are_restricted():
    r = learn("--lines-only", lines=[
        line("exec", "/usr/bin/id", "exec.default"),
        line("read", "/proc/self/environ", "read.block[0]"),
        line("write", "/tmp/x", "write.alert[0]"),
        line("write", "/tmp/out.json", "write.default")])
    assert r.policy == {"version": 1, "mode": "block",
                        "exec": {"default": "block", "allow": ["/usr/bin/id"]},
                        "write": {"default": "block", "allow": ["/tmp/out.json", "/tmp/x"]}}
    assert "left out (allow): read — flagged only by explicit rules" in r.stderr
    assert "left out (allow): connect, listen — no violation seen" in r.stderr
    assert "give it with --from" in r.stderr


# ------------------------------------------------------------------ errors ----------------
def test_no_violation_lines(write_json):
    r = learn(stdin="hello\n{\"fnshield\":\"start\",\"mode\":\"alert\"}\n")
    assert r.rc == 65 and "no violation lines found" in r.stderr and r.stdout == ""
    staging = write_json("staging.json", STAGING)
    r = learn("--from", staging, stdin="")
    assert r.rc == 0 and r.policy["mode"] == "block" and r.policy["write"]["default"] == "block"


def test_bad_inputs(write_json, case_dir):
    assert fnshield("learn", case_dir / "missing.log").rc == 66
    bad = write_json("bad.json", '{"version": 1, "exec": "maybe"}')
    r = fnshield("learn", "--from", bad, stdin="")
    assert r.rc == 78 and "exec" in r.stderr
    assert fnshield("learn", "--bogus").rc == 64
