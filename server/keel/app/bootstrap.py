"""The server's app: built before ``initialize`` is answered, so it builds only what is cheap."""

from __future__ import annotations

from .state import KeelApp


def create_app(**kwargs) -> KeelApp:
    """A ``KeelApp`` for ``keel serve`` (``kwargs`` are its constructor arguments).

    Nothing else is wired here: the server starts storage, telemetry and the health
    components at ``initialized`` (``keel.lsp.server``), and the rest is built on first
    use (``keel.app.services``), so that ``initialize`` is answered before anything heavy
    is imported."""
    return KeelApp(**kwargs)
