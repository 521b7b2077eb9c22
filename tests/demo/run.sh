#!/bin/sh
# make demo: the same small Python function, under the same policy, in alert then block mode.
set -eu
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'kill $srv 2>/dev/null || true; rm -rf "$work"' EXIT

# A stand-in for the attacker's server, on loopback.
$PY -c 'import socket,sys
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(8); print(s.getsockname()[1], flush=True)
while True: s.accept()[0].close()' > "$work/port" &
srv=$!
while [ ! -s "$work/port" ]; do sleep 0.05; done
port=$(cat "$work/port")

cat > "$work/policy.json" <<JSON
{
  "version": 1,
  "exec":    { "default": "block" },
  "connect": { "default": "block", "allow": ["*.amazonaws.com:443"] },
  "read":    { "default": "allow", "block": ["/proc/**/environ"] },
  "write":   { "default": "block", "allow": ["/tmp/**", "/dev/null"] }
}
JSON
event="{\"port\": $port, \"drop\": \"$(pwd)/build/demo-dropped.sh\"}"

for mode in alert block; do
	echo
	echo "=== FNSHIELD_MODE=$mode: python3 tests/demo/function.py ==="
	echo "--- violation lines (what CloudWatch Logs receives):"
	build/fnshield run --policy "$work/policy.json" --mode $mode -- $PY tests/demo/function.py "$event" \
		2> "$work/stderr" > "$work/stdout" || true
	grep '"fnshield"' "$work/stderr" || true
	echo "--- what the function saw:"
	cat "$work/stdout"
	rm -f build/demo-dropped.sh
done
