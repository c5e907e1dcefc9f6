"""Inside a model stage: progress per chunk (runEvent and $/progress), retries said as retries,
typed skip reasons, offline-by-design runs told apart from failed ones."""

from __future__ import annotations

import pytest

from keel.app import run_ops
from keel.protocol.workflows import RunWorkflowParams, StageProgressInfo
from keel.workflows.stages_llm import progress_line

from .workflow_fakes import FakeProvider

pytestmark = pytest.mark.timeout(60)
CHUNK_TOKENS = 12_000  # the summarize workflow's chunk size


@pytest.fixture
def big(workspace):
    """A folder the summarize workflow splits into several chunks."""
    folder = workspace / "big"
    folder.mkdir()
    body = "".join(f"def function_{i}(value):\n    return value * {i} + {i}\n\n"
                   for i in range(1400))
    for name in ("a.py", "b.py", "c.py"):
        (folder / name).write_text(body)
    return folder


def summary_events(app, run_id: str, kind: str) -> list[dict]:
    return [e for e in app.notifier.events(run_id) if e["kind"] == kind
            and e.get("stage") == "summary"]


async def test_each_chunk_reports_progress_and_the_report_says_calls_not_retries(make_app, big):
    app = make_app(FakeProvider("a"))
    messages: list[str | None] = []
    recorded_report = app.notifier.report
    app.notifier.report = lambda token, message, pct: (messages.append(message),
                                                       recorded_report(token, message, pct))
    result = await run_ops.run_workflow(app, RunWorkflowParams(
        workflow="summarize", target="big", workDoneToken="tok", timeoutMs=60_000))
    stage = result.stages[1]
    assert result.status == "succeeded", result.report.markdown
    chunks = stage.chunks
    assert chunks >= 2 and (stage.calls, stage.retries, stage.fallbacks) == (chunks, 0, 0)
    progress = [StageProgressInfo.model_validate(e["progress"])
                for e in summary_events(app, result.run_id, "progress")]
    # One before each chunk and one after it: chunk i of n, with spend growing as it goes.
    assert [(p.chunk, p.done) for p in progress] == [
        (min(chunks, (i + 1) // 2 + 1), (i + 1) // 2) for i in range(2 * chunks)]
    assert all(p.chunks == chunks for p in progress)
    assert [p.calls for p in progress[1::2]] == list(range(1, chunks + 1))
    assert [p.input_tokens for p in progress[1::2]] == [1000 * n for n in range(1, chunks + 1)]
    # The run's own deadline travels with each event, and the elapsed time only grows.
    assert {round(p.deadline_ms or 0, -3) for p in progress} == {60_000}  # ms rounding aside
    elapsed = [p.elapsed_ms for p in progress]
    assert elapsed == sorted(elapsed) and elapsed[0] >= 0
    first = summary_events(app, result.run_id, "progress")[0]["message"]
    assert first.startswith(f"summary: chunk 1 of {chunks} · 0 tokens")
    # The editor's progress notification moves with the chunks, not only per stage.
    assert any(m and f"chunk 2 of {chunks}" in m for m in messages)
    assert f"{chunks} calls ({chunks} chunks, 0 retries)" in result.report.markdown
    assert "Attempts" not in result.report.markdown


async def test_retries_and_fallbacks_are_counted_as_they_happen(make_app, big):
    down, up = FakeProvider("a", lambda n: "503"), FakeProvider("b")
    app = make_app(down, up)
    result = await run_ops.run_workflow(app, RunWorkflowParams(workflow="summarize",
                                                               target="big", timeoutMs=60_000))
    stage = result.stages[1]
    assert stage.retries >= 1 and stage.fallbacks >= 1 and stage.calls > stage.chunks
    retrying = summary_events(app, result.run_id, "retrying")
    assert [e["progress"]["retries"] for e in retrying] == list(range(1, len(retrying) + 1))
    fallbacks = summary_events(app, result.run_id, "fallback")
    assert fallbacks and fallbacks[0]["progress"]["fallbacks"] == 1
    assert f"{stage.retries} retries" in result.report.markdown


async def test_an_offline_run_is_partial_by_design_and_a_failing_one_is_not(make_app):
    app = make_app()
    offline = await run_ops.run_workflow(app, RunWorkflowParams(workflow="review",
                                                                target="buggy.py"))
    # The history marks the skip so reliability can count the run as a success.
    assert [s.error_type for s in app.recorder.finished[0].stages] == [None, None, "offline"]
    review = offline.stages[2]
    assert review.skip is not None and (review.skip.reason, review.skip.code) == (
        "noProvider", "provider.none_configured")
    assert offline.status == "partial" and offline.offline_by_design
    assert "skipped: skipped" not in str(offline.model_dump())
    failing = await run_ops.run_workflow(make_app(FakeProvider("a", lambda n: "auth")),
                                         RunWorkflowParams(workflow="review", target="buggy.py"))
    assert failing.status == "partial" and not failing.offline_by_design
    assert failing.stages[2].skip is None


async def test_a_stage_skipped_for_its_own_rule_says_why(make_app):
    result = await run_ops.run_workflow(make_app(FakeProvider("a")), RunWorkflowParams(
        workflow="refactor-plan", target="clean.py"))
    plan = result.stages[1]
    assert plan.skip is not None and plan.skip.reason == "noFindings"
    assert result.status == "succeeded" and not result.offline_by_design


def test_the_progress_line_is_human():
    info = StageProgressInfo(chunk=2, chunks=4, done=1, calls=2, retries=1, input_tokens=3000,
                             output_tokens=120, usd=0.0021, elapsed_ms=12_300, deadline_ms=120_000)
    assert progress_line(info) == ("chunk 2 of 4 · 3,120 tokens · $0.0021 · 1 retry, "
                                   "0 fallbacks · 12 s of 120 s")
    done = info.model_copy(update={"done": 4, "chunk": 4, "deadline_ms": None})
    assert progress_line(done).startswith("4 of 4 chunks done") and progress_line(done).endswith(
        "· 12 s")


async def test_the_cli_prints_every_finding_by_reading_the_pages(make_app):
    from keel.app import services
    from keel.cli.run import with_every_finding

    app = make_app(FakeProvider("a"))
    manager = services.run_manager(app)
    manager.max_findings_in_result = 2
    result = await run_ops.run_workflow(app, RunWorkflowParams(workflow="review",
                                                               target="buggy.py"))
    assert result.report.truncated and len(result.report.findings) == 2
    whole = with_every_finding(manager, result)
    assert len(whole.report.findings) == result.report.findings_total > 2
    assert not whole.report.truncated and whole.report.findings[:2] == result.report.findings
    assert with_every_finding(manager, whole) is whole  # nothing to page


async def test_a_call_that_never_fell_back_is_not_recorded_as_a_fallback(make_app):
    from keel.runtime.deadline import deadline_scope

    # Two providers in the chain; the first hangs until the deadline: no fallback happened,
    # so the history must not count one (the report says "Fallback: no").
    app = make_app(FakeProvider("a", lambda n: "hang"), FakeProvider("b"))
    async with deadline_scope(400):
        result = await run_ops.run_workflow(app, RunWorkflowParams(workflow="review",
                                                                   target="buggy.py"))
    assert result.status == "timedOut" and not result.stages[2].fallback_used
    [call] = app.recorder.calls
    assert call.outcome == "timedOut" and call.fallback is False
    fell = make_app(FakeProvider("a", lambda n: "auth"), FakeProvider("b", lambda n: "auth"))
    failed = await run_ops.run_workflow(fell, RunWorkflowParams(workflow="review",
                                                                target="buggy.py"))
    assert failed.stages[2].status == "failed" and fell.recorder.calls[0].fallback is True


async def test_a_stage_skipped_for_want_of_a_provider_sends_no_chunk_progress(make_app):
    app = make_app()
    result = await run_ops.run_workflow(app, RunWorkflowParams(workflow="review",
                                                               target="buggy.py"))
    assert result.stages[2].status == "skipped"
    assert [e for e in app.notifier.events(result.run_id) if e["kind"] == "progress"] == []
