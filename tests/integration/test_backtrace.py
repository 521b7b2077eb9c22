"""Native backtraces in violation lines ("log": {"backtrace": true}, shim/backtrace.c).

With the switch, a violation line carries "backtrace": a non-empty array of
"MODULE+0xOFFSET[ SYMBOL]" strings, just before "rule", naming the interpreter's frames
(CPython's exported API: PyObject_Call, _PyEval_EvalFrameDefault, ...) and none of
libfnshield.so's own; the line stays within 4096 bytes and is one valid JSON object. That holds
in the process itself, in a vfork child (CPython's subprocess), from 8 threads at once, with
the longest argv, and in Node.js and the JVM (whose JIT frames have no unwind information).
Without the switch there is no "backtrace" field.
"""
import json
import os
import re

import support

FRAME_RE = re.compile(r"^(0x[0-9a-f]+|[^ +]+\+0x[0-9a-f]+( \S+)?)$")


def _policy(backtrace, **cats):
    p = {"version": 1}
    p.update(cats)
    if backtrace is not None:
        p["log"] = {"backtrace": backtrace}
    return p


def _read_policy(case_dir, backtrace):
    return _policy(backtrace, read={"default": "allow", "block": [case_dir + "/secret*"]})


def _check_lines(r):
    """Every fnshield line: at most 4096 bytes with its newline, one JSON object."""
    ctx = r.explain()
    assert not r.broken, "fnshield lines that are not valid JSON: %r%s" % (r.broken, ctx)
    assert not r.errors, ctx
    for raw in r.raw_lines:
        assert len(raw) + 1 <= 4096, "line of %d bytes%s" % (len(raw) + 1, ctx)
        assert isinstance(json.loads(raw.decode("utf-8")), dict)


def _check_backtrace(v, raw, ctx):
    bt = v.get("backtrace")
    assert isinstance(bt, list) and bt, "no backtrace in %r%s" % (v, ctx)
    for f in bt:
        assert isinstance(f, str) and (FRAME_RE.match(f) or f == "...[truncated]"), \
            "frame %r%s" % (f, ctx)
        assert not f.startswith("libfnshield.so+"), "fnshield's own frame %r%s" % (f, ctx)
    keys = list(v.keys())
    assert keys.index("backtrace") + 1 == keys.index("rule"), "backtrace just before rule%s" % ctx
    return bt


def _python_frames(bt):
    """Frames in the CPython executable or libpython that carry a symbol."""
    return [f for f in bt if re.match(r"^(python3[.0-9]*|libpython3[.0-9a-z]*\.so[.0-9]*)\+0x[0-9a-f]+ \S+$", f)]


PY_READ = """
import sys
def inner(path):
    try:
        open(path).read()
        print('{"ok": true}')
    except OSError as e:
        print('{"ok": false, "errno": %d}' % e.errno)
def outer(path):
    inner(path)
outer(sys.argv[1])
"""


def test_python_violation_carries_a_native_backtrace(run, case_dir):
    secret = os.path.join(case_dir, "secret.txt")
    with open(secret, "w") as f:
        f.write("s3cret\n")
    r = run([support.PYTHON, "-c", PY_READ, secret], _read_policy(case_dir, True), "block")
    ctx = r.explain()
    _check_lines(r)
    assert r.rc == 0 and r.result == {"ok": False, "errno": 13}, ctx
    assert len(r.violations) == 1, ctx
    bt = _check_backtrace(r.violations[0], r.raw_lines, ctx)
    py = _python_frames(bt)
    assert py, "no named CPython frame in %r%s" % (bt, ctx)
    names = " ".join(bt)
    assert "_PyEval_EvalFrameDefault" in names or "PyObject_Call" in names or "PyObject_Vectorcall" in names, \
        "the interpreter's call path is named: %r%s" % (bt, ctx)
    assert len(bt) <= 16 or bt[-1] == "...[truncated]", ctx


def test_without_the_switch_there_is_no_backtrace(run, case_dir):
    secret = os.path.join(case_dir, "secret.txt")
    with open(secret, "w") as f:
        f.write("s3cret\n")
    for backtrace in (None, False):
        r = run([support.PYTHON, "-c", PY_READ, secret], _read_policy(case_dir, backtrace), "alert")
        ctx = r.explain()
        _check_lines(r)
        assert len(r.violations) == 1, ctx
        assert "backtrace" not in r.violations[0], ctx
        assert all(b"backtrace" not in raw for raw in r.raw_lines), ctx


