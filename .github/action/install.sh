#!/usr/bin/env bash
# Installs stageprint for the action into $STAGEPRINT_ROOT (default ~/.stageprint) and puts
# its bin/ on GITHUB_PATH. At a release tag, the release archive for this runner, checked
# against its published SHA-256 (a mismatch fails: never install a file that does not match);
# otherwise, or when no archive exists for this runner, `cargo install` from the same ref.
#
# Environment: ACTION_REPOSITORY (owner/name), ACTION_REF or STAGEPRINT_VERSION (the tag or
# ref), GITHUB_PATH; STAGEPRINT_DOWNLOAD_BASE (default https://github.com) for tests.
set -euo pipefail
repo=${ACTION_REPOSITORY:?ACTION_REPOSITORY is not set}
version=${STAGEPRINT_VERSION:-${ACTION_REF:-}}
root=${STAGEPRINT_ROOT:-$HOME/.stageprint}
base=${STAGEPRINT_DOWNLOAD_BASE:-https://github.com}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
  Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-gnu ;;
  Darwin-x86_64) target=x86_64-apple-darwin ;;
  Darwin-arm64) target=aarch64-apple-darwin ;;
  *) target="" ;;
esac

mkdir -p "$root/bin"
echo "$root/bin" >> "${GITHUB_PATH:?GITHUB_PATH is not set}"

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# 0: installed from the release; 1: no archive to use (fall back to a build).
from_release() {
  case "$version" in v[0-9]*) ;; *) return 1 ;; esac
  [ -n "$target" ] || return 1
  local url="$base/$repo/releases/download/$version/stageprint-$target.tar.gz"
  local tmp
  tmp=$(mktemp -d)
  if ! curl -fsSL --retry 3 -o "$tmp/archive.tar.gz" "$url" ||
     ! curl -fsSL --retry 3 -o "$tmp/archive.sha256" "$url.sha256"; then
    echo "no release archive at $url"
    return 1
  fi
  local expected actual
  expected=$(cut -d' ' -f1 < "$tmp/archive.sha256")
  actual=$(sha256 "$tmp/archive.tar.gz")
  if [ "$expected" != "$actual" ]; then
    echo "::error::the archive at $url does not match its published SHA-256; not installing it"
    exit 1
  fi
  tar -xzf "$tmp/archive.tar.gz" -C "$tmp"
  install -m 0755 "$tmp/stageprint-$target/stageprint" "$root/bin/stageprint"
  rm -rf "$tmp"
  echo "installed stageprint $version ($target) from the release"
}

from_source() {
  command -v cargo >/dev/null || {
    echo "::error::no release archive for ${version:-this ref} on ${target:-this runner}, and no cargo to build stageprint from source"
    exit 1
  }
  local args=(install --locked --root "$root" --git "$base/$repo")
  case "$version" in
    "") ;;
    v[0-9]*) args+=(--tag "$version") ;;
    *) if [[ "$version" =~ ^[0-9a-f]{40}$ ]]; then args+=(--rev "$version"); else args+=(--branch "$version"); fi ;;
  esac
  echo "building stageprint ${version:-(default branch)} from source"
  cargo "${args[@]}" stageprint
}

from_release || from_source
"$root/bin/stageprint" --version
