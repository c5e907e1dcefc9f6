"""OpenTelemetry export against a local OTLP/HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import gzip
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from structlog.testing import capture_logs

from keel.observability import otel
from keel.observability.otel import (
    NULL_TELEMETRY,
    NullTelemetry,
    TelemetryHub,
    TelemetryOptions,
    TelemetryRecorder,
    configure_telemetry,
)
from keel.observability.redaction import REDACTOR
from keel.records import (
    EstimateRecord,
    MemoryRecorder,
    ModelCallRecord,
    RunRecord,
    StageRecord,
)

# Metrics go out on shutdown/force_flush only (interval far beyond a test); spans likewise.
FAST = TelemetryOptions(export_interval_ms=60_000, span_delay_ms=60_000, export_timeout_s=2.0)


@dataclass
class Receiver:
    url: str
    posts: list[tuple[str, bytes]] = field(default_factory=list)

    def bodies(self, path: str) -> list[bytes]:
        return [body for p, body in self.posts if p == path]

    def raw(self) -> bytes:
        return b"".join(body for _, body in self.posts)

    def last_metrics(self) -> dict[str, list]:
        """name → data points of the latest export (cumulative: it holds every series)."""
        bodies = self.bodies("/v1/metrics")
        assert bodies, "no metrics were exported"
        request = ExportMetricsServiceRequest.FromString(bodies[-1])
        out: dict[str, list] = {}
        for rm in request.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    kind = metric.WhichOneof("data")
                    out.setdefault(metric.name, []).extend(getattr(metric, kind).data_points)
        return out

    def spans(self) -> list:
        found = []
        for body in self.bodies("/v1/traces"):
            for rs in ExportTraceServiceRequest.FromString(body).resource_spans:
                for ss in rs.scope_spans:
                    found.extend(ss.spans)
        return found

    def resource_attrs(self) -> dict[str, str]:
        request = ExportMetricsServiceRequest.FromString(self.bodies("/v1/metrics")[-1])
        return labels(request.resource_metrics[0].resource)


def labels(item) -> dict:
    out = {}
    for kv in item.attributes:
        value = kv.value
        out[kv.key] = getattr(value, value.WhichOneof("value"))
    return out


def points(metrics: dict[str, list], name: str) -> dict[frozenset, object]:
    return {frozenset(labels(p).items()): p for p in metrics[name]}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    posts: list[tuple[str, bytes]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            with lock:
                posts.append((self.path, body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass  # http.server writes to stderr otherwise

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}", posts)
    finally:
        server.shutdown()
        server.server_close()


def dead_endpoint() -> str:
    with socket.socket() as sock:  # bound then closed: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def make_run(run_id: str = "run-1", workflow: str = "review", status: str = "succeeded",
             **extra: object) -> RunRecord:
    stages = [
        StageRecord(run_id=run_id, stage_id="scan", status="succeeded", tier="cheap",
                    provider="anthropic-main", model="claude-haiku", attempts=1,
                    fallback_used=False, input_tokens=100, output_tokens=20, usd=0.001,
                    duration_ms=300),
        StageRecord(run_id=run_id, stage_id="review", status="succeeded", tier="capable",
                    provider="openai-backup", model="gpt-4o", attempts=2, fallback_used=True,
                    input_tokens=400, output_tokens=80, usd=0.02, duration_ms=700),
    ]
    fields: dict = dict(run_id=run_id, workflow=workflow, target="/home/alice/project/src",
                        status=status, started_at="2024-05-01T10:00:00.000Z",
                        finished_at="2024-05-01T10:00:01.000Z", duration_ms=1000,
                        actual_usd=0.021, stages=stages)
    fields.update(extra)
    return RunRecord(**fields)


def make_call(run_id: str = "run-1", stage_id: str = "scan", provider: str = "anthropic-main",
              model: str = "claude-haiku", outcome: str = "succeeded", fallback: bool = False,
              **extra: object) -> ModelCallRecord:
    fields: dict = dict(run_id=run_id, stage_id=stage_id, provider=provider, model=model,
                        tier="cheap", input_tokens=100, output_tokens=20, usd=0.001,
                        latency_ms=250, attempts=1, fallback=fallback, breaker_state="closed",
                        outcome=outcome, at="2024-05-01T10:00:00.280Z")
    fields.update(extra)
    return ModelCallRecord(**fields)


def test_request_run_and_model_calls_are_exported_as_metrics_and_spans(receiver: Receiver) -> None:
    telemetry = configure_telemetry(receiver.url + "/", "9.9.9", options=FAST)
    assert telemetry.enabled and telemetry.endpoint == receiver.url
    inner = MemoryRecorder()
    recorder = TelemetryRecorder(inner, telemetry)
    run = make_run()

    telemetry.request("keel/runWorkflow", 12.5, "ok", None)
    telemetry.request("keel/health", 3.0, "error", "Unavailable")
    recorder.run_started(run)
    recorder.model_call(make_call())
    recorder.model_call(make_call(stage_id="review", provider="openai-backup", model="gpt-4o",
                                  tier="capable", input_tokens=400, output_tokens=80, usd=0.02,
                                  attempts=2, fallback=True, at="2024-05-01T10:00:00.990Z"))
    recorder.estimate_made(EstimateRecord(workflow="review", target="/home/alice/x", files=3,
                                          input_tokens=1, output_tokens=1, usd_expected=0.1,
                                          duration_ms=5, at="2024-05-01T09:59:00Z"))
    recorder.run_finished(run)
    telemetry.shutdown(5.0)

    # The tee forwarded everything to storage.
    assert (len(inner.started), len(inner.calls), len(inner.finished), len(inner.estimates)) == (
        1, 2, 1, 1)
    metrics = receiver.last_metrics()
    assert receiver.resource_attrs()["service.version"] == "9.9.9"
    requests = points(metrics, "keel.requests")
    assert requests[frozenset({("method", "keel/runWorkflow"), ("outcome", "ok")})].as_int == 1
    assert requests[frozenset({("method", "keel/health"), ("outcome", "error"),
                               ("error_type", "Unavailable")})].as_int == 1
    assert sum(p.count for p in metrics["keel.request.duration"]) == 2
    runs = points(metrics, "keel.runs")
    assert runs == {frozenset({("workflow", "review"), ("status", "succeeded")}): runs[
        frozenset({("workflow", "review"), ("status", "succeeded")})]}
    assert next(iter(runs.values())).as_int == 1
    assert [p.count for p in metrics["keel.run.duration"]] == [1]
    assert metrics["keel.run.duration"][0].sum == 1000
    calls = points(metrics, "keel.model_calls")
    assert calls[frozenset({("provider", "anthropic-main"), ("model", "claude-haiku"),
                            ("tier", "cheap"), ("outcome", "succeeded")})].as_int == 1
    assert calls[frozenset({("provider", "openai-backup"), ("model", "gpt-4o"),
                            ("tier", "capable"), ("outcome", "succeeded")})].as_int == 1
    assert sum(p.count for p in metrics["keel.model_call.latency"]) == 2
    tokens = {labels(p)["direction"]: 0 for p in metrics["keel.tokens"]}
    for p in metrics["keel.tokens"]:
        tokens[labels(p)["direction"]] += p.as_int
    assert tokens == {"input": 500, "output": 100}
    assert sum(p.as_double for p in metrics["keel.cost.usd"]) == pytest.approx(0.021)
    assert [labels(p)["provider"] for p in metrics["keel.model_call.fallbacks"]] == ["openai-backup"]
    assert sum(p.sum for p in metrics["keel.model_call.attempts"]) == 3
    assert sum(p.as_int for p in metrics["keel.estimates"]) == 1

    spans = {s.name: s for s in receiver.spans()}
    root = spans["keel.run review"]
    scan, review = spans["keel.stage scan"], spans["keel.stage review"]
    assert labels(root)["keel.run.status"] == "succeeded"
    assert root.end_time_unix_nano - root.start_time_unix_nano == 1_000_000_000
    assert scan.parent_span_id == root.span_id and review.parent_span_id == root.span_id
    assert scan.trace_id == root.trace_id == review.trace_id
    assert review.start_time_unix_nano == scan.end_time_unix_nano  # laid end to end
    model_spans = [s for s in receiver.spans() if s.name.startswith("keel.model_call")]
    assert sorted(s.parent_span_id for s in model_spans) == sorted([scan.span_id, review.span_id])
    assert {s.name for s in receiver.spans() if s.name.startswith("keel.request")} == {
        "keel.request keel/runWorkflow", "keel.request keel/health"}
    # The run's target is an absolute path: it is never exported.
    assert b"/home/alice" not in receiver.raw() and b"alice" not in receiver.raw()


def test_without_endpoint_null_telemetry_is_used_and_nothing_is_sent(receiver: Receiver) -> None:
    telemetry = configure_telemetry(None, "1.0.0")
    assert isinstance(telemetry, NullTelemetry) and not telemetry.enabled
    assert configure_telemetry("   ", "1.0.0") is NULL_TELEMETRY
    inner = MemoryRecorder()
    recorder = TelemetryRecorder(inner, telemetry)
    telemetry.request("keel/health", 1.0, "ok", None)
    recorder.run_started(make_run())
    recorder.model_call(make_call())
    recorder.run_finished(make_run())
    assert telemetry.force_flush(1.0)
    telemetry.shutdown(1.0)
    assert len(inner.calls) == 1 and len(inner.finished) == 1
    assert receiver.posts == []


def test_unconfigured_telemetry_never_imports_opentelemetry() -> None:
    code = ("import sys\n"
            "from keel.observability.otel import configure_telemetry, TelemetryHub\n"
            "t = configure_telemetry(None, '1')\n"
            "TelemetryHub('1').configure(None, wait=True)\n"
            "t.request('keel/health', 1.0, 'ok', None)\n"
            "loaded = sorted(m for m in sys.modules if m.startswith('opentelemetry'))\n"
            "sys.stderr.write(repr(loaded))\n"
            "sys.exit(1 if loaded else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 0, done.stderr


def test_non_http_endpoint_disables_export() -> None:
    assert configure_telemetry("ftp://collector:4318", "1") is NULL_TELEMETRY
    assert configure_telemetry("collector:4318", "1") is NULL_TELEMETRY


def test_missing_extra_returns_null_and_warns_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes the import fail as if the package were absent.
    monkeypatch.setitem(sys.modules, "keel.observability.otel_sdk", None)
    monkeypatch.setattr(otel, "_missing_warned", False)
    with capture_logs() as logs:
        first = configure_telemetry("http://127.0.0.1:4318", "1")
        second = configure_telemetry("http://127.0.0.1:4318", "1")
    assert first is NULL_TELEMETRY and second is NULL_TELEMETRY
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert len(warnings) == 1
    assert "pip install 'keel[otel]'" in warnings[0]["event"]


def test_canary_key_never_appears_in_exported_bytes(receiver: Receiver,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "canary-7f3a9c1e5b2d4f60a1b2"  # matches no secret pattern: only the env watch catches it
    monkeypatch.setenv("KEEL_TEST_CANARY_KEY", canary)
    monkeypatch.setattr(REDACTOR, "_secrets", set())  # restored after the test
    REDACTOR.watch_env(["KEEL_TEST_CANARY_KEY"])
    telemetry = configure_telemetry(receiver.url, "1", options=FAST)
    recorder = TelemetryRecorder(MemoryRecorder(), telemetry)
    telemetry.request(f"keel/{canary}", 1.0, "error", f"Bad {canary}")
    run = make_run(workflow=f"wf-{canary}", error_type=canary, error_code=canary)
    recorder.run_started(run)
    recorder.model_call(make_call(model=f"model {canary}", error_type=canary,
                                  provider="/home/alice/keys/provider"))
    recorder.run_finished(run)
    telemetry.shutdown(5.0)

    raw = receiver.raw()
    assert receiver.bodies("/v1/metrics") and receiver.bodies("/v1/traces")
    assert canary.encode() not in raw
    assert b"[REDACTED]" in raw  # the values were exported, redacted
    assert b"/home/alice" not in raw


def test_failing_inner_recorder_never_raises_and_telemetry_still_records(
        receiver: Receiver) -> None:
    class Broken:
        def run_started(self, run: RunRecord) -> None:
            raise OSError("disk full")

        def model_call(self, call: ModelCallRecord) -> None:
            raise RuntimeError("closed")

        def run_finished(self, run: RunRecord) -> None:
            raise OSError("disk full")

        def estimate_made(self, estimate: EstimateRecord) -> None:
            raise OSError("disk full")

    telemetry = configure_telemetry(receiver.url, "1", options=FAST)
    recorder = TelemetryRecorder(Broken(), telemetry)
    run = make_run()
    recorder.run_started(run)
    recorder.model_call(make_call())
    recorder.run_finished(run)
    telemetry.shutdown(5.0)
    assert recorder.inner_errors == 3 and recorder.telemetry_errors == 0
    assert sum(p.as_int for p in receiver.last_metrics()["keel.runs"]) == 1


def test_failing_telemetry_is_counted_and_storage_still_gets_the_call(
        receiver: Receiver) -> None:
    telemetry = configure_telemetry(receiver.url, "1", options=FAST)

    class Exploding:
        def add(self, *args: object) -> None:
            raise ValueError("instrument broke")

    telemetry._runs = Exploding()  # type: ignore[attr-defined]
    inner = MemoryRecorder()
    recorder = TelemetryRecorder(inner, telemetry)
    recorder.run_finished(make_run())
    recorder.run_finished(make_run())
    telemetry.shutdown(5.0)
    assert len(inner.finished) == 2
    assert telemetry.errors == 2


def test_dead_endpoint_never_raises_into_the_caller() -> None:
    options = TelemetryOptions(export_interval_ms=60_000, span_delay_ms=60_000,
                               export_timeout_s=0.5)
    telemetry = configure_telemetry(dead_endpoint(), "1", options=options)
    assert telemetry.enabled
    inner = MemoryRecorder()
    recorder = TelemetryRecorder(inner, telemetry)
    telemetry.request("keel/health", 1.0, "ok", None)
    recorder.run_started(make_run())
    recorder.model_call(make_call())
    recorder.run_finished(make_run())
    telemetry.force_flush(1.0)  # the export fails inside the SDK's thread, logged there
    telemetry.shutdown(1.0)
    telemetry.request("keel/health", 1.0, "ok", None)  # after shutdown: a no-op
    assert len(inner.finished) == 1 and recorder.telemetry_errors == 0


def test_hub_reconfigures_and_retires_the_previous_exporter(receiver: Receiver) -> None:
    hub = TelemetryHub("2.0.0", options=FAST)
    assert hub.current is NULL_TELEMETRY
    hub.configure(receiver.url, wait=True)
    assert hub.enabled and hub.endpoint == receiver.url
    first = hub.current
    hub.request("keel/health", 1.0, "ok", None)
    hub.configure(receiver.url + "/", wait=True)  # same endpoint: kept, not rebuilt
    assert hub.current is first

    hub.configure(None, wait=True)
    assert hub.current is NULL_TELEMETRY and first.closed  # type: ignore[attr-defined]
    # The retired exporter flushed on its way out.
    assert sum(p.as_int for p in receiver.last_metrics()["keel.requests"]) == 1
    exported = len(receiver.posts)
    hub.request("keel/health", 1.0, "ok", None)
    hub.shutdown(1.0)
    assert len(receiver.posts) == exported

    hub.configure(receiver.url, wait=True)  # after shutdown, configure is ignored
    assert hub.current is NULL_TELEMETRY
