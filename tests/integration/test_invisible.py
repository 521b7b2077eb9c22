"""fnshield is invisible to the programs it protects (SPEC v1.1), and a refusal always has its
line (issue 10, items 4 and 5).

Under an allow-all policy, a protected program's children see the descriptors and environment
they would see without fnshield: the root's log descriptor is close-on-exec and children open
nothing at load. A child's line still reaches the root's original stderr when the child's own
stderr is a pipe, and a line finds a place when the stream cannot take it: closed stderr, a full
non-blocking pipe, no /proc, a vfork child.
"""
import json
import os
import subprocess
import sys
import time
import uuid

import pytest

import support

ALLOW_ALL = {"version": 1}
PYTHONS = [support.PYTHON, os.path.realpath(sys.executable)]

# The child prints what it sees: its descriptors and the fnshield-ish part of its environment.
CHILD_PY = ("import os,json;print(json.dumps({'fds':sorted(int(f) for f in os.listdir('/proc/self/fd')),"
            "'env':sorted(k for k in os.environ if 'FNSHIELD' in k or k=='LD_PRELOAD')}))")

PARENT_PY = r"""
import json, os, subprocess, sys
py, child = sys.argv[1], sys.argv[2]
r, w = os.pipe()
out = {}
def run(name, **kw):
    p = subprocess.run([py, "-c", child], capture_output=True, text=True, **kw)
    out[name] = json.loads(p.stdout) if p.returncode == 0 else p.stderr
run("default")
run("close_fds_false", close_fds=False)
run("pass_fds", pass_fds=(r, w))
run("env_given", env={"PATH": "/usr/bin", "ONLY": "1"})
out["own"] = sorted(int(f) for f in os.listdir("/proc/self/fd"))
out["own_env"] = sorted(k for k in os.environ if "FNSHIELD" in k or k == "LD_PRELOAD")
print(json.dumps({"ok": True, "seen": out}))
"""

PARENT_JS = r"""
const cp = require('child_process');
const [py, child] = process.argv.slice(2);
const out = {};
const run = (name, opts) => {
  const r = cp.spawnSync(py, ['-c', child], Object.assign({encoding: 'utf8'}, opts || {}));
  out[name] = r.status === 0 ? JSON.parse(r.stdout) : r.stderr;
};
run('spawnSync');
run('env_given', {env: {PATH: '/usr/bin', ONLY: '1'}});
out['execSync'] = JSON.parse(cp.execSync(py + ' -c "' + child.replace(/"/g, '\\"') + '"',
                                         {encoding: 'utf8'}));
out['own_env'] = Object.keys(process.env).filter(k => k.includes('FNSHIELD') || k === 'LD_PRELOAD').sort();
console.log(JSON.stringify({ok: true, seen: out}));
"""

PARENT_C = r"""
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
/* posix_spawn, fork+exec and vfork+exec of the child; each prints its own JSON line. */
int main(int argc, char **argv)
{
	char *args[] = {argv[1], "-c", argv[2], NULL};
	pid_t pid;
	int st;
	printf("{\"how\":\"posix_spawn\"}\n"); fflush(stdout);
	if (posix_spawn(&pid, argv[1], NULL, NULL, args, environ) == 0)
		waitpid(pid, &st, 0);
	printf("{\"how\":\"fork\"}\n"); fflush(stdout);
	if ((pid = fork()) == 0) { execve(argv[1], args, environ); _exit(127); }
	waitpid(pid, &st, 0);
	printf("{\"how\":\"vfork\"}\n"); fflush(stdout);
	if ((pid = vfork()) == 0) { execve(argv[1], args, environ); _exit(127); }
	waitpid(pid, &st, 0);
	return 0;
}
"""


def _plain(cmd):
    p = subprocess.run(cmd, env=support.base_env(), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=support.TIMEOUT)
    assert p.returncode == 0, p.stderr
    return support.parse_stdout(p.stdout)


def _compare(run, cmd):
    plain = _plain(cmd)
    r = run(cmd, ALLOW_ALL, "block")
    ctx = r.explain() + "\n---- without fnshield: %s" % json.dumps(plain)
    assert r.rc == 0 and not r.violations and not r.errors and not r.broken, ctx
    return plain, r.results, ctx


