#!/usr/bin/env bash
# What --warc costs on a real site: a Debian package's HTML documentation
# served by nginx on loopback, crawled into SQLite with and without --warc
# (a fresh prefix each time: no revisits), runs alternated, REPEAT (3)
# pairs. Prints CPU ms per page (the run's cpu_s / pages from `crawl runs
# --json`), wall seconds and the WARC bytes per page, then the medians.
#
#   bench/warc-bench.sh [path/to/crawl]          # default: build/crawl
#   DOC=/usr/share/doc/python3.11/html REPEAT=5 CRAWL_OPTS="--mode threads" bench/warc-bench.sh
#   WARC_OPTS="--warc-gzip-level 6" bench/warc-bench.sh
#   GZIP=1 bench/warc-bench.sh                   # nginx sends HTML gzip-encoded (gzip on), as most sites do
#   SITE=bench bench/warc-bench.sh               # crawl bench's in-process site instead
#
# SITE=bench: pairs of `crawl bench --strategies "threads:128 fibers:128"
# --repeat 1 [-- --warc DIR/c …]` (3584 pages of 16 KiB), CPU ms/page per
# strategy. (crawl bench --repeat N with --warc would archive runs 2…N as
# revisits of run 1: the pages do not change.)
#
# DOC defaults to the PostgreSQL 15 manual (postgresql-doc-15: 1169 HTML
# pages, 16 MB). Installs what is missing: nginx (or nginx-light),
# postgresql-doc-15, python3. Sends traffic only to 127.0.0.1.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
crawl=$(realpath "${1:-$repo/build/crawl}")
[ -x "$crawl" ] || { echo "warc-bench: no executable $crawl (build it with ./setup.sh)" >&2; exit 2; }
doc=${DOC:-/usr/share/doc/postgresql-doc-15/html}
repeat=${REPEAT:-3}
read -r -a crawl_opts <<< "${CRAWL_OPTS:---mode fibers}"
read -r -a warc_opts <<< "${WARC_OPTS:-}"

if [ "${SITE:-}" = bench ]; then
  tmp=$(mktemp -d /tmp/warc-bench.XXXXXX); trap 'rm -rf "$tmp"' EXIT
  out=()
  for i in $(seq "$repeat"); do
    for how in plain --warc; do
      rm -rf "$tmp/arc" && mkdir -p "$tmp/arc"
      extra=(); [ "$how" = plain ] || extra=(-- --warc "$tmp/arc/c" "${warc_opts[@]}")
      while read -r line; do out+=("$how $line"); echo "$how $line"; done < <(
        "$crawl" bench --strategies "threads:128 fibers:128" --repeat 1 "${extra[@]}" 2>&1 |
          awk '/^(threads|fibers):128 / {print $1, $10 " CPU ms/page", $11 " peak MiB"}')
    done
  done
  printf '%s\n' "${out[@]}" | python3 -c "
import statistics, sys
m = {}
for line in sys.stdin:
    how, strategy, ms = line.split()[:3]; m.setdefault((strategy, how), []).append(float(ms))
for s in ('threads:128', 'fibers:128'):
    p, w = statistics.median(m[(s, 'plain')]), statistics.median(m[(s, '--warc')])
    print(f'median {s}: plain {p:.3f}, --warc {w:.3f} CPU ms/page: +{100*(w/p-1):.0f}%')"
  exit 0
fi

. "$repo/bench/doc-site.sh"
gzip=off; [ -z "${GZIP:-}" ] || gzip=on
doc_site_start warc-bench "$doc" "$gzip"
echo "crawl ${crawl_opts[*]} --max-depth 100 --delay 0 --per-host 8 --concurrency 16; --warc ${warc_opts[*]}"

run() {  # run NAME EXTRA...: one crawl into a fresh database; prints its line
  local name=$1; shift
  rm -rf "$tmp/run" && mkdir -p "$tmp/run/arc"
  local start end
  start=$(date +%s.%N)
  "$crawl" "$tmp/urls.txt" --out "$tmp/run/crawl.db" --quiet --max-depth 100 --delay 0 --per-host 8 \
    --concurrency 16 "${crawl_opts[@]}" "$@" >/dev/null 2>"$tmp/run/err.txt" || true
  end=$(date +%s.%N)
  local warc_bytes=0
  compgen -G "$tmp/run/arc/*.warc.gz" >/dev/null && warc_bytes=$(cat "$tmp/run/arc/"*.warc.gz | wc -c)
  "$crawl" runs "$tmp/run/crawl.db" --json | python3 -c "
import json, sys
r = json.load(sys.stdin)
r = r[-1] if isinstance(r, list) else r
pages = r['pages']; cpu = r['cpu_s']
print(f'$name {pages} pages, CPU {cpu:.2f} s = {1000*cpu/pages:.3f} ms/page, wall {$end-$start:.2f} s, WARC {$warc_bytes/pages/1024:.1f} KiB/page')"
}
results=()
for i in $(seq "$repeat"); do
  results+=("$(run "plain:")"); echo "${results[-1]}"
  results+=("$(run "--warc:" --warc "$tmp/run/arc/c" "${warc_opts[@]}")"); echo "${results[-1]}"
done
printf '%s\n' "${results[@]}" | python3 -c "
import re, statistics, sys
m = {}
for line in sys.stdin:
    k = line.split()[0]; m.setdefault(k, []).append(float(re.search(r'= ([0-9.]+) ms/page', line).group(1)))
p, w = statistics.median(m['plain:']), statistics.median(m['--warc:'])
print(f'median CPU ms/page: plain {p:.3f}, --warc {w:.3f}: +{100*(w/p-1):.0f}%')"
