"""How often and how long the OpenTelemetry exporter sends: shared by ``otel`` (which
never imports the SDK) and ``otel_sdk`` (which ``otel`` imports only when an endpoint is set)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TelemetryOptions:
    """Export cadence; the defaults suit a collector, tests shorten or lengthen them."""

    export_interval_ms: int = 15_000  # periodic metric export
    span_delay_ms: int = 2_000  # batch span processor schedule delay
    export_timeout_s: float = 5.0  # one OTLP POST, retries included
