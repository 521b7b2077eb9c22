"""Turning the shim off from inside.

The policy allows the interpreter itself to run (/usr/bin/python3), so the child below starts;
the child tries to read SECRET. Caught when the child is still protected by the parent's policy.

modes: child-mode-alert     child env: FNSHIELD_MODE=alert
       child-empty-policy   child env: FNSHIELD_POLICY={"version":1}, FNSHIELD_MODE=alert
       child-policy-file    child env: FNSHIELD_POLICY_FILE=<attacker's permissive file>
       child-no-preload     child env: no LD_PRELOAD, no FNSHIELD_*, no _FNSHIELD_*
       execve-self          os.execve of the interpreter itself with FNSHIELD_MODE=alert and a
                            permissive FNSHIELD_POLICY, then read
       setenv-in-process    os.environ["FNSHIELD_MODE"] = "alert" (putenv), then read here
       closerange           os.closerange(0, 1024) (every descriptor, the log's too), then
                            a blocked exec: caught only if still refused AND still logged
       rewrite-policy-file  overwrite the file FNSHIELD_POLICY_FILE names (it is writable
                            here) with a permissive policy, then start a child that reads
"""
import json
import os
import subprocess
import sys

from _case import attempt, got, run

READ = """import sys
try:
    print('GOT', open(sys.argv[1]).read(), flush=True)
except OSError as e:
    print('DONE refused in the child:', e, flush=True)
"""
PERMISSIVE = json.dumps({"version": 1, "mode": "alert"})


def child(env, secret):
    return subprocess.run([sys.executable, "-c", READ, secret], env=env).returncode


def handler(event, context):
    mode = event["mode"]
    secret = event["secret"]
    base = {k: v for k, v in os.environ.items()}
    if mode == "child-mode-alert":
        attempt("child with FNSHIELD_MODE=alert reads the secret")
        return child(dict(base, FNSHIELD_MODE="alert"), secret)
    if mode == "child-empty-policy":
        env = {k: v for k, v in base.items() if not k.startswith("FNSHIELD_POLICY")}
        attempt("child with FNSHIELD_POLICY=%s reads the secret" % PERMISSIVE)
        return child(dict(env, FNSHIELD_POLICY=PERMISSIVE, FNSHIELD_MODE="alert"), secret)
    if mode == "child-policy-file":
        f = os.path.join(event["scratch"], "permissive.json")
        attempt("child with FNSHIELD_POLICY_FILE=%s reads the secret" % f)
        with open(f, "w") as fh:
            fh.write(PERMISSIVE)
        env = {k: v for k, v in base.items() if not k.startswith("FNSHIELD_POLICY")}
        return child(dict(env, FNSHIELD_POLICY_FILE=f, FNSHIELD_MODE="alert"), secret)
    if mode == "child-no-preload":
        env = {k: v for k, v in base.items() if k != "LD_PRELOAD" and "FNSHIELD" not in k}
        attempt("child without LD_PRELOAD/FNSHIELD_* reads the secret")
        return child(env, secret)
    if mode == "execve-self":
        env = {k: v for k, v in base.items() if not k.startswith("FNSHIELD_POLICY")}
        env.update(FNSHIELD_POLICY=PERMISSIVE, FNSHIELD_MODE="alert")
        attempt("execve self with a permissive policy, then read")
        os.execve(sys.executable, [sys.executable, "-c", READ, secret], env)
    if mode == "setenv-in-process":
        os.environ["FNSHIELD_MODE"] = "alert"
        os.environ["FNSHIELD_POLICY"] = PERMISSIVE
        attempt("FNSHIELD_MODE=alert set in-process, then read")
        with open(secret) as f:
            got(f.read())
        return "read"
    if mode == "rewrite-policy-file":
        # fnshield takes what it added out of os.environ; an attacker reads the environment the
        # process was started with instead
        f = os.environ.get("FNSHIELD_POLICY_FILE")
        if not f:
            with open("/proc/self/environ", "rb") as fh:
                for entry in fh.read().split(b"\0"):
                    if entry.startswith(b"FNSHIELD_POLICY_FILE="):
                        f = entry.split(b"=", 1)[1].decode()
        if not f:
            print("SETUP-FAILED no FNSHIELD_POLICY_FILE in the environment", flush=True)
            sys.exit(3)
        attempt("rewrite %s, child reads the secret" % f)
        with open(f, "w") as fh:
            fh.write(PERMISSIVE)
        return child(base, secret)
    if mode == "closerange":
        attempt("os.closerange(0, 1024), then execv touch")
        os.closerange(0, 1024)
        try:
            os.execv("/usr/bin/touch", ["touch", event["marker"]])
        except OSError:
            os._exit(0)
    raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    run(handler)
