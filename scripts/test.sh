#!/usr/bin/env bash
# npm test. Two matrices, Node.js × @pulumi/pulumi (the Pulumi and Node that users run) and
# HAProxy releases (2.6, 3.0, 3.2, 3.4), crossed pairwise so that every cell the project
# promises runs once, and nothing runs twice where nothing differs:
#
#   cell  Node  @pulumi/pulumi  HAProxy  tests
#   1     20    3.248           2.6      stats, model, cluster, cli, pulumi, reload; docs (generated pages, links)
#   2     20    3.248           2.6      e2e: cluster-health, interrupted-up, maintenance-window, secrets, ssh
#   3     20    3.248           2.6      every other e2e file (lifecycle, packed, previews, rolling-deploy,
#                                        rolling-restart); plugin: its programs and the provider object,
#                                        and what runs once (schema, SDKs)
#   4     22    newest          3.2      stats, model, cluster, cli, pulumi, reload; e2e lifecycle and packed
#                                        project; plugin: its programs and the provider object
#   5     24    newest          3.4      stats, model, cluster, cli, pulumi, reload; e2e lifecycle; plugin:
#                                        its programs and the provider object
#   6     20    3.248           3.0      model, cluster, cli, reload (less the Node-only files); support (the
#                                        rig), examples; plugin: the Go program
#
# So each Node runs the parsing, CLI and provider tests and a real `pulumi up`; each
# @pulumi/pulumi end the provider and end-to-end tests; each HAProxy release the model,
# transport, CLI, cluster and reload tests. What depends on nothing but Node (parsing,
# fixtures, rendering: the NODE_ONLY files below) runs once per Node, not per HAProxy.
# The provider plugin runs on the Node on PATH with the @pulumi/pulumi its tarball bundles (the
# tests bundle the cell's), so its YAML and Node programs and the provider object run in each
# Node cell (3, 4, 5), each on another HAProxy release; what depends on neither Node nor the SDK
# runs once: schema.json and the generated SDKs (the generator, the Go build, Python's
# byte-compile) in cell 3, and the Go program (its build is Go's, the plugin it drives Node 20's)
# on HAProxy 3.0 in cell 6, so the plugin meets all four releases. A new test/plugin file runs
# in every Node cell unless PLUGIN_ONCE or PLUGIN_GO below names it.
#
# The cells run side by side (the time is waiting on HAProxy, apps and engines, not
# work): each cell's output goes to its own file and is printed in one piece when the
# cell ends; the closing summary repeats every cell's counts and failures. Ports,
# temporary dirs, sshds and Pulumi stacks are per process (test/support/ports.ts claims
# ports across processes); the example projects are installed once before the cells start.
#
# Node 22/24 come from scripts/ensure-node.sh and HAProxy 3.x from
# scripts/ensure-haproxy-versions.sh (both cached under ~/.cache/haproxy-cluster).
# `npm run test:quick` runs the tests that need no HAProxy and no Pulumi CLI;
# `npm run test:bench` the load benchmark's short form (test/bench), which is not part of
# npm test: it asserts that no request of 200 a second fails, which measures the machine as
# much as the code, so it runs alone on a quiet machine;
# `npm run test:versions` the per-release tests on every 3.x release with this Node.
# Extra arguments go to every mocha run.
# Exit status: the first failing cell's (in the table's order); every cell runs regardless.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mocha=node_modules/mocha/bin/mocha.js
# .mocharc.json's settings, spelt out so that each cell says all it runs with.
mocharc=(--timeout 60000 --slow 5000 --exit --recursive --require dist/test/support/pulumi-sdk.js --require dist/test/support/hooks.js)
# Test files only (a folder given to mocha would load every .js in it, and some run on import).
tests_in() { for dir in "$@"; do printf '%s\n' "dist/test/$dir"/*.test.js; done; }
mapfile -t per_node < <(tests_in stats model cluster cli pulumi reload)
# Tests of parsing, fixtures and rendering: they start no HAProxy, so one run per Node covers them.
NODE_ONLY=(dist/test/cli/basics.test.js dist/test/cli/eval.test.js dist/test/cli/watch-render.test.js dist/test/model/root-exports.test.js dist/test/model/policy.test.js dist/test/cluster/server-counters.test.js)
# The quick tier (`npm run test:quick`, `test.sh --quick`): no HAProxy, no Pulumi CLI, under 2 minutes.
mapfile -t QUICK < <(tests_in stats)
QUICK+=("${NODE_ONLY[@]}" $(tests_in docs) dist/test/examples/demo.test.js)
if [ "${1:-}" = "--quick" ]; then
  shift
  exec node "$mocha" --no-config "${mocharc[@]}" "${QUICK[@]}" "$@"
fi
per_haproxy=()
for file in $(tests_in model cluster cli reload); do
  [[ " ${NODE_ONLY[*]} " == *" $file "* ]] || per_haproxy+=("$file")
done

status=0
logs="$(mktemp -d)"
cells=()
cleanup() {
  # A cell still running (npm test interrupted) is stopped by its process group's PID.
  for pid in $(jobs -p); do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null; done
  rm -rf "$logs"
}
trap cleanup EXIT

# Starts a cell in the background (its own process group); prints its log in one piece when it ends.
cell() {
  local label="$1"
  shift
  local n=${#cells[@]}
  cells+=("$label")
  echo "=== started $((n + 1)). $label" >&2
  set -m
  (
    start=$SECONDS
    "$@" >"$logs/$n" 2>&1
    rc=$?
    echo "$rc $((SECONDS - start))" >"$logs/$n.done"
    {
      flock 9
      echo "=== $((n + 1)). $label"
      cat "$logs/$n"
      echo "=== $((n + 1)). $label: exit $rc after $((SECONDS - start)) s"
    } 9>>"$logs/print.lock" >&2
  ) &
  set +m
}

# The Pulumi CLI is built from source on a cold machine (minutes of both cores): it builds
# while the cells start, and a test that needs it waits for it (pulumi-cli.sh's lock).
bash scripts/pulumi-cli.sh >"$logs/pulumi-cli" 2>&1 &
pulumi_cli=$!

# "haproxy-3.2 3.2.26-1 /path/to/wrapper" per line; a release that cannot be fetched has
# already said which and why.
releases="$(bash scripts/ensure-haproxy-versions.sh)" || status=1
haproxy_bin() { awk -v b="haproxy-$1" '$1 == b { print $3 }' <<<"$releases"; }
haproxy_version() { awk -v b="haproxy-$1" '$1 == b { print $2 }' <<<"$releases"; }
node_bin() { bash scripts/ensure-node.sh "$1" | tail -n 1; }

# Installed here, once: cells would otherwise install or refresh them while others load them.
node dist/test/support/prepare-examples.js || status=1
export HC_TEST_EXAMPLES_PREPARED=1
echo "=== set-up before the cells: $SECONDS s" >&2

node20="Node $(node --version), @pulumi/pulumi 3.248"
haproxy26="HAProxy $(haproxy -v 2>/dev/null | awk 'NR==1 { print $3 }')"
# The real `pulumi up`s take most of the time: they are split in two cells of similar length.
# The second takes every e2e file the first does not name, so a new one runs there.
e2e_a=(dist/test/e2e/{cluster-health,interrupted-up,maintenance-window,secrets,ssh}.test.js)
e2e_b=()
for file in $(tests_in e2e); do
  [[ " ${e2e_a[*]} " == *" $file "* ]] || e2e_b+=("$file")
done
# The plugin's files that run once (see the table); every other one runs in each Node cell.
PLUGIN_ONCE=(dist/test/plugin/{schema,sdks}.test.js)
PLUGIN_GO=(dist/test/plugin/go-program.test.js)
plugin_per_node=()
for file in $(tests_in plugin); do
  [[ " ${PLUGIN_ONCE[*]} ${PLUGIN_GO[*]} " == *" $file "* ]] || plugin_per_node+=("$file")
done
plugin_what="plugin/{$(basename -a -s .test.js "${plugin_per_node[@]}" | paste -sd,)}"
cell "$node20, $haproxy26: stats model cluster cli pulumi reload docs" node "$mocha" --no-config "${mocharc[@]}" "${per_node[@]}" $(tests_in docs) "$@"
cell "$node20, $haproxy26: ${e2e_a[*]#dist/test/}" node "$mocha" --no-config "${mocharc[@]}" "${e2e_a[@]}" "$@"
# The provider plugin's programs join the shorter of the two e2e cells, with what runs once.
cell "$node20, $haproxy26: ${e2e_b[*]#dist/test/} $plugin_what ${PLUGIN_ONCE[*]#dist/test/}" \
  node "$mocha" --no-config "${mocharc[@]}" "${e2e_b[@]}" "${plugin_per_node[@]}" "${PLUGIN_ONCE[@]}" "$@"

for pair in 22:3.2 24:3.4; do
  major="${pair%%:*}"
  branch="${pair#*:}"
  bin="$(node_bin "$major")" || { status=1; continue; }
  haproxy="$(haproxy_bin "$branch")"
  [ -n "$haproxy" ] || { echo "HAProxy $branch is missing (see above): the Node $major cell needs it." >&2; status=1; continue; }
  specs=("${per_node[@]}" dist/test/e2e/lifecycle.test.js)
  what="stats model cluster cli pulumi reload, e2e/lifecycle"
  [ "$major" = 22 ] && specs+=(dist/test/e2e/packed.test.js) && what+=" e2e/packed"
  specs+=("${plugin_per_node[@]}")
  what+=", $plugin_what"
  cell "Node $major, newest @pulumi/pulumi, HAProxy $(haproxy_version "$branch"): $what" \
    env PATH="$bin:$PATH" HC_TEST_PULUMI_SDK=newest HC_HAPROXY_BIN="$haproxy" \
    "$bin/node" "$mocha" --no-config "${mocharc[@]}" "${specs[@]}" "$@"
done

haproxy="$(haproxy_bin 3.0)"
if [ -n "$haproxy" ]; then
  cell "$node20, HAProxy $(haproxy_version 3.0): model cluster cli reload (less the Node-only files), support, examples, ${PLUGIN_GO[*]#dist/test/}" \
    env HC_HAPROXY_BIN="$haproxy" node "$mocha" --no-config "${mocharc[@]}" "${per_haproxy[@]}" $(tests_in support examples) "${PLUGIN_GO[@]}" "$@"
else
  echo "HAProxy 3.0 is missing (see above): its cell cannot go ahead." >&2
  status=1
fi

if ! wait "$pulumi_cli"; then
  echo "scripts/pulumi-cli.sh could not provide the Pulumi CLI:" >&2
  cat "$logs/pulumi-cli" >&2
  status=1
fi
wait

# The end of the log (all a CI page may show) repeats, for every cell, its counts and its failures.
echo "=== summary" >&2
for n in "${!cells[@]}"; do
  read -r rc seconds <"$logs/$n.done" || { rc=1; seconds="?"; }
  [ "$rc" -eq 0 ] || [ "$status" -ne 0 ] || status=$rc
  echo "$((n + 1)). ${cells[$n]}: exit $rc after $seconds s; $(grep -Eo '^ *[0-9]+ (passing|failing|pending)' "$logs/$n" | xargs)" >&2
  if grep -Eq '^ *[0-9]+ failing' "$logs/$n"; then
    # Each failure's titles and the first line of its error, 60 lines at most.
    sed -n '/^ *[0-9]* failing/,$p' "$logs/$n" |
      awk '/^ +[0-9]+\) / { on = 1 } on { print } on && /(Error|error|expected)/ { on = 0 }' | head -n 60 >&2
  fi
done
echo "=== npm test: $SECONDS s in all" >&2
exit "$status"
