"""End-to-end: functions run the way Lambda runs them, protected through the exec wrapper.

Each test starts a runtime (Python, Java and Ruby through the test runtime loops in runtimes/,
Node.js through the official aws-lambda-ric from npm) with Lambda's environment and
`build/fnshield-exec <runtime command line>` (wrappers/fnshield-exec links to it), against
the Runtime API emulator, and sends it
several invocations in one process. The function (functions/) performs one action per event
and returns what happened; fnshield's JSON lines are read off the runtime's stderr.

Contract checked (SPEC.md "Log lines", "init", "Configuration errors"; issue #3):
  - a violation during an invocation carries "phase":"invoke", the "requestId" of the
    invocation that caused it (Lambda-Runtime-Aws-Request-Id), its "traceId"
    (Lambda-Runtime-Trace-Id) and "function" (AWS_LAMBDA_FUNCTION_NAME);
  - a violation at import time carries "phase":"init" and no requestId;
  - the policy's "init" overrides apply during init only, also to the programs a function
    starts during an invocation (whose lines belong to that invocation);
  - alert lets the call through, block fails it (EACCES / EPERM), and the line says which;
  - an invalid policy fails init: status 78, one "fnshield":"error" line, no /next;
  - the function's responses are byte-identical to an unprotected run;
  - the Runtime API stays reachable under "connect":"block" (/next, /response, /init/error);
  - several threads of one Python or Ruby invocation all log that invocation's requestId.

Run: /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/lambda  (after `make`; the first
run builds aws-lambda-ric into build/lambda-ric/, see install-ric.sh).
"""
import json
import os
import subprocess
import time

import pytest

import e2e_support as es
from emulator import new_request_id, new_trace_id

RUNTIMES = [pytest.param("python", id="python"), pytest.param("node", id="node-ric"),
            pytest.param("java", id="java"), pytest.param("ruby", id="ruby")]
EXEC_TARGET = "/usr/bin/id"
BLOCK_CODE = {"exec": "EACCES", "read": "EACCES", "write": "EACCES", "connect": "EPERM"}
BLOCK_ERRNO = {"EACCES": 13, "EPERM": 1}


# ------------------------------------------------------------------------ helpers ---------
class Problems:
    """Collects every mismatch of a test, so one run shows all of them."""

    def __init__(self):
        self.items = []

    def check(self, cond, msg):
        if not cond:
            self.items.append(msg)
        return cond

    def fail_if_any(self, rt):
        if self.items:
            pytest.fail("%d problem(s):\n  - %s\n%s" % (len(self.items), "\n  - ".join(self.items),
                                                         rt.explain()), pytrace=False)


def policy(d, **over):
    """The suite's policy: exec and connect blocked; reads of <d>/secret* blocked; during init
    the read rules are replaced by one that blocks <d>/initonly* (and allows secret*)."""
    p = {"version": 1,
         "exec": "block",
         "connect": "block",
         "read": {"default": "allow", "block": [d + "/secret*"]},
         "init": {"read": {"default": "allow", "block": [d + "/initonly*"]}}}
    p.update(over)
    return p


def lines_for(out, category, target):
    return [v for v in out.violations if v.get("category") == category and v.get("target") == target]


def show(v):
    keep = ("action", "category", "call", "target", "rule", "phase", "requestId", "traceId",
            "function", "pid", "exe")
    return "{%s}" % ", ".join("%s: %r" % (k, v.get(k)) for k in keep if k in v)


