"""The Python test function (handler: handler.handler).

Every event names one action; the handler performs it and returns what happened, so a test can
tell alert (the call succeeded: {"ok": true, ...}) from block ({"ok": false, "code": "EACCES" or
"EPERM", "errno": N, ...}):

  {"action": "echo", ...}                  the event itself (harmless)
  {"action": "whoami"}                     requestId and _X_AMZN_TRACE_ID as the function sees them
  {"action": "exec"}                       runs /usr/bin/id -u
  {"action": "read", "path": P}            reads file P
  {"action": "connect", "port": N}         TCP connect to 127.0.0.1:N
  {"action": "child_read", "path": P}      runs /usr/bin/cat P (the child reads; rc 0 = it could)
  {"action": "threads", "n": K, "path": P} K threads at once, thread i reads P-i
  {"action": "init_result"}                what the actions at import time got
  {"action": "fail", "message": M}         raises (the runtime posts /error)

At import (the init phase), the actions listed as JSON in the function's environment variable
E2E_INIT_ACTIONS are performed and their results kept for "init_result".
"""
import errno
import json
import os
import socket
import subprocess
import threading


def _error(e):
    d = {"ok": False, "error": type(e).__name__}
    if isinstance(e, OSError) and e.errno is not None:
        d["errno"] = e.errno
        d["code"] = errno.errorcode.get(e.errno, str(e.errno))
    return d


def do_exec():
    try:
        p = subprocess.run(["/usr/bin/id", "-u"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return {"ok": True, "rc": p.returncode}
    except OSError as e:
        return _error(e)


def do_child_read(path):
    try:
        p = subprocess.run(["/usr/bin/cat", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return {"ok": p.returncode == 0, "rc": p.returncode}
    except OSError as e:
        return _error(e)


def do_read(path):
    try:
        with open(path, "rb") as f:
            return {"ok": True, "bytes": len(f.read())}
    except OSError as e:
        return _error(e)


def do_connect(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(5)
        s.connect(("127.0.0.1", int(port)))
        return {"ok": True}
    except OSError as e:
        return _error(e)
    finally:
        s.close()


def do_threads(n, path):
    results = [None] * n
    barrier = threading.Barrier(n)

    def work(i):
        barrier.wait()
        results[i] = do_read("%s-%d" % (path, i))
    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"ok": all(r["ok"] for r in results), "results": results}


def perform(event, context=None):
    action = event.get("action")
    if action == "echo":
        return event
    if action == "whoami":
        return {"requestId": getattr(context, "aws_request_id", None),
                "traceEnv": os.environ.get("_X_AMZN_TRACE_ID"),
                "function": getattr(context, "function_name", None)}
    if action == "exec":
        return do_exec()
    if action == "read":
        return do_read(event["path"])
    if action == "connect":
        return do_connect(event["port"])
    if action == "child_read":
        return do_child_read(event["path"])
    if action == "threads":
        return do_threads(int(event["n"]), event["path"])
    if action == "init_result":
        return INIT_RESULTS
    if action == "fail":
        raise RuntimeError(event.get("message", "failed on purpose"))
    return {"ok": False, "error": "unknown action %r" % (action,)}


# ---- init: runs at import, before the runtime asks for the first invocation ------------------
INIT_RESULTS = [perform(a) for a in json.loads(os.environ.get("E2E_INIT_ACTIONS") or "[]")]


def handler(event, context):
    return perform(event, context)
