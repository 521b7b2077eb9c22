"""fnshield report: a fleet's violation lines → which code did what in which functions.

A small fleet (tests/cli/fleet.log, hand-written: four functions in Python, Node.js and Java):
lines with origins in packages, the functions' own code, lines without origin (a libuv pool
thread, a child program), repeat summaries (count, no origin), blocked and alerted, init and
invoke; every input format learn reads. learn --package and its "needed by" are here too.
"""
import json
from pathlib import Path

import pytest

from conftest import fnshield

FLEET = Path(__file__).resolve().parent / "fleet.log"


def fleet_lines():
    return [json.loads(l[l.index("{"):]) for l in FLEET.read_text().splitlines()
            if '"fnshield":"violation"' in l]


def report(*args, stdin=None):
    r = fnshield("report", *args, stdin=stdin)
    r.doc = json.loads(r.stdout) if r.rc == 0 and "--json" in args else None
    return r


def group(doc, key):
    found = [g for g in doc["groups"] if g["key"] == key]
    assert len(found) == 1, (key, [g["key"] for g in doc["groups"]])
    return found[0]


def test_by_package_counts_every_violation_truthfully():
    r = report("--json", FLEET)
    assert r.rc == 0, r.explain()
    lines = fleet_lines()
    d = r.doc
    assert d["by"] == "package" and d["lines"] == len(lines)
    assert d["violations"] == sum(l.get("count", 1) for l in lines)
    assert sum(g["violations"] for g in d["groups"]) == d["violations"]
    assert [g["violations"] for g in d["groups"]] == sorted(
        (g["violations"] for g in d["groups"]), reverse=True)

    # requests (Python): two functions, its read blocked once in full and 41 times in a summary
    # that carries no origin but whose full line named requests.
    g = group(d, "requests")
    assert sorted(g["functions"]) == ["billing", "orders-api"]
    assert g["violations"] == 1 + 41 + 1 and g["blocked"] == 42 and g["alerted"] == 1
    environ = [x for x in g["rows"] if x["target"] == "/proc/self/environ"][0]
    assert environ == {
        "function": "orders-api", "package": "requests", "category": "read",
        "target": "/proc/self/environ", "violations": 42, "blocked": 42, "alerted": 0,
        "first": "2026-12-01T10:00:01.000Z", "last": "2026-12-01T10:05:00.000Z", "lines": 2,
        "origin": {"runtime": "python", "file": "/var/task/requests/sessions.py", "line": 310,
                   "function": "Session.steal"}}
    assert g["first"] == "2026-12-01T10:00:01.000Z" and g["last"] == "2026-12-02T08:00:00.000Z"

    # an npm module with its scope; a jar
    assert group(d, "@acme/evil")["rows"][0]["origin"]["runtime"] == "node"
    jar = group(d, "acme-evil-1.0.jar")
    assert jar["rows"][0]["category"] == "exec" and jar["rows"][0]["target"] == "/bin/sh"
    assert jar["rows"][0]["origin"]["function"] == "com.acme.evil.Steal.runShell"

    # the functions' own code outside any package, and lines that name no code at all
    own = group(d, "(no package)")
    assert own["functions"] == ["payments-java"]
    unknown = group(d, "(origin unknown)")
    assert unknown["violations"] == 3 + 7  # a pool thread's read, a child's read; a summary
    assert all("origin" not in x for x in unknown["rows"])


def test_a_summary_whose_full_lines_disagree_is_not_attributed():
    base = {"fnshield": "violation", "action": "block", "category": "read", "call": "open",
            "target": "/etc/shadow", "rule": "read.default", "pid": 7, "exe": "/usr/bin/node",
            "function": "f", "timestamp": "2026-12-01T00:00:00.000Z"}
    a = dict(base, origin={"runtime": "node", "file": "/x/node_modules/a/i.js", "line": 1,
                           "function": "a", "package": "a"})
    b = dict(base, origin={"runtime": "node", "file": "/x/node_modules/b/i.js", "line": 1,
                           "function": "b", "package": "b"})
    summary = dict(base, count=10, repeated=True)
    text = "\n".join(json.dumps(x) for x in (a, b, summary)) + "\n"
    d = report("--json", stdin=text).doc
    assert group(d, "a")["violations"] == 1 and group(d, "b")["violations"] == 1
    assert group(d, "(origin unknown)")["violations"] == 10


