"""Fixtures of the fnshield integration suite (the machinery is in support.py).

Run: /usr/bin/python3 -m pytest -q tests/integration   (needs `make` first: build/fnshield and
build/libfnshield.so). A missing or broken build fails every test with the reason; nothing is
skipped.
"""
import http.server
import os
import socket
import subprocess
import threading
from types import SimpleNamespace

import pytest

import support


@pytest.fixture(scope="session")
def built():
    problem = support.artefacts_problem()
    if problem:
        pytest.fail(problem, pytrace=False)
    return True


@pytest.fixture
def run(built, tmp_path):
    """run(cmd, policy, mode, env_extra=None, cwd=None) -> support.Result.

    Writes the policy (dict -> JSON, str/bytes as is, None: no --policy) to a file in the test's
    tmp dir and runs `build/fnshield run --policy F --mode M -- cmd` with a small known
    environment (PATH=/usr/local/bin:/usr/bin). The Result unpacks as
    (rc, stdout results, violation lines, other stderr lines) and has .explain() for messages.
    """
    pdir = tmp_path / "policies"
    pdir.mkdir(exist_ok=True)

    def _run(cmd, policy=None, mode=None, env_extra=None, cwd=None, timeout=support.TIMEOUT):
        return support.run_cli(cmd, policy, mode, env_extra=env_extra, cwd=cwd,
                               timeout=timeout, policy_dir=pdir)
    return _run


@pytest.fixture
def run_preload(built):
    """run_preload(cmd, env_extra) -> Result: LD_PRELOAD=build/libfnshield.so plus env_extra."""
    return support.run_preload


@pytest.fixture
def case_dir(tmp_path):
    """A fresh directory for a case's files (absolute, symlinks resolved)."""
    d = tmp_path / "case"
    d.mkdir()
    return os.path.realpath(d)


# ---------------------------------------------------------------- loopback servers ----------
class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = b"hello\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _tcp_echo(sock, stop):
    sock.settimeout(0.5)
    while not stop.is_set():
        try:
            conn, _ = sock.accept()
        except socket.timeout:
            continue
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            try:
                data = conn.recv(64)
                if data:
                    conn.sendall(data)
            except OSError:
                pass


def _udp_sink(sock, stop):
    sock.settimeout(0.5)
    while not stop.is_set():
        try:
            sock.recvfrom(65536)
        except socket.timeout:
            continue
        except OSError:
            return


@pytest.fixture(scope="session")
def servers():
    """TCP echo (127.0.0.1 and ::1), HTTP and UDP receivers, ports chosen by the kernel."""
    stop = threading.Event()
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(64)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    tcp6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    tcp6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp6.bind(("::1", 0))
    tcp6.listen(64)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threads = [threading.Thread(target=_tcp_echo, args=(tcp, stop), daemon=True),
               threading.Thread(target=_tcp_echo, args=(tcp6, stop), daemon=True),
               threading.Thread(target=_udp_sink, args=(udp, stop), daemon=True),
               threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)]
    for t in threads:
        t.start()
    yield SimpleNamespace(tcp=tcp.getsockname()[1], tcp6=tcp6.getsockname()[1], udp=udp.getsockname()[1],
                          http=httpd.server_address[1])
    stop.set()
    httpd.shutdown()
    httpd.server_close()
    tcp.close()
    tcp6.close()
    udp.close()


# ---------------------------------------------------------------- Java ---------------------
@pytest.fixture(scope="session")
def java_classes(tmp_path_factory):
    """Probe.java compiled once per session; the directory to put on the class path."""
    out = tmp_path_factory.mktemp("java-classes")
    src = support.PROGRAMS / "Probe.java"
    p = subprocess.run([support.JAVAC, "-d", str(out), str(src)], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        pytest.fail("javac %s failed (%s):\n%s%s" % (src, p.returncode, p.stdout, p.stderr),
                    pytrace=False)
    return str(out)


# ---------------------------------------------------------------- C helpers ----------------
@pytest.fixture(scope="session")
def cc(tmp_path_factory):
    """cc(name, source) -> path of a program compiled from C source (gcc -O2 -pthread)."""
    d = tmp_path_factory.mktemp("cprogs")

    def _cc(name, source):
        src = d / (name + ".c")
        exe = d / name
        src.write_text(source)
        p = subprocess.run(["gcc", "-O2", "-pthread", "-o", str(exe), str(src)],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            pytest.fail("gcc %s failed:\n%s%s" % (name, p.stdout, p.stderr), pytrace=False)
        return str(exe)
    return _cc
