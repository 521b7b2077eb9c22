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
	# A private sources list, so the machine's apt configuration is left alone.
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $codename main" > "$work/src.list"
	mkdir -p "$work/lists/partial"
	aptopts="-qq -o Dir::Etc::SourceList=$work/src.list -o Dir::Etc::SourceParts=- -o Dir::State::Lists=$work/lists -o APT::Sandbox::User=root"
	apt-get $aptopts update
	(cd "$work" && apt-get $aptopts source --download-only cjson)
	(cd "$work" && dpkg-source -x --no-check cjson_*.dsc src >/dev/null)
	mkdir -p "$cjson_dir"
	cp "$work/src/cJSON.c" "$work/src/cJSON.h" "$work/src/LICENSE" "$cjson_dir/"
	echo "deps: cJSON $(sed -n 's/^#define CJSON_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' "$cjson_dir/cJSON.h" | paste -sd.) from Debian's source package"
fi
