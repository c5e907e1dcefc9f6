"""stdio still works when the event loop cannot watch the pipes (as Windows' proactor may refuse)."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import asyncio
import os
import sys
from keel.lsp import stdio

async def main():
    loop = asyncio.get_running_loop()

    async def refuse(*args, **kwargs):
        raise {error}("this loop cannot watch that handle")

    loop.connect_read_pipe = refuse
    loop.connect_write_pipe = refuse
    reader, transport = await stdio.stdio_streams()
    line = await reader.readline()
    transport.write(b"echo:" + line)
    print("stray print")  # must land on stderr, never on the protocol channel

asyncio.run(main())
sys.stderr.flush()
os._exit(0)  # as the server ends: the thread still reading stdin must not hold up shutdown
"""


@pytest.mark.parametrize("error", ["OSError", "NotImplementedError", "ValueError"])
def test_a_refused_pipe_falls_back_to_threads_and_blocking_writes(error):
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(error=error)], input=b"hello\n",
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b"echo:hello\n"
    assert b"stray print" in done.stderr
