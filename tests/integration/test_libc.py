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
    c("fopen_re", "read", call={"fopen", "fopen64"}),
    c("open_w", "write", call={"open", "open64"}),
    c("open_rdwr", "write", call={"open", "open64"}),
    c("creat", "write", call={"creat", "creat64"}),
    c("fopen_w", "write", call={"fopen", "fopen64"}),
    c("fopen_a", "write", call={"fopen", "fopen64"}),
    c("fopen_rplus", "write", call={"fopen", "fopen64"}),
    c("fopen_wplus", "write", call={"fopen", "fopen64"}),
    c("open_trunc_rdonly", "write", call={"open", "open64"}),
    c("open_creat_rdonly", "create", call={"open", "open64"}),
    c("openat_creat", "create", call={"openat", "openat64"}),
    c("mkstemp", "mkstemp", call={"mkstemp", "mkstemp64"}),
    c("connect", "connect", call={"connect"}),
    c("sendto", "udp", call={"sendto"}),
    c("sendmsg", "udp", call={"sendmsg"}),
    c("sendmmsg", "udp", call={"sendmmsg"}),
    c("bind_listen", "listen", call={"bind", "listen"}),
    # the same through libc's syscall() (hook_syscall.c): the line's call is "syscall"
    c("syscall_connect", "connect", call={"syscall"}),
    c("syscall_sendto", "udp", call={"syscall"}),
    c("syscall_sendmsg", "udp", call={"syscall"}),
    c("syscall_sendmmsg", "udp", call={"syscall"}),
    c("syscall_bind_listen", "listen", call={"syscall"}),
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


SENDMMSG_C = r"""
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a[2];
	struct iovec iov[2] = {{"ok", 2}, {"bad", 3}};
	struct mmsghdr mm[2];
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 2; i++) {
		memset(&a[i], 0, sizeof a[i]);
		a[i].sin_family = AF_INET;
		a[i].sin_port = htons(atoi(argv[1 + i]));
		a[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		mm[i].msg_hdr.msg_name = &a[i];
		mm[i].msg_hdr.msg_namelen = sizeof a[i];
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	int n = sendmmsg(s, mm, 2, 0);
	printf("{\"sent\":%d,\"errno\":%d}\n", n, n < 0 ? errno : 0);
	return 0;
}
"""


@pytest.mark.parametrize("blocked_first", [False, True], ids=["allowed-first", "blocked-first"])
def test_sendmmsg_checks_every_message(blocked_first, run, cc):
    """sendmmsg with two datagrams, one to a blocked address: that one is never sent, whatever
    its place in the vector; what precedes it may be (the call then reports a short count)."""
    import json
    import socket
    prog = cc("sendmmsg2", SENDMMSG_C)
    socks = []
    for _ in range(2):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.5)
        socks.append(s)
    ok_sock, bad_sock = socks
    pa, pb = ok_sock.getsockname()[1], bad_sock.getsockname()[1]
    order = [pb, pa] if blocked_first else [pa, pb]
    pol = support.pol(connect={"default": "allow", "block": ["127.0.0.1:%d" % pb]})
    r = run([prog, str(order[0]), str(order[1])], pol, "block")
    got = {}
    for name, s in (("allowed", ok_sock), ("blocked", bad_sock)):
        try:
            got[name] = s.recvfrom(16)[0]
        except socket.timeout:
            got[name] = None
        s.close()
    ctx = r.explain() + "\nreceived: %r" % got
    assert r.rc == 0 and not r.errors, ctx
    assert got["blocked"] is None, "a datagram reached the blocked address%s" % ctx
    assert len(r.violations) == 1 and r.violations[0]["target"] == "127.0.0.1:%d" % pb, ctx
    out = json.loads(r.stdout.decode().strip().splitlines()[-1])
    if blocked_first:
        assert out == {"sent": -1, "errno": 1}, ctx
    else:
        assert out["sent"] in (1, -1) and got["allowed"] in (b"ok", None), ctx


