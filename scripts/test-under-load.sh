#!/usr/bin/env bash
# The Python suite with CPU-bound busy processes beside it (issue 13 point 6: the suite must pass
# while other work keeps every core busy). Starts BUSY processes that spin forever, runs the
# pytest part of the README's test command, stops the spinners (also on Ctrl-C or error), and
# prints the load average before and after, the wall time and pytest's result.
#
# Usage: scripts/test-under-load.sh [BUSY=2] [pytest arguments...]   (BUSY=0: a quiet run)
# Without test paths among the arguments pytest runs `tests` (pyproject's testpaths).
set -uo pipefail
cd "$(dirname "$0")/.."

busy=${1:-2}
shift $(( $# > 0 ? 1 : 0 ))
if [[ ! "$busy" =~ ^[0-9]+$ ]]; then
  echo "test-under-load.sh: BUSY must be a whole number of processes, not '$busy'" >&2
  exit 2
fi
if [[ ! -x .venv/bin/python ]]; then
  echo "test-under-load.sh: no .venv here; run scripts/setup.sh first" >&2
  exit 2
fi

spinners=()
stop_spinners() {
  for pid in "${spinners[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${spinners[@]}"; do
    wait "$pid" 2>/dev/null
  done
  spinners=()
}
trap stop_spinners EXIT
trap 'exit 130' INT TERM

for (( i = 0; i < busy; i++ )); do
  .venv/bin/python -c 'while True: pass' &
  spinners+=("$!")
done

echo "test-under-load: $busy busy processes; before: $(uptime)"
started=$(date +%s.%N)
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
status=$?
finished=$(date +%s.%N)
echo "test-under-load: after: $(uptime)"
stop_spinners
result=$([[ $status == 0 ]] && echo passed || echo "FAILED (pytest exit $status)")
printf 'test-under-load: %d busy processes, wall %.1f s, %s\n' "$busy" \
  "$(echo "$finished - $started" | bc)" "$result"
exit "$status"