@pytest.mark.parametrize("by,key,violations", [
    ("function", "orders-api", 1 + 41 + 1 + 7),
    ("category", "exec", 2 + 1),
    ("target", "/proc/self/environ", 42 + 5),
])
def test_by_other_fields(by, key, violations):
    r = report("--json", "--by", by, FLEET)
    assert r.rc == 0, r.explain()
    assert r.doc["by"] == by
    g = group(r.doc, key)
    assert g["violations"] == violations, g
    assert all(row[by] == key for row in g["rows"])
    assert sum(x["violations"] for x in r.doc["groups"]) == r.doc["violations"]


def test_text_for_a_person():
    r = report(FLEET)
    assert r.rc == 0, r.explain()
    out = r.stdout
    lines = fleet_lines()
    total = sum(l.get("count", 1) for l in lines)
    assert out.startswith("fnshield report: %d violation lines, %d violations, by package\n"
                          % (len(lines), total)), out
    assert "\nrequests — 43 violations (blocked 42, alerted 1), " \
           "2026-12-01T10:00:01.000Z … 2026-12-02T08:00:00.000Z\n" in out, out
    row = [l for l in out.splitlines() if "/proc/self/environ" in l and "orders-api" in l][0]
    assert "read" in row and " 42 " in row and "blocked" in row
    assert row.endswith("Session.steal (/var/task/requests/sessions.py:310)"), row
    # every group is there, most violations first
    heads = [l for l in out.splitlines() if " — " in l and "violation" in l]
    assert len(heads) == len(report("--json", FLEET).doc["groups"])


def test_every_input_format_reports_the_same(case_dir):
    raw = [l for l in FLEET.read_text().splitlines() if "fnshield" in l]
    msgs = [l[l.index("{"):] for l in raw]
    events = [{"logStreamName": "s", "timestamp": i, "message": m + "\n", "eventId": str(i)}
              for i, m in enumerate(msgs)]
    forms = {
        "raw": FLEET.read_text(),
        "filter-log-events": json.dumps({"events": events}, indent=2),
        "pages": json.dumps({"events": events[:3]}) + "\n" + json.dumps({"events": events[3:]}),
        "insights": json.dumps({"status": "Complete", "results": [
            [{"field": "@timestamp", "value": "x"}, {"field": "@message", "value": m}]
            for m in msgs]}),
    }
    outs = set()
    for name, text in forms.items():
        p = case_dir / name
        p.write_text(text)
        r = report("--json", p)
        assert r.rc == 0, (name, r.explain())
        outs.add(json.dumps(r.doc, sort_keys=True))
    assert len(outs) == 1
    # stdin, and several files adding up
    assert json.dumps(report("--json", stdin=FLEET.read_text()).doc, sort_keys=True) in outs
    two = report("--json", case_dir / "raw", case_dir / "insights").doc
    assert two["violations"] == 2 * json.loads(outs.pop())["violations"]


def test_exit_codes(case_dir):
    assert report("--by", "colour", FLEET).rc == 64
    assert report("--frobnicate", FLEET).rc == 64
    r = report(case_dir / "missing.log")
    assert r.rc == 66 and "missing.log" in r.stderr
    empty = case_dir / "empty.log"
    empty.write_text("START RequestId: 1\nEND\n")
    r = report("--json", empty)
    assert r.rc == 0 and "no violation lines" in r.stderr
    assert r.doc == {"by": "package", "lines": 0, "violations": 0, "groups": []}


# ------------------------------------------------------------ learn --package --------------
def test_learn_names_the_packages_that_needed_each_rule():
    r = fnshield("learn", "--lines-only", FLEET)
    assert r.rc == 0, r.explain()
    rule = [l for l in r.stderr.splitlines() if "/proc/self/environ" in l and "read.allow" in l]
    assert rule and rule[0].endswith("— needed by requests, boto3, (no package)"), r.stderr
    env = [l for l in r.stderr.splitlines() if "/var/task/.env" in l and "read.allow" in l]
    assert env and "needed by" not in env[0], r.stderr  # no line of its named any code
    sh = [l for l in r.stderr.splitlines() if l.strip().startswith("exec.allow") and "/bin/sh" in l]
    assert sh and sh[0].endswith("— needed by acme-evil-1.0.jar, @acme/evil"), r.stderr


def test_learn_package_learns_from_that_package_alone():
    r = fnshield("learn", "--lines-only", "--package", "@acme/evil", FLEET)
    assert r.rc == 0, r.explain()
    policy = json.loads(r.stdout)
    assert sorted(policy["exec"]["allow"]) == ["/bin/sh", "/usr/bin/dash"], policy
    assert "read" not in policy and "connect" not in policy, policy
    assert "from other code than --package" in r.stderr, r.stderr
