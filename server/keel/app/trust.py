"""Untrusted means nothing leaves, whatever the client does.

In a workspace the editor has not trusted (``initialize``'s
``workspaceTrusted`` false) the server itself sends no code, no prompt and no
key to any model provider, and probes no provider endpoint. Not leaving it to
the client: the extension used to throw a model's fix away after the server
had already sent the function and the key to the provider.

One chokepoint: every provider set the app uses comes from
``keel.app.services.providers_for``, which for an untrusted workspace builds no
provider at all (no client exists, no key is read). Each path that would call a model also says why it does not
(``Untrusted``, code ``trust.untrusted``, or a skipped stage), so the
refusal is visible rather than a generic "no provider".
"""

from __future__ import annotations

from keel.errors import Untrusted

from .state import KeelApp


def refuse_if_untrusted(app: KeelApp, refused: str) -> None:
    """Raise ``trust.untrusted`` naming what was refused (e.g. "a model-proposed fix")."""
    if not app.workspace_trusted:
        raise Untrusted(f"This workspace is not trusted, so Keel does not send {refused}.")
