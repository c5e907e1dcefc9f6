"""Redaction: no API key, bearer token or configured secret leaves the process."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any

from structlog.typing import EventDict, WrappedLogger

_PATTERNS = [
    re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"sk-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._\-~+/=]{8,}"),
    re.compile(r"(?i)(x-api-key|api[_-]?key|authorization)(\"?\s*[:=]\s*\"?)[^\s\",}]{6,}"),
]
# Shapes that are keys wherever they appear (the first two of _PATTERNS).
_TOKEN_PATTERNS = _PATTERNS[:2]
_REPLACEMENT = "[REDACTED]"
_KEY_NAMES = {"api_key", "apikey", "authorization", "x-api-key", "password", "secret", "token"}


class Redactor:
    """Replaces known secret shapes and the exact values of configured key variables."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def watch_env(self, names: Iterable[str], env: dict[str, str] | None = None) -> None:
        source = os.environ if env is None else env
        for name in names:
            value = source.get(name)
            # Very short values would redact ordinary words; real keys are long.
            if value and len(value) >= 8:
                self._secrets.add(value)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, _REPLACEMENT)
        for pattern in _PATTERNS:
            if pattern.groups >= 2:
                value = pattern.sub(lambda m: m.group(1) + m.group(2) + _REPLACEMENT, value)
            else:
                value = pattern.sub(_REPLACEMENT, value)
        return value

    def generated_text(self, value: str) -> str:
        """A model's answer with configured secrets and key-shaped tokens masked.

        Narrower than :meth:`text`: an answer is code, where ``api_key = os.environ[...]``
        is ordinary and must survive; only the configured values and token shapes go.
        """
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, _REPLACEMENT)
        for pattern in _TOKEN_PATTERNS:
            value = pattern.sub(_REPLACEMENT, value)
        return value

    def value(self, value: Any, key: str | None = None) -> Any:
        if key is not None and key.lower() in _KEY_NAMES and isinstance(value, str) and value:
            return _REPLACEMENT
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(v) for v in value)
        return value

    def __call__(self, _logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
        return {k: self.value(v, k) for k, v in event_dict.items()}


REDACTOR = Redactor()
