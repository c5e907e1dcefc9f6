"""Optional OpenTelemetry export (extra ``keel[otel]``): requests, runs and model calls over OTLP/HTTP.

This module never imports opentelemetry: the SDK and exporter cost ~250 ms to
import, and most users never set ``settings.telemetry.otlpEndpoint``. The SDK
side lives in ``otel_sdk`` and is imported by ``configure_telemetry`` only when
an endpoint is set. Without one, every call lands on ``NullTelemetry`` (no-ops).

Public surface:
- ``configure_telemetry(endpoint, service_version)`` → ``Telemetry`` (blocking build);
- ``TelemetryHub``: the one long-lived object of the app; swaps its backend when
  settings change and builds it off the caller's thread;
- ``TelemetryRecorder(inner, telemetry)``: a ``RunRecorder`` tee.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import structlog

from .otel_options import TelemetryOptions as TelemetryOptions  # part of this module's surface

if TYPE_CHECKING:
    from keel.records import EstimateRecord, ModelCallRecord, RunRecord, RunRecorder

log = structlog.get_logger(__name__)

INSTALL_HINT = "pip install 'keel[otel]'"
_missing_warned = False


class Telemetry(Protocol):
    """What the server calls. Every method returns at once and never raises."""

    # Read-only: the hub reports its current backend's values, it does not store its own.
    @property
    def enabled(self) -> bool: ...

    @property
    def endpoint(self) -> str | None: ...

    @property
    def errors(self) -> int: ...

    def request(self, method: str, duration_ms: float, outcome: str,
                error_type: str | None = None) -> None: ...

    def run_started(self, run: RunRecord) -> None: ...

    def model_call(self, call: ModelCallRecord) -> None: ...

    def run_finished(self, run: RunRecord) -> None: ...

    def estimate_made(self, estimate: EstimateRecord) -> None: ...

    def force_flush(self, timeout_s: float = 5.0) -> bool: ...

    def shutdown(self, timeout_s: float = 1.0) -> None: ...


class NullTelemetry:
    """Telemetry when no endpoint is set or the extra is not installed: does nothing, cheaply."""

    enabled = False
    endpoint: str | None = None
    errors = 0

    def request(self, method: str, duration_ms: float, outcome: str,
                error_type: str | None = None) -> None:
        pass

    def run_started(self, run: RunRecord) -> None:
        pass

    def model_call(self, call: ModelCallRecord) -> None:
        pass

    def run_finished(self, run: RunRecord) -> None:
        pass

    def estimate_made(self, estimate: EstimateRecord) -> None:
        pass

    def force_flush(self, timeout_s: float = 5.0) -> bool:
        return True

    def shutdown(self, timeout_s: float = 1.0) -> None:
        pass


NULL_TELEMETRY = NullTelemetry()


def normalize_endpoint(endpoint: str | None) -> str | None:
    """``http(s)://host[:port][/prefix]`` without a trailing slash; None when unset or unusable."""
    if endpoint is None or not endpoint.strip():
        return None
    endpoint = endpoint.strip().rstrip("/")
    try:
        parts = urlsplit(endpoint)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        usable = False
    if not usable:
        # The value itself is not logged: a malformed URL may carry credentials.
        log.warning("telemetry disabled: otlpEndpoint is not an http(s) URL")
        return None
    return endpoint


def describe_endpoint(endpoint: str) -> str:
    """Scheme, host and port only: userinfo and query strings may hold credentials."""
    parts = urlsplit(endpoint)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def configure_telemetry(endpoint: str | None, service_version: str, *,
                        previous: Telemetry | None = None,
                        options: TelemetryOptions | None = None) -> Telemetry:
    """Build the exporting Telemetry for ``endpoint`` (blocking: imports the SDK when set).

    ``previous`` is shut down in the background (it may be flushing to a dead
    collector). Returns ``NULL_TELEMETRY`` when the endpoint is unset/unusable or
    the extra is missing (warned once).
    """
    global _missing_warned
    if previous is not None and previous is not NULL_TELEMETRY:
        shutdown_in_background(previous)
    endpoint = normalize_endpoint(endpoint)
    if endpoint is None:
        return NULL_TELEMETRY
    try:
        sdk = importlib.import_module("keel.observability.otel_sdk")
    except ImportError as exc:
        if not _missing_warned:
            _missing_warned = True
            log.warning(f"telemetry disabled: OpenTelemetry is not installed; run {INSTALL_HINT}",
                        missing=getattr(exc, "name", None))
        return NULL_TELEMETRY
    try:
        telemetry: Telemetry = sdk.OtelTelemetry(endpoint, service_version,
                                                 options or TelemetryOptions())
    except Exception as exc:  # a broken SDK install must not stop the server
        log.warning("telemetry disabled: exporter setup failed", error=type(exc).__name__)
        return NULL_TELEMETRY
    log.info("telemetry export on", endpoint=describe_endpoint(endpoint))
    return telemetry


