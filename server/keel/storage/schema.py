"""The history schema as a list of forward migrations, v1 → … → v5.

Each step is the historical DDL of that version: applying steps 1..k yields
exactly the database an older Keel wrote at version k. Never edit a released
step; append a new one.

v1  runs, stages, model_calls, meta (schema_version)
v2  estimates table; stages gain estimated_* token columns (calibration)
v3  per-day rollups kept by triggers, so reports read a few hundred rows
    instead of every model call; indexes for history listing and retention
v4  runs record their owning process (pid + start token, ``owner.py``), so a
    second server marks only a dead process's runs ``interrupted`` and a run
    id never merges two processes' runs
v5  reliability rollups (requests, starts, writes, models) and cost-anomaly
    indexes: see metrics_schema.py
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from .metrics_schema import V5, rebuild_model_rollup
from .rollups import FAILING_OUTCOMES, rebuild_rollups


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]
    backfill: Callable[[sqlite3.Connection], None] | None = None


V1 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE runs (
        run_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, target TEXT NOT NULL,
        status TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
        duration_ms INTEGER NOT NULL DEFAULT 0, actual_usd REAL NOT NULL DEFAULT 0,
        baseline_usd REAL NOT NULL DEFAULT 0, error_type TEXT, error_code TEXT,
        degraded TEXT NOT NULL DEFAULT '[]')""",
    "CREATE INDEX runs_started ON runs(started_at)",
    """CREATE TABLE stages (
        run_id TEXT NOT NULL, stage_id TEXT NOT NULL, status TEXT NOT NULL, tier TEXT,
        provider TEXT, model TEXT, attempts INTEGER NOT NULL DEFAULT 0,
        fallback_used INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0, usd REAL NOT NULL DEFAULT 0,
        duration_ms INTEGER NOT NULL DEFAULT 0, error_type TEXT, note TEXT,
        PRIMARY KEY (run_id, stage_id))""",
    """CREATE TABLE model_calls (
        id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, stage_id TEXT NOT NULL,
        provider TEXT NOT NULL, model TEXT NOT NULL, tier TEXT,
        input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
        usd REAL NOT NULL DEFAULT 0, latency_ms INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 1, fallback INTEGER NOT NULL DEFAULT 0,
        breaker_state TEXT NOT NULL DEFAULT 'closed', outcome TEXT NOT NULL,
        error_type TEXT, error_code TEXT, at TEXT NOT NULL)""",
    "CREATE INDEX model_calls_run ON model_calls(run_id)",
)

V2 = (
    """CREATE TABLE estimates (
        id INTEGER PRIMARY KEY, workflow TEXT NOT NULL, target TEXT NOT NULL,
        files INTEGER NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
        usd_expected REAL NOT NULL, duration_ms INTEGER NOT NULL, at TEXT NOT NULL)""",
    "CREATE INDEX estimates_at ON estimates(at)",
    "ALTER TABLE stages ADD COLUMN estimated_input_tokens INTEGER",
    "ALTER TABLE stages ADD COLUMN estimated_output_tokens INTEGER",
)

_FAILING = repr(FAILING_OUTCOMES)  # an SQL list literal: ("failed", ...)
_RUN_ROLLUP_ADD = """
    INSERT INTO run_rollup (day, workflow, status, runs, actual_usd, baseline_usd)
    VALUES (substr(NEW.started_at, 1, 10), NEW.workflow, NEW.status, 1,
            NEW.actual_usd, NEW.baseline_usd)
    ON CONFLICT (day, workflow, status) DO UPDATE SET runs = runs + 1,
        actual_usd = actual_usd + excluded.actual_usd,
        baseline_usd = baseline_usd + excluded.baseline_usd;"""

