#!/usr/bin/env bash
# A readable walk through Keel on the offline default: set up (skipped when nothing changed),
# check the machine with `keel doctor`, then start `keel serve` and use it as the extension does
# (the analysis is timed on a warm server: one untimed analysis warms the workers first, and says so).
# An argument is the sample workspace's folder (default: a new temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
printf '\n== Preflight (keel doctor)\n'
.venv/bin/keel doctor || true   # a failing check is shown with its fix; the demo still runs
.venv/bin/python scripts/demo_client.py "$@"
