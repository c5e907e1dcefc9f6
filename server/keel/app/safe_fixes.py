"""Every safe rule fix of one document at once: the ``source.fixAll.keel`` code action.

As Ruff's ``source.fixAll.ruff``: only fixes whose safety is ``safe`` are applied
(``keel.advisor.fix_all``, one fix at a time with a fresh analysis after each), so
Auto Fix and fix-on-save never change what the code does. The answer is the whole
new text, which the editor turns into one edit.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from keel.runtime.threads import in_thread

from .advisor_config import find_config
from .documents import python_source
from .state import KeelApp


@dataclass(frozen=True)
class SafeFixes:
    version: int | None
    old_text: str
    new_text: str
    applied: int
    unsafe_left: int  # fixable findings left because their fix is not safe


async def fix_all_safe(app: KeelApp, uri: str) -> SafeFixes:
    source = await python_source(app, uri)
    # libcst: imported when a fix is first asked for, on a thread (as keel/generateFix).
    fix_all = (await in_thread(importlib.import_module, "keel.advisor.fix_all")).fix_all
    config, _ = await in_thread(find_config, source.path, app.workspace_folders,
                                app.settings.advisor)
    result = await app.workers.run(fix_all, source.text, source.uri, ("safe",), (),
                                   config.thresholds, config.disabled)
    return SafeFixes(source.version, source.text, result.text, sum(result.applied.values()),
                     result.remaining)
