#!/usr/bin/env bash
# npm run plugin: the provider plugin as Pulumi installs it,
#   dist/plugin/pulumi-resource-haproxy-cluster-v<version>-linux-<arch>.tar.gz
# holding the executable pulumi-resource-haproxy-cluster (a shell launcher running node) and
# pulumi-resource-haproxy-cluster.js, the plugin bundled into one file with everything it needs
# (@pulumi/pulumi, zod, ssh2), so that it runs with only Node.js on PATH:
#   pulumi plugin install resource haproxy-cluster <version> --file <tarball>
# The @pulumi/pulumi it bundles is the root's dependency (3.248, the last release that runs on
# Node 20), so the tarball runs on Node >= 20; a newer one would shut Node 20 out.
# One bundled file rather than a production node_modules: about 18 MB unpacked (3 MB packed)
# since it bundles the SDK's root to log through the engine, where a production
# node_modules is about 105 MB (measured before that change); start-up in docs/pulumi.
# Prints the tarball's path as the last line on stdout; progress goes to stderr.
# Options (the tests use them; a user needs none):
#   --no-build         bundle dist/ as it is (the tests, which run from a fresh build)
#   --sdk PACKAGE      bundle the installed npm package PACKAGE as @pulumi/pulumi, e.g.
#                      @pulumi/pulumi-newest (package.json's alias of the newest release), which
#                      the Node 22 and 24 cells of npm test run on
#   --out DIR          write the tarball into DIR instead of dist/plugin (cells bundling side by
#                      side each write their own)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "plugin: $*" >&2; }
fail() { echo "plugin: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || fail "node is not installed: install Node.js >= 20."
[ -x node_modules/.bin/esbuild ] || fail "esbuild is not installed: run npm ci first."
version="$(node -p 'require("./package.json").version')"
# Pulumi names architectures as Go does.
case "$(node -p process.arch)" in
  x64) arch=amd64 ;;
  arm64) arch=arm64 ;;
  *) fail "no Pulumi plugin name for the $(node -p process.arch) architecture." ;;
esac
name="pulumi-resource-haproxy-cluster-v$version-linux-$arch.tar.gz"

build=1
sdk=@pulumi/pulumi
out=dist/plugin
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --sdk) sdk="${2:-}"; shift ;;
    --out) out="${2:-}"; shift ;;
    *) fail "unknown option $1: the options are --no-build, --sdk PACKAGE and --out DIR." ;;
  esac
  shift
done
[ -f "node_modules/$sdk/package.json" ] || fail "--sdk $sdk is not installed in node_modules: run npm ci, or name an installed @pulumi/pulumi."
sdk_version="$(node -p "require('./node_modules/$sdk/package.json').version")"
[ "$build" = 0 ] || npm run build >&2
[ -f dist/provider/plugin/main.js ] || fail "dist/provider/plugin/main.js is missing: run npm run build."
work="$(mktemp -d "${TMPDIR:-/tmp}/haproxy-cluster-plugin.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# ssh2's optional native speed-ups (cpu-features, sshcrypto.node) stay out: it falls back to
# its JavaScript code when they cannot be loaded, as on any machine without a compiler.
# The SDK's alias also covers its subpaths (@pulumi/pulumi/provider and the rest).
alias=()
[ "$sdk" = @pulumi/pulumi ] || alias=("--alias:@pulumi/pulumi=$sdk")
node_modules/.bin/esbuild dist/provider/plugin/main.js --bundle --platform=node --target=node20 \
  --external:cpu-features '--external:*.node' --log-level=warning "${alias[@]}" \
  --outfile="$work/pulumi-resource-haproxy-cluster.js" >&2
cat >"$work/pulumi-resource-haproxy-cluster" <<'LAUNCHER'
#!/bin/sh
# The haproxy-cluster provider plugin: the Pulumi engine runs this with its address as argument.
command -v node >/dev/null 2>&1 || {
  echo "pulumi-resource-haproxy-cluster: node is not on PATH: install Node.js >= 20 (the plugin runs in it)." >&2
  exit 1
}
exec node "$(dirname "$0")/pulumi-resource-haproxy-cluster.js" "$@"
LAUNCHER
chmod 755 "$work/pulumi-resource-haproxy-cluster"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
tar -czf "$out/$name" -C "$work" pulumi-resource-haproxy-cluster pulumi-resource-haproxy-cluster.js
log "wrote $out/$name ($(du -h "$out/$name" | cut -f1); $(du -h "$work/pulumi-resource-haproxy-cluster.js" | cut -f1) bundled, @pulumi/pulumi $sdk_version)"
echo "$out/$name"
