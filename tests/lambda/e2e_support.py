"""Machinery of the end-to-end suite: the runtimes, starting them the way Lambda does, and
reading what they wrote. Fixtures are in conftest.py; the emulator in emulator.py.

A runtime is started with Lambda's environment (AWS_LAMBDA_RUNTIME_API pointing at the
emulator, the function's name, memory, version, _HANDLER, LAMBDA_TASK_ROOT, region, fake
credentials, TZ=:UTC, PATH, LANG) and, when protected, through the layer's exec wrapper:
`build/fnshield-exec <runtime command line...>`, exactly as Lambda runs
AWS_LAMBDA_EXEC_WRAPPER.
"""
import json
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUILD = Path(os.environ.get("FNSHIELD_BUILD_DIR") or ROOT / "build").resolve()
LIBRARY = BUILD / "libfnshield.so"
FNSHIELD = BUILD / "fnshield"
WRAPPER = BUILD / "fnshield-exec"         # wrappers/fnshield-exec links to build/'s
INSTALL_RIC = HERE / "install-ric.sh"
FUNCTIONS = HERE / "functions"
RUNTIMES = HERE / "runtimes"

PYTHON = "/usr/bin/python3"           # Debian's interpreter, never a pyenv shim
NODE = "/usr/bin/node"
RUBY = "/usr/bin/ruby"                # Debian's interpreter (3.1 on bookworm)


def _which_real(name):
    found = shutil.which(name, path="/usr/local/bin:/usr/bin:/bin")
    return os.path.realpath(found) if found else "/nonexistent/" + name


JAVA = _which_real("java")            # readlink -f $(which java): the JVM's own binary
JAVAC = _which_real("javac")
# The flags of Lambda's Java runtime that matter for start-up (tiered C1, serial GC, CDS).
JAVA_FLAGS = ["-XX:MaxHeapSize=445645k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
              "-Xshare:auto", "-XX:-UsePerfData"]

EX_CONFIG = 78
PATH = "/usr/local/bin:/usr/bin:/bin"
RUNTIME_NAMES = ("python", "node", "java", "ruby")
EXECUTION_ENV = {"python": "AWS_Lambda_python3.11", "node": "AWS_Lambda_nodejs20.x",
                 "java": "AWS_Lambda_java17", "ruby": "AWS_Lambda_ruby3.3"}
HANDLERS = {"python": "handler.handler", "node": "index.handler", "java": "Handler::handleRequest",
            "ruby": "function.handler"}
# How many connections to the Runtime API a runtime opens for its requests: the official
# Node.js client (libcurl) and the Python and Java loops keep one alive; Ruby's client (the
# aws_lambda_ric gem, and ruby_ric.rb after it) opens one per request with Net::HTTP.
ONE_CONNECTION = {"python": True, "node": True, "java": True, "ruby": False}


def lambda_env(api_address, function_name, task_root, handler, runtime, extra=None):
    """The environment Lambda gives a runtime (the parts a runtime or fnshield looks at)."""
    env = {
        "PATH": PATH,
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "AWS_LAMBDA_RUNTIME_API": api_address,
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + function_name,
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/22/[$LATEST]" + secrets.token_hex(16),
        "AWS_EXECUTION_ENV": EXECUTION_ENV[runtime],
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "ASIAE2ETESTFAKEKEY01",
        "AWS_SECRET_ACCESS_KEY": "fake/secret/key/for/the/fnshield/e2e/tests00",
        "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEFAKE//fnshield-e2e-session-token",
        "_HANDLER": handler,
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(RUNTIMES),
    }
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


