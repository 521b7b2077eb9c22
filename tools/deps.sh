#!/bin/sh
# Install the Debian packages fnshield needs (only those missing), then unpack cJSON's Debian
# source package into $1 (it is compiled into libfnshield.so; see the Makefile).
# Usage: tools/deps.sh CJSON_DIR PACKAGE...
set -eu
cjson_dir=$1; shift

missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
	$sudo_ apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends $missing
fi

if [ ! -f "$cjson_dir/cJSON.c" ]; then
	src=$(dirname "$cjson_dir")/cjson-src
	sh "$(dirname "$0")/apt-source.sh" cjson "$src"
	mkdir -p "$cjson_dir"
	cp "$src/cJSON.c" "$src/cJSON.h" "$src/LICENSE" "$cjson_dir/"
	rm -rf "$src"
	echo "deps: cJSON $(sed -n 's/^#define CJSON_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' "$cjson_dir/cJSON.h" | paste -sd.) from Debian's source package"
fi