def check_line(pb, out, what, category, target, rule, action, phase, outcome=None,
               function=None, count=1):
    """The violation line(s) of one action: exactly `count`, with the right action, rule and
    Lambda context. outcome: the invocation (requestId/traceId) or None for init."""
    found = lines_for(out, category, target)
    if not pb.check(len(found) == count, "%s: want %d violation line(s) for %s %s, got %d: %s"
                    % (what, count, category, target, len(found), [show(v) for v in found])):
        if not found:
            return
    for v in found:
        ctx = "%s: line %s" % (what, show(v))
        pb.check(v.get("action") == action, "%s: action %r, want %r" % (ctx, v.get("action"), action))
        pb.check(v.get("level") == ("ERROR" if action == "block" else "WARN"),
                 "%s: level %r for action %s" % (ctx, v.get("level"), action))
        pb.check(v.get("rule") == rule, "%s: rule %r, want %r" % (ctx, v.get("rule"), rule))
        pb.check(v.get("phase") == phase, "%s: phase %r, want %r" % (ctx, v.get("phase"), phase))
        pb.check(v.get("function") == function, "%s: function %r, want %r"
                 % (ctx, v.get("function"), function))
        if outcome is None:
            pb.check("requestId" not in v, "%s: an init line carries requestId %r"
                     % (ctx, v.get("requestId")))
            pb.check("traceId" not in v, "%s: an init line carries traceId %r" % (ctx, v.get("traceId")))
        else:
            pb.check(v.get("requestId") == outcome.request_id, "%s: requestId %r, want %r (the "
                     "invocation that caused it)" % (ctx, v.get("requestId"), outcome.request_id))
            pb.check(v.get("traceId") == outcome.trace_id, "%s: traceId %r, want %r"
                     % (ctx, v.get("traceId"), outcome.trace_id))


def check_result(pb, what, res, category, mode):
    """What the function saw: success under alert, EACCES/EPERM under block."""
    if mode == "alert":
        pb.check(res.get("ok") is True, "%s: alert mode must let the call through, the function "
                 "got %r" % (what, res))
    else:
        want = BLOCK_CODE[category]
        pb.check(res.get("ok") is False and res.get("code") == want
                 and res.get("errno") in (BLOCK_ERRNO[want], -BLOCK_ERRNO[want]),
                 "%s: block mode must fail the call with %s, the function got %r" % (what, want, res))


def start_ready(start_runtime, runtime, **kw):
    rt = start_runtime(runtime, **kw)
    if not rt.wait_ready(60):
        rt.stop()
        pytest.fail("the %s runtime did not reach its first /next (init failed)%s"
                    % (runtime, rt.explain()), pytrace=False)
    return rt


def invoke_json(pb, rt, event, what):
    o = rt.invoke(event)
    if not pb.check(o.status == "response", "%s: the runtime posted %s: %r" % (what, o.status, o.body[:500])):
        return o, {}
    return o, o.json()


# ------------------------------------------------------------------------ tests -----------
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_violations_carry_their_invocation(start_runtime, runtime, secrets_dir, tcp_server):
    """Several invocations in one process: each violation line names the invocation that caused
    it (requestId, traceId), "phase":"invoke" and the function; harmless ones log nothing."""
    d = secrets_dir
    rt = start_ready(start_runtime, runtime, policy=policy(d), mode="block")
    fn = rt.env["AWS_LAMBDA_FUNCTION_NAME"]
    pb = Problems()
    steps = [
        ("echo", {"action": "echo", "n": 1}, None),
        ("read secret-1", {"action": "read", "path": d + "/secret-1.txt"},
         ("read", d + "/secret-1.txt", "read.block[0]")),
        ("exec", {"action": "exec"}, ("exec", EXEC_TARGET, "exec.default")),
        ("echo 2", {"action": "echo", "n": 2}, None),
        ("connect", {"action": "connect", "port": tcp_server.port},
         ("connect", "127.0.0.1:%d" % tcp_server.port, "connect.default")),
        ("read secret-2", {"action": "read", "path": d + "/secret-2.txt"},
         ("read", d + "/secret-2.txt", "read.block[0]")),
        ("read public", {"action": "read", "path": d + "/public.txt"}, None),
    ]
    done = []
    for what, event, expect in steps:
        o, res = invoke_json(pb, rt, event, what)
        if expect is None:
            if event["action"] == "echo":
                pb.check(res == event, "%s: the echo came back as %r" % (what, res))
            else:
                pb.check(res.get("ok") is True, "%s: an allowed call failed: %r" % (what, res))
        else:
            check_result(pb, what, res, expect[0], "block")
        done.append((what, o, expect))
    ids = [o.request_id for _, o, _ in done]
    traces = [o.trace_id for _, o, _ in done]
    assert len(set(ids)) == len(ids) and len(set(traces)) == len(traces)  # the emulator's part
    out = rt.stop()
    pb.check(not out.errors, "fnshield error lines: %r" % out.errors)
    pb.check(not out.broken, "fnshield lines that are not JSON: %r" % out.broken)
    for what, o, expect in done:
        if expect:
            check_line(pb, out, what, expect[0], expect[1], expect[2], "block", "invoke", o, fn)
    pb.check(len(out.starts) == 1 and out.starts[0].get("function") == fn,
             "want one \"fnshield\":\"start\" line naming the function, got %r" % out.starts)
    expected = sum(1 for _, _, e in done if e)
    pb.check(len(out.violations) == expected, "want exactly %d violation lines, got %d: %s"
             % (expected, len(out.violations), [show(v) for v in out.violations]))
    check_origins(pb, runtime, rt, out)
    pb.fail_if_any(rt)


