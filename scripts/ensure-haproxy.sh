#!/usr/bin/env bash
# Makes sure an HAProxy binary is on PATH for the tests and the demo: installs Debian's
# package when missing (as root), or says in one sentence what to do.
set -euo pipefail

if command -v haproxy >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "haproxy is not installed; installing Debian's package (apt-get install haproxy)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends haproxy >/dev/null
  # The package starts a system service we do not use; the tests start their own processes.
  if command -v systemctl >/dev/null 2>&1; then systemctl stop haproxy >/dev/null 2>&1 || true; fi
  command -v haproxy >/dev/null 2>&1 && exit 0
fi

echo "haproxy is not on PATH: install HAProxy 2.x (Debian/Ubuntu: sudo apt-get install haproxy; macOS: brew install haproxy) and run the command again." >&2
exit 1
