"""Fixtures of the fnshield end-to-end suite: Lambda's way of running functions, on loopback.

Run: /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/lambda   (needs `make` first).
The first run builds the official Node.js runtime client (tests/lambda/install-ric.sh, a few
minutes) into build/lambda-ric/<version>/; later runs reuse it.

  emulator              a Runtime API emulator (emulator.RuntimeAPI) for one test
  start_runtime(...)    starts python / node / java / ruby against an emulator, protected through the
                        exec wrapper (or not), and stops it when the test ends
  ric_package           the built aws-lambda-ric package directory (session)
  java_classes          JavaRic and the Java test function, compiled once (session)
  tcp_server            a loopback TCP listener for the functions' connects (session)
  secrets_dir           a directory of files for the functions to read (per test)
"""
import json
import os
import socket
import subprocess
import threading
from types import SimpleNamespace

import pytest

import e2e_support as es
from emulator import RuntimeAPI


def pytest_sessionstart(session):
    """The end-to-end runs' lines are collected afresh each session (e2e_support.E2E_LOG)."""
    if es.E2E_LOG.exists():
        es.E2E_LOG.unlink()


@pytest.fixture(scope="session")
def built():
    missing = [str(p) for p in (es.LIBRARY, es.FNSHIELD, es.WRAPPER) if not p.exists()]
    if missing:
        pytest.fail("fnshield is not built or incomplete: missing %s (run `make` in %s)"
                    % (", ".join(missing), es.ROOT), pytrace=False)
    return True


@pytest.fixture(scope="session")
def ric_package():
    """Build (once, cached in build/lambda-ric/) and return aws-lambda-ric's package dir."""
    p = subprocess.run(["sh", str(es.INSTALL_RIC)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=1800)
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode != 0:
        pytest.fail("tests/lambda/install-ric.sh failed (status %d):\n%s"
                    % (p.returncode, err[-6000:]), pytrace=False)
    pkg = p.stdout.decode().strip().splitlines()[-1]
    if not os.path.isfile(os.path.join(pkg, "bin", "index.mjs")):
        pytest.fail("install-ric.sh printed %r, which is not the package" % pkg, pytrace=False)
    return pkg


@pytest.fixture(scope="session")
def java_classes(tmp_path_factory):
    """JavaRic (the runtime, like /var/runtime) and Handler (the function) compiled apart."""
    base = tmp_path_factory.mktemp("java")
    out = SimpleNamespace(runtime=base / "runtime", function=base / "function")
    for src, dst in ((es.RUNTIMES / "JavaRic.java", out.runtime),
                     (es.FUNCTIONS / "java" / "Handler.java", out.function)):
        dst.mkdir()
        p = subprocess.run([es.JAVAC, "-d", str(dst), str(src)], capture_output=True, text=True,
                           timeout=300)
        if p.returncode != 0:
            pytest.fail("javac %s failed (%d):\n%s%s" % (src, p.returncode, p.stdout, p.stderr),
                        pytrace=False)
    return out


@pytest.fixture(scope="session")
def tcp_server():
    """A loopback TCP listener that accepts and closes; .port."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                c, _ = srv.accept()
                c.close()
            except socket.timeout:
                continue
            except OSError:
                return
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield SimpleNamespace(port=srv.getsockname()[1])
    stop.set()
    t.join(2)
    srv.close()


@pytest.fixture
def secrets_dir(tmp_path):
    """Files for the functions to read: secret-*.txt, initonly.txt (absolute, no symlinks)."""
    d = tmp_path / "data"
    d.mkdir()
    for name in ("secret-init.txt", "secret-1.txt", "secret-2.txt", "initonly.txt", "public.txt"):
        (d / name).write_text("contents of %s\n" % name)
    for i in range(8):
        (d / ("secret-t1-%d" % i)).write_text("t\n")
        (d / ("secret-t2-%d" % i)).write_text("t\n")
    return os.path.realpath(d)


@pytest.fixture
def emulator():
    emu = RuntimeAPI()
    yield emu
    emu.close()


@pytest.fixture
def start_runtime(request, tmp_path, built):
    """start_runtime(runtime, policy=None, mode=None, protect="wrapper", init_actions=None,
                     task_root=None, function_name=None, env_extra=None, handler=None)
                     -> e2e_support.Runtime

    runtime: "python", "node", "java" or "ruby". protect: "wrapper" (build/fnshield-exec + the
    runtime's command line, as AWS_LAMBDA_EXEC_WRAPPER), "preload" (LD_PRELOAD set directly) or
    None (unprotected). policy: a dict (JSON-encoded) or text, given as FNSHIELD_POLICY; mode:
    FNSHIELD_MODE. init_actions: the function's import-time actions (E2E_INIT_ACTIONS).
    handler: instead of the test function's (_HANDLER, and node's argument). Each
    runtime gets an emulator of its own (runtime.emu). Everything is stopped at the test's end.
    """
    started = []

    def _start(runtime, policy=None, mode=None, protect="wrapper", init_actions=None,
               task_root=None, function_name=None, env_extra=None, handler=None):
        ric = request.getfixturevalue("ric_package") if runtime == "node" else None
        jc = request.getfixturevalue("java_classes") if runtime == "java" else None
        n = len(started)
        if task_root is None:
            task_root = tmp_path / ("task-%s-%d" % (runtime, n))
        es.prepare_task_root(runtime, task_root, jc)
        function_name = function_name or "fnshield-e2e-%s" % runtime
        emu = RuntimeAPI(function_name=function_name)
        extra = {}
        if policy is not None:
            extra["FNSHIELD_POLICY"] = policy if isinstance(policy, str) else json.dumps(policy)
        if mode is not None:
            extra["FNSHIELD_MODE"] = mode
        if init_actions:
            extra["E2E_INIT_ACTIONS"] = json.dumps(init_actions)
        if protect == "preload":
            extra["LD_PRELOAD"] = str(es.LIBRARY)
        extra.update(env_extra or {})
        handler = handler or es.HANDLERS[runtime]
        env = es.lambda_env(emu.address, function_name, task_root, handler, runtime, extra)
        cmd = es.runtime_command(runtime, ric, jc, handler)
        if protect == "wrapper":
            cmd = [str(es.WRAPPER)] + cmd
        rt = es.Runtime(runtime, cmd, env, task_root, emu, protect, extra.get("FNSHIELD_POLICY"))
        started.append(rt)
        return rt

    yield _start
    for rt in started:
        rt.stop()
        rt.emu.close()