# Who made each call (SPEC v1.1 "origin"): the function's own file in the task root, for the
# categories each runtime's calls make from its own thread (Node.js's connect runs deferred,
# from its event loop: no JavaScript of the function's is on the stack then). Java names a
# class's source file by its package's directory (the handler's: none), not by a path.
ORIGIN_OF = {"python": ("python", "handler.py", {"read", "exec", "connect"}),
             "node": ("node", "index.mjs", {"read", "exec"}),
             "java": ("java", "Handler.java", {"read", "exec", "connect"})}


def check_origins(pb, runtime, rt, out):
    if runtime not in ORIGIN_OF:
        return
    name, file, categories = ORIGIN_OF[runtime]
    want_file = file if name == "java" else os.path.join(rt.cwd, file)
    for v in out.violations:
        o = v.get("origin") or {}
        if v["category"] in categories:
            pb.check(o.get("runtime") == name and o.get("file") == want_file and o.get("line", 0) > 0,
                     "%s line: origin %r, expected the function's %s" % (v["category"], o, want_file))
        if o:
            frame = {k: o.get(k) for k in ("file", "line", "function")}
            pb.check(frame in v.get("stack", []), "origin %r not among the stack" % o)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_init_phase_and_init_overrides(start_runtime, runtime, secrets_dir):
    """At import the function reads secret-init.txt (allowed by the init override, blocked
    afterwards), reads initonly.txt (blocked by the init override only) and runs a program
    (blocked: exec has no init override). Import-time lines: "phase":"init", no requestId.
    Then the same reads during invocations: the main rules apply, the init override is gone."""
    d = secrets_dir
    init_actions = [{"action": "read", "path": d + "/secret-init.txt"},
                    {"action": "read", "path": d + "/initonly.txt"},
                    {"action": "exec"}]
    rt = start_ready(start_runtime, runtime, policy=policy(d), mode="block",
                     init_actions=init_actions)
    fn = rt.env["AWS_LAMBDA_FUNCTION_NAME"]
    pb = Problems()

    o_init, init_res = invoke_json(pb, rt, {"action": "init_result"}, "init_result")
    if pb.check(isinstance(init_res, list) and len(init_res) == 3,
                "init_result: want the 3 import-time results, got %r" % (init_res,)):
        pb.check(init_res[0].get("ok") is True, "init: reading secret-init.txt must be allowed by "
                 "the init override (init.read replaces read), the function got %r" % init_res[0])
        check_result(pb, "init: reading initonly.txt (init.read.block[0])", init_res[1], "read", "block")
        check_result(pb, "init: exec (exec.default applies in init too)", init_res[2], "exec", "block")

    o_secret, res = invoke_json(pb, rt, {"action": "read", "path": d + "/secret-init.txt"},
                                "invoke: read secret-init")
    check_result(pb, "invoke: reading secret-init.txt (read.block[0], the override is over)",
                 res, "read", "block")
    o_only, res = invoke_json(pb, rt, {"action": "read", "path": d + "/initonly.txt"},
                              "invoke: read initonly")
    pb.check(res.get("ok") is True, "invoke: reading initonly.txt must be allowed (the init "
             "override no longer applies), the function got %r" % res)
    o_echo, res = invoke_json(pb, rt, {"action": "echo", "n": 3}, "invoke: echo")

    out = rt.stop()
    pb.check(not out.errors, "fnshield error lines: %r" % out.errors)
    pb.check(not out.broken, "fnshield lines that are not JSON: %r" % out.broken)
    check_line(pb, out, "init: read initonly.txt", "read", d + "/initonly.txt",
               "init.read.block[0]", "block", "init", None, fn)
    check_line(pb, out, "init: exec", "exec", EXEC_TARGET, "exec.default", "block", "init", None, fn)
    check_line(pb, out, "invoke: read secret-init.txt", "read", d + "/secret-init.txt",
               "read.block[0]", "block", "invoke", o_secret, fn)
    pb.check(len(out.violations) == 3, "want exactly 3 violation lines (2 at init, 1 during the "
             "invocations), got %d: %s" % (len(out.violations), [show(v) for v in out.violations]))
    pb.fail_if_any(rt)


