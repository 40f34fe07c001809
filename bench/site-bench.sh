#!/usr/bin/env bash
# crawl against wget2 on a real site: a Debian package's HTML documentation
# served by nginx on loopback, `crawl` into SQLite and `wget2 -r` (which
# writes files), runs alternated, REPEAT (3) of each. Prints each run's wall
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
repeat=${REPEAT:-3}
read -r -a crawl_opts <<< "${CRAWL_OPTS:-}"

sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
nginx_bin=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
if [ -z "$nginx_bin" ]; then
  apt_install nginx || apt_install nginx-light
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
fi
command -v wget2 >/dev/null || apt_install wget2
command -v python3 >/dev/null || apt_install python3
[ -x /usr/bin/time ] || apt_install time
case "$doc" in
  /usr/share/doc/python3.11/*) [ -f "$doc/index.html" ] || apt_install python3.11-doc ;;
  /usr/share/doc/postgresql-doc-15/*) [ -f "$doc/index.html" ] || apt_install postgresql-doc-15 ;;
esac
[ -f "$doc/index.html" ] || { echo "site-bench: no $doc/index.html" >&2; exit 2; }

tmp=$(mktemp -d /tmp/site-bench.XXXXXX)
chmod 755 "$tmp"
nginx_pid=""
cleanup() { [ -z "$nginx_pid" ] || { kill -QUIT "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; }; rm -rf "$tmp"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/nginx"
cat > "$tmp/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server { listen 127.0.0.1:$port; root $doc; }
}
CONF
"$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
nginx_pid=$!
for _ in $(seq 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.1)" 2>/dev/null && break; sleep 0.05; done
root="http://127.0.0.1:$port/index.html"
echo "$root" > "$tmp/urls.txt"
echo "site: $doc on nginx at 127.0.0.1:$port; crawl ${crawl_opts[*]} (SQLite) against $(wget2 --version 2>/dev/null | head -1)"

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