LINKED_C = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
	const char *op = argv[1], *path = argv[2];
	int ok, err;
	if (!strcmp(op, "fopen_r") || !strcmp(op, "fopen_w")) {
		FILE *f = fopen(path, op[6] == 'r' ? "r" : "w");
		ok = f != NULL; err = errno;
		if (f) fclose(f);
	} else if (!strcmp(op, "fopen_rplus_from")) { /* path relative to the directory argv[3] */
		if (chdir(argv[3]) != 0)
			return 3;
		/* descriptor 3: mem, read-only (what "/dev/fd/3" would reopen) */
		int mfd = open("/proc/self/mem", O_RDONLY);
		if (mfd != 3 && (mfd < 0 || dup2(mfd, 3) != 3))
			return 4;
		FILE *f = fopen(path, "r+");
		ok = f != NULL; err = errno;
		if (f) fclose(f);
	} else if (!strcmp(op, "mkstemp")) {
		char tmpl[4096];
		snprintf(tmpl, sizeof tmpl, "%s/tXXXXXX", path);
		int fd = mkstemp(tmpl);
		ok = fd >= 0; err = errno;
		if (fd >= 0) { close(fd); unlink(tmpl); }
	} else {
		return 2;
	}
	printf("{\"ok\":%s,\"errno\":%d}\n", ok ? "true" : "false", ok ? 0 : err);
	return 0;
}
"""


# libc resolves these paths itself: fnshield checks both spellings, and a symbolic link on the
# way must not hide the real file (nor must a missing file be mistaken for one behind a link).
@pytest.mark.parametrize("op,through", [
    ("fopen_r", "link"), ("fopen_r", "plain"), ("fopen_w", "link"), ("fopen_w", "missing"),
    ("mkstemp", "dirlink"), ("mkstemp", "plain"),
])
def test_stdio_and_mkstemp_see_through_symlinks(op, through, run, cc, case_dir):
    prog = cc("linked", LINKED_C)
    d = os.path.realpath(str(case_dir))
    os.makedirs(d + "/locked", exist_ok=True)
    os.makedirs(d + "/free", exist_ok=True)
    with open(d + "/locked/secret", "w") as f:
        f.write("s")
    os.symlink(d + "/locked/secret", d + "/free/link")
    os.symlink(d + "/locked", d + "/free/dirlink")
    target = {"link": d + "/free/link", "plain": d + "/locked/secret", "missing": d + "/free/new",
              "dirlink": d + "/free/dirlink"}[through]
    if op == "mkstemp" and through == "plain":
        target = d + "/locked"
    blocked = through != "missing"
    cat = "read" if op == "fopen_r" else "write"
    pol = support.pol(**{cat: {"default": "allow", "block": [d + "/locked/**"]}})
    r = run([prog, op, target], pol, "block")
    ctx = r.explain()
    want = {"ok": False, "errno": 13} if blocked else {"ok": True, "errno": 0}
    assert r.result == want, ctx
    assert len(r.violations) == (1 if blocked else 0), ctx


# /proc/PID/mem is never writable, whatever the policy — also through fopen, by a relative name or
# a spelling that is not normal, with writes unrestricted (the hooks' fast path).
@pytest.mark.parametrize("path,cwd", [("mem", "/proc/self"), ("//proc/self/mem", "/"),
                                      ("/proc/self/./mem", "/"), ("../self/mem", "/proc/self"),
                                      ("/dev/fd/3", "/"), ("/proc/self/fd/3", "/")])
def test_fopen_never_writes_proc_mem(path, cwd, run, cc):
    prog = cc("linked", LINKED_C)
    r = run([prog, "fopen_rplus_from", path, cwd], {"version": 1}, "block")
    ctx = r.explain()
    assert r.result == {"ok": False, "errno": 13}, ctx
    assert [v["rule"] for v in r.violations] == ["write.protected"], ctx


ERRNO_C = r"""
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
	(void)argc;
	errno = 12345; /* an open that succeeds must leave it so, as libc's does */
	int fd = open(argv[1], O_RDONLY);
	int after_open = errno;
	if (fd >= 0)
		close(fd);
	errno = 0;
	int missing = open(argv[2], O_RDONLY);
	int after_missing = errno;
	errno = 0;
	int closed = close(-1);
	int after_close = errno;
	printf("{\"ok\":%s,\"errno_open\":%d,\"missing\":%d,\"errno_missing\":%d,"
	       "\"close\":%d,\"errno_close\":%d}\n", fd >= 0 ? "true" : "false", after_open, missing,
	       after_missing, closed, after_close);
	return 0;
}
"""


# errno after a checked open is libc's: untouched by one that succeeds — also when a line is
# written for it (an alert rule, or a block in alert mode) — and the kernel's for one that fails
# by itself; close(-1) still reaches libc (the close hook's fast path compares with the log
# descriptor only).
@pytest.mark.parametrize("rule,mode", [("allow", "block"), ("alert", "block"), ("block", "alert")])
def test_open_leaves_errno_as_libc(rule, mode, run, cc, case_dir):
    prog = cc("errno_open", ERRNO_C)
    d = os.path.realpath(str(case_dir))
    os.makedirs(d + "/data", exist_ok=True)
    with open(d + "/data/file", "w") as f:
        f.write("x")
    lists = {"allow": {"block": [d + "/elsewhere/**"]}, "alert": {"alert": [d + "/data/**"]},
             "block": {"block": [d + "/data/**"]}}[rule]
    pol = support.pol(read=dict({"default": "allow"}, **lists))
    r = run([prog, d + "/data/file", d + "/data/missing"], pol, mode)
    ctx = r.explain()
    assert r.result == {"ok": True, "errno_open": 12345, "missing": -1, "errno_missing": 2,
                        "close": -1, "errno_close": 9}, ctx
    assert len(r.violations) == (0 if rule == "allow" else 1), ctx
