#!/usr/bin/env bash
# The live version matrix: runs the model, transport, CLI, cluster and reload tests again
# on each HAProxy release scripts/ensure-haproxy-versions.sh provides (3.0, 3.2, 3.4), one
# after another, and prints the exact version each run used. The whole suite runs on the
# machine's own HAProxy (2.6 on bookworm) before this, as plain `mocha`.
# Usage: test-versions.sh [BRANCH...]   (default: 3.0 3.2 3.4)
set -euo pipefail
cd "$(dirname "$0")/.."

SPECS=(dist/test/model/*.test.js dist/test/cli/*.test.js dist/test/cluster/*.test.js dist/test/reload/*.test.js)

versions="$(bash scripts/ensure-haproxy-versions.sh "$@")"
failed=()
while read -r label version bin; do
  echo "=== ${label#haproxy-}: HAProxy $version ($bin)"
  started=$SECONDS
  if HC_HAPROXY_BIN="$bin" npx mocha --no-config --timeout 60000 --slow 5000 --exit --require dist/test/support/hooks.js "${SPECS[@]}"; then
    echo "=== HAProxy $version: passed in $((SECONDS - started)) s"
  else
    echo "=== HAProxy $version: FAILED after $((SECONDS - started)) s"
    failed+=("$version")
  fi
done <<<"$versions"

if [ ${#failed[@]} -gt 0 ]; then
  echo "The version matrix failed on HAProxy ${failed[*]}: see the failures above." >&2
  exit 1
fi
