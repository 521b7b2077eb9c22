"""The runtime matrix's verdicts (tests/matrix/matrix.py) fail what they must: a run's output
made up here, right and then wrong in each way a library could be wrong."""
import json
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "matrix"))
import matrix  # noqa: E402

START = {"fnshield": "start", "seccomp": "on"}
CATEGORY = {"exec_shell": "exec", "read_environ": "read", "connect_loopback": "connect",
            "write_outside_tmp": "write"}


def run_output(mode="block", drop_line=None, extra_line=None, outcome=None, seccomp="on"):
    """What a right run of the checks prints, with one thing made wrong."""
    err, out = [json.dumps(dict(START, seccomp=seccomp))], []
    for column, (want, lines, category) in matrix.CHECKS.items():
        name = column + ":call"
        err.append(json.dumps({"matrix": "check", "name": name}))
        if mode == "alert":
            want = matrix.ALERT_OUTCOME.get(want, want)
        n = lines + (1 if column == extra_line else 0) - (1 if column == drop_line else 0)
        for _ in range(n):
            err.append(json.dumps({"fnshield": "violation", "category": CATEGORY.get(column, "exec"),
                                   "action": mode}))
        out.append(json.dumps({"check": name, "outcome": (outcome or {}).get(column, want),
                               "detail": ""}))
    return SimpleNamespace(returncode=0, stdout="\n".join(out) + "\n", stderr="\n".join(err) + "\n")


def test_a_right_run_passes_in_both_modes():
    for mode in ("block", "alert"):
        cells, variants = matrix.judge_calls(run_output(mode), "on", mode)
        assert all(p is None for p in cells.values()), cells
        assert len(variants) == len(matrix.CHECKS)


def test_a_refusal_without_its_line_fails():
    cells, _ = matrix.judge_calls(run_output(drop_line="read_environ"), "on", "block")
    assert cells["read_environ"] and "0 lines" in cells["read_environ"]
    assert cells["exec_shell"] is None


def test_a_line_for_a_missing_program_fails():
    cells, _ = matrix.judge_calls(run_output(extra_line="exec_missing"), "on", "block")
    assert cells["exec_missing"] and "1 lines" in cells["exec_missing"]


def test_a_wrong_error_fails():
    cells, _ = matrix.judge_calls(run_output(outcome={"connect_loopback": "other"}), "on", "block")
    assert "other" in cells["connect_loopback"]


def test_the_backstop_must_be_what_the_run_asked_for():
    cells, _ = matrix.judge_calls(run_output(seccomp="off"), "on", "block")
    assert all(p and "seccomp" in p for p in cells.values())


def test_alert_mode_folds_into_one_cell():
    cells, _ = matrix.judge_calls(run_output("alert", drop_line="write_outside_tmp"), "on", "alert")
    assert list(cells) == ["alert"] and "write_outside_tmp" in cells["alert"]


def test_allow_all_fails_on_a_line_or_other_output():
    start = json.dumps(START) + "\n"
    bare = SimpleNamespace(returncode=0, stdout="same\n", stderr="")
    ok = SimpleNamespace(returncode=0, stdout="same\n", stderr=start)
    assert matrix.judge_allow_all(ok, "on", bare) is None
    line = SimpleNamespace(returncode=0, stdout="same\n",
                           stderr=start + json.dumps({"fnshield": "violation"}) + "\n")
    assert matrix.judge_allow_all(line, "on", bare)
    other = SimpleNamespace(returncode=0, stdout="changed\n", stderr=start)
    assert "differs" in matrix.judge_allow_all(other, "on", bare)


def test_start_fails_on_a_violation_or_an_exit():
    start = json.dumps(START) + "\n"
    assert matrix.judge_start(SimpleNamespace(returncode=0, stdout="", stderr=start), "on") is None
    assert matrix.judge_start(SimpleNamespace(returncode=1, stdout="", stderr=start), "on")
    v = start + json.dumps({"fnshield": "violation", "category": "read", "target": "/x"}) + "\n"
    assert matrix.judge_start(SimpleNamespace(returncode=0, stdout="", stderr=v), "on")


def origin_output(origin_file="/opt/probe/probe.py", drop=None, outside_stack=False):
    """The block run's lines for the calls whose origin the matrix checks (Python's)."""
    _, calls = matrix.ORIGIN_CALLS["python"]
    err = [json.dumps(START)]
    for name in calls + ["read_environ:other"]:
        err.append(json.dumps({"matrix": "check", "name": name}))
        line = {"fnshield": "violation", "category": "read", "action": "block"}
        if name != drop:
            frame = {"file": origin_file, "line": 7, "function": "checks"}
            line["origin"] = dict(frame, runtime="python")
            line["stack"] = [] if outside_stack else [frame]
        err.append(json.dumps(line))
    return SimpleNamespace(returncode=0, stdout="", stderr="\n".join(err) + "\n")


def test_origin_of_the_probes_calls():
    assert matrix.judge_origin(origin_output(), "python") is None
    assert "no line" not in (matrix.judge_origin(origin_output(drop="read_environ:other"), "python") or "")
    assert "read_environ:open" in matrix.judge_origin(origin_output(drop="read_environ:open"), "python")
    assert "origin" in matrix.judge_origin(origin_output(origin_file="/usr/lib/python3/x.py"), "python")
    assert "outside its stack" in matrix.judge_origin(origin_output(outside_stack=True), "python")
