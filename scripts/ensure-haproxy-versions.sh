#!/usr/bin/env bash
# Fetches the HAProxy releases the version matrix tests (3.0 from trixie, 3.2 from sid,
# 3.4 from experimental) from Debian's package registry into
# ~/.cache/haproxy-cluster/haproxy-<branch>/, never touching the system's apt state or
# libraries: the newer packages need a newer libc than the machine's, so each release is
# unpacked with its own libraries and run through its own loader by a wrapper script.
# Prints one line per branch: "haproxy-<branch> <exact version> <wrapper path>".
# A branch that cannot be fetched fails the run with one sentence saying which and why.
#
# Usage: ensure-haproxy-versions.sh [BRANCH...]   (default: 3.0 3.2 3.4)
set -euo pipefail

CACHE="${HC_CACHE_DIR:-$HOME/.cache/haproxy-cluster}"
BRANCHES=("$@")
[ ${#BRANCHES[@]} -gt 0 ] || BRANCHES=(3.0 3.2 3.4)

# The libraries haproxy links against (ld.so --list below proves nothing is missing).
LIBS="libc6 libcrypt1 libgcc-s1 libjemalloc2 liblua5.4-0 libopentracing-c-wrapper0t64 libopentracing1 libpcre2-8-0 libssl3t64 libstdc++6 libzstd1 zlib1g"

# Which suite carries each branch; experimental takes its libraries from sid.
suites_for() {
  case "$1" in
    3.0) echo "trixie" ;;
    3.2) echo "sid" ;;
    3.4) echo "experimental sid" ;;
    *) return 1 ;;
  esac
}

case "$(uname -m)" in
  x86_64) TRIPLET=x86_64-linux-gnu; LOADER=ld-linux-x86-64.so.2 ;;
  aarch64) TRIPLET=aarch64-linux-gnu; LOADER=ld-linux-aarch64.so.1 ;;
  *) echo "The HAProxy version matrix needs an x86_64 or aarch64 Linux machine (this one is $(uname -m))." >&2; exit 1 ;;
esac

fetch_branch() {
  local branch="$1" dir="$CACHE/haproxy-$1"
  local wrapper="$dir/bin/haproxy"
  if [ -x "$wrapper" ] && [ -s "$dir/version" ]; then
    echo "haproxy-$branch $(cat "$dir/version") $wrapper"
    return 0
  fi
  local suites
  if ! suites="$(suites_for "$branch")"; then
    echo "HAProxy $branch is not in the version matrix (known: 3.0, 3.2, 3.4)." >&2
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
    echo "HAProxy $branch cannot be fetched: this machine has no apt-get/dpkg to download Debian's packages (run the tests on Debian or Ubuntu)." >&2
    return 1
  fi

  local work; work="$(mktemp -d "${TMPDIR:-/tmp}/haproxy-$branch-fetch-XXXXXX")"
  trap 'rm -rf "$work"' RETURN
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  local suite
  for suite in $suites; do
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >>"$work/sources.list"
  done
  local apt=(-o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache=$work/cache" -o "Dir::State::status=/dev/null" -o Debug::NoLocking=1 -o Acquire::Languages=none
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false -o Acquire::IndexTargets::deb::CNF::DefaultEnabled=false
    -o APT::Sandbox::User="$(id -un)")
  if ! apt-get "${apt[@]}" update >"$work/update.log" 2>&1; then
    echo "HAProxy $branch cannot be fetched: apt-get update of Debian's $suites failed ($(grep -m1 -E '^(E|W):' "$work/update.log" || tail -n1 "$work/update.log"))." >&2
    return 1
  fi
  # The newest haproxy of the branch in the first suite (sid's or experimental's exact
  # version changes within days, so the branch is what we ask for).
  local libs="$LIBS"
  # sid's libc6 depends on libc-gconv-modules-extra, which trixie does not have.
  case " $suites " in *" sid "*) libs="$libs libc-gconv-modules-extra" ;; esac
  local first="${suites%% *}" version
  version="$(apt-cache "${apt[@]}" madison haproxy | awk -v b="$branch" -v s="$first/" '$3 ~ "^" b "\\." && index($0, " " s) { print $3 }' | sort -V | tail -n1)"
  if [ -z "$version" ]; then
    echo "HAProxy $branch cannot be fetched: Debian's $first suite no longer carries a haproxy $branch.x package (it has: $(apt-cache "${apt[@]}" madison haproxy | awk '{print $3}' | tr '\n' ' '))." >&2
    return 1
  fi
  if ! (cd "$work/debs" && apt-get "${apt[@]}" download "haproxy=$version" $libs >"$work/download.log" 2>&1); then
    echo "HAProxy $branch cannot be fetched: apt-get download of haproxy $version and its libraries failed ($(grep -m1 '^E:' "$work/download.log" || tail -n1 "$work/download.log"))." >&2
    return 1
  fi

  local root="$work/root" deb
  mkdir -p "$root"
  for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$root"; done
  mkdir -p "$root/bin"
  local final="$dir"
  # The wrapper is what haproxy sees as argv[0] (--argv0): in master-worker mode the
  # master re-executes argv[0] on reload, which must go through our loader again.
  cat >"$root/bin/haproxy" <<WRAPPER
#!/bin/sh
# HAProxy $version from Debian, run with its own libraries (scripts/ensure-haproxy-versions.sh).
ROOT="$final"
exec "\$ROOT/usr/lib/$TRIPLET/$LOADER" --inhibit-cache --library-path "\$ROOT/usr/lib/$TRIPLET:\$ROOT/lib/$TRIPLET" --argv0 "\$ROOT/bin/haproxy" "\$ROOT/usr/sbin/haproxy" "\$@"
WRAPPER
  chmod +x "$root/bin/haproxy"

  # Move into place, then prove it: every library resolves inside the folder, and it runs.
  mkdir -p "$CACHE"
  rm -rf "$dir"
  mv "$root" "$dir"
  local outside
  outside="$("$dir/usr/lib/$TRIPLET/$LOADER" --inhibit-cache --library-path "$dir/usr/lib/$TRIPLET:$dir/lib/$TRIPLET" --list "$dir/usr/sbin/haproxy" 2>&1 | grep -v -e "$dir" -e 'linux-vdso' || true)"
  if [ -n "$outside" ]; then
    rm -rf "$dir"
    echo "HAProxy $branch ($version) cannot run from its folder: libraries missing or resolved outside it: $(echo "$outside" | tr '\n' ' ')" >&2
    return 1
  fi
  local reported
  if ! reported="$("$dir/bin/haproxy" -v 2>&1)"; then
    rm -rf "$dir"
    echo "HAProxy $branch ($version) was fetched but does not run: $(echo "$reported" | head -n3 | tr '\n' ' ')" >&2
    return 1
  fi
  echo "$version" >"$dir/version"
  echo "haproxy-$branch $version $dir/bin/haproxy"
}

# The branches download concurrently: each spends most of its time waiting on the registry.
mkdir -p "$CACHE"
outputs="$(mktemp -d "${TMPDIR:-/tmp}/haproxy-versions-XXXXXX")"
trap 'rm -rf "$outputs"' EXIT
declare -A pids
for branch in "${BRANCHES[@]}"; do
  fetch_branch "$branch" >"$outputs/$branch" 2>&1 &
  pids[$branch]=$!
done
failed=0
for branch in "${BRANCHES[@]}"; do
  if ! wait "${pids[$branch]}"; then failed=1; fi
  cat "$outputs/$branch"
done
exit "$failed"
