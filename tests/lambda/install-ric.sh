#!/bin/sh
# Build the official Node.js Lambda runtime interface client (npm: aws-lambda-ric) once and
# cache it under build/lambda-ric/<version>/, so the end-to-end tests stay fast.
#
# Usage: tests/lambda/install-ric.sh [VERSION]      (default 3.3.0; 4.x needs Node.js 22)
# Prints the package directory (.../node_modules/aws-lambda-ric) as its last line.
#
# aws-lambda-ric compiles native code at install time: its scripts/preinstall.sh builds a
# static libcurl and aws-lambda-cpp from tarballs shipped inside the package (cmake, autoconf,
# automake, libtool, g++, make), and scripts/postinstall.sh runs `node-gyp rebuild` for
# dist/rapid-client.node. npm 11 does not run a dependency's install scripts unless they are
# approved, so the package is installed with --ignore-scripts and the two scripts are run here,
# the way npm would run them (from the package directory). node-gyp gets the headers of the
# installed Node.js (nodedir=/usr): nothing is fetched outside the npm registry.
#
# The build happens in a scratch directory next to the cache and is renamed into place only
# when complete, under a lock, so an interrupted or concurrent run never leaves half a cache.
set -eu

VERSION=${1:-${FNSHIELD_RIC_VERSION:-3.3.0}}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE_ROOT=${FNSHIELD_RIC_CACHE:-$ROOT/build/lambda-ric}
DEST=$CACHE_ROOT/$VERSION
PKG=$DEST/node_modules/aws-lambda-ric
NODE=${NODE:-/usr/bin/node}
NPM=${NPM:-npm}

say() { echo "install-ric: $*" >&2; }

complete() {
	[ -f "$DEST/.complete" ] && [ -f "$PKG/dist/rapid-client.node" ] && [ -f "$PKG/bin/index.mjs" ]
}

if complete; then
	say "aws-lambda-ric $VERSION cached in $DEST"
	echo "$PKG"
	exit 0
fi

mkdir -p "$CACHE_ROOT"
# One builder at a time; the others wait, then find the cache.
if command -v flock >/dev/null 2>&1 && [ -z "${FNSHIELD_RIC_LOCKED:-}" ]; then
	FNSHIELD_RIC_LOCKED=1 exec flock "$CACHE_ROOT/.lock" sh "$0" "$VERSION"
fi
if complete; then
	say "aws-lambda-ric $VERSION cached in $DEST (built by another run)"
	echo "$PKG"
	exit 0
fi

start=$(date +%s)

# ---- build tools (only those missing), as tools/deps.sh does ------------------------------
missing=""
for p in cmake autoconf automake libtool g++ make python3 nodejs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing Debian packages:$missing"
	sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
	$sudo_ apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends $missing >&2
fi
command -v "$NPM" >/dev/null 2>&1 || { say "npm not found"; exit 1; }

# ---- install without scripts, in a scratch directory ---------------------------------------
WORK=$CACHE_ROOT/.build-$VERSION-$$
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT INT TERM
LOGS=$CACHE_ROOT/logs-$VERSION             # kept here after a failure, moved into the cache after success
mkdir -p "$LOGS"
echo '{"name":"fnshield-lambda-ric","private":true}' > "$WORK/package.json"
say "npm install --ignore-scripts aws-lambda-ric@$VERSION (in $WORK)"
(cd "$WORK" && "$NPM" install --ignore-scripts --no-audit --no-fund --no-save \
	--loglevel=error "aws-lambda-ric@$VERSION" >&2)

P=$WORK/node_modules/aws-lambda-ric
[ -f "$P/scripts/preinstall.sh" ] && [ -f "$P/scripts/postinstall.sh" ] || {
	say "aws-lambda-ric@$VERSION has no scripts/preinstall.sh + postinstall.sh: not a version this script knows"
	exit 1
}

# The environment npm gives a lifecycle script, as far as these scripts use it.
JOBS=$(nproc 2>/dev/null || echo 2)
export MAKEFLAGS="-j$JOBS"                      # curl's and aws-lambda-cpp's make
export JOBS                                     # node-gyp's make
export PYTHON=/usr/bin/python3                  # node-gyp: Debian's interpreter, not a shim
export npm_config_python=/usr/bin/python3
if [ -f /usr/include/node/common.gypi ]; then
	export npm_config_nodedir=/usr              # headers of the installed Node.js, no download
fi
export PATH="$WORK/node_modules/.bin:$P/node_modules/.bin:$PATH"
export npm_package_name=aws-lambda-ric npm_package_version="$VERSION" npm_lifecycle_event=install

say "running scripts/preinstall.sh (static libcurl + aws-lambda-cpp; the slow part)"
t=$(date +%s)
(cd "$P" && npm_lifecycle_event=preinstall sh ./scripts/preinstall.sh) > "$LOGS/preinstall.log" 2>&1 || {
	tail -40 "$LOGS/preinstall.log" >&2; say "preinstall.sh failed (log above)"; exit 1; }
say "preinstall.sh done in $(( $(date +%s) - t )) s"

say "running scripts/postinstall.sh (node-gyp rebuild -> dist/rapid-client.node)"
t=$(date +%s)
(cd "$P" && npm_lifecycle_event=postinstall sh ./scripts/postinstall.sh) > "$LOGS/postinstall.log" 2>&1 || {
	tail -40 "$LOGS/postinstall.log" >&2; say "postinstall.sh failed (log above)"; exit 1; }
say "postinstall.sh done in $(( $(date +%s) - t )) s"

[ -f "$P/dist/rapid-client.node" ] || { say "no dist/rapid-client.node after postinstall"; exit 1; }
# Loads in this Node.js?
# (The addon builds its runtime client at load time from AWS_LAMBDA_RUNTIME_API.)
(cd "$P/dist" && AWS_LAMBDA_RUNTIME_API=127.0.0.1:9 "$NODE" -e 'require("./rapid-client.node")') || {
	say "dist/rapid-client.node does not load in $("$NODE" --version)"; exit 1; }

printf 'aws-lambda-ric %s\nnode %s\nbuilt %s in %s s\n' "$VERSION" "$("$NODE" --version)" \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(( $(date +%s) - start ))" > "$WORK/.complete"
rm -rf "$DEST"
mv "$WORK" "$DEST"
mv "$LOGS" "$DEST/logs" 2>/dev/null || true
trap - EXIT INT TERM
say "aws-lambda-ric $VERSION built in $(( $(date +%s) - start )) s, cached in $DEST"
echo "$PKG"
