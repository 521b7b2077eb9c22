#!/bin/sh
# layer/build.sh — build and check the Lambda layer archive for one architecture.
#
#   sh layer/build.sh x86_64|arm64       (or ARCH=arm64 sh layer/build.sh)
#   → build/fnshield-layer-ARCH.zip
#
# The archive unpacks under /opt:
#   fnshield-exec                      the exec wrapper (AWS_LAMBDA_EXEC_WRAPPER=/opt/fnshield-exec),
#                                      a static executable (wrappers/fnshield-exec.c)
#   fnshield/lib/libfnshield.so        the preload library
#   fnshield/bin/fnshield              the CLI (`fnshield check`, `fnshield explain`, ...)
#   fnshield/policies/*.json           policy/examples
#   fnshield/README.md
#
# It must run on Amazon Linux 2 (glibc 2.26) and 2023 (glibc 2.34). Before anything is zipped,
# the binaries that go into it are checked, and the build fails otherwise:
#   a. no shared-library dependency beyond glibc (objdump -p NEEDED: libc.so.6, libdl.so.2,
#      ld-linux*), and libdl.so.2 listed when dlsym/dladdr are used (glibc < 2.34 has them there);
#   b. no GLIBC_ symbol version above 2.26, and none of GLIBC_PRIVATE (objdump -T);
#   c. the library exports the interposed functions and nothing else (tests/check-library.sh);
#   d. the machine type is the requested architecture;
#   e. fnshield-exec is statically linked (no PT_INTERP, no NEEDED): it runs before anything
#      else on every cold start, and on a machine of the other architecture it does not start
#      at all (Lambda reports the init error) instead of starting the runtime unprotected.
#
# The architecture of this machine is built in build/ with the Makefile's defaults; the other
# one in build/ARCH/ with Debian's cross compiler (gcc-aarch64-linux-gnu for arm64), which is
# installed here, like zip, through tools/deps.sh when missing.
set -eu

cd "$(dirname "$0")/.."
arch=${1:-${ARCH:-x86_64}}
make_=${MAKE:-make}
glibc_max=2.26

case "$arch" in
x86_64 | amd64) arch=x86_64 triplet=x86_64-linux-gnu objarch='i386:x86-64' ;;
arm64 | aarch64) arch=arm64 triplet=aarch64-linux-gnu objarch='aarch64' ;;
*) echo "layer: unknown architecture '$arch' (x86_64 or arm64)" >&2; exit 64 ;;
esac
case "$(uname -m)" in
x86_64) host=x86_64 ;;
aarch64 | arm64) host=arm64 ;;
*) host=$(uname -m) ;;
esac

# ---- build -------------------------------------------------------------------------------
if [ "$arch" = "$host" ]; then
	build=build
	sh tools/deps.sh build/third_party/cjson zip
	$make_ --no-print-directory "$build/libfnshield.so" "$build/fnshield" "$build/fnshield-exec"
else
	build=build/$arch
	pkgs="gcc-$triplet zip"
	[ "$arch" = arm64 ] && pkgs="$pkgs libc6-dev-arm64-cross"
	# shellcheck disable=SC2086 # a list of package names
	sh tools/deps.sh build/third_party/cjson $pkgs
	# cJSON's source is shared with the native build; only objects go to build/ARCH.
	# libseccomp for the target architecture, from Debian's archive (tools/fetch-deb.sh).
	debarch=$arch
	sh tools/fetch-deb.sh "$debarch" libseccomp-dev "$build/sysroot-seccomp"
	# libunwind for the target architecture, cross-compiled from Debian's source (PIC, hidden).
	CC="$triplet-gcc" sh tools/build-libunwind.sh "build/third_party/libunwind-$arch" "$triplet"
	$make_ --no-print-directory BUILD="$build" CC="$triplet-gcc" CJSON_DIR=build/third_party/cjson \
		SECCOMP_A="$PWD/$build/sysroot-seccomp/usr/lib/$triplet/libseccomp.a" \
		UNWIND_DIR="build/third_party/libunwind-$arch" \
		"$build/libfnshield.so" "$build/fnshield" "$build/fnshield-exec"
fi

