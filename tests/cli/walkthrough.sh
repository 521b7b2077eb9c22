#!/bin/sh
# Regenerates tests/cli/WALKTHROUGH.md with real commands and their real output:
#   sh tests/cli/walkthrough.sh > tests/cli/WALKTHROUGH.md      (from the repository root, after make)
set -eu
cd "$(dirname "$0")/../.."
W=/tmp/fnshield-walkthrough
PORT=8377
rm -rf "$W" && mkdir -p "$W"
PY=/usr/bin/python3
# The service the function calls, on loopback (in real life: a database, an API).
$PY -c 'import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
while True:
    c, _ = s.accept(); c.recv(64); c.sendall(b"pong\n"); c.close()' $PORT &
srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
sleep 0.3

# show CMD: print "$ CMD" and its output (stdout and stderr, in order) in a code block
show() {
	printf '```console\n$ %s\n' "$1"
	sh -c "$1" 2>&1 || true
	printf '```\n\n'
}

cat <<'MD'
# From staging to production: `fnshield learn`, `explain`, `check --print`

A walk-through with real commands and their real output (regenerate it with
`sh tests/cli/walkthrough.sh > tests/cli/WALKTHROUGH.md` after `make`). The function is
[`tests/cli/workload.py`](workload.py), a small Python program that does what many functions do
on every invocation: it makes a fresh temporary directory (Python's `tempfile`), writes a few
files into it and reads them back, runs an external program (`/usr/bin/id`), calls a service
over TCP (here a stand-in on `localhost:8377`), and writes its result.

## 1. Staging: alert mode, everything logged, nothing blocked

The staging policy restricts what a function rarely needs, and says `alert` where it does not
know yet what the function needs:

MD
show "cat tests/cli/staging.json"
cat <<'MD'
Three invocations in staging (the policy's mode is `alert`, so every violation is logged and let
through). The violation lines go to the function's standard error — in Lambda, to its CloudWatch
log stream:

MD
show "for i in 1 2 3; do build/fnshield run --policy tests/cli/staging.json -- /usr/bin/python3 tests/cli/workload.py --service localhost:$PORT --out $W/result.json 2>> $W/staging.log; done"
show "grep -c '\"fnshield\":\"violation\"' $W/staging.log"
show "grep '\"fnshield\":\"violation\"' $W/staging.log | head -n 8"
cat <<'MD'
Each invocation has its own temporary names (`/tmp/tmpXXXXXXXX`, and the 8-character file with
which Python's `tempfile` checks that `/tmp` is writable) — a policy listing them would fail on
the next invocation.

## 2. Learn the least-privilege policy

`fnshield learn` reads the violation lines (raw logs with other output around them, JSON lines,
or CloudWatch exports) and prints the policy; what it decided goes to standard error. With
`--from`, the result is the staging policy itself, in mode `block`, its `alert` defaults made
`block`, with an allow rule for everything its defaults flagged:

MD
show "build/fnshield learn --from tests/cli/staging.json $W/staging.log > $W/production.json"
show "cat $W/production.json"
show "build/fnshield check $W/production.json"
cat <<'MD'
The per-run directory became `/tmp/tmp*/**` (everything the function puts into a directory of
its own), the probe file `/tmp/????????` (eight characters, not any name in `/tmp`); the program
and the service stay exact. The staging policy's own rules (`*.amazonaws.com:443`, `/dev/null`,
the `read` block list) are kept.

Without `--from`, `learn` finds the staging policy through the logs' `start` lines when the file
they name is at hand with the same SHA-256 (here it is); otherwise it learns from the lines alone
and says what that cannot know:

MD
show "build/fnshield learn $W/staging.log | cmp - $W/production.json && echo same policy"
show "build/fnshield learn --lines-only $W/staging.log"
cat <<'MD'
## 3. Ask why

`fnshield explain` gives the decision for one call, the rule that makes it, and why every other
rule of the category does not:

MD
show "build/fnshield explain --policy $W/production.json write /tmp/tmpab12cd34/part-0.json"
show "build/fnshield explain --policy $W/production.json exec whoami"
show "build/fnshield explain --policy $W/production.json connect localhost:$PORT"
cat <<'MD'
## 4. Production: block mode

The same invocation under the learned policy logs nothing but its `start` line:

MD
show "build/fnshield run --policy $W/production.json -- /usr/bin/python3 tests/cli/workload.py --service localhost:$PORT --out $W/result.json"
cat <<'MD'
And what the function never did in staging — here an injected payload running `whoami` and
reading the function's credentials — is refused and logged:

MD
show "build/fnshield run --policy $W/production.json -- /usr/bin/python3 tests/cli/workload.py --service localhost:$PORT --out $W/result.json --exec /usr/bin/whoami --read /proc/self/environ"
cat <<'MD'
In Lambda the learned policy ships with the function or its layer (`FNSHIELD_POLICY_FILE`) and
`FNSHIELD_MODE=block` (or the policy's own `"mode": "block"`) turns it on.

## 5. From CloudWatch Logs

In Lambda the lines are in the function's log group. Export them and learn from the export:

```console
$ aws logs filter-log-events --log-group-name /aws/lambda/my-function \
      --start-time $(date -d '-7 days' +%s000) \
      --filter-pattern '{ $.fnshield = "violation" }' > staging-export.json
$ fnshield learn --from staging.json staging-export.json > production.json
```

`learn` takes the export as `filter-log-events` writes it (`{"events": [{"message": ...}]}`,
several pages one after the other, or a JSON array of events), Logs Insights results, and raw
log text. Here the staging log turned into such an export learns the same policy:

MD
show "$PY -c 'import json,sys; print(json.dumps({\"events\": [{\"timestamp\": i, \"message\": l} for i, l in enumerate(open(sys.argv[1]))]}))' $W/staging.log > $W/export.json; build/fnshield learn --from tests/cli/staging.json $W/export.json 2>/dev/null | cmp - $W/production.json && echo same policy"
cat <<'MD'
## 6. FunctionShield policies

A FunctionShield policy is accepted as it is; `check --print` shows what it means in fnshield's
language (and `explain` and `learn --from` work on it):

MD
printf '{"create_child_process": "block", "outbound_connectivity": "alert",\n "read_write_tmp": "allow", "read_handler": "block"}\n' > "$W/functionshield.json"
show "cat $W/functionshield.json"
show "build/fnshield check --print $W/functionshield.json"
