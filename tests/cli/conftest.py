"""Fixtures of the CLI suite (fnshield learn / explain / check --print).

Run: /usr/bin/python3 -m pytest -q tests/cli   (needs `make` first). Nothing is skipped: a
missing build fails every test with the reason.
"""
import json
import os
import socket
import subprocess
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUILD = Path(os.environ.get("FNSHIELD_BUILD_DIR") or ROOT / "build").resolve()
FNSHIELD = BUILD / "fnshield"
PYTHON = "/usr/bin/python3"          # Debian's interpreter, never a pyenv shim
WORKLOAD = HERE / "workload.py"
TIMEOUT = 30


def base_env(**extra):
    """A small known environment: no LD_PRELOAD, no FNSHIELD_*, no TMPDIR (the function's
    temporary files go to /tmp, as in Lambda)."""
    env = {"PATH": "/usr/local/bin:/usr/bin", "HOME": os.environ.get("HOME", "/root"),
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def lines(self):
        """Every fnshield JSON line of stderr, parsed."""
        out = []
        for line in self.stderr.splitlines():
            if line.startswith('{"fnshield"'):
                out.append(json.loads(line))
        return out

    @property
    def violations(self):
        return [x for x in self.lines if x["fnshield"] == "violation"]

    def explain(self):
        return "rc=%s\n--- stdout:\n%s\n--- stderr:\n%s" % (self.rc, self.stdout, self.stderr)


def fnshield(*args, stdin=None, env=None, cwd=None):
    """build/fnshield ARGS -> Run (text)."""
    p = subprocess.run([str(FNSHIELD), *map(str, args)], input=stdin, capture_output=True,
                       text=True, env=env or base_env(), cwd=cwd, timeout=TIMEOUT)
    return Run(p)


@pytest.fixture(scope="session", autouse=True)
def built():
    if not FNSHIELD.exists():
        pytest.fail("fnshield is not built: missing %s (run `make` in %s first)" % (FNSHIELD, ROOT),
                    pytrace=False)


@pytest.fixture
def case_dir(tmp_path):
    """A fresh directory (absolute, symbolic links resolved)."""
    d = tmp_path / "case"
    d.mkdir()
    return Path(os.path.realpath(d))


@pytest.fixture
def write_json(case_dir):
    def _write(name, obj):
        p = case_dir / name
        p.write_text(obj if isinstance(obj, str) else json.dumps(obj, indent=2))
        return p
    return _write


@pytest.fixture
def service():
    """A TCP service on 127.0.0.1 answering each line with "pong"; yields its port."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.settimeout(5)
                try:
                    if conn.recv(64):
                        conn.sendall(b"pong\n")
                except OSError:
                    pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join(2)
    srv.close()
