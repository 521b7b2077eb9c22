"""Who made the call: "origin" and "stack" on violation lines (SPEC v1.1; shim/origin*.c).

On the real runtimes, a violation made by Python or JavaScript code names that code: the
innermost frame outside the language's own library, with its file, the line of the call,
the function and the package (a package in the task root, one under site-packages, an npm
module with its @scope), and "stack" holds the frames, innermost first, at most 16. The
probes mark each call's line with "CALL:<name>", so the expected line is read off the file.

Safety (issue 12, point 4): many threads violating at once, fork and vfork children, a signal
handler, interpreter start-up and shutdown, libuv's pool threads and workers: no crash, no
hang, the program's results unchanged, and every line one JSON object of at most 4096 bytes.
Where the code cannot be known safely (libuv's pool, interpreter start-up), the fields are
absent. "log": {"stack": false} turns them off.

Python: Debian's /usr/bin/python3 (3.11.2, one static binary) and pyenv's 3.11.7 (shared
libpython), when present. Other versions run in the runtime matrix (tests/matrix).
"""
import json
import os
import socket

import pytest

import support
from origin_support import (assert_origin, call_line, lines_intact, make_case, policy,
                            run_probe)

HERE = os.path.dirname(os.path.abspath(__file__))
PY_DIR = os.path.join(HERE, "programs", "origin", "py")
PY_TASK = os.path.join(PY_DIR, "task")
PY_PROBE = os.path.join(PY_TASK, "lambda_function.py")
NODE_DIR = os.path.join(HERE, "programs", "origin", "node")
NODE_PROBE = os.path.join(NODE_DIR, "index.js")
STEAL = os.path.join(PY_TASK, "acme_dep", "steal.py")
EVIL = os.path.join(NODE_DIR, "node_modules", "@acme", "evil", "index.js")

PYENV_PYTHON = "/root/.pyenv/versions/3.11.7/bin/python3.11"
PYTHONS = [pytest.param(support.PYTHON, id="debian-python")]
if os.path.exists(PYENV_PYTHON):
    PYTHONS.append(pytest.param(PYENV_PYTHON, id="pyenv-python"))


# ---------------------------------------------------------------- Python ------------------

@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("action,file,name,function,package", [
    ("read", STEAL, "read_secret", "read_secret", "acme_dep"),
    ("ctypes", STEAL, "through_ctypes", "through_ctypes", "acme_dep"),
    ("sitepkg", os.path.join(PY_DIR, "vendor", "site-packages", "fakedep", "__init__.py"), "sneak",
     "sneak", "fakedep"),
    ("own", PY_PROBE, "own", "handler", "lambda_function"),
    ("import", os.path.join(PY_TASK, "at_import.py"), "at_import", "<module>", "at_import"),
])
def test_python_read_names_the_code(run_preload, case_dir, python, action, file, name, function,
                                    package):
    make_case(case_dir)
    r = run_probe(run_preload, [python, PY_PROBE, action], case_dir, policy(case_dir))
    assert len(r.violations) == 1, r.explain()
    assert_origin(r.violations[0], "python", file, call_line(file, name), function, package,
                  r.explain())


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("action,name", [("exec", "run_shell"), ("system", "os_system")])
def test_python_exec_names_the_code_that_started_it(run_preload, case_dir, python, action, name):
    """subprocess: the check runs in CPython 3.11's vfork child; os.system: in the parent."""
    make_case(case_dir)
    r = run_probe(run_preload, [python, PY_PROBE, action], case_dir,
                  policy(case_dir, exec={"default": "block", "allow": ["/usr/bin/true"]}))
    assert len(r.violations) == 1, r.explain()
    assert r.violations[0]["category"] == "exec"
    assert_origin(r.violations[0], "python", STEAL, call_line(STEAL, name), name, "acme_dep",
                  r.explain())


@pytest.mark.parametrize("python", PYTHONS)
def test_python_connect_names_the_code(run_preload, case_dir, python):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    try:
        port = srv.getsockname()[1]
        r = run_probe(run_preload, [python, PY_PROBE, "connect", str(port)], case_dir,
                      policy(case_dir, connect="block"))
    finally:
        srv.close()
    assert len(r.violations) == 1, r.explain()
    assert_origin(r.violations[0], "python", STEAL, call_line(STEAL, "phone_home"), "phone_home",
                  "acme_dep", r.explain())


