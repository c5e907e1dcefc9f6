"""A finished run's result and history record, assembled from its state (off the event loop)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from keel.errors import KeelError
from keel.protocol.advisor import Finding
from keel.protocol.workflows import RunResult
from keel.records import RunRecord, StageRecord

from .engine import RunOutcome, RunSpec, build_result, recorded_error_type
from .run_findings import ordered_findings
from .state import RunState


def assemble(spec: RunSpec, state: RunState, outcome: RunOutcome, error: KeelError | None,
              started_at: str, finished_at: str, duration_ms: int, max_findings: int
              ) -> tuple[RunResult, list[Finding]]:
    rel_by_uri = relative_paths(state, spec.workspace_root)
    ordered = ordered_findings(state.findings(), rel_by_uri)
    result = build_result(spec, state, outcome, error, started_at, finished_at, duration_ms,
                          rel_by_uri, ordered, max_findings)
    return result, ordered


def relative_paths(state: RunState, root: Path) -> dict[str, str]:
    mapping = {}
    base = root.resolve()
    for finding in state.findings():
        if finding.uri in mapping:
            continue
        path = Path(unquote(urlparse(finding.uri).path))
        try:
            mapping[finding.uri] = path.relative_to(base).as_posix()
        except ValueError:
            mapping[finding.uri] = path.name
    return mapping


def run_record(result: RunResult, state: RunState) -> RunRecord:
    stages = [
        StageRecord(
            run_id=result.run_id, stage_id=s.id, status=r.status, tier=s.tier,
            provider=s.provider, model=s.model, attempts=s.attempts,
            fallback_used=s.fallback_used, input_tokens=s.input_tokens,
            output_tokens=s.output_tokens, usd=s.usd, duration_ms=s.duration_ms,
            estimated_input_tokens=s.estimated_input_tokens,
            estimated_output_tokens=s.estimated_output_tokens,
            error_type=recorded_error_type(s), note=s.note,
            truncated=s.truncated, cost_estimated=s.cost_estimated,
        )
        for s, r in zip(state.stages, result.stages, strict=True)
    ]
    return RunRecord(
        run_id=result.run_id, workflow=result.workflow, target=result.target,
        status=result.status, started_at=result.started_at, finished_at=result.finished_at,
        duration_ms=result.duration_ms, actual_usd=result.cost.actual_usd,
        baseline_usd=result.cost.baseline_usd,
        error_type=result.error.error_type if result.error else None,
        error_code=result.error.code if result.error else None,
        degraded=list(result.degraded), stages=stages, report_markdown=result.report.markdown,
    )
