"""A static binary: nothing is preloaded into Debian's busybox-static.

modes: blocked   busybox is not allowed: subprocess.run([busybox, sh, -c, touch])
       exec      busybox allowed (a tool the function ships): busybox sh -c '/usr/bin/touch M'
                 — the shell execs a program the policy blocks
       cat       busybox allowed: busybox cat SECRET (the applet reads it in-process)
       redirect  busybox allowed: busybox sh -c 'echo PWNED > VICTIM'
"""
import subprocess

from _case import attempt, run

BUSYBOX = "/usr/bin/busybox"


def handler(event, context):
    mode = event["mode"]
    if mode == "blocked":
        cmd = [BUSYBOX, "sh", "-c", "touch '%s'" % event["marker"]]
    elif mode == "exec":
        cmd = [BUSYBOX, "sh", "-c", "/usr/bin/touch '%s'" % event["marker"]]
    elif mode == "cat":
        cmd = [BUSYBOX, "cat", event["secret"]]
    elif mode == "redirect":
        cmd = [BUSYBOX, "sh", "-c", "echo PWNED > '%s'" % event["victim"]]
    else:
        raise SystemExit("unknown mode " + mode)
    attempt(" ".join(cmd))
    p = subprocess.run(cmd, capture_output=True)
    print("GOT", p.stdout.decode("utf-8", "replace"), flush=True)
    return "exit %d" % p.returncode


if __name__ == "__main__":
    run(handler)
