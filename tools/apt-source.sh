#!/bin/sh
# Unpack a Debian source package (with Debian's patches applied) into DEST, using a private
# sources list so the machine's apt configuration is left alone. Used for what fnshield compiles
# into its library from source: cJSON (tools/deps.sh) and libunwind (tools/build-libunwind.sh).
# Usage: tools/apt-source.sh PACKAGE DEST
set -eu
pkg=$1 dest=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $codename main" > "$work/src.list"
mkdir -p "$work/lists/partial"
aptopts="-qq -o Dir::Etc::SourceList=$work/src.list -o Dir::Etc::SourceParts=- -o Dir::State::Lists=$work/lists -o APT::Sandbox::User=root"
apt-get $aptopts update
(cd "$work" && apt-get $aptopts source --download-only "$pkg")
(cd "$work" && dpkg-source -x --no-check "$pkg"_*.dsc src >/dev/null)
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$work/src" "$dest"