@pytest.mark.parametrize("mode", ["alert", "block"])
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_alert_versus_block(start_runtime, runtime, mode, secrets_dir, tcp_server):
    """One policy, FNSHIELD_MODE flipped: alert lets each call through and logs
    "action":"alert" (WARN); block fails it (EACCES for exec and read, EPERM for connect) and
    logs "action":"block" (ERROR). The process carries on either way."""
    d = secrets_dir
    rt = start_ready(start_runtime, runtime, policy=policy(d), mode=mode)
    fn = rt.env["AWS_LAMBDA_FUNCTION_NAME"]
    pb = Problems()
    steps = [("exec", {"action": "exec"}, "exec", EXEC_TARGET, "exec.default"),
             ("read", {"action": "read", "path": d + "/secret-1.txt"}, "read", d + "/secret-1.txt",
              "read.block[0]"),
             ("connect", {"action": "connect", "port": tcp_server.port}, "connect",
              "127.0.0.1:%d" % tcp_server.port, "connect.default")]
    done = []
    for what, event, cat, target, rule in steps:
        o, res = invoke_json(pb, rt, event, what)
        check_result(pb, what, res, cat, mode)
        done.append((what, o, cat, target, rule))
    o, res = invoke_json(pb, rt, {"action": "echo", "after": True}, "echo after")
    pb.check(res == {"action": "echo", "after": True}, "the function did not carry on: %r" % res)
    out = rt.stop()
    pb.check(not out.errors, "fnshield error lines: %r" % out.errors)
    for what, o, cat, target, rule in done:
        check_line(pb, out, what, cat, target, rule, mode, "invoke", o, fn)
    pb.check(len(out.violations) == 3, "want exactly 3 violation lines, got %d: %s"
             % (len(out.violations), [show(v) for v in out.violations]))
    pb.fail_if_any(rt)


INVALID = [
    pytest.param('{"version": 1, "exec": "blok"}', None, None, id="unknown-action"),
    pytest.param('{"version": 1, "exec": ', None, None, id="syntax-error"),
    pytest.param('{"version": 1, "exec": "block", "nonsense": true}', None, None, id="unknown-key"),
    pytest.param('{"version": 1, "exec": "block"}', "loud", None, id="bad-mode"),
    pytest.param(None, None, {"FNSHIELD_POLICY_FILE": "/nonexistent/fnshield/policy.json"},
                 id="missing-policy-file"),
    pytest.param('{"version": 1}', None, {"FNSHIELD_POLICY_FILE": "/etc/hostname"},
                 id="policy-and-policy-file"),
]


