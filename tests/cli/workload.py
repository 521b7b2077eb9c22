"""A small function for the learn round trip (tests/cli/test_learn_roundtrip.py) and the
walk-through (tests/cli/WALKTHROUGH.md).

Its legitimate work, every run: a fresh temporary directory (Python's tempfile: /tmp/tmpXXXXXXXX)
with a few files written and read back, an external program (/usr/bin/id), a call to a service
(HOST:PORT over TCP), and its result written to --out. With --exec PROG or --read FILE it also
does something it never did in staging (what an injected payload would do).

Prints one JSON object: what it did and what was refused.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--service", required=True, help="HOST:PORT of the service it calls")
    ap.add_argument("--out", required=True, help="where the result goes")
    ap.add_argument("--exec", dest="exec_", help="also run this program (not legitimate)")
    ap.add_argument("--read", help="also read this file (not legitimate)")
    args = ap.parse_args()
    res = {}

    work = tempfile.mkdtemp()
    try:
        for i in range(3):
            p = os.path.join(work, "part-%d.json" % i)
            with open(p, "w") as f:
                json.dump({"part": i}, f)
        res["parts"] = [json.load(open(os.path.join(work, n))) ["part"]
                        for n in sorted(os.listdir(work))]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    res["id"] = subprocess.run(["/usr/bin/id", "-u"], capture_output=True, text=True,
                               check=True).stdout.strip()

    host, port = args.service.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"ping\n")
        res["service"] = s.recv(64).decode().strip()

    def attempt(name, fn):
        try:
            res[name] = fn()
        except OSError as e:
            res[name] = "refused: %s" % e.strerror

    if args.exec_:
        attempt("exec", lambda: subprocess.run([args.exec_], capture_output=True, text=True)
                .stdout.strip())
    if args.read:
        attempt("read", lambda: open(args.read).read().strip())

    with open(args.out, "w") as f:
        json.dump(res, f)
    print(json.dumps(res, sort_keys=True))


if __name__ == "__main__":
    main()