def _check_seen(want, got, ctx):
    """Descriptors: exactly those of the run without fnshield. Environment: what the parent
    passed (its own environment, which `fnshield run` gave it) or, when it passed its own
    environment, nothing of fnshield's."""
    parent_env = got.pop("own_env")
    want.pop("own_env")
    for k in want:
        if k == "own":
            continue
        assert got[k]["fds"] == want[k]["fds"], "%s: %r != %r%s" % (k, got[k], want[k], ctx)
        expect_env = [] if k == "env_given" else parent_env
        assert got[k]["env"] == expect_env, "%s: %r%s" % (k, got[k], ctx)


@pytest.mark.parametrize("py", PYTHONS, ids=["usr-bin-python3", "pyenv-python3"])
def test_python_children_see_what_they_would_see(py, run, tmp_path):
    prog = tmp_path / "parent.py"
    prog.write_text(PARENT_PY)
    plain, shielded, ctx = _compare(run, [py, str(prog), py, CHILD_PY])
    want, got = plain[0]["seen"], shielded[0]["seen"]
    assert set(want) == set(got), ctx
    # The root itself keeps its original stderr on 1023 (README "What a protected program can see").
    assert set(got["own"]) - set(want["own"]) <= {1023}, ctx
    _check_seen(want, got, ctx)


def test_node_children_see_what_they_would_see(run, tmp_path):
    prog = tmp_path / "parent.js"
    prog.write_text(PARENT_JS)
    plain, shielded, ctx = _compare(run, [support.NODE, str(prog), support.PYTHON, CHILD_PY])
    want, got = plain[0]["seen"], shielded[0]["seen"]
    assert set(want) == set(got), ctx
    _check_seen(want, got, ctx)


def test_c_children_see_what_they_would_see(run, cc):
    exe = cc("spawner", PARENT_C)
    plain, shielded, ctx = _compare(run, [exe, support.PYTHON, CHILD_PY])
    assert len(shielded) == 6 and len(plain) == 6, ctx
    assert [s.get("how", s.get("fds")) for s in shielded] == [s.get("how", s.get("fds")) for s in plain], ctx


# ------------------------------------------------------------ children's lines --------------
GRANDCHILD_PY = r"""
import json, subprocess, sys
# child (stdio captured) -> grandchild (stdio captured) -> exec of id (blocked)
inner = ("import subprocess\ntry: subprocess.run(['/usr/bin/id'],capture_output=True)\n"
         "except PermissionError: print('refused')")
p = subprocess.run([sys.executable, "-c",
                    "import subprocess,sys;p=subprocess.run([sys.executable,'-c',%r],capture_output=True,text=True);"
                    "print(p.stdout.strip());sys.stderr.write(p.stderr)" % inner],
                   capture_output=True, text=True)
print(json.dumps({"ok": True, "out": p.stdout.strip(), "child_stderr": p.stderr}))
"""

EXEC_ID_BLOCKED = {"version": 1, "exec": {"default": "block", "allow": [support.PYTHON_EXE]}}


def test_grandchild_with_piped_stdio_logs_to_top_stderr(run, tmp_path):
    prog = tmp_path / "gc.py"
    prog.write_text(GRANDCHILD_PY)
    r = run([support.PYTHON, str(prog)], BLOCK_TARGET, "block")
    ctx = r.explain()
    assert r.rc == 0 and not r.errors and not r.broken, ctx
    assert len(r.violations) == 1 and r.violations[0]["target"] == "/usr/bin/id", ctx
    assert r.result["out"] == "refused", ctx
    assert "fnshield" not in r.result["child_stderr"], ctx


# ------------------------------------------------------------ a refusal always has its line --
def _marker():
    return "/nonexistent-dir-%s/id" % uuid.uuid4().hex


BLOCK_TARGET = {"version": 1, "exec": {"default": "allow", "block": ["/usr/bin/id"]}}


def _kmsg_has(token):
    if not (os.access("/dev/kmsg", os.W_OK) and os.access("/dev/kmsg", os.R_OK)):
        pytest.skip("the last resort, /dev/kmsg, needs root here")
    p = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=30)
    return [line for line in p.stdout.splitlines() if token in line]


def _policy_file(tmp_path, policy):
    f = tmp_path / "policy.json"
    f.write_text(json.dumps(policy))
    return str(f)


