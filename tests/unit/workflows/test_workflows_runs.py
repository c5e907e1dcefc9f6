"""The run engine and manager: statuses, costs, events, fallback, offline, deadlines, dedup, cancel."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from keel.app import run_ops, services
from keel.errors import InvalidInput
from keel.protocol.settings import ProviderSettings
from keel.protocol.workflows import CancelRunParams, RunFindingsParams, RunWorkflowParams
from keel.providers.registry import price_usd, resolve_model
from keel.runtime.deadline import deadline_scope

from .workflow_fakes import FakeProvider

pytestmark = pytest.mark.timeout(30)


def params(**kw) -> RunWorkflowParams:
    kw.setdefault("workflow", "review")
    kw.setdefault("target", "buggy.py")
    return RunWorkflowParams(**kw)


async def test_successful_run_reports_stages_costs_events_and_records(make_app):
    provider = FakeProvider("a")
    app = make_app(provider)
    result = await run_ops.run_workflow(app, params(workDoneToken="tok"))
    assert result.status == "succeeded", result.report.markdown
    assert [s.id for s in result.stages] == ["static", "bugs", "review"]
    assert [s.status for s in result.stages] == ["succeeded", "succeeded", "succeeded"]
    review = result.stages[2]
    # buggy.py is tiny, so the capable stage runs one tier down (downgrade_under_tokens).
    assert (review.provider, review.tier, review.attempts) == ("a", "cheap", 1)
    model = resolve_model(ProviderSettings(id="a", kind="anthropic"), "cheap")
    assert review.model == model.model and provider.requests[0].model == model.model
    assert review.usd == pytest.approx(price_usd(model, 1000, 200))
    premium = resolve_model(ProviderSettings(id="a", kind="anthropic"), "premium")
    assert result.cost.baseline_usd == pytest.approx(price_usd(premium, 1000, 200))
    assert result.cost.savings_usd == pytest.approx(result.cost.baseline_usd - review.usd)
    rules = {f.rule for f in result.report.findings}
    assert {"is-literal", "eq-none", "mutable-class-attribute"} <= rules
    assert "answer from a" in result.report.markdown
    # the model saw the static findings
    assert "eq-none" in provider.requests[0].prompt
    events = app.notifier.events(result.run_id)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    kinds = [e["kind"] for e in events]
    assert kinds[:2] == ["queued", "started"] and kinds[-1] == "finished"
    assert kinds.count("stageStarted") == 3 and kinds.count("stageFinished") == 3
    recorder = app.recorder
    assert [r.status for r in recorder.finished] == ["succeeded"]
    assert len(recorder.calls) == 1 and recorder.calls[0].outcome == "succeeded"
    stage_record = recorder.finished[0].stages[2]
    assert stage_record.estimated_input_tokens and stage_record.estimated_output_tokens == 1200
    assert ("begin", "tok", "Keel: Code review") in app.notifier.progress
    assert app.notifier.progress[-1] == ("end", "tok", "succeeded")


async def test_offline_run_is_partial_with_static_report(make_app):
    app = make_app()  # no provider has a key: only the offline provider serves
    result = await run_ops.run_workflow(app, params())
    assert result.status == "partial"
    review = result.stages[2]
    assert review.status == "skipped" and "no model provider" in review.note
    assert result.stages[0].status == "succeeded" and result.report.findings
    assert any(reason.startswith("review:") for reason in result.degraded)
    assert result.error is None and result.cost.actual_usd == 0


async def test_first_provider_down_falls_back_to_second(make_app):
    down, up = FakeProvider("a", lambda n: "503"), FakeProvider("b")
    app = make_app(down, up)
    result = await run_ops.run_workflow(app, params(workflow="bug-predict"))
    assert result.status == "succeeded"
    stage = result.stages[2]
    assert stage.provider == "b" and stage.fallback_used is True
    assert stage.attempts == 3 + 1  # balanced: 1 + 2 retries on a, then b answers
    kinds = [e["kind"] for e in app.notifier.events(result.run_id)]
    assert kinds.count("retrying") == 2 and kinds.count("fallback") == 1
    assert "after fallback" in stage.note


async def test_all_providers_failing_fail_the_stage_not_the_static_results(make_app):
    app = make_app(FakeProvider("a", lambda n: "auth"))
    result = await run_ops.run_workflow(app, params())
    assert result.status == "partial"
    review = result.stages[2]
    assert review.status == "failed" and review.error.code == "provider.auth"
    assert "answer from" not in result.report.markdown
    assert result.report.findings
    call = app.recorder.calls[0]
    assert (call.outcome, call.error_code, call.attempts) == ("failed", "provider.auth", 1)


async def test_cached_answer_is_served_stale_when_every_provider_fails(make_app):
    def behave(n: int) -> str:
        return "ok" if n == 1 else "auth"

    app = make_app(FakeProvider("a", behave))
    first = await run_ops.run_workflow(app, params())
    assert first.status == "succeeded"
    second = await run_ops.run_workflow(app, params())
    assert second.status == "partial"
    review = second.stages[2]
    assert review.status == "succeeded" and "stale" in review.note and review.usd == 0
    assert any("stale" in reason for reason in second.degraded)
    assert "answer from a" in second.report.markdown
    assert app.recorder.calls[-1].outcome == "failed"


async def test_no_findings_skips_the_stage_and_succeeds(make_app):
    provider = FakeProvider("a")
    app = make_app(provider)
    result = await run_ops.run_workflow(app, params(workflow="refactor-plan", target="clean.py"))
    assert result.status == "succeeded"
    assert result.stages[1].status == "skipped" and "found nothing" in result.stages[1].note
    assert provider.requests == []


async def test_hanging_provider_times_out_close_to_the_deadline(make_app):
    provider = FakeProvider("a", lambda n: "hang")
    app = make_app(provider)
    async with deadline_scope(400):  # how close to it the answer lands is a bench figure
        result = await run_ops.run_workflow(app, params())
    assert result.status == "timedOut"
    assert result.error.error_type == "timeout" and result.error.code == "deadline.exceeded"
    assert result.stages[2].status == "failed" and result.stages[0].status == "succeeded"
    assert provider.cancelled == 1  # the provider call was stopped
    assert app.recorder.finished[0].status == "timedOut"
    assert app.recorder.calls[0].outcome == "timedOut"


async def test_timeout_ms_param_gives_timed_out_result(make_app):
    app = make_app(FakeProvider("a", lambda n: "hang"))
    result = await run_ops.run_workflow(app, params(timeoutMs=300))
    assert result.status == "timedOut"


async def until_called(provider: FakeProvider) -> None:
    for _ in range(4000):
        if provider.requests:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the provider was never called")


async def test_identical_runs_are_deduplicated(make_app):
    gate = asyncio.Event()
    provider = FakeProvider("a", gate=gate)
    app = make_app(provider)
    first = asyncio.ensure_future(run_ops.run_workflow(app, params(runId="mine")))
    await app.notifier.until("queued")
    second = asyncio.ensure_future(run_ops.run_workflow(app, params(runId="theirs")))
    await app.notifier.until("attached")
    gate.set()
    one, two = await asyncio.gather(first, second)
    assert one.run_id == two.run_id == "mine"
    assert (one.deduplicated, two.deduplicated) == (False, True)
    assert len(provider.requests) == 1
    attached = [e for e in app.notifier.events("mine") if e["kind"] == "attached"]
    assert attached == [pytest.approx(attached[0])] and attached[0]["clientRunId"] == "theirs"


async def test_cancelling_one_waiter_detaches_only_that_waiter(make_app):
    gate = asyncio.Event()
    app = make_app(FakeProvider("a", gate=gate))
    first = asyncio.ensure_future(run_ops.run_workflow(app, params()))
    await app.notifier.until("queued")
    second = asyncio.ensure_future(run_ops.run_workflow(app, params()))
    await app.notifier.until("attached")
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    gate.set()
    result = await first
    assert result.status == "succeeded" and result.deduplicated is False


async def test_last_waiter_detaching_cancels_the_run(make_app):
    provider = FakeProvider("a", lambda n: "hang")
    app = make_app(provider)
    waiter = asyncio.ensure_future(run_ops.run_workflow(app, params()))
    await until_called(provider)  # the model stage's call is hanging in the provider
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    manager = services.run_manager(app)
    for _ in range(100):
        if app.recorder.finished:
            break
        await asyncio.sleep(0.01)
    assert app.recorder.finished[0].status == "cancelled"
    assert provider.cancelled == 1 and manager.active == {}


async def test_cancel_run_gives_every_waiter_cancelled(make_app):
    provider = FakeProvider("a", lambda n: "hang")
    app = make_app(provider)
    first = asyncio.ensure_future(run_ops.run_workflow(app, params(runId="r1")))
    await app.notifier.until("queued")
    second = asyncio.ensure_future(run_ops.run_workflow(app, params()))
    await app.notifier.until("attached")
    await until_called(provider)  # the model stage's call is hanging in the provider
    answer = await run_ops.cancel_run(app, CancelRunParams(runId="r1"))
    assert (answer.cancelled, answer.status) == (True, "cancelled")
    one, two = await asyncio.gather(first, second)
    assert one.status == two.status == "cancelled"
    assert one.error.code == "run.cancelled" and two.deduplicated is True
    assert one.stages[2].status == "cancelled" and one.stages[0].status == "succeeded"
    again = await run_ops.cancel_run(app, CancelRunParams(runId="r1"))
    assert (again.cancelled, again.status) == (False, "cancelled")


async def test_cancel_of_finished_and_unknown_runs(make_app):
    app = make_app(FakeProvider("a"))
    result = await run_ops.run_workflow(app, params(runId="done"))
    answer = await run_ops.cancel_run(app, CancelRunParams(runId="done"))
    assert (answer.cancelled, answer.status) == (False, result.status)
    with pytest.raises(InvalidInput) as info:
        await run_ops.cancel_run(app, CancelRunParams(runId="nope"))
    assert info.value.code == "run.unknown"


async def test_cancel_run_stops_a_run_still_being_prepared_for_every_waiter(make_app):
    """The extension's Cancel is live as soon as it sends keel/runWorkflow; a big target can
    keep the run in preparation (slot, input check, budget gate) for seconds. Cancelling it
    then ends it there, instead of answering run.unknown and letting it run to the end."""
    from keel.runtime.admission import ADMIT

    provider = FakeProvider("a")
    app = make_app(provider)
    asked = asyncio.Event()

    async def admit():
        asked.set()
        await asyncio.Event().wait()  # no slot ever comes: the run stays in preparation

    token = ADMIT.set(admit)
    try:
        leader = asyncio.ensure_future(run_ops.run_workflow(app, params(runId="prep")))
        await asked.wait()
        waiter = asyncio.ensure_future(run_ops.run_workflow(app, params(runId="prep-2")))
        await asyncio.sleep(0)
        answer = await run_ops.cancel_run(app, CancelRunParams(runId="prep"))
        one, two = await asyncio.gather(leader, waiter)
    finally:
        ADMIT.reset(token)
    assert (answer.cancelled, answer.status) == (True, "cancelled")
    assert (one.run_id, one.status, one.error.code) == ("prep", "cancelled", "run.cancelled")
    assert (two.run_id, two.status) == ("prep-2", "cancelled")
    assert [s.status for s in one.stages] == ["skipped", "skipped", "skipped"]
    assert provider.requests == []
    again = await run_ops.cancel_run(app, CancelRunParams(runId="prep"))
    assert (again.cancelled, again.status) == (False, "cancelled")
    # The client's own $/cancelRequest of a run in preparation is still a cancelled request.
    token = ADMIT.set(admit)
    try:
        asked.clear()
        third = asyncio.ensure_future(run_ops.run_workflow(app, params(runId="prep-3")))
        await asked.wait()
        third.cancel()
        with pytest.raises(asyncio.CancelledError):
            await third
    finally:
        ADMIT.reset(token)
    assert run_manager_preparing_is_empty(app)


async def test_a_cancel_that_overtakes_its_own_run_request_still_cancels_it(make_app):
    """Seen in the VS Code e2e on a slow machine: the dashboard's Cancel reached the server
    while its keel/runWorkflow still waited for its progress token, was answered run.unknown,
    and the run went on. The cancel now waits briefly for a request carrying that id."""
    provider = FakeProvider("a")
    app = make_app(provider)
    cancel = asyncio.ensure_future(run_ops.cancel_run(app, CancelRunParams(runId="late")))
    await asyncio.sleep(0)  # the cancel is waiting: no run has that id yet
    assert not cancel.done()
    result = await run_ops.run_workflow(app, params(runId="late"))
    answer = await cancel
    assert (answer.cancelled, answer.status) == (True, "cancelled")
    assert (result.run_id, result.status, result.error.code) == ("late", "cancelled", "run.cancelled")
    assert provider.requests == []
    assert services.run_manager(app).preparing._awaited == {}


async def test_a_cancel_of_an_id_no_request_carries_is_unknown_after_the_grace(make_app):
    app = make_app(FakeProvider("a"))
    manager = services.run_manager(app)
    manager.cancel_grace_s = 0.05
    with pytest.raises(InvalidInput) as info:
        await run_ops.cancel_run(app, CancelRunParams(runId="never"))
    assert info.value.code == "run.unknown"
    assert manager.preparing._awaited == {}  # nothing kept for an id that never came
    # A flood of such cancels leaves nothing behind either.
    for outcome in await asyncio.gather(*(run_ops.cancel_run(app, CancelRunParams(runId=f"x{i}"))
                                          for i in range(50)), return_exceptions=True):
        assert isinstance(outcome, InvalidInput) and outcome.code == "run.unknown"
    assert manager.preparing._awaited == {}


def run_manager_preparing_is_empty(app) -> bool:
    return services.run_manager(app).preparing._tasks == {}


async def test_reusing_a_run_id_is_refused(make_app):
    app = make_app(FakeProvider("a"))
    await run_ops.run_workflow(app, params(runId="same"))
    with pytest.raises(InvalidInput) as info:
        await run_ops.run_workflow(app, params(runId="same", workflow="summarize"))
    assert info.value.code == "run.id_in_use"


async def test_target_outside_workspace_is_invalid(make_app, tmp_path):
    app = make_app(FakeProvider("a"))
    (tmp_path / "outside.py").write_text("x = 1\n")
    with pytest.raises(InvalidInput) as info:
        await run_ops.run_workflow(app, params(target=str(tmp_path / "outside.py")))
    assert info.value.code == "target.outside_workspace"


async def test_run_with_a_slow_wrap_up_still_answers_timed_out_not_a_deadline_error(make_app):
    # The provider's cancelled call takes longer to close than the run's answer margin,
    # so the run's wrap-up ends after the request's own deadline has passed.
    provider = FakeProvider("a", lambda n: "hang", teardown=lambda: asyncio.sleep(0.4))
    app = make_app(provider)
    async with deadline_scope(300):
        result = await run_ops.run_workflow(app, params())
    assert result.status == "timedOut"
    assert result.error.error_type == "timeout"
    assert result.stages[0].status == "succeeded" and result.stages[2].status == "failed"
    assert provider.cancelled == 1


async def test_identical_request_during_teardown_starts_a_new_run(make_app):
    released = asyncio.Event()
    provider = FakeProvider("a", lambda n: "hang" if n == 1 else "ok", teardown=released.wait)
    app = make_app(provider)
    first = asyncio.ensure_future(run_ops.run_workflow(app, params(runId="old")))
    await provider.called.wait()
    cancelling = asyncio.ensure_future(run_ops.cancel_run(app, CancelRunParams(runId="old")))
    await provider.was_cancelled.wait()
    # "old" is being torn down (its provider call is still closing): not joinable.
    again = await run_ops.run_workflow(app, params(runId="new"))
    assert (again.run_id, again.status, again.deduplicated) == ("new", "succeeded", False)
    released.set()
    old = await first
    assert old.status == "cancelled" and old.run_id == "old"
    assert (await cancelling).status == "cancelled"


async def test_identical_request_after_the_deadline_passed_starts_a_new_run(make_app):
    released = asyncio.Event()
    provider = FakeProvider("a", lambda n: "hang" if n == 1 else "ok", teardown=released.wait)
    app = make_app(provider)
    first = asyncio.ensure_future(run_ops.run_workflow(app, params(runId="late", timeoutMs=200)))
    await provider.was_cancelled.wait()  # the run's deadline cancelled the provider call
    again = await run_ops.run_workflow(app, params(runId="fresh"))
    assert (again.run_id, again.status, again.deduplicated) == ("fresh", "succeeded", False)
    released.set()
    assert (await first).status == "timedOut"


async def test_big_results_are_bounded_and_the_rest_is_paged(make_app):
    app = make_app(FakeProvider("a"))
    manager = services.run_manager(app)
    manager.max_findings_in_result = 3
    result = await run_ops.run_workflow(app, params(runId="big"))
    report = result.report
    total = report.findings_total
    assert total is not None and total > 3
    assert len(report.findings) == 3 and report.truncated is True
    assert sum(report.findings_by_severity.values()) == total
    pages, offset = [], 0
    while offset is not None:
        page = await run_ops.run_findings(app, RunFindingsParams(runId="big", offset=offset,
                                                                 limit=2))
        assert page.total == total
        pages += page.findings
        offset = page.next_offset
    assert len(pages) == total and len({f.id for f in pages}) == total
    assert pages[:3] == report.findings  # the answer is the first page, same order
    severities = [f.severity for f in pages]
    order = {"error": 0, "warning": 1, "info": 2}
    assert severities == sorted(severities, key=order.__getitem__)
    with pytest.raises(InvalidInput) as info:
        await run_ops.run_findings(app, RunFindingsParams(runId="never-ran"))
    assert info.value.code == "run.unknown"


async def test_small_results_are_whole(make_app):
    app = make_app(FakeProvider("a"))
    result = await run_ops.run_workflow(app, params())
    report = result.report
    assert report.truncated is False and report.findings_total == len(report.findings) > 0


async def test_the_result_is_assembled_off_the_event_loop(make_app, monkeypatch):
    from keel.workflows import run_results

    threads = []
    real = run_results.build_result

    def recording(*args, **kwargs):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(run_results, "build_result", recording)
    app = make_app(FakeProvider("a"))
    result = await run_ops.run_workflow(app, params())
    assert result.status == "succeeded" and threads == [False]


async def test_deadline_passing_while_the_run_is_prepared_still_answers_timed_out(make_app,
                                                                                  monkeypatch):
    # A cold server or a slow disk: resolving the target outlasts the request's deadline.
    real = run_ops.resolve_target

    def slow_resolve(*args):
        time.sleep(0.5)
        return real(*args)

    monkeypatch.setattr(run_ops, "resolve_target", slow_resolve)
    app = make_app(FakeProvider("a"))
    async with deadline_scope(200):
        result = await run_ops.run_workflow(app, params(runId="cold"))
    assert (result.run_id, result.status) == ("cold", "timedOut")
    assert result.error.error_type == "timeout"
    assert [s.status for s in result.stages] == ["skipped", "skipped", "skipped"]
    assert all("not started" in s.note for s in result.stages)
    answer = await run_ops.cancel_run(app, CancelRunParams(runId="cold"))
    assert (answer.cancelled, answer.status) == (False, "timedOut")


async def test_identical_requests_wait_without_a_slot_and_take_over_from_a_cancelled_leader(make_app):
    from keel.runtime.admission import ADMIT

    provider = FakeProvider("a")
    app = make_app(provider)
    asked, gate, released = asyncio.Event(), asyncio.Event(), []

    async def admit():
        asked.set()
        await gate.wait()
        return lambda: released.append(1)

    token = ADMIT.set(admit)
    try:
        leader = asyncio.ensure_future(run_ops.run_workflow(app, params()))
        await asked.wait()  # the leader waits for a slot
        asked.clear()
        others = [asyncio.ensure_future(run_ops.run_workflow(app, params())) for _ in range(3)]
        await asyncio.sleep(0)
        assert not asked.is_set()  # identical requests never ask for a slot of their own
        leader.cancel()
        await asked.wait()  # one of them now leads
        gate.set()
        results = await asyncio.gather(*others)
    finally:
        ADMIT.reset(token)
    assert leader.cancelled()
    assert len({r.run_id for r in results}) == 1 and len(provider.requests) == 1
    assert sorted(r.deduplicated for r in results) == [False, True, True]
    assert released == [1]  # the run gave its slot back when it ended
