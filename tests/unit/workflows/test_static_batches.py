"""Static stages send their files to workers in batches, side by side (issue 22)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from keel.errors import KeelError
from keel.workflows.definitions import StageDef
from keel.workflows.sources import SourceFile
from keel.workflows.stages_static import (
    BATCH_BYTES,
    StaticContext,
    advisor_batch,
    metrics_batch,
    run_static_stage,
    split_batches,
)
from keel.workflows.state import StageState

MODULE = '''def handler_{i}(request, cache={{}}, limit=3):
    total = 0
    for item in request:
        if item is None or item == {i}:
            continue
        elif item > limit:
            total += item * {i}
        try:
            cache[item] = total
        except Exception:
            pass
    return total
'''


def _files(root: Path, count: int, functions: int) -> list[SourceFile]:
    files = []
    for n in range(count):
        path = root / f"m{n:03}.py"
        path.write_text("\n".join(MODULE.format(i=i + n) for i in range(functions)))
        files.append(SourceFile(path.name, path, tokens=0, size=path.stat().st_size))
    return files


class Recorder:
    """A run_cpu that records how many calls overlapped."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.calls = 0
        self.running = 0
        self.most = 0
        self.cancelled = 0
        self.fail_on_call = fail_on_call

    async def __call__(self, fn, *args):
        self.calls += 1
        number = self.calls
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(0.01)  # let the other batches start: they are all sent at once
            if number == self.fail_on_call:
                raise KeelError("analyzer broke")
            if self.fail_on_call is not None:
                await asyncio.sleep(30)  # the others would run on; they must be cancelled
            # Inline, not on threads: CPython 3.11's ast.parse is not safe in parallel
            # threads ("AST constructor recursion depth mismatch"); workers are processes.
            return fn(*args)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.running -= 1


def test_batches_keep_the_order_and_every_file(tmp_path):
    files = _files(tmp_path, 40, 30)
    batches = split_batches(files)
    assert len(batches) >= 4
    assert [item[1] for batch in batches for item in batch] == [f.rel_path for f in files]
    assert all(batches)


def test_a_small_target_is_one_batch_and_a_huge_file_is_its_own(tmp_path):
    assert len(split_batches(_files(tmp_path, 3, 2))) == 1
    files = _files(tmp_path, 3, 2)
    huge = SourceFile("huge.py", tmp_path / "huge.py", tokens=0, size=BATCH_BYTES * 3)
    batches = split_batches([*files, huge, *files])
    assert ["huge.py"] in [[item[1] for item in batch] for batch in batches]


@pytest.mark.parametrize(("analyzer", "fn", "args"), [
    ("advisor", advisor_batch, (None, StaticContext(), "all")),
    ("bugs", advisor_batch, (None, StaticContext(), "bugs")),
    ("metrics", metrics_batch, ()),
])
async def test_batched_stage_equals_one_batch_over_every_file(tmp_path, analyzer, fn, args):
    files = _files(tmp_path, 40, 30)
    (tmp_path / "m005.py").write_text("def broken(:\n")  # skipped, counted, not fatal
    files[5] = SourceFile("m005.py", tmp_path / "m005.py", tokens=0, size=14)
    run_cpu = Recorder()
    stage = StageState("s", "S", "static")
    await run_static_stage(StageDef("s", "S", "static", analyzer=analyzer), stage, files, run_cpu,
                           None)
    assert run_cpu.calls > 1 and run_cpu.most > 1  # several batches, side by side
    whole = fn([(str(f.path), f.rel_path, f.uri) for f in files], *args)
    assert [f.id for f in stage.findings] == [f.id for f in whole.findings]
    expected = StageState("s", "S", "static")
    from keel.workflows.stages_static import _summarise

    _summarise(expected, whole)
    assert stage.summary == expected.summary
    assert stage.note == expected.note and stage.status == "succeeded"


async def test_a_failed_batch_fails_the_stage_with_its_error_and_cancels_the_rest(tmp_path):
    files = _files(tmp_path, 40, 30)
    run_cpu = Recorder(fail_on_call=2)
    with pytest.raises(KeelError, match="analyzer broke"):
        await run_static_stage(StageDef("s", "S", "static", analyzer="advisor"),
                               StageState("s", "S", "static"), files, run_cpu, None)
    assert run_cpu.cancelled == run_cpu.calls - 1 and run_cpu.running == 0
