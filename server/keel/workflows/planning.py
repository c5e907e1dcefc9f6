"""How an LLM stage turns code into calls: shared by the runner and the estimator.

The code of the target is cut into chunks of at most ``stage.chunk_tokens``;
each chunk is one call that also carries ``prompt_overhead_tokens`` of
instructions and findings, and may produce up to ``output_tokens_per_call``.
``max_calls`` keeps the largest chunks. A small input runs one tier cheaper
when the stage says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from .definitions import TIERS, StageDef, Tier


@dataclass(frozen=True)
class CallPlan:
    calls: int
    input_tokens: int  # code tokens sent + overhead, summed over calls
    output_tokens: int  # output budget summed over calls (an upper bound)
    tier: Tier
    downgraded: bool


def effective_tier(stage: StageDef, code_tokens: int) -> tuple[Tier, bool]:
    assert stage.tier is not None, f"stage {stage.id} is not an LLM stage"
    if stage.downgrade_under_tokens is not None and code_tokens < stage.downgrade_under_tokens:
        index = TIERS.index(stage.tier)
        if index > 0:
            return TIERS[index - 1], True
    return stage.tier, False


def chunk_sizes(stage: StageDef, file_tokens: list[int]) -> list[int]:
    """Token sizes of the chunks the files are packed into (greedy, in order).

    A file larger than a chunk is split across chunks; small files share one.
    """
    chunks: list[int] = []
    current = 0
    for tokens in file_tokens:
        remaining = tokens
        while remaining > 0:
            room = stage.chunk_tokens - current
            take = min(room, remaining)
            current += take
            remaining -= take
            if current >= stage.chunk_tokens:
                chunks.append(current)
                current = 0
    if current:
        chunks.append(current)
    if stage.max_calls is not None and len(chunks) > stage.max_calls:
        chunks = sorted(chunks, reverse=True)[: stage.max_calls]
    return chunks


def plan_llm_calls(stage: StageDef, file_tokens: list[int]) -> CallPlan:
    chunks = chunk_sizes(stage, file_tokens)
    tier, downgraded = effective_tier(stage, sum(file_tokens))
    calls = len(chunks)
    return CallPlan(
        calls=calls,
        input_tokens=sum(chunks) + calls * stage.prompt_overhead_tokens,
        output_tokens=calls * stage.output_tokens_per_call,
        tier=tier,
        downgraded=downgraded,
    )
