"""Issue 26 points 2, 3 and 5 end to end in-process: a run and a model fix through a real
provider client against the chaos server; what the run result, the report, history, health
and the fix show for truncation, refusal, missing usage and the provider's words."""

from __future__ import annotations

import pytest

from keel.app import advisor_ops, run_ops
from keel.app.provider_health import refresh_provider_components
from keel.app.state import KeelApp
from keel.chaos import cases
from keel.errors import ProviderError
from keel.protocol.advisor import AnalyzeParams, GenerateFixParams
from keel.protocol.settings import ProviderSettings
from keel.protocol.workflows import RunWorkflowParams
from keel.providers import recent
from keel.providers.registry import resolve_model
from keel.providers.usage import price_completion
from keel.records import MemoryRecorder
from keel.resilience import BreakerRegistry, BudgetRegistry, ResponseCache
from keel.workflows.stages_llm import Resilience

from ..workflows.workflow_fakes import BUGGY, RecordingNotifier, _no_wait, _thread_cpu, provider_set
from .conformance import Case, provider_for

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def make_app(tmp_path, chaos):
    (tmp_path / "buggy.py").write_text(BUGGY)
    apps: list[KeelApp] = []
    recent.clear()

    def make(kind: str, *replies) -> KeelApp:
        chaos.reply_with(*replies)
        chaos.reset_counters()
        built = provider_set(provider_for(Case("run", kind, replies), chaos))
        app = KeelApp(notifier=RecordingNotifier(), workspace_folders=[tmp_path],
                      workspace_trusted=True, provider_factory=lambda settings, env: built,
                      run_cpu=_thread_cpu, recorder=MemoryRecorder(),
                      resilience=Resilience(BreakerRegistry(), BudgetRegistry(),
                                            ResponseCache(64), sleep=_no_wait))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()
    recent.clear()


async def _review(app: KeelApp):
    return await run_ops.run_workflow(app, RunWorkflowParams(workflow="review", target="buggy.py"))


async def test_a_truncated_answer_marks_the_stage_and_the_report(make_app):
    app = make_app("anthropic", cases.anthropic_truncated())
    result = await _review(app)
    review = result.stages[2]
    assert review.status == "succeeded" and review.truncated is True
    assert "cut off (max_tokens)" in (review.note or "")
    assert "a model answer was cut off (max\\_tokens)" in result.report.markdown
    stage_record = app.recorder.finished[0].stages[2]
    assert stage_record.truncated is True
    assert [c.stop_reason for c in app.recorder.calls] == ["max_tokens"]


async def test_a_refusal_fails_the_stage_once_and_is_billed_in_history(make_app, chaos):
    app = make_app("anthropic", cases.anthropic_refusal())
    result = await _review(app)
    review = result.stages[2]
    assert review.status == "failed" and review.error.code == "provider.refused"
    assert chaos.requests_total == 1  # not 12 across three tiers
    billed = [c for c in app.recorder.calls if c.input_tokens]
    assert [(c.input_tokens, c.output_tokens, c.error_code) for c in billed] == [
        (1000, 200, "provider.refused")]
    model = resolve_model(ProviderSettings(id="p", kind="anthropic"), "cheap")
    assert billed[0].usd == pytest.approx((1000 * 1.0 + 200 * 5.0) / 1e6)
    assert review.usd == pytest.approx(billed[0].usd) and review.input_tokens == 1000
    assert result.cost.actual_usd == pytest.approx(billed[0].usd)
    assert model.model == "claude-haiku-4-5"


async def test_an_answer_without_usage_is_flagged_estimated(make_app):
    app = make_app("openai", cases.openai_no_usage())
    result = await _review(app)
    review = result.stages[2]
    assert review.status == "succeeded" and review.cost_estimated is True
    assert result.cost.cost_estimated is True
    assert "estimated" in (review.note or "") and "estimated" in result.report.markdown
    assert app.recorder.calls[-1].cost_estimated is True
    assert app.recorder.finished[0].stages[2].cost_estimated is True


