"""What ``initialize`` and ``initialized`` do to the app, free of pygls and lsprotocol.

The fast start (``early_serve.py``) applies them from the raw messages as soon as
the app exists, so the requests that follow are served before pygls has loaded;
the loaded server (``server.py``) calls the same functions, unless the fast start
already did (``Session.early``), and adds what needs pygls (the file-watch
registration, the parent-process watch).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import structlog

from keel.app.state import KeelApp
from keel.settings import load_initialization_options

log = structlog.get_logger(__name__)
Spawn = Callable[[Coroutine[Any, Any, Any]], Any]


def workspace_folders_of(params: dict[str, Any]) -> list[Path]:
    """The workspace folders of ``initialize``'s params (wire shape), as pygls reads them."""
    from pygls.uris import to_fs_path  # no lsprotocol: urllib and pathlib

    folders = [Path(to_fs_path(f["uri"]) or "") for f in (params.get("workspaceFolders") or [])]
    if not folders and params.get("rootUri"):
        folders = [Path(to_fs_path(params["rootUri"]) or "")]
    if not folders and params.get("rootPath"):
        folders = [Path(params["rootPath"])]
    return [f.resolve() for f in folders if str(f)]


def apply_initialize(app: KeelApp, folders: list[Path], initialization_options: Any) -> None:
    app.workspace_folders = folders
    loaded = load_initialization_options(initialization_options)
    app.workspace_trusted = loaded.options.workspace_trusted
    app.client_name = loaded.options.client_name
    if loaded.problem:
        log.warning("initialization options invalid", problem=loaded.problem)
        app.notifier.show_message("warning", f"Keel: invalid {loaded.problem}. Using the default.")
    # Validated in apply_settings: each invalid field is dropped and named in one message.
    app.apply_settings(loaded.raw_settings, "initializationOptions.settings")


# What ``start_after_initialized`` imports (~140 ms, most of it history_ops and reliability_ops):
# the fast start imports them on a thread first, so the loop goes on serving meanwhile.
INITIALIZED_MODULES = ("keel.app.heap", "keel.app.history_ops", "keel.app.provider_health",
                       "keel.app.reliability_ops", "keel.app.telemetry", "keel.app.warmup")


def import_for_initialized() -> None:
    """Blocking: call it on a thread."""
    import importlib

    for name in INITIALIZED_MODULES:
        importlib.import_module(name)


def start_after_initialized(app: KeelApp, spawn: Spawn) -> None:
    """The app's side of ``initialized``: health push, pool, warm-up, storage, telemetry."""
    from keel.app.heap import freeze_after
    from keel.app.history_ops import start_storage
    from keel.app.provider_health import install_provider_health
    from keel.app.reliability_ops import install_reliability
    from keel.app.telemetry import install_telemetry
    from keel.app.warmup import warm_up

    app.start_health_push()
    app.workers.warm_up()
    freeze_after(spawn(warm_up(app)))
    start_storage(app)
    install_provider_health(app)
    install_telemetry(app)
    spawn(install_reliability(app))
