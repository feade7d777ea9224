#!/usr/bin/env bash
# npm test. Two matrices, Node.js × @pulumi/pulumi (issue: the Pulumi and Node that users
# run) and HAProxy releases (2.6, 3.0, 3.2, 3.4), crossed pairwise so that every cell the
# project promises runs once without running the slow CLI tests five times:
#
#   run  Node  @pulumi/pulumi  HAProxy  tests
#   1    20    3.248           2.6      everything (end-to-end pulumi up included)
#   2    22    newest          3.2      stats, model, cluster, cli, pulumi, reload; lifecycle e2e; fresh-project rolling deploy
#   3    24    newest          3.4      stats, model, cluster, cli, pulumi, reload; lifecycle e2e
#   4    20    3.248           3.0      model, cluster, cli, reload
#
# So each Node runs the unit, CLI and provider tests, and each HAProxy release the model,
# transport, CLI, cluster and reload tests. Node 22/24 come from scripts/ensure-node.sh and
# HAProxy 3.x from scripts/ensure-haproxy-versions.sh (both cached under
# ~/.cache/haproxy-cluster). `npm run test:versions` runs the per-release tests on every 3.x
# release with this machine's Node. Extra arguments go to every mocha run.
# Exit status: the first failing run's; every run goes ahead regardless.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mocha=node_modules/mocha/bin/mocha.js
# .mocharc.json's settings without its spec (mocha adds the config's spec to any given).
mocharc=(--timeout 60000 --slow 5000 --exit --recursive --require dist/test/support/pulumi-sdk.js --require dist/test/support/hooks.js)
per_node=(dist/test/stats dist/test/model dist/test/cluster dist/test/cli dist/test/pulumi dist/test/reload dist/test/e2e/lifecycle.test.js)
per_haproxy=(dist/test/model dist/test/cluster dist/test/cli dist/test/reload)

status=0
# Each run's output is kept so that the end of the log (all a CI page may show) repeats,
# for every run, its counts and its failures.
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
summary=()
run() {
  local label="$1"
  shift
  echo "=== $label" >&2
  local start=$SECONDS log="$logs/${#summary[@]}" rc=0
  "$@" 2>&1 | tee "$log" || rc=$?
  [ "$rc" -eq 0 ] || [ "$status" -ne 0 ] || status=$rc
  echo "=== $label: $((SECONDS - start)) s" >&2
  summary+=("$label: exit $rc after $((SECONDS - start)) s; $(grep -Eo '^ *[0-9]+ (passing|failing|pending)' "$log" | xargs)")
  if grep -Eq '^ *[0-9]+ failing' "$log"; then
    # Each failure's titles and the first line of its error, 60 lines at most.
    summary+=("$(sed -n '/^ *[0-9]* failing/,$p' "$log" |
      awk '/^ +[0-9]+\) / { on = 1 } on { print } on && /(Error|error|expected)/ { on = 0 }' | head -n 60)")
  fi
}

# "haproxy-3.2 3.2.26-1 /path/to/wrapper" per line; a release that cannot be fetched has
# already said which and why.
releases="$(bash scripts/ensure-haproxy-versions.sh)" || status=1
haproxy_bin() { awk -v b="haproxy-$1" '$1 == b { print $3 }' <<<"$releases"; }
haproxy_version() { awk -v b="haproxy-$1" '$1 == b { print $2 }' <<<"$releases"; }

run "1: Node $(node --version), @pulumi/pulumi 3.248, HAProxy $(haproxy -v 2>/dev/null | awk 'NR==1 { print $3 }'): all tests" node "$mocha" "$@"

for pair in 22:3.2 24:3.4; do
  major="${pair%%:*}"
  branch="${pair#*:}"
  bin="$(bash scripts/ensure-node.sh "$major" | tail -n 1)" || { status=1; continue; }
  haproxy="$(haproxy_bin "$branch")"
  [ -n "$haproxy" ] || { echo "HAProxy $branch is missing (see above): the Node $major run needs it." >&2; status=1; continue; }
  specs=("${per_node[@]}")
  [ "$major" = 22 ] && specs+=(dist/test/e2e/packed.test.js)
  run "Node $major, newest @pulumi/pulumi, HAProxy $(haproxy_version "$branch"): ${specs[*]}" \
    env PATH="$bin:$PATH" HC_TEST_PULUMI_SDK=newest HC_HAPROXY_BIN="$haproxy" \
    "$bin/node" "$mocha" --no-config "${mocharc[@]}" "${specs[@]}" "$@"
done

haproxy="$(haproxy_bin 3.0)"
if [ -n "$haproxy" ]; then
  run "Node $(node --version), @pulumi/pulumi 3.248, HAProxy $(haproxy_version 3.0): ${per_haproxy[*]}" \
    env HC_HAPROXY_BIN="$haproxy" node "$mocha" --no-config "${mocharc[@]}" "${per_haproxy[@]}" "$@"
else
  echo "HAProxy 3.0 is missing (see above): its run cannot go ahead." >&2
  status=1
fi
echo "=== summary" >&2
printf '%s\n' "${summary[@]}" >&2
exit "$status"
