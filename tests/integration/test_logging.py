"""The log line itself (SPEC "Log lines"): it reaches the original stderr whatever the program
does with its fd 2 or its children's stdio, lines from 64 threads at once stay whole, odd
bytes in argv and paths still give valid JSON, long lines are cut to 4096 bytes with a
visible marker, and a process tree stays protected across clean environments."""
import json
import os

import pytest

import support

PROBE_PY = str(support.PROGRAMS / "probe.py")
PROBE_JS = str(support.PROGRAMS / "probe.js")


def _probe_cmd(runtime, name, args, java_classes=None):
    if runtime == "python":
        return [support.PYTHON, PROBE_PY, name] + args
    if runtime == "node":
        return [support.NODE, PROBE_JS, name] + args
    return [support.JAVA] + support.JAVA_FLAGS + ["-cp", java_classes, "Probe", name] + args


# ------------------------------------------------------------ children whose stdio is a pipe --
PIPE_CASES = [
    ("python", "subprocess_capture"),      # subprocess.run(capture_output=True): sh -c id
    ("node", "cp_execSync"),               # execSync, stdio pipes (not copied to our stderr)
    ("node", "cp_spawnSync_sh"),           # spawnSync sh -c id, stdio pipes
    ("java", "pb_start"),                  # ProcessBuilder default: pipes
    ("java", "pb_envclear_sh"),            # ... and a cleared environment
]


@pytest.mark.parametrize("mode", ["alert", "block"])
@pytest.mark.parametrize("runtime,name", PIPE_CASES, ids=["%s-%s" % c for c in PIPE_CASES])
def test_child_with_piped_stdio_logs_to_top_stderr(runtime, name, mode, run, case_dir, servers, request):
    java = request.getfixturevalue("java_classes") if runtime == "java" else None
    sc = support.make_scenario("exec", case_dir, servers)
    r = run(_probe_cmd(runtime, name, [], java), sc.policy_block, mode)
    ctx = r.explain()
    assert r.rc == 0 and r.after and not r.broken and not r.errors, ctx
    assert len(r.violations) == 1, \
        "the child's line must reach the top process's stderr, once%s" % ctx
    support.check_violation(r.violations[0], sc, mode, r.result, None, None, ctx)
    res = r.result
    assert "fnshield" not in res.get("child_stderr", ""), \
        "the line went into the child's stderr pipe%s" % ctx
    if mode == "alert":
        assert res.get("ok") is True, ctx
    else:
        assert res.get("ok") is False, ctx


# ------------------------------------------------------------ the program redirects its fd 2 --
REDIRECT_CASES = [
    ("redirect_stderr_then_read", "read"),        # dup2(/dev/null, 2), then open
    ("close_stderr_then_read", "read"),           # close(2), then open
    ("redirect_stderr_then_child_read", "read"),  # fd 2 -> /dev/null, child (env={}) reads
    ("redirect_stderr_then_sh_exec", "exec"),     # fd 2 -> /dev/null, sh inherits it, execs
    ("closerange_then_read", "read"),             # close every fd above 2, then open
    ("closerange_then_sh_exec", "exec"),          # ... then a child execs
]


@pytest.mark.parametrize("mode", ["alert", "block"])
@pytest.mark.parametrize("name,kind", REDIRECT_CASES, ids=[c[0] for c in REDIRECT_CASES])
def test_redirected_stderr_still_logs(name, kind, mode, run, case_dir, servers):
    sc = support.make_scenario(kind, case_dir, servers)
    r = run([support.PYTHON, PROBE_PY, name] + sc.args, sc.policy_block, mode)
    ctx = r.explain()
    assert r.rc == 0 and r.after and not r.broken and not r.errors, ctx
    assert len(r.violations) == 1, "the line must reach the original stderr%s" % ctx
    support.check_violation(r.violations[0], sc, mode, r.result, None, None, ctx)
    res = r.result
    if mode == "alert":
        assert res.get("ok") is True, ctx
    elif kind == "exec":
        assert res.get("ok") is False and res.get("rc") == 126, ctx
    else:
        assert res.get("ok") is False and res.get("errno") == 13, ctx


