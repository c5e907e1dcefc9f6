"""LLM-proposed fixes for findings that have no mechanical fix.

The enclosing function (or the flagged lines, at module level) is sent with
the finding; the model answers with a replacement in one ```python block. The
answer is only proposed if the whole file still parses with it applied. Calls
go through the same providers, breakers, budgets and fallback chain as runs
(capable tier, balanced profile), under the request's deadline (60 s default).
"""

from __future__ import annotations

import ast
import re

import structlog

from keel.errors import InternalError, KeelError, ProviderError, Unavailable
from keel.health.monitor import utc_now_iso
from keel.protocol.advisor import Finding, FixProposal, TextEdit
from keel.protocol.base import Position, Range
from keel.protocol.settings import ProviderSettings, Tier
from keel.providers.base import Completion, CompletionRequest, billed_of
from keel.providers.registry import resolve_model
from keel.providers.usage import price_completion
from keel.records import ModelCallRecord
from keel.resilience import Candidate, call_with_fallback
from keel.runtime.threads import in_thread

from .documents import SourceText
from .services import provider_lease, recorder_of, resilience_of
from .state import KeelApp
from .trust import refuse_if_untrusted

log = structlog.get_logger(__name__)
SYSTEM = ("You fix one reported problem in Python code. Answer with the corrected code only, "
          "in a single ```python block, keeping behaviour, names and indentation.")
MAX_OUTPUT_TOKENS = 2000
_BLOCK = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.S)


def enclosing_lines(text: str, line: int) -> tuple[int, int]:
    """Zero-based [start, end) lines of the innermost def/class holding ``line``, else that line."""
    best: tuple[int, int] | None = None
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            end = node.end_lineno or node.lineno
            if start <= line < end and (best is None or end - start < best[1] - best[0]):
                best = (start, end)
    return best or (line, line + 1)


def replacement_from(answer: str) -> str:
    match = _BLOCK.search(answer)
    code = match.group(1) if match else answer
    return code if code.endswith("\n") else code + "\n"


def apply_lines(text: str, start: int, end: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[:start]) + new + "".join(lines[end:])


def build_prompt(finding: Finding, snippet: str) -> str:
    parts = [f"Problem ({finding.rule}): {finding.message}"]
    if finding.suggestion:
        parts.append(f"Suggestion: {finding.suggestion}")
    parts.append(f"Code:\n```python\n{snippet}```")
    return "\n\n".join(parts)


async def propose_llm_fix(app: KeelApp, source: SourceText, finding: Finding) -> FixProposal:
    from keel.workflows.stages_llm import candidate_chain, serving_ids

    refuse_if_untrusted(app, f"this code to a model: {finding.rule} has no rule-based fix")
    lease = provider_lease(app)
    if not serving_ids(lease.providers):
        raise Unavailable(
            f"No rule-based fix exists for {finding.rule}, and no model provider has a key.",
            code="provider.none_configured", transient=False,
            hint="Configure a provider in keel.providers and set its API key variable.")
    start, end = await in_thread(enclosing_lines, source.text, finding.range.start.line)
    lines = source.text.splitlines(keepends=True)
    snippet = "".join(lines[start:end])
    prompt = build_prompt(finding, snippet)
    chain = candidate_chain(lease.providers, "balanced", "capable")

    async def attempt(candidate: Candidate) -> Completion:
        provider = lease.providers.get(candidate.provider)
        assert provider is not None
        try:
            return await provider.complete(CompletionRequest(
                system=SYSTEM, prompt=prompt, model=candidate.model or "",
                max_output_tokens=MAX_OUTPUT_TOKENS, stage_id="generate-fix"))
        except KeelError as error:  # a refusal or an unusable answer is billed all the same
            spent = billed_of(error)
            if spent is not None:
                record_fix_call(app, finding, lease.providers.settings_of(candidate.provider),
                                candidate.tier, spent, error)
            raise

    res = resilience_of(app)
    lease.users += 1
    try:
        outcome = await call_with_fallback(chain, attempt, profile="balanced", breakers=res.breakers,
                                           budgets=res.budgets)
    finally:
        lease.release()
    completion: Completion = outcome.value
    if outcome.provider is None or outcome.tier is None:  # only a cached answer lacks them: none here
        raise InternalError("The fix came back without the provider that made it.")
    rejected: ProviderError | None = None
    new_text = replacement_from(completion.text)
    if completion.truncated:  # half a function parses more often than one would hope
        rejected = ProviderError(
            f"The model's fix was cut off at the {MAX_OUTPUT_TOKENS}-token output limit "
            f"({completion.stop_reason}), so it is not offered.",
            code="provider.truncated", transient=False, provider=outcome.provider,
            hint="The enclosing function is too long for a model fix; fix it by hand or "
                 "split it first.", details={"stopReason": completion.stop_reason})
    else:
        try:
            await in_thread(ast.parse, apply_lines(source.text, start, end, new_text))
        except SyntaxError:
            rejected = ProviderError("The model proposed code that does not parse; try again.",
                                     code="provider.bad_response", transient=True,
                                     provider=outcome.provider)
    # Billed whether or not it is offered: history gets it with the reason it was not.
    usd = record_fix_call(app, finding, lease.providers.settings_of(outcome.provider),
                          outcome.tier, completion, rejected)
    if rejected is not None:
        raise rejected
    end_pos = Position(line=end, character=0) if end < len(lines) else Position(
        line=max(0, len(lines) - 1), character=len(lines[-1]) if lines else 0)
    if end >= len(lines) and lines and not lines[-1].endswith("\n"):
        new_text = new_text.rstrip("\n")
    return FixProposal(
        uri=source.uri, finding_id=finding.id, version=source.version,
        edits=[TextEdit(range=Range(start=Position(line=start, character=0), end=end_pos),
                        new_text=new_text)],
        explanation=f"Model-proposed fix for: {finding.title}", source="llm",
        provider=outcome.provider, model=completion.model,
        usd=round(usd, 6),
    )


def record_fix_call(app: KeelApp, finding: Finding, provider: ProviderSettings, tier: Tier,
                    completion: Completion, error: KeelError | None) -> float:
    """History gets every billed fix answer (offered, unparseable, truncated or refused);
    returns its cost. Fixes have no run: the run id names the finding."""
    model = resolve_model(provider, tier)
    usd, estimated = price_completion(model, completion)
    try:
        recorder_of(app).model_call(ModelCallRecord(
            run_id=f"fix:{finding.id}", stage_id="generate-fix", provider=provider.id,
            model=completion.model, tier=tier, input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens, usd=usd, latency_ms=completion.latency_ms,
            attempts=1, fallback=False, breaker_state="none",
            outcome="failed" if error else "succeeded",
            error_type=error.error_type if error else None,
            error_code=error.code if error else None, at=utc_now_iso(),
            stop_reason=completion.stop_reason, cost_estimated=estimated))
    except Exception:  # history is best effort: a broken recorder never fails a fix
        log.warning("recorder.model_call failed", exc_info=True)
    return usd
