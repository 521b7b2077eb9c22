"""exec through ctypes: libc's own functions instead of the preloaded ones.

execv runs /usr/bin/touch MARKER. The system/popen variants run "/bin/sh -c ': > MARKER'": the
shell's own redirection creates the marker, so the marker means /bin/sh (blocked) ran at all.

modes: libc-execv, libc-system   ctypes.CDLL("libc.so.6")  (binds libc's own definitions)
       none-execv, none-system   ctypes.CDLL(None)         (the global scope: preload first)
       none-libc-system          CDLL(None)["__libc_system"], an alias the preload lacks
       none-io-popen             CDLL(None)["_IO_popen"], another one
       libc-syscall              CDLL("libc.so.6").syscall(SYS_execve, ...): libc's own
                                 syscall(), not the preloaded one
"""
import ctypes

from _case import attempt, run

TOUCH = b"/usr/bin/touch"


def handler(event, context):
    mode = event["mode"]
    marker = event["marker"].encode()
    attempt(mode)
    lib = ctypes.CDLL("libc.so.6" if mode.startswith("libc-") else None, use_errno=True)
    cmd = b": > '" + marker + b"'"
    if mode.endswith("-execv"):
        argv = (ctypes.c_char_p * 3)(b"touch", marker, None)
        print("NOTE execv(%s)" % TOUCH, flush=True)
        lib.execv(TOUCH, argv)
        return "execv failed errno=%d" % ctypes.get_errno()
    if mode == "libc-syscall":
        import platform
        nr = {"x86_64": 59, "aarch64": 221}[platform.machine()]
        argv = (ctypes.c_char_p * 3)(b"touch", marker, None)
        envp = (ctypes.c_char_p * 1)(None)
        lib.syscall.restype = ctypes.c_long
        print("NOTE syscall(SYS_execve=%d, %s)" % (nr, TOUCH), flush=True)
        r = lib.syscall(ctypes.c_long(nr), TOUCH, argv, envp)
        return "syscall returned %d errno=%d" % (r, ctypes.get_errno())
    if mode.endswith("-system"):
        fn = lib["__libc_system"] if mode == "none-libc-system" else lib.system
        print("NOTE system(%s)" % cmd, flush=True)
        return "system returned %d" % fn(cmd)
    if mode == "none-io-popen":
        fn = lib["_IO_popen"]
        fn.restype = ctypes.c_void_p
        pclose = lib.pclose
        pclose.argtypes = [ctypes.c_void_p]
        print("NOTE _IO_popen(%s)" % cmd, flush=True)
        fp = fn(cmd, b"r")
        if not fp:
            return "popen failed errno=%d" % ctypes.get_errno()
        return "pclose returned %d" % pclose(fp)
    raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    run(handler)