def test_root_with_stderr_closed_logs_to_kernel_log(tmp_path):
    """fd 2 closed before the library loads: the line goes to /dev/kmsg (the last resort)."""
    token = uuid.uuid4().hex
    pol = _policy_file(tmp_path, BLOCK_TARGET)
    cmd = "exec 2>&-; exec %s run --policy %s --mode block -- /usr/bin/python3 -c " \
          "\"import os;os.execv('/usr/bin/id',['id','%s'])\"" % (support.FNSHIELD, pol, token)
    p = subprocess.run(["/bin/sh", "-c", cmd], env=support.base_env(), capture_output=True,
                       timeout=30)
    assert p.returncode != 0, p
    lines = _kmsg_has(token)
    assert lines and '"fnshield":"violation"' in lines[0], (p, lines)


NONBLOCK_PY = r"""
import os, sys, time
# stderr: a pipe, O_NONBLOCK (as Node sets its stdio), full, read late or never
import fcntl
fl = fcntl.fcntl(2, fcntl.F_GETFL); fcntl.fcntl(2, fcntl.F_SETFL, fl | os.O_NONBLOCK)
try:
    os.execv('/usr/bin/id', ['id', sys.argv[1]])
except PermissionError:
    print('{"ok": false}')
"""


def _full_pipe():
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        while True:
            os.write(w, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(w, True)
    return r, w


@pytest.mark.parametrize("reader", ["late", "never"])
def test_full_nonblocking_stderr(reader, tmp_path):
    token = uuid.uuid4().hex
    prog = tmp_path / "nb.py"
    prog.write_text(NONBLOCK_PY)
    pol = _policy_file(tmp_path, BLOCK_TARGET)
    r, w = _full_pipe()
    env = support.base_env(LD_PRELOAD=str(support.LIBRARY), FNSHIELD_POLICY_FILE=pol,
                           FNSHIELD_MODE="block")
    p = subprocess.Popen([support.PYTHON, str(prog), token], env=env, stdout=subprocess.PIPE,
                         stderr=w, stdin=subprocess.DEVNULL)
    os.close(w)
    got = b""
    if reader == "late":
        time.sleep(0.5)
        os.set_blocking(r, False)
        deadline = time.time() + 20
        while time.time() < deadline and p.poll() is None or token.encode() not in got:
            try:
                chunk = os.read(r, 65536)
            except BlockingIOError:
                time.sleep(0.05)
                continue
            if not chunk:
                break
            got += chunk
            if time.time() > deadline:
                break
    out, _ = p.communicate(timeout=30)
    os.close(r)
    assert b'"ok": false' in out, out
    if reader == "late":
        lines = [l for l in got.replace(b"x", b"").split(b"\n") if token.encode() in l]
        assert len(lines) == 1 and json.loads(lines[0])["fnshield"] == "violation", got[-2000:]
    else:
        lines = _kmsg_has(token)
        assert lines and '"fnshield":"violation"' in lines[0], lines


NOPROC_PY = r"""
import json, os, subprocess, sys
p = subprocess.run([sys.executable, "-c", "import os\ntry: os.execv('/usr/bin/id',['id'])\nexcept PermissionError: print('refused')"],
                   capture_output=True, text=True)
print(json.dumps({"ok": True, "proc": os.path.exists("/proc/self"), "out": p.stdout.strip(),
                  "child_stderr": p.stderr}))
"""


def test_no_proc_child_line_reaches_top_stderr_and_exe_is_known(tmp_path):
    """A mount namespace without /proc: the child fetches the root's stream with pidfd_getfd,
    and "exe" comes from AT_EXECFN."""
    prog = tmp_path / "noproc.py"
    prog.write_text(NOPROC_PY)
    pol = _policy_file(tmp_path, BLOCK_TARGET)
    inner = "umount -l /proc && exec %s run --policy %s --mode block -- %s %s" % (
        support.FNSHIELD, pol, support.PYTHON, prog)
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", inner],
                       env=support.base_env(FNSHIELD_LIB=str(support.LIBRARY)), capture_output=True, timeout=60)
    res = support.Result(cmd=[inner], rc=p.returncode, stdout=p.stdout, stderr=p.stderr)
    res.results = support.parse_stdout(p.stdout)
    support.parse_stderr(p.stderr, res)
    ctx = res.explain()
    assert p.returncode == 0 and res.result and res.result["proc"] is False, ctx
    assert res.result["out"] == "refused" and "fnshield" not in res.result["child_stderr"], ctx
    assert len(res.violations) == 1, ctx
    assert res.violations[0]["exe"] == support.PYTHON_EXE, ctx
    assert res.starts and res.starts[0]["exe"] == support.PYTHON_EXE, ctx


