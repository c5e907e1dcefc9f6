"""LLM stages: plan, chunk, prompt, then one resilient call per chunk.

Each call goes through ``call_with_fallback`` over ``plan_fallback_chain`` with
the process-wide breakers, retry budgets and answer cache, under the run's
remaining deadline. Tokens and cost come from the provider's reported usage
and the registry's prices; the baseline is the same tokens at premium prices.

A failed call is never a success: when every provider fails the stage either
serves a cached answer for the identical input (marked stale) or fails, and
the run keeps its static results. With no provider able to serve at all, the
stage is skipped with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import structlog

from keel.errors import BudgetExceeded, KeelError, Unavailable
from keel.protocol.advisor import Finding
from keel.protocol.workflows import SkipReason, StageProgressInfo, StageSkip
from keel.providers.base import Completion, CompletionRequest, billed_of
from keel.providers.factory import ProviderSet
from keel.providers.registry import premium_baseline, resolve_model
from keel.providers.usage import price_completion
from keel.records import ModelCallRecord, RunRecorder
from keel.resilience import (
    BreakerRegistry,
    BudgetRegistry,
    Candidate,
    ResilienceEvent,
    ResponseCache,
    cache_key,
    call_with_fallback,
    plan_fallback_chain,
)
from keel.runtime.deadline import current_deadline
from keel.runtime.threads import in_thread
from keel.spend.guard import SpendGuard

from .definitions import StageDef, WorkflowDef
from .planning import plan_llm_calls
from .prompts import SYSTEM_PROMPT, build_chunks, build_prompt
from .sources import SourceFile
from .state import StageState

log = structlog.get_logger(__name__)
RESTRICTED_MESSAGE = ("Restricted Mode: the workspace is not trusted, so no code is sent to a "
                      "model (trust the workspace to run this stage)")
Emit = Callable[..., None]


@dataclass
class Resilience:
    """The process-wide pieces every run shares (one per app, kept for its life)."""

    breakers: BreakerRegistry
    budgets: BudgetRegistry
    cache: ResponseCache[Completion]
    sleep: Callable[[float], Any] = anyio.sleep
    rng: Any = None
    spend: SpendGuard | None = None  # budgets: every call reserves its worst case first


@dataclass
class LlmContext:
    run_id: str
    workflow: WorkflowDef
    providers: ProviderSet
    resilience: Resilience
    recorder: RunRecorder
    emit: Emit
    now_iso: Callable[[], str]
    release: Callable[[], None] | None = None  # called once when the run ends
    started: float = field(default_factory=time.monotonic)  # for progress: elapsed time


def serving_ids(providers: ProviderSet) -> list[str]:
    """The providers that can really answer (the offline stand-in cannot)."""
    return [p.id for p in providers.providers if p.kind != "offline"]


def candidate_chain(providers: ProviderSet, profile: str, tier: str) -> list[Candidate]:
    """The fallback chain of (provider, tier, model) for a call, as the profile orders it."""
    return [
        Candidate(pid, t, resolve_model(providers.settings_of(pid), t).model)
        for pid, t in plan_fallback_chain(profile, tier, serving_ids(providers))
    ]


def _on_event(ctx: LlmContext, stage: StageState) -> Callable[[ResilienceEvent], None]:
    def handle(event: ResilienceEvent) -> None:
        if event.kind == "retrying":
            stage.retries += 1
            message = f"{event.code}; retrying in {event.wait_ms} ms"
        else:
            stage.fallbacks += 1
            message = f"{event.code}; falling back to {event.next_provider} ({event.next_tier})"
        ctx.emit(event.kind, stage=stage.id, provider=event.provider, model=event.model,
                 attempt=event.attempt, message=message, progress=progress_info(ctx, stage))
    return handle


def progress_info(ctx: LlmContext, stage: StageState) -> StageProgressInfo:
    """Where a model stage stands: chunk i of n, spend so far, time against the deadline."""
    elapsed_ms = round((time.monotonic() - ctx.started) * 1000)
    left = current_deadline().remaining_ms()
    return StageProgressInfo(
        chunk=min(stage.chunks, stage.chunks_done + 1), chunks=stage.chunks,
        done=stage.chunks_done, calls=stage.attempts, retries=stage.retries,
        fallbacks=stage.fallbacks, input_tokens=stage.input_tokens,
        output_tokens=stage.output_tokens, usd=round(stage.usd, 8), elapsed_ms=elapsed_ms,
        deadline_ms=None if left is None else elapsed_ms + left)


def progress_line(info: StageProgressInfo) -> str:
    """``chunk 2 of 4 · 3,120 tokens · $0.0021 · 12 s of 120 s``."""
    parts = [f"chunk {info.chunk} of {info.chunks}" if info.done < info.chunks
             else f"{info.chunks} of {info.chunks} chunks done"]
    parts.append(f"{info.input_tokens + info.output_tokens:,} tokens")
    parts.append(f"${info.usd:.4f}")
    if info.retries or info.fallbacks:
        parts.append(f"{info.retries} {'retry' if info.retries == 1 else 'retries'}, "
                     f"{info.fallbacks} {'fallback' if info.fallbacks == 1 else 'fallbacks'}")
    elapsed = f"{info.elapsed_ms / 1000:.0f} s"
    parts.append(elapsed if info.deadline_ms is None
                 else f"{elapsed} of {info.deadline_ms / 1000:.0f} s")
    return " · ".join(parts)


def emit_progress(ctx: LlmContext, stage: StageState) -> None:
    info = progress_info(ctx, stage)
    ctx.emit("progress", stage=stage.id, provider=stage.provider, model=stage.model,
             message=f"{stage.id}: {progress_line(info)}", progress=info)


def skip_stage(stage: StageState, reason: SkipReason, message: str, code: str | None = None,
               degraded: bool = False) -> None:
    """Skip with a typed reason (for the wire) and the same words as a note (for the report)."""
    stage.status = "skipped"
    stage.degraded = stage.degraded or degraded
    stage.skip = StageSkip(reason=reason, message=message, code=code)
    stage.add_note(message)


def _call_outcome(errors: list[KeelError]) -> str:
    return "refused" if errors and all(isinstance(e, Unavailable) for e in errors) else "failed"


async def run_llm_stage(
    ctx: LlmContext, stage_def: StageDef, stage: StageState, files: list[SourceFile],
    texts: dict[str, str], findings: list[Finding],
) -> None:
    plan = plan_llm_calls(stage_def, [f.tokens for f in files])
    stage.tier = plan.tier
    stage.estimated_input_tokens = plan.input_tokens
    stage.estimated_output_tokens = plan.output_tokens
    if plan.downgraded:
        stage.add_note(f"ran on the {plan.tier} tier: small input")
    if plan.calls == 0:
        skip_stage(stage, "noInput", "no input files")
        return
    if stage_def.skip_when == "no_findings" and not findings:
        skip_stage(stage, "noFindings", "the static stages found nothing to look at")
        return
    if ctx.providers.untrusted:
        skip_stage(stage, "restrictedMode", RESTRICTED_MESSAGE, "trust.untrusted", degraded=True)
        return
    serving = serving_ids(ctx.providers)
    chain = candidate_chain(ctx.providers, ctx.workflow.profile, plan.tier)
    rel_by_uri = {f.uri: f.rel_path for f in files}
    # Chunking and prompt building walk every file and finding: off the loop.
    chunks = await in_thread(lambda: list(build_chunks(stage_def, files, texts)))
    stage.chunks = len(chunks)
    for chunk in chunks:
        if serving:  # with no provider the stage is skipped at once: nothing to follow
            emit_progress(ctx, stage)
        prompt, _dropped = await in_thread(build_prompt, stage_def, chunk, findings, rel_by_uri)
        key = cache_key(prompt, tier=plan.tier, max_tokens=stage_def.output_tokens_per_call,
                        system=SYSTEM_PROMPT)
        try:
            await _one_call(ctx, stage_def, stage, chain, prompt, key)
        except BudgetExceeded as error:
            _skip_for_budget(stage, error)
            return
        except Unavailable as error:
            if error.code == "provider.none_configured" and not serving:
                skip_stage(stage, "noProvider",
                           f"no model provider has a key ({error.hint or error.message})",
                           error.code, degraded=True)
                return
            stage.status, stage.error, stage.degraded = "failed", error, True
            return
        except KeelError as error:
            stage.status, stage.error, stage.degraded = "failed", error, True
            return
        stage.chunks_done += 1
        emit_progress(ctx, stage)
    stage.status = "succeeded"


async def _one_call(ctx: LlmContext, stage_def: StageDef, stage: StageState,
                    chain: list[Candidate], prompt: str, key: str) -> None:
    res = ctx.resilience
    made = [0]  # real provider calls, counted here so a failed call reports them too

    async def attempt(candidate: Candidate) -> Completion:
        made[0] += 1
        provider = ctx.providers.get(candidate.provider)
        if provider is None:
            raise Unavailable(f"provider {candidate.provider!r} is not configured",
                              code="provider.none_configured", transient=False)
        request = CompletionRequest(
            system=SYSTEM_PROMPT, prompt=prompt, model=candidate.model or "",
            max_output_tokens=stage_def.output_tokens_per_call, stage_id=stage_def.id,
        )
        try:
            return await _within_budget(ctx, candidate, request, lambda: provider.complete(request))
        except KeelError as error:
            _record_billed_failure(ctx, stage, candidate, error)
            raise

    started = time.monotonic()
    fallbacks_before = stage.fallbacks  # a failed call fell back only if a fallback happened
    outcome = None
    failure: KeelError | None = None
    try:
        outcome = await call_with_fallback(
            chain, attempt, profile=ctx.workflow.profile, breakers=res.breakers,
            budgets=res.budgets, on_event=_on_event(ctx, stage),
            slow_threshold_s=stage_def.slow_call_ms / 1000, cache=res.cache, cache_key=key,
            sleep=res.sleep, rng=res.rng,
        )
    except KeelError as error:
        failure = error
        stage.attempts += made[0]
        raise
    finally:
        # Recorded on success, failure and cancellation alike (finally, not except).
        if outcome is None and failure is None:
            stage.attempts += made[0]
        _record_call(ctx, stage, chain, outcome, failure, started, made[0],
                     fell_back=stage.fallbacks > fallbacks_before)
    if outcome.stale:
        stage.stale = True
        stage.outputs.append(outcome.value.text)
        stage.add_note("every provider failed: served a cached answer for this input (stale)")
        return
    completion: Completion = outcome.value
    assert outcome.provider is not None and outcome.tier is not None
    settings = ctx.providers.settings_of(outcome.provider)
    model = resolve_model(settings, outcome.tier)
    stage.provider, stage.model, stage.tier = outcome.provider, completion.model, outcome.tier
    stage.attempts += outcome.attempts
    stage.fallback_used = stage.fallback_used or outcome.fallback_used
    _add_usage(stage, settings, model, completion)
    stage.outputs.append(completion.text)
    _note_stop(stage, completion, stage_def.output_tokens_per_call)
    if outcome.fallback_used:
        stage.add_note(f"served by {outcome.provider} ({outcome.tier}) after fallback")


async def _within_budget(ctx: LlmContext, candidate: Candidate, request: CompletionRequest,
                         send: Callable[[], Any]) -> Completion:
    """Send through the spend guard: reserved before it goes, settled when it answers."""
    guard = ctx.resilience.spend
    if guard is None:
        return await send()  # type: ignore[no-any-return]
    model = resolve_model(ctx.providers.settings_of(candidate.provider), candidate.tier)
    return await guard.call(run_id=ctx.run_id, stage_id=request.stage_id or "",
                            provider=candidate.provider, model=model, request=request, send=send)


def _skip_for_budget(stage: StageState, error: BudgetExceeded) -> None:
    stage.status = "skipped"
    stage.degraded = True
    stage.error = error
    stage.add_note(f"skipped: budget ({error.message})")


def _record_call(ctx: LlmContext, stage: StageState, chain: list[Candidate], outcome: Any,
                 failure: KeelError | None, started: float, made: int,
                 fell_back: bool = False) -> None:
    latency_ms = round((time.monotonic() - started) * 1000)
    if outcome is not None:
        completion = outcome.value
        provider, model, tier = outcome.provider, completion.model, outcome.tier
        status = "succeeded" if not outcome.stale else "failed"
        attempts, fallback = outcome.attempts, outcome.fallback_used
        tokens_in, tokens_out = (0, 0) if outcome.stale else (completion.input_tokens,
                                                              completion.output_tokens)
        error_type = error_code = None
        if outcome.stale and outcome.errors:
            error_type, error_code = outcome.errors[-1].error_type, outcome.errors[-1].code
    else:
        last = chain[-1] if chain else None
        provider, model, tier = ((last.provider, last.model, last.tier) if last is not None
                                 else ("none", None, stage.tier))
        # Not "the chain had a second provider": the fallback rate would count calls that
        # never fell back, against runs whose reports say no fallback.
        attempts, fallback, tokens_in, tokens_out = made, fell_back, 0, 0
        if failure is None and current_deadline().expired:
            status, error_type, error_code = "timedOut", "timeout", "deadline.exceeded"
        elif failure is None:
            status, error_type, error_code = "cancelled", "cancelled", "run.cancelled"
        else:
            status, error_type, error_code = (_call_outcome([failure]), failure.error_type,
                                              failure.code)
    usd, estimated, stop = 0.0, False, None
    if outcome is not None and not outcome.stale and provider is not None:
        usd, estimated = price_completion(resolve_model(ctx.providers.settings_of(provider),
                                                        tier), outcome.value)
        stop = outcome.value.stop_reason
    breaker_state = "none"
    if provider and provider in ctx.providers.ids:
        breaker_state = ctx.resilience.breakers.get(provider, model if outcome is None else
                                                    _chain_model(chain, provider, tier)).state.value
    record = ModelCallRecord(
        run_id=ctx.run_id, stage_id=stage.id, provider=provider or "cache", model=model or "",
        tier=tier, input_tokens=tokens_in, output_tokens=tokens_out, usd=usd,
        latency_ms=latency_ms, attempts=attempts, fallback=fallback,
        breaker_state=breaker_state, outcome=status, error_type=error_type,
        error_code=error_code, at=ctx.now_iso(), stop_reason=stop, cost_estimated=estimated,
    )
    _save(ctx, record)


def _save(ctx: LlmContext, record: ModelCallRecord) -> None:
    try:
        ctx.recorder.model_call(record)
    except Exception:  # history is best effort: a broken recorder never fails a run
        log.warning("recorder.model_call failed", exc_info=True)


def _add_usage(stage: StageState, settings: Any, model: Any, completion: Completion) -> None:
    """Tokens and cost of one billed answer, by the provider's usage rules (cache, tiers)."""
    usd, estimated = price_completion(model, completion)
    stage.input_tokens += completion.input_tokens
    stage.output_tokens += completion.output_tokens
    stage.usd += usd
    stage.baseline_usd += premium_baseline(settings, completion.input_tokens,
                                           completion.output_tokens)
    if estimated and not stage.cost_estimated:
        stage.cost_estimated = True
        stage.add_note("the provider reported no usage for an answer: its tokens and cost "
                       "are estimated")


