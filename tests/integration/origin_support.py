"""What the origin tests of every runtime share (test_origin.py, test_origin_java.py): the line
of a probe's marked call, the policy, the case's files, and what every run must show."""
import json
import os
import re

import support

PY_TASK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs", "origin", "py",
                       "task")


def call_line(path, name):
    """The line of the call marked CALL:<name> in path."""
    with open(path) as f:
        for n, text in enumerate(f, 1):
            if re.search(r"CALL:%s\b" % re.escape(name), text):
                return n
    raise AssertionError("no CALL:%s in %s" % (name, path))


def policy(case_dir, stack=None, mode="block", **cats):
    p = {"version": 1, "mode": mode,
         "read": {"default": "allow", "block": [case_dir + "/secret*", case_dir + "/many-*"]}}
    p.update(cats)
    if stack is not None:
        p["log"] = {"stack": stack}
    return json.dumps(p)


def make_case(case_dir, many=0):
    secret = os.path.join(case_dir, "secret")
    with open(secret, "w") as f:
        f.write("s3cr3t\n")
    for i in range(many):
        with open(os.path.join(case_dir, "many-%04d" % i), "w") as f:
            f.write("x")
    return secret


def run_probe(run_preload, cmd, case_dir, pol, extra=None, timeout=support.TIMEOUT,
              task_root=PY_TASK):
    env = {"FNSHIELD_POLICY": pol, "SECRET": os.path.join(case_dir, "secret"),
           "LAMBDA_TASK_ROOT": task_root}
    env.update(extra or {})
    r = run_preload(cmd, env, timeout=timeout)
    lines_intact(r)
    return r


def lines_intact(r):
    """No crash, no hang; every fnshield line one JSON object of at most 4096 bytes."""
    ctx = r.explain()
    assert r.rc == 0, "exit status %s%s" % (r.rc, ctx)
    assert r.result == {"ok": True}, ctx
    assert not r.broken and not r.errors, ctx
    for raw in r.raw_lines:
        assert len(raw) + 1 <= 4096, "line of %d bytes%s" % (len(raw) + 1, ctx)
        assert isinstance(json.loads(raw.decode("utf-8")), dict)
    for v in r.violations:
        stack = v.get("stack")
        if stack is not None:
            assert 1 <= len(stack) <= 16, ctx
            for f in stack:
                assert set(f) == {"file", "line", "function"}, f
                assert isinstance(f["line"], int) and isinstance(f["file"], str)
        if "origin" in v:
            assert stack is not None, ctx


def assert_origin(v, runtime, file, line, function, package, ctx=""):
    o = v.get("origin")
    assert o is not None, "no origin in %s%s" % (json.dumps(v), ctx)
    want = {"runtime": runtime, "file": file, "line": line, "function": function}
    if package is not None:
        want["package"] = package
    assert o == want, "origin %s, expected %s%s" % (o, want, ctx)
    assert {"file": file, "line": line, "function": function} in v["stack"], v["stack"]
