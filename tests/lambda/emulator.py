"""A Lambda Runtime API emulator for the end-to-end tests (stdlib only).

The runtime (the official Node.js client, or the test loops in runtimes/) talks to it exactly
as to Lambda's own endpoint, AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT:

  GET  /2018-06-01/runtime/invocation/next             blocks until an event is queued; the
                                                       event as body, plus the headers
                                                       Lambda-Runtime-Aws-Request-Id,
                                                       -Deadline-Ms, -Invoked-Function-Arn,
                                                       -Trace-Id, and -Client-Context /
                                                       -Cognito-Identity when given
  POST /2018-06-01/runtime/invocation/{id}/response    the invocation's result      -> 202
  POST /2018-06-01/runtime/invocation/{id}/error       the invocation's error       -> 202
  POST /2018-06-01/runtime/init/error                  init failed                  -> 202

HTTP/1.1 with keep-alive (the official clients keep one libcurl connection for every request),
one thread per connection. For the tests:

  emu = RuntimeAPI(function_name="fn")
  emu.address                     "127.0.0.1:PORT"
  emu.wait_ready(timeout, proc)   True once the runtime asked for its first invocation (init
                                  is over); False if proc exited first or the time ran out
  emu.invoke(event, request_id=None, trace_id=None, timeout=30)
                                  -> Outcome: unpacks as (status, body), status "response" or
                                  "error", body the bytes the runtime posted; also
                                  .request_id, .trace_id, .headers (of the runtime's POST)
  emu.init_error                  None, or Posted(headers, body) of /init/error
  emu.connections                 how many TCP connections the runtime opened
  emu.requests                    every request: (connection number, method, path)
  emu.close()
"""
import http.server
import json
import os
import queue
import re
import secrets
import socket
import threading
import time
import uuid
from collections import namedtuple
from urllib.parse import unquote

PREFIX = "/2018-06-01/runtime"
NEXT = PREFIX + "/invocation/next"
INIT_ERROR = PREFIX + "/init/error"
_INVOCATION_RE = re.compile(r"^" + re.escape(PREFIX) + r"/invocation/([^/]+)/(response|error)$")

Posted = namedtuple("Posted", "headers body")


def new_request_id():
    return str(uuid.uuid4())


def new_trace_id():
    """An X-Ray trace header as Lambda sends it: Root=1-<8hex>-<24hex>;Parent=<16hex>;Sampled=1."""
    return "Root=1-%08x-%s;Parent=%s;Sampled=1" % (int(time.time()), secrets.token_hex(12),
                                                    secrets.token_hex(8))


class Outcome(tuple):
    """(status, body) with the invocation's details as attributes."""

    def __new__(cls, status, body, request_id, trace_id, headers):
        self = super().__new__(cls, (status, body))
        self.request_id = request_id
        self.trace_id = trace_id
        self.headers = headers
        return self

    @property
    def status(self):
        return self[0]

    @property
    def body(self):
        return self[1]

    def json(self):
        return json.loads(self[1].decode("utf-8"))


class InvokeTimeout(AssertionError):
    pass


