#!/usr/bin/env bash
# crawl against wget2 on a real site: a Debian package's HTML documentation
# served by nginx on loopback, `crawl` into SQLite and `wget2 -r` (which
# writes files), runs alternated, REPEAT (7) of each. Prints each run's wall
# and CPU seconds (user + system, from GNU time) and CPU ms per page, then the
# medians and crawl's ratios to wget2 (issue 13's goal: CPU per page <= 1x,
# wall <= 0.8x).
#
#   bench/site-bench.sh [path/to/crawl]        # default: build/crawl
#   DOC=/usr/share/doc/postgresql-doc-15/html REPEAT=5 bench/site-bench.sh
#   CRAWL_OPTS="--mode threads --html-parser libxml2" bench/site-bench.sh
#
# DOC defaults to the Python 3.11 documentation (python3.11-doc: ~500 pages
# reachable from index.html, 50 MB of HTML). Both get 16 connections at
# once: crawl --concurrency 16 --per-host 16 --delay 0 --max-depth 1000000,
# wget2 -r -l inf --no-robots --max-threads=16. Pages: crawl's from its run
# record, wget2's the files it saved. Installs what is missing: nginx (or
# nginx-light), wget2, the doc package, python3, time. Sends traffic only to
# 127.0.0.1.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
crawl=$(realpath "${1:-$repo/build/crawl}")
[ -x "$crawl" ] || { echo "site-bench: no executable $crawl (build it with ./setup.sh)" >&2; exit 2; }
doc=${DOC:-/usr/share/doc/python3.11/html}
repeat=${REPEAT:-7}
read -r -a crawl_opts <<< "${CRAWL_OPTS:-}"

. "$repo/bench/doc-site.sh"
command -v wget2 >/dev/null || apt_install wget2
[ -x /usr/bin/time ] || apt_install time
doc_site_start site-bench "$doc"
echo "crawl ${crawl_opts[*]} (SQLite) against $(wget2 --version 2>/dev/null | head -1)"

timed() {  # timed OUT CMD...: runs CMD, prints "wall cpu" into OUT
  /usr/bin/time -f "%e %U %S" -o "$1.time" "${@:2}" >/dev/null 2>"$1.err" || true
  tail -1 "$1.time" | awk '{printf "%s %.3f\n", $1, $2 + $3}' > "$1"
}
lines=()
for i in $(seq "$repeat"); do
  rm -rf "$tmp/run" && mkdir -p "$tmp/run"
  timed "$tmp/run/crawl" "$crawl" "$tmp/urls.txt" --out "$tmp/run/crawl.db" --quiet --max-depth 1000000 --delay 0 \
    --per-host 16 --concurrency 16 "${crawl_opts[@]}"
  pages=$("$crawl" runs "$tmp/run/crawl.db" --json | python3 -c "import json,sys; r=json.load(sys.stdin); r=r[-1] if isinstance(r,list) else r; print(r['pages'])")
  read -r wall cpu < "$tmp/run/crawl"
  lines+=("crawl $pages $wall $cpu"); echo "crawl: $pages pages, wall $wall s, CPU $cpu s = $(python3 -c "print(f'{1000*$cpu/$pages:.3f}')") ms/page"
  rm -rf "$tmp/run" && mkdir -p "$tmp/run"
  timed "$tmp/run/wget2" wget2 -r -l inf --no-robots --max-threads=16 --tries=1 -q -P "$tmp/run/w" "$root"
  pages=$(find "$tmp/run/w" -type f | wc -l)
  read -r wall cpu < "$tmp/run/wget2"
  lines+=("wget2 $pages $wall $cpu"); echo "wget2: $pages pages, wall $wall s, CPU $cpu s = $(python3 -c "print(f'{1000*$cpu/$pages:.3f}')") ms/page"
done
printf '%s\n' "${lines[@]}" | python3 -c "
import statistics, sys
m = {}
for line in sys.stdin:
    who, pages, wall, cpu = line.split(); m.setdefault(who, []).append((int(pages), float(wall), float(cpu)))
med = {w: (statistics.median(p for p, _, _ in v), statistics.median(x for _, x, _ in v), statistics.median(1000 * c / p for p, _, c in v)) for w, v in m.items()}
for w, (p, wall, ms) in med.items(): print(f'median {w}: {p:.0f} pages, wall {wall:.2f} s, CPU {ms:.3f} ms/page')
print(f'crawl / wget2: wall {med[\"crawl\"][1] / med[\"wget2\"][1]:.2f}x, CPU per page {med[\"crawl\"][2] / med[\"wget2\"][2]:.2f}x')"
