"""fnshield report on the logs of the end-to-end runs (issue 12: "report works on the logs of the
end-to-end Lambda tests").

test_e2e.py keeps every run's lines in build/e2e/fnshield-lines.log (e2e_support.keep_lines):
four functions, one per runtime, invoked through the Runtime API emulator. This file's name
sorts after test_e2e.py, so it reads what that module's runs wrote in this session.
"""
import json
import subprocess

import pytest

import e2e_support as es


@pytest.fixture
def e2e_lines(request):
    if not any(item.module.__name__ == "test_e2e" for item in request.session.items):
        pytest.skip("reads what test_e2e.py writes: run the two together (make test does)")
    assert es.E2E_LOG.exists(), "test_e2e.py ran but kept no lines in %s" % es.E2E_LOG
    text = es.E2E_LOG.read_text()
    lines = [json.loads(l) for l in text.splitlines() if l.startswith('{"fnshield":"violation"')]
    assert lines, "no violation line in %s" % es.E2E_LOG
    return lines


def report(*args):
    p = subprocess.run([str(es.FNSHIELD), "report", *args, str(es.E2E_LOG)], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_report_names_each_function_and_its_code(e2e_lines):
    by_function = json.loads(report("--json", "--by", "function"))
    assert by_function["lines"] == len(e2e_lines)
    assert by_function["violations"] == sum(l.get("count", 1) for l in e2e_lines)
    functions = {g["key"]: g for g in by_function["groups"]}
    ran = {l["function"] for l in e2e_lines}  # all four under make test; fewer with -k
    assert set(functions) == ran and ran <= {"fnshield-e2e-%s" % r for r in es.RUNTIME_NAMES}
    # Each runtime whose origin fnshield reads: its own handler file named on its rows.
    handler_of = {"python": "handler.py", "node": "index.mjs", "java": "Handler.java"}
    for runtime, file in handler_of.items():
        if "fnshield-e2e-%s" % runtime not in ran:
            continue
        rows = functions["fnshield-e2e-%s" % runtime]["rows"]
        named = [r for r in rows if r.get("origin", {}).get("file", "").endswith(file)]
        assert named, (runtime, rows)
        assert all(r["origin"]["runtime"] == runtime and r["origin"]["line"] > 0 for r in named)
        assert {r["category"] for r in named} >= {"read", "exec"}, (runtime, named)

    by_package = json.loads(report("--json"))
    packages = {g["key"]: g for g in by_package["groups"]}
    # Python's handler.py in the task root is its own package; the Node.js and Java handlers lie
    # in no package; Ruby and the programs the functions start have no origin.
    expect = {"handler": {"fnshield-e2e-python"},
              "(no package)": {"fnshield-e2e-node", "fnshield-e2e-java"}}
    for package, want in expect.items():
        if want & ran:
            assert set(packages[package]["functions"]) == want & ran, packages[package]
    if "fnshield-e2e-ruby" in ran:
        assert "fnshield-e2e-ruby" in packages["(origin unknown)"]["functions"]
    assert sum(g["violations"] for g in by_package["groups"]) == by_package["violations"]


def test_report_for_a_person(e2e_lines):
    out = report()
    assert out.startswith("fnshield report: %d violation lines" % len(e2e_lines)), out
    for fn in {l["function"] for l in e2e_lines}:
        assert " %s " % fn in out, (fn, out)
