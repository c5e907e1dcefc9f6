"""keel/estimateCost: what a workflow run on a target would cost, before running it.

The estimate reads the SAME workflow definition and the SAME call planning
(``keel.workflows.planning.plan_llm_calls``) as the runner, and prices each LLM
stage with the model registry of the provider that would serve it
(``pricing.choose_pricing``). Static stages cost nothing.

Honesty rules:
- output tokens are each call's output budget, an upper bound; the band from
  ``calibration.py`` (observed error of past runs, ±35 % by default) absorbs it;
- a ``no_findings`` stage is priced as if it runs, with a note that it may be skipped;
- with no provider able to serve, LLM stages would be skipped: the headline is
  $0 and every LLM stage says so, and ``ifConfigured`` quotes the reference
  provider (Anthropic's defaults when nothing is configured);
- a scan that cannot finish raises ``DeadlineExceeded``; no partial figure.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from keel.errors import InvalidInput
from keel.protocol.cost import CostEstimate, StageEstimate
from keel.protocol.settings import ProviderSettings, Settings
from keel.providers.registry import ModelInfo, price_usd, resolve_model
from keel.scan.cache import EstimateCache
from keel.scan.results import ScanResult
from keel.scan.scanner import DEFAULT_MAX_FILE_BYTES, scan
from keel.scan.tokens import method as token_method
from keel.targets import display_target
from keel.workflows.definitions import StageDef, WorkflowCatalog, WorkflowDef, load_catalog
from keel.workflows.planning import CallPlan, plan_llm_calls

from .calibration import CalibrationSource, resolve_calibration
from .inputs import no_input_message
from .pricing import PricingChoice, choose_pricing

OUTPUT_NOTE = "output at the per-call budget (an upper bound)"


def _usd_text(usd: float) -> str:
    return f"${usd:.4f}" if usd < 1 else f"${usd:,.2f}"


def _plan_note(stage: StageDef, plan: CallPlan) -> list[str]:
    notes: list[str] = []
    if plan.calls == 0:
        notes.append("no input files, so no calls")
    else:
        notes.append(f"{plan.calls} call{'s' if plan.calls != 1 else ''} "
                     f"of up to {stage.chunk_tokens:,} code tokens")
    if plan.downgraded:
        notes.append(f"runs on the {plan.tier} tier: input under "
                     f"{stage.downgrade_under_tokens:,} tokens")
    if stage.max_calls is not None and plan.calls == stage.max_calls:
        notes.append(f"capped at {stage.max_calls} calls (largest chunks)")
    if stage.skip_when == "no_findings":
        notes.append("skipped at run time if the static stages find nothing")
    return notes


def _price(provider: ProviderSettings, plan: CallPlan) -> tuple[ModelInfo, float]:
    model = resolve_model(provider, plan.tier)
    return model, price_usd(model, plan.input_tokens, plan.output_tokens)


def _llm_stage(stage: StageDef, plan: CallPlan,
               choice: PricingChoice) -> tuple[StageEstimate, float]:
    """The stage's estimate and what it would cost on the reference provider."""
    notes = _plan_note(stage, plan)
    ref_model, ref_usd = _price(choice.reference, plan)
    if choice.serving is None:
        notes.insert(0, f"would be skipped: {choice.reason}; on {choice.reference_label} "
                        f"{ref_model.model} it would cost about {_usd_text(ref_usd)}")
        estimate = StageEstimate(
            id=stage.id, tier=plan.tier, provider="offline", model=None,
            input_tokens=plan.input_tokens, output_tokens=plan.output_tokens, usd=0.0,
            note="; ".join(notes), calls=plan.calls, downgraded=plan.downgraded,
            if_configured_usd=round(ref_usd, 6), if_configured_model=ref_model.model,
        )
        return estimate, ref_usd
    model, usd = _price(choice.serving, plan)
    if not model.price_known:
        notes.append(f"{model.model} has no known price; priced as the tier's default model")
    estimate = StageEstimate(
        id=stage.id, tier=plan.tier, provider=model.provider_id, model=model.model,
        input_tokens=plan.input_tokens, output_tokens=plan.output_tokens, usd=round(usd, 6),
        note="; ".join(notes), calls=plan.calls, downgraded=plan.downgraded,
        price_known=model.price_known,
    )
    return estimate, ref_usd