# ------------------------------------------------------------ protected process trees ---------
TREE_CASES = {
    # sh -> env -i -> python (clean environment)
    "env-i": 'exec env -i /usr/bin/python3 "$0" open_read "$1" secret.txt',
    # ... and a hostile one: no preload, an allow-all policy, alert mode
    "env-hostile": 'exec env -i LD_PRELOAD= FNSHIELD_POLICY={} FNSHIELD_MODE=alert '
                   'FNSHIELD_POLICY_FILE= /usr/bin/python3 "$0" open_read "$1" secret.txt',
    # sh -> python (env={}) -> python (env={}) reads
    "two-levels": 'exec env -i /usr/bin/python3 "$0" subprocess_envclear_child_read "$1" secret.txt',
}


@pytest.mark.parametrize("name", list(TREE_CASES))
def test_tree_stays_protected(name, run, case_dir, servers):
    """SPEC: a process started by a protected process is protected by the same policy,
    whatever environment the parent hands it."""
    sc = support.make_scenario("read", case_dir, servers)
    r = run(["/bin/sh", "-c", TREE_CASES[name], PROBE_PY, case_dir], sc.policy_block, "block")
    ctx = r.explain()
    assert r.rc == 0 and r.after and not r.broken and not r.errors, ctx
    assert len(r.violations) == 1, ctx
    support.check_violation(r.violations[0], sc, "block", r.result, None, None, ctx)
    assert r.violations[0]["exe"] == support.PYTHON_EXE, ctx
    assert r.result.get("ok") is False and r.result.get("errno") == 13, \
        "the grandchild was not protected by the same policy%s" % ctx
    assert len(r.starts) <= 1, "more than one start line for one process tree%s" % ctx


# ------------------------------------------------------------ 64 threads -----------------------
THREADS_C = r"""
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t barrier;
static const char *dir;
static int per_thread, distinct;

/* Each thread: per_thread opens, all at once (a barrier), of DIR/secret.txt ("same") or of
 * DIR/secret-THREAD-I.txt ("distinct": every violation differs from every other). */
static void *worker(void *arg)
{
	long t = (long)arg;
	char path[4096];
	pthread_barrier_wait(&barrier);
	for (int i = 0; i < per_thread; i++) {
		if (distinct)
			snprintf(path, sizeof path, "%s/secret-%02ld-%02d.txt", dir, t, i);
		else
			snprintf(path, sizeof path, "%s/secret.txt", dir);
		int fd = open(path, O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	dir = argv[1];
	int n = atoi(argv[2]);
	per_thread = atoi(argv[3]);
	distinct = !strcmp(argv[4], "distinct");
	pthread_t t[256];
	if (n < 1 || n > 256)
		return 2;
	pthread_barrier_init(&barrier, NULL, n);
	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
			return 3;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("{\"ok\":true}\n{\"after\":true}\n");
	return 0;
}
"""
THREADS, PER_THREAD = 64, 50


def _threads_run(run, cc, case_dir, servers, how):
    prog = cc("threads", THREADS_C)
    sc = support.make_scenario("read", case_dir, servers)
    if how == "distinct":
        for t in range(THREADS):
            for i in range(PER_THREAD):
                with open("%s/secret-%02d-%02d.txt" % (case_dir, t, i), "w") as f:
                    f.write("s")
    r = run([prog, case_dir, str(THREADS), str(PER_THREAD), how], sc.policy_block, "alert", timeout=60)
    ctx = r.explain()
    ctx = ctx if len(ctx) < 20000 else ctx[:10000] + "\n...\n" + ctx[-10000:]
    assert r.rc == 0 and r.after, ctx
    assert not r.broken, "%d broken lines, e.g. %r%s" % (len(r.broken), r.broken[:3], ctx)
    assert not r.plain, "stray stderr text (torn lines?): %r%s" % (r.plain[:5], ctx)
    assert r.stderr.endswith(b"\n"), ctx
    assert all(len(l) < 4096 for l in r.raw_lines), ctx
    for v in r.violations:
        assert v["category"] == "read" and v["action"] == "alert" and v["rule"] == "read.block[0]", v
    return r, ctx


def test_64_threads_distinct_violations_all_logged(run, cc, case_dir, servers):
    """64 threads x 50 different violating opens at once: 3200 whole lines, one per target."""
    r, ctx = _threads_run(run, cc, case_dir, servers, "distinct")
    n = THREADS * PER_THREAD
    assert len(r.violations) == n, "want %d violation lines, got %d%s" % (n, len(r.violations), ctx)
    targets = sorted(v["target"] for v in r.violations)
    want = sorted("%s/secret-%02d-%02d.txt" % (case_dir, t, i)
                  for t in range(THREADS) for i in range(PER_THREAD))
    assert targets == want, "lines lost or duplicated%s" % ctx


