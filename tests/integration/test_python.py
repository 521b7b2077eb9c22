"""CPython 3.11 (/usr/bin/python3) under the shim: every category through the common APIs,
each in alert, block and allowed mode (see support.check_run for what each mode asserts)."""
import pytest

import support
from support import Case

PROBE = str(support.PROGRAMS / "probe.py")
DASH = "/usr/bin/dash"          # /bin/sh on Debian, where a shell's exec is logged from

ERRNO = ("errno",)              # PermissionError, errno 13 (exec/read/write) or 1 (connect/listen)
SHELL = ("rc", 126)             # the shell could not run the program: exit 126

CASES = [
    # exec: the program is `id`, blocked as /usr/bin/id
    Case("subprocess_run_list", "exec", ERRNO, same_process=False, exe=support.PYTHON_EXE),
    Case("subprocess_run_shell", "exec", SHELL, same_process=False, exe=DASH),
    Case("subprocess_popen", "exec", ERRNO, same_process=False, exe=support.PYTHON_EXE),
    Case("subprocess_envclear_sh", "exec", SHELL, same_process=False, exe=DASH),
    Case("os_system", "exec", SHELL, same_process=False, exe=DASH),
    Case("os_popen", "exec", SHELL, same_process=False, exe=DASH),
    Case("os_posix_spawn", "exec", ERRNO, same_process=False, call={"posix_spawn", "execve"}),
    Case("os_posix_spawnp", "exec", ERRNO, same_process=False, call={"posix_spawnp", "execve"}),
    Case("os_execv_fork", "exec", ERRNO, same_process=False, exe=support.PYTHON_EXE,
         call={"execv", "execve"}),
    Case("os_execvp_fork", "exec", ERRNO, same_process=False, exe=support.PYTHON_EXE),
    # read: DIR/secret.txt, blocked as DIR/secret*
    Case("open_read", "read", ERRNO),
    Case("os_open_dirfd", "read", ERRNO),
    Case("pathlib_read_text", "read", ERRNO),
    Case("chdir_relative", "read", ERRNO),
    Case("dotdot_path", "read", ERRNO),
    Case("symlink_read", "read_link", ERRNO),
    Case("subprocess_envclear_child_read", "read", ERRNO, same_process=False, exe=support.PYTHON_EXE),
    # write: DIR/out.txt (exists) or DIR/out-new.txt (created), blocked as DIR/out*
    Case("open_write", "write", ERRNO),
    Case("open_append", "write", ERRNO),
    Case("pathlib_write_text", "write", ERRNO),
    Case("os_open_dirfd_write", "write", ERRNO),
    Case("open_create", "create", ERRNO),
    # connect: loopback servers started by the suite, blocked as 127.0.0.1:PORT
    Case("socket_create_connection", "connect", ERRNO, call={"connect"}),
    Case("connect_v4mapped", "connect", ERRNO, call={"connect"}),
    Case("connect_name", "connect_name", ERRNO, call={"connect"}),
    Case("urllib_urlopen", "http", ERRNO, call={"connect"}),
    Case("udp_sendto", "udp", ERRNO, call={"sendto"}),
    # listen
    Case("socket_listen", "listen", ERRNO),
    Case("socket_listen", "listen_default", ERRNO),
    Case("udp_bind", "listen", ERRNO, call={"bind"}),
]


def _id(c):
    return c.name if c.kind != "listen_default" else c.name + "-default"


@pytest.mark.parametrize("mode", ["alert", "block", "allowed"])
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_python(case, mode, run, case_dir, servers):
    sc = support.make_scenario(case.kind, case_dir, servers)
    variant, cli_mode = support.run_mode(mode)
    policy = sc.policy_block if variant == "block" else sc.policy_allow
    r = run([support.PYTHON, PROBE, case.name] + sc.args, policy, cli_mode)
    res = support.check_run(r, sc, mode, case, support.PYTHON_EXE)
    if case.name in ("subprocess_envclear_child_read",) and mode != "allowed":
        # the line went to the preserved stderr, not into the child's stderr pipe
        assert "fnshield" not in res.get("child_stderr", ""), r.explain()