@pytest.mark.parametrize("policy_text,mode,env", INVALID)
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_invalid_policy_fails_init(start_runtime, runtime, policy_text, mode, env):
    """A bad configuration stops the runtime before its own code runs (the library validates it
    as it loads; the wrapper starts no program of its own): exit status 78 (EX_CONFIG), exactly
    one "fnshield":"error" line — the one `fnshield check` prints for the same environment,
    field for field apart from pid, exe, timestamp and the function's name — and the runtime
    never asks for /next."""
    rt = start_runtime(runtime, policy=policy_text, mode=mode, env_extra=env)
    reached = rt.emu.wait_ready(20, proc=rt.proc)    # False as soon as the process is gone
    rc = rt.wait_exit(10)
    out = rt.stop()
    pb = Problems()
    pb.check(not reached and rt.emu.next_calls == 0,
             "the runtime reached /next: it started despite the bad configuration")
    pb.check(rc == es.EX_CONFIG, "exit status %r, want %d (EX_CONFIG)" % (rc, es.EX_CONFIG))
    pb.check(len(out.errors) == 1, "want exactly one \"fnshield\":\"error\" line, got %d: %r"
             % (len(out.errors), out.errors))
    for e in out.errors:
        pb.check(isinstance(e.get("message"), str) and e["message"],
                 "the error line has no message: %r" % e)
    pb.check(not out.violations and not out.starts and not out.broken,
             "nothing but the error line may come out: violations %r, start %r, broken %r"
             % (out.violations, out.starts, out.broken))
    pb.check(rt.emu.requests == [], "the runtime talked to the Runtime API: %r" % rt.emu.requests)
    pb.check(out.stdout == b"", "the runtime printed something (it must not start): %r"
             % out.stdout[:300])
    chk = subprocess.run([str(es.FNSHIELD), "check"], env=rt.env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, timeout=30)
    want = [json.loads(x) for x in chk.stderr.decode().splitlines() if x.startswith("{")]
    pb.check(chk.returncode == es.EX_CONFIG and len(want) == 1,
             "fnshield check: status %r, lines %r" % (chk.returncode, want))
    if out.errors and want:
        volatile = ("pid", "exe", "timestamp", "function", "phase")
        got = {k: v for k, v in out.errors[0].items() if k not in volatile}
        pb.check(got == {k: v for k, v in want[0].items() if k not in volatile},
                 "the error line differs from fnshield check's: %r vs %r" % (got, want[0]))
    pb.fail_if_any(rt)


CLIENT_CONTEXT = json.dumps({"client": {"installation_id": "e2e", "app_title": "fnshield"},
                             "custom": {"k": "v"}, "env": {"platform": "test"}})
