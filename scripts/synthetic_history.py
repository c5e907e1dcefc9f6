"""Write a synthetic 30-day history with injected failures, for `keel report` demonstrations.

    python scripts/synthetic_history.py WORKSPACE STORAGE_DIR
    keel report --workspace WORKSPACE --storage-dir STORAGE_DIR

12 runs a day over the last 30 days (UTC), 3 model calls each, 20 requests per
run, one server start a day. Injected: an Anthropic outage on days 20-22
(failed first calls, fallbacks to OpenAI, more timeouts, failing estimates),
starts with a config error on 2 days, an unknown model id on day 5, a
negative call cost on day 7, runs with no baseline on day 12, and estimates
twice too high from day 25. Seeded: the same history every time.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from keel.storage import StorageRecorder, database_path
from keel.records import ModelCallRecord, RunRecord, StageRecord

STATUSES = ("succeeded", "failed", "timedOut", "partial", "cancelled")
METHODS = ("keel/health", "keel/estimateCost", "keel/runWorkflow")


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def record_day(recorder: StorageRecorder, rng: random.Random, day: int, base: datetime) -> None:
    outage = 20 <= day <= 22
    for k in range(12):
        started = base - timedelta(hours=8) + timedelta(minutes=37 * k)
        run_id = f"run-{day:02d}-{k:02d}"
        status = rng.choices(STATUSES, [90, 3, 20 if outage else 4, 2, 1])[0]
        workflow = ("review", "docs", "security-audit")[k % 3]
        recorder.run_started(RunRecord(run_id=run_id, workflow=workflow, target="src/app.py",
                                       status="running", started_at=iso(started)))
        spent = 0.0
        for c in range(3):
            failed = outage and c == 0
            usd = 0.0 if failed else (-0.02 if (day, k, c) == (7, 0, 0) else 0.01)
            spent += usd
            recorder.model_call(ModelCallRecord(
                run_id=run_id, stage_id=f"s{c}", provider="openai" if outage and c == 1
                else "anthropic", model="claude-sonnet-9" if day == 5 else "claude-sonnet-4-5",
                tier="capable", input_tokens=2000, output_tokens=300, usd=usd, latency_ms=900,
                attempts=2 if failed else 1, fallback=outage and c == 1, breaker_state="closed",
                outcome="failed" if failed else "succeeded",
                at=iso(started + timedelta(seconds=5 + 20 * c))))
        stage = StageRecord(run_id=run_id, stage_id="s0", status="succeeded", tier="capable",
                            provider="anthropic", model="claude-sonnet-4-5", attempts=1,
                            fallback_used=False, input_tokens=2000, output_tokens=300, usd=spent,
                            duration_ms=900, estimated_input_tokens=2100 if day < 25 else 4000,
                            estimated_output_tokens=300)
        recorder.run_finished(RunRecord(
            run_id=run_id, workflow=workflow, target="src/app.py", status=status,
            started_at=iso(started), finished_at=iso(started + timedelta(seconds=60)),
            duration_ms=60_000, actual_usd=spent,
            baseline_usd=0.0 if (day == 12 and k < 3) else spent * 4, stages=[stage]))
        for m in range(20):
            method = METHODS[m % 3]
            failed = method == "keel/estimateCost" and (outage or rng.random() < 0.02)
            recorder.request_done(method, failed=failed, at=iso(started))
    recorder.server_started(config_error=day in (3, 17), at=iso(base))


def main(workspace: Path, storage_dir: Path) -> None:
    path = database_path(workspace, storage_dir)
    if path.exists():
        raise SystemExit(f"{path} exists: use an empty storage dir")
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    recorder = StorageRecorder(path)
    rng = random.Random(15)
    for day in range(30):
        record_day(recorder, rng, day, now - timedelta(days=29 - day))
    if not recorder.close(60):
        raise SystemExit("history was not fully written")
    print(f"wrote 360 runs to {path}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
