#!/bin/sh
# The arm64 machine of `make arm64-kernel-test`: Debian's arm64 kernel and a Debian arm64 root
# file system packed as an initramfs (Debian's arm64 kernel has virtio-blk, ext4 and 9p only as
# modules, so the whole root goes in as the initramfs). Built in DEST.tmp and renamed to DEST
# when complete, so a killed build is never taken for a cache.
#
# Usage: tests/arm64/build-root.sh SUITE DEST "PACKAGE..."
#   DEST/vmlinuz    the kernel (Debian's linux-image-*-arm64, the one linux-image-arm64 names)
#   DEST/root.cpio  the root, uncompressed (qemu copies it; the guest need not inflate it)
#   DEST/kernel     the kernel package's version
set -eu
suite=$1 dest=$2 packages=$3
mirror=${FNSHIELD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ -z "${FNSHIELD_BUILD_NS:-}" ]; then   # debootstrap's mounts go with the namespace
	FNSHIELD_BUILD_NS=1 exec unshare --mount --propagation private -- sh "$0" "$@"
fi
tmp=$dest.tmp
rm -rf "$tmp"
mkdir -p "$tmp/root"

sh "$(dirname "$0")/../matrix/binfmt-arm64.sh"  # arm64 programs run while the root is made
include=$(echo $packages | tr ' ' ,)
debootstrap --arch=arm64 --variant=minbase --include="$include" "$suite" "$tmp/root" "$mirror" \
	>"$tmp/debootstrap.log" 2>&1 || { tail -20 "$tmp/debootstrap.log" >&2; exit 1; }

# The kernel: the package the linux-image-arm64 metapackage depends on, from the suite's index.
index=$tmp/Packages
curl -fsSL "$mirror/dists/$suite/main/binary-arm64/Packages.xz" | xz -d >"$index"
image=$(awk -v RS= '/^Package: linux-image-arm64\n/' "$index" |
	sed -n 's/^Depends: \(linux-image-[^ ,]*-arm64\).*/\1/p')
file=$(awk -v RS= -v p="Package: $image" 'index($0, p "\n") == 1' "$index" | sed -n 's/^Filename: //p')
version=$(awk -v RS= -v p="Package: $image" 'index($0, p "\n") == 1' "$index" | sed -n 's/^Version: //p')
[ -n "$file" ] || { echo "arm64: no kernel package found in $suite's index" >&2; exit 1; }
curl -fsSL -o "$tmp/kernel.deb" "$mirror/$file"
dpkg-deb -x "$tmp/kernel.deb" "$tmp/kernel-package"
cp "$tmp"/kernel-package/boot/vmlinuz-* "$tmp/vmlinuz"
echo "$image $version" >"$tmp/kernel"
rm -rf "$tmp/kernel.deb" "$tmp/kernel-package" "$index"

# What a boot never reads.
r=$tmp/root
rm -rf "$r"/usr/share/doc "$r"/usr/share/man "$r"/usr/share/info "$r"/usr/share/locale \
	"$r"/var/lib/apt/lists/* "$r"/var/cache/apt/* "$r"/var/cache/debconf/*-old \
	"$r"/usr/share/zoneinfo "$r"/usr/lib/python3*/test "$r"/usr/lib/python3*/idlelib
(cd "$r" && find . | cpio -o -H newc --quiet) >"$tmp/root.cpio"
rm -rf "$r" "$tmp/debootstrap.log"
rm -rf "$dest"
mv "$tmp" "$dest"
