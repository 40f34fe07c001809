#!/usr/bin/env bash
# Benchmark of scheduled batch crawling: the same crawl run again and again on
# one database against a real static site served by nginx on loopback.
#
#   bench/batch-bench.sh [path/to/crawl]     # default: build/crawl
#   KEEP=1 bench/batch-bench.sh              # keep the temp dir (site, DBs, logs)
#   CRAWL_OPTS="--per-host 2" bench/batch-bench.sh
#   RATE=1m bench/batch-bench.sh             # nginx paces each response at 1 MiB/s
#
# The site is the PostgreSQL 15 manual, Debian package postgresql-doc-15: 1169
# HTML pages (16 MB) all reachable from index.html, plus 3 SVGs and a
# stylesheet, nothing else; a 2 MB download with no dependencies, so it
# installs in seconds. (debian-reference-en has only 15 pages; python3.11-doc
# is a 12 MB download, half of it not HTML; sqlite3-doc is already used by
# tools/compare_wget2.sh and has 200 non-HTML files.) If dpkg's path-exclude
# drops /usr/share/doc, the package is unpacked with dpkg-deb -x instead.
#
# What it does (every step prints a line of figures, a summary at the end):
#  1. batch 1 on server 1 (nginx: etag on, if_modified_since exact, so it
#     answers If-None-Match / If-Modified-Since with 304);
#  2. batch 2, site unchanged: body bytes sent (>= 95% fewer than batch 1),
#     wall-time ratio (<= 1/3), 304s, and every served file's stored body
#     equal to the file (and its digest column = sha1:BASE32 of the file);
#  3. every 10th HTML file (sorted by path, 1st, 11th, ...) gets
#     "<!-- changed 3 -->" before </body> and a later mtime; batch 3:
#     `crawl changes --json` must report exactly those URLs "changed";
#  4. server 2 (same tree; etag off, if_modified_since off, and
#     add_header ETag "\"$request_id\"", which nginx 1.22 applies to static
#     files: a new ETag on every response and no 304 ever — checked at
#     start) with its own DB: batch A, then every 10th HTML file from the
#     6th (other pages than in step 3) changed, batch B:
#     exactly those "changed" (the digest decides, not the ETag);
#  5. server 1 again: a sync batch (must report exactly step 4's pages changed),
#     nginx stopped, a batch (errors expected, at most one per page), every
#     stored body and digest must survive; nginx started again, a batch: every page "recovered".
# Crawl command: crawl URLS --out DB --max-depth 100 --quiet --delay 0
# --per-host 4 (CRAWL_OPTS replaces "--delay 0 --per-host 4"). Wall time is
# the crawl process's, measured here; "crawl s" and CPU are the run's
# elapsed_s and cpu_s from `crawl runs DB --json`. Bytes are the sum of
# nginx's $body_bytes_sent over the batch's access log (truncated before each
# batch). Checks whose command the binary lacks (`crawl changes`, the digest
# column) print SKIP. Exit 1 if any check fails. Under a minute on 2 cores.
# On loopback a body costs next to nothing to send, so a batch of 304s is
# about as long as a batch of 200s: the time goes into the per-page work a 304
# does not save (a request, reading and parsing the stored copy for its links,
# the fetch record). RATE (nginx limit_rate: each response sent at RATE
# bytes/s) models a link where the bytes cost time.
# Installs what is missing: nginx (or nginx-light), postgresql-doc-15,
# sqlite3, python3 (reads the JSON, computes SHA-1s). Sends traffic only to
# 127.0.0.1.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
crawl=${1:-$repo/build/crawl}
[ -x "$crawl" ] || { echo "batch-bench: no executable $crawl (build it with ./setup.sh)" >&2; exit 2; }
crawl=$(realpath "$crawl")
read -r -a crawl_opts <<< "${CRAWL_OPTS:---delay 0 --per-host 4}"
doc_pkg=postgresql-doc-15
doc_dir=/usr/share/doc/$doc_pkg/html

