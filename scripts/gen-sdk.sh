#!/usr/bin/env bash
# npm run sdks: the Go, Python and Node.js SDKs of the provider plugin, from provider/plugin/schema.json,
# written by Pulumi's own code generators (scripts/gen-sdk/main.go says why not `pulumi package gen-sdk`).
#   bash scripts/gen-sdk.sh [OUT]     writes OUT/go, OUT/python, OUT/nodejs (OUT: sdk, which is committed;
#                                     test/plugin/sdks.test.ts regenerates into a temp dir and fails on a diff)
# The generator is built with Go against github.com/pulumi/pulumi/pkg/v3 at the CLI's release
# (scripts/pulumi-cli.sh) and cached beside the CLI, rebuilt when its source changes:
#   ${HAPROXY_CLUSTER_GEN_SDK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/haproxy-cluster/gen-sdk-v$pulumi_version}
# The Go SDK gets a go.sum (`go mod tidy`), so `go build ./...` works in it as checked out.
# Progress goes to stderr. On failure: exit 1 with one sentence saying why.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "gen-sdk: $*" >&2; }
fail() { echo "gen-sdk: $*" >&2; exit 1; }

# The release scripts/pulumi-cli.sh builds; the generator's go.mod requires the same.
pulumi_version="$(sed -n 's/^default_version=//p' scripts/pulumi-cli.sh)"
grep -q "github.com/pulumi/pulumi/pkg/v3 v$pulumi_version\$" scripts/gen-sdk/go.mod ||
  fail "scripts/gen-sdk/go.mod does not require pkg/v3 v$pulumi_version as scripts/pulumi-cli.sh builds: make them the same release."
out="${1:-sdk}"
command -v go >/dev/null 2>&1 || fail "go is not installed: install Go >= 1.24 (it builds the SDK generator from the Go module proxy)."
command -v node >/dev/null 2>&1 || fail "node is not installed: install Node.js >= 20."

export GOWORK=off GOFLAGS="-mod=mod -buildvcs=false"
cache="${HAPROXY_CLUSTER_GEN_SDK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/haproxy-cluster/gen-sdk-v$pulumi_version}"
generator="$cache/gen-sdk"
stamp="$cache/.build-complete"
stamp_text="gen-sdk $(cat scripts/gen-sdk/main.go scripts/gen-sdk/go.mod scripts/gen-sdk/go.sum | sha256sum | cut -d' ' -f1)"
built() { [ -x "$generator" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_text" ]; }

go_build() {
  (cd scripts/gen-sdk && nice -n 10 go build -trimpath -o "$cache/.gen-sdk.$$" .) >>"$cache/build.log" 2>&1
}
if ! built; then
  mkdir -p "$cache" || fail "cannot create $cache: set HAPROXY_CLUSTER_GEN_SDK_CACHE to a writable directory."
  exec 9>"$cache/.lock"
  command -v flock >/dev/null 2>&1 && { flock -n 9 || { log "another build of the generator is running; waiting for it..."; flock 9; }; }
fi
if ! built; then
  log "building the SDK generator against pulumi pkg/v3 v$pulumi_version (log: $cache/build.log)..."
  start=$(date +%s)
  : >"$cache/build.log"
  if ! go_build && grep -q 'verifying.*\(sumdb\|404 Not Found\|410 Gone\)' "$cache/build.log"; then
    # As in scripts/pulumi-cli.sh: the checksum database lacks a pulumi release the proxy serves.
    export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi"
    go_build || true
  fi
  [ -x "$cache/.gen-sdk.$$" ] || { tail -n 20 "$cache/build.log" >&2; fail "building the SDK generator with Go failed: see $cache/build.log."; }
  mv -f "$cache/.gen-sdk.$$" "$generator"
  echo "$stamp_text" >"$stamp"
  log "built the SDK generator in $(( $(date +%s) - start )) s"
fi

version="$(node -p 'require("./package.json").version')"
mkdir -p "$out"
"$generator" -schema provider/plugin/schema.json -version "$version" -pulumi-sdk "v$pulumi_version" -out "$out" ||
  fail "the SDK generator failed (above)."
if ! (cd "$out/go" && go mod tidy) >"$cache/tidy.log" 2>&1; then
  export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi"
  (cd "$out/go" && go mod tidy) >"$cache/tidy.log" 2>&1 || { cat "$cache/tidy.log" >&2; fail "go mod tidy in $out/go failed: check GOPROXY."; }
fi
log "wrote $out/go, $out/python and $out/nodejs"
