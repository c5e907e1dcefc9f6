"""The parent watchdog: ends the server when the client process is gone, and never signals it."""

from __future__ import annotations

import asyncio
import os
import sys

from keel.lsp.watchdog import watch_parent


async def test_the_watchdog_fires_once_the_client_has_exited(monkeypatch, signals_sent):
    client = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; sys.stdin.read()", stdin=asyncio.subprocess.PIPE)
    died = asyncio.Event()
    watching = asyncio.ensure_future(watch_parent(client.pid, died.set, poll_s=0.01))
    try:
        await asyncio.sleep(0.05)  # a few polls while the client lives
        assert not died.is_set() and client.returncode is None
        assert signals_sent == []  # os.kill(pid, 0) would have terminated it on Windows
        assert client.stdin is not None
        client.stdin.close()  # the client exits on its own
        await client.wait()
        await asyncio.wait_for(died.wait(), 30)
    finally:
        watching.cancel()
        monkeypatch.undo()
        if client.returncode is None:
            client.kill()
            await client.wait()


async def test_a_process_group_id_is_no_client(signals_sent):
    # initialize.processId 0: os.kill(0, 0) succeeds (our own group), so the old check waited forever.
    died = asyncio.Event()
    await asyncio.wait_for(watch_parent(0, died.set, poll_s=0.01), 30)
    assert died.is_set() and signals_sent == []


async def test_its_own_process_keeps_it_waiting(signals_sent):
    died = asyncio.Event()
    watching = asyncio.ensure_future(watch_parent(os.getpid(), died.set, poll_s=0.01))
    await asyncio.sleep(0.05)
    assert not watching.done() and signals_sent == []
    watching.cancel()