V3 = (
    "CREATE INDEX runs_workflow_started ON runs(workflow, started_at)",
    "CREATE INDEX runs_running ON runs(status) WHERE status = 'running'",
    "CREATE INDEX model_calls_at ON model_calls(at)",
    """CREATE TABLE run_rollup (
        day TEXT NOT NULL, workflow TEXT NOT NULL, status TEXT NOT NULL,
        runs INTEGER NOT NULL, actual_usd REAL NOT NULL, baseline_usd REAL NOT NULL,
        PRIMARY KEY (day, workflow, status)) WITHOUT ROWID""",
    """CREATE TABLE call_rollup (
        day TEXT NOT NULL, workflow TEXT NOT NULL, provider TEXT NOT NULL,
        calls INTEGER NOT NULL, succeeded INTEGER NOT NULL, failed INTEGER NOT NULL,
        timed_out INTEGER NOT NULL, fallbacks INTEGER NOT NULL, attempts INTEGER NOT NULL,
        usd REAL NOT NULL, PRIMARY KEY (day, workflow, provider)) WITHOUT ROWID""",
    """CREATE TABLE recovery_rollup (
        day TEXT NOT NULL, provider TEXT NOT NULL, recoveries INTEGER NOT NULL,
        recovery_ms INTEGER NOT NULL, PRIMARY KEY (day, provider)) WITHOUT ROWID""",
    "CREATE TABLE provider_outage (provider TEXT PRIMARY KEY, since_at TEXT NOT NULL)",
    """CREATE TABLE estimator_rollup (
        day TEXT NOT NULL, workflow TEXT NOT NULL, samples INTEGER NOT NULL,
        abs_pct_sum REAL NOT NULL, pct_sum REAL NOT NULL,
        PRIMARY KEY (day, workflow)) WITHOUT ROWID""",
    "CREATE TABLE event_drops (day TEXT PRIMARY KEY, dropped INTEGER NOT NULL)",
    f"CREATE TRIGGER runs_rollup_insert AFTER INSERT ON runs BEGIN {_RUN_ROLLUP_ADD} END",
    f"""CREATE TRIGGER runs_rollup_update AFTER UPDATE ON runs BEGIN
        UPDATE run_rollup SET runs = runs - 1, actual_usd = actual_usd - OLD.actual_usd,
            baseline_usd = baseline_usd - OLD.baseline_usd
        WHERE day = substr(OLD.started_at, 1, 10) AND workflow = OLD.workflow
          AND status = OLD.status;
        {_RUN_ROLLUP_ADD} END""",
    """CREATE TRIGGER calls_rollup_insert AFTER INSERT ON model_calls BEGIN
        INSERT INTO call_rollup (day, workflow, provider, calls, succeeded, failed,
                                 timed_out, fallbacks, attempts, usd)
        VALUES (substr(NEW.at, 1, 10),
                COALESCE((SELECT workflow FROM runs WHERE run_id = NEW.run_id), ''),
                NEW.provider, 1, NEW.outcome = 'succeeded',
                NEW.outcome IN ('failed', 'refused'), NEW.outcome = 'timedOut',
                NEW.fallback != 0, NEW.attempts, NEW.usd)
        ON CONFLICT (day, workflow, provider) DO UPDATE SET calls = calls + 1,
            succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed,
            timed_out = timed_out + excluded.timed_out,
            fallbacks = fallbacks + excluded.fallbacks,
            attempts = attempts + excluded.attempts, usd = usd + excluded.usd;
        END""",
    f"""CREATE TRIGGER calls_outage_start AFTER INSERT ON model_calls
        WHEN NEW.outcome IN {_FAILING} BEGIN
        INSERT OR IGNORE INTO provider_outage (provider, since_at) VALUES (NEW.provider, NEW.at);
        END""",
    """CREATE TRIGGER calls_outage_end AFTER INSERT ON model_calls
        WHEN NEW.outcome = 'succeeded' BEGIN
        INSERT INTO recovery_rollup (day, provider, recoveries, recovery_ms)
        SELECT substr(NEW.at, 1, 10), provider, 1,
               CAST(round((julianday(NEW.at) - julianday(since_at)) * 86400000) AS INTEGER)
        FROM provider_outage WHERE provider = NEW.provider
        ON CONFLICT (day, provider) DO UPDATE SET recoveries = recoveries + 1,
            recovery_ms = recovery_ms + excluded.recovery_ms;
        DELETE FROM provider_outage WHERE provider = NEW.provider;
        END""",
    """CREATE TRIGGER stages_estimator_insert AFTER INSERT ON stages
        WHEN NEW.estimated_input_tokens IS NOT NULL
         AND NEW.input_tokens + NEW.output_tokens > 0 BEGIN
        INSERT INTO estimator_rollup (day, workflow, samples, abs_pct_sum, pct_sum)
        SELECT substr(started_at, 1, 10), workflow, 1, abs(err), err FROM (
            SELECT r.started_at, r.workflow,
                   100.0 * (NEW.estimated_input_tokens
                            + COALESCE(NEW.estimated_output_tokens, 0)
                            - NEW.input_tokens - NEW.output_tokens)
                   / (NEW.input_tokens + NEW.output_tokens) AS err
            FROM runs r WHERE r.run_id = NEW.run_id)
        WHERE true
        ON CONFLICT (day, workflow) DO UPDATE SET samples = samples + 1,
            abs_pct_sum = abs_pct_sum + excluded.abs_pct_sum,
            pct_sum = pct_sum + excluded.pct_sum;
        END""",
)


V4 = (
    "ALTER TABLE runs ADD COLUMN owner_pid INTEGER",
    "ALTER TABLE runs ADD COLUMN owner_token TEXT",
)

V6 = ("ALTER TABLE runs ADD COLUMN report_markdown TEXT",)

# Issue 26: usage a provider did not report is estimated; such a stage is no evidence
# of how good the estimator is, so the estimator rollup leaves it out.
V7 = (
    "ALTER TABLE stages ADD COLUMN cost_estimated INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE stages ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE model_calls ADD COLUMN cost_estimated INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE model_calls ADD COLUMN stop_reason TEXT",
    "DROP TRIGGER stages_estimator_insert",
    V3[-1].replace("WHEN NEW.estimated_input_tokens IS NOT NULL",
                   "WHEN NEW.estimated_input_tokens IS NOT NULL AND NOT NEW.cost_estimated"),
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "runs, stages, model_calls, meta", V1),
    Migration(2, "estimates table and stage estimate columns", V2),
    Migration(3, "per-day rollups and report indexes", V3, rebuild_rollups),
    Migration(4, "the owning process of each run", V4),
    Migration(5, "reliability rollups and cost-anomaly indexes", V5, rebuild_model_rollup),
    Migration(6, "each run's report, so history can reopen it", V6),
    Migration(7, "estimated usage and truncation flags; the estimator skips estimated stages",
              V7),
)
CURRENT_VERSION = MIGRATIONS[-1].version
