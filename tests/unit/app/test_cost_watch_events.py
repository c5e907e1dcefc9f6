"""workspace/didChangeWatchedFiles as the app applies it to the estimate cache."""

from __future__ import annotations

import os
from pathlib import Path

from keel.app.cost_ops import invalidate
from keel.app.services import cost_state
from keel.app.state import KeelApp
from keel.scan.scanner import scan

OLD_NS = 1_600_000_000 * 10**9


def age(*paths: Path) -> None:
    """Old mtimes, so the cache may keep what it read (recent ones are re-read by design)."""
    for path in paths:
        os.utime(path, ns=(OLD_NS, OLD_NS))


def watched_app(root: Path) -> KeelApp:
    app = KeelApp(workspace_folders=[root.resolve()])
    cost_state(app).cache.set_watching(True)
    return app


def test_events_outside_every_workspace_folder_are_dropped(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "pkg").mkdir(parents=True)
    (ws / "pkg" / "a.py").write_text("x = 1\n")
    age(ws / "pkg" / "a.py", ws / "pkg", ws)
    app = watched_app(ws)
    cache = cost_state(app).cache
    scan(ws, ws, suffixes=(".py",), cache=cache)
    seq = cache.event_seq
    outside = [str(tmp_path / "other" / f"f{i}.py") for i in range(1000)] + ["/etc/hosts"]
    assert invalidate(app, outside) == 0
    assert cache.event_seq == seq  # not even counted: nothing in the workspace moved
    assert invalidate(app, [str(ws / "pkg" / "a.py")]) >= 1
    assert cache.event_seq == seq + 1


def test_events_through_a_symlinked_workspace_reach_the_resolved_folder(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    path = real / "a.py"
    path.write_text("x = 1\n")
    link = tmp_path / "link"
    link.symlink_to(real)
    age(path, real)
    app = watched_app(real)
    cache = cost_state(app).cache
    scan(real, real, suffixes=(".py",), cache=cache)
    assert cache.file_entry(str(path)) is not None
    invalidate(app, [os.path.join(str(link), "a.py")])  # the editor opened the link
    assert cache.file_entry(str(path)) is None