def shutdown_in_background(telemetry: Telemetry, timeout_s: float = 2.0) -> None:
    threading.Thread(target=telemetry.shutdown, args=(timeout_s,), daemon=True,
                     name="keel-otel-retire").start()


class TelemetryHub:
    """The app's one Telemetry: delegates to the current backend, swapped on settings change.

    ``configure`` returns at once: the build (SDK import, exporters) runs on a
    daemon thread so a settings change on the event loop never waits for it.
    Events arriving before the build finishes go to ``NullTelemetry``.
    """

    def __init__(self, service_version: str, options: TelemetryOptions | None = None) -> None:
        self.service_version = service_version
        self.options = options
        self._current: Telemetry = NULL_TELEMETRY
        self._target: str | None = None
        self._generation = 0
        self._closed = False
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._ready.set()

    @property
    def current(self) -> Telemetry:
        return self._current

    @property
    def enabled(self) -> bool:
        return self._current.enabled

    @property
    def endpoint(self) -> str | None:
        return self._current.endpoint

    @property
    def errors(self) -> int:
        return self._current.errors

    def configure(self, endpoint: str | None, *, wait: bool = False) -> None:
        endpoint = normalize_endpoint(endpoint)
        with self._lock:
            if self._closed or endpoint == self._target:
                return
            self._target = endpoint
            self._generation += 1
            generation = self._generation
            self._ready.clear()
        builder = threading.Thread(target=self._build, args=(generation, endpoint), daemon=True,
                                   name="keel-otel-build")
        builder.start()
        if wait:
            builder.join()

    def wait_ready(self, timeout_s: float) -> bool:
        """True once the latest ``configure`` is in effect (for tests and diagnostics)."""
        return self._ready.wait(timeout_s)

    def _build(self, generation: int, endpoint: str | None) -> None:
        built = configure_telemetry(endpoint, self.service_version, options=self.options)
        with self._lock:
            if generation == self._generation and not self._closed:
                retired, self._current = self._current, built
                self._ready.set()
            else:
                retired = built  # a newer configure (or shutdown) overtook this build
        if retired is not NULL_TELEMETRY:
            retired.shutdown(2.0)

    def request(self, method: str, duration_ms: float, outcome: str,
                error_type: str | None = None) -> None:
        self._current.request(method, duration_ms, outcome, error_type)

    def run_started(self, run: RunRecord) -> None:
        self._current.run_started(run)

    def model_call(self, call: ModelCallRecord) -> None:
        self._current.model_call(call)

    def run_finished(self, run: RunRecord) -> None:
        self._current.run_finished(run)

    def estimate_made(self, estimate: EstimateRecord) -> None:
        self._current.estimate_made(estimate)

    def force_flush(self, timeout_s: float = 5.0) -> bool:
        return self._current.force_flush(timeout_s)

    def shutdown(self, timeout_s: float = 1.0) -> None:
        """Flush and stop the exporter (blocks up to ``timeout_s``: call it off the event loop)."""
        with self._lock:
            self._closed = True
            self._generation += 1
            current, self._current = self._current, NULL_TELEMETRY
            self._ready.set()
        current.shutdown(timeout_s)


class TelemetryRecorder:
    """A RunRecorder tee: forwards every call to ``inner`` (storage first), then to telemetry.

    Neither side's exception reaches the caller (a workflow): storage health has
    its own reporting and telemetry is best-effort. Failures are logged once per
    kind and counted in ``inner_errors`` / ``telemetry_errors``.
    """

    def __init__(self, inner: RunRecorder, telemetry: Telemetry) -> None:
        self.inner = inner
        self.telemetry = telemetry
        self.inner_errors = 0
        self.telemetry_errors = 0
        self._logged: set[tuple[str, str, str]] = set()

    def _call(self, side: str, fn: Callable[[Any], None], record: Any) -> None:
        try:
            fn(record)
        except Exception as exc:
            if side == "inner":
                self.inner_errors += 1
            else:
                self.telemetry_errors += 1
            key = (side, fn.__name__, type(exc).__name__)
            if key not in self._logged:
                self._logged.add(key)
                log.warning("recorder call failed", side=side, call=fn.__name__,
                            error=type(exc).__name__)
            else:
                log.debug("recorder call failed", side=side, call=fn.__name__,
                          error=type(exc).__name__)

    def run_started(self, run: RunRecord) -> None:
        self._call("inner", self.inner.run_started, run)
        self._call("telemetry", self.telemetry.run_started, run)

    def model_call(self, call: ModelCallRecord) -> None:
        self._call("inner", self.inner.model_call, call)
        self._call("telemetry", self.telemetry.model_call, call)

    def run_finished(self, run: RunRecord) -> None:
        self._call("inner", self.inner.run_finished, run)
        self._call("telemetry", self.telemetry.run_finished, run)

    def estimate_made(self, estimate: EstimateRecord) -> None:
        self._call("inner", self.inner.estimate_made, estimate)
        self._call("telemetry", self.telemetry.estimate_made, estimate)
