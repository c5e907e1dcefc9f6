"""Message types for keel/* methods: params stay plain dicts for pydantic to validate."""

from __future__ import annotations

import json
from typing import Any

import attrs
from pygls.protocol import default_converter


@attrs.define
class KeelRequest:
    id: int | str
    method: str
    params: Any = None
    jsonrpc: str = "2.0"


@attrs.define
class KeelNotification:
    method: str
    params: Any = None
    jsonrpc: str = "2.0"


def keel_converter():
    converter = default_converter()
    # pygls turns unknown params into namedtuples (renaming non-identifier keys);
    # keep them as the JSON the client sent.
    converter.register_structure_hook(KeelRequest, lambda obj, cls: cls(**obj))
    converter.register_structure_hook(KeelNotification, lambda obj, cls: cls(**obj))
    return converter


@attrs.frozen
class EncodedResult:
    """A request's result already dumped, scrubbed and encoded as JSON (off the loop, by dispatch).

    ``AdaptedProtocol.respond`` writes it into the reply as it is: pygls would otherwise walk
    the whole answer again with cattrs and encode it with ``json.dumps``, both on the loop.
    """

    json: bytes


# Levels of dicts and lists walked in Python above the leaves ``json.dumps`` encodes whole.
ENCODE_DEPTH = 3


def encode_json(value: Any, depth: int = ENCODE_DEPTH) -> bytes:
    """``json.dumps(value)``, the same bytes, in many short calls instead of one long one.

    ``json.dumps`` is one C call that holds the GIL from start to end; on a loaded machine the
    thread holding it may also lose its core meanwhile, and the loop waits for both. Encoding
    each finding (each leaf below ``depth``) on its own leaves a switch point between them.
    """
    parts: list[str] = []
    _encode(value, parts, depth)
    return "".join(parts).encode()


def _encode(value: Any, parts: list[str], depth: int) -> None:
    if depth and isinstance(value, dict) and value:
        parts.append("{")
        for index, (key, item) in enumerate(value.items()):
            parts.append(", " if index else "")
            # A non-string key as json.dumps writes it: its JSON text, quoted.
            parts.append(json.dumps(key) if isinstance(key, str) else json.dumps({key: 0})[1:-4])
            parts.append(": ")
            _encode(item, parts, depth - 1)
        parts.append("}")
    elif depth and isinstance(value, list | tuple) and value:
        parts.append("[")
        for index, item in enumerate(value):
            parts.append(", " if index else "")
            _encode(item, parts, depth - 1)
        parts.append("]")
    else:
        parts.append(json.dumps(value))

