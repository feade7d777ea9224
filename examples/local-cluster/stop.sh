#!/usr/bin/env bash
# Stops the local demo cluster started by start.sh: the app servers on 9001-9003 (by
# their pid files, gracefully) and both HAProxy members.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="${TMPDIR:-/tmp}"
DEMO_DIR="${DEMO_DIR:-${tmp%/}/haproxy-cluster-demo}"

node "$here/../rolling-deploy/apps.js" stop --state-dir "$DEMO_DIR" server1:9001 server2:9002 server3:9003

for lb in lb1 lb2; do
  pidfile="$DEMO_DIR/$lb.pid"
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    pid="$(cat "$pidfile")"
    kill "$pid"
    # HAProxy stops at once on SIGTERM; wait (at most 5 s) so that a restart finds the ports free.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "$lb: stopped (pid $pid)"
  else
    echo "$lb: not running"
  fi
  rm -f "$pidfile" "$DEMO_DIR/$lb.sock"
done
