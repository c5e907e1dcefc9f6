"""A request's result encoded beforehand: written into the reply as it is.

A dataclass, not an attrs class like the pygls-side messages (``messages.py``):
dispatch returns it before pygls has loaded (the fast start), and attrs alone
was 10-20 ms on the way to the first analysis's answer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EncodedResult:
    """A request's result already dumped, scrubbed and encoded as JSON (off the loop, by dispatch).

    ``AdaptedProtocol.respond`` writes it into the reply as it is: pygls would otherwise walk
    the whole answer again with cattrs and encode it with ``json.dumps``, both on the loop.
    """

    json: bytes
