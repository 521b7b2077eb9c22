"""A small Lambda runtime interface client for Python, written for the end-to-end tests.

The official client (awslambdaric) is not in the registries reachable here; this loop speaks
the same Runtime API the same way, as far as fnshield can tell:

  init    _HANDLER "module.function" is imported from LAMBDA_TASK_ROOT BEFORE the first
          request to the Runtime API (as the official client does); a failure is posted to
          /init/error and the process exits 1.
  loop    GET /next on one keep-alive connection (http.client); _X_AMZN_TRACE_ID is set from
          Lambda-Runtime-Trace-Id (removed when absent); handler(event, context); the JSON
          result goes to /response, an exception to /error.

Run as Lambda's bootstrap runs its client: `python3 python_ric.py` with the Lambda environment
(AWS_LAMBDA_RUNTIME_API, _HANDLER, LAMBDA_TASK_ROOT, ...). An argument, if given, overrides
_HANDLER (like `python3 -m awslambdaric module.function`).
"""
import http.client
import importlib
import json
import os
import sys
import time
import traceback

PREFIX = "/2018-06-01/runtime"


class LambdaContext:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        cc = headers.get("Lambda-Runtime-Client-Context")
        ci = headers.get("Lambda-Runtime-Cognito-Identity")
        self.client_context = json.loads(cc) if cc else None
        self.identity = json.loads(ci) if ci else None

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


class RuntimeClient:
    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.conn = http.client.HTTPConnection(host, int(port))   # one keep-alive connection

    def _request(self, method, path, body=None, headers=None):
        self.conn.request(method, PREFIX + path, body=body, headers=headers or {})
        resp = self.conn.getresponse()
        data = resp.read()          # read it all: the connection is reused
        return resp, data

    def next(self):
        resp, data = self._request("GET", "/invocation/next")
        if resp.status != 200:
            raise RuntimeError("GET /next: HTTP %d %r" % (resp.status, data))
        return resp.headers, data

    def post(self, path, payload, error_type=None):
        headers = {"Content-Type": "application/json"}
        if error_type:
            headers["Lambda-Runtime-Function-Error-Type"] = error_type
        resp, data = self._request("POST", path, body=payload, headers=headers)
        if resp.status != 202:
            raise RuntimeError("POST %s: HTTP %d %r" % (path, resp.status, data))


def error_document(exc, error_type=None):
    return json.dumps({
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }).encode("utf-8")


def load_handler(spec):
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    module_name, _, function_name = spec.rpartition(".")
    if not module_name:
        raise ValueError("Bad handler '%s': not a module.function name" % spec)
    module = importlib.import_module(module_name.replace("/", "."))
    return getattr(module, function_name)


def main():
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    # The clients read the telemetry descriptor and hide it from the function.
    os.environ.pop("_LAMBDA_TELEMETRY_LOG_FD", None)
    spec = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("_HANDLER", "")
    try:
        handler = load_handler(spec)        # init: before the first /next
    except Exception as e:  # noqa: BLE001 - any import failure is the function's init error
        kind = "Runtime.ImportModuleError" if isinstance(e, ImportError) else "Runtime.HandlerNotFound"
        sys.stderr.write("[ERROR] %s: %s\n" % (kind, e))
        client.post("/init/error", error_document(e, kind), kind)
        sys.exit(1)

    while True:
        headers, body = client.next()
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        trace_id = headers.get("Lambda-Runtime-Trace-Id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        context = LambdaContext(headers)
        try:
            event = json.loads(body) if body else None
            result = handler(event, context)
            payload = json.dumps(result).encode("utf-8")
        except Exception as e:  # noqa: BLE001 - the function's error goes to /error
            client.post("/invocation/%s/error" % request_id, error_document(e), "Unhandled")
            continue
        client.post("/invocation/%s/response" % request_id, payload)


if __name__ == "__main__":
    main()
