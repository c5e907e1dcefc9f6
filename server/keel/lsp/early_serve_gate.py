"""Whether the fast start may serve requests before pygls loads (standard library only).

The app's side of ``initialize`` is applied from the raw params (``early_lifecycle.py``);
pygls structures them first and, when it cannot, never runs its handler: the loaded server
then refuses every request (-32002). So requests are served early only after an
``initialize`` whose params pygls accepts as far as the app's side reads them; after any
other, the loaded server decides everything.
"""

from __future__ import annotations

from typing import Any


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def usable_initialize(params: Any) -> bool:
    """Whether pygls would accept ``initialize``'s params as far as the app's side reads them."""
    if not isinstance(params, dict) or not isinstance(params.get("capabilities"), dict):
        return False
    folders = params.get("workspaceFolders")
    return ((params.get("processId") is None or is_int(params.get("processId")))
            and (params.get("rootUri") is None or isinstance(params.get("rootUri"), str))
            and (params.get("rootPath") is None or isinstance(params.get("rootPath"), str))
            and (folders is None or (isinstance(folders, list) and all(
                isinstance(f, dict) and isinstance(f.get("uri"), str) and isinstance(f.get("name"), str)
                for f in folders))))
