"""The OpenTelemetry-backed Telemetry; imported by ``otel.configure_telemetry`` only.

Private providers (never the global ones): the global providers can be set
once per process, and Keel must swap exporters when settings change. Neither
provider registers an atexit hook — exit-time flushing is ``shutdown``'s job,
bounded by its timeout, so a dead collector cannot hold the process open.

Every attribute value is a short identifier (method, workflow, provider,
model, tier, status, error type) passed through the path scrubber and the
redactor; prompts, code, targets and free-text notes are never exported.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from time import time_ns
from typing import Any, Concatenate, ParamSpec

import structlog
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from keel.records import EstimateRecord, ModelCallRecord, RunRecord

from .otel_options import TelemetryOptions
from .paths import PathScrubber
from .redaction import REDACTOR

log = structlog.get_logger(__name__)

_MS_BUCKETS = (5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
               120_000, 300_000, 600_000)
_ATTEMPT_BUCKETS = (1, 2, 3, 4, 6, 10)
_MAX_ATTR = 96
_SCRUB = PathScrubber()  # no allowed roots: every absolute path is shortened to …/<name>
# Model calls wait here until their run finishes and are drawn as children of its stages.
_MAX_PENDING_RUNS = 128
_MAX_CALLS_PER_RUN = 200

P = ParamSpec("P")


def clean(value: object) -> str:
    """An attribute value safe to leave the machine."""
    return REDACTOR.text(_SCRUB.text(str(value)))[:_MAX_ATTR]


def attrs(**values: object) -> dict[str, str | int | float | bool]:
    """Attributes without the Nones (OTel rejects them); strings cleaned."""
    out: dict[str, str | int | float | bool] = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = value if isinstance(value, bool | int | float) else clean(value)
    return out


def iso_ns(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1e9)
    except ValueError:
        return None


def guarded(
    fn: Callable[Concatenate[OtelTelemetry, P], None],
) -> Callable[Concatenate[OtelTelemetry, P], None]:
    """Telemetry is best-effort: a failure is counted and logged (once per kind), never raised."""

    @wraps(fn)
    def wrapper(self: OtelTelemetry, /, *args: P.args, **kwargs: P.kwargs) -> None:
        if self.closed:
            return
        try:
            fn(self, *args, **kwargs)
        except Exception as exc:
            self.errors += 1
            key = (fn.__name__, type(exc).__name__)
            level = log.debug if key in self.logged else log.warning
            self.logged.add(key)
            level("telemetry call failed", call=fn.__name__, error=type(exc).__name__)

    return wrapper


class OtelTelemetry:
    enabled = True

    def __init__(self, endpoint: str, service_version: str, options: TelemetryOptions) -> None:
        self.endpoint = endpoint
        self.errors = 0
        self.closed = False
        self.logged: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._pending: OrderedDict[str, list[ModelCallRecord]] = OrderedDict()
        resource = Resource.create({"service.name": "keel", "service.version": service_version})
        timeout_ms = options.export_timeout_s * 1000
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics", timeout=options.export_timeout_s),
            export_interval_millis=options.export_interval_ms, export_timeout_millis=timeout_ms)
        ms = ExplicitBucketHistogramAggregation(_MS_BUCKETS)
        views = [View(instrument_name=name, aggregation=ms) for name in
                 ("keel.request.duration", "keel.run.duration", "keel.model_call.latency")]
        views.append(View(instrument_name="keel.model_call.attempts",
                          aggregation=ExplicitBucketHistogramAggregation(_ATTEMPT_BUCKETS)))
        self._meters = MeterProvider(metric_readers=[reader], resource=resource, views=views,
                                     shutdown_on_exit=False)
        self._tracers = TracerProvider(resource=resource, shutdown_on_exit=False)
        self._tracers.add_span_processor(BatchSpanProcessor(
            OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", timeout=options.export_timeout_s),
            schedule_delay_millis=options.span_delay_ms, export_timeout_millis=timeout_ms))
        self._tracer = self._tracers.get_tracer("keel", service_version)
        meter = self._meters.get_meter("keel", service_version)
        self._requests = meter.create_counter("keel.requests", unit="{request}",
                                              description="keel/* requests answered")
        self._request_ms = meter.create_histogram("keel.request.duration", unit="ms")
        self._runs = meter.create_counter("keel.runs", unit="{run}",
                                          description="workflow runs finished")
        self._run_ms = meter.create_histogram("keel.run.duration", unit="ms")
        self._calls = meter.create_counter("keel.model_calls", unit="{call}")
        self._call_ms = meter.create_histogram("keel.model_call.latency", unit="ms")
        self._attempts = meter.create_histogram("keel.model_call.attempts", unit="{attempt}")
        self._fallbacks = meter.create_counter("keel.model_call.fallbacks", unit="{call}",
                                               description="model calls served by a fallback")
        self._tokens = meter.create_counter("keel.tokens", unit="{token}")
        self._usd = meter.create_counter("keel.cost.usd", unit="USD")
        self._estimates = meter.create_counter("keel.estimates", unit="{estimate}")

    @guarded
    def request(self, method: str, duration_ms: float, outcome: str,
                error_type: str | None = None) -> None:
        labels = attrs(method=method, outcome=outcome, error_type=error_type)
        self._requests.add(1, labels)
        self._request_ms.record(max(0.0, duration_ms), labels)
        end = time_ns()
        span = self._tracer.start_span(f"keel.request {labels['method']}",
                                       kind=trace.SpanKind.SERVER,
                                       start_time=end - int(max(0.0, duration_ms) * 1e6),
                                       attributes=attrs(**{"rpc.method": method,
                                                           "keel.outcome": outcome,
                                                           "error.type": error_type}))
        if outcome != "ok":
            span.set_status(trace.Status(trace.StatusCode.ERROR))
        span.end(end_time=end)

    @guarded
    def run_started(self, run: RunRecord) -> None:
        with self._lock:
            self._pending[run.run_id] = []
            while len(self._pending) > _MAX_PENDING_RUNS:
                self._pending.popitem(last=False)

    @guarded
    def model_call(self, call: ModelCallRecord) -> None:
        key = attrs(provider=call.provider, model=call.model, tier=call.tier)
        self._calls.add(1, {**key, **attrs(outcome=call.outcome, error_type=call.error_type)})
        self._call_ms.record(max(0, call.latency_ms), {**key, "outcome": clean(call.outcome)})
        self._attempts.record(max(0, call.attempts), key)
        if call.fallback:
            self._fallbacks.add(1, key)
        self._tokens.add(max(0, call.input_tokens), {**key, "direction": "input"})
        self._tokens.add(max(0, call.output_tokens), {**key, "direction": "output"})
        if call.usd > 0:
            self._usd.add(call.usd, key)
        with self._lock:
            calls = self._pending.get(call.run_id)
            if calls is not None and len(calls) < _MAX_CALLS_PER_RUN:
                calls.append(call)

    @guarded
    def run_finished(self, run: RunRecord) -> None:
        labels = attrs(workflow=run.workflow, status=run.status, error_type=run.error_type)
        self._runs.add(1, labels)
        self._run_ms.record(max(0, run.duration_ms), attrs(workflow=run.workflow,
                                                            status=run.status))
        with self._lock:
            calls = self._pending.pop(run.run_id, [])
        self._run_span(run, calls)

    @guarded
    def estimate_made(self, estimate: EstimateRecord) -> None:
        self._estimates.add(1, attrs(workflow=estimate.workflow))

    def _run_span(self, run: RunRecord, calls: list[ModelCallRecord]) -> None:
        """The run and its stages, drawn from the recorded times (the run is already over)."""
        duration_ns = max(0, run.duration_ms) * 1_000_000
        start = iso_ns(run.started_at) or time_ns() - duration_ns
        end = start + duration_ns
        root = self._tracer.start_span(
            f"keel.run {clean(run.workflow)}", kind=trace.SpanKind.INTERNAL, start_time=start,
            attributes=attrs(**{"keel.run.id": run.run_id, "keel.workflow": run.workflow,
                                "keel.run.status": run.status, "error.type": run.error_type,
                                "keel.error.code": run.error_code,
                                "keel.cost.usd": float(run.actual_usd),
                                "keel.cost.baseline_usd": float(run.baseline_usd),
                                "keel.degraded": len(run.degraded)}))
        if run.status not in ("succeeded", "partial"):
            root.set_status(trace.Status(trace.StatusCode.ERROR))
        parent = trace.set_span_in_context(root)
        by_stage: dict[str, list[ModelCallRecord]] = {}
        for call in calls:
            by_stage.setdefault(call.stage_id, []).append(call)
        # Stages carry durations, not start times: they are laid end to end from the run's start.
        cursor = start
        for stage in run.stages:
            s_start = min(cursor, end)
            s_end = min(s_start + max(0, stage.duration_ms) * 1_000_000, end)
            cursor = s_end
            span = self._tracer.start_span(
                f"keel.stage {clean(stage.stage_id)}", context=parent, start_time=s_start,
                attributes=attrs(**{"keel.stage.id": stage.stage_id,
                                    "keel.stage.status": stage.status, "keel.tier": stage.tier,
                                    "keel.provider": stage.provider, "keel.model": stage.model,
                                    "keel.attempts": stage.attempts,
                                    "keel.fallback": stage.fallback_used,
                                    "keel.tokens.input": stage.input_tokens,
                                    "keel.tokens.output": stage.output_tokens,
                                    "keel.cost.usd": float(stage.usd),
                                    "error.type": stage.error_type}))
            if stage.status == "failed":
                span.set_status(trace.Status(trace.StatusCode.ERROR))
            self._call_spans(by_stage.pop(stage.stage_id, []), trace.set_span_in_context(span),
                             s_start)
            span.end(end_time=s_end)
        for orphans in by_stage.values():  # calls of a stage the record does not list
            self._call_spans(orphans, parent, start)
        root.end(end_time=end)

    def _call_spans(self, calls: list[ModelCallRecord], parent: Any, fallback_start: int) -> None:
        for call in calls:
            latency_ns = max(0, call.latency_ms) * 1_000_000
            at = iso_ns(call.at)
            c_start = at - latency_ns if at is not None else fallback_start
            span = self._tracer.start_span(
                f"keel.model_call {clean(call.provider)}", context=parent,
                kind=trace.SpanKind.CLIENT, start_time=c_start,
                attributes=attrs(**{"keel.provider": call.provider, "keel.model": call.model,
                                    "keel.tier": call.tier, "keel.outcome": call.outcome,
                                    "keel.attempts": call.attempts, "keel.fallback": call.fallback,
                                    "keel.breaker_state": call.breaker_state,
                                    "keel.tokens.input": call.input_tokens,
                                    "keel.tokens.output": call.output_tokens,
                                    "keel.cost.usd": float(call.usd),
                                    "error.type": call.error_type,
                                    "keel.error.code": call.error_code}))
            if call.outcome != "succeeded":
                span.set_status(trace.Status(trace.StatusCode.ERROR))
            span.end(end_time=c_start + latency_ns)

    def force_flush(self, timeout_s: float = 5.0) -> bool:
        try:
            traced = self._tracers.force_flush(int(timeout_s * 1000))
            measured = self._meters.force_flush(timeout_s * 1000)
        except Exception as exc:
            log.warning("telemetry flush failed", error=type(exc).__name__)
            return False
        return bool(traced and measured)

    def shutdown(self, timeout_s: float = 1.0) -> None:
        """Flush what is buffered and stop; returns within ~``timeout_s`` even if the collector hangs."""
        if self.closed:
            return
        self.closed = True
        closer = threading.Thread(target=self._close, args=(timeout_s,), daemon=True,
                                  name="keel-otel-shutdown")
        closer.start()
        closer.join(timeout_s)
        if closer.is_alive():
            log.warning("telemetry export did not finish before shutdown",
                        timeout_s=timeout_s)

    def _close(self, timeout_s: float) -> None:
        try:
            self._tracers.force_flush(int(timeout_s * 1000))
            self._tracers.shutdown()
            self._meters.shutdown(timeout_millis=timeout_s * 1000)
        except Exception as exc:
            log.warning("telemetry shutdown failed", error=type(exc).__name__)
