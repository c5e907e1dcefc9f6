"""Counting keel/* request outcomes into history (the client request failure rate).

Its own small module: ``keel.lsp.dispatch`` imports it (the import-time budget, docs/architecture.md).
"""

from __future__ import annotations

from .state import KeelApp


def count_request(app: KeelApp, method: str, outcome: str) -> None:
    """One keel/* request answered; ``outcome`` is dispatch's ok / error / cancelled.

    A cancelled request is counted but is not a failure: the client chose it.
    Before storage starts nothing is counted.
    """
    if app.storage is not None:
        app.storage.request_done(method, failed=outcome == "error")
