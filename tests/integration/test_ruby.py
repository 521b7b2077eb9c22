"""CRuby 3.1 (/usr/bin/ruby, Debian bookworm) under the shim: each of Ruby's ways to start a
program, read and write files, connect and listen, in alert, block and allowed mode (see
support.check_run for what each mode asserts); programs that are not there; and a small real
workload that must run exactly as without the library.

How Ruby 3.1 starts programs (strace -f -e trace=execve,clone,clone3,vfork, Debian's 3.1.2):
  - it forks (clone with SIGCHLD and no CLONE_VM: neither vfork nor posix_spawn) and the child
    calls glibc's execv on an absolute path: Ruby searches PATH itself (dln_find_exe_r), so
    `spawn("id")` is execv("/usr/bin/id", ["id"]) — the line's call is "execv", its exe the
    forked ruby process (/usr/bin/ruby3.1) and its pid the child's;
  - a command string without shell metacharacters (system("id"), `id`, %x(id), IO.popen("id"),
    Open3.capture2("id")) is split and exec'd directly, like the array forms; one with
    metacharacters (system("id >/dev/null"), `id; ...`) is execv("/bin/sh", ["sh", "-c", CMD]),
    and dash then vforks and execve's /usr/bin/id — that line's exe is /usr/bin/dash, and a
    refusal shows as the shell's exit status 126;
  - a name that is not on PATH never reaches exec at all (Ruby's own search fails; the child
    exits 127), an absolute path that is not there does (execv fails with ENOENT): neither
    logs anything;
  - a refused exec fails in the child with EACCES, which the child hands back to the parent:
    spawn, backticks, %x(), IO.popen, Open3 and system(..., exception: true) raise
    Errno::EACCES; plain system returns nil with $? exit status 127.
Files: File.read/File.open/File.write are open(2) through glibc's open: Errno::EACCES.
Sockets: TCPSocket.new makes one blocking connect: Errno::EPERM. Socket.tcp with
connect_timeout — and so Net::HTTP, which connects with it (open_timeout), the Runtime API
client included — connects non-blocking (EINPROGRESS), waits, and calls connect again to collect
the outcome (the kernel answers 0): that second call once made a second line in alert mode;
the library now knows it for what it is (hook_net.c, connected_to; tested below in C too).
TCPServer.new binds then listens: one line, at listen, Errno::EPERM; UDPSocket#bind is checked
at bind.
"""
import os
import shutil
import tempfile

import pytest

import support
from support import Case

PROBE = str(support.PROGRAMS / "probe.rb")
RUBY = "/usr/bin/ruby"
RUBY_EXE = os.path.realpath(RUBY)     # what /proc/self/exe says: /usr/bin/ruby3.1
DASH = "/usr/bin/dash"                # /bin/sh on Debian, where a shell's exec is logged from

CODE = ("code",)            # Errno::EACCES (exec/read/write) or Errno::EPERM (connect/listen)
NIL = ("rc", 127)           # system could not run the program: nil, $? exit status 127
SHELL = ("rc", 126)         # the shell could not run the program: exit 126
EXECV = {"execv"}           # Ruby's own exec of a program


def ruby_exec(name, block=CODE, kind="exec"):
    return Case(name, kind, block, same_process=False, exe=RUBY_EXE, call=EXECV)


CASES = [
    # exec: `id`, found by Ruby's PATH search, blocked as /usr/bin/id
    ruby_exec("system_string", NIL),
    ruby_exec("system_args", NIL),
    ruby_exec("system_array", NIL),
    ruby_exec("system_exception"),
    Case("system_shell", "exec", SHELL, same_process=False, exe=DASH),
    ruby_exec("spawn"),
    ruby_exec("process_spawn"),
    ruby_exec("process_spawn", kind="exec_default"),
    ruby_exec("backticks"),
    ruby_exec("percent_x"),
    Case("backticks_shell", "exec", SHELL, same_process=False, exe=DASH),
    ruby_exec("io_popen_string"),
    ruby_exec("io_popen_array"),
    ruby_exec("open3_capture2"),
    ruby_exec("fork_exec"),
    # read: DIR/secret.txt, blocked as DIR/secret*; /proc/self/environ
    Case("file_read", "read", CODE, call={"open"}),
    Case("file_binread", "read", CODE, call={"open"}),
    Case("file_open_r", "read", CODE, call={"open"}),
    Case("file_foreach", "read", CODE, call={"open"}),
    Case("proc_environ", "environ", CODE, call={"open"}),
    # write: DIR/out.txt (exists) or DIR/out-new.txt (created), blocked as DIR/out*; and
    # a file outside /tmp under the SPEC's example write rules
    Case("file_open_w", "write", CODE, call={"open"}),
    Case("file_open_a", "write", CODE, call={"open"}),
    Case("file_write", "write", CODE, call={"open"}),
    Case("file_write", "create", CODE, call={"open"}),
    Case("file_write", "outside_tmp", CODE, call={"open"}),
    # connect: loopback servers started by the suite
    Case("tcpsocket_new", "connect", CODE, call={"connect"}),
    Case("tcpsocket_new", "connect_default", CODE, call={"connect"}),
    Case("tcpsocket_new_ipv6", "connect6", CODE, call={"connect"}),
    Case("tcpsocket_new_name", "connect_name", CODE, call={"connect"}),
    Case("socket_tcp", "connect", CODE, call={"connect"}),
    Case("net_http_get", "http", CODE, call={"connect"}),
    Case("udp_send", "udp", CODE, call={"sendto"}),
    # listen
    Case("tcpserver_new", "listen", CODE, call={"listen"}),
    Case("tcpserver_new", "listen_default", CODE, call={"listen"}),
    Case("udp_bind", "listen", CODE, call={"bind"}),
]

