# Sourced by bench/warc-bench.sh and bench/site-bench.sh: a Debian package's
# HTML documentation served by nginx on 127.0.0.1.
#
#   doc_site_start NAME DOC [GZIP]   # installs what is missing, makes $tmp,
#                                    # serves DOC; sets $tmp, $port, $root
#   apt_install PACKAGE...
#
# NAME prefixes messages and the temp dir; GZIP "on" makes nginx send HTML
# gzip-encoded. An EXIT trap stops nginx and removes $tmp.

sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

doc_site_start() {
  local name=$1 doc=$2 gzip=${3:-off}
  nginx_bin=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
  if [ -z "$nginx_bin" ]; then
    apt_install nginx || apt_install nginx-light
    nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  fi
  command -v python3 >/dev/null || apt_install python3
  case "$doc" in
    /usr/share/doc/python3.11/*) [ -f "$doc/index.html" ] || apt_install python3.11-doc ;;
    /usr/share/doc/postgresql-doc-15/*) [ -f "$doc/index.html" ] || apt_install postgresql-doc-15 ;;
  esac
  [ -f "$doc/index.html" ] || { echo "$name: no $doc/index.html" >&2; exit 2; }
  tmp=$(mktemp -d "/tmp/$name.XXXXXX")
  chmod 755 "$tmp"   # nginx's workers read as www-data
  nginx_pid=""
  trap 'if [ -n "$nginx_pid" ]; then kill -QUIT "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; fi; rm -rf "$tmp"' EXIT
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
  gzip $gzip;
  server { listen 127.0.0.1:$port; root $doc; }
}
CONF
  "$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
  nginx_pid=$!
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.1)" 2>/dev/null && break
    sleep 0.05
  done
  root="http://127.0.0.1:$port/index.html"
  echo "$root" > "$tmp/urls.txt"
  echo "site: $doc on nginx $("$nginx_bin" -v 2>&1 | sed 's|.*/||') (gzip $gzip) at 127.0.0.1:$port"
}
