#!/usr/bin/env bash
# Installs what the editor tests need, once, into a cache folder (default ~/.cache/kfunc-lsp/e2e):
#   apt: chromium (driven by playwright-core), neovim (0.7.2 on Debian 12), libkrb5-dev + ripgrep (code-server's install)
#   npm: code-server 4.100.3 (the last line that runs on Node 20; VS Code 1.100.3) into $CACHE/code-server
# Prints the code-server binary path on its last line. Safe to re-run: finished steps are skipped.
set -euo pipefail
CACHE=${KFUNC_LSP_E2E_CACHE:-$HOME/.cache/kfunc-lsp/e2e}
CS_VERSION=4.100.3
RG_PKG_VERSION=1.15.11   # @vscode/ripgrep pinned by code-server 4.100.3 (lib/vscode/npm-shrinkwrap.json)
RG_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
mkdir -p "$CACHE"

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v nvim >/dev/null || need+=(neovim)
command -v rg >/dev/null || need+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "e2e: apt-get install ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

CS_DIR="$CACHE/code-server"
CS_BIN="$CS_DIR/node_modules/.bin/code-server"
if [ ! -x "$CS_BIN" ]; then
  echo "e2e: installing code-server $CS_VERSION into $CS_DIR (about 90 s)" >&2
  # @vscode/ripgrep's postinstall downloads rg from GitHub: pre-seed its cache with Debian's rg.
  RG_CACHE="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-${RG_PKG_VERSION}"
  mkdir -p "$RG_CACHE"
  if [ ! -s "$RG_CACHE/$RG_ASSET" ]; then
    tmp=$(mktemp -d); cp "$(command -v rg)" "$tmp/rg"; tar -C "$tmp" -czf "$RG_CACHE/$RG_ASSET" rg; rm -rf "$tmp"
  fi
  mkdir -p "$CS_DIR"
  ( cd "$CS_DIR"
    [ -f package.json ] || echo '{"name":"kfunc-lsp-e2e-tools","private":true}' > package.json
    # --unsafe-perm: code-server's postinstall refuses root without it; npm_config_yes: node-pty runs `npx node-gyp`.
    npm_config_yes=true npm install --no-audit --no-fund --unsafe-perm --foreground-scripts "code-server@${CS_VERSION}" >"$CS_DIR/install.log" 2>&1 \
      || { tail -40 "$CS_DIR/install.log" >&2; exit 1; } )
fi
"$CS_BIN" --config /dev/null --version >/dev/null   # --config: else code-server writes ~/.config/code-server/config.yaml
echo "$CS_BIN"
