#!/bin/sh
# Build libunwind from Debian's source package as a static archive fit for libfnshield.so:
# position-independent, every symbol hidden, local unwinding only (shim/backtrace.c).
#
# Why not Debian's libunwind.a: it is not PIC (Lregs.o has R_X86_64_32S relocations) and cannot
# go into a shared library. Why not libunwind.so.8: it would put unw_*/_U* into the process's
# global symbol scope (where a JVM or Node.js may bring their own unwinder), and Amazon Linux 2
# has no libunwind at all. So, as with cJSON (tools/deps.sh), the source is compiled in.
#
# Usage: tools/build-libunwind.sh DEST [HOST-TRIPLET]
#   DEST          e.g. build/third_party/libunwind-x86_64; gets include/ and lib/libunwind.a
#   HOST-TRIPLET  cross-compile (configure --host), e.g. aarch64-linux-gnu with
#                 CC=aarch64-linux-gnu-gcc; default: this machine
# The source is unpacked once into build/third_party/libunwind-src (shared by both
# architectures); each DEST is built out of tree in DEST.build, which is removed afterwards.
# A DEST that already has lib/libunwind.a is left alone.
#
# After the build, the archive's references to a few libc functions are renamed to
# fnshield_unw_* (objcopy --redefine-syms), and shim/backtrace.c defines them:
#   dl_iterate_phdr       -> walks fnshield's own module table (built from /proc/self/maps with
#                            raw system calls): no loader lock, usable in a vfork child
#   sigprocmask           -> a no-op: backtrace.c blocks all signals itself around an unwind,
#                            which saves libunwind's two system calls per lock operation
#   pipe2 pipe syscall    -> fail: libunwind's x86_64/aarch64 memory validation writes the bytes
#   write read close         to check through a pipe it keeps open in the process; an
#                            application that closes "all other descriptors" and reuses the
#                            numbers would get bytes read from and written to its own files.
#                            backtrace.c validates with a side-effect-free system call instead.
#   open fstat stat       -> fail: no file is ever opened on the unwind path (libunwind opens
#                            ELF files for .eh_frame fallbacks and symbol names; fnshield's
#                            own open() hook must never be re-entered from here, and
#                            fstat/stat are GLIBC_2.33 symbols, which Amazon Linux 2 lacks)
#   malloc free           -> fail / nothing: the code that would allocate (ELF file mapping,
#                            remote address spaces) is linked in but never reached; this makes
#                            "no malloc" a property of the link, not of the call path
# A symbol libunwind references that is none of these and not in the list below fails the
# build, so a new libunwind version cannot quietly bring a new libc dependency in.
set -eu

dest=$1
host=${2:-}
[ -f "$dest/lib/libunwind.a" ] && exit 0
cd "$(dirname "$0")/.."
start=$(date +%s)
src=build/third_party/libunwind-src

# ---- source: Debian's source package (tools/apt-source.sh) ---------------------------------
if [ ! -f "$src/configure" ]; then
	sh tools/apt-source.sh libunwind "$src"
	echo "libunwind: $(sed -n '1s/^libunwind (\([^)]*\)).*/\1/p' "$src/debian/changelog") from Debian's source package"
fi

# ---- configure and compile the local-only archive --------------------------------------------
bdir=$dest.build
rm -rf "$bdir"
mkdir -p "$bdir"
hostopt=""
objcopy_=objcopy nm_=nm
if [ -n "$host" ]; then
	hostopt="--host=$host"
	objcopy_=$host-objcopy nm_=$host-nm
fi
srcabs=$PWD/$src
# -fvisibility=hidden: nothing of libunwind is exported, even before --exclude-libs.
# -fno-stack-protector is not needed; -U_FORTIFY_SOURCE keeps __*_chk (newer symbol versions)
# out of the archive.
(
	cd "$bdir"
	# shellcheck disable=SC2086 # hostopt is empty or one word
	"$srcabs/configure" $hostopt --quiet \
		--disable-shared --enable-static --with-pic \
		--disable-minidebuginfo --disable-zlibdebuginfo --disable-coredump --disable-ptrace \
		--disable-setjmp --disable-documentation --disable-tests --disable-debug \
		--disable-debug-frame --disable-cxx-exceptions --disable-weak-backtrace \
		--disable-per-thread-cache \
		CFLAGS="-O2 -g -fPIC -fvisibility=hidden -U_FORTIFY_SOURCE" >configure.out 2>&1 ||
		{ cat configure.out >&2; exit 1; }
	jobs=$(nproc 2>/dev/null || echo 2)
	make -s -C src -j"$jobs" libunwind.la >make.out 2>&1 || { tail -n 40 make.out >&2; exit 1; }
)

# ---- rename libc references (see the header) and check what is left -------------------------
arch=$(sed -n 's/^arch = //p' "$bdir/Makefile" | head -n 1) # libunwind's name: x86_64, aarch64
redefs=$bdir/redefine.syms
for s in dl_iterate_phdr sigprocmask pipe2 pipe syscall write read close open fstat stat malloc free; do
	echo "$s fnshield_unw_$s"
done >"$redefs"
mkdir -p "$bdir/out/lib" "$bdir/out/include"
$objcopy_ --redefine-syms="$redefs" "$bdir/src/.libs/libunwind.a" "$bdir/out/lib/libunwind.a"
# Undefined symbols of the whole archive that are not defined in it: libc functions it may call.
undef=$($nm_ -A "$bdir/out/lib/libunwind.a" 2>/dev/null | awk '$2 == "U" {print $3}' | sort -u)
defined=$($nm_ -A --defined-only "$bdir/out/lib/libunwind.a" 2>/dev/null | awk '{print $3}' | sort -u)
external=$(printf '%s\n' "$undef" | grep -vxF "$defined" || true)
allowed='^(fnshield_unw_[a-z0-9_]+|__aarch64_[a-z0-9_]+|_GLOBAL_OFFSET_TABLE_|__stack_chk_fail|__assert_fail|abort|memcpy|memset|memchr|stpcpy|strerror|memmove|memcmp|strlen|strcmp|strncmp|strcpy|strncpy|strchr|strrchr|strtoul|strtoull|snprintf|sprintf|getpagesize|sysconf|getpid|getenv|mmap|mmap64|munmap|mincore|msync|fcntl|fstat|fstat64|stat|__fxstat|__fxstat64|lseek|sigfillset|sigemptyset|sigaddset|pthread_mutex_init|pthread_mutex_lock|pthread_mutex_unlock|pthread_once|_Ux86_64_getcontext|_Uaarch64_getcontext|__errno_location|__tls_get_addr|free|malloc|calloc|realloc|getcontext|_U_dyn_info_list_addr|__libc_single_threaded)$'
bad=$(printf '%s\n' "$external" | grep -vE "$allowed" || true)
if [ -n "$bad" ]; then
	echo "libunwind: unexpected libc references (add them to tools/build-libunwind.sh after review): $(printf "%s\n" "$bad" | tr "\n" " ")" >&2
	exit 1
fi

# ---- headers for UNW_LOCAL_ONLY users --------------------------------------------------------
cp "$bdir/include/libunwind.h" "$bdir/include/libunwind-common.h" "$bdir/out/include/"
cp "$src/include/libunwind-dynamic.h" "$src/include/libunwind-$arch.h" "$bdir/out/include/"
cp "$src/COPYING" "$bdir/out/"
rm -rf "$dest"
mv "$bdir/out" "$dest"
rm -rf "$bdir"
echo "libunwind: $dest/lib/libunwind.a ($arch, $(($(date +%s) - start)) s)"
