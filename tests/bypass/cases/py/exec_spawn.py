"""Starting programs the ordinary Python ways, with the environment stripped of the shim.

Where the mode says "sh allowed", the policy lets /bin/sh run (a function that shells out
legitimately), the shell runs /usr/bin/touch MARKER, and the question is whether the shell is
still protected. Where sh is blocked, the shell creates MARKER itself (": > MARKER"), so the
marker means the shell ran at all.

modes: os-system            os.system("touch MARKER")                 (sh blocked)
       shell-true           subprocess.run(..., shell=True)           (sh blocked)
       ldso                 the dynamic loader runs touch: ld.so /usr/bin/touch MARKER
       env-empty            subprocess.run([sh, -c, touch], env={})   (sh allowed)
       unset-subprocess     LD_PRELOAD and FNSHIELD_* deleted from os.environ, then
                            subprocess.run([sh, -c, touch])           (sh allowed)
       unset-os-system      the same, then os.system(touch)           (sh allowed)
       posix-spawn-env-empty os.posix_spawn(sh, ..., env={})           (sh allowed)
       sh-unset             sh -c 'unset LD_PRELOAD; exec touch'      (sh allowed)
       sh-ld-preload-empty  sh -c 'LD_PRELOAD= FNSHIELD_MODE=alert touch' (sh allowed)
       memfd-fexecve        os.memfd_create + copy of touch + os.execve(fd, ...)
"""
import os
import subprocess

from _case import attempt, run

SH = "/bin/sh"
TOUCH = "/usr/bin/touch"
LDSO = next((p for p in ("/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1")
             if os.path.exists(p)), "/lib64/ld-linux-x86-64.so.2")


def strip_env():
    for k in list(os.environ):
        if k == "LD_PRELOAD" or "FNSHIELD" in k:
            del os.environ[k]


def handler(event, context):
    mode = event["mode"]
    m = event["marker"]
    line = "%s '%s'" % (TOUCH, m)
    builtin = ": > '%s'" % m
    if mode == "os-system":
        attempt("os.system(%r)" % builtin)
        return os.system(builtin)
    if mode == "shell-true":
        attempt("subprocess.run(%r, shell=True)" % builtin)
        return subprocess.run(builtin, shell=True).returncode
    if mode == "ldso":
        attempt("subprocess.run([%s, %s, marker])" % (LDSO, TOUCH))
        return subprocess.run([LDSO, TOUCH, m]).returncode
    if mode == "env-empty":
        attempt("subprocess.run([sh, -c, touch], env={})")
        return subprocess.run([SH, "-c", line], env={}).returncode
    if mode == "unset-subprocess":
        strip_env()
        attempt("LD_PRELOAD/FNSHIELD_* deleted, subprocess.run([sh, -c, touch])")
        return subprocess.run([SH, "-c", line]).returncode
    if mode == "unset-os-system":
        strip_env()
        attempt("LD_PRELOAD/FNSHIELD_* deleted, os.system(touch)")
        return os.system(line)
    if mode == "posix-spawn-env-empty":
        attempt("os.posix_spawn(sh, [sh, -c, touch], {})")
        pid = os.posix_spawn(SH, [SH, "-c", line], {})
        return os.waitpid(pid, 0)[1]
    if mode == "sh-unset":
        attempt("sh -c 'unset LD_PRELOAD; exec touch'")
        return subprocess.run([SH, "-c", "unset LD_PRELOAD; exec " + line]).returncode
    if mode == "sh-ld-preload-empty":
        attempt("sh -c 'LD_PRELOAD= FNSHIELD_MODE=alert touch'")
        return subprocess.run(
            [SH, "-c", "LD_PRELOAD= FNSHIELD_MODE=alert FNSHIELD_POLICY= " + line]).returncode
    if mode == "memfd-fexecve":
        attempt("memfd_create + copy of touch + os.execve(memfd, [touch, marker])")
        fd = os.memfd_create("payload", 0)
        with open(TOUCH, "rb") as f:
            os.write(fd, f.read())
        os.execve(fd, ["touch", m], dict(os.environ))
    raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    run(handler)
