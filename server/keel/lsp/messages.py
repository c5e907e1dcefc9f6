"""Message types for keel/* methods: params stay plain dicts for pydantic to validate."""

from __future__ import annotations

from typing import Any

import attrs


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
    # Imported here: dispatch uses ``EncodedResult`` before pygls has loaded (the fast start).
    from pygls.protocol import default_converter

    converter = default_converter()
    # pygls turns unknown params into namedtuples (renaming non-identifier keys);
    # keep them as the JSON the client sent.
    converter.register_structure_hook(KeelRequest, lambda obj, cls: cls(**obj))
    converter.register_structure_hook(KeelNotification, lambda obj, cls: cls(**obj))
    return converter
