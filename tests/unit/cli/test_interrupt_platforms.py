"""Ctrl-C during `keel run` where the event loop has no signal handlers (Windows)."""

from __future__ import annotations

import asyncio
import signal

import pytest

from keel.cli.interrupt import RunInterrupts


@pytest.fixture
async def loop_without_signal_handlers(monkeypatch):
    loop = asyncio.get_running_loop()

    def unsupported(*_args: object) -> bool:
        raise NotImplementedError  # what the Proactor and Selector loops do on Windows

    monkeypatch.setattr(loop, "add_signal_handler", unsupported)
    monkeypatch.setattr(loop, "remove_signal_handler", unsupported)
    return loop


async def test_ctrl_c_still_cancels_the_run(loop_without_signal_handlers):
    original = signal.getsignal(signal.SIGINT)
    interrupts = RunInterrupts()
    interrupts.install()
    cancelled = asyncio.Event()

    async def cancel() -> None:
        cancelled.set()

    try:
        interrupts.attach(loop_without_signal_handlers)
        interrupts.registered(cancel)
        signal.raise_signal(signal.SIGINT)  # reaches the handler `install` put in place
        await asyncio.wait_for(cancelled.wait(), 30)
        assert interrupts.requested
        interrupts.detach()
    finally:
        interrupts.uninstall()
    assert signal.getsignal(signal.SIGINT) is original  # handed back as it was found