COGNITO_IDENTITY = json.dumps({"cognitoIdentityId": "us-east-1:e2e", "cognitoIdentityPoolId": "us-east-1:pool"})


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_responses_identical_with_and_without_fnshield(start_runtime, runtime, secrets_dir,
                                                       tcp_server, tmp_path):
    """The same invocations (same events, request ids and trace ids, same task root) with and
    without fnshield (alert mode: the violations are logged, nothing is refused): every response
    and error document is the same, byte for byte."""
    d = secrets_dir
    events = [
        {"action": "echo", "text": "h\u00e9llo \u2603 \U0001F600", "nested": {"a": [1, 2.5, None, True]}},
        {"action": "echo", "big": "x" * 150000},
        {"action": "whoami"},
        {"action": "exec"},
        {"action": "read", "path": d + "/secret-1.txt"},
        {"action": "read", "path": d + "/public.txt"},
        {"action": "connect", "port": tcp_server.port},
        {"action": "init_result"},
        {"action": "fail", "message": "expected failure"},
        {"action": "echo", "n": 2},
    ]
    ids = [(new_request_id(), new_trace_id()) for _ in events]
    init_actions = [{"action": "read", "path": d + "/initonly.txt"}, {"action": "exec"}]
    task_root = tmp_path / ("task-%s-shared" % runtime)
    runs = {}
    for protect in (None, "wrapper"):
        kw = dict(policy=policy(d), mode="alert") if protect else {}
        rt = start_ready(start_runtime, runtime, protect=protect, init_actions=init_actions,
                         task_root=task_root, **kw)
        got = []
        for ev, (rid, tid) in zip(events, ids):
            # The optional headers too, on one invocation (the clients parse them).
            extra = dict(client_context=CLIENT_CONTEXT, cognito_identity=COGNITO_IDENTITY) \
                if ev["action"] == "whoami" else {}
            o = rt.invoke(ev, request_id=rid, trace_id=tid, **extra)
            got.append((o.status, o.body))
        out = rt.stop()
        runs[protect] = (got, out, rt)
    plain, protected = runs[None][0], runs["wrapper"][0]
    pb = Problems()
    for ev, a, b in zip(events, plain, protected):
        pb.check(a == b, "event %s: without fnshield %s %r, with %s %r"
                 % (str(ev)[:80], a[0], a[1][:300], b[0], b[1][:300]))
    pb.check(plain[-2][0] == "error", "the failing event must be an error document: %r" % (plain[-2],))
    pb.check(runs[None][1].violations == [] and runs[None][1].starts == [],
             "fnshield lines from the unprotected run")
    pb.check(len(runs["wrapper"][1].violations) >= 5,
             "the protected run logged %d violations, want the 5 of the function (alert mode)"
             % len(runs["wrapper"][1].violations))
    pb.fail_if_any(runs["wrapper"][2])


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_runtime_api_reachable_under_connect_block(start_runtime, runtime, secrets_dir):
    """"connect":"block", and a block list naming loopback itself: the runtime still reaches
    the Runtime API for every /next and /response, and no line names it."""
    pol = policy(secrets_dir, connect={"default": "block", "block": ["127.0.0.1", "127.0.0.0/8",
                                                                      "localhost"]})
    rt = start_ready(start_runtime, runtime, policy=pol, mode="block")
    pb = Problems()
    for i in range(5):
        o, res = invoke_json(pb, rt, {"action": "echo", "i": i}, "echo %d" % i)
        pb.check(res == {"action": "echo", "i": i}, "echo %d came back as %r" % (i, res))
    out = rt.stop()
    api_port = rt.emu.port
    named = [show(v) for v in out.violations if v.get("category") == "connect"
             and (v.get("port") == api_port or str(api_port) in str(v.get("target")))]
    pb.check(not named, "violation lines for the Runtime API endpoint: %s" % named)
    pb.check(not out.violations, "violations from a run that did nothing wrong: %s"
             % [show(v) for v in out.violations])
    pb.check(not out.errors, "fnshield error lines: %r" % out.errors)
    if es.ONE_CONNECTION[runtime]:
        pb.check(rt.emu.connections == 1, "the runtime opened %d connections to the Runtime API, "
                 "want 1 kept alive" % rt.emu.connections)
    else:
        # Ruby's client connects anew for every request: each of those connects is let through.
        conns = [c for c, _, _ in rt.emu.requests]
        pb.check(len(set(conns)) == len(conns) >= 10,
                 "the runtime made %d requests to the Runtime API on %d connections, want one "
                 "each (at least 10: 5 /next, 5 /response)" % (len(conns), len(set(conns))))
    pb.fail_if_any(rt)


