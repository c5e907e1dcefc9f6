#!/usr/bin/env bash
# Run every benchmark, write bench/results/latest.json, regenerate docs/performance.md's
# measured section, its plots (docs/perf/*.svg) and the README's figures.
#   scripts/bench.sh [--quick] [--only SECTION ...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python bench/suite/run.py "$@"
