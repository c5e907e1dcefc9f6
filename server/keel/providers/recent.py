"""The last thing each provider said when it failed, for the health component.

The provider boundary notes every classified failure here (its code and the
provider's own words, already redacted and capped); ``app.provider_health``
shows the latest in the ``provider:<id>`` component's message and is told when
it changes. One small dict per process: provider ids are few and fixed by the
settings, and a success clears the entry, so a recovered provider reads clean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class LastError:
    code: str
    message: str  # the provider's words when it gave some, else ours

    def describe(self) -> str:
        return f"last error {self.code}: {self.message}"


_last: dict[str, LastError] = {}
# Providers whose key some call has used (answered or refused): until then "ready" only means
# "a key is set", and a mistyped key looks exactly like a good one.
_used: set[str] = set()
_listeners: list[Callable[[str], None]] = []


def note_error(provider_id: str, code: str, message: str) -> None:
    entry = LastError(code, message)
    first_use = _mark_used(provider_id)
    if _last.get(provider_id) != entry or first_use:
        _last[provider_id] = entry
        _tell(provider_id)


def note_success(provider_id: str) -> None:
    first_use = _mark_used(provider_id)
    if _last.pop(provider_id, None) is not None or first_use:
        _tell(provider_id)


def was_used(provider_id: str) -> bool:
    """Whether a call has used this provider's key yet (in this process)."""
    return provider_id in _used


def _mark_used(provider_id: str) -> bool:
    if provider_id in _used:
        return False
    _used.add(provider_id)
    return True


def last_error(provider_id: str) -> LastError | None:
    return _last.get(provider_id)


def add_listener(listener: Callable[[str], None]) -> Callable[[], None]:
    """Call ``listener(provider_id)`` when a provider's last error changes; returns the remover."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def clear() -> None:
    _last.clear()
    _used.clear()


def _tell(provider_id: str) -> None:
    for listener in list(_listeners):
        try:
            listener(provider_id)
        except Exception:  # a broken listener never fails a provider call
            log.warning("provider error listener failed", exc_info=True)
