"""Untrusted means nothing leaves, whatever the client does.

In a workspace the editor has not trusted (``initialize``'s
``workspaceTrusted`` false) the server itself sends no code, no prompt and no
key to any model provider, and probes no provider endpoint. Not leaving it to
the client: the extension used to throw a model's fix away after the server
had already sent the function and the key to the provider.

One chokepoint: every provider set the app uses comes from
``keel.app.services.providers_for``, which for an untrusted workspace builds no
provider at all (no client exists, no key is read). Each path that would call a model also says why it does not
(``Untrusted``, code ``trust.untrusted``, or a skipped stage), so the
refusal is visible rather than a generic "no provider".
"""

from __future__ import annotations

from keel.errors import Untrusted
from keel.protocol.cost import CostEstimate
from keel.protocol.workflows import ListWorkflowsResult, StageSkip

from .state import KeelApp


def refuse_if_untrusted(app: KeelApp, refused: str) -> None:
    """Raise ``trust.untrusted`` naming what was refused (e.g. "a model-proposed fix")."""
    if not app.workspace_trusted:
        raise Untrusted(f"This workspace is not trusted, so Keel does not send {refused}.")


def restricted_skip() -> StageSkip:
    from keel.workflows.stages_llm import RESTRICTED_MESSAGE

    return StageSkip(reason="restrictedMode", message=RESTRICTED_MESSAGE, code="trust.untrusted")


def mark_skipped_workflow_stages(app: KeelApp, result: ListWorkflowsResult) -> ListWorkflowsResult:
    """keel/listWorkflows: in Restricted Mode, say which stages a run would skip, before Run."""
    result.workspace_trusted = app.workspace_trusted
    if not app.workspace_trusted:
        for workflow in result.workflows:
            for stage in workflow.stages:
                if stage.kind == "llm":
                    stage.skip = restricted_skip()
    return result


def mark_skipped_estimate_stages(app: KeelApp, estimate: CostEstimate) -> CostEstimate:
    """keel/estimateCost: each model stage a run would skip, and why (Restricted Mode first:
    it holds whatever keys exist; else no provider able to serve, priced as ``offline``)."""
    for stage in estimate.stages:
        if stage.tier is None:  # a static stage
            continue
        if not app.workspace_trusted:
            stage.skip = restricted_skip()
        elif stage.provider == "offline":
            stage.skip = StageSkip(
                reason="noProvider", code="provider.none_configured",
                message="no model provider has a key, so this model stage would be skipped")
    return estimate
