#!/bin/sh
# What the preload library promises the process it is loaded into (README "Guarantees"):
#   1. it exports the interposed libc functions and nothing else (shim/hooks.def);
#   2. cJSON and libunwind never enter the process's global symbol scope (nor libseccomp,
#      which is only used at build time now);
#   3. it needs no shared library but glibc's.
# Usage: tests/check-library.sh build/libfnshield.so
set -eu
lib=$1
fail=0
expected=$(sed -n 's/^HOOK([^,]*, *\([A-Za-z0-9_]*\),.*/\1/p' shim/hooks.def | sort)
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TtWwDdBbVvi]$/ {print $3}' | sed 's/@.*//' | sort -u)
extra=$(printf '%s\n' "$exported" | grep -vxF "$expected" || true)
if [ -n "$extra" ]; then
	echo "FAIL: exports beyond hooks.def: $(echo $extra)"; fail=1
fi
missing=$(printf '%s\n' "$expected" | grep -vxF "$exported" || true)
if [ -n "$missing" ]; then
	echo "FAIL: hooks.def functions not exported: $(echo $missing)"; fail=1
fi
leaked=$(nm -D "$lib" | grep -E ' (cJSON|seccomp_|_U|unw_)' || true)
if [ -n "$leaked" ]; then
	echo "FAIL: dependency symbols in the dynamic table: $leaked"; fail=1
fi
needed=$(objdump -p "$lib" | awk '/NEEDED/ {print $2}' | grep -vE '^(libc\.so\.6|libdl\.so\.2|ld-linux.*)$' || true)
if [ -n "$needed" ]; then
	echo "FAIL: needs shared libraries beyond glibc: $needed"; fail=1
fi
n_exp=$(printf '%s\n' "$exported" | wc -l)
[ $fail = 0 ] && echo "library check: $n_exp exported symbols, all interposed libc functions; no dependency symbols; needs only glibc"
if [ $fail = 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
