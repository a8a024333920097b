#!/usr/bin/env bash
# Download and unpack Debian's kernel source and matching built image into a cache folder, once.
# Usage: scripts/fetch-kernel.sh [6.12|6.1] [--source-only]   prints the cache folder on stdout.
# Layout: $CACHE/<ver>/src (the source tree), $CACHE/<ver>/image (the unpacked image package).
set -euo pipefail
ver="${1:-6.12}"
cache="${KFUNC_LSP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kfunc-lsp}"
dir="$cache/$ver"
mkdir -p "$dir"
cd "$dir"

need_apt_update=
pkg_version() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }
ensure_apt_index() {
  if [ -z "$need_apt_update" ] && [ -z "$(pkg_version "linux-source-$ver")" ]; then
    apt-get update -qq >&2 || true
  fi
  need_apt_update=done
}

if [ ! -f src/.done ]; then
  ensure_apt_index
  rm -rf src dl-src && mkdir -p dl-src
  (cd dl-src && apt-get download -q "linux-source-$ver" >&2)
  dpkg -x dl-src/*.deb dl-src/x
  tarball=$(ls dl-src/x/usr/src/linux-source-"$ver"*.tar.* | head -n1)
  mkdir -p src
  tar -xaf "$tarball" -C src --strip-components=1
  rm -rf dl-src
  touch src/.done
fi

if [ "${2:-}" != --source-only ] && [ ! -f image/.done ]; then
  ensure_apt_index
  command -v zstd >/dev/null || apt-get install -y -qq zstd >&2
  srcver=$(pkg_version "linux-source-$ver")
  # The image whose upstream version matches the source (6.12.117-1~deb12u1 -> 6.12.117+deb12).
  upstream="${srcver%%-*}"
  pkg=$(apt-cache search --names-only "^linux-image-${upstream}\+deb[0-9]+-amd64-unsigned$" | awk '{print $1}' | head -n1)
  if [ -z "$pkg" ]; then
    pkg=$(apt-cache search --names-only "^linux-image-${ver//./\\.}[.-][.0-9-]*(\+deb[0-9]+)?-amd64-unsigned$" | awk '{print $1}' | sort -V | tail -n1)
  fi
  if [ -z "$pkg" ]; then
    echo "fetch-kernel: no linux-image package for $ver in the apt index (source only: pass --source-only)" >&2
    exit 1
  fi
  rm -rf image dl-img && mkdir -p dl-img
  (cd dl-img && apt-get download -q "$pkg" >&2)
  dpkg -x dl-img/*.deb image
  rm -rf dl-img
  echo "$pkg" > image/.package
  touch image/.done
fi
echo "$dir"
