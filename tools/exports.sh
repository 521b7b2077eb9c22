#!/bin/sh
# Turn shim/hooks.def into a linker version script: the interposed functions are the library's
# only exports; everything else (our own code, cJSON, libunwind) stays local.
set -eu
echo "{"
echo "  global:"
sed -n 's/^HOOK([^,]*, *\([A-Za-z0-9_]*\),.*/    \1;/p' "$1"
echo "  local: *;"
echo "};"
