#!/usr/bin/env bash
# Installs what crawl needs from Debian 12's packages (only what is missing,
# quietly) and builds it in Release into build/ (crawl is build/crawl).
#
#   ./setup.sh                          # Release build in build/
#   CRAWL_SANITIZE=address ./setup.sh   # ASan+UBSan build in build-address/
#   CRAWL_SANITIZE=thread ./setup.sh    # TSan build in build-thread/
set -euo pipefail
cd "$(dirname "$0")"

packages=(cmake g++ make pkg-config libcurl4-openssl-dev libboost1.81-dev libboost-url1.81-dev
          libxml2-dev libsqlite3-dev libspdlog-dev libcli11-dev libtomlplusplus-dev libgtest-dev
          zlib1g-dev libbrotli-dev sqlite3 libidn2-dev libpsl-dev libxxhash-dev libssl-dev nodejs
          libgumbo-dev libdeflate-dev libisal-dev
          # HTML corpora of tests/web/links_differential_test.cpp (thousands of real pages)
          python3.11-doc postgresql-doc-15 git-doc)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm runs the tests' WARC reader (warcio.js). Debian's npm package, unless
# the nodejs installed carries its own npm (NodeSource's does).
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

sanitize="${CRAWL_SANITIZE:-}"
build_dir="${BUILD_DIR:-build${sanitize:+-$sanitize}}"
build_type=Release; [ -n "$sanitize" ] && build_type=RelWithDebInfo
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" -DCRAWL_SANITIZE="$sanitize" >/dev/null
cmake --build "$build_dir" -j"$(nproc)" -- --no-print-directory 2>&1 | grep -vE '^\[ *[0-9]+%\]|^Consolidate|^Scanning' || true
test -x "$build_dir/crawl" || { echo "setup: build failed" >&2; exit 1; }
# The WARC tests' independent reader: warcio.js at the version locked in
# tools/warcio/package-lock.json, installed into tools/warcio/node_modules.
if [ ! -f tools/warcio/node_modules/.package-lock.json ] ||
   ! cmp -s tools/warcio/package-lock.json tools/warcio/node_modules/.crawl-lock; then
  (cd tools/warcio && npm ci --no-audit --no-fund --silent >/dev/null && cp package-lock.json node_modules/.crawl-lock) ||
    { echo "setup: npm ci in tools/warcio failed" >&2; exit 1; }
fi
echo "setup: built $build_dir/crawl" >&2
