"""A bounded in-memory LRU of LLM answers for identical inputs, the last resort when
every provider fails (reliability.md "Graceful degradation": cached answers for
identical input are served and marked stale).

The key (``cache_key``) is the sha256 of a canonical JSON document holding
everything that shapes the answer *except the provider and model*: the
prompt (system text and messages), the tier, ``max_tokens``, and any extra
sampling parameters (temperature, stop sequences, ...). It is
provider-independent on purpose: when every provider is down, an answer that
any provider gave for the same input at the same tier is the best we have.
A format version is part of the key so a change of scheme never serves old
entries. Keys never contain the prompt itself, only its digest.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

V = TypeVar("V")
KEY_VERSION = 1


def cache_key(
    prompt: Any,
    *,
    tier: str,
    max_tokens: int | None = None,
    system: str | None = None,
    **params: Any,
) -> str:
    """sha256 hex of the canonical (sorted-key, compact) JSON of the call's inputs."""
    document = {
        "v": KEY_VERSION,
        "prompt": prompt,
        "system": system,
        "tier": tier,
        "max_tokens": max_tokens,
        "params": params,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedAnswer(Generic[V]):
    value: V
    stale: bool


class ResponseCache(Generic[V]):
    """LRU bounded by entry count; not thread-safe (used from the event loop only)."""

    def __init__(self, max_entries: int = 256) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, V] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def get(self, key: str) -> V | None:
        if key not in self._entries:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return self._entries[key]

    def put(self, key: str, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
            self.evictions += 1

    def get_stale(self, key: str) -> CachedAnswer[V] | None:
        """The cached answer marked ``stale=True`` (served when every provider failed)."""
        value = self.get(key)
        return None if value is None else CachedAnswer(value, stale=True)