SUFFIX = {"create": "-create", "exec_default": "-default", "connect_default": "-default",
          "listen_default": "-default", "outside_tmp": "-outside-tmp"}


def _id(c):
    return c.name + SUFFIX.get(c.kind, "")


@pytest.fixture
def outside_tmp():
    """A directory outside /tmp (the SPEC's write rules allow /tmp/** only)."""
    d = os.path.realpath(tempfile.mkdtemp(prefix="fnshield-ruby-", dir="/var/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def scenario(kind, case_dir, servers, request):
    """support.make_scenario, and the two cases of Ruby's own."""
    if kind == "environ":
        return support.Scenario(
            kind, "read", [],
            support.pol(read={"default": "allow", "block": ["/proc/*/environ"]}),
            support.pol(read={"default": "allow", "block": ["/proc/*/fnshield-nomatch"]}),
            rule="read.block[0]", target="/proc/self/environ")
    if kind == "outside_tmp":
        d = request.getfixturevalue("outside_tmp")
        rules = {"default": "block", "allow": ["/tmp/**", "/dev/null"]}
        return support.Scenario(
            kind, "write", [d, "out.txt"], support.pol(write=rules),
            support.pol(write=dict(rules, allow=rules["allow"] + [d + "/**"])),
            rule="write.default", target=d + "/out.txt")
    return support.make_scenario(kind, case_dir, servers)


@pytest.mark.parametrize("mode", ["alert", "block", "allowed"])
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_ruby(case, mode, run, case_dir, servers, request):
    sc = scenario(case.kind, case_dir, servers, request)
    variant, cli_mode = support.run_mode(mode)
    policy = sc.policy_block if variant == "block" else sc.policy_allow
    r = run([RUBY, PROBE, case.name] + sc.args, policy, cli_mode)
    res = support.check_run(r, sc, mode, case, RUBY_EXE)
    ctx = r.explain()
    if mode == "block" and case.block == CODE:
        # the runtime's own exception: Errno::EACCES / Errno::EPERM, not a wrapper
        assert res.get("error") == "Errno::" + res.get("code", "?"), ctx
    if mode == "block" and case.block == NIL:
        assert res.get("returned") == "nil", "system must return nil%s" % ctx
    if sc.category == "write" and mode == "block":
        target = os.path.join(*sc.args)
        if case.kind != "write":        # "write" starts from an existing file
            assert not os.path.exists(target), "a refused write created %s%s" % (target, ctx)


# ------------------------------------------------------------------ programs not there ------
MISSING = "fnshield-no-such-program"


@pytest.mark.parametrize("mode", ["alert", "block"])
@pytest.mark.parametrize("program", [MISSING, "/usr/bin/" + MISSING], ids=["bare", "absolute"])
@pytest.mark.parametrize("name", ["missing_spawn", "missing_system", "missing_backticks"])
def test_missing_program(name, program, mode, run):
    """SPEC: a program that is not there is no violation. Ruby's own behaviour, unchanged:
    spawn and backticks raise Errno::ENOENT, system returns nil (exit status 127)."""
    r = run([RUBY, PROBE, name, program], support.pol(exec="block"), mode)
    ctx = r.explain()
    assert r.rc == 0 and r.after and not r.errors and not r.broken, ctx
    assert r.violations == [], "a missing program logged a line%s" % ctx
    res = r.result
    if name == "missing_system":
        assert res.get("returned") == "nil" and res.get("rc") == 127, ctx
    else:
        assert res.get("error") == "Errno::ENOENT" and res.get("errno") == 2, ctx


# ------------------------------------------------------------------ a real workload ---------
WORKLOAD = r'''
require "digest/sha2"  # loaded here: Digest autoloads SHA256 on first use, racily from threads
require "json"
require "net/http"
require "open3"
require "set"
require "tempfile"
require "zlib"

port = Integer(ARGV[0])
out = {}
out[:json] = JSON.parse(JSON.generate({ "a" => [1, 2.5, nil, true], "s" => "h\u00e9llo" }))
out[:http] = Net::HTTP.get(URI("http://127.0.0.1:#{port}/"))
Net::HTTP.start("127.0.0.1", port) { |h| out[:http_status] = h.get("/").code }
text, status = Open3.capture2("/usr/bin/printf", "%s-%s", "a", "b")
out[:child] = [text, status.exitstatus]
out[:shell] = `echo one; echo two`.split
Dir.mktmpdir do |d|
  File.write(File.join(d, "x.txt"), "line1\nline2\n")
  File.open(File.join(d, "x.txt"), "a") { |f| f.puts "line3" }
  out[:lines] = File.readlines(File.join(d, "x.txt"), chomp: true)
  Tempfile.create("fp") { |t| t.write("z" * 100); t.flush; out[:tempfile] = File.size(t.path) }
end
out[:threads] = Array.new(4) { |i| Thread.new { Digest::SHA256.hexdigest("t#{i}")[0, 8] } }.map(&:value)
out[:zlib] = Zlib::Inflate.inflate(Zlib::Deflate.deflate("x" * 1000)).size
out[:set] = Set[3, 1, 2].sort
puts JSON.generate({ ok: true, out: out })
'''


@pytest.mark.parametrize("policy_name", ["allow-all", "production"])
def test_workload_runs_as_without_the_library(policy_name, run, servers, tmp_path):
    """requires, JSON, Net::HTTP to a loopback server, a subprocess and a shell, file IO in a
    temporary directory, threads: no line, and stdout byte for byte as without fnshield. Under
    the example production policy too (exec and connect allowed for what the workload does)."""
    script = tmp_path / "workload.rb"
    script.write_text(WORKLOAD)
    cmd = [RUBY, str(script), str(servers.http)]
    plain = support.execute(cmd, support.base_env())
    assert plain.rc == 0 and plain.result and plain.result.get("ok") is True, plain.explain()
    if policy_name == "allow-all":
        policy = support.pol()
    else:
        import json
        policy = json.loads((support.ROOT / "policy" / "examples" / "production.json").read_text())
        policy["exec"]["allow"] = ["/usr/bin/printf", "/bin/sh", "/usr/bin/dash"]
        policy["connect"]["allow"].append("127.0.0.1:%d" % servers.http)
    r = run(cmd, policy, "block")
    ctx = r.explain()
    assert r.rc == 0 and not r.errors and not r.broken, ctx
    assert r.violations == [], "violations from an allowed workload%s" % ctx
    assert r.stdout == plain.stdout, "output differs:\nwithout: %r\nwith:    %r%s" % (
        plain.stdout, r.stdout, ctx)
    assert r.plain == [], "the workload wrote to stderr under fnshield%s" % ctx


# ------------------------------------------------------------------ library fix (C level) ---
NONBLOCKING_CONNECT_C = r'''
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

/* argv: PORT OTHER_PORT. A non-blocking TCP connect to PORT, its outcome collected by a second
 * connect (as Ruby's Socket.tcp does), a third (EISCONN), then a connect of the same socket to
 * OTHER_PORT (EISCONN too, but another address: checked as any connect). Prints the results. */
static int try_connect(int fd, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	return connect(fd, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : errno;
}

int main(int argc, char **argv)
{
	int port = atoi(argv[1]), other = atoi(argv[2]);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int first = try_connect(fd, port);
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	if (first == EINPROGRESS)
		poll(&p, 1, 5000);
	int second = try_connect(fd, port);
	int third = try_connect(fd, port);
	int elsewhere = try_connect(fd, other);
	printf("{\"first\": %d, \"second\": %d, \"third\": %d, \"elsewhere\": %d}\n", first, second,
	       third, elsewhere);
	return 0;
}
'''


@pytest.mark.parametrize("mode", ["alert", "block"])
def test_second_call_of_a_nonblocking_connect(mode, run, cc, servers):
    """The connect that collects a non-blocking connect's outcome opens nothing: no second line
    in alert mode (the kernel's own answers, 0 then EISCONN, unchanged). A connect of the same
    socket to another address is still checked; a refused first connect leaves the socket
    unconnected, so each later call is refused and logged like the first."""
    exe = cc("nbconnect", NONBLOCKING_CONNECT_C)
    port, other = servers.tcp, servers.http
    pol = support.pol(connect={"default": "allow",
                               "block": ["127.0.0.1:%d" % port, "127.0.0.1:%d" % other]})
    r = run([exe, str(port), str(other)], pol, mode)
    ctx = r.explain()
    assert r.rc == 0 and not r.errors and not r.broken, ctx
    res = r.results[0] if r.results else {}
    targets = [v["target"] for v in r.violations]
    if mode == "alert":
        assert res == {"first": 115, "second": 0, "third": 106, "elsewhere": 106}, ctx  # EINPROGRESS, EISCONN
        assert targets == ["127.0.0.1:%d" % port, "127.0.0.1:%d" % other], ctx
    else:
        assert res == {"first": 1, "second": 1, "third": 1, "elsewhere": 1}, ctx       # EPERM
        assert targets == ["127.0.0.1:%d" % port] * 3 + ["127.0.0.1:%d" % other], ctx