# The runtimes whose test functions start threads of their own (Python's threading, Ruby's
# Thread: native threads both).
@pytest.mark.parametrize("runtime", ["python", "ruby"])
def test_threads_get_the_current_request_id(start_runtime, runtime, secrets_dir):
    """Several threads of one invocation each violating at the same moment: every line
    carries that invocation's requestId and traceId; the next invocation's threads, the next."""
    d = secrets_dir
    rt = start_ready(start_runtime, runtime,
                     policy=policy(d, read={"default": "allow", "block": [d + "/secret-t*"]}),
                     mode="block")
    fn = rt.env["AWS_LAMBDA_FUNCTION_NAME"]
    pb = Problems()
    n = 6
    done = []
    for tag in ("t1", "t2"):
        o, res = invoke_json(pb, rt, {"action": "threads", "n": n, "path": d + "/secret-" + tag},
                             "threads " + tag)
        for i, r in enumerate(res.get("results", [])):
            check_result(pb, "threads %s[%d]" % (tag, i), r, "read", "block")
        done.append((tag, o))
    out = rt.stop()
    for tag, o in done:
        for i in range(n):
            check_line(pb, out, "thread %s[%d]" % (tag, i), "read", "%s/secret-%s-%d" % (d, tag, i),
                       "read.block[0]", "block", "invoke", o, fn)
    pb.check(len(out.violations) == 2 * n, "want %d violation lines, got %d"
             % (2 * n, len(out.violations)))
    pb.fail_if_any(rt)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_child_process_of_an_invocation(start_runtime, runtime, secrets_dir):
    """A program the function starts during an invocation (/usr/bin/cat, allowed to run) is
    part of that invocation: its violation carries "phase":"invoke" and the invocation's
    requestId/traceId, and the init overrides (here: all reads allowed) do not apply to it.
    A program started at import is part of init: the init override lets it read."""
    d = secrets_dir
    pol = policy(d, exec={"default": "block", "allow": ["/usr/bin/cat"]},
                 init={"read": "allow"})
    rt = start_ready(start_runtime, runtime, policy=pol, mode="block",
                     init_actions=[{"action": "child_read", "path": d + "/secret-init.txt"}])
    fn = rt.env["AWS_LAMBDA_FUNCTION_NAME"]
    pb = Problems()
    o, res = invoke_json(pb, rt, {"action": "init_result"}, "init_result")
    pb.check(res == [{"ok": True, "rc": 0}], "init: a child reading secret-init.txt must be allowed "
             "by the init override, the function got %r" % (res,))
    done = []
    for name in ("secret-1.txt", "secret-2.txt"):
        o, res = invoke_json(pb, rt, {"action": "child_read", "path": d + "/" + name},
                             "child_read " + name)
        pb.check(res.get("rc") not in (0, None), "invoke: /usr/bin/cat %s must be refused the read "
                 "(read.block[0]; the init override is over), it got %r" % (name, res))
        done.append((name, o))
    out = rt.stop()
    pb.check(not out.errors, "fnshield error lines: %r" % out.errors)
    for name, o in done:
        check_line(pb, out, "invoke: cat " + name, "read", d + "/" + name, "read.block[0]", "block",
                   "invoke", o, fn)
        for v in lines_for(out, "read", d + "/" + name):
            pb.check(v.get("exe") == "/usr/bin/cat", "the line of cat's read names exe %r" % v.get("exe"))
    pb.check(len(out.violations) == 2, "want exactly 2 violation lines, got %d: %s"
             % (len(out.violations), [show(v) for v in out.violations]))
    pb.fail_if_any(rt)


