"""Node.js 20 (/usr/bin/node) under the shim: child_process, fs (sync, callback, promises,
streams), net, http, dgram, each in alert, block and allowed mode."""
import pytest

import support
from support import Case

PROBE = str(support.PROGRAMS / "probe.js")
DASH = "/usr/bin/dash"

CODE = ("code",)                # error.code EACCES (exec/read/write) or EPERM (connect/listen)
SHELL = ("rc", 126)             # shell-based API: the shell exits 126

CASES = [
    # exec: `id`, blocked as /usr/bin/id
    Case("cp_spawn", "exec", CODE, same_process=False, exe=support.NODE_EXE),
    Case("cp_spawn", "exec_default", CODE, same_process=False, exe=support.NODE_EXE),
    Case("cp_exec", "exec", SHELL, same_process=False, exe=DASH),
    Case("cp_execFile", "exec", CODE, same_process=False, exe=support.NODE_EXE),
    Case("cp_execSync", "exec", SHELL, same_process=False, exe=DASH),
    Case("cp_spawnSync", "exec", CODE, same_process=False, exe=support.NODE_EXE),
    Case("cp_spawn_envclear_sh", "exec", SHELL, same_process=False, exe=DASH),
    # read: DIR/secret.txt
    Case("fs_readFileSync", "read", CODE),
    Case("fs_readFile_cb", "read", CODE),
    Case("fs_promises_readFile", "read", CODE),
    Case("fs_openSync_r", "read", CODE),
    Case("fs_open_cb_r", "read", CODE),
    Case("fs_promises_open_r", "read", CODE),
    Case("fs_createReadStream", "read", CODE),
    Case("fs_relative_chdir", "read", CODE),
    Case("fs_copyFileSync", "read", CODE),
    Case("worker_read", "read", CODE),
    Case("process_dlopen", "read_so", ("fail",)),
    Case("cp_fork_child_read", "read", CODE, same_process=False, exe=support.NODE_EXE),
    Case("cp_spawn_envclear_child_read", "read", CODE, same_process=False, exe=support.NODE_EXE),
    # write: DIR/out.txt
    Case("fs_writeFileSync", "write", CODE),
    Case("fs_writeFile_cb", "write", CODE),
    Case("fs_promises_writeFile", "write", CODE),
    Case("fs_appendFileSync", "write", CODE),
    Case("fs_appendFile_cb", "write", CODE),
    Case("fs_promises_appendFile", "write", CODE),
    Case("fs_openSync_w", "write", CODE),
    Case("fs_openSync_rplus", "write", CODE),
    Case("fs_promises_open_a", "write", CODE),
    Case("fs_createWriteStream", "write", CODE),
    Case("fs_writeFileSync", "create", CODE),
    # connect
    Case("net_connect", "connect", CODE, call={"connect"}),
    Case("net_connect", "connect_default", CODE, call={"connect"}),
    Case("net_connect_ipv6", "connect6", CODE, call={"connect"}),
    Case("net_connect_name", "connect_name", CODE, call={"connect"}),
    Case("http_get", "http", CODE, call={"connect"}),
    Case("fetch_get", "http", CODE, call={"connect"}),
    Case("dgram_send", "udp", CODE, call={"sendto", "sendmsg", "sendmmsg"}),
    # listen
    Case("net_listen", "listen", CODE),
]


SUFFIX = {"create": "-create", "exec_default": "-default", "connect_default": "-default"}


def _id(c):
    return c.name + SUFFIX.get(c.kind, "")


@pytest.mark.parametrize("mode", ["alert", "block", "allowed"])
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_node(case, mode, run, case_dir, servers):
    sc = support.make_scenario(case.kind, case_dir, servers)
    variant, cli_mode = support.run_mode(mode)
    policy = sc.policy_block if variant == "block" else sc.policy_allow
    r = run([support.NODE, PROBE, case.name] + sc.args, policy, cli_mode)
    res = support.check_run(r, sc, mode, case, support.NODE_EXE)
    if "child_stderr" in res:
        # stdio of the child was a pipe: the line must not have gone into it
        assert "fnshield" not in res["child_stderr"], r.explain()


# libuv's io_uring backend (UV_USE_IO_URING=1; SQPOLL) opens, reads and writes files without
# an openat system call from the process: the shim must still see these opens (e.g. by turning
# the backend off for the process) — a user's environment variable is no way around a rule.
IO_URING_CASES = [
    Case("fs_readFile_cb", "read", CODE),
    Case("fs_promises_readFile", "read", CODE),
    Case("fs_createReadStream", "read", CODE),
    Case("fs_writeFile_cb", "write", CODE),
    Case("fs_promises_appendFile", "write", CODE),
]


@pytest.mark.parametrize("mode", ["alert", "block"])
@pytest.mark.parametrize("case", IO_URING_CASES, ids=lambda c: c.name)
def test_node_io_uring(case, mode, run, case_dir, servers):
    sc = support.make_scenario(case.kind, case_dir, servers)
    r = run([support.NODE, PROBE, case.name] + sc.args, sc.policy_block, mode,
            env_extra={"UV_USE_IO_URING": "1"})
    support.check_run(r, sc, mode, case, support.NODE_EXE)
