"""Build a KeelApp with every feature wired in (the server's composition root)."""

from __future__ import annotations

from .state import KeelApp


def create_app(**kwargs) -> KeelApp:
    """Features install themselves when the client says ``initialized`` (see keel.lsp.server),
    so that nothing heavy is imported before ``initialize`` is answered."""
    return KeelApp(**kwargs)