def test_exec_from_a_vfork_child(run, case_dir):
    """CPython's subprocess execs in a vfork child: the line is written from there."""
    pol = _policy(True, exec={"default": "allow", "block": ["/usr/bin/id"]})
    code = ("import subprocess\n"
            "try:\n"
            "    subprocess.run(['/usr/bin/id'])\n"
            "    print('{\"ok\": true}')\n"
            "except OSError as e:\n"
            "    print('{\"ok\": false, \"errno\": %d}' % e.errno)\n")
    r = run([support.PYTHON, "-c", code], pol, "block")
    ctx = r.explain()
    _check_lines(r)
    assert r.result == {"ok": False, "errno": 13}, ctx
    assert len(r.violations) == 1, ctx
    bt = _check_backtrace(r.violations[0], r.raw_lines, ctx)
    assert _python_frames(bt), ctx


def test_eight_threads_at_once(run, case_dir):
    for i in range(8):
        for j in range(6):
            with open(os.path.join(case_dir, "secret-%d-%d" % (i, j)), "w") as f:
                f.write("x")
    code = ("import sys, threading\n"
            "d = sys.argv[1]\n"
            "def work(i):\n"
            "    for j in range(6):\n"
            "        try:\n"
            "            open('%s/secret-%d-%d' % (d, i, j)).read()\n"
            "        except OSError:\n"
            "            pass\n"
            "ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]\n"
            "[t.start() for t in ts]\n"
            "[t.join() for t in ts]\n"
            "print('{\"after\": true}')\n")
    r = run([support.PYTHON, "-c", code, case_dir], _read_policy(case_dir, True), "block")
    ctx = r.explain()
    _check_lines(r)
    assert r.rc == 0 and r.after, ctx
    assert len(r.violations) == 48, "one line per distinct file%s" % ctx
    for v in r.violations:
        _check_backtrace(v, r.raw_lines, ctx)


def test_longest_lines_stay_within_4096_bytes(run, case_dir):
    """argv and paths at their largest: the backtrace keeps its own budget, the line its bound."""
    pol = _policy(True, exec={"default": "allow", "block": ["/usr/bin/id"]})
    code = ("import os, sys\n"
            "args = ['/usr/bin/id'] + ['a' * 900] * 40\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    try:\n"
            "        os.execv('/usr/bin/id', args)\n"
            "    finally:\n"
            "        os._exit(3)\n"
            "os.waitpid(pid, 0)\n"
            "print('{\"after\": true}')\n")
    r = run([support.PYTHON, "-c", code], pol, "block")
    ctx = r.explain()
    _check_lines(r)
    assert len(r.violations) == 1, ctx
    v = r.violations[0]
    assert v.get("truncated") is True, ctx
    _check_backtrace(v, r.raw_lines, ctx)


def test_node_and_jit_frames(run, case_dir):
    """Node.js: V8's JIT code has no unwind information; the capture goes through it (or
    stops at it) without harm, and the line is whole."""
    secret = os.path.join(case_dir, "secret.txt")
    with open(secret, "w") as f:
        f.write("s3cret\n")
    code = ("function f(p){ try { require('fs').readFileSync(p); } catch (e) { return e.code; } }\n"
            "console.log(JSON.stringify({ok: false, code: f(process.argv[1])}));\n")
    r = run([support.NODE, "-e", code, secret], _read_policy(case_dir, True), "block")
    ctx = r.explain()
    _check_lines(r)
    assert r.rc == 0 and r.result == {"ok": False, "code": "EACCES"}, ctx
    assert len(r.violations) == 1, ctx
    bt = _check_backtrace(r.violations[0], r.raw_lines, ctx)
    assert any(re.match(r"^(node|libnode\.so[.0-9]*)\+0x", f) for f in bt), ctx


def test_jvm(run, case_dir, java_classes):
    """The JVM: interpreter and JIT frames without unwind information, its own signal use."""
    secret = os.path.join(case_dir, "secret.txt")
    with open(secret, "w") as f:
        f.write("s3cret\n")
    r = run([support.JAVA] + support.JAVA_FLAGS + ["-cp", java_classes, "Probe", "fis_read",
                                                    case_dir, "secret.txt"],
            _read_policy(case_dir, True), "block")
    ctx = r.explain()
    _check_lines(r)
    assert r.rc == 0, ctx
    assert len(r.violations) == 1, ctx
    bt = _check_backtrace(r.violations[0], r.raw_lines, ctx)
    assert any(f.startswith(("libjava.so+", "libjvm.so+", "libnio.so+")) for f in bt), ctx
