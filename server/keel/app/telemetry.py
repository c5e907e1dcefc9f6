"""Optional OpenTelemetry export, configured from settings.telemetry.otlpEndpoint."""

from __future__ import annotations

from keel import __version__
from keel.observability.otel import TelemetryHub

from .state import KeelApp


def install_telemetry(app: KeelApp) -> None:
    """A no-op hub until an endpoint is set; building the exporter happens off the loop."""
    hub = TelemetryHub(__version__)
    app.telemetry = hub
    app.add_settings_hook(lambda: hub.configure(app.settings.telemetry.otlp_endpoint))
    hub.configure(app.settings.telemetry.otlp_endpoint)