def _static_stage(stage: StageDef) -> StageEstimate:
    return StageEstimate(id=stage.id, input_tokens=0, output_tokens=0, usd=0.0,
                         note="static analysis: no model calls")


def build_estimate(workflow: WorkflowDef, target_text: str, scanned: ScanResult,
                   choice: PricingChoice, calibration: CalibrationSource,
                   started: float, cache: EstimateCache) -> CostEstimate:
    file_tokens = [f.tokens for f in scanned.files]
    stages: list[StageEstimate] = []
    expected = reference_total = 0.0
    for stage in workflow.stages:
        if stage.kind != "llm":
            stages.append(_static_stage(stage))
            continue
        plan = cache.plan(scanned.scan_token, stage,
                          functools.partial(plan_llm_calls, stage, file_tokens))
        estimate, ref_usd = _llm_stage(stage, plan, choice)
        stages.append(estimate)
        expected += estimate.usd
        reference_total += ref_usd
    cal = resolve_calibration(calibration)
    kind = choice.serving.kind if choice.serving is not None else "offline"
    extra: dict[str, Any] = {
        "codeTokens": sum(file_tokens),
        "skipped": {
            "binary": scanned.skipped_binary, "large": scanned.skipped_large,
            "unreadable": scanned.skipped_unreadable, "ignored": scanned.skipped_ignored,
            "symlinks": scanned.skipped_symlinks, "notInput": scanned.skipped_not_input,
        },
    }
    no_input = no_input_message(scanned, workflow.inputs, target_text, workflow.id)
    if no_input is not None:
        extra["noInput"] = no_input  # a run of this target would be refused (target.no_input)
    if choice.serving is None:
        extra["ifConfigured"] = {
            "provider": choice.reference_label,
            "usd": cal.band(reference_total).wire(),
        }
    return CostEstimate(
        workflow=workflow.id,
        target=target_text,
        files=len(scanned.files),
        bytes=scanned.bytes,
        input_tokens=sum(s.input_tokens for s in stages),
        output_tokens=sum(s.output_tokens for s in stages),
        usd=cal.band(expected),
        stages=stages,
        method=f"{token_method(kind)}; {OUTPUT_NOTE}; {cal.describe()}",
        cached_files=scanned.cached_files,
        duration_ms=int((time.perf_counter() - started) * 1000),
        skipped_files=scanned.skipped_files,
        **extra,
    )


def estimate_cost(
    workflow_id: str,
    target_path: Path,
    workspace_root: Path,
    settings: Settings,
    *,
    cache: EstimateCache,
    calibration: CalibrationSource,
    should_stop: Callable[[], bool] | None = None,
    environ: Mapping[str, str] | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    trusted: bool = True,
    catalog: WorkflowCatalog | None = None,
) -> CostEstimate:
    """Estimate ``workflow_id`` on ``target_path`` (resolved, or relative to ``workspace_root``).

    ``catalog`` is the workspace's workflows; without it, ``workspace_root``'s
    file is read when ``trusted``.

    Synchronous and CPU/IO bound: run it in a thread. ``should_stop`` is polled
    during the scan; when it turns true ``DeadlineExceeded`` is raised.
    """
    started = time.perf_counter()
    root = workspace_root.resolve()
    target = target_path if target_path.is_absolute() else root / target_path
    target = Path(os.path.abspath(target))
    if target != root and not target.is_relative_to(root):
        raise InvalidInput("The target is outside the workspace folder.",
                           code="target.outside_workspace", details={"field": "target"})
    # An untrusted workspace's .keel/workflows.toml is not read (as for runs and listings);
    # a broken one leaves the built-ins (the server passes the catalog it already loaded).
    if catalog is None:
        catalog = load_catalog(root if trusted else None)
    workflow = catalog.get(workflow_id)
    scanned = scan(target, root, suffixes=tuple(workflow.inputs) or None, cache=cache,
                   max_file_bytes=max_file_bytes, should_stop=should_stop)
    choice = choose_pricing(settings, os.environ if environ is None else environ)
    # No logging here: the request layer logs each request once, and the CLI
    # runs this with structlog unconfigured (whose default writes to stdout).
    return build_estimate(workflow, display_target(target, root), scanned, choice,
                          calibration, started, cache)
