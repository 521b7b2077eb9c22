#!/bin/sh
# Let this machine run arm64 programs (the arm64 chroots and root): qemu-user through
# binfmt_misc, registered with the F flag (qemu is opened now, so no chroot needs a copy of
# it). Nothing to do on an arm64 machine or when it is registered already. The registration
# lasts while binfmt_misc is mounted somewhere: callers run this in their own mount namespace,
# so nothing stays behind; two at once may race to register, and either one's entry will do.
set -eu
[ "$(uname -m)" = aarch64 ] && exit 0
binfmt=/proc/sys/fs/binfmt_misc
[ -e $binfmt/register ] || mount -t binfmt_misc binfmt_misc $binfmt
[ -e $binfmt/qemu-aarch64 ] && exit 0
conf=/usr/lib/binfmt.d/qemu-aarch64.conf
[ -f "$conf" ] || { echo "binfmt: $conf is missing (Debian's qemu-user-static)" >&2; exit 1; }
cat "$conf" 2>/dev/null >$binfmt/register || [ -e $binfmt/qemu-aarch64 ]
