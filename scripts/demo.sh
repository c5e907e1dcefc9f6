#!/usr/bin/env bash
# The main job on the offline default: set up, check the machine, then talk to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/keel doctor || true   # a failing check is shown with its fix; the demo still runs
.venv/bin/python scripts/demo_client.py "$@"
