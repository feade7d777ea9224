#!/usr/bin/env bash
# Makes sure the tests find the Debian packages they run besides HAProxy: sshd and socat
# (the SSH tests; socat is the fallback the SSH transport runs over an exec channel) and
# tmux (the watch test runs the live view in a real terminal). Installs the missing ones
# (as root), or says in one sentence what to do.
set -euo pipefail

missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v socat >/dev/null 2>&1 || missing+=(socat)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's ${missing[*]} for the tests (apt-get install)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The package may start a system sshd we do not use; the tests start their own on a free port.
  if command -v systemctl >/dev/null 2>&1; then systemctl stop ssh >/dev/null 2>&1 || true; fi
  [ -x /usr/sbin/sshd ] && command -v socat >/dev/null 2>&1 && command -v tmux >/dev/null 2>&1 && exit 0
fi

echo "the tests need sshd, socat and tmux: install them (Debian/Ubuntu: sudo apt-get install openssh-server socat tmux) and run the command again." >&2
exit 1
