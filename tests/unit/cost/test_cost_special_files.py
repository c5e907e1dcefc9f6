"""The cost scan never opens a FIFO, socket or device: it would block the scan thread for good."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from keel.errors import InvalidInput
from keel.files import NotRegularFile, open_regular
from keel.scan.reader import read_and_count
from keel.scan.scanner import scan

from .conftest import write

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")


def _returns(call: Callable[[], object], fifos: list[Path]) -> object:
    """Run ``call`` in a thread; if it blocks, release it (by writing the FIFOs) and fail."""
    box: list[object] = []
    thread = threading.Thread(target=lambda: box.append(call()), daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        for fifo in fifos:  # a blocked reader's open returns once a writer appears
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(10)
        pytest.fail("the call blocked on a FIFO")
    return box[0]


@pytest.mark.parametrize("name", [".gitignore", "b.py"])
def test_a_fifo_in_the_tree_is_not_opened_and_the_scan_completes(tmp_path: Path, cache,
                                                                 name: str) -> None:
    write(tmp_path, "a.py", "x = 1\n")
    fifo = tmp_path / name
    os.mkfifo(fifo)
    result = _returns(lambda: scan(tmp_path, tmp_path, suffixes=(".py",), cache=cache), [fifo])
    assert [f.rel_path for f in result.files] == ["a.py"]


def test_a_fifo_swapped_in_after_the_listing_is_unreadable_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "c.py"
    os.mkfifo(fifo)
    assert _returns(lambda: read_and_count(str(fifo), 1024), [fifo]) is None


def test_a_fifo_target_is_refused(tmp_path: Path, cache) -> None:
    fifo = tmp_path / "d.py"
    os.mkfifo(fifo)
    with pytest.raises(InvalidInput) as info:
        scan(fifo, tmp_path, suffixes=(".py",), cache=cache)
    assert info.value.code == "target.not_a_file" and "FIFO" in info.value.message


def test_open_regular_names_what_the_file_is(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile) as info:
        open_regular(fifo)
    assert info.value.kind == "a FIFO (named pipe)" and str(fifo) in str(info.value)
    with pytest.raises(NotRegularFile, match="directory"):
        open_regular(tmp_path)
    with pytest.raises(NotRegularFile, match="character device"):
        open_regular("/dev/null")
