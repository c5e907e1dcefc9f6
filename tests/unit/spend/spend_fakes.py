"""A counting fake provider and ledger helpers for the budget tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC

import anyio
import anyio.lowlevel

from keel.errors import ProviderError
from keel.protocol.budget import BudgetSettings
from keel.providers.base import Completion, CompletionRequest
from keel.providers.registry import ModelInfo
from keel.spend.guard import SpendGuard
from keel.spend.ledger import Ledger
from keel.storage.owner import ProcessOwner

# $1 per million tokens in and out: a call of 1,000 in and 1,000 max out reserves about 2.2 ms$.
MODEL = ModelInfo(provider_id="p", kind="anthropic", model="fake-1", tier="cheap",
                  input_usd_per_mtok=1.0, output_usd_per_mtok=1.0, checked="2026-01-01", price_known=True)
UNPRICED = ModelInfo(provider_id="p", kind="anthropic", model="mystery-7", tier="cheap",
                     input_usd_per_mtok=3.0, output_usd_per_mtok=15.0, checked="", price_known=False)
ME = ProcessOwner(pid=1, token="test-host|me")


class FakeClock:
    def __init__(self, at: float = 1_767_225_600.0) -> None:  # 2026-01-01 00:00 UTC
        self.at = at

    def __call__(self) -> float:
        return self.at


def make_ledger(path, clock=None, gone=lambda pid, token: False) -> Ledger:
    return Ledger(path, clock=clock or FakeClock(), tz=UTC, owner=ME, is_gone_fn=gone)


def request(prompt: str = "x" * 4000, max_tokens: int = 1000) -> CompletionRequest:
    return CompletionRequest(system="", prompt=prompt, max_output_tokens=max_tokens,
                             model=MODEL.model, stage_id="review")


@dataclass
class CountingProvider:
    """Counts the calls that were really sent; answers with fixed usage, fails on demand."""

    input_tokens: int = 900
    output_tokens: int = 500
    fail: bool = False
    yields: list[int] = field(default_factory=list)  # checkpoints to take per call (interleaving)
    sent: int = 0

    async def complete(self, req: CompletionRequest) -> Completion:
        self.sent += 1
        for _ in range(self.yields.pop(0) if self.yields else 0):
            await anyio.lowlevel.checkpoint()
        if self.fail:
            raise ProviderError("overloaded", code="provider.server_error", transient=True)
        return Completion(text="ok", input_tokens=self.input_tokens,
                          output_tokens=self.output_tokens, model=req.model, provider="p",
                          latency_ms=1, stop_reason="end_turn")


def guard_for(ledger: Ledger, **limits) -> SpendGuard:
    settings = BudgetSettings(**limits)
    return SpendGuard(lambda: ledger.path.parent, lambda: settings,
                      ledger_factory=lambda path: ledger)


async def send(guard: SpendGuard, provider: CountingProvider, run_id: str = "r1",
               model: ModelInfo = MODEL, req: CompletionRequest | None = None) -> Completion:
    req = req or request()
    return await guard.call(run_id=run_id, stage_id="review", provider="p", model=model,
                            request=req, send=lambda: provider.complete(req))