# ------------------------------------------------------------------------ output ----------
class Output:
    """What a runtime wrote: stderr split into fnshield lines by kind, and everything else."""

    def __init__(self, stdout, stderr):
        self.stdout = stdout
        self.stderr = stderr
        self.violations, self.errors, self.starts, self.others = [], [], [], []
        self.broken = []          # lines that look like fnshield's but do not parse
        for raw in stderr.split(b"\n"):
            line = raw.strip()
            if not line:
                continue
            obj = None
            if line.startswith(b"{"):
                try:
                    obj = json.loads(line.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    obj = None
            if isinstance(obj, dict) and "fnshield" in obj:
                {"violation": self.violations, "error": self.errors,
                 "start": self.starts}.get(obj["fnshield"], self.others).append(obj)
            elif b'"fnshield"' in line:
                self.broken.append(line.decode("utf-8", "backslashreplace"))


# Every fnshield line the end-to-end runs wrote, as a function's log stream would hold them:
# `fnshield report` is tested on it (tests/lambda/test_report.py).
E2E_LOG = BUILD / "e2e" / "fnshield-lines.log"


def keep_lines(stderr):
    lines = [l for l in stderr.split(b"\n") if l.startswith(b'{"fnshield":')]
    if lines:
        E2E_LOG.parent.mkdir(parents=True, exist_ok=True)
        with open(E2E_LOG, "ab") as f:
            f.write(b"\n".join(lines) + b"\n")


def _drain(stream, sink):
    for chunk in iter(lambda: stream.read1(65536), b""):
        sink.append(chunk)
    stream.close()


class Runtime:
    """A runtime process serving one emulator."""

    def __init__(self, name, cmd, env, cwd, emu, protect, policy_text=None):
        self.name, self.cmd, self.env, self.cwd, self.emu = name, cmd, env, cwd, emu
        self.protect, self.policy_text = protect, policy_text
        self._out, self._err = [], []
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, env=env, cwd=str(cwd), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self._threads = [threading.Thread(target=_drain, args=(self.proc.stdout, self._out), daemon=True),
                         threading.Thread(target=_drain, args=(self.proc.stderr, self._err), daemon=True)]
        for t in self._threads:
            t.start()
        self.output = None

    def wait_ready(self, timeout=60):
        """True once the runtime asked for its first invocation (init is over)."""
        return self.emu.wait_ready(timeout, proc=self.proc)

    def invoke(self, event, **kw):
        kw.setdefault("timeout", 30)
        return self.emu.invoke(event, proc=self.proc, **kw)

    def wait_exit(self, timeout=30):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """Stop the runtime (as Lambda does: a signal, then a kill) and collect its output."""
        if self.output is not None:
            return self.output
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5)
        for t in self._threads:
            t.join(5)
        self.output = Output(b"".join(self._out), b"".join(self._err))
        keep_lines(self.output.stderr)
        return self.output

    def snapshot(self):
        """The output so far, without stopping."""
        return Output(b"".join(self._out), b"".join(self._err))

    def explain(self):
        out = self.output or self.snapshot()
        pol = self.policy_text
        if pol is not None and len(pol) > 1200:
            pol = pol[:1200] + "..."
        return "\n".join([
            "",
            "---- runtime %s (%s), pid %s, exit status %s, %.1fs" % (
                self.name, self.protect, self.proc.pid, self.proc.poll(),
                time.monotonic() - self.started),
            "---- command: %s" % " ".join(self.cmd),
            "---- FNSHIELD_POLICY: %s   FNSHIELD_MODE: %s" % (pol, self.env.get("FNSHIELD_MODE")),
            "---- Runtime API requests: %s" % self.emu.requests[-20:],
            "---- stdout:",
            _tail(out.stdout),
            "---- stderr:",
            _tail(out.stderr),
            "---- end",
        ])


def _tail(b, n=12000):
    s = b.decode("utf-8", "backslashreplace")
    return s if len(s) <= n else "...(%d chars cut)...\n" % (len(s) - n) + s[-n:]


# ------------------------------------------------------------------------ task roots ------
def prepare_task_root(runtime, task_root, java_classes=None):
    """Put the runtime's test function into task_root (as a deployment package would)."""
    task_root = Path(task_root)
    task_root.mkdir(parents=True, exist_ok=True)
    if runtime == "python":
        shutil.copy(FUNCTIONS / "python" / "handler.py", task_root / "handler.py")
    elif runtime == "node":
        shutil.copy(FUNCTIONS / "node" / "index.mjs", task_root / "index.mjs")
    elif runtime == "java":
        for f in Path(java_classes.function).iterdir():
            shutil.copy(f, task_root / f.name)
    elif runtime == "ruby":
        shutil.copy(FUNCTIONS / "ruby" / "function.rb", task_root / "function.rb")
    else:
        raise ValueError(runtime)
    return task_root


def runtime_command(runtime, ric_package=None, java_classes=None, handler=None):
    """The runtime's command line, as Lambda's bootstrap would run it (Python, Java and Ruby take
    the handler from _HANDLER; the Node.js client's bin takes it as its argument)."""
    if runtime == "python":
        return [PYTHON, str(RUNTIMES / "python_ric.py")]
    if runtime == "node":
        # bin/index.mjs: the handler is argv[2], the function directory is the working directory.
        return [NODE, str(Path(ric_package) / "bin" / "index.mjs"), handler or HANDLERS["node"]]
    if runtime == "java":
        return [JAVA] + JAVA_FLAGS + ["-cp", str(java_classes.runtime), "JavaRic"]
    if runtime == "ruby":
        return [RUBY, str(RUNTIMES / "ruby_ric.rb")]
    raise ValueError(runtime)
