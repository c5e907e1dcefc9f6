"""keel/validateModels: the registry checks, offline or against the providers' served models."""

from __future__ import annotations

from keel.health.preflight import untrusted_network_check
from keel.protocol.reliability import ModelsReport, ValidateModelsParams
from keel.providers import registry_check
from keel.runtime.threads import in_thread

from .model_registry import apply_registry_file
from .state import KeelApp


async def validate_models(app: KeelApp, params: ValidateModelsParams) -> ModelsReport:
    problem = await in_thread(apply_registry_file, app)
    if problem is not None:
        raise problem
    if params.network and not app.workspace_trusted:  # nothing leaves an untrusted workspace
        report = await registry_check.validate_models(app.settings, app.env, network=False)
        report.checks.append(untrusted_network_check("models.served",
                                                     "Providers serve our models"))
        return report
    return await registry_check.validate_models(app.settings, app.env, network=params.network)
