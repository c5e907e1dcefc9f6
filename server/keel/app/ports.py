"""What the application needs from its host (the LSP server, the CLI, tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..runtime.progress import ProgressSink


@dataclass(frozen=True)
class DocumentText:
    uri: str
    text: str
    version: int | None


class Documents(Protocol):
    def get(self, uri: str) -> DocumentText | None:
        """The open (possibly unsaved) document, or None when the client has not opened it."""
        ...


class Notifier(ProgressSink, Protocol):
    def notify(self, method: str, payload: dict) -> None: ...

    def show_message(self, level: str, text: str) -> None:
        """level: "error" | "warning" | "info"."""
        ...

    def publish_diagnostics(self, uri: str, version: int | None, diagnostics: list[dict]) -> None: ...


class NullNotifier:
    """For the CLI and tests: every notification is dropped."""

    def notify(self, method: str, payload: dict) -> None:
        pass

    def show_message(self, level: str, text: str) -> None:
        pass

    def publish_diagnostics(self, uri: str, version: int | None, diagnostics: list[dict]) -> None:
        pass

    async def create(self, token: str | int) -> bool:
        return False

    def begin(self, token: str | int, title: str, message: str | None, cancellable: bool) -> None:
        pass

    def report(self, token: str | int, message: str | None, percentage: int | None) -> None:
        pass

    def end(self, token: str | int, message: str | None) -> None:
        pass


class NoDocuments:
    def get(self, uri: str) -> DocumentText | None:
        return None
