#!/usr/bin/env bash
# Set up and run every test (unit, contract, end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/python -m pytest tests "$@"
