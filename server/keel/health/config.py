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