def _note_stop(stage: StageState, completion: Completion, limit: int) -> None:
    """A truncated answer is kept (what it says is still worth reading) but never passes
    as complete: the stage says so in the report and to the dashboard."""
    if completion.truncated and not stage.truncated:
        stage.truncated = True
        stage.add_note(f"a model answer was cut off ({completion.stop_reason}) at the "
                       f"{limit}-token output limit: findings from it may be incomplete")


def _record_billed_failure(ctx: LlmContext, stage: StageState, candidate: Candidate,
                           error: KeelError) -> None:
    """A failed attempt the provider still charged for (a refusal, an unusable answer):
    its usage and cost go to the stage and to history like any answer's."""
    completion = billed_of(error)
    if completion is None:
        return
    settings = ctx.providers.settings_of(candidate.provider)
    model = resolve_model(settings, candidate.tier)
    _add_usage(stage, settings, model, completion)
    usd, estimated = price_completion(model, completion)
    _save(ctx, ModelCallRecord(
        run_id=ctx.run_id, stage_id=stage.id, provider=candidate.provider,
        model=completion.model, tier=candidate.tier, input_tokens=completion.input_tokens,
        output_tokens=completion.output_tokens, usd=usd, latency_ms=completion.latency_ms,
        attempts=1, fallback=False, breaker_state="none",
        outcome="failed",
        error_type=error.error_type, error_code=error.code, at=ctx.now_iso(),
        stop_reason=completion.stop_reason, cost_estimated=estimated))


def _chain_model(chain: list[Candidate], provider: str, tier: str | None) -> str | None:
    return next((c.model for c in chain if c.provider == provider and c.tier == tier), None)
