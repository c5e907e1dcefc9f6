"""Every model call reserves its worst case first: a call that would cross a budget is not sent."""

from __future__ import annotations

import math

import anyio
import pytest

from keel.errors import BudgetExceeded, ProviderError
from keel.providers.registry import price_usd
from keel.scan.tokens import count_tokens
from keel.spend.guard import INPUT_MARGIN, worst_case_usd

from .spend_fakes import MODEL, UNPRICED, CountingProvider, guard_for, make_ledger, request, send

pytestmark = pytest.mark.timeout(30)


def test_worst_case_is_input_with_margin_plus_max_tokens_at_the_models_prices():
    req = request(prompt="def f():\n    return 1\n" * 50, max_tokens=700)
    tokens = math.ceil(count_tokens(req.prompt) * INPUT_MARGIN)
    assert worst_case_usd(MODEL, req) == pytest.approx(price_usd(MODEL, tokens, 700))
    assert worst_case_usd(MODEL, req) > price_usd(MODEL, count_tokens(req.prompt), 699)


async def test_a_tiny_per_run_budget_sends_no_call(tmp_path):
    ledger = make_ledger(tmp_path / "spend.db")
    provider = CountingProvider()
    guard = guard_for(ledger, per_run_usd=0.0001)
    with pytest.raises(BudgetExceeded) as caught:
        await send(guard, provider)
    assert provider.sent == 0
    assert caught.value.code == "budget.exceeded" and caught.value.details["budget"] == "perRun"
    # the refusal is in history with the reservation it would have made
    [(stage, reserved, reason)] = ledger.refusals("r1")
    assert (stage, reason) == ("review", "budget.perRun")
    assert reserved == pytest.approx(worst_case_usd(MODEL, request()))
    assert ledger.totals("r1").run == 0


async def test_a_budget_that_fits_two_of_three_calls_sends_exactly_two(tmp_path):
    ledger = make_ledger(tmp_path / "spend.db")
    provider = CountingProvider()
    worst = worst_case_usd(MODEL, request())
    actual = price_usd(MODEL, provider.input_tokens, provider.output_tokens)
    assert actual < worst
    guard = guard_for(ledger, daily_usd=actual + worst + actual / 2)  # room for 2, not 3
    await send(guard, provider, run_id="a")
    await send(guard, provider, run_id="b")
    with pytest.raises(BudgetExceeded) as caught:
        await send(guard, provider, run_id="c")
    assert provider.sent == 2 and caught.value.details["budget"] == "daily"
    totals = ledger.totals()
    assert totals.today == pytest.approx(2 * actual) and totals.reserved == 0


async def test_unpriced_model_is_refused_under_a_budget_not_treated_as_free(tmp_path):
    ledger = make_ledger(tmp_path / "spend.db")
    provider = CountingProvider()
    with pytest.raises(BudgetExceeded) as caught:
        await send(guard_for(ledger, monthly_usd=100.0), provider, model=UNPRICED)
    assert caught.value.code == "budget.unpriced" and provider.sent == 0
    assert ledger.refusals("r1")[0][2] == "budget.unpriced"
    # without any budget the same model is sent (and its approximate cost recorded)
    await send(guard_for(ledger), provider, model=UNPRICED)
    assert provider.sent == 1 and ledger.totals().today > 0


async def test_an_error_answer_releases_the_reservation(tmp_path):
    ledger = make_ledger(tmp_path / "spend.db")
    provider = CountingProvider(fail=True)
    with pytest.raises(ProviderError):
        await send(guard_for(ledger, daily_usd=1.0), provider)
    totals = ledger.totals()
    assert provider.sent == 1 and totals.reserved == 0 and totals.today == 0


async def test_a_call_cancelled_in_flight_keeps_its_reservation(tmp_path):
    ledger = make_ledger(tmp_path / "spend.db")
    started = anyio.Event()

    class Hanging(CountingProvider):
        async def complete(self, req):
            self.sent += 1
            started.set()
            await anyio.sleep_forever()

    provider = Hanging()
    async with anyio.create_task_group() as tg:
        tg.start_soon(send, guard_for(ledger, daily_usd=1.0), provider)
        await started.wait()
        tg.cancel_scope.cancel()
    # it may have been billed: held at the full worst case, never released as free
    totals = ledger.totals()
    assert totals.reserved == 0 and totals.today == pytest.approx(worst_case_usd(MODEL, request()))


async def test_no_budget_still_records_spend_so_a_later_budget_knows_the_day(tmp_path):
    ledger = make_ledger(tmp_path / "spend.db")
    provider = CountingProvider()
    await send(guard_for(ledger), provider)
    spent = price_usd(MODEL, provider.input_tokens, provider.output_tokens)
    assert ledger.totals().today == pytest.approx(spent)
    with pytest.raises(BudgetExceeded):
        await send(guard_for(ledger, daily_usd=spent), provider)
    assert provider.sent == 1
