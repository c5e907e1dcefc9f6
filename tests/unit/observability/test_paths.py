from pathlib import Path

from keel.observability.paths import PathScrubber


def test_paths_outside_the_workspace_are_shortened_and_inside_kept():
    scrub = PathScrubber([Path("/home/u/ws")])
    text = "history not saved: /var/lib/keel/workspaces/abc is not writable; see /home/u/ws/a.py"
    assert scrub.text(text) == "history not saved: …/abc is not writable; see /home/u/ws/a.py"
    assert scrub.text("file:///home/u/ws/a.py") == "file:///home/u/ws/a.py"
    assert scrub.text("file:///etc/passwd") == "file://…/passwd"
    assert scrub.text("ratio 3/4 and a/b") == "ratio 3/4 and a/b"


def test_nested_values_are_scrubbed():
    scrub = PathScrubber([])
    value = {"detail": "/tmp/x/y.db locked", "n": 3, "items": ["/opt/a/b"]}
    assert scrub.value(value) == {"detail": "…/y.db locked", "n": 3, "items": ["…/b"]}
