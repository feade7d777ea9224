#!/usr/bin/env bash
# Starts the local demo cluster: HAProxy members lb1 and lb2, both in front of the app
# servers server1-3 on 127.0.0.1:9001-9003, which it starts too (version v0). Running it
# again starts only what is not running. stop.sh stops everything.
#
# Environment: DEMO_DIR (pid files, sockets, logs; default $TMPDIR/haproxy-cluster-demo,
# the AppServerDeployment default), STATS_PASSWORD (lb1's stats page; default
# demo-password), APP_VERSION (default v0).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="${TMPDIR:-/tmp}"
export DEMO_DIR="${DEMO_DIR:-${tmp%/}/haproxy-cluster-demo}"
export STATS_PASSWORD="${STATS_PASSWORD:-demo-password}"

if ! command -v haproxy >/dev/null 2>&1; then
  echo "haproxy is not on PATH: install HAProxy 2.x (Debian/Ubuntu: sudo apt-get install haproxy; macOS: brew install haproxy) and run start.sh again." >&2
  exit 1
fi
mkdir -p "$DEMO_DIR"

for lb in lb1 lb2; do
  pidfile="$DEMO_DIR/$lb.pid"
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "$lb: already running (pid $(cat "$pidfile"))"
    continue
  fi
  haproxy -q -c -f "$here/$lb.cfg"
  haproxy -D -f "$here/$lb.cfg"
  echo "$lb: started (pid $(cat "$pidfile"))"
done

node "$here/../rolling-deploy/apps.js" start --version "${APP_VERSION:-v0}" --state-dir "$DEMO_DIR" \
  server1:9001 server2:9002 server3:9003

cat <<INFO

The cluster (HAProxy marks the servers UP within about 2 s):
  members:  http://127.0.0.1:8404/stats  (user admin, password $STATS_PASSWORD)
            unix:$DEMO_DIR/lb2.sock
  traffic:  curl http://127.0.0.1:8080/  (lb1)   curl http://127.0.0.1:8081/  (lb2)
  stop:     $here/stop.sh
INFO