def test_64_threads_identical_violations_all_counted(run, cc, case_dir, servers):
    """64 threads x 50 identical violating opens at once: whole lines, and every occurrence
    accounted for — one line each, or lines with "count" (repeats folded into one line)."""
    r, ctx = _threads_run(run, cc, case_dir, servers, "same")
    n = THREADS * PER_THREAD
    total = 0
    for v in r.violations:
        assert v["target"] == case_dir + "/secret.txt", ctx
        c = v.get("count", 1)
        assert isinstance(c, int) and c >= 1, ctx
        if "count" in v:
            assert v.get("repeated") is True, ctx
        total += c
    assert total == n, "violations accounted for: %d, want %d%s" % (total, n, ctx)


# ------------------------------------------------------------ odd bytes, long lines -----------
def _exec_true_policy():
    return {"version": 1, "exec": {"default": "allow", "block": ["/usr/bin/true"]}}


SH_TRUE = ["/bin/sh", "-c", '/usr/bin/true "$@"', "sh"]


def _one_line(r):
    ctx = r.explain()
    assert r.rc == 0 and not r.broken and not r.errors, ctx
    assert len(r.violations) == 1, ctx
    raw = r.raw_lines[[i for i, l in enumerate(r.raw_lines) if b'"violation"' in l][0]]
    assert len(raw) + 1 <= 4096, "line is %d bytes (+ newline), over 4096%s" % (len(raw), ctx)
    text = raw.decode("utf-8")                  # strict: the line is UTF-8
    assert not any(ord(c) < 0x20 for c in text), "raw control characters in the line%s" % ctx
    assert json.loads(text) == r.violations[0], ctx
    return r.violations[0], text, ctx


def test_argv_invalid_utf8_and_controls(run):
    args = [b"\xff\xfe", "caf\u00e9", "ctl\x01\x02\x1b[31m\x7f", 'quote"back\\slash',
            "tab\tnl\nend", b"\xed\xa0\x80", "\U0001F600", b"half\xc3"]
    r = run(SH_TRUE + args, _exec_true_policy(), "alert")
    v, _, ctx = _one_line(r)
    argv = v.get("argv")
    assert isinstance(argv, list) and len(argv) == 1 + len(args), ctx
    assert argv[0] == "/usr/bin/true", ctx
    for got, want in zip(argv[1:], args):
        assert isinstance(got, str), ctx
        if isinstance(want, str):
            assert got == want, "argv element %r, want %r%s" % (got, want, ctx)


def test_path_invalid_utf8_and_controls(run, case_dir):
    d = case_dir.encode()
    name = d + b"/secret-\xff\x01\n\x1b\".txt"
    with open(name, "wb") as f:
        f.write(b"s")
    policy = {"version": 1, "read": {"default": "allow", "block": [case_dir + "/secret*"]}}
    r = run([support.PYTHON, "-c", "import sys,os; open(os.fsencode(sys.argv[1])).read()", name],
            policy, "alert")
    v, _, ctx = _one_line(r)
    assert v["target"].startswith(case_dir + "/secret-") and v["target"].endswith(".txt"), ctx


def test_long_argv_truncated(run):
    args = ["arg%03d-" % i + "x" * 100 for i in range(200)]       # ~21 KB of argv
    r = run(SH_TRUE + args, _exec_true_policy(), "alert")
    v, text, ctx = _one_line(r)
    assert "truncated" in text, "no visible truncation marker%s" % ctx
    assert v["category"] == "exec" and v["target"] == "/usr/bin/true", ctx


def test_long_argv_of_escapes_truncated(run):
    args = ["\x01" * 600 for _ in range(10)]                     # 6 KB raw, 36 KB escaped
    r = run(SH_TRUE + args, _exec_true_policy(), "alert")
    v, text, ctx = _one_line(r)
    assert "truncated" in text, "no visible truncation marker%s" % ctx


@pytest.mark.parametrize("flavour", ["plain", "escapes"])
def test_long_path_truncated(flavour, run, case_dir):
    d = case_dir
    comp = "d" * 200 if flavour == "plain" else "\x01" * 100
    limit = 4050 if flavour == "plain" else 1200
    while len(d) + len(comp) + 12 < limit:
        d = d + "/" + comp
    os.makedirs(d)
    path = d + "/secret.txt"
    with open(path, "w") as f:
        f.write("s")
    policy = {"version": 1, "read": {"default": "allow", "block": [case_dir + "/**"]}}
    r = run([support.PYTHON, "-c", "import sys; open(sys.argv[1]).read()", path], policy, "alert")
    v, text, ctx = _one_line(r)
    assert "truncated" in text, "no visible truncation marker%s" % ctx
    assert v["category"] == "read" and v["rule"] == "read.block[0]", ctx


