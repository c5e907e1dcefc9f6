"""Build a KeelApp with every feature wired in (the server's composition root)."""

from __future__ import annotations

from .state import KeelApp


def create_app(**kwargs) -> KeelApp:
    return KeelApp(**kwargs)
