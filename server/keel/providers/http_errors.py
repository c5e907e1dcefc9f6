"""What a provider's error answer says, read status and headers first, body only if JSON.

A proxy's HTML page, Ollama's plain-text 404 or a gateway's error page is not a
"response Keel could not read": it keeps its status class, its first line and
its ``retry-after``, so ``classify_provider_error`` decides on the status, not
on whether the body happened to parse. The provider's own words are redacted
(keys, bearer tokens, configured secrets) and capped before they go anywhere.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from keel.observability.redaction import REDACTOR

MESSAGE_CAP = 300
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


class ProviderHttpError(Exception):
    """An HTTP answer that is an error (or not JSON), in the shape ``classify_provider_error``
    reads: ``status_code``, ``response.headers``, ``body``, ``code`` and ``provider_message``."""

    def __init__(self, response: Any) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.status_code: int = response.status_code
        self.response = response
        content = response.content or b""
        self.is_html = is_html(response.headers.get("content-type"), content)
        self.body = json_body(response.headers.get("content-type"), content)
        error = self.body.get("error") if isinstance(self.body, dict) else None
        self.code = (error.get("code") or error.get("type")) if isinstance(error, dict) else None
        self.provider_message = provider_message(self.body, content, self.is_html)
        self.path: str = str(getattr(getattr(response, "request", None), "url", "") or "")


def is_html(content_type: str | None, content: bytes) -> bool:
    if content_type and "html" in content_type.lower():
        return True
    return content.lstrip()[:1] == b"<"


def is_json_type(content_type: str | None) -> bool:
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def json_body(content_type: str | None, content: bytes) -> Any:
    """The parsed body when it is JSON (by type or by shape), else None; never raises."""
    stripped = content.lstrip()
    if not stripped or not (is_json_type(content_type) or stripped[:1] in (b"{", b"[")):
        return None
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None


def provider_message(body: Any, content: bytes, html_page: bool) -> str | None:
    """The provider's own words: the JSON error message, an HTML page's title, or the
    first non-empty line of a text body; redacted and capped."""
    text: Any = None
    if isinstance(body, dict):
        error = body.get("error")
        text = error.get("message") if isinstance(error, dict) else error
        text = text or body.get("message") or body.get("detail")
    elif html_page:
        title = _TITLE.search(content)
        raw = title.group(1) if title else content
        text = _first_line(_TAG.sub(" ", html.unescape(raw.decode("utf-8", "replace"))))
    elif body is None and content:
        text = _first_line(content.decode("utf-8", "replace"))
    if text is None:
        return None
    if not isinstance(text, str):
        text = json.dumps(text, default=str)
    return cap(REDACTOR.text(" ".join(text.split())))


def cap(text: str, limit: int = MESSAGE_CAP) -> str | None:
    text = text.strip()
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
