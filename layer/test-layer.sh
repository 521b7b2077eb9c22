#!/bin/sh
# layer/test-layer.sh — unpack layer archives and run what is in them, as Lambda would.
#
#   sh layer/test-layer.sh build/fnshield-layer-x86_64.zip [build/fnshield-layer-arm64.zip]
#
# x86_64 (on an x86_64 machine): the archive is unpacked into a temporary directory (standing
# in for /opt) and its fnshield-exec runs a real command line, `/usr/bin/python3 -c ...`:
#   - a good policy: the command runs, its blocked read and exec fail with EACCES, violation
#     lines appear, and the wrapper itself prints nothing (under dash, busybox sh, bash);
#   - a bad policy, a bad FNSHIELD_MODE (both found by the library as it loads), a missing or
#     empty library, a layer of the other architecture (found by the wrapper): exit 78,
#     exactly one "fnshield":"error" line, and the command never runs;
#   - FNSHIELD_NEXT_WRAPPER runs the second wrapper first, which hands back to fnshield, even
#     with a policy that blocks exec;
#   - LD_PRELOAD entries of other layers are kept (and ours is not added twice).
# arm64 (under qemu-user, installed when missing): the CLI checks the shipped policies, and a
# small cross-compiled C program run with the arm64 libfnshield.so preloaded has a blocked
# open, openat through syscall() and execve fail with EACCES, with violation lines; in alert
# mode they go through. The shim's own I/O uses inline `svc 0` there: this exercises it.
#
# Ends with "N passed, N failed"; exit status 0 only when nothing failed.
#
# On Amazon Linux itself. This machine has no container engine and reaches no image registry,
# so the glibc 2.26 promise is checked here by symbol versions (layer/build.sh). Where Docker
# is available, the same test runs on the real C libraries (dash and busybox are skipped when
# absent; gcc builds the stand-in for another layer's library):
#   make layer
#   docker run --rm -v "$PWD:/src:ro" amazonlinux:2 sh -c \
#     'yum install -q -y python3 gcc unzip >/dev/null && sh /src/layer/test-layer.sh /src/build/fnshield-layer-x86_64.zip'
#   (amazonlinux:2023 with dnf likewise). To see a function start through the wrapper, mount
#   the unpacked zip at /opt of a Lambda base image (public.ecr.aws/lambda/python:3.11 is
#   Amazon Linux 2) with AWS_LAMBDA_EXEC_WRAPPER=/opt/fnshield-exec and invoke it.
set -u

cd "$(dirname "$0")/.." || exit 1
root=$PWD
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() {
	passed=$((passed + 1))
	echo "  ok    $*"
}
nok() {
	failed=$((failed + 1))
	echo "  FAIL  $*"
	if [ -s "$tmp/out" ]; then sed 's/^/        stdout: /' "$tmp/out" | head -n 8; fi
	if [ -s "$tmp/err" ]; then sed 's/^/        stderr: /' "$tmp/err" | head -n 8; fi
}
# expect NAME CONDITION...: ok when the condition (a command) succeeds.
expect() {
	what=$1
	shift
	if "$@"; then ok "$what"; else nok "$what"; fi
}
# run [env options and VAR=VALUE...] CMD...: CMD's stdout → $tmp/out, stderr → $tmp/err, status → $rc.
run() {
	rc=0
	env "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
}
lines() { # FILE PATTERN → number of lines matching
	grep -c -e "$2" "$1" 2>/dev/null || true
}
is_json_lines() { # FILE: every line is a JSON object
	/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    assert isinstance(json.loads(line), dict)
' "$1" 2>/dev/null
}
# Environment as Lambda would give it, none of the caller's fnshield settings.
clean_env="-u FNSHIELD_POLICY -u FNSHIELD_POLICY_FILE -u FNSHIELD_MODE -u FNSHIELD_HOME -u FNSHIELD_NEXT_WRAPPER -u LD_PRELOAD -u _FNSHIELD_LOG_FD -u _FNSHIELD_POLICY_SHA256"

# ---- x86_64: the wrapper with python3 ----------------------------------------------------
test_x86_64() {
	zip=$1
	d=$tmp/x86_64/opt
	mkdir -p "$d"
	unzip -q "$zip" -d "$d"
	lib=$d/fnshield/lib/libfnshield.so
	prod=$d/fnshield/policies/production.json

	expect "layout: /opt/fnshield-exec, fnshield/{lib,bin,policies}, README" \
		test -x "$d/fnshield-exec" -a -f "$lib" -a -x "$d/fnshield/bin/fnshield" \
		-a -f "$prod" -a -f "$d/fnshield/policies/staging.json" -a -f "$d/fnshield/README.md"
	for p in "$d"/fnshield/policies/*.json; do
		# shellcheck disable=SC2086 # clean_env is a list of options
		run $clean_env "$d/fnshield/bin/fnshield" check "$p"
		expect "fnshield check ${p##*/}: policy ok" test "$rc" = 0
	done

	# A blocked read and a blocked exec, reported on stdout by the function itself.
	py='
