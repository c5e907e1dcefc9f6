"""Schema v5: what the reliability metrics and report warnings read (see docs/reliability.md).

v5  request_rollup  keel/* requests and failures per day and method
    start_rollup    server starts per day, and how many started with a config error
    write_rollup    recorder events committed per day (drops are in event_drops)
    model_rollup    model calls and USD per day, provider and model id, kept by a
                    trigger, so "priced with a model missing from the registry" reads
                    a few rows per day instead of every call
    two partial indexes holding only the runs and calls whose costs look wrong:
    empty for a healthy history, so the anomaly checks cost nothing to read
"""

from __future__ import annotations

import sqlite3

# Costs above these are implausible for one run / one model call (the dearest model
# in the registry charges $75 per million output tokens: $50 is ~650k output tokens).
IMPLAUSIBLE_RUN_USD = 50.0
IMPLAUSIBLE_CALL_USD = 10.0

# Used verbatim in the indexes and in the queries: SQLite uses a partial index only
# when the query's WHERE contains the index's WHERE term as written.
RUN_COST_ANOMALY = (f"(actual_usd < 0 OR baseline_usd < 0 OR actual_usd > {IMPLAUSIBLE_RUN_USD}"
                    " OR (baseline_usd = 0 AND actual_usd > 0))")
CALL_COST_ANOMALY = f"(usd < 0 OR usd > {IMPLAUSIBLE_CALL_USD})"

V5 = (
    """CREATE TABLE request_rollup (
        day TEXT NOT NULL, method TEXT NOT NULL, requests INTEGER NOT NULL,
        failed INTEGER NOT NULL, PRIMARY KEY (day, method)) WITHOUT ROWID""",
    """CREATE TABLE start_rollup (
        day TEXT PRIMARY KEY, starts INTEGER NOT NULL,
        config_errors INTEGER NOT NULL) WITHOUT ROWID""",
    "CREATE TABLE write_rollup (day TEXT PRIMARY KEY, written INTEGER NOT NULL) WITHOUT ROWID",
    """CREATE TABLE model_rollup (
        day TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
        calls INTEGER NOT NULL, usd REAL NOT NULL,
        PRIMARY KEY (day, provider, model)) WITHOUT ROWID""",
    """CREATE TRIGGER calls_model_rollup AFTER INSERT ON model_calls BEGIN
        INSERT INTO model_rollup (day, provider, model, calls, usd)
        VALUES (substr(NEW.at, 1, 10), NEW.provider, NEW.model, 1, NEW.usd)
        ON CONFLICT (day, provider, model) DO UPDATE SET calls = calls + 1,
            usd = usd + excluded.usd;
        END""",
    f"CREATE INDEX runs_cost_anomaly ON runs(started_at) WHERE {RUN_COST_ANOMALY}",
    f"CREATE INDEX model_calls_cost_anomaly ON model_calls(at) WHERE {CALL_COST_ANOMALY}",
)


def rebuild_model_rollup(conn: sqlite3.Connection, through_day: str = "9999-12-31") -> None:
    """Recompute ``model_rollup`` up to ``through_day`` (migration to v5, after retention)."""
    conn.execute("DELETE FROM model_rollup WHERE day <= ?", (through_day,))
    conn.execute(
        """INSERT INTO model_rollup (day, provider, model, calls, usd)
           SELECT substr(at, 1, 10) AS d, provider, model, count(*), total(usd)
           FROM model_calls WHERE substr(at, 1, 10) <= ? GROUP BY d, provider, model""",
        (through_day,))


def has_model_rollup(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                        "AND name = 'model_rollup'").fetchone() is not None
