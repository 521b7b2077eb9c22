#!/bin/sh
# layer/test-layer.sh — unpack layer archives and run what is in them, as Lambda would.
#
#   sh layer/test-layer.sh build/fnshield-layer-x86_64.zip [build/fnshield-layer-arm64.zip]
#
# x86_64 (on an x86_64 machine): the archive is unpacked into a temporary directory (standing
# in for /opt) and its fnshield-exec (a static executable) runs a real command line,
# `/usr/bin/python3 -c ...`:
#   - a good policy: the command runs, its blocked read and exec fail with EACCES, violation
#     lines appear, and the wrapper itself prints nothing (called by its path, through a link,
#     by name through PATH);
#   - a bad policy, a bad FNSHIELD_MODE (both found by the library as it loads), a missing or
#     empty library, a library of the other architecture (found by the wrapper): exit 78,
#     exactly one "fnshield":"error" line, and the command never runs;
#   - FNSHIELD_NEXT_WRAPPER runs the second wrapper first, which hands back to fnshield, even
#     with a policy that blocks exec;
#   - LD_PRELOAD entries of other layers are kept (and ours is not added twice);
#   - with FNSHIELD_SUPERVISOR=on, the layer's own `fnshield` is found and supervises.
# arm64 (under qemu-user, installed when missing): the layer's fnshield-exec is a static
# aarch64 executable that does not start on this machine without the emulator (on Lambda, a
# function of the other architecture fails its init instead of running unprotected); under
# qemu it sets LD_PRELOAD to the arm64 library and writes its error lines; the CLI checks the
# shipped policies, and a small cross-compiled C program run with the arm64 libfnshield.so
# preloaded (directly, and through the wrapper) has a blocked open, openat through syscall()
# and execve fail with EACCES, with violation lines; in alert mode they go through. The
# shim's own I/O uses inline `svc 0` there: this exercises it.
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
	for p in "$d"/fnshield/policies/*.json "$d"/fnshield/policies/*.fnsp; do
		# shellcheck disable=SC2086 # clean_env is a list of options
		run $clean_env "$d/fnshield/bin/fnshield" check "$p"
		expect "fnshield check ${p##*/}: policy ok" test "$rc" = 0
	done
	expect "every shipped policy compiled: fnshield/policies/*.fnsp" \
		test "$(ls "$d"/fnshield/policies/*.json | wc -l)" = "$(ls "$d"/fnshield/policies/*.fnsp | wc -l)"

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
	# The wrapper finds the library from its own file (/proc/self/exe), however it is called.
	mkdir -p "$tmp/x86_64/bin"
	ln -s "$d/fnshield-exec" "$tmp/x86_64/bin/elsewhere"
	for how in "its path" "a link to it" "its name in PATH"; do
		case "$how" in
		"its path") w=$d/fnshield-exec path=/usr/bin:/bin ;;
		"a link to it") w=$tmp/x86_64/bin/elsewhere path=/usr/bin:/bin ;;
		*) w=fnshield-exec path=$d:/usr/bin:/bin ;;
		esac
		# shellcheck disable=SC2086 # clean_env is a list of options
		run $clean_env PATH="$path" FNSHIELD_POLICY_FILE="$prod" "$w" /usr/bin/python3 -c "$py"
		expect "good policy ($how): the command runs, read and exec fail with EACCES" \
			test "$rc" = 0 -a "$(cat "$tmp/out")" = "read=EACCES exec=EACCES"
		expect "good policy ($how): violation lines for the read and the exec" \
			test "$(lines "$tmp/err" '"fnshield":"violation".*"category":"read"')" -ge 1 \
			-a "$(lines "$tmp/err" '"fnshield":"violation".*"category":"exec"')" -ge 1
	done
	# The compiled production policy: the same decisions, from the layer's .fnsp.
	# shellcheck disable=SC2086
	run $clean_env FNSHIELD_POLICY_FILE="${prod%.json}.fnsp" "$d/fnshield-exec" /usr/bin/python3 -c "$py"
	expect "compiled policy (production.fnsp): read and exec fail with EACCES" \
		test "$rc" = 0 -a "$(cat "$tmp/out")" = "read=EACCES exec=EACCES"
	# The supervisor (issue #14, opt-in): the layer's bin/fnshield, found beside its library.
	# shellcheck disable=SC2086
	run $clean_env FNSHIELD_POLICY_FILE="$prod" FNSHIELD_SUPERVISOR=on "$d/fnshield-exec" /usr/bin/python3 -c "$py"
	expect "FNSHIELD_SUPERVISOR=on: the layer's supervisor runs (start line), same decisions" \
		test "$rc" = 0 -a "$(cat "$tmp/out")" = "read=EACCES exec=EACCES" \
		-a "$(lines "$tmp/err" '"fnshield":"start".*"supervisor":"on"')" = 1
	# Lambda's runtimes are started by path; a bare name is searched in PATH like `exec` does.
	# shellcheck disable=SC2086
	run $clean_env PATH=/usr/bin:/bin "$d/fnshield-exec" python3 -c 'import os; print(os.environ["LD_PRELOAD"])'
	expect "a command without '/': found in PATH, run with the library preloaded" \
		test "$rc" = 0 -a "$(cat "$tmp/out")" = "$lib"
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

	# The wrapper is a static x86-64 executable: no dynamic loader, and on an arm64 machine it
	# does not start (test_arm64 runs the arm64 one here).
	expect "fnshield-exec: a static x86-64 executable (no INTERP, no NEEDED)" \
		test "$(objdump -f "$d/fnshield-exec" | sed -n 's/^architecture: \([^,]*\),.*/\1/p')" = i386:x86-64 \
		-a "$(objdump -p "$d/fnshield-exec" | grep -cE '^ *(INTERP|NEEDED)[[:space:]]')" = 0
	# A library of another architecture (FNSHIELD_HOME, or a mixed-up layer): ld.so would only
	# warn and start the runtime unprotected, so the wrapper reads its ELF header. This copy
	# says EM_AARCH64 (183) in e_machine.
	mkdir -p "$tmp/otherarch"
	cp "$lib" "$tmp/otherarch/libfnshield.so"
	printf '\267\000' | dd of="$tmp/otherarch/libfnshield.so" bs=1 seek=18 conv=notrunc 2>/dev/null
	rm -f "$marker"
	# shellcheck disable=SC2086
	run $clean_env FNSHIELD_POLICY_FILE="$prod" FNSHIELD_HOME="$tmp/otherarch" "$d/fnshield-exec" /usr/bin/python3 -c "$touch_py"
	expect "a library of another architecture: exit 78, one error line, the command never ran" \
		test "$rc" = 78 -a "$(lines "$tmp/err" '^{"fnshield":"error",.*another architecture (arm64)')" = 1 \
		-a "$(wc -l <"$tmp/err")" = 1 -a ! -e "$marker"

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

	w=$d/fnshield-exec
	expect "layout: fnshield-exec, an aarch64 library and CLI" \
		test -x "$w" \
		-a "$(aarch64-linux-gnu-objdump -f "$lib" | sed -n 's/^architecture: \([^,]*\),.*/\1/p')" = aarch64 \
		-a "$(aarch64-linux-gnu-objdump -f "$cli" | sed -n 's/^architecture: \([^,]*\),.*/\1/p')" = aarch64
	expect "fnshield-exec: a static aarch64 executable (no INTERP, no NEEDED)" \
		test "$(aarch64-linux-gnu-objdump -f "$w" | sed -n 's/^architecture: \([^,]*\),.*/\1/p')" = aarch64 \
		-a "$(aarch64-linux-gnu-objdump -p "$w" | grep -cE '^ *(INTERP|NEEDED)[[:space:]]')" = 0

	# The wrong architecture: the arm64 layer's wrapper on this machine does not start at all,
	# so the runtime never starts (on Lambda: an init error, never an unprotected function).
	# Only meaningful where the kernel does not hand aarch64 programs to an emulator itself.
	marker=$tmp/ran-arm64
	if [ "$(uname -m)" != aarch64 ] && ! [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
		# execve() as Lambda's init calls it (a shell or env(1) would retry the file as a script,
		# which fails too, with a syntax error)
		# shellcheck disable=SC2086
		run $clean_env /usr/bin/python3 -c '
import os, sys
try:
    os.execv(sys.argv[1], sys.argv[1:])
except OSError as e:
    print(e.strerror)
    sys.exit(126)' "$w" /bin/sh -c ": >'$marker'"
		expect "the arm64 wrapper on $(uname -m): execve fails ($(cat "$tmp/out")), the command never ran" \
			test "$rc" = 126 -a "$(cat "$tmp/out")" = "Exec format error" -a ! -e "$marker"
	fi

	# Under qemu: the wrapper finds the arm64 library from /proc/self/exe and execs the command
	# (qemu hands an exec to the kernel: /usr/bin/env is this machine's, its ld.so ignores the
	# aarch64 library with a warning and prints the environment it was given).
	# shellcheck disable=SC2086
	run $clean_env qemu-aarch64 "$w" /usr/bin/env
	expect "qemu: fnshield-exec sets LD_PRELOAD to the arm64 library and execs the command" \
		test "$rc" = 0 -a "$(grep '^LD_PRELOAD=' "$tmp/out")" = "LD_PRELOAD=$lib"
	# shellcheck disable=SC2086
	run $clean_env qemu-aarch64 "$w"
	expect "qemu: fnshield-exec without a command: exit 64, one error line" \
		test "$rc" = 64 -a "$(wc -l <"$tmp/err")" = 1 -a "$(lines "$tmp/err" '^{"fnshield":"error",.*no command to run')" = 1
	# shellcheck disable=SC2086
	run $clean_env FNSHIELD_HOME="$tmp/no-such-home" qemu-aarch64 "$w" /bin/sh -c ": >'$marker'"
	expect "qemu: fnshield-exec, missing library: exit 78, one error line, the command never ran" \
		test "$rc" = 78 -a "$(wc -l <"$tmp/err")" = 1 -a ! -e "$marker" \
		-a "$(lines "$tmp/err" '^{"fnshield":"error",.*FNSHIELD_HOME=.* is not a directory')" = 1
	mkdir -p "$tmp/x86-home" && cp build/libfnshield.so "$tmp/x86-home/"
	# shellcheck disable=SC2086
	run $clean_env FNSHIELD_HOME="$tmp/x86-home" qemu-aarch64 "$w" /bin/sh -c ": >'$marker'"
	expect "qemu: fnshield-exec, an x86_64 library: exit 78, one error line, the command never ran" \
		test "$rc" = 78 -a "$(wc -l <"$tmp/err")" = 1 -a ! -e "$marker" \
		-a "$(lines "$tmp/err" '^{"fnshield":"error",.*another architecture (x86_64) than this machine.s (arm64)')" = 1
	for p in "$d"/fnshield/policies/*.json "$d"/fnshield/policies/*.fnsp; do
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
		# The same through the wrapper: it runs under qemu and execs qemu-aarch64 (this
		# machine's, which ignores the aarch64 library with a warning and passes LD_PRELOAD on
		# to the probe, whose aarch64 ld.so loads it).
		# shellcheck disable=SC2086
		run $clean_env FNSHIELD_POLICY_FILE="$prod" qemu-aarch64 "$w" qemu-aarch64 -L "$sysroot" "$tmp/probe"
		expect "qemu: through fnshield-exec, block: open, syscall(openat) and execve fail with EACCES" \
			test "$rc" = 0 -a "$(cat "$tmp/out")" = "open=EACCES syscall=EACCES devnull=ok exec=EACCES" \
			-a "$(lines "$tmp/err" '"fnshield":"violation".*"action":"block".*"category":"exec"')" = 1
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
