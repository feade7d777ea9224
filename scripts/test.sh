#!/usr/bin/env bash
# npm test: every test on this machine's Node (20: @pulumi/pulumi 3.248, the end-to-end
# `pulumi up` tests included), then the unit, CLI and provider tests on Node 22 and 24 with the
# newest @pulumi/pulumi and the lifecycle end-to-end tests (a throwing program fails fast, a
# SIGKILLed pulumi leaves nothing running), and the fresh-project rolling deploy on Node 22.
# Node 22 and 24 come from scripts/ensure-node.sh (npm registry, cached). Extra arguments go to
# every mocha run. Exit status: the first failing run's.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mocha=node_modules/mocha/bin/mocha.js
# .mocharc.json's settings without its spec (mocha adds the config's spec to any given).
mocharc=(--timeout 60000 --slow 5000 --exit --recursive --require dist/test/support/pulumi-sdk.js --require dist/test/support/hooks.js)
# The tests that need no Pulumi CLI, run on every Node.
units=(dist/test/stats dist/test/model dist/test/cluster dist/test/cli dist/test/pulumi)
# End-to-end tests with the SDK under test: the CLI around a program on every Node, and the
# rolling deploy in a fresh project installed from npm pack on Node 22.
e2e_lifecycle=(dist/test/e2e/lifecycle.test.js)
e2e_packed=(dist/test/e2e/packed.test.js)

status=0
run() {
  local label="$1"
  shift
  echo "=== $label" >&2
  local start=$SECONDS
  "$@" || { [ "$status" -ne 0 ] || status=$?; }
  echo "=== $label: $((SECONDS - start)) s" >&2
}

run "Node $(node --version), @pulumi/pulumi 3.248: all tests" node "$mocha" "$@"
for major in 22 24; do
  bin="$(bash scripts/ensure-node.sh "$major" | tail -n 1)" || { status=1; continue; }
  specs=("${units[@]}" "${e2e_lifecycle[@]}")
  [ "$major" = 22 ] && specs+=("${e2e_packed[@]}")
  run "Node $major, newest @pulumi/pulumi: ${specs[*]}" env PATH="$bin:$PATH" HC_TEST_PULUMI_SDK=newest \
    "$bin/node" "$mocha" --no-config "${mocharc[@]}" "${specs[@]}" "$@"
done
exit "$status"
