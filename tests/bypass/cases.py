"""The bypass corpus: one entry per technique (issue #4, point 1).

Each case names a program (cases/py|js|java|c), the effect that must NOT happen under a block
policy, and what the per-case policy allows on top of the common one (run.py, `policy_for`):

    exec     block, except `allow_exec`
    connect  block, except `allow_connect` ({allowed_port} is filled in)
    listen   block, except `allow_listen` ({allowed_port} is filled in)
    read     allow, except RUN/secret/**
    write    `write_default` (block: /tmp/**, /dev/null, /dev/tty, /proc/*/coredump_filter
             allowed), except RUN/protected/**

Effects (checked by run.py on the world, not on the log):
    exec     RUN/marker exists (the cases run /usr/bin/touch RUN/marker)
    read     the secret token (random per run) appears in the case's stdout or stderr
    write    RUN/protected/ no longer holds exactly `victim` with its original content
    connect  a loopback listener started for the run accepted a connection or a datagram
    listen   the case listens on the port it was told (BYPASS_LISTEN_PORT): it says LISTENING
             once its bind/listen returned, or prints the token of the harness's connection or
             datagram

Program spec: (kind, name, *args) with kind
    py    /usr/bin/python3 -B cases/py/NAME ARGS
    js    /usr/bin/node cases/js/NAME ARGS
    java  java -cp <compiled> NAME ARGS
    c     the C program NAME built with libc's syscall() for raw calls
    asm   the same program built with -DVIA_ASM (inline syscall instructions)
    static  the same program linked -static: nothing is preloaded into it. A protected Python
          handler runs it (cases/py/helper.py), as a function runs a helper it ships (a Go
          binary); the case's policy allows that program ("@self")
"""
from dataclasses import dataclass, field


@dataclass
class Case:
    id: str
    category: str            # exec | connect | listen | read | write | tamper
    technique: str
    prog: tuple
    effect: str              # exec | read | write | connect | listen
    allow_exec: tuple = ()
    allow_connect: tuple = ()
    allow_listen: tuple = ()
    write_default: str = "block"
    env: dict = field(default_factory=dict)
    needs: tuple = ()        # tools beyond python3: gcc node java busybox ipv6
    require_log: bool = False  # caught only when a violation line reached the harness
    crash_ok: bool = False   # a crash (SIGSEGV/SIGBUS) after the attempt counts as refused
    note: str = ""


# A C program's binary name per build: through libc, inline asm, statically linked.
SUFFIX = {"c": "", "asm": "-asm", "static": "-static"}

