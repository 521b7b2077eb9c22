#!/bin/sh
# Unpack a Debian package of another architecture into a directory, without touching the
# machine's own apt configuration or dpkg database (a private sources list and state).
# Used for the arm64 layer: libseccomp.a for aarch64, linked into the cross-built library.
# Usage: tools/fetch-deb.sh ARCH PACKAGE DEST
set -eu
arch=$1 pkg=$2 dest=$3
[ -d "$dest" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $codename main" > "$work/src.list"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
aptopts="-qq -o Dir::Etc::SourceList=$work/src.list -o Dir::Etc::SourceParts=- \
 -o Dir::State::Lists=$work/lists -o Dir::State::Status=/dev/null -o Dir::Cache=$work/cache \
 -o APT::Architectures=$arch -o APT::Architecture=$arch -o APT::Sandbox::User=root"
apt-get $aptopts update
(cd "$work" && apt-get $aptopts download "$pkg:$arch")
mkdir -p "$dest.tmp"
dpkg-deb -x "$work"/*.deb "$dest.tmp"
mv "$dest.tmp" "$dest"
echo "fetch-deb: $pkg:$arch unpacked into $dest"
