"""What every Python bypass case shares (see tests/bypass/run.py for the protocol).

A case is written as a Lambda handler, handler(event, context): `event` holds the targets the
harness prepared (from the BYPASS_* environment variables, lower-cased without the prefix) and
`event["mode"]`, the technique variant (first command-line argument).

Protocol on stdout: "ATTEMPT what" right before the forbidden operation, "DONE outcome" when
it returned (an OSError from the operation counts as its outcome), "GOT data" for what a read
managed to read. Anything else raised is a broken case: a traceback and exit status 1.
"""
import os
import sys


def say(*words):
    print(*words, flush=True)


def attempt(what):
    say("ATTEMPT", what)


def done(outcome):
    say("DONE", outcome)


def got(data):
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    say("GOT", data)


def run(handler):
    event = {k[len("BYPASS_"):].lower(): v for k, v in os.environ.items()
             if k.startswith("BYPASS_")}
    event["mode"] = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        result = handler(event, None)
    except OSError as e:
        done("refused: %s errno=%s (%s)" % (type(e).__name__, e.errno, e.strerror))
        return
    done("returned %r" % (result,))
