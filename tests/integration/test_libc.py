"""Plain glibc entry points, called by a small C program (programs/probe.c): every exec-family
function, posix_spawn*, system, popen, the open family including the _FORTIFY_SOURCE entry
points, stdio, creat, mkstemp, connect, sendto/sendmsg/sendmmsg, bind/listen — each in alert,
block and allowed mode. The runtimes reach only some of these; a shim that misses one is a
hole for any native extension."""
import os

import pytest

import support
from support import Case

E = ("cerrno",)
SHELL = ("rc", 126)
DASH = "/usr/bin/dash"


def c(name, kind, block=E, call=None, same_process=True, exe=None):
    return Case(name, kind, block, same_process=same_process, exe=exe, call=call)


CASES = [
    c("execve", "exec", call={"execve"}, same_process=False),
    c("execv", "exec", call={"execv"}, same_process=False),
    c("execvp", "exec", call={"execvp"}, same_process=False),
    c("execvpe", "exec", call={"execvpe"}, same_process=False),
    c("execl", "exec", call={"execl"}, same_process=False),
    c("execlp", "exec", call={"execlp"}, same_process=False),
    c("execle", "exec", call={"execle"}, same_process=False),
    c("fexecve", "exec", call={"fexecve"}, same_process=False),
    c("execveat", "exec", call={"execveat"}, same_process=False),
    c("posix_spawn", "exec", call={"posix_spawn"}, same_process=False),
    c("posix_spawnp", "exec", call={"posix_spawnp"}, same_process=False),
    c("system", "exec", SHELL, same_process=False, exe=DASH),
    c("popen", "exec", SHELL, same_process=False, exe=DASH),
    c("open_r", "read", call={"open", "open64"}),
    c("open64_r", "read", call={"open", "open64"}),
    c("openat_r", "read", call={"openat", "openat64"}),
    c("openat64_r", "read", call={"openat", "openat64"}),
    c("__open_2_r", "read", call={"__open_2", "__open64_2"}),
    c("__openat_2_r", "read", call={"__openat_2", "__openat64_2"}),
    c("fopen_r", "read", call={"fopen", "fopen64"}),
    c("fopen64_r", "read", call={"fopen", "fopen64"}),
    c("freopen_r", "read", call={"freopen", "freopen64"}),
    c("open_w", "write", call={"open", "open64"}),
    c("open_rdwr", "write", call={"open", "open64"}),
    c("creat", "write", call={"creat", "creat64"}),
    c("fopen_w", "write", call={"fopen", "fopen64"}),
    c("fopen_a", "write", call={"fopen", "fopen64"}),
    c("fopen_rplus", "write", call={"fopen", "fopen64"}),
    c("openat_creat", "create", call={"openat", "openat64"}),
    c("mkstemp", "mkstemp", call={"mkstemp", "mkstemp64"}),
    c("connect", "connect", call={"connect"}),
    c("sendto", "udp", call={"sendto"}),
    c("sendmsg", "udp", call={"sendmsg"}),
    c("sendmmsg", "udp", call={"sendmmsg"}),
    c("bind_listen", "listen", call={"bind", "listen"}),
]


@pytest.fixture(scope="session")
def cprobe(cc):
    return os.path.realpath(cc("probe", (support.PROGRAMS / "probe.c").read_text()))


@pytest.mark.parametrize("mode", ["alert", "block", "allowed"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_libc(case, mode, run, case_dir, servers, cprobe):
    sc = support.make_scenario(case.kind, case_dir, servers)
    variant, cli_mode = support.run_mode(mode)
    policy = sc.policy_block if variant == "block" else sc.policy_allow
    r = run([cprobe, case.name] + sc.args, policy, cli_mode)
    support.check_run(r, sc, mode, case, cprobe)
    if mode != "allowed" and case.exe is None:
        assert r.violations[0]["exe"] == cprobe, r.explain()