import subprocess
r = []
try:
    open("/proc/self/environ").read(); r.append("read=ok")
except PermissionError:
    r.append("read=EACCES")
try:
    subprocess.run(["/bin/echo", "unexpected"], check=True, stdout=subprocess.DEVNULL); r.append("exec=ok")
except PermissionError:
    r.append("exec=EACCES")
print(" ".join(r))
'
	shells=""
	command -v dash >/dev/null 2>&1 && shells="dash"
	command -v busybox >/dev/null 2>&1 && shells="$shells|busybox sh"
	command -v bash >/dev/null 2>&1 && shells="$shells|bash --posix" # Amazon Linux's /bin/sh
	old_ifs=$IFS
	IFS='|'
	set -f
	for shell in "" $shells; do
		IFS=$old_ifs
		# shellcheck disable=SC2086 # clean_env and shell are lists of words
		run $clean_env FNSHIELD_POLICY_FILE="$prod" $shell "$d/fnshield-exec" /usr/bin/python3 -c "$py"
		how=${shell:-its #! line}
		expect "good policy ($how): the command runs, read and exec fail with EACCES" \
			test "$rc" = 0 -a "$(cat "$tmp/out")" = "read=EACCES exec=EACCES"
		expect "good policy ($how): violation lines for the read and the exec" \
			test "$(lines "$tmp/err" '"fnshield":"violation".*"category":"read"')" -ge 1 \
			-a "$(lines "$tmp/err" '"fnshield":"violation".*"category":"exec"')" -ge 1
	done
	IFS=$old_ifs
	set +f
	# shellcheck disable=SC2086
	run $clean_env FNSHIELD_POLICY_FILE="$prod" FNSHIELD_MODE=alert "$d/fnshield-exec" /usr/bin/python3 -c "$py"
	expect "FNSHIELD_MODE=alert: the same calls go through, logged as alerts" \
		test "$rc" = 0 -a "$(cat "$tmp/out")" = "read=ok exec=ok" \
		-a "$(lines "$tmp/err" '"fnshield":"violation".*"action":"alert"')" -ge 2
	# shellcheck disable=SC2086
	run $clean_env "$d/fnshield-exec" /usr/bin/python3 -c 'pass'
	expect "success: the wrapper prints nothing on stdout" test "$rc" = 0 -a ! -s "$tmp/out"

	# Configuration errors: exit 78, one error line, the command never runs.
	marker=$tmp/ran
	mkdir -p "$tmp/empty-home/lib" && : >"$tmp/empty-home/lib/libfnshield.so"
	touch_py="open('$marker', 'w').close()"
	for case in 'FNSHIELD_POLICY={"version":1,"exec":"nope"}|bad policy' \
		"FNSHIELD_MODE=blok|bad FNSHIELD_MODE" \
		"FNSHIELD_POLICY_FILE=$tmp/no-such-policy.json|missing policy file" \
		"FNSHIELD_HOME=$tmp/no-such-home|missing library" \
		"FNSHIELD_HOME=$tmp/empty-home|empty library"; do
		setting=${case%|*} name=${case##*|}
		rm -f "$marker"
		# shellcheck disable=SC2086
		run $clean_env "$setting" "$d/fnshield-exec" /usr/bin/python3 -c "$touch_py"
		expect "$name: exit 78, one \"fnshield\":\"error\" line (valid JSON), nothing on stdout" \
			test "$rc" = 78 -a "$(wc -l <"$tmp/err")" = 1 -a ! -s "$tmp/out" \
			-a "$(lines "$tmp/err" '^{"fnshield":"error",')" = 1
		expect "$name: the error line is one JSON object" is_json_lines "$tmp/err"
		expect "$name: the command never ran" test ! -e "$marker"
	done

	# The layer of the other architecture: ld.so would only warn and start the runtime
	# unprotected, so the wrapper checks for its architecture's loader (stamped by build.sh).
	expect "the layer's wrapper knows its loader (/lib64/ld-linux-x86-64.so.2)" \
		grep -qx 'fs_loader=/lib64/ld-linux-x86-64.so.2' "$d/fnshield-exec"
	sed 's|^fs_loader=.*|fs_loader=/nonexistent/ld-linux-otherarch.so.1|' "$d/fnshield-exec" >"$d/fnshield-exec-otherarch"
	chmod +x "$d/fnshield-exec-otherarch"
	rm -f "$marker"
	# shellcheck disable=SC2086
	run $clean_env FNSHIELD_POLICY_FILE="$prod" "$d/fnshield-exec-otherarch" /usr/bin/python3 -c "$touch_py"
	expect "a layer of another architecture: exit 78, one error line, the command never ran" \
		test "$rc" = 78 -a "$(lines "$tmp/err" '^{"fnshield":"error",.*architecture')" = 1 \
		-a "$(wc -l <"$tmp/err")" = 1 -a ! -e "$marker"
	rm -f "$d/fnshield-exec-otherarch"

	# A second wrapper: runs first, unprotected (production.json blocks every exec, its own
	# `exec "$@"` included if it ran under the shim), and hands back to fnshield-exec.
	cat >"$tmp/next-wrapper" <<-'EOF'
		#!/bin/sh
		printf '%s\n' "$@" >"$NEXT_ARGS"
		export NEXT_WRAPPER_RAN=yes
		exec "$@"
	EOF
	chmod +x "$tmp/next-wrapper"
	env_py='import os; print(os.environ.get("NEXT_WRAPPER_RAN"), os.environ["LD_PRELOAD"], "FNSHIELD_NEXT_WRAPPER" in os.environ)'
	# shellcheck disable=SC2086
	run $clean_env FNSHIELD_POLICY_FILE="$prod" FNSHIELD_NEXT_WRAPPER="$tmp/next-wrapper" \
		NEXT_ARGS="$tmp/next-args" "$d/fnshield-exec" /usr/bin/python3 -c "$env_py"
	expect "FNSHIELD_NEXT_WRAPPER: it runs first, the function runs protected after it" \
		test "$rc" = 0 -a "$(cat "$tmp/out")" = "yes $lib False"
	expect "FNSHIELD_NEXT_WRAPPER: it gets fnshield-exec and the runtime's command line" \
		test "$(head -n 2 "$tmp/next-args" 2>/dev/null | tr '\n' ' ')" = "$d/fnshield-exec /usr/bin/python3 "
	# shellcheck disable=SC2086
	run $clean_env FNSHIELD_NEXT_WRAPPER="$tmp/no-such-wrapper" "$d/fnshield-exec" /usr/bin/python3 -c "$touch_py"
	expect "FNSHIELD_NEXT_WRAPPER missing: exit 78, one error line" \
		test "$rc" = 78 -a "$(wc -l <"$tmp/err")" = 1 -a ! -e "$marker"

	# Other layers' LD_PRELOAD entries: kept, after ours, and ours never twice.
	if printf 'int fnshield_test_other_layer = 1;\n' >"$tmp/other.c" &&
		cc -shared -fPIC -o "$tmp/other-layer.so" "$tmp/other.c" 2>"$tmp/err"; then
		maps_py='import os; print(os.environ["LD_PRELOAD"]); print("other-layer.so" in open("/proc/self/maps").read())'
		# shellcheck disable=SC2086
		run $clean_env LD_PRELOAD="$tmp/other-layer.so" "$d/fnshield-exec" /usr/bin/python3 -c "$maps_py"
		expect "LD_PRELOAD of another layer: kept after ours, and loaded" \
			test "$rc" = 0 -a "$(tr '\n' ' ' <"$tmp/out")" = "$lib:$tmp/other-layer.so True "
		# shellcheck disable=SC2086
		run $clean_env LD_PRELOAD="$tmp/other-layer.so $lib" "$d/fnshield-exec" /usr/bin/python3 -c "$maps_py"
		expect "LD_PRELOAD already listing the library: left as it is" \
			test "$rc" = 0 -a "$(head -n 1 "$tmp/out")" = "$tmp/other-layer.so $lib"
	else
		nok "cannot compile a stand-in for another layer's library (cc)"
	fi
}

# ---- arm64: the CLI and the library under qemu-user ---------------------------------------
test_arm64() {
	zip=$1
	sh tools/deps.sh build/third_party/cjson qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null
	sysroot=/usr/aarch64-linux-gnu
	d=$tmp/arm64/opt
	mkdir -p "$d"
	unzip -q "$zip" -d "$d"
	lib=$d/fnshield/lib/libfnshield.so
	cli=$d/fnshield/bin/fnshield
	prod=$d/fnshield/policies/production.json

	expect "layout: fnshield-exec, an aarch64 library and CLI" \
		test -x "$d/fnshield-exec" \
		-a "$(aarch64-linux-gnu-objdump -f "$lib" | sed -n 's/^architecture: \([^,]*\),.*/\1/p')" = aarch64 \
		-a "$(aarch64-linux-gnu-objdump -f "$cli" | sed -n 's/^architecture: \([^,]*\),.*/\1/p')" = aarch64
	expect "the layer's wrapper knows its loader (/lib/ld-linux-aarch64.so.1)" \
		grep -qx 'fs_loader=/lib/ld-linux-aarch64.so.1' "$d/fnshield-exec"
	for p in "$d"/fnshield/policies/*.json; do
		# shellcheck disable=SC2086
		run $clean_env qemu-aarch64 -L "$sysroot" "$cli" check "$p"
		expect "qemu: fnshield check ${p##*/}: policy ok" test "$rc" = 0 -a "$(lines "$tmp/out" 'policy ok')" = 1
	done
	# shellcheck disable=SC2086
	run $clean_env FNSHIELD_POLICY='{"version":1,"exec":"nope"}' qemu-aarch64 -L "$sysroot" "$cli" check
	expect "qemu: fnshield check, bad policy: exit 78, one error line" \
		test "$rc" = 78 -a "$(lines "$tmp/err" '^{"fnshield":"error",')" = 1

	cat >"$tmp/probe.c" <<-'EOF'
		#include <errno.h>
		#include <fcntl.h>
		#include <stdio.h>
		#include <string.h>
		#include <sys/syscall.h>
		#include <unistd.h>
		static const char *res(long r) { return r >= 0 ? "ok" : errno == EACCES ? "EACCES" : strerror(errno); }
		int main(void)
		{
			char *argv[] = {"sh", "-c", "echo unexpected", NULL}, *envp[] = {NULL};
			long o = open("/proc/self/environ", O_RDONLY);
			const char *ro = res(o);
			long s = syscall(SYS_openat, AT_FDCWD, "/proc/self/environ", O_RDONLY);
			const char *rs = res(s);
			long w = open("/dev/null", O_WRONLY);
			const char *rw = res(w);
			long e = execve("/bin/sh", argv, envp); /* returns only when refused */
			printf("open=%s syscall=%s devnull=%s exec=%s\n", ro, rs, rw, res(e));
			return 0;
		}
	EOF
	if aarch64-linux-gnu-gcc -O2 -Wall -Wextra -Werror -o "$tmp/probe" "$tmp/probe.c" 2>"$tmp/err"; then
		# shellcheck disable=SC2086
		run $clean_env qemu-aarch64 -L "$sysroot" -E LD_PRELOAD="$lib" -E FNSHIELD_POLICY_FILE="$prod" "$tmp/probe"
		expect "qemu: preloaded, block: open, syscall(openat) and execve fail with EACCES" \
			test "$rc" = 0 -a "$(cat "$tmp/out")" = "open=EACCES syscall=EACCES devnull=ok exec=EACCES"
		expect "qemu: preloaded, block: violation lines (read x2, exec), action block" \
			test "$(lines "$tmp/err" '"fnshield":"violation".*"action":"block".*"category":"read"')" -ge 2 \
			-a "$(lines "$tmp/err" '"fnshield":"violation".*"action":"block".*"category":"exec"')" = 1
		expect "qemu: preloaded: every line on stderr is JSON" is_json_lines "$tmp/err"
		cp "$tmp/err" "$tmp/arm64-block.log"
		# shellcheck disable=SC2086
		run $clean_env qemu-aarch64 -L "$sysroot" -E LD_PRELOAD="$lib" -E FNSHIELD_POLICY_FILE="$prod" \
			-E FNSHIELD_MODE=alert -E PATH=/usr/bin:/bin "$tmp/probe"
		expect "qemu: preloaded, alert: the calls go through, logged as alerts" \
			test "$(lines "$tmp/err" '"fnshield":"violation".*"action":"alert"')" -ge 3 \
			-a "$(lines "$tmp/out" 'unexpected')" = 1
		if [ -n "${FNSHIELD_TEST_VERBOSE-}" ]; then sed 's/^/        /' "$tmp/arm64-block.log"; fi
	else
		nok "cannot cross-compile the arm64 probe"
	fi
}

[ "$#" -gt 0 ] || set -- build/fnshield-layer-x86_64.zip
for zip in "$@"; do
	case "$zip" in
	/*) ;;
	*) zip=$root/$zip ;;
	esac
	if [ ! -f "$zip" ]; then
		echo "$zip: no such archive (make layer)"
		failed=$((failed + 1))
		continue
	fi
	echo "layer test: ${zip##*/}"
	case "$zip" in
	*-x86_64.zip)
		if [ "$(uname -m)" = x86_64 ]; then
			test_x86_64 "$zip"
		else
			nok "x86_64 archive: needs an x86_64 machine"
		fi
		;;
	*-arm64.zip) test_arm64 "$zip" ;;
	*) nok "$zip: unknown architecture (name ends in -x86_64.zip or -arm64.zip)" ;;
	esac
done
echo "layer: $passed passed, $failed failed"
[ "$failed" = 0 ]