# ---- stage -------------------------------------------------------------------------------
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/fnshield/lib" "$stage/fnshield/bin" "$stage/fnshield/policies"
cp "$build/fnshield-exec" "$stage/fnshield-exec"
cp "$build/libfnshield.so" "$stage/fnshield/lib/libfnshield.so"
cp "$build/fnshield" "$stage/fnshield/bin/fnshield"
cp policy/examples/*.json "$stage/fnshield/policies/"
cp layer/README.md "$stage/fnshield/README.md"
# Debug information stays in build/; the layer gets what runs (smaller: faster cold starts).
strip_="strip" objdump_="objdump"
command -v "$triplet-strip" >/dev/null 2>&1 && strip_=$triplet-strip
command -v "$triplet-objdump" >/dev/null 2>&1 && objdump_=$triplet-objdump
$strip_ --strip-debug "$stage/fnshield/lib/libfnshield.so" "$stage/fnshield/bin/fnshield"
$strip_ --strip-all "$stage/fnshield-exec"
chmod 0755 "$stage/fnshield-exec" "$stage/fnshield/lib/libfnshield.so" "$stage/fnshield/bin/fnshield"
chmod 0644 "$stage/fnshield/policies/"*.json "$stage/fnshield/README.md"

# ---- check what is shipped ---------------------------------------------------------------
fail=0
oneline() { tr '\n' ' ' | sed 's/ *$//'; }
bad() {
	echo "layer: FAIL: $*" >&2
	fail=1
}
check_binary() { # FILE NAME
	f=$1 name=$2
	fmt=$($objdump_ -f "$f" | sed -n 's/^architecture: \([^,]*\),.*/\1/p')
	[ "$fmt" = "$objarch" ] || bad "$name is $fmt, not $objarch"
	if ! $objdump_ -p "$f" | grep -q '^Dynamic Section:'; then
		echo "layer: $name: statically linked (no shared library, no symbol version needed)"
		return 0
	fi
	needed=$($objdump_ -p "$f" | awk '$1 == "NEEDED" {print $2}')
	extra=$(printf '%s\n' "$needed" | grep -vE '^(libc\.so\.6|libdl\.so\.2|ld-linux[-a-z0-9_.]*\.so\.[0-9]+)$' || true)
	[ -z "$extra" ] || bad "$name needs shared libraries beyond glibc: $(printf '%s' "$extra" | oneline)"
	# objdump -T: "... DF *UND* ... (GLIBC_2.14) memcpy"
	syms=$($objdump_ -T "$f")
	if printf '%s\n' "$syms" | grep -qE '[[:space:]](dlsym|dladdr|dlopen|dlclose|dlerror|dlvsym|dlinfo)$'; then
		printf '%s\n' "$needed" | grep -qx 'libdl\.so\.2' ||
			bad "$name uses the dl* functions but does not list libdl.so.2 as NEEDED (glibc < 2.34 has them there)"
	fi
	private=$(printf '%s\n' "$syms" | awk '/GLIBC_PRIVATE/ {print $NF}')
	[ -z "$private" ] || bad "$name uses GLIBC_PRIVATE symbols: $(printf '%s' "$private" | oneline)"
	# Every GLIBC_x.y[.z] above the maximum, with the symbol that needs it.
	too_new=$(printf '%s\n' "$syms" | awk -v max="$glibc_max" '
		function newer(v, m,   a, b, i, n) {
			n = split(v, a, "."); split(m, b, ".")
			for (i = 1; i <= 3; i++) {
				if ((a[i] + 0) > (b[i] + 0)) return 1
				if ((a[i] + 0) < (b[i] + 0)) return 0
			}
			return 0
		}
		match($0, /\(?GLIBC_[0-9][0-9.]*\)?/) {
			v = substr($0, RSTART, RLENGTH); gsub(/[()]|GLIBC_/, "", v)
			if (newer(v, max)) print $NF "@GLIBC_" v
		}')
	[ -z "$too_new" ] || bad "$name needs glibc > $glibc_max: $(printf '%s' "$too_new" | oneline)"
	newest=$(printf '%s\n' "$syms" | grep -oE 'GLIBC_[0-9][0-9.]*' | sort -t. -k1,1 -k2,2n -k3,3n -u | tail -n 1)
	echo "layer: $name: NEEDED $(printf '%s' "$needed" | oneline); newest symbol version ${newest:-none} (max GLIBC_$glibc_max)"
}
check_binary "$stage/fnshield/lib/libfnshield.so" "fnshield/lib/libfnshield.so"
check_binary "$stage/fnshield/bin/fnshield" "fnshield/bin/fnshield"
if libcheck=$(sh tests/check-library.sh "$stage/fnshield/lib/libfnshield.so"); then
	printf '%s\n' "$libcheck" | grep -v ' passed, ' | sed 's/^/layer: /'
else
	printf '%s\n' "$libcheck" | grep -v ' passed, ' >&2
	bad "fnshield/lib/libfnshield.so: tests/check-library.sh failed"
fi
check_binary "$stage/fnshield-exec" "fnshield-exec"
if $objdump_ -p "$stage/fnshield-exec" | grep -qE '^ *(INTERP|NEEDED)[[:space:]]'; then
	bad "fnshield-exec is not statically linked (it must start without a dynamic loader)"
fi
if [ "$fail" != 0 ]; then
	echo "layer: $arch archive not written" >&2
	exit 1
fi

# ---- zip ---------------------------------------------------------------------------------
# Files in a fixed order with a fixed date: the same inputs give the same archive.
out="$PWD/build/fnshield-layer-$arch.zip"
rm -f "$out"
find "$stage" -exec touch -h -d '2020-01-01T00:00:00Z' {} +
(cd "$stage" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | zip -q -X -@ "$out")
echo "layer: $out ($(wc -c <"$out" | tr -d ' ') bytes)"
