"""The origin probe: python3 lambda_function.py ACTION [ARGS]; prints {"ok": true} at the end.

Actions make violations from the function's own code, a dependency in the task root
(acme_dep), one under site-packages (fakedep), at import, from threads, in a fork child, in a
signal handler and at interpreter shutdown."""
import atexit
import json
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "vendor", "site-packages"))

from acme_dep import steal  # noqa: E402
import fakedep  # noqa: E402

SECRET = os.environ.get("SECRET", "/nonexistent")


def many_files():
    """The case's many-* files: distinct targets, so each read gets a full line of its own."""
    d = os.path.dirname(SECRET)
    return [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.startswith("many-")]


def handler(action, arg):
    if action == "read":
        steal.read_secret(SECRET)
    elif action == "exec":
        steal.run_shell()
    elif action == "system":
        steal.os_system()
    elif action == "connect":
        steal.phone_home(int(arg))
    elif action == "ctypes":
        steal.through_ctypes(SECRET)
    elif action == "sitepkg":
        fakedep.sneak(SECRET)
    elif action == "import":
        import at_import  # noqa: F401
    elif action == "own":
        try:
            open(SECRET).close()  # CALL:own
        except OSError:
            pass
    elif action == "threads":
        # Many threads at once, each on its own files (distinct lines, no repeat folding).
        n = int(arg)
        files = many_files()
        barrier = threading.Barrier(n)

        def worker(k):
            barrier.wait()
            for f in files[k::n]:
                steal.read_secret(f)
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    elif action == "repeat":
        for _ in range(int(arg)):
            steal.read_secret(SECRET)
    elif action == "fork":
        pid = os.fork()
        if pid == 0:
            steal.read_secret(SECRET)
            os._exit(0)
        os.waitpid(pid, 0)
    elif action == "signal":
        hits = []

        def on_alarm(signum, frame):
            hits.append(steal.read_secret(SECRET))
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
        files = many_files()
        i = 0
        while len(hits) < 50:
            steal.read_secret(files[i % len(files)])
            i += 1
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
    elif action == "shutdown":
        # At exit: an atexit handler, and a daemon thread still violating while the
        # interpreter finalises.
        atexit.register(steal.read_secret, SECRET)

        files = many_files()

        def spin():
            i = 0
            while True:
                steal.read_secret(files[i % len(files)])
                i += 1
        threading.Thread(target=spin, daemon=True).start()


if __name__ == "__main__":
    handler(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
    print(json.dumps({"ok": True}), flush=True)
