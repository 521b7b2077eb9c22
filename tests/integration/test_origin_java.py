"""Who made the call, in Java: "origin" and "stack" (SPEC v1.1; shim/origin_java.c).

The probe (programs/origin/java) is the function's own code, example.Handler, in a directory
of classes as Lambda unpacks a function, and a dependency, com.acme.evil.Steal, in
acme-evil-1.0.jar. A violation made through java.io, java.nio.file, a socket or
ProcessBuilder names the innermost frame outside the JDK with its file, the line of the call
(marked "CALL:<name>" in the source), class.method, and the jar; the program ProcessBuilder
starts is checked in jspawnhelper, whose line names the Java code that started it.

Safety (issue 12, point 4): many threads at once, a Java signal handler, shutdown hooks and a
daemon thread during shutdown, a class's static initialiser, the VM's own opens during
start-up and class loading (no origin there: the VM's own threads and states), "log.stack"
off, and a loop of identical violations: no crash, no hang, results unchanged, lines intact.
Other JDKs (11, 21, 25) run in the runtime matrix (tests/matrix).
"""
import json
import os
import socket
import subprocess

import pytest

import support
from origin_support import assert_origin, call_line, lines_intact, make_case, policy, run_probe

HERE = os.path.dirname(os.path.abspath(__file__))
JAVA_DIR = os.path.join(HERE, "programs", "origin", "java")
HANDLER = os.path.join(JAVA_DIR, "task", "example", "Handler.java")
STEAL = os.path.join(JAVA_DIR, "deps", "com", "acme", "evil", "Steal.java")
JAR = "acme-evil-1.0.jar"
HANDLER_FILE = "example/Handler.java"
STEAL_FILE = "com/acme/evil/Steal.java"


@pytest.fixture(scope="session")
def java_probe(tmp_path_factory):
    """The probe compiled once: the task's classes directory and the dependency's jar."""
    out = tmp_path_factory.mktemp("java-origin")
    task, deps, jar = out / "task", out / "deps", out / JAR

    def run(argv):
        p = subprocess.run(argv, capture_output=True, text=True, timeout=180)
        if p.returncode != 0:
            pytest.fail("%s failed: %s%s" % (argv, p.stdout, p.stderr), pytrace=False)
    run([support.JAVAC, "--release", "11", "-nowarn", "-d", str(deps), STEAL])
    jar_tool = os.path.join(os.path.dirname(support.JAVAC), "jar")
    run([jar_tool, "cf", str(jar), "-C", str(deps), "."])
    run([support.JAVAC, "--release", "11", "-nowarn", "-XDignore.symbol.file", "-cp", str(jar),
         "-d", str(task), HANDLER])
    return str(task), str(jar)


def run_java(run_preload, java_probe, case_dir, pol, *args, timeout=120):
    task, jar = java_probe
    cmd = [support.JAVA] + support.JAVA_FLAGS + ["-cp", task + ":" + jar, "example.Handler"]
    return run_probe(run_preload, cmd + list(args), case_dir, pol, timeout=timeout,
                     task_root=task)


@pytest.mark.parametrize("action,file,source,name,function,package", [
    ("read", STEAL_FILE, STEAL, "readSecret", "com.acme.evil.Steal.readSecret", JAR),
    ("nio", STEAL_FILE, STEAL, "readNio", "com.acme.evil.Steal.readNio", JAR),
    ("own", HANDLER_FILE, HANDLER, "own", "example.Handler.handle", None),
    ("load", STEAL_FILE, STEAL, "atLoad", "com.acme.evil.Steal$AtLoad.readSecretAtLoad", JAR),
])
def test_java_read_names_the_code(run_preload, java_probe, case_dir, action, file, source, name,
                                  function, package):
    make_case(case_dir)
    r = run_java(run_preload, java_probe, case_dir, policy(case_dir), action)
    assert len(r.violations) == 1, r.explain()
    v = r.violations[0]
    assert_origin(v, "java", file, call_line(source, name), function, package, r.explain())
    if package is None:  # a directory of classes (the task root) is no jar
        assert "package" not in v["origin"], v
    # The JDK's frames are in the stack, innermost first, and are never the origin.
    assert v["stack"][0]["function"].startswith(("java.", "sun.")), v["stack"]


def test_java_exec_names_the_code_that_started_it(run_preload, java_probe, case_dir):
    """ProcessBuilder: the JVM posix_spawns jspawnhelper, which execs /bin/sh; the line is
    written there, and names the Java code that asked for it (carried from the JVM)."""
    make_case(case_dir)
    r = run_java(run_preload, java_probe, case_dir,
                 policy(case_dir, exec={"default": "allow", "block": ["/bin/sh", "/usr/bin/sh"]}),
                 "exec")
    assert len(r.violations) == 1, r.explain()
    v = r.violations[0]
    assert v["category"] == "exec" and v["exe"].endswith("/jspawnhelper"), v
    assert_origin(v, "java", STEAL_FILE, call_line(STEAL, "runShell"),
                  "com.acme.evil.Steal.runShell", JAR, r.explain())


