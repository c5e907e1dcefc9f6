"""ErrorData names the run and the stage an error belongs to, so the dashboard can find it."""

from __future__ import annotations

import pytest

from keel.app import run_ops
from keel.errors import InvalidInput, ProviderError
from keel.protocol.workflows import CancelRunParams, RunWorkflowParams
from keel.runtime.deadline import deadline_scope

from .workflow_fakes import FakeProvider

pytestmark = pytest.mark.timeout(30)


def test_a_keel_error_carries_its_stage_on_the_wire():
    error = ProviderError("down", code="provider.overloaded", run_id="r1", stage_id="review")
    assert error.to_error_data(7) == {
        "errorType": "provider", "transient": False, "code": "provider.overloaded",
        "runId": "r1", "stageId": "review", "requestId": 7}


async def test_a_failed_stage_error_names_its_run_and_stage(make_app):
    app = make_app(FakeProvider("a", lambda n: "auth"))
    result = await run_ops.run_workflow(app, RunWorkflowParams(workflow="review",
                                                               target="buggy.py"))
    review = result.wire()["stages"][2]
    assert review["error"]["runId"] == result.run_id and review["error"]["stageId"] == "review"


async def test_a_timed_out_run_names_the_stage_it_stopped(make_app):
    app = make_app(FakeProvider("a", lambda n: "hang"))
    async with deadline_scope(300):
        result = await run_ops.run_workflow(app, RunWorkflowParams(workflow="review",
                                                                   target="buggy.py"))
    assert result.status == "timedOut"
    assert (result.error.run_id, result.error.stage_id) == (result.run_id, "review")


async def test_request_errors_about_a_run_name_it(make_app):
    app = make_app(FakeProvider("a"))
    with pytest.raises(InvalidInput) as unknown:
        await run_ops.cancel_run(app, CancelRunParams(runId="nope"))
    assert unknown.value.to_error_data()["runId"] == "nope"
    await run_ops.run_workflow(app, RunWorkflowParams(workflow="review", target="buggy.py",
                                                      runId="same"))
    with pytest.raises(InvalidInput) as reused:
        await run_ops.run_workflow(app, RunWorkflowParams(workflow="summarize",
                                                          target="buggy.py", runId="same"))
    assert reused.value.to_error_data()["runId"] == "same"