class _Invocation:
    def __init__(self, body, request_id, trace_id, deadline_ms, client_context, cognito_identity):
        self.body = body
        self.request_id = request_id
        self.trace_id = trace_id
        self.deadline_ms = deadline_ms
        self.client_context = client_context
        self.cognito_identity = cognito_identity
        self.done = threading.Event()
        self.delivered = threading.Event()
        self.status = None
        self.result = None
        self.result_headers = None


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        # A runtime that is stopped mid-request resets its connection: not an error here.
        import sys
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class RuntimeAPI:
    def __init__(self, function_name="fnshield-e2e", region="us-east-1",
                 account="123456789012"):
        self.function_name = function_name
        self.function_arn = "arn:aws:lambda:%s:%s:function:%s" % (region, account, function_name)
        self._pending = queue.Queue()
        self._by_id = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.ready = threading.Event()          # the first GET /next arrived
        self.init_error = None
        self.init_error_event = threading.Event()
        self.requests = []                      # (connection number, method, path)
        self.unexpected = []                    # requests this API does not know
        self.connections = 0
        self.next_calls = 0
        emu = self

        class Handler(_Handler):
            api = emu

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        self.address = "127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True,
                                        name="runtime-api")
        self._thread.start()

    # ---------------------------------------------------------------- for the tests ----------
    def wait_ready(self, timeout=30, proc=None):
        """True once init is over (first /next); False if proc exited or timeout passed."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.ready.wait(0.05):
                return True
            if proc is not None and proc.poll() is not None:
                return self.ready.is_set()
        return self.ready.is_set()

    def invoke(self, event, request_id=None, trace_id=None, timeout=30, client_context=None,
               cognito_identity=None, proc=None):
        """Queue one event (bytes as is, anything else JSON-encoded), wait for its response or
        error. -> Outcome (status, body). Raises InvokeTimeout if nothing came back in time (or
        proc, when given, exited)."""
        if isinstance(event, (bytes, bytearray)):
            body = bytes(event)
        elif isinstance(event, str):
            body = event.encode("utf-8")
        else:
            body = json.dumps(event).encode("utf-8")
        inv = _Invocation(body, request_id or new_request_id(), trace_id or new_trace_id(),
                          int(time.time() * 1000 + timeout * 1000),
                          client_context, cognito_identity)
        with self._lock:
            self._by_id[inv.request_id] = inv
        self._pending.put(inv)
        end = time.monotonic() + timeout
        while not inv.done.wait(0.05):
            if time.monotonic() > end or (proc is not None and proc.poll() is not None):
                state = "delivered by /next" if inv.delivered.is_set() else "never asked for"
                why = ("the runtime exited (status %s)" % proc.poll()
                       if proc is not None and proc.poll() is not None else "%ss passed" % timeout)
                raise InvokeTimeout("invocation %s (%s) got no response: %s"
                                    % (inv.request_id, state, why))
        return Outcome(inv.status, inv.result, inv.request_id, inv.trace_id, inv.result_headers)

    def close(self):
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---------------------------------------------------------------- for the handler -------
    def _next_invocation(self):
        """Block until an event is queued (or the emulator closes: None)."""
        while not self._stop.is_set():
            try:
                return self._pending.get(timeout=0.1)
            except queue.Empty:
                continue
        return None

    def _lookup(self, request_id):
        with self._lock:
            return self._by_id.get(request_id)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api = None          # set by RuntimeAPI
    timeout = None      # a /next may wait as long as the test wants
    server_version = "fnshield-runtime-api-emulator"
    sys_version = ""

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.api._lock:
            self.api.connections += 1
            self.conn_no = self.api.connections

    def log_message(self, *args):
        pass

    # -- helpers
    def _body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _reply(self, code, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _record(self):
        with self.api._lock:
            self.api.requests.append((self.conn_no, self.command, self.path))

    # -- routes
    def do_GET(self):  # noqa: N802
        self._record()
        if self.path != NEXT:
            self.api.unexpected.append((self.command, self.path))
            self._reply(404, {"errorMessage": "unknown path", "errorType": "NotFound"})
            return
        with self.api._lock:
            self.api.next_calls += 1
        self.api.ready.set()
        inv = self.api._next_invocation()
        if inv is None:
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Lambda-Runtime-Aws-Request-Id", inv.request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(inv.deadline_ms))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", self.api.function_arn)
        self.send_header("Lambda-Runtime-Trace-Id", inv.trace_id)
        if inv.client_context is not None:
            self.send_header("Lambda-Runtime-Client-Context", inv.client_context)
        if inv.cognito_identity is not None:
            self.send_header("Lambda-Runtime-Cognito-Identity", inv.cognito_identity)
        self.send_header("Content-Length", str(len(inv.body)))
        self.end_headers()
        self.wfile.write(inv.body)
        self.wfile.flush()
        inv.delivered.set()

    def do_POST(self):  # noqa: N802
        self._record()
        body = self._body()
        headers = {k: v for k, v in self.headers.items()}
        if self.path == INIT_ERROR:
            self.api.init_error = Posted(headers, body)
            self.api.init_error_event.set()
            self._reply(202, {"status": "OK"})
            return
        m = _INVOCATION_RE.match(self.path)
        if not m:
            self.api.unexpected.append((self.command, self.path))
            self._reply(404, {"errorMessage": "unknown path", "errorType": "NotFound"})
            return
        inv = self.api._lookup(unquote(m.group(1)))
        if inv is None or inv.done.is_set():
            self.api.unexpected.append((self.command, self.path))
            self._reply(400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
            return
        inv.status = m.group(2)
        inv.result = body
        inv.result_headers = headers
        self._reply(202, {"status": "OK"})
        inv.done.set()


if __name__ == "__main__":
    # Manual use: run an emulator and feed it events typed as JSON lines on stdin.
    import sys
    api = RuntimeAPI(os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "fnshield-e2e"))
    print("AWS_LAMBDA_RUNTIME_API=%s" % api.address, flush=True)
    for line in sys.stdin:
        if line.strip():
            print(api.invoke(json.loads(line), timeout=600), flush=True)