@pytest.mark.parametrize("mechanism", ["VFORK", "FORK"])
def test_java_exec_from_a_child_of_the_jvm(run_preload, java_probe, case_dir, mechanism):
    """JDK 11's way (and any JDK's with jdk.lang.Process.launchMechanism): the JVM vforks or
    forks and execs in the child, where no Java can be walked; the stack is taken in the parent
    just before (hook_vfork.c, pthread_atfork) and names the code that asked."""
    make_case(case_dir)
    task, jar = java_probe
    cmd = [support.JAVA] + support.JAVA_FLAGS + [
        "-Djdk.lang.Process.launchMechanism=" + mechanism, "-cp", task + ":" + jar,
        "example.Handler", "exec"]
    r = run_probe(run_preload, cmd, case_dir,
                  policy(case_dir, exec={"default": "allow", "block": ["/bin/sh", "/usr/bin/sh"]}),
                  task_root=task)
    assert len(r.violations) == 1, r.explain()
    v = r.violations[0]
    assert v["category"] == "exec" and v["exe"] == support.JAVA_EXE, v
    assert v["pid"] != r.starts[0]["pid"] if r.starts else True
    assert_origin(v, "java", STEAL_FILE, call_line(STEAL, "runShell"),
                  "com.acme.evil.Steal.runShell", JAR, r.explain())


def test_java_connect_names_the_code(run_preload, java_probe, case_dir):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    try:
        r = run_java(run_preload, java_probe, case_dir, policy(case_dir, connect="block"),
                     "connect", str(srv.getsockname()[1]))
    finally:
        srv.close()
    assert len(r.violations) == 1, r.explain()
    assert_origin(r.violations[0], "java", STEAL_FILE, call_line(STEAL, "phoneHome"),
                  "com.acme.evil.Steal.phoneHome", JAR, r.explain())


def test_java_many_threads_at_once(run_preload, java_probe, case_dir):
    make_case(case_dir, many=300)
    r = run_java(run_preload, java_probe, case_dir, policy(case_dir), "threads", "16")
    assert len(r.violations) == 300, r.explain()
    line = call_line(STEAL, "readSecret")
    for v in r.violations:
        assert_origin(v, "java", STEAL_FILE, line, "com.acme.evil.Steal.readSecret", JAR,
                      r.explain())
        assert any(f["function"].startswith("example.Handler.lambda$") for f in v["stack"]), v
        assert v["stack"][-1]["function"] == "java.lang.Thread.run", v["stack"]


def test_java_signal_handler(run_preload, java_probe, case_dir):
    """A Java signal handler (sun.misc.Signal: run on a thread the VM starts for it)."""
    make_case(case_dir)
    r = run_java(run_preload, java_probe, case_dir, policy(case_dir), "signal")
    assert len(r.violations) == 1, r.explain()
    assert_origin(r.violations[0], "java", STEAL_FILE, call_line(STEAL, "readSecret"),
                  "com.acme.evil.Steal.readSecret", JAR, r.explain())


def test_java_shutdown(run_preload, java_probe, case_dir):
    """A shutdown hook and a daemon thread violating while the VM shuts down."""
    make_case(case_dir, many=50)
    for _ in range(3):
        r = run_java(run_preload, java_probe, case_dir, policy(case_dir), "shutdown")
        assert r.violations, r.explain()
        hook = [v for v in r.violations if v["target"].endswith("/secret")]
        assert len(hook) == 1, r.explain()
        for v in r.violations:
            if "origin" in v:
                assert v["origin"]["function"] == "com.acme.evil.Steal.readSecret", v


def test_java_start_up_and_class_loading(run_preload, java_probe, case_dir):
    """The VM's own opens while it starts (jvm.cfg, the modules file, /proc, cgroups) and the
    class loader's (the probe's classes): lines without an origin, and no crash."""
    make_case(case_dir)
    task, jar = java_probe
    pol = json.dumps({"version": 1, "mode": "alert", "read": {
        "default": "allow",
        "alert": [os.path.dirname(os.path.dirname(support.JAVA)) + "/**", "/proc/**",
                  task + "/**", jar, case_dir + "/secret"]}})
    r = run_java(run_preload, java_probe, case_dir, pol, "own")
    vm_own = [v for v in r.violations if "/lib/" in v["target"] or v["target"].startswith("/proc/")]
    loaded = [v for v in r.violations if v["target"].endswith("/Handler.class")]
    assert vm_own and loaded, r.explain()
    assert all("origin" not in v for v in vm_own + loaded), r.explain()
    secret = [v for v in r.violations if v["target"].endswith("/secret")]
    assert len(secret) == 1, r.explain()
    assert_origin(secret[0], "java", HANDLER_FILE, call_line(HANDLER, "own"),
                  "example.Handler.handle", None, r.explain())


def test_java_stack_off(run_preload, java_probe, case_dir):
    make_case(case_dir)
    r = run_java(run_preload, java_probe, case_dir, policy(case_dir, stack=False), "read")
    assert len(r.violations) == 1, r.explain()
    assert "origin" not in r.violations[0] and "stack" not in r.violations[0]


def test_java_identical_violations_take_a_handful_of_stacks(run_preload, java_probe, case_dir):
    make_case(case_dir)
    r = run_java(run_preload, java_probe, case_dir, policy(case_dir), "repeat", "20000")
    full = [v for v in r.violations if "count" not in v]
    summaries = [v for v in r.violations if "count" in v]
    assert len(full) == 5 and all("origin" in v for v in full), r.explain()
    assert sum(v["count"] for v in summaries) == 20000 - 5, r.explain()
    assert all("stack" not in v for v in summaries)
