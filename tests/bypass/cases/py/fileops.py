"""Changing a write-blocked VICTIM without opening it for writing.

modes: rename    write RUN/scratch/new, then os.rename(new, VICTIM)
       truncate  os.truncate(VICTIM, 0)
       unlink    os.unlink(VICTIM)
"""
import os

from _case import attempt, run


def handler(event, context):
    mode = event["mode"]
    victim = event["victim"]
    if mode == "rename":
        new = os.path.join(event["scratch"], "replacement")
        attempt("rename(%s, %s)" % (new, victim))
        with open(new, "w") as f:
            f.write("PWNED\n")
        os.rename(new, victim)
        return "renamed"
    if mode == "truncate":
        attempt("truncate(%s, 0)" % victim)
        os.truncate(victim, 0)
        return "truncated"
    if mode == "unlink":
        attempt("unlink(%s)" % victim)
        os.unlink(victim)
        return "unlinked"
    raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    run(handler)
