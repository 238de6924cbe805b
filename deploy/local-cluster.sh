#!/usr/bin/env bash
# The scale-out topology on one machine, without Docker: N replicas + one refresher + nginx.
#
#   deploy/local-cluster.sh up N PORT   N `python -m aiwatch serve --no-refresh` on 127.0.0.1:PORT+1..PORT+N,
#                                       one `serve --refresh-only` (the scheduled refresh and the
#                                       first-start fetch), Debian's nginx on PORT with deploy/nginx.conf
#   deploy/local-cluster.sh down        stops exactly what `up` started (its pid files), nothing else
#
# Every process shares the data folder, the store and the state folder ($AIWATCH_DATA_DIR,
# $AIWATCH_DB, $AIWATCH_STATE_DIR). Pid files, logs and nginx's files go to
# $AIWATCH_STATE_DIR/cluster/. Each serve runs in its own process group (setsid), so `down`
# also stops a replica's Streamlit child. nginx: scripts/ensure-nginx.sh installs it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY="python3"; fi
fi
STATE="${AIWATCH_STATE_DIR:-$ROOT/var}"
CLUSTER="$STATE/cluster"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"

usage() {
  echo "usage: $0 up N PORT   (e.g. up 2 8080: nginx on 8080, replicas on 8081 and 8082)" >&2
  echo "       $0 down" >&2
  exit 2
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
group_alive() { kill -0 -- "-$1" 2>/dev/null; }

start_serve() {  # name, then serve's arguments; pid file = the process group to stop
  local name="$1"; shift
  cd "$ROOT"
  setsid "$PY" -m aiwatch serve "$@" >"$CLUSTER/$name.log" 2>&1 < /dev/null &
  echo $! >"$CLUSTER/$name.pid"
}

up() {
  local n="$1" port="$2"
  [[ "$n" =~ ^[1-9][0-9]?$ && "$port" =~ ^[0-9]+$ ]] || usage
  (( port >= 1 && port + n <= 65535 )) || usage
  [ -x "$NGINX" ] || { echo "error: nginx not found; run scripts/ensure-nginx.sh" >&2; exit 1; }
  mkdir -p "$CLUSTER/nginx/tmp"
  for f in "$CLUSTER"/*.pid; do
    [ -e "$f" ] || continue
    if alive "$(cat "$f")"; then
      echo "error: a cluster is already up ($f); run $0 down first" >&2
      exit 1
    fi
    rm -f "$f"
  done
  # build once before N processes start (each would otherwise wait for the first one's build)
  (cd "$ROOT" && "$PY" -m aiwatch build >/dev/null)

  local upstream="" i
  for ((i = 1; i <= n; i++)); do
    start_serve "replica-$i" --no-refresh --address 127.0.0.1 --port $((port + i))
    upstream+="server 127.0.0.1:$((port + i)) max_fails=1 fail_timeout=10s; "
  done
  start_serve refresher --refresh-only

  # the same site config as in Docker, its two placeholders filled in
  sed -e "s|\${AIWATCH_LISTEN}|127.0.0.1:$port|g" -e "s|\${AIWATCH_UPSTREAM}|$upstream|g" \
    "$ROOT/deploy/nginx.conf" >"$CLUSTER/nginx/site.conf"
  cat >"$CLUSTER/nginx/nginx.conf" <<CONF
# written by deploy/local-cluster.sh; the site itself is deploy/nginx.conf
worker_processes 2;
pid $CLUSTER/nginx.pid;
error_log $CLUSTER/nginx/error.log warn;
events { worker_connections 1024; }
http {
    # which replica served each request (after a failed one: both, comma-separated)
    log_format cluster '\$remote_addr [\$time_local] "\$request" \$status upstream=\$upstream_addr';
    access_log $CLUSTER/nginx/access.log cluster;
    client_body_temp_path $CLUSTER/nginx/tmp/body;
    proxy_temp_path $CLUSTER/nginx/tmp/proxy;
    fastcgi_temp_path $CLUSTER/nginx/tmp/fastcgi;
    uwsgi_temp_path $CLUSTER/nginx/tmp/uwsgi;
    scgi_temp_path $CLUSTER/nginx/tmp/scgi;
    include $CLUSTER/nginx/site.conf;
}
CONF
  "$NGINX" -q -p "$CLUSTER/nginx" -c "$CLUSTER/nginx/nginx.conf" -e "$CLUSTER/nginx/error.log" -t
  "$NGINX" -p "$CLUSTER/nginx" -c "$CLUSTER/nginx/nginx.conf" -e "$CLUSTER/nginx/error.log"

  for ((i = 1; i <= n; i++)); do
    if ! "$PY" "$ROOT/scripts/health.py" "http://127.0.0.1:$((port + i))" --wait 90; then
      echo "error: replica $i did not start; see $CLUSTER/replica-$i.log" >&2
      tail -n 20 "$CLUSTER/replica-$i.log" >&2 || true
      down
      exit 1
    fi
  done
  "$PY" "$ROOT/scripts/health.py" "http://127.0.0.1:$port" --wait 30 \
    || { echo "error: nginx does not reach the replicas; see $CLUSTER/nginx/error.log" >&2; down; exit 1; }
  echo "up: http://127.0.0.1:$port (nginx) -> $n replica(s) on ports $((port + 1))-$((port + n)), 1 refresher;" \
       "pid files in $CLUSTER"
}

stop_group() {  # pid file of a `serve` started by up: stop its whole process group
  local f="$1" pgid
  pgid="$(cat "$f")"
  if [[ "$pgid" =~ ^[0-9]+$ ]] && group_alive "$pgid"; then
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for _ in $(seq 1 100); do group_alive "$pgid" || break; sleep 0.1; done
    if group_alive "$pgid"; then kill -KILL -- "-$pgid" 2>/dev/null || true; fi
  fi
  rm -f "$f"
}

down() {
  local stopped=0 f pid
  if [ -e "$CLUSTER/nginx.pid" ]; then
    pid="$(cat "$CLUSTER/nginx.pid")"
    if alive "$pid"; then
      kill -QUIT "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
      if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$CLUSTER/nginx.pid"
    stopped=$((stopped + 1))
  fi
  for f in "$CLUSTER"/replica-*.pid "$CLUSTER"/refresher.pid; do
    [ -e "$f" ] || continue
    stop_group "$f"
    stopped=$((stopped + 1))
  done
  echo "down: stopped $stopped process group(s) listed in $CLUSTER"
}

case "${1:-}" in
  up) [ $# -eq 3 ] || usage; up "$2" "$3" ;;
  down) [ $# -eq 1 ] || usage; down ;;
  *) usage ;;
esac