@pytest.mark.parametrize("python", PYTHONS)
def test_python_many_threads_at_once(run_preload, case_dir, python):
    make_case(case_dir, many=400)
    r = run_probe(run_preload, [python, PY_PROBE, "threads", "16"], case_dir, policy(case_dir),
                  timeout=120)
    assert len(r.violations) == 400, r.explain()
    line = call_line(STEAL, "read_secret")
    for v in r.violations:
        assert_origin(v, "python", STEAL, line, "read_secret", "acme_dep", r.explain())
        assert v["stack"][1]["function"] == "handler.<locals>.worker", v["stack"]


@pytest.mark.parametrize("python", PYTHONS)
def test_python_fork_child(run_preload, case_dir, python):
    make_case(case_dir)
    r = run_probe(run_preload, [python, PY_PROBE, "fork"], case_dir, policy(case_dir))
    assert len(r.violations) == 1, r.explain()
    assert r.violations[0]["pid"] != r.starts[0]["pid"] if r.starts else True
    assert_origin(r.violations[0], "python", STEAL, call_line(STEAL, "read_secret"),
                  "read_secret", "acme_dep", r.explain())


@pytest.mark.parametrize("python", PYTHONS)
def test_python_signal_handler(run_preload, case_dir, python):
    """A Python signal handler violating while the main thread violates (SIGALRM every ms)."""
    make_case(case_dir, many=60)
    r = run_probe(run_preload, [python, PY_PROBE, "signal"], case_dir, policy(case_dir),
                  timeout=120)
    assert r.violations, r.explain()
    with_handler = [v for v in r.violations
                    if any(f["function"] == "handler.<locals>.on_alarm" for f in v.get("stack", []))]
    assert with_handler, r.explain()
    for v in r.violations:
        if v.get("count", 1) == 1:
            assert v["origin"]["function"] == "read_secret", v


@pytest.mark.parametrize("python", PYTHONS)
def test_python_shutdown(run_preload, case_dir, python):
    """An atexit handler and a daemon thread violating while the interpreter finalises."""
    make_case(case_dir, many=50)
    for _ in range(3):
        r = run_probe(run_preload, [python, PY_PROBE, "shutdown"], case_dir, policy(case_dir))
        assert r.violations, r.explain()


@pytest.mark.parametrize("python", PYTHONS)
def test_python_start_up_has_no_origin(run_preload, case_dir, python):
    """Opens made while the interpreter starts (its own encodings): lines, no fields, no crash."""
    make_case(case_dir)
    pol = json.dumps({"version": 1, "mode": "alert",
                      "read": {"default": "allow", "alert": ["/**/encodings/**"]}})
    r = run_probe(run_preload, [python, PY_PROBE, "own"], case_dir, pol)
    early = [v for v in r.violations if "/encodings/" in v["target"]]
    assert early, r.explain()
    assert all("origin" not in v for v in early[:1]), early[:1]


@pytest.mark.parametrize("python", PYTHONS)
def test_python_stack_off(run_preload, case_dir, python):
    make_case(case_dir)
    r = run_probe(run_preload, [python, PY_PROBE, "read"], case_dir, policy(case_dir, stack=False))
    assert len(r.violations) == 1, r.explain()
    assert "origin" not in r.violations[0] and "stack" not in r.violations[0]


@pytest.mark.parametrize("cmd", [
    pytest.param([support.PYTHON, PY_PROBE], id="python"),
    pytest.param([support.NODE, NODE_PROBE], id="node")])
def test_identical_violations_take_a_handful_of_stacks(run_preload, case_dir, cmd):
    """The repeat logic decides before a stack is taken: 20,000 identical refusals give the
    first few lines in full (each with its stack) and summary lines (count, no stack)."""
    make_case(case_dir)
    r = run_probe(run_preload, cmd + ["repeat", "20000"], case_dir, policy(case_dir))
    full = [v for v in r.violations if "count" not in v]
    summaries = [v for v in r.violations if "count" in v]
    assert len(full) == 5 and all("origin" in v for v in full), r.explain()
    assert sum(v["count"] for v in summaries) == 20000 - 5, r.explain()
    assert all("stack" not in v for v in summaries)


# ---------------------------------------------------------------- Node.js -----------------

NODE_ACTIONS = [
    ("read", EVIL, "readSecret", "readSecret", "@acme/evil"),
    ("leftish", os.path.join(NODE_DIR, "node_modules", "leftish", "index.js"), "leftish",
     "leftish", "leftish"),
    ("own", NODE_PROBE, "own", "handler", None),
]


@pytest.mark.parametrize("action,file,name,function,package", NODE_ACTIONS)
def test_node_sync_fs_names_the_code(run_preload, case_dir, action, file, name, function,
                                     package):
    make_case(case_dir)
    r = run_probe(run_preload, [support.NODE, NODE_PROBE, action], case_dir, policy(case_dir))
    assert len(r.violations) == 1, r.explain()
    assert_origin(r.violations[0], "node", file, call_line(file, name), function, package,
                  r.explain())
    if package is None:
        assert "package" not in r.violations[0]["origin"]


