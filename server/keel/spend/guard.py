"""The reservation around one model call: reserve the worst case, send, settle what it cost.

The worst case is the prompt's input tokens (the scan's estimate plus a margin,
since the real tokenizer may count more) at the model's input price plus the
request's ``max_tokens`` at its output price, at the very model this attempt is
sent to: every fallback candidate and every retry reserves again. A call that
would cross a budget is never sent. With a budget set, a model without a known
price is refused (``budget.unpriced``) rather than counted as free.

Holding and settling happen inside the run's lease (``lease.py``): memory only,
on the loop, unless the lease must grow (a transaction, in a thread) or is tight
near a limit (each settlement then written through, in a thread). A run opens
its lease before its first call (``open_run``, from the estimate) and gives the
rest back when it ends (``end_run``).

Settling: a success costs its reported usage. A call that failed with an answer
(an HTTP error) cost nothing; one cancelled or timed out in flight may have been
billed, so it keeps its full reservation.

With no budget set the ledger still records every call (best effort: a broken
ledger never stops a call then), so the day's and month's spend are known the
moment a budget is set.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import structlog

from keel.errors import BudgetExceeded, KeelError
from keel.protocol.budget import BudgetSettings
from keel.providers.base import Completion, CompletionRequest, billed_of
from keel.providers.registry import ModelInfo, price_usd
from keel.providers.usage import price_completion
from keel.resilience.classify import classify_provider_error
from keel.runtime.threads import in_thread

from .lease import CALLS_AHEAD, Hold
from .ledger import LEDGER_NAME, Charge, Ledger, Totals

log = structlog.get_logger(__name__)
INPUT_MARGIN = 1.2  # the token heuristic's error stays well inside 20 % on code


def worst_case_usd(model: ModelInfo, request: CompletionRequest) -> float:
    from keel.scan.tokens import count_tokens  # the run path only: health imports this module

    tokens = math.ceil(count_tokens(request.system + request.prompt, model.kind) * INPUT_MARGIN)
    return price_usd(model, tokens, request.max_output_tokens)


class SpendGuard:
    """One per app: the ledger of the current storage folder, and the current limits."""

    def __init__(self, ledger_dir: Callable[[], Path], limits: Callable[[], BudgetSettings],
                 ledger_factory: Callable[[Path], Ledger] = Ledger,
                 on_totals: Callable[[Totals], None] | None = None) -> None:
        self._ledger_dir = ledger_dir
        self._limits = limits
        self._factory = ledger_factory
        self._ledger: Ledger | None = None
        self.on_totals = on_totals  # called on the loop after each settlement and refusal
        self._last_call_usd = 0.0  # sizes the lease of a run without an estimate (no budget)

    def ledger(self) -> Ledger:
        path = self._ledger_dir() / LEDGER_NAME
        if self._ledger is None or self._ledger.path != path:
            if self._ledger is not None:
                # Closing writes the old folder's leases back: disk work, never on the loop
                # (left unfinished at exit, they stay counted whole until we are gone).
                threading.Thread(target=self._ledger.close, name="keel-spend-close",
                                 daemon=True).start()
            self._ledger = self._factory(path)
        return self._ledger

    def limits(self) -> BudgetSettings:
        return self._limits()

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()

    async def call(self, *, run_id: str, stage_id: str, provider: str, model: ModelInfo,
                   request: CompletionRequest,
                   send: Callable[[], Awaitable[Completion]]) -> Completion:
        limits = self.limits()
        ledger = self.ledger()
        usd = worst_case_usd(model, request)
        self._last_call_usd = usd
        charge = Charge(run_id=run_id, usd=usd, stage_id=stage_id, provider=provider,
                        model=model.model)
        if limits.limited() and not model.price_known:
            await in_thread(ledger.record_refusal, charge, "budget.unpriced")
            raise BudgetExceeded(
                f"Not sent: {model.model!r} has no known price, and a budget is set, so its "
                "cost cannot be capped.", code="budget.unpriced",
                hint="Add the model's price to the model registry (models.registryPath).",
                details={"model": model.model, "reservationUsd": None})
        hold = await self._reserve(ledger, charge, limits)
        charged = usd
        try:
            completion = await send()
        except Exception as exc:
            billed = billed_of(exc)
            if billed is not None:  # a refusal, an empty answer: billed all the same
                charged = price_completion(model, billed)[0]
            elif classify_provider_error(exc, provider).error_type != "timeout":
                charged = 0.0  # an error answer: nothing was generated, nothing billed
            raise
        else:
            charged = price_completion(model, completion)[0]  # cache writes and reads priced
            return completion
        finally:
            if hold is not None:
                with anyio.CancelScope(shield=True):
                    await self._settle(ledger, hold, charged)

    def unbudgeted_room(self) -> float:
        """A lease for a run with no estimate (no budget set, so none is made): room for a few
        calls like this process's last one; 0 before its first call (then nothing is opened)."""
        return (CALLS_AHEAD + 1) * self._last_call_usd

    async def open_run(self, run_id: str, want_usd: float) -> None:
        """Reserve a run's room (its estimate, within the fair share) before its first call,
        so no call of it waits for the disk; best effort: its calls reserve anyway."""
        try:
            await in_thread(self.ledger().open_run, run_id, self.limits(), want_usd)
        except KeelError as error:
            log.info("spend.lease_not_opened", code=error.code)

    async def end_run(self, run_id: str) -> None:
        """The run is over: write its settlements and give its room back to every window."""
        if self._ledger is None:
            return
        with anyio.CancelScope(shield=True):
            await self._publish(in_thread(self._ledger.release, run_id))

    async def _reserve(self, ledger: Ledger, charge: Charge, limits: BudgetSettings) -> Hold | None:
        def abandoned(hold: Hold) -> None:
            ledger.settle(hold, 0.0)  # cancelled before sending: nothing to hold

        try:
            # Inside the run's lease the hold is a memory update (no I/O, so on the loop);
            # only a lease without room for it goes to the file, in a thread.
            hold = ledger.try_hold(charge, limits)
            if hold is None:
                hold = await in_thread(ledger.reserve, charge, limits, on_abandoned=abandoned)
            return hold
        except BudgetExceeded:
            if self.on_totals is not None:
                with anyio.CancelScope(shield=True):
                    await self._publish(in_thread(ledger.totals))
            raise
        except KeelError as error:
            if limits.limited():  # cannot count: refuse rather than spend blind
                raise BudgetExceeded(
                    f"Not sent: the spend ledger cannot be read ({error.message}), and a budget "
                    "is set.", code="budget.unavailable", hint=error.hint) from error
            log.warning("spend.ledger_unavailable", code=error.code)
            return None

    async def _settle(self, ledger: Ledger, hold: Hold, usd: float) -> None:
        if ledger.settle(hold, usd):  # near a limit: give the room back to other windows now
            await self._publish(in_thread(ledger.release, hold.run_id))
        elif self.on_totals is not None and (totals := ledger.local_totals()) is not None:
            self.on_totals(totals)

    async def _publish(self, totals: Awaitable[Totals | None]) -> None:
        try:
            after = await totals
        except KeelError as error:  # a reservation not settled stays held: counted, never lost
            log.warning("spend.ledger_write_failed", code=error.code)
            return
        if self.on_totals is not None and after is not None:
            self.on_totals(after)
