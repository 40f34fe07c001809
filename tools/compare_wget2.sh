#!/usr/bin/env bash
# Crawls a real documentation site served from loopback with crawl and with
# wget2 -r, and compares the sets of HTML pages each found.
#
#   tools/compare_wget2.sh [DOC_DIR] [MODE]
#
# DOC_DIR defaults to the SQLite documentation (Debian package sqlite3-doc,
# ~760 pages; installed if missing, as is wget2); MODE to threads. Exits 1
# if the sets differ.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/doc-site.sh  # apt_install
doc="${1:-/usr/share/doc/sqlite3}"
mode="${2:-threads}"
# /usr/share/doc/sqlite3 exists without the documentation (the sqlite3
# package's changelog): look for its index.
if [ ! -f "$doc/index.html" ] && [ "$doc" = /usr/share/doc/sqlite3 ]; then apt_install sqlite3-doc; fi
[ -f "$doc/index.html" ] || { echo "compare_wget2: no $doc/index.html" >&2; exit 2; }
command -v wget2 >/dev/null || apt_install wget2
work=$(mktemp -d); trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
build/crawl-testserver --root "$doc" --address 127.0.3.1 > "$work/roots.txt" 2>/dev/null & server=$!
for _ in $(seq 50); do [ -s "$work/roots.txt" ] && break; sleep 0.1; done
root=$(head -1 "$work/roots.txt")

start=$(date +%s.%N)
wget2 -r -l inf --no-robots -q -P "$work/wget2" "$root" || true   # exit 8: the docs have broken links
wget2_s=$(echo "$(date +%s.%N) - $start" | bc)
(cd "$work/wget2"/*/ && find . -type f -name '*.html' | sed 's|^\./||' | sort) > "$work/wget2.txt"

start=$(date +%s.%N)
build/crawl "$work/roots.txt" --mode "$mode" --max-depth 1000000 --out "$work/crawl.db" --quiet --log-level error >/dev/null || true
crawl_s=$(echo "$(date +%s.%N) - $start" | bc)
sqlite3 "$work/crawl.db" "SELECT url FROM pages WHERE status = 200 AND content_type LIKE 'text/html%'" |
  sed "s|^$root||; s|^\$|index.html|" | sort -u > "$work/crawl.txt"

echo "wget2 -r: $(wc -l < "$work/wget2.txt") HTML pages in ${wget2_s} s"
echo "crawl:    $(wc -l < "$work/crawl.txt") HTML pages in ${crawl_s} s"
if diff "$work/wget2.txt" "$work/crawl.txt" > "$work/diff.txt"; then
  echo "same page set"
else
  echo "page sets differ (< wget2 only, > crawl only):"; head -40 "$work/diff.txt"; exit 1
fi
