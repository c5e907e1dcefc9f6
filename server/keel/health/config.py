"""The ``config`` component's view of ``.keel/workflows.toml``.

Settings and the workflows file are two parts of one ``config`` component
(see ``HealthMonitor.set``): a broken file degrades it, with the file, field
and line in the detail, and the user is told once per distinct problem; a
fixed file puts that part back to ``ok``. Call it on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable

from keel.errors import ConfigError

from .monitor import HealthMonitor

WORKFLOWS_PART = "workflows"
WORKFLOWS_FIX = "Correct the named field in .keel/workflows.toml; built-in workflows still work."


def note_workflows_file(monitor: HealthMonitor, show_message: Callable[[str, str], None],
                        problem: ConfigError | None) -> None:
    current = monitor.part("config", WORKFLOWS_PART)
    if problem is None:
        if current is not None and current[0] != "ok":
            monitor.set("config", "ok", "workflows file valid", part=WORKFLOWS_PART)
        return
    if current is not None and current == ("degraded", problem.message):
        return  # already shown: one message per problem, not one per request
    monitor.set("config", "degraded", problem.message, fix=WORKFLOWS_FIX, part=WORKFLOWS_PART)
    show_message("warning", f"Keel: {problem.message} Built-in workflows still work.")


PYPROJECT_FIX = "Correct or remove the named keys of [tool.keel.advisor]; the rest of it applies."


def note_pyproject(monitor: HealthMonitor, show_message: Callable[[str, str], None],
                   pyproject: str, problems: tuple[str, ...]) -> None:
    """A project's ``[tool.keel.advisor]`` with ignored keys degrades ``config`` (its own part,
    one per pyproject.toml) and is said once per distinct problem; a fixed table clears it."""
    part = f"pyproject:{pyproject}"
    current = monitor.part("config", part)
    if not problems:
        if current is not None and current[0] != "ok":
            monitor.set("config", "ok", "pyproject.toml valid", part=part)
        return
    detail = problems[0] + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
    if current is not None and current == ("degraded", detail):
        return
    monitor.set("config", "degraded", detail, fix=PYPROJECT_FIX, part=part)
    show_message("warning", f"Keel: {detail}. The rest of [tool.keel.advisor] applies.")