# ---------------------------------------------------------------- packages
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_updated=""
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$apt_updated" ] || { $sudo apt-get update -qq; apt_updated=1; }
  echo "batch-bench: installing $*" >&2
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
nginx_bin=$(command -v nginx || true); [ -n "$nginx_bin" ] || { [ -x /usr/sbin/nginx ] && nginx_bin=/usr/sbin/nginx; } || true
if [ -z "$nginx_bin" ]; then
  apt_install nginx || apt_install nginx-light   # Debian 12's nginx-light is nginx + one module
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
fi
command -v sqlite3 >/dev/null || apt_install sqlite3
command -v python3 >/dev/null || apt_install python3
if [ ! -f "$doc_dir/index.html" ]; then
  dpkg-query -W -f='${Status}' "$doc_pkg" 2>/dev/null | grep -q "install ok installed" || apt_install "$doc_pkg"
fi

tmp=$(mktemp -d /tmp/batch-bench.XXXXXX)
chmod 755 "$tmp"   # nginx's workers (www-data) read the site
nginx_pid=""
stop_nginx() {
  [ -n "$nginx_pid" ] || return 0
  kill -QUIT "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=""
}
cleanup() {
  stop_nginx
  if [ "${KEEP:-0}" = 1 ]; then echo "batch-bench: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -f "$doc_dir/index.html" ]; then   # /usr/share/doc excluded by dpkg: unpack the package ourselves
  (cd "$tmp" && apt-get download -qq "$doc_pkg" >/dev/null && dpkg-deb -x ./"$doc_pkg"_*.deb pkg)
  doc_dir=$tmp/pkg/usr/share/doc/$doc_pkg/html
fi
mkdir -p "$tmp/site" "$tmp/nginx"
cp -a "$doc_dir/." "$tmp/site/"
chmod -R a+rX "$tmp/site"

# ---------------------------------------------------------------- helper
cat > "$tmp/helper.py" <<'PY'
import base64, hashlib, json, os, shlex, socket, sqlite3, sys, time, urllib.parse, urllib.request

def digest(b):
    return "sha1:" + base64.b32encode(hashlib.sha1(b).digest()).decode().rstrip("=")

def out(**kv):
    print(" ".join(f"{k}={shlex.quote(str(v))}" for k, v in kv.items()))

def rel(url, base):
    if not url.startswith(base + "/"):
        return None
    p = urllib.parse.unquote(urllib.parse.urlsplit(url).path).lstrip("/")
    return p + "index.html" if p == "" or p.endswith("/") else p

def stored(db):
    """url -> (body, digest column or None) of the pages with status 200 and a body."""
    con = sqlite3.connect(db)
    has_digest = "digest" in [r[1] for r in con.execute("pragma table_info(pages)")]
    q = "select url, body, %s from pages where status = 200 and body is not null" % ("digest" if has_digest else "null")
    rows = {u: (bytes(b), d) for u, b, d in con.execute(q)}
    con.close()
    return rows, has_digest

def lines(path):
    with open(path) as f:
        return [l.rstrip("\n") for l in f if l.strip()]

def log_entries(path):
    # format: $status $body_bytes_sent $request_uri "$http_if_none_match" "$http_if_modified_since"
    for l in lines(path):
        f = l.split(" ")
        yield int(f[0]), int(f[1]), f[2], not (f[3] == '"-"' and f[4] == '"-"')

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "freeports":
    socks = [socket.socket() for _ in range(2)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    print(*[s.getsockname()[1] for s in socks])
elif cmd == "wait":          # PORT [up|down]
    port, want = int(args[0]), args[1]
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close(); up = True
        except OSError:
            up = False
        if up == (want == "up"):
            sys.exit(0)
        time.sleep(0.05)
    sys.exit(1)
elif cmd == "probe":         # BASE1 BASE2: server 1 answers 304, server 2 never, with a new ETag each time
    def get(url, hdrs={}):
        try:
            r = urllib.request.urlopen(urllib.request.Request(url, headers=hdrs), timeout=5)
            return r.status, r.headers.get("ETag"), r.headers.get("Last-Modified")
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("ETag"), e.headers.get("Last-Modified")
    s, e1, lm = get(args[0] + "/index.html")
    s304, _, _ = get(args[0] + "/index.html", {"If-None-Match": e1, "If-Modified-Since": lm})
    sa, ea, lma = get(args[1] + "/index.html")
    sb, eb, _ = get(args[1] + "/index.html", {"If-None-Match": ea, "If-Modified-Since": lma})
    out(s1=s, s1cond=s304, etag1=e1, s2=sa, s2cond=sb, etag2a=ea, etag2b=eb,
        ok=int(s == 200 and s304 == 304 and sa == 200 and sb == 200 and bool(ea) and ea != eb))
elif cmd == "logstats":      # LOG
    req = s200 = s304 = other = nbytes = cond = 0
    for st, b, uri, c in log_entries(args[0]):
        req += 1; nbytes += b; cond += c
        if st == 200: s200 += 1
        elif st == 304: s304 += 1
        else: other += 1
    out(req=req, s200=s200, s304=s304, other=other, bytes=nbytes, cond=cond)
elif cmd == "served":        # LOG OUT: the files served with 200
    files = sorted({urllib.parse.unquote(urllib.parse.urlsplit(uri).path).lstrip("/") or "index.html"
                    for st, b, uri, c in log_entries(args[0]) if st == 200})
    with open(args[1], "w") as f:
        f.writelines(p + "\n" for p in files)
    out(n=len(files))
elif cmd == "runstat":       # RUNS_BEFORE < crawl runs --json
    runs = json.load(sys.stdin)
    if len(runs) > int(args[0]):
        r = runs[-1]
        out(runs=len(runs), elapsed="%.2f" % r["elapsed_s"], cpu="%.2f" % (r.get("cpu_s") or 0), outcome=r.get("outcome"),
            errors=r.get("errors", "-"))
    else:
        out(runs=len(runs), elapsed="-", cpu="-", outcome="no-run-recorded", errors="-")
elif cmd == "check":         # DB SITE BASE SERVED: every served file stored, body (and digest) = the file
    db, site, base, served = args
    rows, has_digest = stored(db)
    by_rel = {rel(u, base): v for u, v in rows.items()}
    missing = mism = dmism = dbad = 0
    for p in lines(served):
        with open(os.path.join(site, p), "rb") as f:
            data = f.read()
        if p not in by_rel:
            missing += 1; continue
        body, d = by_rel[p]
        mism += body != data
        if has_digest:
            dmism += d != digest(data)
            dbad += not (isinstance(d, str) and len(d) == 37 and d.startswith("sha1:"))
    out(files=len(lines(served)), stored=len(rows), missing=missing, mismatch=mism,
        dmismatch=dmism if has_digest else "-", dbad=dbad if has_digest else "-", has_digest=int(has_digest))
elif cmd == "modify":        # SITE SERVED OFFSET TAG OUT: every 10th HTML file from OFFSET
    site, served, offset, tag, outp = args
    html = sorted(p for p in lines(served) if p.endswith(".html"))
    picked = [p for i, p in enumerate(html) if i % 10 == int(offset)]
    now = time.time()
    for p in picked:
        path = os.path.join(site, p)
        with open(path, "rb") as f:
            data = f.read()
        mark = b"<!-- changed %s -->\n" % tag.encode()
        i = data.lower().rfind(b"</body>")
        data = data[:i] + mark + data[i:] if i >= 0 else data + mark
        old = os.stat(path).st_mtime
        with open(path, "wb") as f:
            f.write(data)
        t = int(max(now, old)) + 2    # a later Last-Modified (and ETag) than before
        os.utime(path, (t, t))
    with open(outp, "w") as f:
        f.writelines(p + "\n" for p in picked)
    out(n=len(picked), of=len(html))
elif cmd == "changes":       # JSON DB BASE KIND EXPECTED(file of paths | "all")
    js, db, base, kind, expected = args
    with open(js) as f:
        rep = json.load(f)
    rows, _ = stored(db)
    if expected == "all":
        exp = set(rows)
    else:
        want = set(lines(expected))
        exp = {u for u in rows if rel(u, base) in want}
    got = {p["url"] for p in rep.get("pages", []) if p.get("change") == kind}
    c = rep.get("counts", {})
    out(counts=" ".join(f"{k}={c.get(k)}" for k in ("new", "changed", "unchanged", "recovered", "failing", "gone")),
        reported=len(got), expected=len(exp), fp=len(got - exp), fn=len(exp - got), run=rep.get("run"),
        outcome=rep.get("outcome"))
    for u in sorted(got - exp)[:5]: print("#   false positive:", u, file=sys.stderr)
    for u in sorted(exp - got)[:5]: print("#   false negative:", u, file=sys.stderr)
elif cmd == "snapshot":      # DB OUT: url -> [digest column, SHA-1 of the body]
    rows, _ = stored(args[0])
    with open(args[1], "w") as f:
        json.dump({u: [d, digest(b)] for u, (b, d) in rows.items()}, f)
    out(n=len(rows))
elif cmd == "snapcmp":       # DB SNAP: pages lost, digests or bodies altered since the snapshot
    rows, _ = stored(args[0])
    now = {u: [d, digest(b)] for u, (b, d) in rows.items()}
    with open(args[1]) as f:
        before = json.load(f)
    out(before=len(before), after=len(now), lost=len(set(before) - set(now)),
        altered=sum(1 for u in before if u in now and now[u] != before[u]))
else:
    sys.exit("helper: unknown command " + cmd)
PY
python=$(python3 -c 'import sys; print(sys.executable)')   # the interpreter itself, not a (slow) shim
python3() { "$python" "$@"; }
py() { "$python" "$tmp/helper.py" "$@"; }

# ---------------------------------------------------------------- nginx
read -r port1 port2 <<< "$(py freeports)"
base1=http://127.0.0.1:$port1 base2=http://127.0.0.1:$port2
mime=/etc/nginx/mime.types
rate_conf=""; [ -n "${RATE:-}" ] && rate_conf=$'\n    limit_rate '"$RATE;"
cat > "$tmp/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
  $( [ -f "$mime" ] && echo "include $mime;" || echo "types { text/html html; text/css css; image/svg+xml svg; }" )
  default_type application/octet-stream;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  log_format bench '\$status \$body_bytes_sent \$request_uri "\$http_if_none_match" "\$http_if_modified_since"';
  # server 1: answers conditional requests (ETag "mtime-size", Last-Modified, 304)
  server {
    listen 127.0.0.1:$port1;
    root $tmp/site;
    access_log $tmp/nginx/access1.log bench;$rate_conf
    etag on;
    if_modified_since exact;
  }
  # server 2: same tree, never 304, a new ETag on every response
  server {
    listen 127.0.0.1:$port2;
    root $tmp/site;
    access_log $tmp/nginx/access2.log bench;$rate_conf
    etag off;
    if_modified_since off;
    add_header ETag "\"\$request_id\"";
  }
}
EOF
start_nginx() {
  "$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
  nginx_pid=$!
  py wait "$port1" up && py wait "$port2" up || { cat "$tmp/nginx/error.log" >&2; echo "batch-bench: nginx did not start" >&2; exit 2; }
}
start_nginx
eval "$(py probe "$base1" "$base2")"
echo "nginx $("$nginx_bin" -v 2>&1 | sed 's|.*/||'): server 1 $base1 (index.html $s1, conditional $s1cond, ETag $etag1);" \
     "server 2 $base2 (index.html $s2, conditional $s2cond, ETags $etag2a then $etag2b)"
[ "$ok" = 1 ] || { echo "batch-bench: the servers do not behave as intended" >&2; exit 2; }
echo "$base1/index.html" > "$tmp/urls1.txt"
echo "$base2/index.html" > "$tmp/urls2.txt"
echo "site: $doc_pkg, $(find "$tmp/site" -name '*.html' | wc -l) HTML files, $(du -sh "$tmp/site" | cut -f1)B; crawl: $crawl"
echo "command: crawl URLS --out DB --max-depth 100 --quiet ${crawl_opts[*]}; nginx rate per response: ${RATE:-unlimited}"

has_changes=0; "$crawl" --help 2>/dev/null | grep -qE '^ *crawl changes' && has_changes=1
declare -A W C E R S2 S3 B P M RC ERR   # per batch: wall, cpu, crawl elapsed, requests, 200, 304, bytes, pages, DB MiB, exit code, errors
order=()
checks=()   # "name|figure|target|PASS/FAIL/SKIP"
failed=0
check() {   # name figure target condition(0/1/skip)
  local res=PASS
  case "$4" in 1) res=PASS ;; skip) res=SKIP ;; *) res=FAIL; failed=1 ;; esac
  checks+=("$1|$2|$3|$res")
}

