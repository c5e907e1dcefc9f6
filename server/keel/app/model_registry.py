"""The model registry file (``models.registryPath``) and the ``models`` health component.

The component follows the offline checks: a failing check makes it
``degraded`` (runs still work: an unknown model is priced at its tier
default); warnings alone (a price older than 90 days) keep it ``ok`` and are
named in its detail. A registry file that cannot be read is a config problem:
the built-in registry stays in use and the component says which entry is wrong.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from keel.errors import ConfigError
from keel.protocol.health import ComponentStatus
from keel.providers import registry_check, registry_file
from keel.runtime.threads import in_thread

from .state import KeelApp

COMPONENT = "models"
FIX = "Run `keel models validate` and correct what it names."


def registry_path(app: KeelApp) -> Path | None:
    raw = app.settings.models.registry_path
    if not raw:
        return None
    path = Path(raw).expanduser()
    return path if path.is_absolute() else app.workspace_root / path


def apply_registry_file(app: KeelApp) -> ConfigError | None:
    """Install the settings' registry file (or the built-ins); the error if it cannot be read."""
    path = registry_path(app)
    try:
        registry_file.install(registry_file.load(path) if path else None)
    except ConfigError as error:
        registry_file.install(None)
        return error
    return None


def assess_registry(app: KeelApp, today: date | None = None) -> tuple[ComponentStatus, str, str | None]:
    """Install the registry file, run the offline checks: the component's (status, detail, fix).

    Reads a file: call it from a thread.
    """
    problem = apply_registry_file(app)
    if problem is not None:
        return ("degraded", f"registry file not used, built-in prices instead: {problem.message}",
                problem.hint)
    checks = registry_check.offline_checks(app.settings, today or date.today())
    failed = [c for c in checks if c.status == "fail"]
    warned = [c for c in checks if c.status == "warn"]
    if failed:
        return "degraded", "; ".join(c.message for c in failed), FIX
    if warned:
        return "ok", "warning: " + "; ".join(c.message for c in warned), warned[0].fix
    source = "the registry file" if registry_file.installed() else "built-in prices"
    return "ok", f"every model resolves and is priced ({source})", None


async def refresh_models_component(app: KeelApp) -> None:
    status, detail, fix = await in_thread(assess_registry, app)
    app.monitor.set(COMPONENT, status, detail, fix=fix)


async def install_models(app: KeelApp) -> None:
    """Apply the registry now, and again whenever the settings change."""
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task] = set()

    def on_settings() -> None:
        task = loop.create_task(refresh_models_component(app))
        pending.add(task)  # keep a reference until it is done
        task.add_done_callback(pending.discard)

    app.add_settings_hook(on_settings)
    await refresh_models_component(app)
