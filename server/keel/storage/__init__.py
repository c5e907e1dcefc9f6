"""Run history and telemetry in SQLite (rollback journal, no mmap): a queued writer that never blocks or loses a run.

Write side: ``StorageRecorder`` (implements ``records.RunRecorder``; only enqueues).
Read side: ``HistoryReader`` (list_runs, usage_report, estimator_error, cleanup).
Location: ``database_path(workspace, settings.storage.dir)``.
"""

from .boundary import SchemaTooNew, StorageError
from .database import mark_interrupted_runs, open_database
from .health import StorageHealth
from .paths import database_path
from .reader import HistoryReader
from .recorder import StorageRecorder
from .retention import CleanupReport

__all__ = [
    "CleanupReport",
    "HistoryReader",
    "SchemaTooNew",
    "StorageError",
    "StorageHealth",
    "StorageRecorder",
    "database_path",
    "mark_interrupted_runs",
    "open_database",
]