# batch NAME DB URLS LOG: runs one batch, prints its line
batch() {
  local name=$1 db=$2 urls=$3 log=$4 rc=0 t0 t1 nruns=0
  [ -f "$db" ] && nruns=$("$crawl" runs "$db" --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' || echo 0)
  if [ "$name" != down ] && ! { [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; }; then
    echo "batch-bench: nginx is not running (see $tmp/nginx/error.log)" >&2; exit 2
  fi
  : > "$log"
  t0=$(date +%s.%N)
  timeout --foreground 600 "$crawl" "$urls" --out "$db" --max-depth 100 --quiet "${crawl_opts[@]}" > "$tmp/$name.out" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  W[$name]=$(python3 -c "print('%.2f' % ($t1 - $t0))")
  eval "$(py logstats "$log")"
  eval "$("$crawl" runs "$db" --json 2>/dev/null | py runstat "$nruns" || echo 'elapsed=- cpu=- outcome=- errors=-')"
  C[$name]=$cpu E[$name]=$elapsed R[$name]=$req S2[$name]=$s200 S3[$name]=$s304 B[$name]=$bytes RC[$name]=$rc ERR[$name]=$errors
  P[$name]=$(sqlite3 "$db" "select count(*) from pages where status = 200 and body is not null" 2>/dev/null || echo -)
  M[$name]=$(du -cm "$db"* 2>/dev/null | tail -1 | cut -f1)
  order+=("$name")
  printf '%-9s wall %5ss (crawl %5ss, CPU %5ss)  requests %4d (200: %4d, 304: %4d, other: %d, with validators: %d)  body bytes %9d  pages stored %4s  errors %s  DB %s MiB  exit %d (%s)\n' \
    "$name" "${W[$name]}" "$elapsed" "$cpu" "$req" "$s200" "$s304" "$other" "$cond" "$bytes" "${P[$name]}" "$errors" "${M[$name]}" "$rc" "$outcome"
  grep -E '^crawl: (completed|stopped|interrupted|failed)' "$tmp/$name.out" | head -1 | sed 's/^/          /' || true
}
# current NAME DB BASE SERVED: every served file stored and equal to the file
current() {
  eval "$(py check "$2" "$tmp/site" "$3" "$4")"
  local dtxt="digest column: none"
  [ "$has_digest" = 1 ] && dtxt="digest mismatches $dmismatch (malformed $dbad)"
  echo "          current: $((files - missing))/$files served files stored, body mismatches $mismatch, missing $missing, $dtxt"
  check "$1: served files stored and equal to the file" "missing $missing, mismatches $mismatch" "0, 0" $(( missing == 0 && mismatch == 0 ))
  if [ "$has_digest" = 1 ]; then
    check "$1: digest = sha1:BASE32 of the file" "$dmismatch wrong, $dbad malformed" "0" $(( dmismatch == 0 && dbad == 0 ))
  else
    check "$1: digest = sha1:BASE32 of the file" "no digest column" "0" skip
  fi
}
# changes NAME DB BASE KIND EXPECTED: crawl changes --json vs the expected set
changes() {
  if [ "$has_changes" = 0 ]; then
    echo "          crawl changes: not in this binary"
    check "$1: exactly the expected pages $4" "crawl changes missing" "FP 0, FN 0" skip
    return
  fi
  local rc=0
  "$crawl" changes "$2" --json > "$tmp/$1.changes.json" 2> "$tmp/$1.changes.err" || rc=$?
  if [ "$rc" != 0 ]; then
    echo "          crawl changes failed (exit $rc): $(head -1 "$tmp/$1.changes.err")"
    check "$1: exactly the expected pages $4" "crawl changes exit $rc" "FP 0, FN 0" 0
    return
  fi
  eval "$(py changes "$tmp/$1.changes.json" "$2" "$3" "$4" "$5")"
  echo "          crawl changes (run $run, $outcome): $counts; \"$4\": $reported reported, $expected expected, false positives $fp, false negatives $fn"
  check "$1: exactly the expected pages $4" "$reported of $expected, FP $fp, FN $fn" "FP 0, FN 0" $(( fp == 0 && fn == 0 ))
}
log1=$tmp/nginx/access1.log log2=$tmp/nginx/access2.log
db1=$tmp/db1.sqlite db2=$tmp/db2.sqlite

echo
echo "== 1. batch 1 (server 1)"
batch batch1 "$db1" "$tmp/urls1.txt" "$log1"
py served "$log1" "$tmp/served1.txt" > /dev/null
current batch1 "$db1" "$base1" "$tmp/served1.txt"

echo "== 2. batch 2, site unchanged"
batch batch2 "$db1" "$tmp/urls1.txt" "$log1"
read -r saved ratio eratio <<< "$(python3 -c "
b1, b2, w1, w2, e1, e2 = ${B[batch1]}, ${B[batch2]}, ${W[batch1]}, ${W[batch2]}, '${E[batch1]}', '${E[batch2]}'
print('%.1f' % (100 * (1 - b2 / b1) if b1 else 0), '%.2f' % (w2 / w1), '%.2f' % (float(e2) / float(e1)) if '-' not in (e1, e2) else '-')")"
echo "          vs batch 1: body bytes ${B[batch2]} vs ${B[batch1]} ($saved% fewer), wall time ratio $ratio (crawl's own elapsed: $eratio), 304s ${S3[batch2]}"
check "batch2: body bytes fewer than batch 1" "$saved%" ">= 95%" "$(python3 -c "print(int($saved >= 95))")"
check "batch2: wall time / batch 1" "$ratio" "<= 0.33" "$(python3 -c "print(int($ratio <= 1/3))")"
n304=${S3[batch2]} npages=${P[batch1]}; [[ $npages =~ ^[0-9]+$ ]] || npages=1
check "batch2: 304 answers" "$n304 of ${R[batch2]} requests" ">= $npages (pages)" $(( n304 >= npages ))
current batch2 "$db1" "$base1" "$tmp/served1.txt"

echo "== 3. 10% of the pages changed (every 10th HTML file by path, from the 1st), batch 3"
eval "$(py modify "$tmp/site" "$tmp/served1.txt" 0 3 "$tmp/changed3.txt")"
echo "          changed $n of $of HTML files"
batch batch3 "$db1" "$tmp/urls1.txt" "$log1"
current batch3 "$db1" "$base1" "$tmp/served1.txt"
changes batch3 "$db1" "$base1" changed "$tmp/changed3.txt"

echo "== 4. server 2 (new ETag on every response, never 304), own DB"
batch batchA "$db2" "$tmp/urls2.txt" "$log2"
py served "$log2" "$tmp/served2.txt" > /dev/null
current batchA "$db2" "$base2" "$tmp/served2.txt"
eval "$(py modify "$tmp/site" "$tmp/served2.txt" 5 4 "$tmp/changed4.txt")"
echo "          changed $n of $of HTML files (every 10th by path from the 6th: none of step 3's)"
batch batchB "$db2" "$tmp/urls2.txt" "$log2"
current batchB "$db2" "$base2" "$tmp/served2.txt"
changes batchB "$db2" "$base2" changed "$tmp/changed4.txt"

echo "== 5. server 1: sync batch, site down, site back"
batch sync "$db1" "$tmp/urls1.txt" "$log1"
current sync "$db1" "$base1" "$tmp/served1.txt"
changes sync "$db1" "$base1" changed "$tmp/changed4.txt"
eval "$(py snapshot "$db1" "$tmp/snap.json")"
stop_nginx
py wait "$port1" down
echo "          nginx stopped ($n pages stored)"
batch down "$db1" "$tmp/urls1.txt" "$log1"
eval "$(py snapcmp "$db1" "$tmp/snap.json")"
echo "          stored pages before $before, after $after, lost $lost, digests altered $altered"
check "down: stored pages survive" "$after of $before, lost $lost, altered $altered" "all, 0, 0" $(( after == before && lost == 0 && altered == 0 ))
nerr=${ERR[down]}; [[ $nerr =~ ^[0-9]+$ ]] || nerr=0
check "down: at most one error per page" "$nerr errors, $before pages" "<= $((before + 1))" $(( nerr <= before + 1 ))
current down "$db1" "$base1" "$tmp/served1.txt"
if [ "$has_changes" = 1 ] && "$crawl" changes "$db1" --json > "$tmp/down.changes.json" 2>/dev/null; then
  echo "          crawl changes: $(py changes "$tmp/down.changes.json" "$db1" "$base1" failing all 2>/dev/null | sed -E "s/.*counts='([^']*)'.*/\1/")"