VFORK_C = r"""
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
/* The vfork child's stderr goes to /dev/null before its exec is refused: its line goes to the
 * root's stream, which the vfork child still holds. */
#include <fcntl.h>
int main(void)
{
	char *args[] = {"id", NULL};
	pid_t pid = vfork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		execv("/usr/bin/id", args);
		_exit(126);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("{\"ok\": false, \"rc\": %d}\n", WEXITSTATUS(st));
	return 0;
}
"""


def test_vfork_child_line(run, cc):
    exe = cc("vforker", VFORK_C)
    r = run([exe], BLOCK_TARGET, "block")
    ctx = r.explain()
    assert r.rc == 0 and r.result == {"ok": False, "rc": 126}, ctx
    assert len(r.violations) == 1 and r.violations[0]["target"] == "/usr/bin/id", ctx


def test_child_of_root_whose_stream_is_gone_logs_to_own_stderr(run, tmp_path):
    """The root closed its stderr and exited: the orphan's line goes to its own stderr."""
    prog = tmp_path / "orphan.py"
    prog.write_text(
        "import subprocess,sys,time\n"
        "if len(sys.argv) > 1:\n"
        "    time.sleep(1)\n"
        "    import os\n"
        "    try: os.execv('/usr/bin/id',['id'])\n"
        "    except PermissionError: print('{\"ok\": false}', flush=True)\n"
        "else:\n"
        "    subprocess.Popen([sys.executable, sys.argv[0], 'child'], stdout=sys.stdout, stderr=open('%s','w'))\n"
        % (tmp_path / "child.err"))
    r = run([support.PYTHON, str(prog)], BLOCK_TARGET, "block")
    time.sleep(2.5)
    err = (tmp_path / "child.err").read_text()
    assert '"fnshield":"violation"' in err, r.explain() + "\nchild stderr: " + err


NO_PIDFD_C = r"""
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
/* pidfd_open answers ENOSYS (an older kernel) in this process and its children: a child's line
 * must come through /proc/ROOTPID/fd/N instead. The child's own stderr is /dev/null. */
int main(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 434, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 38),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof f / sizeof *f, f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 3;
	if (syscall(434, getpid(), 0) != -1)
		return 4;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		execl("/bin/sh", "sh", "-c", "/usr/bin/id; exit $?", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("{\"ok\": false, \"rc\": %d}\n", WEXITSTATUS(st));
	return 0;
}
"""


def test_child_line_through_proc_without_pidfd(run, cc):
    exe = cc("nopidfd", NO_PIDFD_C)
    r = run([exe], BLOCK_TARGET, "block")
    ctx = r.explain()
    assert r.rc == 0 and r.result == {"ok": False, "rc": 126}, ctx
    assert len(r.violations) == 1 and r.violations[0]["target"] == "/usr/bin/id", ctx
    assert r.violations[0]["exe"] == "/usr/bin/dash", ctx


def test_root_that_redirects_stderr_then_execs_in_place(run):
    """A bootstrap script's `exec 2>/dev/null; exec runtime`: the runtime is the root again and
    keeps logging to the original stderr (the descriptor is kept open across the root's own
    exec), and its children still inherit nothing of ours."""
    script = ('exec 2>/dev/null; exec %s -c "import os, subprocess\n'
              'try: os.execv(\\"/usr/bin/id\\", [\\"id\\"])\n'
              'except OSError as e: print(\\"refused\\", e.errno)\n'
              'print(sorted(subprocess.run([\\"ls\\", \\"/proc/self/fd\\"], capture_output=True, text=True)'
              '.stdout.split()))"' % support.PYTHON)
    r = run(["/bin/sh", "-c", script], {"exec": {"default": "allow", "block": ["/usr/bin/id"]}}, "block")
    ctx = r.explain()
    assert b"refused 13" in r.stdout, ctx
    assert [v["target"] for v in r.violations] == ["/usr/bin/id"], ctx
    assert b"['0', '1', '2', '3']" in r.stdout, ctx   # ls's own 0-2 and its directory handle
