"""write beyond opens: rename, link, symlink, unlink, rmdir, mkdir, truncate — and
/proc/PID/mem, which is never writable. Each through Python's os module (libc underneath)."""
import json
import os

import pytest

import support

CODE = r'''
import json, os, sys
d = sys.argv[1]
op = sys.argv[2]
def act():
    if op == "rename_into":   os.rename(d + "/free/a", d + "/locked/a")
    if op == "rename_out":    os.rename(d + "/locked/b", d + "/free/b")
    if op == "link_secret":   os.link(d + "/secret.txt", d + "/free/copy")
    if op == "symlink_into":  os.symlink("/etc/hostname", d + "/locked/l")
    if op == "unlink":        os.unlink(d + "/locked/b")
    if op == "rmdir":         os.rmdir(d + "/locked/sub")
    if op == "mkdir":         os.mkdir(d + "/locked/new")
    if op == "truncate":      os.truncate(d + "/locked/b", 0)
    if op == "proc_mem":      open("/proc/self/mem", "r+b").close()
    if op == "proc_mem_rel":  os.chdir("/proc/self"); open("mem", "r+b").close()
    if op == "proc_mem_dirfd":
        fd = os.open("/proc/self", os.O_RDONLY | os.O_DIRECTORY)
        os.close(os.open("mem", os.O_RDWR, dir_fd=fd))
    if op == "proc_mem_slashes":  open("//proc/self/mem", "r+b").close()
    if op == "proc_mem_dot":      open("/./proc/self/mem", "r+b").close()
    if op == "proc_mem_dotdot":   open("/tmp/../proc/self/mem", "r+b").close()
    if op == "proc_mem_task":     open("/proc/self/task/%d/mem" % os.getpid(), "r+b").close()
    if op in ("proc_mem_devfd", "proc_mem_procfd", "proc_mem_stdin"):
        # reopen a read-only descriptor on mem for writing, through a magic link
        fd = os.open("/proc/self/mem", os.O_RDONLY)
        if op == "proc_mem_stdin":
            os.dup2(fd, 0)
        path = {"proc_mem_devfd": "/dev/fd/%d" % fd, "proc_mem_procfd": "/proc/self/fd/%d" % fd,
                "proc_mem_stdin": "/dev/stdin"}[op]
        os.close(os.open(path, os.O_RDWR))
    if op == "proc_mem_syscall":
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.syscall(2 if os.uname().machine == "x86_64" else -1, b"//proc/self/mem", os.O_RDWR)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "syscall(open)")
        os.close(fd)
try:
    act(); print(json.dumps({"ok": True}))
except OSError as e:
    print(json.dumps({"ok": False, "errno": e.errno}))
print(json.dumps({"after": True}))
'''

# op -> (category of the line, target relative to the case dir or absolute)
OPS = {
    "rename_into": ("write", "locked/a"),
    "rename_out": ("write", "locked/b"),
    "link_secret": ("read", "secret.txt"),
    "symlink_into": ("write", "locked/l"),
    "unlink": ("write", "locked/b"),
    "rmdir": ("write", "locked/sub"),
    "mkdir": ("write", "locked/new"),
    "truncate": ("write", "locked/b"),
}


def _setup(d):
    (d / "free").mkdir()
    (d / "locked").mkdir()
    (d / "locked" / "sub").mkdir()
    (d / "free" / "a").write_text("a")
    (d / "locked" / "b").write_text("b")
    (d / "secret.txt").write_text("s")


def _policy(d):
    return {"version": 1,
            "read": {"default": "allow", "block": [str(d) + "/secret*"]},
            "write": {"default": "allow", "block": [str(d) + "/locked/**"]}}


@pytest.mark.parametrize("mode", ["alert", "block"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_path_changes_are_writes(op, mode, run, tmp_path):
    _setup(tmp_path)
    r = run([support.PYTHON, "-c", CODE, str(tmp_path), op], _policy(tmp_path), mode)
    ctx = r.explain()
    cat, rel = OPS[op]
    assert r.after, ctx
    assert len(r.violations) == 1, ctx
    v = r.violations[0]
    assert v["category"] == cat and v["target"] == "%s/%s" % (tmp_path, rel), ctx
    assert v["action"] == mode, ctx
    if mode == "block":
        assert r.result == {"ok": False, "errno": 13}, ctx
    else:
        assert r.result == {"ok": True}, ctx


@pytest.mark.parametrize("op", sorted(OPS))
def test_path_changes_allowed_log_nothing(op, run, tmp_path):
    _setup(tmp_path)
    r = run([support.PYTHON, "-c", CODE, str(tmp_path), op], {"version": 1}, "block")
    assert r.result == {"ok": True} and not r.violations, r.explain()


# Relative spellings too: the hooks' fast path (write unrestricted) must not let them through.
@pytest.mark.parametrize("op", ["proc_mem", "proc_mem_rel", "proc_mem_dirfd", "proc_mem_slashes",
                                "proc_mem_dot", "proc_mem_dotdot", "proc_mem_task", "proc_mem_devfd",
                                "proc_mem_procfd", "proc_mem_stdin"]
                         + (["proc_mem_syscall"] if os.uname().machine == "x86_64" else []))
def test_proc_self_mem_is_never_writable(op, run, tmp_path):
    r = run([support.PYTHON, "-c", CODE, str(tmp_path), op], {"version": 1}, "block")
    ctx = r.explain()
    assert r.result == {"ok": False, "errno": 13}, ctx
    assert [v["rule"] for v in r.violations] == ["write.protected"], ctx


DIRECTORY_CODE = r'''
import json, os, sys
try:
    fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
    os.close(fd)
    print(json.dumps({"ok": True}))
except OSError as e:
    print(json.dumps({"ok": False, "errno": e.errno}))
'''


# O_RDONLY|O_DIRECTORY reads (O_TMPFILE shares O_DIRECTORY's bit): checked even when writes are
# unrestricted and take the fast path.
def test_directory_open_is_a_read(run, tmp_path):
    d = tmp_path / "hidden"
    d.mkdir()
    pol = {"version": 1, "read": {"default": "allow", "block": [str(d), str(d) + "/**"]}}
    r = run([support.PYTHON, "-c", DIRECTORY_CODE, str(d)], pol, "block")
    ctx = r.explain()
    assert r.result == {"ok": False, "errno": 13}, ctx
    assert [(v["category"], v["rule"]) for v in r.violations] == [("read", "read.block[0]")], ctx