@pytest.mark.parametrize("action,name", [("exec", "execShell"), ("spawn", "spawnShell")])
def test_node_child_process_names_the_code(run_preload, case_dir, action, name):
    """libuv forks and execs in the child: the origin is taken before the fork."""
    make_case(case_dir)
    r = run_probe(run_preload, [support.NODE, NODE_PROBE, action], case_dir,
                  policy(case_dir, exec={"default": "block", "allow": ["/usr/bin/true"]}))
    assert len(r.violations) == 1, r.explain()
    v = r.violations[0]
    assert v["category"] == "exec" and v["target"].endswith("/sh"), v
    assert_origin(v, "node", EVIL, call_line(EVIL, name), name, "@acme/evil", r.explain())


def test_node_pool_threads_have_no_origin(run_preload, case_dir):
    """fs.readFile opens on libuv's pool: no JavaScript there, so no fields (and no crash)."""
    make_case(case_dir)
    r = run_probe(run_preload, [support.NODE, NODE_PROBE, "async"], case_dir, policy(case_dir))
    assert len(r.violations) == 1, r.explain()
    assert "origin" not in r.violations[0] and "stack" not in r.violations[0]


def test_node_many_sync_and_async_at_once(run_preload, case_dir):
    make_case(case_dir, many=300)
    r = run_probe(run_preload, [support.NODE, NODE_PROBE, "many"], case_dir, policy(case_dir),
                  timeout=120)
    line = call_line(EVIL, "readSecret")
    with_origin = [v for v in r.violations if "origin" in v]
    # Each file is read twice (once sync, once async): the sync reads name the code.
    assert len(r.violations) == 600, r.explain()
    assert len(with_origin) >= 300, r.explain()
    for v in with_origin:
        assert_origin(v, "node", EVIL, line, "readSecret", "@acme/evil", r.explain())


def test_node_worker_threads(run_preload, case_dir):
    make_case(case_dir)
    r = run_probe(run_preload, [support.NODE, NODE_PROBE, "worker", "4"], case_dir,
                  policy(case_dir))
    assert r.violations, r.explain()
    for v in r.violations:
        if v.get("count", 1) == 1:
            assert_origin(v, "node", EVIL, call_line(EVIL, "readSecret"), "readSecret",
                          "@acme/evil", r.explain())


def test_node_connect_is_honest(run_preload, case_dir):
    """net.connect's connect() may run deferred: whatever origin a line has is a real frame of
    the stack, and none is made up."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    try:
        r = run_probe(run_preload, [support.NODE, NODE_PROBE, "connect",
                                    str(srv.getsockname()[1])], case_dir,
                      policy(case_dir, connect="block"))
    finally:
        srv.close()
    assert len(r.violations) == 1, r.explain()
    v = r.violations[0]
    if "origin" in v:
        o = v["origin"]
        assert {"file": o["file"], "line": o["line"], "function": o["function"]} in v["stack"]


@pytest.mark.parametrize("action", ["exit", "signal"])
def test_node_exit_and_signal_handlers(run_preload, case_dir, action):
    make_case(case_dir)
    r = run_probe(run_preload, [support.NODE, NODE_PROBE, action], case_dir, policy(case_dir))
    assert len(r.violations) == 1, r.explain()
    assert_origin(r.violations[0], "node", EVIL, call_line(EVIL, "readSecret"), "readSecret",
                  "@acme/evil", r.explain())


def test_node_start_up_reads_are_the_runtimes_own(run_preload, case_dir):
    """Node.js loading the entry script: its own loader reads it, so the line has a stack of
    Node's internals and no origin (none of the function's code is running yet)."""
    make_case(case_dir)
    pol = json.dumps({"version": 1, "mode": "alert",
                      "read": {"default": "allow", "alert": [NODE_PROBE]}})
    r = run_probe(run_preload, [support.NODE, NODE_PROBE, "own"], case_dir, pol)
    assert r.violations, r.explain()
    assert all("origin" not in v for v in r.violations), r.explain()


def test_node_stack_off(run_preload, case_dir):
    make_case(case_dir)
    r = run_probe(run_preload, [support.NODE, NODE_PROBE, "read"], case_dir,
                  policy(case_dir, stack=False))
    assert len(r.violations) == 1, r.explain()
    assert "origin" not in r.violations[0] and "stack" not in r.violations[0]
