"""Lambda's phases (SPEC "init" and the log line's phase/requestId/traceId/function): a fake
Runtime API on loopback answers GET /2018-06-01/runtime/invocation/next the way Lambda does;
the probe reads a file during init, asks for an invocation, and reads it again.

"init" overrides apply until the runtime first asks for an invocation; the Runtime API is
always reachable whatever the connect policy."""
import http.server
import threading

import pytest

import support

PROBE = str(support.PROGRAMS / "probe.py")
REQUEST_ID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
TRACE_ID = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
FUNCTION = "my-function"


class _RuntimeAPI(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802
        if self.path != "/2018-06-01/runtime/invocation/next":
            self.send_error(404)
            return
        body = b"{}"
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", REQUEST_ID)
        self.send_header("Lambda-Runtime-Trace-Id", TRACE_ID)
        self.send_header("Lambda-Runtime-Deadline-Ms", "4102444800000")
        self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                         "arn:aws:lambda:us-east-1:123456789012:function:" + FUNCTION)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def runtime_api():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RuntimeAPI)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    yield "127.0.0.1:%d" % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def _env(api):
    return {"AWS_LAMBDA_RUNTIME_API": api, "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_REGION": "us-east-1",
            "LAMBDA_TASK_ROOT": "/var/task"}


def test_init_override_applies_only_during_init(run, case_dir, servers, runtime_api):
    support.make_scenario("read", case_dir, servers)
    pol = support.pol(read="allow", connect="block",
                      init={"read": {"default": "allow", "block": [case_dir + "/secret*"]}})
    r = run([support.PYTHON, PROBE, "lambda_flow", case_dir, "secret.txt", runtime_api], pol, "block",
            env_extra=_env(runtime_api))
    ctx = r.explain()
    assert r.rc == 0 and r.after and not r.errors and not r.broken, ctx
    res = r.result
    assert res.get("ok") is True and res.get("request_id") == REQUEST_ID, \
        "the Runtime API must stay reachable under connect: block%s" % ctx
    assert res["init_read"].get("errno") == 13, "the init override did not block during init%s" % ctx
    assert res["invoke_read"].get("ok") is True, "the init override outlived init%s" % ctx
    assert len(r.violations) == 1, ctx
    v = r.violations[0]
    assert v["rule"] == "init.read.block[0]" and v["action"] == "block", ctx
    assert v.get("phase") == "init", ctx
    assert v.get("function") == FUNCTION, ctx


def test_invoke_line_carries_request_context(run, case_dir, servers, runtime_api):
    support.make_scenario("read", case_dir, servers)
    pol = support.pol(read={"default": "allow", "block": [case_dir + "/secret*"]},
                      init={"read": "allow"})
    r = run([support.PYTHON, PROBE, "lambda_flow", case_dir, "secret.txt", runtime_api], pol, "block",
            env_extra=_env(runtime_api))
    ctx = r.explain()
    assert r.rc == 0 and r.after and not r.errors and not r.broken, ctx
    res = r.result
    assert res["init_read"].get("ok") is True, "init: the override allows reads%s" % ctx
    assert res["invoke_read"].get("errno") == 13, "invoke: the main rule blocks%s" % ctx
    assert len(r.violations) == 1, ctx
    v = r.violations[0]
    assert v["rule"] == "read.block[0]", ctx
    assert v.get("phase") == "invoke", ctx
    assert v.get("requestId") == REQUEST_ID, ctx
    assert v.get("traceId") == TRACE_ID, ctx
    assert v.get("function") == FUNCTION, ctx