# ------------------------------------------------------------ repeats are never lost ----------
REPEAT_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* repeat PATH N HOW: N identical violating opens, then leave by HOW (return, _exit, exec). */
int main(int argc, char **argv)
{
	int n = atoi(argv[2]);
	for (int i = 0; i < n; i++) {
		int fd = open(argv[1], O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	printf("{\"ok\":true}\n{\"after\":true}\n");
	fflush(stdout);
	if (!strcmp(argv[3], "_exit"))
		_exit(0);
	if (!strcmp(argv[3], "exec")) {
		char *args[] = {"true", NULL};
		execv("/usr/bin/true", args);
		return 3;
	}
	return 0;
}
"""


@pytest.mark.parametrize("how", ["return", "_exit", "exec"])
def test_repeated_violations_all_accounted_for(how, run, cc, case_dir, servers):
    """However the process leaves (exit, _exit, exec), every occurrence of a repeated
    violation is accounted for: one line each, or lines whose "count" adds up."""
    prog = cc("repeat", REPEAT_C)
    sc = support.make_scenario("read", case_dir, servers)
    n = 40
    r = run([prog, case_dir + "/secret.txt", str(n), how], sc.policy_block, "alert")
    ctx = r.explain()
    assert r.rc == 0 and r.after and not r.broken and not r.errors, ctx
    total = sum(v.get("count", 1) for v in r.violations)
    assert total == n, "violations accounted for: %d, want %d%s" % (total, n, ctx)


# ------------------------------------------------------------ fork while other threads log ----
FORK_PY = r"""
import os, sys, threading
path, n = sys.argv[1], int(sys.argv[2])
stop = False
def spin():
    while not stop:
        try:
            open(path).close()
        except OSError:
            pass
ts = [threading.Thread(target=spin) for _ in range(4)]
for t in ts: t.start()
pids = []
for i in range(n):
    pid = os.fork()
    if pid == 0:
        try:
            open(path).close()
        finally:
            os._exit(0)
    pids.append(pid)
bad = 0
for pid in pids:
    _, st = os.waitpid(pid, 0)
    bad += st != 0
stop = True
for t in ts: t.join()
print('{"ok": %s, "children": %d, "pid": %d}' % ("true" if bad == 0 else "false", len(pids), os.getpid()))
print('{"after": true}')
"""


def test_fork_while_threads_log(run, case_dir, servers):
    """Threads violate in a loop while the main thread forks 30 children that violate once
    and _exit: no child deadlocks on a lock a logging thread held at fork time, and every
    child's line comes out."""
    sc = support.make_scenario("read", case_dir, servers)
    n = 30
    r = run([support.PYTHON, "-c", FORK_PY, case_dir + "/secret.txt", str(n)], sc.policy_block,
            "alert", timeout=60)
    ctx = r.explain()
    ctx = ctx if len(ctx) < 20000 else ctx[:10000] + "\n...\n" + ctx[-10000:]
    assert r.rc == 0 and r.result and r.result.get("ok") is True and r.after, ctx
    assert not r.broken and not r.errors, ctx
    parent = r.result.get("pid")
    child_pids = {v["pid"] for v in r.violations if v["pid"] != parent}
    assert len(child_pids) >= n, "lines from %d of %d children%s" % (len(child_pids), n, ctx)


def test_odd_bytes_in_program_path(run, cc, case_dir, servers):
    """The program's own path (exe) with control characters and invalid UTF-8: valid JSON."""
    prog = cc("repeat", REPEAT_C)
    odd = os.path.join(case_dir.encode(), b"we\x01i\x1brd-\xff-dir")
    os.makedirs(odd)
    target = os.path.join(odd, b"prog\x7f\xfe")
    with open(prog, "rb") as src, open(target, "wb") as dst:
        dst.write(src.read())
    os.chmod(target, 0o755)
    sc = support.make_scenario("read", case_dir, servers)
    r = run([target, case_dir + "/secret.txt", "1", "return"], sc.policy_block, "alert")
    v, text, ctx = _one_line(r)
    assert v["exe"].startswith(case_dir + "/we"), ctx
