"""Java 17 under the shim: ProcessBuilder / Runtime.exec, java.io and java.nio files, Socket,
HttpURLConnection, DatagramSocket, ServerSocket, each in alert, block and allowed mode.

Java's sockets are AF_INET6: connects to 127.0.0.1 arrive as ::ffff:127.0.0.1 and must be
reported as IPv4. ProcessBuilder starts jspawnhelper, which execs the program: the exec line
comes from jspawnhelper, whose stdout/stderr are pipes to the JVM.
"""
import os

import pytest

import support
from support import Case

DASH = "/usr/bin/dash"
JSPAWNHELPER = os.path.join(os.path.dirname(os.path.dirname(support.JAVA)), "lib", "jspawnhelper")

EXEC_ERR = ("java", r"java\.io\.IOException", r"error=13, Permission denied")
SHELL = ("rc", 126)
FILE_ERR = ("java", r"java\.io\.FileNotFoundException", r"Permission denied")
NIO_ERR = ("java", r"java\.nio\.file\.AccessDeniedException", None)
NET_ERR = ("java", r"java\.net\.\w*Exception", r"Operation not permitted")
IO_NET_ERR = ("java", r"java\.(io|net)\.\w*Exception", r"Operation not permitted")

CASES = [
    Case("pb_start", "exec", EXEC_ERR, same_process=False, exe=JSPAWNHELPER),
    Case("pb_envclear_sh", "exec", SHELL, same_process=False, exe=DASH),
    Case("runtime_exec", "exec", EXEC_ERR, same_process=False, exe=JSPAWNHELPER),
    Case("pb_envclear_child_read", "read", FILE_ERR, same_process=False, exe=support.JAVA_EXE),
    Case("fis_read", "read", FILE_ERR),
    Case("nio_readAllBytes", "read", NIO_ERR),
    Case("nio_newBufferedReader", "read", NIO_ERR),
    Case("raf_read", "read", FILE_ERR),
    Case("raf_rw", "write", FILE_ERR),
    Case("fos_write", "write", FILE_ERR),
    Case("fos_append", "write", FILE_ERR),
    Case("nio_write", "write", NIO_ERR),
    Case("socket_connect", "connect", NET_ERR, call={"connect"}),
    Case("socket_connect", "connect_default", NET_ERR, call={"connect"}),
    Case("socket_connect6", "connect6", NET_ERR, call={"connect"}),
    Case("socketchannel_connect", "connect", NET_ERR, call={"connect"}),
    Case("httpclient_get", "http", IO_NET_ERR, call={"connect"}),
    Case("http_url", "http", NET_ERR, call={"connect"}),
    Case("datagram_send", "udp", IO_NET_ERR, call={"sendto", "sendmsg"}),
    Case("server_socket", "listen", NET_ERR),
]


@pytest.mark.parametrize("mode", ["alert", "block", "allowed"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name + ("-default" if c.kind == "connect_default" else ""))
def test_java(case, mode, run, case_dir, servers, java_classes):
    sc = support.make_scenario(case.kind, case_dir, servers)
    variant, cli_mode = support.run_mode(mode)
    policy = sc.policy_block if variant == "block" else sc.policy_allow
    cmd = [support.JAVA] + support.JAVA_FLAGS + ["-cp", java_classes, "Probe", case.name] + sc.args
    r = run(cmd, policy, cli_mode)
    res = support.check_run(r, sc, mode, case, support.JAVA_EXE)
    if "child_stderr" in res:
        # ProcessBuilder's default: the child's stderr is a pipe to the JVM; the line must not
        # have gone into it
        assert "fnshield" not in res["child_stderr"], r.explain()