SH = ("/bin/sh",)
PY = ("@python",)     # run.py replaces these with the interpreter's spellings
NODE = ("@node",)
BUSYBOX = ("/usr/bin/busybox",)
IN_LAMBDA = {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9"}  # nothing listens there; nothing is asked

CASES = [
    # ---- exec ------------------------------------------------------------------------------
    Case("exec.py_ctypes_libc_execv", "exec", 'ctypes.CDLL("libc.so.6").execv',
         ("py", "exec_ctypes.py", "libc-execv"), "exec"),
    Case("exec.py_ctypes_libc_system", "exec", 'ctypes.CDLL("libc.so.6").system',
         ("py", "exec_ctypes.py", "libc-system"), "exec"),
    Case("exec.py_ctypes_none_execv", "exec", "ctypes.CDLL(None).execv (global scope)",
         ("py", "exec_ctypes.py", "none-execv"), "exec"),
    Case("exec.py_ctypes_none_system", "exec", "ctypes.CDLL(None).system (global scope)",
         ("py", "exec_ctypes.py", "none-system"), "exec"),
    Case("exec.py_ctypes_libc_system_alias", "exec",
         'ctypes.CDLL(None)["__libc_system"] (libc alias not interposed)',
         ("py", "exec_ctypes.py", "none-libc-system"), "exec"),
    Case("exec.py_ctypes_io_popen_alias", "exec",
         'ctypes.CDLL(None)["_IO_popen"] (libc alias not interposed)',
         ("py", "exec_ctypes.py", "none-io-popen"), "exec"),
    Case("exec.py_ctypes_libc_syscall", "exec",
         'ctypes.CDLL("libc.so.6").syscall(SYS_execve) (libc\'s own syscall())',
         ("py", "exec_ctypes.py", "libc-syscall"), "exec"),
    Case("exec.py_ctypes_libc_execv_allowlist", "exec",
         'ctypes.CDLL("libc.so.6").execv, exec has an allow list (/usr/bin/true)',
         ("py", "exec_ctypes.py", "libc-execv"), "exec", allow_exec=("/usr/bin/true",)),
    Case("exec.py_shellcode_execve", "exec", "Python: raw execve from mmap'd machine code",
         ("py", "shellcode.py", "execve"), "exec"),
    Case("exec.py_shellcode_execve_allowlist", "exec",
         "Python raw execve shellcode, exec has an allow list (/usr/bin/true)",
         ("py", "shellcode.py", "execve"), "exec", allow_exec=("/usr/bin/true",)),
    Case("exec.c_dlopen_dlsym_execve", "exec", 'C dlopen("libc.so.6") + dlsym("execve")',
         ("c", "libc_direct", "dlopen-execve"), "exec", needs=("gcc",)),
    Case("exec.c_libc_system_alias", "exec", "C dlsym(RTLD_DEFAULT, \"__libc_system\")",
         ("c", "libc_direct", "alias-system"), "exec", needs=("gcc",)),
    Case("exec.c_syscall_execve", "exec", "C syscall(SYS_execve) through libc's syscall()",
         ("c", "raw", "execve"), "exec", needs=("gcc",)),
    Case("exec.c_asm_execve", "exec", "C inline `syscall` instruction: execve",
         ("asm", "raw", "execve"), "exec", needs=("gcc",)),
    Case("exec.c_asm_execve_allowlist", "exec",
         "C inline syscall execve, exec has an allow list (/usr/bin/true)",
         ("asm", "raw", "execve"), "exec", allow_exec=("/usr/bin/true",), needs=("gcc",)),
    Case("exec.c_static_execve", "exec",
         "static C helper allowed; it execs a blocked program (/usr/bin/touch)",
         ("static", "raw", "execve"), "exec", allow_exec=("@self",), needs=("gcc",)),
    Case("exec.busybox_blocked", "exec", "static busybox, not allowed: busybox sh -c touch",
         ("py", "busybox.py", "blocked"), "exec", needs=("busybox",)),
    Case("exec.busybox_sh_exec", "exec",
         "static busybox allowed; its sh execs a blocked program (/usr/bin/touch)",
         ("py", "busybox.py", "exec"), "exec", allow_exec=BUSYBOX, needs=("busybox",)),
    Case("exec.c_memfd_fexecve", "exec", "C memfd_create + fexecve (libc)",
         ("c", "exec_fd", "fexecve"), "exec", needs=("gcc",)),
    Case("exec.c_memfd_execveat", "exec", "C memfd + execveat(AT_EMPTY_PATH) (libc)",
         ("c", "exec_fd", "execveat"), "exec", needs=("gcc",)),
    Case("exec.c_memfd_execveat_syscall", "exec", "C memfd + execveat(AT_EMPTY_PATH) via syscall()",
         ("c", "exec_fd", "execveat-raw"), "exec", needs=("gcc",)),
    Case("exec.c_memfd_execveat_asm", "exec", "C memfd + execveat(AT_EMPTY_PATH) inline asm",
         ("asm", "exec_fd", "execveat-raw"), "exec", needs=("gcc",)),
    Case("exec.py_memfd_fexecve", "exec", "Python os.memfd_create + os.execve(fd)",
         ("py", "exec_spawn.py", "memfd-fexecve"), "exec"),
    Case("exec.py_os_system", "exec", "/bin/sh -c one-liner: os.system (sh blocked)",
         ("py", "exec_spawn.py", "os-system"), "exec"),
    Case("exec.py_shell_true", "exec", "/bin/sh -c one-liner: subprocess shell=True (sh blocked)",
         ("py", "exec_spawn.py", "shell-true"), "exec"),
    Case("exec.py_ldso_direct", "exec", "the dynamic loader runs the program: ld.so /usr/bin/touch",
         ("py", "exec_spawn.py", "ldso"), "exec"),
    Case("exec.py_env_empty", "exec", "subprocess env={} (sh allowed, runs touch)",
         ("py", "exec_spawn.py", "env-empty"), "exec", allow_exec=SH),
    Case("exec.py_posix_spawn_env_empty", "exec", "os.posix_spawn(sh, env={}) (sh allowed)",
         ("py", "exec_spawn.py", "posix-spawn-env-empty"), "exec", allow_exec=SH),
    Case("exec.py_unset_preload_subprocess", "exec",
         "LD_PRELOAD/FNSHIELD_* deleted from os.environ, subprocess (sh allowed)",
         ("py", "exec_spawn.py", "unset-subprocess"), "exec", allow_exec=SH),
    Case("exec.py_unset_preload_os_system", "exec",
         "LD_PRELOAD/FNSHIELD_* deleted from os.environ, os.system (sh allowed)",
         ("py", "exec_spawn.py", "unset-os-system"), "exec", allow_exec=SH),
    Case("exec.sh_unset_preload", "exec", "sh -c 'unset LD_PRELOAD; exec touch' (sh allowed)",
         ("py", "exec_spawn.py", "sh-unset"), "exec", allow_exec=SH),
    Case("exec.sh_empty_preload", "exec",
         "sh -c 'LD_PRELOAD= FNSHIELD_MODE=alert touch' (sh allowed)",
         ("py", "exec_spawn.py", "sh-ld-preload-empty"), "exec", allow_exec=SH),
    Case("exec.node_exec_sync", "exec", "Node execSync one-liner (sh blocked)",
         ("js", "exec_env.js", "exec-sync"), "exec", needs=("node",)),
    Case("exec.node_env_empty", "exec", "Node spawnSync(sh, {env: {}}) (sh allowed)",
         ("js", "exec_env.js", "env-empty"), "exec", allow_exec=SH, needs=("node",)),
    Case("exec.node_unset_preload_exec_sync", "exec",
         "delete process.env.LD_PRELOAD/FNSHIELD_*, execSync (sh allowed)",
         ("js", "exec_env.js", "unset-exec-sync"), "exec", allow_exec=SH, needs=("node",)),
    Case("exec.node_unset_preload_spawn", "exec",
         "delete process.env.LD_PRELOAD/FNSHIELD_*, spawnSync(touch)",
         ("js", "exec_env.js", "unset-spawn"), "exec", allow_exec=SH, needs=("node",)),
    Case("exec.java_blocked", "exec", "Java ProcessBuilder(touch) via jspawnhelper",
         ("java", "ExecCase", "blocked"), "exec", needs=("java",)),
    Case("exec.java_env_clear", "exec", "Java ProcessBuilder environment().clear() (sh allowed)",
         ("java", "ExecCase", "env-clear"), "exec", allow_exec=SH, needs=("java",)),
    Case("exec.c_vfork_execve", "exec", "C vfork then execve",
         ("c", "exec_spawn", "vfork"), "exec", needs=("gcc",)),
    Case("exec.c_clone_execve", "exec", "C raw clone (no glibc fork) then execve",
         ("c", "exec_spawn", "clone"), "exec", needs=("gcc",)),
    Case("exec.c_clone3_execve", "exec", "C raw clone3 then execve (clone on ENOSYS)",
         ("c", "exec_spawn", "clone3"), "exec", needs=("gcc",)),

    # ---- connect ---------------------------------------------------------------------------
    Case("connect.py_raw_ip", "connect", "raw IP instead of a name (127.0.0.1)",
         ("py", "connect.py", "raw-ip"), "connect"),
    Case("connect.py_v4mapped", "connect", "IPv4-mapped IPv6 ::ffff:127.0.0.1",
         ("py", "connect.py", "v4mapped"), "connect"),
    Case("connect.py_ipv6_literal", "connect", "IPv6 literal ::1",
         ("py", "connect.py", "ipv6"), "connect", needs=("ipv6",)),
    Case("connect.py_udp_sendto", "connect", "UDP sendto without connect",
         ("py", "connect.py", "udp-sendto"), "connect"),
    Case("connect.py_udp_sendmsg", "connect", "UDP sendmsg with msg_name, without connect",
         ("py", "connect.py", "udp-sendmsg"), "connect"),
    Case("connect.py_tcp_fastopen", "connect", "TCP fast open: sendto(MSG_FASTOPEN)",
         ("py", "connect.py", "tfo"), "connect"),
    Case("connect.py_ctypes_libc", "connect", 'ctypes.CDLL("libc.so.6").connect',
         ("py", "connect.py", "ctypes-libc"), "connect"),
    Case("connect.py_ctypes_alias", "connect", 'ctypes.CDLL(None)["__connect"] (alias)',
         ("py", "connect.py", "ctypes-alias"), "connect"),
    Case("connect.py_ctypes_libc_allowlist", "connect",
         'ctypes.CDLL("libc.so.6").connect, connect has an allow list',
         ("py", "connect.py", "ctypes-libc"), "connect", allow_connect=("localhost:{allowed_port}",)),
    Case("connect.py_shellcode", "connect", "Python: raw connect from mmap'd machine code",
         ("py", "shellcode.py", "connect"), "connect"),
    Case("connect.py_shellcode_allowlist", "connect",
         "Python raw connect shellcode, connect has an allow list",
         ("py", "shellcode.py", "connect"), "connect", allow_connect=("localhost:{allowed_port}",)),
    Case("connect.py_dns_other_addr", "connect",
         'allowed name "localhost" resolved, then connect to 127.0.0.3',
         ("py", "connect.py", "dns-other-addr"), "connect", allow_connect=("localhost",)),
    Case("connect.py_dns_other_port", "connect",
         'allowed "localhost:P" resolved, then connect to another port',
         ("py", "connect.py", "dns-other-port"), "connect",
         allow_connect=("localhost:{allowed_port}",)),
    Case("connect.c_dlopen_connect", "connect", 'C dlopen("libc.so.6") + dlsym("connect")',
         ("c", "libc_direct", "dlopen-connect"), "connect", needs=("gcc",)),
    Case("connect.c_syscall_connect", "connect", "C syscall(SYS_connect)",
         ("c", "raw", "connect"), "connect", needs=("gcc",)),
    Case("connect.c_asm_connect", "connect", "C inline `syscall` instruction: connect",
         ("asm", "raw", "connect"), "connect", needs=("gcc",)),
    Case("connect.c_asm_connect_allowlist", "connect",
         "C inline syscall connect, connect has an allow list",
         ("asm", "raw", "connect"), "connect", allow_connect=("localhost:{allowed_port}",), needs=("gcc",)),
    Case("connect.c_static_connect", "connect", "static C helper allowed: connect",
         ("static", "raw", "connect"), "connect", allow_exec=("@self",), needs=("gcc",)),
    Case("connect.c_static_connect_allowlist", "connect",
         "static C helper allowed: connect, connect has an allow list",
         ("static", "raw", "connect"), "connect", allow_exec=("@self",),
         allow_connect=("localhost:{allowed_port}",), needs=("gcc",)),
    Case("connect.c_syscall_sendto", "connect", "C syscall(SYS_sendto): a UDP datagram, no connect",
         ("c", "raw", "sendto"), "connect", needs=("gcc",)),
    Case("connect.c_asm_sendto_allowlist", "connect",
         "C inline syscall sendto: a UDP datagram, connect has an allow list",
         ("asm", "raw", "sendto"), "connect", allow_connect=("localhost:{allowed_port}",), needs=("gcc",)),
    Case("connect.c_static_sendto_allowlist", "connect",
         "static C helper allowed: a UDP datagram with sendto, connect has an allow list",
         ("static", "raw", "sendto"), "connect", allow_exec=("@self",),
         allow_connect=("localhost:{allowed_port}",), needs=("gcc",)),
    Case("connect.c_uring_syscall", "connect", "io_uring IORING_OP_CONNECT, ring via syscall()",
         ("c", "uring", "connect"), "connect", needs=("gcc",)),
    Case("connect.c_uring_asm", "connect", "io_uring IORING_OP_CONNECT, ring via inline asm",
         ("asm", "uring", "connect"), "connect", needs=("gcc",)),
    Case("connect.node_raw_ip", "connect", "Node net.connect 127.0.0.1",
         ("js", "connect.js", "raw-ip"), "connect", needs=("node",)),
    Case("connect.node_ipv6", "connect", "Node net.connect ::1",
         ("js", "connect.js", "ipv6"), "connect", needs=("node", "ipv6")),
    Case("connect.node_udp", "connect", "Node dgram send without connect",
         ("js", "connect.js", "udp"), "connect", needs=("node",)),
    Case("connect.java_raw_ip", "connect", "Java new Socket(127.0.0.1) (AF_INET6, v4-mapped)",
         ("java", "ConnectCase", "raw-ip"), "connect", needs=("java",)),
    Case("connect.java_udp", "connect", "Java DatagramSocket.send without connect",
         ("java", "ConnectCase", "udp"), "connect", needs=("java",)),
]

# ---- read / write: the same tricks against the read-blocked secret and the write-blocked victim
_PATH_TRICKS = [
    ("dotdot", "'..' component: RUN/public/../X"),
    ("double-slash", "'//' in the path"),
    ("chdir-relative", "relative path after chdir"),
    ("dirfd", "openat relative to a directory descriptor"),
    ("symlink", "symlink in /tmp to the blocked file"),
    ("hardlink", "hard link in /tmp to the blocked file"),
    ("proc-root", "/proc/self/root/..."),
    ("proc-cwd", "/proc/self/cwd/... after chdir"),
    ("proc-fd-dir", "/proc/self/fd/N/... (N = an allowed directory)"),
    ("ctypes-libc", 'ctypes.CDLL("libc.so.6").open'),
    ("ctypes-alias", 'ctypes.CDLL(None)["__open64"] (alias)'),
]
for _op in ("read", "write"):
    for _mode, _what in _PATH_TRICKS:
        CASES.append(Case("%s.py_%s" % (_op, _mode.replace("-", "_")), _op, _what,
                          ("py", "paths.py", _mode, _op), _op))
CASES += [
    Case("write.py_proc_fd_reopen", "write",
         "open read-only (allowed), reopen /proc/self/fd/N for writing",
         ("py", "paths.py", "proc-fd-reopen", "write"), "write"),
    Case("write.py_rename_into_place", "write", "rename a file from /tmp over the victim",
         ("py", "fileops.py", "rename"), "write"),
    Case("write.py_truncate", "write", "truncate(victim, 0)",
         ("py", "fileops.py", "truncate"), "write"),
    Case("write.py_unlink", "write", "unlink(victim)",
         ("py", "fileops.py", "unlink"), "write"),
]
for _op in ("read", "write"):
    CASES += [
        Case("%s.c_syscall_openat" % _op, _op, "C syscall(SYS_openat)",
             ("c", "raw", _op), _op, needs=("gcc",)),
        Case("%s.c_asm_openat" % _op, _op, "C inline `syscall` instruction: openat",
             ("asm", "raw", _op), _op, needs=("gcc",)),
        Case("%s.c_static_openat" % _op, _op, "static C helper allowed: openat",
             ("static", "raw", _op), _op, allow_exec=("@self",), needs=("gcc",)),
        Case("%s.c_static_openat2" % _op, _op, "static C helper allowed: openat2",
             ("static", "raw", "openat2-" + _op), _op, allow_exec=("@self",), needs=("gcc",)),
        Case("%s.c_syscall_openat2" % _op, _op, "C openat2 via syscall()",
             ("c", "raw", "openat2-" + _op), _op, needs=("gcc",)),
        Case("%s.c_asm_openat2" % _op, _op, "C openat2 via inline asm",
             ("asm", "raw", "openat2-" + _op), _op, needs=("gcc",)),
        Case("%s.c_uring_syscall" % _op, _op, "io_uring IORING_OP_OPENAT, ring via syscall()",
             ("c", "uring", _op), _op, needs=("gcc",)),
        Case("%s.c_uring_asm" % _op, _op, "io_uring IORING_OP_OPENAT, ring via inline asm",
             ("asm", "uring", _op), _op, needs=("gcc",)),
        Case("%s.node_uv_io_uring" % _op, _op, "Node fs.promises with UV_USE_IO_URING=1",
             ("js", "fs_uring.js", _op), _op, env={"UV_USE_IO_URING": "1"}, needs=("node",)),
    ]
CASES += [
    Case("read.py_shellcode_openat", "read", "Python: raw openat from mmap'd machine code",
         ("py", "shellcode.py", "read"), "read"),
    Case("write.py_shellcode_openat", "write", "Python: raw openat from mmap'd machine code",
         ("py", "shellcode.py", "write"), "write"),
    Case("read.c_dlopen_open", "read", 'C dlopen("libc.so.6") + dlsym("open")',
         ("c", "libc_direct", "dlopen-open"), "read", needs=("gcc",)),
    Case("read.c_open64_alias", "read", "C __open64 (exported libc alias of open)",
         ("c", "libc_direct", "alias-open"), "read", needs=("gcc",)),
    Case("read.busybox_cat", "read", "static busybox allowed: busybox cat SECRET",
         ("py", "busybox.py", "cat"), "read", allow_exec=BUSYBOX, needs=("busybox",)),
    Case("write.busybox_redirect", "write", "static busybox allowed: sh -c 'echo > VICTIM'",
         ("py", "busybox.py", "redirect"), "write", allow_exec=BUSYBOX, needs=("busybox",)),
    Case("read.java_dotdot", "read", "Java FileInputStream(RUN/public/../secret/token)",
         ("java", "FileCase", "read-dotdot"), "read", needs=("java",)),
    Case("write.java_symlink", "write", "Java symlink in /tmp -> victim, FileOutputStream",
         ("java", "FileCase", "write-symlink"), "write", needs=("java",)),

    # ---- listen ----------------------------------------------------------------------------
    # Run as in Lambda (a Runtime API endpoint set): there inet sockets must stay, so the
    # backstop cannot refuse them and the listen itself is what is judged.
    Case("listen.py_tcp", "listen", "Python socket.listen on a loopback port",
         ("py", "listen.py", "tcp"), "listen", env=IN_LAMBDA),
    Case("listen.py_udp", "listen", "Python datagram socket bound to a loopback port",
         ("py", "listen.py", "udp"), "listen", env=IN_LAMBDA),
    Case("listen.py_ctypes_libc", "listen", 'listen() of ctypes.CDLL("libc.so.6")',
         ("py", "listen.py", "ctypes-libc"), "listen", env=IN_LAMBDA),
    Case("listen.py_tcp_allowlist", "listen", "Python socket.listen, listen has an allow list",
         ("py", "listen.py", "tcp"), "listen", allow_listen=("127.0.0.1:{allowed_port}",),
         env=IN_LAMBDA),
    Case("listen.c_syscall_listen", "listen", "C syscall(SYS_bind), syscall(SYS_listen)",
         ("c", "raw", "listen"), "listen", needs=("gcc",), env=IN_LAMBDA),
    Case("listen.c_asm_listen", "listen", "C inline syscall bind + listen",
         ("asm", "raw", "listen"), "listen", needs=("gcc",), env=IN_LAMBDA),
    Case("listen.c_asm_listen_allowlist", "listen",
         "C inline syscall bind + listen, listen has an allow list",
         ("asm", "raw", "listen"), "listen", allow_listen=("127.0.0.1:{allowed_port}",), needs=("gcc",),
         env=IN_LAMBDA),
    Case("listen.c_asm_bindudp_allowlist", "listen",
         "C inline syscall bind of a datagram socket, listen has an allow list",
         ("asm", "raw", "bindudp"), "listen", allow_listen=("127.0.0.1:{allowed_port}",), needs=("gcc",),
         env=IN_LAMBDA),
    Case("listen.c_static_listen", "listen", "static C helper allowed: bind + listen",
         ("static", "raw", "listen"), "listen", allow_exec=("@self",), needs=("gcc",),
         env=IN_LAMBDA),
    Case("listen.c_static_listen_allowlist", "listen",
         "static C helper allowed: bind + listen, listen has an allow list",
         ("static", "raw", "listen"), "listen", allow_exec=("@self",),
         allow_listen=("127.0.0.1:{allowed_port}",), needs=("gcc",), env=IN_LAMBDA),
    Case("listen.c_static_bindudp_allowlist", "listen",
         "static C helper allowed: a datagram socket bound, listen has an allow list",
         ("static", "raw", "bindudp"), "listen", allow_exec=("@self",),
         allow_listen=("127.0.0.1:{allowed_port}",), needs=("gcc",), env=IN_LAMBDA),

    # ---- tampering -------------------------------------------------------------------------
    Case("tamper.py_child_mode_alert", "tamper", "child env FNSHIELD_MODE=alert",
         ("py", "tamper.py", "child-mode-alert"), "read", allow_exec=PY),
    Case("tamper.py_child_empty_policy", "tamper", "child env FNSHIELD_POLICY={} + mode alert",
         ("py", "tamper.py", "child-empty-policy"), "read", allow_exec=PY),
    Case("tamper.py_child_policy_file", "tamper", "child env FNSHIELD_POLICY_FILE=attacker's",
         ("py", "tamper.py", "child-policy-file"), "read", allow_exec=PY),
    Case("tamper.py_child_no_preload", "tamper", "child env without LD_PRELOAD/FNSHIELD_*",
         ("py", "tamper.py", "child-no-preload"), "read", allow_exec=PY),
    Case("tamper.py_execve_self", "tamper", "os.execve(self) with a permissive policy in env",
         ("py", "tamper.py", "execve-self"), "read", allow_exec=PY),
    Case("tamper.py_setenv_in_process", "tamper", "os.environ FNSHIELD_MODE=alert in-process",
         ("py", "tamper.py", "setenv-in-process"), "read"),
    Case("tamper.py_rewrite_policy_file", "tamper",
         "overwrite the FNSHIELD_POLICY_FILE file, then spawn a child",
         ("py", "tamper.py", "rewrite-policy-file"), "read", allow_exec=PY),
    Case("tamper.node_child_mode_alert", "tamper", "Node child env FNSHIELD_MODE=alert + policy",
         ("js", "tamper.js", "child-mode-alert"), "read", allow_exec=NODE, needs=("node",)),
    Case("tamper.node_child_env_only", "tamper", "Node child env {FNSHIELD_*} only",
         ("js", "tamper.js", "child-env-only"), "read", allow_exec=NODE, needs=("node",)),
    Case("tamper.c_rtld_next_open", "tamper", "dlsym(RTLD_NEXT, \"open\") from the program",
         ("c", "libc_direct", "rtld-next-open"), "read", needs=("gcc",)),
    Case("tamper.py_closerange_log", "tamper", "os.closerange(0,1024), then a blocked exec",
         ("py", "tamper.py", "closerange"), "exec", require_log=True),
    Case("tamper.c_close_all_log", "tamper", "close() every fd (libc), then a blocked exec",
         ("c", "logfd", "close-all"), "exec", require_log=True, needs=("gcc",)),
    Case("tamper.c_dup2_all_log", "tamper", "dup2(/dev/null) over every fd, then a blocked exec",
         ("c", "logfd", "dup2-all"), "exec", require_log=True, needs=("gcc",)),
    Case("tamper.c_close_range_syscall_log", "tamper",
         "close_range(0,~0) via syscall(), then a blocked exec",
         ("c", "logfd", "close-range"), "exec", require_log=True, needs=("gcc",)),
    Case("tamper.c_close_range_asm_log", "tamper",
         "close_range(0,~0) inline asm, then a blocked exec",
         ("asm", "logfd", "close-range"), "exec", require_log=True, needs=("gcc",)),
    Case("tamper.c_dup3_asm_log", "tamper", "dup3(/dev/null) over every fd inline asm, then exec",
         ("asm", "logfd", "dup3-raw"), "exec", require_log=True, needs=("gcc",)),
    Case("tamper.c_proc_self_mem", "tamper",
         "/proc/self/mem: patch the preloaded open() to jump to libc's (write default block)",
         ("c", "procmem"), "read", crash_ok=True, needs=("gcc",)),
    Case("tamper.c_proc_self_mem_write_allowed", "tamper",
         "/proc/self/mem patch, policy with write default allow (as the built-in default)",
         ("c", "procmem"), "read", write_default="allow", crash_ok=True, needs=("gcc",)),
    Case("tamper.c_proc_self_mem_slashes_write_allowed", "tamper",
         "//proc/self/mem (another spelling) patch, write default allow",
         ("c", "procmem", "slashes"), "read", write_default="allow", crash_ok=True, needs=("gcc",)),
    Case("tamper.c_proc_self_mem_devfd_write_allowed", "tamper",
         "/proc/self/mem read-only, reopened for writing through /dev/fd/N, write default allow",
         ("c", "procmem", "devfd"), "read", write_default="allow", crash_ok=True, needs=("gcc",)),
    Case("tamper.c_mode_flip_process_vm_writev", "tamper",
         "process_vm_writev(self): g_shim.mode := alert (symbol from .symtab)",
         ("c", "modeflip", "pvw"), "read", crash_ok=True, needs=("gcc",)),
    Case("tamper.c_mode_flip_store", "tamper", "plain store: g_shim.mode := alert",
         ("c", "modeflip", "direct"), "read", crash_ok=True, needs=("gcc",)),
    Case("tamper.c_ptrace_traceme", "tamper",
         "PTRACE_TRACEME child; tracer rewrites an allowed execve's path",
         ("c", "ptrace", "traceme"), "exec", allow_exec=("/usr/bin/true",), needs=("gcc",)),
    Case("tamper.c_ptrace_attach", "tamper",
         "PTRACE_ATTACH to a child; rewrite an allowed execve's path",
         ("c", "ptrace", "attach"), "exec", allow_exec=("/usr/bin/true",), needs=("gcc",)),
    Case("tamper.c_sigsys_handler", "tamper", "own SIGSYS handler (sigaction), raw execve",
         ("asm", "sigsys", "handler"), "exec", needs=("gcc",)),
    Case("tamper.c_sigsys_handler_raw", "tamper", "own SIGSYS handler (raw rt_sigaction), raw execve",
         ("asm", "sigsys", "handler-raw"), "exec", needs=("gcc",)),
    Case("tamper.c_sigsys_masked", "tamper", "SIGSYS blocked (sigprocmask), raw execve",
         ("asm", "sigsys", "mask"), "exec", needs=("gcc",)),
    Case("tamper.c_sigsys_ignored", "tamper", "SIGSYS ignored (SIG_IGN), raw execve",
         ("asm", "sigsys", "ignore"), "exec", needs=("gcc",)),
]

# C programs: name -> built variants ("c" through libc's syscall(), "asm" with -DVIA_ASM)
C_PROGRAMS = sorted({(c.prog[0], c.prog[1]) for c in CASES if c.prog[0] in SUFFIX})
JAVA_CLASSES = sorted({c.prog[1] for c in CASES if c.prog[0] == "java"})

CATEGORIES = ("exec", "connect", "listen", "read", "write", "tamper")

assert len({c.id for c in CASES}) == len(CASES), "duplicate case id"
assert all(c.category in CATEGORIES for c in CASES)
