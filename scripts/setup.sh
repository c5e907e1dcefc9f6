#!/usr/bin/env bash
# Set up a development environment from a clean clone: .venv with keel[dev], node_modules.
# Each install is skipped when its inputs have not changed since the last one that finished:
# a stamp holds the sha256 of pyproject.toml + the Python version (.venv/.keel-setup-stamp)
# and of package-lock.json (node_modules/.keel-stamp). Delete a stamp to force a reinstall.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

fingerprint() { sha256sum | cut -d' ' -f1; }

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
python_stamp="$({ cat pyproject.toml; .venv/bin/python --version; } | fingerprint)"
if [[ -x .venv/bin/keel && -f .venv/.keel-setup-stamp && "$(cat .venv/.keel-setup-stamp)" == "$python_stamp" ]]; then
  echo "setup: python environment up to date (.venv)"
else
  echo "setup: installing keel[dev] into .venv"
  rm -f .venv/.keel-setup-stamp
  .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  echo "$python_stamp" > .venv/.keel-setup-stamp
fi

if command -v npm >/dev/null 2>&1; then
  node_stamp="$(fingerprint < package-lock.json)"
  if [[ -f node_modules/.keel-stamp && "$(cat node_modules/.keel-stamp)" == "$node_stamp" ]]; then
    echo "setup: node modules up to date (node_modules)"
  else
    echo "setup: installing node modules (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    echo "$node_stamp" > node_modules/.keel-stamp
  fi
fi
