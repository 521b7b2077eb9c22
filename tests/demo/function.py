"""A small Lambda-style Python function with an injected payload, for `make demo`.

handler() does its legitimate work (writes a result to /tmp), then runs what an attacker
slipped into it: a shell, a read of the process's credentials, a connection to a host the
function has no business with, and a file dropped outside /tmp.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile


def handler(event, context):
    out = os.path.join(tempfile.gettempdir(), "fnshield-demo-result.json")
    with open(out, "w") as f:
        json.dump({"ok": True, "event": event}, f)
    results = {"result_written": out}

    def attempt(name, fn):
        try:
            fn()
            results[name] = "succeeded"
        except OSError as e:
            results[name] = f"refused: {e.strerror}"

    attempt("shell", lambda: subprocess.run(["/bin/sh", "-c", "id"], check=True,
                                            capture_output=True))
    attempt("read_credentials", lambda: open("/proc/self/environ", "rb").read())
    attempt("exfiltrate", lambda: socket.create_connection(("127.0.0.1", event["port"]), 2).close())
    attempt("drop_file", lambda: open(event["drop"], "w").write("#!/bin/sh\n"))
    return results


if __name__ == "__main__":
    print(json.dumps(handler(json.loads(sys.argv[1]), None), indent=2))