async def test_the_providers_words_reach_the_report_and_health(make_app):
    app = make_app("anthropic", cases.temperature_deprecated())
    result = await _review(app)
    assert "\\`temperature\\` is deprecated for this model." in result.report.markdown
    # Health lists the configured providers: configure the one the run used.
    app.env = {"ANTHROPIC_API_KEY": "sk-ant-case-key-123456"}
    app.apply_settings({"providers": [{"id": "p", "kind": "anthropic"}]}, "test")
    refresh_provider_components(app)
    component = next(c for c in app.monitor.components() if c.name == "provider:p")
    assert "last error provider.bad_request: `temperature` is deprecated" in component.detail


async def test_a_success_clears_the_last_error_in_health(make_app):
    app = make_app("anthropic", cases.auth_401(), cases.ok_anthropic())
    await _review(app)
    assert recent.last_error("p") is not None
    await _review(app)
    assert recent.last_error("p") is None


MANY_PARAMS = "def combine(a, b, c, d, e, f, g):\n    return a + b + c + d + e + f + g\n"


async def _fix(app: KeelApp, tmp_path):
    (tmp_path / "many.py").write_text(MANY_PARAMS)
    uri = (tmp_path / "many.py").as_uri()
    findings = await advisor_ops.analyze(app, AnalyzeParams(uri=uri))
    finding = next(f for f in findings.findings if not f.fixable)
    return await advisor_ops.generate_fix(app, GenerateFixParams(uri=uri, finding_id=finding.id))


@pytest.mark.parametrize(("reply", "code"), [
    (cases.anthropic_message([{"type": "text", "text": "def combine(*v):\n    return sum(v)\n"}],
                             "max_tokens", {"input_tokens": 500, "output_tokens": 2000}),
     "provider.truncated"),
    (cases.anthropic_message([{"type": "text", "text": "def combine(x:\n"}], "end_turn",
                             {"input_tokens": 500, "output_tokens": 9}), "provider.bad_response"),
])
async def test_a_fix_that_is_cut_or_unparseable_is_not_offered_but_is_billed(
        make_app, tmp_path, reply, code):
    app = make_app("anthropic", reply)
    with pytest.raises(ProviderError) as caught:
        await _fix(app, tmp_path)
    assert caught.value.code == code
    calls = [c for c in app.recorder.calls if c.stage_id == "generate-fix"]
    assert calls and calls[0].input_tokens == 500 and calls[0].usd > 0
    assert (calls[0].outcome, calls[0].error_code) == ("failed", code)


def test_price_completion_matches_the_recorded_cost_of_a_plain_answer():
    model = resolve_model(ProviderSettings(id="p", kind="anthropic"), "cheap")
    from keel.providers.base import Completion

    plain = Completion("t", 1000, 200, "m", "p", 1, "end_turn")
    assert price_completion(model, plain) == (pytest.approx(0.002), False)


def test_a_key_no_call_has_used_reads_not_yet_checked_until_a_call_uses_it():
    """A mistyped key looks exactly like a good one until a call uses it: health says so."""
    from keel.app.provider_health import NOT_YET_CHECKED

    recent.clear()
    app = KeelApp(worker_pool_size=1, workspace_trusted=True,
                  env={"ANTHROPIC_API_KEY": "sk-ant-typo-key-123456"})
    try:
        app.apply_settings({"providers": [{"id": "p", "kind": "anthropic"}]}, "test")
        refresh_provider_components(app)
        component = next(c for c in app.monitor.components() if c.name == "provider:p")
        assert (component.status, component.detail) == ("ok", NOT_YET_CHECKED)
        recent.note_success("p")
        refresh_provider_components(app)
        component = next(c for c in app.monitor.components() if c.name == "provider:p")
        assert component.detail == "ready; breaker closed"
    finally:
        recent.clear()
        app.close()
