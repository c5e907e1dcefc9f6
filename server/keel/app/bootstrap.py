"""Build a KeelApp with every feature wired in (the server's composition root)."""

from __future__ import annotations

from .provider_health import install_provider_health
from .state import KeelApp


def create_app(**kwargs) -> KeelApp:
    app = KeelApp(**kwargs)
    install_provider_health(app)
    return app
