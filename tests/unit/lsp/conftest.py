"""Shared by the lsp tests: a pygls protocol (Keel's adapted one) whose writes are kept."""

from __future__ import annotations

import pytest
from pygls.lsp.server import LanguageServer

from keel.lsp.pygls_adapter import AdaptedProtocol


class CapturedWrites:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def close(self) -> None:
        pass


@pytest.fixture
def captured_protocol():
    """``(protocol, written)``: what the protocol writes lands in ``written``."""
    writer = CapturedWrites()
    protocol = LanguageServer("keel-test", "0", protocol_cls=AdaptedProtocol).protocol
    protocol.set_writer(writer)
    return protocol, writer.written
