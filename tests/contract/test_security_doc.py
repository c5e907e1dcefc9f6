"""docs/security.md names the test behind each promise: every file it names exists, and every
test name it quotes (``file::name``) is defined there, so the page cannot point at a test that
was renamed or removed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
FLAT = " ".join(PAGE.split())  # a quoted title may be wrapped across lines


def test_every_file_the_security_page_names_exists():
    named = set(re.findall(r"`((?:tests|extension|server|scripts)/[^`\s]+?\.(?:py|ts|md|sh))`", PAGE))
    assert len(named) >= 10, "the page should name the tests behind its promises"
    missing = sorted(name for name in named if not (ROOT / name).exists())
    assert missing == []


def test_every_quoted_test_title_is_a_test_of_the_extension():
    # Titles are quoted up to an ellipsis: "every Python the extension starts runs isolated (-I) …"
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "extension" / "test").rglob("*.ts"))
    titles = re.findall(r'"([a-z][^"]{15,}?)(?: …)?"', FLAT)
    ts_titles = [t for t in titles if " " in t and not t.startswith(("not checked", "not used"))]
    assert ts_titles, "the page quotes extension test titles"
    missing = [t for t in ts_titles if t.rstrip(" …") not in sources]
    assert missing == []
