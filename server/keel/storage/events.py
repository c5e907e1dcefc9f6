"""Recorder events: records snapshotted into rows at enqueue time, applied in one place.

Snapshotting on the caller's side means a workflow may keep mutating its
``RunRecord`` after handing it over without changing what gets written.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from keel.records import EstimateRecord, ModelCallRecord, RunRecord

from .metrics import METRIC_EVENTS
from .owner import ProcessOwner

Event = tuple[str, Any]

RUN_STARTED = "run_started"
RUN_FINISHED = "run_finished"
MODEL_CALL = "model_call"
ESTIMATE = "estimate"


def utc_iso(value: str | None = None) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``: sorts as text, and its first 10 chars are the day."""
    if value:
        moment = datetime.fromisoformat(value)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    else:
        moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def run_started_event(run: RunRecord, owner: ProcessOwner) -> Event:
    return RUN_STARTED, (run.run_id, run.workflow, run.target, "running",
                         utc_iso(run.started_at), owner.pid, owner.token)


# A report is kept to be reopened from history; a huge one (tens of thousands of findings)
# is cut, since the whole result is never kept either (keel/runFindings pages live runs).
REPORT_KEPT_CHARS = 200_000


def _bounded_report(markdown: str | None) -> str | None:
    if markdown is None or len(markdown) <= REPORT_KEPT_CHARS:
        return markdown
    return markdown[:REPORT_KEPT_CHARS] + "\n\n…(the rest of this report was not kept)\n"


def run_finished_event(run: RunRecord, owner: ProcessOwner) -> Event:
    row = (run.run_id, run.workflow, run.target, run.status, utc_iso(run.started_at),
           utc_iso(run.finished_at) if run.finished_at else None, int(run.duration_ms),
           float(run.actual_usd), float(run.baseline_usd), run.error_type, run.error_code,
           json.dumps(list(run.degraded)), _bounded_report(run.report_markdown), owner.pid,
           owner.token)
    stages = [
        (s.run_id or run.run_id, s.stage_id, s.status, s.tier, s.provider, s.model,
         int(s.attempts), int(bool(s.fallback_used)), int(s.input_tokens),
         int(s.output_tokens), float(s.usd), int(s.duration_ms), s.error_type, s.note,
         s.estimated_input_tokens, s.estimated_output_tokens, int(bool(s.cost_estimated)),
         int(bool(s.truncated)))
        for s in run.stages
    ]
    return RUN_FINISHED, (row, stages)


def model_call_event(call: ModelCallRecord) -> Event:
    return MODEL_CALL, (call.run_id, call.stage_id, call.provider, call.model, call.tier,
                        int(call.input_tokens), int(call.output_tokens), float(call.usd),
                        int(call.latency_ms), int(call.attempts), int(bool(call.fallback)),
                        call.breaker_state, call.outcome, call.error_type, call.error_code,
                        utc_iso(call.at), int(bool(call.cost_estimated)), call.stop_reason)


def estimate_event(estimate: EstimateRecord) -> Event:
    return ESTIMATE, (estimate.workflow, estimate.target, int(estimate.files),
                      int(estimate.input_tokens), int(estimate.output_tokens),
                      float(estimate.usd_expected), int(estimate.duration_ms),
                      utc_iso(estimate.at))


_INSERT_STARTED = """INSERT INTO runs (run_id, workflow, target, status, started_at,
        owner_pid, owner_token)
    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING"""
# Only the process that started a run may finish it: a run id reused by another
# process (refused up front, see HistoryReader.has_run) can never merge two runs.
_UPSERT_FINISHED = """INSERT INTO runs (run_id, workflow, target, status, started_at,
        finished_at, duration_ms, actual_usd, baseline_usd, error_type, error_code, degraded,
        report_markdown, owner_pid, owner_token)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id) DO UPDATE SET status = excluded.status,
        finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
        actual_usd = excluded.actual_usd, baseline_usd = excluded.baseline_usd,
        error_type = excluded.error_type, error_code = excluded.error_code,
        degraded = excluded.degraded, report_markdown = excluded.report_markdown
    WHERE runs.owner_pid IS excluded.owner_pid AND runs.owner_token IS excluded.owner_token"""
# First finish wins for stages: the estimator rollup counts each stage once.
_INSERT_STAGE = """INSERT INTO stages (run_id, stage_id, status, tier, provider, model,
        attempts, fallback_used, input_tokens, output_tokens, usd, duration_ms, error_type,
        note, estimated_input_tokens, estimated_output_tokens, cost_estimated, truncated)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id, stage_id) DO NOTHING"""
INSERT_CALL = """INSERT INTO model_calls (run_id, stage_id, provider, model, tier,
        input_tokens, output_tokens, usd, latency_ms, attempts, fallback, breaker_state,
        outcome, error_type, error_code, at, cost_estimated, stop_reason)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
_INSERT_ESTIMATE = """INSERT INTO estimates (workflow, target, files, input_tokens,
        output_tokens, usd_expected, duration_ms, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""


def apply_events(conn: sqlite3.Connection, events: list[Event]) -> None:
    """Write ``events`` in order (the caller owns the transaction)."""
    calls: list[tuple[Any, ...]] = []
    for kind, payload in events:
        if kind == MODEL_CALL:
            # Consecutive calls go in one executemany; order with runs is kept.
            calls.append(payload)
            continue
        if calls:
            conn.executemany(INSERT_CALL, calls)
            calls = []
        if kind == RUN_STARTED:
            conn.execute(_INSERT_STARTED, payload)
        elif kind == RUN_FINISHED:
            row, stages = payload
            conn.execute(_UPSERT_FINISHED, row)
            conn.executemany(_INSERT_STAGE, stages)
        elif kind == ESTIMATE:
            conn.execute(_INSERT_ESTIMATE, payload)
        elif kind in METRIC_EVENTS:
            METRIC_EVENTS[kind](conn, payload)
        else:
            raise ValueError(f"unknown storage event kind {kind!r}")
    if calls:
        conn.executemany(INSERT_CALL, calls)


def record_drops(conn: sqlite3.Connection, day: str, dropped: int) -> None:
    conn.execute(
        "INSERT INTO event_drops (day, dropped) VALUES (?, ?) "
        "ON CONFLICT (day) DO UPDATE SET dropped = dropped + excluded.dropped",
        (day, dropped),
    )