fi
start_nginx
echo "          nginx started again"
batch up "$db1" "$tmp/urls1.txt" "$log1"
current up "$db1" "$base1" "$tmp/served1.txt"
changes up "$db1" "$base1" recovered all

# ---------------------------------------------------------------- summary
echo
echo "== summary ($doc_pkg on nginx, rate per response ${RATE:-unlimited}; crawl ${crawl_opts[*]})"
printf '%-7s %7s %7s %7s %6s %6s %6s %10s %7s %7s %7s %5s\n' batch "wall s" "crawl s" "CPU s" reqs 200s 304s "body bytes" stored errors "DB MiB" exit
for b in "${order[@]}"; do
  printf '%-7s %7s %7s %7s %6s %6s %6s %10s %7s %7s %7s %5s\n' "$b" "${W[$b]}" "${E[$b]}" "${C[$b]}" "${R[$b]}" "${S2[$b]}" "${S3[$b]}" "${B[$b]}" "${P[$b]}" "${ERR[$b]}" "${M[$b]}" "${RC[$b]}"
done
echo
printf '%-52s %-34s %-16s %s\n' check figure target result
for c in "${checks[@]}"; do
  IFS='|' read -r name fig target res <<< "$c"
  printf '%-52s %-34s %-16s %s\n' "$name" "$fig" "$target" "$res"
done
[ "$failed" = 0 ] && echo "batch-bench: no check failed" || echo "batch-bench: some checks FAILED"
exit "$failed"