MISSING_HANDLER = {"python": "nosuchmodule.handler", "node": "nosuchmodule.handler",
                   "java": "NoSuchClass::handleRequest", "ruby": "nosuchfile.handler"}


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_init_error_reaches_the_runtime_api(start_runtime, runtime, secrets_dir):
    """A function that cannot be loaded: the runtime client reports it on
    /2018-06-01/runtime/init/error (the Node.js client posts it with Node's own http module, not
    the libcurl connection used for /next) and exits; under "connect":"block" that report still
    gets through, and fnshield adds no line of its own."""
    pol = policy(secrets_dir, connect={"default": "block", "block": ["127.0.0.0/8"]})
    rt = start_runtime(runtime, policy=pol, mode="block", handler=MISSING_HANDLER[runtime])
    rt.emu.init_error_event.wait(30)
    rc = rt.wait_exit(30)
    out = rt.stop()
    pb = Problems()
    err = rt.emu.init_error
    if pb.check(err is not None, "no POST /2018-06-01/runtime/init/error reached the emulator"):
        try:
            doc = json.loads(err.body)
        except ValueError:
            doc = None
        pb.check(isinstance(doc, dict) and doc.get("errorType") and "errorMessage" in doc,
                 "the init error document is %r" % err.body[:300])
    pb.check(rc not in (None, 0), "the runtime must exit after a failed init, status %r" % rc)
    pb.check(rt.emu.next_calls == 0, "the runtime asked for an invocation after a failed init")
    pb.check(not out.violations, "violations: %s" % [show(v) for v in out.violations])
    pb.check(not out.errors, "fnshield error lines: %r" % out.errors)
    pb.fail_if_any(rt)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_with_the_supervisor(start_runtime, runtime, secrets_dir, tcp_server, tmp_path):
    """FNSHIELD_SUPERVISOR=on (issue #14) under each runtime's real loop and the Runtime API:
    the same decisions and lines as without it, the start line says it is on, and none of the
    runtime's own calls — its Runtime API traffic included — reach it. (The JVM runs every
    program through jspawnhelper, a program it execs: that child's own C library is not the
    root's, so its few opens are sent, and go on at once.)"""
    d = secrets_dir
    stats = tmp_path / "supervisor-stats"
    rt = start_ready(start_runtime, runtime, policy=policy(d), mode="block",
                     env_extra={"FNSHIELD_SUPERVISOR": "on", "FNSHIELD_SUPERVISOR_STATS": str(stats)})
    fn = rt.env["AWS_LAMBDA_FUNCTION_NAME"]
    pb = Problems()
    done = []
    for what, event, expect in [
            ("read secret-1", {"action": "read", "path": d + "/secret-1.txt"},
             ("read", d + "/secret-1.txt", "read.block[0]")),
            ("exec", {"action": "exec"}, ("exec", EXEC_TARGET, "exec.default")),
            ("connect", {"action": "connect", "port": tcp_server.port},
             ("connect", "127.0.0.1:%d" % tcp_server.port, "connect.default")),
            ("read public", {"action": "read", "path": d + "/public.txt"}, None)]:
        o, res = invoke_json(pb, rt, event, what)
        if expect:
            check_result(pb, what, res, expect[0], "block")
        else:
            pb.check(res.get("ok") is True, "%s: an allowed call failed: %r" % (what, res))
        done.append((what, o, expect))
    out = rt.stop()
    pb.check(not out.errors, "fnshield error lines: %r" % out.errors)
    pb.check([s.get("supervisor") for s in out.starts] == ["on"],
             "want one start line with \"supervisor\":\"on\", got %r" % out.starts)
    for what, o, expect in done:
        if expect:
            check_line(pb, out, what, expect[0], expect[1], expect[2], "block", "invoke", o, fn)
    pb.check(all("interposition" not in v for v in out.violations),
             "the runtime's own calls were judged by the kernel: %r" % [show(v) for v in out.violations])
    deadline = time.monotonic() + 5  # written when the last process of the tree is gone
    while not (stats.exists() and stats.read_text().endswith("\n")) and time.monotonic() < deadline:
        time.sleep(0.05)
    sent = stats.read_text().split() if stats.exists() else ["(no counts written)"]
    if runtime == "java":
        opens = {"x86_64": {"2", "257", "437"}, "aarch64": {"56", "437"}}[os.uname().machine]  # open(at)(2)
        pb.check(sent[:1] == ["sent"] and all(x.split(":")[0] in opens for x in sent[2:]),
                 "calls sent to the supervisor, other than jspawnhelper's opens: %r" % sent)
    else:
        pb.check(sent[:2] == ["sent", "0"], "calls sent to the supervisor: %r" % sent)
    pb.fail_if_any(rt)
